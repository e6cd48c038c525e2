/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta.c: Messenger and WhatsApp — the Graph API client, the outbox of agents' replies
 * and its retries, the typing indicator (see confab-meta.h) */
#define G_LOG_DOMAIN "confab-meta"

#include "confab-meta.h"
#include "confab-hub.h"
#include "confab-hub-channels.h"
#include "confab-json.h"
#include "confab-store-backend.h"
#include "confab-store-channels.h"
#include "confab-uploads.h"
#include "confab-util.h"

#include <string.h>

/* The outbox: at most this many requests in one look, each leased for LEASE_MS while it is on
 * its way (a relay that dies meanwhile sends it again after the lease). */
#define OUTBOX_BATCH       16
#define LEASE_MS           (45 * 1000)
/* Retryable answers (429, 5xx, no answer): 1 s, doubling, at most 5 min apart, 8 attempts in
 * all (about 4 min); a Retry-After the platform gives is kept up to an hour. */
#define RETRY_FIRST_MS     1000
#define RETRY_MAX_MS       (5 * 60 * 1000)
#define MAX_ATTEMPTS       8
#define RETRY_AFTER_MAX_S  3600
/* When the store is busy (another process has its lock), the outbox is looked at again. */
#define STORE_RETRY_MS     500
/* The platforms' own limits on a text. */
#define MESSENGER_MAX_CHARS 2000
#define WHATSAPP_MAX_CHARS  4096
/* Agents' pictures: WhatsApp takes JPEG and PNG up to 5 MB with a caption of 1024 characters,
 * Messenger JPEG, PNG and GIF up to 25 MB without words. The upload's own checks came first. */
#define WHATSAPP_MAX_IMAGE_BYTES  (5 * 1024 * 1024)
#define MESSENGER_MAX_IMAGE_BYTES (25 * 1024 * 1024)
#define WHATSAPP_MAX_CAPTION_CHARS 1024
/* the private member of an outbox request that names the agent's picture: taken out, and the
 * picture uploaded with the request, when it is sent */
#define REQUEST_UPLOAD_MEMBER "confab_upload"
/* A Graph API answer to a send is a few hundred bytes. */
#define ANSWER_MAX_BYTES   (64 * 1024)
/* Seen platform ids are kept a week (Meta retries for a day and a half at most). */
#define SEEN_KEEP_MS       (7 * 24 * 3600 * 1000LL)
#define SEEN_PRUNE_MS      (3600 * 1000LL)
#define HTTP_TIMEOUT_S     30
/* Messenger shows typing_on for 20 s: while an agent keeps typing it is renewed every 10 s,
 * not at every keystroke the app reports; at most this many conversations are remembered. */
#define TYPING_RENEW_MS    (10 * 1000)
#define TYPING_MAX_ENTRIES 10000

G_DEFINE_QUARK (confab-meta-error-quark, confab_meta_error)

struct _ConfabMeta
{
  ConfabRelay  *relay;
  SoupSession  *session;
  GCancellable *cancellable;
  guint         outbox_source;
  gint64        outbox_due_at;   /* ms of the timer set, 0 when none */
  gint64        seen_pruned_at;
  GHashTable   *typing;          /* conversation id → monotonic ms of the last typing_on sent */
};

const char *
confab_meta_error_code (const GError *error)
{
  if (error == NULL || error->domain != CONFAB_META_ERROR)
    return NULL;
  return error->code == CONFAB_META_ERROR_WINDOW_CLOSED ? "reply_window_closed" : "invalid_value";
}

const char *
confab_meta_graph_url (ConfabRelay *relay)
{
  return relay->config->meta_graph_url;
}

char *
confab_meta_webhook_url (ConfabRelay       *relay,
                         SoupServerMessage *msg,
                         const char        *channel,
                         const char        *site_id)
{
  const char *public_url = relay->config->meta_public_url;
  g_autofree char *base = NULL;

  if (public_url != NULL && *public_url != '\0')
    base = g_strdup (public_url);
  else
    {
      GUri *uri = soup_server_message_get_uri (msg);
      const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                       "Host");

      base = host != NULL ? g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), host)
                          : g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
                                             g_uri_get_host (uri), g_uri_get_port (uri));
    }
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  return g_strdup_printf ("%s/webhooks/%s/%s", base, channel, site_id);
}

