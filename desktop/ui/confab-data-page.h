/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-data-page.h: visitor data: find a visitor, export them to a file, delete them, block and
 * unblock; the site's retention of resolved conversations.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_DATA_PAGE (confab_data_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabDataPage, confab_data_page, CONFAB, DATA_PAGE, AdwPreferencesPage)

GtkWidget *confab_data_page_new (ConfabClient *client);

G_END_DECLS
