/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-connection.c: see confab-pg-connection.h.
 *
 * The socket is watched by one GSource whose conditions follow libpq's needs: readable always
 * once connected, writable only while libpq has output it could not flush. Each query and each
 * sync is a Pending entry; libpq answers them in order, so the queue's head is always the one
 * the next result belongs to.
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-connection.h"

#include <gio/gio.h>

/* Queries in flight before new ones are refused: a stalled server must not grow the relay
 * without bound (at about 200 bytes per query in libpq's buffer and here, a few MB). */
#define DEFAULT_MAX_PENDING 16384

#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 5000

typedef enum {
  STATE_CONNECTING,
  STATE_CONNECTED,
  STATE_WAITING,   /* down, reconnecting after a delay */
} State;

typedef struct {
  gboolean            sync;      /* a pipeline sync, not a query */
  gboolean            answered;  /* its callback has run */
  ConfabPgResultFunc  func;
  gpointer            user_data;
} Pending;

struct _ConfabPgConnection {
  char              *url;
  PGconn            *conn;
  State              state;
  GMainContext      *context;
  GSource           *watch;       /* the socket */
  gpointer           watch_tag;
  int                watch_fd;
  GSource           *sync_idle;   /* ends this turn's batch */
  GSource           *retry;       /* reconnects */
  guint              retry_ms;
  GQueue             pending;     /* Pending, oldest first */
  guint              max_pending;
  ConfabPgStateFunc  state_func;
  gpointer           state_data;
};

static void connection_lost (ConfabPgConnection *self,
                             const char         *why);
static void start_connecting (ConfabPgConnection *self);

/* --- the socket ------------------------------------------------------------------------------ */

static gboolean
watch_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs watch_funcs = { NULL, NULL, watch_dispatch, NULL, NULL, NULL };

static void
watch_socket (ConfabPgConnection *self,
              GIOCondition        condition)
{
  int fd = PQsocket (self->conn);

  /* libpq may move to another socket while connecting (the next host of a list) */
  if (self->watch_tag != NULL && fd != self->watch_fd)
    {
      g_source_remove_unix_fd (self->watch, self->watch_tag);
      self->watch_tag = NULL;
    }
  if (fd < 0)
    return;
  if (self->watch_tag == NULL)
    {
      self->watch_tag = g_source_add_unix_fd (self->watch, fd, condition);
      self->watch_fd = fd;
    }
  else
    g_source_modify_unix_fd (self->watch, self->watch_tag, condition);
}

static void
unwatch_socket (ConfabPgConnection *self)
{
  if (self->watch_tag != NULL)
    g_source_remove_unix_fd (self->watch, self->watch_tag);
  self->watch_tag = NULL;
  self->watch_fd = -1;
}

/* Sends what libpq holds; watches for writability only while some is left. */
static gboolean
flush (ConfabPgConnection *self)
{
  int left = PQflush (self->conn);

  if (left < 0)
    {
      connection_lost (self, PQerrorMessage (self->conn));
      return FALSE;
    }
  watch_socket (self, left > 0 ? G_IO_IN | G_IO_OUT : G_IO_IN);
  return TRUE;
}

/* --- results --------------------------------------------------------------------------------- */

static void
answer (ConfabPgConnection *self,
        Pending            *pending,
        PGresult           *result,
        const GError       *error)
{
  pending->answered = TRUE;
  if (pending->func != NULL)
    pending->func (self, result, error, pending->user_data);
}

static void
deliver (ConfabPgConnection *self,
         Pending            *pending,
         PGresult           *result)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  switch (PQresultStatus (result))
    {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      answer (self, pending, result, NULL);
      return;
    case PGRES_PIPELINE_ABORTED:
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "Not run: an earlier statement of its batch failed, and the "
                                   "batch was rolled back");
      break;
    default:
      message = g_strchomp (g_strdup (PQresultErrorMessage (result)));
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "PostgreSQL: %s", message);
      break;
    }
  answer (self, pending, NULL, error);
}

static void
read_results (ConfabPgConnection *self)
{
  while (!g_queue_is_empty (&self->pending) && !PQisBusy (self->conn))
    {
      Pending *head = g_queue_peek_head (&self->pending);
      PGresult *result = PQgetResult (self->conn);

      if (head->sync)
        {
          /* a sync answers with PGRES_PIPELINE_SYNC and no NULL after it */
          if (result == NULL)
            continue;
          if (PQresultStatus (result) != PGRES_PIPELINE_SYNC)
            g_warning ("Unexpected result %s where a pipeline sync was due",
                       PQresStatus (PQresultStatus (result)));
          PQclear (result);
          g_free (g_queue_pop_head (&self->pending));
          continue;
        }

      /* a query: its result, then NULL */
      if (result == NULL)
        {
          if (!head->answered)
            {
              g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                              "PostgreSQL sent no result");
              answer (self, head, NULL, error);
            }
          g_free (g_queue_pop_head (&self->pending));
          continue;
        }
      if (!head->answered)
        deliver (self, head, result);
      PQclear (result);
    }
}

