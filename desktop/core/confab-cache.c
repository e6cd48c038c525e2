/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-cache"

#include <errno.h>
#include <glib/gstdio.h>

#include "confab-cache-private.h"
#include "confab-util.h"

struct _ConfabCache
{
  GObject     parent_instance;

  char       *path;
  sqlite3    *db;
  GHashTable *statements;   /* SQL literal → sqlite3_stmt */
  guint       depth;        /* nested confab_cache_begin() calls */
  GQueue      pending;      /* ConfabConversation*[2]: changes not announced yet */
  gboolean    emitting;     /* conversation-changed is being emitted */
  gboolean    in_batch;     /* confab_cache_batch_begin() without its end */
  gboolean    batch_held;   /* more batches follow: lists may stay behind (set_batch_held) */
  gint       *checkpointing; /* atomic rc box: a checkpoint thread runs (wal_hook_cb) */
  int         wal_pages;     /* the WAL's length after the last commit */
  int         checkpoint_at; /* the next checkpoint when the WAL is this long */
};

G_DEFINE_FINAL_TYPE (ConfabCache, confab_cache, G_TYPE_OBJECT)
G_DEFINE_QUARK (confab-cache-error-quark, confab_cache_error)

guint confab_cache_signals[CONFAB_CACHE_N_SIGNALS];

/* Each entry brings the schema from the version before it to its index + 1. Add new ones at
 * the end; never edit one that has shipped. */
static const char * const migrations[] = {
  /* 1 */
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT);"
  "CREATE TABLE visitors ("
  "  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, online INTEGER NOT NULL DEFAULT 0,"
  "  name TEXT, email TEXT, country TEXT, city TEXT, timezone TEXT, locale TEXT,"
  "  browser TEXT, os TEXT, page_url TEXT, page_title TEXT, journey TEXT,"
  "  first_seen INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0,"
  "  visits INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX visitors_site ON visitors (site_id, online, last_seen);"
  "CREATE TABLE conversations ("
  "  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, visitor_id TEXT NOT NULL,"
  "  status TEXT NOT NULL, assignee_id TEXT, assignee_name TEXT,"
  "  created_at INTEGER NOT NULL DEFAULT 0, last_message_at INTEGER NOT NULL DEFAULT 0,"
  "  sort_at INTEGER NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,"
  "  unread INTEGER NOT NULL DEFAULT 0, agent_read_seq INTEGER NOT NULL DEFAULT 0,"
  "  visitor_read_seq INTEGER NOT NULL DEFAULT 0, preview TEXT);"
  "CREATE INDEX conversations_sort ON conversations (sort_at, id);"
  "CREATE INDEX conversations_site_sort ON conversations (site_id, sort_at, id);"
  "CREATE INDEX conversations_visitor ON conversations (visitor_id);"
  "CREATE TABLE messages ("
  "  local_id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER,"
  "  sort_key INTEGER NOT NULL, client_id TEXT, sender_type TEXT NOT NULL,"
  "  sender_id TEXT, sender_name TEXT, body TEXT, attachment TEXT,"
  "  created_at INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 1);"
  "CREATE UNIQUE INDEX messages_order ON messages (conversation_id, sort_key);"
  "CREATE INDEX messages_client_id ON messages (client_id) WHERE client_id IS NOT NULL;"
  "CREATE TABLE outbox ("
  "  position INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL UNIQUE,"
  "  conversation_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'queued', error_code TEXT);"
  "CREATE TABLE thumbnails ("
  "  upload_id TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL,"
  "  fetched_at INTEGER NOT NULL);",
  /* 2: timeline rows among the messages (a sent message's key becomes seq * 1024, leaving
   * room for the events between two messages; queued ones move up out of their way), the
   * conversations' ratings, and the offline messages */
  "ALTER TABLE messages ADD COLUMN event TEXT;"
  "UPDATE messages SET sort_key = -(sort_key * 1024) WHERE seq IS NOT NULL;"
  "UPDATE messages SET sort_key = -sort_key WHERE sort_key < 0;"
  "UPDATE messages SET sort_key = sort_key - 1099511627776 + 4503599627370496"
  "  WHERE seq IS NULL;"
  "ALTER TABLE conversations ADD COLUMN rating_score INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE conversations ADD COLUMN rating_comment TEXT;"
  "ALTER TABLE conversations ADD COLUMN rated_at INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE timeline_fetched (conversation_id TEXT PRIMARY KEY);"
  "CREATE TABLE offline_messages ("
  "  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, visitor_id TEXT, name TEXT, email TEXT,"
  "  body TEXT, page_url TEXT, page_title TEXT, created_at INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL DEFAULT 'open', handled_by_id TEXT, handled_by_name TEXT,"
  "  handled_at INTEGER NOT NULL DEFAULT 0, conversation_id TEXT);"
  "CREATE INDEX offline_messages_site ON offline_messages (site_id, status, created_at);"
  "CREATE INDEX offline_messages_order ON offline_messages (created_at, id);",
  /* 3: the conversations' labels ([{"id","name","color"}] as the relay sent them; NULL: none
   * heard of yet) */
  "ALTER TABLE conversations ADD COLUMN labels TEXT;",
  /* 4: issue 15's channels, in tables of their own (confab-cache-channels.c): a conversation's
   * channel when it is not the website, WhatsApp's reply window; an agent message's delivery
   * state when a channel carried it */
  "CREATE TABLE conversation_channels (conversation_id TEXT PRIMARY KEY, channel TEXT NOT NULL,"
  "  reply_window_ends_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE message_deliveries (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,"
  "  status TEXT NOT NULL, error TEXT, PRIMARY KEY (conversation_id, seq));",
  /* 5: issue 16's assistant (confab-cache-assistant.c): a row per message of the assistant,
   * with the sources it cited as the relay sent them */
  "CREATE TABLE message_sources (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,"
  "  sources TEXT NOT NULL, PRIMARY KEY (conversation_id, seq));",
  /* 6: issue 18's routing (confab-routing.c): a conversation's team, queue place and running
   * response target as one JSON object (NULL: none heard of, an older relay), and the user's
   * own chat limit per site (NULL: the relay does not say) */
  "ALTER TABLE conversations ADD COLUMN routing TEXT;"
  "ALTER TABLE sites ADD COLUMN max_chats INTEGER;",
  /* 7: issue 16's contacts: phone, notes, tags and goals (JSON as the relay sent them), the lead
   * score (NULL: the relay has none, so the app shows none) */
  "ALTER TABLE visitors ADD COLUMN phone TEXT;"
  "ALTER TABLE visitors ADD COLUMN notes TEXT;"
  "ALTER TABLE visitors ADD COLUMN tags TEXT;"
  "ALTER TABLE visitors ADD COLUMN lead_score INTEGER;"
  "ALTER TABLE visitors ADD COLUMN goals TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CONFAB_CACHE_SCHEMA_VERSION);

