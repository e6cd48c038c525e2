/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-http.c: uploads, downloads and JSON reads over REST (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-http.h"
#include "confab-client-private.h"
#include "confab-json.h"

#include <string.h>

/* Bigger than any thumbnail or re-encoded image the relay makes (40 megapixels, compressed). */
#define MAX_DOWNLOAD_BYTES (64 * 1024 * 1024)
#define MAX_JSON_BYTES     (4 * 1024 * 1024)
#define MAX_JSON_DEPTH     16

static SoupMessage *
authorized_message (ConfabClient  *self,
                    const char    *method,
                    const char    *path,
                    GError       **error)
{
  g_autofree char *base = g_strdup (self->relay_url != NULL ? self->relay_url : "");
  g_autofree char *url = NULL;
  SoupMessage *msg;
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  url = g_strconcat (base, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "The relay address is not a valid URL");
      return NULL;
    }
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  return msg;
}

/* An HTTP answer other than 2xx as a GError (the relay's error.message when it sent one). */
static gboolean
check_status (SoupMessage  *msg,
              GBytes       *body,
              GError      **error)
{
  guint status = soup_message_get_status (msg);
  g_autoptr (JsonObject) object = NULL;
  JsonObject *inner = NULL;
  const char *message = NULL;

  if (status >= 200 && status < 300)
    return TRUE;
  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNAUTHORIZED,
                   "The relay no longer accepts this session");
      return FALSE;
    }
  if (body != NULL)
    object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       64 * 1024, 8, NULL);
  if (object != NULL && confab_json_get_object (object, "error", FALSE, &inner, NULL) && inner)
    confab_json_get_string (inner, "message", FALSE, &message, NULL);
  g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY, "%s",
               message != NULL ? message : soup_status_get_phrase (status));
  return FALSE;
}

static JsonObject *
parse_answer (GBytes  *body,
              GError **error)
{
  return confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   MAX_JSON_BYTES, MAX_JSON_DEPTH, error);
}

/* ------------------------------------------------------------ GET JSON --- */

static void
get_json_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  JsonObject *object;

  if (body == NULL || !check_status (msg, body, &error) ||
      (object = parse_answer (body, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
confab_client_get_json_async (ConfabClient        *self,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  SoupMessage *msg;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');

  g_task_set_source_tag (task, confab_client_get_json_async);
  msg = authorized_message (self, SOUP_METHOD_GET, path, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    get_json_cb, g_object_ref (task));
}

JsonObject *
confab_client_get_json_finish (ConfabClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------- other methods, JSON --- */

static void
request_json_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  JsonObject *object;

  if (body == NULL || !check_status (msg, body, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* 204 No Content: an empty object, so that NULL always means an error */
  if (g_bytes_get_size (body) == 0)
    object = json_object_new ();
  else if ((object = parse_answer (body, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
confab_client_request_json_async (ConfabClient        *self,
                                  const char          *method,
                                  const char          *path,
                                  JsonObject          *body,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  SoupMessage *msg;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  g_task_set_source_tag (task, confab_client_request_json_async);
  msg = authorized_message (self, method, path, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (body != NULL)
    {
      g_autofree char *text = confab_json_object_to_string (body);
      gsize len = strlen (text);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    request_json_cb, g_object_ref (task));
}

JsonObject *
confab_client_request_json_finish (ConfabClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------- download --- */

typedef struct {
  SoupMessage *msg;
  char        *upload_id;
  gboolean     thumbnail;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->msg);
  g_free (fetch->upload_id);
  g_free (fetch);
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (body == NULL || !check_status (fetch->msg, body, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (body) > MAX_DOWNLOAD_BYTES)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                               "The image is larger than expected");
      return;
    }
  if (fetch->thumbnail)
    {
      const char *mime = soup_message_headers_get_content_type (
        soup_message_get_response_headers (fetch->msg), NULL);
      g_autoptr (GError) cache_error = NULL;

      if (!confab_cache_put_thumbnail (self->cache, fetch->upload_id,
                                       mime != NULL ? mime : "application/octet-stream",
                                       body, &cache_error))
        g_warning ("Could not keep a thumbnail: %s", cache_error->message);
    }
  g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
}

void
confab_client_fetch_upload_async (ConfabClient        *self,
                                  const char          *upload_id,
                                  gboolean             thumbnail,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Fetch *fetch;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (upload_id != NULL);

  g_task_set_source_tag (task, confab_client_fetch_upload_async);
  if (thumbnail)
    {
      GBytes *cached = confab_cache_get_thumbnail (self->cache, upload_id, NULL);

      if (cached != NULL)
        {
          g_task_return_pointer (task, cached, (GDestroyNotify) g_bytes_unref);
          return;
        }
    }

  escaped = g_uri_escape_string (upload_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/uploads/%s%s", escaped, thumbnail ? "/thumb" : "");
  fetch = g_new0 (Fetch, 1);
  fetch->upload_id = g_strdup (upload_id);
  fetch->thumbnail = thumbnail;
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  fetch->msg = authorized_message (self, SOUP_METHOD_GET, path, &error);
  if (fetch->msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  soup_session_send_and_read_async (self->session, fetch->msg, G_PRIORITY_LOW, cancellable,
                                    fetch_cb, g_object_ref (task));
}

GBytes *
confab_client_fetch_upload_finish (ConfabClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --------------------------------------------------------------- upload --- */

void
confab_client_upload_async (ConfabClient        *self,
                            const char          *conversation_id,
                            GBytes              *data,
                            const char          *mime,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  SoupMessage *msg;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (conversation_id != NULL && data != NULL && mime != NULL);

  g_task_set_source_tag (task, confab_client_upload_async);
  escaped = g_uri_escape_string (conversation_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s", escaped);
  msg = authorized_message (self, SOUP_METHOD_POST, path, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  soup_message_set_request_body_from_bytes (msg, mime, data);
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    get_json_cb, g_object_ref (task));
}

JsonObject *
confab_client_upload_finish (ConfabClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
confab_client_send_attachment (ConfabClient  *self,
                               const char    *conversation_id,
                               const char    *attachment_id,
                               const char    *body,
                               GError       **error)
{
  g_autoptr (JsonObject) frame = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (conversation_id != NULL && attachment_id != NULL, FALSE);

  if (self->state != CONFAB_CLIENT_ONLINE)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  json_object_set_string_member (frame, "type", "message");
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  json_object_set_string_member (frame, "client_id", client_id);
  json_object_set_string_member (frame, "attachment_id", attachment_id);
  if (body != NULL && *body != '\0')
    json_object_set_string_member (frame, "body", body);
  if (!confab_client_send_frame (self, frame))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------ for the other files --- */

/* confab-client-private.h: the same request and error reading for confab-client-team.c */
SoupMessage *
confab_client_authorized_message (ConfabClient  *self,
                                  const char    *method,
                                  const char    *path,
                                  GError       **error)
{
  return authorized_message (self, method, path, error);
}

gboolean
confab_client_check_status (SoupMessage  *msg,
                            GBytes       *body,
                            GError      **error)
{
  return check_status (msg, body, error);
}
