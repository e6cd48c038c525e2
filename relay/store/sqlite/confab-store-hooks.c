/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-hooks.c: the SQLite store's API keys, webhooks and webhook deliveries (see
 * confab-store-hooks.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-hooks.h"

/* --- API keys ---------------------------------------------------------------------------- */

#define API_KEY_COLUMNS "k.id, k.site_id, k.name, k.scopes, k.prefix, k.created_by, u.name, " \
                        "k.created_at, k.last_used_at, k.revoked_at"
#define API_KEY_FROM    " FROM api_keys k LEFT JOIN users u ON u.id = k.created_by "

void
confab_api_key_free (ConfabApiKey *key)
{
  if (key == NULL)
    return;
  g_free (key->id);
  g_free (key->site_id);
  g_free (key->name);
  g_strfreev (key->scopes);
  g_free (key->prefix);
  g_free (key->created_by);
  g_free (key->created_by_name);
  g_free (key);
}

static ConfabApiKey *
read_api_key (sqlite3_stmt *stmt)
{
  ConfabApiKey *key = g_new0 (ConfabApiKey, 1);

  key->id = store_column_dup (stmt, 0);
  key->site_id = store_column_dup (stmt, 1);
  key->name = store_column_dup (stmt, 2);
  key->scopes = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 3));
  key->prefix = store_column_dup (stmt, 4);
  key->created_by = store_column_dup (stmt, 5);
  key->created_by_name = store_column_dup (stmt, 6);
  key->created_at = sqlite3_column_int64 (stmt, 7);
  key->last_used_at = sqlite3_column_int64 (stmt, 8);
  key->revoked_at = sqlite3_column_int64 (stmt, 9);
  return key;
}

