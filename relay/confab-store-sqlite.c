/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sqlite.c: the SQLite implementation of confab-store.h.
 *
 * One connection, used from the main loop only. Statements are prepared once and kept in a
 * cache keyed by their SQL text; every use resets them on scope exit (ConfabStmt below), because
 * a statement left mid-step would hold a read transaction open and stop WAL checkpoints.
 */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store.h"
#include "confab-util.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK (confab-store-error-quark, confab_store_error)

/* How long a write waits for another process (the admin CLI) to finish its transaction. */
#define BUSY_TIMEOUT_MS 5000

struct _ConfabStore
{
  sqlite3    *db;
  char       *path;
  GHashTable *statements; /* static SQL text → sqlite3_stmt* */
  guint       depth;      /* open confab_store_begin() levels */
};

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

static ConfabSenderType
sender_from_string (const char *text)
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
  g_free (conversation);
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

/* --- statement helpers ---------------------------------------------------------------------- */

/* A cached statement borrowed for one call: g_autoptr resets it (and drops the bindings, which
 * may point at the caller's strings) instead of finalizing it. */
typedef sqlite3_stmt ConfabStmt;

static void
confab_stmt_release (ConfabStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStmt, confab_stmt_release)

/* Maps a SQLite failure to the store's error codes: a broken UNIQUE is EXISTS, a broken
 * foreign key means the row it points at does not exist. */
static void
set_sqlite_error (ConfabStore *store,
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
      break;
    }

  g_set_error (error, CONFAB_STORE_ERROR, code, "%s: %s (%s, database %s)",
               what, sqlite3_errmsg (store->db), sqlite3_errstr (rc), store->path);
}

static ConfabStmt *
store_prepare (ConfabStore *store,
               const char  *sql,
               GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      /* Two live uses of one cached statement would clobber each other's bindings. */
      g_warn_if_fail (!sqlite3_stmt_busy (stmt));
      return stmt;
    }

  rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (store, error, rc, "Cannot prepare a statement");
      return NULL;
    }

  g_hash_table_insert (store->statements, (gpointer) sql, stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (ConfabStore  *store,
           sqlite3_stmt *stmt,
           const char   *what,
           GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;

  set_sqlite_error (store, error, rc, what);
  return FALSE;
}

/* SQLITE_ROW → TRUE; no row → FALSE with NOT_FOUND "@what @id"; other failures → FAILED. */
static gboolean
step_row (ConfabStore  *store,
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
    set_sqlite_error (store, error, rc, what);
  return FALSE;
}

static gboolean
exec_static (ConfabStore *store,
             const char  *sql,
             const char  *what,
             GError     **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);

  return stmt != NULL && step_done (store, stmt, what, error);
}

/* SQLite's LIMIT takes -1 for "no limit"; a 0 from the caller means the same. */
static gint64
sql_limit (guint limit)
{
  return limit == 0 ? -1 : (gint64) limit;
}

static gboolean
not_found_if_unchanged (ConfabStore *store,
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

  set_sqlite_error (store, error, rc, what);
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
          set_sqlite_error (store, error, sqlite3_errcode (store->db),
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

ConfabStore *
confab_store_open (const char      *path,
                   ConfabStoreSync  sync,
                   GError         **error)
{
  g_autoptr (ConfabStore) store = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  store = g_new0 (ConfabStore, 1);
  store->path = g_strdup (path);
  store->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             statement_finalize);

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
  sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);

  /* journal_mode answers with the mode it got: a file system without shared memory
   * (some network mounts) silently stays in rollback mode. */
  rc = sqlite3_prepare_v2 (store->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (store, error, rc, "Cannot switch the database to WAL mode");
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
      !db_exec (store, "PRAGMA foreign_keys = ON", "Cannot enable foreign keys", error))
    return NULL;

  if (!migrate (store, error))
    return NULL;

  return g_steal_pointer (&store);
}

void
confab_store_close (ConfabStore *store)
{
  if (store == NULL)
    return;

  if (store->db != NULL)
    {
      if (store->depth > 0)
        {
          g_warning ("Closing %s with %u open transaction level(s): rolling back",
                     store->path, store->depth);
          sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
        }
      g_hash_table_remove_all (store->statements);
      /* Keeps the query planner's statistics fresh at a moment nobody waits for. */
      sqlite3_exec (store->db, "PRAGMA optimize", NULL, NULL, NULL);
      if (sqlite3_close (store->db) != SQLITE_OK)
        g_warning ("Cannot close %s cleanly: %s", store->path, sqlite3_errmsg (store->db));
    }

  g_clear_pointer (&store->statements, g_hash_table_unref);
  g_free (store->path);
  g_free (store);
}

int
confab_store_schema_version (ConfabStore *store)
{
  g_return_val_if_fail (store != NULL, -1);

  return read_user_version (store->db);
}

/* --- transactions --------------------------------------------------------------------------- */

/* The outermost level is BEGIN IMMEDIATE rather than a SAVEPOINT (which starts a deferred
 * transaction): in WAL mode a deferred read that later wants to write fails with
 * SQLITE_BUSY_SNAPSHOT if another connection wrote in between, and no busy timeout helps. */
gboolean
confab_store_begin (ConfabStore *store,
                    GError     **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (!exec_static (store, store->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT confab",
                    "Cannot start a transaction", error))
    return FALSE;

  store->depth++;
  return TRUE;
}

/* On failure the level stays open: the caller rolls it back, as after any other failure. */
gboolean
confab_store_commit (ConfabStore *store,
                     GError     **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (store->depth > 0, FALSE);

  if (!exec_static (store, store->depth == 1 ? "COMMIT" : "RELEASE confab",
                    "Cannot commit a transaction", error))
    return FALSE;

  store->depth--;
  return TRUE;
}

void
confab_store_rollback (ConfabStore *store)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (store != NULL);
  g_return_if_fail (store->depth > 0);

  if (store->depth == 1)
    {
      if (!exec_static (store, "ROLLBACK", "Cannot roll back", &error))
        g_warning ("%s", error->message);
    }
  else
    {
      /* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
      if (!exec_static (store, "ROLLBACK TO confab", "Cannot roll back", &error) ||
          !exec_static (store, "RELEASE confab", "Cannot roll back", &error))
        g_warning ("%s", error->message);
    }

  /* If SQLite already ended the transaction itself (it does on some I/O errors), there is
   * nothing left to undo at this level either. */
  store->depth--;
}

/* Ends a level begun by one of the calls below: commits when @ok, else rolls back. */
static gboolean
finish (ConfabStore *store,
        gboolean     ok,
        GError     **error)
{
  if (ok && confab_store_commit (store, error))
    return TRUE;

  confab_store_rollback (store);
  return FALSE;
}

/* --- users and tokens ----------------------------------------------------------------------- */

#define USER_COLUMNS "id, email, name, password_hash, created_at"

static ConfabUser *
read_user (sqlite3_stmt *stmt)
{
  ConfabUser *user = g_new0 (ConfabUser, 1);

  user->id = column_dup (stmt, 0);
  user->email = column_dup (stmt, 1);
  user->name = column_dup (stmt, 2);
  user->password_hash = column_dup (stmt, 3);
  user->created_at = sqlite3_column_int64 (stmt, 4);
  return user;
}

ConfabUser *
confab_store_create_user (ConfabStore *store,
                          const char  *email,
                          const char  *name,
                          const char  *password_hash,
                          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;
  gint64 now = confab_now_ms ();
  ConfabUser *user;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);
  g_return_val_if_fail (password_hash != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO users (id, email, name, password_hash, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("usr_");
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, email);
  bind_text (stmt, 3, name);
  bind_text (stmt, 4, password_hash);
  sqlite3_bind_int64 (stmt, 5, now);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      /* Not the address itself: error messages end up in logs. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                   "A user with this e-mail address already exists");
      return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot create the user");
      return NULL;
    }

  user = g_new0 (ConfabUser, 1);
  user->id = g_steal_pointer (&id);
  user->email = g_strdup (email);
  user->name = g_strdup (name);
  user->password_hash = g_strdup (password_hash);
  user->created_at = now;
  return user;
}

ConfabUser *
confab_store_get_user (ConfabStore *store,
                       const char  *user_id,
                       GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, user_id);
  if (!step_row (store, stmt, "user", user_id, error))
    return NULL;

  return read_user (stmt);
}

ConfabUser *
confab_store_get_user_by_email (ConfabStore *store,
                                const char  *email,
                                GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  /* The column's NOCASE collation applies to the comparison, and lets it use the index. */
  stmt = store_prepare (store, "SELECT " USER_COLUMNS " FROM users WHERE email = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, email);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_user (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "No user with this e-mail address");
  else
    set_sqlite_error (store, error, rc, "Cannot look up the user");
  return NULL;
}

gboolean
confab_store_add_token (ConfabStore *store,
                        const char  *token_hash,
                        const char  *user_id,
                        gint64       expires_at,
                        GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO tokens (hash, user_id, created_at, expires_at) "
                        "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, token_hash);
  bind_text (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, confab_now_ms ());
  if (expires_at > 0)
    sqlite3_bind_int64 (stmt, 4, expires_at);
  else
    sqlite3_bind_null (stmt, 4);

  return step_done (store, stmt, "Cannot store the token", error);
}

char *
confab_store_lookup_token (ConfabStore *store,
                           const char  *token_hash,
                           gint64       now,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_at IS NULL "
                        "AND (expires_at IS NULL OR expires_at > ?2)", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, token_hash);
  sqlite3_bind_int64 (stmt, 2, now);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return column_dup (stmt, 0);

  /* One answer for unknown, expired and revoked: a caller cannot tell them apart, nor can
   * whoever holds the token. */
  if (rc == SQLITE_DONE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "The token is unknown, expired or revoked");
  else
    set_sqlite_error (store, error, rc, "Cannot look up the token");
  return NULL;
}

