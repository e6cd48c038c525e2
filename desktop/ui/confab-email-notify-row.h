/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-email-notify-row.h: the account's "E-mail notifications" switch (issue 15): missed
 * chats and new offline messages by mail, per agent (PATCH /api/v1/me {"email_notifications"}).
 * Hidden while the relay does not say whether the user wants them (a relay without e-mail). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

GtkWidget *confab_email_notify_row_new (ConfabClient *client);

G_END_DECLS
