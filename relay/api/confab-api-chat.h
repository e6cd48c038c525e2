/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-chat.h: issue 14's REST resources (confab-api-chat.c) — a conversation's notes and
 * labels, the site's labels, search over messages. confab-api.c dispatches to them. */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* /conversations/{id}/notes and /conversations/{id}/labels (@name), the conversation being one
 * of the user's sites'. */
gboolean confab_api_chat_is_conversation_resource (const char               *name);
void     confab_api_chat_conversation_resource    (ConfabApiCall            *call,
                                                   const ConfabConversation *conversation,
                                                   const char               *name);
/* /sites/{id}/labels */
void     confab_api_site_labels                   (ConfabApiCall            *call,
                                                   ConfabSite               *site,
                                                   char                    **rest);
/* /labels/{id} */
void     confab_api_label                         (ConfabApiCall            *call,
                                                   const char               *label_id,
                                                   char                    **rest);
/* /search */
void     confab_api_search                        (ConfabApiCall            *call);

/* /me/avatar: PUT (the picture's bytes) and DELETE (confab-api-avatars.c) */
void     confab_api_me_avatar                     (ConfabApiCall            *call);
/* /avatars/{user_id}: public */
void     confab_api_avatar                        (ConfabRelay              *relay,
                                                   SoupServerMessage        *msg,
                                                   const char               *user_id);

/* The widget config's "team" (confab-api-widget-team.c): {"agents":[{"name","avatar_url"}],
 * "online","reply_time_seconds","back_at"}. */
JsonObject *confab_widget_team                    (ConfabRelay              *relay,
                                                   const ConfabSite         *site);
/* When @site's working hours next begin (ms), 0 while they are on at @now_ms or when it has
 * none (confab-api-widget-team.c). */
gint64      confab_site_back_at                   (const ConfabSite         *site,
                                                   gint64                    now_ms);

G_END_DECLS
