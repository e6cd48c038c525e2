/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-outbox.c: ConfabClient, sending the outbox in order, exactly once; files in it
 * are uploaded first, when their turn comes. */
#define G_LOG_DOMAIN "confab-client"

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#include "confab-cache-private.h"
#include "confab-client-chat.h"
#include "confab-client-private.h"
#include "confab-json.h"

/* the relay's upload limit */
#define MAX_FILE_BYTES (20 * 1024 * 1024)
#define MAX_UPLOAD_ANSWER_BYTES (64 * 1024)

/* Codes after which the same message would be refused again: the entry fails for good (the
 * user may retry or discard it). Anything else (rate_limited, internal_error, unknown codes of
 * a newer relay) is tried again. */
static const char * const permanent_codes[] = {
  "client_id_conflict", "not_found", "forbidden", "invalid_value", "invalid_field",
  "missing_field", "too_long", "too_large", "invalid_utf8",
  /* WhatsApp outside its 24-hour window: only a template goes (confab_client_send_template) */
  "reply_window_closed",
};

#define RETRY_MS 2000

static void schedule_retry (ConfabClient *self, gint64 retry_after_s);

char *
confab_client_outbox_file_path (const char *client_id)
{
  return g_build_filename (g_get_user_cache_dir (), "confab", "outbox", client_id, NULL);
}

/* ------------------------------------------------------------ files --- */

ConfabMessage *
confab_client_send_file (ConfabClient  *self,
                         const char    *conversation_id,
                         GBytes        *bytes,
                         const char    *name,
                         const char    *mime,
                         GError       **error)
{
  g_autofree char *client_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *attachment = NULL;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) local_error = NULL;
  ConfabMessage *message;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  if (conversation_id == NULL || g_bytes_get_size (bytes) == 0)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A file needs a conversation and some bytes");
      return NULL;
    }
  if (g_bytes_get_size (bytes) > MAX_FILE_BYTES)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "This file is too large to send (20 MB at most)");
      return NULL;
    }

  /* the bytes on disk first, under the id the message will have: nothing queued without them */
  client_id = g_uuid_string_random ();
  path = confab_client_outbox_file_path (client_id);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "The file could not be kept for sending: %s",
                   local_error != NULL ? local_error->message : g_strerror (errno));
      return NULL;
    }
  base = g_path_get_basename (name != NULL && *name != '\0' ? name : "file");
  json_object_set_string_member (object, "kind", "file");
  json_object_set_string_member (object, "name", base);
  json_object_set_string_member (object, "mime", mime != NULL ? mime : "application/octet-stream");
  json_object_set_int_member (object, "size", (gint64) g_bytes_get_size (bytes));
  json_object_set_boolean_member (object, "pending", TRUE);
  json_object_set_string_member (object, "local", client_id);
  attachment = confab_json_object_to_string (object);

  message = confab_cache_outbox_add_full (self->cache, conversation_id, "", attachment, error);
  if (message == NULL)
    {
      g_unlink (path);
      return NULL;
    }
  /* the message's own client id names its file: rename to it */
  {
    g_autofree char *final = confab_client_outbox_file_path (confab_message_get_client_id (message));

    if (g_rename (path, final) != 0)
      {
        g_warning ("Could not keep a file for the outbox: %s", g_strerror (errno));
        confab_cache_outbox_failed (self->cache, confab_message_get_client_id (message), "file_missing", NULL);
      }
  }
  confab_client_outbox_pump (self);
  return message;
}

typedef struct {
  ConfabClient *self;
  GCancellable *cancellable;
  char         *client_id;
  JsonObject   *attachment;
  SoupMessage  *msg;
} Upload;

static void
upload_free (Upload *upload)
{
  if (upload->self->upload_cancellable == upload->cancellable)
    g_clear_object (&upload->self->upload_cancellable);
  g_object_unref (upload->self);
  g_clear_object (&upload->cancellable);
  g_free (upload->client_id);
  json_object_unref (upload->attachment);
  g_clear_object (&upload->msg);
  g_free (upload);
}

/* The file is on the relay, or will never be: the head of the outbox moves on. */
static void
upload_done (Upload *upload)
{
  ConfabClient *self = upload->self;

  if (g_strcmp0 (self->in_flight, upload->client_id) == 0)
    g_clear_pointer (&self->in_flight, g_free);
  upload_free (upload);
  confab_client_outbox_pump (self);
}

