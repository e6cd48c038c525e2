/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta-webhook.c: what Meta sends — GET /webhooks/{messenger|whatsapp}/{site_id}, the
 * subscription handshake, and POST, deliveries: verified by X-Hub-Signature-256 (HMAC-SHA256 of
 * the raw body with the app secret) before anything in them is parsed, then senders' messages
 * and pictures stored (each once: Meta retries) and receipts applied, then 200.
 *
 * A delivery with pictures is answered once they are fetched and stored: a failure answers 502,
 * and Meta's retry stores what is missing (what was stored is skipped by its platform id). */
#define G_LOG_DOMAIN "confab-meta"

#include "confab-meta.h"
#include "confab-http.h"
#include "confab-hub.h"
#include "confab-hub-channels.h"
#include "confab-image.h"
#include "confab-json.h"
#include "confab-store-channels.h"
#include "confab-uploads.h"
#include "confab-util.h"

#include <sodium.h>
#include <string.h>

#define MAX_DEPTH          32
#define MAX_ID_CHARS       200
#define MAX_NAME_CHARS     100
/* Meta's own limits are 2000 (Messenger) and 4096 (WhatsApp) characters */
#define MAX_TEXT_CHARS     20000
#define MAX_CHALLENGE_CHARS 200
/* a media object's description from the Graph API */
#define MEDIA_INFO_MAX_BYTES (64 * 1024)
#define WINDOW_MS          (24 * 3600 * 1000LL)

/* One POST: answered when the last picture in it is stored. */
typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  char              *site_id;
  char              *channel;
  JsonObject        *settings;
  guint              pending;   /* pictures on their way, +1 while the body is being read */
  gboolean           failed;    /* something was not stored: Meta must send it again */
  gboolean           gone;      /* the request is over (its client went away) */
} Delivery;

static void
delivery_finished (SoupServerMessage *msg,
                   gpointer           user_data)
{
  Delivery *delivery = user_data;

  delivery->gone = TRUE;
}

static void
delivery_free (Delivery *delivery)
{
  if (delivery->msg != NULL)
    g_signal_handlers_disconnect_by_func (delivery->msg, delivery_finished, delivery);
  g_clear_object (&delivery->msg);
  g_free (delivery->site_id);
  g_free (delivery->channel);
  g_clear_pointer (&delivery->settings, json_object_unref);
  g_free (delivery);
}

/* One of the delivery's parts is done: the last one answers. */
static void
delivery_step_done (Delivery *delivery,
                    gboolean  paused)
{
  g_assert (delivery->pending > 0);
  if (--delivery->pending > 0)
    return;

  if (!delivery->gone)
    {
      g_autoptr (GError) error = NULL;

      /* 200 promises Meta that it need not send this again: what it brought is durable first
       * (the hub groups writes into one commit per turn of the loop) */
      confab_hub_sync (delivery->relay->hub);
      if (!delivery->failed && !confab_store_check_writable (delivery->relay->store, &error))
        {
          g_warning ("A %s delivery may not be stored (the platform will send it again): %s",
                     delivery->channel, error->message);
          delivery->failed = TRUE;
        }
      if (delivery->failed)
        confab_http_error (delivery->msg, SOUP_STATUS_BAD_GATEWAY, "store_unavailable",
                           "Part of this delivery could not be stored; send it again");
      else
        {
          g_autoptr (JsonObject) answer = json_object_new ();

          json_object_set_boolean_member (answer, "received", TRUE);
          confab_http_json_object (delivery->msg, SOUP_STATUS_OK, answer);
        }
      if (paused)
        soup_server_message_unpause (delivery->msg);
    }
  delivery_free (delivery);
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* An id as platforms send them: short, printable, no spaces. */
static gboolean
valid_id (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > MAX_ID_CHARS)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isgraph (id[i]))
      return FALSE;
  return TRUE;
}

/* A platform's text, cut at a character boundary when it is far longer than any platform
 * allows (the relay's own bound, not theirs). */
static char *
bounded_text (const char *text)
{
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  if (confab_utf8_length (text) <= MAX_TEXT_CHARS)
    return g_strdup (text);
  return g_utf8_substring (text, 0, MAX_TEXT_CHARS);
}

