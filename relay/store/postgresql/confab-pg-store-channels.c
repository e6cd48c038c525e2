/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-channels.c: the PostgreSQL store's channel settings, contacts, seen platform
 * ids, delivery states and outbox (issue 15, Messenger and WhatsApp; the SQLite twin is
 * sqlite/confab-store-channels.c, the tables schema v11). */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-store-channels.h"

/* --- settings ------------------------------------------------------------------------------- */

ConfabChannelSettings *
pg_get_channel_settings (ConfabStore *store,
                         const char  *site_id,
                         const char  *channel,
                         GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  ConfabChannelSettings *settings;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, channel);
  result = pg_exec (store,
                    "SELECT enabled, config, secrets, updated_at FROM channel_settings "
                    "WHERE site_id = $1 AND channel = $2", &params,
                    "Cannot read the channel's settings", error);
  if (result == NULL || !pg_found (result, "channel of the site", channel, error))
    return NULL;

  settings = g_new0 (ConfabChannelSettings, 1);
  settings->site_id = g_strdup (site_id);
  settings->channel = g_strdup (channel);
  settings->enabled = pg_boolean (result, 0, 0);
  settings->config_json = pg_dup (result, 0, 1);
  settings->secrets_json = pg_dup (result, 0, 2);
  settings->updated_at = pg_integer (result, 0, 3);
  return settings;
}

gboolean
pg_put_channel_settings (ConfabStore *store,
                         const char  *site_id,
                         const char  *channel,
                         gboolean     enabled,
                         const char  *config_json,
                         const char  *secrets_json,
                         GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, channel);
  pg_bool (&params, enabled);
  pg_text (&params, config_json);
  pg_text (&params, secrets_json);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO channel_settings (site_id, channel, enabled, config, secrets, "
                     "updated_at) VALUES ($1, $2, $3, $4, $5, $6) "
                     "ON CONFLICT (site_id, channel) DO UPDATE SET enabled = excluded.enabled, "
                     "config = excluded.config, secrets = excluded.secrets, "
                     "updated_at = excluded.updated_at", &params,
                     "Cannot store the channel's settings", error);
  return result != NULL;
}

gboolean
pg_delete_channel_settings (ConfabStore *store,
                            const char  *site_id,
                            const char  *channel,
                            GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, channel);
  result = pg_exec (store, "DELETE FROM channel_settings WHERE site_id = $1 AND channel = $2",
                    &params, "Cannot remove the channel's settings", error);
  return result != NULL && pg_found (result, "channel of the site", channel, error);
}

/* --- contacts ------------------------------------------------------------------------------- */

ConfabVisitor *
pg_find_channel_contact (ConfabStore *store,
                         const char  *site_id,
                         const char  *channel,
                         const char  *external_id,
                         GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, channel);
  pg_text (&params, external_id);
  result = pg_exec (store,
                    "SELECT " PG_VISITOR_COLUMNS " FROM visitors WHERE id = ("
                    "  SELECT visitor_id FROM channel_contacts "
                    "  WHERE site_id = $1 AND channel = $2 AND external_id = $3)", &params,
                    "Cannot look up the sender", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_read_visitor (result, 0);
}

ConfabVisitor *
pg_add_channel_contact (ConfabStore *store,
                        const char  *site_id,
                        const char  *channel,
                        const char  *external_id,
                        const char  *name,
                        GError     **error)
{
  ConfabVisitorInfo info = { .name = name };
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autofree char *token = confab_random_token (32);
  g_autofree char *token_hash = confab_sha256_hex (token);
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  visitor = pg_create_visitor (store, site_id, token_hash, &info, error);
  ok = visitor != NULL;
  if (ok)
    {
      g_autoptr (PGresult) result = NULL;
      PgParams params = { 0 };

      /* the visitor's channel and the contact in one statement */
      pg_text (&params, visitor->id);
      pg_text (&params, channel);
      pg_text (&params, site_id);
      pg_text (&params, external_id);
      result = pg_write (store,
                         "WITH v AS (UPDATE visitors SET channel = $2 WHERE id = $1) "
                         "INSERT INTO channel_contacts (site_id, channel, external_id, visitor_id) "
                         "VALUES ($3, $2, $4, $1)", &params, "Cannot store the sender", error);
      ok = result != NULL;
    }
  if (!ok)
    {
      confab_store_rollback (store);
      return NULL;
    }
  if (!confab_store_commit (store, error))
    return NULL;
  g_free (visitor->channel);
  visitor->channel = g_strdup (channel);
  return g_steal_pointer (&visitor);
}

