/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-in.h: the sites' mailboxes, read over IMAP (issue 15).
 *
 * Each enabled mailbox (GET|PUT /api/v1/sites/{id}/channels/email) is polled every
 * poll_seconds on a worker thread with libcurl: UID SEARCH UNSEEN, then each new mail fetched
 * and marked unseen again, at most MAIL_IN_BATCH per poll; it is marked seen once everything of
 * it (text, pictures) is stored, so a mail the relay could not store, or a stop cut short, is
 * read once more and gets only what it lacks. Back on the main loop each mail
 * becomes a visitor message: in the conversation it answers (In-Reply-To / References against
 * the Message-IDs the relay sent and read, or the conversation's token in a "+TOKEN" recipient
 * address or a "[#TOKEN]" subject, from the conversation's own sender), else in a new
 * conversation of a visitor with the sender's address and name. Bounces, auto-replies and list
 * mail create nothing. One mailbox is read at a time. Where the server offers IMAP IDLE, a
 * connection of its own waits on the mailbox (confab-mail-idle.c) and has it read as soon as a
 * mail comes; the timer stays, the fallback when IDLE is cut or missing. */
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
/* TRUE while the relay waits on the site's mailbox with IDLE (rather than only polling). */
gboolean      confab_mail_in_idling  (ConfabMailIn *mail_in,
                                      const char   *site_id);

G_END_DECLS
