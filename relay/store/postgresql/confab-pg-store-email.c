/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-email.c: the PostgreSQL store's e-mail tables — the outgoing queue, replies to
 * offline messages, agents' notification preference, each site's mailbox and the Message-IDs
 * that thread mail into conversations (the SQLite twins are in sqlite/confab-store-email.c, the
 * tables in confab-pg-schema.c v12).
 *
 * The one difference from SQLite is the queue's lease. Several relays on one database each run
 * a mailer, so reading the due mails also takes them: pg_due_mails () moves the mails it returns
 * MAIL_LEASE_MS into the future in the same statement (rows another relay is taking are skipped,
 * FOR UPDATE SKIP LOCKED), and no other relay sees them due until the mailer records what became
 * of them (mail_sent, mail_failed) or the lease runs out because that relay died. While a mail is
 * pending, its sent_at says when a relay took it; it reads as 0 until the mail is sent, as on
 * SQLite. retry_mails_now, what a relay does when it starts, leaves a mail under another relay's
 * lease alone: pulling it forward would send it twice. */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-pg-store-email.h"

/* Longer than a batch of the mailer normally takes (20 mails, each bounded by curl's timeouts)
 * and no longer than the queue's longest wait between two attempts (confab-mailer.c's
 * MAX_RETRY_MS): a relay that dies while sending delays its mails by at most that. */
#define MAIL_LEASE_MS ((gint64) 30 * 60 * 1000)

#define MAIL_COLUMNS "id, site_id, kind, to_address, message_id, message, status, attempts, " \
                     "next_attempt_at, error, created_at, " \
                     "CASE WHEN status = 'sent' THEN coalesce (sent_at, 0) ELSE 0 END, " \
                     "conversation_id, coalesce (seq, 0)"

static ConfabMail *
read_mail (PGresult *result,
           int       row)
{
  ConfabMail *mail = g_new0 (ConfabMail, 1);

  mail->id = pg_dup (result, row, 0);
  mail->site_id = pg_dup (result, row, 1);
  mail->kind = pg_dup (result, row, 2);
  mail->to_address = pg_dup (result, row, 3);
  mail->message_id = pg_dup (result, row, 4);
  mail->message = pg_dup (result, row, 5);
  mail->status = pg_dup (result, row, 6);
  mail->attempts = (guint) pg_integer (result, row, 7);
  mail->next_attempt_at = pg_integer (result, row, 8);
  mail->error = pg_dup (result, row, 9);
  mail->created_at = pg_integer (result, row, 10);
  mail->sent_at = pg_integer (result, row, 11);
  mail->conversation_id = pg_dup (result, row, 12);
  mail->seq = pg_integer (result, row, 13);
  return mail;
}

char *
pg_queue_mail (ConfabStore  *store,
               const char   *site_id,
               const char   *kind,
               const char   *conversation_id,
               gint64        seq,
               const char   *to_address,
               const char   *message_id,
               const char   *message,
               GError      **error)
{
  g_autofree char *id = confab_new_id ("mail_");
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, kind);
  pg_text (&params, to_address);
  pg_text (&params, message_id);
  pg_text (&params, message);
  pg_int (&params, confab_now_ms ());
  pg_text (&params, conversation_id);
  if (conversation_id != NULL)
    pg_int (&params, seq);
  else
    pg_text (&params, NULL);
  result = pg_write (store,
                     "INSERT INTO email_outbox (id, site_id, kind, to_address, message_id, message, "
                     "next_attempt_at, created_at, conversation_id, seq) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
                     &params, "Cannot queue the mail", error);
  if (result == NULL)
    return NULL;
  return g_steal_pointer (&id);
}

ConfabMail *
pg_get_mail (ConfabStore  *store,
             const char   *mail_id,
             GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, mail_id);
  result = pg_exec (store, "SELECT " MAIL_COLUMNS " FROM email_outbox WHERE id = $1", &params,
                    "Cannot read the mail", error);
  if (result == NULL || !pg_found (result, "mail", mail_id, error))
    return NULL;
  return read_mail (result, 0);
}