static void
fail_upload (Upload     *upload,
             const char *code)
{
  g_autoptr (GError) error = NULL;

  g_message ("The relay refused a queued file for good (%s)", code);
  if (!confab_cache_outbox_failed (upload->self->cache, upload->client_id, code, &error))
    g_warning ("Could not record a refused file: %s", error->message);
  upload_done (upload);
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Upload *upload = user_data;
  ConfabClient *self = upload->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *attachment = NULL;
  guint status = soup_message_get_status (upload->msg);
  const char *id = NULL;

  /* cancelled: the connection went (outbox_reset) or the user cancelled it; no say here */
  if (g_cancellable_is_cancelled (upload->cancellable))
    {
      upload_free (upload);
      return;
    }
  if (body != NULL)
    answer = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       MAX_UPLOAD_ANSWER_BYTES, 8, NULL);
  if (body != NULL && status >= 200 && status < 300 && answer != NULL &&
      confab_json_get_string (answer, "id", TRUE, &id, NULL) && id != NULL)
    {
      json_object_set_string_member (upload->attachment, "upload_id", id);
      attachment = confab_json_object_to_string (upload->attachment);
      if (!confab_cache_outbox_set_attachment (self->cache, upload->client_id, attachment, &error))
        g_warning ("Could not record an uploaded file: %s", error->message);
      upload_done (upload);
      return;
    }
  /* refused for what the file is (too large, a type the site does not take...): again would
   * be refused again; anything else (network, 5xx, 429, 408) is tried again later */
  if (body != NULL && status >= 400 && status < 500 && status != 408 && status != 429 &&
      status != SOUP_STATUS_UNAUTHORIZED)
    {
      JsonObject *inner = NULL;
      const char *code = NULL;

      if (answer != NULL && confab_json_get_object (answer, "error", FALSE, &inner, NULL) && inner)
        confab_json_get_string (inner, "code", FALSE, &code, NULL);
      fail_upload (upload, code != NULL ? code : "invalid_value");
      return;
    }
  g_debug ("A queued file could not be uploaded yet (%u%s%s)", status,
           error != NULL ? ": " : "", error != NULL ? error->message : "");
  if (g_strcmp0 (self->in_flight, upload->client_id) == 0)
    schedule_retry (self, 0);
  upload_free (upload);
}

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Upload *upload = user_data;
  ConfabClient *self = upload->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autofree char *path = NULL;
  const char *conversation_id = g_object_get_data (G_OBJECT (source), "conversation-id");
  const char *mime = json_object_get_string_member_with_default (upload->attachment, "mime",
                                                                 "application/octet-stream");

  if (g_cancellable_is_cancelled (upload->cancellable))
    {
      upload_free (upload);
      return;
    }
  if (bytes == NULL)
    {
      /* the cache directory was cleaned meanwhile: the file is gone for good */
      g_message ("A queued file is no longer there: %s", error->message);
      fail_upload (upload, "file_missing");
      return;
    }
  path = confab_client_upload_path (conversation_id,
                                    json_object_get_string_member_with_default (upload->attachment,
                                                                                "name", "file"));
  upload->msg = confab_client_authorized_message (self, SOUP_METHOD_POST, path, &error);
  if (upload->msg == NULL)
    {
      fail_upload (upload, "invalid_value");
      return;
    }
  /* the relay sniffs the type from the bytes: ours is only a hint */
  soup_message_set_request_body_from_bytes (upload->msg, mime, bytes);
  soup_session_send_and_read_async (self->session, upload->msg, G_PRIORITY_DEFAULT,
                                    upload->cancellable, uploaded_cb, upload);
}

/* The head of the outbox is a file not on the relay yet: upload it (in flight meanwhile, so
 * nothing overtakes it). */
static void
start_upload (ConfabClient  *self,
              ConfabMessage *head,
              JsonObject    *attachment)
{
  Upload *upload = g_new0 (Upload, 1);
  g_autofree char *path = confab_client_outbox_file_path (confab_message_get_client_id (head));
  g_autoptr (GFile) file = g_file_new_for_path (path);

  upload->self = g_object_ref (self);
  upload->cancellable = g_cancellable_new ();
  upload->client_id = g_strdup (confab_message_get_client_id (head));
  upload->attachment = json_object_ref (attachment);
  g_set_object (&self->upload_cancellable, upload->cancellable);
  self->in_flight = g_strdup (upload->client_id);
  g_object_set_data_full (G_OBJECT (file), "conversation-id",
                          g_strdup (confab_message_get_conversation_id (head)), g_free);
  g_file_load_bytes_async (file, upload->cancellable, file_loaded_cb, upload);
}

gboolean
confab_client_outbox_cancel_upload (ConfabClient *self,
                                    const char   *client_id)
{
  if (self->upload_cancellable == NULL || g_strcmp0 (self->in_flight, client_id) != 0)
    return FALSE;
  g_cancellable_cancel (self->upload_cancellable);
  g_clear_object (&self->upload_cancellable);
  g_clear_pointer (&self->in_flight, g_free);
  return TRUE;
}

/* -------------------------------------------------------------- pump --- */

static gboolean
retry_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  self->outbox_retry_source = 0;
  g_clear_pointer (&self->in_flight, g_free);
  confab_client_outbox_pump (self);
  return G_SOURCE_REMOVE;
}

/* One message at a time: the next goes only after the ack of the one before, so that a
 * message refused for a while (rate limited) never lets a later one overtake it. */
