/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-in.h: the sites' mailboxes, read over IMAP (issue 15).
 *
 * Each enabled mailbox (GET|PUT /api/v1/sites/{id}/channels/email) is polled every
 * poll_seconds on a worker thread with libcurl: UID SEARCH UNSEEN, then each new mail fetched
 * (which marks it seen), at most MAIL_IN_BATCH per poll; a mail the relay could not store is
 * marked unseen again by the next poll, so it is read once more. Back on the main loop each mail
 * becomes a visitor message: in the conversation it answers (In-Reply-To / References against
 * the Message-IDs the relay sent and read, or the conversation's token in a "+TOKEN" recipient
 * address or a "[#TOKEN]" subject, from the conversation's own sender), else in a new
 * conversation of a visitor with the sender's address and name. Bounces, auto-replies and list
 * mail create nothing. One mailbox is read at a time. */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

#define MAIL_IN_BATCH 20

typedef struct _ConfabMailIn ConfabMailIn;

ConfabMailIn *confab_mail_in_new     (ConfabRelay  *relay);
void          confab_mail_in_free    (ConfabMailIn *mail_in);
/* The site's mailbox was set, changed or removed: poll it now (or stop). */
void          confab_mail_in_changed (ConfabMailIn *mail_in,
                                      const char   *site_id);

G_END_DECLS
