-- SPDX-License-Identifier: GPL-3.0-or-later
-- A desktop cache of schema 4 (before issue 18's routing): cache-v2.sql migrated by schemas 3
-- and 4 (labels, channels).
PRAGMA user_version=4;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('relay_url','http://127.0.0.1:1');
INSERT INTO meta VALUES('email','owner@a.test');
INSERT INTO meta VALUES('cursor','12');
CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT);
INSERT INTO sites VALUES('st_1','Site a','owner');
CREATE TABLE visitors (  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, online INTEGER NOT NULL DEFAULT 0,  name TEXT, email TEXT, country TEXT, city TEXT, timezone TEXT, locale TEXT,  browser TEXT, os TEXT, page_url TEXT, page_title TEXT, journey TEXT,  first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,  visits INTEGER NOT NULL DEFAULT 0);
INSERT INTO visitors VALUES('vi_1','st_1',0,'Ann',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,0,0);
CREATE TABLE conversations (  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, visitor_id TEXT NOT NULL,  status TEXT NOT NULL, assignee_id TEXT, assignee_name TEXT,  created_at INTEGER NOT NULL DEFAULT 0, last_message_at INTEGER NOT NULL DEFAULT 0,  sort_at INTEGER NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,  unread INTEGER NOT NULL DEFAULT 0, agent_read_seq INTEGER NOT NULL DEFAULT 0,  visitor_read_seq INTEGER NOT NULL DEFAULT 0, preview TEXT, rating_score INTEGER NOT NULL DEFAULT 0, rating_comment TEXT, rated_at INTEGER NOT NULL DEFAULT 0, labels TEXT);
INSERT INTO conversations VALUES('cv_1','st_1','vi_1','open',NULL,NULL,1767261600000,1767261660000,1767261660000,2,0,0,0,'Hello, how can I help?',4,'Quick and kind',1767261800000,'[]');
CREATE TABLE messages (  local_id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER,  sort_key INTEGER NOT NULL, client_id TEXT, sender_type TEXT NOT NULL,  sender_id TEXT, sender_name TEXT, body TEXT, attachment TEXT,  created_at INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 1, event TEXT);
INSERT INTO messages VALUES(1,'cv_1',1,1024,'c-1','visitor','vi_1','Ann','Hi',NULL,1767261600000,1,NULL);
INSERT INTO messages VALUES(2,'cv_1',2,2048,'c-2','agent','us_1','Bo','Hello, how can I help?',NULL,1767261660000,1,NULL);
INSERT INTO messages VALUES(3,'cv_1',NULL,4503599627370499,'c-queued','agent','us_1','Bo','Still there?',NULL,1767261720000,0,NULL);
CREATE TABLE outbox (  position INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL UNIQUE,  conversation_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,  state TEXT NOT NULL DEFAULT 'queued', error_code TEXT);
INSERT INTO outbox VALUES(1,'c-queued','cv_1','Still there?',1767261720000,'queued',NULL);
CREATE TABLE thumbnails (  upload_id TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL,  fetched_at INTEGER NOT NULL);
CREATE TABLE timeline_fetched (conversation_id TEXT PRIMARY KEY);
CREATE TABLE offline_messages (  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, visitor_id TEXT, name TEXT, email TEXT,  body TEXT, page_url TEXT, page_title TEXT, created_at INTEGER NOT NULL DEFAULT 0,  status TEXT NOT NULL DEFAULT 'open', handled_by_id TEXT, handled_by_name TEXT,  handled_at INTEGER NOT NULL DEFAULT 0, conversation_id TEXT);
INSERT INTO offline_messages VALUES('om_1','st_1',NULL,'Cy',NULL,'Call me back',NULL,NULL,1767261900000,'open',NULL,NULL,0,NULL);
CREATE TABLE conversation_channels (conversation_id TEXT PRIMARY KEY, channel TEXT NOT NULL,  reply_window_ends_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message_deliveries (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,  status TEXT NOT NULL, error TEXT, PRIMARY KEY (conversation_id, seq));
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('outbox',1);
CREATE INDEX visitors_site ON visitors (site_id, online, last_seen);
CREATE INDEX conversations_sort ON conversations (sort_at, id);
CREATE INDEX conversations_site_sort ON conversations (site_id, sort_at, id);
CREATE INDEX conversations_visitor ON conversations (visitor_id);
CREATE UNIQUE INDEX messages_order ON messages (conversation_id, sort_key);
CREATE INDEX messages_client_id ON messages (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX offline_messages_site ON offline_messages (site_id, status, created_at);
CREATE INDEX offline_messages_order ON offline_messages (created_at, id);
COMMIT;
