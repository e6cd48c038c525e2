/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-chat.c: the PostgreSQL store's chat path — visitors and their journey,
 * conversations, messages and the event log agents resume from (the SQLite twins are in
 * sqlite/confab-store-visitors.c and -conversations.c).
 *
 * Cursors come from confab_next_cursor () (a sequence taken under a transaction-level advisory
 * lock: relay/store/README.md, "Cursors and seq"), so cursor order is commit order across
 * relays. A message's seq is its conversation's last_seq + 1, taken by the UPDATE of that row,
 * which holds the row until the transaction ends: gap-free per conversation. Lock order: the
 * conversation's row before the cursor lock, on every path.
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

/* The ids of visitor $1 and of every visitor of its chain (see linked_to). */
#define LINKED_VISITORS \
  "SELECT v.id FROM visitors v, " \
  "  (SELECT coalesce (linked_to, id) AS root FROM visitors WHERE id = $1) chain " \
  "  WHERE v.id = chain.root OR v.linked_to = chain.root"

#define VISITOR_COLUMNS PG_VISITOR_COLUMNS

/* --- visitors ------------------------------------------------------------------------------- */

ConfabVisitor *
pg_read_visitor (PGresult *result,
              int       row)
{
  ConfabVisitor *visitor = g_new0 (ConfabVisitor, 1);

  visitor->id = pg_dup (result, row, 0);
  visitor->site_id = pg_dup (result, row, 1);
  visitor->token_hash = pg_dup (result, row, 2);
  visitor->name = pg_dup (result, row, 3);
  visitor->email = pg_dup (result, row, 4);
  visitor->locale = pg_dup (result, row, 5);
  visitor->timezone = pg_dup (result, row, 6);
  visitor->browser = pg_dup (result, row, 7);
  visitor->os = pg_dup (result, row, 8);
  visitor->country = pg_dup (result, row, 9);
  visitor->city = pg_dup (result, row, 10);
  visitor->fingerprint = pg_dup (result, row, 11);
  visitor->first_seen = pg_integer (result, row, 12);
  visitor->last_seen = pg_integer (result, row, 13);
  visitor->visits = pg_integer (result, row, 14);
  visitor->country_name = pg_dup (result, row, 15);
  visitor->geo_timezone = pg_dup (result, row, 16);
  visitor->browser_version = pg_dup (result, row, 17);
  visitor->os_version = pg_dup (result, row, 18);
  visitor->device_type = pg_dup (result, row, 19);
  visitor->linked_to = pg_dup (result, row, 20);
  visitor->channel = pg_dup (result, row, 21);
  return visitor;
}

/* The nine info fields, in ConfabVisitorInfo order. */
static void
add_visitor_info (PgParams                *params,
                  const ConfabVisitorInfo *info)
{
  static const ConfabVisitorInfo empty = { NULL, };

  if (info == NULL)
    info = &empty;
  pg_text (params, info->locale);
  pg_text (params, info->timezone);
  pg_text (params, info->browser);
  pg_text (params, info->os);
  pg_text (params, info->country);
  pg_text (params, info->city);
  pg_text (params, info->fingerprint);
  pg_text (params, info->name);
  pg_text (params, info->email);
}

ConfabVisitor *
pg_create_visitor (ConfabStore             *store,
                   const char              *site_id,
                   const char              *token_hash,
                   const ConfabVisitorInfo *info,
                   GError                 **error)
{
  g_autofree char *id = confab_new_id ("vis_");
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (token_hash != NULL, NULL);

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, token_hash);
  add_visitor_info (&params, info);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO visitors (id, site_id, token_hash, locale, timezone, "
                     "browser, os, country, city, fingerprint, name, email, first_seen, "
                     "last_seen, visits) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1) "
                     "RETURNING " VISITOR_COLUMNS, &params,
                     "Cannot create the visitor (does the site exist?)", error);
  if (result == NULL)
    return NULL;
  return pg_read_visitor (result, 0);
}

ConfabVisitor *
pg_get_visitor (ConfabStore *store,
                const char  *visitor_id,
                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  result = pg_exec (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE id = $1", &params,
                    "Cannot read the visitor", error);
  if (result == NULL || !pg_found (result, "visitor", visitor_id, error))
    return NULL;
  return pg_read_visitor (result, 0);
}

ConfabVisitor *
pg_get_visitor_by_token (ConfabStore *store,
                         const char  *token_hash,
                         GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, token_hash);
  result = pg_exec (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE token_hash = $1 LIMIT 1",
                    &params, "Cannot look up the visitor", error);
  if (result == NULL)
    return NULL;
  /* never the token's hash in an error */
  if (PQntuples (result) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No visitor with this token");
      return NULL;
    }
  return pg_read_visitor (result, 0);
}

ConfabVisitor *
pg_touch_visitor (ConfabStore             *store,
                  const char              *visitor_id,
                  const ConfabVisitorInfo *info,
                  gboolean                 new_visit,
                  GError                 **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  add_visitor_info (&params, info);
  pg_int (&params, confab_now_ms ());
  pg_int (&params, new_visit ? 1 : 0);
  result = pg_exec (store,
                    "UPDATE visitors SET locale = coalesce ($2, locale), "
                    "timezone = coalesce ($3, timezone), browser = coalesce ($4, browser), "
                    "os = coalesce ($5, os), country = coalesce ($6, country), "
                    "city = coalesce ($7, city), fingerprint = coalesce ($8, fingerprint), "
                    "name = coalesce ($9, name), email = coalesce ($10, email), "
                    "last_seen = greatest (last_seen, $11), visits = visits + $12 WHERE id = $1 "
                    "RETURNING " VISITOR_COLUMNS, &params, "Cannot update the visitor", error);
  if (result == NULL || !pg_found (result, "visitor", visitor_id, error))
    return NULL;
  return pg_read_visitor (result, 0);
}

gboolean
pg_close_page_views (ConfabStore *store,
                     const char  *visitor_id,
                     gint64       at,
                     GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* greatest (): a page is never left before it was opened, even if clocks disagree */
  pg_text (&params, visitor_id);
  pg_int (&params, at);
  result = pg_exec (store,
                    "UPDATE page_views SET left_at = greatest (at, $2) "
                    "WHERE visitor_id = $1 AND left_at IS NULL", &params,
                    "Cannot close the page view", error);
  return result != NULL;
}

