/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-triggers-page.h: the site's proactive triggers (issue 16): a list with a switch each,
 * an editor for the conditions (page URL pattern, seconds on the page, referrer, returning,
 * the k-th view of a page), the greeting, who sends it (an agent of the site or the assistant)
 * and whether it asks for an e-mail; delete after a confirmation.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none). A relay without triggers answers
 * 404 for the list: the page says so and offers nothing to add. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TRIGGERS_PAGE (confab_triggers_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTriggersPage, confab_triggers_page, CONFAB, TRIGGERS_PAGE, AdwPreferencesPage)

GtkWidget *confab_triggers_page_new (ConfabClient *client);

G_END_DECLS