gboolean
confab_store_revoke_token (ConfabStore *store,
                           const char  *token_hash,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  /* Revoking twice keeps the first time: it is what the audit trail needs. */
  stmt = store_prepare (store,
                        "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE hash = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, token_hash);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot revoke the token", error))
    return FALSE;

  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND, "Unknown token");
      return FALSE;
    }
  return TRUE;
}

/* --- sites and memberships ------------------------------------------------------------------ */

#define SITE_COLUMNS "s.id, s.name, s.site_key, s.domains, s.settings, s.enabled, s.created_at"

static char *
strv_to_json (const char * const *strv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char **
domains_from_json (const char *text)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  root = text != NULL ? json_from_string (text, NULL) : NULL;
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (node));
        }
    }

  return g_strv_builder_end (builder);
}

static ConfabSite *
read_site (sqlite3_stmt *stmt)
{
  ConfabSite *site = g_new0 (ConfabSite, 1);

  site->id = column_dup (stmt, 0);
  site->name = column_dup (stmt, 1);
  site->site_key = column_dup (stmt, 2);
  site->domains = domains_from_json ((const char *) sqlite3_column_text (stmt, 3));
  site->settings_json = column_dup (stmt, 4);
  site->enabled = sqlite3_column_int (stmt, 5) != 0;
  site->created_at = sqlite3_column_int64 (stmt, 6);
  site->role = CONFAB_ROLE_NONE;
  return site;
}

static gboolean
upsert_member (ConfabStore *store,
               const char  *site_id,
               const char  *user_id,
               ConfabRole   role,
               GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO memberships (site_id, user_id, role, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (site_id, user_id) DO UPDATE SET role = excluded.role",
                        error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, user_id);
  bind_text (stmt, 3, confab_role_to_string (role));
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return step_done (store, stmt, "Cannot set the membership (do the site and the user exist?)",
                    error);
}

ConfabSite *
confab_store_create_site (ConfabStore         *store,
                          const char          *owner_id,
                          const char          *name,
                          const char * const  *domains,
                          GError             **error)
{
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *site_key = NULL;
  g_autofree char *domains_json = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (owner_id != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  id = confab_new_id ("site_");
  token = confab_random_token (18);
  site_key = g_strconcat ("sk_", token, NULL);
  domains_json = strv_to_json (domains);

  if (!confab_store_begin (store, error))
    return NULL;

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO sites (id, name, site_key, domains, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)", error);
    ok = stmt != NULL;
    if (ok)
      {
        bind_text (stmt, 1, id);
        bind_text (stmt, 2, name);
        bind_text (stmt, 3, site_key);
        bind_text (stmt, 4, domains_json);
        sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
        ok = step_done (store, stmt, "Cannot create the site", error);
      }
  }

  ok = ok && upsert_member (store, id, owner_id, CONFAB_ROLE_OWNER, error);
  if (!finish (store, ok, error))
    return NULL;

  return confab_store_get_site (store, id, error);
}

ConfabSite *
confab_store_get_site (ConfabStore *store,
                       const char  *site_id,
                       GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  if (!step_row (store, stmt, "site", site_id, error))
    return NULL;

  return read_site (stmt);
}

ConfabSite *
confab_store_get_site_by_key (ConfabStore *store,
                              const char  *site_key,
                              GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.site_key = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  /* Site keys are public (they are in every page's HTML), so naming one in an error is fine. */
  bind_text (stmt, 1, site_key);
  if (!step_row (store, stmt, "site with key", site_key, error))
    return NULL;

  return read_site (stmt);
}

GPtrArray *
confab_store_list_sites_for_user (ConfabStore *store,
                                  const char  *user_id,
                                  GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " SITE_COLUMNS ", m.role FROM memberships m "
                        "JOIN sites s ON s.id = m.site_id WHERE m.user_id = ?1 "
                        "ORDER BY s.created_at, s.rowid", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, user_id);
  sites = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_site_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabSite *site = read_site (stmt);

      site->role = confab_role_from_string ((const char *) sqlite3_column_text (stmt, 7));
      g_ptr_array_add (sites, site);
    }

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot list the user's sites");
      return NULL;
    }
  return g_steal_pointer (&sites);
}

ConfabSite *
confab_store_update_site (ConfabStore         *store,
                          const char          *site_id,
                          const char          *name,
                          const char * const  *domains,
                          const char          *settings_json,
                          int                  enabled,
                          GError             **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *domains_json = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  if (settings_json != NULL)
    {
      g_autoptr (JsonNode) root = json_from_string (settings_json, NULL);

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                       "The settings of site %s must be a JSON object", site_id);
          return NULL;
        }
    }

  stmt = store_prepare (store,
                        "UPDATE sites SET name = coalesce(?2, name), "
                        "domains = coalesce(?3, domains), settings = coalesce(?4, settings), "
                        "enabled = CASE WHEN ?5 < 0 THEN enabled ELSE ?5 END WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  if (domains != NULL)
    domains_json = strv_to_json (domains);

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, name);
  bind_text (stmt, 3, domains_json);
  bind_text (stmt, 4, settings_json);
  sqlite3_bind_int (stmt, 5, enabled < 0 ? -1 : enabled != 0);
  if (!step_done (store, stmt, "Cannot update the site", error) ||
      !not_found_if_unchanged (store, "site", site_id, error))
    return NULL;

  return confab_store_get_site (store, site_id, error);
}

ConfabRole
confab_store_get_role (ConfabStore *store,
                       const char  *site_id,
                       const char  *user_id)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (store != NULL, CONFAB_ROLE_NONE);

  stmt = store_prepare (store,
                        "SELECT role FROM memberships WHERE site_id = ?1 AND user_id = ?2",
                        &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return CONFAB_ROLE_NONE;
    }

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, user_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return CONFAB_ROLE_NONE;

  return confab_role_from_string ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
confab_store_set_member (ConfabStore *store,
                         const char  *site_id,
                         const char  *user_id,
                         ConfabRole   role,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  if (role != CONFAB_ROLE_NONE)
    return upsert_member (store, site_id, user_id, role, error);

  /* Removing someone who is not a member is not an error: the result is what was asked. */
  stmt = store_prepare (store, "DELETE FROM memberships WHERE site_id = ?1 AND user_id = ?2",
                        error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, user_id);
  return step_done (store, stmt, "Cannot remove the membership", error);
}

/* --- visitors and their journey ------------------------------------------------------------- */

/* The ids of visitor ?1 and of every visitor of its chain (see linked_to): the chain's first
 * visitor and all those linked to it. Both branches use an index (the primary key, visitors_linked). */
#define LINKED_VISITORS \
  "SELECT v.id FROM visitors v, " \
  "  (SELECT coalesce(linked_to, id) AS root FROM visitors WHERE id = ?1) chain " \
  "  WHERE v.id = chain.root OR v.linked_to = chain.root"

#define VISITOR_COLUMNS "id, site_id, token_hash, name, email, locale, timezone, browser, os, " \
                        "country, city, fingerprint, first_seen, last_seen, visits, " \
                        "country_name, geo_timezone, browser_version, os_version, device_type, " \
                        "linked_to"

