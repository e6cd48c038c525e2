-- SPDX-License-Identifier: GPL-3.0-or-later
-- A schema version 8 database with data: one owner (password "owner password 8", made by
-- `confab-relay admin create-user`), their site, and one token. Made by a relay of schema 9
-- (create-user, create-site), then DROP TABLE setup_codes (migration 9 only adds that table),
-- user_version = 8, the token inserted, then the sqlite3 shell's .dump. Never regenerate it
-- from a newer schema: it stands for databases in the field.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
INSERT INTO users VALUES('usr_ye1cpvj6gm3xg4bwht55','owner@example.org','Otto Owner','$argon2id$v=19$m=65536,t=2,p=1$uA0o3NrrNXE9xjibwTpXuA$R5Kqtszk9PjB1lv8mKTiOha7FpPhahw4RQnOnvLBJFo',1796616535258);
CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  site_key   TEXT NOT NULL UNIQUE,
  domains    TEXT NOT NULL DEFAULT '[]', -- JSON array of host patterns
  settings   TEXT NOT NULL DEFAULT '{}', -- JSON object
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
INSERT INTO sites VALUES('site_v3465embqe9wjvtzdjmv','Example','sk_vBrao3kazfeAOJJnPBMmNY3k','[]','{}',1,1796616537100);
CREATE TABLE memberships (
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;
INSERT INTO memberships VALUES('site_v3465embqe9wjvtzdjmv','usr_ye1cpvj6gm3xg4bwht55','owner',1796616537100);
CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY, -- SHA-256 hex: the token itself is never stored
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,          -- NULL: never
  revoked_at INTEGER
) WITHOUT ROWID;
INSERT INTO tokens VALUES('0000000000000000000000000000000000000000000000000000000000000008','usr_ye1cpvj6gm3xg4bwht55',1700000000000,NULL,NULL);
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
, country_name TEXT, geo_timezone TEXT, browser_version TEXT, os_version TEXT, device_type TEXT, linked_to TEXT REFERENCES visitors (id) ON DELETE SET NULL, consent_at INTEGER, ip_hash TEXT);
CREATE TABLE page_views (
  id         INTEGER PRIMARY KEY,
  visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  url        TEXT NOT NULL,
  title      TEXT,
  at         INTEGER NOT NULL,
  left_at    INTEGER -- NULL while the visitor is still on the page
);
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
CREATE TABLE events (
  -- AUTOINCREMENT: a cursor is never handed out twice, even if the newest events are deleted
  cursor          INTEGER PRIMARY KEY AUTOINCREMENT,
  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL,
  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER,
  payload         TEXT,
  created_at      INTEGER NOT NULL
, visitor_id TEXT);
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
CREATE TABLE ratings (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  score           INTEGER NOT NULL,
  comment         TEXT,
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE offline_messages (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  visitor_id TEXT REFERENCES visitors (id) ON DELETE SET NULL,
  name       TEXT,
  email      TEXT,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  -- no foreign keys: the trail must outlive the users and sites it mentions
  user_id TEXT,
  site_id TEXT,
  action  TEXT NOT NULL,
  detail  TEXT,
  ip_hash TEXT
);
CREATE TABLE faqs (
  -- the FTS index's rowid: an explicit INTEGER PRIMARY KEY, which VACUUM never renumbers
  n           INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  question    TEXT NOT NULL,
  answer      TEXT NOT NULL,
  keywords    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
  views       INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
PRAGMA writable_schema=ON;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','faqs_fts','faqs_fts',0,'CREATE VIRTUAL TABLE faqs_fts USING fts5 (
  question, answer, keywords,
  content = ''faqs'', content_rowid = ''n'',
  tokenize = ''unicode61 remove_diacritics 2''
)');
CREATE TABLE IF NOT EXISTS 'faqs_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
INSERT INTO faqs_fts_data VALUES(1,X'');
INSERT INTO faqs_fts_data VALUES(10,X'00000000000000');
CREATE TABLE IF NOT EXISTS 'faqs_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS 'faqs_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE IF NOT EXISTS 'faqs_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO faqs_fts_config VALUES('version',4);
CREATE TABLE faq_feedback (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  faq_id          TEXT NOT NULL REFERENCES faqs (id) ON DELETE CASCADE,
  helpful         INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, faq_id)
) WITHOUT ROWID;
CREATE TABLE human_requests (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE canned_responses (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  shortcut   TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (site_id, shortcut)
);
CREATE TABLE uploads (
  id              TEXT PRIMARY KEY,
  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  -- NULL until the uploading visitor's first message creates their conversation
  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
  visitor_id      TEXT REFERENCES visitors (id) ON DELETE CASCADE,
  user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,
  sha256          TEXT NOT NULL,
  mime            TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  size            INTEGER NOT NULL,
  thumb_width     INTEGER NOT NULL,
  thumb_height    INTEGER NOT NULL,
  thumb_size      INTEGER NOT NULL,
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
DELETE FROM sqlite_sequence;
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX visitors_site ON visitors (site_id, last_seen);
CREATE INDEX page_views_visitor ON page_views (visitor_id, at);
CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at);
CREATE INDEX events_site ON events (site_id, cursor);
CREATE INDEX offline_messages_site ON offline_messages (site_id, created_at);
CREATE INDEX audit_log_site ON audit_log (site_id, at);
CREATE INDEX conversations_site_activity ON conversations (site_id, last_message_at);
CREATE INDEX faqs_site ON faqs (site_id, created_at);
CREATE TRIGGER faqs_fts_insert AFTER INSERT ON faqs BEGIN
  INSERT INTO faqs_fts (rowid, question, answer, keywords)
  VALUES (new.n, new.question, new.answer, new.keywords);
END;
CREATE TRIGGER faqs_fts_delete AFTER DELETE ON faqs BEGIN
  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords)
  VALUES ('delete', old.n, old.question, old.answer, old.keywords);
END;
CREATE TRIGGER faqs_fts_update AFTER UPDATE OF question, answer, keywords ON faqs BEGIN
  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords)
  VALUES ('delete', old.n, old.question, old.answer, old.keywords);
  INSERT INTO faqs_fts (rowid, question, answer, keywords)
  VALUES (new.n, new.question, new.answer, new.keywords);
END;
CREATE INDEX faq_feedback_faq ON faq_feedback (faq_id);
CREATE INDEX visitors_fingerprint ON visitors (site_id, fingerprint, last_seen)
  WHERE fingerprint IS NOT NULL;
CREATE INDEX visitors_linked ON visitors (linked_to) WHERE linked_to IS NOT NULL;
CREATE INDEX uploads_conversation ON uploads (conversation_id);
CREATE INDEX uploads_sha256 ON uploads (sha256);
CREATE INDEX visitors_token ON visitors (token_hash);
CREATE INDEX visitors_ip_hash ON visitors (site_id, ip_hash);
CREATE INDEX events_visitor ON events (visitor_id, cursor) WHERE visitor_id IS NOT NULL;
CREATE INDEX events_rating ON events (conversation_id, cursor) WHERE kind = 'rating';
PRAGMA writable_schema=OFF;
COMMIT;
PRAGMA user_version=8;
