/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-conversations.c: the SQLite store's conversations, messages and the event log agents resume from (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- conversations -------------------------------------------------------------------------- */

#define CONVERSATION_COLUMNS \
  "c.id, c.site_id, c.visitor_id, c.status, c.assignee_id, c.created_at, c.last_message_at, " \
  "c.last_seq, c.agent_read_seq, c.visitor_read_seq, c.unread, c.first_agent_reply_at, " \
  "c.channel, c.reply_window_ends_at, c.target_kind, c.target_due_at, c.target_state"

static ConfabConversation *
read_conversation (sqlite3_stmt *stmt)
{
  ConfabConversation *conversation = g_new0 (ConfabConversation, 1);

  conversation->id = store_column_dup (stmt, 0);
  conversation->site_id = store_column_dup (stmt, 1);
  conversation->visitor_id = store_column_dup (stmt, 2);
  if (!confab_status_from_string ((const char *) sqlite3_column_text (stmt, 3),
                                  &conversation->status))
    conversation->status = CONFAB_STATUS_OPEN;
  conversation->assignee_id = store_column_dup (stmt, 4);
  conversation->created_at = sqlite3_column_int64 (stmt, 5);
  conversation->last_message_at = sqlite3_column_int64 (stmt, 6);
  conversation->last_seq = sqlite3_column_int64 (stmt, 7);
  conversation->agent_read_seq = sqlite3_column_int64 (stmt, 8);
  conversation->visitor_read_seq = sqlite3_column_int64 (stmt, 9);
  conversation->unread = sqlite3_column_int64 (stmt, 10);
  conversation->first_agent_reply_at = sqlite3_column_int64 (stmt, 11);
  conversation->channel = store_column_dup (stmt, 12);
  conversation->reply_window_ends_at = sqlite3_column_int64 (stmt, 13);
  conversation->target_kind = confab_target_kind_from_string ((const char *) sqlite3_column_text (stmt, 14));
  conversation->target_due_at = sqlite3_column_int64 (stmt, 15);
  conversation->target_state = confab_target_state_from_string ((const char *) sqlite3_column_text (stmt, 16));
  return conversation;
}

ConfabConversation *
confab_store_get_conversation (ConfabStore *store,
                               const char  *conversation_id,
                               GError     **error)
{
  STORE_HANDOFF (store, get_conversation, NULL, error, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c WHERE c.id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, conversation_id);
  if (!store_step_row (store, stmt, "conversation", conversation_id, error))
    return NULL;

  return read_conversation (stmt);
}

ConfabConversation *
confab_store_get_current_conversation (ConfabStore *store,
                                       const char  *visitor_id,
                                       GError     **error)
{
  STORE_HANDOFF (store, get_current_conversation, NULL, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.visitor_id = ?1 AND c.status != 'closed' "
                        "ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_conversation (stmt);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot look up the visitor's conversation");
  return NULL;
}

GPtrArray *
confab_store_list_conversations (ConfabStore                    *store,
                                 const char                     *site_id,
                                 const ConfabConversationStatus *status,
                                 gint64                          before_ms,
                                 guint                           limit,
                                 GError                        **error)
{
  STORE_HANDOFF (store, list_conversations, NULL, error, site_id, status, before_ms, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.site_id = ?1 AND (?2 IS NULL OR c.status = ?2) "
                        "AND (?3 <= 0 OR c.last_message_at < ?3) "
                        "ORDER BY c.last_message_at DESC, c.rowid DESC LIMIT ?4", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, status != NULL ? confab_status_to_string (*status) : NULL);
  sqlite3_bind_int64 (stmt, 3, before_ms);
  sqlite3_bind_int64 (stmt, 4, store_sql_limit (limit));

  return store_read_all (store, stmt, (gpointer) read_conversation,
                         (GDestroyNotify) confab_conversation_free, "Cannot list the conversations", error);
}