JsonObject *
confab_meta_settings (ConfabRelay *relay,
                      const char  *site_id,
                      const char  *channel)
{
  g_autoptr (ConfabChannelSettings) settings = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) config = NULL;
  JsonObject *secrets;

  settings = confab_store_get_channel_settings (relay->store, site_id, channel, NULL);
  if (settings == NULL || !settings->enabled)
    return NULL;
  /* a disabled site (or one being deleted) takes no chats from anywhere */
  site = confab_store_get_site (relay->store, site_id, NULL);
  if (site == NULL || !site->enabled)
    return NULL;
  config = confab_json_parse_object (settings->config_json, strlen (settings->config_json),
                                     G_MAXSIZE, 16, NULL);
  secrets = confab_json_parse_object (settings->secrets_json, strlen (settings->secrets_json),
                                      G_MAXSIZE, 16, NULL);
  if (config == NULL || secrets == NULL)
    {
      g_clear_pointer (&secrets, json_object_unref);
      return NULL;
    }
  json_object_set_object_member (config, "secrets", secrets);
  return g_steal_pointer (&config);
}

static const char *
settings_string (JsonObject *settings,
                 const char *member)
{
  JsonNode *node = json_object_get_member (settings, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static const char *
settings_secret (JsonObject *settings,
                 const char *member)
{
  return settings_string (json_object_get_object_member (settings, "secrets"), member);
}

/* --- bounded HTTP ---------------------------------------------------------------------------- */

typedef struct {
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *data;
  gsize         max_bytes;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->msg);
  g_clear_object (&fetch->stream);
  if (fetch->data != NULL)
    g_byte_array_unref (fetch->data);
  g_free (fetch);
}

static void fetch_read_more (GTask *task);

static void
fetch_got_bytes (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GBytes) chunk = NULL;
  GError *error = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&fetch->data)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }
  g_byte_array_append (fetch->data, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  if (fetch->data->len > fetch->max_bytes)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "The answer is larger than %" G_GSIZE_FORMAT " bytes",
                               fetch->max_bytes);
      return;
    }
  fetch_read_more (g_steal_pointer (&task));
}

static void
fetch_read_more (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (fetch->stream, 16 * 1024, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), fetch_got_bytes, task);
}

static void
fetch_sent (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;

  fetch->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (fetch->stream == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  fetch_read_more (task);
}

/* Sends @msg and reads its answer up to @max_bytes. */
static void
fetch_start (ConfabMeta          *meta,
             SoupMessage         *msg,
             gsize                max_bytes,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, meta->cancellable, callback, user_data);
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->msg = g_object_ref (msg);
  fetch->data = g_byte_array_new ();
  fetch->max_bytes = max_bytes;
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  g_task_set_source_tag (task, fetch_start);
  soup_session_send_async (meta->session, msg, G_PRIORITY_DEFAULT, meta->cancellable,
                           fetch_sent, task);
}

static GBytes *
fetch_finish (GAsyncResult  *result,
              SoupMessage  **out_msg,
              GError       **error)
{
  Fetch *fetch = g_task_get_task_data (G_TASK (result));

  if (out_msg != NULL)
    *out_msg = g_object_ref (fetch->msg);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static SoupMessage *
graph_message (const char *method,
               const char *url,
               const char *token)
{
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    return NULL;
  if (token != NULL)
    {
      /* in a header, not ?access_token=: URLs end up in logs */
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
    }
  return msg;
}

static void
get_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  guint status;

  bytes = fetch_finish (result, &msg, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "The Graph API answered %u", status);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

void
confab_meta_get (ConfabRelay         *relay,
                 const char          *url,
                 const char          *token,
                 gsize                max_bytes,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (NULL, relay->meta->cancellable, callback, user_data);
  g_autoptr (SoupMessage) msg = graph_message ("GET", url, token);

  g_task_set_source_tag (task, confab_meta_get);
  if (msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not an address to fetch from");
      g_object_unref (task);
      return;
    }
  fetch_start (relay->meta, msg, max_bytes, get_done, task);
}

GBytes *
confab_meta_get_finish (GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The Graph API's own words for an error: {"error":{"message":…}}, else the status. */
static char *
graph_error_text (guint   status,
                  GBytes *body)
{
  g_autoptr (JsonObject) answer = NULL;
  JsonObject *error_object = NULL;
  const char *message = NULL;

  if (body != NULL && g_bytes_get_size (body) > 0)
    answer = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       ANSWER_MAX_BYTES, 16, NULL);
  if (answer != NULL && json_object_has_member (answer, "error") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (answer, "error")))
    error_object = json_object_get_object_member (answer, "error");
  if (error_object != NULL)
    message = settings_string (error_object, "message");
  if (message != NULL)
    return g_strdup_printf ("%s (HTTP %u)", message, status);
  return g_strdup_printf ("The platform answered HTTP %u", status);
}

