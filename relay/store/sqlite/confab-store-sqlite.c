/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sqlite.c: the SQLite implementation of confab-store.h.
 *
 * One connection, used from the main loop only. Statements are prepared once and kept in a
 * cache keyed by their SQL text; every use resets them on scope exit (ConfabStmt below), because
 * a statement left mid-step would hold a read transaction open and stop WAL checkpoints.
 */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (confab-store-error-quark, confab_store_error)

/* How long a write waits for another process (the admin CLI) to finish its transaction, until
 * the caller says otherwise (confab_store_set_busy_timeout()). */
#define BUSY_TIMEOUT_MS 5000

/* How many problems quick_check lists in its error: the first few say which file and table. */
#define QUICK_CHECK_MAX_ERRORS 5

/* --- schema --------------------------------------------------------------------------------- */

/* The schema history. Entry N migrates user_version N to N + 1; never edit a released entry,
 * append a new one: databases in the field (and tests/data/store-v*.sql) were made by them. */
static const char * const migrations[] = {
  /* v1: accounts, sites, visitors and the conversation log */
  "CREATE TABLE users (\n"
  "  id            TEXT PRIMARY KEY,\n"
  "  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
  "  name          TEXT,\n"
  "  password_hash TEXT NOT NULL,\n"
  "  created_at    INTEGER NOT NULL\n"
  ");\n"
  "CREATE TABLE sites (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  name       TEXT NOT NULL,\n"
  "  site_key   TEXT NOT NULL UNIQUE,\n"
  "  domains    TEXT NOT NULL DEFAULT '[]', -- JSON array of host patterns\n"
  "  settings   TEXT NOT NULL DEFAULT '{}', -- JSON object\n"
  "  enabled    INTEGER NOT NULL DEFAULT 1,\n"
  "  created_at INTEGER NOT NULL\n"
  ");\n"
  "CREATE TABLE memberships (\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
  "  role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),\n"
  "  created_at INTEGER NOT NULL,\n"
  "  PRIMARY KEY (site_id, user_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX memberships_user ON memberships (user_id);\n"
  "CREATE TABLE tokens (\n"
  "  hash       TEXT PRIMARY KEY, -- SHA-256 hex: the token itself is never stored\n"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  expires_at INTEGER,          -- NULL: never\n"
  "  revoked_at INTEGER\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX tokens_user ON tokens (user_id);\n"
  "CREATE TABLE visitors (\n"
  "  id          TEXT PRIMARY KEY,\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  token_hash  TEXT NOT NULL,\n"
  "  name        TEXT,\n"
  "  email       TEXT,\n"
  "  locale      TEXT,\n"
  "  timezone    TEXT,\n"
  "  browser     TEXT,\n"
  "  os          TEXT,\n"
  "  country     TEXT,\n"
  "  city        TEXT,\n"
  "  fingerprint TEXT,\n"
  "  first_seen  INTEGER NOT NULL,\n"
  "  last_seen   INTEGER NOT NULL,\n"
  "  visits      INTEGER NOT NULL DEFAULT 1\n"
  ");\n"
  "CREATE INDEX visitors_site ON visitors (site_id, last_seen);\n"
  "CREATE TABLE page_views (\n"
  "  id         INTEGER PRIMARY KEY,\n"
  "  visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  url        TEXT NOT NULL,\n"
  "  title      TEXT,\n"
  "  at         INTEGER NOT NULL,\n"
  "  left_at    INTEGER -- NULL while the visitor is still on the page\n"
  ");\n"
  "CREATE INDEX page_views_visitor ON page_views (visitor_id, at);\n"
  "CREATE TABLE conversations (\n"
  "  id               TEXT PRIMARY KEY,\n"
  "  site_id          TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  visitor_id       TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  status           TEXT NOT NULL DEFAULT 'open'\n"
  "                   CHECK (status IN ('open', 'pending', 'resolved', 'closed')),\n"
  "  assignee_id      TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  created_at       INTEGER NOT NULL,\n"
  "  last_message_at  INTEGER NOT NULL,\n"
  "  last_seq         INTEGER NOT NULL DEFAULT 0,\n"
  "  agent_read_seq   INTEGER NOT NULL DEFAULT 0,\n"
  "  visitor_read_seq INTEGER NOT NULL DEFAULT 0,\n"
  "  -- visitor messages after agent_read_seq, kept by the store: counting them on every read\n"
  "  -- would cost a scan of the whole backlog of a conversation nobody has read\n"
  "  unread           INTEGER NOT NULL DEFAULT 0\n"
  ");\n"
  "CREATE INDEX conversations_visitor ON conversations (visitor_id, created_at);\n"
  "CREATE TABLE events (\n"
  "  -- AUTOINCREMENT: a cursor is never handed out twice, even if the newest events are deleted\n"
  "  cursor          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
  "  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  kind            TEXT NOT NULL,\n"
  "  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  seq             INTEGER,\n"
  "  payload         TEXT,\n"
  "  created_at      INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX events_site ON events (site_id, cursor);\n"
  "CREATE TABLE messages (\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  seq             INTEGER NOT NULL,\n"
  "  cursor          INTEGER NOT NULL UNIQUE REFERENCES events (cursor),\n"
  "  client_id       TEXT, -- NULL for bot/system messages: NULLs never collide in UNIQUE\n"
  "  sender_type     TEXT NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'bot', 'system')),\n"
  "  sender_id       TEXT,\n"
  "  sender_name     TEXT,\n"
  "  body            TEXT,\n"
  "  attachment_id   TEXT,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  PRIMARY KEY (conversation_id, seq),\n"
  "  UNIQUE (sender_type, sender_id, client_id),\n"
  "  CHECK (body IS NOT NULL OR attachment_id IS NOT NULL)\n"
  ") WITHOUT ROWID;\n",

  /* v2: ratings, offline messages, the audit trail; the inbox index */
  "CREATE TABLE ratings (\n"
  "  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  score           INTEGER NOT NULL,\n"
  "  comment         TEXT,\n"
  "  created_at      INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE TABLE offline_messages (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  visitor_id TEXT REFERENCES visitors (id) ON DELETE SET NULL,\n"
  "  name       TEXT,\n"
  "  email      TEXT,\n"
  "  body       TEXT NOT NULL,\n"
  "  created_at INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX offline_messages_site ON offline_messages (site_id, created_at);\n"
  "CREATE TABLE audit_log (\n"
  "  id      INTEGER PRIMARY KEY,\n"
  "  at      INTEGER NOT NULL,\n"
  "  -- no foreign keys: the trail must outlive the users and sites it mentions\n"
  "  user_id TEXT,\n"
  "  site_id TEXT,\n"
  "  action  TEXT NOT NULL,\n"
  "  detail  TEXT,\n"
  "  ip_hash TEXT\n"
  ");\n"
  "CREATE INDEX audit_log_site ON audit_log (site_id, at);\n"
  "CREATE INDEX conversations_site_activity ON conversations (site_id, last_message_at);\n",
  /* FAQs with their full-text index, the bot's hand-over to a person, canned responses */
  "CREATE TABLE faqs (\n"
  "  -- the FTS index's rowid: an explicit INTEGER PRIMARY KEY, which VACUUM never renumbers\n"
  "  n           INTEGER PRIMARY KEY,\n"
  "  id          TEXT NOT NULL UNIQUE,\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  question    TEXT NOT NULL,\n"
  "  answer      TEXT NOT NULL,\n"
  "  keywords    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings\n"
  "  views       INTEGER NOT NULL DEFAULT 0,\n"
  "  created_at  INTEGER NOT NULL,\n"
  "  updated_at  INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX faqs_site ON faqs (site_id, created_at);\n"
  "CREATE VIRTUAL TABLE faqs_fts USING fts5 (\n"
  "  question, answer, keywords,\n"
  "  content = 'faqs', content_rowid = 'n',\n"
  "  tokenize = 'unicode61 remove_diacritics 2'\n"
  ");\n"
  "CREATE TRIGGER faqs_fts_insert AFTER INSERT ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (rowid, question, answer, keywords)\n"
  "  VALUES (new.n, new.question, new.answer, new.keywords);\n"
  "END;\n"
  "CREATE TRIGGER faqs_fts_delete AFTER DELETE ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords)\n"
  "  VALUES ('delete', old.n, old.question, old.answer, old.keywords);\n"
  "END;\n"
  "CREATE TRIGGER faqs_fts_update AFTER UPDATE OF question, answer, keywords ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords)\n"
  "  VALUES ('delete', old.n, old.question, old.answer, old.keywords);\n"
  "  INSERT INTO faqs_fts (rowid, question, answer, keywords)\n"
  "  VALUES (new.n, new.question, new.answer, new.keywords);\n"
  "END;\n"
  "CREATE TABLE faq_feedback (\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  faq_id          TEXT NOT NULL REFERENCES faqs (id) ON DELETE CASCADE,\n"
  "  helpful         INTEGER NOT NULL,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  PRIMARY KEY (conversation_id, faq_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX faq_feedback_faq ON faq_feedback (faq_id);\n"
  "CREATE TABLE human_requests (\n"
  "  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  created_at      INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE TABLE canned_responses (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  shortcut   TEXT NOT NULL,\n"
  "  body       TEXT NOT NULL,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  updated_at INTEGER NOT NULL,\n"
  "  UNIQUE (site_id, shortcut)\n"
  ");\n",
  /* Visitor context: what the IP's location and the User-Agent say beyond country, city and
   * browser family, and the link of a visitor recognised by fingerprint to the one they were */
  "ALTER TABLE visitors ADD COLUMN country_name TEXT;\n"
  "ALTER TABLE visitors ADD COLUMN geo_timezone TEXT; -- from the IP; timezone is the browser's\n"
  "ALTER TABLE visitors ADD COLUMN browser_version TEXT;\n"
  "ALTER TABLE visitors ADD COLUMN os_version TEXT;\n"
  "ALTER TABLE visitors ADD COLUMN device_type TEXT;\n"
  "-- the first visitor of the chain this one was re-linked to; NULL for an original\n"
  "ALTER TABLE visitors ADD COLUMN linked_to TEXT REFERENCES visitors (id) ON DELETE SET NULL;\n"
  "CREATE INDEX visitors_fingerprint ON visitors (site_id, fingerprint, last_seen)\n"
  "  WHERE fingerprint IS NOT NULL;\n"
  "CREATE INDEX visitors_linked ON visitors (linked_to) WHERE linked_to IS NOT NULL;\n",
  /* Image uploads (confab-uploads.c): the files are content-addressed in <data-dir>/uploads by
   * sha256; a row per upload says whose it is. Visitors upload with their token alone, hence
   * the token index. */
  "CREATE TABLE uploads (\n"
  "  id              TEXT PRIMARY KEY,\n"
  "  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  -- NULL until the uploading visitor's first message creates their conversation\n"
  "  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  visitor_id      TEXT REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  user_id         TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  sha256          TEXT NOT NULL,\n"
  "  mime            TEXT NOT NULL,\n"
  "  width           INTEGER NOT NULL,\n"
  "  height          INTEGER NOT NULL,\n"
  "  size            INTEGER NOT NULL,\n"
  "  thumb_width     INTEGER NOT NULL,\n"
  "  thumb_height    INTEGER NOT NULL,\n"
  "  thumb_size      INTEGER NOT NULL,\n"
  "  created_at      INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX uploads_conversation ON uploads (conversation_id);\n"
  "CREATE INDEX uploads_sha256 ON uploads (sha256);\n"
  "CREATE INDEX visitors_token ON visitors (token_hash);\n",
  /* GDPR: when the visitor accepted the site's consent text in the widget (ms; NULL = never) */
  "ALTER TABLE visitors ADD COLUMN consent_at INTEGER;\n",
  /* Abuse handling: a keyed hash of the visitor's last address (never the address itself); the
   * key lives in <data-dir>/ip-hash-key, so the hash means something across restarts and
   * nothing without that file. */
  "ALTER TABLE visitors ADD COLUMN ip_hash TEXT;\n"
  "CREATE INDEX visitors_ip_hash ON visitors (site_id, ip_hash);\n",
  /* Visitor events name their visitor, so that a new one replaces the earlier ones (issue 8:
   * one visitor's page views had grown the log by a full snapshot each); a rating event
   * replaces the conversation's earlier ones the same way. Those a database already holds
   * are pruned to the latest per visitor and per conversation, as the relay does from now on. */
  "ALTER TABLE events ADD COLUMN visitor_id TEXT;\n"
  "UPDATE events SET visitor_id = json_extract (payload, '$.visitor.id')\n"
  "  WHERE kind = 'visitor' AND json_valid (payload);\n"
  "DELETE FROM events WHERE kind = 'visitor' AND visitor_id IS NOT NULL AND cursor NOT IN\n"
  "  (SELECT max (cursor) FROM events WHERE kind = 'visitor' AND visitor_id IS NOT NULL\n"
  "   GROUP BY visitor_id);\n"
  "DELETE FROM events WHERE kind = 'rating' AND conversation_id IS NOT NULL AND cursor NOT IN\n"
  "  (SELECT max (cursor) FROM events WHERE kind = 'rating' AND conversation_id IS NOT NULL\n"
  "   GROUP BY conversation_id);\n"
  "CREATE INDEX events_visitor ON events (visitor_id, cursor) WHERE visitor_id IS NOT NULL;\n"
  "CREATE INDEX events_rating ON events (conversation_id, cursor) WHERE kind = 'rating';\n",
  /* Issue 10, nothing a visitor sends goes unseen: offline messages get a status, who handled
   * them and when, the conversation made of one, and the page the visitor was on; conversation
   * timeline events (kind 'timeline') are read per conversation. */
  "ALTER TABLE offline_messages ADD COLUMN status TEXT NOT NULL DEFAULT 'open'\n"
  "  CHECK (status IN ('open', 'handled'));\n"
  "ALTER TABLE offline_messages ADD COLUMN handled_by TEXT REFERENCES users (id) ON DELETE SET NULL;\n"
  "ALTER TABLE offline_messages ADD COLUMN handled_at INTEGER;\n"
  "ALTER TABLE offline_messages ADD COLUMN conversation_id TEXT\n"
  "  REFERENCES conversations (id) ON DELETE SET NULL;\n"
  "ALTER TABLE offline_messages ADD COLUMN page_url TEXT;\n"
  "ALTER TABLE offline_messages ADD COLUMN page_title TEXT;\n"
  "CREATE INDEX offline_messages_status ON offline_messages (site_id, status);\n"
  "CREATE INDEX events_timeline ON events (conversation_id, cursor) WHERE kind = 'timeline';\n",
  /* Schema 10, team (confab-store-team.c): one-time setup codes for an invited account's first sign-in
   * and for a password reset. Such an account has password_hash '' (no password matches it)
   * until the code is used; only the code's SHA-256 is kept, one per account. */
  "CREATE TABLE setup_codes (\n"
  "  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,\n"
  "  code_hash  TEXT NOT NULL,\n"
  "  kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reset')),\n"
  "  site_id    TEXT REFERENCES sites (id) ON DELETE SET NULL, -- where it was made\n"
  "  created_by TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  expires_at INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n",
  /* Issue 10, data (confab-store-data.c): the audit log names its actor and target as they were
   * named then (the trail outlives both), in dotted actions, paged by id per site; blocked
   * visitors, by visitor id and by the keyed hash of their address. A block has no foreign key
   * to its visitor: deleting the visitor's data keeps the block on their address. Deleting a
   * conversation (a visitor's data, retention, a site) makes SQLite look up its rows in every
   * child table: without an index on events.conversation_id each one scanned the whole log
   * (bench/retention-purge.sh: 2,000 conversations took 114 s, one batch of 100 blocked the
   * loop 9.4 s). */
  "ALTER TABLE audit_log ADD COLUMN actor_name TEXT;\n"
  "ALTER TABLE audit_log ADD COLUMN target_type TEXT;\n"
  "ALTER TABLE audit_log ADD COLUMN target_id TEXT;\n"
  "ALTER TABLE audit_log ADD COLUMN target_name TEXT;\n"
  "UPDATE audit_log SET action = CASE action\n"
  "  WHEN 'site_created' THEN 'site.created' WHEN 'site_updated' THEN 'site.updated'\n"
  "  WHEN 'member_added' THEN 'member.added' WHEN 'member_removed' THEN 'member.removed'\n"
  "  WHEN 'member_role_changed' THEN 'member.updated'\n"
  "  WHEN 'member_password_reset' THEN 'member.password_reset'\n"
  "  WHEN 'faq_created' THEN 'faq.created' WHEN 'faq_updated' THEN 'faq.updated'\n"
  "  WHEN 'faq_deleted' THEN 'faq.deleted' WHEN 'canned_created' THEN 'canned.created'\n"
  "  WHEN 'canned_updated' THEN 'canned.updated' WHEN 'canned_deleted' THEN 'canned.deleted'\n"
  "  ELSE action END;\n"
  "CREATE INDEX audit_log_site_id ON audit_log (site_id, id);\n"
  "CREATE INDEX events_conversation ON events (conversation_id);\n"
  "CREATE INDEX offline_messages_conversation ON offline_messages (conversation_id);\n"
  "-- offline message events name their visitor, as visitor events do: deleting a visitor's\n"
  "-- data finds them by index (confab_store_set_event_visitor)\n"
  "UPDATE events SET visitor_id = json_extract (payload, '$.offline_message.visitor_id')\n"
  "  WHERE kind = 'offline_message' AND visitor_id IS NULL AND json_valid (payload);\n"
  "CREATE TABLE visitor_blocks (\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  visitor_id TEXT NOT NULL,\n"
  "  ip_hash    TEXT,            -- the visitor's address when blocked (keyed hash)\n"
  "  reason     TEXT,\n"
  "  blocked_at INTEGER NOT NULL,\n"
  "  blocked_by TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  PRIMARY KEY (site_id, visitor_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX visitor_blocks_ip ON visitor_blocks (site_id, ip_hash) WHERE ip_hash IS NOT NULL;\n",
  /* Issue 12, speed: when the conversation's first agent message was stored (ms; NULL while no
   * agent has written), set by the store as it appends one. The bot answers only before it;
   * asking the messages instead walked the whole conversation on every visitor message (no
   * index serves sender_type). It is also the conversation's first response time. */
  "ALTER TABLE conversations ADD COLUMN first_agent_reply_at INTEGER;\n"
  "UPDATE conversations SET first_agent_reply_at =\n"
  "  (SELECT min (m.created_at) FROM messages m\n"
  "   WHERE m.conversation_id = conversations.id AND m.sender_type = 'agent');\n"
  "-- whether the bot gave an FAQ's answer in a conversation: an exact lookup, where the\n"
  "-- primary key or the client-id index walked the conversation or every answer of the FAQ.\n"
  "-- Bot and system messages are the ones without a client id; a condition on sender_type\n"
  "-- would make SQLite re-prepare every statement comparing sender_type with a parameter\n"
  "-- (the client-id lookup of every message) each time it is bound\n"
  "CREATE INDEX messages_bot_answers ON messages (conversation_id, sender_id)\n"
  "  WHERE client_id IS NULL;\n",
  /* Issue 11, analytics (confab-store-analytics.c): what a year of a busy site's figures need,
   * kept up to date as rows are written, so that the endpoint reads one row per conversation
   * and a few per quarter hour instead of every message. Triggers keep them, so no writer can
   * forget to; each costs a primary-key update per message (none for system notes). */
  "ALTER TABLE conversations ADD COLUMN first_visitor_seq INTEGER; -- the visitor's first message\n"
  "ALTER TABLE conversations ADD COLUMN first_visitor_at INTEGER;\n"
  "-- its first 1000 characters: the top first messages read them without a lookup each\n"
  "ALTER TABLE conversations ADD COLUMN first_visitor_text TEXT;\n"
  "-- the first agent message after it: the first response\n"
  "ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER;\n"
  "ALTER TABLE conversations ADD COLUMN first_reply_by TEXT;\n"
  "ALTER TABLE conversations ADD COLUMN agent_wrote INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE conversations ADD COLUMN bot_answered INTEGER NOT NULL DEFAULT 0;\n"
  "-- the latest \"resolved\" or \"closed\" timeline event\n"
  "ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;\n"
  "CREATE INDEX conversations_site_created ON conversations (site_id, created_at);\n"
  "-- messages per site, quarter hour (created_at / 900000), sender type and sender (the agent's\n"
  "-- user id, the bot's FAQ id, '' for visitors): a quarter hour lies in one day of every zone\n"
  "CREATE TABLE message_counts (\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  slot        INTEGER NOT NULL,\n"
  "  sender_type TEXT NOT NULL,\n"
  "  sender_id   TEXT NOT NULL,\n"
  "  count       INTEGER NOT NULL,\n"
  "  PRIMARY KEY (site_id, slot, sender_type, sender_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE TRIGGER messages_analytics AFTER INSERT ON messages\n"
  "  WHEN new.sender_type IN ('visitor', 'agent', 'bot') BEGIN\n"
  "  UPDATE conversations SET\n"
  "    first_visitor_seq = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                        THEN new.seq ELSE first_visitor_seq END,\n"
  "    first_visitor_at = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                       THEN new.created_at ELSE first_visitor_at END,\n"
  "    first_visitor_text = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                         THEN substr (new.body, 1, 1000) ELSE first_visitor_text END,\n"
  "    first_reply_at = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND new.sender_type = 'agent' THEN new.created_at ELSE first_reply_at END,\n"
  "    first_reply_by = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND new.sender_type = 'agent' THEN new.sender_id ELSE first_reply_by END,\n"
  "    agent_wrote = agent_wrote OR new.sender_type = 'agent',\n"
  "    bot_answered = bot_answered OR new.sender_type = 'bot'\n"
  "  WHERE id = new.conversation_id;\n"
  "  INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count)\n"
  "  SELECT site_id, new.created_at / 900000, new.sender_type,\n"
  "         CASE WHEN new.sender_type = 'visitor' THEN '' ELSE coalesce (new.sender_id, '') END, 1\n"
  "  FROM conversations WHERE id = new.conversation_id\n"
  "  ON CONFLICT (site_id, slot, sender_type, sender_id) DO UPDATE SET count = count + 1;\n"
  "END;\n"
  "-- a deleted conversation's messages leave the counts (its own columns go with its row)\n"
  "CREATE TRIGGER conversations_analytics_delete BEFORE DELETE ON conversations BEGIN\n"
  "  UPDATE message_counts SET count = count - (\n"
  "    SELECT count (*) FROM messages m WHERE m.conversation_id = old.id\n"
  "    AND m.created_at / 900000 = message_counts.slot\n"
  "    AND m.sender_type = message_counts.sender_type\n"
  "    AND CASE WHEN m.sender_type = 'visitor' THEN '' ELSE coalesce (m.sender_id, '') END\n"
  "        = message_counts.sender_id)\n"
  "  WHERE site_id = old.site_id\n"
  "    AND slot IN (SELECT created_at / 900000 FROM messages WHERE conversation_id = old.id);\n"
  "  DELETE FROM message_counts WHERE site_id = old.site_id AND count <= 0\n"
  "    AND slot IN (SELECT created_at / 900000 FROM messages WHERE conversation_id = old.id);\n"
  "END;\n"
  "CREATE TRIGGER events_analytics_resolved AFTER INSERT ON events\n"
  "  WHEN new.kind = 'timeline'\n"
  "  AND json_extract (new.payload, '$.event.kind') IN ('resolved', 'closed') BEGIN\n"
  "  UPDATE conversations SET resolved_at = max (coalesce (resolved_at, 0), new.created_at)\n"
  "  WHERE id = new.conversation_id;\n"
  "END;\n"
  "-- what the triggers would have kept, for the rows a database holds already\n"
  "UPDATE conversations SET\n"
  "  first_visitor_seq = (SELECT min (seq) FROM messages m\n"
  "                       WHERE m.conversation_id = conversations.id AND m.sender_type = 'visitor'),\n"
  "  agent_wrote = EXISTS (SELECT 1 FROM messages m\n"
  "                        WHERE m.conversation_id = conversations.id AND m.sender_type = 'agent'),\n"
  "  bot_answered = EXISTS (SELECT 1 FROM messages m\n"
  "                         WHERE m.conversation_id = conversations.id AND m.sender_type = 'bot'),\n"
  "  resolved_at = (SELECT max (e.created_at) FROM events e\n"
  "                 WHERE e.kind = 'timeline' AND e.conversation_id = conversations.id\n"
  "                 AND json_extract (e.payload, '$.event.kind') IN ('resolved', 'closed'));\n"
  "UPDATE conversations SET\n"
  "  first_visitor_at = (SELECT created_at FROM messages m\n"
  "                      WHERE m.conversation_id = conversations.id AND m.seq = first_visitor_seq),\n"
  "  first_visitor_text = (SELECT substr (body, 1, 1000) FROM messages m\n"
  "                        WHERE m.conversation_id = conversations.id AND m.seq = first_visitor_seq),\n"
  "  first_reply_at = (SELECT created_at FROM messages m\n"
  "                    WHERE m.conversation_id = conversations.id AND m.seq > first_visitor_seq\n"
  "                    AND m.sender_type = 'agent' ORDER BY m.seq LIMIT 1),\n"
  "  first_reply_by = (SELECT sender_id FROM messages m\n"
  "                    WHERE m.conversation_id = conversations.id AND m.seq > first_visitor_seq\n"
  "                    AND m.sender_type = 'agent' ORDER BY m.seq LIMIT 1)\n"
  "  WHERE first_visitor_seq IS NOT NULL;\n"
  "INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count)\n"
  "  SELECT c.site_id, m.created_at / 900000, m.sender_type,\n"
  "         CASE WHEN m.sender_type = 'visitor' THEN '' ELSE coalesce (m.sender_id, '') END, count (*)\n"
  "  FROM messages m JOIN conversations c ON c.id = m.conversation_id\n"
  "  WHERE m.sender_type IN ('visitor', 'agent', 'bot')\n"
  "  GROUP BY 1, 2, 3, 4;\n",
  /* Issue 14, everyday chat: internal notes (confab-store-notes.c), labels
   * (confab-store-labels.c), search over message bodies (confab-store-search.c), files beyond
   * images and agents' avatars (confab-uploads.c, confab-store-avatars.c) */
  "-- a note is no message: visitors' seq stays gap-free and nothing sends a note to a visitor\n"
  "CREATE TABLE notes (\n"
  "  id              TEXT PRIMARY KEY,\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  author_id       TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  author_name     TEXT,\n"
  "  client_id       TEXT NOT NULL,\n"
  "  body            TEXT NOT NULL,\n"
  "  mentions        TEXT NOT NULL DEFAULT '[]', -- JSON array of {\"id\",\"name\"}\n"
  "  created_at      INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX notes_conversation ON notes (conversation_id, created_at);\n"
  "CREATE UNIQUE INDEX notes_client ON notes (author_id, client_id);\n"
  "CREATE TABLE labels (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  name       TEXT NOT NULL,\n"
  "  color      TEXT NOT NULL, -- \"#rrggbb\"\n"
  "  created_at INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE UNIQUE INDEX labels_site_name ON labels (site_id, lower (name));\n"
  "CREATE TABLE conversation_labels (\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  label_id        TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,\n"
  "  PRIMARY KEY (conversation_id, label_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX conversation_labels_label ON conversation_labels (label_id);\n"
  "-- message bodies, indexed by the message's cursor (its rowid here): kept by triggers, so\n"
  "-- that every writer and every deletion (retention, GDPR, a site's removal) keeps it right;\n"
  "-- no positions and no sizes, only which messages hold a word: the least each message costs\n"
  "-- (the snippet is cut in C, confab-api-chat.c)\n"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 (\n"
  "  body,\n"
  "  content = 'messages', content_rowid = 'cursor', detail = none, columnsize = 0,\n"
  "  tokenize = 'unicode61 remove_diacritics 2'\n"
  ");\n"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN\n"
  "  INSERT INTO messages_fts (rowid, body) VALUES (new.cursor, new.body);\n"
  "END;\n"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN\n"
  "  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.cursor, old.body);\n"
  "END;\n"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN\n"
  "  INSERT INTO messages_fts (messages_fts, rowid, body)\n"
  "  SELECT 'delete', old.cursor, old.body WHERE old.body IS NOT NULL;\n"
  "  INSERT INTO messages_fts (rowid, body) SELECT new.cursor, new.body WHERE new.body IS NOT NULL;\n"
  "END;\n"
  "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');\n"
  "-- files beyond images: kind 'file' has no pixels (width, height and thumb_* are 0)\n"
  "ALTER TABLE uploads ADD COLUMN kind TEXT NOT NULL DEFAULT 'image';\n"
  "ALTER TABLE uploads ADD COLUMN name TEXT;\n"
  "-- an agent's avatar: a 256 px PNG, content-addressed in the uploads directory\n"
  "ALTER TABLE users ADD COLUMN avatar_sha256 TEXT;\n",
  /* Issue 15, API keys and outgoing webhooks (confab-store-hooks.c, confab-webhooks.c). The
   * deliveries are made by triggers, in the statement that made what they announce: nothing
   * rolled back is ever sent, nothing committed is ever lost, whoever wrote it. */
  "CREATE TABLE api_keys (\n"
  "  id           TEXT PRIMARY KEY,\n"
  "  site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  name         TEXT NOT NULL,\n"
  "  scopes       TEXT NOT NULL DEFAULT '[]', -- JSON array of scope names\n"
  "  prefix       TEXT NOT NULL,              -- the key's first characters, shown in lists\n"
  "  key_hash     TEXT NOT NULL UNIQUE,       -- SHA-256 hex: the key itself is never stored\n"
  "  created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  created_at   INTEGER NOT NULL,\n"
  "  last_used_at INTEGER,\n"
  "  revoked_at   INTEGER\n"
  ");\n"
  "CREATE INDEX api_keys_site ON api_keys (site_id, created_at);\n"
  "CREATE TABLE webhooks (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  url        TEXT NOT NULL,\n"
  "  events     TEXT NOT NULL DEFAULT '[]', -- JSON array of event names\n"
  "  secret     TEXT NOT NULL,              -- the HMAC key of the signatures\n"
  "  enabled    INTEGER NOT NULL DEFAULT 1,\n"
  "  created_at INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX webhooks_site ON webhooks (site_id);\n"
  "CREATE TABLE webhook_deliveries (\n"
  "  id              TEXT PRIMARY KEY,\n"
  "  webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,\n"
  "  site_id         TEXT NOT NULL,\n"
  "  event           TEXT NOT NULL,\n"
  "  conversation_id TEXT,    -- what it is about; no reference: the log outlives it\n"
  "  seq             INTEGER, -- message.created: the message\n"
  "  payload         TEXT,    -- the body sent, made at the first attempt\n"
  "  status          TEXT NOT NULL DEFAULT 'pending'\n"
  "                  CHECK (status IN ('pending', 'delivered', 'failed')),\n"
  "  attempts        INTEGER NOT NULL DEFAULT 0,\n"
  "  response_status INTEGER,\n"
  "  error           TEXT,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  next_attempt_at INTEGER,\n"
  "  delivered_at    INTEGER\n"
  ");\n"
  "CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);\n"
  "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)\n"
  "  WHERE status = 'pending';\n"
  "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);\n"
  "CREATE TRIGGER webhooks_conversation_created AFTER INSERT ON conversations BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, new.site_id, 'conversation.created',\n"
  "         new.id, new.created_at, new.created_at\n"
  "  FROM webhooks w WHERE w.site_id = new.site_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'conversation.created');\n"
  "END;\n"
  "CREATE TRIGGER webhooks_conversation_resolved AFTER UPDATE OF status ON conversations\n"
  "  WHEN new.status = 'resolved' AND old.status <> 'resolved' BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, new.site_id, 'conversation.resolved',\n"
  "         new.id, t.now, t.now\n"
  "  FROM webhooks w, (SELECT CAST (round ((julianday ('now') - 2440587.5) * 86400000) AS INTEGER) AS now) t\n"
  "  WHERE w.site_id = new.site_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'conversation.resolved');\n"
  "END;\n"
  "-- what people and the bot write; the relay's own system notes are no news\n"
  "CREATE TRIGGER webhooks_message_created AFTER INSERT ON messages\n"
  "  WHEN new.sender_type IN ('visitor', 'agent', 'bot') BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id, seq,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, c.site_id, 'message.created',\n"
  "         new.conversation_id, new.seq, new.created_at, new.created_at\n"
  "  FROM conversations c JOIN webhooks w ON w.site_id = c.site_id\n"
  "  WHERE c.id = new.conversation_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'message.created');\n"
  "END;\n"
  "CREATE TRIGGER webhooks_rating_created AFTER INSERT ON ratings BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, c.site_id, 'rating.created',\n"
  "         new.conversation_id, new.created_at, new.created_at\n"
  "  FROM conversations c JOIN webhooks w ON w.site_id = c.site_id\n"
  "  WHERE c.id = new.conversation_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'rating.created');\n"
  "END;\n"
  "-- a deleted conversation (a visitor's erasure, retention) leaves nothing of it in the log,\n"
  "-- pending deliveries included: their payloads would carry its messages\n"
  "CREATE TRIGGER webhooks_conversation_deleted AFTER DELETE ON conversations BEGIN\n"
  "  DELETE FROM webhook_deliveries WHERE conversation_id = old.id;\n"
  "END;\n"
  "CREATE INDEX webhook_deliveries_conversation ON webhook_deliveries (conversation_id);\n"
  "-- a visitor who changes their rating rates again\n"
  "CREATE TRIGGER webhooks_rating_changed AFTER UPDATE OF score, comment ON ratings BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, c.site_id, 'rating.created',\n"
  "         new.conversation_id, new.created_at, new.created_at\n"
  "  FROM conversations c JOIN webhooks w ON w.site_id = c.site_id\n"
  "  WHERE c.id = new.conversation_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'rating.created');\n"
  "END;\n",
  /* Issue 12: a message's words reach messages_fts when its transaction commits
   * (store_index_pending(), one FTS5 write per batch), not row by row. FTS5 writes what it
   * holds in memory to disk at every savepoint, a statement's own included, so a trigger that
   * indexed each INSERT wrote a segment per message (and merged them): ~70 µs of the ~80 µs a
   * message cost the writer. The triggers now note the cursor; what is noted and then deleted
   * or changed before the commit never reaches the index. */
  "CREATE TABLE messages_fts_pending (cursor INTEGER PRIMARY KEY);\n"
  "DROP TRIGGER messages_fts_insert;\n"
  "DROP TRIGGER messages_fts_delete;\n"
  "DROP TRIGGER messages_fts_update;\n"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN\n"
  "  INSERT INTO messages_fts_pending (cursor) VALUES (new.cursor);\n"
  "END;\n"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN\n"
  "  INSERT INTO messages_fts (messages_fts, rowid, body) SELECT 'delete', old.cursor, old.body\n"
  "  WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE cursor = old.cursor);\n"
  "  DELETE FROM messages_fts_pending WHERE cursor = old.cursor;\n"
  "END;\n"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN\n"
  "  INSERT INTO messages_fts (messages_fts, rowid, body) SELECT 'delete', old.cursor, old.body\n"
  "  WHERE old.body IS NOT NULL\n"
  "  AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE cursor = old.cursor);\n"
  "  DELETE FROM messages_fts_pending WHERE cursor = old.cursor;\n"
  "  INSERT INTO messages_fts_pending (cursor) SELECT new.cursor WHERE new.body IS NOT NULL;\n"
  "END;\n",
  /* issue 16's FAQ matching (the faqkb branch): synonyms per FAQ, and the FAQ index rebuilt
   * with the porter stemmer over unicode61, so that "shipped", "shipping" and "ships" are one
   * word; the triggers follow the new column */
  "ALTER TABLE faqs ADD COLUMN synonyms TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings\n"
  "DROP TRIGGER faqs_fts_insert;\n"
  "DROP TRIGGER faqs_fts_delete;\n"
  "DROP TRIGGER faqs_fts_update;\n"
  "DROP TABLE faqs_fts;\n"
  "CREATE VIRTUAL TABLE faqs_fts USING fts5 (\n"
  "  question, answer, keywords, synonyms,\n"
  "  content = 'faqs', content_rowid = 'n',\n"
  "  tokenize = 'porter unicode61 remove_diacritics 2'\n"
  ");\n"
  "CREATE TRIGGER faqs_fts_insert AFTER INSERT ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (rowid, question, answer, keywords, synonyms)\n"
  "  VALUES (new.n, new.question, new.answer, new.keywords, new.synonyms);\n"
  "END;\n"
  "CREATE TRIGGER faqs_fts_delete AFTER DELETE ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords, synonyms)\n"
  "  VALUES ('delete', old.n, old.question, old.answer, old.keywords, old.synonyms);\n"
  "END;\n"
  "CREATE TRIGGER faqs_fts_update AFTER UPDATE OF question, answer, keywords, synonyms ON faqs BEGIN\n"
  "  INSERT INTO faqs_fts (faqs_fts, rowid, question, answer, keywords, synonyms)\n"
  "  VALUES ('delete', old.n, old.question, old.answer, old.keywords, old.synonyms);\n"
  "  INSERT INTO faqs_fts (rowid, question, answer, keywords, synonyms)\n"
  "  VALUES (new.n, new.question, new.answer, new.keywords, new.synonyms);\n"
  "END;\n"
  "INSERT INTO faqs_fts (faqs_fts) VALUES ('rebuild');\n",
  /* issue 16's knowledge base (the faqkb branch): a site's help articles in Markdown, with a
   * full-text index (porter, as the FAQs') kept by triggers */
  "CREATE TABLE kb_articles (\n"
  "  n           INTEGER PRIMARY KEY, -- the FTS index's rowid\n"
  "  id          TEXT NOT NULL UNIQUE,\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  slug        TEXT NOT NULL,\n"
  "  title       TEXT NOT NULL,\n"
  "  body        TEXT NOT NULL,\n"
  "  category    TEXT NOT NULL DEFAULT '',\n"
  "  language    TEXT NOT NULL DEFAULT 'en',\n"
  "  published   INTEGER NOT NULL DEFAULT 0,\n"
  "  created_at  INTEGER NOT NULL,\n"
  "  updated_at  INTEGER NOT NULL\n"
  ");\n"
  "CREATE UNIQUE INDEX kb_articles_slug ON kb_articles (site_id, slug);\n"
  "CREATE VIRTUAL TABLE kb_articles_fts USING fts5 (\n"
  "  title, body, category,\n"
  "  content = 'kb_articles', content_rowid = 'n',\n"
  "  tokenize = 'porter unicode61 remove_diacritics 2'\n"
  ");\n"
  "CREATE TRIGGER kb_articles_fts_insert AFTER INSERT ON kb_articles BEGIN\n"
  "  INSERT INTO kb_articles_fts (rowid, title, body, category)\n"
  "  VALUES (new.n, new.title, new.body, new.category);\n"
  "END;\n"
  "CREATE TRIGGER kb_articles_fts_delete AFTER DELETE ON kb_articles BEGIN\n"
  "  INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, category)\n"
  "  VALUES ('delete', old.n, old.title, old.body, old.category);\n"
  "END;\n"
  "CREATE TRIGGER kb_articles_fts_update AFTER UPDATE OF title, body, category ON kb_articles BEGIN\n"
  "  INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body, category)\n"
  "  VALUES ('delete', old.n, old.title, old.body, old.category);\n"
  "  INSERT INTO kb_articles_fts (rowid, title, body, category)\n"
  "  VALUES (new.n, new.title, new.body, new.category);\n"
  "END;\n",
  /* Issue 15, channels: Messenger and WhatsApp Business (relay/meta/, confab-store-channels.c).
   * Every conversation and visitor says where it came from ('web' for all before); an agent's
   * message in another channel carries its delivery state and the platform's id for it. */
  "ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';\n"
  "-- WhatsApp's customer-service window: 24 h after the customer's last message (ms)\n"
  "ALTER TABLE conversations ADD COLUMN reply_window_ends_at INTEGER;\n"
  "ALTER TABLE visitors ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';\n"
  "ALTER TABLE messages ADD COLUMN delivery_status TEXT;\n"
  "ALTER TABLE messages ADD COLUMN delivery_error TEXT;\n"
  "ALTER TABLE messages ADD COLUMN platform_id TEXT;\n"
  "CREATE INDEX messages_platform_id ON messages (platform_id) WHERE platform_id IS NOT NULL;\n"
  "-- a site's connection to a channel: config is what GET shows, secrets never leave the relay\n"
  "CREATE TABLE channel_settings (\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  channel    TEXT NOT NULL,\n"
  "  enabled    INTEGER NOT NULL DEFAULT 1,\n"
  "  config     TEXT NOT NULL DEFAULT '{}',\n"
  "  secrets    TEXT NOT NULL DEFAULT '{}',\n"
  "  updated_at INTEGER NOT NULL,\n"
  "  PRIMARY KEY (site_id, channel)\n"
  ") WITHOUT ROWID;\n"
  "-- the visitor that stands for a sender on a platform (a page-scoped id, a phone number)\n"
  "CREATE TABLE channel_contacts (\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  channel     TEXT NOT NULL,\n"
  "  external_id TEXT NOT NULL,\n"
  "  visitor_id  TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  PRIMARY KEY (site_id, channel, external_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX channel_contacts_visitor ON channel_contacts (visitor_id);\n"
  "-- the platform's ids of what a webhook delivered: Meta retries, we store once\n"
  "CREATE TABLE channel_seen (\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  channel     TEXT NOT NULL,\n"
  "  platform_id TEXT NOT NULL,\n"
  "  seen_at     INTEGER NOT NULL,\n"
  "  PRIMARY KEY (site_id, channel, platform_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX channel_seen_at ON channel_seen (seen_at);\n"
  "-- agents' messages still to hand to a platform, retried with backoff; gone once sent or failed\n"
  "CREATE TABLE channel_outbox (\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  seq             INTEGER NOT NULL,\n"
  "  site_id         TEXT NOT NULL,\n"
  "  channel         TEXT NOT NULL,\n"
  "  request         TEXT NOT NULL,\n"
  "  attempts        INTEGER NOT NULL DEFAULT 0,\n"
  "  next_attempt_at INTEGER NOT NULL,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  PRIMARY KEY (conversation_id, seq)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX channel_outbox_due ON channel_outbox (next_attempt_at);\n",
  /* Issue 15, e-mail (confab-store-email.c, relay/email/): the outgoing queue, agents' replies
   * to offline messages, each site's mailbox and the Message-IDs that thread mail into
   * conversations; agents choose whether they get notifications by mail */
  "-- every mail the relay sends, queued before it is sent so that a restart loses none\n"
  "CREATE TABLE email_outbox (\n"
  "  id              TEXT PRIMARY KEY,\n"
  "  site_id         TEXT REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  kind            TEXT NOT NULL, -- offline_reply, transcript, notification, conversation\n"
  "  -- kind conversation: the agent's message it carries\n"
  "  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  seq             INTEGER,\n"
  "  to_address      TEXT NOT NULL,\n"
  "  message_id      TEXT NOT NULL, -- without <>\n"
  "  message         TEXT NOT NULL, -- the whole RFC 5322 text, CRLF line ends; '' once done\n"
  "  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),\n"
  "  attempts        INTEGER NOT NULL DEFAULT 0,\n"
  "  next_attempt_at INTEGER NOT NULL,\n"
  "  error           TEXT,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  sent_at         INTEGER\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';\n"
  "CREATE INDEX email_outbox_message ON email_outbox (conversation_id, seq) WHERE conversation_id IS NOT NULL;\n"
  "CREATE TABLE offline_replies (\n"
  "  id                 TEXT PRIMARY KEY,\n"
  "  offline_message_id TEXT NOT NULL REFERENCES offline_messages (id) ON DELETE CASCADE,\n"
  "  author_id          TEXT REFERENCES users (id) ON DELETE SET NULL,\n"
  "  author_name        TEXT,\n"
  "  body               TEXT NOT NULL,\n"
  "  mail_id            TEXT, -- its email_outbox row\n"
  "  sent_at            INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX offline_replies_offline ON offline_replies (offline_message_id, sent_at);\n"
  "CREATE TABLE email_channels (\n"
  "  site_id        TEXT PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  enabled        INTEGER NOT NULL DEFAULT 1,\n"
  "  address        TEXT NOT NULL,\n"
  "  imap_url       TEXT NOT NULL,\n"
  "  imap_user      TEXT NOT NULL,\n"
  "  imap_password  TEXT NOT NULL DEFAULT '',\n"
  "  poll_seconds   INTEGER NOT NULL DEFAULT 60,\n"
  "  last_polled_at INTEGER,\n"
  "  last_error     TEXT\n"
  ") WITHOUT ROWID;\n"
  "-- the Message-IDs the relay sent or read, each in the conversation it belongs to\n"
  "CREATE TABLE email_threads (\n"
  "  message_id      TEXT PRIMARY KEY,\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  created_at      INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX email_threads_conversation ON email_threads (conversation_id);\n"
  "ALTER TABLE users ADD COLUMN email_notifications INTEGER NOT NULL DEFAULT 1;\n",
  /* Issue 18, response-time targets (confab-store-targets.c): the one running on the
   * conversation, with the time its state next changes; every one with its outcome */
  "ALTER TABLE conversations ADD COLUMN target_kind TEXT; -- first_response, next_response\n"
  "ALTER TABLE conversations ADD COLUMN target_due_at INTEGER;\n"
  "ALTER TABLE conversations ADD COLUMN target_state TEXT; -- ok, near, missed: as announced\n"
  "ALTER TABLE conversations ADD COLUMN target_next_at INTEGER; -- when it turns near, then missed\n"
  "CREATE INDEX conversations_target_next ON conversations (target_next_at)\n"
  "  WHERE target_next_at IS NOT NULL;\n"
  "CREATE TABLE response_targets (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  kind            TEXT NOT NULL,\n"
  "  started_at      INTEGER NOT NULL,\n"
  "  due_at          INTEGER NOT NULL,\n"
  "  ended_at        INTEGER, -- NULL while it runs\n"
  "  outcome         TEXT -- met, missed, stopped (resolved in time); NULL while it runs in time\n"
  ");\n"
  "CREATE INDEX response_targets_conversation ON response_targets (conversation_id);\n"
  "CREATE INDEX response_targets_site ON response_targets (site_id, started_at);\n",
  /* Issue 18, routing (confab-store-routing.c): teams and their members, each agent's limit
   * of open chats per site and when the relay last gave them one (round robin), a
   * conversation's team and its place in the queue, and the handling times the queue's
   * estimated wait comes from */
  "CREATE TABLE teams (\n"
  "  id                     TEXT PRIMARY KEY,\n"
  "  site_id                TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  key                    TEXT NOT NULL,\n"
  "  name                   TEXT NOT NULL,\n"
  "  assignment             TEXT NOT NULL DEFAULT 'inherit'\n"
  "                         CHECK (assignment IN ('inherit', 'off', 'round_robin', 'least_busy')),\n"
  "  first_response_seconds INTEGER,\n"
  "  next_response_seconds  INTEGER,\n"
  "  created_at             INTEGER NOT NULL,\n"
  "  UNIQUE (site_id, key)\n"
  ") WITHOUT ROWID;\n"
  "CREATE UNIQUE INDEX teams_name ON teams (site_id, lower (name));\n"
  "CREATE TABLE team_members (\n"
  "  team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,\n"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
  "  PRIMARY KEY (team_id, user_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX team_members_user ON team_members (user_id);\n"
  "ALTER TABLE memberships ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE memberships ADD COLUMN routed_at INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE conversations ADD COLUMN team_id TEXT REFERENCES teams (id) ON DELETE SET NULL;\n"
  "ALTER TABLE conversations ADD COLUMN queued_at INTEGER;\n"
  "ALTER TABLE conversations ADD COLUMN queue_order INTEGER;\n"
  "ALTER TABLE conversations ADD COLUMN assigned_at INTEGER;\n"
  "CREATE INDEX conversations_queue ON conversations (site_id, queue_order) WHERE queue_order IS NOT NULL;\n"
  "CREATE INDEX conversations_assignee ON conversations (assignee_id, status) WHERE assignee_id IS NOT NULL;\n"
  "CREATE INDEX conversations_team ON conversations (team_id) WHERE team_id IS NOT NULL;\n"
  "CREATE TABLE handling_times (\n"
  "  id      INTEGER PRIMARY KEY,\n"
  "  site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  team_id TEXT,\n"
  "  ms      INTEGER NOT NULL,\n"
  "  at      INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX handling_times_team ON handling_times (site_id, team_id, id);\n",
  /* engage (issue 16): contacts with their lead score, goals from Confab.track, proactive
   * triggers and the greetings they sent; beside visitors, whose row stays as it is */
  "CREATE TABLE visitor_contacts (\n"
  "  visitor_id  TEXT PRIMARY KEY REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  phone       TEXT,\n"
  "  notes       TEXT,\n"
  "  tags        TEXT NOT NULL DEFAULT '[]',\n"
  "  asked_price INTEGER NOT NULL DEFAULT 0,\n"
  "  lead_score  INTEGER NOT NULL DEFAULT 0\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX visitor_contacts_score ON visitor_contacts (site_id, lead_score);\n"
  "CREATE TABLE visitor_goals (\n"
  "  id         INTEGER PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  name       TEXT NOT NULL,\n"
  "  value      REAL,\n"
  "  at         INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX visitor_goals_visitor ON visitor_goals (visitor_id, at);\n"
  "CREATE INDEX visitor_goals_site ON visitor_goals (site_id, at);\n"
  "CREATE TABLE triggers (\n"
  "  id         TEXT PRIMARY KEY,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  name       TEXT NOT NULL,\n"
  "  enabled    INTEGER NOT NULL DEFAULT 1,\n"
  "  conditions TEXT NOT NULL,\n"
  "  message    TEXT NOT NULL,\n"
  "  sender     TEXT NOT NULL,\n"
  "  ask_email  INTEGER NOT NULL DEFAULT 0,\n"
  "  created_at INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX triggers_site ON triggers (site_id, created_at);\n"
  "CREATE TABLE trigger_fires (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  trigger_id      TEXT NOT NULL,\n"
  "  visitor_id      TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,\n"
  "  conversation_id TEXT,\n"
  "  visit           INTEGER NOT NULL,\n"
  "  at              INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX trigger_fires_site ON trigger_fires (site_id, at);\n"
  "CREATE UNIQUE INDEX trigger_fires_visit ON trigger_fires (visitor_id, trigger_id, visit);\n",
  /* Issue 16, the assistant (confab-assistant.c, confab-store-assistant.c): an assistant's
   * answer keeps what the widget shows beside its body; what the assistant did, per site, for
   * analytics and the visitors' votes on its answers */
  "-- {\"stream_id\",\"sources\":[{\"title\",\"url\"}],\"actions\":[…]} of an assistant's answer\n"
  "ALTER TABLE messages ADD COLUMN assistant TEXT;\n"
  "CREATE TABLE assistant_events (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,\n"
  "  seq             INTEGER, -- the answer a vote is about\n"
  "  kind            TEXT NOT NULL CHECK (kind IN ('answer', 'unknown', 'failure', 'handoff', 'vote')),\n"
  "  helpful         INTEGER, -- votes: 1 or 0\n"
  "  created_at      INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX assistant_events_site ON assistant_events (site_id, created_at);\n"
  "CREATE UNIQUE INDEX assistant_events_vote ON assistant_events (conversation_id, seq) WHERE kind = 'vote';\n"
  "-- [assistant] embeddings-url: a vector per FAQ and article, of the text whose hash it keeps\n"
  "CREATE TABLE embeddings (\n"
  "  kind       TEXT NOT NULL CHECK (kind IN ('faq', 'article')),\n"
  "  item_id    TEXT NOT NULL,\n"
  "  site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,\n"
  "  hash       TEXT NOT NULL, -- SHA-256 of the model and the text embedded\n"
  "  vector     BLOB NOT NULL, -- float32, little-endian\n"
  "  updated_at INTEGER NOT NULL,\n"
  "  PRIMARY KEY (kind, item_id)\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX embeddings_site ON embeddings (site_id);\n",
  /* Issue 12, speed12: the analytics trigger (schema 11) rewrote the conversation's row for
   * every message, beside the store's own UPDATE of it, though once the visitor's first
   * message, the first reply and the first bot answer are noted it has nothing left to
   * change: it now only writes when one of its columns would change. And a trigger's
   * WHEN x IN ('visitor', 'agent', 'bot') made SQLite fill an ephemeral table with the list
   * each time the trigger ran, i.e. for every message, in this trigger and the webhooks' one:
   * <> 'system' says the same (sender_type's CHECK) without one. */
  "DROP TRIGGER messages_analytics;\n"
  "CREATE TRIGGER messages_analytics AFTER INSERT ON messages\n"
  "  WHEN new.sender_type <> 'system' BEGIN\n"
  "  UPDATE conversations SET\n"
  "    first_visitor_seq = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                        THEN new.seq ELSE first_visitor_seq END,\n"
  "    first_visitor_at = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                       THEN new.created_at ELSE first_visitor_at END,\n"
  "    first_visitor_text = CASE WHEN first_visitor_seq IS NULL AND new.sender_type = 'visitor'\n"
  "                         THEN substr (new.body, 1, 1000) ELSE first_visitor_text END,\n"
  "    first_reply_at = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND new.sender_type = 'agent' THEN new.created_at ELSE first_reply_at END,\n"
  "    first_reply_by = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND new.sender_type = 'agent' THEN new.sender_id ELSE first_reply_by END,\n"
  "    agent_wrote = agent_wrote OR new.sender_type = 'agent',\n"
  "    bot_answered = bot_answered OR new.sender_type = 'bot'\n"
  "  WHERE id = new.conversation_id\n"
  "    AND CASE new.sender_type\n"
  "          WHEN 'visitor' THEN first_visitor_seq IS NULL\n"
  "          WHEN 'agent' THEN NOT agent_wrote OR (first_reply_at IS NULL AND first_visitor_seq IS NOT NULL)\n"
  "          ELSE NOT bot_answered\n"
  "        END;\n"
  "  INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count)\n"
  "  SELECT site_id, new.created_at / 900000, new.sender_type,\n"
  "         CASE WHEN new.sender_type = 'visitor' THEN '' ELSE coalesce (new.sender_id, '') END, 1\n"
  "  FROM conversations WHERE id = new.conversation_id\n"
  "  ON CONFLICT (site_id, slot, sender_type, sender_id) DO UPDATE SET count = count + 1;\n"
  "END;\n"
  "DROP TRIGGER webhooks_message_created;\n"
  "CREATE TRIGGER webhooks_message_created AFTER INSERT ON messages\n"
  "  WHEN new.sender_type <> 'system' BEGIN\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id, seq,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || lower (hex (randomblob (12))), w.id, c.site_id, 'message.created',\n"
  "         new.conversation_id, new.seq, new.created_at, new.created_at\n"
  "  FROM conversations c JOIN webhooks w ON w.site_id = c.site_id\n"
  "  WHERE c.id = new.conversation_id AND w.enabled\n"
  "  AND EXISTS (SELECT 1 FROM json_each (w.events) WHERE value = 'message.created');\n"
  "END;\n",
};

int
confab_store_current_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}

