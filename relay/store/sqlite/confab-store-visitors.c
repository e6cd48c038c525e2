/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-visitors.c: the SQLite store's visitors and their journey (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- visitors and their journey ------------------------------------------------------------- */

ConfabVisitor *
store_read_visitor (sqlite3_stmt *stmt)
{
  ConfabVisitor *visitor = g_new0 (ConfabVisitor, 1);

  visitor->id = store_column_dup (stmt, 0);
  visitor->site_id = store_column_dup (stmt, 1);
  visitor->token_hash = store_column_dup (stmt, 2);
  visitor->name = store_column_dup (stmt, 3);
  visitor->email = store_column_dup (stmt, 4);
  visitor->locale = store_column_dup (stmt, 5);
  visitor->timezone = store_column_dup (stmt, 6);
  visitor->browser = store_column_dup (stmt, 7);
  visitor->os = store_column_dup (stmt, 8);
  visitor->country = store_column_dup (stmt, 9);
  visitor->city = store_column_dup (stmt, 10);
  visitor->fingerprint = store_column_dup (stmt, 11);
  visitor->first_seen = sqlite3_column_int64 (stmt, 12);
  visitor->last_seen = sqlite3_column_int64 (stmt, 13);
  visitor->visits = sqlite3_column_int64 (stmt, 14);
  visitor->country_name = store_column_dup (stmt, 15);
  visitor->geo_timezone = store_column_dup (stmt, 16);
  visitor->browser_version = store_column_dup (stmt, 17);
  visitor->os_version = store_column_dup (stmt, 18);
  visitor->device_type = store_column_dup (stmt, 19);
  visitor->linked_to = store_column_dup (stmt, 20);
  visitor->channel = store_column_dup (stmt, 21);
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

  store_bind_text (stmt, first + 0, info->locale);
  store_bind_text (stmt, first + 1, info->timezone);
  store_bind_text (stmt, first + 2, info->browser);
  store_bind_text (stmt, first + 3, info->os);
  store_bind_text (stmt, first + 4, info->country);
  store_bind_text (stmt, first + 5, info->city);
  store_bind_text (stmt, first + 6, info->fingerprint);
  store_bind_text (stmt, first + 7, info->name);
  store_bind_text (stmt, first + 8, info->email);
}

ConfabVisitor *
confab_store_create_visitor (ConfabStore             *store,
                             const char              *site_id,
                             const char              *token_hash,
                             const ConfabVisitorInfo *info,
                             GError                 **error)
{
  STORE_HANDOFF (store, create_visitor, NULL, error, site_id, token_hash, info, error);

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
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, token_hash);
  bind_visitor_info (stmt, 4, info);
  sqlite3_bind_int64 (stmt, 13, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot create the visitor (does the site exist?)", error))
    return NULL;

  return confab_store_get_visitor (store, id, error);
}

ConfabVisitor *
confab_store_get_visitor (ConfabStore *store,
                          const char  *visitor_id,
                          GError     **error)
{
  STORE_HANDOFF (store, get_visitor, NULL, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  if (!store_step_row (store, stmt, "visitor", visitor_id, error))
    return NULL;

  return store_read_visitor (stmt);
}

ConfabVisitor *
confab_store_touch_visitor (ConfabStore             *store,
                            const char              *visitor_id,
                            const ConfabVisitorInfo *info,
                            gboolean                 new_visit,
                            GError                 **error)
{
  STORE_HANDOFF (store, touch_visitor, NULL, error, visitor_id, info, new_visit, error);

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

  store_bind_text (stmt, 1, visitor_id);
  bind_visitor_info (stmt, 2, info);
  sqlite3_bind_int64 (stmt, 11, confab_now_ms ());
  sqlite3_bind_int (stmt, 12, new_visit ? 1 : 0);
  if (!store_step_done (store, stmt, "Cannot update the visitor", error) ||
      !store_not_found_if_unchanged (store, "visitor", visitor_id, error))
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

  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, at);
  return store_step_done (store, stmt, "Cannot close the page view", error);
}

gboolean
confab_store_add_page_view (ConfabStore *store,
                            const char  *visitor_id,
                            const char  *url,
                            const char  *title,
                            gint64       at,
                            GError     **error)
{
  STORE_HANDOFF (store, add_page_view, FALSE, error, visitor_id, url, title, at, error);

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
          store_bind_text (stmt, 1, visitor_id);
          store_bind_text (stmt, 2, url);
          store_bind_text (stmt, 3, title);
          sqlite3_bind_int64 (stmt, 4, at);
          ok = store_step_done (store, stmt, "Cannot record the page view (does the visitor exist?)",
                          error);
        }
    }

  return store_finish (store, ok, error);
}

