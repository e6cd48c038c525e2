/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-email.h: the PostgreSQL store's e-mail tables (confab-pg-store-email.c), each
 * under its ConfabStoreFuncs entry's name with the prefix pg_ */
#pragma once

#include "confab-pg-store-private.h"
#include "confab-store-email.h"

G_BEGIN_DECLS

char               *pg_queue_mail            (ConfabStore *store, const char *site_id, const char *kind, const char *conversation_id, gint64 seq, const char *to_address, const char *message_id, const char *message, GError **error);
ConfabMail         *pg_get_mail              (ConfabStore *store, const char *mail_id, GError **error);
GPtrArray          *pg_due_mails             (ConfabStore *store, gint64 now_ms, guint limit, GError **error);
gint64              pg_next_mail_due         (ConfabStore *store, GError **error);
gboolean            pg_retry_mails_now       (ConfabStore *store, gint64 now_ms, GError **error);
gboolean            pg_mail_sent             (ConfabStore *store, const char *mail_id, gint64 now_ms, GError **error);
gboolean            pg_mail_failed           (ConfabStore *store, const char *mail_id, const char *reason, gint64 next_attempt_at, GError **error);
ConfabOfflineReply *pg_add_offline_reply     (ConfabStore *store, const char *offline_message_id, const char *author_id, const char *author_name, const char *body, const char *mail_id, GError **error);
GPtrArray          *pg_list_offline_replies  (ConfabStore *store, const char *offline_message_id, GError **error);
int                 pg_get_email_notifications (ConfabStore *store, const char *user_id, GError **error);
gboolean            pg_set_email_notifications (ConfabStore *store, const char *user_id, gboolean enabled, GError **error);
GStrv               pg_list_notified_members (ConfabStore *store, const char *site_id, GError **error);
ConfabEmailChannel *pg_get_email_channel     (ConfabStore *store, const char *site_id, GError **error);
GPtrArray          *pg_list_email_channels   (ConfabStore *store, GError **error);
gboolean            pg_put_email_channel     (ConfabStore *store, const ConfabEmailChannel *channel, GError **error);
gboolean            pg_delete_email_channel  (ConfabStore *store, const char *site_id, GError **error);
gboolean            pg_email_channel_polled  (ConfabStore *store, const char *site_id, gint64 at_ms, const char *last_error, GError **error);
gboolean            pg_add_mail_thread       (ConfabStore *store, const char *message_id, const char *conversation_id, GError **error);
char               *pg_find_mail_thread      (ConfabStore *store, const char *message_id, GError **error);
GStrv               pg_list_mail_thread      (ConfabStore *store, const char *conversation_id, guint limit, GError **error);

G_END_DECLS
