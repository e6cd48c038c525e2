/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-leads.h: the lead score of visitors sitting on a page kept current (issue 16) */
#pragma once

#include "confab-hub.h"

G_BEGIN_DECLS

void hub_leads_init                 (ConfabHub *hub);
void hub_leads_free                 (ConfabHub *hub);
/* Scores again, now, every visitor with a tab on this relay whose time on the site may have
 * moved their score since it was last looked at; the changed ones are stored and told to the
 * site's agents (a `visitor` event). Runs by itself every LEADS_TICK_MS, and when the test clock
 * moves (confab-targets.c). */
void confab_hub_refresh_lead_scores (ConfabHub *hub);

G_END_DECLS
