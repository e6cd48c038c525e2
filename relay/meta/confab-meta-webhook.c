/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta-webhook.c: what Meta sends — GET /webhooks/{messenger|whatsapp}/{site_id}, the
 * subscription handshake, and POST, deliveries: verified by X-Hub-Signature-256 (HMAC-SHA256 of
 * the raw body with the app secret) before anything in them is parsed, then senders' messages
 * and pictures stored (each once: Meta retries) and receipts applied, then 200.
 *
 * A delivery with pictures is answered once they are fetched and stored: a failure answers 502,
 * and Meta's retry stores what is missing (what was stored is skipped by its platform id). */
#define G_LOG_DOMAIN "confab-meta"

#include "confab-meta-private.h"
#include "confab-http.h"
#include "confab-hub.h"
#include "confab-hub-channels.h"
#include "confab-json.h"
#include "confab-store-channels.h"
#include "confab-util.h"

#include <sodium.h>
#include <string.h>

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
void
meta_delivery_step_done (Delivery *delivery,
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

const char *
meta_member_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
meta_member_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
meta_member_array (JsonObject *object,
                   const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
meta_array_object (JsonArray *array,
                   guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* An id as platforms send them: short, printable, no spaces. */
gboolean
meta_valid_id (const char *id)
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
char *
meta_bounded_text (const char *text)
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
      !secret_equal (token, meta_member_string (settings, "verify_token")))
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
  JsonObject *secrets = meta_member_object (settings, "secrets");
  const char *object;
  Delivery *delivery;

  /* before anything in it is looked at */
  if (!signature_valid (soup_message_headers_get_one (headers, "X-Hub-Signature-256"),
                        meta_member_string (secrets, "app_secret"), body))
    return confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_signature",
                              "X-Hub-Signature-256 is missing or does not match the body");

  payload = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      relay->config->max_body_bytes, MAX_DEPTH, &error);
  if (payload == NULL)
    return confab_http_gerror (msg, error);
  object = meta_member_string (payload, "object");
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
    meta_messenger_delivery (delivery, payload);
  else
    meta_whatsapp_delivery (delivery, payload);

  if (delivery->pending > 1)
    {
      /* pictures on their way: answered when they are stored */
      soup_server_message_pause (msg);
      meta_delivery_step_done (delivery, TRUE);
      return;
    }
  meta_delivery_step_done (delivery, FALSE);
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
