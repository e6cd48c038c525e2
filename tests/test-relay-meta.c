/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-meta.c: Facebook Messenger and WhatsApp Business (issue 15) against a real relay
 * and a stand-in for Meta's Graph API — a SoupServer in this process, on a free port of
 * 127.0.0.1, that records every request the relay makes (method, path, bearer token, body) and
 * answers as told (a status per send, a picture to download).
 *
 * The relay's [meta] graph-url points at the stand-in; webhooks are posted to the relay signed
 * with the app secret as Meta signs them (X-Hub-Signature-256), or not, or wrongly. */

#include "relay-harness.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#define PAGE_ID       "1122334455"
#define PAGE_TOKEN    "EAAB-page-token-1"
#define APP_SECRET    "app-secret-of-the-test"
#define VERIFY_TOKEN  "verify-me-42"
#define PHONE_ID      "5550001111"
#define WA_TOKEN      "EAAB-whatsapp-token-2"
#define PSID          "7001"
#define WA_ID         "4915112345678"
#define WAIT_MS       10000
#define RETRY_AFTER_2 5032

/* --- the stand-in Graph API ----------------------------------------------------------------- */

typedef struct {
  char       *method;
  char       *path;
  char       *authorization;
  JsonObject *body;           /* NULL for a GET */
} GraphRequest;

typedef struct {
  SoupServer *server;
  char       *base;           /* http://127.0.0.1:PORT */
  char       *url;            /* base + /v19.0: the relay's graph-url */
  GPtrArray  *requests;       /* GraphRequest* */
  GQueue      statuses;       /* GUINT_TO_POINTER: how to answer the next sends; empty = 200 */
  GBytes     *picture;        /* served at /media/picture.png */
  guint       sent;           /* ids handed out */
} Graph;

static void
graph_request_free (GraphRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->authorization);
  g_clear_pointer (&request->body, json_object_unref);
  g_free (request);
}

static void
answer_json (SoupServerMessage *msg,
             guint              status,
             const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

/* A multipart/form-data body as JSON: each text field as a string (or, when it is JSON, its
 * object); each file as {"filename","type","size","png"} (png: it starts as a PNG does). */
static JsonObject *
form_to_json (SoupServerMessage *msg)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  SoupMultipart *form = soup_multipart_new_from_message (soup_server_message_get_request_headers (msg),
                                                         bytes);
  JsonObject *object = json_object_new ();

  g_assert_nonnull (form);
  for (int i = 0; i < soup_multipart_get_length (form); i++)
    {
      SoupMessageHeaders *headers = NULL;
      GBytes *part = NULL;
      g_autoptr (GHashTable) params = NULL;
      const char *name, *filename;

      g_assert_true (soup_multipart_get_part (form, i, &headers, &part));
      g_assert_true (soup_message_headers_get_content_disposition (headers, NULL, &params));
      name = g_hash_table_lookup (params, "name");
      filename = g_hash_table_lookup (params, "filename");
      if (filename != NULL)
        {
          JsonObject *file = json_object_new ();

          json_object_set_string_member (file, "filename", filename);
          json_object_set_string_member (file, "type",
                                         soup_message_headers_get_content_type (headers, NULL));
          json_object_set_int_member (file, "size", g_bytes_get_size (part));
          json_object_set_boolean_member (file, "png", g_bytes_get_size (part) > 8 &&
                                          memcmp (g_bytes_get_data (part, NULL), "\x89PNG", 4) == 0);
          json_object_set_object_member (object, name, file);
        }
      else
        {
          g_autofree char *text = g_strndup (g_bytes_get_data (part, NULL), g_bytes_get_size (part));
          g_autoptr (JsonParser) parser = json_parser_new ();

          if (*text == '{' && json_parser_load_from_data (parser, text, -1, NULL))
            json_object_set_object_member (object, name,
                                           json_object_ref (json_node_get_object (json_parser_get_root (parser))));
          else
            json_object_set_string_member (object, name, text);
        }
    }
  soup_multipart_free (form);
  return object;
}

static const char *body_string (GraphRequest *request,
                                const char   *path);

static void
graph_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  Graph *graph = user_data;
  GraphRequest *request = g_new0 (GraphRequest, 1);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  request->authorization = g_strdup (authorization);
  if (strcmp (request->method, "POST") == 0 &&
      g_strcmp0 (soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg),
                                                        NULL), "multipart/form-data") == 0)
    request->body = form_to_json (msg);
  else if (strcmp (request->method, "POST") == 0)
    {
      g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
      g_autoptr (JsonParser) parser = json_parser_new ();

      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                                 g_bytes_get_size (bytes), NULL));
      request->body = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    }
  g_ptr_array_add (graph->requests, request);

  /* WhatsApp's media upload: a picture named "file", for messaging_product whatsapp */
  if (strcmp (request->method, "POST") == 0 && strcmp (path, "/v19.0/" PHONE_ID "/media") == 0)
    {
      g_autofree char *text = NULL;

      if (g_strcmp0 (body_string (request, "messaging_product"), "whatsapp") != 0 ||
          !test_obj_bool (request->body, "file.png"))
        return answer_json (msg, 400, "{\"error\":{\"message\":\"(#100) Param file must be a "
                                      "file with one of the following types\"}}");
      text = g_strdup_printf ("{\"id\":\"media-up-%u\"}", graph->requests->len);
      return answer_json (msg, 200, text);
    }

  if (strcmp (path, "/media/picture.png") == 0)
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "image/png", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (graph->picture, NULL),
                                        g_bytes_get_size (graph->picture));
      return;
    }
  if (strcmp (request->method, "GET") == 0 && strcmp (path, "/v19.0/" PSID) == 0)
    return answer_json (msg, 200, "{\"first_name\":\"Max\",\"last_name\":\"Muster\",\"id\":\"" PSID "\"}");
  if (strcmp (request->method, "GET") == 0 && g_str_has_prefix (path, "/v19.0/media-"))
    {
      g_autofree char *text = g_strdup_printf ("{\"url\":\"%s/media/picture.png\","
                                               "\"mime_type\":\"image/png\",\"id\":\"%s\"}",
                                               graph->base, path + strlen ("/v19.0/"));
      return answer_json (msg, 200, text);
    }
  if (strcmp (request->method, "POST") == 0 && g_str_has_suffix (path, "/messages"))
    {
      guint status = g_queue_is_empty (&graph->statuses)
                     ? 200 : GPOINTER_TO_UINT (g_queue_pop_head (&graph->statuses));
      g_autofree char *text = NULL;

      if (json_object_has_member (request->body, "sender_action"))
        return answer_json (msg, 200, "{\"recipient_id\":\"" PSID "\"}");
      if (status == 400)
        return answer_json (msg, 400, "{\"error\":{\"message\":\"(#100) The parameter "
                                      "recipient is invalid\",\"type\":\"OAuthException\","
                                      "\"code\":100}}");
      /* RETRY_AFTER_2: a 503 that asks for 2 s */
      if (status == RETRY_AFTER_2)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", "2");
          status = 503;
        }
      if (status != 200)
        return answer_json (msg, status, "{\"error\":{\"message\":\"Please slow down\","
                                         "\"code\":4}}");
      graph->sent++;
      if (g_str_has_prefix (path, "/v19.0/me/"))
        text = g_strdup_printf ("{\"recipient_id\":\"" PSID "\",\"message_id\":\"m_out_%u\"}",
                                graph->sent);
      else
        text = g_strdup_printf ("{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":"
                                "\"" WA_ID "\",\"wa_id\":\"" WA_ID "\"}],\"messages\":[{\"id\":"
                                "\"wamid.out%u\"}]}", graph->sent);
      return answer_json (msg, 200, text);
    }
  answer_json (msg, 404, "{\"error\":{\"message\":\"Unknown path\"}}");
}

static GBytes *
make_png (void)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 40, 30);
  g_autoptr (GError) error = NULL;
  char *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static Graph *
