/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-email.h: issue 15's e-mail in the store (sqlite/confab-store-email.c) — the
 * outgoing queue, agents' replies to offline messages, each site's mailbox settings, the
 * Message-IDs that thread mail into conversations, and agents' notification preference.
 *
 * Both stores: the PostgreSQL twins are in postgresql/confab-pg-store-email.c, where reading the
 * due mails also takes them for a while (a lease) so that two relays never send one mail twice. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* --- the outgoing queue --- */
typedef struct {
  char   *id;
  char   *site_id;
  char   *kind;             /* "offline_reply", "transcript", "notification", "conversation" */
  char   *conversation_id;  /* kind "conversation": the agent's message it carries; else NULL */
  gint64  seq;
  char   *to_address;
  char   *message_id;       /* without <> */
  char   *message;          /* the RFC 5322 text, CRLF line ends */
  char   *status;           /* "pending", "sent", "failed" */
  guint   attempts;
  gint64  next_attempt_at;  /* unix ms */
  char   *error;            /* the last failure, NULL after a success */
  gint64  created_at;
  gint64  sent_at;          /* 0 until sent */
} ConfabMail;

void confab_mail_free (ConfabMail *mail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMail, confab_mail_free)

/* Queues a mail, due at once; returns its id. @conversation_id (may be NULL) and @seq: the
 * message it carries. */
char        *confab_store_queue_mail        (ConfabStore  *store,
                                             const char   *site_id,
                                             const char   *kind,
                                             const char   *conversation_id,
                                             gint64        seq,
                                             const char   *to_address,
                                             const char   *message_id,
                                             const char   *message,
                                             GError      **error);
ConfabMail  *confab_store_get_mail          (ConfabStore  *store,
                                             const char   *mail_id,
                                             GError      **error);
/* Takes the pending mails due at @now_ms, oldest first, for the mailer to send: they are due
 * again only in 30 minutes (a lease, so that another relay on the same database does not send
 * them too), or when confab_store_mail_failed () says. Element type: ConfabMail*. */
GPtrArray   *confab_store_due_mails         (ConfabStore  *store,
                                             gint64        now_ms,
                                             guint         limit,
                                             GError      **error);
/* When the next pending mail is due (unix ms); -1 when none is pending. */
gint64       confab_store_next_mail_due     (ConfabStore  *store,
                                             GError      **error);
/* Makes every pending mail due now, but those a relay has taken (above) and not yet sent:
 * what a relay does when it starts. */
gboolean     confab_store_retry_mails_now   (ConfabStore  *store,
                                             gint64        now_ms,
                                             GError      **error);
/* Sent, or failed for good: the text is dropped (what was mailed need not stay in the queue, a
 * conversation's transcript least of all), the row stays for its delivery state. */
gboolean     confab_store_mail_sent         (ConfabStore  *store,
                                             const char   *mail_id,
                                             gint64        now_ms,
                                             GError      **error);
/* One more failed attempt: due again at @next_attempt_at, or "failed" for good when it is 0. */
gboolean     confab_store_mail_failed       (ConfabStore  *store,
                                             const char   *mail_id,
                                             const char   *reason,
                                             gint64        next_attempt_at,
                                             GError      **error);

/* --- replies to offline messages --- */
typedef struct {
  char   *id;
  char   *offline_message_id;
  char   *author_id;        /* NULL once the user was deleted */
  char   *author_name;
  char   *body;
  char   *mail_id;
  gint64  sent_at;
  /* from the mail */
  char   *status;           /* "pending", "sent", "failed" */
  char   *error;
} ConfabOfflineReply;

void confab_offline_reply_free (ConfabOfflineReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabOfflineReply, confab_offline_reply_free)

ConfabOfflineReply *confab_store_add_offline_reply (ConfabStore *store,
                                             const char   *offline_message_id,
                                             const char   *author_id,
                                             const char   *author_name,
                                             const char   *body,
                                             const char   *mail_id,
                                             GError      **error);
/* Oldest first. Element type: ConfabOfflineReply*. */
GPtrArray   *confab_store_list_offline_replies (ConfabStore *store,
                                             const char   *offline_message_id,
                                             GError      **error);

/* --- agents who want mail --- */
/* 1 or 0; -1 with @error */
int          confab_store_get_email_notifications (ConfabStore *store,
                                             const char   *user_id,
                                             GError      **error);
gboolean     confab_store_set_email_notifications (ConfabStore *store,
                                             const char   *user_id,
                                             gboolean      enabled,
                                             GError      **error);
/* The addresses of @site_id's members who want notifications by mail. */
GStrv        confab_store_list_notified_members (ConfabStore *store,
                                             const char   *site_id,
                                             GError      **error);

/* --- a site's mailbox --- */
typedef struct {
  char     *site_id;
  gboolean  enabled;
  char     *address;
  char     *imap_url;
  char     *imap_user;
  char     *imap_password;  /* never leaves the relay */
  guint     poll_seconds;
  gint64    last_polled_at; /* 0: never */
  char     *last_error;
} ConfabEmailChannel;

void confab_email_channel_free (ConfabEmailChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabEmailChannel, confab_email_channel_free)

/* NULL without @error when the site has none. */
ConfabEmailChannel *confab_store_get_email_channel (ConfabStore *store,
                                             const char   *site_id,
                                             GError      **error);
/* Element type: ConfabEmailChannel*, the enabled ones. */
GPtrArray   *confab_store_list_email_channels (ConfabStore *store,
                                             GError      **error);
/* Inserts or replaces; @imap_password NULL keeps the stored one. */
gboolean     confab_store_put_email_channel (ConfabStore  *store,
                                             const ConfabEmailChannel *channel,
                                             GError      **error);
/* TRUE also when there was none. */
gboolean     confab_store_delete_email_channel (ConfabStore *store,
                                             const char   *site_id,
                                             GError      **error);
/* After a poll: when, and what went wrong (NULL: nothing). */
gboolean     confab_store_email_channel_polled (ConfabStore *store,
                                             const char   *site_id,
                                             gint64        at_ms,
                                             const char   *last_error,
                                             GError      **error);

/* --- threading --- */
gboolean     confab_store_add_mail_thread   (ConfabStore  *store,
                                             const char   *message_id,
                                             const char   *conversation_id,
                                             GError      **error);
/* The conversation @message_id belongs to; NULL without @error when none. */
char        *confab_store_find_mail_thread  (ConfabStore  *store,
                                             const char   *message_id,
                                             GError      **error);
/* The newest Message-IDs of @conversation_id's thread, oldest first (for References); not the
 * import's markers ("ID#mail", "ID#image-N", confab-mail-in.c). */
GStrv        confab_store_list_mail_thread  (ConfabStore  *store,
                                             const char   *conversation_id,
                                             guint         limit,
                                             GError      **error);

G_END_DECLS