/* --- connection state ------------------------------------------------------------------------ */

static void
fail_pending (ConfabPgConnection *self,
              const GError       *error)
{
  Pending *pending;

  while ((pending = g_queue_pop_head (&self->pending)) != NULL)
    {
      if (!pending->sync && !pending->answered)
        answer (self, pending, NULL, error);
      g_free (pending);
    }
}

static gboolean
on_retry (gpointer user_data)
{
  ConfabPgConnection *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  start_connecting (self);
  return G_SOURCE_REMOVE;
}

static void
connection_lost (ConfabPgConnection *self,
                 const char         *why)
{
  g_autofree char *reason = g_strchomp (g_strdup (why != NULL && *why ? why : "connection closed"));
  g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                          "Lost the connection to PostgreSQL: %s", reason);
  gboolean was_connected = self->state == STATE_CONNECTED;

  unwatch_socket (self);
  if (self->sync_idle != NULL)
    {
      g_source_destroy (self->sync_idle);
      g_clear_pointer (&self->sync_idle, g_source_unref);
    }
  g_clear_pointer (&self->conn, PQfinish);
  self->state = STATE_WAITING;

  /* libpq's message names host and port, never a password */
  g_message ("%s; reconnecting in %u ms", error->message, self->retry_ms);
  fail_pending (self, error);
  if (was_connected && self->state_func != NULL)
    self->state_func (self, FALSE, error, self->state_data);

  self->retry = g_timeout_source_new (self->retry_ms);
  g_source_set_callback (self->retry, on_retry, self, NULL);
  g_source_attach (self->retry, self->context);
  self->retry_ms = MIN (self->retry_ms * 2, RECONNECT_MAX_MS);
}

static void
connected (ConfabPgConnection *self)
{
  if (PQsetnonblocking (self->conn, 1) != 0 || PQenterPipelineMode (self->conn) != 1)
    {
      connection_lost (self, PQerrorMessage (self->conn));
      return;
    }
  self->state = STATE_CONNECTED;
  self->retry_ms = RECONNECT_MIN_MS;
  watch_socket (self, G_IO_IN);
  /* As confab_pg_connect () sets a session up; first in the pipeline, before any query (one
   * statement each: the extended protocol takes no more). */
  if (!confab_pg_connection_query (self, "SET client_encoding = 'UTF8'", 0, NULL, NULL, NULL,
                                   NULL) ||
      !confab_pg_connection_query (self, "SET TIME ZONE 'UTC'", 0, NULL, NULL, NULL, NULL) ||
      !confab_pg_connection_query (self, "SET client_min_messages = warning", 0, NULL, NULL,
                                   NULL, NULL))
    {
      connection_lost (self, PQerrorMessage (self->conn));
      return;
    }
  if (self->state_func != NULL)
    self->state_func (self, TRUE, NULL, self->state_data);
}

static void
poll_connect (ConfabPgConnection *self)
{
  switch (PQconnectPoll (self->conn))
    {
    case PGRES_POLLING_READING:
      watch_socket (self, G_IO_IN);
      break;
    case PGRES_POLLING_WRITING:
      watch_socket (self, G_IO_OUT);
      break;
    case PGRES_POLLING_OK:
      connected (self);
      break;
    case PGRES_POLLING_FAILED:
    default:
      connection_lost (self, PQerrorMessage (self->conn));
      break;
    }
}

static gboolean
on_socket (gpointer user_data)
{
  ConfabPgConnection *self = user_data;
  GIOCondition condition;

  if (self->watch_tag == NULL)
    return G_SOURCE_CONTINUE;
  condition = g_source_query_unix_fd (self->watch, self->watch_tag);

  if (self->state == STATE_CONNECTING)
    {
      poll_connect (self);
      return G_SOURCE_CONTINUE;
    }

  if (condition & G_IO_OUT && !flush (self))
    return G_SOURCE_CONTINUE;
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    {
      if (!PQconsumeInput (self->conn))
        {
          connection_lost (self, PQerrorMessage (self->conn));
          return G_SOURCE_CONTINUE;
        }
      read_results (self);
      if (self->conn != NULL && PQstatus (self->conn) == CONNECTION_BAD)
        connection_lost (self, PQerrorMessage (self->conn));
    }
  return G_SOURCE_CONTINUE;
}

