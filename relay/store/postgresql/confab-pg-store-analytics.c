/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-analytics.c: the analytics queries on PostgreSQL (the SQLite twin, with the
 * reasons of each query's shape, is sqlite/confab-store-analytics.c). The counts come from the
 * same columns and message_counts, which schema v4's PL/pgSQL triggers keep.
 *
 * The analytics API answers on worker threads, each with a store of its own: for PostgreSQL
 * pg_analytics_reader_path () hands them the connection string and
 * confab_store_analytics_open_reader () opens a second PostgreSQL store on it, so a long report
 * never holds the relay's main loop.
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-store-analytics.h"

#define SITES_IN "SELECT json_array_elements_text ($1::json)"
#define CONVERSATIONS_IN_RANGE \
  " WHERE c.site_id IN (" SITES_IN ") AND c.created_at >= $2::bigint AND c.created_at < $3::bigint" \
  " ORDER BY c.created_at, c.id"

char *
pg_analytics_reader_path (ConfabStore *store)
{
  return pg_store_url (store);
}

static gint64
column_time (PGresult *result,
             int       row,
             int       column)
{
  return PQgetisnull (result, row, column) ? -1 : pg_integer (result, row, column);
}

static const char *
column_text (PGresult *result,
             int       row,
             int       column)
{
  return PQgetisnull (result, row, column) ? NULL : PQgetvalue (result, row, column);
}

static void
range_params (PgParams   *params,
              const char *sites_json,
              gint64      from_ms,
              gint64      to_ms)
{
  pg_text (params, sites_json);
  pg_int (params, from_ms);
  pg_int (params, to_ms);
}

gboolean
pg_analytics_conversations (ConfabStore                      *store,
                            const char                       *sites_json,
                            gint64                            from_ms,
                            gint64                            to_ms,
                            gboolean                          with_visitors,
                            ConfabAnalyticsConversationFunc   func,
                            gpointer                          user_data,
                            GError                          **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  range_params (&params, sites_json, from_ms, to_ms);
  if (with_visitors)
    result = pg_exec (store,
                      "SELECT c.id, c.site_id, c.visitor_id, v.name, v.email, c.status,"
                      "  c.assignee_id, c.created_at, c.first_visitor_at, c.first_visitor_text,"
                      "  c.first_reply_at, c.first_reply_by, c.resolved_at, coalesce (r.score, 0),"
                      "  c.bot_answered,"
                      "  CASE WHEN c.bot_answered THEN c.agent_wrote"
                      "    OR EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id)"
                      "  ELSE false END"
                      " FROM conversations c"
                      " LEFT JOIN ratings r ON r.conversation_id = c.id"
                      " LEFT JOIN visitors v ON v.id = c.visitor_id"
                      CONVERSATIONS_IN_RANGE, &params,
                      "Cannot read the conversations for analytics", error);
  else
    result = pg_exec (store,
                      "SELECT c.id, c.site_id, c.visitor_id, NULL, NULL, c.status,"
                      "  c.assignee_id, c.created_at, c.first_visitor_at, c.first_visitor_text,"
                      "  c.first_reply_at, c.first_reply_by, c.resolved_at, coalesce (r.score, 0),"
                      "  c.bot_answered,"
                      "  CASE WHEN c.bot_answered THEN c.agent_wrote"
                      "    OR EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id)"
                      "  ELSE false END"
                      " FROM conversations c"
                      " LEFT JOIN ratings r ON r.conversation_id = c.id"
                      CONVERSATIONS_IN_RANGE, &params,
                      "Cannot read the conversations for analytics", error);
  if (result == NULL)
    return FALSE;

  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabAnalyticsConversation row = {
        .id = column_text (result, i, 0),
        .site_id = column_text (result, i, 1),
        .visitor_id = column_text (result, i, 2),
        .visitor_name = column_text (result, i, 3),
        .visitor_email = column_text (result, i, 4),
        .status = column_text (result, i, 5),
        .assignee_id = column_text (result, i, 6),
        .created_at = pg_integer (result, i, 7),
        .first_visitor_at = column_time (result, i, 8),
        .first_visitor_body = column_text (result, i, 9),
        .first_reply_at = column_time (result, i, 10),
        .first_reply_by = column_text (result, i, 11),
        .resolved_at = column_time (result, i, 12),
        .rating = (int) pg_integer (result, i, 13),
        .bot_answered = pg_boolean (result, i, 14),
        .person_involved = pg_boolean (result, i, 15),
      };

      if (!func (&row, user_data))
        return TRUE;
    }
  return TRUE;
}

