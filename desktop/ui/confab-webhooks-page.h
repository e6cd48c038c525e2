/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-webhooks-page.h: the site's outgoing webhooks (issue 15): add one with a URL and its
 * events (the signing secret is shown once, with a Copy button), turn one on or off, see its
 * delivery log (status, attempts, the receiver's answer, the next attempt), delete one.
 *
 * A page of the settings area (confab-admin-window.h), for owners and admins of the site told
 * through its "site-id" property (NULL: none). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_WEBHOOKS_PAGE (confab_webhooks_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWebhooksPage, confab_webhooks_page, CONFAB, WEBHOOKS_PAGE, AdwPreferencesPage)

GtkWidget *confab_webhooks_page_new (ConfabClient *client);

G_END_DECLS
