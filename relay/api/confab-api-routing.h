/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-routing.h: teams and transfer over REST (confab-api-routing.c, issue 18) */
#pragma once

#include "confab-api-admin.h"
#include "confab-store-routing.h"

G_BEGIN_DECLS

/* {"id","site_id","key","name","member_ids","assignment","first_response_seconds",
 * "next_response_seconds","created_at"} */
JsonObject *confab_team_to_json     (const ConfabTeam *team);
/* The site's teams by name, as GET /sites/{id}/teams lists them; NULL on error. */
JsonArray  *confab_site_teams_json  (ConfabStore      *store,
                                     const char       *site_id,
                                     GError          **error);
gboolean    confab_team_key_is_valid (const char      *key);

/* /sites/{id}/teams */
void confab_api_site_teams            (ConfabApiCall            *call,
                                       ConfabSite               *site,
                                       char                    **rest);
/* /teams/{id} */
void confab_api_team                  (ConfabApiCall            *call,
                                       const char               *team_id,
                                       char                    **rest);
/* POST /conversations/{id}/transfer */
void confab_api_conversation_transfer (ConfabApiCall            *call,
                                       const ConfabConversation *conversation);

G_END_DECLS