static ConfabVisitor *
read_visitor (sqlite3_stmt *stmt)
{
  ConfabVisitor *visitor = g_new0 (ConfabVisitor, 1);

  visitor->id = column_dup (stmt, 0);
  visitor->site_id = column_dup (stmt, 1);
  visitor->token_hash = column_dup (stmt, 2);
  visitor->name = column_dup (stmt, 3);
  visitor->email = column_dup (stmt, 4);
  visitor->locale = column_dup (stmt, 5);
  visitor->timezone = column_dup (stmt, 6);
  visitor->browser = column_dup (stmt, 7);
  visitor->os = column_dup (stmt, 8);
  visitor->country = column_dup (stmt, 9);
  visitor->city = column_dup (stmt, 10);
  visitor->fingerprint = column_dup (stmt, 11);
  visitor->first_seen = sqlite3_column_int64 (stmt, 12);
  visitor->last_seen = sqlite3_column_int64 (stmt, 13);
  visitor->visits = sqlite3_column_int64 (stmt, 14);
  visitor->country_name = column_dup (stmt, 15);
  visitor->geo_timezone = column_dup (stmt, 16);
  visitor->browser_version = column_dup (stmt, 17);
  visitor->os_version = column_dup (stmt, 18);
  visitor->device_type = column_dup (stmt, 19);
  visitor->linked_to = column_dup (stmt, 20);
  return visitor;
}

/* Binds the nine info fields to parameters @first .. @first + 8, in ConfabVisitorInfo order. */
static void
bind_visitor_info (sqlite3_stmt            *stmt,
                   int                      first,
                   const ConfabVisitorInfo *info)
{
  static const ConfabVisitorInfo empty = { NULL, };

  if (info == NULL)
    info = &empty;

  bind_text (stmt, first + 0, info->locale);
  bind_text (stmt, first + 1, info->timezone);
  bind_text (stmt, first + 2, info->browser);
  bind_text (stmt, first + 3, info->os);
  bind_text (stmt, first + 4, info->country);
  bind_text (stmt, first + 5, info->city);
  bind_text (stmt, first + 6, info->fingerprint);
  bind_text (stmt, first + 7, info->name);
  bind_text (stmt, first + 8, info->email);
}

ConfabVisitor *
confab_store_create_visitor (ConfabStore             *store,
                             const char              *site_id,
                             const char              *token_hash,
                             const ConfabVisitorInfo *info,
                             GError                 **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (token_hash != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO visitors (id, site_id, token_hash, locale, timezone, "
                        "browser, os, country, city, fingerprint, name, email, first_seen, "
                        "last_seen, visits) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, 1)",
                        error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("vis_");
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  bind_text (stmt, 3, token_hash);
  bind_visitor_info (stmt, 4, info);
  sqlite3_bind_int64 (stmt, 13, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot create the visitor (does the site exist?)", error))
    return NULL;

  return confab_store_get_visitor (store, id, error);
}

ConfabVisitor *
confab_store_get_visitor (ConfabStore *store,
                          const char  *visitor_id,
                          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  if (!step_row (store, stmt, "visitor", visitor_id, error))
    return NULL;

  return read_visitor (stmt);
}

ConfabVisitor *
confab_store_touch_visitor (ConfabStore             *store,
                            const char              *visitor_id,
                            const ConfabVisitorInfo *info,
                            gboolean                 new_visit,
                            GError                 **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE visitors SET locale = coalesce(?2, locale), "
                        "timezone = coalesce(?3, timezone), browser = coalesce(?4, browser), "
                        "os = coalesce(?5, os), country = coalesce(?6, country), "
                        "city = coalesce(?7, city), fingerprint = coalesce(?8, fingerprint), "
                        "name = coalesce(?9, name), email = coalesce(?10, email), "
                        "last_seen = max(last_seen, ?11), visits = visits + ?12 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  bind_visitor_info (stmt, 2, info);
  sqlite3_bind_int64 (stmt, 11, confab_now_ms ());
  sqlite3_bind_int (stmt, 12, new_visit ? 1 : 0);
  if (!step_done (store, stmt, "Cannot update the visitor", error) ||
      !not_found_if_unchanged (store, "visitor", visitor_id, error))
    return NULL;

  return confab_store_get_visitor (store, visitor_id, error);
}

static gboolean
close_open_page_views (ConfabStore *store,
                       const char  *visitor_id,
                       gint64       at,
                       GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  /* max(): a page is never left before it was opened, even if clocks disagree. */
  stmt = store_prepare (store,
                        "UPDATE page_views SET left_at = max(at, ?2) "
                        "WHERE visitor_id = ?1 AND left_at IS NULL", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, at);
  return step_done (store, stmt, "Cannot close the page view", error);
}

gboolean
confab_store_add_page_view (ConfabStore *store,
                            const char  *visitor_id,
                            const char  *url,
                            const char  *title,
                            gint64       at,
                            GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = close_open_page_views (store, visitor_id, at, error);
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = NULL;

      stmt = store_prepare (store,
                            "INSERT INTO page_views (visitor_id, url, title, at) "
                            "VALUES (?1, ?2, ?3, ?4)", error);
      ok = stmt != NULL;
      if (ok)
        {
          bind_text (stmt, 1, visitor_id);
          bind_text (stmt, 2, url);
          bind_text (stmt, 3, title);
          sqlite3_bind_int64 (stmt, 4, at);
          ok = step_done (store, stmt, "Cannot record the page view (does the visitor exist?)",
                          error);
        }
    }

  return finish (store, ok, error);
}

gboolean
confab_store_close_page_views (ConfabStore *store,
                               const char  *visitor_id,
                               gint64       at,
                               GError     **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return close_open_page_views (store, visitor_id, at, error);
}

GPtrArray *
confab_store_list_page_views (ConfabStore *store,
                              const char  *visitor_id,
                              guint        limit,
                              GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) views = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT url, title, at, left_at FROM ("
                        "  SELECT id, url, title, at, left_at FROM page_views "
                        "  WHERE visitor_id IN (" LINKED_VISITORS ") "
                        "  ORDER BY at DESC, id DESC LIMIT ?2"
                        ") ORDER BY at, id", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, sql_limit (limit));
  views = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_page_view_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabPageView *view = g_new0 (ConfabPageView, 1);

      view->url = column_dup (stmt, 0);
      view->title = column_dup (stmt, 1);
      view->at = sqlite3_column_int64 (stmt, 2);
      view->left_at = sqlite3_column_int64 (stmt, 3); /* NULL reads as 0: still there */
      g_ptr_array_add (views, view);
    }

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot list the page views");
      return NULL;
    }
  return g_steal_pointer (&views);
}

gboolean
confab_store_set_visitor_consent (ConfabStore *store,
                                  const char  *visitor_id,
                                  gint64       at,
                                  GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE visitors SET consent_at = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, at);
  return step_done (store, stmt, "Cannot record the visitor's consent", error) &&
         not_found_if_unchanged (store, "visitor", visitor_id, error);
}