gboolean
pg_add_page_view (ConfabStore *store,
                  const char  *visitor_id,
                  const char  *url,
                  const char  *title,
                  gint64       at,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  gboolean ok;

  g_return_val_if_fail (url != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = pg_close_page_views (store, visitor_id, at, error);
  if (ok)
    {
      pg_text (&params, visitor_id);
      pg_text (&params, url);
      pg_text (&params, title);
      pg_int (&params, at);
      result = pg_exec (store,
                        "INSERT INTO page_views (visitor_id, url, title, at) "
                        "VALUES ($1, $2, $3, $4)", &params,
                        "Cannot record the page view (does the visitor exist?)", error);
      ok = result != NULL;
    }
  return pg_finish (store, ok, error);
}

GPtrArray *
pg_list_page_views (ConfabStore *store,
                    const char  *visitor_id,
                    guint        limit,
                    GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *views;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL); /* LIMIT NULL: no limit */
  result = pg_exec (store,
                    "SELECT url, title, at, left_at FROM ("
                    "  SELECT id, url, title, at, left_at FROM page_views "
                    "  WHERE visitor_id IN (" LINKED_VISITORS ") "
                    "  ORDER BY at DESC, id DESC LIMIT $2::bigint"
                    ") recent ORDER BY at, id", &params, "Cannot list the page views", error);
  if (result == NULL)
    return NULL;

  views = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_page_view_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabPageView *view = g_new0 (ConfabPageView, 1);

      view->url = pg_dup (result, i, 0);
      view->title = pg_dup (result, i, 1);
      view->at = pg_integer (result, i, 2);
      view->left_at = pg_integer (result, i, 3); /* NULL reads as 0: still there */
      g_ptr_array_add (views, view);
    }
  return views;
}

/* Appends an event and deletes the earlier ones of the same kind it supersedes (@prune_sql,
 * $1 = @key, $2 = the new cursor). */
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
  g_autoptr (PGresult) insert = NULL;
  g_autoptr (PGresult) prune = NULL;
  PgParams params = { 0 };
  gint64 cursor = 0;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return 0;

  pg_text (&params, site_id);
  pg_text (&params, kind);
  pg_text (&params, conversation_id);
  pg_text (&params, visitor_id);
  pg_text (&params, payload_json);
  pg_int (&params, confab_now_ms ());
  insert = pg_exec (store,
                    "INSERT INTO events (cursor, site_id, kind, conversation_id, visitor_id, "
                    "payload, created_at) VALUES (confab_next_cursor (), $1, $2, $3, $4, $5, $6) "
                    "RETURNING cursor", &params, "Cannot log the event (does the site exist?)",
                    error);
  ok = insert != NULL;
  if (ok)
    {
      PgParams prune_params = { 0 };

      cursor = pg_integer (insert, 0, 0);
      pg_text (&prune_params, key);
      pg_int (&prune_params, cursor);
      prune = pg_exec (store, prune_sql, &prune_params, "Cannot prune the superseded events", error);
      ok = prune != NULL;
    }

  if (!pg_finish (store, ok, error))
    return 0;
  return cursor;
}

gint64
pg_add_visitor_event (ConfabStore *store,
                      const char  *site_id,
                      const char  *visitor_id,
                      const char  *payload_json,
                      GError     **error)
{
  g_return_val_if_fail (visitor_id != NULL, 0);

  return add_superseding_event (store, site_id, CONFAB_EVENT_VISITOR, NULL, visitor_id,
                                payload_json,
                                "DELETE FROM events WHERE visitor_id = $1 AND kind = '"
                                CONFAB_EVENT_VISITOR "' AND cursor < $2", visitor_id, error);
}

gint64
pg_add_rating_event (ConfabStore *store,
                     const char  *site_id,
                     const char  *conversation_id,
                     const char  *payload_json,
                     GError     **error)
{
  g_return_val_if_fail (conversation_id != NULL, 0);

  return add_superseding_event (store, site_id, CONFAB_EVENT_RATING, conversation_id, NULL,
                                payload_json,
                                "DELETE FROM events WHERE kind = '" CONFAB_EVENT_RATING "' "
                                "AND conversation_id = $1 AND cursor < $2", conversation_id, error);
}

gboolean
pg_set_visitor_consent (ConfabStore *store,
                        const char  *visitor_id,
                        gint64       at,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  pg_int (&params, at);
  result = pg_exec (store, "UPDATE visitors SET consent_at = $2 WHERE id = $1", &params,
                    "Cannot record the visitor's consent", error);
  return result != NULL && pg_found (result, "visitor", visitor_id, error);
}

gint64
pg_get_visitor_consent (ConfabStore *store,
                        const char  *visitor_id,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  result = pg_exec (store, "SELECT coalesce (consent_at, 0) FROM visitors WHERE id = $1", &params,
                    "Cannot read the visitor's consent", error);
  if (result == NULL || !pg_found (result, "visitor", visitor_id, error))
    return -1;
  return pg_integer (result, 0, 0);
}

gboolean
pg_set_visitor_context (ConfabStore                *store,
                        const char                 *visitor_id,
                        const ConfabVisitorContext *context,
                        GError                    **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (context != NULL, FALSE);

  if (!context->geo_known && !context->device_known && context->ip_hash == NULL)
    return TRUE;

  pg_text (&params, visitor_id);
  pg_bool (&params, context->geo_known);
  pg_text (&params, context->country);
  pg_text (&params, context->country_name);
  pg_text (&params, context->city);
  pg_text (&params, context->geo_timezone);
  pg_bool (&params, context->device_known);
  pg_text (&params, context->browser);
  pg_text (&params, context->browser_version);
  pg_text (&params, context->os);
  pg_text (&params, context->os_version);
  pg_text (&params, context->device_type);
  pg_text (&params, context->ip_hash);
  result = pg_exec (store,
                    "UPDATE visitors SET "
                    "country = CASE WHEN $2::boolean THEN $3 ELSE country END, "
                    "country_name = CASE WHEN $2::boolean THEN $4 ELSE country_name END, "
                    "city = CASE WHEN $2::boolean THEN $5 ELSE city END, "
                    "geo_timezone = CASE WHEN $2::boolean THEN $6 ELSE geo_timezone END, "
                    "browser = CASE WHEN $7::boolean THEN $8 ELSE browser END, "
                    "browser_version = CASE WHEN $7::boolean THEN $9 ELSE browser_version END, "
                    "os = CASE WHEN $7::boolean THEN $10 ELSE os END, "
                    "os_version = CASE WHEN $7::boolean THEN $11 ELSE os_version END, "
                    "device_type = CASE WHEN $7::boolean THEN $12 ELSE device_type END, "
                    "ip_hash = coalesce ($13, ip_hash) "
                    "WHERE id = $1", &params, "Cannot update the visitor", error);
  return result != NULL && pg_found (result, "visitor", visitor_id, error);
}