void
confab_client_outbox_pump (ConfabClient *self)
{
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (JsonObject) frame = NULL;
  ConfabMessage *head;

  if (self->state != CONFAB_CLIENT_ONLINE || self->in_flight != NULL ||
      self->outbox_retry_source != 0)
    return;

  queued = confab_cache_outbox_list (self->cache);
  if (queued->len == 0)
    return;
  head = g_ptr_array_index (queued, 0);

  frame = json_object_new ();
  json_object_set_string_member (frame, "type", "message");
  json_object_set_string_member (frame, "conversation_id", confab_message_get_conversation_id (head));
  json_object_set_string_member (frame, "client_id", confab_message_get_client_id (head));
  if (confab_message_get_attachment (head) != NULL)
    {
      g_autoptr (JsonObject) attachment =
        confab_json_parse_object (confab_message_get_attachment (head),
                                  strlen (confab_message_get_attachment (head)),
                                  MAX_UPLOAD_ANSWER_BYTES, 8, NULL);
      const char *upload_id = NULL;

      if (attachment == NULL)
        {
          confab_cache_outbox_failed (self->cache, confab_message_get_client_id (head), "invalid_value", NULL);
          confab_client_outbox_pump (self);
          return;
        }
      confab_json_get_string (attachment, "upload_id", FALSE, &upload_id, NULL);
      if (upload_id == NULL)
        {
          start_upload (self, head, attachment);
          return;
        }
      json_object_set_string_member (frame, "attachment_id", upload_id);
    }
  if (*confab_message_get_body (head) != '\0' || confab_message_get_attachment (head) == NULL)
    json_object_set_string_member (frame, "body", confab_message_get_body (head));
  self->in_flight = g_strdup (confab_message_get_client_id (head));
  if (!confab_client_send_frame (self, frame))
    g_clear_pointer (&self->in_flight, g_free);
}

void
confab_client_outbox_reset (ConfabClient *self)
{
  g_clear_handle_id (&self->outbox_retry_source, g_source_remove);
  /* an upload under way goes with the connection: it starts again after the next synced */
  if (self->upload_cancellable != NULL)
    g_cancellable_cancel (self->upload_cancellable);
  g_clear_object (&self->upload_cancellable);
  g_clear_pointer (&self->in_flight, g_free);
}

void
confab_client_outbox_handle_ack (ConfabClient *self,
                                 JsonObject   *frame)
{
  g_autoptr (GError) error = NULL;
  const char *client_id = NULL, *conversation_id = NULL;
  gint64 seq = 0;

  if (!confab_json_get_string (frame, "client_id", TRUE, &client_id, NULL) ||
      !confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, NULL) ||
      !confab_json_get_int (frame, "seq", TRUE, 0, &seq, NULL) || seq <= 0)
    {
      g_warning ("The relay sent an ack without client_id, conversation_id or seq; ignored");
      return;
    }

  /* Only our own outstanding message: an ack for anything else changes nothing. */
  if (g_strcmp0 (client_id, self->in_flight) != 0)
    return;

  if (!confab_cache_outbox_acked (self->cache, client_id, conversation_id, seq, &error))
    g_warning ("Could not record a delivered message: %s", error->message);
  else
    {
      /* a file it carried is on the relay now */
      g_autofree char *path = confab_client_outbox_file_path (client_id);

      g_unlink (path);
    }
  g_clear_pointer (&self->in_flight, g_free);
  confab_client_outbox_pump (self);
}

gboolean
confab_client_outbox_handle_error (ConfabClient *self,
                                   JsonObject   *frame)
{
  g_autoptr (GError) error = NULL;
  const char *ref = NULL, *code = NULL;
  gint64 retry_after = 0;

  if (!confab_json_get_string (frame, "ref", FALSE, &ref, NULL) || ref == NULL ||
      g_strcmp0 (ref, self->in_flight) != 0)
    return FALSE;
  if (!confab_json_get_string (frame, "code", FALSE, &code, NULL))
    code = NULL;

  if (code != NULL && g_strv_contains (permanent_codes, code))
    {
      g_message ("The relay refused a queued message for good (%s)", code);
      if (!confab_cache_outbox_failed (self->cache, ref, code, &error))
        g_warning ("Could not record a refused message: %s", error->message);
      g_clear_pointer (&self->in_flight, g_free);
      confab_client_outbox_pump (self);
      return TRUE;
    }

  /* retry_after is in seconds in error frames (PROTOCOL.md, rate_limited) */
  confab_json_get_int (frame, "retry_after", FALSE, 0, &retry_after, NULL);
  schedule_retry (self, retry_after);
  return TRUE;
}

static void
schedule_retry (ConfabClient *self,
                gint64        retry_after_s)
{
  g_clear_handle_id (&self->outbox_retry_source, g_source_remove);
  self->outbox_retry_source = g_timeout_add (retry_after_s > 0 ? (guint) MIN (retry_after_s, 600) * 1000
                                                               : RETRY_MS,
                                             retry_cb, self);
}