/* Constant-time equality of two secrets (of any lengths). */
static gboolean
secret_equal (const char *a,
              const char *b)
{
  g_autofree char *hash_a = NULL, *hash_b = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  /* equal lengths for sodium_memcmp, whatever was sent */
  hash_a = g_compute_checksum_for_string (G_CHECKSUM_SHA256, a, -1);
  hash_b = g_compute_checksum_for_string (G_CHECKSUM_SHA256, b, -1);
  return sodium_memcmp (hash_a, hash_b, strlen (hash_a)) == 0;
}

/* X-Hub-Signature-256: "sha256=" + the hex HMAC-SHA256 of the raw body with the app secret. */
static gboolean
signature_valid (const char *header,
                 const char *app_secret,
                 GBytes     *body)
{
  g_autoptr (GHmac) hmac = NULL;
  char expected[7 + 64 + 1];
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (body, &len);

  if (header == NULL || app_secret == NULL || *app_secret == '\0' ||
      strlen (header) != sizeof expected - 1 || !g_str_has_prefix (header, "sha256="))
    return FALSE;

  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) app_secret, strlen (app_secret));
  g_hmac_update (hmac, data, len);
  g_snprintf (expected, sizeof expected, "sha256=%s", g_hmac_get_string (hmac));
  /* hex digits in either case: Meta sends lower case */
  {
    char given[sizeof expected];

    for (gsize i = 0; i < sizeof expected; i++)
      given[i] = g_ascii_tolower (header[i]);
    return sodium_memcmp (given, expected, sizeof expected - 1) == 0;
  }
}

/* --- senders ---------------------------------------------------------------------------------- */

#define PROFILE_MAX_BYTES (16 * 1024)

typedef struct {
  ConfabRelay *relay;
  char        *site_id;
  char        *visitor_id;
} Profile;

static void
profile_free (Profile *profile)
{
  g_free (profile->site_id);
  g_free (profile->visitor_id);
  g_free (profile);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Profile, profile_free)

static void
profile_fetched (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (Profile) profile = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_meta_get_finish (result, &error);
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *name = NULL;
  const char *first, *last;

  if (bytes != NULL)
    answer = confab_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                       PROFILE_MAX_BYTES, MAX_DEPTH, &error);
  if (answer == NULL)
    {
      /* the Page may not be allowed to read profiles: the sender stays nameless */
      g_debug ("No Messenger profile name: %s", error->message);
      return;
    }
  first = member_string (answer, "first_name");
  last = member_string (answer, "last_name");
  if (first == NULL && last == NULL)
    return;
  name = g_strstrip (g_strdup_printf ("%s %s", first ? first : "", last ? last : ""));
  if (*name == '\0' || !g_utf8_validate (name, -1, NULL))
    return;
  if (confab_utf8_length (name) > MAX_NAME_CHARS)
    {
      char *shorter = g_utf8_substring (name, 0, MAX_NAME_CHARS);

      g_free (name);
      name = shorter;
    }
  if (!confab_hub_channel_visitor_named (profile->relay->hub, profile->site_id,
                                         profile->visitor_id, name, &error))
    g_debug ("The Messenger sender's name was not stored: %s", error->message);
}

/* Messenger's webhooks carry no name: the Page may read the sender's profile. */
static void
fetch_messenger_profile (Delivery      *delivery,
                         const char    *psid,
                         ConfabVisitor *visitor)
{
  JsonObject *secrets = member_object (delivery->settings, "secrets");
  g_autofree char *url = g_strdup_printf ("%s/%s?fields=first_name,last_name",
                                          confab_meta_graph_url (delivery->relay), psid);
  Profile *profile = g_new0 (Profile, 1);

  profile->relay = delivery->relay;
  profile->site_id = g_strdup (delivery->site_id);
  profile->visitor_id = g_strdup (visitor->id);
  confab_meta_get (delivery->relay, url, member_string (secrets, "page_access_token"),
                   PROFILE_MAX_BYTES, profile_fetched, profile);
}

