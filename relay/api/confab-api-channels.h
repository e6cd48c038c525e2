/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-channels.h: /api/v1/sites/{id}/channels/messenger|whatsapp (confab-api-channels.c) */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* TRUE for the channels handled here: "messenger", "whatsapp". */
gboolean confab_api_channels_handles (const char    *channel);
/* /sites/{id}/channels/@channel/@rest…, the site being one of the user's (site->role set). */
void     confab_api_site_channel     (ConfabApiCall *call,
                                      ConfabSite    *site,
                                      const char    *channel,
                                      char         **rest);

G_END_DECLS
