/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-unseen.c: ConfabCache, what a visitor sends besides messages: offline messages,
 * ratings, and the conversations' timeline events (kept as rows among the messages). */
#define G_LOG_DOMAIN "confab-cache"

#include "confab-cache-private.h"
#include "confab-json.h"
#include "confab-util.h"

/* At most this many events between two messages (the keys between seq * 1024 and the next
 * message's); more are not kept (no conversation comes near it). */
#define MAX_EVENTS_PER_GAP ((1 << CONFAB_CACHE_SEQ_SORT_SHIFT) - 1)

/* A list of offline messages is for a person to read: the newest ones, not every one ever. */
#define MAX_LISTED 500

static const char *
string_of (JsonObject *object,
           const char *member)
{
  const char *value = NULL;

  if (object != NULL)
    confab_json_get_string (object, member, FALSE, &value, NULL);
  return value;
}

static JsonObject *
object_of (JsonObject *object,
           const char *member)
{
  JsonObject *value = NULL;

  if (object != NULL)
    confab_json_get_object (object, member, FALSE, &value, NULL);
  return value;
}

static gint64
time_of (JsonObject *object,
         const char *member)
{
  const char *text = string_of (object, member);
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

/* ------------------------------------------------------ offline messages --- */

#define OFFLINE_COLUMNS \
  "id, site_id, visitor_id, name, email, body, page_url, page_title, created_at, status, " \
  "handled_by_id, handled_by_name, handled_at, conversation_id"

static ConfabOfflineMessage *
offline_from_stmt (sqlite3_stmt *stmt)
{
  return g_object_new (CONFAB_TYPE_OFFLINE_MESSAGE,
                       "id", (const char *) sqlite3_column_text (stmt, 0),
                       "site-id", (const char *) sqlite3_column_text (stmt, 1),
                       "visitor-id", (const char *) sqlite3_column_text (stmt, 2),
                       "name", (const char *) sqlite3_column_text (stmt, 3),
                       "email", (const char *) sqlite3_column_text (stmt, 4),
                       "body", (const char *) sqlite3_column_text (stmt, 5),
                       "page-url", (const char *) sqlite3_column_text (stmt, 6),
                       "page-title", (const char *) sqlite3_column_text (stmt, 7),
                       "created-at", sqlite3_column_int64 (stmt, 8),
                       "status", (const char *) sqlite3_column_text (stmt, 9),
                       "handled-by-id", (const char *) sqlite3_column_text (stmt, 10),
                       "handled-by-name", (const char *) sqlite3_column_text (stmt, 11),
                       "handled-at", sqlite3_column_int64 (stmt, 12),
                       "conversation-id", (const char *) sqlite3_column_text (stmt, 13),
                       NULL);
}

ConfabOfflineMessage *
confab_cache_get_offline_message (ConfabCache *self,
                                  const char  *id)
{
  sqlite3_stmt *stmt;
  ConfabOfflineMessage *offline = NULL;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);

  stmt = confab_cache_prepare (self, "SELECT " OFFLINE_COLUMNS " FROM offline_messages WHERE id = ?",
                               NULL);
  if (stmt == NULL || id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    offline = offline_from_stmt (stmt);
  sqlite3_reset (stmt);
  return offline;
}

gboolean
confab_cache_apply_offline_message (ConfabCache  *self,
                                    JsonObject   *offline,
                                    gint64        cursor,
                                    GError      **error)
{
  g_autoptr (ConfabOfflineMessage) old = NULL;
  g_autoptr (ConfabOfflineMessage) now = NULL;
  JsonObject *page = object_of (offline, "page");
  JsonObject *handled_by = object_of (offline, "handled_by");
  const char *id = string_of (offline, "id");
  const char *status = string_of (offline, "status");
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (id == NULL || string_of (offline, "site_id") == NULL || status == NULL)
    return invalid (error, "an offline message");

  old = confab_cache_get_offline_message (self, id);
  /* a REST answer may be older than the events applied since it was asked for: it only adds
   * what the cache lacks (the events after the cursor keep the rest up to date) */
  if (old != NULL && cursor == 0)
    return TRUE;
  if (!confab_cache_begin (self, error))
    return FALSE;
  stmt = confab_cache_prepare (self,
    "INSERT OR REPLACE INTO offline_messages (" OFFLINE_COLUMNS ")"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, string_of (offline, "site_id"));
  bind_text (stmt, 3, string_of (offline, "visitor_id"));
  bind_text (stmt, 4, string_of (offline, "name"));
  bind_text (stmt, 5, string_of (offline, "email"));
  bind_text (stmt, 6, string_of (offline, "body"));
  bind_text (stmt, 7, string_of (page, "url"));
  bind_text (stmt, 8, string_of (page, "title"));
  sqlite3_bind_int64 (stmt, 9, time_of (offline, "created_at"));
  bind_text (stmt, 10, status);
  bind_text (stmt, 11, string_of (handled_by, "id"));
  bind_text (stmt, 12, string_of (handled_by, "name"));
  sqlite3_bind_int64 (stmt, 13, time_of (offline, "handled_at"));
  bind_text (stmt, 14, string_of (offline, "conversation_id"));
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_offline_message (self, id);
  if (now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_OFFLINE_MESSAGE_CHANGED, old, now);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

GListModel *
confab_cache_list_offline_messages (ConfabCache *self,
                                    const char  *site_id,
                                    gboolean     open_only)
{
  GListStore *store = g_list_store_new (CONFAB_TYPE_OFFLINE_MESSAGE);
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), G_LIST_MODEL (store));

  stmt = confab_cache_prepare (self,
    "SELECT " OFFLINE_COLUMNS " FROM offline_messages"
    " WHERE (?1 IS NULL OR site_id = ?1) AND (?2 = 0 OR status = 'open')"
    " AND site_id IN (SELECT id FROM sites)"
    " ORDER BY created_at DESC, id DESC LIMIT ?3", NULL);
  if (stmt == NULL)
    return G_LIST_MODEL (store);
  bind_text (stmt, 1, site_id);
  sqlite3_bind_int (stmt, 2, open_only ? 1 : 0);
  sqlite3_bind_int (stmt, 3, MAX_LISTED);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (ConfabOfflineMessage) offline = offline_from_stmt (stmt);

      g_list_store_append (store, offline);
    }
  sqlite3_reset (stmt);
  return G_LIST_MODEL (store);
}

