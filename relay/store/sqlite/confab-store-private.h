/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-private.h: what the files of the SQLite store share.
 *
 * confab-store-sqlite.c opens the database, migrates it and holds the statement helpers; the
 * other confab-store-*.c files each implement one part of confab-store.h on top of them.
 */
#pragma once

#include "confab-store.h"
#include "confab-store-backend.h"
#include "confab-util.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

G_BEGIN_DECLS

/* The ids of visitor ?1 and of every visitor of its chain (see linked_to): the chain's first
 * visitor and all those linked to it. Both branches use an index (the primary key, visitors_linked). */
#define LINKED_VISITORS \
  "SELECT v.id FROM visitors v, " \
  "  (SELECT coalesce(linked_to, id) AS root FROM visitors WHERE id = ?1) chain " \
  "  WHERE v.id = chain.root OR v.linked_to = chain.root"

#define VISITOR_COLUMNS "id, site_id, token_hash, name, email, locale, timezone, browser, os, " \
                        "country, city, fingerprint, first_seen, last_seen, visits, " \
                        "country_name, geo_timezone, browser_version, os_version, device_type, " \
                        "linked_to, channel"


struct _ConfabStore
{
  /* Another database's functions, or NULL for SQLite (confab-store-backend.h) */
  const ConfabStoreFuncs *backend;
  gpointer    backend_data;
  sqlite3    *db;
  char       *path;
  GHashTable *statements; /* SQL string literal (by address) → sqlite3_stmt* */
  guint       depth;      /* open confab_store_begin() levels */
  int         busy_timeout_ms;
  GError     *write_error; /* why the last outermost BEGIN/COMMIT failed; NULL after a success */
  GHashTable *sites;       /* site id → ConfabSite*, read-through (confab-store-site-cache.c) */
  GHashTable *site_targets; /* site id → its response-time targets (confab-store-targets.c),
                             * forgotten with @sites */
  gint64      site_targets_version; /* PRAGMA data_version when @site_targets was filled */
  struct _WalWatch *wal_watch; /* confab_store_watch_wal() */
};

/* The first line of every public function: a store of another backend answers from there.
 * Every backend has every function (test-store-postgresql's every-function-ported checks the
 * table); @fail and @error stay in the line to say what the function returns on failure. */
#define STORE_HANDOFF(store, function, fail, error, ...) \
  G_STMT_START { \
    if ((store) != NULL && (store)->backend != NULL) \
      return (store)->backend->function ((store), ##__VA_ARGS__); \
  } G_STMT_END

/* A cached statement borrowed for one call: g_autoptr resets it (and drops the bindings, which
 * may point at the caller's strings) instead of finalizing it. */
typedef sqlite3_stmt ConfabStmt;

static inline void
confab_stmt_release (ConfabStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStmt, confab_stmt_release)

ConfabSenderType
store_sender_from_string (const char *text);

/* confab-store-site-cache.c */
void        store_site_cache_init   (ConfabStore      *store);
void        store_site_cache_clear  (ConfabStore      *store);
void        store_forget_sites      (ConfabStore      *store);
ConfabSite *store_site_cache_lookup (ConfabStore      *store,
                                     const char       *site_id);
void        store_site_cache_add    (ConfabStore      *store,
                                     const ConfabSite *site);

void
store_set_sqlite_error (ConfabStore *store,
                        GError     **error,
                        int          rc,
                        const char  *what);

ConfabStmt *
store_prepare (ConfabStore *store,
               const char  *sql,
               GError     **error);

void
store_bind_text (sqlite3_stmt *stmt,
                 int           index,
                 const char   *text);

char *
store_column_dup (sqlite3_stmt *stmt,
                  int           column);

gboolean
store_step_done (ConfabStore  *store,
                 sqlite3_stmt *stmt,
                 const char   *what,
                 GError      **error);

gboolean
store_step_row (ConfabStore  *store,
                sqlite3_stmt *stmt,
                const char   *what,
                const char   *id,
                GError      **error);

gint64
store_sql_limit (guint limit);

gboolean
store_not_found_if_unchanged (ConfabStore *store,
                              const char  *what,
                              const char  *id,
                              GError     **error);

gboolean
store_finish (ConfabStore *store,
              gboolean     ok,
              GError     **error);

char *
store_strv_to_json (const char * const *strv);

char **
store_domains_from_json (const char *text);

ConfabVisitor *
store_read_visitor (sqlite3_stmt *stmt);

GPtrArray *
store_read_all (ConfabStore    *store,
                sqlite3_stmt   *stmt,
                gpointer      (*read) (sqlite3_stmt *stmt),
                GDestroyNotify  free_func,
                const char     *what,
                GError        **error);

ConfabMessage *
store_with_attachment (ConfabStore   *store,
                       ConfabMessage *message);

/* Response-time targets (confab-store-targets.c), inside the caller's transaction: a target
 * starts or ends with a message (*@changed then TRUE, @conversation up to date), and stops
 * when the conversation is resolved or closed. */
gboolean
store_targets_on_message (ConfabStore        *store,
                          ConfabConversation *conversation,
                          ConfabSenderType    sender_type,
                          gint64              now,
                          gboolean           *changed,
                          GError            **error);

gboolean
store_targets_stop (ConfabStore *store,
                    const char  *conversation_id,
                    gint64       now,
                    GError     **error);

G_END_DECLS
