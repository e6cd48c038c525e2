#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One relay vs two vs three on PostgreSQL + Redis, and one relay on SQLite, side by side in one
# run (issue 13):
#
#   bench/cluster-scale.sh [RATE [SECONDS [VISITORS]]]     # default 200 msg/s for 5 s, 60 visitors
#
# For each setup: a fresh PostgreSQL 15 database (one server, started here as nobody under
# root, loopback, default settings: fsync on) with Redis and N relays (each with a data
# directory of its own), or one relay on a fresh SQLite data directory without Redis (the
# embedded default, with its writer thread); visitors spread over the relays and one
# agent on each (bench/cluster-scale.mjs). Prints one JSON line per setup: messages persisted
# (acked) and delivered (to every agent) per second, ack and delivery p50/p99, duplicates and
# out-of-order deliveries (both must be 0), error frames by code (a message refused with an
# error is neither acked nor delivered: the widget sends it again). A fifth setup is one relay
# on PostgreSQL without Redis, whose writer thread stores visitors' messages in one pipelined
# flight per batch (with Redis the main loop stores them, statement by statement). CONFAB_RELAY names the binary (default
# build/relay/confab-relay); RELAYS="1 2 3" which cluster sizes to run on PostgreSQL;
# SQLITE_RELAYS="2 3" adds relays sharing one SQLite data directory with Redis; BENCH_PG_OPTIONS adds
# server settings (e.g. "-c synchronous_commit=off"); BENCH_PG_STATS=1 loads pg_stat_statements
# (nested statements too: the triggers') and prints each PostgreSQL setup's ten costliest
# statements on stderr. Why a relay refused frames (the SQLSTATE) goes to stderr too. Not a
# test: results in bench/README.md.

set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${1:-200}
SECONDS_=${2:-5}
VISITORS=${3:-60}
RELAY=$(realpath -m "${CONFAB_RELAY:-build/relay/confab-relay}")
DIR=$(mktemp -d /tmp/confab-cluster-scale.XXXXXX)
server_pids=()
relay_pids=()
stop_relays() {
  for pid in "${relay_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${relay_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  relay_pids=()
}
cleanup() {
  stop_relays
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

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
PG_STATS=()
[ "${BENCH_PG_STATS:-0}" = 0 ] ||
  PG_STATS=(-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all)
# shellcheck disable=SC2086
"${as_user[@]}" "$PG_BINDIR/postgres" -D "$DIR/pg/data" -p "$PG_PORT" -k "$DIR/pg" \
  -c listen_addresses=127.0.0.1 "${PG_STATS[@]}" ${BENCH_PG_OPTIONS:-} >>"$DIR/pg.log" 2>&1 &
server_pids+=($!)
until "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do sleep 0.1; done

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --daemonize no --loglevel warning >/dev/null 2>&1 &
server_pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

# run NAME STORE N [noredis]: N relays on STORE (sqlite | postgresql), then the load
run() {
  local name=$1 store=$2 n=$3 store_conf="" redis="" urls=() admin_target
  local base="$DIR/$name"
  mkdir -p "$base"
  if [ "$store" = postgresql ]; then
    "$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U confab "$name"
    [ ${#PG_STATS[@]} -eq 0 ] ||
      psql -q -h 127.0.0.1 -p "$PG_PORT" -U confab -d "$name" \
        -c 'CREATE EXTENSION pg_stat_statements' -c 'SELECT pg_stat_statements_reset ()' >/dev/null
    store_conf="[store]
backend=postgresql
url=postgresql://confab@127.0.0.1:$PG_PORT/$name"
    [ "${4:-}" = noredis ] || redis="redis://127.0.0.1:$REDIS_PORT/0"
  elif [ "$n" -gt 1 ]; then
    # several relays on SQLite: one data directory (one file, its write lock shared) and Redis
    redis="redis://127.0.0.1:$REDIS_PORT/0"
  fi
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  for i in $(seq 1 "$n"); do
    cat >"$base/r$i.conf" <<CONF
[relay]
data-dir=$base/data-$( [ "$store" = sqlite ] && echo 1 || echo "$i")
$store_conf
[cluster]
redis=$redis
node-name=relay-$i
[limits]
messages-per-minute=1000000
messages-per-minute-per-ip=1000000
frames-per-second=1000000
frames-per-second-per-ip=1000000
hellos-per-minute-per-ip=1000000
max-connections-per-address=0
CONF
    if [ "$i" = 1 ]; then
      admin_target=(--config "$base/r1.conf")
      printf 'bench-password-123\n' >"$base/password"
      "$RELAY" migrate --config "$base/r1.conf" >/dev/null 2>&1 || true
      "$RELAY" admin create-user "${admin_target[@]}" --email bench@example.com \
        --password-file "$base/password" >/dev/null
      SITE_KEY=$("$RELAY" admin create-site "${admin_target[@]}" --owner bench@example.com --name Bench |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["site_key"])')
    fi
    "$RELAY" --config "$base/r$i.conf" --listen 127.0.0.1:0 >"$base/r$i.out" 2>"$base/r$i.log" &
    relay_pids+=($!)
    until grep -qs '^listening on' "$base/r$i.out"; do sleep 0.1; done
    urls+=("$(sed -n 's/^listening on //p' "$base/r$i.out")")
  done
  TOKEN=$(curl -sf -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"bench-password-123"}' "${urls[0]}/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  printf '{"setup":"%s",' "$name"
  node bench/cluster-scale.mjs --urls="$(IFS=,; echo "${urls[*]}")" --token="$TOKEN" \
    --site_key="$SITE_KEY" --rate="$RATE" --seconds="$SECONDS_" --visitors="$VISITORS" | sed 's/^{//'
  stop_relays
  if [ "$store" = postgresql ] && [ ${#PG_STATS[@]} -gt 0 ]; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U confab -d "$name" -P pager=off -c "
      SELECT calls, round (total_exec_time) AS total_ms,
             round ((total_exec_time / calls)::numeric, 3) AS mean_ms,
             left (regexp_replace (query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = '$name' ORDER BY total_exec_time DESC LIMIT 10" | sed "s/^/$name: /" >&2
  fi
  # why a relay refused or held frames (the SQLSTATE is in the message), on stderr
  grep -h -e 'Store unavailable' -e 'Could not store' -e 'database is locked' "$base"/r*.log |
    sed "s/^/$name: /" >&2 || true
}

run sqlite_1 sqlite 1
# SQLITE_RELAYS="2 3": relays sharing one SQLite data directory, with Redis
for n in ${SQLITE_RELAYS:-}; do
  run "sqlite_$n" sqlite "$n"
done
# one relay on PostgreSQL without Redis: its writer thread stores batches in one flight
run postgresql_1_noredis postgresql 1 noredis
for n in ${RELAYS:-1 2 3}; do
  run "postgresql_$n" postgresql "$n"
done