void
confab_cache_set_sqlite_error (ConfabCache  *self,
                               GError      **error,
                               const char   *what)
{
  g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_FAILED,
               "The local cache could not %s: %s", what, sqlite3_errmsg (self->db));
}

sqlite3 *
confab_cache_get_db (ConfabCache *self)
{
  return self->db;
}

sqlite3_stmt *
confab_cache_prepare (ConfabCache  *self,
                      const char   *sql,
                      GError      **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);

  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
        {
          confab_cache_set_sqlite_error (self, error, "prepare a query");
          return NULL;
        }
      g_hash_table_insert (self->statements, (gpointer) sql, stmt);
    }
  else
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }

  return stmt;
}

gboolean
confab_cache_step_done (ConfabCache   *self,
                        sqlite3_stmt  *stmt,
                        GError       **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      confab_cache_set_sqlite_error (self, error, "save");
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_cache_exec (ConfabCache  *self,
                   const char   *sql,
                   GError      **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      confab_cache_set_sqlite_error (self, error, "run a statement");
      return FALSE;
    }
  return TRUE;
}

/* Nested calls join the outer transaction, so that an apply inside a batch commits with it. */
gboolean
confab_cache_begin (ConfabCache  *self,
                    GError      **error)
{
  if (self->depth++ > 0)
    return TRUE;
  if (!confab_cache_exec (self, "BEGIN IMMEDIATE", error))
    {
      self->depth = 0;
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_cache_commit (ConfabCache  *self,
                     GError      **error)
{
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (--self->depth > 0)
    return TRUE;
  if (!confab_cache_exec (self, "COMMIT", error))
    {
      confab_cache_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

void
confab_cache_rollback (ConfabCache *self)
{
  g_return_if_fail (self->depth > 0);

  /* An inner failure undoes the whole outer transaction: half an event is never stored. */
  self->depth = 0;
  confab_cache_exec (self, "ROLLBACK", NULL);
}

static gboolean
migrate (ConfabCache  *self,
         GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int version;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_finalize (stmt);
      confab_cache_set_sqlite_error (self, error, "read its version");
      return FALSE;
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > CONFAB_CACHE_SCHEMA_VERSION)
    {
      g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_TOO_NEW,
                   "The local cache %s was written by a newer version of Confab (schema %d, "
                   "this one knows %d); update Confab or remove the file",
                   self->path, version, CONFAB_CACHE_SCHEMA_VERSION);
      return FALSE;
    }

  for (; version < CONFAB_CACHE_SCHEMA_VERSION; version++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

      if (!confab_cache_begin (self, error))
        return FALSE;
      if (!confab_cache_exec (self, migrations[version], error) ||
          !confab_cache_exec (self, bump, error))
        {
          confab_cache_rollback (self);
          g_prefix_error (error, "Migrating the local cache to version %d: ", version + 1);
          return FALSE;
        }
      if (!confab_cache_commit (self, error))
        return FALSE;
    }

  return TRUE;
}

/* The unread count of each site, kept by triggers on every write to conversations: the sidebar
 * and the window's title read them after every burst of changes, and summing them over the
 * conversations (10,000 rows after a catch-up, a table lookup each) every 100 ms was a sixth of
 * a catch-up's time (bench/desktop-catchup.sh). A temporary table (this connection's, not the
 * schema): no migration, and it starts from the table on every open. */
static gboolean
track_unread (ConfabCache  *self,
              GError      **error)
{
  return confab_cache_exec (self,
    "CREATE TEMP TABLE site_unread (site_id TEXT PRIMARY KEY, unread INTEGER NOT NULL)"
    "  WITHOUT ROWID;"
    "INSERT INTO temp.site_unread SELECT site_id, SUM (unread) FROM main.conversations"
    "  GROUP BY site_id;"
    "CREATE TEMP TRIGGER site_unread_insert AFTER INSERT ON main.conversations"
    "  WHEN NEW.unread != 0 BEGIN"
    "  INSERT INTO site_unread VALUES (NEW.site_id, NEW.unread)"
    "    ON CONFLICT (site_id) DO UPDATE SET unread = unread + excluded.unread;"
    "END;"
    "CREATE TEMP TRIGGER site_unread_delete AFTER DELETE ON main.conversations"
    "  WHEN OLD.unread != 0 BEGIN"
    "  UPDATE site_unread SET unread = unread - OLD.unread WHERE site_id = OLD.site_id;"
    "END;"
    "CREATE TEMP TRIGGER site_unread_update AFTER UPDATE OF unread, site_id ON main.conversations"
    "  WHEN OLD.unread != NEW.unread OR OLD.site_id != NEW.site_id BEGIN"
    "  UPDATE site_unread SET unread = unread - OLD.unread WHERE site_id = OLD.site_id;"
    "  INSERT INTO site_unread VALUES (NEW.site_id, NEW.unread)"
    "    ON CONFLICT (site_id) DO UPDATE SET unread = unread + excluded.unread;"
    "END;",
    error);
}

#define CHECKPOINT_PAGES 1000   /* SQLite's own default for its automatic checkpoint */

typedef struct {
  char *path;
  gint *running;
} Checkpoint;

static gpointer
checkpoint_thread (gpointer data)
{
  Checkpoint *checkpoint = data;
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (checkpoint->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                       NULL) == SQLITE_OK)
    {
      int log = 0, done = 0;

      sqlite3_busy_timeout (db, 2000);
      /* a connection finds the WAL when it first reads */
      sqlite3_exec (db, "PRAGMA schema_version", NULL, NULL, NULL);
      if (sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK)
        g_debug ("checkpoint: %s", sqlite3_errmsg (db));
      else
        g_debug ("checkpoint: %d of %d WAL pages", done, log);
    }
  sqlite3_close_v2 (db);
  g_atomic_int_set (checkpoint->running, 0);
  g_atomic_rc_box_release (checkpoint->running);
  g_free (checkpoint->path);
  g_free (checkpoint);
  return NULL;
}

/* After a commit that left the WAL this long, its pages are copied to the database by a
 * thread of its own, on a connection of its own, instead of by the commit: a checkpoint
 * waits for two fsyncs, and on a busy disk a catch-up's main thread waited 1.4 s in 90 of
 * them, up to 88 ms each (strace, bench/desktop-catchup.sh). PASSIVE: it never blocks the
 * writes; what it could not copy goes with the next one. */
static int
wal_hook_cb (void       *data,
             sqlite3    *db,
             const char *name,
             int         pages)
{
  ConfabCache *self = data;
  Checkpoint *checkpoint;
  GThread *thread;

  /* Commits that follow one another while a checkpoint copies keep the WAL from starting
   * again at its beginning (it does at the first commit after a complete one): then one
   * checkpoint per CHECKPOINT_PAGES written, not one per commit. */
  if (pages < self->wal_pages)
    self->checkpoint_at = 0;
  self->wal_pages = pages;
  if (pages < MAX (self->checkpoint_at, CHECKPOINT_PAGES) ||
      !g_atomic_int_compare_and_exchange (self->checkpointing, 0, 1))
    return SQLITE_OK;
  self->checkpoint_at = pages + CHECKPOINT_PAGES;
  g_debug ("checkpoint of %d WAL pages", pages);
  checkpoint = g_new0 (Checkpoint, 1);
  checkpoint->path = g_strdup (self->path);
  checkpoint->running = g_atomic_rc_box_acquire (self->checkpointing);
  thread = g_thread_try_new ("confab-checkpoint", checkpoint_thread, checkpoint, NULL);
  if (thread != NULL)
    {
      g_thread_unref (thread);
      return SQLITE_OK;
    }
  /* no thread: here, as SQLite would */
  g_atomic_int_set (self->checkpointing, 0);
  g_atomic_rc_box_release (checkpoint->running);
  g_free (checkpoint->path);
  g_free (checkpoint);
  sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

static gboolean
open_db (ConfabCache  *self,
         GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not create the cache directory %s: %s", dir, g_strerror (saved));
      return FALSE;
    }

  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_FAILED,
                   "Could not open the local cache %s: %s", self->path,
                   self->db ? sqlite3_errmsg (self->db) : "out of memory");
      return FALSE;
    }

  sqlite3_busy_timeout (self->db, 2000);
  /* WAL + NORMAL: a commit costs no fsync, and a crash loses at most the last commits,
   * which the relay sends again (resume by cursor) — except the outbox, whose rows are
   * checkpointed by the next commit and which the tests reopen after a clean close. */
  if (!confab_cache_exec (self, "PRAGMA journal_mode = WAL", error) ||
      !confab_cache_exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !confab_cache_exec (self, "PRAGMA foreign_keys = ON", error))
    return FALSE;
  /* checkpoints off the main thread (replaces SQLite's automatic one); not for a database
   * in memory, which has no WAL */
  if (sqlite3_db_filename (self->db, "main") != NULL && *sqlite3_db_filename (self->db, "main") != '\0')
    sqlite3_wal_hook (self->db, wal_hook_cb, self);

  return migrate (self, error) && track_unread (self, error);
}

