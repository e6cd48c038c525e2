/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-schema.h: the PostgreSQL store's schema, its migrations, and a blocking connect for
 * the moments before the main loop runs (`confab-relay migrate`, a relay's start) */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define CONFAB_PG_ERROR (confab_pg_error_quark ())

typedef enum {
  CONFAB_PG_ERROR_CONNECTION, /* cannot reach or talk to the server */
  CONFAB_PG_ERROR_QUERY,      /* the server refused a statement */
  CONFAB_PG_ERROR_SCHEMA,     /* the database's schema is not one this relay knows */
} ConfabPgError;

GQuark   confab_pg_error_quark             (void);

/* How many migrations this relay knows: the schema version it migrates to. */
int      confab_pg_current_schema_version  (void);

/* Connects to @url (a libpq connection string or URI) and sets the session up (UTF-8, UTC).
 * Blocking: only before the main loop runs. */
PGconn  *confab_pg_connect                 (const char  *url,
                                            GError     **error);

/* Creates or upgrades the schema over @conn, under a session-level advisory lock so that
 * several relays starting at once migrate once: the others wait and find nothing to do.
 * @out_from and @out_to (either may be NULL) get the versions before and after. Blocking. */
gboolean confab_pg_migrate                 (PGconn      *conn,
                                            int         *out_from,
                                            int         *out_to,
                                            GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

G_END_DECLS
