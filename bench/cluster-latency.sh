#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Latency between relays (issue 13), one short run:
#
#   bench/cluster-latency.sh [RATE [SECONDS]]      # default 200 msg/s for 5 s
#
# Starts a Redis and two relays on one SQLite data directory in a temporary
# directory (loopback, free ports), an agent on each relay and 50 visitors on
# relay A, and times each message from the visitor's send to each agent: the
# same-relay and the cross-relay figures side by side, with duplicates and
# out-of-order deliveries counted (both must be 0). CONFAB_RELAY names the
# binary (default build/relay/confab-relay). BENCH_STORE=postgresql: the relays
# on a PostgreSQL 15 started here (as nobody under root), each with a data
# directory of its own, instead of one SQLite directory.

set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${1:-200}
SECONDS_=${2:-5}
RELAY=$(realpath -m "${CONFAB_RELAY:-build/relay/confab-relay}")
DIR=$(mktemp -d /tmp/confab-cluster-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

STORE_CONF=""
admin_target=(--data-dir "$DIR/data")
if [ "${BENCH_STORE:-sqlite}" = postgresql ]; then
  PG_BINDIR=${CONFAB_PG_BINDIR:-/usr/lib/postgresql/15/bin}
  as_user=()
  if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  fi
  chmod 755 "$DIR"
  mkdir -p "$DIR/pg"
  [ ${#as_user[@]} -eq 0 ] || chown nobody:nogroup "$DIR/pg"
  PG_PORT=$(free_port)
  "${as_user[@]}" "$PG_BINDIR/initdb" -D "$DIR/pg/data" -U confab --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$DIR/pg.log" 2>&1
  # BENCH_PG_OPTIONS: more server settings, e.g. "-c synchronous_commit=off"
  # shellcheck disable=SC2086
  "${as_user[@]}" "$PG_BINDIR/postgres" -D "$DIR/pg/data" -p "$PG_PORT" -k "$DIR/pg" \
    -c listen_addresses=127.0.0.1 ${BENCH_PG_OPTIONS:-} >>"$DIR/pg.log" 2>&1 &
  pids+=($!)
  until "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do sleep 0.1; done
  "$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U confab confab
  STORE_CONF="[store]
backend=postgresql
url=postgresql://confab@127.0.0.1:$PG_PORT/confab"
  admin_target=(--config "$DIR/a.conf")
fi

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --daemonize no --loglevel warning >/dev/null 2>&1 &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

urls=()
for name in a b; do
  data="$DIR/data"
  [ -z "$STORE_CONF" ] || data="$DIR/data-$name"
  cat >"$DIR/$name.conf" <<CONF
[relay]
data-dir=$data
$STORE_CONF
[cluster]
redis=redis://127.0.0.1:$REDIS_PORT/0
node-name=relay-$name
[limits]
messages-per-minute=1000000
messages-per-minute-per-ip=1000000
frames-per-second=1000000
frames-per-second-per-ip=1000000
hellos-per-minute-per-ip=1000000
max-connections-per-address=0
CONF
  "$RELAY" --config "$DIR/$name.conf" --listen 127.0.0.1:0 >"$DIR/$name.out" 2>"$DIR/$name.log" &
  pids+=($!)
  until grep -q '^listening on' "$DIR/$name.out"; do sleep 0.1; done
  urls+=("$(sed -n 's/^listening on //p' "$DIR/$name.out")")
done

printf 'bench-password-123\n' >"$DIR/password"
"$RELAY" admin create-user "${admin_target[@]}" --email bench@example.com --password-file "$DIR/password" >/dev/null
SITE_KEY=$("$RELAY" admin create-site "${admin_target[@]}" --owner bench@example.com --name Bench |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["site_key"])')
TOKEN=$(curl -sf -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password-123"}' "${urls[0]}/api/v1/auth/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

node bench/cluster-latency.mjs --a="${urls[0]}" --b="${urls[1]}" --token="$TOKEN" \
  --site_key="$SITE_KEY" --rate="$RATE" --seconds="$SECONDS_"
