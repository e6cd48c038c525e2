-- SPDX-License-Identifier: GPL-3.0-or-later
-- A schema version 10 database with data: one owner (password "owner password 10", made by
-- `confab-relay admin create-user`), their site, and an audit trail as relays of schema 10
-- wrote it (underscore actions, no actor name or target; one relay-wide "login") and one
-- offline_message event as they were logged (no visitor_id column set). Made by a
-- relay of schema 11 (create-user, create-site), then migration 10's additions undone (DROP
-- TABLE visitor_blocks, DROP INDEX audit_log_site_id, the four audit_log columns dropped),
-- the audit rows inserted, user_version = 10, then the sqlite3 shell's .dump (the event added
-- by hand before its COMMIT). Never regenerate
-- it from a newer schema: it stands for databases in the field.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
INSERT INTO users VALUES('usr_4jvd44sexkf6xe4dtc4k','owner@example.org','Otto Owner','$argon2id$v=19$m=65536,t=2,p=1$ZDK2V+SvVdYNO7xqbHozWw$mao/7CZNK7/KmRcNJNgOFTQWZaRiU5HDZAjTo3sCvao',1796622384446);
CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  site_key   TEXT NOT NULL UNIQUE,
  domains    TEXT NOT NULL DEFAULT '[]', -- JSON array of host patterns
  settings   TEXT NOT NULL DEFAULT '{}', -- JSON object
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
INSERT INTO sites VALUES('site_ch4tfbmfaxzxeebp9wt1','Shop','sk_9L-c1zI0RAHNzBTWih4vyptj','[]','{}',1,1796622388692);
CREATE TABLE memberships (
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;
INSERT INTO memberships VALUES('site_ch4tfbmfaxzxeebp9wt1','usr_4jvd44sexkf6xe4dtc4k','owner',1796622388692);
CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY, -- SHA-256 hex: the token itself is never stored
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,          -- NULL: never
  revoked_at INTEGER
) WITHOUT ROWID;
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
, status TEXT NOT NULL DEFAULT 'open'
  CHECK (status IN ('open', 'handled')), handled_by TEXT REFERENCES users (id) ON DELETE SET NULL, handled_at INTEGER, conversation_id TEXT
  REFERENCES conversations (id) ON DELETE SET NULL, page_url TEXT, page_title TEXT);
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
INSERT INTO audit_log VALUES(1,1796616000000,'usr_4jvd44sexkf6xe4dtc4k',NULL,'login',NULL,'aaaa');
INSERT INTO audit_log VALUES(2,1796616001000,'usr_4jvd44sexkf6xe4dtc4k','site_ch4tfbmfaxzxeebp9wt1','site_updated','{"changed":["name"]}','bbbb');
INSERT INTO audit_log VALUES(3,1796616002000,'usr_4jvd44sexkf6xe4dtc4k','site_ch4tfbmfaxzxeebp9wt1','member_role_changed','{"user_id":"usr_x","role":"admin","previous_role":"agent"}','bbbb');
INSERT INTO audit_log VALUES(4,1796616003000,'usr_4jvd44sexkf6xe4dtc4k','site_ch4tfbmfaxzxeebp9wt1','faq_deleted','{"faq_id":"faq_x"}','bbbb');
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
CREATE TABLE setup_codes (
  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  code_hash  TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reset')),
  site_id    TEXT REFERENCES sites (id) ON DELETE SET NULL, -- where it was made
  created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
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
CREATE INDEX offline_messages_status ON offline_messages (site_id, status);
CREATE INDEX events_timeline ON events (conversation_id, cursor) WHERE kind = 'timeline';
PRAGMA writable_schema=OFF;
INSERT INTO events (site_id, kind, payload, created_at) VALUES('site_ch4tfbmfaxzxeebp9wt1','offline_message','{"type":"offline_message","site_id":"site_ch4tfbmfaxzxeebp9wt1","offline_message":{"id":"off_old","visitor_id":"vis_old","name":"Ann","email":"ann@example.org","body":"Call me"},"open_count":1}',1796616004000);
COMMIT;
PRAGMA user_version=10;
