/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-analytics.c: the analytics queries (confab-store-analytics.h).
 *
 * Nothing here reads every message of a range: schema 11's triggers keep, per conversation, its
 * first visitor message, first response, resolution and whether the bot or an agent wrote
 * (conversations_site_created finds a range's conversations), and per site the messages of each
 * quarter hour (message_counts). A year of a busy site is then one row per conversation and a
 * few per quarter hour (bench/analytics).
 */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-analytics.h"
#include "confab-store-private.h"
#include "confab-pg-store.h"

#define SITES_IN "SELECT value FROM json_each (?1)"
/* conversations_site_created finds them */
#define CONVERSATIONS_IN_RANGE \
  " WHERE c.site_id IN (" SITES_IN ") AND c.created_at >= ?2 AND c.created_at < ?3" \
  " ORDER BY c.created_at, c.id"

/* as confab-store-sqlite.c waits for a writer that holds the database */
#define READER_BUSY_TIMEOUT_MS 5000

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

char *
confab_store_analytics_reader_path (ConfabStore *store)
{
  STORE_HANDOFF (store, analytics_reader_path, NULL, NULL);

  g_return_val_if_fail (store != NULL, NULL);

  if (strcmp (store->path, ":memory:") == 0 || g_str_has_prefix (store->path, "file:"))
    return NULL;
  return g_strdup (store->path);
}

ConfabStore *
confab_store_analytics_open_reader (const char  *path,
                                    GError     **error)
{
  g_autoptr (ConfabStore) reader = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  /* a PostgreSQL store's reader is a connection of its own (confab-pg-store-analytics.c) */
  if (g_str_has_prefix (path, CONFAB_PG_READER_PREFIX))
    return confab_pg_store_open (path + strlen (CONFAB_PG_READER_PREFIX), error);

  reader = g_new0 (ConfabStore, 1);
  reader->path = g_strdup (path);
  reader->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                              finalize_statement);
  /* NOMUTEX: one worker thread uses it, then closes it */
  rc = sqlite3_open_v2 (reader->path, &reader->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      store_set_sqlite_error (reader, error, rc, "Cannot open the database for reading");
      return NULL;
    }
  sqlite3_extended_result_codes (reader->db, 1);
  confab_store_set_busy_timeout (reader, READER_BUSY_TIMEOUT_MS);
  return g_steal_pointer (&reader);
}

static gint64
column_time (sqlite3_stmt *stmt,
             int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, column);
}

gboolean
confab_store_analytics_conversations (ConfabStore                      *store,
                                      const char                       *sites_json,
                                      gint64                            from_ms,
                                      gint64                            to_ms,
                                      gboolean                          with_visitors,
                                      ConfabAnalyticsConversationFunc   func,
                                      gpointer                          user_data,
                                      GError                          **error)
{
  STORE_HANDOFF (store, analytics_conversations, FALSE, error, sites_json, from_ms, to_ms, with_visitors, func, user_data, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  /* The columns the triggers of schema 11 keep; the rating is a primary-key lookup, the "talk
   * to a person" one only after a bot answer, the visitor only for the CSV list. */
  if (with_visitors)
    stmt = store_prepare (store,
                          "SELECT c.id, c.site_id, c.visitor_id, v.name, v.email, c.status,"
                          "  c.assignee_id, c.created_at, c.first_visitor_at, c.first_visitor_text,"
                          "  c.first_reply_at, c.first_reply_by, c.resolved_at, r.score, c.bot_answered,"
                          "  CASE WHEN c.bot_answered THEN c.agent_wrote"
                          "    OR EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id)"
                          "  ELSE 0 END"
                          " FROM conversations c"
                          " LEFT JOIN ratings r ON r.conversation_id = c.id"
                          " LEFT JOIN visitors v ON v.id = c.visitor_id"
                          CONVERSATIONS_IN_RANGE, error);
  else
    stmt = store_prepare (store,
                          "SELECT c.id, c.site_id, c.visitor_id, NULL, NULL, c.status,"
                          "  c.assignee_id, c.created_at, c.first_visitor_at, c.first_visitor_text,"
                          "  c.first_reply_at, c.first_reply_by, c.resolved_at, r.score, c.bot_answered,"
                          "  CASE WHEN c.bot_answered THEN c.agent_wrote"
                          "    OR EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id)"
                          "  ELSE 0 END"
                          " FROM conversations c"
                          " LEFT JOIN ratings r ON r.conversation_id = c.id"
                          CONVERSATIONS_IN_RANGE, error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, sites_json);
  sqlite3_bind_int64 (stmt, 2, from_ms);
  sqlite3_bind_int64 (stmt, 3, to_ms);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabAnalyticsConversation row = {
        .id = (const char *) sqlite3_column_text (stmt, 0),
        .site_id = (const char *) sqlite3_column_text (stmt, 1),
        .visitor_id = (const char *) sqlite3_column_text (stmt, 2),
        .visitor_name = (const char *) sqlite3_column_text (stmt, 3),
        .visitor_email = (const char *) sqlite3_column_text (stmt, 4),
        .status = (const char *) sqlite3_column_text (stmt, 5),
        .assignee_id = (const char *) sqlite3_column_text (stmt, 6),
        .created_at = sqlite3_column_int64 (stmt, 7),
        .first_visitor_at = column_time (stmt, 8),
        .first_visitor_body = (const char *) sqlite3_column_text (stmt, 9),
        .first_reply_at = column_time (stmt, 10),
        .first_reply_by = (const char *) sqlite3_column_text (stmt, 11),
        .resolved_at = column_time (stmt, 12),
        .rating = sqlite3_column_int (stmt, 13),
        .bot_answered = sqlite3_column_int (stmt, 14) != 0,
        .person_involved = sqlite3_column_int (stmt, 15) != 0,
      };

      if (!func (&row, user_data))
        return TRUE;
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the conversations for analytics");
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_store_analytics_messages (ConfabStore                  *store,
                                 const char                   *sites_json,
                                 gint64                        from_ms,
                                 gint64                        to_ms,
                                 gint64                        bucket_ms,
                                 ConfabAnalyticsMessagesFunc   func,
                                 gpointer                      user_data,
                                 GError                      **error)
{
  STORE_HANDOFF (store, analytics_messages, FALSE, error, sites_json, from_ms, to_ms, bucket_ms, func, user_data, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (bucket_ms > 0, FALSE);

  if (bucket_ms == CONFAB_ANALYTICS_SLOT_MS && from_ms % bucket_ms == 0 && to_ms % bucket_ms == 0)
    {
      /* the counts the trigger keeps (schema 11) */
      /* a row per slot, type, sender and site as it is kept (the caller adds them up): a
       * GROUP BY here would sort them all */
      stmt = store_prepare (store,
        "SELECT slot, sender_type, sender_id, site_id, count"
        " FROM message_counts"
        " WHERE site_id IN (" SITES_IN ") AND slot >= ?2 / ?4 AND slot < ?3 / ?4", error);
    }
  else
    {
      /* Conversations active in the range: started before its end, last message after its start */
      stmt = store_prepare (store,
        "SELECT m.created_at / ?4, m.sender_type,"
        "  CASE WHEN m.sender_type = 'visitor' THEN NULL ELSE m.sender_id END,"
        "  CASE WHEN m.sender_type = 'agent' THEN c.site_id END, count (*)"
        " FROM conversations c JOIN messages m ON m.conversation_id = c.id"
        " WHERE c.site_id IN (" SITES_IN ") AND c.last_message_at >= ?2 AND c.created_at < ?3"
        "   AND m.created_at >= ?2 AND m.created_at < ?3"
        "   AND m.sender_type IN ('visitor', 'agent', 'bot')"
        " GROUP BY 1, 2, 3, 4", error);
    }
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, sites_json);
  sqlite3_bind_int64 (stmt, 2, from_ms);
  sqlite3_bind_int64 (stmt, 3, to_ms);
  sqlite3_bind_int64 (stmt, 4, bucket_ms);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!func (sqlite3_column_int64 (stmt, 0),
                 (const char *) sqlite3_column_text (stmt, 1),
                 (const char *) sqlite3_column_text (stmt, 2),
                 (const char *) sqlite3_column_text (stmt, 3),
                 sqlite3_column_int64 (stmt, 4), user_data))
        return TRUE;
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot count the messages for analytics");
      return FALSE;
    }
  return TRUE;
}

