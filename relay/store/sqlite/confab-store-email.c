/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-email.c: the SQLite store's e-mail tables (see confab-store-email.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-email.h"

/* Several relays may share one data directory (docs/deploy.md), each with its mailer: reading
 * the due mails also takes them, moving them MAIL_LEASE_MS into the future in the same statement,
 * so that no other relay finds them due until this one records what became of them (or dies and
 * the lease runs out). While a mail is pending, sent_at says when a relay took it; it reads as 0
 * until the mail is sent. The PostgreSQL twin (confab-pg-store-email.c) does the same. */
#define MAIL_LEASE_MS ((gint64) 30 * 60 * 1000)

#define MAIL_COLUMNS "id, site_id, kind, to_address, message_id, message, status, attempts, " \
                     "next_attempt_at, error, created_at, " \
                     "CASE WHEN status = 'sent' THEN coalesce (sent_at, 0) ELSE 0 END, " \
                     "conversation_id, coalesce (seq, 0)"

void
confab_mail_free (ConfabMail *mail)
{
  if (mail == NULL)
    return;
  g_free (mail->id);
  g_free (mail->site_id);
  g_free (mail->kind);
  g_free (mail->conversation_id);
  g_free (mail->to_address);
  g_free (mail->message_id);
  g_free (mail->message);
  g_free (mail->status);
  g_free (mail->error);
  g_free (mail);
}

static ConfabMail *
read_mail (sqlite3_stmt *stmt)
{
  ConfabMail *mail = g_new0 (ConfabMail, 1);

  mail->id = store_column_dup (stmt, 0);
  mail->site_id = store_column_dup (stmt, 1);
  mail->kind = store_column_dup (stmt, 2);
  mail->to_address = store_column_dup (stmt, 3);
  mail->message_id = store_column_dup (stmt, 4);
  mail->message = store_column_dup (stmt, 5);
  mail->status = store_column_dup (stmt, 6);
  mail->attempts = (guint) sqlite3_column_int64 (stmt, 7);
  mail->next_attempt_at = sqlite3_column_int64 (stmt, 8);
  mail->error = store_column_dup (stmt, 9);
  mail->created_at = sqlite3_column_int64 (stmt, 10);
  mail->sent_at = sqlite3_column_int64 (stmt, 11);
  mail->conversation_id = store_column_dup (stmt, 12);
  mail->seq = sqlite3_column_int64 (stmt, 13);
  return mail;
}

char *
confab_store_queue_mail (ConfabStore  *store,
                         const char   *site_id,
                         const char   *kind,
                         const char   *conversation_id,
                         gint64        seq,
                         const char   *to_address,
                         const char   *message_id,
                         const char   *message,
                         GError      **error)
{
  STORE_HANDOFF (store, queue_mail, NULL, error, site_id, kind, conversation_id, seq, to_address, message_id, message, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("mail_");
  gint64 now = confab_now_ms ();

  stmt = store_prepare (store,
                        "INSERT INTO email_outbox (id, site_id, kind, to_address, message_id, "
                        "message, next_attempt_at, created_at, conversation_id, seq) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
                        error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, kind);
  store_bind_text (stmt, 4, to_address);
  store_bind_text (stmt, 5, message_id);
  store_bind_text (stmt, 6, message);
  sqlite3_bind_int64 (stmt, 7, now);
  store_bind_text (stmt, 8, conversation_id);
  if (conversation_id != NULL)
    sqlite3_bind_int64 (stmt, 9, seq);
  if (!store_step_done (store, stmt, "Cannot queue the mail", error))
    return NULL;
  return g_steal_pointer (&id);
}

ConfabMail *
confab_store_get_mail (ConfabStore  *store,
                       const char   *mail_id,
                       GError      **error)
{
  STORE_HANDOFF (store, get_mail, NULL, error, mail_id, error);

  g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                               "SELECT " MAIL_COLUMNS " FROM email_outbox WHERE id = ?1",
                                               error);

  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, mail_id);
  if (!store_step_row (store, stmt, "mail", mail_id, error))
    return NULL;
  return read_mail (stmt);
}

