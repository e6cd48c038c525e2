#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What a retention purge costs the relay's main loop: builds a site with CONVERSATIONS resolved
# conversations of 50 messages each, all older than its retention_days (30), starts the relay
# (which purges at start, CONFAB_RETENTION_BATCH conversations per main-loop turn), and reports
# the whole purge's time, the slowest and the median batch, and the slowest /healthz answer
# while it ran (how long a visitor's frame could wait behind a batch).
#
#   bench/retention-purge.sh [CONVERSATIONS]     default: 10000 (500,000 messages)
#
# Not a test: scripts/test does not run it. Needs the sqlite3 CLI, curl and a built relay
# (BUILD, default build/). The database goes to a temporary directory, removed at the end.

set -euo pipefail
cd "$(dirname "$0")/.."

conversations=${1:-10000}
relay=${BUILD:-build}/relay/confab-relay
[ -x "$relay" ] || { echo "build the relay first: meson compile -C ${BUILD:-build}" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

mkdir -p "$work/data"
# the schema, from the relay itself
"$relay" --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
until grep -q '^listening on ' "$work/out" 2>/dev/null; do sleep 0.01; done
kill -TERM "$pid"; wait "$pid" || true

messages=$((conversations * 50))
sqlite3 "$work/data/confab.db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO sites (id, name, site_key, settings, created_at)
  VALUES ('s', 'Bench', 'k', '{"retention_days":30}', 0);
INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen) VALUES ('v', 's', 'h', 0, 0);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $conversations - 1)
INSERT INTO conversations (id, site_id, visitor_id, status, created_at, last_message_at, last_seq)
SELECT 'c' || i, 's', 'v', 'resolved', 0, 0, 50 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $messages - 1)
INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at)
SELECT i + 1, 's', 'message', 'c' || (i / 50), i % 50 + 1, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $messages - 1)
INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, body, created_at)
SELECT 'c' || (i / 50), i % 50 + 1, i + 1, lower(hex(randomblob(16))), 'visitor', 'v',
       'A message of about the length of a chat line, ' || hex(randomblob(40)), 0 FROM n;
COMMIT;
.output /dev/null
PRAGMA wal_checkpoint(TRUNCATE);
.output stdout
SQL

t0=$(date +%s.%N)
"$relay" --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
until grep -q '^listening on ' "$work/out" 2>/dev/null; do sleep 0.01; done
url=$(sed -n 's/^listening on //p' "$work/out")
worst=0
until grep -q 'Retention purged' "$work/err"; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  t=$(curl -s -o /dev/null -w '%{time_total}' "$url/healthz")
  worst=$(awk "BEGIN { print ($t > $worst) ? $t : $worst }")
done
t1=$(date +%s.%N)
kill -TERM "$pid"; wait "$pid" || true

left=$(sqlite3 "$work/data/confab.db" "SELECT count(*) FROM messages")
echo "conversations purged:  $conversations ($messages messages; $left left)"
echo "relay:                 $(grep -o 'Retention purged.*' "$work/err")"
echo "from start to done:    $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
echo "slowest /healthz:      $(awk "BEGIN { printf \"%.1f\", $worst * 1000 }") ms while purging"
