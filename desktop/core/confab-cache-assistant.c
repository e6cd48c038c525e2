/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-assistant.c: ConfabCache, the assistant's messages and their sources (see the
 * header). */
#define G_LOG_DOMAIN "confab-cache"

#include "confab-cache-assistant.h"
#include "confab-cache-private.h"
#include "confab-json.h"

/* Only what a row shows of a source: a title and a link; anything else the relay adds stays out. */
static JsonArray *
clean_sources (JsonObject *message)
{
  JsonArray *clean = json_array_new ();
  JsonNode *node = json_object_get_member (message, "sources");
  JsonArray *sources;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return clean;
  sources = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (sources); i++)
    {
      JsonNode *element = json_array_get_element (sources, i);
      JsonObject *source, *kept;
      const char *title = NULL, *url = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      source = json_node_get_object (element);
      if (!confab_json_get_string (source, "title", FALSE, &title, NULL) || title == NULL)
        continue;
      confab_json_get_string (source, "url", FALSE, &url, NULL);
      kept = json_object_new ();
      json_object_set_string_member (kept, "title", title);
      if (url != NULL)
        json_object_set_string_member (kept, "url", url);
      else
        json_object_set_null_member (kept, "url");
      json_array_add_object_element (clean, kept);
    }
  return clean;
}

gboolean
confab_cache_note_assistant (ConfabCache  *self,
                             JsonObject   *message,
                             GError      **error)
{
  g_autoptr (JsonArray) sources = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *conversation_id = NULL;
  gboolean assistant = FALSE;
  gint64 seq = 0;
  sqlite3_stmt *stmt;

  if (!confab_json_get_bool (message, "assistant", FALSE, FALSE, &assistant, NULL) || !assistant ||
      !confab_json_get_string (message, "conversation_id", FALSE, &conversation_id, NULL) ||
      conversation_id == NULL || !confab_json_get_int (message, "seq", FALSE, 0, &seq, NULL) || seq <= 0)
    return TRUE;
  sources = clean_sources (message);
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (root, sources);
  text = json_to_string (root, FALSE);
  stmt = confab_cache_prepare (self,
    "INSERT OR REPLACE INTO message_sources (conversation_id, seq, sources) VALUES (?1, ?2, ?3)",
    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_text (stmt, 3, text, -1, SQLITE_TRANSIENT);
  return confab_cache_step_done (self, stmt, error);
}

JsonArray *
confab_cache_dup_sources (ConfabCache *self,
                          const char  *conversation_id,
                          gint64       seq)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self,
    "SELECT sources FROM message_sources WHERE conversation_id = ?1 AND seq = ?2", NULL);
  g_autoptr (JsonNode) node = NULL;
  JsonArray *sources = NULL;

  if (stmt == NULL || conversation_id == NULL || seq <= 0)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      node = json_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
      /* a row is the assistant's message even when its sources could not be read back */
      sources = node != NULL && JSON_NODE_HOLDS_ARRAY (node)
        ? json_array_ref (json_node_get_array (node)) : json_array_new ();
    }
  sqlite3_reset (stmt);
  return sources;
}
