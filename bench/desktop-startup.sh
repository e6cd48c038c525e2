#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Cold start of the desktop app to its first painted inbox, with the 10,000-conversation
# (and one 100,000-message conversation) cache of bench/desktop-core-bench.c:
#
#   bench/desktop-startup.sh BUILD_DIR [RUNS]      (BUILD_DIR configured with -Ddesktop=true)
#
# Runs under Xvfb with a private keyring; settings in a keyfile that names one account whose
# relay is not there (the inbox must paint from the cache alone). Not a test: numbers for
# bench/README.md.
set -euo pipefail

build=$(realpath "$1")
runs=${2:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$build/data"
export CONFAB_NO_SOUND=1 GTK_A11Y=none GTK_USE_PORTAL=0
# GSK_RENDERER=cairo from the caller compares with the GL renderer (llvmpipe under Xvfb)
mkdir -p "$XDG_CONFIG_HOME/glib-2.0/settings"
cat >"$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" <<'KEYFILE'
[chat/confab/Confab]
accounts=[('http://127.0.0.1:9', 'bench@example.com')]
KEYFILE

# The first run makes the account's (empty) cache; the benchmark's generator then fills a
# cache in that directory.
CONFAB_BENCH_STARTUP=1 xvfb-run -a "$build/desktop/ui/confab" >/dev/null 2>&1 || true
db=$(find "$XDG_DATA_HOME/confab/accounts" -name cache.db | head -1)
rm -f "$db" "$db-wal" "$db-shm"
"$build/desktop/desktop-core-bench" "$(dirname "$db")" | grep -E '^filled' || true

# Each run: the baseline peer (bench/baseline-window.c: an AdwApplicationWindow with a
# GtkListView over 10,000 in-memory rows, nothing else), then confab, the same way.
first_ms() { grep -o 'first painted inbox: [0-9]*' | grep -o '[0-9]*$'; }
confab_ms=() baseline_ms=()
for _ in $(seq 1 "$runs"); do
  sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true   # cold page cache when allowed
  baseline_ms+=("$(xvfb-run -a "$build/desktop/baseline-window" 2>/dev/null | first_ms)")
  sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  confab_ms+=("$(CONFAB_BENCH_STARTUP=1 xvfb-run -a "$build/desktop/ui/confab" 2>/dev/null | first_ms)")
done
python3 - "${confab_ms[*]}" "${baseline_ms[*]}" <<'PY'
import statistics, sys
confab = [int(x) for x in sys.argv[1].split()]
base = [int(x) for x in sys.argv[2].split()]
c, b = statistics.median(confab), statistics.median(base)
print(f"| confab, 10,000 cached conversations | {min(confab)}–{max(confab)} ms (median {c:.0f}) |")
print(f"| baseline: AdwApplicationWindow + GtkListView of 10,000 rows | {min(base)}–{max(base)} ms (median {b:.0f}) |")
print(f"| ratio confab ÷ baseline (medians) | {c / b:.2f}× |")
PY
