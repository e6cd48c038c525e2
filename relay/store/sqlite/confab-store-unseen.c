/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-unseen.c: what a visitor sends that agents must see — offline messages with
 * their status, a conversation's rating, its timeline events (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

#define OFFLINE_COLUMNS \
  "o.id, o.site_id, o.visitor_id, o.name, o.email, o.body, o.page_url, o.page_title, " \
  "o.created_at, o.status, o.handled_by, u.name, o.handled_at, o.conversation_id "
#define OFFLINE_FROM \
  "FROM offline_messages o LEFT JOIN users u ON u.id = o.handled_by "

void
confab_offline_message_free (ConfabOfflineMessage *offline)
{
  if (offline == NULL)
    return;
  g_free (offline->id);
  g_free (offline->site_id);
  g_free (offline->visitor_id);
  g_free (offline->name);
  g_free (offline->email);
  g_free (offline->body);
  g_free (offline->page_url);
  g_free (offline->page_title);
  g_free (offline->handled_by);
  g_free (offline->handled_by_name);
  g_free (offline->conversation_id);
  g_free (offline);
}

static gpointer
read_offline_message (sqlite3_stmt *stmt)
{
  ConfabOfflineMessage *offline = g_new0 (ConfabOfflineMessage, 1);

  offline->id = store_column_dup (stmt, 0);
  offline->site_id = store_column_dup (stmt, 1);
  offline->visitor_id = store_column_dup (stmt, 2);
  offline->name = store_column_dup (stmt, 3);
  offline->email = store_column_dup (stmt, 4);
  offline->body = store_column_dup (stmt, 5);
  offline->page_url = store_column_dup (stmt, 6);
  offline->page_title = store_column_dup (stmt, 7);
  offline->created_at = sqlite3_column_int64 (stmt, 8);
  offline->handled = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 9), "handled") == 0;
  offline->handled_by = store_column_dup (stmt, 10);
  offline->handled_by_name = store_column_dup (stmt, 11);
  offline->handled_at = sqlite3_column_int64 (stmt, 12);
  offline->conversation_id = store_column_dup (stmt, 13);
  return offline;
}

ConfabOfflineMessage *
confab_store_get_offline_message (ConfabStore *store,
                                  const char  *offline_id,
                                  GError     **error)
{
  STORE_HANDOFF (store, get_offline_message, NULL, error, offline_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " OFFLINE_COLUMNS OFFLINE_FROM "WHERE o.id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, offline_id);
  if (!store_step_row (store, stmt, "offline message", offline_id, error))
    return NULL;
  return read_offline_message (stmt);
}