ConfabVisitor *
pg_find_visitor_by_fingerprint (ConfabStore *store,
                                const char  *site_id,
                                const char  *fingerprint,
                                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  if (fingerprint == NULL)
    return NULL;

  pg_text (&params, site_id);
  pg_text (&params, fingerprint);
  result = pg_exec (store,
                    "SELECT " VISITOR_COLUMNS " FROM visitors "
                    "WHERE site_id = $1 AND fingerprint = $2 "
                    "ORDER BY last_seen DESC, first_seen DESC, id DESC LIMIT 1", &params,
                    "Cannot look up the visitor by fingerprint", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_read_visitor (result, 0);
}

ConfabVisitor *
pg_link_visitor (ConfabStore *store,
                 const char  *visitor_id,
                 const char  *previous_id,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* the same-site condition makes a cross-site link impossible whatever the caller passes */
  pg_text (&params, visitor_id);
  pg_text (&params, previous_id);
  result = pg_exec (store,
                    "UPDATE visitors v SET linked_to = coalesce (p.linked_to, p.id), "
                    "first_seen = least (v.first_seen, p.first_seen), visits = p.visits + 1 "
                    "FROM visitors p WHERE p.id = $2 AND v.id = $1 AND v.id <> $2 "
                    "AND v.site_id = p.site_id "
                    "RETURNING v.id, v.site_id, v.token_hash, v.name, v.email, v.locale, "
                    "v.timezone, v.browser, v.os, v.country, v.city, v.fingerprint, v.first_seen, "
                    "v.last_seen, v.visits, v.country_name, v.geo_timezone, v.browser_version, "
                    "v.os_version, v.device_type, v.linked_to, v.channel", &params,
                    "Cannot link the visitor", error);
  if (result == NULL || !pg_found (result, "visitor", visitor_id, error))
    return NULL;
  return pg_read_visitor (result, 0);
}

/* --- conversations -------------------------------------------------------------------------- */

#define CONVERSATION_COLUMNS \
  "id, site_id, visitor_id, status, assignee_id, created_at, last_message_at, " \
  "last_seq, agent_read_seq, visitor_read_seq, unread, first_agent_reply_at, channel, " \
  "reply_window_ends_at, target_kind, target_due_at, target_state"

/* CONVERSATION_COLUMNS from column @first on */
static ConfabConversation *
read_conversation_at (PGresult *result,
                      int       row,
                      int       first)
{
  ConfabConversation *conversation = g_new0 (ConfabConversation, 1);

  conversation->id = pg_dup (result, row, first + 0);
  conversation->site_id = pg_dup (result, row, first + 1);
  conversation->visitor_id = pg_dup (result, row, first + 2);
  if (!confab_status_from_string (PQgetvalue (result, row, first + 3), &conversation->status))
    conversation->status = CONFAB_STATUS_OPEN;
  conversation->assignee_id = pg_dup (result, row, first + 4);
  conversation->created_at = pg_integer (result, row, first + 5);
  conversation->last_message_at = pg_integer (result, row, first + 6);
  conversation->last_seq = pg_integer (result, row, first + 7);
  conversation->agent_read_seq = pg_integer (result, row, first + 8);
  conversation->visitor_read_seq = pg_integer (result, row, first + 9);
  conversation->unread = pg_integer (result, row, first + 10);
  conversation->first_agent_reply_at = pg_integer (result, row, first + 11);
  conversation->channel = pg_dup (result, row, first + 12);
  conversation->reply_window_ends_at = pg_integer (result, row, first + 13);
  conversation->target_kind = confab_target_kind_from_string (PQgetisnull (result, row, first + 14)
                                                              ? NULL : PQgetvalue (result, row, first + 14));
  conversation->target_due_at = pg_integer (result, row, first + 15);
  conversation->target_state = confab_target_state_from_string (PQgetisnull (result, row, first + 16)
                                                                ? NULL : PQgetvalue (result, row, first + 16));
  return conversation;
}

static ConfabConversation *
read_conversation (PGresult *result,
                   int       row)
{
  return read_conversation_at (result, row, 0);
}

static GPtrArray *
read_conversations (PGresult *result)
{
  GPtrArray *conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_conversation_free);

  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (conversations, read_conversation (result, i));
  return conversations;
}

ConfabConversation *
pg_get_conversation (ConfabStore *store,
                     const char  *conversation_id,
                     GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  result = pg_exec (store, "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE id = $1",
                    &params, "Cannot read the conversation", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return NULL;
  return read_conversation (result, 0);
}

ConfabConversation *
pg_get_current_conversation (ConfabStore *store,
                             const char  *visitor_id,
                             GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  result = pg_exec (store,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations "
                    "WHERE visitor_id = $1 AND status <> 'closed' "
                    "ORDER BY created_at DESC, id DESC LIMIT 1", &params,
                    "Cannot look up the visitor's conversation", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return read_conversation (result, 0);
}

GPtrArray *
pg_list_conversations (ConfabStore                    *store,
                       const char                     *site_id,
                       const ConfabConversationStatus *status,
                       gint64                          before_ms,
                       guint                           limit,
                       GError                        **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, status != NULL ? confab_status_to_string (*status) : NULL);
  pg_int (&params, before_ms);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations "
                    "WHERE site_id = $1 AND ($2::text IS NULL OR status = $2) "
                    "AND ($3::bigint <= 0 OR last_message_at < $3) "
                    "ORDER BY last_message_at DESC, id DESC LIMIT $4::bigint", &params,
                    "Cannot list the conversations", error);
  if (result == NULL)
    return NULL;
  return read_conversations (result);
}

