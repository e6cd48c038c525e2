/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-migrate.c: `confab-relay admin migrate-store --from-config A --to-config B`.
 *
 * Copies a SQLite store (A's <data-dir>/confab.db) into an empty PostgreSQL database (B's [store]
 * url), table by table, row by row, in one PostgreSQL transaction: all of it or nothing. The
 * two schemas have the same tables and column names (tests/test-store-postgresql.c checks it),
 * so each table is copied by the names SQLite gives; PostgreSQL converts the text of each value
 * to its column's type (SQLite's 0/1 to boolean, integers to bigint). Afterwards the identity
 * columns and the event cursor sequence continue after the highest value copied, so new rows
 * never reuse an id or a cursor a client may hold.
 *
 * Every SQLite table is copied or skipped for a reason (tables[], skipped[]); a table in neither
 * stops the copy before anything is written. Not copied: message_counts, which PostgreSQL's
 * trigger rebuilds as the messages go in (a copy would count them twice), and the FTS5 indexes,
 * which PostgreSQL's GIN indexes rebuild. The upload files of A's uploads directory and the
 * agents' pictures of its avatars directory go into upload_blobs, in the same transaction, when
 * B keeps uploads in the database (no [uploads] dir=); with a shared directory they stay files,
 * for the operator to put there (docs/command-line.md). A's key of the IP hashes becomes the one
 * B's relays share.
 */
#define G_LOG_DOMAIN "confab-admin"

#include "confab-admin.h"
#include "confab-config.h"
#include "confab-pg-schema.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Parents before children (foreign keys); visitors linked to another come after the originals.
 * The webhooks come after every table whose inserts fire PostgreSQL's webhooks_* triggers
 * (conversations, messages, ratings): copied before them, each copied row would queue a
 * delivery of an event that was announced (or not) long ago. Their deliveries follow as they
 * were. */
static const struct {
  const char *table;
  const char *order;
} tables[] = {
  { "users", "created_at, id" },
  { "sites", "created_at, id" },
  { "memberships", "created_at" },
  /* routing (issue 18): before the conversations that belong to a team */
  { "teams", "created_at, id" },
  { "team_members", "team_id, user_id" },
  { "tokens", "created_at" },
  { "setup_codes", "created_at" },
  { "visitors", "linked_to IS NOT NULL, first_seen, id" },
  { "page_views", "id" },
  { "conversations", "created_at, id" },
  { "events", "cursor" },
  { "messages", "cursor" },
  { "ratings", "created_at" },
  { "offline_messages", "created_at, id" },
  { "audit_log", "id" },
  { "visitor_blocks", "blocked_at" },
  { "faqs", "n" },
  { "faq_feedback", "created_at" },
  { "human_requests", "created_at" },
  { "canned_responses", "created_at, id" },
  { "uploads", "created_at, id" },
  /* e-mail (pgmail): the queue, replies to offline messages, mailboxes, threads by Message-ID */
  { "email_outbox", "created_at, id" },
  { "offline_replies", "sent_at, id" },
  { "email_channels", "site_id" },
  { "email_threads", "created_at, message_id" },
  /* issue 14: internal notes, labels */
  { "notes", "created_at, id" },
  { "labels", "created_at, id" },
  { "conversation_labels", "conversation_id, label_id" },
  /* issue 16: the knowledge base */
  { "kb_articles", "n" },
  /* issue 15: Messenger and WhatsApp (settings with their secrets, contacts, seen platform
   * ids, the outbox), API keys, then the webhooks (see above) and their deliveries */
  { "channel_settings", "site_id, channel" },
  { "channel_contacts", "site_id, channel, external_id" },
  { "channel_seen", "site_id, channel, platform_id" },
  { "channel_outbox", "conversation_id, seq" },
  { "api_keys", "created_at, id" },
  { "webhooks", "created_at, id" },
  { "webhook_deliveries", "created_at, id" },
  /* response-time targets (issue 18) */
  { "response_targets", "id" },
  /* engage (issue 16): contacts, goals, triggers and their greetings */
  { "visitor_contacts", "visitor_id" },
  { "visitor_goals", "id" },
  { "triggers", "created_at, id" },
  { "trigger_fires", "id" },
  /* routing (issue 18): the handling times the queue's estimated wait comes from */
  { "handling_times", "id" },
  /* the assistant (assist); its embeddings are not copied: the relay computes them again */
  { "assistant_events", "id" },
};

