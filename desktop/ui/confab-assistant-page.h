/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant-page.h: the site's AI assistant (issue 16): whether it answers visitors, its
 * name, its tone and the instructions it follows — the site setting "assistant", sent to the
 * relay at once. The relay holds the model's endpoint and key ([assistant] in relay.conf): a
 * note says so when it has none ("assistant_available": false), and a relay that predates the
 * assistant (no "assistant_available" at all) gets the note and no form.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ASSISTANT_PAGE (confab_assistant_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAssistantPage, confab_assistant_page, CONFAB, ASSISTANT_PAGE, AdwPreferencesPage)

GtkWidget *confab_assistant_page_new (ConfabClient *client);

/* The limits of the relay's site setting (docs/http-api.md, site settings). */
#define CONFAB_ASSISTANT_NAME_MAX          60
#define CONFAB_ASSISTANT_TONE_MAX          200
#define CONFAB_ASSISTANT_INSTRUCTIONS_MAX  4000

G_END_DECLS
