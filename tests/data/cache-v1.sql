-- SPDX-License-Identifier: GPL-3.0-or-later
-- A desktop cache of schema 1 (before timeline rows and offline messages): two sent
-- messages keyed by their seq and a queued one after them (sort key 2^40 + its row id).
BEGIN;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT);
CREATE TABLE visitors (  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, online INTEGER NOT NULL DEFAULT 0,  name TEXT, email TEXT, country TEXT, city TEXT, timezone TEXT, locale TEXT,  browser TEXT, os TEXT, page_url TEXT, page_title TEXT, journey TEXT,  first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,  visits INTEGER NOT NULL DEFAULT 0);
CREATE INDEX visitors_site ON visitors (site_id, online, last_seen);
CREATE TABLE conversations (  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, visitor_id TEXT NOT NULL,  status TEXT NOT NULL, assignee_id TEXT, assignee_name TEXT,  created_at INTEGER NOT NULL DEFAULT 0, last_message_at INTEGER NOT NULL DEFAULT 0,  sort_at INTEGER NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,  unread INTEGER NOT NULL DEFAULT 0, agent_read_seq INTEGER NOT NULL DEFAULT 0,  visitor_read_seq INTEGER NOT NULL DEFAULT 0, preview TEXT);
CREATE INDEX conversations_sort ON conversations (sort_at, id);
CREATE INDEX conversations_site_sort ON conversations (site_id, sort_at, id);
CREATE INDEX conversations_visitor ON conversations (visitor_id);
CREATE TABLE messages (  local_id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER,  sort_key INTEGER NOT NULL, client_id TEXT, sender_type TEXT NOT NULL,  sender_id TEXT, sender_name TEXT, body TEXT, attachment TEXT,  created_at INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX messages_order ON messages (conversation_id, sort_key);
CREATE INDEX messages_client_id ON messages (client_id) WHERE client_id IS NOT NULL;
CREATE TABLE outbox (  position INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL UNIQUE,  conversation_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,  state TEXT NOT NULL DEFAULT 'queued', error_code TEXT);
CREATE TABLE thumbnails (  upload_id TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL,  fetched_at INTEGER NOT NULL);
INSERT INTO meta VALUES ('relay_url', 'http://127.0.0.1:1'), ('email', 'owner@a.test'), ('cursor', '12');
INSERT INTO sites VALUES ('st_1', 'Site a', 'owner');
INSERT INTO visitors (id, site_id, name) VALUES ('vi_1', 'st_1', 'Ann');
INSERT INTO conversations (id, site_id, visitor_id, status, created_at, last_message_at, sort_at, last_seq, preview)
  VALUES ('cv_1', 'st_1', 'vi_1', 'open', 1767261600000, 1767261660000, 1767261660000, 2, 'Hello, how can I help?');
INSERT INTO messages (local_id, conversation_id, seq, sort_key, client_id, sender_type, sender_id, sender_name, body, created_at, state)
  VALUES (1, 'cv_1', 1, 1, 'c-1', 'visitor', 'vi_1', 'Ann', 'Hi', 1767261600000, 1),
         (2, 'cv_1', 2, 2, 'c-2', 'agent', 'us_1', 'Bo', 'Hello, how can I help?', 1767261660000, 1),
         (3, 'cv_1', NULL, 1099511627779, 'c-queued', 'agent', 'us_1', 'Bo', 'Still there?', 1767261720000, 0);
INSERT INTO outbox (client_id, conversation_id, body, created_at) VALUES ('c-queued', 'cv_1', 'Still there?', 1767261720000);
PRAGMA user_version = 1;
COMMIT;