/* --- enums ---------------------------------------------------------------------------------- */

const char *
confab_role_to_string (ConfabRole role)
{
  switch (role)
    {
    case CONFAB_ROLE_AGENT: return "agent";
    case CONFAB_ROLE_ADMIN: return "admin";
    case CONFAB_ROLE_OWNER: return "owner";
    case CONFAB_ROLE_NONE:
    default:
      return NULL;
    }
}

ConfabRole
confab_role_from_string (const char *text)
{
  if (g_strcmp0 (text, "agent") == 0)
    return CONFAB_ROLE_AGENT;
  if (g_strcmp0 (text, "admin") == 0)
    return CONFAB_ROLE_ADMIN;
  if (g_strcmp0 (text, "owner") == 0)
    return CONFAB_ROLE_OWNER;
  return CONFAB_ROLE_NONE;
}

static const char * const status_names[] = { "open", "pending", "resolved", "closed" };

const char *
confab_status_to_string (ConfabConversationStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return NULL;
  return status_names[status];
}

gboolean
confab_status_from_string (const char               *text,
                           ConfabConversationStatus *out_status)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (status_names); i++)
    {
      if (strcmp (text, status_names[i]) == 0)
        {
          if (out_status != NULL)
            *out_status = i;
          return TRUE;
        }
    }
  return FALSE;
}