graph_new (void)
{
  Graph *graph = g_new0 (Graph, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSList) uris = NULL;

  graph->server = soup_server_new (NULL, NULL);
  graph->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) graph_request_free);
  g_queue_init (&graph->statuses);
  graph->picture = make_png ();
  soup_server_add_handler (graph->server, NULL, graph_handler, graph, NULL);
  g_assert_true (soup_server_listen_local (graph->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (graph->server);
  graph->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  graph->url = g_strconcat (graph->base, "/v19.0", NULL);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return graph;
}

static void
graph_free (Graph *graph)
{
  soup_server_disconnect (graph->server);
  g_object_unref (graph->server);
  g_ptr_array_unref (graph->requests);
  g_queue_clear (&graph->statuses);
  g_bytes_unref (graph->picture);
  g_free (graph->base);
  g_free (graph->url);
  g_free (graph);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Graph, graph_free)

/* The @n-th request (from 0) to a path ending in @suffix, waiting for it. */
static GraphRequest *
graph_wait (Graph      *graph,
            const char *method,
            const char *suffix,
            guint       n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000LL * test_timeout_multiplier ();

  for (;;)
    {
      guint seen = 0;

      for (guint i = 0; i < graph->requests->len; i++)
        {
          GraphRequest *request = g_ptr_array_index (graph->requests, i);

          if (strcmp (request->method, method) == 0 && g_str_has_suffix (request->path, suffix) &&
              seen++ == n)
            return request;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("The stand-in got no %s …%s #%u", method, suffix, n);
      test_sleep_ms (20);
    }
}

static guint
graph_count (Graph      *graph,
             const char *method,
             const char *suffix)
{
  guint seen = 0;

  for (guint i = 0; i < graph->requests->len; i++)
    {
      GraphRequest *request = g_ptr_array_index (graph->requests, i);

      if (strcmp (request->method, method) == 0 && g_str_has_suffix (request->path, suffix))
        seen++;
    }
  return seen;
}

static const char *
body_string (GraphRequest *request,
             const char   *path)
{
  return test_obj_string (request->body, path);
}

/* --- the relay side -------------------------------------------------------------------------- */

static TestWorld *
meta_world (Graph *graph)
{
  g_autofree char *config = g_strdup_printf ("[meta]\ngraph-url=%s\n", graph->url);
  TestWorld *world = test_world_new (config, TEST_WORLD_NO_VISITOR);

  test_ws_ignore (world->agent, "visitor", "presence", "timeline", NULL);
  return world;
}

static void
connect_messenger (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/messenger", world->site_id);
  g_autoptr (TestResponse) response = NULL;

  response = test_http (world->relay, "PUT", path, world->token,
                        "{\"page_id\":\"" PAGE_ID "\",\"page_access_token\":\"" PAGE_TOKEN "\","
                        "\"app_secret\":\"" APP_SECRET "\",\"verify_token\":\"" VERIFY_TOKEN "\"}",
                        NULL);
  test_assert_http_status (response, 200);
}

static void
connect_whatsapp (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/whatsapp", world->site_id);
  g_autoptr (TestResponse) response = NULL;

  response = test_http (world->relay, "PUT", path, world->token,
                        "{\"phone_number_id\":\"" PHONE_ID "\",\"access_token\":\"" WA_TOKEN "\","
                        "\"app_secret\":\"" APP_SECRET "\",\"verify_token\":\"" VERIFY_TOKEN "\","
                        "\"templates\":[{\"name\":\"order_update\",\"language\":\"en_US\"}]}",
                        NULL);
  test_assert_http_status (response, 200);
}

static char *
sign (const char *secret,
      const char *body)
{
  g_autofree char *hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                    strlen (secret), body, -1);

  return g_strconcat ("sha256=", hex, NULL);
}

/* POSTs @body to the channel's webhook with @signature (NULL: no header). */
static TestResponse *
post_webhook (TestWorld  *world,
              const char *channel,
              const char *body,
              const char *signature)
{
  g_autofree char *path = g_strdup_printf ("/webhooks/%s/%s", channel, world->site_id);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  const char *headers[] = { "X-Hub-Signature-256", signature, NULL };

  return test_http_bytes (world->relay, "POST", path, NULL, bytes, "application/json",
                          signature != NULL ? headers : NULL);
}

static void
post_signed (TestWorld  *world,
             const char *channel,
             const char *body)
{
  g_autofree char *signature = sign (APP_SECRET, body);
  g_autoptr (TestResponse) response = post_webhook (world, channel, body, signature);

  test_assert_http_status (response, 200);
}

static char *
messenger_text (const char *mid,
                const char *text)
{
  return g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1,"
                          "\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":"
                          "\"" PAGE_ID "\"},\"timestamp\":1700000000000,\"message\":{\"mid\":\"%s\","
                          "\"text\":\"%s\"}}]}]}", mid, text);
}

static char *
whatsapp_value (const char *inner)
{
  return g_strdup_printf ("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"WABA\","
                          "\"changes\":[{\"field\":\"messages\",\"value\":{\"messaging_product\":"
                          "\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550001111\","
                          "\"phone_number_id\":\"" PHONE_ID "\"},%s}}]}]}", inner);
}

static char *
whatsapp_text (const char *id,
               gint64      sent_at_s,
               const char *text)
{
  g_autofree char *inner = g_strdup_printf ("\"contacts\":[{\"profile\":{\"name\":\"Ana Souza\"},"
                                            "\"wa_id\":\"" WA_ID "\"}],\"messages\":[{\"from\":"
                                            "\"" WA_ID "\",\"id\":\"%s\",\"timestamp\":\"%"
                                            G_GINT64_FORMAT "\",\"type\":\"text\",\"text\":{\"body\":"
                                            "\"%s\"}}]", id, sent_at_s, text);
  return whatsapp_value (inner);
}

static char *
whatsapp_status (const char *wamid,
                 const char *status)
{
  g_autofree char *inner = g_strdup_printf ("\"statuses\":[{\"id\":\"%s\",\"status\":\"%s\","
                                            "\"timestamp\":\"1700000000\",\"recipient_id\":\"" WA_ID
                                            "\"}]", wamid, status);
  return whatsapp_value (inner);
}

static guint
count_messages (TestWorld  *world,
                const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_array_get_length (test_obj_array (test_response_object (response), "messages"));
}

/* The agent's message frame of a sender's message, after its conversation's frame. */
static JsonObject *
expect_sender_message (TestWorld  *world,
                       const char *channel)
{
  g_autoptr (JsonObject) conversation = test_ws_wait_for (world->agent, "conversation", WAIT_MS);

  g_assert_cmpstr (test_obj_string (conversation, "conversation.channel"), ==, channel);
  return test_ws_wait_for (world->agent, "message", WAIT_MS);
}

static void
agent_send (TestWorld  *world,
            const char *conversation_id,
            const char *body,
            const char *extra)
{
  g_autofree char *client_id = test_client_id ();

  test_ws_sendf (world->agent,
                 "{\"type\":\"message\",\"conversation_id\":\"%s\",\"client_id\":\"%s\","
                 "\"body\":\"%s\"%s}", conversation_id, client_id, body, extra ? extra : "");
}

/* --- tests ---------------------------------------------------------------------------------- */

