/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-apply.c: ConfabCache, the writes: relay events and the outbox. */
#define G_LOG_DOMAIN "confab-cache"

#include "confab-cache-assistant.h"
#include "confab-cache-private.h"
#include "confab-json.h"
#include "confab-util.h"
#include "confab-routing.h"

#define PREVIEW_CHARS 140

/* Members of a relay object, tolerant of absent and null ones (the relay is trusted for shape,
 * but an older relay may lack newer fields). */
static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *object,
            const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
member_time (JsonObject *object,
             const char *member)
{
  const char *text = member_string (object, member);
  gint64 ms = 0;

  if (text == NULL || !confab_parse_time (text, &ms))
    return 0;
  return ms;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
invalid (GError    **error,
         const char *what)
{
  g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_INVALID,
               "The relay sent %s without the fields it must have", what);
  return FALSE;
}

/* Queues conversation-changed with the row as it is now, right after the write: a handler of
 * an earlier signal may change it again before this one goes out. */
static void
queue_conversation (ConfabCache        *self,
                    ConfabConversation *old,
                    const char         *conversation_id)
{
  g_autoptr (ConfabConversation) now = confab_cache_get_conversation (self, conversation_id);

  if (now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED, old, now);
}

/* --- sites --- */

gboolean
confab_cache_replace_sites (ConfabCache  *self,
                            JsonArray    *sites,
                            GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (!confab_cache_begin (self, error))
    return FALSE;
  if (!confab_cache_exec (self, "DELETE FROM sites", error))
    goto failed;

  for (guint i = 0; sites && i < json_array_get_length (sites); i++)
    {
      JsonNode *node = json_array_get_element (sites, i);
      JsonObject *site = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (member_string (site, "id") == NULL || member_string (site, "name") == NULL)
        {
          invalid (error, "a site");
          goto failed;
        }
      stmt = confab_cache_prepare (self, "INSERT OR REPLACE INTO sites (id, name, role, max_chats) "
                                   "VALUES (?, ?, ?, ?)", error);
      if (stmt == NULL)
        goto failed;
      bind_text (stmt, 1, member_string (site, "id"));
      bind_text (stmt, 2, member_string (site, "name"));
      bind_text (stmt, 3, member_string (site, "role"));
      /* issue 18: the user's own limit; absent (a relay without routing): NULL */
      if (json_object_has_member (site, "max_chats"))
        sqlite3_bind_int64 (stmt, 4, MAX (0, member_int (site, "max_chats")));
      if (!confab_cache_step_done (self, stmt, error))
        goto failed;
    }

  if (!confab_cache_commit (self, error))
    return FALSE;
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_SITES_CHANGED, NULL, NULL);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

/* --- conversations --- */