gint64
confab_store_get_visitor_consent (ConfabStore *store,
                                  const char  *visitor_id,
                                  GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store, "SELECT coalesce(consent_at, 0) FROM visitors WHERE id = ?1", error);
  if (stmt == NULL)
    return -1;

  bind_text (stmt, 1, visitor_id);
  if (!step_row (store, stmt, "visitor", visitor_id, error))
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_set_visitor_context (ConfabStore                *store,
                                  const char                 *visitor_id,
                                  const ConfabVisitorContext *context,
                                  GError                    **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (context != NULL, FALSE);

  if (!context->geo_known && !context->device_known)
    return TRUE;

  stmt = store_prepare (store,
                        "UPDATE visitors SET "
                        "country = CASE WHEN ?2 THEN ?3 ELSE country END, "
                        "country_name = CASE WHEN ?2 THEN ?4 ELSE country_name END, "
                        "city = CASE WHEN ?2 THEN ?5 ELSE city END, "
                        "geo_timezone = CASE WHEN ?2 THEN ?6 ELSE geo_timezone END, "
                        "browser = CASE WHEN ?7 THEN ?8 ELSE browser END, "
                        "browser_version = CASE WHEN ?7 THEN ?9 ELSE browser_version END, "
                        "os = CASE WHEN ?7 THEN ?10 ELSE os END, "
                        "os_version = CASE WHEN ?7 THEN ?11 ELSE os_version END, "
                        "device_type = CASE WHEN ?7 THEN ?12 ELSE device_type END "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int (stmt, 2, context->geo_known ? 1 : 0);
  bind_text (stmt, 3, context->country);
  bind_text (stmt, 4, context->country_name);
  bind_text (stmt, 5, context->city);
  bind_text (stmt, 6, context->geo_timezone);
  sqlite3_bind_int (stmt, 7, context->device_known ? 1 : 0);
  bind_text (stmt, 8, context->browser);
  bind_text (stmt, 9, context->browser_version);
  bind_text (stmt, 10, context->os);
  bind_text (stmt, 11, context->os_version);
  bind_text (stmt, 12, context->device_type);
  return step_done (store, stmt, "Cannot update the visitor", error) &&
         not_found_if_unchanged (store, "visitor", visitor_id, error);
}

ConfabVisitor *
confab_store_find_visitor_by_fingerprint (ConfabStore *store,
                                          const char  *site_id,
                                          const char  *fingerprint,
                                          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (fingerprint == NULL)
    return NULL;

  stmt = store_prepare (store,
                        "SELECT " VISITOR_COLUMNS " FROM visitors "
                        "WHERE site_id = ?1 AND fingerprint = ?2 "
                        "ORDER BY last_seen DESC, rowid DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, fingerprint);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_visitor (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (store, error, rc, "Cannot look up the visitor by fingerprint");
  return NULL;
}

ConfabVisitor *
confab_store_link_visitor (ConfabStore *store,
                           const char  *visitor_id,
                           const char  *previous_id,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* The same-site condition makes a cross-site link impossible whatever the caller passes. */
  stmt = store_prepare (store,
                        "UPDATE visitors SET "
                        "linked_to = (SELECT coalesce(p.linked_to, p.id) FROM visitors p WHERE p.id = ?2), "
                        "first_seen = min(first_seen, (SELECT p.first_seen FROM visitors p WHERE p.id = ?2)), "
                        "visits = (SELECT p.visits FROM visitors p WHERE p.id = ?2) + 1 "
                        "WHERE id = ?1 AND id != ?2 AND site_id = "
                        "(SELECT p.site_id FROM visitors p WHERE p.id = ?2)", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  bind_text (stmt, 2, previous_id);
  if (!step_done (store, stmt, "Cannot link the visitor", error) ||
      !not_found_if_unchanged (store, "visitor", visitor_id, error))
    return NULL;

  return confab_store_get_visitor (store, visitor_id, error);
}

/* --- conversations -------------------------------------------------------------------------- */

#define CONVERSATION_COLUMNS \
  "c.id, c.site_id, c.visitor_id, c.status, c.assignee_id, c.created_at, c.last_message_at, " \
  "c.last_seq, c.agent_read_seq, c.visitor_read_seq, c.unread"

static ConfabConversation *
read_conversation (sqlite3_stmt *stmt)
{
  ConfabConversation *conversation = g_new0 (ConfabConversation, 1);

  conversation->id = column_dup (stmt, 0);
  conversation->site_id = column_dup (stmt, 1);
  conversation->visitor_id = column_dup (stmt, 2);
  if (!confab_status_from_string ((const char *) sqlite3_column_text (stmt, 3),
                                  &conversation->status))
    conversation->status = CONFAB_STATUS_OPEN;
  conversation->assignee_id = column_dup (stmt, 4);
  conversation->created_at = sqlite3_column_int64 (stmt, 5);
  conversation->last_message_at = sqlite3_column_int64 (stmt, 6);
  conversation->last_seq = sqlite3_column_int64 (stmt, 7);
  conversation->agent_read_seq = sqlite3_column_int64 (stmt, 8);
  conversation->visitor_read_seq = sqlite3_column_int64 (stmt, 9);
  conversation->unread = sqlite3_column_int64 (stmt, 10);
  return conversation;
}

ConfabConversation *
confab_store_get_conversation (ConfabStore *store,
                               const char  *conversation_id,
                               GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c WHERE c.id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, conversation_id);
  if (!step_row (store, stmt, "conversation", conversation_id, error))
    return NULL;

  return read_conversation (stmt);
}

ConfabConversation *
confab_store_get_current_conversation (ConfabStore *store,
                                       const char  *visitor_id,
                                       GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.visitor_id = ?1 AND c.status != 'closed' "
                        "ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_conversation (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (store, error, rc, "Cannot look up the visitor's conversation");
  return NULL;
}

GPtrArray *
confab_store_list_conversations (ConfabStore                    *store,
                                 const char                     *site_id,
                                 const ConfabConversationStatus *status,
                                 gint64                          before_ms,
                                 guint                           limit,
                                 GError                        **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.site_id = ?1 AND (?2 IS NULL OR c.status = ?2) "
                        "AND (?3 <= 0 OR c.last_message_at < ?3) "
                        "ORDER BY c.last_message_at DESC, c.rowid DESC LIMIT ?4", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, status != NULL ? confab_status_to_string (*status) : NULL);
  sqlite3_bind_int64 (stmt, 3, before_ms);
  sqlite3_bind_int64 (stmt, 4, sql_limit (limit));

  conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_conversation_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (conversations, read_conversation (stmt));

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot list the conversations");
      return NULL;
    }
  return g_steal_pointer (&conversations);
}

GPtrArray *
confab_store_list_visitor_conversations (ConfabStore *store,
                                         const char  *visitor_id,
                                         guint        limit,
                                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.visitor_id IN (" LINKED_VISITORS ") "
                        "ORDER BY c.created_at DESC, c.rowid DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, sql_limit (limit));

  conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_conversation_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (conversations, read_conversation (stmt));

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot list the visitor's conversations");
      return NULL;
    }
  return g_steal_pointer (&conversations);
}

static gboolean
update_status (ConfabStore              *store,
               const char               *conversation_id,
               ConfabConversationStatus  status,
               GError                  **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "UPDATE conversations SET status = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, confab_status_to_string (status));
  return step_done (store, stmt, "Cannot change the conversation's status", error) &&
         not_found_if_unchanged (store, "conversation", conversation_id, error);
}

