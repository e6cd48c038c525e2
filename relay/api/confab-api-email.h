/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-email.h: issue 15's e-mail routes (confab-api-email.c) */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* POST /offline-messages/{id}/reply, the caller being a member of its site */
void     confab_api_offline_reply            (ConfabApiCall              *call,
                                              const ConfabOfflineMessage *offline);
/* POST /widget/transcript with a visitor token (and its CORS preflight) */
void     confab_api_widget_transcript        (ConfabRelay                *relay,
                                              SoupServerMessage          *msg);
/* /sites/{id}/channels/email/@rest… */
void     confab_api_site_email_channel       (ConfabApiCall              *call,
                                              ConfabSite                 *site,
                                              char                      **rest);
/* PATCH /me's "email_notifications", when @body has it; FALSE after answering an error. */
gboolean confab_api_me_email_notifications   (ConfabApiCall              *call,
                                              JsonObject                 *body);
/* Adds "email_notifications" to a user object. */
void     confab_api_user_add_email_notifications (ConfabRelay            *relay,
                                              JsonObject                 *user_object,
                                              const char                 *user_id);
/* FALSE with @out_message when @url is not imap(s)://HOST[:PORT]/MAILBOX. */
gboolean confab_api_email_valid_imap_url     (const char                 *url,
                                              char                      **out_message);

G_END_DECLS