char *
pg_get_channel_contact_id (ConfabStore *store,
                           const char  *visitor_id,
                           const char  *channel,
                           GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  pg_text (&params, channel);
  result = pg_exec (store,
                    "SELECT external_id FROM channel_contacts WHERE visitor_id = $1 AND channel = $2",
                    &params, "Cannot read the visitor's contact", error);
  if (result == NULL || !pg_found (result, "contact of the visitor", visitor_id, error))
    return NULL;
  return pg_dup (result, 0, 0);
}

/* --- seen ids ------------------------------------------------------------------------------- */

gboolean
pg_mark_channel_seen (ConfabStore *store,
                      const char  *site_id,
                      const char  *channel,
                      const char  *platform_id,
                      gint64       now,
                      GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* a retry breaks the primary key: EXISTS, in a savepoint so the caller's transaction lives */
  pg_text (&params, site_id);
  pg_text (&params, channel);
  pg_text (&params, platform_id);
  pg_int (&params, now);
  result = pg_write (store,
                     "INSERT INTO channel_seen (site_id, channel, platform_id, seen_at) "
                     "VALUES ($1, $2, $3, $4)", &params,
                     "Cannot record the platform's message id", error);
  return result != NULL;
}

gboolean
pg_channel_seen (ConfabStore *store,
                 const char  *site_id,
                 const char  *channel,
                 const char  *platform_id)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, channel);
  pg_text (&params, platform_id);
  result = pg_exec (store,
                    "SELECT 1 FROM channel_seen "
                    "WHERE site_id = $1 AND channel = $2 AND platform_id = $3", &params,
                    "Cannot look up the platform's message id", NULL);
  return result != NULL && PQntuples (result) > 0;
}

gint64
pg_forget_channel_seen (ConfabStore *store,
                        gint64       before_ms,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_int (&params, before_ms);
  result = pg_exec (store, "DELETE FROM channel_seen WHERE seen_at < $1", &params,
                    "Cannot forget old platform message ids", error);
  return result != NULL ? pg_changes (result) : -1;
}

/* --- conversations and messages ------------------------------------------------------------- */

ConfabConversation *
pg_set_conversation_channel (ConfabStore *store,
                             const char  *conversation_id,
                             const char  *channel,
                             gint64       reply_window_ends_at,
                             GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_text (&params, channel);
  if (reply_window_ends_at > 0)
    pg_int (&params, reply_window_ends_at);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "UPDATE conversations SET channel = $2, reply_window_ends_at = $3::bigint "
                    "WHERE id = $1", &params, "Cannot set the conversation's channel", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return NULL;
  return pg_get_conversation (store, conversation_id, error);
}

gboolean
pg_set_message_delivery (ConfabStore *store,
                         const char  *conversation_id,
                         gint64       seq,
                         const char  *status,
                         const char  *error_text,
                         const char  *platform_id,
                         GError     **error)
{
  g_autofree char *what = g_strdup_printf ("%s #%" G_GINT64_FORMAT, conversation_id, seq);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  pg_text (&params, status);
  pg_text (&params, error_text);
  pg_text (&params, platform_id);
  result = pg_exec (store,
                    "UPDATE messages SET delivery_status = $3, delivery_error = $4, "
                    "platform_id = coalesce ($5, platform_id) "
                    "WHERE conversation_id = $1 AND seq = $2", &params,
                    "Cannot store the message's delivery", error);
  return result != NULL && pg_found (result, "message", what, error);
}

gboolean
pg_find_platform_message (ConfabStore *store,
                          const char  *site_id,
                          const char  *platform_id,
                          char       **out_conversation_id,
                          gint64      *out_seq,
                          char       **out_status,
                          GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, platform_id);
  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT m.conversation_id, m.seq, m.delivery_status FROM messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE m.platform_id = $1 AND c.site_id = $2 LIMIT 1", &params,
                    "Cannot look up the platform's message", error);
  if (result == NULL || !pg_found (result, "message with the platform id", platform_id, error))
    return FALSE;
  *out_conversation_id = pg_dup (result, 0, 0);
  *out_seq = pg_integer (result, 0, 1);
  *out_status = pg_dup (result, 0, 2);
  return TRUE;
}