static const char * const sender_names[] = { "visitor", "agent", "bot", "system" };

const char *
confab_sender_to_string (ConfabSenderType type)
{
  if ((guint) type >= G_N_ELEMENTS (sender_names))
    return NULL;
  return sender_names[type];
}

ConfabSenderType
store_sender_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (sender_names); i++)
    if (strcmp (text, sender_names[i]) == 0)
      return i;
  return CONFAB_SENDER_SYSTEM;
}

/* --- records -------------------------------------------------------------------------------- */

void
confab_user_free (ConfabUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->email);
  g_free (user->name);
  g_free (user->password_hash);
  g_free (user);
}

void
confab_site_free (ConfabSite *site)
{
  if (site == NULL)
    return;
  g_free (site->id);
  g_free (site->name);
  g_free (site->site_key);
  g_strfreev (site->domains);
  g_free (site->settings_json);
  g_free (site);
}

void
confab_visitor_free (ConfabVisitor *visitor)
{
  if (visitor == NULL)
    return;
  g_free (visitor->id);
  g_free (visitor->site_id);
  g_free (visitor->token_hash);
  g_free (visitor->name);
  g_free (visitor->email);
  g_free (visitor->locale);
  g_free (visitor->timezone);
  g_free (visitor->browser);
  g_free (visitor->os);
  g_free (visitor->country);
  g_free (visitor->city);
  g_free (visitor->fingerprint);
  g_free (visitor->country_name);
  g_free (visitor->geo_timezone);
  g_free (visitor->browser_version);
  g_free (visitor->os_version);
  g_free (visitor->device_type);
  g_free (visitor->linked_to);
  g_free (visitor->channel);
  g_free (visitor);
}

