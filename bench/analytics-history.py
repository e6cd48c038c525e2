#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a busy site's history straight into a relay's database, in the relay's own schema, for
bench/analytics (issue 11). The database must exist (the admin CLI creates and migrates it) and
hold the site and its members already; the relay must not be running.

    bench/analytics-history.py DB SITE_ID [--conversations N] [--messages-per N] [--days N]
                               [--end YYYY-MM-DD] [--seed N]

Conversations are spread over the days before --end, busier on weekdays and in office hours
(UTC), and written in the order they start, as a relay writes them. Each has a visitor opener
drawn from a few dozen common ones, replies alternating between visitor and agents (first
response after 5 s to 30 min), now and then an FAQ bot answer and a request for a person, a
resolution (most of them, with its timeline event) and a rating (a third). Every message gets
its event row, as the relay writes them; the relay's triggers (schema 11) keep the analytics
columns and counts as they would. Prints what it wrote.
"""

import argparse
import datetime
import json
import random
import sqlite3
import sys
import time

OPENERS = [
    "Hello, where is my order?", "where is my order", "Hi", "Hello", "Do you ship abroad?",
    "How do I reset my password?", "I want a refund", "Can I change my address?",
    "Is this in stock?", "What are your opening hours?", "My payment failed", "Help!",
    "Can I talk to a person?", "How long does delivery take?", "Do you have a discount code?",
    "The app crashes on start", "I cannot log in", "Where can I find my invoice?",
]
# hours of the day by weight (UTC), busiest in office hours
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 2, 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("site_id")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", default="2026-12-01")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    db = sqlite3.connect(args.db, isolation_level=None)  # BEGIN/COMMIT as written below
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")

    members = [row[0] for row in db.execute("SELECT user_id FROM memberships WHERE site_id = ?",
                                            (args.site_id,))]
    if not members:
        sys.exit(f"{args.site_id}: no such site, or no members")

    now_ms = int(time.time() * 1000)
    faqs = []
    for n, question in enumerate(OPENERS[:8]):
        faq_id = f"faq_bench{n:03d}"
        faqs.append(faq_id)
        db.execute("INSERT OR IGNORE INTO faqs (id, site_id, question, answer, created_at, updated_at) "
                   "VALUES (?, ?, ?, 'See our help pages.', ?, ?)",
                   (faq_id, args.site_id, question, now_ms, now_ms))

    end = datetime.datetime.fromisoformat(args.end).replace(tzinfo=datetime.timezone.utc)
    start_ms = int((end - datetime.timedelta(days=args.days)).timestamp() * 1000)
    day_ms = 86_400_000
    hours = [h for h, w in enumerate(HOUR_WEIGHTS) for _ in range(w)]
    cursor = (db.execute("SELECT coalesce(max(cursor), 0) FROM events").fetchone()[0] or 0) + 1

    visitors, conversations, messages, events, timeline, ratings, humans = [], [], [], [], [], [], []
    n_visitors = max(1, args.conversations * 6 // 10)
    visitor_times = {}
    totals = {"messages": 0, "events": 0}

    def flush():
        db.executemany("INSERT INTO visitors (id, site_id, token_hash, name, first_seen, last_seen) "
                       "VALUES (?, ?, 'x', ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                       "first_seen = min (first_seen, excluded.first_seen), "
                       "last_seen = max (last_seen, excluded.last_seen)", visitors)
        db.executemany("INSERT INTO conversations (id, site_id, visitor_id, status, assignee_id, "
                       "created_at, last_message_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       conversations)
        db.executemany("INSERT INTO events (cursor, site_id, kind, conversation_id, seq, payload, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", events)
        db.executemany("INSERT INTO messages (conversation_id, seq, cursor, sender_type, sender_id, "
                       "body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", messages)
        db.executemany("INSERT INTO ratings (conversation_id, score, created_at) VALUES (?, ?, ?)",
                       ratings)
        db.executemany("INSERT INTO human_requests (conversation_id, created_at) VALUES (?, ?)", humans)
        totals["messages"] += len(messages)
        totals["events"] += len(events)
        for rows in (visitors, conversations, messages, events, timeline, ratings, humans):
            rows.clear()

    starts = []
    for n in range(args.conversations):
        day = rng.randrange(args.days)
        while (start_ms // day_ms + day + 3) % 7 >= 5 and rng.random() < 0.6:   # quieter weekends
            day = rng.randrange(args.days)
        starts.append(start_ms + day * day_ms + rng.choice(hours) * 3_600_000 + rng.randrange(3_600_000))
    # a relay stores conversations as they start: rows in time order, as here
    starts.sort()

    db.execute("BEGIN")
    for n, created in enumerate(starts):
        visitor_id = f"vis_b{rng.randrange(n_visitors):07d}"
        conversation_id = f"conv_b{n:07d}"
        assignee = rng.choice(members)
        visitors.append((visitor_id, args.site_id, None, created, created))

        at = created
        bot = rng.random() < 0.15
        person = not bot or rng.random() < 0.4
        seq = 0
        payload = "{}"
        for i in range(args.messages_per):
            seq += 1
            if i == 0:
                kind, sender, body = "visitor", visitor_id, rng.choice(OPENERS)
            elif i == 1 and bot:
                kind, sender, body = "bot", rng.choice(faqs), "See our help pages."
                at += 800
            elif not person:
                kind, sender, body = "visitor", visitor_id, "Thanks"
                at += rng.randrange(5_000, 120_000)
            elif i % 2 == 1 or (bot and i == 2):
                kind, sender, body = "agent", assignee, "Let me look into that for you."
                at += rng.randrange(5_000, 1_800_000) if i <= 2 else rng.randrange(5_000, 300_000)
            else:
                kind, sender, body = "visitor", visitor_id, "Thank you, that helps."
                at += rng.randrange(5_000, 300_000)
            events.append((cursor, args.site_id, "message", conversation_id, seq, payload, at))
            messages.append((conversation_id, seq, cursor, kind, sender, body, at))
            cursor += 1
        if bot and person:
            humans.append((conversation_id, created + 900))

        status = "open"
        if rng.random() < 0.85:
            status = "resolved"
            resolved = at + rng.randrange(60_000, 7_200_000)
            frame = json.dumps({"type": "timeline", "site_id": args.site_id,
                                "conversation_id": conversation_id,
                                "event": {"kind": "resolved", "actor": None, "target": None}})
            events.append((cursor, args.site_id, "timeline", conversation_id, None, frame, resolved))
            cursor += 1
            if rng.random() < 0.33:
                ratings.append((conversation_id, rng.choice([1, 2, 3, 4, 4, 5, 5, 5]), resolved + 1000))
        conversations.append((conversation_id, args.site_id, visitor_id, status, assignee if person else None,
                              created, at, seq))
        if len(messages) >= 100_000:
            flush()
    flush()
    db.execute("COMMIT")
    db.close()
    print(json.dumps({"conversations": args.conversations, "messages": totals["messages"],
                      "events": totals["events"], "visitors_max": n_visitors,
                      "from": datetime.datetime.fromtimestamp(start_ms / 1000, datetime.timezone.utc)
                      .date().isoformat(), "to": args.end}))


if __name__ == "__main__":
    main()