ConfabConversation *
confab_store_set_status (ConfabStore              *store,
                         const char               *conversation_id,
                         ConfabConversationStatus  status,
                         GError                  **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (confab_status_to_string (status) != NULL, NULL);

  if (!update_status (store, conversation_id, status, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

ConfabConversation *
confab_store_set_assignee (ConfabStore *store,
                           const char  *conversation_id,
                           const char  *assignee_id,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "UPDATE conversations SET assignee_id = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, assignee_id);
  if (!step_done (store, stmt, "Cannot assign the conversation (does the user exist?)", error) ||
      !not_found_if_unchanged (store, "conversation", conversation_id, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

ConfabConversation *
confab_store_mark_read (ConfabStore      *store,
                        const char       *conversation_id,
                        ConfabSenderType  reader,
                        gint64            seq,
                        GError          **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (reader == CONFAB_SENDER_VISITOR || reader == CONFAB_SENDER_AGENT, NULL);

  /* Clamped to last_seq: a client cannot mark as read what does not exist yet, which would
   * hide the next messages from the unread count. The count is redone from the messages after
   * the new mark (the right-hand sides all see the row as it was before the UPDATE): a short
   * range of the (conversation_id, seq) key, and it cannot drift. */
  if (reader == CONFAB_SENDER_AGENT)
    stmt = store_prepare (store,
                          "UPDATE conversations SET "
                          "agent_read_seq = max(agent_read_seq, min(?2, last_seq)), "
                          "unread = (SELECT count(*) FROM messages m "
                          "  WHERE m.conversation_id = conversations.id "
                          "  AND m.seq > max(conversations.agent_read_seq, "
                          "                  min(?2, conversations.last_seq)) "
                          "  AND m.sender_type = 'visitor') "
                          "WHERE id = ?1", error);
  else
    stmt = store_prepare (store,
                          "UPDATE conversations SET visitor_read_seq = "
                          "max(visitor_read_seq, min(?2, last_seq)) WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (!step_done (store, stmt, "Cannot mark the conversation as read", error) ||
      !not_found_if_unchanged (store, "conversation", conversation_id, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

/* --- messages ------------------------------------------------------------------------------- */

/* Fills message->attachment from the uploads table (confab-store-uploads section below). */
static ConfabMessage *with_attachment (ConfabStore   *store,
                                       ConfabMessage *message);

#define MESSAGE_COLUMNS "m.conversation_id, m.seq, m.cursor, m.client_id, m.sender_type, " \
                        "m.sender_id, m.sender_name, m.body, m.attachment_id, m.created_at"

static ConfabMessage *
read_message (sqlite3_stmt *stmt,
              int           first)
{
  ConfabMessage *message = g_new0 (ConfabMessage, 1);

  message->conversation_id = column_dup (stmt, first + 0);
  message->seq = sqlite3_column_int64 (stmt, first + 1);
  message->cursor = sqlite3_column_int64 (stmt, first + 2);
  message->client_id = column_dup (stmt, first + 3);
  message->sender_type = sender_from_string ((const char *) sqlite3_column_text (stmt, first + 4));
  message->sender_id = column_dup (stmt, first + 5);
  message->sender_name = column_dup (stmt, first + 6);
  message->body = column_dup (stmt, first + 7);
  message->attachment_id = column_dup (stmt, first + 8);
  message->created_at = sqlite3_column_int64 (stmt, first + 9);
  return message;
}

/* The message this sender already stored under @client_id, or NULL (error unset) if none. */
static ConfabMessage *
find_by_client_id (ConfabStore              *store,
                   const ConfabMessageDraft *draft,
                   GError                  **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  /* IS, not =: it matches the NULL sender_id of bot and system messages too. */
  stmt = store_prepare (store,
                        "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.sender_type = ?1 "
                        "AND m.sender_id IS ?2 AND m.client_id = ?3", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, confab_sender_to_string (draft->sender_type));
  bind_text (stmt, 2, draft->sender_id);
  bind_text (stmt, 3, draft->client_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return with_attachment (store, read_message (stmt, 0));
  if (rc != SQLITE_DONE)
    set_sqlite_error (store, error, rc, "Cannot look up the message's client id");
  return NULL;
}

static ConfabConversation *
create_conversation (ConfabStore *store,
                     const char  *site_id,
                     const char  *visitor_id,
                     gint64       now,
                     GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO conversations (id, site_id, visitor_id, created_at, "
                        "last_message_at) VALUES (?1, ?2, ?3, ?4, ?4)", error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("conv_");
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  bind_text (stmt, 3, visitor_id);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!step_done (store, stmt, "Cannot create the conversation", error))
    return NULL;

  return confab_store_get_conversation (store, id, error);
}

ConfabConversation *
confab_store_create_conversation (ConfabStore *store,
                                  const char  *site_id,
                                  const char  *visitor_id,
                                  GError     **error)
{
  g_autoptr (ConfabVisitor) visitor = NULL;
  ConfabConversation *conversation;

  g_return_val_if_fail (store != NULL, NULL);

  visitor = confab_store_get_visitor (store, visitor_id, error);
  if (visitor == NULL)
    return NULL;
  if (g_strcmp0 (visitor->site_id, site_id) != 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No visitor “%s” on site “%s”", visitor_id, site_id);
      return NULL;
    }

  conversation = create_conversation (store, site_id, visitor_id, confab_now_ms (), error);
  return conversation;
}

/* The conversation @draft goes to, created or reopened as the header describes. */
static ConfabConversation *
resolve_conversation (ConfabStore              *store,
                      const ConfabMessageDraft *draft,
                      gint64                    now,
                      gboolean                 *changed,
                      GError                  **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  gboolean reopen;

  if (draft->conversation_id != NULL)
    {
      conversation = confab_store_get_conversation (store, draft->conversation_id, error);
      if (conversation == NULL)
        return NULL;
      /* A visitor writing into a resolved conversation has a follow-up question. */
      reopen = draft->sender_type == CONFAB_SENDER_VISITOR;
    }
  else
    {
      g_autoptr (ConfabVisitor) visitor = NULL;
      g_autoptr (GError) local_error = NULL;

      if (draft->site_id == NULL || draft->visitor_id == NULL)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "A message needs a conversation id, or a site id and a visitor id");
          return NULL;
        }

      visitor = confab_store_get_visitor (store, draft->visitor_id, error);
      if (visitor == NULL)
        return NULL;
      if (g_strcmp0 (visitor->site_id, draft->site_id) != 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "No visitor “%s” on site “%s”", draft->visitor_id, draft->site_id);
          return NULL;
        }

      conversation = confab_store_get_current_conversation (store, draft->visitor_id,
                                                            &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (conversation == NULL)
        {
          *changed = TRUE;
          return create_conversation (store, draft->site_id, draft->visitor_id, now, error);
        }
      reopen = TRUE;
    }

  if (reopen && conversation->status == CONFAB_STATUS_RESOLVED)
    {
      if (!update_status (store, conversation->id, CONFAB_STATUS_OPEN, error))
        return NULL;
      conversation->status = CONFAB_STATUS_OPEN;
      *changed = TRUE;
    }

  return g_steal_pointer (&conversation);
}

/* Everything of confab_store_append_message() that writes, inside its transaction. */
static ConfabMessage *
append_new_message (ConfabStore              *store,
                    const ConfabMessageDraft *draft,
                    ConfabConversation       *conversation,
                    gint64                    now,
                    GError                  **error)
{
  ConfabMessage *message;
  gint64 seq = conversation->last_seq + 1;
  gint64 cursor;

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO events (site_id, kind, conversation_id, seq, created_at) "
                          "VALUES (?1, '" CONFAB_EVENT_MESSAGE "', ?2, ?3, ?4)", error);
    if (stmt == NULL)
      return NULL;

    bind_text (stmt, 1, conversation->site_id);
    bind_text (stmt, 2, conversation->id);
    sqlite3_bind_int64 (stmt, 3, seq);
    sqlite3_bind_int64 (stmt, 4, now);
    if (!step_done (store, stmt, "Cannot log the message event", error))
      return NULL;
    cursor = sqlite3_last_insert_rowid (store->db);
  }

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                          "sender_type, sender_id, sender_name, body, attachment_id, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
    if (stmt == NULL)
      return NULL;

    bind_text (stmt, 1, conversation->id);
    sqlite3_bind_int64 (stmt, 2, seq);
    sqlite3_bind_int64 (stmt, 3, cursor);
    bind_text (stmt, 4, draft->client_id);
    bind_text (stmt, 5, confab_sender_to_string (draft->sender_type));
    bind_text (stmt, 6, draft->sender_id);
    bind_text (stmt, 7, draft->sender_name);
    bind_text (stmt, 8, draft->body);
    bind_text (stmt, 9, draft->attachment_id);
    sqlite3_bind_int64 (stmt, 10, now);
    if (!step_done (store, stmt, "Cannot store the message", error))
      return NULL;
  }

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    /* max(): the list is ordered by last activity, which must not go back if the clock does. */
    stmt = store_prepare (store,
                          "UPDATE conversations SET last_seq = ?2, "
                          "last_message_at = max(last_message_at, ?3), unread = unread + ?4 "
                          "WHERE id = ?1", error);
    if (stmt == NULL)
      return NULL;

    bind_text (stmt, 1, conversation->id);
    sqlite3_bind_int64 (stmt, 2, seq);
    sqlite3_bind_int64 (stmt, 3, now);
    sqlite3_bind_int (stmt, 4, draft->sender_type == CONFAB_SENDER_VISITOR ? 1 : 0);
    if (!step_done (store, stmt, "Cannot update the conversation", error))
      return NULL;
  }

  message = g_new0 (ConfabMessage, 1);
  message->conversation_id = g_strdup (conversation->id);
  message->seq = seq;
  message->cursor = cursor;
  message->client_id = g_strdup (draft->client_id);
  message->sender_type = draft->sender_type;
  message->sender_id = g_strdup (draft->sender_id);
  message->sender_name = g_strdup (draft->sender_name);
  message->body = g_strdup (draft->body);
  message->attachment_id = g_strdup (draft->attachment_id);
  message->created_at = now;
  return with_attachment (store, message);
}

gboolean
confab_store_append_message (ConfabStore               *store,
                             const ConfabMessageDraft  *draft,
                             ConfabMessage            **out_message,
                             ConfabConversation       **out_conversation,
                             gboolean                  *out_conversation_changed,
                             ConfabAppendResult        *out_result,
                             GError                   **error)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabAppendResult result = CONFAB_APPEND_NEW;
  gboolean changed = FALSE;
  gint64 now = confab_now_ms ();

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (draft != NULL, FALSE);
  g_return_val_if_fail (confab_sender_to_string (draft->sender_type) != NULL, FALSE);

  if (draft->body == NULL && draft->attachment_id == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "A message needs a body or an attachment");
      return FALSE;
    }

  if (!confab_store_begin (store, error))
    return FALSE;

  if (draft->client_id != NULL)
    message = find_by_client_id (store, draft, &local_error);

  if (message != NULL)
    {
      if (g_strcmp0 (message->body, draft->body) != 0 ||
          g_strcmp0 (message->attachment_id, draft->attachment_id) != 0)
        g_set_error (&local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                     "Client id “%s” was already used for another message", draft->client_id);
      else
        {
          result = CONFAB_APPEND_DUPLICATE;
          conversation = confab_store_get_conversation (store, message->conversation_id,
                                                        &local_error);
        }
    }
  else if (local_error == NULL)
    {
      conversation = resolve_conversation (store, draft, now, &changed, &local_error);
      if (conversation != NULL)
        message = append_new_message (store, draft, conversation, now, &local_error);
      if (message != NULL)
        {
          /* Read back for the new last_seq and unread count. */
          g_clear_pointer (&conversation, confab_conversation_free);
          conversation = confab_store_get_conversation (store, message->conversation_id,
                                                        &local_error);
        }
    }

  /* finish() only writes @error when it commits, i.e. when local_error is still unset. */
  if (!finish (store, local_error == NULL, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (out_message != NULL)
    *out_message = g_steal_pointer (&message);
  if (out_conversation != NULL)
    *out_conversation = g_steal_pointer (&conversation);
  if (out_conversation_changed != NULL)
    *out_conversation_changed = changed;
  if (out_result != NULL)
    *out_result = result;
  return TRUE;
}

GPtrArray *
confab_store_list_messages (ConfabStore *store,
                            const char  *conversation_id,
                            gint64       after_seq,
                            guint        limit,
                            GError     **error)
{
  g_autoptr (GPtrArray) messages = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "SELECT " MESSAGE_COLUMNS " FROM messages m "
                          "WHERE m.conversation_id = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3",
                          error);
    if (stmt == NULL)
      return NULL;

    bind_text (stmt, 1, conversation_id);
    sqlite3_bind_int64 (stmt, 2, after_seq);
    sqlite3_bind_int64 (stmt, 3, sql_limit (limit));
    messages = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_message_free);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_ptr_array_add (messages, with_attachment (store, read_message (stmt, 0)));

    if (rc != SQLITE_DONE)
      {
        set_sqlite_error (store, error, rc, "Cannot list the messages");
        return NULL;
      }
  }

  /* Nothing after @after_seq is the common case of an up-to-date client; only then is it
   * worth telling it apart from a conversation that does not exist. */
  if (messages->len == 0)
    {
      g_autoptr (ConfabConversation) conversation = NULL;

      conversation = confab_store_get_conversation (store, conversation_id, error);
      if (conversation == NULL)
        return NULL;
    }

  return g_steal_pointer (&messages);
}

/* --- events --------------------------------------------------------------------------------- */

gint64
confab_store_add_event (ConfabStore *store,
                        const char  *site_id,
                        const char  *kind,
                        const char  *conversation_id,
                        const char  *payload_json,
                        GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, 0);
  g_return_val_if_fail (kind != NULL, 0);
  /* Message events are written by append_message, with their message. */
  g_return_val_if_fail (strcmp (kind, CONFAB_EVENT_MESSAGE) != 0, 0);

  stmt = store_prepare (store,
                        "INSERT INTO events (site_id, kind, conversation_id, payload, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return 0;

  bind_text (stmt, 1, site_id);
  bind_text (stmt, 2, kind);
  bind_text (stmt, 3, conversation_id);
  bind_text (stmt, 4, payload_json);
  sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot log the event (does the site exist?)", error))
    return 0;

  return sqlite3_last_insert_rowid (store->db);
}

GPtrArray *
confab_store_list_events (ConfabStore         *store,
                          const char * const  *site_ids,
                          gint64               after_cursor,
                          guint                limit,
                          GError             **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *site_ids_json = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_event_free);
  if (site_ids == NULL || site_ids[0] == NULL)
    return g_steal_pointer (&events);

  /* The site list travels as one JSON array parameter: no SQL is built from it, and one
   * cached statement serves any number of sites. */
  site_ids_json = strv_to_json (site_ids);
  stmt = store_prepare (store,
                        "SELECT e.cursor, e.site_id, e.kind, e.payload, e.created_at, "
                        "m.conversation_id IS NOT NULL, " MESSAGE_COLUMNS " "
                        "FROM events e LEFT JOIN messages m ON m.cursor = e.cursor "
                        "WHERE e.site_id IN (SELECT value FROM json_each(?1)) AND e.cursor > ?2 "
                        "ORDER BY e.cursor LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_ids_json);
  sqlite3_bind_int64 (stmt, 2, after_cursor);
  sqlite3_bind_int64 (stmt, 3, sql_limit (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabEvent *event = g_new0 (ConfabEvent, 1);

      event->cursor = sqlite3_column_int64 (stmt, 0);
      event->site_id = column_dup (stmt, 1);
      event->kind = column_dup (stmt, 2);
      event->payload_json = column_dup (stmt, 3);
      event->created_at = sqlite3_column_int64 (stmt, 4);
      if (sqlite3_column_int (stmt, 5))
        event->message = with_attachment (store, read_message (stmt, 6));
      g_ptr_array_add (events, event);
    }

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, "Cannot list the events");
      return NULL;
    }
  return g_steal_pointer (&events);
}