ConfabCache *
confab_cache_new (const char  *path,
                  GError     **error)
{
  g_autoptr (ConfabCache) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_CACHE, NULL);
  self->path = g_strdup (path);
  if (!open_db (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

char *
confab_cache_default_path (const char *relay_url,
                           const char *email)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", relay_url, email);
  g_autofree char *hash = confab_sha256_hex (key);

  hash[32] = '\0';
  return g_build_filename (g_get_user_data_dir (), "confab", "accounts", hash, "cache.db", NULL);
}

const char *
confab_cache_get_path (ConfabCache *self)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);
  return self->path;
}

/* --- meta and cursor --- */

char *
confab_cache_dup_meta (ConfabCache *self,
                       const char  *key)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  char *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

gboolean
confab_cache_set_meta (ConfabCache  *self,
                       const char   *key,
                       const char   *value,
                       GError      **error)
{
  sqlite3_stmt *stmt;

  if (value == NULL)
    stmt = confab_cache_prepare (self, "DELETE FROM meta WHERE key = ?1", error);
  else
    stmt = confab_cache_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (value != NULL)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  return confab_cache_step_done (self, stmt, error);
}

gint64
confab_cache_get_cursor (ConfabCache *self)
{
  g_autofree char *text = confab_cache_dup_meta (self, "cursor");

  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

gboolean
confab_cache_store_cursor (ConfabCache  *self,
                           gint64        cursor,
                           GError      **error)
{
  sqlite3_stmt *stmt;

  if (cursor <= 0)
    return TRUE;
  /* Never backwards: a late duplicate must not make the next resume replay. */
  stmt = confab_cache_prepare (self,
                               "INSERT INTO meta (key, value) VALUES ('cursor', ?1) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                               "WHERE CAST (value AS INTEGER) < CAST (excluded.value AS INTEGER)",
                               error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cursor);
  return confab_cache_step_done (self, stmt, error);
}

gboolean
confab_cache_set_cursor (ConfabCache  *self,
                         gint64        cursor,
                         GError      **error)
{
  return confab_cache_store_cursor (self, cursor, error);
}

/* --- rows to objects --- */

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

ConfabConversation *
confab_cache_conversation_from_stmt (sqlite3_stmt *stmt)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION,
                       "id", column_text (stmt, 0),
                       "site-id", column_text (stmt, 1),
                       "visitor-id", column_text (stmt, 2),
                       "visitor-name", column_text (stmt, 3),
                       "visitor-email", column_text (stmt, 4),
                       "status", column_text (stmt, 5),
                       "assignee-id", column_text (stmt, 6),
                       "assignee-name", column_text (stmt, 7),
                       "created-at", sqlite3_column_int64 (stmt, 8),
                       "last-message-at", sqlite3_column_int64 (stmt, 9),
                       "last-seq", sqlite3_column_int64 (stmt, 10),
                       "unread", sqlite3_column_int64 (stmt, 11),
                       "agent-read-seq", sqlite3_column_int64 (stmt, 12),
                       "visitor-read-seq", sqlite3_column_int64 (stmt, 13),
                       "preview", column_text (stmt, 14),
                       "sort-at", sqlite3_column_int64 (stmt, 15),
                       "rating-score", sqlite3_column_int (stmt, 16),
                       "rating-comment", column_text (stmt, 17),
                       "rated-at", sqlite3_column_int64 (stmt, 18),
                       "labels", column_text (stmt, 19),
                       "routing", column_text (stmt, 20),
                       NULL);
}