/* Appends an event and deletes the earlier ones it supersedes: @prune_sql, with ?1 = @key and
 * ?2 = the new cursor. Only events of the caller's kind go: messages and conversation events,
 * what a resume by cursor must never miss, are untouched, and a cursor below the new one still
 * resumes right (the cursors are AUTOINCREMENT, never handed out again). */
static gint64
add_superseding_event (ConfabStore *store,
                       const char  *site_id,
                       const char  *kind,
                       const char  *conversation_id,
                       const char  *visitor_id,
                       const char  *payload_json,
                       const char  *prune_sql,
                       const char  *key,
                       GError     **error)
{
  g_autoptr (ConfabStmt) insert = NULL;
  g_autoptr (ConfabStmt) prune = NULL;
  gint64 cursor = 0;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return 0;

  insert = store_prepare (store,
                          "INSERT INTO events (site_id, kind, conversation_id, visitor_id, payload, "
                          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);
  ok = insert != NULL;
  if (ok)
    {
      store_bind_text (insert, 1, site_id);
      store_bind_text (insert, 2, kind);
      store_bind_text (insert, 3, conversation_id);
      store_bind_text (insert, 4, visitor_id);
      store_bind_text (insert, 5, payload_json);
      sqlite3_bind_int64 (insert, 6, confab_now_ms ());
      ok = store_step_done (store, insert, "Cannot log the event (does the site exist?)", error);
      if (ok)
        cursor = sqlite3_last_insert_rowid (store->db);
    }

  if (ok)
    {
      prune = store_prepare (store, prune_sql, error);
      ok = prune != NULL;
      if (ok)
        {
          store_bind_text (prune, 1, key);
          sqlite3_bind_int64 (prune, 2, cursor);
          ok = store_step_done (store, prune, "Cannot prune the superseded events", error);
        }
    }

  if (!store_finish (store, ok, error))
    return 0;
  return cursor;
}

gint64
confab_store_add_visitor_event (ConfabStore *store,
                                const char  *site_id,
                                const char  *visitor_id,
                                const char  *payload_json,
                                GError     **error)
{
  STORE_HANDOFF (store, add_visitor_event, 0, error, site_id, visitor_id, payload_json, error);

  g_return_val_if_fail (store != NULL, 0);
  g_return_val_if_fail (visitor_id != NULL, 0);

  return add_superseding_event (store, site_id, CONFAB_EVENT_VISITOR, NULL, visitor_id,
                                payload_json,
                                "DELETE FROM events WHERE visitor_id = ?1 AND kind = '"
                                CONFAB_EVENT_VISITOR "' AND cursor < ?2", visitor_id, error);
}

gint64
confab_store_add_rating_event (ConfabStore *store,
                               const char  *site_id,
                               const char  *conversation_id,
                               const char  *payload_json,
                               GError     **error)
{
  STORE_HANDOFF (store, add_rating_event, 0, error, site_id, conversation_id, payload_json, error);

  g_return_val_if_fail (store != NULL, 0);
  g_return_val_if_fail (conversation_id != NULL, 0);

  /* kind as a literal: the partial index events_rating serves it */
  return add_superseding_event (store, site_id, CONFAB_EVENT_RATING, conversation_id, NULL,
                                payload_json,
                                "DELETE FROM events WHERE kind = '" CONFAB_EVENT_RATING "' "
                                "AND conversation_id = ?1 AND cursor < ?2", conversation_id, error);
}

gboolean
confab_store_close_page_views (ConfabStore *store,
                               const char  *visitor_id,
                               gint64       at,
                               GError     **error)
{
  STORE_HANDOFF (store, close_page_views, FALSE, error, visitor_id, at, error);

  g_return_val_if_fail (store != NULL, FALSE);

  return close_open_page_views (store, visitor_id, at, error);
}

GPtrArray *
confab_store_list_page_views (ConfabStore *store,
                              const char  *visitor_id,
                              guint        limit,
                              GError     **error)
{
  STORE_HANDOFF (store, list_page_views, NULL, error, visitor_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) views = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT url, title, at, left_at FROM ("
                        "  SELECT id, url, title, at, left_at FROM page_views "
                        "  WHERE visitor_id IN (" LINKED_VISITORS ") "
                        "  ORDER BY at DESC, id DESC LIMIT ?2"
                        ") ORDER BY at, id", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  views = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_page_view_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabPageView *view = g_new0 (ConfabPageView, 1);

      view->url = store_column_dup (stmt, 0);
      view->title = store_column_dup (stmt, 1);
      view->at = sqlite3_column_int64 (stmt, 2);
      view->left_at = sqlite3_column_int64 (stmt, 3); /* NULL reads as 0: still there */
      g_ptr_array_add (views, view);
    }

  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the page views");
      return NULL;
    }
  return g_steal_pointer (&views);
}

