/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-reply.h: the offline message view's reply box (issue 15): a reply written here
 * is mailed by the relay to the address the visitor left (POST /api/v1/offline-messages/{id}/
 * reply); the replies sent so far are listed under it with their delivery state. Hidden when
 * the message has no address, and on a relay without e-mail (it answers 503 email_unavailable:
 * said under the box). */
#pragma once

#include <gtk/gtk.h>

#include "confab-client.h"

G_BEGIN_DECLS

GtkWidget *confab_offline_reply_new (void);
/* The offline message @id (with @email, NULL: none) the box answers now. */
void       confab_offline_reply_set (GtkWidget    *widget,
                                     ConfabClient *client,
                                     const char   *id,
                                     const char   *email);

G_END_DECLS
