/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-channels.c: the SQLite store's channel settings, contacts, seen platform ids,
 * delivery states and outbox (see confab-store-channels.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-channels.h"

void
confab_channel_settings_free (ConfabChannelSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->site_id);
  g_free (settings->channel);
  g_free (settings->config_json);
  g_free (settings->secrets_json);
  g_free (settings);
}

void
confab_outbox_item_free (ConfabOutboxItem *item)
{
  if (item == NULL)
    return;
  g_free (item->conversation_id);
  g_free (item->site_id);
  g_free (item->channel);
  g_free (item->request_json);
  g_free (item);
}

/* --- settings ------------------------------------------------------------------------------- */

ConfabChannelSettings *
confab_store_get_channel_settings (ConfabStore *store,
                                   const char  *site_id,
                                   const char  *channel,
                                   GError     **error)
{
  STORE_HANDOFF (store, get_channel_settings, NULL, error, site_id, channel, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  ConfabChannelSettings *settings;

  stmt = store_prepare (store,
                        "SELECT enabled, config, secrets, updated_at FROM channel_settings "
                        "WHERE site_id = ?1 AND channel = ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  if (!store_step_row (store, stmt, "channel of the site", channel, error))
    return NULL;

  settings = g_new0 (ConfabChannelSettings, 1);
  settings->site_id = g_strdup (site_id);
  settings->channel = g_strdup (channel);
  settings->enabled = sqlite3_column_int (stmt, 0) != 0;
  settings->config_json = store_column_dup (stmt, 1);
  settings->secrets_json = store_column_dup (stmt, 2);
  settings->updated_at = sqlite3_column_int64 (stmt, 3);
  return settings;
}

gboolean
confab_store_put_channel_settings (ConfabStore *store,
                                   const char  *site_id,
                                   const char  *channel,
                                   gboolean     enabled,
                                   const char  *config_json,
                                   const char  *secrets_json,
                                   GError     **error)
{
  STORE_HANDOFF (store, put_channel_settings, FALSE, error, site_id, channel, enabled,
                 config_json, secrets_json, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO channel_settings (site_id, channel, enabled, config, secrets, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                        "ON CONFLICT (site_id, channel) DO UPDATE SET enabled = excluded.enabled, "
                        "config = excluded.config, secrets = excluded.secrets, "
                        "updated_at = excluded.updated_at", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  sqlite3_bind_int (stmt, 3, enabled ? 1 : 0);
  store_bind_text (stmt, 4, config_json);
  store_bind_text (stmt, 5, secrets_json);
  sqlite3_bind_int64 (stmt, 6, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot store the channel's settings", error);
}

gboolean
confab_store_delete_channel_settings (ConfabStore *store,
                                      const char  *site_id,
                                      const char  *channel,
                                      GError     **error)
{
  STORE_HANDOFF (store, delete_channel_settings, FALSE, error, site_id, channel, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "DELETE FROM channel_settings WHERE site_id = ?1 AND channel = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  return store_step_done (store, stmt, "Cannot remove the channel's settings", error) &&
         store_not_found_if_unchanged (store, "channel of the site", channel, error);
}

/* --- contacts ------------------------------------------------------------------------------- */

ConfabVisitor *
confab_store_find_channel_contact (ConfabStore *store,
                                   const char  *site_id,
                                   const char  *channel,
                                   const char  *external_id,
                                   GError     **error)
{
  STORE_HANDOFF (store, find_channel_contact, NULL, error, site_id, channel, external_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *visitor_id = NULL;
  int rc;

  stmt = store_prepare (store,
                        "SELECT visitor_id FROM channel_contacts "
                        "WHERE site_id = ?1 AND channel = ?2 AND external_id = ?3", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  store_bind_text (stmt, 3, external_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot look up the sender");
      return NULL;
    }
  visitor_id = store_column_dup (stmt, 0);
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_visitor (store, visitor_id, error);
}

ConfabVisitor *
confab_store_add_channel_contact (ConfabStore *store,
                                  const char  *site_id,
                                  const char  *channel,
                                  const char  *external_id,
                                  const char  *name,
                                  GError     **error)
{
  STORE_HANDOFF (store, add_channel_contact, NULL, error, site_id, channel, external_id, name,
                 error);

  ConfabVisitorInfo info = { .name = name };
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autofree char *token = confab_random_token (32);
  g_autofree char *token_hash = confab_sha256_hex (token);

  if (!confab_store_begin (store, error))
    return NULL;
  visitor = confab_store_create_visitor (store, site_id, token_hash, &info, error);
  if (visitor == NULL)
    goto failed;

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                                 "UPDATE visitors SET channel = ?2 WHERE id = ?1",
                                                 error);
    if (stmt == NULL)
      goto failed;
    store_bind_text (stmt, 1, visitor->id);
    store_bind_text (stmt, 2, channel);
    if (!store_step_done (store, stmt, "Cannot set the visitor's channel", error))
      goto failed;
  }
  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                                 "INSERT INTO channel_contacts (site_id, channel, "
                                                 "external_id, visitor_id) VALUES (?1, ?2, ?3, ?4)",
                                                 error);
    if (stmt == NULL)
      goto failed;
    store_bind_text (stmt, 1, site_id);
    store_bind_text (stmt, 2, channel);
    store_bind_text (stmt, 3, external_id);
    store_bind_text (stmt, 4, visitor->id);
    if (!store_step_done (store, stmt, "Cannot store the sender", error))
      goto failed;
  }
  if (!confab_store_commit (store, error))
    return NULL;
  g_free (visitor->channel);
  visitor->channel = g_strdup (channel);
  return g_steal_pointer (&visitor);

failed:
  confab_store_rollback (store);
  return NULL;
}

char *
confab_store_get_channel_contact_id (ConfabStore *store,
                                     const char  *visitor_id,
                                     const char  *channel,
                                     GError     **error)
{
  STORE_HANDOFF (store, get_channel_contact_id, NULL, error, visitor_id, channel, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT external_id FROM channel_contacts "
                        "WHERE visitor_id = ?1 AND channel = ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  store_bind_text (stmt, 2, channel);
  if (!store_step_row (store, stmt, "contact of the visitor", visitor_id, error))
    return NULL;
  return store_column_dup (stmt, 0);
}

/* --- seen ids ------------------------------------------------------------------------------- */

gboolean
confab_store_mark_channel_seen (ConfabStore *store,
                                const char  *site_id,
                                const char  *channel,
                                const char  *platform_id,
                                gint64       now,
                                GError     **error)
{
  STORE_HANDOFF (store, mark_channel_seen, FALSE, error, site_id, channel, platform_id, now, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store,
                        "INSERT INTO channel_seen (site_id, channel, platform_id, seen_at) "
                        "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  store_bind_text (stmt, 3, platform_id);
  sqlite3_bind_int64 (stmt, 4, now);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  store_set_sqlite_error (store, error, rc, "Cannot record the platform's message id");
  return FALSE;
}

gboolean
confab_store_channel_seen (ConfabStore *store,
                           const char  *site_id,
                           const char  *channel,
                           const char  *platform_id)
{
  STORE_HANDOFF (store, channel_seen, FALSE, NULL, site_id, channel, platform_id);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT 1 FROM channel_seen "
                        "WHERE site_id = ?1 AND channel = ?2 AND platform_id = ?3", NULL);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, channel);
  store_bind_text (stmt, 3, platform_id);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

gint64
confab_store_forget_channel_seen (ConfabStore *store,
                                  gint64       before_ms,
                                  GError     **error)
{
  STORE_HANDOFF (store, forget_channel_seen, -1, error, before_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "DELETE FROM channel_seen WHERE seen_at < ?1", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (!store_step_done (store, stmt, "Cannot forget old platform message ids", error))
    return -1;
  return sqlite3_changes (store->db);
}

/* --- conversations and messages ------------------------------------------------------------- */

ConfabConversation *
confab_store_set_conversation_channel (ConfabStore *store,
                                       const char  *conversation_id,
                                       const char  *channel,
                                       gint64       reply_window_ends_at,
                                       GError     **error)
{
  STORE_HANDOFF (store, set_conversation_channel, NULL, error, conversation_id, channel,
                 reply_window_ends_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "UPDATE conversations SET channel = ?2, reply_window_ends_at = ?3 "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, channel);
  if (reply_window_ends_at > 0)
    sqlite3_bind_int64 (stmt, 3, reply_window_ends_at);
  else
    sqlite3_bind_null (stmt, 3);
  if (!store_step_done (store, stmt, "Cannot set the conversation's channel", error) ||
      !store_not_found_if_unchanged (store, "conversation", conversation_id, error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_conversation (store, conversation_id, error);
}

gboolean
confab_store_set_message_delivery (ConfabStore *store,
                                   const char  *conversation_id,
                                   gint64       seq,
                                   const char  *status,
                                   const char  *error_text,
                                   const char  *platform_id,
                                   GError     **error)
{
  STORE_HANDOFF (store, set_message_delivery, FALSE, error, conversation_id, seq, status,
                 error_text, platform_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *what = g_strdup_printf ("%s #%" G_GINT64_FORMAT, conversation_id, seq);

  stmt = store_prepare (store,
                        "UPDATE messages SET delivery_status = ?3, delivery_error = ?4, "
                        "platform_id = coalesce (?5, platform_id) "
                        "WHERE conversation_id = ?1 AND seq = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  store_bind_text (stmt, 3, status);
  store_bind_text (stmt, 4, error_text);
  store_bind_text (stmt, 5, platform_id);
  return store_step_done (store, stmt, "Cannot store the message's delivery", error) &&
         store_not_found_if_unchanged (store, "message", what, error);
}

gboolean
confab_store_find_platform_message (ConfabStore *store,
                                    const char  *site_id,
                                    const char  *platform_id,
                                    char       **out_conversation_id,
                                    gint64      *out_seq,
                                    char       **out_status,
                                    GError     **error)
{
  STORE_HANDOFF (store, find_platform_message, FALSE, error, site_id, platform_id,
                 out_conversation_id, out_seq, out_status, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT m.conversation_id, m.seq, m.delivery_status FROM messages m "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE m.platform_id = ?1 AND c.site_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, platform_id);
  store_bind_text (stmt, 2, site_id);
  if (!store_step_row (store, stmt, "message with the platform id", platform_id, error))
    return FALSE;
  *out_conversation_id = store_column_dup (stmt, 0);
  *out_seq = sqlite3_column_int64 (stmt, 1);
  *out_status = store_column_dup (stmt, 2);
  return TRUE;
}

/* --- outbox --------------------------------------------------------------------------------- */

gboolean
confab_store_add_outbox (ConfabStore *store,
                         const char  *conversation_id,
                         gint64       seq,
                         const char  *site_id,
                         const char  *channel,
                         const char  *request_json,
                         gint64       next_attempt_at,
                         GError     **error)
{
  STORE_HANDOFF (store, add_outbox, FALSE, error, conversation_id, seq, site_id, channel,
                 request_json, next_attempt_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO channel_outbox (conversation_id, seq, site_id, channel, "
                        "request, attempts, next_attempt_at, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  store_bind_text (stmt, 3, site_id);
  store_bind_text (stmt, 4, channel);
  store_bind_text (stmt, 5, request_json);
  sqlite3_bind_int64 (stmt, 6, next_attempt_at);
  sqlite3_bind_int64 (stmt, 7, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot queue the message for its channel", error);
}

static gpointer
read_outbox_item (sqlite3_stmt *stmt)
{
  ConfabOutboxItem *item = g_new0 (ConfabOutboxItem, 1);

  item->conversation_id = store_column_dup (stmt, 0);
  item->seq = sqlite3_column_int64 (stmt, 1);
  item->site_id = store_column_dup (stmt, 2);
  item->channel = store_column_dup (stmt, 3);
  item->request_json = store_column_dup (stmt, 4);
  item->attempts = sqlite3_column_int64 (stmt, 5);
  item->next_attempt_at = sqlite3_column_int64 (stmt, 6);
  item->created_at = sqlite3_column_int64 (stmt, 7);
  return item;
}

GPtrArray *
confab_store_list_due_outbox (ConfabStore *store,
                              gint64       now,
                              guint        limit,
                              GError     **error)
{
  STORE_HANDOFF (store, list_due_outbox, NULL, error, now, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT conversation_id, seq, site_id, channel, request, attempts, "
                        "next_attempt_at, created_at FROM channel_outbox "
                        "WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at LIMIT ?2",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  return store_read_all (store, stmt, read_outbox_item,
                         (GDestroyNotify) confab_outbox_item_free, "Cannot read the outbox", error);
}

gint64
confab_store_next_outbox_at (ConfabStore *store,
                             GError     **error)
{
  STORE_HANDOFF (store, next_outbox_at, -1, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store, "SELECT min (next_attempt_at) FROM channel_outbox", error);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the outbox");
      return -1;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return 0;
  return MAX (1, sqlite3_column_int64 (stmt, 0));
}

gboolean
confab_store_retry_outbox (ConfabStore *store,
                           const char  *conversation_id,
                           gint64       seq,
                           gint64       attempts,
                           gint64       next_attempt_at,
                           GError     **error)
{
  STORE_HANDOFF (store, retry_outbox, FALSE, error, conversation_id, seq, attempts,
                 next_attempt_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "UPDATE channel_outbox SET attempts = ?3, next_attempt_at = ?4 "
                        "WHERE conversation_id = ?1 AND seq = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_int64 (stmt, 3, attempts);
  sqlite3_bind_int64 (stmt, 4, next_attempt_at);
  return store_step_done (store, stmt, "Cannot reschedule the message for its channel", error);
}

gboolean
confab_store_claim_outbox (ConfabStore            *store,
                           const ConfabOutboxItem *item,
                           gint64                  lease_until,
                           gboolean               *out_claimed,
                           GError                **error)
{
  STORE_HANDOFF (store, claim_outbox, FALSE, error, item, lease_until, out_claimed, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  *out_claimed = FALSE;
  stmt = store_prepare (store,
                        "UPDATE channel_outbox SET next_attempt_at = ?4 "
                        "WHERE conversation_id = ?1 AND seq = ?2 AND next_attempt_at = ?3", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, item->conversation_id);
  sqlite3_bind_int64 (stmt, 2, item->seq);
  sqlite3_bind_int64 (stmt, 3, item->next_attempt_at);
  sqlite3_bind_int64 (stmt, 4, lease_until);
  if (!store_step_done (store, stmt, "Cannot take a message of the outbox", error))
    return FALSE;
  *out_claimed = sqlite3_changes (store->db) == 1;
  return TRUE;
}

gboolean
confab_store_remove_outbox (ConfabStore *store,
                            const char  *conversation_id,
                            gint64       seq,
                            GError     **error)
{
  STORE_HANDOFF (store, remove_outbox, FALSE, error, conversation_id, seq, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "DELETE FROM channel_outbox WHERE conversation_id = ?1 AND seq = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  return store_step_done (store, stmt, "Cannot remove the message from the outbox", error);
}