static ConfabVisitor *
sender_visitor (Delivery   *delivery,
                const char *external_id,
                const char *name,
                GError    **error)
{
  ConfabStore *store = delivery->relay->store;
  ConfabVisitor *visitor;
  g_autofree char *short_name = NULL;

  confab_hub_sync (delivery->relay->hub);
  visitor = confab_store_find_channel_contact (store, delivery->site_id, delivery->channel,
                                               external_id, error);
  if (visitor != NULL || (error != NULL && *error != NULL))
    return visitor;
  if (name != NULL && g_utf8_validate (name, -1, NULL))
    short_name = g_utf8_substring (name, 0, MIN (confab_utf8_length (name), MAX_NAME_CHARS));
  visitor = confab_store_add_channel_contact (store, delivery->site_id, delivery->channel,
                                              external_id, short_name, error);
  if (visitor != NULL && strcmp (delivery->channel, CONFAB_CHANNEL_MESSENGER) == 0)
    fetch_messenger_profile (delivery, external_id, visitor);
  return visitor;
}

/* Stores one sender's message; FALSE (and the delivery failed) when it could not be. */
static void
store_message (Delivery   *delivery,
               const char *visitor_id,
               const char *platform_id,
               const char *body,
               const char *attachment_id,
               gint64      sent_at_ms)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  ConfabChannelMessageIn in = {
    .site_id = delivery->site_id,
    .channel = delivery->channel,
    .visitor_id = visitor_id,
    .platform_id = platform_id,
    .body = body,
    .attachment_id = attachment_id,
  };
  gboolean duplicate = FALSE;
  gint64 now = confab_now_ms ();

  /* WhatsApp's window runs from the customer's last message, as the platform timed it */
  if (strcmp (delivery->channel, CONFAB_CHANNEL_WHATSAPP) == 0)
    in.reply_window_ends_at = (sent_at_ms > 0 && sent_at_ms <= now ? sent_at_ms : now) + WINDOW_MS;

  message = confab_hub_channel_message_in (delivery->relay->hub, &in, &duplicate, &error);
  if (message == NULL && !duplicate)
    {
      g_warning ("A %s message was not stored (the platform will send it again): %s",
                 delivery->channel, error->message);
      delivery->failed = TRUE;
    }
}

/* --- pictures --------------------------------------------------------------------------------- */

typedef struct {
  Delivery *delivery;
  char     *visitor_id;
  char     *platform_id;
  char     *caption;
  gint64    sent_at_ms;
  char     *token;        /* for the media download (WhatsApp), or NULL */
} Picture;

static void
picture_free (Picture *picture)
{
  g_free (picture->visitor_id);
  g_free (picture->platform_id);
  g_free (picture->caption);
  g_free (picture->token);
  g_free (picture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Picture, picture_free)

static void
picture_failed (Picture    *picture,
                const char *why)
{
  g_warning ("A %s sender's picture was not stored (the platform will send it again): %s",
             picture->delivery->channel, why);
  picture->delivery->failed = TRUE;
  delivery_step_done (picture->delivery, TRUE);
}

static void
picture_imported (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (Picture) picture = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *upload_id = confab_uploads_import_image_finish (result, &error);

  if (upload_id == NULL)
    {
      /* not a picture of ours (an SVG, a broken file): the agent hears that one came */
      if (error->domain == CONFAB_IMAGE_ERROR)
        {
          g_autofree char *body = g_strdup_printf ("(a picture Confab could not take: %s)",
                                                   error->message);
          store_message (picture->delivery, picture->visitor_id, picture->platform_id, body,
                         NULL, picture->sent_at_ms);
          delivery_step_done (picture->delivery, TRUE);
          return;
        }
      return picture_failed (picture, error->message);
    }
  store_message (picture->delivery, picture->visitor_id, picture->platform_id, picture->caption,
                 upload_id, picture->sent_at_ms);
  delivery_step_done (picture->delivery, TRUE);
}

static void
picture_downloaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Picture *picture = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_meta_get_finish (result, &error);

  if (bytes == NULL)
    {
      g_autoptr (Picture) owned = picture;
      return picture_failed (owned, error->message);
    }
  confab_uploads_import_image_async (picture->delivery->relay, picture->delivery->site_id,
                                     picture->visitor_id, bytes, NULL, picture_imported, picture);
}

