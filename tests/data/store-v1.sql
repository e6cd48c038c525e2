-- SPDX-License-Identifier: GPL-3.0-or-later
-- A schema version 1 database with data, dumped by Python sqlite3 iterdump() after running
-- migration v1 of relay/confab-store-sqlite.c. Never regenerate it from a newer schema:
-- it stands for databases that v1 relays left in the field.
-- Made by a throwaway program that #includes the .c file, runs migrations[0] on a new file,
-- sets user_version = 1 and inserts these rows; then sqlite3.connect(path).iterdump().
BEGIN TRANSACTION;
CREATE TABLE conversations (
  id               TEXT PRIMARY KEY,
  site_id          TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  visitor_id       TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  status           TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
  assignee_id      TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at       INTEGER NOT NULL,
  last_message_at  INTEGER NOT NULL,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  agent_read_seq   INTEGER NOT NULL DEFAULT 0,
  visitor_read_seq INTEGER NOT NULL DEFAULT 0,
  -- visitor messages after agent_read_seq, kept by the store: counting them on every read
  -- would cost a scan of the whole backlog of a conversation nobody has read
  unread           INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "conversations" VALUES('conv_0v1conversation00000','site_0v1site0000000000000','vis_0v1visitor00000000000','open','usr_0v1user00000000000000',1700000030000,1700000050000,3,2,2,1);
CREATE TABLE events (
  -- AUTOINCREMENT: a cursor is never handed out twice, even if the newest events are deleted
  cursor          INTEGER PRIMARY KEY AUTOINCREMENT,
  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER,
  payload         TEXT,
  created_at      INTEGER NOT NULL
);
INSERT INTO "events" VALUES(1,'site_0v1site0000000000000','message','conv_0v1conversation00000',1,NULL,1700000030000);
INSERT INTO "events" VALUES(2,'site_0v1site0000000000000','message','conv_0v1conversation00000',2,NULL,1700000040000);
INSERT INTO "events" VALUES(3,'site_0v1site0000000000000','conversation','conv_0v1conversation00000',NULL,'{"type":"conversation","id":"conv_0v1conversation00000","assignee_id":"usr_0v1user00000000000000"}',1700000041000);
INSERT INTO "events" VALUES(4,'site_0v1site0000000000000','message','conv_0v1conversation00000',3,NULL,1700000050000);
CREATE TABLE memberships (
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;
INSERT INTO "memberships" VALUES('site_0v1site0000000000000','usr_0v1user00000000000000','owner',1700000001000);
CREATE TABLE messages (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,
  cursor          INTEGER NOT NULL UNIQUE REFERENCES events (cursor),
  client_id       TEXT, -- NULL for bot/system messages: NULLs never collide in UNIQUE
  sender_type     TEXT NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'bot', 'system')),
  sender_id       TEXT,
  sender_name     TEXT,
  body            TEXT,
  attachment_id   TEXT,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (sender_type, sender_id, client_id),
  CHECK (body IS NOT NULL OR attachment_id IS NOT NULL)
) WITHOUT ROWID;
INSERT INTO "messages" VALUES('conv_0v1conversation00000',1,1,'c1d2a6f0-0000-4000-8000-000000000001','visitor','vis_0v1visitor00000000000',NULL,'Hello, do you ship to Austria?',NULL,1700000030000);
INSERT INTO "messages" VALUES('conv_0v1conversation00000',2,2,'c1d2a6f0-0000-4000-8000-000000000002','agent','usr_0v1user00000000000000','Olga','Yes, in 3 to 5 days.',NULL,1700000040000);
INSERT INTO "messages" VALUES('conv_0v1conversation00000',3,4,'c1d2a6f0-0000-4000-8000-000000000003','visitor','vis_0v1visitor00000000000',NULL,NULL,'att_0v1attachment0000000',1700000050000);
CREATE TABLE page_views (
  id         INTEGER PRIMARY KEY,
  visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  url        TEXT NOT NULL,
  title      TEXT,
  at         INTEGER NOT NULL,
  left_at    INTEGER -- NULL while the visitor is still on the page
);
INSERT INTO "page_views" VALUES(1,'vis_0v1visitor00000000000','https://example.org/','Home',1700000010000,1700000020000);
INSERT INTO "page_views" VALUES(2,'vis_0v1visitor00000000000','https://example.org/pricing','Pricing',1700000020000,NULL);
CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  site_key   TEXT NOT NULL UNIQUE,
  domains    TEXT NOT NULL DEFAULT '[]', -- JSON array of host patterns
  settings   TEXT NOT NULL DEFAULT '{}', -- JSON object
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
INSERT INTO "sites" VALUES('site_0v1site0000000000000','Example shop','sk_v1sitekeyv1sitekeyv1sk','["example.org","*.example.org"]','{}',1,1700000001000);
CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY, -- SHA-256 hex: the token itself is never stored
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,          -- NULL: never
  revoked_at INTEGER
) WITHOUT ROWID;
INSERT INTO "tokens" VALUES('5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8','usr_0v1user00000000000000',1700000002000,NULL,NULL);
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
INSERT INTO "users" VALUES('usr_0v1user00000000000000','Owner@Example.org','Olga Owner','$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$notarealhashnotarealhash',1700000000000);
CREATE TABLE visitors (
  id          TEXT PRIMARY KEY,
  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  token_hash  TEXT NOT NULL,
  name        TEXT,
  email       TEXT,
  locale      TEXT,
  timezone    TEXT,
  browser     TEXT,
  os          TEXT,
  country     TEXT,
  city        TEXT,
  fingerprint TEXT,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  visits      INTEGER NOT NULL DEFAULT 1
);
INSERT INTO "visitors" VALUES('vis_0v1visitor00000000000','site_0v1site0000000000000','b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c',NULL,NULL,'de-DE',NULL,NULL,NULL,'DE',NULL,NULL,1700000010000,1700000100000,2);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX visitors_site ON visitors (site_id, last_seen);
CREATE INDEX page_views_visitor ON page_views (visitor_id, at);
CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at);
CREATE INDEX events_site ON events (site_id, cursor);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('events',4);
COMMIT;
PRAGMA user_version=1;
