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

#define VISITOR_COLUMNS "id, site_id, token_hash, name, email, locale, timezone, browser, os, " \
                        "country, city, fingerprint, first_seen, last_seen, visits"

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
                        "  WHERE visitor_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2"
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
    return read_message (stmt, 0);
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
  return message;
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
      g_ptr_array_add (messages, read_message (stmt, 0));

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
        event->message = read_message (stmt, 6);
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
