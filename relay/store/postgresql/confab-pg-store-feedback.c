/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-feedback.c: the PostgreSQL store's ratings, offline messages, the bot's
 * questions on the chat path, and the lists the relay's housekeeping reads at start (the
 * SQLite twins are in sqlite/confab-store-feedback.c, -unseen.c, -faq.c, -data.c, -sites.c) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

#include <stdlib.h>

/* --- ratings -------------------------------------------------------------------------------- */

gboolean
pg_set_rating (ConfabStore *store,
               const char  *conversation_id,
               int          score,
               const char  *comment,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, score);
  pg_text (&params, comment);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO ratings (conversation_id, score, comment, created_at) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id) DO UPDATE SET "
                     "score = excluded.score, comment = excluded.comment, "
                     "created_at = excluded.created_at", &params,
                     "Cannot store the rating (does the conversation exist?)", error);
  return result != NULL;
}

gboolean
pg_get_rating (ConfabStore *store,
               const char  *conversation_id,
               int         *out_score,
               char       **out_comment,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  result = pg_exec (store, "SELECT score, comment FROM ratings WHERE conversation_id = $1",
                    &params, "Cannot read the rating", error);
  if (result == NULL || !pg_found (result, "rating for conversation", conversation_id, error))
    return FALSE;
  if (out_score != NULL)
    *out_score = pg_integer (result, 0, 0);
  if (out_comment != NULL)
    *out_comment = pg_dup (result, 0, 1);
  return TRUE;
}

gboolean
pg_get_conversation_rating (ConfabStore *store,
                            const char  *conversation_id,
                            gboolean    *out_found,
                            int         *out_score,
                            char       **out_comment,
                            gint64      *out_rated_at,
                            GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_found = FALSE;
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT score, comment, created_at FROM ratings WHERE conversation_id = $1",
                    &params, "Cannot read the rating", error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) == 0)
    return TRUE;

  *out_found = TRUE;
  *out_score = pg_integer (result, 0, 0);
  *out_comment = pg_dup (result, 0, 1);
  *out_rated_at = pg_integer (result, 0, 2);
  return TRUE;
}

/* --- offline messages ----------------------------------------------------------------------- */

char *
pg_add_offline_message (ConfabStore *store,
                        const char  *site_id,
                        const char  *visitor_id,
                        const char  *name,
                        const char  *email,
                        const char  *body,
                        GError     **error)
{
  g_autofree char *id = confab_new_id ("off_");
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (body != NULL, NULL);

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  pg_text (&params, name);
  pg_text (&params, email);
  pg_text (&params, body);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO offline_messages (id, site_id, visitor_id, name, email, body, "
                     "created_at, page_url, page_title) "
                     /* the page the visitor left it on: their latest page view */
                     "SELECT $1, $2, $3, $4, $5, $6, $7, p.url, p.title FROM (SELECT 1) one "
                     "LEFT JOIN LATERAL (SELECT url, title FROM page_views WHERE visitor_id = $3 "
                     "  ORDER BY at DESC, id DESC LIMIT 1) p ON true", &params,
                     "Cannot store the offline message (do the site and visitor exist?)", error);
  if (result == NULL)
    return NULL;
  return g_steal_pointer (&id);
}

/* Rows as string → string tables; NULL columns are left out, so lookups of them give NULL. */
static GPtrArray *
rows_as_tables (PGresult *result)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);

  for (int i = 0; i < PQntuples (result); i++)
    {
      GHashTable *row = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

      for (int j = 0; j < PQnfields (result); j++)
        if (!PQgetisnull (result, i, j))
          g_hash_table_insert (row, g_strdup (PQfname (result, j)), pg_dup (result, i, j));
      g_ptr_array_add (rows, row);
    }
  return rows;
}

GPtrArray *
pg_list_offline_messages (ConfabStore *store,
                          const char  *site_id,
                          GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT id, visitor_id, name, email, body, created_at "
                    "FROM offline_messages WHERE site_id = $1 ORDER BY created_at DESC, id DESC",
                    &params, "Cannot list the offline messages", error);
  return result != NULL ? rows_as_tables (result) : NULL;
}

