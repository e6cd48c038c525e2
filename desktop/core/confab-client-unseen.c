/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-unseen.c: ConfabClient, what a visitor sends besides messages: offline
 * messages (listed, handled, turned into conversations), ratings and conversation timelines.
 * The events go into the cache; these are the REST calls around them. */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-http.h"
#include "confab-client-private.h"
#include "confab-json.h"

/* Offline messages read per site once, after the first sync that has the site: what the cache
 * lacks from before it existed or before the site was joined (the events after the cursor
 * bring every later change). */
#define OFFLINE_PAGE 200

static char *
escape (const char *id)
{
  return g_uri_escape_string (id, NULL, FALSE);
}

static JsonArray *
array_of (JsonObject *object,
          const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gboolean
confab_client_unseen_apply (ConfabClient *self,
                            const char   *type,
                            JsonObject   *frame,
                            gint64        cursor,
                            GError      **error)
{
  const char *conversation_id = NULL;
  JsonObject *object = NULL;

  if (g_strcmp0 (type, "offline_message") == 0)
    return confab_json_get_object (frame, "offline_message", TRUE, &object, error) &&
           confab_cache_apply_offline_message (self->cache, object, cursor, error);

  if (!confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, error))
    return FALSE;
  if (g_strcmp0 (type, "rating") == 0)
    return confab_json_get_object (frame, "rating", TRUE, &object, error) &&
           confab_cache_apply_rating (self->cache, conversation_id, object, cursor, error);
  /* timeline */
  return confab_json_get_object (frame, "event", TRUE, &object, error) &&
         confab_cache_apply_timeline_event (self->cache, conversation_id, object, cursor, cursor,
                                            error);
}

/* ------------------------------------------------ offline messages, REST --- */

/* The cache's meta key saying that @site_id's list was read once. */
static char *
fetched_key (const char *site_id)
{
  return g_strconcat ("offline_messages_fetched:", site_id, NULL);
}

static void
offline_page_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autofree char *site_id = user_data;
  g_autofree char *key = fetched_key (site_id);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (self, result, &error);
  JsonArray *list = array_of (answer, "offline_messages");

  if (list == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Offline messages not fetched: %s", error->message);
      return;
    }
  /* not a batch: "batch-ended" belongs to the catch-up's slices, which the UI paces */
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          !confab_cache_apply_offline_message (self->cache, json_node_get_object (node), 0, &error))
        {
          g_message ("An offline message not kept: %s", error->message);
          g_clear_error (&error);
        }
    }
  /* from now on the events keep this site's messages up to date */
  confab_cache_set_meta (self->cache, key, "1", NULL);
}

void
confab_client_refresh_offline_messages (ConfabClient *self)
{
  g_autoptr (GListModel) sites = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  sites = confab_cache_list_sites (self->cache);
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);
      g_autofree char *key = fetched_key (confab_site_get_id (site));
      g_autofree char *done = confab_cache_dup_meta (self->cache, key);
      g_autofree char *id = NULL;
      g_autofree char *path = NULL;

      /* once per site and cache: the backlog of every later sync brings the changes */
      if (done != NULL)
        continue;
      id = escape (confab_site_get_id (site));
      path = g_strdup_printf ("/api/v1/sites/%s/offline-messages?status=all&limit=%d", id,
                              OFFLINE_PAGE);
      confab_client_get_json_async (self, path, NULL, offline_page_cb,
                                    g_strdup (confab_site_get_id (site)));
    }
}

static void
offline_status_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_json_finish (self, result, &error);

  /* the event follows, but the answer is here first: the row changes at once */
  if (answer == NULL ||
      !confab_cache_apply_offline_message (self->cache, answer, -1, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_client_set_offline_message_status_async (ConfabClient        *self,
                                                const char          *id,
                                                gboolean             handled,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (id != NULL);

  g_task_set_source_tag (task, confab_client_set_offline_message_status_async);
  escaped = escape (id);
  path = g_strdup_printf ("/api/v1/offline-messages/%s", escaped);
  json_object_set_string_member (body, "status", handled ? "handled" : "open");
  confab_client_request_json_async (self, "PATCH", path, body, cancellable, offline_status_cb,
                                    g_steal_pointer (&task));
}

gboolean
confab_client_set_offline_message_status_finish (ConfabClient  *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
offline_conversation_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_json_finish (self, result, &error);
  const char *id = NULL;

  /* the answer is the conversation: in the cache now, so that the caller can open it (its
   * events follow on the socket; a snapshot never moves anything back) */
  if (answer == NULL ||
      !confab_json_get_string (answer, "id", TRUE, &id, &error) ||
      !confab_cache_apply_conversation (self->cache, answer, 0, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_strdup (id), g_free);
}

void
confab_client_offline_message_conversation_async (ConfabClient        *self,
                                                  const char          *id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (id != NULL);

  g_task_set_source_tag (task, confab_client_offline_message_conversation_async);
  escaped = escape (id);
  path = g_strdup_printf ("/api/v1/offline-messages/%s/conversation", escaped);
  confab_client_request_json_async (self, "POST", path, NULL, cancellable,
                                    offline_conversation_cb, g_steal_pointer (&task));
}

char *
confab_client_offline_message_conversation_finish (ConfabClient  *self,
                                                   GAsyncResult  *result,
                                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------- timeline, REST --- */

static void
timeline_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (self, result, &error);
  const char *conversation_id = g_task_get_task_data (task);
  JsonArray *events = array_of (answer, "events");

  if (events == NULL)
    {
      if (error == NULL)
        g_set_error (&error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                     "The relay's answer has no timeline");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      gint64 event_cursor = 0;

      if (event == NULL ||
          !confab_json_get_int (event, "cursor", TRUE, 0, &event_cursor, &error) ||
          !confab_cache_apply_timeline_event (self->cache, conversation_id, event, event_cursor,
                                              0, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  if (!confab_cache_set_timeline_fetched (self->cache, conversation_id, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_client_fetch_timeline_async (ConfabClient        *self,
                                    const char          *conversation_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (conversation_id != NULL);

  g_task_set_source_tag (task, confab_client_fetch_timeline_async);
  g_task_set_task_data (task, g_strdup (conversation_id), g_free);
  escaped = escape (conversation_id);
  path = g_strdup_printf ("/api/v1/conversations/%s/timeline", escaped);
  confab_client_get_json_async (self, path, cancellable, timeline_cb, g_steal_pointer (&task));
}

gboolean
confab_client_fetch_timeline_finish (ConfabClient  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