/* WhatsApp: the media object's description first ({"url":…}), then its bytes. */
static void
media_described (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Picture *picture = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_meta_get_finish (result, &error);
  g_autoptr (JsonObject) description = NULL;
  const char *url;

  if (bytes != NULL)
    description = confab_json_parse_object (g_bytes_get_data (bytes, NULL),
                                            g_bytes_get_size (bytes), MEDIA_INFO_MAX_BYTES,
                                            MAX_DEPTH, &error);
  url = member_string (description, "url");
  if (url == NULL)
    {
      g_autoptr (Picture) owned = picture;
      return picture_failed (owned, error != NULL ? error->message
                                                  : "The media object has no URL");
    }
  confab_meta_get (picture->delivery->relay, url, picture->token, CONFAB_UPLOAD_DEFAULT_MAX_BYTES,
                   picture_downloaded, picture);
}

static void
fetch_picture (Delivery   *delivery,
               const char *visitor_id,
               const char *platform_id,
               const char *caption,
               gint64      sent_at_ms,
               const char *media_id,
               const char *url)
{
  Picture *picture;

  /* a retry of a picture stored before is not fetched again */
  if (confab_store_channel_seen (delivery->relay->store, delivery->site_id, delivery->channel,
                                 platform_id))
    return;

  picture = g_new0 (Picture, 1);
  picture->delivery = delivery;
  picture->visitor_id = g_strdup (visitor_id);
  picture->platform_id = g_strdup (platform_id);
  picture->caption = bounded_text (caption);
  picture->sent_at_ms = sent_at_ms;
  delivery->pending++;

  if (media_id != NULL)
    {
      g_autofree char *info_url = g_strdup_printf ("%s/%s", confab_meta_graph_url (delivery->relay),
                                                   media_id);
      JsonObject *secrets = member_object (delivery->settings, "secrets");

      picture->token = g_strdup (member_string (secrets, "access_token"));
      confab_meta_get (delivery->relay, info_url, picture->token, MEDIA_INFO_MAX_BYTES,
                       media_described, picture);
    }
  else
    confab_meta_get (delivery->relay, url, NULL, CONFAB_UPLOAD_DEFAULT_MAX_BYTES,
                     picture_downloaded, picture);
}

/* --- receipts --------------------------------------------------------------------------------- */

static int
status_rank (const char *status)
{
  static const char * const order[] = { "pending", "sent", "delivered", "read", "failed" };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    if (g_strcmp0 (status, order[i]) == 0)
      return (int) i;
  return -1;
}

/* The platform says message @platform_id is @status now; a receipt that comes late (delivered
 * after read) changes nothing. */
static void
apply_status (Delivery   *delivery,
              const char *platform_id,
              const char *status,
              const char *error_text)
{
  g_autofree char *conversation_id = NULL;
  g_autofree char *current = NULL;
  g_autoptr (GError) error = NULL;
  gint64 seq = 0;

  if (status_rank (status) <= 0)
    return;
  confab_hub_sync (delivery->relay->hub);
  if (!confab_store_find_platform_message (delivery->relay->store, delivery->site_id, platform_id,
                                           &conversation_id, &seq, &current, &error))
    {
      if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        {
          g_warning ("A %s receipt was not applied: %s", delivery->channel, error->message);
          delivery->failed = TRUE;
        }
      return;
    }
  if (g_strcmp0 (current, "read") == 0 || status_rank (status) <= status_rank (current))
    return;
  if (!confab_hub_channel_delivery (delivery->relay->hub, conversation_id, seq, status, error_text,
                                    NULL, FALSE, &error))
    {
      g_warning ("A %s receipt was not stored: %s", delivery->channel, error->message);
      delivery->failed = TRUE;
    }
}

/* Messenger's read receipt names a time, not messages: the sender has read everything of their
 * current conversation. */
static void
apply_read_all (Delivery   *delivery,
                const char *visitor_id)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;

  confab_hub_sync (delivery->relay->hub);
  conversation = confab_store_get_current_conversation (delivery->relay->store, visitor_id, &error);
  if (conversation == NULL)
    return;
  if (conversation->visitor_read_seq < conversation->last_seq &&
      !confab_hub_channel_read (delivery->relay->hub, conversation->id, conversation->last_seq,
                                &error))
    g_warning ("A Messenger read receipt was not stored: %s", error->message);
}