ConfabMessage *
confab_cache_message_from_stmt (sqlite3_stmt *stmt)
{
  return g_object_new (CONFAB_TYPE_MESSAGE,
                       "conversation-id", column_text (stmt, 0),
                       "seq", sqlite3_column_int64 (stmt, 1),
                       "client-id", column_text (stmt, 2),
                       "sender-type", column_text (stmt, 3),
                       "sender-id", column_text (stmt, 4),
                       "sender-name", column_text (stmt, 5),
                       "body", column_text (stmt, 6),
                       "attachment", column_text (stmt, 7),
                       "created-at", sqlite3_column_int64 (stmt, 8),
                       "state", sqlite3_column_int (stmt, 9),
                       "local-id", sqlite3_column_int64 (stmt, 10),
                       "sort-key", sqlite3_column_int64 (stmt, 11),
                       "event", column_text (stmt, 12),
                       NULL);
}

static ConfabVisitor *
visitor_from_stmt (sqlite3_stmt *stmt)
{
  return g_object_new (CONFAB_TYPE_VISITOR,
                       "id", column_text (stmt, 0),
                       "site-id", column_text (stmt, 1),
                       "online", sqlite3_column_int (stmt, 2) != 0,
                       "name", column_text (stmt, 3),
                       "email", column_text (stmt, 4),
                       "country", column_text (stmt, 5),
                       "city", column_text (stmt, 6),
                       "timezone", column_text (stmt, 7),
                       "locale", column_text (stmt, 8),
                       "browser", column_text (stmt, 9),
                       "os", column_text (stmt, 10),
                       "page-url", column_text (stmt, 11),
                       "page-title", column_text (stmt, 12),
                       "journey", column_text (stmt, 13),
                       "first-seen", sqlite3_column_int64 (stmt, 14),
                       "last-seen", sqlite3_column_int64 (stmt, 15),
                       "visits", sqlite3_column_int64 (stmt, 16),
                       "phone", column_text (stmt, 17),
                       "notes", column_text (stmt, 18),
                       "tags", column_text (stmt, 19),
                       "lead-score", sqlite3_column_type (stmt, 20) == SQLITE_NULL
                                     ? (gint64) -1 : CLAMP (sqlite3_column_int64 (stmt, 20), 0, 100),
                       "goals", column_text (stmt, 21),
                       NULL);
}