/* --- the outbox ------------------------------------------------------------------------------ */

static void schedule_outbox (ConfabMeta *meta,
                             gint64      due_at);

typedef struct {
  ConfabMeta       *meta;
  ConfabOutboxItem *item;
  JsonObject       *request;  /* WhatsApp's picture: the message to send once it is uploaded */
  char             *url;      /* … and where */
  char             *token;
} Sending;

static void
sending_free (Sending *sending)
{
  confab_outbox_item_free (sending->item);
  g_clear_pointer (&sending->request, json_object_unref);
  g_free (sending->url);
  g_free (sending->token);
  g_free (sending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sending, sending_free)

/* The item is done: sent (@platform_id) or failed for good (@error_text). */
static void
finish_item (ConfabMeta       *meta,
             ConfabOutboxItem *item,
             const char       *status,
             const char       *error_text,
             const char       *platform_id)
{
  g_autoptr (GError) error = NULL;

  if (!confab_hub_channel_delivery (meta->relay->hub, item->conversation_id, item->seq, status,
                                    error_text, platform_id, TRUE, &error))
    {
      /* the lease runs out and it is tried again: better twice than never */
      g_warning ("Cannot record the delivery of %s #%" G_GINT64_FORMAT ": %s",
                 item->conversation_id, item->seq, error->message);
    }
}

static void
retry_item (ConfabMeta       *meta,
            ConfabOutboxItem *item,
            const char       *why,
            gint64            retry_after_s)
{
  g_autoptr (GError) error = NULL;
  gint64 attempts = item->attempts + 1;
  gint64 delay = RETRY_FIRST_MS;

  if (attempts >= MAX_ATTEMPTS)
    {
      g_autofree char *text = g_strdup_printf ("%s; gave up after %" G_GINT64_FORMAT " attempts",
                                               why, attempts);
      finish_item (meta, item, "failed", text, NULL);
      return;
    }
  for (gint64 i = 1; i < attempts && delay < RETRY_MAX_MS; i++)
    delay *= 2;
  delay = MIN (delay, RETRY_MAX_MS);
  if (retry_after_s > 0)
    delay = MAX (delay, MIN (retry_after_s, RETRY_AFTER_MAX_S) * 1000);

  g_message ("%s reply %s #%" G_GINT64_FORMAT " not sent (%s): again in %" G_GINT64_FORMAT " ms",
             item->channel, item->conversation_id, item->seq, why, delay);
  confab_hub_sync (meta->relay->hub);
  if (!confab_store_retry_outbox (meta->relay->store, item->conversation_id, item->seq, attempts,
                                  confab_now_ms () + delay, &error))
    g_warning ("Cannot reschedule a reply: %s (the lease brings it back)", error->message);
  schedule_outbox (meta, confab_now_ms () + delay);
}

static gint64
retry_after_seconds (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  char *end = NULL;
  gint64 seconds;

  if (value == NULL)
    return 0;
  seconds = g_ascii_strtoll (value, &end, 10);
  return end != value && *end == '\0' && seconds > 0 ? seconds : 0;
}

/* The Graph API's answer to one of the item's requests: its body when it succeeded; else NULL,
 * the item retried (429, 5xx, no answer) or failed for good (any other error). */
static GBytes *
graph_answer (Sending       *sending,
              GAsyncResult  *result)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  guint status;

  body = fetch_finish (result, &msg, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  if (body == NULL)
    {
      retry_item (sending->meta, sending->item, error->message, 0);
      return NULL;
    }

  status = soup_message_get_status (msg);
  if (status == 429 || status >= 500)
    {
      g_autofree char *why = graph_error_text (status, body);
      retry_item (sending->meta, sending->item, why, retry_after_seconds (msg));
      return NULL;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *why = graph_error_text (status, body);
      finish_item (sending->meta, sending->item, "failed", why, NULL);
      return NULL;
    }
  return g_steal_pointer (&body);
}

static void
item_sent (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (Sending) sending = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  const char *platform_id = NULL;

  if ((body = graph_answer (sending, result)) == NULL)
    return;

  /* Messenger: {"recipient_id","message_id"}; WhatsApp: {"messages":[{"id"}]} */
  answer = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     ANSWER_MAX_BYTES, 16, NULL);
  if (answer != NULL)
    {
      platform_id = settings_string (answer, "message_id");
      if (platform_id == NULL && json_object_has_member (answer, "messages") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (answer, "messages")))
        {
          JsonArray *messages = json_object_get_array_member (answer, "messages");

          if (json_array_get_length (messages) > 0 &&
              JSON_NODE_HOLDS_OBJECT (json_array_get_element (messages, 0)))
            platform_id = settings_string (json_array_get_object_element (messages, 0), "id");
        }
    }
  finish_item (sending->meta, sending->item, "sent", NULL, platform_id);
}

