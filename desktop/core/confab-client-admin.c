/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-admin.c: JSON requests with the relay's error codes, and the setup-code sign-in
 * (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-admin.h"
#include "confab-client-private.h"
#include "confab-json.h"
#include "confab-site.h"

#include <string.h>

#define MAX_ANSWER_BYTES (4 * 1024 * 1024)
#define MAX_ANSWER_DEPTH 16

typedef struct
{
  SoupMessage *msg;
  char        *code;   /* the relay's error code, once it answered one */
  char        *email;  /* setup: the account's address, for the cache */
} Request;

static void
request_free (gpointer data)
{
  Request *request = data;

  g_clear_object (&request->msg);
  g_free (request->code);
  g_free (request->email);
  g_free (request);
}

static SoupMessage *
new_message (ConfabClient  *self,
             const char    *method,
             const char    *path,
             JsonObject    *body,
             GError       **error)
{
  g_autofree char *base = g_strdup (self->relay_url != NULL ? self->relay_url : "");
  g_autofree char *url = NULL;
  gsize len = strlen (base);
  SoupMessage *msg;

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  url = g_strconcat (base, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "“%s” is not a relay address", self->relay_url ? self->relay_url : "");
      return NULL;
    }
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      char *text = confab_json_object_to_string (body);
      g_autoptr (GBytes) bytes = g_bytes_new_take (text, strlen (text));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

/* A non-2xx answer as a GError, keeping the relay's error code in the request. */
static void
set_relay_error (Request  *request,
                 GBytes   *body,
                 gboolean  signed_in,
                 GError  **error)
{
  guint status = soup_message_get_status (request->msg);
  g_autoptr (JsonObject) object = NULL;
  JsonObject *inner = NULL;
  const char *message = NULL, *code = NULL;

  if (body != NULL)
    object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       64 * 1024, 8, NULL);
  if (object != NULL && confab_json_get_object (object, "error", FALSE, &inner, NULL) && inner)
    {
      confab_json_get_string (inner, "code", FALSE, &code, NULL);
      confab_json_get_string (inner, "message", FALSE, &message, NULL);
    }
  g_free (request->code);
  request->code = g_strdup (code);
  /* a 401 to a signed-in client is its session ending; to the setup call it is the code's fault */
  if (status == SOUP_STATUS_UNAUTHORIZED && signed_in)
    g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNAUTHORIZED,
                 "The relay no longer accepts this session; sign in again");
  else
    g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY, "%s",
                 message != NULL ? message : soup_status_get_phrase (status));
}

static JsonObject *
read_answer (ConfabClient  *self,
             GObject       *source,
             GAsyncResult  *result,
             Request       *request,
             gboolean       signed_in,
             GError       **error)
{
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, error);
  guint status;

  if (body == NULL)
    return NULL;
  status = soup_message_get_status (request->msg);
  if (status < 200 || status >= 300)
    {
      set_relay_error (request, body, signed_in, error);
      return NULL;
    }
  if (status == SOUP_STATUS_NO_CONTENT || g_bytes_get_size (body) == 0)
    return json_object_new ();
  return confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, error);
}

static char *
steal_code (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  return request != NULL ? g_steal_pointer (&request->code) : NULL;
}

/* ------------------------------------------------------------- request --- */

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  JsonObject *object = read_answer (self, source, result, g_task_get_task_data (task), TRUE, &error);

  if (object == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

void
confab_client_request_async (ConfabClient        *self,
                             const char          *method,
                             const char          *path,
                             JsonObject          *body,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  Request *request;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_request_async);
  request = g_new0 (Request, 1);
  g_task_set_task_data (task, request, request_free);
  request->msg = new_message (self, method, path, body, &error);
  if (request->msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  soup_session_send_and_read_async (self->session, request->msg, G_PRIORITY_DEFAULT, cancellable,
                                    request_cb, g_steal_pointer (&task));
}

JsonObject *
confab_client_request_finish (ConfabClient  *self,
                              GAsyncResult  *result,
                              char         **code,
                              GError       **error)
{
  JsonObject *object;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  object = g_task_propagate_pointer (G_TASK (result), error);
  if (code != NULL)
    *code = object == NULL ? steal_code (G_TASK (result)) : NULL;
  return object;
}

/* --------------------------------------------------------------- setup --- */

void
confab_client_set_user_name (ConfabClient *self,
                             const char   *name)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (name == NULL || g_strcmp0 (self->user_name, name) == 0)
    return;
  g_free (self->user_name);
  self->user_name = g_strdup (name);
  confab_cache_set_meta (self->cache, "user_name", name, NULL);
  g_object_notify (G_OBJECT (self), "user-name");
}