GPtrArray *
confab_store_list_visitor_conversations (ConfabStore *store,
                                         const char  *visitor_id,
                                         guint        limit,
                                         GError     **error)
{
  STORE_HANDOFF (store, list_visitor_conversations, NULL, error, visitor_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CONVERSATION_COLUMNS " FROM conversations c "
                        "WHERE c.visitor_id IN (" LINKED_VISITORS ") "
                        "ORDER BY c.created_at DESC, c.rowid DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));

  return store_read_all (store, stmt, (gpointer) read_conversation,
                         (GDestroyNotify) confab_conversation_free, "Cannot list the visitor's conversations", error);
}

static gboolean
update_status (ConfabStore              *store,
               const char               *conversation_id,
               ConfabConversationStatus  status,
               GError                  **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "UPDATE conversations SET status = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, confab_status_to_string (status));
  return store_step_done (store, stmt, "Cannot change the conversation's status", error) &&
         store_not_found_if_unchanged (store, "conversation", conversation_id, error);
}

ConfabConversation *
confab_store_set_status (ConfabStore              *store,
                         const char               *conversation_id,
                         ConfabConversationStatus  status,
                         GError                  **error)
{
  STORE_HANDOFF (store, set_status, NULL, error, conversation_id, status, error);

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (confab_status_to_string (status) != NULL, NULL);

  if (status == CONFAB_STATUS_RESOLVED || status == CONFAB_STATUS_CLOSED)
    {
      /* the target stops with the conversation, in one transaction */
      gboolean ok;

      if (!confab_store_begin (store, error))
        return NULL;
      ok = update_status (store, conversation_id, status, error) &&
           store_targets_stop (store, conversation_id, confab_now_ms (), error);
      if (!store_finish (store, ok, error))
        return NULL;
    }
  else if (!update_status (store, conversation_id, status, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

ConfabConversation *
confab_store_set_assignee (ConfabStore *store,
                           const char  *conversation_id,
                           const char  *assignee_id,
                           GError     **error)
{
  STORE_HANDOFF (store, set_assignee, NULL, error, conversation_id, assignee_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "UPDATE conversations SET assignee_id = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, assignee_id);
  if (!store_step_done (store, stmt, "Cannot assign the conversation (does the user exist?)", error) ||
      !store_not_found_if_unchanged (store, "conversation", conversation_id, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

ConfabConversation *
confab_store_mark_read (ConfabStore      *store,
                        const char       *conversation_id,
                        ConfabSenderType  reader,
                        gint64            seq,
                        GError          **error)
{
  STORE_HANDOFF (store, mark_read, NULL, error, conversation_id, reader, seq, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (reader == CONFAB_SENDER_VISITOR || reader == CONFAB_SENDER_AGENT, NULL);

  /* Clamped to last_seq: a client cannot mark as read what does not exist yet, which would
   * hide the next messages from the unread count. The count is redone from the messages after
   * the new mark (the right-hand sides all see the row as it was before the UPDATE): a short
   * range of the (conversation_id, seq) key, and it cannot drift. */
  if (reader == CONFAB_SENDER_AGENT)
    stmt = store_prepare (store,
                          "UPDATE conversations SET "
                          "agent_read_seq = max(agent_read_seq, min(?2, last_seq)), "
                          "unread = (SELECT count(*) FROM messages m "
                          "  WHERE m.conversation_id = conversations.id "
                          "  AND m.seq > max(conversations.agent_read_seq, "
                          "                  min(?2, conversations.last_seq)) "
                          "  AND m.sender_type = 'visitor') "
                          "WHERE id = ?1", error);
  else
    stmt = store_prepare (store,
                          "UPDATE conversations SET visitor_read_seq = "
                          "max(visitor_read_seq, min(?2, last_seq)) WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (!store_step_done (store, stmt, "Cannot mark the conversation as read", error) ||
      !store_not_found_if_unchanged (store, "conversation", conversation_id, error))
    return NULL;

  return confab_store_get_conversation (store, conversation_id, error);
}

/* --- messages ------------------------------------------------------------------------------- */

#define MESSAGE_COLUMNS "m.conversation_id, m.seq, m.cursor, m.client_id, m.sender_type, " \
                        "m.sender_id, m.sender_name, m.body, m.attachment_id, m.created_at, " \
                        "m.delivery_status, m.delivery_error, m.assistant, " \
                        MESSAGE_VOTE

/* A bot's answer: the visitor's vote on it, by its seq (the assistant's) or its FAQ (the FAQ
 * bot's, one vote per FAQ and conversation); both lookups are a unique index's. */
#define MESSAGE_VOTE "CASE WHEN m.sender_type = 'bot' THEN coalesce (" \
                     "(SELECT e.helpful FROM assistant_events e WHERE e.conversation_id = m.conversation_id " \
                     " AND e.seq = m.seq AND e.kind = 'vote'), " \
                     "(SELECT f.helpful FROM faq_feedback f WHERE f.conversation_id = m.conversation_id " \
                     " AND f.faq_id = m.sender_id)) END"

static ConfabMessage *
read_message (sqlite3_stmt *stmt,
              int           first)
{
  ConfabMessage *message = g_new0 (ConfabMessage, 1);

  message->conversation_id = store_column_dup (stmt, first + 0);
  message->seq = sqlite3_column_int64 (stmt, first + 1);
  message->cursor = sqlite3_column_int64 (stmt, first + 2);
  message->client_id = store_column_dup (stmt, first + 3);
  message->sender_type = store_sender_from_string ((const char *) sqlite3_column_text (stmt, first + 4));
  message->sender_id = store_column_dup (stmt, first + 5);
  message->sender_name = store_column_dup (stmt, first + 6);
  message->body = store_column_dup (stmt, first + 7);
  message->attachment_id = store_column_dup (stmt, first + 8);
  message->created_at = sqlite3_column_int64 (stmt, first + 9);
  message->delivery_status = store_column_dup (stmt, first + 10);
  message->delivery_error = store_column_dup (stmt, first + 11);
  message->assistant_json = store_column_dup (stmt, first + 12);
  if (sqlite3_column_type (stmt, first + 13) != SQLITE_NULL)
    message->vote = sqlite3_column_int (stmt, first + 13) ? 1 : -1;
  return message;
}

/* The message this sender already stored under @client_id, or NULL (error unset) if none. */
static ConfabMessage *
find_by_client_id (ConfabStore              *store,
                   const ConfabMessageDraft *draft,
                   GError                  **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  /* IS, not =: it matches the NULL sender_id of bot and system messages too. */
  stmt = store_prepare (store,
                        "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.sender_type = ?1 "
                        "AND m.sender_id IS ?2 AND m.client_id = ?3", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, confab_sender_to_string (draft->sender_type));
  store_bind_text (stmt, 2, draft->sender_id);
  store_bind_text (stmt, 3, draft->client_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return store_with_attachment (store, read_message (stmt, 0));
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot look up the message's client id");
  return NULL;
}

static ConfabConversation *
create_conversation (ConfabStore *store,
                     const char  *site_id,
                     const char  *visitor_id,
                     gint64       now,
                     GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO conversations (id, site_id, visitor_id, created_at, "
                        "last_message_at) VALUES (?1, ?2, ?3, ?4, ?4)", error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("conv_");
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, visitor_id);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!store_step_done (store, stmt, "Cannot create the conversation", error))
    return NULL;

  return confab_store_get_conversation (store, id, error);
}

ConfabConversation *
confab_store_create_conversation (ConfabStore *store,
                                  const char  *site_id,
                                  const char  *visitor_id,
                                  GError     **error)
{
  STORE_HANDOFF (store, create_conversation, NULL, error, site_id, visitor_id, error);

  g_autoptr (ConfabVisitor) visitor = NULL;
  ConfabConversation *conversation;

  g_return_val_if_fail (store != NULL, NULL);

  visitor = confab_store_get_visitor (store, visitor_id, error);
  if (visitor == NULL)
    return NULL;
  if (g_strcmp0 (visitor->site_id, site_id) != 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No visitor “%s” on site “%s”", visitor_id, site_id);
      return NULL;
    }

  conversation = create_conversation (store, site_id, visitor_id, confab_now_ms (), error);
  return conversation;
}

/* The conversation @draft goes to, created or reopened as the header describes. */
static ConfabConversation *
resolve_conversation (ConfabStore              *store,
                      const ConfabMessageDraft *draft,
                      gint64                    now,
                      gboolean                 *changed,
                      GError                  **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  gboolean reopen;

  if (draft->conversation_id != NULL)
    {
      /* the row the caller read in this transaction: not read a second time (issue 12) */
      if (draft->conversation != NULL &&
          g_strcmp0 (draft->conversation->id, draft->conversation_id) == 0)
        conversation = confab_conversation_copy (draft->conversation);
      else
        conversation = confab_store_get_conversation (store, draft->conversation_id, error);
      if (conversation == NULL)
        return NULL;
      /* A visitor writing into a resolved conversation has a follow-up question. */
      reopen = draft->sender_type == CONFAB_SENDER_VISITOR;
    }
  else
    {
      g_autoptr (ConfabVisitor) visitor = NULL;
      g_autoptr (GError) local_error = NULL;

      if (draft->site_id == NULL || draft->visitor_id == NULL)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "A message needs a conversation id, or a site id and a visitor id");
          return NULL;
        }

      visitor = confab_store_get_visitor (store, draft->visitor_id, error);
      if (visitor == NULL)
        return NULL;
      if (g_strcmp0 (visitor->site_id, draft->site_id) != 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "No visitor “%s” on site “%s”", draft->visitor_id, draft->site_id);
          return NULL;
        }

      conversation = confab_store_get_current_conversation (store, draft->visitor_id,
                                                            &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (conversation == NULL)
        {
          *changed = TRUE;
          return create_conversation (store, draft->site_id, draft->visitor_id, now, error);
        }
      reopen = TRUE;
    }

  if (reopen && conversation->status == CONFAB_STATUS_RESOLVED)
    {
      if (!update_status (store, conversation->id, CONFAB_STATUS_OPEN, error))
        return NULL;
      conversation->status = CONFAB_STATUS_OPEN;
      *changed = TRUE;
    }

  return g_steal_pointer (&conversation);
}

/* Everything of confab_store_append_message() that writes, inside its transaction. */
static ConfabMessage *
append_new_message (ConfabStore              *store,
                    const ConfabMessageDraft *draft,
                    ConfabConversation       *conversation,
                    gint64                    now,
                    GError                  **error)
{
  ConfabMessage *message;
  gint64 seq = conversation->last_seq + 1;
  gint64 cursor;

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO events (site_id, kind, conversation_id, seq, created_at) "
                          "VALUES (?1, '" CONFAB_EVENT_MESSAGE "', ?2, ?3, ?4)", error);
    if (stmt == NULL)
      return NULL;

    store_bind_text (stmt, 1, conversation->site_id);
    store_bind_text (stmt, 2, conversation->id);
    sqlite3_bind_int64 (stmt, 3, seq);
    sqlite3_bind_int64 (stmt, 4, now);
    if (!store_step_done (store, stmt, "Cannot log the message event", error))
      return NULL;
    cursor = sqlite3_last_insert_rowid (store->db);
  }

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                          "sender_type, sender_id, sender_name, body, attachment_id, created_at, assistant) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", error);
    if (stmt == NULL)
      return NULL;

    store_bind_text (stmt, 1, conversation->id);
    sqlite3_bind_int64 (stmt, 2, seq);
    sqlite3_bind_int64 (stmt, 3, cursor);
    store_bind_text (stmt, 4, draft->client_id);
    store_bind_text (stmt, 5, confab_sender_to_string (draft->sender_type));
    store_bind_text (stmt, 6, draft->sender_id);
    store_bind_text (stmt, 7, draft->sender_name);
    store_bind_text (stmt, 8, draft->body);
    store_bind_text (stmt, 9, draft->attachment_id);
    sqlite3_bind_int64 (stmt, 10, now);
    store_bind_text (stmt, 11, draft->assistant_json);
    if (!store_step_done (store, stmt, "Cannot store the message", error))
      return NULL;
  }

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    /* max(): the list is ordered by last activity, which must not go back if the clock does.
     * The first agent message is noted on the conversation, so that nobody has to look for
     * one among its messages. No RETURNING: @conversation was read in this transaction, so
     * the new values are worked out below as SQLite does, without the ephemeral table SQLite
     * opens and closes for every UPDATE … RETURNING (~5 % of the writer thread's time). */
    stmt = store_prepare (store,
                          "UPDATE conversations SET last_seq = ?2, "
                          "last_message_at = max(last_message_at, ?3), unread = unread + ?4, "
                          "first_agent_reply_at = coalesce(first_agent_reply_at, "
                          "                                CASE WHEN ?5 THEN ?3 END) "
                          "WHERE id = ?1", error);
    if (stmt == NULL)
      return NULL;

    store_bind_text (stmt, 1, conversation->id);
    sqlite3_bind_int64 (stmt, 2, seq);
    sqlite3_bind_int64 (stmt, 3, now);
    sqlite3_bind_int (stmt, 4, draft->sender_type == CONFAB_SENDER_VISITOR ? 1 : 0);
    sqlite3_bind_int (stmt, 5, draft->sender_type == CONFAB_SENDER_AGENT && !draft->automated ? 1 : 0);
    if (!store_step_done (store, stmt, "Cannot update the conversation", error))
      return NULL;
    if (sqlite3_changes (store->db) == 0)
      {
        g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                     "No conversation “%s”", conversation->id);
        return NULL;
      }
    conversation->last_seq = seq;
    conversation->last_message_at = MAX (conversation->last_message_at, now);
    if (draft->sender_type == CONFAB_SENDER_VISITOR)
      conversation->unread++;
    if (conversation->first_agent_reply_at == 0 && draft->sender_type == CONFAB_SENDER_AGENT &&
        !draft->automated)
      conversation->first_agent_reply_at = now;
  }

  message = g_new0 (ConfabMessage, 1);
  message->conversation_id = g_strdup (conversation->id);
  message->seq = seq;
  message->cursor = cursor;
  message->client_id = g_strdup (draft->client_id);
  message->sender_type = draft->sender_type;
  message->sender_id = g_strdup (draft->sender_id);
  message->sender_name = g_strdup (draft->sender_name);
  message->body = g_strdup (draft->body);
  message->attachment_id = g_strdup (draft->attachment_id);
  message->assistant_json = g_strdup (draft->assistant_json);
  message->created_at = now;
  return store_with_attachment (store, message);
}

gboolean
confab_store_append_message (ConfabStore               *store,
                             const ConfabMessageDraft  *draft,
                             ConfabMessage            **out_message,
                             ConfabConversation       **out_conversation,
                             gboolean                  *out_conversation_changed,
                             ConfabAppendResult        *out_result,
                             GError                   **error)
{
  STORE_HANDOFF (store, append_message, FALSE, error, draft, out_message, out_conversation, out_conversation_changed, out_result, error);

  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabAppendResult result = CONFAB_APPEND_NEW;
  gboolean changed = FALSE;
  gint64 now = confab_now_ms ();

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (draft != NULL, FALSE);
  g_return_val_if_fail (confab_sender_to_string (draft->sender_type) != NULL, FALSE);

  if (draft->body == NULL && draft->attachment_id == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "A message needs a body or an attachment");
      return FALSE;
    }

  if (!confab_store_begin (store, error))
    return FALSE;

  if (draft->client_id != NULL)
    message = find_by_client_id (store, draft, &local_error);

  if (message != NULL)
    {
      if (g_strcmp0 (message->body, draft->body) != 0 ||
          g_strcmp0 (message->attachment_id, draft->attachment_id) != 0)
        g_set_error (&local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                     "Client id “%s” was already used for another message", draft->client_id);
      else
        {
          result = CONFAB_APPEND_DUPLICATE;
          conversation = confab_store_get_conversation (store, message->conversation_id,
                                                        &local_error);
        }
    }
  else if (local_error == NULL)
    {
      conversation = resolve_conversation (store, draft, now, &changed, &local_error);
      /* append_new_message() brings the conversation up to date (last_seq, unread…) */
      if (conversation != NULL)
        message = append_new_message (store, draft, conversation, now, &local_error);
      /* a target starts or ends with it: agents are told of the conversation */
      if (message != NULL &&
          !store_targets_on_message (store, conversation,
                                     draft->automated ? CONFAB_SENDER_BOT : draft->sender_type, now,
                                     &changed, &local_error))
        g_clear_pointer (&message, confab_message_free);
    }

  /* store_finish() only writes @error when it commits, i.e. when local_error is still unset. */
  if (!store_finish (store, local_error == NULL, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (out_message != NULL)
    *out_message = g_steal_pointer (&message);
  if (out_conversation != NULL)
    *out_conversation = g_steal_pointer (&conversation);
  if (out_conversation_changed != NULL)
    *out_conversation_changed = changed;
  if (out_result != NULL)
    *out_result = result;
  return TRUE;
}

ConfabMessage *
confab_store_find_message (ConfabStore      *store,
                           ConfabSenderType  sender_type,
                           const char       *sender_id,
                           const char       *client_id,
                           GError          **error)
{
  STORE_HANDOFF (store, find_message, NULL, error, sender_type, sender_id, client_id, error);

  ConfabMessageDraft draft = { 0 };

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (client_id != NULL, NULL);

  draft.sender_type = sender_type;
  draft.sender_id = sender_id;
  draft.client_id = client_id;
  return find_by_client_id (store, &draft, error);
}

GPtrArray *
confab_store_list_messages (ConfabStore *store,
                            const char  *conversation_id,
                            gint64       after_seq,
                            guint        limit,
                            GError     **error)
{
  STORE_HANDOFF (store, list_messages, NULL, error, conversation_id, after_seq, limit, error);

  g_autoptr (GPtrArray) messages = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "SELECT " MESSAGE_COLUMNS " FROM messages m "
                          "WHERE m.conversation_id = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3",
                          error);
    if (stmt == NULL)
      return NULL;

    store_bind_text (stmt, 1, conversation_id);
    sqlite3_bind_int64 (stmt, 2, after_seq);
    sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
    messages = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_message_free);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_ptr_array_add (messages, store_with_attachment (store, read_message (stmt, 0)));

    if (rc != SQLITE_DONE)
      {
        store_set_sqlite_error (store, error, rc, "Cannot list the messages");
        return NULL;
      }
  }

  /* Nothing after @after_seq is the common case of an up-to-date client; only then is it
   * worth telling it apart from a conversation that does not exist. */
  if (messages->len == 0)
    {
      g_autoptr (ConfabConversation) conversation = NULL;

      conversation = confab_store_get_conversation (store, conversation_id, error);
      if (conversation == NULL)
        return NULL;
    }

  return g_steal_pointer (&messages);
}