/* --- agents' pictures -------------------------------------------------------------------------- */

/* A multipart/form-data POST to the Graph API with the bearer @token. */
static SoupMessage *
graph_form_message (const char    *url,
                    const char    *token,
                    SoupMultipart *form)
{
  SoupMessage *msg = soup_message_new_from_multipart (url, form);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

  if (msg != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
  return msg;
}

static void
send_image_message (gpointer user_data)
{
  Sending *sending = user_data;
  g_autoptr (SoupMessage) msg = graph_message ("POST", sending->url, sending->token);
  g_autoptr (GBytes) body = NULL;
  g_autofree char *text = confab_json_object_to_string (sending->request);

  body = g_bytes_new (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  fetch_start (sending->meta, msg, ANSWER_MAX_BYTES, item_sent, sending);
}

/* WhatsApp took the picture: {"id":MEDIA_ID}; the message names it. */
static void
media_uploaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (Sending) sending = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  const char *media_id;
  JsonObject *image;

  if ((body = graph_answer (sending, result)) == NULL)
    return;
  answer = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     ANSWER_MAX_BYTES, 16, NULL);
  media_id = answer != NULL ? settings_string (answer, "id") : NULL;
  if (media_id == NULL)
    return finish_item (sending->meta, sending->item, "failed",
                        "WhatsApp took the picture but gave no id for it", NULL);

  image = json_object_get_object_member (sending->request, "image");
  json_object_set_string_member (image, "id", media_id);
  /* from the main loop: the upload's request lets go of its connection first */
  g_idle_add_once (send_image_message, g_steal_pointer (&sending));
}

/* An outbox item with the agent's picture: Messenger takes it with the message (the Send API's
 * attachment upload, "filedata"); WhatsApp first at /{phone-number-id}/media, then the message
 * names its id. The picture is read from where the relay keeps uploads. */
