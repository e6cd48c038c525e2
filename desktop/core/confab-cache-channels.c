/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-channels.c: ConfabCache, conversations' channels and messages' delivery states
 * (see the header). */
#define G_LOG_DOMAIN "confab-cache"

#include "confab-cache-channels.h"
#include "confab-cache-private.h"
#include "confab-json.h"
#include "confab-util.h"

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

char *
confab_cache_dup_channel (ConfabCache *self,
                          const char  *conversation_id,
                          gint64      *out_window_ends_at)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self,
    "SELECT channel, reply_window_ends_at FROM conversation_channels WHERE conversation_id = ?1", NULL);
  char *channel = NULL;

  if (out_window_ends_at != NULL)
    *out_window_ends_at = 0;
  if (stmt == NULL || conversation_id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      channel = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      if (out_window_ends_at != NULL)
        *out_window_ends_at = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return channel;
}

gboolean
confab_cache_note_channel (ConfabCache  *self,
                           JsonObject   *conversation,
                           GError      **error)
{
  const char *id = NULL, *channel = NULL, *ends = NULL;
  g_autofree char *known = NULL;
  gint64 ends_at = 0, known_ends_at = 0;
  sqlite3_stmt *stmt;

  if (!confab_json_get_string (conversation, "id", FALSE, &id, NULL) || id == NULL ||
      !confab_json_get_string (conversation, "channel", FALSE, &channel, NULL) || channel == NULL)
    return TRUE;
  if (confab_json_get_string (conversation, "reply_window_ends_at", FALSE, &ends, NULL) && ends != NULL &&
      !confab_parse_time (ends, &ends_at))
    ends_at = 0;
  known = confab_cache_dup_channel (self, id, &known_ends_at);
  /* the website's are the many: no row for them */
  if (g_str_equal (channel, "web") && known == NULL)
    return TRUE;
  if (g_strcmp0 (known, channel) == 0 && known_ends_at == ends_at)
    return TRUE;
  stmt = confab_cache_prepare (self,
    "INSERT OR REPLACE INTO conversation_channels (conversation_id, channel, reply_window_ends_at)"
    " VALUES (?1, ?2, ?3)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, channel, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, ends_at);
  return confab_cache_step_done (self, stmt, error);
}

char *
confab_cache_dup_delivery (ConfabCache  *self,
                           const char   *conversation_id,
                           gint64        seq,
                           char        **out_error)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self,
    "SELECT status, error FROM message_deliveries WHERE conversation_id = ?1 AND seq = ?2", NULL);
  char *status = NULL;

  if (out_error != NULL)
    *out_error = NULL;
  if (stmt == NULL || conversation_id == NULL || seq <= 0)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      status = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      if (out_error != NULL && sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        *out_error = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  return status;
}

gboolean
confab_cache_note_delivery (ConfabCache  *self,
                            const char   *conversation_id,
                            gint64        seq,
                            JsonObject   *delivery,
                            GError      **error)
{
  const char *status = NULL, *text = NULL;
  g_autofree char *known = NULL;
  g_autofree char *known_error = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  sqlite3_stmt *stmt;

  if (conversation_id == NULL || seq <= 0 || delivery == NULL ||
      !confab_json_get_string (delivery, "status", FALSE, &status, NULL) || status == NULL)
    return TRUE;
  confab_json_get_string (delivery, "error", FALSE, &text, NULL);
  known = confab_cache_dup_delivery (self, conversation_id, seq, &known_error);
  if (g_strcmp0 (known, status) == 0 && g_strcmp0 (known_error, text) == 0)
    return TRUE;
  stmt = confab_cache_prepare (self,
    "INSERT OR REPLACE INTO message_deliveries (conversation_id, seq, status, error)"
    " VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_text (stmt, 3, status, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 4, text);
  if (!confab_cache_step_done (self, stmt, error))
    return FALSE;
  /* the row shows it: a change of the message for the list */
  message = confab_cache_get_message (self, conversation_id, seq);
  if (message != NULL)
    {
      confab_cache_queue_change (self, CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED, message, message);
      confab_cache_announce (self);
    }
  return TRUE;
}
