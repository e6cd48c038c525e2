/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store.c: the PostgreSQL store's connection, transactions and errors (issue 13).
 *
 * One connection, used from the main loop only, with libpq's synchronous calls: every
 * statement is a round trip that blocks the loop for its duration (tens of microseconds on
 * loopback). The hub's group commit is kept as it is: confab_store_begin () at depth 0 is a
 * BEGIN, deeper levels are SAVEPOINTs, exactly as with SQLite. A batch of visitors' messages
 * (confab_store_append_batch (), the writer thread's) is one transaction in one flight:
 * pg_exec_flight () sends BEGIN, the statements and COMMIT in libpq's pipeline mode.
 *
 * Statements are prepared once per connection, named by the address of their SQL literal.
 *
 * A lost connection: the failing call answers CONFAB_STORE_ERROR_UNAVAILABLE (the HTTP layer
 * answers 503 store_unavailable, the hub an error frame of that code); an open transaction is
 * lost with it, so every call inside it fails the same way until the caller rolls it back;
 * then the next call reconnects, no more often than a backoff from 100 ms to 5 s allows.
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store.h"
#include "confab-pg-store-private.h"
#include "confab-pg-store-hooks.h"
#include "confab-pg-store-email.h"
#include "confab-pg-store-routing.h"
#include "confab-pg-store-engage.h"
#include "confab-pg-schema.h"

#include <stdlib.h>

#define RECONNECT_MIN_US (100 * G_TIME_SPAN_MILLISECOND)
#define RECONNECT_MAX_US (5 * G_TIME_SPAN_SECOND)
/* A commit of another relay holds the cursor lock through its WAL flush: a few ms. Waiting
 * less than this for a lock would refuse writes (BUSY) whenever two relays write at once. */
#define MIN_LOCK_TIMEOUT_MS 100

typedef struct {
  PGconn     *conn;
  char       *url;             /* for the analytics workers' own connections */
  GHashTable *prepared;        /* SQL literal (by address) → statement name */
  guint       n_prepared;
  guint       depth;           /* open confab_store_begin () levels */
  /* Transaction control not sent yet (BEGIN, SAVEPOINT, RELEASE): it goes with the next
   * statement's round trip, and a level that ran no statement costs none (see pg_begin ()). */
  GString    *pending;
  GArray     *marks;           /* per level: where its BEGIN/SAVEPOINT starts in pending, -1 once sent */
  gboolean    lost;            /* the connection went down inside the open transaction */
  gint64      next_connect_us; /* monotonic; no reconnection attempt before */
  gint64      backoff_us;
  gint64      changes;
  int         lock_timeout_ms;
  GError     *write_error;     /* why the last outermost COMMIT failed; NULL after a success */
} PgStore;

static inline PgStore *
pg_of (ConfabStore *store)
{
  return confab_store_get_backend_data (store);
}

/* --- parameters and results ----------------------------------------------------------------- */

void
pg_text (PgParams   *params,
         const char *text)
{
  g_return_if_fail (params->n < PG_MAX_PARAMS);
  params->values[params->n++] = text;
}

void
pg_int (PgParams *params,
        gint64    value)
{
  g_return_if_fail (params->n < PG_MAX_PARAMS);
  g_snprintf (params->numbers[params->n], sizeof params->numbers[0], "%" G_GINT64_FORMAT, value);
  params->values[params->n] = params->numbers[params->n];
  params->n++;
}

void
pg_bool (PgParams *params,
         gboolean  value)
{
  pg_text (params, value ? "t" : "f");
}

void
pg_binary (PgParams *params,
           GBytes   *bytes)
{
  gsize len = 0;

  g_return_if_fail (params->n < PG_MAX_PARAMS);
  params->values[params->n] = g_bytes_get_data (bytes, &len);
  params->lengths[params->n] = (int) len;
  params->formats[params->n] = 1;
  params->binary = TRUE;
  params->n++;
}

char *
pg_dup (PGresult *result,
        int       row,
        int       column)
{
  if (PQgetisnull (result, row, column))
    return NULL;
  return g_strdup (PQgetvalue (result, row, column));
}

gint64
pg_integer (PGresult *result,
          int       row,
          int       column)
{
  if (PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtoll (PQgetvalue (result, row, column), NULL, 10);
}

gboolean
pg_boolean (PGresult *result,
            int       row,
            int       column)
{
  return !PQgetisnull (result, row, column) && PQgetvalue (result, row, column)[0] == 't';
}

gint64
pg_changes (PGresult *result)
{
  const char *tuples = PQcmdTuples (result);

  return tuples[0] != '\0' ? g_ascii_strtoll (tuples, NULL, 10) : 0;
}

gboolean
pg_found (PGresult   *result,
          const char *what,
          const char *id,
          GError    **error)
{
  if (PQntuples (result) > 0 || (PQresultStatus (result) == PGRES_COMMAND_OK &&
                                 pg_changes (result) > 0))
    return TRUE;

  g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
               "No %s “%s”", what, id != NULL ? id : "(null)");
  return FALSE;
}

static const char * const sender_names[] = { "visitor", "agent", "bot", "system" };

ConfabSenderType
pg_sender_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (sender_names); i++)
    if (strcmp (text, sender_names[i]) == 0)
      return i;
  return CONFAB_SENDER_SYSTEM;
}

/* --- the connection ------------------------------------------------------------------------- */