GPtrArray *
pg_list_audit (ConfabStore *store,
               const char  *site_id,
               guint        limit,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* @site_id NULL lists the whole trail */
  pg_text (&params, site_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT at, user_id, site_id, action, detail, ip_hash FROM audit_log "
                    "WHERE $1::text IS NULL OR site_id = $1 ORDER BY id DESC LIMIT $2::bigint",
                    &params, "Cannot list the audit log", error);
  return result != NULL ? rows_as_tables (result) : NULL;
}

#define OFFLINE_COLUMNS \
  "o.id, o.site_id, o.visitor_id, o.name, o.email, o.body, o.page_url, o.page_title, " \
  "o.created_at, o.status, o.handled_by, u.name, o.handled_at, o.conversation_id "
#define OFFLINE_FROM \
  "FROM offline_messages o LEFT JOIN users u ON u.id = o.handled_by "

static ConfabOfflineMessage *
read_offline_message (PGresult *result,
                      int       row)
{
  ConfabOfflineMessage *offline = g_new0 (ConfabOfflineMessage, 1);

  offline->id = pg_dup (result, row, 0);
  offline->site_id = pg_dup (result, row, 1);
  offline->visitor_id = pg_dup (result, row, 2);
  offline->name = pg_dup (result, row, 3);
  offline->email = pg_dup (result, row, 4);
  offline->body = pg_dup (result, row, 5);
  offline->page_url = pg_dup (result, row, 6);
  offline->page_title = pg_dup (result, row, 7);
  offline->created_at = pg_integer (result, row, 8);
  offline->handled = g_strcmp0 (PQgetvalue (result, row, 9), "handled") == 0;
  offline->handled_by = pg_dup (result, row, 10);
  offline->handled_by_name = pg_dup (result, row, 11);
  offline->handled_at = pg_integer (result, row, 12);
  offline->conversation_id = pg_dup (result, row, 13);
  return offline;
}

ConfabOfflineMessage *
pg_get_offline_message (ConfabStore *store,
                        const char  *offline_id,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, offline_id);
  result = pg_exec (store, "SELECT " OFFLINE_COLUMNS OFFLINE_FROM "WHERE o.id = $1", &params,
                    "Cannot read the offline message", error);
  if (result == NULL || !pg_found (result, "offline message", offline_id, error))
    return NULL;
  return read_offline_message (result, 0);
}

GPtrArray *
pg_list_offline_messages_page (ConfabStore *store,
                               const char  *site_id,
                               const char  *status,
                               const char  *before_id,
                               guint        limit,
                               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  /* newest first; (created_at, id) where SQLite uses its rowid to break ties */
  pg_text (&params, site_id);
  pg_text (&params, status);
  pg_text (&params, before_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT " OFFLINE_COLUMNS OFFLINE_FROM
                    "WHERE o.site_id = $1 AND ($2::text IS NULL OR o.status = $2) AND "
                    "($3::text IS NULL OR (o.created_at, o.id) < "
                    " (SELECT created_at, id FROM offline_messages WHERE id = $3)) "
                    "ORDER BY o.created_at DESC, o.id DESC LIMIT $4::bigint", &params,
                    "Cannot list the offline messages", error);
  if (result == NULL)
    return NULL;

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_offline_message_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_offline_message (result, i));
  return list;
}

gint64
pg_count_open_offline_messages (ConfabStore *store,
                                const char  *site_id,
                                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT count (*) FROM offline_messages WHERE site_id = $1 AND status = 'open'",
                    &params, "Cannot count the offline messages", error);
  if (result == NULL)
    return -1;
  return pg_integer (result, 0, 0);
}

ConfabOfflineMessage *
pg_set_offline_message_status (ConfabStore *store,
                               const char  *offline_id,
                               gboolean     handled,
                               const char  *user_id,
                               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* marking it handled again keeps who handled it first and when */
  pg_text (&params, offline_id);
  pg_bool (&params, handled);
  pg_text (&params, user_id);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "UPDATE offline_messages SET "
                     "handled_by = CASE WHEN $2::boolean THEN coalesce (handled_by, $3) END, "
                     "handled_at = CASE WHEN $2::boolean THEN coalesce (handled_at, $4) END, "
                     "status = CASE WHEN $2::boolean THEN 'handled' ELSE 'open' END "
                     "WHERE id = $1", &params, "Cannot change the offline message", error);
  if (result == NULL || !pg_found (result, "offline message", offline_id, error))
    return NULL;
  return pg_get_offline_message (store, offline_id, error);
}