gboolean
pg_analytics_messages (ConfabStore                  *store,
                       const char                   *sites_json,
                       gint64                        from_ms,
                       gint64                        to_ms,
                       gint64                        bucket_ms,
                       ConfabAnalyticsMessagesFunc   func,
                       gpointer                      user_data,
                       GError                      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (bucket_ms > 0, FALSE);

  range_params (&params, sites_json, from_ms, to_ms);
  pg_int (&params, bucket_ms);
  if (bucket_ms == CONFAB_ANALYTICS_SLOT_MS && from_ms % bucket_ms == 0 && to_ms % bucket_ms == 0)
    result = pg_exec (store,
                      "SELECT slot, sender_type, sender_id, site_id, count"
                      " FROM message_counts"
                      " WHERE site_id IN (" SITES_IN ") AND slot >= $2::bigint / $4::bigint"
                      " AND slot < $3::bigint / $4::bigint", &params,
                      "Cannot count the messages for analytics", error);
  else
    result = pg_exec (store,
                      "SELECT m.created_at / $4::bigint, m.sender_type,"
                      "  CASE WHEN m.sender_type = 'visitor' THEN NULL ELSE m.sender_id END,"
                      "  CASE WHEN m.sender_type = 'agent' THEN c.site_id END, count (*)"
                      " FROM conversations c JOIN messages m ON m.conversation_id = c.id"
                      " WHERE c.site_id IN (" SITES_IN ") AND c.last_message_at >= $2::bigint"
                      "   AND c.created_at < $3::bigint"
                      "   AND m.created_at >= $2::bigint AND m.created_at < $3::bigint"
                      "   AND m.sender_type IN ('visitor', 'agent', 'bot')"
                      " GROUP BY 1, 2, 3, 4", &params,
                      "Cannot count the messages for analytics", error);
  if (result == NULL)
    return FALSE;

  for (int i = 0; i < PQntuples (result); i++)
    if (!func (pg_integer (result, i, 0), column_text (result, i, 1), column_text (result, i, 2),
               column_text (result, i, 3), pg_integer (result, i, 4), user_data))
      return TRUE;
  return TRUE;
}

gint64
pg_analytics_visitors (ConfabStore  *store,
                       const char   *sites_json,
                       gint64        from_ms,
                       gint64        to_ms,
                       GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  range_params (&params, sites_json, from_ms, to_ms);
  result = pg_exec (store,
    "SELECT count (*) FROM visitors v"
    " WHERE v.site_id IN (" SITES_IN ") AND v.last_seen >= $2::bigint AND v.first_seen < $3::bigint"
    "   AND (v.first_seen >= $2::bigint OR v.last_seen < $3::bigint"
    "        OR EXISTS (SELECT 1 FROM page_views p WHERE p.visitor_id = v.id"
    "                   AND p.at >= $2::bigint AND p.at < $3::bigint)"
    "        OR EXISTS (SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id"
    "                   WHERE c.visitor_id = v.id AND c.created_at < $3::bigint"
    "                   AND c.last_message_at >= $2::bigint"
    "                   AND m.sender_type = 'visitor' AND m.sender_id = v.id"
    "                   AND m.created_at >= $2::bigint AND m.created_at < $3::bigint))",
    &params, "Cannot count the visitors", error);
  return result != NULL ? pg_integer (result, 0, 0) : -1;
}

gint64
pg_analytics_offline (ConfabStore  *store,
                      const char   *sites_json,
                      gint64        from_ms,
                      gint64        to_ms,
                      GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  range_params (&params, sites_json, from_ms, to_ms);
  result = pg_exec (store,
                    "SELECT count (*) FROM offline_messages"
                    " WHERE site_id IN (" SITES_IN ") AND created_at >= $2::bigint"
                    " AND created_at < $3::bigint", &params,
                    "Cannot count the offline messages", error);
  return result != NULL ? pg_integer (result, 0, 0) : -1;
}
