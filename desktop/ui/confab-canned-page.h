/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-canned-page.h: the site's canned responses: add, edit, delete (shortcut and text).
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CANNED_PAGE (confab_canned_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCannedPage, confab_canned_page, CONFAB, CANNED_PAGE, AdwPreferencesPage)

GtkWidget *confab_canned_page_new (ConfabClient *client);

G_END_DECLS
