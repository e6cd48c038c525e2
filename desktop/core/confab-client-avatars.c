/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-avatars.c: the agents' pictures, noted from what the relay sends and kept in
 * the app's cache directory (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include <string.h>

#include "confab-client-avatars.h"
#include "confab-client-private.h"
#include "confab-client-team.h"
#include "confab-json.h"

/* The relay makes them 256 × 256 PNGs: far below this. */
#define MAX_AVATAR_BYTES (5 * 1024 * 1024)

static guint avatar_changed_signal;

void
confab_client_ensure_avatar_signals (void)
{
  GType type = CONFAB_TYPE_CLIENT;

  g_type_class_unref (g_type_class_ref (type));
  if (g_signal_lookup ("avatar-changed", type) == 0)
    avatar_changed_signal = g_signal_new ("avatar-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  else
    avatar_changed_signal = g_signal_lookup ("avatar-changed", type);
}

/* user id → URL, "" for none: what this run heard or read from the cache */
static GHashTable *
url_table (ConfabClient *self)
{
  GQuark quark = g_quark_from_static_string ("confab-client-avatars");
  GHashTable *table = g_object_get_qdata (G_OBJECT (self), quark);

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_qdata_full (G_OBJECT (self), quark, table, (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

static char *
meta_key (const char *user_id)
{
  return g_strconcat ("avatar_url:", user_id, NULL);
}

/* Known in memory, else in the cache's meta (NULL: never heard of). */
static const char *
lookup (ConfabClient *self,
        const char   *user_id)
{
  GHashTable *table = url_table (self);
  const char *url = g_hash_table_lookup (table, user_id);

  if (url == NULL)
    {
      g_autofree char *key = meta_key (user_id);
      char *stored = confab_cache_dup_meta (self->cache, key);

      if (stored == NULL)
        return NULL;
      g_hash_table_insert (table, g_strdup (user_id), stored);
      url = stored;
    }
  return url;
}

char *
confab_client_dup_avatar_url (ConfabClient *self,
                              const char   *user_id)
{
  const char *url;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  if (user_id == NULL)
    return NULL;
  url = lookup (self, user_id);
  return url != NULL && *url != '\0' ? g_strdup (url) : NULL;
}

char *
confab_client_avatar_file (ConfabClient *self,
                           const char   *url)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", self->relay_url != NULL ? self->relay_url : "", url);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  g_autofree char *name = g_strdup_printf ("%.32s.png", hash);

  return g_build_filename (g_get_user_cache_dir (), "confab", "avatars", name, NULL);
}

void
confab_client_note_avatar (ConfabClient *self,
                           const char   *user_id,
                           const char   *url)
{
  g_autofree char *key = NULL;
  g_autofree char *old = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (user_id == NULL || *user_id == '\0')
    return;
  if (url == NULL)
    url = "";
  old = g_strdup (lookup (self, user_id));
  if (g_strcmp0 (old, url) == 0)
    return;
  g_hash_table_replace (url_table (self), g_strdup (user_id), g_strdup (url));
  key = meta_key (user_id);
  if (!confab_cache_set_meta (self->cache, key, url, &error))
    g_warning ("Could not keep an avatar URL: %s", error->message);
  /* the old picture is of no use any more */
  if (old != NULL && *old != '\0')
    {
      g_autofree char *path = confab_client_avatar_file (self, old);
      g_autoptr (GFile) file = g_file_new_for_path (path);

      g_file_delete_async (file, G_PRIORITY_LOW, NULL, NULL, NULL);
    }
  confab_client_ensure_avatar_signals ();
  g_signal_emit (self, avatar_changed_signal, 0, user_id);
}

/* {"id","avatar_url"}: only when it says something about the picture */
static void
note_user (ConfabClient *self,
           JsonObject   *user)
{
  const char *id = NULL;
  JsonNode *url;

  if (user == NULL || !confab_json_get_string (user, "id", FALSE, &id, NULL) || id == NULL ||
      (url = json_object_get_member (user, "avatar_url")) == NULL)
    return;
  if (JSON_NODE_HOLDS_NULL (url))
    confab_client_note_avatar (self, id, NULL);
  else if (JSON_NODE_HOLDS_VALUE (url) && json_node_get_value_type (url) == G_TYPE_STRING)
    confab_client_note_avatar (self, id, json_node_get_string (url));
}

void
confab_client_note_member_avatars (ConfabClient *self,
                                   JsonArray    *members)
{
  for (guint i = 0; members != NULL && i < json_array_get_length (members); i++)
    {
      JsonNode *node = json_array_get_element (members, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        note_user (self, json_node_get_object (node));
    }
}

void
confab_client_note_avatars_in (ConfabClient *self,
                               const char   *type,
                               JsonObject   *frame)
{
  JsonObject *object = NULL;

  if (strcmp (type, "user") == 0)
    note_user (self, frame);
  else if (strcmp (type, "message") == 0)
    {
      const char *sender_type = NULL;

      if (confab_json_get_object (frame, "sender", FALSE, &object, NULL) && object != NULL &&
          confab_json_get_string (object, "type", FALSE, &sender_type, NULL) &&
          g_strcmp0 (sender_type, "agent") == 0)
        note_user (self, object);
    }
  else if (strcmp (type, "conversation") == 0)
    {
      JsonObject *assignee = NULL;

      if (confab_json_get_object (frame, "conversation", FALSE, &object, NULL) && object != NULL &&
          confab_json_get_object (object, "assignee", FALSE, &assignee, NULL))
        note_user (self, assignee);
    }
  else if (strcmp (type, "members") == 0)
    {
      JsonNode *list = json_object_get_member (frame, "members");

      if (list != NULL && JSON_NODE_HOLDS_ARRAY (list))
        confab_client_note_member_avatars (self, json_node_get_array (list));
    }
}

/* ------------------------------------------------------------- fetch --- */

typedef struct {
  char *url;
  char *path;   /* the file in the cache directory */
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_free (fetch->url);
  g_free (fetch->path);
  g_free (fetch);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_download_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFile) dir = NULL;

  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (bytes) == 0 || g_bytes_get_size (bytes) > MAX_AVATAR_BYTES)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The relay sent no usable picture");
      return;
    }
  /* kept for the next start; a failure only costs a download then */
  file = g_file_new_for_path (fetch->path);
  dir = g_file_get_parent (file);
  if (g_mkdir_with_parents (g_file_peek_path (dir), 0700) == 0)
    g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL,
                                         NULL, NULL);
  g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  ConfabClient *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autoptr (GUri) uri = NULL;
  g_autofree char *path = NULL;

  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  /* an absolute URL of the relay: its path and query (the download adds the relay and token) */
  if (fetch->url[0] == '/')
    path = g_strdup (fetch->url);
  else if ((uri = g_uri_parse (fetch->url, G_URI_FLAGS_NONE, NULL)) != NULL &&
           g_uri_get_path (uri)[0] == '/')
    path = g_uri_get_query (uri) != NULL
           ? g_strdup_printf ("%s?%s", g_uri_get_path (uri), g_uri_get_query (uri))
           : g_strdup (g_uri_get_path (uri));
  if (path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not an avatar URL of the relay");
      return;
    }
  confab_client_download_async (self, path, g_task_get_cancellable (task), downloaded_cb,
                                g_object_ref (task));
}

void
confab_client_fetch_avatar_async (ConfabClient        *self,
                                  const char          *url,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GFile) file = NULL;
  Fetch *fetch;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_task_set_source_tag (task, confab_client_fetch_avatar_async);
  if (url == NULL || *url == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No picture");
      return;
    }
  fetch = g_new0 (Fetch, 1);
  fetch->url = g_strdup (url);
  fetch->path = confab_client_avatar_file (self, url);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  file = g_file_new_for_path (fetch->path);
  g_file_load_bytes_async (file, cancellable, loaded_cb, g_object_ref (task));
}

GBytes *
confab_client_fetch_avatar_finish (ConfabClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
