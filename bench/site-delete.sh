#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What deleting a big site costs the relay's main loop (issue 10):
#
#   bench/site-delete.sh RELAY [CONVERSATIONS] [MESSAGES_EACH]     (defaults 5000, 10)
#
# Two sites get CONVERSATIONS conversations of MESSAGES_EACH messages each, written straight
# into a fresh store (the relay stopped); then the relay runs, the owner deletes the first site,
# and a probe asks /healthz every 5 ms until the site's rows are gone. Prints when the DELETE
# answered, when the rows were gone and how long /healthz waited at worst. Not a test: numbers
# for bench/README.md.
set -euo pipefail

relay=$(realpath "$1")
conversations=${2:-5000}
messages=${3:-10}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

data="$tmp/data"
mkdir "$data"
echo "a long password 1" >"$tmp/pw"
"$relay" admin create-user --data-dir "$data" --email owner@bench.test --password-file "$tmp/pw" >/dev/null
site_of() { "$relay" admin create-site --data-dir "$data" --owner owner@bench.test --name "$1" |
            python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
big=$(site_of Big)
other=$(site_of Other)

python3 - "$data/confab.db" "$conversations" "$messages" "$big" "$other" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n, per = int(sys.argv[2]), int(sys.argv[3])
with db:
    for site in sys.argv[4:]:
        for i in range(n):
            v, c = f"vis_{site[-6:]}{i}", f"conv_{site[-6:]}{i}"
            db.execute("INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen) VALUES (?,?,'x',1,1)", (v, site))
            db.execute("INSERT INTO page_views (visitor_id, url, at) VALUES (?,'https://bench.test/',1)", (v,))
            db.execute("INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at, last_seq) VALUES (?,?,?,1,1,?)", (c, site, v, per))
            for s in range(1, per + 1):
                cursor = db.execute("INSERT INTO events (site_id, kind, conversation_id, seq, created_at) VALUES (?,'message',?,?,1)", (site, c, s)).lastrowid
                db.execute("INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, body, created_at) "
                           "VALUES (?,?,?,?,'visitor',?,'A message of a usual length, about as long as this one.',1)", (c, s, cursor, f"{i}-{s}", v))
PY

"$relay" --listen 127.0.0.1:0 --data-dir "$data" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/out" && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$tmp/out" | head -1)

python3 - "$port" "$big" "$data/confab.db" "$conversations" "$messages" <<'PY'
import json, sqlite3, sys, threading, time, urllib.request
port, site, db_path = sys.argv[1], sys.argv[2], sys.argv[3]
login = urllib.request.Request(f"http://{port}/api/v1/auth/login", method="POST",
                               data=json.dumps({"email": "owner@bench.test", "password": "a long password 1"}).encode(),
                               headers={"Content-Type": "application/json"})
token = json.load(urllib.request.urlopen(login))["token"]
waits, done = [], False
def probe():
    while not done:
        t = time.time(); urllib.request.urlopen(f"http://{port}/healthz").read(); waits.append(time.time() - t)
        time.sleep(0.005)
thread = threading.Thread(target=probe); thread.start(); time.sleep(0.3)
delete = urllib.request.Request(f"http://{port}/api/v1/sites/{site}", method="DELETE",
                                headers={"Authorization": "Bearer " + token})
start = time.time(); urllib.request.urlopen(delete); answered = time.time() - start
db = sqlite3.connect(db_path)
while db.execute("SELECT count(*) FROM sites WHERE id = ?", (site,)).fetchone()[0]:
    time.sleep(0.05)
gone = time.time() - start
time.sleep(0.3); done = True; thread.join(); waits.sort()
print(f"{sys.argv[4]} conversations × {sys.argv[5]} messages (and as many of another site): "
      f"DELETE answered in {answered:.3f} s, rows gone after {gone:.1f} s; /healthz waited "
      f"p50 {waits[len(waits) // 2]:.3f} s, p99 {waits[int(len(waits) * 0.99)]:.3f} s, max {waits[-1]:.3f} s")
PY