/* --- outbox --------------------------------------------------------------------------------- */

gboolean
pg_add_outbox (ConfabStore *store,
               const char  *conversation_id,
               gint64       seq,
               const char  *site_id,
               const char  *channel,
               const char  *request_json,
               gint64       next_attempt_at,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  pg_text (&params, site_id);
  pg_text (&params, channel);
  pg_text (&params, request_json);
  pg_int (&params, next_attempt_at);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO channel_outbox (conversation_id, seq, site_id, channel, "
                     "request, attempts, next_attempt_at, created_at) "
                     "VALUES ($1, $2, $3, $4, $5, 0, $6, $7)", &params,
                     "Cannot queue the message for its channel", error);
  return result != NULL;
}

GPtrArray *
pg_list_due_outbox (ConfabStore *store,
                    gint64       now,
                    guint        limit,
                    GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *items;
  PgParams params = { 0 };

  pg_int (&params, now);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT conversation_id, seq, site_id, channel, request, attempts, "
                    "next_attempt_at, created_at FROM channel_outbox "
                    "WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, created_at "
                    "LIMIT $2::bigint", &params, "Cannot read the outbox", error);
  if (result == NULL)
    return NULL;

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_outbox_item_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabOutboxItem *item = g_new0 (ConfabOutboxItem, 1);

      item->conversation_id = pg_dup (result, i, 0);
      item->seq = pg_integer (result, i, 1);
      item->site_id = pg_dup (result, i, 2);
      item->channel = pg_dup (result, i, 3);
      item->request_json = pg_dup (result, i, 4);
      item->attempts = pg_integer (result, i, 5);
      item->next_attempt_at = pg_integer (result, i, 6);
      item->created_at = pg_integer (result, i, 7);
      g_ptr_array_add (items, item);
    }
  return items;
}

gint64
pg_next_outbox_at (ConfabStore *store,
                   GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  result = pg_exec (store, "SELECT min (next_attempt_at) FROM channel_outbox", &params,
                    "Cannot read the outbox", error);
  if (result == NULL)
    return -1;
  if (PQgetisnull (result, 0, 0))
    return 0;
  return MAX (1, pg_integer (result, 0, 0));
}

gboolean
pg_retry_outbox (ConfabStore *store,
                 const char  *conversation_id,
                 gint64       seq,
                 gint64       attempts,
                 gint64       next_attempt_at,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  pg_int (&params, attempts);
  pg_int (&params, next_attempt_at);
  result = pg_exec (store,
                    "UPDATE channel_outbox SET attempts = $3, next_attempt_at = $4 "
                    "WHERE conversation_id = $1 AND seq = $2", &params,
                    "Cannot reschedule the message for its channel", error);
  return result != NULL;
}

gboolean
pg_claim_outbox (ConfabStore            *store,
                 const ConfabOutboxItem *item,
                 gint64                  lease_until,
                 gboolean               *out_claimed,
                 GError                **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_claimed = FALSE;
  pg_text (&params, item->conversation_id);
  pg_int (&params, item->seq);
  pg_int (&params, item->next_attempt_at);
  pg_int (&params, lease_until);
  result = pg_exec (store,
                    "UPDATE channel_outbox SET next_attempt_at = $4 "
                    "WHERE conversation_id = $1 AND seq = $2 AND next_attempt_at = $3", &params,
                    "Cannot take a message of the outbox", error);
  if (result == NULL)
    return FALSE;
  *out_claimed = pg_changes (result) == 1;
  return TRUE;
}

gboolean
pg_remove_outbox (ConfabStore *store,
                  const char  *conversation_id,
                  gint64       seq,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  result = pg_exec (store,
                    "DELETE FROM channel_outbox WHERE conversation_id = $1 AND seq = $2",
                    &params, "Cannot remove the message from the outbox", error);
  return result != NULL;
}
