/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-hooks.c: the PostgreSQL store's API keys, webhooks and webhook deliveries
 * (the SQLite twins are in sqlite/confab-store-hooks.c; the deliveries themselves are made by
 * the schema's triggers, confab-pg-schema.c v7). */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-pg-store-hooks.h"

static char **
strv_from_json (const char *text)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (JsonNode) root = text != NULL ? json_from_string (text, NULL) : NULL;

  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (node));
        }
    }
  return g_strv_builder_end (builder);
}

static char *
strv_to_json (const char * const *strv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* A number, or SQL NULL for 0. */
static void
pg_int_or_null (PgParams *params,
                gint64    value)
{
  if (value > 0)
    pg_int (params, value);
  else
    pg_text (params, NULL);
}

/* --- API keys ------------------------------------------------------------------------------- */

#define API_KEY_SELECT "SELECT k.id, k.site_id, k.name, k.scopes, k.prefix, k.created_by, u.name, " \
                       "k.created_at, k.last_used_at, k.revoked_at FROM api_keys k " \
                       "LEFT JOIN users u ON u.id = k.created_by "

static ConfabApiKey *
read_api_key (PGresult *result,
              int       row)
{
  ConfabApiKey *key = g_new0 (ConfabApiKey, 1);

  key->id = pg_dup (result, row, 0);
  key->site_id = pg_dup (result, row, 1);
  key->name = pg_dup (result, row, 2);
  key->scopes = strv_from_json (PQgetvalue (result, row, 3));
  key->prefix = pg_dup (result, row, 4);
  key->created_by = pg_dup (result, row, 5);
  key->created_by_name = pg_dup (result, row, 6);
  key->created_at = pg_integer (result, row, 7);
  key->last_used_at = pg_integer (result, row, 8);
  key->revoked_at = pg_integer (result, row, 9);
  return key;
}

ConfabApiKey *
pg_create_api_key (ConfabStore         *store,
                   const char          *site_id,
                   const char          *name,
                   const char * const  *scopes,
                   const char          *key_hash,
                   const char          *prefix,
                   const char          *created_by,
                   GError             **error)
{
  g_autofree char *id = confab_new_id ("key_");
  g_autofree char *scopes_json = strv_to_json (scopes);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, name);
  pg_text (&params, scopes_json);
  pg_text (&params, prefix);
  pg_text (&params, key_hash);
  pg_text (&params, created_by);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO api_keys (id, site_id, name, scopes, prefix, key_hash, created_by, "
                     "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     &params, "Cannot store the API key", error);
  if (result == NULL)
    return NULL;
  return pg_get_api_key (store, id, error);
}

ConfabApiKey *
pg_get_api_key (ConfabStore  *store,
                const char   *key_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, key_id);
  result = pg_exec (store, API_KEY_SELECT "WHERE k.id = $1", &params, "Cannot read the API key", error);
  if (result == NULL || !pg_found (result, "API key", key_id, error))
    return NULL;
  return read_api_key (result, 0);
}

ConfabApiKey *
pg_lookup_api_key (ConfabStore  *store,
                   const char   *key_hash,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, key_hash);
  result = pg_exec (store, API_KEY_SELECT "WHERE k.key_hash = $1 AND k.revoked_at IS NULL", &params,
                    "Cannot read the API key", error);
  if (result == NULL || !pg_found (result, "API key", "(by hash)", error))
    return NULL;
  return read_api_key (result, 0);
}

GPtrArray *
pg_list_api_keys (ConfabStore  *store,
                  const char   *site_id,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    API_KEY_SELECT "WHERE k.site_id = $1 AND k.revoked_at IS NULL "
                    "ORDER BY k.created_at, k.id", &params, "Cannot list the API keys", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_api_key_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_api_key (result, i));
  return list;
}

gboolean
pg_revoke_api_key (ConfabStore  *store,
                   const char   *key_id,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, key_id);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store, "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                    &params, "Cannot revoke the API key", error);
  return result != NULL && pg_found (result, "API key", key_id, error);
}

gboolean
pg_touch_api_key (ConfabStore  *store,
                  const char   *key_id,
                  gint64        now_ms,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, key_id);
  pg_int (&params, now_ms);
  result = pg_exec (store, "UPDATE api_keys SET last_used_at = $2 WHERE id = $1", &params,
                    "Cannot note the API key's use", error);
  return result != NULL;
}

/* --- webhooks ------------------------------------------------------------------------------- */

#define WEBHOOK_COLUMNS "id, site_id, url, events, secret, enabled, created_at"