GPtrArray *
pg_list_visitor_conversations (ConfabStore *store,
                               const char  *visitor_id,
                               guint        limit,
                               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT " CONVERSATION_COLUMNS " FROM conversations "
                    "WHERE visitor_id IN (" LINKED_VISITORS ") "
                    "ORDER BY created_at DESC, id DESC LIMIT $2::bigint", &params,
                    "Cannot list the visitor's conversations", error);
  if (result == NULL)
    return NULL;
  return read_conversations (result);
}

ConfabConversation *
pg_set_status (ConfabStore              *store,
               const char               *conversation_id,
               ConfabConversationStatus  status,
               GError                  **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (confab_status_to_string (status) != NULL, NULL);

  /* a response-time target stops with the conversation (the outcome as in
   * confab-pg-store-targets.c's end_target (): missed when its time had come), in this one
   * statement */
  pg_text (&params, conversation_id);
  pg_text (&params, confab_status_to_string (status));
  pg_bool (&params, status == CONFAB_STATUS_RESOLVED || status == CONFAB_STATUS_CLOSED);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "WITH h AS (UPDATE response_targets SET ended_at = $4, outcome = "
                    "  CASE WHEN outcome = 'missed' OR due_at <= $4 THEN 'missed' ELSE 'stopped' END "
                    "  WHERE $3::boolean AND conversation_id = $1 AND ended_at IS NULL) "
                    "UPDATE conversations SET status = $2, "
                    "target_kind = CASE WHEN $3::boolean THEN NULL ELSE target_kind END, "
                    "target_due_at = CASE WHEN $3::boolean THEN NULL ELSE target_due_at END, "
                    "target_state = CASE WHEN $3::boolean THEN NULL ELSE target_state END, "
                    "target_next_at = CASE WHEN $3::boolean THEN NULL ELSE target_next_at END "
                    "WHERE id = $1 RETURNING " CONVERSATION_COLUMNS, &params,
                    "Cannot change the conversation's status", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return NULL;
  return read_conversation (result, 0);
}