/* --- Messenger ------------------------------------------------------------------------------- */

static void
messenger_event (Delivery   *delivery,
                 JsonObject *event)
{
  const char *sender_id = member_string (member_object (event, "sender"), "id");
  JsonObject *message = member_object (event, "message");
  JsonObject *receipt = member_object (event, "delivery");
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GError) error = NULL;
  gint64 sent_at = json_object_get_int_member_with_default (event, "timestamp", 0);

  if (receipt != NULL)
    {
      JsonArray *mids = member_array (receipt, "mids");

      for (guint i = 0; mids != NULL && i < json_array_get_length (mids); i++)
        {
          JsonNode *mid = json_array_get_element (mids, i);

          if (JSON_NODE_HOLDS_VALUE (mid) && json_node_get_value_type (mid) == G_TYPE_STRING &&
              valid_id (json_node_get_string (mid)))
            apply_status (delivery, json_node_get_string (mid), "delivered", NULL);
        }
      return;
    }

  if (!valid_id (sender_id))
    return;

  if (member_object (event, "read") != NULL)
    {
      visitor = confab_store_find_channel_contact (delivery->relay->store, delivery->site_id,
                                                   delivery->channel, sender_id, NULL);
      if (visitor != NULL)
        apply_read_all (delivery, visitor->id);
      return;
    }

  /* our own replies come back as echoes: they are stored already */
  if (message == NULL || json_object_get_boolean_member_with_default (message, "is_echo", FALSE) ||
      !valid_id (member_string (message, "mid")))
    return;

  visitor = sender_visitor (delivery, sender_id, NULL, &error);
  if (visitor == NULL)
    {
      g_warning ("A Messenger sender was not stored: %s", error->message);
      delivery->failed = TRUE;
      return;
    }

  {
    const char *mid = member_string (message, "mid");
    JsonArray *attachments = member_array (message, "attachments");
    g_autofree char *text = bounded_text (member_string (message, "text"));
    guint pictures = 0;

    for (guint i = 0; attachments != NULL && i < json_array_get_length (attachments); i++)
      {
        JsonObject *attachment = array_object (attachments, i);
        const char *url = member_string (member_object (attachment, "payload"), "url");
        g_autofree char *part_id = NULL;

        if (g_strcmp0 (member_string (attachment, "type"), "image") != 0 || url == NULL ||
            (!g_str_has_prefix (url, "https://") && !g_str_has_prefix (url, "http://")))
          continue;
        /* one message of ours per picture, each stored once */
        part_id = i == 0 ? g_strdup (mid) : g_strdup_printf ("%s#%u", mid, i);
        fetch_picture (delivery, visitor->id, part_id, pictures == 0 ? text : NULL, sent_at,
                       NULL, url);
        pictures++;
      }

    if (pictures == 0 && text != NULL && *text != '\0')
      store_message (delivery, visitor->id, mid, text, NULL, sent_at);
    else if (pictures == 0)
      store_message (delivery, visitor->id, mid,
                     "(a kind of message Confab cannot show yet: see it in Messenger)", NULL,
                     sent_at);
  }
}

static void
messenger_delivery (Delivery   *delivery,
                    JsonObject *payload)
{
  JsonArray *entries = member_array (payload, "entry");
  const char *page_id = member_string (delivery->settings, "page_id");

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = array_object (entries, i);
      JsonArray *events = member_array (entry, "messaging");

      /* another Page's traffic is not this site's */
      if (entry == NULL || g_strcmp0 (member_string (entry, "id"), page_id) != 0)
        continue;
      for (guint j = 0; events != NULL && j < json_array_get_length (events); j++)
        if (array_object (events, j) != NULL)
          messenger_event (delivery, array_object (events, j));
    }
}

/* --- WhatsApp -------------------------------------------------------------------------------- */

