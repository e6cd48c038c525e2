/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-channels-page.h: the site's channels besides the website (issue 15): its support
 * mailbox (IMAP in, the relay's SMTP out), a Facebook Page (Messenger) and a WhatsApp Business
 * number. Each: what is set (secrets only as "set" / "not set": the relay never gives them
 * back), the webhook URL to give Meta (with a Copy button), a form to change it and a
 * disconnect. A channel the relay does not offer says so.
 *
 * A page of the settings area (confab-admin-window.h), for owners and admins of the site told
 * through its "site-id" property (NULL: none). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHANNELS_PAGE (confab_channels_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabChannelsPage, confab_channels_page, CONFAB, CHANNELS_PAGE, AdwPreferencesPage)

GtkWidget *confab_channels_page_new (ConfabClient *client);

G_END_DECLS
