/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-analytics.h: /api/v1/sites/{id|all}/analytics[.csv] (confab-api-analytics.c),
 * dispatched from confab-api.c. */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* TRUE for "analytics" and "analytics.csv". */
gboolean confab_api_analytics_is_resource (const char    *name);
/* /sites/@scope/@resource/@rest…; @scope is a site id or "all". */
void     confab_api_analytics             (ConfabApiCall *call,
                                           const char    *scope,
                                           const char    *resource,
                                           char         **rest);

G_END_DECLS