/* Settings: owners set them, secrets are never shown, each change is audited; the handshake. */
static void
test_settings_and_handshake (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/messenger", world->site_id);
  g_autofree char *audit_path = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
  g_autofree char *hook = g_strdup_printf ("/webhooks/messenger/%s?hub.mode=subscribe&"
                                           "hub.verify_token=" VERIFY_TOKEN "&hub.challenge=c-123",
                                           world->site_id);
  g_autofree char *wrong_hook = g_strdup_printf ("/webhooks/messenger/%s?hub.mode=subscribe&"
                                                 "hub.verify_token=nope&hub.challenge=c-123",
                                                 world->site_id);
  g_autoptr (TestResponse) empty = NULL, partial = NULL, got = NULL, handshake = NULL;
  g_autoptr (TestResponse) refused = NULL, audit = NULL, deleted = NULL, after = NULL;
  g_autoptr (TestResponse) bad_id = NULL, updated = NULL, unknown = NULL;
  g_autofree char *text = NULL, *audit_text = NULL, *challenge = NULL;
  JsonObject *object;

  empty = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (empty, 200);
  g_assert_false (test_obj_bool (test_response_object (empty), "enabled"));
  g_assert_false (test_obj_bool (test_response_object (empty), "has_page_access_token"));

  /* before it is connected nobody can subscribe */
  unknown = test_http (world->relay, "GET", hook, NULL, NULL, NULL);
  test_assert_http_error (unknown, 404, "not_found");

  partial = test_http (world->relay, "PUT", path, world->token,
                       "{\"page_id\":\"" PAGE_ID "\"}", NULL);
  test_assert_http_error (partial, 400, "missing_field");
  bad_id = test_http (world->relay, "PUT", path, world->token, "{\"page_id\":\"my page\"}", NULL);
  test_assert_http_error (bad_id, 400, "invalid_value");

  connect_messenger (world);
  got = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (got, 200);
  object = test_response_object (got);
  g_assert_true (test_obj_bool (object, "enabled"));
  g_assert_cmpstr (test_obj_string (object, "page_id"), ==, PAGE_ID);
  g_assert_true (test_obj_bool (object, "has_page_access_token"));
  g_assert_true (test_obj_bool (object, "has_app_secret"));
  g_assert_cmpstr (test_obj_string (object, "verify_token"), ==, VERIFY_TOKEN);
  g_assert_true (strstr (test_obj_string (object, "webhook_url"), "/webhooks/messenger/") != NULL);
  g_assert_true (g_str_has_suffix (test_obj_string (object, "webhook_url"), world->site_id));
  text = test_response_text (got);
  g_assert_null (strstr (text, PAGE_TOKEN));
  g_assert_null (strstr (text, APP_SECRET));

  /* a change without the secrets keeps them */
  updated = test_http (world->relay, "PUT", path, world->token, "{\"enabled\":true}", NULL);
  test_assert_http_status (updated, 200);
  g_assert_true (test_obj_bool (test_response_object (updated), "has_page_access_token"));

  handshake = test_http (world->relay, "GET", hook, NULL, NULL, NULL);
  test_assert_http_status (handshake, 200);
  challenge = test_response_text (handshake);
  g_assert_cmpstr (challenge, ==, "c-123");
  refused = test_http (world->relay, "GET", wrong_hook, NULL, NULL, NULL);
  test_assert_http_error (refused, 403, "forbidden");

  /* the audit log says who changed it and which fields, never the values */
  audit = test_http (world->relay, "GET", audit_path, world->token, NULL, NULL);
  test_assert_http_status (audit, 200);
  audit_text = test_response_text (audit);
  g_assert_nonnull (strstr (audit_text, "channel.messenger.updated"));
  g_assert_null (strstr (audit_text, PAGE_TOKEN));
  g_assert_null (strstr (audit_text, APP_SECRET));

  deleted = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
  test_assert_http_status (deleted, 204);
  after = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  g_assert_false (test_obj_bool (test_response_object (after), "enabled"));
}

/* Only a delivery signed with the app secret is taken: none, a forged and a tampered one are
 * refused (401) and store nothing; a replayed one is stored once. */
static void
test_signatures_and_replay (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *body = messenger_text ("m_in_1", "Hello from Messenger");
  g_autofree char *forged = sign ("another secret", body);
  g_autofree char *good = sign (APP_SECRET, body);
  g_autofree char *tampered_body = messenger_text ("m_in_1", "Hello from Messengex");
  g_autoptr (TestResponse) unsigned_response = NULL, forged_response = NULL;
  g_autoptr (TestResponse) tampered_response = NULL, garbage = NULL;
  g_autoptr (JsonObject) message = NULL;
  const char *conversation_id;

  test_ws_unignore (world->agent, "visitor");
  connect_messenger (world);

  unsigned_response = post_webhook (world, "messenger", body, NULL);
  test_assert_http_error (unsigned_response, 401, "invalid_signature");
  forged_response = post_webhook (world, "messenger", body, forged);
  test_assert_http_error (forged_response, 401, "invalid_signature");
  tampered_response = post_webhook (world, "messenger", tampered_body, good);
  test_assert_http_error (tampered_response, 401, "invalid_signature");
  garbage = post_webhook (world, "messenger", body, "sha256=zz");
  test_assert_http_error (garbage, 401, "invalid_signature");
  test_ws_expect_none (world->agent, "message", 300);

  /* signed, but not what a delivery is */
  {
    g_autofree char *not_json_sig = sign (APP_SECRET, "{not json");
    g_autofree char *wrong_object = g_strdup ("{\"object\":\"whatsapp_business_account\",\"entry\":[]}");
    g_autofree char *wrong_object_sig = sign (APP_SECRET, wrong_object);
    g_autofree char *huge = g_strnfill (70 * 1024, 'x');
    g_autofree char *huge_sig = sign (APP_SECRET, huge);
    g_autoptr (TestResponse) not_json = post_webhook (world, "messenger", "{not json", not_json_sig);
    g_autoptr (TestResponse) other = post_webhook (world, "messenger", wrong_object, wrong_object_sig);
    g_autoptr (TestResponse) too_large = post_webhook (world, "messenger", huge, huge_sig);

    test_assert_http_error (not_json, 400, "invalid_json");
    test_assert_http_error (other, 400, "invalid_value");
    test_assert_http_error (too_large, 413, "too_large");
  }

  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "Hello from Messenger");
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "visitor");
  conversation_id = test_obj_string (message, "conversation_id");

  /* Meta retries: the same delivery again is answered 200 and stored once */
  post_signed (world, "messenger", body);
  test_ws_expect_none (world->agent, "message", 300);
  g_assert_cmpuint (count_messages (world, conversation_id), ==, 1);

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                   NULL);
    JsonObject *conversation = test_response_object (response);

    g_assert_cmpstr (test_obj_string (conversation, "channel"), ==, "messenger");
    g_assert_true (test_obj_is_null (conversation, "reply_window_ends_at"));
    g_assert_cmpstr (test_obj_string (conversation, "visitor.channel"), ==, "messenger");
  }

  /* the sender's name from their profile, read with the Page's token */
  {
    GraphRequest *request = graph_wait (graph, "GET", "/v19.0/" PSID, 0);
    g_autoptr (JsonObject) named = NULL;

    g_assert_cmpstr (request->authorization, ==, "Bearer " PAGE_TOKEN);
    named = test_ws_wait_for_match (world->agent, "visitor", "visitor.name", "Max Muster", WAIT_MS);
    g_assert_cmpstr (test_obj_string (named, "visitor.channel"), ==, "messenger");
  }
}

/* A sender's text in, the agent's reply out as the stand-in receives it, the typing indicator,
 * and the delivery receipt back. */
