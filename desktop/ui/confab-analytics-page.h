/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-page.h: the Analytics view, a top-level page beside the inbox. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"
#include "confab-analytics.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ANALYTICS_PAGE (confab_analytics_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAnalyticsPage, confab_analytics_page, CONFAB, ANALYTICS_PAGE, AdwBin)

void        confab_analytics_page_set_account     (ConfabAnalyticsPage *self,
                                                   ConfabAccount       *account);
/* The site shown (NULL: all sites), as chosen in the page's picker. */
void        confab_analytics_page_set_site_id     (ConfabAnalyticsPage *self,
                                                   const char          *site_id);
const char *confab_analytics_page_get_site_id     (ConfabAnalyticsPage *self);
/* The period: a preset, or CUSTOM with its first and last day. */
void        confab_analytics_page_set_range       (ConfabAnalyticsPage *self,
                                                   ConfabAnalyticsRange range,
                                                   const GDate         *from,
                                                   const GDate         *to);
/* The sites folded away beside it: a button to show them, the window buttons at the start. */
void        confab_analytics_page_set_folded      (ConfabAnalyticsPage *self,
                                                   gboolean             folded);
/* Asks the relay again (the page does on its own when shown and when conversations arrive). */
void        confab_analytics_page_reload          (ConfabAnalyticsPage *self);
/* What is shown: "loading", "error", "empty" or "data"; the figures shown (NULL before). */
const char *confab_analytics_page_get_state       (ConfabAnalyticsPage *self);
const ConfabAnalytics *
            confab_analytics_page_get_analytics   (ConfabAnalyticsPage *self);
/* Requests sent so far (the tests count refreshes). */
guint       confab_analytics_page_get_n_loads     (ConfabAnalyticsPage *self);
/* Writes the relay's analytics.csv of @kind ("daily", "conversations") for the period shown
 * to @file (what the export's file chooser does once a file is chosen). */
void        confab_analytics_page_export          (ConfabAnalyticsPage *self,
                                                   const char          *kind,
                                                   GFile               *file);

G_END_DECLS