#define VISITOR_COLUMNS \
  "id, site_id, online, name, email, country, city, timezone, locale, browser, os, " \
  "page_url, page_title, journey, first_seen, last_seen, visits, " \
  "phone, notes, tags, lead_score, goals"

gint64
confab_cache_message_sort_key (ConfabMessage *message)
{
  gint64 seq = confab_message_get_seq (message);

  if (seq > 0)
    return CONFAB_CACHE_SEQ_SORT_KEY (seq);
  if (confab_message_is_timeline (message))
    return confab_message_get_sort_key (message);
  return CONFAB_CACHE_QUEUED_SORT_BASE + confab_message_get_local_id (message);
}

/* Not last_message_at-or-created_at: the table keeps MAX (created_at, last_message_at), and a
 * key that differs from the one the rows are ordered by puts a moved row in the wrong place. */
gint64
confab_cache_conversation_sort_at (ConfabConversation *conversation)
{
  return confab_conversation_get_sort_at (conversation);
}

/* --- reads --- */

ConfabConversation *
confab_cache_get_conversation (ConfabCache *self,
                               const char  *conversation_id)
{
  sqlite3_stmt *stmt;
  ConfabConversation *conversation = NULL;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);

  stmt = confab_cache_prepare (self, "SELECT " CONFAB_CACHE_CONVERSATION_COLUMNS
                               " FROM " CONFAB_CACHE_CONVERSATION_FROM " WHERE c.id = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    conversation = confab_cache_conversation_from_stmt (stmt);
  sqlite3_reset (stmt);
  return conversation;
}