gboolean
confab_cache_apply_conversation (ConfabCache  *self,
                                 JsonObject   *conversation,
                                 gint64        cursor,
                                 GError      **error)
{
  g_autoptr (ConfabConversation) old = NULL;
  JsonObject *assignee = member_object (conversation, "assignee");
  JsonObject *rating = member_object (conversation, "rating");
  const char *id = member_string (conversation, "id");
  sqlite3_stmt *stmt;
  gint64 created_at, last_message_at;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (id == NULL || member_string (conversation, "site_id") == NULL ||
      member_string (conversation, "visitor_id") == NULL ||
      member_string (conversation, "status") == NULL)
    return invalid (error, "a conversation");

  old = confab_cache_get_conversation (self, id);
  created_at = member_time (conversation, "created_at");
  last_message_at = member_time (conversation, "last_message_at");

  if (!confab_cache_begin (self, error))
    return FALSE;

  /* The relay's object is a snapshot at its cursor; messages after it arrive later and move
   * last_seq on (apply_message), so a snapshot never moves them back. */
  stmt = confab_cache_prepare (self,
    "INSERT INTO conversations (id, site_id, visitor_id, status, assignee_id, assignee_name,"
    "  created_at, last_message_at, sort_at, last_seq, unread, agent_read_seq, visitor_read_seq,"
    "  rating_score, rating_comment, rated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, MAX (?7, ?8), ?9, ?10, ?11, ?12,"
    "  COALESCE (?13, 0), ?14, COALESCE (?15, 0))"
    " ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
    "  rating_score = CASE WHEN ?16 THEN excluded.rating_score ELSE rating_score END,"
    "  rating_comment = CASE WHEN ?16 THEN excluded.rating_comment ELSE rating_comment END,"
    "  rated_at = CASE WHEN ?16 THEN excluded.rated_at ELSE rated_at END,"
    "  assignee_id = excluded.assignee_id, assignee_name = excluded.assignee_name,"
    "  created_at = excluded.created_at,"
    "  last_message_at = MAX (last_message_at, excluded.last_message_at),"
    "  sort_at = MAX (sort_at, excluded.sort_at),"
    "  unread = CASE WHEN excluded.last_seq >= last_seq THEN excluded.unread"
    "           ELSE MAX (0, unread - MAX (0, excluded.agent_read_seq - agent_read_seq)) END,"
    "  last_seq = MAX (last_seq, excluded.last_seq),"
    "  agent_read_seq = MAX (agent_read_seq, excluded.agent_read_seq),"
    "  visitor_read_seq = MAX (visitor_read_seq, excluded.visitor_read_seq)",
    error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, member_string (conversation, "site_id"));
  bind_text (stmt, 3, member_string (conversation, "visitor_id"));
  bind_text (stmt, 4, member_string (conversation, "status"));
  bind_text (stmt, 5, member_string (assignee, "id"));
  bind_text (stmt, 6, member_string (assignee, "name"));
  sqlite3_bind_int64 (stmt, 7, created_at);
  sqlite3_bind_int64 (stmt, 8, last_message_at);
  sqlite3_bind_int64 (stmt, 9, member_int (conversation, "last_seq"));
  sqlite3_bind_int64 (stmt, 10, member_int (conversation, "unread"));
  sqlite3_bind_int64 (stmt, 11, member_int (conversation, "agent_read_seq"));
  sqlite3_bind_int64 (stmt, 12, member_int (conversation, "visitor_read_seq"));
  /* "rating": an object, or null when not rated; absent (an older relay): keep what is here */
  if (rating != NULL)
    {
      sqlite3_bind_int64 (stmt, 13, member_int (rating, "score"));
      bind_text (stmt, 14, member_string (rating, "comment"));
      sqlite3_bind_int64 (stmt, 15, member_time (rating, "rated_at"));
    }
  sqlite3_bind_int (stmt, 16, json_object_has_member (conversation, "rating"));
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_labels (self, id, conversation, error) ||
      !confab_cache_store_routing (self, id, conversation, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  queue_conversation (self, old, id);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

gboolean
confab_cache_mark_read (ConfabCache  *self,
                        const char   *conversation_id,
                        gint64        seq,
                        GError      **error)
{
  g_autoptr (ConfabConversation) old = confab_cache_get_conversation (self, conversation_id);
  sqlite3_stmt *stmt;

  if (old == NULL)
    {
      g_set_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_NOT_FOUND, "No such conversation");
      return FALSE;
    }
  stmt = confab_cache_prepare (self, "UPDATE conversations SET agent_read_seq = MAX (agent_read_seq, ?2),"
                               " unread = CASE WHEN ?2 >= last_seq THEN 0 ELSE unread END"
                               " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (!confab_cache_step_done (self, stmt, error))
    return FALSE;
  queue_conversation (self, old, conversation_id);
  confab_cache_announce (self);
  return TRUE;
}

/* --- messages --- */

static char *
make_preview (const char *body)
{
  g_autofree char *flat = NULL;

  if (body == NULL)
    return NULL;
  flat = g_strdup (body);
  g_strdelimit (flat, "\r\n\t", ' ');
  if (g_utf8_strlen (flat, -1) <= PREVIEW_CHARS)
    return g_steal_pointer (&flat);
  return g_utf8_substring (flat, 0, PREVIEW_CHARS);
}

gboolean
confab_cache_apply_message (ConfabCache  *self,
                            JsonObject   *frame,
                            gint64        cursor,
                            GError      **error)
{
  g_autoptr (ConfabMessage) old = NULL;
  g_autoptr (ConfabMessage) now = NULL;
  g_autoptr (ConfabConversation) old_conversation = NULL;
  g_autofree char *attachment = NULL;
  g_autofree char *preview = NULL;
  JsonObject *sender = member_object (frame, "sender");
  const char *conversation_id = member_string (frame, "conversation_id");
  const char *client_id = member_string (frame, "client_id");
  const char *sender_type = member_string (sender, "type");
  gint64 seq = member_int (frame, "seq");
  gint64 created_at = member_time (frame, "created_at");
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (conversation_id == NULL || seq <= 0 || sender_type == NULL)
    return invalid (error, "a message");

  if (member_object (frame, "attachment") != NULL)
    attachment = confab_json_object_to_string (member_object (frame, "attachment"));
  preview = make_preview (member_string (frame, "body"));
  /* a file without words: its name says more in the inbox than "Sent an image" */
  if (preview == NULL && g_strcmp0 (member_string (member_object (frame, "attachment"), "kind"), "file") == 0)
    preview = make_preview (member_string (member_object (frame, "attachment"), "name"));

  /* The same message again (a replay after a lost ack, or our own queued one coming back):
   * update the row that is there instead of adding one. */
  old = confab_cache_get_message_by_seq (self, conversation_id, seq);
  if (old == NULL && client_id != NULL)
    {
      old = confab_cache_get_message_by_client_id (self, client_id);
      if (old != NULL && g_strcmp0 (confab_message_get_conversation_id (old), conversation_id) != 0)
        g_clear_object (&old);
    }
  old_conversation = confab_cache_get_conversation (self, conversation_id);

  if (!confab_cache_begin (self, error))
    return FALSE;

  if (old != NULL)
    {
      stmt = confab_cache_prepare (self,
        "UPDATE messages SET seq = ?2, sort_key = ?2 * 1024, client_id = COALESCE (?3, client_id),"
        " sender_type = ?4, sender_id = ?5, sender_name = ?6, body = ?7, attachment = ?8,"
        " created_at = ?9, state = 1 WHERE local_id = ?1", error);
      if (stmt == NULL)
        goto failed;
      sqlite3_bind_int64 (stmt, 1, confab_message_get_local_id (old));
    }
  else
    {
      stmt = confab_cache_prepare (self,
        "INSERT INTO messages (conversation_id, seq, sort_key, client_id, sender_type, sender_id,"
        " sender_name, body, attachment, created_at, state)"
        " VALUES (?1, ?2, ?2 * 1024, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)", error);
      if (stmt == NULL)
        goto failed;
      bind_text (stmt, 1, conversation_id);
    }
  sqlite3_bind_int64 (stmt, 2, seq);
  bind_text (stmt, 3, client_id);
  bind_text (stmt, 4, sender_type);
  bind_text (stmt, 5, member_string (sender, "id"));
  bind_text (stmt, 6, member_string (sender, "name"));
  bind_text (stmt, 7, member_string (frame, "body"));
  bind_text (stmt, 8, attachment);
  sqlite3_bind_int64 (stmt, 9, created_at);
  if (!confab_cache_step_done (self, stmt, error))
    goto failed;
  if (!confab_cache_note_assistant (self, frame, error))
    goto failed;

  /* Relays announce a conversation only when its status changes: a new message moves its
   * position, preview and unread count here. Only a new last message counts. */
  if (old_conversation != NULL)
    {
      stmt = confab_cache_prepare (self,
        "UPDATE conversations SET last_seq = ?2, preview = ?3,"
        " last_message_at = MAX (last_message_at, ?4), sort_at = MAX (sort_at, ?4),"
        " unread = unread + (CASE WHEN ?5 = 'visitor' AND ?2 > agent_read_seq THEN 1 ELSE 0 END)"
        " WHERE id = ?1 AND last_seq < ?2", error);
      if (stmt == NULL)
        goto failed;
      bind_text (stmt, 1, conversation_id);
      sqlite3_bind_int64 (stmt, 2, seq);
      bind_text (stmt, 3, preview);
      sqlite3_bind_int64 (stmt, 4, created_at);
      bind_text (stmt, 5, sender_type);
      if (!confab_cache_step_done (self, stmt, error))
        goto failed;
    }

  if (!confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_message_by_seq (self, conversation_id, seq);
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, old, now);
  if (old_conversation != NULL)
    queue_conversation (self, old_conversation, conversation_id);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

/* --- visitors --- */

/* @snapshot: read by REST some time after the visitor's last event, so "now" is not when they
 * were last seen unless they are online; an event arrives as it happens, so "now" is. */
static gboolean
apply_visitor (ConfabCache  *self,
               const char   *site_id,
               JsonObject   *visitor,
               gint64        cursor,
               gboolean      snapshot,
               GError      **error)
{
  g_autoptr (ConfabVisitor) old = NULL;
  g_autoptr (ConfabVisitor) now = NULL;
  g_autofree char *journey = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *goals = NULL;
  gint64 lead_score;
  JsonObject *geo = member_object (visitor, "geo");
  JsonObject *device = member_object (visitor, "device");
  JsonObject *page = member_object (visitor, "page");
  JsonNode *journey_node = visitor ? json_object_get_member (visitor, "journey") : NULL;
  JsonNode *online_node = visitor ? json_object_get_member (visitor, "online") : NULL;
  const char *id = member_string (visitor, "id");
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (id == NULL || site_id == NULL)
    return invalid (error, "a visitor");

  if (journey_node != NULL && JSON_NODE_HOLDS_ARRAY (journey_node))
    journey = confab_json_node_to_string (journey_node);
  old = confab_cache_get_visitor (self, id);
  /* issue 16's contact members: a visitor event without them (an older relay, a frame that does
   * not carry them) keeps what the cache had; a null clears */
  if (json_object_has_member (visitor, "tags"))
    {
      JsonNode *node = json_object_get_member (visitor, "tags");

      tags = JSON_NODE_HOLDS_ARRAY (node) ? confab_json_node_to_string (node) : NULL;
    }
  else
    tags = g_strdup (old != NULL ? confab_visitor_get_tags (old) : NULL);
  if (json_object_has_member (visitor, "goals"))
    {
      JsonNode *node = json_object_get_member (visitor, "goals");

      goals = JSON_NODE_HOLDS_ARRAY (node) ? confab_json_node_to_string (node) : NULL;
    }
  else
    goals = g_strdup (old != NULL ? confab_visitor_get_goals (old) : NULL);
  if (json_object_has_member (visitor, "lead_score"))
    {
      JsonNode *node = json_object_get_member (visitor, "lead_score");

      lead_score = JSON_NODE_HOLDS_VALUE (node) ? CLAMP (member_int (visitor, "lead_score"), 0, 100) : -1;
    }
  else
    lead_score = old != NULL ? confab_visitor_get_lead_score (old) : -1;

  if (!confab_cache_begin (self, error))
    return FALSE;
  stmt = confab_cache_prepare (self,
    "INSERT OR REPLACE INTO visitors (id, site_id, online, name, email, country, city, timezone,"
    " locale, browser, os, page_url, page_title, journey, first_seen, last_seen, visits,"
    " phone, notes, tags, lead_score, goals)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, site_id);
  sqlite3_bind_int (stmt, 3, online_node && JSON_NODE_HOLDS_VALUE (online_node) &&
                             json_node_get_value_type (online_node) == G_TYPE_BOOLEAN &&
                             json_node_get_boolean (online_node));
  bind_text (stmt, 4, member_string (visitor, "name"));
  bind_text (stmt, 5, member_string (visitor, "email"));
  bind_text (stmt, 6, member_string (geo, "country"));
  bind_text (stmt, 7, member_string (geo, "city"));
  bind_text (stmt, 8, member_string (visitor, "timezone"));
  bind_text (stmt, 9, member_string (visitor, "locale"));
  bind_text (stmt, 10, member_string (device, "browser"));
  bind_text (stmt, 11, member_string (device, "os"));
  bind_text (stmt, 12, member_string (page, "url"));
  bind_text (stmt, 13, member_string (page, "title"));
  bind_text (stmt, 14, journey);
  sqlite3_bind_int64 (stmt, 15, member_time (visitor, "first_seen"));
  if (snapshot && !(online_node && JSON_NODE_HOLDS_VALUE (online_node) &&
                    json_node_get_value_type (online_node) == G_TYPE_BOOLEAN &&
                    json_node_get_boolean (online_node)))
    sqlite3_bind_int64 (stmt, 16, MAX (member_time (visitor, "last_seen"),
                                       old != NULL ? confab_visitor_get_last_seen (old) : 0));
  else
    sqlite3_bind_int64 (stmt, 16, MAX (member_time (visitor, "last_seen"), confab_now_ms ()));
  sqlite3_bind_int64 (stmt, 17, member_int (visitor, "visits"));
  bind_text (stmt, 18, json_object_has_member (visitor, "phone")
                       ? member_string (visitor, "phone")
                       : old != NULL ? confab_visitor_get_phone (old) : NULL);
  bind_text (stmt, 19, json_object_has_member (visitor, "notes")
                       ? member_string (visitor, "notes")
                       : old != NULL ? confab_visitor_get_notes (old) : NULL);
  bind_text (stmt, 20, tags);
  if (lead_score >= 0)
    sqlite3_bind_int64 (stmt, 21, lead_score);
  else
    sqlite3_bind_null (stmt, 21);
  bind_text (stmt, 22, goals);
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_visitor (self, id);
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_VISITOR_CHANGED, NULL, now);

  /* Conversation rows show the visitor's name: tell their lists when it changed. */
  if (old == NULL ||
      g_strcmp0 (confab_visitor_get_name (old), confab_visitor_get_name (now)) != 0 ||
      g_strcmp0 (confab_visitor_get_email (old), confab_visitor_get_email (now)) != 0)
    {
      g_autoptr (GListModel) conversations = confab_cache_list_visitor_conversations (self, id);

      for (guint i = 0; i < g_list_model_get_n_items (conversations); i++)
        {
          g_autoptr (ConfabConversation) conversation = g_list_model_get_item (conversations, i);
          confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED,
                                     conversation, conversation);
        }
    }
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

gboolean
confab_cache_apply_visitor (ConfabCache  *self,
                            const char   *site_id,
                            JsonObject   *visitor,
                            gint64        cursor,
                            GError      **error)
{
  return apply_visitor (self, site_id, visitor, cursor, FALSE, error);
}

gboolean
confab_cache_apply_visitor_snapshot (ConfabCache  *self,
                                     const char   *site_id,
                                     JsonObject   *visitor,
                                     GError      **error)
{
  return apply_visitor (self, site_id, visitor, 0, TRUE, error);
}

/* --- the outbox --- */

ConfabMessage *
confab_cache_outbox_add (ConfabCache  *self,
                         const char   *conversation_id,
                         const char   *body,
                         GError      **error)
{
  return confab_cache_outbox_add_full (self, conversation_id, body, NULL, error);
}

ConfabMessage *
confab_cache_outbox_add_full (ConfabCache  *self,
                              const char   *conversation_id,
                              const char   *body,
                              const char   *attachment,
                              GError      **error)
{
  g_autofree char *client_id = g_uuid_string_random ();
  g_autofree char *user_id = confab_cache_dup_meta (self, "user_id");
  g_autofree char *user_name = confab_cache_dup_meta (self, "user_name");
  ConfabMessage *message;
  gint64 now = confab_now_ms ();
  sqlite3_stmt *stmt;
  gint64 local_id;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);
  g_return_val_if_fail (conversation_id != NULL && body != NULL, NULL);

  if (!confab_cache_begin (self, error))
    return NULL;

  stmt = confab_cache_prepare (self,
    "INSERT INTO outbox (client_id, conversation_id, body, created_at) VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, client_id);
  bind_text (stmt, 2, conversation_id);
  bind_text (stmt, 3, body);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!confab_cache_step_done (self, stmt, error))
    goto failed;

  /* sort_key is fixed right after: queued rows sort by their own row id */
  stmt = confab_cache_prepare (self,
    "INSERT INTO messages (conversation_id, seq, sort_key, client_id, sender_type, sender_id,"
    " sender_name, body, attachment, created_at, state)"
    " VALUES (?1, NULL, -random (), ?2, 'agent', ?3, ?4, ?5, ?7, ?6, 0)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, client_id);
  bind_text (stmt, 3, user_id);
  bind_text (stmt, 4, user_name);
  bind_text (stmt, 5, body);
  sqlite3_bind_int64 (stmt, 6, now);
  bind_text (stmt, 7, attachment);
  if (!confab_cache_step_done (self, stmt, error))
    goto failed;
  local_id = sqlite3_last_insert_rowid (sqlite3_db_handle (stmt));

  stmt = confab_cache_prepare (self, "UPDATE messages SET sort_key = ?2 WHERE local_id = ?1", error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_int64 (stmt, 1, local_id);
  sqlite3_bind_int64 (stmt, 2, CONFAB_CACHE_QUEUED_SORT_BASE + local_id);
  if (!confab_cache_step_done (self, stmt, error))
    goto failed;

  if (!confab_cache_commit (self, error))
    return NULL;

  message = confab_cache_get_message_by_client_id (self, client_id);
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, NULL, message);
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_OUTBOX_CHANGED, NULL, NULL);
  confab_cache_announce (self);
  return message;

failed:
  confab_cache_rollback (self);
  return NULL;
}

GPtrArray *
confab_cache_outbox_list (ConfabCache *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;

  stmt = confab_cache_prepare (self, "SELECT client_id FROM outbox WHERE state = 'queued' "
                               "ORDER BY position", NULL);
  if (stmt == NULL)
    return entries;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (entries, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);

  /* ids first: the lookups below reuse statements */
  for (guint i = 0; i < entries->len; i++)
    {
      g_autofree char *client_id = entries->pdata[i];
      entries->pdata[i] = confab_cache_get_message_by_client_id (self, client_id);
    }
  for (guint i = entries->len; i > 0; i--)
    if (entries->pdata[i - 1] == NULL)
      g_ptr_array_remove_index (entries, i - 1);
  return entries;
}

guint
confab_cache_outbox_length (ConfabCache *self)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self, "SELECT COUNT (*) FROM outbox", NULL);
  guint n = 0;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return n;
}