GPtrArray *
pg_due_mails (ConfabStore  *store,
              gint64        now_ms,
              guint         limit,
              GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_int (&params, now_ms);
  pg_int (&params, limit > 0 ? limit : G_MAXINT32);
  pg_int (&params, now_ms + MAIL_LEASE_MS);
  /* RETURNING gives the rows in no set order: oldest first, by creation */
  result = pg_exec (store,
                    "WITH due AS (SELECT id AS due_id FROM email_outbox "
                    "WHERE status = 'pending' AND next_attempt_at <= $1 "
                    "ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
                    "taken AS (UPDATE email_outbox SET next_attempt_at = $3, sent_at = $1 "
                    "FROM due WHERE id = due_id AND status = 'pending' "
                    "RETURNING " MAIL_COLUMNS ") "
                    "SELECT * FROM taken ORDER BY 11, 1",
                    &params, "Cannot list the mails to send", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_mail_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_mail (result, i));
  return list;
}

gint64
pg_next_mail_due (ConfabStore  *store,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  result = pg_exec (store, "SELECT min (next_attempt_at) FROM email_outbox WHERE status = 'pending'",
                    &params, "Cannot read the mail queue", error);
  if (result == NULL || PQntuples (result) == 0 || PQgetisnull (result, 0, 0))
    return -1;
  return pg_integer (result, 0, 0);
}

gboolean
pg_retry_mails_now (ConfabStore  *store,
                    gint64        now_ms,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* a mail a relay is sending (taken, its lease not run out) stays its own */
  pg_int (&params, now_ms);
  result = pg_exec (store,
                    "UPDATE email_outbox SET next_attempt_at = $1 "
                    "WHERE status = 'pending' AND next_attempt_at > $1 AND sent_at IS NULL",
                    &params, "Cannot reschedule the mail queue", error);
  return result != NULL;
}

gboolean
pg_mail_sent (ConfabStore  *store,
              const char   *mail_id,
              gint64        now_ms,
              GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, mail_id);
  pg_int (&params, now_ms);
  result = pg_exec (store,
                    "UPDATE email_outbox SET status = 'sent', sent_at = $2, error = NULL, "
                    "attempts = attempts + 1, message = '' WHERE id = $1",
                    &params, "Cannot mark the mail sent", error);
  return result != NULL;
}

gboolean
pg_mail_failed (ConfabStore  *store,
                const char   *mail_id,
                const char   *reason,
                gint64        next_attempt_at,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* the lease ends with the attempt: sent_at back to NULL */
  pg_text (&params, mail_id);
  pg_text (&params, reason);
  pg_int (&params, next_attempt_at);
  result = pg_exec (store,
                    "UPDATE email_outbox SET attempts = attempts + 1, error = $2, sent_at = NULL, "
                    "status = CASE WHEN $3::bigint = 0 THEN 'failed' ELSE 'pending' END, "
                    "message = CASE WHEN $3::bigint = 0 THEN '' ELSE message END, "
                    "next_attempt_at = CASE WHEN $3::bigint = 0 THEN next_attempt_at ELSE $3::bigint END "
                    "WHERE id = $1",
                    &params, "Cannot record the mail's failure", error);
  return result != NULL;
}

/* --- replies to offline messages ------------------------------------------------------------ */

#define REPLY_COLUMNS "r.id, r.offline_message_id, r.author_id, r.author_name, r.body, r.mail_id, " \
                      "r.sent_at, coalesce (m.status, 'failed'), m.error"

static ConfabOfflineReply *
read_reply (PGresult *result,
            int       row)
{
  ConfabOfflineReply *reply = g_new0 (ConfabOfflineReply, 1);

  reply->id = pg_dup (result, row, 0);
  reply->offline_message_id = pg_dup (result, row, 1);
  reply->author_id = pg_dup (result, row, 2);
  reply->author_name = pg_dup (result, row, 3);
  reply->body = pg_dup (result, row, 4);
  reply->mail_id = pg_dup (result, row, 5);
  reply->sent_at = pg_integer (result, row, 6);
  reply->status = pg_dup (result, row, 7);
  reply->error = pg_dup (result, row, 8);
  return reply;
}