/* SQLite tables with nothing to copy, and why. A table in neither list stops the copy
 * (check_every_table ()): nothing a SQLite store holds is left behind unnoticed. SQLite's own
 * tables (sqlite_*) and the FTS5 indexes (virtual tables and their shadow tables) are left out
 * by their type: PostgreSQL's GIN indexes and generated columns rebuild the search from the
 * copied rows. */
static const struct {
  const char *table;
  const char *why;
} skipped[] = {
  { "message_counts", "PostgreSQL's messages_analytics trigger rebuilds it as the messages go in" },
  { "messages_fts_pending", "the FTS5 index's to-do list: the GIN index follows every row" },
  { "embeddings", "the assistant's vectors of FAQs and articles: the relay computes them again" },
};

/* Identity columns and sequences to move past what was copied. */
static const char *after_copy =
  "SELECT setval (pg_get_serial_sequence ('page_views', 'id'), coalesce (max (id), 0) + 1, false) FROM page_views;"
  "SELECT setval (pg_get_serial_sequence ('audit_log', 'id'), coalesce (max (id), 0) + 1, false) FROM audit_log;"
  "SELECT setval (pg_get_serial_sequence ('faqs', 'n'), coalesce (max (n), 0) + 1, false) FROM faqs;"
  "SELECT setval (pg_get_serial_sequence ('kb_articles', 'n'), coalesce (max (n), 0) + 1, false) "
  "FROM kb_articles;"
  "SELECT setval (pg_get_serial_sequence ('response_targets', 'id'), coalesce (max (id), 0) + 1, false) FROM response_targets;"
  "SELECT setval (pg_get_serial_sequence ('handling_times', 'id'), coalesce (max (id), 0) + 1, false) FROM handling_times;"
  "SELECT setval (pg_get_serial_sequence ('visitor_goals', 'id'), coalesce (max (id), 0) + 1, false) FROM visitor_goals;"
  "SELECT setval (pg_get_serial_sequence ('trigger_fires', 'id'), coalesce (max (id), 0) + 1, false) FROM trigger_fires;"
  "SELECT setval (pg_get_serial_sequence ('assistant_events', 'id'), coalesce (max (id), 0) + 1, false) FROM assistant_events;";

static gboolean
pg_ok (PGresult    *result,
       const char  *what,
       GError     **error)
{
  ExecStatusType status = PQresultStatus (result);
  g_autofree char *message = NULL;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return TRUE;
  /* the primary message only: the detail would quote a row's values */
  message = g_strdup (PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY));
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
               message != NULL ? message : "the connection failed");
  return FALSE;
}

static gboolean
pg_run (PGconn      *conn,
        const char  *sql,
        const char  *what,
        GError     **error)
{
  PGresult *result = PQexec (conn, sql);
  gboolean ok = pg_ok (result, what, error);

  PQclear (result);
  return ok;
}

static gboolean
copy_table (sqlite3     *db,
            PGconn      *conn,
            const char  *table,
            const char  *order,
            gint64      *out_rows,
            GError     **error)
{
  g_autofree char *select = g_strdup_printf ("SELECT * FROM %s ORDER BY %s", table, order);
  g_autoptr (GString) insert = g_string_new (NULL);
  g_autofree char *what = g_strdup_printf ("Cannot copy %s", table);
  sqlite3_stmt *stmt = NULL;
  int columns, rc;
  gint64 rows = 0;
  gboolean ok = TRUE;

  /* static SQL: table and column names come from the list above and from SQLite's schema */
  if (sqlite3_prepare_v2 (db, select, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, sqlite3_errmsg (db));
      return FALSE;
    }

  columns = sqlite3_column_count (stmt);
  g_string_append_printf (insert, "INSERT INTO %s (", table);
  for (int i = 0; i < columns; i++)
    g_string_append_printf (insert, "%s%s", i > 0 ? ", " : "", sqlite3_column_name (stmt, i));
  g_string_append (insert, ") VALUES (");
  for (int i = 0; i < columns; i++)
    g_string_append_printf (insert, "%s$%d", i > 0 ? ", " : "", i + 1);
  g_string_append (insert, ")");

  {
    PGresult *prepared = PQprepare (conn, "", insert->str, columns, NULL);

    ok = pg_ok (prepared, what, error);
    PQclear (prepared);
  }

  while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autofree const char **values = g_new0 (const char *, columns);
      PGresult *result;

      for (int i = 0; i < columns; i++)
        values[i] = (const char *) sqlite3_column_text (stmt, i);
      result = PQexecPrepared (conn, "", columns, values, NULL, NULL, 0);
      ok = pg_ok (result, what, error);
      PQclear (result);
      rows++;
    }
  if (ok && rc != SQLITE_DONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, sqlite3_errmsg (db));
      ok = FALSE;
    }
  sqlite3_finalize (stmt);
  *out_rows = rows;
  return ok;
}