/* --- events --------------------------------------------------------------------------------- */

gint64
confab_store_add_event (ConfabStore *store,
                        const char  *site_id,
                        const char  *kind,
                        const char  *conversation_id,
                        const char  *payload_json,
                        GError     **error)
{
  STORE_HANDOFF (store, add_event, 0, error, site_id, kind, conversation_id, payload_json, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, 0);
  g_return_val_if_fail (kind != NULL, 0);
  /* Message events are written by append_message, with their message. */
  g_return_val_if_fail (strcmp (kind, CONFAB_EVENT_MESSAGE) != 0, 0);

  stmt = store_prepare (store,
                        "INSERT INTO events (site_id, kind, conversation_id, payload, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return 0;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, kind);
  store_bind_text (stmt, 3, conversation_id);
  store_bind_text (stmt, 4, payload_json);
  sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot log the event (does the site exist?)", error))
    return 0;

  return sqlite3_last_insert_rowid (store->db);
}

GPtrArray *
confab_store_list_events (ConfabStore         *store,
                          const char * const  *site_ids,
                          gint64               after_cursor,
                          guint                limit,
                          GError             **error)
{
  STORE_HANDOFF (store, list_events, NULL, error, site_ids, after_cursor, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *site_ids_json = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_event_free);
  if (site_ids == NULL || site_ids[0] == NULL)
    return g_steal_pointer (&events);

  /* The site list travels as one JSON array parameter: no SQL is built from it, and one
   * cached statement serves any number of sites. */
  site_ids_json = store_strv_to_json (site_ids);
  stmt = store_prepare (store,
                        "SELECT e.cursor, e.site_id, e.kind, e.payload, e.created_at, "
                        "m.conversation_id IS NOT NULL, " MESSAGE_COLUMNS " "
                        "FROM events e LEFT JOIN messages m ON m.cursor = e.cursor "
                        "WHERE e.site_id IN (SELECT value FROM json_each(?1)) AND e.cursor > ?2 "
                        "ORDER BY e.cursor LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_ids_json);
  sqlite3_bind_int64 (stmt, 2, after_cursor);
  sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabEvent *event = g_new0 (ConfabEvent, 1);

      event->cursor = sqlite3_column_int64 (stmt, 0);
      event->site_id = store_column_dup (stmt, 1);
      event->kind = store_column_dup (stmt, 2);
      event->payload_json = store_column_dup (stmt, 3);
      event->created_at = sqlite3_column_int64 (stmt, 4);
      if (sqlite3_column_int (stmt, 5))
        event->message = store_with_attachment (store, read_message (stmt, 6));
      g_ptr_array_add (events, event);
    }

  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the events");
      return NULL;
    }
  return g_steal_pointer (&events);
}

gint64
confab_store_last_cursor (ConfabStore *store)
{
  STORE_HANDOFF (store, last_cursor, 0, NULL);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (store != NULL, 0);

  /* sqlite_sequence rather than max(cursor): it stays right after old events are pruned. It
   * only exists once the first AUTOINCREMENT row was written, hence the fallback. */
  stmt = store_prepare (store,
                        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), "
                        "(SELECT max(cursor) FROM events), 0)", &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return 0;
    }

  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}