static void
test_messenger_reply (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *body = messenger_text ("m_in_2", "Is my order on its way?");
  g_autofree char *receipt = NULL;
  g_autoptr (JsonObject) message = NULL, echo = NULL, sent = NULL, delivered = NULL;
  g_autofree char *conversation_id = NULL;
  GraphRequest *request;

  connect_messenger (world);
  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  test_ws_sendf (world->agent, "{\"type\":\"typing\",\"conversation_id\":\"%s\",\"active\":true}",
                 conversation_id);
  request = graph_wait (graph, "POST", "/v19.0/me/messages", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " PAGE_TOKEN);
  g_assert_cmpstr (body_string (request, "sender_action"), ==, "typing_on");
  g_assert_cmpstr (body_string (request, "recipient.id"), ==, PSID);
  /* the app reports typing as it goes: Messenger hears of changes, not of every report */
  test_ws_sendf (world->agent, "{\"type\":\"typing\",\"conversation_id\":\"%s\",\"active\":true}",
                 conversation_id);
  test_ws_sendf (world->agent, "{\"type\":\"typing\",\"conversation_id\":\"%s\",\"active\":false}",
                 conversation_id);
  request = graph_wait (graph, "POST", "/v19.0/me/messages", 1);
  g_assert_cmpstr (body_string (request, "sender_action"), ==, "typing_off");

  agent_send (world, conversation_id, "Yes, it left today", NULL);
  echo = test_ws_wait_for_match (world->agent, "message", "body", "Yes, it left today", WAIT_MS);
  g_assert_cmpstr (test_obj_string (echo, "delivery.status"), ==, "pending");
  g_assert_true (test_obj_is_null (echo, "delivery.error"));

  request = graph_wait (graph, "POST", "/v19.0/me/messages", 2);
  g_assert_cmpstr (request->authorization, ==, "Bearer " PAGE_TOKEN);
  g_assert_cmpstr (body_string (request, "recipient.id"), ==, PSID);
  g_assert_cmpstr (body_string (request, "messaging_type"), ==, "RESPONSE");
  g_assert_cmpstr (body_string (request, "message.text"), ==, "Yes, it left today");

  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (sent, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, test_obj_int (echo, "seq"));
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  g_assert_cmpstr (test_obj_string (sent, "site_id"), ==, world->site_id);
  g_assert_cmpint (test_obj_int (sent, "cursor"), >, test_obj_int (echo, "cursor"));

  /* Messenger's delivery receipt names our message by the id the send answered */
  receipt = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1,"
                             "\"messaging\":[{\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":"
                             "\"" PAGE_ID "\"},\"delivery\":{\"mids\":[\"m_out_1\"],"
                             "\"watermark\":1700000001000}}]}]}");
  post_signed (world, "messenger", receipt);
  delivered = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (delivered, "delivery.status"), ==, "delivered");

  /* Messenger's read receipt (a watermark, no ids): the sender read the whole conversation */
  {
    g_autofree char *read_body = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\""
                                                  PAGE_ID "\",\"time\":1,\"messaging\":[{\"sender\":"
                                                  "{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\""
                                                  PAGE_ID "\"},\"read\":{\"watermark\":"
                                                  "1700000002000}}]}]}");
    g_autoptr (JsonObject) read = NULL;

    post_signed (world, "messenger", read_body);
    read = test_ws_wait_for (world->agent, "read", WAIT_MS);
    g_assert_cmpstr (test_obj_string (read, "reader"), ==, "visitor");
    g_assert_cmpstr (test_obj_string (read, "conversation_id"), ==, conversation_id);
    g_assert_cmpint (test_obj_int (read, "seq"), ==, test_obj_int (echo, "seq"));
  }

  /* an agent who subscribes later gets the delivery states from the backlog */
  {
    g_autoptr (TestWs) later = test_ws_agent (world->relay, world->token);
    g_autoptr (GPtrArray) backlog = NULL;
    guint deliveries = 0;

    test_ws_ignore (later, "presence", NULL);
    test_agent_subscribe (later, 0, &backlog);
    for (guint i = 0; i < backlog->len; i++)
      if (g_strcmp0 (test_obj_string (g_ptr_array_index (backlog, i), "type"), "delivery") == 0)
        {
          g_assert_cmpstr (test_obj_string (g_ptr_array_index (backlog, i), "delivery.status"), ==,
                           deliveries == 0 ? "sent" : "delivered");
          deliveries++;
        }
    g_assert_cmpuint (deliveries, ==, 2);
  }

  /* REST shows the state too */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
    g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *messages = test_obj_array (test_response_object (response), "messages");
    JsonObject *reply = json_array_get_object_element (messages, 1);

    g_assert_cmpstr (test_obj_string (reply, "delivery.status"), ==, "delivered");
    g_assert_false (json_object_has_member (json_array_get_object_element (messages, 0), "delivery"));
  }
}

/* The FAQ bot answers a Messenger message it can answer through the Send API, as the site's
 * assistant, until an agent writes; a site that turned the bot off gets no answer. */
static void
test_messenger_faq_bot (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *site = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *hours = messenger_text ("m_in_faq_1", "What are your opening hours?");
  g_autofree char *abroad = messenger_text ("m_in_faq_2", "Do you ship abroad?");
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) question = NULL, bot = NULL, sent = NULL, later = NULL;
  GraphRequest *request;

  connect_messenger (world);
  {
    g_autoptr (TestResponse) one = test_http (world->relay, "POST", faqs, world->token,
                                              "{\"question\":\"What are your opening hours?\","
                                              "\"answer\":\"We are open 9 to 5.\"}", NULL);
    g_autoptr (TestResponse) two = test_http (world->relay, "POST", faqs, world->token,
                                              "{\"question\":\"Do you ship abroad?\","
                                              "\"answer\":\"We ship to every EU country.\"}", NULL);

    test_assert_http_status (one, 201);
    test_assert_http_status (two, 201);
  }

  post_signed (world, "messenger", hours);
  question = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (question, "conversation_id"));
  bot = test_ws_wait_for_match (world->agent, "message", "sender.type", "bot", WAIT_MS);
  g_assert_cmpstr (test_obj_string (bot, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (bot, "body"), ==, "We are open 9 to 5.");
  g_assert_cmpstr (test_obj_string (bot, "delivery.status"), ==, "pending");
  request = graph_wait (graph, "POST", "/v19.0/me/messages", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " PAGE_TOKEN);
  g_assert_cmpstr (body_string (request, "recipient.id"), ==, PSID);
  g_assert_cmpstr (body_string (request, "messaging_type"), ==, "RESPONSE");
  g_assert_cmpstr (body_string (request, "message.text"), ==, "We are open 9 to 5.");
  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, test_obj_int (bot, "seq"));
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");

  /* an agent wrote: the bot keeps quiet */
  agent_send (world, conversation_id, "Anything else?", NULL);
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "body", "Anything else?", WAIT_MS));
  graph_wait (graph, "POST", "/v19.0/me/messages", 1);
  post_signed (world, "messenger", abroad);
  later = test_ws_wait_for_match (world->agent, "message", "body", "Do you ship abroad?", WAIT_MS);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  g_assert_cmpuint (graph_count (graph, "POST", "/v19.0/me/messages"), ==, 2);

  /* a site with the bot off: a new sender's question gets no answer */
  {
    g_autoptr (TestResponse) off = test_http (world->relay, "PATCH", site, world->token,
                                              "{\"settings\":{\"faq_auto_answer\":false}}", NULL);
    g_autofree char *other = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID
                                              "\",\"time\":1,\"messaging\":[{\"sender\":{\"id\":"
                                              "\"7002\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},"
                                              "\"timestamp\":1700000000000,\"message\":{\"mid\":"
                                              "\"m_in_faq_3\",\"text\":\"What are your opening hours?\"}}]}]}");
    g_autoptr (JsonObject) third = NULL;

    test_assert_http_status (off, 200);
    post_signed (world, "messenger", other);
    third = test_ws_wait_for_match (world->agent, "message", "body", "What are your opening hours?", WAIT_MS);
    g_assert_cmpstr (test_obj_string (third, "sender.type"), ==, "visitor");
    test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
    g_assert_cmpuint (graph_count (graph, "POST", "/v19.0/me/messages"), ==, 2);
  }
}

/* A channel turned off, or a site disabled, takes no webhooks (404, so Meta keeps them) and
 * sends no replies. */