void
confab_page_view_free (ConfabPageView *view)
{
  if (view == NULL)
    return;
  g_free (view->url);
  g_free (view->title);
  g_free (view);
}

void
confab_conversation_free (ConfabConversation *conversation)
{
  if (conversation == NULL)
    return;
  g_free (conversation->id);
  g_free (conversation->site_id);
  g_free (conversation->visitor_id);
  g_free (conversation->assignee_id);
  g_free (conversation->channel);
  g_free (conversation);
}

ConfabConversation *
confab_conversation_copy (const ConfabConversation *conversation)
{
  ConfabConversation *copy;

  if (conversation == NULL)
    return NULL;
  copy = g_memdup2 (conversation, sizeof *conversation);
  copy->id = g_strdup (conversation->id);
  copy->site_id = g_strdup (conversation->site_id);
  copy->visitor_id = g_strdup (conversation->visitor_id);
  copy->assignee_id = g_strdup (conversation->assignee_id);
  copy->channel = g_strdup (conversation->channel);
  return copy;
}

void
confab_message_free (ConfabMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->conversation_id);
  g_free (message->client_id);
  g_free (message->sender_id);
  g_free (message->sender_name);
  g_free (message->body);
  g_free (message->delivery_status);
  g_free (message->delivery_error);
  g_free (message->assistant_json);
  g_free (message->attachment_id);
  g_clear_pointer (&message->attachment, confab_upload_free);
  g_free (message);
}

