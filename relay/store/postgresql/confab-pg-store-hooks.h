/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-hooks.h: the PostgreSQL store's API keys, webhooks and deliveries
 * (confab-pg-store-hooks.c), each under its ConfabStoreFuncs entry's name with the prefix pg_ */
#pragma once

#include "confab-pg-store-private.h"
#include "confab-store-hooks.h"

G_BEGIN_DECLS

ConfabApiKey   *pg_create_api_key       (ConfabStore *store, const char *site_id, const char *name, const char * const *scopes, const char *key_hash, const char *prefix, const char *created_by, GError **error);
ConfabApiKey   *pg_get_api_key          (ConfabStore *store, const char *key_id, GError **error);
ConfabApiKey   *pg_lookup_api_key       (ConfabStore *store, const char *key_hash, GError **error);
GPtrArray      *pg_list_api_keys        (ConfabStore *store, const char *site_id, GError **error);
gboolean        pg_revoke_api_key       (ConfabStore *store, const char *key_id, GError **error);
gboolean        pg_touch_api_key        (ConfabStore *store, const char *key_id, gint64 now_ms, GError **error);
ConfabWebhook  *pg_create_webhook       (ConfabStore *store, const char *site_id, const char *url, const char * const *events, const char *secret, gboolean enabled, GError **error);
ConfabWebhook  *pg_get_webhook          (ConfabStore *store, const char *webhook_id, GError **error);
GPtrArray      *pg_list_webhooks        (ConfabStore *store, const char *site_id, GError **error);
ConfabWebhook  *pg_update_webhook       (ConfabStore *store, const char *webhook_id, const char *url, const char * const *events, int enabled, GError **error);
gboolean        pg_delete_webhook       (ConfabStore *store, const char *webhook_id, GError **error);
GPtrArray      *pg_list_due_deliveries  (ConfabStore *store, gint64 now_ms, guint limit, GError **error);
gint64          pg_next_delivery_at     (ConfabStore *store, GError **error);
GPtrArray      *pg_list_deliveries      (ConfabStore *store, const char *webhook_id, guint limit, GError **error);
gboolean        pg_claim_delivery       (ConfabStore *store, const char *delivery_id, gint64 due_at, gint64 lease_until, GError **error);
gboolean        pg_set_delivery_payload (ConfabStore *store, const char *delivery_id, const char *payload, GError **error);
gboolean        pg_record_attempt       (ConfabStore *store, const char *delivery_id, ConfabDeliveryStatus status, gint64 response_status, const char *error_text, gint64 next_attempt_at, gint64 delivered_at, GError **error);
gint64          pg_purge_deliveries     (ConfabStore *store, gint64 before_ms, GError **error);
ConfabVisitor  *pg_set_visitor_contact  (ConfabStore *store, const char *visitor_id, gboolean set_name, const char *name, gboolean set_email, const char *email, GError **error);

G_END_DECLS
