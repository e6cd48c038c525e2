#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What one message costs the main loop in each store backend (issue 13): bench/store-backends.c,
# the hub's write path without the network (appends in batches of BATCH, a savepoint per
# message, then a resume by cursor), on SQLite and on a throwaway PostgreSQL 15 on loopback.
#
#   bench/store-backends.sh [MESSAGES [BATCH]]     default: 2000 10
#
# Not a test: scripts/test does not run it. Results and the machine: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d build-bench-store ] || meson setup build-bench-store --buildtype=release -Dtests=true >/dev/null
ninja -C build-bench-store tests/bench-store-backends >/dev/null
build-bench-store/tests/bench-store-backends "${1:-2000}" "${2:-10}"
