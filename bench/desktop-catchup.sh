#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The desktop app catching up on a relay of N conversations (default 10,000) made by scripted
# visitors, with an empty cache, under Xvfb: frame times and main-loop stalls from the sign-in
# click until the inbox holds every conversation (bench/desktop-catchup.c), side by side with
# the baseline peer (bench/baseline-window.c, BENCH_CATCHUP=N: a GtkListView getting N rows one
# at a time), and the ratios.
#
#   bench/desktop-catchup.sh BUILD_DIR [CONVERSATIONS]    (BUILD_DIR: -Ddesktop=true)
#
# BENCH_LONG=M (issue 9's memory case, e.g. 20000): one more conversation of M messages, opened
# in the app after the catch-up; RSS at the idle sign-in form, after the catch-up and with it open.
#
# Not a test: numbers for bench/README.md. GSK_RENDERER=cairo from the caller compares with the
# GL renderer (llvmpipe under Xvfb). Needs node and bench/node_modules (cd bench && npm ci).
# BENCH_SMAPS=1 lists what holds the app's RSS (by mapped file) at the sign-in form and at the end.
# BENCH_RELAY_DATA=DIR keeps the relay's data for the next runs (see below); BENCH_WRAP is put
# before the app's command, e.g. BENCH_WRAP="perf record -g -o /tmp/catchup.perf --".
set -euo pipefail
cd "$(dirname "$0")/.."