gint64
confab_store_last_cursor (ConfabStore *store)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (store != NULL, 0);

  /* sqlite_sequence rather than max(cursor): it stays right after old events are pruned. It
   * only exists once the first AUTOINCREMENT row was written, hence the fallback. */
  stmt = store_prepare (store,
                        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), "
                        "(SELECT max(cursor) FROM events), 0)", &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return 0;
    }

  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

/* --- ratings, offline messages, audit ------------------------------------------------------- */

gboolean
confab_store_set_rating (ConfabStore *store,
                         const char  *conversation_id,
                         int          score,
                         const char  *comment,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO ratings (conversation_id, score, comment, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conversation_id) DO UPDATE SET "
                        "score = excluded.score, comment = excluded.comment, "
                        "created_at = excluded.created_at", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int (stmt, 2, score);
  bind_text (stmt, 3, comment);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return step_done (store, stmt, "Cannot store the rating (does the conversation exist?)", error);
}

gboolean
confab_store_get_rating (ConfabStore *store,
                         const char  *conversation_id,
                         int         *out_score,
                         char       **out_comment,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "SELECT score, comment FROM ratings WHERE conversation_id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  if (!step_row (store, stmt, "rating for conversation", conversation_id, error))
    return FALSE;

  if (out_score != NULL)
    *out_score = sqlite3_column_int (stmt, 0);
  if (out_comment != NULL)
    *out_comment = column_dup (stmt, 1);
  return TRUE;
}

char *
confab_store_add_offline_message (ConfabStore *store,
                                  const char  *site_id,
                                  const char  *visitor_id,
                                  const char  *name,
                                  const char  *email,
                                  const char  *body,
                                  GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (body != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO offline_messages (id, site_id, visitor_id, name, email, body, "
                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("off_");
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  bind_text (stmt, 3, visitor_id);
  bind_text (stmt, 4, name);
  bind_text (stmt, 5, email);
  bind_text (stmt, 6, body);
  sqlite3_bind_int64 (stmt, 7, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot store the offline message (do the site and visitor exist?)",
                  error))
    return NULL;

  return g_steal_pointer (&id);
}

/* A row as string → string; NULL columns are left out, so lookups of them give NULL. */
static GHashTable *
read_row_as_table (sqlite3_stmt *stmt)
{
  GHashTable *row = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (int i = 0; i < sqlite3_column_count (stmt); i++)
    {
      const char *value = (const char *) sqlite3_column_text (stmt, i);

      if (value != NULL)
        g_hash_table_insert (row, g_strdup (sqlite3_column_name (stmt, i)), g_strdup (value));
    }
  return row;
}

static GPtrArray *
read_rows_as_tables (ConfabStore  *store,
                     sqlite3_stmt *stmt,
                     const char   *what,
                     GError      **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, read_row_as_table (stmt));

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (store, error, rc, what);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
confab_store_list_offline_messages (ConfabStore *store,
                                    const char  *site_id,
                                    GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT id, visitor_id, name, email, body, created_at "
                        "FROM offline_messages WHERE site_id = ?1 "
                        "ORDER BY created_at DESC, rowid DESC", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  return read_rows_as_tables (store, stmt, "Cannot list the offline messages", error);
}

gboolean
confab_store_audit (ConfabStore *store,
                    const char  *user_id,
                    const char  *site_id,
                    const char  *action,
                    const char  *detail_json,
                    const char  *ip_hash,
                    GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO audit_log (at, user_id, site_id, action, detail, ip_hash) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, confab_now_ms ());
  bind_text (stmt, 2, user_id);
  bind_text (stmt, 3, site_id);
  bind_text (stmt, 4, action);
  bind_text (stmt, 5, detail_json);
  bind_text (stmt, 6, ip_hash);
  return step_done (store, stmt, "Cannot write the audit log", error);
}

