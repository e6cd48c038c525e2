/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sites-page.h: the settings area's Sites page — the user's sites with their role, a new
 * site, and everything about the picked one: name, enabled, allowed domains, the widget's look
 * (with a drawn preview) and behaviour, working hours, upload limit, the embed snippet, key
 * rotation and deletion (owner). Each change is a PATCH at once. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SITES_PAGE (confab_sites_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSitesPage, confab_sites_page, CONFAB, SITES_PAGE, AdwPreferencesPage)

GtkWidget  *confab_sites_page_new         (ConfabClient    *client);
/* The site object as the relay last answered or pushed it (NULL until loaded). */
JsonObject *confab_sites_page_get_site    (ConfabSitesPage *self);

G_END_DECLS
