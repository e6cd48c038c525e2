/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-feedback.c: the SQLite store's ratings, offline messages and the audit log (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- ratings, offline messages, audit ------------------------------------------------------- */

gboolean
confab_store_set_rating (ConfabStore *store,
                         const char  *conversation_id,
                         int          score,
                         const char  *comment,
                         GError     **error)
{
  STORE_HANDOFF (store, set_rating, FALSE, error, conversation_id, score, comment, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO ratings (conversation_id, score, comment, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conversation_id) DO UPDATE SET "
                        "score = excluded.score, comment = excluded.comment, "
                        "created_at = excluded.created_at", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int (stmt, 2, score);
  store_bind_text (stmt, 3, comment);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot store the rating (does the conversation exist?)", error);
}

gboolean
confab_store_get_rating (ConfabStore *store,
                         const char  *conversation_id,
                         int         *out_score,
                         char       **out_comment,
                         GError     **error)
{
  STORE_HANDOFF (store, get_rating, FALSE, error, conversation_id, out_score, out_comment, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "SELECT score, comment FROM ratings WHERE conversation_id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  if (!store_step_row (store, stmt, "rating for conversation", conversation_id, error))
    return FALSE;

  if (out_score != NULL)
    *out_score = sqlite3_column_int (stmt, 0);
  if (out_comment != NULL)
    *out_comment = store_column_dup (stmt, 1);
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
  STORE_HANDOFF (store, add_offline_message, NULL, error, site_id, visitor_id, name, email, body, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (body != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO offline_messages (id, site_id, visitor_id, name, email, body, "
                        "created_at, page_url, page_title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                        /* the page the visitor left it on: their latest page view */
                        "(SELECT url FROM page_views WHERE visitor_id = ?3 ORDER BY at DESC, id DESC LIMIT 1), "
                        "(SELECT title FROM page_views WHERE visitor_id = ?3 ORDER BY at DESC, id DESC LIMIT 1))",
                        error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("off_");
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, visitor_id);
  store_bind_text (stmt, 4, name);
  store_bind_text (stmt, 5, email);
  store_bind_text (stmt, 6, body);
  sqlite3_bind_int64 (stmt, 7, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot store the offline message (do the site and visitor exist?)",
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
      store_set_sqlite_error (store, error, rc, what);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
confab_store_list_offline_messages (ConfabStore *store,
                                    const char  *site_id,
                                    GError     **error)
{
  STORE_HANDOFF (store, list_offline_messages, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT id, visitor_id, name, email, body, created_at "
                        "FROM offline_messages WHERE site_id = ?1 "
                        "ORDER BY created_at DESC, rowid DESC", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
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
  STORE_HANDOFF (store, audit, FALSE, error, user_id, site_id, action, detail_json, ip_hash, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO audit_log (at, user_id, site_id, action, detail, ip_hash) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, confab_now_ms ());
  store_bind_text (stmt, 2, user_id);
  store_bind_text (stmt, 3, site_id);
  store_bind_text (stmt, 4, action);
  store_bind_text (stmt, 5, detail_json);
  store_bind_text (stmt, 6, ip_hash);
  return store_step_done (store, stmt, "Cannot write the audit log", error);
}

GPtrArray *
confab_store_list_audit (ConfabStore *store,
                         const char  *site_id,
                         guint        limit,
                         GError     **error)
{
  STORE_HANDOFF (store, list_audit, NULL, error, site_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* @site_id NULL lists the whole trail: relay-wide actions (logins, user creation) have none. */
  stmt = store_prepare (store,
                        "SELECT at, user_id, site_id, action, detail, ip_hash FROM audit_log "
                        "WHERE ?1 IS NULL OR site_id = ?1 ORDER BY id DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  return read_rows_as_tables (store, stmt, "Cannot list the audit log", error);
}
