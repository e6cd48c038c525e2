/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-account-page.h: the settings area's Account page: the user's own name
 * (PATCH /api/v1/me) and password (POST /api/v1/me/password). For every role. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ACCOUNT_PAGE (confab_account_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAccountPage, confab_account_page, CONFAB, ACCOUNT_PAGE, AdwPreferencesPage)

GtkWidget *confab_account_page_new (ConfabClient *client);

G_END_DECLS