/* Oldest first, as they were queued. */
static int
compare_mails (gconstpointer a,
               gconstpointer b)
{
  const ConfabMail *left = *(ConfabMail * const *) a;
  const ConfabMail *right = *(ConfabMail * const *) b;

  if (left->created_at != right->created_at)
    return left->created_at < right->created_at ? -1 : 1;
  return g_strcmp0 (left->id, right->id);
}

GPtrArray *
confab_store_due_mails (ConfabStore  *store,
                        gint64        now_ms,
                        guint         limit,
                        GError      **error)
{
  STORE_HANDOFF (store, due_mails, NULL, error, now_ms, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  GPtrArray *taken;

  /* RETURNING gives the rows in no set order: sorted below */
  stmt = store_prepare (store,
                        "UPDATE email_outbox SET next_attempt_at = ?3, sent_at = ?1 "
                        "WHERE id IN (SELECT id FROM email_outbox "
                        "WHERE status = 'pending' AND next_attempt_at <= ?1 "
                        "ORDER BY next_attempt_at, created_at LIMIT ?2) "
                        "RETURNING " MAIL_COLUMNS, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now_ms);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  sqlite3_bind_int64 (stmt, 3, now_ms + MAIL_LEASE_MS);
  taken = store_read_all (store, stmt, (gpointer) read_mail, (GDestroyNotify) confab_mail_free,
                          "Cannot list the mails to send", error);
  if (taken != NULL)
    g_ptr_array_sort (taken, compare_mails);
  return taken;
}

gint64
confab_store_next_mail_due (ConfabStore  *store,
                            GError      **error)
{
  STORE_HANDOFF (store, next_mail_due, -1, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store,
                        "SELECT min (next_attempt_at) FROM email_outbox WHERE status = 'pending'",
                        error);
  if (stmt == NULL)
    return -1;
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the mail queue");
      return -1;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_retry_mails_now (ConfabStore  *store,
                              gint64        now_ms,
                              GError      **error)
{
  STORE_HANDOFF (store, retry_mails_now, FALSE, error, now_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  /* a mail a relay is sending (taken, its lease not run out) stays its own */
  stmt = store_prepare (store,
                        "UPDATE email_outbox SET next_attempt_at = ?1 "
                        "WHERE status = 'pending' AND next_attempt_at > ?1 AND sent_at IS NULL",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now_ms);
  return store_step_done (store, stmt, "Cannot reschedule the mail queue", error);
}

gboolean
confab_store_mail_sent (ConfabStore  *store,
                        const char   *mail_id,
                        gint64        now_ms,
                        GError      **error)
{
  STORE_HANDOFF (store, mail_sent, FALSE, error, mail_id, now_ms, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "UPDATE email_outbox SET status = 'sent', sent_at = ?2, error = NULL, "
                        "attempts = attempts + 1, message = '' WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, mail_id);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  return store_step_done (store, stmt, "Cannot mark the mail sent", error);
}

gboolean
confab_store_mail_failed (ConfabStore  *store,
                          const char   *mail_id,
                          const char   *reason,
                          gint64        next_attempt_at,
                          GError      **error)
{
  STORE_HANDOFF (store, mail_failed, FALSE, error, mail_id, reason, next_attempt_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "UPDATE email_outbox SET attempts = attempts + 1, error = ?2, sent_at = NULL, "
                        "status = CASE WHEN ?3 = 0 THEN 'failed' ELSE 'pending' END, "
                        "message = CASE WHEN ?3 = 0 THEN '' ELSE message END, "
                        "next_attempt_at = CASE WHEN ?3 = 0 THEN next_attempt_at ELSE ?3 END "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, mail_id);
  store_bind_text (stmt, 2, reason);
  sqlite3_bind_int64 (stmt, 3, next_attempt_at);
  return store_step_done (store, stmt, "Cannot record the mail's failure", error);
}

/* --- replies to offline messages --- */

#define REPLY_COLUMNS "r.id, r.offline_message_id, r.author_id, r.author_name, r.body, r.mail_id, " \
                      "r.sent_at, coalesce (m.status, 'failed'), m.error"

void
confab_offline_reply_free (ConfabOfflineReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->id);
  g_free (reply->offline_message_id);
  g_free (reply->author_id);
  g_free (reply->author_name);
  g_free (reply->body);
  g_free (reply->mail_id);
  g_free (reply->status);
  g_free (reply->error);
  g_free (reply);
}

static ConfabOfflineReply *
read_reply (sqlite3_stmt *stmt)
{
  ConfabOfflineReply *reply = g_new0 (ConfabOfflineReply, 1);

  reply->id = store_column_dup (stmt, 0);
  reply->offline_message_id = store_column_dup (stmt, 1);
  reply->author_id = store_column_dup (stmt, 2);
  reply->author_name = store_column_dup (stmt, 3);
  reply->body = store_column_dup (stmt, 4);
  reply->mail_id = store_column_dup (stmt, 5);
  reply->sent_at = sqlite3_column_int64 (stmt, 6);
  reply->status = store_column_dup (stmt, 7);
  reply->error = store_column_dup (stmt, 8);
  return reply;
}

ConfabOfflineReply *
confab_store_add_offline_reply (ConfabStore  *store,
                                const char   *offline_message_id,
                                const char   *author_id,
                                const char   *author_name,
                                const char   *body,
                                const char   *mail_id,
                                GError      **error)
{
  STORE_HANDOFF (store, add_offline_reply, NULL, error, offline_message_id, author_id, author_name, body, mail_id, error);

  g_autoptr (ConfabStmt) insert = NULL;
  g_autoptr (ConfabStmt) select = NULL;
  g_autofree char *id = confab_new_id ("reply_");

  insert = store_prepare (store,
                          "INSERT INTO offline_replies (id, offline_message_id, author_id, "
                          "author_name, body, mail_id, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          error);
  if (insert == NULL)
    return NULL;
  store_bind_text (insert, 1, id);
  store_bind_text (insert, 2, offline_message_id);
  store_bind_text (insert, 3, author_id);
  store_bind_text (insert, 4, author_name);
  store_bind_text (insert, 5, body);
  store_bind_text (insert, 6, mail_id);
  sqlite3_bind_int64 (insert, 7, confab_now_ms ());
  if (!store_step_done (store, insert, "Cannot store the reply", error))
    return NULL;

  select = store_prepare (store,
                          "SELECT " REPLY_COLUMNS " FROM offline_replies r "
                          "LEFT JOIN email_outbox m ON m.id = r.mail_id WHERE r.id = ?1", error);
  if (select == NULL)
    return NULL;
  store_bind_text (select, 1, id);
  if (!store_step_row (store, select, "reply", id, error))
    return NULL;
  return read_reply (select);
}

GPtrArray *
confab_store_list_offline_replies (ConfabStore  *store,
                                   const char   *offline_message_id,
                                   GError      **error)
{
  STORE_HANDOFF (store, list_offline_replies, NULL, error, offline_message_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT " REPLY_COLUMNS " FROM offline_replies r "
                        "LEFT JOIN email_outbox m ON m.id = r.mail_id "
                        "WHERE r.offline_message_id = ?1 ORDER BY r.sent_at, r.id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, offline_message_id);
  return store_read_all (store, stmt, (gpointer) read_reply,
                         (GDestroyNotify) confab_offline_reply_free,
                         "Cannot list the replies", error);
}

/* --- agents who want mail --- */

int
confab_store_get_email_notifications (ConfabStore  *store,
                                      const char   *user_id,
                                      GError      **error)
{
  STORE_HANDOFF (store, get_email_notifications, -1, error, user_id, error);

  g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                               "SELECT email_notifications FROM users WHERE id = ?1",
                                               error);

  if (stmt == NULL)
    return -1;
  store_bind_text (stmt, 1, user_id);
  if (!store_step_row (store, stmt, "user", user_id, error))
    return -1;
  return sqlite3_column_int (stmt, 0) != 0;
}

gboolean
confab_store_set_email_notifications (ConfabStore  *store,
                                      const char   *user_id,
                                      gboolean      enabled,
                                      GError      **error)
{
  STORE_HANDOFF (store, set_email_notifications, FALSE, error, user_id, enabled, error);

  g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                               "UPDATE users SET email_notifications = ?2 WHERE id = ?1",
                                               error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, user_id);
  sqlite3_bind_int (stmt, 2, enabled ? 1 : 0);
  return store_step_done (store, stmt, "Cannot change the notification preference", error) &&
         store_not_found_if_unchanged (store, "user", user_id, error);
}

GStrv
confab_store_list_notified_members (ConfabStore  *store,
                                    const char   *site_id,
                                    GError      **error)
{
  STORE_HANDOFF (store, list_notified_members, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  int rc;

  /* invited accounts that never signed in (password_hash '') get no mail yet */
  stmt = store_prepare (store,
                        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id "
                        "WHERE m.site_id = ?1 AND u.email_notifications <> 0 "
                        "AND u.password_hash <> '' ORDER BY u.email", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (addresses, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the site's members");
      return NULL;
    }
  g_ptr_array_add (addresses, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&addresses), FALSE);
}

/* --- a site's mailbox --- */

#define CHANNEL_COLUMNS "site_id, enabled, address, imap_url, imap_user, imap_password, " \
                        "poll_seconds, coalesce (last_polled_at, 0), last_error"

void
confab_email_channel_free (ConfabEmailChannel *channel)
{
  if (channel == NULL)
    return;
  g_free (channel->site_id);
  g_free (channel->address);
  g_free (channel->imap_url);
  g_free (channel->imap_user);
  if (channel->imap_password != NULL)
    memset (channel->imap_password, 0, strlen (channel->imap_password));
  g_free (channel->imap_password);
  g_free (channel->last_error);
  g_free (channel);
}

static ConfabEmailChannel *
read_channel (sqlite3_stmt *stmt)
{
  ConfabEmailChannel *channel = g_new0 (ConfabEmailChannel, 1);

  channel->site_id = store_column_dup (stmt, 0);
  channel->enabled = sqlite3_column_int (stmt, 1) != 0;
  channel->address = store_column_dup (stmt, 2);
  channel->imap_url = store_column_dup (stmt, 3);
  channel->imap_user = store_column_dup (stmt, 4);
  channel->imap_password = store_column_dup (stmt, 5);
  channel->poll_seconds = (guint) sqlite3_column_int64 (stmt, 6);
  channel->last_polled_at = sqlite3_column_int64 (stmt, 7);
  channel->last_error = store_column_dup (stmt, 8);
  return channel;
}

ConfabEmailChannel *
confab_store_get_email_channel (ConfabStore  *store,
                                const char   *site_id,
                                GError      **error)
{
  STORE_HANDOFF (store, get_email_channel, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store, "SELECT " CHANNEL_COLUMNS " FROM email_channels WHERE site_id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    return read_channel (stmt);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot read the site's mailbox");
  return NULL;
}

GPtrArray *
confab_store_list_email_channels (ConfabStore  *store,
                                  GError      **error)
{
  STORE_HANDOFF (store, list_email_channels, NULL, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "SELECT " CHANNEL_COLUMNS " FROM email_channels WHERE enabled <> 0 "
                        "ORDER BY site_id", error);
  if (stmt == NULL)
    return NULL;
  return store_read_all (store, stmt, (gpointer) read_channel,
                         (GDestroyNotify) confab_email_channel_free,
                         "Cannot list the mailboxes", error);
}

gboolean
confab_store_put_email_channel (ConfabStore               *store,
                                const ConfabEmailChannel  *channel,
                                GError                   **error)
{
  STORE_HANDOFF (store, put_email_channel, FALSE, error, channel, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  /* a new mailbox forgets the last poll's error: it was about another one */
  stmt = store_prepare (store,
                        "INSERT INTO email_channels (site_id, enabled, address, imap_url, imap_user, "
                        "imap_password, poll_seconds) VALUES (?1, ?2, ?3, ?4, ?5, coalesce (?6, ''), ?7) "
                        "ON CONFLICT (site_id) DO UPDATE SET enabled = excluded.enabled, "
                        "address = excluded.address, imap_url = excluded.imap_url, "
                        "imap_user = excluded.imap_user, "
                        "imap_password = CASE WHEN ?6 IS NULL THEN imap_password ELSE excluded.imap_password END, "
                        "poll_seconds = excluded.poll_seconds, last_error = NULL", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, channel->site_id);
  sqlite3_bind_int (stmt, 2, channel->enabled ? 1 : 0);
  store_bind_text (stmt, 3, channel->address);
  store_bind_text (stmt, 4, channel->imap_url);
  store_bind_text (stmt, 5, channel->imap_user);
  store_bind_text (stmt, 6, channel->imap_password);
  sqlite3_bind_int64 (stmt, 7, channel->poll_seconds);
  return store_step_done (store, stmt, "Cannot store the site's mailbox", error);
}

gboolean
confab_store_delete_email_channel (ConfabStore  *store,
                                   const char   *site_id,
                                   GError      **error)
{
  STORE_HANDOFF (store, delete_email_channel, FALSE, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                               "DELETE FROM email_channels WHERE site_id = ?1",
                                               error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  return store_step_done (store, stmt, "Cannot remove the site's mailbox", error);
}

gboolean
confab_store_email_channel_polled (ConfabStore  *store,
                                   const char   *site_id,
                                   gint64        at_ms,
                                   const char   *last_error,
                                   GError      **error)
{
  STORE_HANDOFF (store, email_channel_polled, FALSE, error, site_id, at_ms, last_error, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "UPDATE email_channels SET last_polled_at = ?2, last_error = ?3 "
                        "WHERE site_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, at_ms);
  store_bind_text (stmt, 3, last_error);
  return store_step_done (store, stmt, "Cannot record the mailbox's poll", error);
}

/* --- threading --- */

gboolean
confab_store_add_mail_thread (ConfabStore  *store,
                              const char   *message_id,
                              const char   *conversation_id,
                              GError      **error)
{
  STORE_HANDOFF (store, add_mail_thread, FALSE, error, message_id, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO email_threads (message_id, conversation_id, created_at) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT (message_id) DO NOTHING", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, message_id);
  store_bind_text (stmt, 2, conversation_id);
  sqlite3_bind_int64 (stmt, 3, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot record the mail's thread", error);
}

char *
confab_store_find_mail_thread (ConfabStore  *store,
                               const char   *message_id,
                               GError      **error)
{
  STORE_HANDOFF (store, find_mail_thread, NULL, error, message_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store,
                        "SELECT conversation_id FROM email_threads WHERE message_id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, message_id);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    return store_column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot read the mail's thread");
  return NULL;
}

GStrv
confab_store_list_mail_thread (ConfabStore  *store,
                               const char   *conversation_id,
                               guint         limit,
                               GError      **error)
{
  STORE_HANDOFF (store, list_mail_thread, NULL, error, conversation_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = store_prepare (store,
                        "SELECT message_id FROM (SELECT message_id, created_at FROM email_threads "
                        "WHERE conversation_id = ?1 AND message_id NOT LIKE '%#mail' "
                        "AND message_id NOT LIKE '%#image-%' "
                        "ORDER BY created_at DESC, message_id LIMIT ?2) "
                        "ORDER BY created_at, message_id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the mail's thread");
      return NULL;
    }
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}
