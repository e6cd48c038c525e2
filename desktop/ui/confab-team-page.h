/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-page.h: the site's members with their role and presence: add by e-mail (an invitation's
 * setup code shown once), change a role, reset a password, remove; pending invitations.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAM_PAGE (confab_team_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTeamPage, confab_team_page, CONFAB, TEAM_PAGE, AdwPreferencesPage)

GtkWidget *confab_team_page_new (ConfabClient *client);

G_END_DECLS
