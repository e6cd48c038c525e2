/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-keys-page.h: the site's API keys (issue 15): create one with a name and scopes
 * (the key is shown once, with a Copy button; the relay keeps only its hash), see when each was
 * last used, revoke one (at once).
 *
 * A page of the settings area (confab-admin-window.h), for owners and admins of the site told
 * through its "site-id" property (NULL: none). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_API_KEYS_PAGE (confab_api_keys_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabApiKeysPage, confab_api_keys_page, CONFAB, API_KEYS_PAGE, AdwPreferencesPage)

GtkWidget *confab_api_keys_page_new (ConfabClient *client);

G_END_DECLS