GPtrArray *
confab_store_list_audit (ConfabStore *store,
                         const char  *site_id,
                         guint        limit,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* @site_id NULL lists the whole trail: relay-wide actions (logins, user creation) have none. */
  stmt = store_prepare (store,
                        "SELECT at, user_id, site_id, action, detail, ip_hash FROM audit_log "
                        "WHERE ?1 IS NULL OR site_id = ?1 ORDER BY id DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, sql_limit (limit));
  return read_rows_as_tables (store, stmt, "Cannot list the audit log", error);
}

/* --- FAQs ----------------------------------------------------------------------------------- */

#define FAQ_COLUMNS "f.id, f.site_id, f.question, f.answer, f.keywords, f.views, " \
                    "(SELECT count(*) FROM faq_feedback b WHERE b.faq_id = f.id AND b.helpful), " \
                    "(SELECT count(*) FROM faq_feedback b WHERE b.faq_id = f.id AND NOT b.helpful), " \
                    "f.created_at, f.updated_at"

void
confab_faq_free (ConfabFaq *faq)
{
  if (faq == NULL)
    return;
  g_free (faq->id);
  g_free (faq->site_id);
  g_free (faq->question);
  g_free (faq->answer);
  g_strfreev (faq->keywords);
  g_free (faq);
}

static ConfabFaq *
read_faq (sqlite3_stmt *stmt)
{
  ConfabFaq *faq = g_new0 (ConfabFaq, 1);

  faq->id = column_dup (stmt, 0);
  faq->site_id = column_dup (stmt, 1);
  faq->question = column_dup (stmt, 2);
  faq->answer = column_dup (stmt, 3);
  faq->keywords = domains_from_json ((const char *) sqlite3_column_text (stmt, 4));
  faq->views = sqlite3_column_int64 (stmt, 5);
  faq->helpful = sqlite3_column_int64 (stmt, 6);
  faq->not_helpful = sqlite3_column_int64 (stmt, 7);
  faq->created_at = sqlite3_column_int64 (stmt, 8);
  faq->updated_at = sqlite3_column_int64 (stmt, 9);
  return faq;
}

/* Runs @stmt and collects one record per row with @read. */
static GPtrArray *
read_all (ConfabStore    *store,
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
      set_sqlite_error (store, error, rc, what);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

ConfabFaq *
confab_store_create_faq (ConfabStore         *store,
                         const char          *site_id,
                         const char          *question,
                         const char          *answer,
                         const char * const  *keywords,
                         GError             **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("faq_");
  g_autofree char *keywords_json = strv_to_json (keywords);
  gint64 now = confab_now_ms ();

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO faqs (id, site_id, question, answer, keywords, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  bind_text (stmt, 3, question);
  bind_text (stmt, 4, answer);
  bind_text (stmt, 5, keywords_json);
  sqlite3_bind_int64 (stmt, 6, now);
  if (!step_done (store, stmt, "Cannot store the FAQ", error))
    return NULL;

  return confab_store_get_faq (store, id, error);
}

ConfabFaq *
confab_store_get_faq (ConfabStore *store,
                      const char  *faq_id,
                      GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, faq_id);
  if (!step_row (store, stmt, "FAQ", faq_id, error))
    return NULL;
  return read_faq (stmt);
}

GPtrArray *
confab_store_list_faqs (ConfabStore *store,
                        const char  *site_id,
                        GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.site_id = ?1 "
                        "ORDER BY f.created_at, f.n", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  return read_all (store, stmt, (gpointer) read_faq, (GDestroyNotify) confab_faq_free,
                   "Cannot list the FAQs", error);
}

ConfabFaq *
confab_store_update_faq (ConfabStore         *store,
                         const char          *faq_id,
                         const char          *question,
                         const char          *answer,
                         const char * const  *keywords,
                         GError             **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *keywords_json = keywords ? strv_to_json (keywords) : NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE faqs SET question = coalesce(?2, question), "
                        "answer = coalesce(?3, answer), keywords = coalesce(?4, keywords), "
                        "updated_at = ?5 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, faq_id);
  bind_text (stmt, 2, question);
  bind_text (stmt, 3, answer);
  bind_text (stmt, 4, keywords_json);
  sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot update the FAQ", error) ||
      !not_found_if_unchanged (store, "FAQ", faq_id, error))
    return NULL;

  return confab_store_get_faq (store, faq_id, error);
}

gboolean
confab_store_delete_faq (ConfabStore *store,
                         const char  *faq_id,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM faqs WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, faq_id);
  return step_done (store, stmt, "Cannot delete the FAQ", error) &&
         not_found_if_unchanged (store, "FAQ", faq_id, error);
}

GPtrArray *
confab_store_search_faqs (ConfabStore *store,
                          const char  *site_id,
                          const char  *match,
                          guint        limit,
                          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (match != NULL, NULL);

  /* bm25 weights: question 4, answer 1, keywords 3 — visitors ask what the questions say */
  stmt = store_prepare (store,
                        "SELECT " FAQ_COLUMNS " FROM faqs_fts JOIN faqs f ON f.n = faqs_fts.rowid "
                        "WHERE faqs_fts MATCH ?1 AND f.site_id = ?2 "
                        "ORDER BY bm25(faqs_fts, 4.0, 1.0, 3.0), f.n LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, match);
  bind_text (stmt, 2, site_id);
  sqlite3_bind_int64 (stmt, 3, sql_limit (limit));
  return read_all (store, stmt, (gpointer) read_faq, (GDestroyNotify) confab_faq_free,
                   "Cannot search the FAQs", error);
}

gboolean
confab_store_count_faq_view (ConfabStore *store,
                             const char  *faq_id,
                             GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE faqs SET views = views + 1 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, faq_id);
  return step_done (store, stmt, "Cannot count the FAQ view", error) &&
         not_found_if_unchanged (store, "FAQ", faq_id, error);
}

/* One boolean from a query whose first column is one. */
static gboolean
query_bool (ConfabStore  *store,
            sqlite3_stmt *stmt,
            const char   *what,
            gboolean     *out_value,
            GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (store, error, rc, what);
      return FALSE;
    }
  *out_value = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

gboolean
confab_store_bot_may_answer (ConfabStore *store,
                             const char  *conversation_id,
                             gboolean    *out_may_answer,
                             GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_may_answer = FALSE;
  stmt = store_prepare (store,
                        "SELECT c.assignee_id IS NULL "
                        "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
                        "                AND m.sender_type = 'agent') "
                        "AND NOT EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id) "
                        "FROM conversations c WHERE c.id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  if (!step_row (store, stmt, "conversation", conversation_id, error))
    return FALSE;
  *out_may_answer = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

gboolean
confab_store_faq_answered_in (ConfabStore *store,
                              const char  *conversation_id,
                              const char  *faq_id,
                              gboolean    *out_answered,
                              GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_answered = FALSE;
  stmt = store_prepare (store,
                        "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 "
                        "AND sender_type = 'bot' AND sender_id = ?2)", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, faq_id);
  return query_bool (store, stmt, "Cannot look for the FAQ answer", out_answered, error);
}

gboolean
confab_store_set_faq_feedback (ConfabStore *store,
                               const char  *conversation_id,
                               const char  *faq_id,
                               gboolean     helpful,
                               GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO faq_feedback (conversation_id, faq_id, helpful, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conversation_id, faq_id) "
                        "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                        error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, faq_id);
  sqlite3_bind_int (stmt, 3, helpful ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return step_done (store, stmt, "Cannot store the FAQ feedback", error);
}

gboolean
confab_store_request_human (ConfabStore *store,
                            const char  *conversation_id,
                            gboolean    *out_new,
                            GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_new = FALSE;
  stmt = store_prepare (store,
                        "INSERT INTO human_requests (conversation_id, created_at) VALUES (?1, ?2) "
                        "ON CONFLICT (conversation_id) DO NOTHING", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  if (!step_done (store, stmt, "Cannot record the request for a person", error))
    return FALSE;
  *out_new = sqlite3_changes (store->db) > 0;
  return TRUE;
}

/* --- canned responses ----------------------------------------------------------------------- */

#define CANNED_COLUMNS "id, site_id, shortcut, body, created_at, updated_at"

void
confab_canned_free (ConfabCanned *canned)
{
  if (canned == NULL)
    return;
  g_free (canned->id);
  g_free (canned->site_id);
  g_free (canned->shortcut);
  g_free (canned->body);
  g_free (canned);
}

static ConfabCanned *
read_canned (sqlite3_stmt *stmt)
{
  ConfabCanned *canned = g_new0 (ConfabCanned, 1);

  canned->id = column_dup (stmt, 0);
  canned->site_id = column_dup (stmt, 1);
  canned->shortcut = column_dup (stmt, 2);
  canned->body = column_dup (stmt, 3);
  canned->created_at = sqlite3_column_int64 (stmt, 4);
  canned->updated_at = sqlite3_column_int64 (stmt, 5);
  return canned;
}

/* A taken shortcut says so in words a user can act on. */
static void
set_canned_error (ConfabStore *store,
                  GError     **error,
                  int          rc,
                  const char  *what)
{
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a canned response with this shortcut");
  else
    set_sqlite_error (store, error, rc, what);
}

ConfabCanned *
confab_store_create_canned (ConfabStore *store,
                            const char  *site_id,
                            const char  *shortcut,
                            const char  *body,
                            GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("can_");
  gint64 now = confab_now_ms ();
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO canned_responses (id, site_id, shortcut, body, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  bind_text (stmt, 3, shortcut);
  bind_text (stmt, 4, body);
  sqlite3_bind_int64 (stmt, 5, now);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_canned_error (store, error, rc, "Cannot store the canned response");
      return NULL;
    }

  return confab_store_get_canned (store, id, error);
}

ConfabCanned *
confab_store_get_canned (ConfabStore *store,
                         const char  *canned_id,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, canned_id);
  if (!step_row (store, stmt, "canned response", canned_id, error))
    return NULL;
  return read_canned (stmt);
}

GPtrArray *
confab_store_list_canned (ConfabStore *store,
                          const char  *site_id,
                          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE site_id = ?1 "
                        "ORDER BY shortcut", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  return read_all (store, stmt, (gpointer) read_canned, (GDestroyNotify) confab_canned_free,
                   "Cannot list the canned responses", error);
}

ConfabCanned *
confab_store_update_canned (ConfabStore *store,
                            const char  *canned_id,
                            const char  *shortcut,
                            const char  *body,
                            GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE canned_responses SET shortcut = coalesce(?2, shortcut), "
                        "body = coalesce(?3, body), updated_at = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, canned_id);
  bind_text (stmt, 2, shortcut);
  bind_text (stmt, 3, body);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_canned_error (store, error, rc, "Cannot update the canned response");
      return NULL;
    }
  if (!not_found_if_unchanged (store, "canned response", canned_id, error))
    return NULL;

  return confab_store_get_canned (store, canned_id, error);
}

gboolean
confab_store_delete_canned (ConfabStore *store,
                            const char  *canned_id,
                            GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM canned_responses WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, canned_id);
  return step_done (store, stmt, "Cannot delete the canned response", error) &&
         not_found_if_unchanged (store, "canned response", canned_id, error);
}

/* --- members of a site ---------------------------------------------------------------------- */

void
confab_member_free (ConfabMember *member)
{
  if (member == NULL)
    return;
  g_free (member->user_id);
  g_free (member->email);
  g_free (member->name);
  g_free (member);
}

static ConfabMember *
read_member (sqlite3_stmt *stmt)
{
  ConfabMember *member = g_new0 (ConfabMember, 1);

  member->user_id = column_dup (stmt, 0);
  member->email = column_dup (stmt, 1);
  member->name = column_dup (stmt, 2);
  member->role = confab_role_from_string ((const char *) sqlite3_column_text (stmt, 3));
  member->since = sqlite3_column_int64 (stmt, 4);
  return member;
}

GPtrArray *
confab_store_list_members (ConfabStore *store,
                           const char  *site_id,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m "
                        "JOIN users u ON u.id = m.user_id WHERE m.site_id = ?1 "
                        "ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, "
                        "m.created_at, u.email", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, site_id);
  return read_all (store, stmt, (gpointer) read_member, (GDestroyNotify) confab_member_free,
                   "Cannot list the members", error);
}

