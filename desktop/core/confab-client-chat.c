/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-chat.c: typing previews before a conversation, notes, labels, raw bodies (see
 * the header). */
#define G_LOG_DOMAIN "confab-client"

#include "confab-cache-private.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-client-private.h"
#include "confab-json.h"

#include <string.h>

#define MAX_ANSWER_BYTES (4 * 1024 * 1024)
#define MAX_ANSWER_DEPTH 32
#define MAX_NOTE_CHARS   10000

enum {
  SIGNAL_NOTE,
  SIGNAL_LABELS_CHANGED,
  SIGNAL_ARTICLES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The array @member of @object; NULL when absent or of another type. */
static JsonArray *
array_of (JsonObject *object,
          const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

void
confab_client_ensure_chat_signals (void)
{
  GType type = CONFAB_TYPE_CLIENT;

  g_type_class_unref (g_type_class_ref (type));
  if (signals[SIGNAL_NOTE] == 0 &&
      (signals[SIGNAL_NOTE] = g_signal_lookup ("note", type)) == 0)
    signals[SIGNAL_NOTE] = g_signal_new ("note", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 2, CONFAB_TYPE_MESSAGE, G_TYPE_BOOLEAN);
  if (signals[SIGNAL_LABELS_CHANGED] == 0 &&
      (signals[SIGNAL_LABELS_CHANGED] = g_signal_lookup ("labels-changed", type)) == 0)
    signals[SIGNAL_LABELS_CHANGED] = g_signal_new ("labels-changed", type, G_SIGNAL_RUN_LAST, 0,
                                                   NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                   G_TYPE_STRING, JSON_TYPE_ARRAY);
  if (signals[SIGNAL_ARTICLES_CHANGED] == 0 &&
      (signals[SIGNAL_ARTICLES_CHANGED] = g_signal_lookup ("articles-changed", type)) == 0)
    signals[SIGNAL_ARTICLES_CHANGED] = g_signal_new ("articles-changed", type, G_SIGNAL_RUN_LAST,
                                                     0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                     G_TYPE_STRING, JSON_TYPE_ARRAY);
}

/* ----------------------------------------------------------- previews --- */

/* visitor id → the text they type; kept on the client so that confab-client.c needs no field */
static GHashTable *
preview_table (ConfabClient *self)
{
  GQuark quark = g_quark_from_static_string ("confab-client-typing-previews");
  GHashTable *table = g_object_get_qdata (G_OBJECT (self), quark);

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_qdata_full (G_OBJECT (self), quark, table, (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

void
confab_client_chat_note_preview (ConfabClient *self,
                                 const char   *visitor_id,
                                 const char   *text,
                                 gboolean      active)
{
  if (visitor_id == NULL)
    return;
  if (active && text != NULL && *text != '\0')
    g_hash_table_replace (preview_table (self), g_strdup (visitor_id), g_strdup (text));
  else
    g_hash_table_remove (preview_table (self), visitor_id);
}

void
confab_client_chat_clear_previews (ConfabClient *self)
{
  g_hash_table_remove_all (preview_table (self));
}

const char *
confab_client_get_typing_preview (ConfabClient *self,
                                  const char   *visitor_id)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  if (visitor_id == NULL)
    return NULL;
  return g_hash_table_lookup (preview_table (self), visitor_id);
}

/* -------------------------------------------------------------- notes --- */

static gboolean
mentions_user (JsonObject *note,
               const char *user_id)
{
  JsonArray *mentions = array_of (note, "mentions");
  JsonObject *author = NULL;
  const char *author_id = NULL;

  if (user_id == NULL || mentions == NULL)
    return FALSE;
  /* a note of one's own that names oneself is no news */
  if (confab_json_get_object (note, "author", FALSE, &author, NULL) && author != NULL &&
      confab_json_get_string (author, "id", FALSE, &author_id, NULL) &&
      g_strcmp0 (author_id, user_id) == 0)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (mentions); i++)
    {
      JsonNode *node = json_array_get_element (mentions, i);
      const char *id = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          confab_json_get_string (json_node_get_object (node), "id", FALSE, &id, NULL) &&
          g_strcmp0 (id, user_id) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
apply_note (ConfabClient  *self,
            JsonObject    *note,
            gint64         cursor,
            gboolean       announce,
            GError       **error)
{
  g_autofree char *client_id = NULL;
  g_autoptr (ConfabMessage) known = NULL;
  g_autoptr (ConfabMessage) row = NULL;
  const char *id = NULL;

  confab_json_get_string (note, "id", FALSE, &id, NULL);
  if (id != NULL)
    {
      client_id = g_strdup_printf ("note:%s", id);
      known = confab_cache_get_message_by_client_id (self->cache, client_id);
    }
  if (!confab_cache_apply_note (self->cache, note, cursor, error))
    return FALSE;
  /* once per note: not again when the same one comes by REST or a replay */
  if (!announce || known != NULL || client_id == NULL ||
      (row = confab_cache_get_message_by_client_id (self->cache, client_id)) == NULL)
    return TRUE;
  confab_client_ensure_chat_signals ();
  g_signal_emit (self, signals[SIGNAL_NOTE], 0, row, mentions_user (note, self->user_id));
  return TRUE;
}

gboolean
confab_client_chat_handle_frame (ConfabClient *self,
                                 const char   *type,
                                 JsonObject   *frame,
                                 gint64        cursor)
{
  g_autoptr (GError) error = NULL;

  if (strcmp (type, "synced") == 0)
    {
      /* a preview from before the connection ended may be long over */
      confab_client_chat_clear_previews (self);
      return FALSE;
    }
  /* a note's ack carries its id, not a seq: nothing waits for it (the note frame follows) */
  if (strcmp (type, "ack") == 0 && json_object_has_member (frame, "note_id"))
    return TRUE;
  if (strcmp (type, "note") == 0)
    {
      JsonObject *note = NULL;

      if (!confab_json_get_object (frame, "note", TRUE, &note, &error) ||
          !apply_note (self, note, cursor, TRUE, &error))
        g_warning ("A note could not be applied: %s", error->message);
      return TRUE;
    }
  if (strcmp (type, "labels") == 0)
    {
      const char *site_id = NULL;
      JsonNode *list = json_object_get_member (frame, "labels");

      if (!confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL) || site_id == NULL ||
          list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        {
          g_warning ("A labels frame without its site or list");
          return TRUE;
        }
      confab_client_ensure_chat_signals ();
      g_signal_emit (self, signals[SIGNAL_LABELS_CHANGED], 0, site_id, json_node_get_array (list));
      return TRUE;
    }
  if (strcmp (type, "articles") == 0)
    {
      const char *site_id = NULL;
      JsonNode *list = json_object_get_member (frame, "articles");

      if (!confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL) || site_id == NULL ||
          list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        {
          g_warning ("An articles frame without its site or list");
          return TRUE;
        }
      confab_client_ensure_chat_signals ();
      g_signal_emit (self, signals[SIGNAL_ARTICLES_CHANGED], 0, site_id,
                     json_node_get_array (list));
      return TRUE;
    }
  return FALSE;
}

gboolean
confab_client_send_note (ConfabClient  *self,
                         const char    *conversation_id,
                         const char    *body,
                         GError       **error)
{
  g_autoptr (JsonObject) frame = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();
  glong length;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (conversation_id != NULL && body != NULL, FALSE);

  length = g_utf8_strlen (body, -1);
  if (length < 1 || length > MAX_NOTE_CHARS)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A note is 1 to %d characters long", MAX_NOTE_CHARS);
      return FALSE;
    }
  json_object_set_string_member (frame, "type", "note");
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  json_object_set_string_member (frame, "client_id", client_id);
  json_object_set_string_member (frame, "body", body);
  if (self->state != CONFAB_CLIENT_ONLINE || !confab_client_send_frame (self, frame))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  return TRUE;
}

static void
notes_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (self, result, &error);
  JsonArray *notes = answer != NULL ? array_of (answer, "notes") : NULL;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (notes == NULL)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                               "The relay's answer has no notes");
      return;
    }
  for (guint i = 0; i < json_array_get_length (notes); i++)
    {
      JsonNode *node = json_array_get_element (notes, i);

      /* old notes: into the conversation, without a notification */
      if (JSON_NODE_HOLDS_OBJECT (node) &&
          !apply_note (self, json_node_get_object (node), 0, FALSE, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

void
confab_client_fetch_notes_async (ConfabClient        *self,
                                 const char          *conversation_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (conversation_id != NULL);

  g_task_set_source_tag (task, confab_client_fetch_notes_async);
  escaped = g_uri_escape_string (conversation_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/conversations/%s/notes", escaped);
  confab_client_get_json_async (self, path, cancellable, notes_cb, task);
}

gboolean
confab_client_fetch_notes_finish (ConfabClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --------------------------------------------------------- raw bodies --- */

static void
send_bytes_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  JsonObject *object;

  if (body == NULL || !confab_client_check_status (msg, body, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (body) == 0)
    object = json_object_new ();
  else if ((object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                               MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
confab_client_send_bytes_async (ConfabClient        *self,
                                const char          *method,
                                const char          *path,
                                GBytes              *data,
                                const char          *mime,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  SoupMessage *msg;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');
  g_return_if_fail (data != NULL && mime != NULL);

  g_task_set_source_tag (task, confab_client_send_bytes_async);
  msg = confab_client_authorized_message (self, method, path, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  soup_message_set_request_body_from_bytes (msg, mime, data);
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    send_bytes_cb, g_object_ref (task));
}

JsonObject *
confab_client_send_bytes_finish (ConfabClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
confab_client_upload_path (const char *conversation_id,
                           const char *name)
{
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "file");
  g_autofree char *escaped_id = g_uri_escape_string (conversation_id, NULL, FALSE);
  g_autofree char *escaped_name = g_uri_escape_string (base, NULL, FALSE);

  return g_strdup_printf ("/api/v1/uploads?conversation_id=%s&name=%s", escaped_id, escaped_name);
}

/* ------------------------------------------------------------- search --- */

/* The found message's page: a few before it, for context, and those after. */
#define FOUND_CONTEXT  20
#define FOUND_LIMIT    200

char *
confab_client_search_path (const char *q,
                           const char *site_id,
                           const char *before)
{
  g_autofree char *escaped = g_uri_escape_string (q, NULL, FALSE);
  GString *path = g_string_new ("/api/v1/search?q=");

  g_string_append (path, escaped);
  if (site_id != NULL)
    {
      g_autofree char *id = g_uri_escape_string (site_id, NULL, FALSE);

      g_string_append_printf (path, "&site_id=%s", id);
    }
  if (before != NULL)
    {
      g_autofree char *cursor = g_uri_escape_string (before, NULL, FALSE);

      g_string_append_printf (path, "&before=%s", cursor);
    }
  return g_string_free (path, FALSE);
}

typedef struct {
  char   *conversation_id;
  gint64  seq;
} Found;

static void
found_free (Found *found)
{
  g_free (found->conversation_id);
  g_free (found);
}

static void
found_messages_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = CONFAB_CLIENT (source);
  Found *found = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (self, result, &error);
  JsonArray *messages = answer != NULL ? array_of (answer, "messages") : NULL;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      JsonObject *message;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      message = json_node_get_object (node);
      if (!json_object_has_member (message, "conversation_id"))
        json_object_set_string_member (message, "conversation_id", found->conversation_id);
      /* an old page: the stream's cursor stays where it is */
      if (!confab_cache_apply_message (self->cache, message, 0, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
fetch_found_messages (GTask *task)
{
  ConfabClient *self = g_task_get_source_object (task);
  Found *found = g_task_get_task_data (task);
  g_autoptr (ConfabMessage) known = confab_cache_get_message (self->cache, found->conversation_id,
                                                              found->seq);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (known != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  escaped = g_uri_escape_string (found->conversation_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/conversations/%s/messages?after_seq=%" G_GINT64_FORMAT "&limit=%d",
                          escaped, MAX (0, found->seq - FOUND_CONTEXT), FOUND_LIMIT);
  confab_client_get_json_async (self, path, g_task_get_cancellable (task), found_messages_cb, task);
}

static void
found_conversation_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (self, result, &error);
  JsonObject *conversation = NULL;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (!confab_json_get_object (answer, "conversation", FALSE, &conversation, NULL) || conversation == NULL)
    conversation = answer;
  if (!confab_cache_apply_conversation (self->cache, conversation, 0, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  fetch_found_messages (task);
}

void
confab_client_fetch_found_async (ConfabClient        *self,
                                 const char          *conversation_id,
                                 gint64               seq,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (ConfabConversation) known = NULL;
  Found *found = g_new0 (Found, 1);

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (conversation_id != NULL);

  g_task_set_source_tag (task, confab_client_fetch_found_async);
  found->conversation_id = g_strdup (conversation_id);
  found->seq = seq;
  g_task_set_task_data (task, found, (GDestroyNotify) found_free);
  known = confab_cache_get_conversation (self->cache, conversation_id);
  if (known != NULL)
    {
      fetch_found_messages (task);
      return;
    }
  {
    g_autofree char *escaped = g_uri_escape_string (conversation_id, NULL, FALSE);
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", escaped);

    confab_client_get_json_async (self, path, cancellable, found_conversation_cb, task);
  }
}

gboolean
confab_client_fetch_found_finish (ConfabClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------- labels --- */

gboolean
confab_labels_contain (const char *labels_json,
                       const char *label_id)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *labels;

  if (labels_json == NULL || label_id == NULL ||
      !json_parser_load_from_data (parser, labels_json, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return FALSE;
  labels = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (labels); i++)
    {
      JsonNode *node = json_array_get_element (labels, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                 "id", NULL), label_id) == 0)
        return TRUE;
    }
  return FALSE;
}