ConfabMessage *
confab_cache_get_message_by_client_id (ConfabCache *self,
                                       const char  *client_id)
{
  sqlite3_stmt *stmt;
  ConfabMessage *message = NULL;

  stmt = confab_cache_prepare (self, "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS
                               " FROM messages WHERE client_id = ? LIMIT 1", NULL);
  if (stmt == NULL || client_id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, client_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    message = confab_cache_message_from_stmt (stmt);
  sqlite3_reset (stmt);
  return message;
}

ConfabMessage *
confab_cache_get_message_by_seq (ConfabCache *self,
                                 const char  *conversation_id,
                                 gint64       seq)
{
  sqlite3_stmt *stmt;
  ConfabMessage *message = NULL;

  stmt = confab_cache_prepare (self, "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS
                               " FROM messages WHERE conversation_id = ? AND sort_key = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, CONFAB_CACHE_SEQ_SORT_KEY (seq));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    message = confab_cache_message_from_stmt (stmt);
  sqlite3_reset (stmt);
  return message;
}

ConfabMessage *
confab_cache_get_message (ConfabCache *self,
                          const char  *conversation_id,
                          gint64       seq)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);
  return confab_cache_get_message_by_seq (self, conversation_id, seq);
}

ConfabVisitor *
confab_cache_get_visitor (ConfabCache *self,
                          const char  *visitor_id)
{
  sqlite3_stmt *stmt;
  ConfabVisitor *visitor = NULL;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);

  stmt = confab_cache_prepare (self, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE id = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, visitor_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    visitor = visitor_from_stmt (stmt);
  sqlite3_reset (stmt);
  return visitor;
}

GListModel *
confab_cache_list_sites (ConfabCache *self)
{
  GListStore *store = g_list_store_new (CONFAB_TYPE_SITE);
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), G_LIST_MODEL (store));

  stmt = confab_cache_prepare (self,
                               "SELECT s.id, s.name, s.role, "
                               "  (SELECT COALESCE (SUM (unread), 0) FROM temp.site_unread u "
                               "   WHERE u.site_id = s.id), s.max_chats "
                               "FROM sites s ORDER BY s.name COLLATE NOCASE, s.id", NULL);
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (ConfabSite) site = g_object_new (CONFAB_TYPE_SITE,
                                                  "id", column_text (stmt, 0),
                                                  "name", column_text (stmt, 1),
                                                  "role", column_text (stmt, 2),
                                                  "unread", (guint) sqlite3_column_int64 (stmt, 3),
                                                  "max-chats", sqlite3_column_type (stmt, 4) == SQLITE_NULL
                                                                 ? -1 : sqlite3_column_int (stmt, 4),
                                                  NULL);
      g_list_store_append (store, site);
    }
  if (stmt != NULL)
    sqlite3_reset (stmt);

  return G_LIST_MODEL (store);
}

GListModel *
confab_cache_list_visitors (ConfabCache *self,
                            const char  *site_id,
                            gboolean     online_only)
{
  return confab_cache_list_visitors_sorted (self, site_id, online_only, CONFAB_VISITOR_SORT_LAST_SEEN);
}