static void
connection_lost (PgStore *pg)
{
  if (pg->depth > 0)
    pg->lost = TRUE;
  /* prepared statements die with their session */
  g_hash_table_remove_all (pg->prepared);
  if (pg->next_connect_us == 0)
    pg->next_connect_us = g_get_monotonic_time ();
}

static void
set_unavailable (PgStore     *pg,
                 const char  *what,
                 GError     **error)
{
  g_autofree char *message = g_strchomp (g_strdup (PQerrorMessage (pg->conn)));

  g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE,
               "%s: the PostgreSQL server cannot be reached (%s)", what,
               *message != '\0' ? message : "connection lost");
}

/* Maps a failed statement's SQLSTATE to the store's error codes. */
static void
set_result_error (PgStore     *pg,
                  PGresult    *result,
                  const char  *what,
                  GError     **error)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  int code = CONFAB_STORE_ERROR_FAILED;

  if (PQstatus (pg->conn) != CONNECTION_OK || state == NULL ||
      g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P"))
    {
      connection_lost (pg);
      set_unavailable (pg, what, error);
      return;
    }

  if (strcmp (state, "23505") == 0)
    code = CONFAB_STORE_ERROR_EXISTS;
  else if (strcmp (state, "23503") == 0)
    code = CONFAB_STORE_ERROR_NOT_FOUND;
  else if (strcmp (state, "55P03") == 0 || strcmp (state, "40001") == 0 ||
           strcmp (state, "40P01") == 0)
    code = CONFAB_STORE_ERROR_BUSY;
  else if (strcmp (state, "53100") == 0)
    code = CONFAB_STORE_ERROR_FULL;

  /* The primary message only: the detail may quote the row's values (an e-mail address). */
  g_set_error (error, CONFAB_STORE_ERROR, code, "%s: %s (SQLSTATE %s)", what,
               primary != NULL ? primary : "failed", state);
}

static gboolean
session_setup (PgStore  *pg,
               GError  **error)
{
  /* as confab_pg_connect () does, again after a reconnection */
  g_autofree char *sql = g_strdup_printf ("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
                                          "SET client_min_messages = warning; "
                                          "SET lock_timeout = %d",
                                          MAX (pg->lock_timeout_ms, MIN_LOCK_TIMEOUT_MS));
  g_autoptr (PGresult) result = PQexec (pg->conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      set_result_error (pg, result, "Cannot set up the PostgreSQL session", error);
      return FALSE;
    }
  return TRUE;
}

/* Ready for a statement: FALSE with UNAVAILABLE while the connection is down (reconnecting
 * when its time has come, and only outside a transaction, which died with the connection). */
static gboolean
ensure_connected (PgStore     *pg,
                  const char  *what,
                  GError     **error)
{
  gint64 now;

  if (pg->lost)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE,
                   "%s: the connection to PostgreSQL was lost in this transaction", what);
      return FALSE;
    }
  if (PQstatus (pg->conn) == CONNECTION_OK)
    return TRUE;

  now = g_get_monotonic_time ();
  if (pg->depth > 0 || now < pg->next_connect_us)
    {
      set_unavailable (pg, what, error);
      return FALSE;
    }

  PQreset (pg->conn);
  if (PQstatus (pg->conn) != CONNECTION_OK || !session_setup (pg, NULL))
    {
      pg->backoff_us = CLAMP (pg->backoff_us * 2, RECONNECT_MIN_US, RECONNECT_MAX_US);
      pg->next_connect_us = now + pg->backoff_us;
      set_unavailable (pg, what, error);
      return FALSE;
    }

  g_message ("Connected to PostgreSQL again (database %s)", PQdb (pg->conn));
  g_hash_table_remove_all (pg->prepared);
  pg->backoff_us = 0;
  pg->next_connect_us = 0;
  return TRUE;
}

static const char *
prepare (PgStore     *pg,
         const char  *sql,
         int          n_params,
         const char  *what,
         GError     **error)
{
  const char *name = g_hash_table_lookup (pg->prepared, sql);
  g_autofree char *new_name = NULL;
  g_autoptr (PGresult) result = NULL;

  if (name != NULL)
    return name;

  new_name = g_strdup_printf ("confab_%u", ++pg->n_prepared);
  result = PQprepare (pg->conn, new_name, sql, n_params, NULL);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      set_result_error (pg, result, what, error);
      return NULL;
    }
  name = new_name;
  g_hash_table_insert (pg->prepared, (gpointer) sql, g_steal_pointer (&new_name));
  return name;
}

static void
mark_sent (PgStore *pg)
{
  g_string_truncate (pg->pending, 0);
  for (guint i = 0; i < pg->marks->len; i++)
    g_array_index (pg->marks, gssize, i) = -1;
}

/* Sends the transaction control the next statement needs before it. */
static gboolean
flush_pending (PgStore     *pg,
               const char  *what,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;

  if (pg->pending->len == 0)
    return TRUE;

  result = PQexec (pg->conn, pg->pending->str);
  mark_sent (pg);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      set_result_error (pg, result, what, error);
      return FALSE;
    }
  return TRUE;
}

/* The pending transaction control and the statement @name in one flight: libpq's pipeline mode,
 * each control statement its own query (the extended protocol takes one statement per query),
 * one sync at the end. The first failure is the answer; what follows it is aborted by the
 * server, as in one PQexec (). Saves the round trip flush_pending () would cost. */