/* The event cursors go on after the highest one SQLite handed out (sqlite_sequence: also those
 * of events deleted since), so a client's cursor never points past a new event. */
static gboolean
continue_cursors (sqlite3     *db,
                  PGconn      *conn,
                  GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = NULL;
  gint64 last = 0;

  if (sqlite3_prepare_v2 (db, "SELECT max (coalesce ((SELECT seq FROM sqlite_sequence "
                              "WHERE name = 'events'), 0), coalesce ((SELECT max (cursor) "
                              "FROM events), 0))", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    last = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  sql = g_strdup_printf ("SELECT setval ('events_cursor', %" G_GINT64_FORMAT ", %s)",
                         MAX (last, 1), last > 0 ? "true" : "false");
  return pg_run (conn, sql, "Cannot continue the event cursors", error);
}

/* The file of @sha256 (".thumb" when @suffix says so) in @dir, NULL when it is not there. */
static GBytes *
read_upload_file (const char *dir,
                  const char *sha256,
                  const char *suffix)
{
  g_autofree char *path = g_strdup_printf ("%s/%.2s/%.2s/%s%s", dir, sha256, sha256 + 2, sha256,
                                           suffix);
  g_autoptr (GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);

  return mapped != NULL ? g_mapped_file_get_bytes (mapped) : NULL;
}

/* Every distinct file the uploads name, from @dir into upload_blobs; *@out_missing counts the
 * files that were not there (their uploads answer 404, as they did on SQLite). */
static gboolean
copy_upload_files (sqlite3     *db,
                   PGconn      *conn,
                   const char  *dir,
                   gint64      *out_copied,
                   gint64      *out_missing,
                   GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = TRUE;
  int rc;

  *out_copied = *out_missing = 0;
  if (sqlite3_prepare_v2 (db, "SELECT DISTINCT sha256, max (kind = 'image') FROM uploads "
                              "GROUP BY sha256 ORDER BY sha256", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot list the uploads: %s",
                   sqlite3_errmsg (db));
      return FALSE;
    }
  while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *sha256 = (const char *) sqlite3_column_text (stmt, 0);
      gboolean image = sqlite3_column_int (stmt, 1) != 0;
      g_autoptr (GBytes) data = NULL;
      g_autoptr (GBytes) thumb = NULL;
      const char *values[3];
      int lengths[3] = { 0 }, formats[3] = { 0, 1, 1 };
      gsize len = 0;
      PGresult *result;

      if (sha256 == NULL || strlen (sha256) < 4 || strchr (sha256, '/') != NULL ||
          (data = read_upload_file (dir, sha256, "")) == NULL)
        {
          g_printerr ("Upload file %s is not in %s: its uploads will answer 404\n",
                      sha256 != NULL ? sha256 : "(null)", dir);
          (*out_missing)++;
          continue;
        }
      thumb = image ? read_upload_file (dir, sha256, ".thumb") : NULL;
      if (thumb == NULL)
        thumb = g_bytes_new_static ("", 0);
      values[0] = sha256;
      values[1] = g_bytes_get_data (data, &len);
      lengths[1] = (int) len;
      /* a zero-length binary value must not be a NULL pointer (that is SQL NULL) */
      values[2] = g_bytes_get_size (thumb) > 0 ? g_bytes_get_data (thumb, NULL) : "";
      lengths[2] = (int) g_bytes_get_size (thumb);
      result = PQexecParams (conn, "INSERT INTO upload_blobs (sha256, data, thumb) "
                                   "VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                             3, NULL, values, lengths, formats, 0);
      ok = pg_ok (result, "Cannot copy an upload file", error);
      PQclear (result);
      (*out_copied)++;
    }
  sqlite3_finalize (stmt);
  return ok;
}

/* Every table of the SQLite store is either copied or skipped for a reason: a table added to
 * the schema without a decision here stops the copy, with what to do, instead of being left
 * behind (tests/test-store-migrate.c runs into it first). */
static gboolean
check_every_table (sqlite3     *db,
                   GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autoptr (GString) missing = g_string_new (NULL);
  int rc;

  /* type 'table' only: 'virtual' and 'shadow' are the FTS5 indexes */
  if (sqlite3_prepare_v2 (db, "SELECT name FROM pragma_table_list WHERE schema = 'main' "
                              "AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                              "ORDER BY name", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot list the SQLite tables: %s",
                   sqlite3_errmsg (db));
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      gboolean known = FALSE;

      for (guint i = 0; !known && i < G_N_ELEMENTS (tables); i++)
        known = strcmp (name, tables[i].table) == 0;
      for (guint i = 0; !known && i < G_N_ELEMENTS (skipped); i++)
        known = strcmp (name, skipped[i].table) == 0;
      if (!known)
        g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", name);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot list the SQLite tables: %s",
                   sqlite3_errmsg (db));
      return FALSE;
    }
  if (missing->len > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "This relay does not know how to copy the SQLite table(s) %s: nothing was "
                   "copied. (Developers: add each to tables[] in relay/confab-admin-migrate.c, "
                   "after the tables it references, or to skipped[] there with the reason; "
                   "and give it a row in tests/test-store-migrate.c's fill_every_table ().)",
                   missing->str);
      return FALSE;
    }
  return TRUE;
}