GPtrArray *
confab_store_list_offline_messages_page (ConfabStore *store,
                                         const char  *site_id,
                                         const char  *status,
                                         const char  *before_id,
                                         guint        limit,
                                         GError     **error)
{
  STORE_HANDOFF (store, list_offline_messages_page, NULL, error, site_id, status, before_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* Newest first; @before_id pages on from one of the site's own (the caller checks that it is). */
  stmt = store_prepare (store,
                        "SELECT " OFFLINE_COLUMNS OFFLINE_FROM
                        "WHERE o.site_id = ?1 AND (?2 IS NULL OR o.status = ?2) AND "
                        "(?3 IS NULL OR (o.created_at, o.rowid) < "
                        " (SELECT created_at, rowid FROM offline_messages WHERE id = ?3)) "
                        "ORDER BY o.created_at DESC, o.rowid DESC LIMIT ?4", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, status);
  store_bind_text (stmt, 3, before_id);
  sqlite3_bind_int64 (stmt, 4, store_sql_limit (limit));
  return store_read_all (store, stmt, read_offline_message,
                         (GDestroyNotify) confab_offline_message_free,
                         "Cannot list the offline messages", error);
}

gint64
confab_store_count_open_offline_messages (ConfabStore *store,
                                          const char  *site_id,
                                          GError     **error)
{
  STORE_HANDOFF (store, count_open_offline_messages, -1, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store,
                        "SELECT count(*) FROM offline_messages WHERE site_id = ?1 AND status = 'open'",
                        error);
  if (stmt == NULL)
    return -1;

  store_bind_text (stmt, 1, site_id);
  if (!store_step_row (store, stmt, "offline messages of site", site_id, error))
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

ConfabOfflineMessage *
confab_store_set_offline_message_status (ConfabStore *store,
                                         const char  *offline_id,
                                         gboolean     handled,
                                         const char  *user_id,
                                         GError     **error)
{
  STORE_HANDOFF (store, set_offline_message_status, NULL, error, offline_id, handled, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* Marking it handled again keeps who handled it first and when. */
  stmt = store_prepare (store,
                        "UPDATE offline_messages SET "
                        "handled_by = CASE WHEN ?2 THEN coalesce (handled_by, ?3) END, "
                        "handled_at = CASE WHEN ?2 THEN coalesce (handled_at, ?4) END, "
                        "status = CASE WHEN ?2 THEN 'handled' ELSE 'open' END "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, offline_id);
  sqlite3_bind_int (stmt, 2, handled ? 1 : 0);
  store_bind_text (stmt, 3, user_id);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot change the offline message", error) ||
      !store_not_found_if_unchanged (store, "offline message", offline_id, error))
    return NULL;

  return confab_store_get_offline_message (store, offline_id, error);
}

gboolean
confab_store_set_offline_message_conversation (ConfabStore *store,
                                               const char  *offline_id,
                                               const char  *conversation_id,
                                               GError     **error)
{
  STORE_HANDOFF (store, set_offline_message_conversation, FALSE, error, offline_id, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "UPDATE offline_messages SET conversation_id = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, offline_id);
  store_bind_text (stmt, 2, conversation_id);
  return store_step_done (store, stmt, "Cannot link the offline message to its conversation", error) &&
         store_not_found_if_unchanged (store, "offline message", offline_id, error);
}

gboolean
confab_store_get_conversation_rating (ConfabStore *store,
                                      const char  *conversation_id,
                                      gboolean    *out_found,
                                      int         *out_score,
                                      char       **out_comment,
                                      gint64      *out_rated_at,
                                      GError     **error)
{
  STORE_HANDOFF (store, get_conversation_rating, FALSE, error, conversation_id, out_found, out_score, out_comment, out_rated_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_found = FALSE;
  stmt = store_prepare (store,
                        "SELECT score, comment, created_at FROM ratings WHERE conversation_id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the rating");
      return FALSE;
    }

  *out_found = TRUE;
  *out_score = sqlite3_column_int (stmt, 0);
  *out_comment = store_column_dup (stmt, 1);
  *out_rated_at = sqlite3_column_int64 (stmt, 2);
  return TRUE;
}

static gpointer
read_timeline_event (sqlite3_stmt *stmt)
{
  ConfabEvent *event = g_new0 (ConfabEvent, 1);

  event->cursor = sqlite3_column_int64 (stmt, 0);
  event->site_id = store_column_dup (stmt, 1);
  event->kind = g_strdup (CONFAB_EVENT_TIMELINE);
  event->payload_json = store_column_dup (stmt, 2);
  event->created_at = sqlite3_column_int64 (stmt, 3);
  return event;
}

GPtrArray *
confab_store_list_timeline (ConfabStore *store,
                            const char  *conversation_id,
                            GError     **error)
{
  STORE_HANDOFF (store, list_timeline, NULL, error, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* kind as a literal: the partial index events_timeline serves it */
  stmt = store_prepare (store,
                        "SELECT cursor, site_id, payload, created_at FROM events "
                        "WHERE kind = 'timeline' AND conversation_id = ?1 ORDER BY cursor", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, conversation_id);
  return store_read_all (store, stmt, read_timeline_event, (GDestroyNotify) confab_event_free,
                         "Cannot read the conversation's timeline", error);
}