void
confab_event_free (ConfabEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->site_id);
  g_free (event->kind);
  g_free (event->payload_json);
  g_clear_pointer (&event->message, confab_message_free);
  g_free (event);
}

/* --- other backends (confab-store-backend.h) ------------------------------------------------ */

ConfabStore *
confab_store_new_for_backend (const ConfabStoreFuncs *backend,
                              gpointer                  data)
{
  ConfabStore *store = g_new0 (ConfabStore, 1);

  g_return_val_if_fail (backend != NULL && backend->close != NULL && backend->rollback != NULL,
                        NULL);

  store->backend = backend;
  store->backend_data = data;
  return store;
}

gpointer
confab_store_get_backend_data (ConfabStore *store)
{
  return store->backend_data;
}

const ConfabStoreFuncs *
confab_store_get_backend (ConfabStore *store)
{
  return store != NULL ? store->backend : NULL;
}

/* --- statement helpers ---------------------------------------------------------------------- */

/* Maps a SQLite failure to the store's error codes: a broken UNIQUE is EXISTS, a broken
 * foreign key means the row it points at does not exist. */
void
store_set_sqlite_error (ConfabStore *store,
                  GError     **error,
                  int          rc,
                  const char  *what)
{
  int code = CONFAB_STORE_ERROR_FAILED;

  switch (rc)
    {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      code = CONFAB_STORE_ERROR_EXISTS;
      break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      code = CONFAB_STORE_ERROR_NOT_FOUND;
      break;
    default:
      /* the primary code: SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE, ... say more than we need */
      switch (rc & 0xff)
        {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
          code = CONFAB_STORE_ERROR_BUSY;
          break;
        case SQLITE_FULL:
          code = CONFAB_STORE_ERROR_FULL;
          break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
          code = CONFAB_STORE_ERROR_CORRUPT;
          break;
        default:
          break;
        }
      break;
    }

  g_set_error (error, CONFAB_STORE_ERROR, code, "%s: %s (%s, database %s)",
               what, sqlite3_errmsg (store->db), sqlite3_errstr (rc), store->path);
}

