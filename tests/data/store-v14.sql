-- SPDX-License-Identifier: GPL-3.0-or-later
-- A schema version 14 database with data: store-v13.sql opened by a relay of schema 14 (its
-- migration indexed the stored messages in messages_fts, kept by triggers row by row), then the
-- sqlite3 shell's .dump. Never regenerate it from a newer schema: it stands for databases in the
-- field, those every migration after 14 finds (message search indexed at commit, webhooks, the
-- e-mail queue, Messenger and WhatsApp); store-v14-faqkb.sql is the same with two FAQs.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
, avatar_sha256 TEXT);
INSERT INTO users VALUES('usr_0v7user00000000000000','owner@example.org','Olga Owner','$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',1700000000000,NULL);
CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  site_key   TEXT NOT NULL UNIQUE,
  domains    TEXT NOT NULL DEFAULT '[]', -- JSON array of host patterns
  settings   TEXT NOT NULL DEFAULT '{}', -- JSON object
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
INSERT INTO sites VALUES('site_0v7site0000000000000','Example','sk_v7sitekeyv7sitekeyv7sk','[]','{}',1,1700000000000);
CREATE TABLE memberships (
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, user_id)
) WITHOUT ROWID;
INSERT INTO memberships VALUES('site_0v7site0000000000000','usr_0v7user00000000000000','owner',1700000000000);
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
INSERT INTO visitors VALUES('vis_0v7visitora0000000000','site_0v7site0000000000000','b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1700000010000,1700000090000,1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO visitors VALUES('vis_0v7visitorb0000000000','site_0v7site0000000000000','7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,1700000020000,1700000080000,1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE page_views (
  id         INTEGER PRIMARY KEY,
  visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  url        TEXT NOT NULL,
  title      TEXT,
  at         INTEGER NOT NULL,
  left_at    INTEGER -- NULL while the visitor is still on the page
);
INSERT INTO page_views VALUES(1,'vis_0v7visitora0000000000','https://example.org/','Home',1700000010000,1700000030000);
INSERT INTO page_views VALUES(2,'vis_0v7visitora0000000000','https://example.org/pricing','Pricing',1700000030000,1700000060000);
INSERT INTO page_views VALUES(3,'vis_0v7visitora0000000000','https://example.org/checkout','Pay',1700000060000,NULL);
INSERT INTO page_views VALUES(4,'vis_0v7visitorb0000000000','https://example.org/','Home',1700000020000,1700000080000);
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
, first_agent_reply_at INTEGER, first_visitor_seq INTEGER, first_visitor_at INTEGER, first_visitor_text TEXT, first_reply_at INTEGER, first_reply_by TEXT, agent_wrote INTEGER NOT NULL DEFAULT 0, bot_answered INTEGER NOT NULL DEFAULT 0, resolved_at INTEGER);
INSERT INTO conversations VALUES('conv_0v7conversation00000','site_0v7site0000000000000','vis_0v7visitora0000000000','resolved',NULL,1700000040000,1700000080000,3,0,0,0,1700000070000,1,1700000050000,'Is shipping free?',1700000070000,'usr_0v7user00000000000000',1,1,1700000100000);
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
INSERT INTO events VALUES(4,'site_0v7site0000000000000','conversation','conv_0v7conversation00000',NULL,'{"type":"conversation","site_id":"site_0v7site0000000000000","conversation":{"id":"conv_0v7conversation00000"}}',1700000040000,NULL);
INSERT INTO events VALUES(5,'site_0v7site0000000000000','message','conv_0v7conversation00000',1,NULL,1700000050000,NULL);
INSERT INTO events VALUES(6,'site_0v7site0000000000000','visitor',NULL,NULL,'{"type":"visitor","site_id":"site_0v7site0000000000000","visitor":{"id":"vis_0v7visitora0000000000","online":true,"page":{"url":"https://example.org/checkout"}}}',1700000060000,'vis_0v7visitora0000000000');
INSERT INTO events VALUES(7,'site_0v7site0000000000000','visitor',NULL,NULL,'{"type":"visitor","site_id":"site_0v7site0000000000000","visitor":{"id":"vis_0v7visitorb0000000000","online":false,"page":null}}',1700000080000,'vis_0v7visitorb0000000000');
INSERT INTO events VALUES(8,'site_0v7site0000000000000','message','conv_0v7conversation00000',2,NULL,1700000070000,NULL);
INSERT INTO events VALUES(10,'site_0v7site0000000000000','rating','conv_0v7conversation00000',NULL,'{"type":"rating","site_id":"site_0v7site0000000000000","conversation_id":"conv_0v7conversation00000","score":5,"comment":"Quick and kind"}',1700000095000,NULL);
INSERT INTO events VALUES(11,'site_0v7site0000000000000','message','conv_0v7conversation00000',3,'{}',1700000080000,NULL);
INSERT INTO events VALUES(12,'site_0v7site0000000000000','timeline','conv_0v7conversation00000',NULL,'{"type":"timeline","site_id":"site_0v7site0000000000000","conversation_id":"conv_0v7conversation00000","event":{"kind":"resolved","actor":{"id":"usr_0v7user00000000000000","name":"Olga Owner"},"target":null,"at":"2023-11-14T22:15:00.000Z"}}',1700000100000,NULL);
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
INSERT INTO messages VALUES('conv_0v7conversation00000',1,5,'c1d2a6f0-0000-4000-8000-000000000071','visitor','vis_0v7visitora0000000000',NULL,'Is shipping free?',NULL,1700000050000);
INSERT INTO messages VALUES('conv_0v7conversation00000',2,8,'c1d2a6f0-0000-4000-8000-000000000072','agent','usr_0v7user00000000000000','Olga Owner','Yes, above 50 EUR.',NULL,1700000070000);
INSERT INTO messages VALUES('conv_0v7conversation00000',3,11,NULL,'bot','faq_0v10faq000000000000','Example assistant','See our help pages.',NULL,1700000080000);
CREATE TABLE ratings (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  score           INTEGER NOT NULL,
  comment         TEXT,
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ratings VALUES('conv_0v7conversation00000',5,'Quick and kind',1700000095000);
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
INSERT INTO offline_messages VALUES('off_0v8offline0000000000','site_0v7site0000000000000','vis_0v7visitora0000000000','Ada','ada@example.org','Do you ship to Norway?',1700000200000,'open',NULL,NULL,NULL,NULL,NULL);
INSERT INTO offline_messages VALUES('off_0v8offline0000000001','site_0v7site0000000000000',NULL,NULL,'gone@example.org','From a deleted visitor',1700000300000,'open',NULL,NULL,NULL,NULL,NULL);
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  -- no foreign keys: the trail must outlive the users and sites it mentions
  user_id TEXT,
  site_id TEXT,
  action  TEXT NOT NULL,
  detail  TEXT,
  ip_hash TEXT
, actor_name TEXT, target_type TEXT, target_id TEXT, target_name TEXT);
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
, kind TEXT NOT NULL DEFAULT 'image', name TEXT) WITHOUT ROWID;
CREATE TABLE setup_codes (
  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  code_hash  TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reset')),
  site_id    TEXT REFERENCES sites (id) ON DELETE SET NULL, -- where it was made
  created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE visitor_blocks (
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  visitor_id TEXT NOT NULL,
  ip_hash    TEXT,            -- the visitor's address when blocked (keyed hash)
  reason     TEXT,
  blocked_at INTEGER NOT NULL,
  blocked_by TEXT REFERENCES users (id) ON DELETE SET NULL,
  PRIMARY KEY (site_id, visitor_id)
) WITHOUT ROWID;
CREATE TABLE message_counts (
  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  slot        INTEGER NOT NULL,
  sender_type TEXT NOT NULL,
  sender_id   TEXT NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (site_id, slot, sender_type, sender_id)
) WITHOUT ROWID;
INSERT INTO message_counts VALUES('site_0v7site0000000000000',1888888,'agent','usr_0v7user00000000000000',1);
INSERT INTO message_counts VALUES('site_0v7site0000000000000',1888888,'bot','faq_0v10faq000000000000',1);
INSERT INTO message_counts VALUES('site_0v7site0000000000000',1888888,'visitor','',1);
CREATE TABLE notes (
  id              TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  author_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
  author_name     TEXT,
  client_id       TEXT NOT NULL,
  body            TEXT NOT NULL,
  mentions        TEXT NOT NULL DEFAULT '[]', -- JSON array of {"id","name"}
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE labels (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  color      TEXT NOT NULL, -- "#rrggbb"
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE conversation_labels (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  label_id        TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
  PRIMARY KEY (conversation_id, label_id)
) WITHOUT ROWID;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','messages_fts','messages_fts',0,'CREATE VIRTUAL TABLE messages_fts USING fts5 (
  body,
  content = ''messages'', content_rowid = ''cursor'', detail = none, columnsize = 0,
  tokenize = ''unicode61 remove_diacritics 2''
)');
CREATE TABLE IF NOT EXISTS 'messages_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
INSERT INTO messages_fts_data VALUES(1,X'030b');
INSERT INTO messages_fts_data VALUES(10,X'000000000101010001010101');
INSERT INTO messages_fts_data VALUES(137438953473,X'0000004e0330353008010561626f76650801036575720801046672656505010468656c700b010269730501036f75720b010570616765730b01037365650b020768697070696e6705010379657308040508060707050608060a');
CREATE TABLE IF NOT EXISTS 'messages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
INSERT INTO messages_fts_idx VALUES(1,X'',2);
CREATE TABLE IF NOT EXISTS 'messages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO messages_fts_config VALUES('version',4);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('events',12);
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
CREATE INDEX audit_log_site_id ON audit_log (site_id, id);
CREATE INDEX events_conversation ON events (conversation_id);
CREATE INDEX offline_messages_conversation ON offline_messages (conversation_id);
CREATE INDEX visitor_blocks_ip ON visitor_blocks (site_id, ip_hash) WHERE ip_hash IS NOT NULL;
CREATE INDEX messages_bot_answers ON messages (conversation_id, sender_id)
  WHERE client_id IS NULL;
CREATE INDEX conversations_site_created ON conversations (site_id, created_at);
CREATE TRIGGER messages_analytics AFTER INSERT ON messages
  WHEN new.sender_type IN ('visitor', 'agent', 'bot') BEGIN
  UPDATE conversations SET
    first_visitor_seq = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'
                        THEN new.seq ELSE first_visitor_seq END,
    first_visitor_at = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'
                       THEN new.created_at ELSE first_visitor_at END,
    first_visitor_text = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'
                         THEN substr (new.body, 1, 1000) ELSE first_visitor_text END,
    first_reply_at = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL
                     AND new.sender_type = 'agent' THEN new.created_at ELSE first_reply_at END,
    first_reply_by = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL
                     AND new.sender_type = 'agent' THEN new.sender_id ELSE first_reply_by END,
    agent_wrote = agent_wrote OR new.sender_type = 'agent',
    bot_answered = bot_answered OR new.sender_type = 'bot'
  WHERE id = new.conversation_id;
  INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count)
  SELECT site_id, new.created_at / 900000, new.sender_type,
         CASE WHEN new.sender_type = 'visitor' THEN '' ELSE coalesce (new.sender_id, '') END, 1
  FROM conversations WHERE id = new.conversation_id
  ON CONFLICT (site_id, slot, sender_type, sender_id) DO UPDATE SET count = count + 1;
END;
CREATE TRIGGER conversations_analytics_delete BEFORE DELETE ON conversations BEGIN
  UPDATE message_counts SET count = count - (
    SELECT count (*) FROM messages m WHERE m.conversation_id = old.id
    AND m.created_at / 900000 = message_counts.slot
    AND m.sender_type = message_counts.sender_type
    AND CASE WHEN m.sender_type = 'visitor' THEN '' ELSE coalesce (m.sender_id, '') END
        = message_counts.sender_id)
  WHERE site_id = old.site_id
    AND slot IN (SELECT created_at / 900000 FROM messages WHERE conversation_id = old.id);
  DELETE FROM message_counts WHERE site_id = old.site_id AND count <= 0
    AND slot IN (SELECT created_at / 900000 FROM messages WHERE conversation_id = old.id);
END;
CREATE TRIGGER events_analytics_resolved AFTER INSERT ON events
  WHEN new.kind = 'timeline'
  AND json_extract (new.payload, '$.event.kind') IN ('resolved', 'closed') BEGIN
  UPDATE conversations SET resolved_at = max (coalesce (resolved_at, 0), new.created_at)
  WHERE id = new.conversation_id;
END;
CREATE INDEX notes_conversation ON notes (conversation_id, created_at);
CREATE UNIQUE INDEX notes_client ON notes (author_id, client_id);
CREATE UNIQUE INDEX labels_site_name ON labels (site_id, lower (name));
CREATE INDEX conversation_labels_label ON conversation_labels (label_id);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
  INSERT INTO messages_fts (rowid, body) VALUES (new.cursor, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.cursor, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body)
  SELECT 'delete', old.cursor, old.body WHERE old.body IS NOT NULL;
  INSERT INTO messages_fts (rowid, body) SELECT new.cursor, new.body WHERE new.body IS NOT NULL;
END;
PRAGMA writable_schema=OFF;
COMMIT;
PRAGMA user_version=14;