static void
setup_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = read_answer (self, source, result, request, FALSE, &error);
  JsonObject *user = NULL;
  const char *token = NULL, *id = NULL, *name = NULL;

  if (object == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!confab_json_get_string (object, "token", TRUE, &token, &error) ||
      !confab_json_get_object (object, "user", TRUE, &user, &error) ||
      !confab_json_get_string (user, "id", TRUE, &id, &error) ||
      !confab_json_get_string (user, "name", FALSE, &name, &error))
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                               "The relay's sign-in answer is not understood: %s", error->message);
      return;
    }

  confab_client_set_token (self, token);
  if (g_strcmp0 (self->user_id, id) != 0)
    {
      g_free (self->user_id);
      self->user_id = g_strdup (id);
      g_object_notify (G_OBJECT (self), "user-id");
    }
  confab_client_set_user_name (self, name);
  confab_cache_set_meta (self->cache, "relay_url", self->relay_url, NULL);
  confab_cache_set_meta (self->cache, "email", request->email, NULL);
  confab_cache_set_meta (self->cache, "user_id", id, NULL);
  g_task_return_boolean (task, TRUE);
}

void
confab_client_setup_async (ConfabClient        *self,
                           const char          *email,
                           const char          *setup_code,
                           const char          *password,
                           const char          *name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = json_object_new ();
  Request *request;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (email != NULL && setup_code != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_setup_async);
  request = g_new0 (Request, 1);
  request->email = g_strdup (email);
  g_task_set_task_data (task, request, request_free);
  json_object_set_string_member (body, "email", email);
  json_object_set_string_member (body, "setup_code", setup_code);
  json_object_set_string_member (body, "password", password);
  if (name != NULL && *name != '\0')
    json_object_set_string_member (body, "name", name);
  /* no token: the code is the credential (an older session of this account is revoked) */
  g_clear_pointer (&self->token, g_free);
  request->msg = new_message (self, "POST", "/api/v1/auth/setup", body, &error);
  if (request->msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  soup_session_send_and_read_async (self->session, request->msg, G_PRIORITY_DEFAULT, cancellable,
                                    setup_cb, g_steal_pointer (&task));
}

gboolean
confab_client_setup_finish (ConfabClient  *self,
                            GAsyncResult  *result,
                            char         **code,
                            GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_client_setup_async, FALSE);

  ok = g_task_propagate_boolean (G_TASK (result), error);
  if (code != NULL)
    *code = ok ? NULL : steal_code (G_TASK (result));
  return ok;
}

/* ------------------------------------------------------------ site list --- */

gboolean
confab_client_apply_site (ConfabClient  *self,
                          JsonObject    *site,
                          GError       **error)
{
  g_autoptr (GListModel) sites = NULL;
  g_autoptr (JsonArray) list = NULL;
  const char *id = NULL, *name = NULL, *role = NULL;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);

  if (!confab_json_get_string (site, "id", TRUE, &id, error) ||
      !confab_json_get_string (site, "name", TRUE, &name, error))
    return FALSE;
  confab_json_get_string (site, "role", FALSE, &role, NULL);

  /* the same list with this site's name and role as they are now */
  sites = confab_cache_list_sites (self->cache);
  list = json_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) known = g_list_model_get_item (sites, i);
      JsonObject *entry = json_object_new ();
      gboolean same = g_strcmp0 (confab_site_get_id (known), id) == 0;

      json_object_set_string_member (entry, "id", confab_site_get_id (known));
      json_object_set_string_member (entry, "name", same ? name : confab_site_get_name (known));
      json_object_set_string_member (entry, "role",
                                     same && role != NULL ? role : confab_site_get_role (known));
      /* issue 18: the user's own limit, as this object says it or as known */
      if (same && json_object_has_member (site, "max_chats") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (site, "max_chats")))
        json_object_set_int_member (entry, "max_chats",
                                    json_object_get_int_member (site, "max_chats"));
      else if (confab_site_get_max_chats (known) >= 0)
        json_object_set_int_member (entry, "max_chats", confab_site_get_max_chats (known));
      json_array_add_object_element (list, entry);
    }
  return confab_cache_replace_sites (self->cache, list, error);
}
