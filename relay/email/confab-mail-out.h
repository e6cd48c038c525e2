/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-out.h: what the relay mails (issue 15) — an agent's reply to an offline message,
 * a conversation's transcript to its visitor, and notifications to the site's agents who want
 * them (a new offline message, a missed chat). Each is queued through confab-mailer.h. */
#pragma once

#include "confab-mailer.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Queues the reply and stores it, in one transaction. Fails with G_IO_ERROR_NOT_SUPPORTED when
 * the relay sends no mail, G_IO_ERROR_INVALID_ARGUMENT when the offline message has no
 * address, or a store error. */
ConfabOfflineReply *confab_mail_offline_reply (ConfabRelay                *relay,
                                               const ConfabOfflineMessage *offline,
                                               const ConfabUser           *author,
                                               const char                 *body,
                                               GError                    **error);
/* The conversation's messages (never notes) to @to_address. */
gboolean    confab_mail_transcript          (ConfabRelay                *relay,
                                             const ConfabConversation   *conversation,
                                             const char                 *to_address,
                                             GError                    **error);
/* To every member of the site who wants notifications by mail; nothing without mail. Runs
 * inside the caller's transaction (the hub's unit that stored the offline message). */
gboolean    confab_mail_notify_offline      (ConfabRelay                *relay,
                                             const char                 *offline_id,
                                             GError                    **error);
/* A conversation whose visitor wrote while no agent of the site was online. */
gboolean    confab_mail_notify_missed_chat  (ConfabRelay                *relay,
                                             const ConfabConversation   *conversation,
                                             const char                 *first_text,
                                             GError                    **error);

/* An agent's message in an e-mail conversation (one with a thread of Message-IDs) goes to the
 * visitor's address with In-Reply-To and References, the conversation's token in the subject
 * and in the Reply-To address; nothing for other conversations. Runs inside the hub's unit,
 * before the message's frame is built: its delivery becomes "pending" (stored, and on
 * @message). */
gboolean    confab_mail_agent_message       (ConfabRelay                *relay,
                                             const ConfabConversation   *conversation,
                                             ConfabMessage              *message,
                                             GError                    **error);

/* {"status","error"} of a queued mail's state */
JsonObject *confab_mail_delivery_to_json    (const char                 *status,
                                             const char                 *error);
JsonObject *confab_offline_reply_to_json    (const ConfabOfflineReply   *reply);
/* Adds "replies" to an offline message's object. */
gboolean    confab_mail_add_offline_replies (ConfabRelay                *relay,
                                             JsonObject                 *object,
                                             const char                 *offline_id,
                                             GError                    **error);

G_END_DECLS
