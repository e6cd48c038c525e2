/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-sites.h: deleting a site and rotating its key (confab-api-sites.c); the rest of
 * /sites/{id} is in confab-api.c. */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* DELETE /api/v1/sites/{id}, the site being one of the user's (site->role set): retires it
 * at once, then removes its rows in steps (confab-store-sites.h). */
void     confab_api_site_delete    (ConfabApiCall *call,
                                    ConfabSite    *site);
/* At start: goes on removing the sites a stopped relay had retired but not removed. */
void     confab_api_sites_resume_removals (ConfabRelay *relay);
/* /api/v1/sites/{id}/key (POST rotates it). */
void     confab_api_site_key       (ConfabApiCall *call,
                                    ConfabSite    *site,
                                    char         **rest);

/* {"type":"members"} to the connected members of @site_id, after any change of its team
 * (confab-api-members.c). */
void     confab_api_push_members   (ConfabRelay   *relay,
                                    const char    *site_id);
/* The same for every site of @user_id: their name or their pending state changed. */
void     confab_api_push_members_of_user (ConfabRelay *relay,
                                    const char    *user_id);

G_END_DECLS