static void
test_disabled (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *channel_path = g_strdup_printf ("/api/v1/sites/%s/channels/messenger",
                                                   world->site_id);
  g_autofree char *body = messenger_text ("m_in_off", "Anyone?");
  g_autofree char *later = messenger_text ("m_in_later", "Now?");
  g_autofree char *signature = sign (APP_SECRET, body);
  g_autoptr (TestResponse) site_off = NULL, refused = NULL, site_on = NULL, channel_off = NULL;
  g_autoptr (TestResponse) refused_again = NULL, channel_on = NULL;
  g_autoptr (JsonObject) message = NULL, error = NULL;
  g_autofree char *conversation_id = NULL;

  test_ws_ignore (world->agent, "site", NULL);
  connect_messenger (world);
  site_off = test_http (world->relay, "PATCH", site_path, world->token, "{\"enabled\":false}", NULL);
  test_assert_http_status (site_off, 200);
  refused = post_webhook (world, "messenger", body, signature);
  test_assert_http_error (refused, 404, "not_found");
  site_on = test_http (world->relay, "PATCH", site_path, world->token, "{\"enabled\":true}", NULL);
  test_assert_http_status (site_on, 200);

  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  channel_off = test_http (world->relay, "PUT", channel_path, world->token, "{\"enabled\":false}",
                           NULL);
  test_assert_http_status (channel_off, 200);
  g_assert_false (test_obj_bool (test_response_object (channel_off), "enabled"));
  refused_again = post_webhook (world, "messenger", later, NULL);
  test_assert_http_error (refused_again, 404, "not_found");
  agent_send (world, conversation_id, "Still there?", NULL);
  error = test_ws_expect_error (world->agent, "invalid_value", WAIT_MS);
  g_assert_cmpuint (count_messages (world, conversation_id), ==, 1);
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 0);

  channel_on = test_http (world->relay, "PUT", channel_path, world->token, "{\"enabled\":true}",
                          NULL);
  test_assert_http_status (channel_on, 200);
  post_signed (world, "messenger", later);
  test_ws_wait_for_match (world->agent, "message", "body", "Now?", WAIT_MS);
}

/* A Messenger sender's picture: fetched from the attachment's URL, through the upload checks;
 * a second delivery of it is stored once. */
static void
test_messenger_image (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *body = g_strdup_printf ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\","
                                           "\"time\":1,\"messaging\":[{\"sender\":{\"id\":\"" PSID
                                           "\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},\"timestamp\":"
                                           "1700000000000,\"message\":{\"mid\":\"m_pic\",\"attachments\":"
                                           "[{\"type\":\"image\",\"payload\":{\"url\":\"%s/media/"
                                           "picture.png\"}}]}}]}]}", graph->base);
  g_autoptr (JsonObject) picture = NULL;

  connect_messenger (world);
  post_signed (world, "messenger", body);
  picture = expect_sender_message (world, "messenger");
  g_assert_true (test_obj_is_null (picture, "body"));
  g_assert_cmpstr (test_obj_string (picture, "attachment.kind"), ==, "image");
  g_assert_cmpint (test_obj_int (picture, "attachment.width"), ==, 40);
  /* a Messenger attachment URL is fetched without our token */
  g_assert_null (graph_wait (graph, "GET", "/media/picture.png", 0)->authorization);

  post_signed (world, "messenger", body);
  test_ws_expect_none (world->agent, "message", 300);
  g_assert_cmpuint (count_messages (world, test_obj_string (picture, "conversation_id")), ==, 1);
  /* nor fetched again */
  g_assert_cmpuint (graph_count (graph, "GET", "/media/picture.png"), ==, 1);
}

/* A WhatsApp sender's text (with their profile name) and picture: the media is fetched by id
 * through the Graph API with the number's token, then goes through the upload checks. */
static void
test_whatsapp_text_and_image (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *text = whatsapp_text ("wamid.in1", g_get_real_time () / G_USEC_PER_SEC, "Olá!");
  g_autofree char *image = whatsapp_value ("\"contacts\":[{\"profile\":{\"name\":\"Ana Souza\"},"
                                           "\"wa_id\":\"" WA_ID "\"}],\"messages\":[{\"from\":\""
                                           WA_ID "\",\"id\":\"wamid.in2\",\"timestamp\":\"1\","
                                           "\"type\":\"image\",\"image\":{\"id\":\"media-77\","
                                           "\"mime_type\":\"image/png\",\"caption\":\"The box\"}}]");
  g_autoptr (JsonObject) first = NULL, picture = NULL, conversation = NULL;
  GraphRequest *request;

  connect_whatsapp (world);
  post_signed (world, "whatsapp", text);
  conversation = test_ws_wait_for (world->agent, "conversation", WAIT_MS);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.channel"), ==, "whatsapp");
  g_assert_true (test_obj_has (conversation, "conversation.reply_window_ends_at"));
  first = test_ws_wait_for (world->agent, "message", WAIT_MS);
  g_assert_cmpstr (test_obj_string (first, "body"), ==, "Olá!");
  g_assert_cmpstr (test_obj_string (first, "sender.name"), ==, "Ana Souza");

  post_signed (world, "whatsapp", image);
  picture = test_ws_wait_for (world->agent, "message", WAIT_MS);
  g_assert_cmpstr (test_obj_string (picture, "body"), ==, "The box");
  g_assert_cmpstr (test_obj_string (picture, "attachment.mime"), ==, "image/png");
  g_assert_cmpint (test_obj_int (picture, "attachment.width"), ==, 40);
  g_assert_cmpint (test_obj_int (picture, "attachment.height"), ==, 30);

  request = graph_wait (graph, "GET", "/v19.0/media-77", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " WA_TOKEN);
  request = graph_wait (graph, "GET", "/media/picture.png", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " WA_TOKEN);

  /* the agent can fetch the stored (re-encoded) picture */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/uploads/%s",
                                             test_obj_string (picture, "attachment.id"));
    g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_status (response, 200);
    g_assert_cmpstr (test_response_header (response, "Content-Type"), ==, "image/png");
  }
}

/* WhatsApp's 24-hour window: outside it a reply without a template is refused and nothing is
 * stored or sent; with one of the site's templates it goes as a template; inside it, as text. */
static void
test_whatsapp_window (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  /* the customer wrote 25 hours ago, as the platform timed it */
  g_autofree char *old = whatsapp_text ("wamid.old", now_s - 25 * 3600, "Anyone there?");
  g_autofree char *recent = whatsapp_text ("wamid.new", now_s - 60, "Hello again");
  g_autoptr (JsonObject) message = NULL, refused = NULL, wrong = NULL, echo = NULL;
  g_autoptr (JsonObject) conversation = NULL, text_echo = NULL, again = NULL;
  g_autofree char *conversation_id = NULL;
  GraphRequest *request;

  connect_whatsapp (world);
  post_signed (world, "whatsapp", old);
  message = expect_sender_message (world, "whatsapp");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  agent_send (world, conversation_id, "Sorry for the wait", NULL);
  refused = test_ws_expect_error (world->agent, "reply_window_closed", WAIT_MS);
  g_assert_nonnull (strstr (test_obj_string (refused, "message"), "24-hour"));
  g_assert_true (test_obj_has (refused, "ref"));
  g_assert_cmpuint (count_messages (world, conversation_id), ==, 1);

  agent_send (world, conversation_id, "Sorry for the wait",
              ",\"template\":{\"name\":\"not_ours\",\"language\":\"en_US\"}");
  wrong = test_ws_expect_error (world->agent, "invalid_value", WAIT_MS);
  g_assert_cmpuint (count_messages (world, conversation_id), ==, 1);
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 0);

  agent_send (world, conversation_id, "Your order was updated",
              ",\"template\":{\"name\":\"order_update\",\"language\":\"en_US\"}");
  echo = test_ws_wait_for_match (world->agent, "message", "body", "Your order was updated", WAIT_MS);
  g_assert_cmpstr (test_obj_string (echo, "delivery.status"), ==, "pending");
  request = graph_wait (graph, "POST", "/v19.0/" PHONE_ID "/messages", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " WA_TOKEN);
  g_assert_cmpstr (body_string (request, "messaging_product"), ==, "whatsapp");
  g_assert_cmpstr (body_string (request, "to"), ==, WA_ID);
  g_assert_cmpstr (body_string (request, "type"), ==, "template");
  g_assert_cmpstr (body_string (request, "template.name"), ==, "order_update");
  g_assert_cmpstr (body_string (request, "template.language.code"), ==, "en_US");
  test_ws_wait_for (world->agent, "delivery", WAIT_MS);

  /* the customer writes again: the window is open, a text goes as text */
  post_signed (world, "whatsapp", recent);
  conversation = test_ws_wait_for (world->agent, "conversation", WAIT_MS);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                   NULL);
    g_autoptr (GDateTime) ends = g_date_time_new_from_iso8601 (
      test_obj_string (test_response_object (response), "reply_window_ends_at"), NULL);

    g_assert_nonnull (ends);
    g_assert_cmpint (g_date_time_to_unix (ends), >, now_s + 23 * 3600);
  }
  again = test_ws_wait_for (world->agent, "message", WAIT_MS);
  agent_send (world, conversation_id, "Happy to help", NULL);
  text_echo = test_ws_wait_for_match (world->agent, "message", "body", "Happy to help", WAIT_MS);
  request = graph_wait (graph, "POST", "/v19.0/" PHONE_ID "/messages", 1);
  g_assert_cmpstr (body_string (request, "type"), ==, "text");
  g_assert_cmpstr (body_string (request, "text.body"), ==, "Happy to help");
}