gboolean
pg_set_offline_message_conversation (ConfabStore *store,
                                     const char  *offline_id,
                                     const char  *conversation_id,
                                     GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, offline_id);
  pg_text (&params, conversation_id);
  result = pg_write (store, "UPDATE offline_messages SET conversation_id = $2 WHERE id = $1",
                     &params, "Cannot link the offline message to its conversation", error);
  return result != NULL && pg_found (result, "offline message", offline_id, error);
}

/* Names the visitor of an offline message's event, so that deleting the visitor's data finds it. */
gboolean
pg_set_event_visitor (ConfabStore *store,
                      gint64       cursor,
                      const char  *visitor_id,
                      GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (visitor_id != NULL, FALSE);

  pg_int (&params, cursor);
  pg_text (&params, visitor_id);
  result = pg_exec (store, "UPDATE events SET visitor_id = $2 WHERE cursor = $1", &params,
                    "Cannot log the event", error);
  return result != NULL;
}

/* --- what the bot asks on every visitor message --------------------------------------------- */

gboolean
pg_bot_may_answer (ConfabStore *store,
                   const char  *conversation_id,
                   gboolean    *out_may_answer,
                   GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_may_answer = FALSE;
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT c.assignee_id IS NULL AND c.first_agent_reply_at IS NULL "
                    "AND NOT EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id) "
                    "AND EXISTS (SELECT 1 FROM faqs f WHERE f.site_id = c.site_id) "
                    "FROM conversations c WHERE c.id = $1", &params,
                    "Cannot ask whether the bot may answer", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return FALSE;
  *out_may_answer = pg_boolean (result, 0, 0);
  return TRUE;
}

gboolean
pg_request_human (ConfabStore *store,
                  const char  *conversation_id,
                  gboolean    *out_new,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_new = FALSE;
  pg_text (&params, conversation_id);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO human_requests (conversation_id, created_at) VALUES ($1, $2) "
                     "ON CONFLICT (conversation_id) DO NOTHING", &params,
                     "Cannot record the request for a person", error);
  if (result == NULL)
    return FALSE;
  *out_new = pg_changes (result) > 0;
  return TRUE;
}

/* --- what the relay's housekeeping reads ---------------------------------------------------- */

GHashTable *
pg_list_retention_sites (ConfabStore  *store,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GHashTable *sites;

  /* a settings text that is not JSON is skipped, as SQLite's json_valid () does */
  result = pg_exec (store,
                    "SELECT id, settings FROM sites WHERE settings LIKE '%retention_days%'", NULL,
                    "Cannot list the sites' retention", error);
  if (result == NULL)
    return NULL;

  sites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autoptr (JsonNode) root = json_from_string (PQgetvalue (result, i, 1), NULL);
      JsonObject *object = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                           ? json_node_get_object (root) : NULL;
      JsonNode *days = object != NULL ? json_object_get_member (object, "retention_days") : NULL;

      if (days != NULL && JSON_NODE_HOLDS_VALUE (days) &&
          (json_node_get_value_type (days) == G_TYPE_INT64 ||
           json_node_get_value_type (days) == G_TYPE_DOUBLE) &&
          json_node_get_int (days) > 0)
        g_hash_table_insert (sites, pg_dup (result, i, 0),
                             GINT_TO_POINTER ((int) json_node_get_int (days)));
    }
  return sites;
}

GPtrArray *
pg_list_retired_sites (ConfabStore  *store,
                       GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *ids;

  result = pg_exec (store, "SELECT id FROM sites WHERE site_key LIKE 'deleted:%'", NULL,
                    "Cannot list the sites being deleted", error);
  if (result == NULL)
    return NULL;

  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}