static ConfabWebhook *
read_webhook (PGresult *result,
              int       row)
{
  ConfabWebhook *webhook = g_new0 (ConfabWebhook, 1);

  webhook->id = pg_dup (result, row, 0);
  webhook->site_id = pg_dup (result, row, 1);
  webhook->url = pg_dup (result, row, 2);
  webhook->events = strv_from_json (PQgetvalue (result, row, 3));
  webhook->secret = pg_dup (result, row, 4);
  webhook->enabled = pg_integer (result, row, 5) != 0;
  webhook->created_at = pg_integer (result, row, 6);
  return webhook;
}

ConfabWebhook *
pg_create_webhook (ConfabStore         *store,
                   const char          *site_id,
                   const char          *url,
                   const char * const  *events,
                   const char          *secret,
                   gboolean             enabled,
                   GError             **error)
{
  g_autofree char *id = confab_new_id ("whk_");
  g_autofree char *events_json = strv_to_json (events);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, url);
  pg_text (&params, events_json);
  pg_text (&params, secret);
  pg_int (&params, enabled ? 1 : 0);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO webhooks (id, site_id, url, events, secret, enabled, created_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " WEBHOOK_COLUMNS,
                     &params, "Cannot store the webhook", error);
  if (result == NULL)
    return NULL;
  return read_webhook (result, 0);
}

ConfabWebhook *
pg_get_webhook (ConfabStore  *store,
                const char   *webhook_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, webhook_id);
  result = pg_exec (store, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1", &params,
                    "Cannot read the webhook", error);
  if (result == NULL || !pg_found (result, "webhook", webhook_id, error))
    return NULL;
  return read_webhook (result, 0);
}

GPtrArray *
pg_list_webhooks (ConfabStore  *store,
                  const char   *site_id,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE site_id = $1 "
                    "ORDER BY created_at, id", &params, "Cannot list the webhooks", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_webhook_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_webhook (result, i));
  return list;
}

ConfabWebhook *
pg_update_webhook (ConfabStore         *store,
                   const char          *webhook_id,
                   const char          *url,
                   const char * const  *events,
                   int                  enabled,
                   GError             **error)
{
  g_autofree char *events_json = events != NULL ? strv_to_json (events) : NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, webhook_id);
  pg_text (&params, url);
  pg_text (&params, events_json);
  pg_int (&params, enabled < 0 ? -1 : enabled != 0);
  result = pg_exec (store,
                    "UPDATE webhooks SET url = coalesce ($2, url), events = coalesce ($3, events), "
                    "enabled = CASE WHEN $4::integer < 0 THEN enabled ELSE $4::integer END "
                    "WHERE id = $1 RETURNING " WEBHOOK_COLUMNS,
                    &params, "Cannot change the webhook", error);
  if (result == NULL || !pg_found (result, "webhook", webhook_id, error))
    return NULL;
  return read_webhook (result, 0);
}

gboolean
pg_delete_webhook (ConfabStore  *store,
                   const char   *webhook_id,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, webhook_id);
  result = pg_exec (store, "DELETE FROM webhooks WHERE id = $1", &params,
                    "Cannot delete the webhook", error);
  return result != NULL && pg_found (result, "webhook", webhook_id, error);
}

/* --- deliveries ----------------------------------------------------------------------------- */

#define DELIVERY_COLUMNS "id, webhook_id, site_id, event, conversation_id, seq, payload, status, " \
                         "attempts, response_status, error, created_at, next_attempt_at, delivered_at"

static ConfabDelivery *
read_delivery (PGresult *result,
               int       row)
{
  ConfabDelivery *delivery = g_new0 (ConfabDelivery, 1);
  const char *status = PQgetvalue (result, row, 7);

  delivery->id = pg_dup (result, row, 0);
  delivery->webhook_id = pg_dup (result, row, 1);
  delivery->site_id = pg_dup (result, row, 2);
  delivery->event = pg_dup (result, row, 3);
  delivery->conversation_id = pg_dup (result, row, 4);
  delivery->seq = pg_integer (result, row, 5);
  delivery->payload = pg_dup (result, row, 6);
  for (ConfabDeliveryStatus s = CONFAB_DELIVERY_PENDING; s <= CONFAB_DELIVERY_FAILED; s++)
    if (g_strcmp0 (status, confab_delivery_status_to_string (s)) == 0)
      delivery->status = s;
  delivery->attempts = pg_integer (result, row, 8);
  delivery->response_status = pg_integer (result, row, 9);
  delivery->error = pg_dup (result, row, 10);
  delivery->created_at = pg_integer (result, row, 11);
  delivery->next_attempt_at = pg_integer (result, row, 12);
  delivery->delivered_at = pg_integer (result, row, 13);
  return delivery;
}