static PGresult *
exec_with_pending (PgStore         *pg,
                   const char      *name,
                   const PgParams  *params,
                   const char      *what,
                   GError         **error)
{
  g_auto (GStrv) controls = g_strsplit (pg->pending->str, ";", -1);
  int n = params != NULL ? params->n : 0;
  gboolean binary = params != NULL && params->binary;
  PGresult *answer = NULL;
  gboolean failed = FALSE;
  guint n_sent = 0;

  if (!PQenterPipelineMode (pg->conn))
    {
      if (!flush_pending (pg, what, error))
        return NULL;
      return PQexecPrepared (pg->conn, name, n, params != NULL ? params->values : NULL,
                             binary ? params->lengths : NULL, binary ? params->formats : NULL, 0);
    }

  for (guint i = 0; controls[i] != NULL; i++)
    {
      const char *control = g_strstrip (controls[i]);

      if (*control == '\0')
        continue;
      if (!PQsendQueryParams (pg->conn, control, 0, NULL, NULL, NULL, NULL, 0))
        goto broken;
      n_sent++;
    }
  if (!PQsendQueryPrepared (pg->conn, name, n, params != NULL ? params->values : NULL,
                            binary ? params->lengths : NULL, binary ? params->formats : NULL, 0) ||
      !PQpipelineSync (pg->conn))
    goto broken;
  mark_sent (pg);

  /* each query's result, then a NULL; then the sync's */
  for (guint i = 0; i <= n_sent; i++)
    {
      PGresult *result = PQgetResult (pg->conn);
      ExecStatusType status;

      if (result == NULL)
        goto broken;
      status = PQresultStatus (result);
      if (i == n_sent && !failed && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK))
        answer = result;
      else
        {
          if (!failed && status != PGRES_COMMAND_OK)
            {
              set_result_error (pg, result, what, error);
              failed = TRUE;
            }
          PQclear (result);
        }
      while ((result = PQgetResult (pg->conn)) != NULL)
        PQclear (result);
    }
  {
    PGresult *sync = PQgetResult (pg->conn);

    if (sync == NULL || PQresultStatus (sync) != PGRES_PIPELINE_SYNC)
      {
        g_clear_pointer (&sync, PQclear);
        g_clear_pointer (&answer, PQclear);
        goto broken;
      }
    PQclear (sync);
  }
  PQexitPipelineMode (pg->conn);
  if (failed)
    {
      g_clear_pointer (&answer, PQclear);
      /* a PGresult that says it failed, for pg_exec () to see; the error is set */
      return PQmakeEmptyPGresult (pg->conn, PGRES_FATAL_ERROR);
    }
  return answer;

broken:
  mark_sent (pg);
  if (!failed)
    set_result_error (pg, NULL, what, error);
  /* never leave the connection in pipeline mode, where PQexec () is refused: what is left is
   * read (a lost connection has nothing left), and a connection that still will not leave it
   * is reset, as a lost one would be */
  for (guint i = 0; i < 64 && PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF &&
                    !PQexitPipelineMode (pg->conn); i++)
    {
      PGresult *rest = PQgetResult (pg->conn);

      if (rest == NULL && PQstatus (pg->conn) != CONNECTION_OK)
        break;
      g_clear_pointer (&rest, PQclear);
    }
  if (PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF && PQstatus (pg->conn) == CONNECTION_OK)
    {
      connection_lost (pg);
      PQreset (pg->conn);
      if (PQstatus (pg->conn) == CONNECTION_OK)
        session_setup (pg, NULL);
    }
  return PQmakeEmptyPGresult (pg->conn, PGRES_FATAL_ERROR);
}