GListModel *
confab_cache_list_visitors_sorted (ConfabCache       *self,
                                   const char        *site_id,
                                   gboolean           online_only,
                                   ConfabVisitorSort  sort)
{
  GListStore *store = g_list_store_new (CONFAB_TYPE_VISITOR);
  sqlite3_stmt *stmt;

  /* two literals: the statement cache is keyed by the SQL's address */
  if (sort == CONFAB_VISITOR_SORT_LEAD_SCORE)
    stmt = confab_cache_prepare (self,
                                 "SELECT " VISITOR_COLUMNS " FROM visitors "
                                 "WHERE (?1 IS NULL OR site_id = ?1) AND (?2 = 0 OR online = 1) "
                                 "ORDER BY COALESCE (lead_score, -1) DESC, last_seen DESC, id "
                                 "LIMIT 1000", NULL);
  else
    stmt = confab_cache_prepare (self,
                                 "SELECT " VISITOR_COLUMNS " FROM visitors "
                                 "WHERE (?1 IS NULL OR site_id = ?1) AND (?2 = 0 OR online = 1) "
                                 "ORDER BY last_seen DESC, id LIMIT 1000", NULL);
  if (stmt == NULL)
    return G_LIST_MODEL (store);
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, online_only ? 1 : 0);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (ConfabVisitor) visitor = visitor_from_stmt (stmt);
      g_list_store_append (store, visitor);
    }
  sqlite3_reset (stmt);

  return G_LIST_MODEL (store);
}

GListModel *
confab_cache_list_visitor_conversations (ConfabCache *self,
                                         const char  *visitor_id)
{
  GListStore *store = g_list_store_new (CONFAB_TYPE_CONVERSATION);
  sqlite3_stmt *stmt;

  stmt = confab_cache_prepare (self, "SELECT " CONFAB_CACHE_CONVERSATION_COLUMNS
                               " FROM " CONFAB_CACHE_CONVERSATION_FROM
                               " WHERE c.visitor_id = ? ORDER BY c.sort_at DESC, c.id DESC", NULL);
  if (stmt == NULL)
    return G_LIST_MODEL (store);
  sqlite3_bind_text (stmt, 1, visitor_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (ConfabConversation) conversation = confab_cache_conversation_from_stmt (stmt);
      g_list_store_append (store, conversation);
    }
  sqlite3_reset (stmt);

  return G_LIST_MODEL (store);
}

guint
confab_cache_count_unread (ConfabCache *self,
                           const char  *site_id)
{
  sqlite3_stmt *stmt;
  guint count = 0;

  /* kept by triggers (track_unread): one row per site, not one per conversation */
  stmt = confab_cache_prepare (self, "SELECT COALESCE (SUM (unread), 0) FROM temp.site_unread "
                               "WHERE ?1 IS NULL OR site_id = ?1", NULL);
  if (stmt == NULL)
    return 0;
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* --- thumbnails --- */

gboolean
confab_cache_put_thumbnail (ConfabCache  *self,
                            const char   *upload_id,
                            const char   *mime,
                            GBytes       *data,
                            GError      **error)
{
  sqlite3_stmt *stmt;
  gsize size = 0;
  gconstpointer bytes = g_bytes_get_data (data, &size);

  stmt = confab_cache_prepare (self, "INSERT OR REPLACE INTO thumbnails "
                               "(upload_id, mime, data, fetched_at) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, upload_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, mime, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64 (stmt, 3, bytes ? bytes : "", size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return confab_cache_step_done (self, stmt, error);
}

GBytes *
confab_cache_get_thumbnail (ConfabCache  *self,
                            const char   *upload_id,
                            char        **out_mime)
{
  sqlite3_stmt *stmt;
  GBytes *data = NULL;

  stmt = confab_cache_prepare (self, "SELECT mime, data FROM thumbnails WHERE upload_id = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, upload_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      data = g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
      if (out_mime != NULL)
        *out_mime = g_strdup (column_text (stmt, 0));
    }
  sqlite3_reset (stmt);
  return data;
}

/* --- GObject --- */

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
change_free (ConfabCacheChange *change)
{
  g_clear_object (&change->old);
  g_clear_object (&change->now);
  g_free (change);
}

void
confab_cache_queue_change (ConfabCache *self,
                           guint        signal,
                           gpointer     old,
                           gpointer     now)
{
  ConfabCacheChange *change = g_new0 (ConfabCacheChange, 1);

  change->signal = signal;
  change->old = old != NULL ? g_object_ref (old) : NULL;
  change->now = now != NULL ? g_object_ref (now) : NULL;
  g_queue_push_tail (&self->pending, change);
}

void
confab_cache_announce (ConfabCache *self)
{
  ConfabCacheChange *change;

  /* an outer call is emitting: it reaches what was queued here, in order */
  if (self->emitting)
    return;

  self->emitting = TRUE;
  g_object_ref (self);
  while ((change = g_queue_pop_head (&self->pending)) != NULL)
    {
      guint id = confab_cache_signals[change->signal];

      switch (change->signal)
        {
        case CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED:
        case CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED:
        case CONFAB_CACHE_SIGNAL_OFFLINE_MESSAGE_CHANGED:
          g_signal_emit (self, id, 0, change->old, change->now);
          break;
        case CONFAB_CACHE_SIGNAL_VISITOR_CHANGED:
          g_signal_emit (self, id, 0, change->now);
          break;
        default:
          g_signal_emit (self, id, 0);
        }
      change_free (change);
    }
  self->emitting = FALSE;
  g_object_unref (self);
}

GQueue *
confab_cache_get_pending_changes (ConfabCache *self)
{
  return &self->pending;
}

gboolean
confab_cache_batch_begin (ConfabCache  *self,
                          GError      **error)
{
  g_return_val_if_fail (!self->in_batch, FALSE);

  if (!confab_cache_begin (self, error))
    return FALSE;
  self->in_batch = TRUE;
  return TRUE;
}

gboolean
confab_cache_batch_end (ConfabCache  *self,
                        GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (self->in_batch, FALSE);

  /* depth 0: a write inside failed and confab_cache_rollback() undid the whole transaction */
  if (self->depth == 0)
    {
      g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_FAILED,
                   "A write failed: the batch was rolled back");
      ok = FALSE;
    }
  else
    ok = confab_cache_commit (self, error);
  self->in_batch = FALSE;
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_BATCH_ENDED, NULL, NULL);
  confab_cache_announce (self);
  return ok;
}