/* Agents' pictures (<sha256>.png in @dir) of the users that have one, into upload_blobs, where
 * relays keeping uploads in the database look for them (confab-api-avatars.c). */
static gboolean
copy_avatar_files (sqlite3     *db,
                   PGconn      *conn,
                   const char  *dir,
                   gint64      *out_copied,
                   gint64      *out_missing,
                   GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = TRUE;

  *out_copied = *out_missing = 0;
  if (sqlite3_prepare_v2 (db, "SELECT DISTINCT avatar_sha256 FROM users WHERE avatar_sha256 "
                              "IS NOT NULL ORDER BY 1", -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot list the avatars: %s",
                   sqlite3_errmsg (db));
      return FALSE;
    }
  while (ok && sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *sha256 = (const char *) sqlite3_column_text (stmt, 0);
      g_autofree char *name = g_strconcat (sha256, ".png", NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GMappedFile) mapped = NULL;
      g_autoptr (GBytes) data = NULL;
      const char *values[2];
      int lengths[2] = { 0 }, formats[2] = { 0, 1 };
      PGresult *result;

      if (strchr (sha256, '/') != NULL ||
          (mapped = g_mapped_file_new (path, FALSE, NULL)) == NULL)
        {
          g_printerr ("Avatar file %s is not in %s: that agent will show initials\n", sha256, dir);
          (*out_missing)++;
          continue;
        }
      data = g_mapped_file_get_bytes (mapped);
      values[0] = sha256;
      values[1] = g_bytes_get_size (data) > 0 ? g_bytes_get_data (data, NULL) : "";
      lengths[1] = (int) g_bytes_get_size (data);
      result = PQexecParams (conn, "INSERT INTO upload_blobs (sha256, data, thumb) "
                                   "VALUES ($1, $2, ''::bytea) ON CONFLICT (sha256) DO NOTHING",
                             2, NULL, values, lengths, formats, 0);
      ok = pg_ok (result, "Cannot copy an avatar", error);
      PQclear (result);
      (*out_copied)++;
    }
  sqlite3_finalize (stmt);
  return ok;
}

/* A's key of the IP hashes (<data-dir>/ip-hash-key) becomes the key every relay of B shares
 * (relay_keys), so that the copied visitors' and blocks' hashes still match their addresses. */
static gboolean
copy_ip_hash_key (const char  *data_dir,
                  PGconn      *conn,
                  gboolean    *out_copied,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "ip-hash-key", NULL);
  g_autofree char *key = NULL;
  const char *values[1];
  PGresult *result;
  gboolean ok;

  *out_copied = FALSE;
  if (!g_file_get_contents (path, &key, NULL, NULL))
    return TRUE;
  g_strstrip (key);
  if (strlen (key) < 32)
    return TRUE;
  values[0] = key;
  result = PQexecParams (conn, "INSERT INTO relay_keys (name, value) VALUES ('ip-hash-key', $1) "
                               "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                         1, NULL, values, NULL, NULL, 0);
  ok = pg_ok (result, "Cannot copy the key of the IP hashes", error);
  PQclear (result);
  *out_copied = ok;
  return ok;
}