ConfabConversation *
pg_set_assignee (ConfabStore *store,
                 const char  *conversation_id,
                 const char  *assignee_id,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_text (&params, assignee_id);
  result = pg_write (store,
                     "UPDATE conversations SET assignee_id = $2 WHERE id = $1 "
                     "RETURNING " CONVERSATION_COLUMNS, &params,
                     "Cannot assign the conversation (does the user exist?)", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return NULL;
  return read_conversation (result, 0);
}

ConfabConversation *
pg_mark_read (ConfabStore      *store,
              const char       *conversation_id,
              ConfabSenderType  reader,
              gint64            seq,
              GError          **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (reader == CONFAB_SENDER_VISITOR || reader == CONFAB_SENDER_AGENT, NULL);

  /* Clamped to last_seq, and the unread count redone from the messages after the new mark
   * (the right-hand sides see the row as it was), as the SQLite store does. */
  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  if (reader == CONFAB_SENDER_AGENT)
    result = pg_exec (store,
                      "UPDATE conversations c SET "
                      "agent_read_seq = greatest (agent_read_seq, least ($2, last_seq)), "
                      "unread = (SELECT count (*) FROM messages m "
                      "  WHERE m.conversation_id = c.id "
                      "  AND m.seq > greatest (c.agent_read_seq, least ($2, c.last_seq)) "
                      "  AND m.sender_type = 'visitor') "
                      "WHERE id = $1 RETURNING " CONVERSATION_COLUMNS, &params,
                      "Cannot mark the conversation as read", error);
  else
    result = pg_exec (store,
                      "UPDATE conversations SET visitor_read_seq = "
                      "greatest (visitor_read_seq, least ($2, last_seq)) WHERE id = $1 "
                      "RETURNING " CONVERSATION_COLUMNS, &params,
                      "Cannot mark the conversation as read", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return NULL;
  return read_conversation (result, 0);
}

static ConfabConversation *
create_conversation (ConfabStore *store,
                     const char  *site_id,
                     const char  *visitor_id,
                     gint64       now,
                     GError     **error)
{
  g_autofree char *id = confab_new_id ("conv_");
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  pg_int (&params, now);
  result = pg_write (store,
                     "INSERT INTO conversations (id, site_id, visitor_id, created_at, "
                     "last_message_at) VALUES ($1, $2, $3, $4, $4) "
                     "RETURNING " CONVERSATION_COLUMNS, &params,
                     "Cannot create the conversation", error);
  if (result == NULL)
    return NULL;
  return read_conversation (result, 0);
}

ConfabConversation *
pg_create_conversation (ConfabStore *store,
                        const char  *site_id,
                        const char  *visitor_id,
                        GError     **error)
{
  g_autoptr (ConfabVisitor) visitor = pg_get_visitor (store, visitor_id, error);

  if (visitor == NULL)
    return NULL;
  if (g_strcmp0 (visitor->site_id, site_id) != 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No visitor “%s” on site “%s”", visitor_id, site_id);
      return NULL;
    }
  return create_conversation (store, site_id, visitor_id, confab_now_ms (), error);
}

/* --- messages ------------------------------------------------------------------------------- */

#define MESSAGE_COLUMNS "m.conversation_id, m.seq, m.cursor, m.client_id, m.sender_type, " \
                        "m.sender_id, m.sender_name, m.body, m.attachment_id, m.created_at, " \
                        "m.delivery_status, m.delivery_error, m.assistant, " \
                        MESSAGE_VOTE

/* As the SQLite store's: the visitor's vote on a bot's answer, by its seq or its FAQ. */
#define MESSAGE_VOTE "CASE WHEN m.sender_type = 'bot' THEN coalesce (" \
                     "(SELECT e.helpful <> 0 FROM assistant_events e WHERE e.conversation_id = m.conversation_id " \
                     " AND e.seq = m.seq AND e.kind = 'vote'), " \
                     "(SELECT f.helpful FROM faq_feedback f WHERE f.conversation_id = m.conversation_id " \
                     " AND f.faq_id = m.sender_id)) END"

static ConfabMessage *
with_attachment (ConfabStore   *store,
                 ConfabMessage *message)
{
  if (message != NULL && message->attachment_id != NULL && message->attachment == NULL)
    message->attachment = pg_get_upload (store, message->attachment_id, NULL);
  return message;
}

static ConfabMessage *
read_message (PGresult *result,
              int       row,
              int       first)
{
  ConfabMessage *message = g_new0 (ConfabMessage, 1);

  message->conversation_id = pg_dup (result, row, first + 0);
  message->seq = pg_integer (result, row, first + 1);
  message->cursor = pg_integer (result, row, first + 2);
  message->client_id = pg_dup (result, row, first + 3);
  message->sender_type = pg_sender_from_string (PQgetvalue (result, row, first + 4));
  message->sender_id = pg_dup (result, row, first + 5);
  message->sender_name = pg_dup (result, row, first + 6);
  message->body = pg_dup (result, row, first + 7);
  message->attachment_id = pg_dup (result, row, first + 8);
  message->created_at = pg_integer (result, row, first + 9);
  message->delivery_status = pg_dup (result, row, first + 10);
  message->delivery_error = pg_dup (result, row, first + 11);
  message->assistant_json = pg_dup (result, row, first + 12);
  if (!PQgetisnull (result, row, first + 13))
    message->vote = pg_boolean (result, row, first + 13) ? 1 : -1;
  return message;
}

/* The message this sender already stored under @client_id, or NULL (error unset) if none. */
static ConfabMessage *
find_by_client_id (ConfabStore              *store,
                   const ConfabMessageDraft *draft,
                   GError                  **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, confab_sender_to_string (draft->sender_type));
  pg_text (&params, draft->client_id);
  if (draft->sender_id != NULL)
    {
      pg_text (&params, draft->sender_id);
      result = pg_exec (store,
                        "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.sender_type = $1 "
                        "AND m.client_id = $2 AND m.sender_id = $3", &params,
                        "Cannot look up the message's client id", error);
    }
  else
    result = pg_exec (store,
                      "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.sender_type = $1 "
                      "AND m.client_id = $2 AND m.sender_id IS NULL", &params,
                      "Cannot look up the message's client id", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return with_attachment (store, read_message (result, 0, 0));
}

/* The conversation @draft goes to, created or reopened as confab-store.h describes. */
static ConfabConversation *
resolve_conversation (ConfabStore              *store,
                      const ConfabMessageDraft *draft,
                      gint64                    now,
                      gboolean                 *changed,
                      GError                  **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  gboolean reopen;

  if (draft->conversation_id != NULL)
    {
      conversation = pg_get_conversation (store, draft->conversation_id, error);
      if (conversation == NULL)
        return NULL;
      /* a visitor writing into a resolved conversation has a follow-up question */
      reopen = draft->sender_type == CONFAB_SENDER_VISITOR;
    }
  else
    {
      g_autoptr (PGresult) result = NULL;
      PgParams params = { 0 };

      if (draft->site_id == NULL || draft->visitor_id == NULL)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "A message needs a conversation id, or a site id and a visitor id");
          return NULL;
        }
      /* the visitor's site and current conversation in one round trip */
      pg_text (&params, draft->visitor_id);
      result = pg_exec (store,
                        "SELECT v.site_id, c.* FROM visitors v LEFT JOIN LATERAL ("
                        "  SELECT " CONVERSATION_COLUMNS " FROM conversations "
                        "  WHERE visitor_id = v.id AND status <> 'closed' "
                        "  ORDER BY created_at DESC, id DESC LIMIT 1) c ON true WHERE v.id = $1",
                        &params, "Cannot look up the visitor's conversation", error);
      if (result == NULL || !pg_found (result, "visitor", draft->visitor_id, error))
        return NULL;
      if (g_strcmp0 (PQgetvalue (result, 0, 0), draft->site_id) != 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "No visitor “%s” on site “%s”", draft->visitor_id, draft->site_id);
          return NULL;
        }
      if (!PQgetisnull (result, 0, 1))
        conversation = read_conversation_at (result, 0, 1);
      if (conversation == NULL)
        {
          *changed = TRUE;
          return create_conversation (store, draft->site_id, draft->visitor_id, now, error);
        }
      reopen = TRUE;
    }

  if (reopen && conversation->status == CONFAB_STATUS_RESOLVED)
    {
      g_autoptr (ConfabConversation) reopened = NULL;

      reopened = pg_set_status (store, conversation->id, CONFAB_STATUS_OPEN, error);
      if (reopened == NULL)
        return NULL;
      *changed = TRUE;
      return g_steal_pointer (&reopened);
    }

  return g_steal_pointer (&conversation);
}

/* What confab_store_append_message () writes, in one statement (one round trip): the
 * conversation's row first (its next seq; the UPDATE locks the row), then the event with its
 * cursor (confab_next_cursor (), the cursor lock: the INSERT reads the UPDATE's row, so it
 * runs after it), then the message. */