static gint64
count_one (ConfabStore  *store,
           sqlite3_stmt *stmt,
           const char   *sites_json,
           gint64        from_ms,
           gint64        to_ms,
           const char   *what,
           GError      **error)
{
  int rc;

  store_bind_text (stmt, 1, sites_json);
  sqlite3_bind_int64 (stmt, 2, from_ms);
  sqlite3_bind_int64 (stmt, 3, to_ms);
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, what);
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gint64
confab_store_analytics_visitors (ConfabStore  *store,
                                 const char   *sites_json,
                                 gint64        from_ms,
                                 gint64        to_ms,
                                 GError      **error)
{
  STORE_HANDOFF (store, analytics_visitors, -1, error, sites_json, from_ms, to_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  /* visitors_site (site_id, last_seen) bounds it: whatever a visitor does (a page, a message)
   * moves their last_seen, so one seen in the range was last seen after its start */
  stmt = store_prepare (store,
    "SELECT count (*) FROM visitors v"
    " WHERE v.site_id IN (" SITES_IN ") AND v.last_seen >= ?2 AND v.first_seen < ?3"
    "   AND (v.first_seen >= ?2 OR v.last_seen < ?3"
    "        OR EXISTS (SELECT 1 FROM page_views p WHERE p.visitor_id = v.id"
    "                   AND p.at >= ?2 AND p.at < ?3)"
    "        OR EXISTS (SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id"
    "                   WHERE c.visitor_id = v.id AND c.created_at < ?3 AND c.last_message_at >= ?2"
    "                   AND m.sender_type = 'visitor' AND m.sender_id = v.id"
    "                   AND m.created_at >= ?2 AND m.created_at < ?3))", error);
  if (stmt == NULL)
    return -1;
  return count_one (store, stmt, sites_json, from_ms, to_ms, "Cannot count the visitors", error);
}

gint64
confab_store_analytics_offline (ConfabStore  *store,
                                const char   *sites_json,
                                gint64        from_ms,
                                gint64        to_ms,
                                GError      **error)
{
  STORE_HANDOFF (store, analytics_offline, -1, error, sites_json, from_ms, to_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store,
    "SELECT count (*) FROM offline_messages"
    " WHERE site_id IN (" SITES_IN ") AND created_at >= ?2 AND created_at < ?3", error);
  if (stmt == NULL)
    return -1;
  return count_one (store, stmt, sites_json, from_ms, to_ms, "Cannot count the offline messages",
                    error);
}

char *
confab_store_analytics_faq_question (ConfabStore *store,
                                     const char  *faq_id)
{
  STORE_HANDOFF (store, analytics_faq_question, NULL, NULL, faq_id);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT question FROM faqs WHERE id = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, faq_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return store_column_dup (stmt, 0);
}