static const char *
contact_name (JsonArray  *contacts,
              const char *wa_id)
{
  for (guint i = 0; contacts != NULL && i < json_array_get_length (contacts); i++)
    {
      JsonObject *contact = array_object (contacts, i);

      if (g_strcmp0 (member_string (contact, "wa_id"), wa_id) == 0)
        return member_string (member_object (contact, "profile"), "name");
    }
  return NULL;
}

static void
whatsapp_message (Delivery   *delivery,
                  JsonObject *message,
                  JsonArray  *contacts)
{
  const char *from = member_string (message, "from");
  const char *id = member_string (message, "id");
  const char *type = member_string (message, "type");
  const char *timestamp = member_string (message, "timestamp");
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GError) error = NULL;
  gint64 sent_at = 0;

  if (!valid_id (from) || !valid_id (id) || type == NULL)
    return;
  if (timestamp != NULL)
    sent_at = g_ascii_strtoll (timestamp, NULL, 10) * 1000;

  visitor = sender_visitor (delivery, from, contact_name (contacts, from), &error);
  if (visitor == NULL)
    {
      g_warning ("A WhatsApp sender was not stored: %s", error->message);
      delivery->failed = TRUE;
      return;
    }

  if (strcmp (type, "text") == 0)
    {
      g_autofree char *text = bounded_text (member_string (member_object (message, "text"), "body"));

      if (text != NULL && *text != '\0')
        store_message (delivery, visitor->id, id, text, NULL, sent_at);
      return;
    }
  if (strcmp (type, "image") == 0)
    {
      JsonObject *image = member_object (message, "image");
      const char *media_id = member_string (image, "id");

      if (valid_id (media_id))
        {
          fetch_picture (delivery, visitor->id, id, member_string (image, "caption"), sent_at,
                         media_id, NULL);
          return;
        }
    }
  {
    g_autofree char *note = g_strdup_printf ("(a %s message, which Confab cannot show yet: see it "
                                             "in WhatsApp)", type);
    if (g_utf8_validate (type, -1, NULL) && strlen (type) < 40)
      store_message (delivery, visitor->id, id, note, NULL, sent_at);
  }
}

static void
whatsapp_status (Delivery   *delivery,
                 JsonObject *status)
{
  const char *id = member_string (status, "id");
  const char *state = member_string (status, "status");
  JsonArray *errors = member_array (status, "errors");
  g_autofree char *error_text = NULL;

  if (!valid_id (id) || state == NULL)
    return;
  if (errors != NULL && json_array_get_length (errors) > 0)
    {
      JsonObject *first = array_object (errors, 0);
      const char *details = member_string (member_object (first, "error_data"), "details");
      const char *text = details != NULL ? details
                         : member_string (first, "message") != NULL ? member_string (first, "message")
                         : member_string (first, "title");

      if (text != NULL)
        error_text = g_strdup_printf ("%s (code %" G_GINT64_FORMAT ")", text,
                                      json_object_get_int_member_with_default (first, "code", 0));
    }
  apply_status (delivery, id, state, error_text);
}

static void
whatsapp_delivery (Delivery   *delivery,
                   JsonObject *payload)
{
  JsonArray *entries = member_array (payload, "entry");
  const char *phone_number_id = member_string (delivery->settings, "phone_number_id");

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonArray *changes = member_array (array_object (entries, i), "changes");

      for (guint j = 0; changes != NULL && j < json_array_get_length (changes); j++)
        {
          JsonObject *change = array_object (changes, j);
          JsonObject *value = member_object (change, "value");
          JsonArray *messages = member_array (value, "messages");
          JsonArray *statuses = member_array (value, "statuses");

          /* another number's traffic is not this site's */
          if (g_strcmp0 (member_string (change, "field"), "messages") != 0 ||
              g_strcmp0 (member_string (member_object (value, "metadata"), "phone_number_id"),
                         phone_number_id) != 0)
            continue;
          for (guint k = 0; messages != NULL && k < json_array_get_length (messages); k++)
            if (array_object (messages, k) != NULL)
              whatsapp_message (delivery, array_object (messages, k),
                                member_array (value, "contacts"));
          for (guint k = 0; statuses != NULL && k < json_array_get_length (statuses); k++)
            if (array_object (statuses, k) != NULL)
              whatsapp_status (delivery, array_object (statuses, k));
        }
    }
}