static void
start_connecting (ConfabPgConnection *self)
{
  self->state = STATE_CONNECTING;
  self->conn = PQconnectStart (self->url);
  if (self->conn == NULL || PQstatus (self->conn) == CONNECTION_BAD)
    {
      connection_lost (self, self->conn ? PQerrorMessage (self->conn) : "out of memory");
      return;
    }
  /* PQconnectStart's contract: the first poll happens once the socket is writable */
  watch_socket (self, G_IO_OUT);
}

ConfabPgConnection *
confab_pg_connection_new (const char *url)
{
  ConfabPgConnection *self = g_new0 (ConfabPgConnection, 1);

  self->url = g_strdup (url);
  self->context = g_main_context_ref_thread_default ();
  self->retry_ms = RECONNECT_MIN_MS;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->watch_fd = -1;
  g_queue_init (&self->pending);
  self->watch = g_source_new (&watch_funcs, sizeof (GSource));
  g_source_set_name (self->watch, "PostgreSQL connection");
  g_source_set_callback (self->watch, on_socket, self, NULL);
  g_source_attach (self->watch, self->context);
  start_connecting (self);
  return self;
}

void
confab_pg_connection_free (ConfabPgConnection *self)
{
  g_autoptr (GError) error = NULL;

  if (self == NULL)
    return;

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection was closed");
  self->state_func = NULL;
  fail_pending (self, error);
  if (self->sync_idle != NULL)
    g_source_destroy (self->sync_idle);
  g_clear_pointer (&self->sync_idle, g_source_unref);
  if (self->retry != NULL)
    g_source_destroy (self->retry);
  g_clear_pointer (&self->retry, g_source_unref);
  g_source_destroy (self->watch);
  g_source_unref (self->watch);
  g_clear_pointer (&self->conn, PQfinish);
  g_main_context_unref (self->context);
  g_free (self->url);
  g_free (self);
}

void
confab_pg_connection_set_state_func (ConfabPgConnection *self,
                                     ConfabPgStateFunc   func,
                                     gpointer            user_data)
{
  self->state_func = func;
  self->state_data = user_data;
}

gboolean
confab_pg_connection_is_connected (ConfabPgConnection *self)
{
  return self->state == STATE_CONNECTED;
}

void
confab_pg_connection_set_max_pending (ConfabPgConnection *self,
                                      guint               max_pending)
{
  g_return_if_fail (max_pending > 0);
  self->max_pending = max_pending;
}

int
confab_pg_connection_get_backend_pid (ConfabPgConnection *self)
{
  return self->state == STATE_CONNECTED ? PQbackendPID (self->conn) : 0;
}

/* --- queries --------------------------------------------------------------------------------- */

/* At the end of the turn: one sync for every query made during it. */
static gboolean
on_sync (gpointer user_data)
{
  ConfabPgConnection *self = user_data;
  Pending *pending;

  g_clear_pointer (&self->sync_idle, g_source_unref);
  if (self->state != STATE_CONNECTED)
    return G_SOURCE_REMOVE;
  if (PQpipelineSync (self->conn) != 1)
    {
      connection_lost (self, PQerrorMessage (self->conn));
      return G_SOURCE_REMOVE;
    }
  pending = g_new0 (Pending, 1);
  pending->sync = TRUE;
  g_queue_push_tail (&self->pending, pending);
  flush (self);
  return G_SOURCE_REMOVE;
}

gboolean
confab_pg_connection_query (ConfabPgConnection *self,
                            const char         *sql,
                            int                 n_params,
                            const char * const *values,
                            ConfabPgResultFunc  func,
                            gpointer            user_data,
                            GError            **error)
{
  Pending *pending;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);

  if (self->state != STATE_CONNECTED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "Not connected to PostgreSQL: the store refuses writes until it is "
                           "back");
      return FALSE;
    }
  if (g_queue_get_length (&self->pending) >= self->max_pending)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "PostgreSQL is not keeping up: %u queries are in flight", self->max_pending);
      return FALSE;
    }

  if (PQsendQueryParams (self->conn, sql, n_params, NULL, (const char * const *) values, NULL,
                         NULL, 0) != 1)
    {
      g_autofree char *message = g_strchomp (g_strdup (PQerrorMessage (self->conn)));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot send the query: %s", message);
      return FALSE;
    }

  pending = g_new0 (Pending, 1);
  pending->func = func;
  pending->user_data = user_data;
  g_queue_push_tail (&self->pending, pending);

  /* libpq buffers what it cannot send yet; the sync at the end of the turn flushes it all */
  if (self->sync_idle == NULL)
    {
      self->sync_idle = g_idle_source_new ();
      g_source_set_priority (self->sync_idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->sync_idle, on_sync, self, NULL);
      g_source_attach (self->sync_idle, self->context);
    }
  return TRUE;
}
