/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mail-harness.h: real mail servers for the e-mail tests, each started by the test in a
 * temporary directory on a free loopback port and stopped with it.
 *
 * MailSink: an SMTP server (Python's aiosmtpd, tests/smtp-sink.py) that writes every mail it
 * accepts to a directory; the test reads them back parsed with GMime.
 * MailBox: Dovecot's IMAP server, unprivileged, with one passwd-file user whose Maildir the test
 * fills by writing files into it. */
#pragma once

#include <gio/gio.h>
#include <gmime/gmime.h>

G_BEGIN_DECLS

/* GMime 3.2 (Debian 12) declares no g_autoptr cleanups (relay/email/confab-gmime.h) */
#if !GMIME_CHECK_VERSION (3, 3, 0)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
#endif

/* A free TCP port on 127.0.0.1 right now (for a server that is to be down at first). */
guint16       mail_free_port            (void);

typedef struct _MailSink MailSink;

/* Starts the sink on @port (0: any free port); asserts that it listens. @reject_rcpt, when not
 * NULL, is an address it refuses with 550. */
MailSink     *mail_sink_start           (guint16       port,
                                         const char   *reject_rcpt);
/* A server that accepts connections and never says a word: a hung SMTP server. */
MailSink     *mail_sink_start_stalled   (void);
guint16       mail_sink_port            (MailSink     *sink);
/* Kills it (the mails received so far stay readable); mail_sink_resume () starts it again on
 * the same port and directory. */
void          mail_sink_stop            (MailSink     *sink);
void          mail_sink_resume          (MailSink     *sink);
void          mail_sink_free            (MailSink     *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailSink, mail_sink_free)

/* The mails to @rcpt received so far. */
guint         mail_sink_count           (MailSink     *sink,
                                         const char   *rcpt);
/* All mails received so far, in order (any recipient). */
guint         mail_sink_total           (MailSink     *sink);
/* Waits up to @timeout_ms for the @index-th (from 0) mail to @rcpt; NULL when none came. */
GMimeMessage *mail_sink_wait_for        (MailSink     *sink,
                                         const char   *rcpt,
                                         guint         index,
                                         guint         timeout_ms);

typedef struct _MailBox MailBox;

/* Dovecot on a free loopback port (plain IMAP, no TLS), with one user @user / @password and
 * an empty INBOX; asserts that it answers. */
MailBox      *mail_box_start            (const char   *user,
                                         const char   *password);
/* The same; without @offer_idle the server does not list IDLE among its capabilities. */
MailBox      *mail_box_start_full       (const char   *user,
                                         const char   *password,
                                         gboolean      offer_idle);
/* "imap://127.0.0.1:PORT/INBOX" */
const char   *mail_box_url              (MailBox      *box);
/* Puts a mail (RFC 5322 text, LF or CRLF) into the INBOX as a new, unseen one. */
void          mail_box_deliver          (MailBox      *box,
                                         const char   *text);
/* Stops Dovecot (its connections drop); mail_box_resume () starts it again on the same port. */
void          mail_box_stop             (MailBox      *box);
void          mail_box_resume           (MailBox      *box);
/* Mails in the INBOX not marked seen. */
guint         mail_box_unseen           (MailBox      *box);
void          mail_box_free             (MailBox      *box);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailBox, mail_box_free)

/* The message's text/plain part, decoded to UTF-8 with LF line ends (new string). */
char         *mail_text_body            (GMimeMessage *message);
/* A header's value, or NULL. */
const char   *mail_header               (GMimeMessage *message,
                                         const char   *name);
/* Parses RFC 5322 text. */
GMimeMessage *mail_parse                (const char   *text,
                                         gsize         length);

G_END_DECLS