gboolean
confab_cache_in_batch (ConfabCache *self)
{
  return self->in_batch;
}

void
confab_cache_set_batch_held (ConfabCache *self,
                             gboolean     held)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));

  if (self->batch_held == !!held)
    return;
  self->batch_held = !!held;
  /* released between batches: the lists that stayed behind catch up now */
  if (!held && !self->in_batch)
    {
      confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_BATCH_ENDED, NULL, NULL);
      confab_cache_announce (self);
    }
}

gboolean
confab_cache_get_batch_held (ConfabCache *self)
{
  return self->batch_held;
}

static void
confab_cache_finalize (GObject *object)
{
  ConfabCache *self = CONFAB_CACHE (object);

  g_queue_clear_full (&self->pending, (GDestroyNotify) change_free);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_wal_hook (self->db, NULL, NULL);
      sqlite3_close_v2 (self->db);
    }
  g_atomic_rc_box_release (self->checkpointing);
  g_free (self->path);

  G_OBJECT_CLASS (confab_cache_parent_class)->finalize (object);
}

static void
confab_cache_class_init (ConfabCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_cache_finalize;

  /**
   * ConfabCache::conversation-changed:
   * @old: (nullable): the conversation before, NULL when it is new
   * @new: the conversation now
   */
  confab_cache_signals[CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED] =
    g_signal_new ("conversation-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_CONVERSATION, CONFAB_TYPE_CONVERSATION);
  /**
   * ConfabCache::message-changed:
   * @old: (nullable): the message before, NULL when it is new
   * @new: (nullable): the message now, NULL when it was removed (outbox discard)
   */
  confab_cache_signals[CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED] =
    g_signal_new ("message-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CONFAB_TYPE_MESSAGE, CONFAB_TYPE_MESSAGE);
  confab_cache_signals[CONFAB_CACHE_SIGNAL_SITES_CHANGED] =
    g_signal_new ("sites-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  confab_cache_signals[CONFAB_CACHE_SIGNAL_VISITOR_CHANGED] =
    g_signal_new ("visitor-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_VISITOR);
  /**
   * ConfabCache::offline-message-changed:
   * @old: (nullable): the offline message before, NULL when it is new
   * @new: the offline message now
   */
  confab_cache_signals[CONFAB_CACHE_SIGNAL_OFFLINE_MESSAGE_CHANGED] =
    g_signal_new ("offline-message-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_OFFLINE_MESSAGE, CONFAB_TYPE_OFFLINE_MESSAGE);
  confab_cache_signals[CONFAB_CACHE_SIGNAL_OUTBOX_CHANGED] =
    g_signal_new ("outbox-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * ConfabCache::batch-ended:
   *
   * A batch of changes (a slice of a catch-up) is over: the list models that stopped
   * following row by row during it read the table again. For desktop/core's models.
   */
  confab_cache_signals[CONFAB_CACHE_SIGNAL_BATCH_ENDED] =
    g_signal_new ("batch-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_cache_init (ConfabCache *self)
{
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, finalize_stmt);
  self->checkpointing = g_atomic_rc_box_new0 (gint);
}
