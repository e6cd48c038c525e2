/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-filter.h: the inbox's team filter (issue 18) — a button whose popover lists the
 * teams of the site shown (of every site under "All sites"); its "team-id" is the one chosen
 * (NULL: any). Hidden while there are no teams. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAM_FILTER (confab_team_filter_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTeamFilter, confab_team_filter, CONFAB, TEAM_FILTER, GtkWidget)

void        confab_team_filter_set_account (ConfabTeamFilter *self,
                                            ConfabAccount    *account);
void        confab_team_filter_set_site_id (ConfabTeamFilter *self,
                                            const char       *site_id);
const char *confab_team_filter_get_team_id (ConfabTeamFilter *self);
/* Chooses @team_id (NULL: any) as a click in the popover does. */
void        confab_team_filter_set_team_id (ConfabTeamFilter *self,
                                            const char       *team_id);

G_END_DECLS