static ConfabMessage *
append_new_message (ConfabStore              *store,
                    const ConfabMessageDraft *draft,
                    ConfabConversation       *conversation,
                    gint64                    now,
                    char                    **out_target_settings,
                    GError                  **error)
{
  g_autoptr (PGresult) result = NULL;
  ConfabMessage *message;
  PgParams params = { 0 };
  gint64 seq, cursor;

  /* greatest (): the list is ordered by last activity, which must not go back if the clock
   * does. The first agent message is noted on the conversation. */
  pg_text (&params, conversation->id);
  pg_int (&params, now);
  pg_int (&params, draft->sender_type == CONFAB_SENDER_VISITOR ? 1 : 0);
  pg_bool (&params, draft->sender_type == CONFAB_SENDER_AGENT && !draft->automated);
  pg_text (&params, draft->client_id);
  pg_text (&params, confab_sender_to_string (draft->sender_type));
  pg_text (&params, draft->sender_id);
  pg_text (&params, draft->sender_name);
  pg_text (&params, draft->body);
  pg_text (&params, draft->attachment_id);
  pg_text (&params, draft->assistant_json);
  result = pg_exec (store,
                    "WITH c AS (UPDATE conversations SET last_seq = last_seq + 1, "
                    "  last_message_at = greatest (last_message_at, $2), unread = unread + $3, "
                    "  first_agent_reply_at = coalesce (first_agent_reply_at, "
                    "                                   CASE WHEN $4::boolean THEN $2::bigint END) "
                    "  WHERE id = $1 RETURNING id, site_id, last_seq, last_message_at, unread, "
                    "  first_agent_reply_at, target_kind), "
                    "e AS (INSERT INTO events (cursor, site_id, kind, conversation_id, seq, "
                    "  created_at) SELECT confab_next_cursor (), c.site_id, "
                    "  '" CONFAB_EVENT_MESSAGE "', c.id, c.last_seq, $2 FROM c "
                    "  RETURNING cursor, seq), "
                    "m AS (INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                    "  sender_type, sender_id, sender_name, body, attachment_id, created_at, assistant) "
                    "  SELECT $1, e.seq, e.cursor, $5, $6, $7, $8, $9, $10, $2, $11 FROM e "
                    "  RETURNING cursor) "
                    "SELECT c.last_seq, c.last_message_at, c.unread, c.first_agent_reply_at, "
                    "m.cursor, "
                    /* what a response-time target that may start now needs, in this round
                     * trip (confab-pg-store-targets.c) */
                    "CASE WHEN $6 = 'visitor' AND c.target_kind IS NULL THEN "
                    "  (SELECT s.settings FROM sites s WHERE s.id = c.site_id) END "
                    "FROM c, m", &params, "Cannot store the message", error);
  if (result == NULL || !pg_found (result, "conversation", conversation->id, error))
    return NULL;
  seq = pg_integer (result, 0, 0);
  cursor = pg_integer (result, 0, 4);

  conversation->last_seq = seq;
  conversation->last_message_at = pg_integer (result, 0, 1);
  conversation->unread = pg_integer (result, 0, 2);
  conversation->first_agent_reply_at = pg_integer (result, 0, 3);
  *out_target_settings = pg_dup (result, 0, 5);

  message = g_new0 (ConfabMessage, 1);
  message->conversation_id = g_strdup (conversation->id);
  message->seq = seq;
  message->cursor = cursor;
  message->client_id = g_strdup (draft->client_id);
  message->sender_type = draft->sender_type;
  message->sender_id = g_strdup (draft->sender_id);
  message->sender_name = g_strdup (draft->sender_name);
  message->body = g_strdup (draft->body);
  message->attachment_id = g_strdup (draft->attachment_id);
  message->assistant_json = g_strdup (draft->assistant_json);
  message->created_at = now;
  return with_attachment (store, message);
}

/* One attempt, in a transaction level of its own. */
static gboolean
append_once (ConfabStore               *store,
             const ConfabMessageDraft  *draft,
             gint64                     now,
             ConfabMessage            **out_message,
             ConfabConversation       **out_conversation,
             gboolean                  *out_changed,
             ConfabAppendResult        *out_result,
             GError                   **error)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!confab_store_begin (store, error))
    return FALSE;

  *out_result = CONFAB_APPEND_NEW;
  *out_changed = FALSE;
  if (draft->client_id != NULL)
    message = find_by_client_id (store, draft, &local_error);

  if (message != NULL)
    {
      if (g_strcmp0 (message->body, draft->body) != 0 ||
          g_strcmp0 (message->attachment_id, draft->attachment_id) != 0)
        g_set_error (&local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                     "Client id “%s” was already used for another message", draft->client_id);
      else
        {
          *out_result = CONFAB_APPEND_DUPLICATE;
          conversation = pg_get_conversation (store, message->conversation_id, &local_error);
        }
    }
  else if (local_error == NULL)
    {
      conversation = resolve_conversation (store, draft, now, out_changed, &local_error);
      g_autofree char *target_settings = NULL;

      if (conversation != NULL)
        message = append_new_message (store, draft, conversation, now, &target_settings,
                                      &local_error);
      /* a target starts or ends with it: agents are told of the conversation */
      if (message != NULL &&
          !pg_targets_on_message (store, conversation,
                                  draft->automated ? CONFAB_SENDER_BOT : draft->sender_type,
                                  target_settings, now, out_changed, &local_error))
        g_clear_pointer (&message, confab_message_free);
    }

  if (!pg_finish (store, local_error == NULL, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *out_message = g_steal_pointer (&message);
  *out_conversation = g_steal_pointer (&conversation);
  return TRUE;
}

gboolean
pg_append_message (ConfabStore               *store,
                   const ConfabMessageDraft  *draft,
                   ConfabMessage            **out_message,
                   ConfabConversation       **out_conversation,
                   gboolean                  *out_conversation_changed,
                   ConfabAppendResult        *out_result,
                   GError                   **error)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabAppendResult result = CONFAB_APPEND_NEW;
  gboolean changed = FALSE;
  gint64 now = confab_now_ms ();

  g_return_val_if_fail (draft != NULL, FALSE);
  g_return_val_if_fail (confab_sender_to_string (draft->sender_type) != NULL, FALSE);

  if (draft->body == NULL && draft->attachment_id == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "A message needs a body or an attachment");
      return FALSE;
    }

  /* Another relay may store the same client id between our lookup and our insert (a visitor
   * who resent it there after a reconnection): the unique key refuses ours, and a second
   * attempt finds theirs and answers DUPLICATE, or CONFLICT, as for a resend to this relay. */
  if (!append_once (store, draft, now, &message, &conversation, &changed, &result, &local_error))
    {
      if (draft->client_id == NULL ||
          !g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
      if (!append_once (store, draft, now, &message, &conversation, &changed, &result, error))
        return FALSE;
    }

  if (out_message != NULL)
    *out_message = g_steal_pointer (&message);
  if (out_conversation != NULL)
    *out_conversation = g_steal_pointer (&conversation);
  if (out_conversation_changed != NULL)
    *out_conversation_changed = changed;
  if (out_result != NULL)
    *out_result = result;
  return TRUE;
}

