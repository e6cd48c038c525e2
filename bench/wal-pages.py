#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each commit of a SQLite database wrote, by B-tree (issue 12): the pages of every
transaction still in DB's write-ahead log, each named by the table or index that owns it now
(SQLite's dbstat), as pages per commit.

    bench/wal-pages.py DB [SKIP]     SKIP: leave out the first SKIP commits (the set-up)

Run it on a copy of a database and its -wal taken while nothing checkpoints it (a relay
checkpoints once the log holds 1,000 pages: copy the files during a run, or drive the store
with `PRAGMA wal_autocheckpoint=0` as in bench/README.md). Not a test.
"""
import collections
import sqlite3
import struct
import sys

path = sys.argv[1]
skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
data = open(path + "-wal", "rb").read()
# read-only: closing it must not checkpoint the log away
db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
owner = {page: name for name, page in db.execute("SELECT name, pageno FROM dbstat")}
page_size = struct.unpack(">I", data[8:12])[0]

commits, pages, offset = [], set(), 32  # the WAL header, then frames: 24 bytes + a page
while offset + 24 + page_size <= len(data):
    page, size_after_commit = struct.unpack(">II", data[offset:offset + 8])
    pages.add(page)
    if size_after_commit:  # the last frame of a transaction
        commits.append(pages)
        pages = set()
    offset += 24 + page_size
commits = commits[skip:]
if not commits:
    sys.exit("no commits in the log")

by_tree = collections.Counter(owner.get(page, "?") for commit in commits for page in commit)
print(f"{len(commits)} commits, {sum(map(len, commits)) / len(commits):.1f} pages per commit")
for name, count in by_tree.most_common():
    print(f"{count / len(commits):7.1f}  {name}")