/* Platform errors: a 400 fails the message at once with the platform's words; a 429 and a 500
 * are retried with backoff until the send goes through. WhatsApp's receipts (delivered, read)
 * then move it on, and read raises the conversation's visitor_read_seq. */
static void
test_platform_errors_and_receipts (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *text = whatsapp_text ("wamid.in9", g_get_real_time () / G_USEC_PER_SEC, "Hi");
  g_autofree char *delivered_body = whatsapp_status ("wamid.out1", "delivered");
  g_autofree char *read_body = whatsapp_status ("wamid.out1", "read");
  g_autofree char *late_body = whatsapp_status ("wamid.out1", "delivered");
  g_autoptr (JsonObject) message = NULL, failed = NULL, sent = NULL, delivered = NULL;
  g_autoptr (JsonObject) read = NULL, read_frame = NULL;
  g_autofree char *conversation_id = NULL;
  GraphRequest *request;

  connect_whatsapp (world);
  post_signed (world, "whatsapp", text);
  message = expect_sender_message (world, "whatsapp");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (400));
  agent_send (world, conversation_id, "First try", NULL);
  failed = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (failed, "delivery.status"), ==, "failed");
  g_assert_nonnull (strstr (test_obj_string (failed, "delivery.error"),
                            "(#100) The parameter recipient is invalid"));
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 1);

  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (429));
  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (500));
  agent_send (world, conversation_id, "Second try", NULL);
  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS * 2);
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 4);
  request = graph_wait (graph, "POST", "/messages", 3);
  g_assert_cmpstr (body_string (request, "text.body"), ==, "Second try");

  post_signed (world, "whatsapp", delivered_body);
  delivered = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (delivered, "delivery.status"), ==, "delivered");
  post_signed (world, "whatsapp", read_body);
  read = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (read, "delivery.status"), ==, "read");
  read_frame = test_ws_wait_for (world->agent, "read", WAIT_MS);
  g_assert_cmpstr (test_obj_string (read_frame, "reader"), ==, "visitor");
  g_assert_cmpint (test_obj_int (read_frame, "seq"), ==, test_obj_int (read, "seq"));
  /* a receipt that comes late changes nothing */
  post_signed (world, "whatsapp", late_body);
  test_ws_expect_none (world->agent, "delivery", 300);

  /* WhatsApp takes a message, then says it could not deliver it: failed, with its words */
  {
    g_autofree char *failed_body = whatsapp_value ("\"statuses\":[{\"id\":\"wamid.out2\","
                                                   "\"status\":\"failed\",\"timestamp\":\"1\","
                                                   "\"recipient_id\":\"" WA_ID "\",\"errors\":[{"
                                                   "\"code\":131026,\"title\":\"Message "
                                                   "Undeliverable.\",\"error_data\":{\"details\":"
                                                   "\"Receiver is incapable of receiving this "
                                                   "message\"}}]}]");
    g_autoptr (JsonObject) third_sent = NULL, third_failed = NULL;

    agent_send (world, conversation_id, "Third try", NULL);
    third_sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
    g_assert_cmpstr (test_obj_string (third_sent, "delivery.status"), ==, "sent");
    post_signed (world, "whatsapp", failed_body);
    third_failed = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
    g_assert_cmpint (test_obj_int (third_failed, "seq"), ==, test_obj_int (third_sent, "seq"));
    g_assert_cmpstr (test_obj_string (third_failed, "delivery.status"), ==, "failed");
    g_assert_cmpstr (test_obj_string (third_failed, "delivery.error"), ==,
                     "Receiver is incapable of receiving this message (code 131026)");
  }

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                   NULL);

    g_assert_cmpint (test_obj_int (test_response_object (response), "visitor_read_seq"), ==,
                     test_obj_int (read, "seq"));
  }
}

/* POST /conversations/{id}/messages/{seq}/retry */
static TestResponse *
post_retry (TestWorld  *world,
            const char *conversation_id,
            gint64      seq)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages/%" G_GINT64_FORMAT
                                           "/retry", conversation_id, seq);

  return test_http (world->relay, "POST", path, world->token, NULL, NULL);
}

/* "Send Again": a reply Messenger refused goes again as the same stored message — pending, then
 * sent, with a delivery frame each; a second click while it is on its way sends nothing more;
 * refused for a message that did not fail (409), one that is not an agent's to a channel (400),
 * one that is not there (404). */
static void
test_retry_failed_message (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *body = messenger_text ("m_in_retry", "Where is my parcel?");
  g_autoptr (JsonObject) message = NULL, failed = NULL, pending = NULL, sent = NULL;
  g_autofree char *conversation_id = NULL;
  GraphRequest *request;
  gint64 seq;
  guint before;

  connect_messenger (world);
  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (400));
  agent_send (world, conversation_id, "It left on Monday", NULL);
  failed = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (failed, "delivery.status"), ==, "failed");
  seq = test_obj_int (failed, "seq");
  g_assert_cmpuint (graph_count (graph, "POST", "/me/messages"), ==, 1);
  before = count_messages (world, conversation_id);

  /* the sender's own message, and one that is not there */
  {
    g_autoptr (TestResponse) theirs = post_retry (world, conversation_id,
                                                  test_obj_int (message, "seq"));
    g_autoptr (TestResponse) missing = post_retry (world, conversation_id, seq + 100);
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages/%" G_GINT64_FORMAT
                                             "/retry", conversation_id, seq);
    g_autoptr (TestResponse) get = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_error (theirs, 400, "not_channel_message");
    test_assert_http_error (missing, 404, "not_found");
    test_assert_http_status (get, 405);
  }

  /* the retry is answered 503 with Retry-After 2: it stays pending for 2 s, long enough for a
   * second click to find it on its way */
  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (RETRY_AFTER_2));
  {
    g_autoptr (TestResponse) first = post_retry (world, conversation_id, seq);
    g_autoptr (TestResponse) second = NULL;

    test_assert_http_status (first, 200);
    g_assert_cmpint (test_obj_int (test_response_object (first), "seq"), ==, seq);
    g_assert_cmpstr (test_obj_string (test_response_object (first), "body"), ==,
                     "It left on Monday");
    g_assert_cmpstr (test_obj_string (test_response_object (first), "delivery.status"), ==,
                     "pending");
    pending = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
    g_assert_cmpint (test_obj_int (pending, "seq"), ==, seq);
    g_assert_cmpstr (test_obj_string (pending, "delivery.status"), ==, "pending");
    g_assert_true (test_obj_is_null (pending, "delivery.error"));

    graph_wait (graph, "POST", "/me/messages", 1);
    second = post_retry (world, conversation_id, seq);
    test_assert_http_status (second, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (second), "delivery.status"), ==,
                     "pending");
  }

  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS * 2);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, seq);
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  /* the refused send, the 503, the one that went: no fourth for the second click */
  test_ws_expect_none (world->agent, "delivery", 300);
  g_assert_cmpuint (graph_count (graph, "POST", "/me/messages"), ==, 3);
  request = graph_wait (graph, "POST", "/me/messages", 2);
  g_assert_cmpstr (body_string (request, "message.text"), ==, "It left on Monday");
  g_assert_cmpstr (body_string (request, "recipient.id"), ==, PSID);
  g_assert_cmpuint (count_messages (world, conversation_id), ==, before);

  /* sent: nothing to send again */
  {
    g_autoptr (TestResponse) again = post_retry (world, conversation_id, seq);

    test_assert_http_error (again, 409, "message_not_failed");
  }
}