/* confab_store_append_batch (): one statement per message, all of them with BEGIN and COMMIT
 * in one flight (pg_exec_flight ()), where pg_append_message () costs three to four round
 * trips each. The statement writes only in the common case (confab-store-batch.h) and returns
 * no row otherwise, instead of failing: a failure would abort the whole flight. The writes are
 * append_new_message ()'s, in its order (the conversation's row, then the cursor, then the
 * message). */
/* A visitor's message that would start a response-time target (none running, and the site or
 * the conversation's team has one: confab-pg-store-targets.c) is not the common case: the main
 * loop's path stores it with its target. */
#define BATCH_HAS_TARGETS \
  "(EXISTS (SELECT 1 FROM sites s WHERE s.id = $3 AND s.settings <> '{}' AND " \
  "   (coalesce ((s.settings::jsonb ->> 'first_response_seconds')::bigint, 0) > 0 OR " \
  "    coalesce ((s.settings::jsonb ->> 'next_response_seconds')::bigint, 0) > 0)) OR " \
  " EXISTS (SELECT 1 FROM teams t WHERE t.id = conversations.team_id AND " \
  "   (coalesce (t.first_response_seconds, 0) > 0 OR coalesce (t.next_response_seconds, 0) > 0)))"
#define BATCH_SQL \
  "WITH cur AS (SELECT id FROM conversations WHERE visitor_id = $1 AND status <> 'closed' " \
  "  ORDER BY created_at DESC, id DESC LIMIT 1), " \
  "c AS (UPDATE conversations SET last_seq = last_seq + 1, " \
  "  last_message_at = greatest (last_message_at, $2), unread = unread + 1 " \
  "  WHERE id = (SELECT id FROM cur) AND site_id = $3 AND status IN ('open', 'pending') " \
  "  AND NOT EXISTS (SELECT 1 FROM messages WHERE sender_type = 'visitor' AND sender_id = $1 " \
  "                  AND client_id = $4) " \
  "  AND (target_kind IS NOT NULL OR NOT " BATCH_HAS_TARGETS ") " \
  "  RETURNING " CONVERSATION_COLUMNS "), " \
  "e AS (INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at) " \
  "  SELECT confab_next_cursor (), c.site_id, '" CONFAB_EVENT_MESSAGE "', c.id, c.last_seq, $2 " \
  "  FROM c RETURNING cursor, seq), " \
  "m AS (INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, " \
  "  sender_name, body, attachment_id, created_at) " \
  "  SELECT c.id, e.seq, e.cursor, $4, 'visitor', $1, $5, $6, NULL, $2 FROM c, e " \
  "  RETURNING cursor) " \
  "SELECT c.*, m.cursor FROM c, m"
#define BATCH_CURSOR_COLUMN 17  /* after the CONVERSATION_COLUMNS */
/* The cursor lock (confab_next_cursor ()'s) first, before any conversation's row: a flight
 * that took its first message's row, then the cursor, then its second message's row could
 * deadlock with another relay's flight taking the same two rows the other way round
 * (README.md, "Lock order"). The lock is held until the COMMIT anyway; taking it one statement
 * earlier costs that statement's execution. */
#define BATCH_LOCK_SQL "SELECT pg_advisory_xact_lock (4354146723873989493)"

gboolean
pg_append_batch (ConfabStore     *store,
                 ConfabBatchItem *items,
                 guint            n_items,
                 GError         **error)
{
  /* [0] the cursor lock, then one statement per message */
  g_autofree const char **sql = g_new0 (const char *, n_items + 1);
  g_autofree PgParams *params = g_new0 (PgParams, n_items + 1);
  g_autofree PGresult **results = g_new0 (PGresult *, n_items + 1);
  gint64 now = confab_now_ms ();

  sql[0] = BATCH_LOCK_SQL;
  for (guint i = 0; i < n_items; i++)
    {
      PgParams *p = &params[i + 1];

      items[i].outcome = CONFAB_BATCH_NOT_STORED;
      items[i].message = NULL;
      items[i].conversation = NULL;
      sql[i + 1] = BATCH_SQL;
      pg_text (p, items[i].visitor_id);
      pg_int (p, now);
      pg_text (p, items[i].site_id);
      pg_text (p, items[i].client_id);
      pg_text (p, items[i].sender_name);
      pg_text (p, items[i].body);
    }
  if (n_items == 0)
    return TRUE;
  if (!pg_exec_flight (store, sql, params, n_items + 1, results, "Cannot store the messages",
                       error))
    return FALSE;
  PQclear (results[0]);

  for (guint i = 0; i < n_items; i++)
    {
      ConfabBatchItem *item = &items[i];
      PGresult *row = results[i + 1];
      ConfabMessage *message;

      if (PQntuples (row) == 1)
        {
          item->conversation = read_conversation_at (row, 0, 0);
          message = g_new0 (ConfabMessage, 1);
          message->conversation_id = g_strdup (item->conversation->id);
          message->seq = item->conversation->last_seq;
          message->cursor = pg_integer (row, 0, BATCH_CURSOR_COLUMN);
          message->client_id = g_strdup (item->client_id);
          message->sender_type = CONFAB_SENDER_VISITOR;
          message->sender_id = g_strdup (item->visitor_id);
          message->sender_name = g_strdup (item->sender_name);
          message->body = g_strdup (item->body);
          message->created_at = now;
          item->message = message;
          item->outcome = CONFAB_BATCH_STORED;
        }
      PQclear (row);
    }
  return TRUE;
}

ConfabMessage *
pg_find_message (ConfabStore      *store,
                 ConfabSenderType  sender_type,
                 const char       *sender_id,
                 const char       *client_id,
                 GError          **error)
{
  ConfabMessageDraft draft = { 0 };

  g_return_val_if_fail (client_id != NULL, NULL);

  draft.sender_type = sender_type;
  draft.sender_id = sender_id;
  draft.client_id = client_id;
  return find_by_client_id (store, &draft, error);
}

GPtrArray *
pg_list_messages (ConfabStore *store,
                  const char  *conversation_id,
                  gint64       after_seq,
                  guint        limit,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, after_seq);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT " MESSAGE_COLUMNS " FROM messages m "
                    "WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3::bigint",
                    &params, "Cannot list the messages", error);
  if (result == NULL)
    return NULL;

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_message_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (messages, with_attachment (store, read_message (result, i, 0)));

  /* nothing after @after_seq: tell an up-to-date client from a conversation that is not there */
  if (messages->len == 0)
    {
      g_autoptr (ConfabConversation) conversation = pg_get_conversation (store, conversation_id,
                                                                         error);
      if (conversation == NULL)
        return NULL;
    }
  return g_steal_pointer (&messages);
}

