/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-connection.h: one PostgreSQL connection on the GLib main loop, never blocking it.
 *
 * libpq's asynchronous API in pipeline mode: queries are sent as they are made, and one
 * pipeline sync ends each main-loop turn's batch, so a turn's statements run in one implicit
 * transaction (the group commit) and travel in one flight. Results come back to callbacks in
 * the order the queries were made. A lost connection fails what was pending with an error and
 * is re-established by itself, with backoff; meanwhile queries are refused at once.
 */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

typedef struct _ConfabPgConnection ConfabPgConnection;

/* @result is NULL when @error is set: the query failed, was not run because an earlier one of
 * its batch failed (the batch's transaction is rolled back), or the connection was lost.
 * @result belongs to the connection: it is cleared after the callback returns. */
typedef void (*ConfabPgResultFunc) (ConfabPgConnection *connection,
                                    PGresult           *result,
                                    const GError       *error,
                                    gpointer            user_data);

/* Called when the connection comes up (@error NULL) or goes down (@error says why). */
typedef void (*ConfabPgStateFunc)  (ConfabPgConnection *connection,
                                    gboolean            connected,
                                    const GError       *error,
                                    gpointer            user_data);

/* Starts connecting to @url on the thread-default main context. */
ConfabPgConnection *confab_pg_connection_new        (const char         *url);
void                confab_pg_connection_free       (ConfabPgConnection *connection);

void                confab_pg_connection_set_state_func (ConfabPgConnection *connection,
                                                     ConfabPgStateFunc   func,
                                                     gpointer            user_data);
gboolean            confab_pg_connection_is_connected (ConfabPgConnection *connection);
/* The server process's id while connected, 0 otherwise (for logs and tests). */
int                 confab_pg_connection_get_backend_pid (ConfabPgConnection *connection);

/* How many queries (and syncs) may be in flight; past it confab_pg_connection_query () refuses
 * with G_IO_ERROR_BUSY. 16384 by default. */
void                confab_pg_connection_set_max_pending (ConfabPgConnection *connection,
                                                      guint               max_pending);

/* Queues @sql with @n_params text parameters (NULL values are SQL NULLs) in this turn's batch.
 * FALSE with G_IO_ERROR_NOT_CONNECTED while the connection is down; @func is not called then. */
gboolean            confab_pg_connection_query      (ConfabPgConnection *connection,
                                                     const char         *sql,
                                                     int                 n_params,
                                                     const char * const *values,
                                                     ConfabPgResultFunc  func,
                                                     gpointer            user_data,
                                                     GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPgConnection, confab_pg_connection_free)

G_END_DECLS