/* A WhatsApp reply that failed while the 24-hour window was open is not sent again once it has
 * closed: 409 reply_window_closed, the message stays failed, nothing goes to WhatsApp. */
static void
test_retry_window_closed (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  /* the customer wrote 24 hours less 15 s ago: the window closes 15 s from now */
  g_autofree char *text = whatsapp_text ("wamid.late", g_get_real_time () / G_USEC_PER_SEC - 24 * 3600 + 15,
                                         "Still there?");
  g_autoptr (JsonObject) message = NULL, failed = NULL;
  g_autoptr (GDateTime) ends = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) conversation = NULL;

  connect_whatsapp (world);
  post_signed (world, "whatsapp", text);
  conversation = test_ws_wait_for (world->agent, "conversation", WAIT_MS);
  ends = g_date_time_new_from_iso8601 (test_obj_string (conversation, "conversation.reply_window_ends_at"),
                                       NULL);
  g_assert_nonnull (ends);
  message = test_ws_wait_for (world->agent, "message", WAIT_MS);
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (400));
  agent_send (world, conversation_id, "Yes, how can I help?", NULL);
  failed = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (failed, "delivery.status"), ==, "failed");

  while (g_get_real_time () <= g_date_time_to_unix (ends) * G_USEC_PER_SEC + G_USEC_PER_SEC)
    test_sleep_ms (200);
  {
    g_autoptr (TestResponse) closed = post_retry (world, conversation_id, test_obj_int (failed, "seq"));

    test_assert_http_error (closed, 409, "reply_window_closed");
  }
  test_ws_expect_none (world->agent, "delivery", 300);
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 1);
}

/* An agent's upload into @conversation_id: its id. */
static char *
agent_upload (TestWorld  *world,
              const char *conversation_id,
              GBytes     *bytes,
              const char *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s%s%s", conversation_id,
                                           name != NULL ? "&name=" : "", name != NULL ? name : "");
  g_autoptr (TestResponse) posted = test_http_bytes (world->relay, "POST", path, world->token, bytes,
                                                     "application/octet-stream", NULL);

  test_assert_http_status (posted, 201);
  return g_strdup (test_obj_string (test_response_object (posted), "id"));
}

/* Agents' pictures: to Messenger as the Send API's attachment upload (one multipart request
 * with the picture as "filedata"), to WhatsApp uploaded to /{phone-number-id}/media first and
 * then sent as an image message naming the media id, with the words as its caption. A file that
 * is no picture, and a picture with words on Messenger, are refused before anything goes. */