ConfabOfflineReply *
pg_add_offline_reply (ConfabStore  *store,
                      const char   *offline_message_id,
                      const char   *author_id,
                      const char   *author_name,
                      const char   *body,
                      const char   *mail_id,
                      GError      **error)
{
  g_autofree char *id = confab_new_id ("reply_");
  g_autoptr (PGresult) insert = NULL;
  g_autoptr (PGresult) select = NULL;
  PgParams params = { 0 };
  PgParams by_id = { 0 };

  pg_text (&params, id);
  pg_text (&params, offline_message_id);
  pg_text (&params, author_id);
  pg_text (&params, author_name);
  pg_text (&params, body);
  pg_text (&params, mail_id);
  pg_int (&params, confab_now_ms ());
  insert = pg_write (store,
                     "INSERT INTO offline_replies (id, offline_message_id, author_id, author_name, "
                     "body, mail_id, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     &params, "Cannot store the reply", error);
  if (insert == NULL)
    return NULL;

  pg_text (&by_id, id);
  select = pg_exec (store,
                    "SELECT " REPLY_COLUMNS " FROM offline_replies r "
                    "LEFT JOIN email_outbox m ON m.id = r.mail_id WHERE r.id = $1",
                    &by_id, "Cannot read the reply", error);
  if (select == NULL || !pg_found (select, "reply", id, error))
    return NULL;
  return read_reply (select, 0);
}

GPtrArray *
pg_list_offline_replies (ConfabStore  *store,
                         const char   *offline_message_id,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_text (&params, offline_message_id);
  result = pg_exec (store,
                    "SELECT " REPLY_COLUMNS " FROM offline_replies r "
                    "LEFT JOIN email_outbox m ON m.id = r.mail_id "
                    "WHERE r.offline_message_id = $1 ORDER BY r.sent_at, r.id",
                    &params, "Cannot list the replies", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_offline_reply_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_reply (result, i));
  return list;
}

/* --- agents who want mail ------------------------------------------------------------------- */

int
pg_get_email_notifications (ConfabStore  *store,
                            const char   *user_id,
                            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT email_notifications FROM users WHERE id = $1", &params,
                    "Cannot read the notification preference", error);
  if (result == NULL || !pg_found (result, "user", user_id, error))
    return -1;
  return pg_integer (result, 0, 0) != 0;
}

gboolean
pg_set_email_notifications (ConfabStore  *store,
                            const char   *user_id,
                            gboolean      enabled,
                            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  pg_int (&params, enabled ? 1 : 0);
  result = pg_exec (store, "UPDATE users SET email_notifications = $2 WHERE id = $1", &params,
                    "Cannot change the notification preference", error);
  return result != NULL && pg_found (result, "user", user_id, error);
}

GStrv
pg_list_notified_members (ConfabStore  *store,
                          const char   *site_id,
                          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GStrvBuilder) addresses = g_strv_builder_new ();
  PgParams params = { 0 };

  /* invited accounts that never signed in (password_hash '') get no mail yet */
  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id "
                    "WHERE m.site_id = $1 AND u.email_notifications <> 0 "
                    "AND u.password_hash <> '' ORDER BY u.email",
                    &params, "Cannot list the site's members", error);
  if (result == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (result); i++)
    g_strv_builder_add (addresses, PQgetvalue (result, i, 0));
  return g_strv_builder_end (addresses);
}

/* --- a site's mailbox ----------------------------------------------------------------------- */

#define CHANNEL_COLUMNS "site_id, enabled, address, imap_url, imap_user, imap_password, " \
                        "poll_seconds, coalesce (last_polled_at, 0), last_error"

static ConfabEmailChannel *
read_channel (PGresult *result,
              int       row)
{
  ConfabEmailChannel *channel = g_new0 (ConfabEmailChannel, 1);

  channel->site_id = pg_dup (result, row, 0);
  channel->enabled = pg_integer (result, row, 1) != 0;
  channel->address = pg_dup (result, row, 2);
  channel->imap_url = pg_dup (result, row, 3);
  channel->imap_user = pg_dup (result, row, 4);
  channel->imap_password = pg_dup (result, row, 5);
  channel->poll_seconds = (guint) pg_integer (result, row, 6);
  channel->last_polled_at = pg_integer (result, row, 7);
  channel->last_error = pg_dup (result, row, 8);
  return channel;
}