build=$(realpath "$1")
n=${2:-10000}
relay_bin="$build/relay/confab-relay"
work=$(mktemp -d)
relay_pid=
cleanup() { [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

[ -d bench/node_modules/ws ] || (cd bench && npm ci --no-audit --no-fund --silent)

# the relay, limits out of the way of 10,000 visitors from one address
mkdir -p "$work/relay"
cat > "$work/relay/relay.conf" <<CONF
[store]
synchronous=normal
[websocket]
idle-timeout=600
send-queue-bytes=67108864
[limits]
messages-per-minute=1000000
messages-per-minute-per-ip=1000000
typing-per-second=1000
max-connections-per-address=0
frames-per-second=1000000
frames-per-second-per-ip=1000000
hellos-per-minute-per-ip=1000000
page-views-per-minute-per-ip=1000000
CONF
printf 'bench-password' > "$work/relay/password"
start_relay() {
  "$relay_bin" --config "$work/relay/relay.conf" --listen 127.0.0.1:0 --data-dir "$work/relay/data" \
    > "$work/relay/out" 2> "$work/relay/err" &
  relay_pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$work/relay/out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/relay/out")
  [ -n "$url" ] || { echo "relay did not start: $(cat "$work/relay/err")" >&2; exit 1; }
}

# BENCH_RELAY_DATA=DIR: the relay's data made once (N visitors, BENCH_LONG) is kept in DIR and
# reused by the next runs with the same DIR: making it is most of a run on a busy machine.
keep=${BENCH_RELAY_DATA:-}
if [ -n "$keep" ] && [ -f "$keep/made.json" ]; then
  cp -a "$keep/data" "$work/relay/data"
  made=$(cat "$keep/made.json")
  start_relay
else
  "$relay_bin" admin create-user --data-dir "$work/relay/data" --email bench@confab.test \
    --password-file "$work/relay/password" >/dev/null
  site_key=$("$relay_bin" admin create-site --data-dir "$work/relay/data" --owner bench@confab.test \
    --name Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_key"])')
  start_relay
  made=$(node bench/catchup-visitors.mjs --url="$url" --site_key="$site_key" --visitors="$n" \
    --long="${BENCH_LONG:-0}")
  if [ -n "$keep" ]; then
    # stopped for a consistent copy, then started again on it
    kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
    mkdir -p "$keep"; rm -rf "$keep/data"; cp -a "$work/relay/data" "$keep/data"
    echo "$made" > "$keep/made.json"
    start_relay
  fi
fi
echo "$made" >&2
long_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["long_conversation_id"] or "")' "$made")
if [ -n "$long_id" ]; then n=$((n + 1)); fi

export CONFAB_NO_SOUND=1 GTK_A11Y=none GTK_USE_PORTAL=0 NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$build/data"

echo "baseline peer:" >&2
baseline=$(XDG_CONFIG_HOME="$work/base-config" BENCH_CATCHUP="$n" \
  xvfb-run -a -s '-screen 0 1600x1000x24' "$build/desktop/baseline-window" 2>/dev/null | grep '^{')
echo "$baseline" >&2
echo "confab:" >&2
confab=$(XDG_CONFIG_HOME="$work/app-config" XDG_DATA_HOME="$work/app-data" CONFAB_RELAY_URL="$url" \
  BENCH_EMAIL=bench@confab.test BENCH_PASSWORD=bench-password BENCH_CONVERSATIONS="$n" \
  BENCH_LONG_CONVERSATION="$long_id" \
  xvfb-run -a -s '-screen 0 1600x1000x24' tests/run-with-keyring.sh \
  ${BENCH_WRAP:-} "$build/desktop/desktop-catchup-bench" 2>"$work/app-err" | grep '^{') && { [ -z "${BENCH_TRACE:-}" ] || grep "^stall" "$work/app-err" >&2;
    [ -z "${BENCH_SMAPS:-}" ] || grep "^mem:" "$work/app-err" >&2; } ||
  { cat "$work/app-err" >&2; exit 1; }
echo "$confab" >&2

python3 - "$baseline" "$confab" <<'PY'
import json, sys
base = json.loads(sys.argv[1])
lines = [json.loads(l) for l in sys.argv[2].splitlines()]
app = lines[0]
mem = lines[1] if len(lines) > 1 else None
def row(name, r):
    print(f"| {name} | {r['rows']:,} | {r['seconds']} s | {r.get('cpu_s', '–')} s | {r['frames']} | "
          f"{r['frame_p50_ms']} | {r['frame_p99_ms']} | "
          f"{r['frame_max_ms']} | {r['frames_over_100ms']} | {r['stall_p99_ms']} | {r['stall_max_ms']} | "
          f"{r['stalls_over_100ms']} |")
def q(a, b): return f"{a / b:.2f}×" if b else "–"
with open("/proc/loadavg") as f:
    print(f"load average at the end: {f.read().split()[0]}")
print("| peer | rows | catch-up | CPU | frames | frame p50 ms | frame p99 ms | worst frame ms | frames > 100 ms | stall p99 ms | worst stall ms | stalls > 100 ms |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
row("baseline: GtkListView, rows inserted one by one", base)
row("confab, empty cache, signing in", app)
print(f"| ratio confab ÷ baseline | | {q(app['seconds'], base['seconds'])} | | | "
      f"{q(app['frame_p50_ms'], base['frame_p50_ms'])} | "
      f"{q(app['frame_p99_ms'], base['frame_p99_ms'])} | {q(app['frame_max_ms'], base['frame_max_ms'])} | | "
      f"{q(app['stall_p99_ms'], base['stall_p99_ms'])} | {q(app['stall_max_ms'], base['stall_max_ms'])} | |")
if mem is not None:
    print(f"\nconfab RSS: idle at the sign-in form {mem['rss_mib_idle']} MiB, after the catch-up "
          f"{mem['rss_mib_after']} MiB" +
          (f", with the long conversation open {mem['rss_mib_open']} MiB" if mem['rss_mib_open'] >= 0 else "") +
          f" (heap in use {mem['heap_in_use_mib']} MiB, free {mem['heap_free_mib']} MiB; "
          f"anonymous {mem.get('rss_anon_mib', '–')} MiB, mapped files {mem.get('rss_file_mib', '–')} MiB; "
          f"{mem.get('rss_mib_trimmed', '–')} MiB after a malloc_trim; SQLite {mem.get('sqlite_mib', '–')} MiB; "
          f"heap in use at the sign-in form {mem.get('heap_in_use_idle_mib', '–')} MiB)")
PY