PGresult *
pg_exec (ConfabStore    *store,
         const char     *sql,
         const PgParams *params,
         const char     *what,
         GError        **error)
{
  PgStore *pg = pg_of (store);
  int n = params != NULL ? params->n : 0;
  const char *name;
  PGresult *result;
  ExecStatusType status;

  if (!ensure_connected (pg, what, error))
    return NULL;

  name = prepare (pg, sql, n, what, error);
  if (name == NULL)
    return NULL;

  if (pg->pending->len > 0)
    {
      g_autoptr (GError) local_error = NULL;

      result = exec_with_pending (pg, name, params, what, &local_error);
      if (result != NULL && local_error == NULL &&
          (PQresultStatus (result) == PGRES_TUPLES_OK || PQresultStatus (result) == PGRES_COMMAND_OK))
        {
          pg->changes += pg_changes (result);
          return result;
        }
      g_clear_pointer (&result, PQclear);
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        set_result_error (pg, NULL, what, error);
      return NULL;
    }

  if (params != NULL && params->binary)
    result = PQexecPrepared (pg->conn, name, n, params->values, params->lengths, params->formats, 0);
  else
    result = PQexecPrepared (pg->conn, name, n, params != NULL ? params->values : NULL, NULL, NULL, 0);
  status = PQresultStatus (result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    {
      pg->changes += pg_changes (result);
      return result;
    }

  set_result_error (pg, result, what, error);
  PQclear (result);
  return NULL;
}

/* See confab-pg-store-private.h. The flight's answers come back in the order sent: BEGIN's,
 * each statement's (its result, then a NULL), COMMIT's, then the sync's. After the first
 * failure the server answers PIPELINE_ABORTED to the rest, COMMIT included, and the explicit
 * transaction is left failed: a ROLLBACK ends it. */
static void note_write_result (PgStore      *pg,
                               const GError *error);

gboolean
pg_exec_flight (ConfabStore        *store,
                const char * const *sql,
                const PgParams     *params,
                guint               n,
                PGresult          **results,
                const char         *what,
                GError            **error)
{
  PgStore *pg = pg_of (store);
  g_autofree const char **names = g_new0 (const char *, MAX (n, 1));
  gboolean failed = FALSE;
  gint64 changes = 0;

  g_return_val_if_fail (pg->depth == 0, FALSE);

  for (guint i = 0; i < n; i++)
    results[i] = NULL;
  if (!ensure_connected (pg, what, error))
    return FALSE;
  /* prepared once per connection, before the flight (a first use costs one round trip) */
  for (guint i = 0; i < n; i++)
    {
      names[i] = prepare (pg, sql[i], params[i].n, what, error);
      if (names[i] == NULL)
        return FALSE;
    }

  if (!PQenterPipelineMode (pg->conn))
    {
      set_result_error (pg, NULL, what, error);
      return FALSE;
    }
  if (!PQsendQueryParams (pg->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
    goto broken;
  for (guint i = 0; i < n; i++)
    {
      const PgParams *p = &params[i];

      if (!PQsendQueryPrepared (pg->conn, names[i], p->n, p->values,
                                p->binary ? p->lengths : NULL, p->binary ? p->formats : NULL, 0))
        goto broken;
    }
  if (!PQsendQueryParams (pg->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
      !PQpipelineSync (pg->conn))
    goto broken;

  /* BEGIN (-1), the statements (0 .. n-1), COMMIT (n) */
  for (gint i = -1; i <= (gint) n; i++)
    {
      PGresult *result = PQgetResult (pg->conn);
      ExecStatusType status;

      if (result == NULL)
        goto broken;
      status = PQresultStatus (result);
      if (!failed && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        {
          set_result_error (pg, result, what, error);
          failed = TRUE;
        }
      if (!failed && i >= 0 && i < (gint) n)
        {
          changes += pg_changes (result);
          results[i] = result;
        }
      else
        PQclear (result);
      while ((result = PQgetResult (pg->conn)) != NULL)
        PQclear (result);
    }
  {
    PGresult *sync = PQgetResult (pg->conn);

    if (sync == NULL || PQresultStatus (sync) != PGRES_PIPELINE_SYNC)
      {
        g_clear_pointer (&sync, PQclear);
        goto broken;
      }
    PQclear (sync);
  }
  PQexitPipelineMode (pg->conn);

  if (!failed && PQtransactionStatus (pg->conn) == PQTRANS_IDLE)
    {
      pg->changes += changes;
      note_write_result (pg, NULL);
      return TRUE;
    }
  if (!failed)
    set_result_error (pg, NULL, what, error);
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&results[i], PQclear);
  if (PQstatus (pg->conn) == CONNECTION_OK && PQtransactionStatus (pg->conn) != PQTRANS_IDLE)
    {
      PGresult *rollback = PQexec (pg->conn, "ROLLBACK");

      PQclear (rollback);
    }
  if (error != NULL && *error != NULL)
    note_write_result (pg, *error);
  return FALSE;

broken:
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&results[i], PQclear);
  if (!failed)
    set_result_error (pg, NULL, what, error);
  /* as exec_with_pending () does: never leave the connection in pipeline mode */
  for (guint i = 0; i < 4 * n + 64 && PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF &&
                    !PQexitPipelineMode (pg->conn); i++)
    {
      PGresult *rest = PQgetResult (pg->conn);

      if (rest == NULL && PQstatus (pg->conn) != CONNECTION_OK)
        break;
      g_clear_pointer (&rest, PQclear);
    }
  if (PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF && PQstatus (pg->conn) == CONNECTION_OK)
    {
      connection_lost (pg);
      PQreset (pg->conn);
      if (PQstatus (pg->conn) == CONNECTION_OK)
        session_setup (pg, NULL);
    }
  else if (PQstatus (pg->conn) == CONNECTION_OK && PQtransactionStatus (pg->conn) != PQTRANS_IDLE)
    {
      PGresult *rollback = PQexec (pg->conn, "ROLLBACK");

      PQclear (rollback);
    }
  return FALSE;
}

/* Statements without parameters, run as they are (transaction control). */
static gboolean
exec_simple (PgStore     *pg,
             const char  *sql,
             const char  *what,
             char       **out_status,
             GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autofree char *text = NULL;

  if (!ensure_connected (pg, what, error))
    return FALSE;

  /* one round trip for what was pending and @sql: PQexec () runs them in order and answers
   * with the last result, or with the first failure */
  text = g_strconcat (pg->pending->str, sql, NULL);
  result = PQexec (pg->conn, text);
  mark_sent (pg);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    {
      set_result_error (pg, result, what, error);
      return FALSE;
    }
  if (out_status != NULL)
    *out_status = g_strdup (PQcmdStatus (result));
  return TRUE;
}

PGresult *
pg_write (ConfabStore    *store,
          const char     *sql,
          const PgParams *params,
          const char     *what,
          GError        **error)
{
  PgStore *pg = pg_of (store);
  PGresult *result;

  if (pg->depth == 0)
    return pg_exec (store, sql, params, what, error);

  g_string_append (pg->pending, "SAVEPOINT confab_statement;");
  result = pg_exec (store, sql, params, what, error);
  if (result == NULL)
    {
      if (!pg->lost && PQstatus (pg->conn) == CONNECTION_OK)
        exec_simple (pg, "ROLLBACK TO confab_statement; RELEASE confab_statement", what, NULL, NULL);
      return NULL;
    }
  g_string_append (pg->pending, "RELEASE confab_statement;");
  return result;
}

/* --- transactions --------------------------------------------------------------------------- */

static gboolean
pg_begin (ConfabStore *store,
          GError     **error)
{
  PgStore *pg = pg_of (store);
  gssize mark = pg->pending->len;

  /* Not sent yet: it travels with the level's first statement, and a level that runs none
   * (a frame that only read, or wrote nothing) is dropped without a round trip. */
  if (!ensure_connected (pg, "Cannot start a transaction", error))
    return FALSE;
  g_string_append (pg->pending, pg->depth == 0 ? "BEGIN;" : "SAVEPOINT confab;");
  g_array_append_val (pg->marks, mark);
  pg->depth++;
  return TRUE;
}

static void
note_write_result (PgStore      *pg,
                   const GError *error)
{
  if (error != NULL && g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
    return;
  g_clear_error (&pg->write_error);
  if (error != NULL)
    pg->write_error = g_error_copy (error);
}

/* On failure the level stays open: the caller rolls it back, as with SQLite. */
static gboolean
pg_commit (ConfabStore *store,
           GError     **error)
{
  PgStore *pg = pg_of (store);
  g_autofree char *status = NULL;
  g_autoptr (GError) local_error = NULL;

  gssize mark;

  g_return_val_if_fail (pg->depth > 0, FALSE);

  mark = g_array_index (pg->marks, gssize, pg->depth - 1);
  if (mark >= 0 && !pg->lost)
    {
      /* nothing ran at this level: it never reached the server */
      g_string_truncate (pg->pending, mark);
      g_array_set_size (pg->marks, --pg->depth);
      return TRUE;
    }
  if (pg->depth > 1 && !pg->lost)
    {
      g_string_append (pg->pending, "RELEASE confab;");
      g_array_set_size (pg->marks, --pg->depth);
      return TRUE;
    }

  if (!exec_simple (pg, pg->depth == 1 ? "COMMIT" : "RELEASE confab",
                    "Cannot commit a transaction", &status, &local_error))
    {
      if (pg->depth == 1)
        note_write_result (pg, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (pg->depth == 1 && g_strcmp0 (status, "ROLLBACK") == 0)
    {
      /* COMMIT of a transaction a statement had aborted: PostgreSQL rolls it back */
      g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                           "Cannot commit a transaction: an earlier statement of it failed, "
                           "PostgreSQL rolled it back");
      return FALSE;
    }

  g_array_set_size (pg->marks, --pg->depth);
  if (pg->depth == 0)
    note_write_result (pg, NULL);
  return TRUE;
}

static void
pg_rollback (ConfabStore *store)
{
  PgStore *pg = pg_of (store);
  g_autoptr (GError) error = NULL;

  gssize mark;

  g_return_if_fail (pg->depth > 0);

  mark = g_array_index (pg->marks, gssize, pg->depth - 1);
  if (mark >= 0)
    /* never sent: nothing to undo on the server */
    g_string_truncate (pg->pending, mark);
  else if (pg->depth == 1)
    {
      /* what is pending belongs to this transaction: ROLLBACK undoes it unsent */
      g_string_truncate (pg->pending, 0);
      /* a lost connection took the transaction with it: nothing to undo on the server */
      if (!pg->lost && PQstatus (pg->conn) == CONNECTION_OK &&
          !exec_simple (pg, "ROLLBACK", "Cannot roll back", NULL, &error))
        g_warning ("%s", error->message);
    }
  else if (!pg->lost && PQstatus (pg->conn) == CONNECTION_OK &&
           !exec_simple (pg, "ROLLBACK TO confab; RELEASE confab", "Cannot roll back", NULL,
                         &error))
    g_warning ("%s", error->message);

  g_array_set_size (pg->marks, --pg->depth);
  if (pg->depth == 0)
    {
      pg->lost = FALSE;
      g_string_truncate (pg->pending, 0);
    }
}

gboolean
pg_finish (ConfabStore *store,
           gboolean     ok,
           GError     **error)
{
  if (ok && pg_commit (store, error))
    return TRUE;

  pg_rollback (store);
  return FALSE;
}

/* --- the store's own state ------------------------------------------------------------------ */

static void
pg_close (ConfabStore *store)
{
  PgStore *pg = pg_of (store);

  if (pg->depth > 0)
    g_warning ("Closing the PostgreSQL store with %u open transaction level(s): rolling back",
               pg->depth);
  /* PQfinish ends an open transaction with a rollback on the server */
  g_clear_pointer (&pg->conn, PQfinish);
  g_clear_pointer (&pg->prepared, g_hash_table_unref);
  g_string_free (pg->pending, TRUE);
  g_array_unref (pg->marks);
  g_clear_error (&pg->write_error);
  g_free (pg->url);
  g_free (pg);
}

char *
pg_store_url (ConfabStore *store)
{
  return g_strconcat (CONFAB_PG_READER_PREFIX, pg_of (store)->url, NULL);
}

static int
pg_schema_version (ConfabStore *store)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = pg_exec (store, "SELECT version FROM confab_schema", NULL,
                    "Cannot read the schema version", &error);
  if (result == NULL || PQntuples (result) != 1)
    {
      if (error != NULL)
        g_warning ("%s", error->message);
      return -1;
    }
  return pg_integer (result, 0, 0);
}

static void
pg_set_busy_timeout (ConfabStore *store,
                     int          ms)
{
  PgStore *pg = pg_of (store);
  g_autoptr (GError) error = NULL;

  pg->lock_timeout_ms = ms;
  if (PQstatus (pg->conn) == CONNECTION_OK && !session_setup (pg, &error))
    g_warning ("%s", error->message);
}

/* PostgreSQL checks its own pages (and data checksums, when the cluster has them): what the
 * relay can check is that the database answers and has the schema it migrated. */
static gboolean
pg_quick_check (ConfabStore *store,
                guint        max_ms,
                GError     **error)
{
  g_autoptr (PGresult) result = pg_exec (store, "SELECT version FROM confab_schema", NULL,
                                         "Cannot read the database", error);

  return result != NULL;
}

static gint64
pg_total_changes (ConfabStore *store)
{
  return pg_of (store)->changes;
}

/* Never waits on a lock: a SELECT 1 outside a transaction (which reconnects when due). */
static gboolean
pg_check_writable (ConfabStore *store,
                   GError     **error)
{
  PgStore *pg = pg_of (store);

  if (pg->depth == 0 && !exec_simple (pg, "SELECT 1", "Cannot reach the database", NULL, error))
    return FALSE;
  if (pg->lost)
    return ensure_connected (pg, "Cannot reach the database", error);
  if (pg->write_error != NULL)
    {
      g_propagate_error (error, g_error_copy (pg->write_error));
      return FALSE;
    }
  return TRUE;
}

char *
confab_pg_store_shared_key (ConfabStore *store,
                            const char  *name,
                            GError     **error)
{
  g_autofree char *value = confab_random_token (32);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* The first relay's value wins; the others read it: one statement, no race. */
  pg_text (&params, name);
  pg_text (&params, value);
  result = pg_exec (store,
                    "WITH made AS (INSERT INTO relay_keys (name, value) VALUES ($1, $2) "
                    "  ON CONFLICT (name) DO NOTHING RETURNING value) "
                    "SELECT value FROM made UNION ALL "
                    "SELECT value FROM relay_keys WHERE name = $1", &params,
                    "Cannot read the relay's shared key", error);
  if (result == NULL)
    return NULL;
  if (PQntuples (result) < 1)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot read the relay's shared key “%s”", name);
      return NULL;
    }
  return pg_dup (result, 0, 0);
}

/* --- the table ------------------------------------------------------------------------------ */

static const ConfabStoreFuncs pg_backend = {
  .name = "PostgreSQL",
  .close = pg_close,
  .schema_version = pg_schema_version,
  .set_busy_timeout = pg_set_busy_timeout,
  .quick_check = pg_quick_check,
  .total_changes = pg_total_changes,
  .check_writable = pg_check_writable,
  .begin = pg_begin,
  .commit = pg_commit,
  .rollback = pg_rollback,

  .create_user = pg_create_user,
  .get_user = pg_get_user,
  .get_user_by_email = pg_get_user_by_email,
  .add_token = pg_add_token,
  .lookup_token = pg_lookup_token,
  .revoke_token = pg_revoke_token,
  .create_site = pg_create_site,
  .get_site = pg_get_site,
  .get_site_by_key = pg_get_site_by_key,
  .list_sites_for_user = pg_list_sites_for_user,
  .update_site = pg_update_site,
  .rotate_site_key = pg_rotate_site_key,
  .get_role = pg_get_role,
  .set_member = pg_set_member,
  .list_members = pg_list_members,
  .change_member = pg_change_member,
  .is_blocked = pg_is_blocked,
  .audit = pg_audit,
  .append_audit = pg_append_audit,

  .create_visitor = pg_create_visitor,
  .get_visitor = pg_get_visitor,
  .get_visitor_by_token = pg_get_visitor_by_token,
  .touch_visitor = pg_touch_visitor,
  .add_page_view = pg_add_page_view,
  .close_page_views = pg_close_page_views,
  .list_page_views = pg_list_page_views,
  .add_visitor_event = pg_add_visitor_event,
  .add_rating_event = pg_add_rating_event,
  .set_visitor_consent = pg_set_visitor_consent,
  .get_visitor_consent = pg_get_visitor_consent,
  .set_visitor_context = pg_set_visitor_context,
  .find_visitor_by_fingerprint = pg_find_visitor_by_fingerprint,
  .link_visitor = pg_link_visitor,
  .list_visitor_conversations = pg_list_visitor_conversations,
  .get_conversation = pg_get_conversation,
  .get_current_conversation = pg_get_current_conversation,
  .create_conversation = pg_create_conversation,
  .list_conversations = pg_list_conversations,
  .set_status = pg_set_status,
  .set_assignee = pg_set_assignee,
  .mark_read = pg_mark_read,
  .append_message = pg_append_message,
  .append_batch = pg_append_batch,
  .find_message = pg_find_message,
  .list_messages = pg_list_messages,
  .add_event = pg_add_event,
  .list_events = pg_list_events,
  .last_cursor = pg_last_cursor,
  .get_upload = pg_get_upload,
  .list_timeline = pg_list_timeline,

  .set_rating = pg_set_rating,
  .get_rating = pg_get_rating,
  .get_conversation_rating = pg_get_conversation_rating,
  .add_offline_message = pg_add_offline_message,
  .get_offline_message = pg_get_offline_message,
  .list_offline_messages_page = pg_list_offline_messages_page,
  .count_open_offline_messages = pg_count_open_offline_messages,
  .set_offline_message_status = pg_set_offline_message_status,
  .set_offline_message_conversation = pg_set_offline_message_conversation,
  .set_event_visitor = pg_set_event_visitor,
  .list_offline_messages = pg_list_offline_messages,
  .list_audit = pg_list_audit,
  .bot_may_answer = pg_bot_may_answer,
  .request_human = pg_request_human,
  .list_retention_sites = pg_list_retention_sites,
  .list_retired_sites = pg_list_retired_sites,

  .add_upload = pg_add_upload,
  .upload_file_used = pg_upload_file_used,
  .claim_upload = pg_claim_upload,
  .create_canned = pg_create_canned,
  .get_canned = pg_get_canned,
  .list_canned = pg_list_canned,
  .update_canned = pg_update_canned,
  .delete_canned = pg_delete_canned,
  .block_visitor = pg_block_visitor,
  .unblock_visitor = pg_unblock_visitor,
  .get_block_site = pg_get_block_site,
  .list_blocks = pg_list_blocks,

  .invite_user = pg_invite_user,
  .get_setup_code = pg_get_setup_code,
  .complete_setup = pg_complete_setup,
  .reset_password = pg_reset_password,
  .set_password = pg_set_password,
  .set_user_name = pg_set_user_name,
  .list_invitations = pg_list_invitations,
  .drop_unused_invitee = pg_drop_unused_invitee,

  /* issue 15 (confab-pg-store-hooks.c) */
  .create_api_key = pg_create_api_key,
  .get_api_key = pg_get_api_key,
  .lookup_api_key = pg_lookup_api_key,
  .list_api_keys = pg_list_api_keys,
  .revoke_api_key = pg_revoke_api_key,
  .touch_api_key = pg_touch_api_key,
  .create_webhook = pg_create_webhook,
  .get_webhook = pg_get_webhook,
  .list_webhooks = pg_list_webhooks,
  .update_webhook = pg_update_webhook,
  .delete_webhook = pg_delete_webhook,
  .list_due_deliveries = pg_list_due_deliveries,
  .next_delivery_at = pg_next_delivery_at,
  .list_deliveries = pg_list_deliveries,
  .claim_delivery = pg_claim_delivery,
  .set_delivery_payload = pg_set_delivery_payload,
  .record_attempt = pg_record_attempt,
  .purge_deliveries = pg_purge_deliveries,
  .set_visitor_contact = pg_set_visitor_contact,
  .list_site_audit = pg_list_site_audit,
  .delete_site_audit = pg_delete_site_audit,
  .search_visitors = pg_search_visitors,
  .list_visitor_pages = pg_list_visitor_pages,
  .list_visitor_conversation_ids = pg_list_visitor_conversation_ids,
  .list_visitor_offline_ids = pg_list_visitor_offline_ids,
  .list_visitor_upload_ids = pg_list_visitor_upload_ids,
  .delete_visitor = pg_delete_visitor,
  .purge_conversations = pg_purge_conversations,
  .count_visitor_messages = pg_count_visitor_messages,
  .trim_visitor_messages = pg_trim_visitor_messages,
  .retire_site = pg_retire_site,
  .delete_site_step = pg_delete_site_step,
  .create_faq = pg_create_faq,
  .get_faq = pg_get_faq,
  .list_faqs = pg_list_faqs,
  .update_faq = pg_update_faq,
  .delete_faq = pg_delete_faq,
  .search_faqs = pg_search_faqs,
  .count_faq_view = pg_count_faq_view,
  .faq_answered_in = pg_faq_answered_in,
  .set_faq_feedback = pg_set_faq_feedback,
  .analytics_faq_question = pg_analytics_faq_question,
  .analytics_reader_path = pg_analytics_reader_path,
  .analytics_conversations = pg_analytics_conversations,
  .analytics_messages = pg_analytics_messages,
  .analytics_visitors = pg_analytics_visitors,
  .analytics_offline = pg_analytics_offline,
  .add_note = pg_add_note,
  .list_notes = pg_list_notes,
  .create_label = pg_create_label,
  .get_label = pg_get_label,
  .list_labels = pg_list_labels,
  .update_label = pg_update_label,
  .delete_label = pg_delete_label,
  .list_conversation_labels = pg_list_conversation_labels,
  .set_conversation_labels = pg_set_conversation_labels,
  .list_labelled_conversations = pg_list_labelled_conversations,
  .search_messages = pg_search_messages,
  .set_avatar = pg_set_avatar,
  .get_avatar = pg_get_avatar,
  .avatar_in_use = pg_avatar_in_use,
  .list_recent_answerers = pg_list_recent_answerers,
  .recent_first_responses = pg_recent_first_responses,
  .can_hold_upload_bytes = pg_can_hold_upload_bytes,
  .put_upload_bytes = pg_put_upload_bytes,
  .get_upload_bytes = pg_get_upload_bytes,
  .delete_upload_bytes = pg_delete_upload_bytes,
  /* pgmail, issue 13: e-mail (confab-pg-store-email.c) */
  .queue_mail = pg_queue_mail,
  .get_mail = pg_get_mail,
  .due_mails = pg_due_mails,
  .next_mail_due = pg_next_mail_due,
  .retry_mails_now = pg_retry_mails_now,
  .mail_sent = pg_mail_sent,
  .mail_failed = pg_mail_failed,
  .add_offline_reply = pg_add_offline_reply,
  .list_offline_replies = pg_list_offline_replies,
  .get_email_notifications = pg_get_email_notifications,
  .set_email_notifications = pg_set_email_notifications,
  .list_notified_members = pg_list_notified_members,
  .get_email_channel = pg_get_email_channel,
  .list_email_channels = pg_list_email_channels,
  .put_email_channel = pg_put_email_channel,
  .delete_email_channel = pg_delete_email_channel,
  .email_channel_polled = pg_email_channel_polled,
  .add_mail_thread = pg_add_mail_thread,
  .find_mail_thread = pg_find_mail_thread,
  .list_mail_thread = pg_list_mail_thread,

  /* pgkb: the knowledge base and the FAQs' synonyms (confab-pg-store-kb.c) */
  .create_article = pg_create_article,
  .get_article = pg_get_article,
  .get_article_by_slug = pg_get_article_by_slug,
  .list_articles = pg_list_articles,
  .has_published_articles = pg_has_published_articles,
  .update_article = pg_update_article,
  .delete_article = pg_delete_article,
  .search_articles = pg_search_articles,
  .set_faq_synonyms = pg_set_faq_synonyms,
  /* pgkb: Messenger and WhatsApp (confab-pg-store-channels.c) */
  .get_channel_settings = pg_get_channel_settings,
  .put_channel_settings = pg_put_channel_settings,
  .delete_channel_settings = pg_delete_channel_settings,
  .find_channel_contact = pg_find_channel_contact,
  .add_channel_contact = pg_add_channel_contact,
  .get_channel_contact_id = pg_get_channel_contact_id,
  .mark_channel_seen = pg_mark_channel_seen,
  .channel_seen = pg_channel_seen,
  .forget_channel_seen = pg_forget_channel_seen,
  .set_conversation_channel = pg_set_conversation_channel,
  .set_message_delivery = pg_set_message_delivery,
  .find_platform_message = pg_find_platform_message,
  .add_outbox = pg_add_outbox,
  .list_due_outbox = pg_list_due_outbox,
  .next_outbox_at = pg_next_outbox_at,
  .retry_outbox = pg_retry_outbox,
  .claim_outbox = pg_claim_outbox,
  .remove_outbox = pg_remove_outbox,
  .advance_targets = pg_advance_targets,
  .next_target_at = pg_next_target_at,
  .analytics_targets = pg_analytics_targets,
  /* route, issue 18 (confab-pg-store-routing.c) */
  .create_team = pg_create_team,
  .get_team = pg_get_team,
  .get_team_by_key = pg_get_team_by_key,
  .list_teams = pg_list_teams,
  .update_team = pg_update_team,
  .delete_team = pg_delete_team,
  .get_max_chats = pg_get_max_chats,
  .set_max_chats = pg_set_max_chats,
  .list_member_teams = pg_list_member_teams,
  .get_routing = pg_get_routing,
  .set_conversation_team = pg_set_conversation_team,
  .enqueue = pg_enqueue,
  .dequeue = pg_dequeue,
  .list_queue = pg_list_queue,
  .route_pick = pg_route_pick,
  .route_assign = pg_route_assign,
  .record_handling = pg_record_handling,
  .median_handling = pg_median_handling,
  .list_assigned_open = pg_list_assigned_open,
  .list_assignees = pg_list_assignees,
  .list_assigned_sites = pg_list_assigned_sites,
  /* engage: contacts, goals, triggers (confab-pg-store-engage.c) */
  .get_contact = pg_get_contact,
  .put_contact = pg_put_contact,
  .search_visitors_by_score = pg_search_visitors_by_score,
  .add_goal = pg_add_goal,
  .list_goals = pg_list_goals,
  .create_trigger = pg_create_trigger,
  .get_trigger = pg_get_trigger,
  .list_triggers = pg_list_triggers,
  .update_trigger = pg_update_trigger,
  .delete_trigger = pg_delete_trigger,
  .add_trigger_fire = pg_add_trigger_fire,
  .claim_trigger_fire = pg_claim_trigger_fire,
  .analytics_engage = pg_analytics_engage,
  .add_assistant_event = pg_add_assistant_event,
  .add_assistant_handoff = pg_add_assistant_handoff,
  .set_assistant_vote = pg_set_assistant_vote,
  .assistant_may_answer = pg_assistant_may_answer,
  .set_embedding = pg_set_embedding,
  .list_embeddings = pg_list_embeddings,
  .assistant_counts = pg_assistant_counts,
};

ConfabStore *
confab_pg_store_open (const char  *url,
                      GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  PgStore *pg;
  PGconn *conn;

  conn = confab_pg_connect (url, &local_error);
  if (conn == NULL || !confab_pg_migrate (conn, NULL, NULL, &local_error))
    {
      g_clear_pointer (&conn, PQfinish);
      /* CONFAB_PG_ERROR_SCHEMA is a database newer than this relay */
      g_set_error_literal (error, CONFAB_STORE_ERROR,
                           g_error_matches (local_error, CONFAB_PG_ERROR, CONFAB_PG_ERROR_SCHEMA)
                           ? CONFAB_STORE_ERROR_TOO_NEW
                           : g_error_matches (local_error, CONFAB_PG_ERROR,
                                              CONFAB_PG_ERROR_CONNECTION)
                           ? CONFAB_STORE_ERROR_UNAVAILABLE : CONFAB_STORE_ERROR_FAILED,
                           local_error->message);
      return NULL;
    }

  pg = g_new0 (PgStore, 1);
  pg->conn = conn;
  pg->url = g_strdup (url);
  pg->prepared = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  pg->pending = g_string_new (NULL);
  pg->marks = g_array_new (FALSE, FALSE, sizeof (gssize));
  pg->lock_timeout_ms = 5000;
  if (!session_setup (pg, error))
    {
      PQfinish (pg->conn);
      g_hash_table_unref (pg->prepared);
      g_free (pg);
      return NULL;
    }

  return confab_store_new_for_backend (&pg_backend, pg);
}