ConfabStmt *
store_prepare (ConfabStore *store,
               const char  *sql,
               GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* A function that forgot its STORE_HANDOFF line fails here rather than on a NULL database */
  if (store->backend != NULL)
    {
      g_critical ("A SQLite statement on a %s store: a public function lacks its "
                  "STORE_HANDOFF line: %s", store->backend->name, sql);
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Internal error: a SQLite statement on the %s store", store->backend->name);
      return NULL;
    }

  stmt = g_hash_table_lookup (store->statements, sql);

  if (stmt != NULL)
    {
      /* Two live uses of one cached statement would clobber each other's bindings. */
      g_warn_if_fail (!sqlite3_stmt_busy (stmt));
      return stmt;
    }

  rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      store_set_sqlite_error (store, error, rc, "Cannot prepare a statement");
      return NULL;
    }

  g_hash_table_insert (store->statements, (gpointer) sql, stmt);
  return stmt;
}

void
store_bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

char *
store_column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows. */
gboolean
store_step_done (ConfabStore  *store,
           sqlite3_stmt *stmt,
           const char   *what,
           GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;

  store_set_sqlite_error (store, error, rc, what);
  return FALSE;
}

/* SQLITE_ROW → TRUE; no row → FALSE with NOT_FOUND "@what @id"; other failures → FAILED. */
gboolean
store_step_row (ConfabStore  *store,
          sqlite3_stmt *stmt,
          const char   *what,
          const char   *id,
          GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "No %s “%s”", what, id != NULL ? id : "(null)");
  else
    store_set_sqlite_error (store, error, rc, what);
  return FALSE;
}

