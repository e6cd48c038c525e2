/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-idle.h: waiting on a site's mailbox with IMAP IDLE (RFC 2177).
 *
 * libcurl has no IDLE command: with CURLOPT_CONNECT_ONLY it connects and logs in (STARTTLS or
 * imaps:// as the poller does) and leaves the connection to us. A thread of its own per mailbox
 * then asks CAPABILITY, SELECTs the mailbox and IDLEs, blocked in poll () on the connection and
 * its GCancellable's fd, never on the main loop. It tells the main loop (through @func, on the
 * thread-default context of confab_mail_idle_start ()'s caller) when it is idling, when the
 * server says a mail came (`* N EXISTS`) and when it stopped; the fetching stays the poller's
 * (confab-mail-in.c), on its own connection. IDLE is renewed before the server's 29-minute
 * limit; a dropped link is tried again after a delay that doubles, up to 5 minutes; a server
 * that does not offer IDLE is left to the poller until the mailbox changes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CONFAB_MAIL_IDLE_READY,        /* idling on the mailbox: read it now, later mails are told */
  CONFAB_MAIL_IDLE_NEW_MAIL,     /* the server told of a new mail */
  CONFAB_MAIL_IDLE_DROPPED,      /* the link failed: polling only until it is back */
  CONFAB_MAIL_IDLE_UNSUPPORTED,  /* the server offers no IDLE: polling only */
} ConfabMailIdleEvent;

typedef void (*ConfabMailIdleFunc) (const char          *site_id,
                                    ConfabMailIdleEvent  event,
                                    gpointer             user_data);

typedef struct _ConfabMailIdle ConfabMailIdle;

ConfabMailIdle *confab_mail_idle_start  (const char         *site_id,
                                         const char         *url,
                                         const char         *user,
                                         const char         *password,
                                         gboolean            require_tls,
                                         ConfabMailIdleFunc  func,
                                         gpointer            user_data);
/* Stops it: @func is never called again; the thread ends on its own soon after. */
void            confab_mail_idle_stop   (ConfabMailIdle     *idle);
/* TRUE while it is idling on the mailbox (as last told to the main loop). */
gboolean        confab_mail_idle_active (ConfabMailIdle     *idle);

G_END_DECLS