static void
test_agent_pictures (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *messenger_body = messenger_text ("m_in_pic", "Can you show me?");
  g_autofree char *whatsapp_body = whatsapp_text ("wamid.inpic", g_get_real_time () / G_USEC_PER_SEC,
                                                  "And here?");
  g_autoptr (JsonObject) m_message = NULL, w_message = NULL, sent = NULL, refused = NULL;
  g_autoptr (GBytes) text_file = g_bytes_new_static ("order 42\n", 9);
  g_autofree char *m_conversation = NULL, *w_conversation = NULL;
  g_autofree char *picture = NULL, *picture2 = NULL, *picture3 = NULL, *file = NULL;
  g_autofree char *extra = NULL;
  GraphRequest *request;

  connect_messenger (world);
  connect_whatsapp (world);
  post_signed (world, "messenger", messenger_body);
  m_message = expect_sender_message (world, "messenger");
  m_conversation = g_strdup (test_obj_string (m_message, "conversation_id"));

  /* Messenger: one request, the picture in it */
  picture = agent_upload (world, m_conversation, graph->picture, NULL);
  extra = g_strdup_printf (",\"attachment_id\":\"%s\"", picture);
  {
    g_autofree char *client_id = test_client_id ();

    test_ws_sendf (world->agent, "{\"type\":\"message\",\"conversation_id\":\"%s\","
                   "\"client_id\":\"%s\"%s}", m_conversation, client_id, extra);
  }
  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  request = graph_wait (graph, "POST", "/v19.0/me/messages", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " PAGE_TOKEN);
  g_assert_cmpstr (body_string (request, "recipient.id"), ==, PSID);
  g_assert_cmpstr (body_string (request, "messaging_type"), ==, "RESPONSE");
  g_assert_cmpstr (body_string (request, "message.attachment.type"), ==, "image");
  g_assert_false (json_object_has_member (request->body, "confab_upload"));
  g_assert_cmpstr (body_string (request, "filedata.type"), ==, "image/png");
  g_assert_true (test_obj_bool (request->body, "filedata.png"));
  g_assert_cmpint (test_obj_int (request->body, "filedata.size"), >, 0);
  g_clear_pointer (&sent, json_object_unref);

  /* Messenger: words with the picture, and a file that is no picture, go nowhere */
  picture2 = agent_upload (world, m_conversation, graph->picture, NULL);
  file = agent_upload (world, m_conversation, text_file, "order.txt");
  {
    g_autofree char *with_words = g_strdup_printf (",\"attachment_id\":\"%s\"", picture2);
    g_autofree char *with_file = g_strdup_printf (",\"attachment_id\":\"%s\"", file);

    agent_send (world, m_conversation, "Here it is", with_words);
    refused = test_ws_wait_for (world->agent, "error", WAIT_MS);
    g_assert_cmpstr (test_obj_string (refused, "code"), ==, "invalid_value");
    g_assert_nonnull (strstr (test_obj_string (refused, "message"), "without words"));
    g_clear_pointer (&refused, json_object_unref);
    agent_send (world, m_conversation, "The order", with_file);
    refused = test_ws_wait_for (world->agent, "error", WAIT_MS);
    g_assert_cmpstr (test_obj_string (refused, "code"), ==, "invalid_value");
    g_assert_nonnull (strstr (test_obj_string (refused, "message"), "Only pictures"));
    g_clear_pointer (&refused, json_object_unref);
  }
  g_assert_cmpuint (graph_count (graph, "POST", "/messages"), ==, 1);
  g_assert_cmpuint (count_messages (world, m_conversation), ==, 2);

  /* WhatsApp: the media upload, then the image message with its id and the caption */
  post_signed (world, "whatsapp", whatsapp_body);
  /* the Messenger conversation's own events come first (taken on by the agent's reply) */
  w_message = test_ws_wait_for_match (world->agent, "message", "body", "And here?", WAIT_MS);
  w_conversation = g_strdup (test_obj_string (w_message, "conversation_id"));
  picture3 = agent_upload (world, w_conversation, graph->picture, NULL);
  {
    g_autofree char *with_words = g_strdup_printf (",\"attachment_id\":\"%s\"", picture3);

    agent_send (world, w_conversation, "Your parcel", with_words);
  }
  sent = test_ws_wait_for (world->agent, "delivery", WAIT_MS);
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  request = graph_wait (graph, "POST", "/v19.0/" PHONE_ID "/media", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " WA_TOKEN);
  g_assert_cmpstr (body_string (request, "type"), ==, "image/png");
  g_assert_cmpstr (body_string (request, "file.type"), ==, "image/png");
  request = graph_wait (graph, "POST", "/v19.0/" PHONE_ID "/messages", 0);
  g_assert_cmpstr (request->authorization, ==, "Bearer " WA_TOKEN);
  g_assert_cmpstr (body_string (request, "to"), ==, WA_ID);
  g_assert_cmpstr (body_string (request, "type"), ==, "image");
  g_assert_true (g_str_has_prefix (body_string (request, "image.id"), "media-up-"));
  g_assert_cmpstr (body_string (request, "image.caption"), ==, "Your parcel");
  g_assert_false (json_object_has_member (request->body, "confab_upload"));
}

/* Waits until the conversation's second message (the agent's reply) is "sent", over REST. */
static void
wait_reply_sent (TestWorld  *world,
                 const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000LL * test_timeout_multiplier ();

  for (;;)
    {
      g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                     NULL);
      JsonArray *messages = test_obj_array (test_response_object (response), "messages");
      JsonObject *reply = json_array_get_length (messages) > 1
                          ? json_array_get_object_element (messages, 1) : NULL;

      if (reply != NULL && g_strcmp0 (test_obj_string (reply, "delivery.status"), "sent") == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
}

/* A reply the platform could not take yet survives a restart of the relay: the outbox is in the
 * store, and the restarted relay sends it. */
static void
test_outbox_survives_restart (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *body = messenger_text ("m_in_3", "Hello?");
  g_autoptr (JsonObject) message = NULL;
  g_autofree char *conversation_id = NULL;

  connect_messenger (world);
  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (503));
  agent_send (world, conversation_id, "We are on it", NULL);
  graph_wait (graph, "POST", "/me/messages", 0);
  test_relay_stop (world->relay);
  test_relay_start (world->relay);

  graph_wait (graph, "POST", "/me/messages", 1);
  wait_reply_sent (world, conversation_id);
  g_assert_cmpuint (graph_count (graph, "POST", "/me/messages"), ==, 2);
}

/* Two relays on one database: a reply waiting for its retry is sent by one of them, once. */
static void
test_outbox_two_relays (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *config = g_strdup_printf ("[meta]\ngraph-url=%s\n", graph->url);
  g_autofree char *body = messenger_text ("m_in_4", "Two relays?");
  g_autoptr (TestRelay) second = NULL;
  g_autoptr (JsonObject) message = NULL;
  g_autofree char *conversation_id = NULL;

  connect_messenger (world);
  post_signed (world, "messenger", body);
  message = expect_sender_message (world, "messenger");
  conversation_id = g_strdup (test_obj_string (message, "conversation_id"));

  /* the first attempt fails; both relays find the retry due at the same moment, 2 s later
   * (Retry-After), and only one of them may take it */
  g_queue_push_tail (&graph->statuses, GUINT_TO_POINTER (RETRY_AFTER_2));
  agent_send (world, conversation_id, "One of us answers", NULL);
  graph_wait (graph, "POST", "/me/messages", 0);
  second = test_relay_new_full (config, test_relay_data_dir (world->relay));
  test_relay_start (second);

  /* whichever relay sent it stored its state (this agent's socket hears only its own relay's
   * events without [cluster] redis: REST reads the database) */
  wait_reply_sent (world, conversation_id);
  /* long enough for the other relay's turn to have come */
  test_sleep_ms (1500);
  g_assert_cmpuint (graph_count (graph, "POST", "/me/messages"), ==, 2);
}

/* GET /api/v1/conversations/{id}, polled until its assignee is @user_id (NULL: nobody, and
 * queue_position @position). */
static JsonObject *
wait_routed (TestWorld  *world,
             const char *conversation_id,
             const char *user_id,
             gint64      position)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  gint64 deadline = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;

  for (;;)
    {
      g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
      JsonObject *conversation;
      gboolean nobody;

      test_assert_http_status (response, 200);
      conversation = test_response_object (response);
      if (test_obj_has (conversation, "conversation"))
        conversation = test_obj_object (conversation, "conversation");
      nobody = test_obj_is_null (conversation, "assignee");
      if (user_id != NULL ? !nobody && g_strcmp0 (test_obj_string (conversation, "assignee.id"), user_id) == 0
                          : nobody && !test_obj_is_null (conversation, "queue_position") &&
                            test_obj_int (conversation, "queue_position") == position)
        return json_object_ref (conversation);
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: not routed as expected", conversation_id);
      test_sleep_ms (20);
    }
}

/* Issue 18: a conversation that starts in Messenger or WhatsApp is routed as a widget one: to
 * an agent who is free, else into the queue, from which a freed slot takes it. */
static void
test_channels_routed (void)
{
  g_autoptr (Graph) graph = graph_new ();
  g_autoptr (TestWorld) world = meta_world (graph);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *member_path = g_strdup_printf ("/api/v1/sites/%s/members/%s", world->site_id,
                                                  world->user_id);
  g_autofree char *messenger = messenger_text ("m_route_1", "Where is my parcel?");
  g_autofree char *whatsapp = whatsapp_text ("wamid.route1", g_get_real_time () / G_USEC_PER_SEC,
                                             "Hello there");
  g_autoptr (TestResponse) settings = NULL;
  g_autoptr (TestResponse) limit = NULL;
  g_autoptr (JsonObject) message = NULL, second = NULL;
  g_autoptr (JsonObject) routed = NULL, queued = NULL, taken = NULL;
  g_autofree char *messenger_id = NULL;
  g_autofree char *whatsapp_id = NULL;

  connect_messenger (world);
  connect_whatsapp (world);
  settings = test_http (world->relay, "PATCH", site_path, world->token,
                        "{\"settings\":{\"assignment\":\"round_robin\"}}", NULL);
  test_assert_http_status (settings, 200);
  limit = test_http (world->relay, "PATCH", member_path, world->token, "{\"max_chats\":1}", NULL);
  test_assert_http_status (limit, 200);

  /* the owner is online with no chat: the Messenger conversation is theirs */
  post_signed (world, "messenger", messenger);
  message = expect_sender_message (world, "messenger");
  messenger_id = g_strdup (test_obj_string (message, "conversation_id"));
  routed = wait_routed (world, messenger_id, world->user_id, 0);
  g_assert_cmpstr (test_obj_string (routed, "channel"), ==, "messenger");

  /* at their limit: the WhatsApp one waits first in the queue */
  post_signed (world, "whatsapp", whatsapp);
  second = test_ws_wait_for_match (world->agent, "message", "body", "Hello there", WAIT_MS);
  whatsapp_id = g_strdup (test_obj_string (second, "conversation_id"));
  queued = wait_routed (world, whatsapp_id, NULL, 1);
  g_assert_cmpstr (test_obj_string (queued, "channel"), ==, "whatsapp");

  /* the Messenger one resolved: the slot takes the head */
  test_ws_sendf (world->agent, "{\"type\":\"set_status\",\"conversation_id\":\"%s\",\"status\":\"resolved\"}",
                 messenger_id);
  taken = wait_routed (world, whatsapp_id, world->user_id, 0);
  g_assert_true (test_obj_is_null (taken, "queue_position"));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);
  test_harness_add ("/relay/meta/settings-and-handshake", test_settings_and_handshake);
  test_harness_add ("/relay/meta/signatures-and-replay", test_signatures_and_replay);
  test_harness_add ("/relay/meta/messenger-reply", test_messenger_reply);
  test_harness_add ("/relay/meta/messenger-faq-bot", test_messenger_faq_bot);
  test_harness_add ("/relay/meta/messenger-image", test_messenger_image);
  test_harness_add ("/relay/meta/disabled", test_disabled);
  test_harness_add ("/relay/meta/whatsapp-text-and-image", test_whatsapp_text_and_image);
  test_harness_add ("/relay/meta/whatsapp-window", test_whatsapp_window);
  test_harness_add ("/relay/meta/platform-errors-and-receipts", test_platform_errors_and_receipts);
  test_harness_add ("/relay/meta/retry-failed-message", test_retry_failed_message);
  test_harness_add ("/relay/meta/retry-window-closed", test_retry_window_closed);
  test_harness_add ("/relay/meta/agent-pictures", test_agent_pictures);
  test_harness_add ("/relay/meta/outbox-survives-restart", test_outbox_survives_restart);
  test_harness_add ("/relay/meta/outbox-two-relays", test_outbox_two_relays);
  test_harness_add ("/relay/meta/channels-routed", test_channels_routed);
  return g_test_run ();
}