static gboolean
exec_static (ConfabStore *store,
             const char  *sql,
             const char  *what,
             GError     **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);

  return stmt != NULL && store_step_done (store, stmt, what, error);
}

/* SQLite's LIMIT takes -1 for "no limit"; a 0 from the caller means the same. */
gint64
store_sql_limit (guint limit)
{
  return limit == 0 ? -1 : (gint64) limit;
}

gboolean
store_not_found_if_unchanged (ConfabStore *store,
                        const char  *what,
                        const char  *id,
                        GError     **error)
{
  if (sqlite3_changes (store->db) > 0)
    return TRUE;

  g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
               "No %s “%s”", what, id != NULL ? id : "(null)");
  return FALSE;
}

/* Runs @stmt and collects one record per row with @read. */
GPtrArray *
store_read_all (ConfabStore    *store,
                sqlite3_stmt   *stmt,
                gpointer      (*read) (sqlite3_stmt *stmt),
                GDestroyNotify  free_func,
                const char     *what,
                GError        **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, read (stmt));

  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, what);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* --- open, close, migrations ---------------------------------------------------------------- */

static int
read_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
db_exec (ConfabStore *store,
         const char  *sql,
         const char  *what,
         GError     **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    return TRUE;

  store_set_sqlite_error (store, error, rc, what);
  return FALSE;
}

static gboolean
migrate (ConfabStore *store,
         GError     **error)
{
  int target = confab_store_current_schema_version ();

  for (;;)
    {
      g_autofree char *set_version = NULL;
      g_autofree char *what = NULL;
      int version;

      /* IMMEDIATE, and the version read inside the transaction: two relays started on the same
       * file at once must not both run the same migration. */
      if (!db_exec (store, "BEGIN IMMEDIATE", "Cannot start the schema migration", error))
        return FALSE;

      version = read_user_version (store->db);
      if (version < 0)
        {
          store_set_sqlite_error (store, error, sqlite3_errcode (store->db),
                            "Cannot read the schema version");
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }

      if (version > target)
        {
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_TOO_NEW,
                       "The database %s has schema version %d, but this relay only knows up to "
                       "version %d: it was written by a newer Confab relay. Run that newer relay, "
                       "or restore a backup made with this version.",
                       store->path, version, target);
          return FALSE;
        }

      if (version == target)
        return db_exec (store, "COMMIT", "Cannot finish the schema check", error);

      /* The migrations are static SQL: nothing from outside is interpolated here. */
      what = g_strdup_printf ("Cannot migrate the schema from version %d to %d",
                              version, version + 1);
      set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!db_exec (store, migrations[version], what, error) ||
          !db_exec (store, set_version, what, error) ||
          !db_exec (store, "COMMIT", what, error))
        {
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }

      g_debug ("Migrated %s to schema version %d", store->path, version + 1);
    }
}

static void
statement_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* The database holds password hashes, token hashes and every conversation: only its owner may
 * read it. SQLite gives the -wal and -shm files the mode of the database file, so creating that
 * one 0600 (whatever the umask) covers all three; files made 0644 by an older relay are
 * tightened here too. */
static gboolean
restrict_file_modes (const char  *path,
                     GError     **error)
{
  static const char * const suffixes[] = { "-wal", "-shm" };
  struct stat st;
  int fd;

  if (strcmp (path, ":memory:") == 0 || g_str_has_prefix (path, "file:"))
    return TRUE;

  /* Never open() and close() a database this process may have open already: closing any
   * descriptor of a file drops every POSIX lock the process holds on it, SQLite's included, and
   * another process then believes it is alone with the database (it checkpoints and resets the
   * WAL under the live connection, whose reads go stale). Only a file that does not exist yet is
   * created here; an existing one is changed by name. */
  if (g_stat (path, &st) != 0)
    {
      fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          int saved_errno = errno;
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                       "Cannot open the database %s: %s (check that its directory exists and is "
                       "writable)", path, g_strerror (saved_errno));
          return FALSE;
        }
      close (fd);
    }
  else if ((st.st_mode & 0077) != 0 && g_chmod (path, st.st_mode & 0700) != 0)
    g_warning ("Cannot make %s private to its owner: %s", path, g_strerror (errno));

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *companion = g_strconcat (path, suffixes[i], NULL);

      if (g_stat (companion, &st) == 0 && (st.st_mode & 0077) != 0 &&
          g_chmod (companion, st.st_mode & 0700) != 0)
        g_warning ("Cannot make %s private to its owner: %s", companion, g_strerror (errno));
    }

  return TRUE;
}

static gsize memstatus_off;

static int
stop_at_first_row (void  *data,
                   int    columns,
                   char **values,
                   char **names)
{
  return 1;
}

ConfabStore *
confab_store_open (const char      *path,
                   ConfabStoreSync  sync,
                   GError         **error)
{
  g_autoptr (ConfabStore) store = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  /* SQLite's memory statistics take a global mutex on every malloc and free, and nothing here
   * reads them. Only possible before SQLite initialises (the first open); later it is refused
   * (SQLITE_MISUSE) and changes nothing. */
  if (g_once_init_enter (&memstatus_off))
    {
      if (sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        g_debug ("SQLite was initialised before the first store: its memory statistics stay on");
      g_once_init_leave (&memstatus_off, 1);
    }

  store = g_new0 (ConfabStore, 1);
  store->path = g_strdup (path);
  /* Keyed by the SQL's address, not its text: every statement is a string literal, and
   * hashing and comparing the whole SQL text on every call showed up in profiles. */
  store->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             statement_finalize);

  if (!restrict_file_modes (path, error))
    return NULL;

  /* NOMUTEX: the store is only ever used from the main loop's thread. */
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot open the database %s: %s (check that its directory exists and is "
                   "writable)", path,
                   store->db != NULL ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (store->db, 1);
  store_site_cache_init (store);
  confab_store_set_busy_timeout (store, BUSY_TIMEOUT_MS);

  /* journal_mode answers with the mode it got: a file system without shared memory
   * (some network mounts) silently stays in rollback mode. */
  rc = sqlite3_prepare_v2 (store->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      /* Several relays opening one new database at once (a cluster on one data directory):
       * each holds a shared lock and wants the exclusive one, and SQLite answers BUSY at once
       * rather than wait in a deadlock, without the busy handler. Try again for as long as
       * the busy timeout. */
      gint64 give_up = g_get_monotonic_time () + BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

      while ((rc = sqlite3_step (stmt)) != SQLITE_ROW && (rc & 0xff) == SQLITE_BUSY &&
             g_get_monotonic_time () < give_up)
        {
          sqlite3_reset (stmt);
          g_usleep (g_random_int_range (5, 25) * 1000);
        }
    }
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot switch the database to WAL mode");
      sqlite3_finalize (stmt);
      return NULL;
    }
  if (g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0 &&
      strcmp (path, ":memory:") != 0)
    g_warning ("%s is not in WAL mode (%s): acknowledged messages may be lost on a crash",
               path, sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  if (!db_exec (store, sync == CONFAB_STORE_SYNC_FULL ? "PRAGMA synchronous = FULL"
                                                      : "PRAGMA synchronous = NORMAL",
                "Cannot set the sync mode", error) ||
      !db_exec (store, "PRAGMA foreign_keys = ON", "Cannot enable foreign keys", error) ||
      /* Statement journals (one per savepoint that writes) and sorts stay in memory: on disk
       * each batch made and wrote a temporary file under /var/tmp (issue 12). */
      !db_exec (store, "PRAGMA temp_store = MEMORY", "Cannot keep temporary data in memory", error))
    return NULL;

  if (!migrate (store, error))
    return NULL;

  /* what another program (the sqlite3 shell) wrote without indexing it */
  if (!sqlite3_db_readonly (store->db, "main") &&
      sqlite3_exec (store->db, "SELECT 1 FROM messages_fts_pending LIMIT 1", stop_at_first_row,
                    NULL, NULL) == SQLITE_ABORT)
    {
      g_autoptr (GError) index_error = NULL;

      if (!confab_store_begin (store, &index_error) ||
          !confab_store_commit (store, &index_error))
        {
          if (store->depth > 0)
            confab_store_rollback (store);
          g_debug ("Cannot index the messages written outside the relay: %s",
                   index_error->message);
        }
    }

  return g_steal_pointer (&store);
}

void
confab_store_close (ConfabStore *store)
{
  if (store == NULL)
    return;

  if (store->backend != NULL)
    {
      store->backend->close (store);
      g_free (store);
      return;
    }

  if (store->db != NULL)
    {
      if (store->depth > 0)
        {
          g_warning ("Closing %s with %u open transaction level(s): rolling back",
                     store->path, store->depth);
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
        }
      g_hash_table_remove_all (store->statements);
      store_site_cache_clear (store);
      /* Keeps the query planner's statistics fresh at a moment nobody waits for. */
      sqlite3_exec (store->db, "PRAGMA optimize", NULL, NULL, NULL);
      if (sqlite3_close (store->db) != SQLITE_OK)
        g_warning ("Cannot close %s cleanly: %s", store->path, sqlite3_errmsg (store->db));
    }

  g_clear_pointer (&store->statements, g_hash_table_unref);
  g_clear_pointer (&store->wal_watch, g_free);
  store_site_cache_clear (store);
  g_clear_error (&store->write_error);
  g_free (store->path);
  g_free (store);
}

int
confab_store_schema_version (ConfabStore *store)
{
  STORE_HANDOFF (store, schema_version, -1, NULL);

  g_return_val_if_fail (store != NULL, -1);

  return read_user_version (store->db);
}

void
confab_store_set_busy_timeout (ConfabStore *store,
                               int          ms)
{
  g_return_if_fail (store != NULL);

  if (store->backend != NULL)
    {
      if (store->backend->set_busy_timeout != NULL)
        store->backend->set_busy_timeout (store, ms);
      return;
    }

  store->busy_timeout_ms = ms;
  sqlite3_busy_timeout (store->db, ms);
}

static int
past_deadline (gpointer user_data)
{
  const gint64 *deadline = user_data;

  return g_get_monotonic_time () > *deadline;
}

gboolean
confab_store_quick_check (ConfabStore  *store,
                          guint         max_ms,
                          GError      **error)
{
  STORE_HANDOFF (store, quick_check, FALSE, error, max_ms, error);

  g_autoptr (GString) problems = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  gint64 started = g_get_monotonic_time ();
  gint64 deadline = started + (gint64) max_ms * 1000;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  /* checked every few thousand VM steps: a clock read each time costs nothing measurable */
  sqlite3_progress_handler (store->db, 10000, past_deadline, &deadline);
  rc = sqlite3_prepare_v2 (store->db,
                           "PRAGMA quick_check (" G_STRINGIFY (QUICK_CHECK_MAX_ERRORS) ")",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *line = (const char *) sqlite3_column_text (stmt, 0);

          if (g_strcmp0 (line, "ok") == 0)
            continue;
          if (problems->len > 0)
            g_string_append (problems, "; ");
          g_string_append (problems, line != NULL ? line : "(null)");
        }
    }

  sqlite3_progress_handler (store->db, 0, NULL, NULL);

  if (rc == SQLITE_INTERRUPT && problems->len == 0)
    {
      sqlite3_finalize (stmt);
      g_warning ("The start-up check of %s stopped after %u ms with no problem found so far; "
                 "check all of it with “sqlite3 %s 'PRAGMA quick_check'” while the relay is "
                 "stopped", store->path, max_ms, store->path);
      return TRUE;
    }

  /* A page damaged badly enough makes the check itself fail rather than list it. */
  if (rc != SQLITE_DONE && problems->len == 0)
    g_string_append (problems, sqlite3_errmsg (store->db));
  sqlite3_finalize (stmt);

  g_debug ("quick_check of %s: %" G_GINT64_FORMAT " ms", store->path,
           (g_get_monotonic_time () - started) / 1000);

  if (problems->len == 0)
    return TRUE;

  g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CORRUPT,
               "The database %s is damaged (%s). Stop every relay using it and restore a backup, "
               "or try to recover what is readable with “sqlite3 %s .recover”.",
               store->path, problems->str, store->path);
  return FALSE;
}