/* Runs @sql (?1 = client_id, ?2 = an int, ?3 = a text) on both tables and tells the list. */
static gboolean
outbox_change (ConfabCache  *self,
               const char   *client_id,
               const char   *outbox_sql,
               const char   *message_sql,
               gint64        number,
               const char   *text,
               GError      **error)
{
  g_autoptr (ConfabMessage) old = confab_cache_get_message_by_client_id (self, client_id);
  g_autoptr (ConfabMessage) now = NULL;
  const char *sqls[] = { outbox_sql, message_sql };

  if (!confab_cache_begin (self, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (sqls); i++)
    {
      sqlite3_stmt *stmt = confab_cache_prepare (self, sqls[i], error);

      if (stmt == NULL)
        goto failed;
      bind_text (stmt, 1, client_id);
      if (sqlite3_bind_parameter_count (stmt) >= 2)
        sqlite3_bind_int64 (stmt, 2, number);
      if (sqlite3_bind_parameter_count (stmt) >= 3)
        bind_text (stmt, 3, text);
      if (!confab_cache_step_done (self, stmt, error))
        goto failed;
    }
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_message_by_client_id (self, client_id);
  if (old != NULL || now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, old, now);
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_OUTBOX_CHANGED, NULL, NULL);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

gboolean
confab_cache_outbox_acked (ConfabCache  *self,
                           const char   *client_id,
                           const char   *conversation_id,
                           gint64        seq,
                           GError      **error)
{
  g_autoptr (ConfabMessage) echo = NULL;

  g_return_val_if_fail (seq > 0, FALSE);

  /* When the relay's echo of it arrived first, that row holds the seq already: the queued one
   * goes, so that the message shows once. */
  echo = confab_cache_get_message_by_seq (self, conversation_id, seq);
  if (echo != NULL && g_strcmp0 (confab_message_get_client_id (echo), client_id) != 0)
    echo = NULL;
  if (echo != NULL)
    return outbox_change (self, client_id,
                          "DELETE FROM outbox WHERE client_id = ?1",
                          "DELETE FROM messages WHERE client_id = ?1 AND seq IS NULL AND ?2 >= 0",
                          seq, NULL, error);

  return outbox_change (self, client_id,
                        "DELETE FROM outbox WHERE client_id = ?1",
                        "UPDATE messages SET seq = ?2, sort_key = ?2 * 1024, state = 1 "
                        "WHERE client_id = ?1 AND seq IS NULL",
                        seq, NULL, error);
}

gboolean
confab_cache_outbox_failed (ConfabCache  *self,
                            const char   *client_id,
                            const char   *code,
                            GError      **error)
{
  return outbox_change (self, client_id,
                        "UPDATE outbox SET state = 'failed', error_code = ?3 WHERE client_id = ?1 AND ?2 = 2",
                        "UPDATE messages SET state = ?2 WHERE client_id = ?1 AND seq IS NULL",
                        CONFAB_MESSAGE_FAILED, code, error);
}

gboolean
confab_cache_outbox_retry (ConfabCache  *self,
                           const char   *client_id,
                           GError      **error)
{
  return outbox_change (self, client_id,
                        "UPDATE outbox SET state = 'queued', error_code = NULL WHERE client_id = ?1 AND ?2 = 0",
                        "UPDATE messages SET state = ?2 WHERE client_id = ?1 AND seq IS NULL",
                        CONFAB_MESSAGE_QUEUED, NULL, error);
}

gboolean
confab_cache_outbox_set_attachment (ConfabCache  *self,
                                    const char   *client_id,
                                    const char   *attachment,
                                    GError      **error)
{
  return outbox_change (self, client_id,
                        "UPDATE outbox SET error_code = NULL WHERE client_id = ?1",
                        "UPDATE messages SET attachment = ?3 WHERE client_id = ?1 AND seq IS NULL AND ?2 = 0",
                        0, attachment, error);
}

gboolean
confab_cache_outbox_discard (ConfabCache  *self,
                             const char   *client_id,
                             GError      **error)
{
  return outbox_change (self, client_id,
                        "DELETE FROM outbox WHERE client_id = ?1",
                        "DELETE FROM messages WHERE client_id = ?1 AND seq IS NULL",
                        0, NULL, error);
}
