#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One bounded libFuzzer run, as the test suite and scripts/fuzz do it:
#
#   run-fuzzer.sh TARGET SEED_CORPUS_DIR WORK_DIR SECONDS [LIBFUZZER ARGS ...]
#
# The fixed seed makes a run repeatable as far as a time limit allows. New inputs go into
# WORK_DIR/corpus (the seed corpus in the source tree is only read), a crashing input into
# WORK_DIR/crash-* (its path is printed), so that it can be added to the seed corpus as the
# regression test of its fix. Exits non-zero when the target crashed, leaked or timed out.
set -eu

target=$1 seeds=$2 work=$3 seconds=$4
shift 4

# The test suite starts from the seed corpus alone each time (CONFAB_FUZZ_FRESH=1), so that a
# run depends on nothing but the sources; scripts/fuzz keeps what earlier runs learned.
if [ "${CONFAB_FUZZ_FRESH:-}" = 1 ]; then
  rm -rf "$work/corpus"
fi
mkdir -p "$work/corpus"
# Leaks per input are bugs here (libFuzzer checks each run), unlike GLib's one-time
# allocations that make leak checking of whole test programs useless (scripts/test); reports
# go to stderr, the test log, whatever log_path scripts/test gave the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:log_path=stderr"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=stderr"
# -rss_limit_mb / -timeout: a target that grows past 2 GB or takes 10 s on one input is a bug
# too. -print_final_stats: the runs and coverage reached end up in the test log.
# GLib 2.74's slice allocator would hide json-glib's and GLib's objects from LeakSanitizer.
export G_SLICE=always-malloc
# -error_exitcode: libFuzzer's default, 77, is what meson takes for "skipped".
exec "$target" -seed=1 -error_exitcode=1 -timeout_exitcode=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" "$@" \
  "$work/corpus" "$seeds"
