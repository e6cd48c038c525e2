/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-fetch.c: GET of the analytics answer and of its CSV (see the header). */
#define G_LOG_DOMAIN "confab-analytics"

#include "confab-analytics-fetch.h"
#include "confab-client-private.h"
#include "confab-json.h"

#include <string.h>

/* A conversation list of a busy year is the largest CSV: a few MB; the JSON is far smaller. */
#define MAX_CSV_BYTES (64 * 1024 * 1024)

typedef struct {
  SoupMessage *msg;
  gboolean     csv;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->msg);
  g_free (fetch);
}

/* An answer other than 2xx: the relay's {"error":{"message"}} when it sent one. */
static GError *
status_error (SoupMessage *msg,
              GBytes      *body)
{
  guint status = soup_message_get_status (msg);
  g_autoptr (JsonObject) object = NULL;
  JsonObject *inner = NULL;
  const char *message = NULL;

  if (status == SOUP_STATUS_UNAUTHORIZED)
    return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNAUTHORIZED,
                        "The relay no longer accepts this session");
  if (body != NULL)
    object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       64 * 1024, 8, NULL);
  if (object != NULL && confab_json_get_object (object, "error", FALSE, &inner, NULL) && inner)
    confab_json_get_string (inner, "message", FALSE, &message, NULL);
  return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY, "%s",
                      message != NULL ? message : soup_status_get_phrase (status));
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status;
  ConfabAnalytics *analytics;

  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (fetch->msg);
  if (status < 200 || status >= 300)
    {
      g_task_return_error (task, status_error (fetch->msg, body));
      return;
    }
  if (fetch->csv)
    {
      if (g_bytes_get_size (body) > MAX_CSV_BYTES)
        g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                                 "The export is larger than %d MB", MAX_CSV_BYTES / (1024 * 1024));
      else
        g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }
  analytics = confab_analytics_parse_data (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                           &error);
  if (analytics == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, analytics, (GDestroyNotify) confab_analytics_free);
}

static void
fetch_start (ConfabClient        *client,
             const char          *path,
             gboolean             csv,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (client, cancellable, callback, user_data);
  g_autofree char *base = g_strdup (client->relay_url != NULL ? client->relay_url : "");
  g_autofree char *url = NULL;
  gsize len = strlen (base);
  Fetch *fetch;

  g_task_set_source_tag (task, source_tag);
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  url = g_strconcat (base, path, NULL);
  fetch = g_new0 (Fetch, 1);
  fetch->csv = csv;
  fetch->msg = soup_message_new (SOUP_METHOD_GET, url);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  if (fetch->msg == NULL)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                               "The relay address is not a valid URL");
      return;
    }
  if (client->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", client->token);

      soup_message_headers_replace (soup_message_get_request_headers (fetch->msg), "Authorization",
                                    auth);
    }
  soup_session_send_and_read_async (client->session, fetch->msg, G_PRIORITY_DEFAULT, cancellable,
                                    fetch_cb, g_steal_pointer (&task));
}

void
confab_analytics_fetch_async (ConfabClient        *client,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CLIENT (client));
  g_return_if_fail (path != NULL && path[0] == '/');

  fetch_start (client, path, FALSE, confab_analytics_fetch_async, cancellable, callback, user_data);
}

ConfabAnalytics *
confab_analytics_fetch_finish (ConfabClient  *client,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_analytics_fetch_csv_async (ConfabClient        *client,
                                  const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CLIENT (client));
  g_return_if_fail (path != NULL && path[0] == '/');

  fetch_start (client, path, TRUE, confab_analytics_fetch_csv_async, cancellable, callback,
               user_data);
}

GBytes *
confab_analytics_fetch_csv_finish (ConfabClient  *client,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