ConfabApiKey *
confab_store_create_api_key (ConfabStore         *store,
                             const char          *site_id,
                             const char          *name,
                             const char * const  *scopes,
                             const char          *key_hash,
                             const char          *prefix,
                             const char          *created_by,
                             GError             **error)
{
  STORE_HANDOFF (store, create_api_key, NULL, error, site_id, name, scopes, key_hash, prefix, created_by, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("key_");
  g_autofree char *scopes_json = store_strv_to_json (scopes);

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO api_keys (id, site_id, name, scopes, prefix, key_hash, "
                        "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, name);
  store_bind_text (stmt, 4, scopes_json);
  store_bind_text (stmt, 5, prefix);
  store_bind_text (stmt, 6, key_hash);
  store_bind_text (stmt, 7, created_by);
  sqlite3_bind_int64 (stmt, 8, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot store the API key", error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_api_key (store, id, error);
}

ConfabApiKey *
confab_store_get_api_key (ConfabStore  *store,
                          const char   *key_id,
                          GError      **error)
{
  STORE_HANDOFF (store, get_api_key, NULL, error, key_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " API_KEY_COLUMNS API_KEY_FROM "WHERE k.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, key_id);
  if (!store_step_row (store, stmt, "API key", key_id, error))
    return NULL;
  return read_api_key (stmt);
}

ConfabApiKey *
confab_store_lookup_api_key (ConfabStore  *store,
                             const char   *key_hash,
                             GError      **error)
{
  STORE_HANDOFF (store, lookup_api_key, NULL, error, key_hash, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " API_KEY_COLUMNS API_KEY_FROM
                        "WHERE k.key_hash = ?1 AND k.revoked_at IS NULL", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, key_hash);
  /* the hash in an error message would be no secret, but it is no use either */
  if (!store_step_row (store, stmt, "API key", "(by hash)", error))
    return NULL;
  return read_api_key (stmt);
}

GPtrArray *
confab_store_list_api_keys (ConfabStore  *store,
                            const char   *site_id,
                            GError      **error)
{
  STORE_HANDOFF (store, list_api_keys, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " API_KEY_COLUMNS API_KEY_FROM
                        "WHERE k.site_id = ?1 AND k.revoked_at IS NULL ORDER BY k.created_at, k.id",
                        error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_api_key, (GDestroyNotify) confab_api_key_free,
                         "Cannot list the API keys", error);
}

gboolean
confab_store_revoke_api_key (ConfabStore  *store,
                             const char   *key_id,
                             GError      **error)
{
  STORE_HANDOFF (store, revoke_api_key, FALSE, error, key_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, key_id);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot revoke the API key", error) &&
         store_not_found_if_unchanged (store, "API key", key_id, error);
}

gboolean
confab_store_touch_api_key (ConfabStore  *store,
                            const char   *key_id,
                            gint64        now_ms,
                            GError      **error)
{
  STORE_HANDOFF (store, touch_api_key, FALSE, error, key_id, now_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, key_id);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  return store_step_done (store, stmt, "Cannot note the API key's use", error);
}

/* --- webhooks ---------------------------------------------------------------------------- */

#define WEBHOOK_COLUMNS "id, site_id, url, events, secret, enabled, created_at"

void
confab_webhook_free (ConfabWebhook *webhook)
{
  if (webhook == NULL)
    return;
  g_free (webhook->id);
  g_free (webhook->site_id);
  g_free (webhook->url);
  g_strfreev (webhook->events);
  g_free (webhook->secret);
  g_free (webhook);
}

static ConfabWebhook *
read_webhook (sqlite3_stmt *stmt)
{
  ConfabWebhook *webhook = g_new0 (ConfabWebhook, 1);

  webhook->id = store_column_dup (stmt, 0);
  webhook->site_id = store_column_dup (stmt, 1);
  webhook->url = store_column_dup (stmt, 2);
  webhook->events = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 3));
  webhook->secret = store_column_dup (stmt, 4);
  webhook->enabled = sqlite3_column_int (stmt, 5) != 0;
  webhook->created_at = sqlite3_column_int64 (stmt, 6);
  return webhook;
}

ConfabWebhook *
confab_store_create_webhook (ConfabStore         *store,
                             const char          *site_id,
                             const char          *url,
                             const char * const  *events,
                             const char          *secret,
                             gboolean             enabled,
                             GError             **error)
{
  STORE_HANDOFF (store, create_webhook, NULL, error, site_id, url, events, secret, enabled, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("whk_");
  g_autofree char *events_json = store_strv_to_json (events);

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO webhooks (id, site_id, url, events, secret, enabled, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, url);
  store_bind_text (stmt, 4, events_json);
  store_bind_text (stmt, 5, secret);
  sqlite3_bind_int (stmt, 6, enabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot store the webhook", error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_webhook (store, id, error);
}

ConfabWebhook *
confab_store_get_webhook (ConfabStore  *store,
                          const char   *webhook_id,
                          GError      **error)
{
  STORE_HANDOFF (store, get_webhook, NULL, error, webhook_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, webhook_id);
  if (!store_step_row (store, stmt, "webhook", webhook_id, error))
    return NULL;
  return read_webhook (stmt);
}

GPtrArray *
confab_store_list_webhooks (ConfabStore  *store,
                            const char   *site_id,
                            GError      **error)
{
  STORE_HANDOFF (store, list_webhooks, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE site_id = ?1 "
                        "ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_webhook, (GDestroyNotify) confab_webhook_free,
                         "Cannot list the webhooks", error);
}

ConfabWebhook *
confab_store_update_webhook (ConfabStore         *store,
                             const char          *webhook_id,
                             const char          *url,
                             const char * const  *events,
                             int                  enabled,
                             GError             **error)
{
  STORE_HANDOFF (store, update_webhook, NULL, error, webhook_id, url, events, enabled, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *events_json = events != NULL ? store_strv_to_json (events) : NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE webhooks SET url = coalesce (?2, url), events = coalesce (?3, events), "
                        "enabled = CASE WHEN ?4 < 0 THEN enabled ELSE ?4 END WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, webhook_id);
  store_bind_text (stmt, 2, url);
  store_bind_text (stmt, 3, events_json);
  sqlite3_bind_int (stmt, 4, enabled < 0 ? -1 : enabled != 0);
  if (!store_step_done (store, stmt, "Cannot change the webhook", error) ||
      !store_not_found_if_unchanged (store, "webhook", webhook_id, error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_webhook (store, webhook_id, error);
}

gboolean
confab_store_delete_webhook (ConfabStore  *store,
                             const char   *webhook_id,
                             GError      **error)
{
  STORE_HANDOFF (store, delete_webhook, FALSE, error, webhook_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM webhooks WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, webhook_id);
  return store_step_done (store, stmt, "Cannot delete the webhook", error) &&
         store_not_found_if_unchanged (store, "webhook", webhook_id, error);
}

/* --- deliveries -------------------------------------------------------------------------- */

#define DELIVERY_COLUMNS "id, webhook_id, site_id, event, conversation_id, seq, payload, status, " \
                         "attempts, response_status, error, created_at, next_attempt_at, delivered_at"

static const char * const delivery_statuses[] = { "pending", "delivered", "failed" };

const char *
confab_delivery_status_to_string (ConfabDeliveryStatus status)
{
  g_return_val_if_fail (status <= CONFAB_DELIVERY_FAILED, NULL);
  return delivery_statuses[status];
}

void
confab_delivery_free (ConfabDelivery *delivery)
{
  if (delivery == NULL)
    return;
  g_free (delivery->id);
  g_free (delivery->webhook_id);
  g_free (delivery->site_id);
  g_free (delivery->event);
  g_free (delivery->conversation_id);
  g_free (delivery->payload);
  g_free (delivery->error);
  g_free (delivery);
}

static ConfabDelivery *
read_delivery (sqlite3_stmt *stmt)
{
  ConfabDelivery *delivery = g_new0 (ConfabDelivery, 1);
  const char *status = (const char *) sqlite3_column_text (stmt, 7);

  delivery->id = store_column_dup (stmt, 0);
  delivery->webhook_id = store_column_dup (stmt, 1);
  delivery->site_id = store_column_dup (stmt, 2);
  delivery->event = store_column_dup (stmt, 3);
  delivery->conversation_id = store_column_dup (stmt, 4);
  delivery->seq = sqlite3_column_int64 (stmt, 5);
  delivery->payload = store_column_dup (stmt, 6);
  for (guint i = 0; i < G_N_ELEMENTS (delivery_statuses); i++)
    if (g_strcmp0 (status, delivery_statuses[i]) == 0)
      delivery->status = i;
  delivery->attempts = sqlite3_column_int64 (stmt, 8);
  delivery->response_status = sqlite3_column_int64 (stmt, 9);
  delivery->error = store_column_dup (stmt, 10);
  delivery->created_at = sqlite3_column_int64 (stmt, 11);
  delivery->next_attempt_at = sqlite3_column_int64 (stmt, 12);
  delivery->delivered_at = sqlite3_column_int64 (stmt, 13);
  return delivery;
}

GPtrArray *
confab_store_list_due_deliveries (ConfabStore  *store,
                                  gint64        now_ms,
                                  guint         limit,
                                  GError      **error)
{
  STORE_HANDOFF (store, list_due_deliveries, NULL, error, now_ms, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* webhook_deliveries_due: only the pending rows are in that index */
  stmt = store_prepare (store,
                        "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries "
                        "WHERE status = 'pending' AND next_attempt_at <= ?1 "
                        "ORDER BY next_attempt_at, rowid LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now_ms);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer) read_delivery, (GDestroyNotify) confab_delivery_free,
                         "Cannot read the due webhook deliveries", error);
}

gint64
confab_store_next_delivery_at (ConfabStore  *store,
                               GError      **error)
{
  STORE_HANDOFF (store, next_delivery_at, -1, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, 0);

  stmt = store_prepare (store,
                        "SELECT min (next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'",
                        error);
  if (stmt == NULL)
    return -1;
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the next webhook delivery");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

GPtrArray *
confab_store_list_deliveries (ConfabStore  *store,
                              const char   *webhook_id,
                              guint         limit,
                              GError      **error)
{
  STORE_HANDOFF (store, list_deliveries, NULL, error, webhook_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries WHERE webhook_id = ?1 "
                        "ORDER BY created_at DESC, rowid DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, webhook_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer) read_delivery, (GDestroyNotify) confab_delivery_free,
                         "Cannot list the webhook's deliveries", error);
}

gboolean
confab_store_claim_delivery (ConfabStore  *store,
                             const char   *delivery_id,
                             gint64        due_at,
                             gint64        lease_until,
                             GError      **error)
{
  STORE_HANDOFF (store, claim_delivery, FALSE, error, delivery_id, due_at, lease_until, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "UPDATE webhook_deliveries SET next_attempt_at = ?3 "
                        "WHERE id = ?1 AND status = 'pending' AND next_attempt_at = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, delivery_id);
  sqlite3_bind_int64 (stmt, 2, due_at);
  sqlite3_bind_int64 (stmt, 3, lease_until);
  if (!store_step_done (store, stmt, "Cannot take the webhook delivery", error))
    return FALSE;
  return sqlite3_changes (store->db) > 0;
}

gboolean
confab_store_set_delivery_payload (ConfabStore  *store,
                                   const char   *delivery_id,
                                   const char   *payload,
                                   GError      **error)
{
  STORE_HANDOFF (store, set_delivery_payload, FALSE, error, delivery_id, payload, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE webhook_deliveries SET payload = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, delivery_id);
  store_bind_text (stmt, 2, payload);
  return store_step_done (store, stmt, "Cannot store the webhook's payload", error) &&
         store_not_found_if_unchanged (store, "delivery", delivery_id, error);
}

gboolean
confab_store_record_attempt (ConfabStore          *store,
                             const char           *delivery_id,
                             ConfabDeliveryStatus  status,
                             gint64                response_status,
                             const char           *error_text,
                             gint64                next_attempt_at,
                             gint64                delivered_at,
                             GError              **error)
{
  STORE_HANDOFF (store, record_attempt, FALSE, error, delivery_id, status, response_status, error_text, next_attempt_at, delivered_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1, "
                        "response_status = ?3, error = ?4, next_attempt_at = ?5, delivered_at = ?6 "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, delivery_id);
  store_bind_text (stmt, 2, confab_delivery_status_to_string (status));
  if (response_status > 0)
    sqlite3_bind_int64 (stmt, 3, response_status);
  store_bind_text (stmt, 4, error_text);
  if (next_attempt_at > 0)
    sqlite3_bind_int64 (stmt, 5, next_attempt_at);
  if (delivered_at > 0)
    sqlite3_bind_int64 (stmt, 6, delivered_at);
  return store_step_done (store, stmt, "Cannot record the webhook delivery", error) &&
         store_not_found_if_unchanged (store, "delivery", delivery_id, error);
}

gint64
confab_store_purge_deliveries (ConfabStore  *store,
                               gint64        before_ms,
                               GError      **error)
{
  STORE_HANDOFF (store, purge_deliveries, -1, error, before_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store,
                        "DELETE FROM webhook_deliveries WHERE created_at < ?1 AND status <> 'pending'",
                        error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (!store_step_done (store, stmt, "Cannot forget old webhook deliveries", error))
    return -1;
  return sqlite3_changes (store->db);
}

/* --- contacts ----------------------------------------------------------------------------- */

ConfabVisitor *
confab_store_set_visitor_contact (ConfabStore  *store,
                                  const char   *visitor_id,
                                  gboolean      set_name,
                                  const char   *name,
                                  gboolean      set_email,
                                  const char   *email,
                                  GError      **error)
{
  STORE_HANDOFF (store, set_visitor_contact, NULL, error, visitor_id, set_name, name, set_email, email, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE visitors SET name = CASE WHEN ?2 THEN ?3 ELSE name END, "
                        "email = CASE WHEN ?4 THEN ?5 ELSE email END WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int (stmt, 2, set_name ? 1 : 0);
  store_bind_text (stmt, 3, name);
  sqlite3_bind_int (stmt, 4, set_email ? 1 : 0);
  store_bind_text (stmt, 5, email);
  if (!store_step_done (store, stmt, "Cannot change the visitor", error) ||
      !store_not_found_if_unchanged (store, "visitor", visitor_id, error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_visitor (store, visitor_id, error);
}
