#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fills a stopped relay's database with history, fast, in SQL (not through the socket).

    bench/seed-history.py DB SITE_ID VISITORS PER_CONVERSATION TOTAL > visitors.json

VISITORS visitors, each with one open conversation of PER_CONVERSATION messages (the visitor's
own, no agent reply: the conversations the bot still watches), then filler conversations of 100
messages from other visitors until the store holds TOTAL messages. Each message has its event,
as the relay writes them. Prints {"after_cursor", "visitors":[{"visitor_id","visitor_token"}]}
(the first VISITORS): bench/relay-load.mjs --resume=FILE says hello as them, so its messages
land in those conversations, and subscribes its agents after the history (the catch-up is
another bench). The relay must not be running.
"""
import hashlib
import json
import sqlite3
import sys
import time

db_path, site_id = sys.argv[1], sys.argv[2]
visitors, per_conversation, total = (int(a) for a in sys.argv[3:6])
FILLER = 100

db = sqlite3.connect(db_path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = OFF")
db.execute("PRAGMA temp_store = MEMORY")
db.execute("PRAGMA cache_size = -262144")
db.execute("BEGIN")

now = int(time.time() * 1000) - 3_600_000
base = db.execute("SELECT coalesce(max(cursor), 0) FROM events").fetchone()[0]

db.execute("CREATE TEMP TABLE seed (k INTEGER PRIMARY KEY, conversation_id TEXT, visitor_id TEXT, "
           "messages INTEGER, base INTEGER)")
rows, out, cursor = [], [], base
fillers = max(0, total - visitors * per_conversation) // FILLER
for k in range(visitors + fillers):
    count = per_conversation if k < visitors else FILLER
    visitor_id = f"vis_bench{k:016d}"
    token = f"bench-visitor-token-{k}"
    db.execute("INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen) "
               "VALUES (?, ?, ?, ?, ?)",
               (visitor_id, site_id, hashlib.sha256(token.encode()).hexdigest(), now, now))
    rows.append((k, f"conv_bench{k:015d}", visitor_id, count, cursor))
    cursor += count
    if k < visitors:
        out.append({"visitor_id": visitor_id, "visitor_token": token})
db.executemany("INSERT INTO seed VALUES (?, ?, ?, ?, ?)", rows)
db.execute("INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at, "
           "last_seq, unread) SELECT conversation_id, ?1, visitor_id, ?2, ?2 + messages, messages, "
           "messages FROM seed", (site_id, now))

numbers = ("WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) ")
db.execute(numbers +
           "INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at) "
           "SELECT s.base + n.i, ?1, 'message', s.conversation_id, n.i, ?3 + n.i "
           "FROM seed s JOIN n ON n.i <= s.messages ORDER BY s.k, n.i",
           (site_id, max(per_conversation, FILLER), now))
db.execute(numbers +
           "INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, "
           "body, created_at) "
           "SELECT s.conversation_id, n.i, s.base + n.i, 'seed-' || s.k || '-' || n.i, 'visitor', "
           "s.visitor_id, 'seeded message ' || n.i, ?3 + n.i "
           "FROM seed s JOIN n ON n.i <= s.messages ORDER BY s.conversation_id, n.i",
           (site_id, max(per_conversation, FILLER), now))
if db.execute("SELECT 1 FROM sqlite_schema WHERE name = 'messages_fts_pending'").fetchone():
    # as the relay does at each commit (schema 15): the noted messages into the search index
    db.execute("INSERT INTO messages_fts (rowid, body) SELECT p.cursor, "
               "(SELECT m.body FROM messages m WHERE m.cursor = p.cursor) FROM messages_fts_pending p")
    db.execute("DELETE FROM messages_fts_pending")
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
count = db.execute("SELECT count(*) FROM messages").fetchone()[0]
print(f"seeded: {count} messages in {len(rows)} conversations", file=sys.stderr)
last = db.execute("SELECT max(cursor) FROM events").fetchone()[0]
json.dump({"after_cursor": last, "visitors": out}, sys.stdout)
