/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-rules.h: the "Rules" group of the Teams page (issue 18): the site's `team_rules`
 * setting, an ordered list where the first rule that matches gives a new conversation its team
 * (the page's URL pattern, the visitor's language, the FAQ topic the bot matched).
 *
 * Rules are added, edited, deleted and moved up or down here; every change PATCHes the whole
 * list as the site's `team_rules` setting and what the relay answers is shown. The relay
 * validates: its refusal is shown in the rule's form (or as a toast for a move or a deletion)
 * and the list stays as the relay has it. Another admin's change comes in with the relay's
 * `site` frame, new FAQ questions with its `faqs` frame. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAM_RULES (confab_team_rules_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTeamRules, confab_team_rules, CONFAB, TEAM_RULES, AdwPreferencesGroup)

GtkWidget *confab_team_rules_new           (ConfabClient    *client);
/* The site whose rules these are (NULL: none): forgets the last one's rules and reads the
 * site's FAQs for the topic choice. */
void       confab_team_rules_set_site_id   (ConfabTeamRules *self,
                                            const char      *site_id);
/* Reads the site's FAQs again (the rules come with the site's settings). */
void       confab_team_rules_reload        (ConfabTeamRules *self);
/* The site's teams (the teams frame's list; NULL: none yet): the rules' titles and the form's
 * team choice. */
void       confab_team_rules_set_teams     (ConfabTeamRules *self,
                                            JsonArray       *teams);
/* The site's settings as the relay sent them (NULL: not known): the list shows their
 * `team_rules`. */
void       confab_team_rules_show_settings (ConfabTeamRules *self,
                                            JsonObject      *settings);

G_END_DECLS