/* --- the endpoints ---------------------------------------------------------------------------- */

static void
verify_subscription (ConfabRelay       *relay,
                     SoupServerMessage *msg,
                     GHashTable        *query,
                     JsonObject        *settings)
{
  const char *mode = query ? g_hash_table_lookup (query, "hub.mode") : NULL;
  const char *token = query ? g_hash_table_lookup (query, "hub.verify_token") : NULL;
  const char *challenge = query ? g_hash_table_lookup (query, "hub.challenge") : NULL;

  if (g_strcmp0 (mode, "subscribe") != 0 || challenge == NULL || *challenge == '\0' ||
      strlen (challenge) > MAX_CHALLENGE_CHARS ||
      !secret_equal (token, member_string (settings, "verify_token")))
    return confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                              "hub.mode must be subscribe and hub.verify_token the channel's "
                              "verify token");

  /* Meta wants the challenge back as it was, and only that */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    challenge, strlen (challenge));
}

static void
receive_delivery (ConfabRelay       *relay,
                  SoupServerMessage *msg,
                  const char        *channel,
                  const char        *site_id,
                  JsonObject        *settings)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (JsonObject) payload = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *secrets = member_object (settings, "secrets");
  const char *object;
  Delivery *delivery;

  /* before anything in it is looked at */
  if (!signature_valid (soup_message_headers_get_one (headers, "X-Hub-Signature-256"),
                        member_string (secrets, "app_secret"), body))
    return confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_signature",
                              "X-Hub-Signature-256 is missing or does not match the body");

  payload = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      relay->config->max_body_bytes, MAX_DEPTH, &error);
  if (payload == NULL)
    return confab_http_gerror (msg, error);
  object = member_string (payload, "object");
  if (g_strcmp0 (object, strcmp (channel, CONFAB_CHANNEL_MESSENGER) == 0
                         ? "page" : "whatsapp_business_account") != 0)
    return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value",
                              "“object” is not this channel's");

  delivery = g_new0 (Delivery, 1);
  delivery->relay = relay;
  delivery->msg = g_object_ref (msg);
  delivery->site_id = g_strdup (site_id);
  delivery->channel = g_strdup (channel);
  delivery->settings = json_object_ref (settings);
  delivery->pending = 1;   /* this reading */
  g_signal_connect (msg, "finished", G_CALLBACK (delivery_finished), delivery);

  if (strcmp (channel, CONFAB_CHANNEL_MESSENGER) == 0)
    messenger_delivery (delivery, payload);
  else
    whatsapp_delivery (delivery, payload);

  if (delivery->pending > 1)
    {
      /* pictures on their way: answered when they are stored */
      soup_server_message_pause (msg);
      delivery_step_done (delivery, TRUE);
      return;
    }
  delivery_step_done (delivery, FALSE);
}

static void
handle_webhook (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  g_auto (GStrv) segments = confab_http_path_segments (path, "/webhooks");
  g_autoptr (JsonObject) settings = NULL;
  const char *method = soup_server_message_get_method (msg);
  const char *channel;

  if (segments == NULL || segments[0] == NULL || segments[1] == NULL || *segments[1] == '\0' ||
      segments[2] != NULL ||
      (strcmp (segments[0], CONFAB_CHANNEL_MESSENGER) != 0 &&
       strcmp (segments[0], CONFAB_CHANNEL_WHATSAPP) != 0))
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
  channel = segments[0];

  if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, POST");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "This method is not allowed here");
    }

  /* unknown sites and sites without the channel (or with it off) look the same */
  confab_hub_sync (relay->hub);
  settings = confab_meta_settings (relay, segments[1], channel);
  if (settings == NULL)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                              "No site takes this channel's webhooks here");

  if (strcmp (method, "GET") == 0)
    return verify_subscription (relay, msg, query, settings);
  receive_delivery (relay, msg, channel, segments[1], settings);
}

void
confab_meta_webhook_register (ConfabRelay *relay)
{
  soup_server_add_handler (relay->server, "/webhooks", handle_webhook, relay, NULL);
}