ConfabEmailChannel *
pg_get_email_channel (ConfabStore  *store,
                      const char   *site_id,
                      GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " CHANNEL_COLUMNS " FROM email_channels WHERE site_id = $1",
                    &params, "Cannot read the site's mailbox", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return read_channel (result, 0);
}

GPtrArray *
pg_list_email_channels (ConfabStore  *store,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  result = pg_exec (store,
                    "SELECT " CHANNEL_COLUMNS " FROM email_channels WHERE enabled <> 0 "
                    "ORDER BY site_id", &params, "Cannot list the mailboxes", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_email_channel_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_channel (result, i));
  return list;
}

gboolean
pg_put_email_channel (ConfabStore               *store,
                      const ConfabEmailChannel  *channel,
                      GError                   **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* a new mailbox forgets the last poll's error: it was about another one */
  pg_text (&params, channel->site_id);
  pg_int (&params, channel->enabled ? 1 : 0);
  pg_text (&params, channel->address);
  pg_text (&params, channel->imap_url);
  pg_text (&params, channel->imap_user);
  pg_text (&params, channel->imap_password);
  pg_int (&params, channel->poll_seconds);
  result = pg_write (store,
                     "INSERT INTO email_channels AS c (site_id, enabled, address, imap_url, imap_user, "
                     "imap_password, poll_seconds) VALUES ($1, $2, $3, $4, $5, coalesce ($6, ''), $7) "
                     "ON CONFLICT (site_id) DO UPDATE SET enabled = excluded.enabled, "
                     "address = excluded.address, imap_url = excluded.imap_url, "
                     "imap_user = excluded.imap_user, "
                     "imap_password = CASE WHEN $6::text IS NULL THEN c.imap_password "
                     "ELSE excluded.imap_password END, "
                     "poll_seconds = excluded.poll_seconds, last_error = NULL",
                     &params, "Cannot store the site's mailbox", error);
  return result != NULL;
}

gboolean
pg_delete_email_channel (ConfabStore  *store,
                         const char   *site_id,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "DELETE FROM email_channels WHERE site_id = $1", &params,
                    "Cannot remove the site's mailbox", error);
  return result != NULL;
}

gboolean
pg_email_channel_polled (ConfabStore  *store,
                         const char   *site_id,
                         gint64        at_ms,
                         const char   *last_error,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_int (&params, at_ms);
  pg_text (&params, last_error);
  result = pg_exec (store,
                    "UPDATE email_channels SET last_polled_at = $2, last_error = $3 WHERE site_id = $1",
                    &params, "Cannot record the mailbox's poll", error);
  return result != NULL;
}

/* --- threading ------------------------------------------------------------------------------ */

gboolean
pg_add_mail_thread (ConfabStore  *store,
                    const char   *message_id,
                    const char   *conversation_id,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, message_id);
  pg_text (&params, conversation_id);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO email_threads (message_id, conversation_id, created_at) "
                     "VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING",
                     &params, "Cannot record the mail's thread", error);
  return result != NULL;
}

char *
pg_find_mail_thread (ConfabStore  *store,
                     const char   *message_id,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, message_id);
  result = pg_exec (store, "SELECT conversation_id FROM email_threads WHERE message_id = $1",
                    &params, "Cannot read the mail's thread", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}

GStrv
pg_list_mail_thread (ConfabStore  *store,
                     const char   *conversation_id,
                     guint         limit,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, limit > 0 ? limit : G_MAXINT32);
  result = pg_exec (store,
                    "SELECT message_id FROM (SELECT message_id, created_at FROM email_threads "
                    "WHERE conversation_id = $1 AND message_id NOT LIKE '%#mail' "
                    "AND message_id NOT LIKE '%#image-%' "
                    "ORDER BY created_at DESC, message_id LIMIT $2) t "
                    "ORDER BY created_at, message_id",
                    &params, "Cannot read the mail's thread", error);
  if (result == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (result); i++)
    g_strv_builder_add (ids, PQgetvalue (result, i, 0));
  return g_strv_builder_end (ids);
}
