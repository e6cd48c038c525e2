/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta-inbound.c: what a verified Messenger or WhatsApp delivery holds — senders (a
 * visitor each, named from their profile), their messages and pictures (fetched, then the
 * upload checks), and the platforms' receipts of agents' messages */
#define G_LOG_DOMAIN "confab-meta"

#include "confab-meta-private.h"
#include "confab-hub.h"
#include "confab-hub-channels.h"
#include "confab-image.h"
#include "confab-json.h"
#include "confab-store-channels.h"
#include "confab-uploads.h"
#include "confab-util.h"

#include <string.h>

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
  first = meta_member_string (answer, "first_name");
  last = meta_member_string (answer, "last_name");
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
  JsonObject *secrets = meta_member_object (delivery->settings, "secrets");
  g_autofree char *url = g_strdup_printf ("%s/%s?fields=first_name,last_name",
                                          confab_meta_graph_url (delivery->relay), psid);
  Profile *profile = g_new0 (Profile, 1);

  profile->relay = delivery->relay;
  profile->site_id = g_strdup (delivery->site_id);
  profile->visitor_id = g_strdup (visitor->id);
  confab_meta_get (delivery->relay, url, meta_member_string (secrets, "page_access_token"),
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
  meta_delivery_step_done (picture->delivery, TRUE);
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
          meta_delivery_step_done (picture->delivery, TRUE);
          return;
        }
      return picture_failed (picture, error->message);
    }
  store_message (picture->delivery, picture->visitor_id, picture->platform_id, picture->caption,
                 upload_id, picture->sent_at_ms);
  meta_delivery_step_done (picture->delivery, TRUE);
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
  url = meta_member_string (description, "url");
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
  picture->caption = meta_bounded_text (caption);
  picture->sent_at_ms = sent_at_ms;
  delivery->pending++;

  if (media_id != NULL)
    {
      g_autofree char *info_url = g_strdup_printf ("%s/%s", confab_meta_graph_url (delivery->relay),
                                                   media_id);
      JsonObject *secrets = meta_member_object (delivery->settings, "secrets");

      picture->token = g_strdup (meta_member_string (secrets, "access_token"));
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
  const char *sender_id = meta_member_string (meta_member_object (event, "sender"), "id");
  JsonObject *message = meta_member_object (event, "message");
  JsonObject *receipt = meta_member_object (event, "delivery");
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GError) error = NULL;
  gint64 sent_at = json_object_get_int_member_with_default (event, "timestamp", 0);

  if (receipt != NULL)
    {
      JsonArray *mids = meta_member_array (receipt, "mids");

      for (guint i = 0; mids != NULL && i < json_array_get_length (mids); i++)
        {
          JsonNode *mid = json_array_get_element (mids, i);

          if (JSON_NODE_HOLDS_VALUE (mid) && json_node_get_value_type (mid) == G_TYPE_STRING &&
              meta_valid_id (json_node_get_string (mid)))
            apply_status (delivery, json_node_get_string (mid), "delivered", NULL);
        }
      return;
    }

  if (!meta_valid_id (sender_id))
    return;

  if (meta_member_object (event, "read") != NULL)
    {
      visitor = confab_store_find_channel_contact (delivery->relay->store, delivery->site_id,
                                                   delivery->channel, sender_id, NULL);
      if (visitor != NULL)
        apply_read_all (delivery, visitor->id);
      return;
    }

  /* our own replies come back as echoes: they are stored already */
  if (message == NULL || json_object_get_boolean_member_with_default (message, "is_echo", FALSE) ||
      !meta_valid_id (meta_member_string (message, "mid")))
    return;

  visitor = sender_visitor (delivery, sender_id, NULL, &error);
  if (visitor == NULL)
    {
      g_warning ("A Messenger sender was not stored: %s", error->message);
      delivery->failed = TRUE;
      return;
    }

  {
    const char *mid = meta_member_string (message, "mid");
    JsonArray *attachments = meta_member_array (message, "attachments");
    g_autofree char *text = meta_bounded_text (meta_member_string (message, "text"));
    guint pictures = 0;

    for (guint i = 0; attachments != NULL && i < json_array_get_length (attachments); i++)
      {
        JsonObject *attachment = meta_array_object (attachments, i);
        const char *url = meta_member_string (meta_member_object (attachment, "payload"), "url");
        g_autofree char *part_id = NULL;

        if (g_strcmp0 (meta_member_string (attachment, "type"), "image") != 0 || url == NULL ||
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

void
meta_messenger_delivery (Delivery   *delivery,
                         JsonObject *payload)
{
  JsonArray *entries = meta_member_array (payload, "entry");
  const char *page_id = meta_member_string (delivery->settings, "page_id");

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = meta_array_object (entries, i);
      JsonArray *events = meta_member_array (entry, "messaging");

      /* another Page's traffic is not this site's */
      if (entry == NULL || g_strcmp0 (meta_member_string (entry, "id"), page_id) != 0)
        continue;
      for (guint j = 0; events != NULL && j < json_array_get_length (events); j++)
        if (meta_array_object (events, j) != NULL)
          messenger_event (delivery, meta_array_object (events, j));
    }
}

/* --- WhatsApp -------------------------------------------------------------------------------- */

static const char *
contact_name (JsonArray  *contacts,
              const char *wa_id)
{
  for (guint i = 0; contacts != NULL && i < json_array_get_length (contacts); i++)
    {
      JsonObject *contact = meta_array_object (contacts, i);

      if (g_strcmp0 (meta_member_string (contact, "wa_id"), wa_id) == 0)
        return meta_member_string (meta_member_object (contact, "profile"), "name");
    }
  return NULL;
}

static void
whatsapp_message (Delivery   *delivery,
                  JsonObject *message,
                  JsonArray  *contacts)
{
  const char *from = meta_member_string (message, "from");
  const char *id = meta_member_string (message, "id");
  const char *type = meta_member_string (message, "type");
  const char *timestamp = meta_member_string (message, "timestamp");
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GError) error = NULL;
  gint64 sent_at = 0;

  if (!meta_valid_id (from) || !meta_valid_id (id) || type == NULL)
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
      g_autofree char *text = meta_bounded_text (meta_member_string (meta_member_object (message, "text"), "body"));

      if (text != NULL && *text != '\0')
        store_message (delivery, visitor->id, id, text, NULL, sent_at);
      return;
    }
  if (strcmp (type, "image") == 0)
    {
      JsonObject *image = meta_member_object (message, "image");
      const char *media_id = meta_member_string (image, "id");

      if (meta_valid_id (media_id))
        {
          fetch_picture (delivery, visitor->id, id, meta_member_string (image, "caption"), sent_at,
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
  const char *id = meta_member_string (status, "id");
  const char *state = meta_member_string (status, "status");
  JsonArray *errors = meta_member_array (status, "errors");
  g_autofree char *error_text = NULL;

  if (!meta_valid_id (id) || state == NULL)
    return;
  if (errors != NULL && json_array_get_length (errors) > 0)
    {
      JsonObject *first = meta_array_object (errors, 0);
      const char *details = meta_member_string (meta_member_object (first, "error_data"), "details");
      const char *text = details != NULL ? details
                         : meta_member_string (first, "message") != NULL ? meta_member_string (first, "message")
                         : meta_member_string (first, "title");

      if (text != NULL)
        error_text = g_strdup_printf ("%s (code %" G_GINT64_FORMAT ")", text,
                                      json_object_get_int_member_with_default (first, "code", 0));
    }
  apply_status (delivery, id, state, error_text);
}

void
meta_whatsapp_delivery (Delivery   *delivery,
                        JsonObject *payload)
{
  JsonArray *entries = meta_member_array (payload, "entry");
  const char *phone_number_id = meta_member_string (delivery->settings, "phone_number_id");

  for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
    {
      JsonArray *changes = meta_member_array (meta_array_object (entries, i), "changes");

      for (guint j = 0; changes != NULL && j < json_array_get_length (changes); j++)
        {
          JsonObject *change = meta_array_object (changes, j);
          JsonObject *value = meta_member_object (change, "value");
          JsonArray *messages = meta_member_array (value, "messages");
          JsonArray *statuses = meta_member_array (value, "statuses");

          /* another number's traffic is not this site's */
          if (g_strcmp0 (meta_member_string (change, "field"), "messages") != 0 ||
              g_strcmp0 (meta_member_string (meta_member_object (value, "metadata"), "phone_number_id"),
                         phone_number_id) != 0)
            continue;
          for (guint k = 0; messages != NULL && k < json_array_get_length (messages); k++)
            if (meta_array_object (messages, k) != NULL)
              whatsapp_message (delivery, meta_array_object (messages, k),
                                meta_member_array (value, "contacts"));
          for (guint k = 0; statuses != NULL && k < json_array_get_length (statuses); k++)
            if (meta_array_object (statuses, k) != NULL)
              whatsapp_status (delivery, meta_array_object (statuses, k));
        }
    }
}