static void
send_picture (Sending    *sending,
              JsonObject *settings,
              const char *url,
              const char *token)
{
  g_autoptr (Sending) owned = sending;
  ConfabMeta *meta = sending->meta;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (ConfabUpload) upload = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *file_name = NULL;
  SoupMultipart *form;
  const char *upload_id;

  request = confab_json_parse_object (sending->item->request_json,
                                      strlen (sending->item->request_json), G_MAXSIZE, 16, NULL);
  upload_id = request != NULL ? settings_string (request, REQUEST_UPLOAD_MEMBER) : NULL;
  if (upload_id != NULL)
    upload = confab_store_get_upload (meta->relay->store, upload_id, &error);
  if (upload != NULL)
    bytes = confab_uploads_read (meta->relay, upload, &error);
  if (bytes == NULL)
    {
      if (error != NULL && confab_store_error_is_transient (error))
        return retry_item (meta, sending->item, error->message, 0);
      if (error != NULL)
        g_warning ("The picture of %s #%" G_GINT64_FORMAT " cannot be read: %s",
                   sending->item->conversation_id, sending->item->seq, error->message);
      return finish_item (meta, sending->item, "failed",
                          "The picture is not on the relay any more", NULL);
    }
  json_object_remove_member (request, REQUEST_UPLOAD_MEMBER);
  file_name = g_strdup_printf ("picture.%s", g_str_has_suffix (upload->mime, "png") ? "png"
                                             : g_str_has_suffix (upload->mime, "gif") ? "gif"
                                             : "jpg");

  form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  if (strcmp (sending->item->channel, CONFAB_CHANNEL_MESSENGER) == 0)
    {
      g_autofree char *recipient = confab_json_object_to_string (
        json_object_get_object_member (request, "recipient"));
      g_autofree char *message = confab_json_object_to_string (
        json_object_get_object_member (request, "message"));

      soup_multipart_append_form_string (form, "recipient", recipient);
      soup_multipart_append_form_string (form, "messaging_type",
                                         settings_string (request, "messaging_type"));
      soup_multipart_append_form_string (form, "message", message);
      soup_multipart_append_form_file (form, "filedata", file_name, upload->mime, bytes);
      msg = graph_form_message (url, token, form);
      soup_multipart_free (form);
      if (msg == NULL)
        return finish_item (meta, sending->item, "failed", "The channel's settings are incomplete",
                            NULL);
      return fetch_start (meta, msg, ANSWER_MAX_BYTES, item_sent, g_steal_pointer (&owned));
    }

  {
    g_autofree char *media_url = g_strdup_printf ("%s/%s/media", confab_meta_graph_url (meta->relay),
                                                  settings_string (settings, "phone_number_id"));

    soup_multipart_append_form_string (form, "messaging_product", "whatsapp");
    soup_multipart_append_form_string (form, "type", upload->mime);
    soup_multipart_append_form_file (form, "file", file_name, upload->mime, bytes);
    msg = graph_form_message (media_url, token, form);
    soup_multipart_free (form);
    if (msg == NULL)
      return finish_item (meta, sending->item, "failed", "The channel's settings are incomplete",
                          NULL);
  }
  sending->request = g_steal_pointer (&request);
  sending->url = g_strdup (url);
  sending->token = g_strdup (token);
  fetch_start (meta, msg, ANSWER_MAX_BYTES, media_uploaded, g_steal_pointer (&owned));
}