gint64
confab_store_total_changes (ConfabStore *store)
{
  STORE_HANDOFF (store, total_changes, 0, NULL);

  return sqlite3_total_changes64 (store->db);
}

typedef struct _WalWatch {
  ConfabStoreWalFunc func;
  gpointer           user_data;
} WalWatch;

static int
on_wal_commit (void       *data,
               sqlite3    *db,
               const char *name,
               int         frames)
{
  WalWatch *watch = data;

  watch->func (watch->user_data, frames);
  return SQLITE_OK;
}

void
confab_store_watch_wal (ConfabStore        *store,
                        ConfabStoreWalFunc  func,
                        gpointer            user_data)
{
  g_return_if_fail (store != NULL);

  if (store->backend != NULL)
    return;
  if (func == NULL)
    {
      /* SQLite's own hook again (1000: its default) */
      sqlite3_wal_autocheckpoint (store->db, 1000);
      g_clear_pointer (&store->wal_watch, g_free);
      return;
    }
  g_clear_pointer (&store->wal_watch, g_free);
  store->wal_watch = g_new0 (WalWatch, 1);
  store->wal_watch->func = func;
  store->wal_watch->user_data = user_data;
  /* replaces SQLite's own hook, the autocheckpoint */
  sqlite3_wal_hook (store->db, on_wal_commit, store->wal_watch);
}

gboolean
confab_store_checkpoint (ConfabStore  *store,
                         GError      **error)
{
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  if (store->backend != NULL)
    return TRUE;
  rc = sqlite3_wal_checkpoint_v2 (store->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
    {
      store_set_sqlite_error (store, error, rc, "Cannot checkpoint the write-ahead log");
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_store_error_is_transient (const GError *error)
{
  return g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY) ||
         g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FULL) ||
         g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
}

/* Busy is not remembered: whether another process holds the lock is asked afresh each time. */
static void
note_write_result (ConfabStore  *store,
                   const GError *error)
{
  if (error != NULL && g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
    return;

  g_clear_error (&store->write_error);
  if (error != NULL)
    store->write_error = g_error_copy (error);
}

gboolean
confab_store_check_writable (ConfabStore  *store,
                             GError      **error)
{
  STORE_HANDOFF (store, check_writable, FALSE, error, error);

  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  /* inside a transaction of ours the write lock is ours */
  if (store->depth == 0)
    {
      sqlite3_busy_timeout (store->db, 0);
      rc = sqlite3_exec (store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
      sqlite3_busy_timeout (store->db, store->busy_timeout_ms);
      if (rc != SQLITE_OK)
        {
          store_set_sqlite_error (store, error, rc, "Cannot start a write");
          return FALSE;
        }
    }

  if (store->write_error != NULL)
    {
      g_propagate_error (error, g_error_copy (store->write_error));
      return FALSE;
    }
  return TRUE;
}

/* --- transactions --------------------------------------------------------------------------- */

/* The outermost level is BEGIN IMMEDIATE rather than a SAVEPOINT (which starts a deferred
 * transaction): in WAL mode a deferred read that later wants to write fails with
 * SQLITE_BUSY_SNAPSHOT if another connection wrote in between, and no busy timeout helps. */
gboolean
confab_store_begin (ConfabStore *store,
                    GError     **error)
{
  STORE_HANDOFF (store, begin, FALSE, error, error);

  g_return_val_if_fail (store != NULL, FALSE);

  /* After a full disk or an I/O error SQLite may have rolled the whole transaction back on its
   * own. A SAVEPOINT now would quietly start a new one, committed on its own at RELEASE: the
   * caller's changes would no longer be atomic with the rest of its transaction. */
  if (store->depth > 0 && sqlite3_get_autocommit (store->db))
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot continue a transaction on %s: SQLite rolled it back after an earlier "
                   "error", store->path);
      return FALSE;
    }

  if (!exec_static (store, store->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT confab",
                    "Cannot start a transaction", error))
    {
      if (store->depth == 0 && error != NULL)
        note_write_result (store, *error);
      return FALSE;
    }

  store->depth++;
  return TRUE;
}

/* The messages a transaction wrote go into messages_fts in one statement before it commits
 * (migration 16): one FTS5 write per transaction instead of a segment per message. */
static gboolean
store_index_pending (ConfabStore  *store,
                     GError      **error)
{
  g_autoptr (ConfabStmt) any = NULL;
  int rc;

  any = store_prepare (store, "SELECT 1 FROM messages_fts_pending LIMIT 1", error);
  if (any == NULL)
    return FALSE;
  rc = sqlite3_step (any);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot index the new messages");
      return FALSE;
    }

  {
    g_autoptr (ConfabStmt) index = NULL;
    g_autoptr (ConfabStmt) clear = NULL;

    index = store_prepare (store,
                           "INSERT INTO messages_fts (rowid, body) "
                           /* Each noted cursor looked up: as a join, statistics taken
                            * when messages was small made SQLite scan it per cursor. Every
                            * noted message has a body (the triggers see to it). */
                           "SELECT p.cursor, "
                           "(SELECT m.body FROM messages m WHERE m.cursor = p.cursor) "
                           "FROM messages_fts_pending p",
                           error);
    if (index == NULL || !store_step_done (store, index, "Cannot index the new messages", error))
      return FALSE;
    clear = store_prepare (store, "DELETE FROM messages_fts_pending", error);
    return clear != NULL && store_step_done (store, clear, "Cannot index the new messages", error);
  }
}

/* On failure the level stays open: the caller rolls it back, as after any other failure. */
gboolean
confab_store_commit (ConfabStore *store,
                     GError     **error)
{
  STORE_HANDOFF (store, commit, FALSE, error, error);

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (store->depth > 0, FALSE);

  if (store->depth == 1 && !store_index_pending (store, error))
    return FALSE;

  if (!exec_static (store, store->depth == 1 ? "COMMIT" : "RELEASE confab",
                    "Cannot commit a transaction", error))
    {
      if (store->depth == 1 && error != NULL)
        note_write_result (store, *error);
      return FALSE;
    }

  if (--store->depth == 0)
    note_write_result (store, NULL);
  return TRUE;
}

void
confab_store_rollback (ConfabStore *store)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (store != NULL);

  if (store->backend != NULL)
    {
      store->backend->rollback (store);
      return;
    }

  g_return_if_fail (store->depth > 0);

  if (store->depth == 1)
    {
      /* SQLite ends the transaction itself after some failures (a full disk, I/O errors): a
       * ROLLBACK then would only fail with "no transaction is active". */
      if (!sqlite3_get_autocommit (store->db) &&
          !exec_static (store, "ROLLBACK", "Cannot roll back", &error))
        g_warning ("%s", error->message);
    }
  else
    {
      /* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
      if (!sqlite3_get_autocommit (store->db) &&
          (!exec_static (store, "ROLLBACK TO confab", "Cannot roll back", &error) ||
           !exec_static (store, "RELEASE confab", "Cannot roll back", &error)))
        g_warning ("%s", error->message);
    }

  /* A site read inside what was undone may be cached. */
  store_forget_sites (store);

  /* If SQLite already ended the transaction itself (it does on some I/O errors), there is
   * nothing left to undo at this level either. */
  store->depth--;
}

/* Ends a level begun by one of the calls below: commits when @ok, else rolls back. */
gboolean
store_finish (ConfabStore *store,
        gboolean     ok,
        GError     **error)
{
  if (ok && confab_store_commit (store, error))
    return TRUE;

  confab_store_rollback (store);
  return FALSE;
}
