/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-teams-page.h: issue 18's routing settings of a site, in one page of the settings
 * area (confab-admin-window.h):
 *
 *   - Routing: the site's assignment mode (off, round robin, least busy), the grace period
 *     before an away agent's chats go back to the queue, whether the pre-chat form lets the
 *     visitor pick a team;
 *   - Response targets: the site's first and next response targets;
 *   - Teams: add, rename, delete; each team's members, assignment mode and its own targets.
 *   - Rules: the site's team_rules, the first match giving a new conversation its team
 *     (confab-team-rules.h).
 *
 * Every change goes to the relay at once (PATCH the site's settings or the team). A relay
 * without routing answers the teams with 404: the page says so and offers nothing. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAMS_PAGE (confab_teams_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTeamsPage, confab_teams_page, CONFAB, TEAMS_PAGE, AdwPreferencesPage)

GtkWidget *confab_teams_page_new (ConfabClient *client);

G_END_DECLS