static void
send_item (ConfabMeta       *meta,
           ConfabOutboxItem *item)
{
  g_autoptr (Sending) sending = g_new0 (Sending, 1);
  g_autoptr (JsonObject) settings = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *url = NULL;
  const char *token;

  sending->meta = meta;
  sending->item = item;

  settings = confab_meta_settings (meta->relay, item->site_id, item->channel);
  if (settings == NULL)
    return finish_item (meta, item, "failed",
                        "The site is not connected to this channel any more", NULL);

  if (strcmp (item->channel, CONFAB_CHANNEL_MESSENGER) == 0)
    {
      url = g_strdup_printf ("%s/me/messages", confab_meta_graph_url (meta->relay));
      token = settings_secret (settings, "page_access_token");
    }
  else
    {
      url = g_strdup_printf ("%s/%s/messages", confab_meta_graph_url (meta->relay),
                             settings_string (settings, "phone_number_id"));
      token = settings_secret (settings, "access_token");
    }
  msg = graph_message ("POST", url, token);
  if (msg == NULL || token == NULL)
    return finish_item (meta, item, "failed", "The channel's settings are incomplete", NULL);

  if (strstr (item->request_json, "\"" REQUEST_UPLOAD_MEMBER "\"") != NULL)
    return send_picture (g_steal_pointer (&sending), settings, url, token);

  body = g_bytes_new (item->request_json, strlen (item->request_json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  fetch_start (meta, msg, ANSWER_MAX_BYTES, item_sent, g_steal_pointer (&sending));
}

static gboolean
outbox_due (gpointer user_data)
{
  ConfabMeta *meta = user_data;
  ConfabStore *store = meta->relay->store;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = confab_now_ms ();
  gint64 next;

  meta->outbox_source = 0;
  meta->outbox_due_at = 0;
  /* what agents sent in this turn is durable before it goes anywhere */
  confab_hub_sync (meta->relay->hub);

  if (now - meta->seen_pruned_at > SEEN_PRUNE_MS)
    {
      meta->seen_pruned_at = now;
      if (confab_store_forget_channel_seen (store, now - SEEN_KEEP_MS, &error) < 0)
        {
          g_debug ("Old platform ids stay for now: %s", error->message);
          g_clear_error (&error);
        }
    }

  items = confab_store_list_due_outbox (store, now, OUTBOX_BATCH, &error);
  if (items == NULL)
    {
      if (!confab_store_error_is_transient (error))
        g_warning ("Cannot read the outbox: %s", error->message);
      schedule_outbox (meta, now + STORE_RETRY_MS);
      return G_SOURCE_REMOVE;
    }

  for (guint i = 0; i < items->len; i++)
    {
      ConfabOutboxItem *item = g_ptr_array_index (items, i);
      gboolean claimed = FALSE;

      /* leased while it is on its way: nobody sends it twice (another relay on the same
       * database neither), and a relay that dies meanwhile leaves it to the next */
      if (!confab_store_claim_outbox (store, item, now + LEASE_MS, &claimed, &error))
        {
          if (!confab_store_error_is_transient (error))
            g_warning ("Cannot lease a reply for sending: %s", error->message);
          g_clear_error (&error);
          schedule_outbox (meta, now + STORE_RETRY_MS);
          return G_SOURCE_REMOVE;
        }
      if (claimed)
        send_item (meta, g_ptr_array_steal_index (items, i--));
    }

  next = confab_store_next_outbox_at (store, NULL);
  if (next > 0)
    schedule_outbox (meta, next);
  return G_SOURCE_REMOVE;
}

static void
schedule_outbox (ConfabMeta *meta,
                 gint64      due_at)
{
  gint64 now = confab_now_ms ();

  if (meta->outbox_source != 0 && meta->outbox_due_at <= due_at)
    return;
  g_clear_handle_id (&meta->outbox_source, g_source_remove);
  meta->outbox_due_at = due_at;
  meta->outbox_source = g_timeout_add (due_at > now ? (guint) MIN (due_at - now, G_MAXINT) : 0,
                                       outbox_due, meta);
}

void
confab_meta_kick (ConfabRelay *relay)
{
  if (relay->meta != NULL)
    schedule_outbox (relay->meta, confab_now_ms ());
}

/* --- agents' replies -------------------------------------------------------------------------- */

static gboolean
template_allowed (JsonObject *settings,
                  const char *name,
                  const char *language)
{
  JsonNode *node = json_object_get_member (settings, "templates");
  JsonArray *templates = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node)
                                                                      : NULL;

  for (guint i = 0; templates != NULL && i < json_array_get_length (templates); i++)
    {
      JsonNode *element = json_array_get_element (templates, i);

      if (JSON_NODE_HOLDS_OBJECT (element) &&
          g_strcmp0 (settings_string (json_node_get_object (element), "name"), name) == 0 &&
          g_strcmp0 (settings_string (json_node_get_object (element), "language"), language) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
confab_meta_queue_reply (ConfabRelay              *relay,
                         const ConfabConversation *conversation,
                         ConfabMessage            *message,
                         const ConfabMessageDraft *draft,
                         GError                  **error)
{
  gboolean whatsapp = strcmp (conversation->channel, CONFAB_CHANNEL_WHATSAPP) == 0;
  const char *platform = whatsapp ? "WhatsApp" : "Messenger";
  g_autoptr (JsonObject) settings = NULL;
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (ConfabUpload) upload = NULL;
  g_autofree char *recipient = NULL;
  g_autofree char *request_json = NULL;
  gint64 now = confab_now_ms ();

  if (message->attachment_id != NULL)
    {
      upload = confab_store_get_upload (relay->store, message->attachment_id, error);
      if (upload == NULL)
        return FALSE;
      /* files (PDFs, documents) are not sent: refused before anything goes, with why */
      if (g_strcmp0 (upload->kind, "file") == 0 ||
          (g_strcmp0 (upload->mime, "image/jpeg") != 0 && g_strcmp0 (upload->mime, "image/png") != 0 &&
           (whatsapp || g_strcmp0 (upload->mime, "image/gif") != 0)))
        {
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "Only pictures (JPEG or PNG%s) can be sent to %s from Confab: share a file "
                       "as a link instead", whatsapp ? "" : ", GIF", platform);
          return FALSE;
        }
      if (upload->size > (whatsapp ? WHATSAPP_MAX_IMAGE_BYTES : MESSENGER_MAX_IMAGE_BYTES))
        {
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "%s takes pictures up to %d MB", platform, whatsapp ? 5 : 25);
          return FALSE;
        }
      if (draft->template_name != NULL)
        {
          g_set_error_literal (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                               "A template goes without a picture");
          return FALSE;
        }
      if (!whatsapp && message->body != NULL && *message->body != '\0')
        {
          g_set_error_literal (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                               "Messenger takes a picture without words: send the words as a "
                               "message of their own");
          return FALSE;
        }
      if (whatsapp && message->body != NULL &&
          confab_utf8_length (message->body) > WHATSAPP_MAX_CAPTION_CHARS)
        {
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "WhatsApp takes at most %d characters with a picture",
                       WHATSAPP_MAX_CAPTION_CHARS);
          return FALSE;
        }
    }
  else if (message->body == NULL)
    {
      g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                   "An empty message cannot be sent to %s", platform);
      return FALSE;
    }
  settings = confab_meta_settings (relay, conversation->site_id, conversation->channel);
  if (settings == NULL)
    {
      g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                   "The site is not connected to %s (any more): the reply cannot be sent",
                   platform);
      return FALSE;
    }
  recipient = confab_store_get_channel_contact_id (relay->store, conversation->visitor_id,
                                                   conversation->channel, error);
  if (recipient == NULL)
    return FALSE;

  if (whatsapp)
    {
      gboolean open = conversation->reply_window_ends_at > now;

      if (draft->template_name != NULL &&
          !template_allowed (settings, draft->template_name, draft->template_language))
        {
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "“template” must be one of the site's WhatsApp templates (name and "
                       "language)");
          return FALSE;
        }
      if (!open && draft->template_name == NULL)
        {
          g_set_error_literal (error, CONFAB_META_ERROR, CONFAB_META_ERROR_WINDOW_CLOSED,
                               "WhatsApp's 24-hour window to answer this customer freely has "
                               "closed: choose one of the site's message templates");
          return FALSE;
        }
      if (upload == NULL && confab_utf8_length (message->body) > WHATSAPP_MAX_CHARS)
        {
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "WhatsApp takes at most %d characters in a message", WHATSAPP_MAX_CHARS);
          return FALSE;
        }

      json_object_set_string_member (request, "messaging_product", "whatsapp");
      json_object_set_string_member (request, "recipient_type", "individual");
      json_object_set_string_member (request, "to", recipient);
      if (draft->template_name != NULL)
        {
          JsonObject *template = json_object_new ();
          JsonObject *language = json_object_new ();

          json_object_set_string_member (template, "name", draft->template_name);
          json_object_set_string_member (language, "code", draft->template_language);
          json_object_set_object_member (template, "language", language);
          json_object_set_string_member (request, "type", "template");
          json_object_set_object_member (request, "template", template);
        }
      else if (upload != NULL)
        {
          JsonObject *image = json_object_new ();

          /* the id of the uploaded media is set when it is sent (send_picture) */
          if (message->body != NULL && *message->body != '\0')
            json_object_set_string_member (image, "caption", message->body);
          json_object_set_string_member (request, "type", "image");
          json_object_set_object_member (request, "image", image);
          json_object_set_string_member (request, REQUEST_UPLOAD_MEMBER, upload->id);
        }
      else
        {
          JsonObject *text = json_object_new ();

          json_object_set_string_member (text, "body", message->body);
          json_object_set_boolean_member (text, "preview_url", FALSE);
          json_object_set_string_member (request, "type", "text");
          json_object_set_object_member (request, "text", text);
        }
    }
  else
    {
      JsonObject *to = json_object_new ();
      JsonObject *content = json_object_new ();

      if (draft->template_name != NULL)
        {
          json_object_unref (to);
          json_object_unref (content);
          g_set_error_literal (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                               "Templates are for WhatsApp conversations");
          return FALSE;
        }
      if (upload == NULL && confab_utf8_length (message->body) > MESSENGER_MAX_CHARS)
        {
          json_object_unref (to);
          json_object_unref (content);
          g_set_error (error, CONFAB_META_ERROR, CONFAB_META_ERROR_INVALID,
                       "Messenger takes at most %d characters in a message", MESSENGER_MAX_CHARS);
          return FALSE;
        }
      json_object_set_string_member (to, "id", recipient);
      json_object_set_object_member (request, "recipient", to);
      json_object_set_string_member (request, "messaging_type", "RESPONSE");
      if (upload != NULL)
        {
          JsonObject *attachment = json_object_new ();
          JsonObject *payload = json_object_new ();

          json_object_set_boolean_member (payload, "is_reusable", FALSE);
          json_object_set_string_member (attachment, "type", "image");
          json_object_set_object_member (attachment, "payload", payload);
          json_object_set_object_member (content, "attachment", attachment);
          json_object_set_string_member (request, REQUEST_UPLOAD_MEMBER, upload->id);
        }
      else
        json_object_set_string_member (content, "text", message->body);
      json_object_set_object_member (request, "message", content);
    }

  request_json = confab_json_object_to_string (request);
  if (!confab_store_set_message_delivery (relay->store, message->conversation_id, message->seq,
                                          "pending", NULL, NULL, error) ||
      !confab_store_add_outbox (relay->store, message->conversation_id, message->seq,
                                conversation->site_id, conversation->channel, request_json, now,
                                error))
    return FALSE;

  g_free (message->delivery_status);
  message->delivery_status = g_strdup ("pending");
  return TRUE;
}

