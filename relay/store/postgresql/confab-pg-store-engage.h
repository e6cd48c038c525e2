/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-engage.h: the PostgreSQL store's contacts, goals and triggers (issue 16) */
#pragma once

#include "confab-store-engage.h"

G_BEGIN_DECLS

ConfabContact *pg_get_contact               (ConfabStore *store, const char *visitor_id, GError **error);
gboolean       pg_put_contact               (ConfabStore *store, const char *site_id, const char *visitor_id, const ConfabContactChange *change, GError **error);
GPtrArray     *pg_search_visitors_by_score  (ConfabStore *store, const char *site_id, const char *query, guint limit, GError **error);
gboolean       pg_add_goal                  (ConfabStore *store, const char *site_id, const char *visitor_id, const char *name, gboolean has_value, double value, gint64 at, GError **error);
GPtrArray     *pg_list_goals                (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
ConfabTrigger *pg_create_trigger            (ConfabStore *store, const ConfabTrigger *trigger, GError **error);
ConfabTrigger *pg_get_trigger               (ConfabStore *store, const char *trigger_id, GError **error);
GPtrArray     *pg_list_triggers             (ConfabStore *store, const char *site_id, GError **error);
ConfabTrigger *pg_update_trigger            (ConfabStore *store, const ConfabTrigger *trigger, GError **error);
gboolean       pg_delete_trigger            (ConfabStore *store, const char *trigger_id, GError **error);
gboolean       pg_add_trigger_fire          (ConfabStore *store, const char *site_id, const char *trigger_id, const char *visitor_id, gint64 visit, gint64 at, gboolean *out_added, GError **error);
char          *pg_claim_trigger_fire        (ConfabStore *store, const char *visitor_id, gint64 visit, const char *conversation_id, GError **error);
gboolean       pg_analytics_engage          (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, ConfabEngageFigures *out, GError **error);

G_END_DECLS