static GPtrArray *
read_deliveries (PGresult *result)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_delivery_free);

  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_delivery (result, i));
  return list;
}

GPtrArray *
pg_list_due_deliveries (ConfabStore  *store,
                        gint64        now_ms,
                        guint         limit,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_int (&params, now_ms);
  pg_int (&params, limit);
  result = pg_exec (store,
                    "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries "
                    "WHERE status = 'pending' AND next_attempt_at <= $1 "
                    "ORDER BY next_attempt_at, created_at, id LIMIT $2",
                    &params, "Cannot read the due webhook deliveries", error);
  return result != NULL ? read_deliveries (result) : NULL;
}

gint64
pg_next_delivery_at (ConfabStore  *store,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  result = pg_exec (store,
                    "SELECT min (next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'",
                    &params, "Cannot read the next webhook delivery", error);
  if (result == NULL)
    return -1;
  return pg_integer (result, 0, 0);
}

GPtrArray *
pg_list_deliveries (ConfabStore  *store,
                    const char   *webhook_id,
                    guint         limit,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, webhook_id);
  pg_int (&params, limit);
  result = pg_exec (store,
                    "SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries WHERE webhook_id = $1 "
                    "ORDER BY created_at DESC, id DESC LIMIT $2",
                    &params, "Cannot list the webhook's deliveries", error);
  return result != NULL ? read_deliveries (result) : NULL;
}

gboolean
pg_claim_delivery (ConfabStore  *store,
                   const char   *delivery_id,
                   gint64        due_at,
                   gint64        lease_until,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, delivery_id);
  pg_int (&params, due_at);
  pg_int (&params, lease_until);
  result = pg_exec (store,
                    "UPDATE webhook_deliveries SET next_attempt_at = $3 "
                    "WHERE id = $1 AND status = 'pending' AND next_attempt_at = $2",
                    &params, "Cannot take the webhook delivery", error);
  return result != NULL && pg_changes (result) > 0;
}

gboolean
pg_set_delivery_payload (ConfabStore  *store,
                         const char   *delivery_id,
                         const char   *payload,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, delivery_id);
  pg_text (&params, payload);
  result = pg_exec (store, "UPDATE webhook_deliveries SET payload = $2 WHERE id = $1", &params,
                    "Cannot store the webhook's payload", error);
  return result != NULL && pg_found (result, "delivery", delivery_id, error);
}

gboolean
pg_record_attempt (ConfabStore          *store,
                   const char           *delivery_id,
                   ConfabDeliveryStatus  status,
                   gint64                response_status,
                   const char           *error_text,
                   gint64                next_attempt_at,
                   gint64                delivered_at,
                   GError              **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, delivery_id);
  pg_text (&params, confab_delivery_status_to_string (status));
  pg_int_or_null (&params, response_status);
  pg_text (&params, error_text);
  pg_int_or_null (&params, next_attempt_at);
  pg_int_or_null (&params, delivered_at);
  result = pg_exec (store,
                    "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, "
                    "response_status = $3, error = $4, next_attempt_at = $5, delivered_at = $6 "
                    "WHERE id = $1", &params, "Cannot record the webhook delivery", error);
  return result != NULL && pg_found (result, "delivery", delivery_id, error);
}

gint64
pg_purge_deliveries (ConfabStore  *store,
                     gint64        before_ms,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_int (&params, before_ms);
  result = pg_exec (store,
                    "DELETE FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending'",
                    &params, "Cannot forget old webhook deliveries", error);
  return result != NULL ? pg_changes (result) : -1;
}

/* --- contacts ------------------------------------------------------------------------------- */

ConfabVisitor *
pg_set_visitor_contact (ConfabStore  *store,
                        const char   *visitor_id,
                        gboolean      set_name,
                        const char   *name,
                        gboolean      set_email,
                        const char   *email,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  pg_bool (&params, set_name);
  pg_text (&params, name);
  pg_bool (&params, set_email);
  pg_text (&params, email);
  result = pg_exec (store,
                    "UPDATE visitors SET name = CASE WHEN $2::boolean THEN $3 ELSE name END, "
                    "email = CASE WHEN $4::boolean THEN $5 ELSE email END WHERE id = $1",
                    &params, "Cannot change the visitor", error);
  if (result == NULL || !pg_found (result, "visitor", visitor_id, error))
    return NULL;
  return pg_get_visitor (store, visitor_id, error);
}