/* --- typing ------------------------------------------------------------------------------------ */

static void
typing_sent (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = fetch_finish (result, &msg, &error);

  if (body == NULL)
    g_debug ("Messenger's typing indicator not sent: %s", error->message);
  else if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    g_debug ("Messenger's typing indicator refused: HTTP %u", soup_message_get_status (msg));
}

void
confab_meta_typing (ConfabRelay              *relay,
                    const ConfabConversation *conversation,
                    gboolean                  active)
{
  g_autoptr (JsonObject) settings = NULL;
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *recipient = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  JsonObject *to;

  if (relay->meta == NULL)
    return;
  {
    ConfabMeta *meta = relay->meta;
    gint64 now = g_get_monotonic_time () / 1000;
    gpointer last = NULL;
    gboolean known = g_hash_table_lookup_extended (meta->typing, conversation->id, NULL, &last);

    /* only what changes what the sender sees */
    if (active && known && now - GPOINTER_TO_SIZE (last) < TYPING_RENEW_MS)
      return;
    if (!active && !known)
      return;
    if (active)
      {
        if (g_hash_table_size (meta->typing) >= TYPING_MAX_ENTRIES)
          g_hash_table_remove_all (meta->typing);
        g_hash_table_replace (meta->typing, g_strdup (conversation->id), GSIZE_TO_POINTER (now));
      }
    else
      g_hash_table_remove (meta->typing, conversation->id);
  }
  if ((settings = confab_meta_settings (relay, conversation->site_id,
                                        CONFAB_CHANNEL_MESSENGER)) == NULL ||
      (recipient = confab_store_get_channel_contact_id (relay->store, conversation->visitor_id,
                                                        CONFAB_CHANNEL_MESSENGER, NULL)) == NULL)
    return;

  url = g_strdup_printf ("%s/me/messages", confab_meta_graph_url (relay));
  msg = graph_message ("POST", url, settings_secret (settings, "page_access_token"));
  if (msg == NULL)
    return;
  to = json_object_new ();
  json_object_set_string_member (to, "id", recipient);
  json_object_set_object_member (request, "recipient", to);
  json_object_set_string_member (request, "sender_action", active ? "typing_on" : "typing_off");
  text = confab_json_object_to_string (request);
  body = g_bytes_new (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  fetch_start (relay->meta, msg, ANSWER_MAX_BYTES, typing_sent, NULL);
}

/* --- the module ---------------------------------------------------------------------------- */

ConfabMeta *
confab_meta_new (ConfabRelay *relay)
{
  ConfabMeta *meta = g_new0 (ConfabMeta, 1);

  meta->relay = relay;
  meta->cancellable = g_cancellable_new ();
  meta->typing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  meta->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                 "idle-timeout", 60,
                                                 "user-agent", "confab-relay/" CONFAB_VERSION,
                                                 NULL);
  relay->meta = meta;
  confab_meta_webhook_register (relay);
  /* what a stopped relay left to send (on either store: confab-store-channels.h) */
  schedule_outbox (meta, confab_now_ms ());
  return meta;
}

void
confab_meta_free (ConfabMeta *meta)
{
  if (meta == NULL)
    return;
  g_cancellable_cancel (meta->cancellable);
  g_clear_handle_id (&meta->outbox_source, g_source_remove);
  soup_session_abort (meta->session);
  g_clear_object (&meta->session);
  g_clear_object (&meta->cancellable);
  g_clear_pointer (&meta->typing, g_hash_table_unref);
  meta->relay->meta = NULL;
  g_free (meta);
}
