/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-keys.h: a site's API keys and outgoing webhooks (issue 15): their management by
 * the site's admins, the REST routes a key may call, and the two routes keys and members
 * share — posting a message, changing a visitor's name and e-mail (confab-api-keys.c). */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* "api-keys", "webhooks": /sites/{id}/@name… is handled here. */
gboolean confab_api_keys_is_site_resource (const char    *name);
void     confab_api_keys_site_resource    (ConfabApiCall *call,
                                           ConfabSite    *site,
                                           char         **rest);
/* "api-keys", "webhooks": /@segments[0]/{id}… is handled here. */
gboolean confab_api_keys_is_resource      (const char    *name);
void     confab_api_keys_resource         (ConfabApiCall *call,
                                           char         **segments);

/* Whether the request's bearer token is an API key ("cfk_…"). */
gboolean confab_api_keys_is_key_request   (SoupServerMessage *msg);
/* Everything a request with an API key may reach under /api/v1/@segments: authenticates the key
 * (401), limits its rate (429), checks its scopes and site (403) and answers. */
void     confab_api_keys_request          (ConfabRelay       *relay,
                                           SoupServerMessage *msg,
                                           GHashTable        *query,
                                           char             **segments);

/* A route outside /api/v1's dispatch (uploads) that keys may not use: 401 for an unknown or
 * revoked key, else 403 forbidden. */
void     confab_api_keys_refuse           (ConfabRelay       *relay,
                                           SoupServerMessage *msg);

/* POST /conversations/{id}/messages by a signed-in member of the conversation's site. */
void     confab_api_post_message          (ConfabApiCall            *call,
                                           const ConfabConversation *conversation);
/* PATCH /visitors/{id} by a signed-in member of the visitor's site. */
void     confab_api_visitor_patch         (ConfabApiCall       *call,
                                           const ConfabVisitor *visitor);

/* confab-api.c: the read routes, for a caller already allowed to read @site / @conversation. */
void     confab_api_answer_site_conversations (ConfabApiCall            *call,
                                           ConfabSite               *site);
/* GET /conversations/{id} (@rest[0] NULL) or /conversations/{id}/messages. */
void     confab_api_answer_conversation   (ConfabApiCall            *call,
                                           ConfabConversation       *conversation,
                                           char                    **rest);

G_END_DECLS