/* --- events --------------------------------------------------------------------------------- */

gint64
pg_add_event (ConfabStore *store,
              const char  *site_id,
              const char  *kind,
              const char  *conversation_id,
              const char  *payload_json,
              GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (kind != NULL, 0);
  /* message events are written by append_message, with their message */
  g_return_val_if_fail (strcmp (kind, CONFAB_EVENT_MESSAGE) != 0, 0);

  pg_text (&params, site_id);
  pg_text (&params, kind);
  pg_text (&params, conversation_id);
  pg_text (&params, payload_json);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO events (cursor, site_id, kind, conversation_id, payload, "
                     "created_at) VALUES (confab_next_cursor (), $1, $2, $3, $4, $5) "
                     "RETURNING cursor", &params, "Cannot log the event (does the site exist?)",
                     error);
  if (result == NULL)
    return 0;
  return pg_integer (result, 0, 0);
}

/* A text[] literal of @strv: {"a","b"}, quotes and backslashes escaped. */
static char *
text_array (const char * const *strv)
{
  GString *out = g_string_new ("{");

  for (guint i = 0; strv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '"');
      for (const char *c = strv[i]; *c != '\0'; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *c);
        }
      g_string_append_c (out, '"');
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

GPtrArray *
pg_list_events (ConfabStore        *store,
                const char * const *site_ids,
                gint64              after_cursor,
                guint               limit,
                GError            **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *sites = NULL;
  PgParams params = { 0 };

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_event_free);
  if (site_ids == NULL || site_ids[0] == NULL)
    return g_steal_pointer (&events);

  /* Any cursor a reader sees here was committed in cursor order (confab_next_cursor ()):
   * nothing smaller can still appear after it. */
  sites = text_array (site_ids);
  pg_text (&params, sites);
  pg_int (&params, after_cursor);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT e.cursor, e.site_id, e.kind, e.payload, e.created_at, "
                    "m.conversation_id IS NOT NULL, " MESSAGE_COLUMNS " "
                    "FROM events e LEFT JOIN messages m ON m.cursor = e.cursor "
                    "WHERE e.site_id = ANY ($1::text[]) AND e.cursor > $2 "
                    "ORDER BY e.cursor LIMIT $3::bigint", &params, "Cannot list the events", error);
  if (result == NULL)
    return NULL;

  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabEvent *event = g_new0 (ConfabEvent, 1);

      event->cursor = pg_integer (result, i, 0);
      event->site_id = pg_dup (result, i, 1);
      event->kind = pg_dup (result, i, 2);
      event->payload_json = pg_dup (result, i, 3);
      event->created_at = pg_integer (result, i, 4);
      if (pg_boolean (result, i, 5))
        event->message = with_attachment (store, read_message (result, i, 6));
      g_ptr_array_add (events, event);
    }
  return g_steal_pointer (&events);
}

/* The newest committed cursor, not the sequence's last value: a cursor taken by a transaction
 * still in flight must not be handed to a client to resume after. */
gint64
pg_last_cursor (ConfabStore *store)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = pg_exec (store, "SELECT coalesce (max (cursor), 0) FROM events", NULL,
                    "Cannot read the last cursor", &error);
  if (result == NULL)
    {
      g_warning ("%s", error->message);
      return 0;
    }
  return pg_integer (result, 0, 0);
}

GPtrArray *
pg_list_timeline (ConfabStore *store,
                  const char  *conversation_id,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *events;
  PgParams params = { 0 };

  /* kind as a literal: the partial index events_timeline serves it */
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT cursor, site_id, payload, created_at FROM events "
                    "WHERE kind = 'timeline' AND conversation_id = $1 ORDER BY cursor", &params,
                    "Cannot read the conversation's timeline", error);
  if (result == NULL)
    return NULL;

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_event_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabEvent *event = g_new0 (ConfabEvent, 1);

      event->cursor = pg_integer (result, i, 0);
      event->site_id = pg_dup (result, i, 1);
      event->kind = g_strdup (CONFAB_EVENT_TIMELINE);
      event->payload_json = pg_dup (result, i, 2);
      event->created_at = pg_integer (result, i, 3);
      g_ptr_array_add (events, event);
    }
  return events;
}

/* --- uploads (the rows; the files are the next step) ---------------------------------------- */

#define UPLOAD_COLUMNS "id, site_id, conversation_id, visitor_id, user_id, sha256, mime, " \
                       "width, height, size, thumb_width, thumb_height, thumb_size, created_at, " \
                       "kind, name"

ConfabUpload *
pg_get_upload (ConfabStore *store,
               const char  *upload_id,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  ConfabUpload *upload;
  PgParams params = { 0 };

  pg_text (&params, upload_id);
  result = pg_exec (store, "SELECT " UPLOAD_COLUMNS " FROM uploads WHERE id = $1", &params,
                    "Cannot read the upload", error);
  if (result == NULL || !pg_found (result, "upload", upload_id, error))
    return NULL;

  upload = g_new0 (ConfabUpload, 1);
  upload->id = pg_dup (result, 0, 0);
  upload->site_id = pg_dup (result, 0, 1);
  upload->conversation_id = pg_dup (result, 0, 2);
  upload->visitor_id = pg_dup (result, 0, 3);
  upload->user_id = pg_dup (result, 0, 4);
  upload->sha256 = pg_dup (result, 0, 5);
  upload->mime = pg_dup (result, 0, 6);
  upload->width = pg_integer (result, 0, 7);
  upload->height = pg_integer (result, 0, 8);
  upload->size = pg_integer (result, 0, 9);
  upload->thumb_width = pg_integer (result, 0, 10);
  upload->thumb_height = pg_integer (result, 0, 11);
  upload->thumb_size = pg_integer (result, 0, 12);
  upload->created_at = pg_integer (result, 0, 13);
  upload->kind = pg_dup (result, 0, 14);
  upload->name = pg_dup (result, 0, 15);
  return upload;
}