guint
confab_cache_count_open_offline_messages (ConfabCache *self,
                                          const char  *site_id)
{
  sqlite3_stmt *stmt;
  guint n = 0;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), 0);

  stmt = confab_cache_prepare (self,
    "SELECT COUNT (*) FROM offline_messages WHERE status = 'open'"
    " AND (?1 IS NULL OR site_id = ?1) AND site_id IN (SELECT id FROM sites)", NULL);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, site_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

/* --------------------------------------------------------------- ratings --- */

gboolean
confab_cache_apply_rating (ConfabCache  *self,
                           const char   *conversation_id,
                           JsonObject   *rating,
                           gint64        cursor,
                           GError      **error)
{
  g_autoptr (ConfabConversation) old = NULL;
  g_autoptr (ConfabConversation) now = NULL;
  gint64 score = 0;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (conversation_id == NULL || rating == NULL ||
      !confab_json_get_int (rating, "score", TRUE, 0, &score, NULL) || score < 1 || score > 5)
    return invalid (error, "a rating");

  old = confab_cache_get_conversation (self, conversation_id);
  if (!confab_cache_begin (self, error))
    return FALSE;
  /* a conversation the cache does not hold yet takes its rating when it comes */
  stmt = confab_cache_prepare (self,
    "UPDATE conversations SET rating_score = ?2, rating_comment = ?3, rated_at = ?4"
    " WHERE id = ?1", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, score);
  bind_text (stmt, 3, string_of (rating, "comment"));
  sqlite3_bind_int64 (stmt, 4, time_of (rating, "rated_at"));
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_conversation (self, conversation_id);
  if (old != NULL && now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED, old, now);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

/* -------------------------------------------------------------- timeline --- */

/* The key of an event at @at: after the last message sent at or before it, after the events
 * already there. -1 when that gap is full. */
static gint64
event_sort_key (ConfabCache *self,
                const char  *conversation_id,
                gint64       at,
                GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 base = 0, last = 0, last_seq = 0, last_at = 0;

  /* The last message sent: a live event is newer than it, and goes right after it. */
  stmt = confab_cache_prepare (self,
    "SELECT seq, created_at FROM messages"
    " WHERE conversation_id = ?1 AND seq IS NOT NULL ORDER BY sort_key DESC LIMIT 1", error);
  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, conversation_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      last_seq = sqlite3_column_int64 (stmt, 0);
      last_at = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (last_seq == 0 || last_at <= at)
    base = CONFAB_CACHE_SEQ_SORT_KEY (last_seq);
  else
    {
      /* An older one (GET …/timeline): a binary search by seq, whose messages' times grow
       * with it — index seeks, not a scan (a 100,000-message conversation: about 17 seeks
       * instead of 0.1 s). @low: a message at or before @at (0: none); every message from
       * @high on is after it. */
      gint64 low = 0, high = last_seq;

      stmt = confab_cache_prepare (self,
        "SELECT seq, created_at FROM messages WHERE conversation_id = ?1 AND sort_key >= ?2"
        " AND seq IS NOT NULL ORDER BY sort_key LIMIT 1", error);
      if (stmt == NULL)
        return -1;
      while (high - low > 1)
        {
          gint64 middle = low + (high - low) / 2;
          gint64 seq = G_MAXINT64, created_at = 0;

          sqlite3_reset (stmt);
          bind_text (stmt, 1, conversation_id);
          sqlite3_bind_int64 (stmt, 2, CONFAB_CACHE_SEQ_SORT_KEY (middle));
          if (sqlite3_step (stmt) == SQLITE_ROW)
            {
              seq = sqlite3_column_int64 (stmt, 0);
              created_at = sqlite3_column_int64 (stmt, 1);
            }
          /* none in [middle, high), or the first one there is after @at: below middle */
          if (seq >= high || created_at > at)
            high = middle;
          else
            low = seq;
        }
      sqlite3_reset (stmt);
      base = CONFAB_CACHE_SEQ_SORT_KEY (low);
    }

  stmt = confab_cache_prepare (self,
    "SELECT COALESCE (MAX (sort_key), ?2) FROM messages"
    " WHERE conversation_id = ?1 AND sort_key > ?2 AND sort_key < ?3", error);
  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, base);
  sqlite3_bind_int64 (stmt, 3, base + MAX_EVENTS_PER_GAP + 1);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    last = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return last - base >= MAX_EVENTS_PER_GAP ? -1 : last + 1;
}

