/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store.h: the PostgreSQL backend of confab-store.h (issue 13).
 *
 * confab_pg_store_open () connects, migrates (under the advisory lock, confab-pg-schema.c) and
 * returns a ConfabStore whose public functions hand off to confab-pg-store-*.c. This first
 * version uses libpq's synchronous calls, on the main loop, inside the hub's per-turn
 * transaction: each statement is a round trip (see relay/store/README.md for the cost).
 */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* What confab_store_analytics_reader_path () returns for a PostgreSQL store: this prefix and the
 * connection string; confab_store_analytics_open_reader () opens a PostgreSQL store on it. */
#define CONFAB_PG_READER_PREFIX "postgresql-store:"

/* Connects to @url (a libpq connection string or URI), creates or upgrades the schema, and
 * opens the store. Blocking: before the main loop runs. */
ConfabStore *confab_pg_store_open       (const char   *url,
                                         GError      **error);

/* A secret shared by every relay of the database (the IP-hash key): made by the first relay
 * that asks, with a random value of 32 characters, and read by the others. */
char        *confab_pg_store_shared_key (ConfabStore  *store,
                                         const char   *name,
                                         GError      **error);

G_END_DECLS
