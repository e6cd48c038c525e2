#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What PRAGMA quick_check at start costs: builds a database of MESSAGES messages (with their
# events, in one conversation per 50 messages) through the relay's own schema, then times the
# relay from start to "listening" with it, page cache warm and (as root) cold.
#
#   bench/quick-check.sh [MESSAGES]     default: 2000000 (about 1 GB)
#
# Not a test: scripts/test does not run it. Needs the sqlite3 CLI and a built relay
# (BUILD, default build/). The database goes to a temporary directory, removed at the end.
# Also prints what the bulk insert cost per message, triggers included.

set -euo pipefail
cd "$(dirname "$0")/.."

messages=${1:-2000000}
relay=${BUILD:-build}/relay/confab-relay
[ -x "$relay" ] || { echo "build the relay first: meson compile -C ${BUILD:-build}" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

start_relay() {  # → seconds from start to "listening"
  local t0 t1
  t0=$(date +%s.%N)
  "$relay" --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
  local pid=$!
  until grep -q '^listening on ' "$work/out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s.%N)
  kill -TERM "$pid"; wait "$pid" || true
  awk "BEGIN { print $t1 - $t0 }"
}

mkdir -p "$work/data"
start_relay >/dev/null   # creates the schema

# The bulk insert below goes through the schema's triggers (analytics counts, the search
# index): its time per message is what those cost every message of the relay (issue 12, 14).
# CPU time (user + system) rather than wall time: the machine may be busy with other work.
TIMEFORMAT='%U %S'
{ time sqlite3 "$work/data/confab.db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO sites (id, name, site_key, created_at) VALUES ('s', 'Bench', 'k', 0);
INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen) VALUES ('v', 's', 'h', 0, 0);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $messages / 50)
INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at)
SELECT 'c' || i, 's', 'v', 0, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $messages)
INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at)
SELECT i, 's', 'message', 'c' || (i / 50), i % 50 + 1, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $messages)
INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, body, created_at)
SELECT 'c' || (i / 50), i % 50 + 1, i, lower(hex(randomblob(16))), 'visitor', 'v',
       'A message of about the length of a chat line, ' || hex(randomblob(40)), 0 FROM n;
COMMIT;
.output /dev/null
PRAGMA wal_checkpoint(TRUNCATE);
.output stdout
SQL
} 2>"$work/insert-time"
insert_cpu=$(awk '{ print $1 + $2 }' "$work/insert-time")

size=$(du -m "$work/data/confab.db" | cut -f1)
warm=$(start_relay)
cold=n/a
if [ "$(id -u)" = 0 ]; then
  sync; echo 3 > /proc/sys/vm/drop_caches
  cold=$(start_relay)
fi
t0=$(date +%s.%N)
sqlite3 "$work/data/confab.db" "PRAGMA quick_check;" >/dev/null
t1=$(date +%s.%N)
check=$(awk "BEGIN { print $t1 - $t0 }")

echo "messages: $messages, database: $size MB"
echo "insert (one transaction, every trigger): $(awk "BEGIN { printf \"%.1f\", $insert_cpu * 1e6 / $messages }") µs of CPU per message"
echo "relay start to listening: ${warm}s warm, ${cold}s cold; quick_check alone (sqlite3): ${check}s"