gboolean
confab_store_change_member (ConfabStore *store,
                            const char  *site_id,
                            const char  *user_id,
                            ConfabRole   role,
                            GError     **error)
{
  g_autoptr (ConfabStmt) count = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  /* The check and the change in one transaction: two admins demoting the last two owners at
   * once (or the admin CLI beside the relay) must not leave a site nobody can administer. */
  if (!confab_store_begin (store, error))
    return FALSE;

  ok = confab_store_set_member (store, site_id, user_id, role, error);
  if (ok)
    {
      count = store_prepare (store,
                             "SELECT count(*) FROM memberships WHERE site_id = ?1 AND role = 'owner'",
                             error);
      ok = count != NULL;
    }
  if (ok)
    {
      bind_text (count, 1, site_id);
      ok = step_row (store, count, "site", site_id, error);
      if (ok && sqlite3_column_int64 (count, 0) == 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                       "A site must keep at least one owner");
          ok = FALSE;
        }
    }
  g_clear_pointer (&count, confab_stmt_release);

  return finish (store, ok, error);
}

/* --- image uploads -------------------------------------------------------------------------- */

void
confab_upload_free (ConfabUpload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  g_free (upload->site_id);
  g_free (upload->conversation_id);
  g_free (upload->visitor_id);
  g_free (upload->user_id);
  g_free (upload->sha256);
  g_free (upload->mime);
  g_free (upload);
}

#define UPLOAD_COLUMNS "id, site_id, conversation_id, visitor_id, user_id, sha256, mime, " \
                       "width, height, size, thumb_width, thumb_height, thumb_size, created_at"

static ConfabUpload *
read_upload (sqlite3_stmt *stmt)
{
  ConfabUpload *upload = g_new0 (ConfabUpload, 1);

  upload->id = column_dup (stmt, 0);
  upload->site_id = column_dup (stmt, 1);
  upload->conversation_id = column_dup (stmt, 2);
  upload->visitor_id = column_dup (stmt, 3);
  upload->user_id = column_dup (stmt, 4);
  upload->sha256 = column_dup (stmt, 5);
  upload->mime = column_dup (stmt, 6);
  upload->width = sqlite3_column_int64 (stmt, 7);
  upload->height = sqlite3_column_int64 (stmt, 8);
  upload->size = sqlite3_column_int64 (stmt, 9);
  upload->thumb_width = sqlite3_column_int64 (stmt, 10);
  upload->thumb_height = sqlite3_column_int64 (stmt, 11);
  upload->thumb_size = sqlite3_column_int64 (stmt, 12);
  upload->created_at = sqlite3_column_int64 (stmt, 13);
  return upload;
}

gboolean
confab_store_add_upload (ConfabStore        *store,
                         const ConfabUpload *upload,
                         GError            **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && upload != NULL && upload->id != NULL, FALSE);

  stmt = store_prepare (store, "INSERT INTO uploads (" UPLOAD_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, upload->id);
  bind_text (stmt, 2, upload->site_id);
  bind_text (stmt, 3, upload->conversation_id);
  bind_text (stmt, 4, upload->visitor_id);
  bind_text (stmt, 5, upload->user_id);
  bind_text (stmt, 6, upload->sha256);
  bind_text (stmt, 7, upload->mime);
  sqlite3_bind_int64 (stmt, 8, upload->width);
  sqlite3_bind_int64 (stmt, 9, upload->height);
  sqlite3_bind_int64 (stmt, 10, upload->size);
  sqlite3_bind_int64 (stmt, 11, upload->thumb_width);
  sqlite3_bind_int64 (stmt, 12, upload->thumb_height);
  sqlite3_bind_int64 (stmt, 13, upload->thumb_size);
  sqlite3_bind_int64 (stmt, 14, upload->created_at);

  return step_done (store, stmt, "Cannot store the upload", error);
}

ConfabUpload *
confab_store_get_upload (ConfabStore *store,
                         const char  *upload_id,
                         GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " UPLOAD_COLUMNS " FROM uploads WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, upload_id);
  if (!step_row (store, stmt, "upload", upload_id, error))
    return NULL;

  return read_upload (stmt);
}

gboolean
confab_store_upload_file_used (ConfabStore *store,
                               const char  *sha256)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "SELECT 1 FROM uploads WHERE sha256 = ?1 LIMIT 1", NULL);
  if (stmt == NULL)
    return TRUE; /* when in doubt, a file is in use: never delete what a row may name */

  bind_text (stmt, 1, sha256);
  return sqlite3_step (stmt) != SQLITE_DONE;
}

gboolean
confab_store_claim_upload (ConfabStore *store,
                           const char  *upload_id,
                           const char  *conversation_id,
                           const char  *visitor_id,
                           GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  /* SQLite counts a row the WHERE matched as changed even when the value stays the same. */
  stmt = store_prepare (store,
                        "UPDATE uploads SET conversation_id = ?2 WHERE id = ?1 AND "
                        "(conversation_id = ?2 OR (conversation_id IS NULL AND ?3 IS NOT NULL AND "
                        "visitor_id = ?3 AND site_id = "
                        "(SELECT site_id FROM conversations WHERE id = ?2 AND visitor_id = ?3)))",
                        error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, upload_id);
  bind_text (stmt, 2, conversation_id);
  bind_text (stmt, 3, visitor_id);
  return step_done (store, stmt, "Cannot attach the upload", error) &&
         not_found_if_unchanged (store, "attachment", upload_id, error);
}

ConfabVisitor *
confab_store_get_visitor_by_token (ConfabStore *store,
                                   const char  *token_hash,
                                   GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE token_hash = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, token_hash);
  if (!step_row (store, stmt, "visitor", "(by token)", error))
    return NULL;

  return read_visitor (stmt);
}

static ConfabMessage *
with_attachment (ConfabStore   *store,
                 ConfabMessage *message)
{
  if (message != NULL && message->attachment_id != NULL && message->attachment == NULL)
    message->attachment = confab_store_get_upload (store, message->attachment_id, NULL);

  return message;
}
