/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-search-results.h: the inbox's search when the cache has no match — the relay's search
 * over every conversation's messages (GET /api/v1/search), newest first, paged ("More"); a
 * result activated comes out of "open-result" (conversation id, seq). */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SEARCH_RESULTS (confab_search_results_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSearchResults, confab_search_results, CONFAB, SEARCH_RESULTS, GtkWidget)

void confab_search_results_set_account (ConfabSearchResults *self,
                                        ConfabAccount       *account);
/* Asks the relay for @text (in @site_id, NULL: every site) after a short pause; NULL or "":
 * nothing (a request on its way is dropped). */
void confab_search_results_search      (ConfabSearchResults *self,
                                        const char          *text,
                                        const char          *site_id);

G_END_DECLS
