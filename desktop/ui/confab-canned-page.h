/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-canned-page.h: the site's canned responses: add, edit, delete (shortcut and text).
 *
 * A settings page of one site, for its owners and admins; it follows what the relay pushes. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CANNED_PAGE (confab_canned_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCannedPage, confab_canned_page, CONFAB, CANNED_PAGE, AdwPreferencesPage)

GtkWidget *confab_canned_page_new (ConfabClient *client,
                                   const char   *site_id);

G_END_DECLS
