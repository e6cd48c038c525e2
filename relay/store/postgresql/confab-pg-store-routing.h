/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-routing.h: the PostgreSQL store's teams, limits and queue
 * (confab-pg-store-routing.c), each under its ConfabStoreFuncs entry's name with the prefix pg_ */
#pragma once

#include "confab-pg-store-private.h"
#include "confab-store-routing.h"

G_BEGIN_DECLS

ConfabTeam *pg_create_team        (ConfabStore *store, const char *site_id, const ConfabTeamDraft *draft, GError **error);
ConfabTeam *pg_get_team           (ConfabStore *store, const char *team_id, GError **error);
ConfabTeam *pg_get_team_by_key    (ConfabStore *store, const char *site_id, const char *key, GError **error);
GPtrArray  *pg_list_teams         (ConfabStore *store, const char *site_id, GError **error);
ConfabTeam *pg_update_team        (ConfabStore *store, const char *team_id, const ConfabTeamDraft *draft, GError **error);
gboolean    pg_delete_team        (ConfabStore *store, const char *team_id, GError **error);
gint64      pg_get_max_chats      (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
gboolean    pg_set_max_chats      (ConfabStore *store, const char *site_id, const char *user_id, gint64 max_chats, GError **error);
char      **pg_list_member_teams  (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
gboolean    pg_get_routing        (ConfabStore *store, const char *conversation_id, ConfabRouting *out, GError **error);
gboolean    pg_set_conversation_team (ConfabStore *store, const char *conversation_id, const char *team_id, GError **error);
gboolean    pg_enqueue            (ConfabStore *store, const char *conversation_id, gboolean at_head, GError **error);
gboolean    pg_dequeue            (ConfabStore *store, const char *conversation_id, GError **error);
GPtrArray  *pg_list_queue         (ConfabStore *store, const char *site_id, GError **error);
char       *pg_route_pick         (ConfabStore *store, const char *site_id, const char *team_id, const char *mode, const char *candidates_json, GError **error);
ConfabConversation *pg_route_assign (ConfabStore *store, const char *conversation_id, const char *user_id, GError **error);
gboolean    pg_record_handling    (ConfabStore *store, const char *conversation_id, GError **error);
gint64      pg_median_handling    (ConfabStore *store, const char *site_id, const char *team_id, GError **error);
GPtrArray  *pg_list_assigned_open (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
GPtrArray  *pg_list_assignees     (ConfabStore *store, const char *site_id, GError **error);
GPtrArray  *pg_list_assigned_sites (ConfabStore *store, const char *after_site_id, guint limit,
                                    GError **error);

G_END_DECLS