gboolean
confab_cache_apply_timeline_event (ConfabCache  *self,
                                   const char   *conversation_id,
                                   JsonObject   *event,
                                   gint64        event_cursor,
                                   gint64        cursor,
                                   GError      **error)
{
  g_autoptr (ConfabMessage) now = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *json = NULL;
  JsonObject *actor = object_of (event, "actor");
  sqlite3_stmt *stmt;
  gint64 at, key;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (conversation_id == NULL || event == NULL || string_of (event, "kind") == NULL ||
      event_cursor <= 0)
    return invalid (error, "a timeline event");

  /* the same event from the subscribe backlog and from GET …/timeline is kept once */
  client_id = g_strdup_printf ("timeline:%" G_GINT64_FORMAT, event_cursor);
  if ((now = confab_cache_get_message_by_client_id (self, client_id)) != NULL)
    return confab_cache_store_cursor (self, cursor, error);

  at = time_of (event, "at");
  if (!confab_cache_begin (self, error))
    return FALSE;
  key = event_sort_key (self, conversation_id, at, error);
  if (key < 0)
    {
      /* nothing to keep, but the cursor moves on: skipping it is not an error */
      g_clear_error (error);
      if (!confab_cache_store_cursor (self, cursor, error))
        goto failed;
      return confab_cache_commit (self, error);
    }
  json = confab_json_object_to_string (event);
  stmt = confab_cache_prepare (self,
    "INSERT INTO messages (conversation_id, seq, sort_key, client_id, sender_type, sender_id,"
    " sender_name, body, created_at, state, event)"
    " VALUES (?1, NULL, ?2, ?3, 'timeline', ?4, ?5, NULL, ?6, 1, ?7)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, key);
  bind_text (stmt, 3, client_id);
  bind_text (stmt, 4, string_of (actor, "id"));
  bind_text (stmt, 5, string_of (actor, "name"));
  sqlite3_bind_int64 (stmt, 6, at);
  bind_text (stmt, 7, json);
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_message_by_client_id (self, client_id);
  if (now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, NULL, now);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

/* ---------------------------------------------------------------- labels --- */

gboolean
confab_cache_store_labels (ConfabCache  *self,
                           const char   *conversation_id,
                           JsonObject   *conversation,
                           GError      **error)
{
  JsonNode *labels = json_object_get_member (conversation, "labels");
  g_autofree char *json = NULL;
  sqlite3_stmt *stmt;

  /* absent (an older relay, or a frame that does not carry them): keep what is here */
  if (labels == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (labels))
    json = confab_json_node_to_string (labels);
  stmt = confab_cache_prepare (self, "UPDATE conversations SET labels = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, conversation_id);
  bind_text (stmt, 2, json != NULL ? json : "[]");
  return confab_cache_step_done (self, stmt, error);
}

/* ----------------------------------------------------------------- notes --- */

gboolean
confab_cache_apply_note (ConfabCache  *self,
                         JsonObject   *note,
                         gint64        cursor,
                         GError      **error)
{
  g_autoptr (ConfabMessage) now = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *json = NULL;
  JsonObject *author = object_of (note, "author");
  const char *id = string_of (note, "id");
  const char *conversation_id = string_of (note, "conversation_id");
  sqlite3_stmt *stmt;
  gint64 at, key;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (id == NULL || conversation_id == NULL || string_of (note, "body") == NULL)
    return invalid (error, "a note");

  /* the same note from the backlog and from GET …/notes is kept once */
  client_id = g_strdup_printf ("note:%s", id);
  if ((now = confab_cache_get_message_by_client_id (self, client_id)) != NULL)
    {
      if (!confab_cache_begin (self, error))
        return FALSE;
      if (!confab_cache_store_cursor (self, cursor, error))
        goto failed;
      return confab_cache_commit (self, error);
    }

  at = time_of (note, "created_at");
  if (!confab_cache_begin (self, error))
    return FALSE;
  key = event_sort_key (self, conversation_id, at, error);
  if (key < 0)
    {
      /* the gap is full (no conversation comes near it): the cursor moves on */
      g_clear_error (error);
      if (!confab_cache_store_cursor (self, cursor, error))
        goto failed;
      return confab_cache_commit (self, error);
    }
  json = confab_json_object_to_string (note);
  stmt = confab_cache_prepare (self,
    "INSERT INTO messages (conversation_id, seq, sort_key, client_id, sender_type, sender_id,"
    " sender_name, body, created_at, state, event)"
    " VALUES (?1, NULL, ?2, ?3, 'note', ?4, ?5, ?6, ?7, 1, ?8)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, key);
  bind_text (stmt, 3, client_id);
  bind_text (stmt, 4, string_of (author, "id"));
  bind_text (stmt, 5, string_of (author, "name"));
  bind_text (stmt, 6, string_of (note, "body"));
  sqlite3_bind_int64 (stmt, 7, at);
  bind_text (stmt, 8, json);
  if (!confab_cache_step_done (self, stmt, error) ||
      !confab_cache_store_cursor (self, cursor, error))
    goto failed;
  if (!confab_cache_commit (self, error))
    return FALSE;

  now = confab_cache_get_message_by_client_id (self, client_id);
  if (now != NULL)
    confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, NULL, now);
  confab_cache_announce (self);
  return TRUE;

failed:
  confab_cache_rollback (self);
  return FALSE;
}

gboolean
confab_cache_get_timeline_fetched (ConfabCache *self,
                                   const char  *conversation_id)
{
  sqlite3_stmt *stmt;
  gboolean fetched = FALSE;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  stmt = confab_cache_prepare (self, "SELECT 1 FROM timeline_fetched WHERE conversation_id = ?",
                               NULL);
  if (stmt == NULL || conversation_id == NULL)
    return FALSE;
  bind_text (stmt, 1, conversation_id);
  fetched = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return fetched;
}

gboolean
confab_cache_set_timeline_fetched (ConfabCache  *self,
                                   const char   *conversation_id,
                                   GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  stmt = confab_cache_prepare (self,
    "INSERT OR IGNORE INTO timeline_fetched (conversation_id) VALUES (?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, conversation_id);
  return confab_cache_step_done (self, stmt, error);
}

/* ----------------------------------------------------------------- sites --- */

gboolean
confab_cache_update_site (ConfabCache  *self,
                          JsonObject   *site,
                          GError      **error)
{
  const char *id = string_of (site, "id");
  const char *name = string_of (site, "name");
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  if (id == NULL || name == NULL)
    return invalid (error, "a site");
  stmt = confab_cache_prepare (self,
    "INSERT INTO sites (id, name, role, max_chats) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
    "  role = COALESCE (excluded.role, role),"
    "  max_chats = COALESCE (excluded.max_chats, max_chats)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, name);
  bind_text (stmt, 3, string_of (site, "role"));
  /* issue 18: the user's own limit on the site, when the relay says it */
  if (json_object_has_member (site, "max_chats") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (site, "max_chats")))
    sqlite3_bind_int64 (stmt, 4, MAX (0, json_object_get_int_member (site, "max_chats")));
  if (!confab_cache_step_done (self, stmt, error))
    return FALSE;
  confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_SITES_CHANGED, NULL, NULL);
  confab_cache_announce (self);
  return TRUE;
}
