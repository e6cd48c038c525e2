/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-start.c: ConfabClient, starting a conversation with a visitor on the site.
 *
 * Each call is a GTask in self->starts until the relay answers it (an ack or an error whose
 * ref is its client_id), the time is up, it is cancelled, or the client stops. See
 * confab_client_start_conversation_async() in confab-client.h for why this is no outbox entry. */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-private.h"
#include "confab-json.h"

#define START_TIMEOUT_MS 30000

typedef struct {
  char   *client_id;
  char   *visitor_id;
  char   *body;
  guint   timeout_source;
  guint   cancel_source;
  gulong  cancelled_id;
} Start;

static void
start_free (Start *start)
{
  g_clear_handle_id (&start->timeout_source, g_source_remove);
  g_clear_handle_id (&start->cancel_source, g_source_remove);
  g_free (start->client_id);
  g_free (start->visitor_id);
  g_free (start->body);
  g_free (start);
}

static GTask *
find_start (ConfabClient *self,
            const char   *client_id)
{
  for (guint i = 0; self->starts != NULL && i < self->starts->len; i++)
    {
      GTask *task = g_ptr_array_index (self->starts, i);
      Start *start = g_task_get_task_data (task);

      if (g_strcmp0 (start->client_id, client_id) == 0)
        return task;
    }
  return NULL;
}

/* Takes @task out of the waiting list: its answer is about to be returned. */
static GTask *
take_start (ConfabClient *self,
            GTask        *task)
{
  Start *start = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_clear_handle_id (&start->timeout_source, g_source_remove);
  g_clear_handle_id (&start->cancel_source, g_source_remove);
  if (cancellable != NULL && start->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, start->cancelled_id);
  start->cancelled_id = 0;

  g_object_ref (task);
  g_ptr_array_remove (self->starts, task);
  return task;
}

static void
fail_start (ConfabClient *self,
            GTask        *task,
            GQuark        domain,
            int           code,
            const char   *message)
{
  g_autoptr (GTask) taken = take_start (self, task);

  g_task_return_new_error (taken, domain, code, "%s", message);
}

static gboolean
send_start (ConfabClient *self,
            Start        *start)
{
  g_autoptr (JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", "start_conversation");
  json_object_set_string_member (frame, "visitor_id", start->visitor_id);
  json_object_set_string_member (frame, "client_id", start->client_id);
  json_object_set_string_member (frame, "body", start->body);
  return confab_client_send_frame (self, frame);
}

static gboolean
start_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  Start *start = g_task_get_task_data (task);

  start->timeout_source = 0;
  fail_start (g_task_get_source_object (task), task, CONFAB_CLIENT_ERROR,
              CONFAB_CLIENT_ERROR_OFFLINE, "The relay did not answer in time");
  return G_SOURCE_REMOVE;
}

/* Not from the "cancelled" handler itself: g_cancellable_disconnect() there would deadlock. */
static gboolean
start_cancel_cb (gpointer user_data)
{
  GTask *task = user_data;
  Start *start = g_task_get_task_data (task);

  start->cancel_source = 0;
  fail_start (g_task_get_source_object (task), task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
              "Cancelled");
  return G_SOURCE_REMOVE;
}

static void
on_start_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Start *start = g_task_get_task_data (task);

  if (start->cancel_source == 0)
    start->cancel_source = g_idle_add (start_cancel_cb, task);
}

void
confab_client_start_conversation_async (ConfabClient        *self,
                                        const char          *visitor_id,
                                        const char          *body,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *trimmed = NULL;
  Start *start;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_start_conversation_async);

  trimmed = g_strstrip (g_strdup (body ? body : ""));
  if (visitor_id == NULL || *visitor_id == '\0' || *trimmed == '\0' ||
      !g_utf8_validate (body, -1, NULL) || g_utf8_strlen (body, -1) > 4000)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                               "A first message needs a visitor and 1 to 4000 characters of text");
      return;
    }
  if (self->state != CONFAB_CLIENT_ONLINE)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                               "Not connected to the relay: whether the visitor is still there "
                               "cannot be known");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  start = g_new0 (Start, 1);
  start->client_id = g_uuid_string_random ();
  start->visitor_id = g_strdup (visitor_id);
  start->body = g_strdup (body);
  g_task_set_task_data (task, start, (GDestroyNotify) start_free);

  if (self->starts == NULL)
    self->starts = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->starts, g_object_ref (task));
  start->timeout_source = g_timeout_add (START_TIMEOUT_MS, start_timeout_cb, task);
  if (cancellable != NULL)
    start->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_start_cancelled),
                                                 task, NULL);

  /* a connection that just dropped sends it after the next sync */
  send_start (self, start);
}

char *
confab_client_start_conversation_finish (ConfabClient  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_client_start_conversation_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_client_starts_resend (ConfabClient *self)
{
  for (guint i = 0; self->starts != NULL && i < self->starts->len; i++)
    send_start (self, g_task_get_task_data (g_ptr_array_index (self->starts, i)));
}

gboolean
confab_client_starts_handle_ack (ConfabClient *self,
                                 JsonObject   *frame)
{
  const char *client_id = NULL, *conversation_id = NULL;
  g_autoptr (GTask) taken = NULL;
  GTask *task;

  if (!confab_json_get_string (frame, "client_id", FALSE, &client_id, NULL) ||
      (task = find_start (self, client_id)) == NULL)
    return FALSE;

  taken = take_start (self, task);
  if (!confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, NULL))
    g_task_return_new_error (taken, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                             "The relay's answer names no conversation");
  else
    g_task_return_pointer (taken, g_strdup (conversation_id), g_free);
  return TRUE;
}

gboolean
confab_client_starts_handle_error (ConfabClient *self,
                                   JsonObject   *frame)
{
  const char *ref = NULL, *code = NULL, *message = NULL;
  GTask *task;

  if (!confab_json_get_string (frame, "ref", FALSE, &ref, NULL) || ref == NULL ||
      (task = find_start (self, ref)) == NULL)
    return FALSE;

  confab_json_get_string (frame, "code", FALSE, &code, NULL);
  confab_json_get_string (frame, "message", FALSE, &message, NULL);
  if (g_strcmp0 (code, "visitor_offline") == 0)
    fail_start (self, task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_VISITOR_OFFLINE,
                "The visitor has left the site");
  else
    fail_start (self, task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                message != NULL ? message : (code != NULL ? code : "The relay refused it"));
  return TRUE;
}

void
confab_client_starts_fail_all (ConfabClient *self)
{
  while (self->starts != NULL && self->starts->len > 0)
    fail_start (self, g_ptr_array_index (self->starts, 0), CONFAB_CLIENT_ERROR,
                CONFAB_CLIENT_ERROR_OFFLINE, "Disconnected from the relay");
}