static gboolean
migrate (ConfabConfig  *from,
         ConfabConfig  *to,
         GString       *report,
         GError       **error)
{
  g_autofree char *path = g_build_filename (from->data_dir, "confab.db", NULL);
  g_autoptr (PGconn) conn = NULL;
  sqlite3 *db = NULL;
  PGresult *result;
  gboolean ok;

  if (from->store_backend != CONFAB_STORE_BACKEND_SQLITE ||
      to->store_backend != CONFAB_STORE_BACKEND_POSTGRESQL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--from-config must name a backend=sqlite store and --to-config a "
                           "backend=postgresql one");
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "There is no SQLite store %s", path);
      return FALSE;
    }

  /* the target's schema first: this relay's, under the migration lock */
  conn = confab_pg_connect (to->store_url, error);
  if (conn == NULL || !confab_pg_migrate (conn, NULL, NULL, error))
    return FALSE;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot open %s: %s", path,
                   sqlite3_errmsg (db));
      sqlite3_close (db);
      return FALSE;
    }

  /* one read transaction on SQLite (a consistent copy while a relay still runs on it) and one
   * write transaction on PostgreSQL (all or nothing) */
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  ok = pg_run (conn, "BEGIN", "Cannot start the copy", error);
  if (ok)
    {
      result = PQexec (conn, "SELECT (SELECT count (*) FROM users) + (SELECT count (*) FROM sites)");
      ok = pg_ok (result, "Cannot look at the target database", error);
      if (ok && g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10) > 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               "The PostgreSQL database already has users or sites: "
                               "migrate-store copies into an empty one only");
          ok = FALSE;
        }
      PQclear (result);
    }

  ok = ok && check_every_table (db, error);
  for (guint i = 0; ok && i < G_N_ELEMENTS (tables); i++)
    {
      gint64 rows = 0;

      ok = copy_table (db, conn, tables[i].table, tables[i].order, &rows, error);
      g_string_append_printf (report, "%s\"%s\":%" G_GINT64_FORMAT, i > 0 ? "," : "",
                              tables[i].table, rows);
    }

  /* B keeps uploads in the database: A's files go there too */
  if (ok && (to->uploads_dir == NULL || *to->uploads_dir == '\0'))
    {
      g_autofree char *files_dir = from->uploads_dir != NULL && *from->uploads_dir != '\0'
                                   ? g_strdup (from->uploads_dir)
                                   : g_build_filename (from->data_dir, "uploads", NULL);
      gint64 copied = 0, missing = 0;

      ok = copy_upload_files (db, conn, files_dir, &copied, &missing, error);
      g_string_append_printf (report, ",\"upload_files\":%" G_GINT64_FORMAT, copied);
      if (missing > 0)
        g_string_append_printf (report, ",\"upload_files_missing\":%" G_GINT64_FORMAT, missing);

      /* agents' pictures: <data-dir>/avatars, or avatars/ in A's shared directory */
      g_free (files_dir);
      files_dir = from->uploads_dir != NULL && *from->uploads_dir != '\0'
                  ? g_build_filename (from->uploads_dir, "avatars", NULL)
                  : g_build_filename (from->data_dir, "avatars", NULL);
      ok = ok && copy_avatar_files (db, conn, files_dir, &copied, &missing, error);
      g_string_append_printf (report, ",\"avatar_files\":%" G_GINT64_FORMAT, copied);
      if (missing > 0)
        g_string_append_printf (report, ",\"avatar_files_missing\":%" G_GINT64_FORMAT, missing);
    }
  if (ok)
    {
      gboolean key_copied = FALSE;

      ok = copy_ip_hash_key (from->data_dir, conn, &key_copied, error);
      g_string_append_printf (report, ",\"ip_hash_key\":%s", key_copied ? "true" : "false");
    }

  ok = ok && continue_cursors (db, conn, error) &&
       pg_run (conn, after_copy, "Cannot continue the ids", error) &&
       pg_run (conn, "COMMIT", "Cannot commit the copy", error);
  if (!ok)
    pg_run (conn, "ROLLBACK", "rollback", NULL);

  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
  return ok;
}

gboolean
confab_admin_migrate_store (int      argc,
                            char   **argv,
                            GError **error)
{
  g_autofree char *from_path = NULL, *to_path = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("migrate-store");
  g_autoptr (ConfabConfig) from = confab_config_new ();
  g_autoptr (ConfabConfig) to = confab_config_new ();
  g_autoptr (GString) report = g_string_new ("{\"copied\":{");
  GOptionEntry entries[] = {
    { "from-config", 0, 0, G_OPTION_ARG_FILENAME, &from_path, "Config of the SQLite store to copy", "A" },
    { "to-config", 0, 0, G_OPTION_ARG_FILENAME, &to_path, "Config of the empty PostgreSQL store", "B" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (from_path == NULL || to_path == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--from-config and --to-config are required");
      return FALSE;
    }
  if (!confab_config_load (from, from_path, error) || !confab_config_load (to, to_path, error))
    return FALSE;

  if (!migrate (from, to, report, error))
    return FALSE;
  /* one line of JSON, as every admin command prints: the rows copied per table */
  g_string_append (report, "}}");
  printf ("%s\n", report->str);
  return TRUE;
}
