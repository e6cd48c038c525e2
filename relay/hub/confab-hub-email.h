/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-email.h: what issue 15's e-mail needs of the hub (confab-hub-email.c) */
#pragma once

#include "confab-hub.h"
#include "confab-mailer.h"

G_BEGIN_DECLS

/* A conversation made outside the hub (of a mail that came in): routed as one a visitor
 * started (issue 18: team rules, then an agent or the queue), and the site's agents hear of it,
 * before its first message. */
gboolean confab_hub_announce_conversation (ConfabHub   *hub,
                                           const char  *conversation_id,
                                           GError     **error);

/* The mailer's listener (confab_mailer_set_listener, @user_data the hub): an agent's message
 * mailed in an e-mail conversation is now "sent", or "failed" with the server's words — stored
 * as its delivery state, and the site's agents get the "delivery" frame as for Messenger. */
void     confab_hub_mail_done             (ConfabMailer     *mailer,
                                           const ConfabMail *mail,
                                           gpointer          user_data);

G_END_DECLS
