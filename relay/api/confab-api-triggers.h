/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-triggers.h: /api/v1/sites/{id}/triggers and /api/v1/triggers/{id} (issue 16) */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

void confab_api_site_triggers (ConfabApiCall  *call,
                               ConfabSite     *site,
                               char          **rest);
void confab_api_trigger       (ConfabApiCall  *call,
                               const char     *trigger_id,
                               char          **rest);

G_END_DECLS