gboolean
confab_store_set_visitor_consent (ConfabStore *store,
                                  const char  *visitor_id,
                                  gint64       at,
                                  GError     **error)
{
  STORE_HANDOFF (store, set_visitor_consent, FALSE, error, visitor_id, at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE visitors SET consent_at = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, at);
  return store_step_done (store, stmt, "Cannot record the visitor's consent", error) &&
         store_not_found_if_unchanged (store, "visitor", visitor_id, error);
}

gint64
confab_store_get_visitor_consent (ConfabStore *store,
                                  const char  *visitor_id,
                                  GError     **error)
{
  STORE_HANDOFF (store, get_visitor_consent, -1, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store, "SELECT coalesce(consent_at, 0) FROM visitors WHERE id = ?1", error);
  if (stmt == NULL)
    return -1;

  store_bind_text (stmt, 1, visitor_id);
  if (!store_step_row (store, stmt, "visitor", visitor_id, error))
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_set_visitor_context (ConfabStore                *store,
                                  const char                 *visitor_id,
                                  const ConfabVisitorContext *context,
                                  GError                    **error)
{
  STORE_HANDOFF (store, set_visitor_context, FALSE, error, visitor_id, context, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (context != NULL, FALSE);

  if (!context->geo_known && !context->device_known && context->ip_hash == NULL)
    return TRUE;

  stmt = store_prepare (store,
                        "UPDATE visitors SET "
                        "country = CASE WHEN ?2 THEN ?3 ELSE country END, "
                        "country_name = CASE WHEN ?2 THEN ?4 ELSE country_name END, "
                        "city = CASE WHEN ?2 THEN ?5 ELSE city END, "
                        "geo_timezone = CASE WHEN ?2 THEN ?6 ELSE geo_timezone END, "
                        "browser = CASE WHEN ?7 THEN ?8 ELSE browser END, "
                        "browser_version = CASE WHEN ?7 THEN ?9 ELSE browser_version END, "
                        "os = CASE WHEN ?7 THEN ?10 ELSE os END, "
                        "os_version = CASE WHEN ?7 THEN ?11 ELSE os_version END, "
                        "device_type = CASE WHEN ?7 THEN ?12 ELSE device_type END, "
                        "ip_hash = coalesce (?13, ip_hash) "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int (stmt, 2, context->geo_known ? 1 : 0);
  store_bind_text (stmt, 3, context->country);
  store_bind_text (stmt, 4, context->country_name);
  store_bind_text (stmt, 5, context->city);
  store_bind_text (stmt, 6, context->geo_timezone);
  sqlite3_bind_int (stmt, 7, context->device_known ? 1 : 0);
  store_bind_text (stmt, 8, context->browser);
  store_bind_text (stmt, 9, context->browser_version);
  store_bind_text (stmt, 10, context->os);
  store_bind_text (stmt, 11, context->os_version);
  store_bind_text (stmt, 12, context->device_type);
  store_bind_text (stmt, 13, context->ip_hash);
  return store_step_done (store, stmt, "Cannot update the visitor", error) &&
         store_not_found_if_unchanged (store, "visitor", visitor_id, error);
}

ConfabVisitor *
confab_store_find_visitor_by_fingerprint (ConfabStore *store,
                                          const char  *site_id,
                                          const char  *fingerprint,
                                          GError     **error)
{
  STORE_HANDOFF (store, find_visitor_by_fingerprint, NULL, error, site_id, fingerprint, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (fingerprint == NULL)
    return NULL;

  stmt = store_prepare (store,
                        "SELECT " VISITOR_COLUMNS " FROM visitors "
                        "WHERE site_id = ?1 AND fingerprint = ?2 "
                        "ORDER BY last_seen DESC, rowid DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, fingerprint);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return store_read_visitor (stmt);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot look up the visitor by fingerprint");
  return NULL;
}

ConfabVisitor *
confab_store_link_visitor (ConfabStore *store,
                           const char  *visitor_id,
                           const char  *previous_id,
                           GError     **error)
{
  STORE_HANDOFF (store, link_visitor, NULL, error, visitor_id, previous_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* The same-site condition makes a cross-site link impossible whatever the caller passes. */
  stmt = store_prepare (store,
                        "UPDATE visitors SET "
                        "linked_to = (SELECT coalesce(p.linked_to, p.id) FROM visitors p WHERE p.id = ?2), "
                        "first_seen = min(first_seen, (SELECT p.first_seen FROM visitors p WHERE p.id = ?2)), "
                        "visits = (SELECT p.visits FROM visitors p WHERE p.id = ?2) + 1 "
                        "WHERE id = ?1 AND id != ?2 AND site_id = "
                        "(SELECT p.site_id FROM visitors p WHERE p.id = ?2)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  store_bind_text (stmt, 2, previous_id);
  if (!store_step_done (store, stmt, "Cannot link the visitor", error) ||
      !store_not_found_if_unchanged (store, "visitor", visitor_id, error))
    return NULL;

  return confab_store_get_visitor (store, visitor_id, error);
}
