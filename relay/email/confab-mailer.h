/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mailer.h: the relay's outgoing mail (issue 15).
 *
 * Every mail is first a row of the store's queue (email_outbox), written in the same
 * transaction as what it is about, so a relay that stops loses none. The mailer sends what is
 * due on a worker thread with libcurl (SMTP, STARTTLS or TLS as [email] says): the main loop
 * never waits on the network. A mail the server refuses for good (5xx) fails at once; any other
 * failure (connection refused, timeouts, 4xx) is retried after 5 s, doubling to 30 minutes,
 * until 24 hours after it was queued. A relay that starts retries its pending mails at once.
 *
 * What is mailed and how it looks: confab-mail-out.c. */
#pragma once

#include "confab-relay.h"
#include "confab-store-email.h"

G_BEGIN_DECLS

typedef struct _ConfabMailer ConfabMailer;

/* What one mail says; the mailer adds From, Date and Message-ID. */
typedef struct {
  const char         *site_id;      /* may be NULL */
  const char         *kind;         /* "offline_reply", "transcript", "notification", "conversation" */
  const char         *conversation_id; /* kind "conversation": the agent's message it carries */
  gint64              seq;
  const char         *to_address;
  const char         *to_name;      /* may be NULL */
  const char         *subject;
  const char         *body;         /* plain text, UTF-8 */
  const char         *reply_to;     /* may be NULL */
  const char         *in_reply_to;  /* a Message-ID without <>, may be NULL */
  const char * const *references;   /* Message-IDs without <>, oldest first; may be NULL */
  /* "Auto-Submitted: auto-generated": notifications and transcripts, which nobody should
   * answer automatically (RFC 3834) */
  gboolean            automatic;
} ConfabMailDraft;

/* Called on the main loop when a queued mail was sent or failed for good. */
typedef void (*ConfabMailerFunc) (ConfabMailer     *mailer,
                                  const ConfabMail *mail,
                                  gpointer          user_data);

ConfabMailer *confab_mailer_new          (ConfabRelay           *relay);
void          confab_mailer_free         (ConfabMailer          *mailer);
/* FALSE without [email] smtp-server: nothing can be mailed. */
gboolean      confab_mailer_is_enabled   (ConfabMailer          *mailer);
/* Builds the mail and queues it in the store (inside the caller's transaction when one is
 * open); the sender picks it up after the current main-loop turn. Returns the queue row's id;
 * @out_message_id (without <>) may be NULL. */
char         *confab_mailer_queue        (ConfabMailer          *mailer,
                                          const ConfabMailDraft *draft,
                                          char                 **out_message_id,
                                          GError               **error);
/* A new Message-ID (without <>) in the from-address's domain. */
char         *confab_mailer_new_message_id (ConfabMailer        *mailer);
/* The site's mailbox was set, changed or removed (confab-mail-in.c). */
void          confab_mailer_mailbox_changed (ConfabMailer       *mailer,
                                          const char            *site_id);
/* TRUE while the relay waits on the site's mailbox with IMAP IDLE. */
gboolean      confab_mailer_mailbox_idling  (ConfabMailer       *mailer,
                                             const char         *site_id);
/* A visitor may have a few transcripts mailed an hour; FALSE with the wait when over. */
gboolean      confab_mailer_take_transcript (ConfabMailer       *mailer,
                                          const char            *visitor_id,
                                          guint                 *out_retry_ms);
void          confab_mailer_set_listener (ConfabMailer          *mailer,
                                          ConfabMailerFunc       func,
                                          gpointer               user_data);

G_END_DECLS
