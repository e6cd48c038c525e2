/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-webhooks.c: a site's outgoing webhooks (issue 15) against a real relay and a real
 * receiver — a SoupServer in this process on 127.0.0.1:0, which checks every signature as a
 * receiver would ([webhooks] allow-private=true lets the relay reach it). Each event fires once;
 * a 500 is retried and then delivered; a receiver that keeps failing gets the delivery marked
 * failed when the (shortened) schedule ends; a pending retry survives a restart; loopback,
 * private, link-local and unique-local URLs are refused when private addresses are not allowed,
 * on creation and on delivery. */

#include "relay-harness.h"
#include "relay-clock.h"

#include <string.h>

/* A retry a minute later: only the relay's test clock (relay-clock.h) brings it within a test. */
#define MINUTE_RETRIES "[webhooks]\nallow-private=true\nretry-initial-seconds=60\n"

typedef struct {
  char     *event;
  char     *delivery;
  char     *body;
  gboolean  signature_ok;
} Received;

typedef struct {
  SoupServer *server;
  char       *url;
  char       *secret;       /* set once the webhook is made */
  GPtrArray  *received;     /* Received* */
  guint       fail_first;   /* answer 500 to this many requests */
  guint       status_after; /* then this */
  gboolean    redirect;     /* answer 302 to /elsewhere instead */
  gboolean    hang;         /* never answer */
  guint       delay_ms;     /* answer this late */
  guint       elsewhere;    /* requests that followed a redirect */
} Receiver;

static void
received_free (Received *received)
{
  g_free (received->event);
  g_free (received->delivery);
  g_free (received->body);
  g_free (received);
}

/* What a receiver does (docs/http-api.md "Verifying a delivery"): HMAC-SHA256 with the secret
 * of "t.BODY" over the raw bytes, compared with v1, and a timestamp close to now. */
static gboolean
signature_valid (const char *secret,
                 const char *header,
                 GBytes     *body)
{
  g_auto (GStrv) parts = header != NULL ? g_strsplit (header, ",", -1) : NULL;
  const char *t = NULL, *v1 = NULL;
  g_autoptr (GHmac) hmac = NULL;
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (body, &size);
  gint64 timestamp;

  if (secret == NULL || parts == NULL)
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (g_str_has_prefix (parts[i], "t="))
        t = parts[i] + 2;
      else if (g_str_has_prefix (parts[i], "v1="))
        v1 = parts[i] + 3;
    }
  if (t == NULL || v1 == NULL)
    return FALSE;
  timestamp = g_ascii_strtoll (t, NULL, 10);
  if (ABS (g_get_real_time () / G_USEC_PER_SEC - timestamp) > 300)
    return FALSE;

  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) t, strlen (t));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, data, size);
  return g_strcmp0 (g_hmac_get_string (hmac), v1) == 0;
}

static gboolean
unpause_later (gpointer user_data)
{
  soup_server_message_unpause (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Receiver *receiver = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  Received *received = g_new0 (Received, 1);
  guint status;

  received->event = g_strdup (soup_message_headers_get_one (headers, "X-Confab-Event"));
  received->delivery = g_strdup (soup_message_headers_get_one (headers, "X-Confab-Delivery"));
  received->body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  received->signature_ok = signature_valid (receiver->secret,
                                            soup_message_headers_get_one (headers, "X-Confab-Signature"),
                                            body);
  g_ptr_array_add (receiver->received, received);

  if (receiver->delay_ms > 0)
    {
      soup_server_message_set_status (msg, receiver->status_after, NULL);
      soup_server_message_pause (msg);
      g_timeout_add_full (G_PRIORITY_DEFAULT, receiver->delay_ms, unpause_later, g_object_ref (msg),
                          g_object_unref);
      return;
    }
  if (receiver->hang)
    {
      /* the relay's deadline ends it; the server's disconnect at the end frees it */
      soup_server_message_pause (msg);
      return;
    }
  if (receiver->redirect)
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/elsewhere");
      return;
    }

  status = receiver->received->len <= receiver->fail_first ? 500 : receiver->status_after;
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static void
on_elsewhere (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Receiver *receiver = user_data;

  receiver->elsewhere++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static Receiver *
receiver_new (guint fail_first,
              guint status_after)
{
  Receiver *receiver = g_new0 (Receiver, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  receiver->server = soup_server_new (NULL, NULL);
  receiver->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_free);
  receiver->fail_first = fail_first;
  receiver->status_after = status_after;
  soup_server_add_handler (receiver->server, "/hook", on_request, receiver, NULL);
  soup_server_add_handler (receiver->server, "/elsewhere", on_elsewhere, receiver, NULL);
  g_assert_true (soup_server_listen_local (receiver->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (receiver->server);
  receiver->url = g_strdup_printf ("http://127.0.0.1:%d/hook", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return receiver;
}

static void
receiver_free (Receiver *receiver)
{
  soup_server_disconnect (receiver->server);
  g_object_unref (receiver->server);
  g_ptr_array_unref (receiver->received);
  g_free (receiver->url);
  g_free (receiver->secret);
  g_free (receiver);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Receiver, receiver_free)

/* Waits until the receiver has @count requests; fails the test after @timeout_ms. */
static void
receiver_wait (Receiver *receiver,
               guint     count,
               guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * test_timeout_multiplier () * 1000;

  while (receiver->received->len < count && g_get_monotonic_time () < deadline)
    test_sleep_ms (50);
  if (receiver->received->len < count)
    g_error ("the receiver got %u requests, not %u", receiver->received->len, count);
}

/* Makes a webhook to @url for @events_json ('…' quoted); returns its id, keeps the secret. */
static char *
create_webhook (TestWorld  *world,
                Receiver   *receiver,
                const char *events_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
  g_autofree char *events = g_strdelimit (g_strdup (events_json), "'", '"');
  g_autofree char *body = test_json ("{'url':'%s','events':%s}", receiver->url, events);
  g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);
  JsonObject *object;

  test_assert_http_status (response, 201);
  object = test_response_object (response);
  g_assert_true (g_str_has_prefix (test_obj_string (object, "secret"), "whsec_"));
  g_assert_true (test_obj_bool (object, "enabled"));
  receiver->secret = g_strdup (test_obj_string (object, "secret"));
  return g_strdup (test_obj_string (object, "id"));
}

/* The webhook's deliveries, newest first. */
static JsonArray *
deliveries (TestWorld    *world,
            const char   *webhook_id,
            TestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/webhooks/%s/deliveries", webhook_id);

  *out_response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (*out_response, 200);
  return test_obj_array (test_response_object (*out_response), "deliveries");
}

/* Waits until the newest delivery has @status after at least @min_attempts attempts. */
static JsonObject *
wait_delivery_attempts (TestWorld  *world,
                        const char *webhook_id,
                        const char *status,
                        gint64      min_attempts,
                        guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * test_timeout_multiplier () * 1000;

  for (;;)
    {
      g_autoptr (TestResponse) response = NULL;
      JsonArray *list = deliveries (world, webhook_id, &response);
      JsonObject *newest = json_array_get_length (list) > 0 ? json_array_get_object_element (list, 0) : NULL;

      if (newest != NULL && g_strcmp0 (test_obj_string (newest, "status"), status) == 0 &&
          test_obj_int (newest, "attempts") >= min_attempts)
        return json_object_ref (newest);
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *text = test_response_text (response);
          g_error ("no delivery became %s: %s", status, text);
        }
      test_sleep_ms (100);
    }
}

/* Waits until the webhook has @count deliveries, all delivered: then no relay sends any of them
 * again. */
static void
wait_all_delivered (TestWorld  *world,
                    const char *webhook_id,
                    guint       count,
                    guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * test_timeout_multiplier () * 1000;

  for (;;)
    {
      g_autoptr (TestResponse) response = NULL;
      JsonArray *list = deliveries (world, webhook_id, &response);
      guint delivered = 0;

      for (guint i = 0; i < json_array_get_length (list); i++)
        if (g_strcmp0 (test_obj_string (json_array_get_object_element (list, i), "status"),
                       "delivered") == 0)
          delivered++;
      g_assert_cmpuint (json_array_get_length (list), <=, count);
      if (delivered == count)
        return;
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *text = test_response_text (response);
          g_error ("not all %u deliveries were delivered: %s", count, text);
        }
      test_sleep_ms (100);
    }
}

/* Waits until the newest delivery has @status. */
static JsonObject *
wait_delivery_status (TestWorld  *world,
                      const char *webhook_id,
                      const char *status,
                      guint       timeout_ms)
{
  return wait_delivery_attempts (world, webhook_id, status, 0, timeout_ms);
}

static void
test_events (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\n", TEST_WORLD_DEFAULT);
  g_autoptr (Receiver) receiver = receiver_new (0, 200);
  g_autofree char *webhook_id = NULL, *conversation_id = NULL, *list_path = NULL, *listed_text = NULL;
  g_autoptr (TestResponse) listed = NULL, log = NULL;
  g_autoptr (JsonObject) resolved = NULL;
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *list;

  test_ws_ignore (world->visitor, "agents_online", "typing", "conversation", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "typing", "message", "timeline", NULL);
  webhook_id = create_webhook (world, receiver,
                               "['conversation.created','conversation.resolved','message.created','rating.created']");

  /* the secret is never shown again */
  list_path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
  listed = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
  test_assert_http_status (listed, 200);
  listed_text = test_response_text (listed);
  g_assert_null (strstr (listed_text, receiver->secret));
  g_assert_null (strstr (listed_text, "secret"));

  /* a conversation, two messages, a rating, a resolution */
  test_visitor_say (world->visitor, "My order did not arrive", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Let me check");
  test_ws_sendf (world->visitor, "{'type':'rate','score':5,'comment':'Thanks'}");
  test_ws_unignore (world->agent, "conversation");
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  resolved = test_ws_wait_for_match (world->agent, "conversation", "conversation.status", "resolved",
                                     TEST_TIMEOUT_MS);

  receiver_wait (receiver, 5, 10000);
  /* and nothing more: each event once (all five answered and recorded: none is sent again) */
  wait_all_delivered (world, webhook_id, 5, 5000);
  g_assert_cmpuint (receiver->received->len, ==, 5);

  for (guint i = 0; i < receiver->received->len; i++)
    {
      Received *received = g_ptr_array_index (receiver->received, i);
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *body;

      g_assert_true (received->signature_ok);
      g_assert_true (json_parser_load_from_data (parser, received->body, -1, NULL));
      body = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpstr (test_obj_string (body, "event"), ==, received->event);
      g_assert_cmpstr (test_obj_string (body, "id"), ==, received->delivery);
      g_assert_cmpstr (test_obj_string (body, "site_id"), ==, world->site_id);
      g_hash_table_insert (counts, received->event,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, received->event)) + 1));

      if (strcmp (received->event, "message.created") == 0)
        {
          g_assert_cmpstr (test_obj_string (body, "data.conversation_id"), ==, conversation_id);
          g_assert_true (test_obj_has (body, "data.message.body"));
        }
      else if (strcmp (received->event, "rating.created") == 0)
        g_assert_cmpint (test_obj_int (body, "data.rating.score"), ==, 5);
      else
        g_assert_cmpstr (test_obj_string (body, "data.conversation.id"), ==, conversation_id);
      if (strcmp (received->event, "conversation.resolved") == 0)
        g_assert_cmpstr (test_obj_string (body, "data.conversation.status"), ==, "resolved");
    }
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "conversation.created")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "message.created")), ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "rating.created")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "conversation.resolved")), ==, 1);

  /* the log: five delivered, once each */
  list = deliveries (world, webhook_id, &log);
  g_assert_cmpuint (json_array_get_length (list), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      JsonObject *delivery = json_array_get_object_element (list, i);

      g_assert_cmpstr (test_obj_string (delivery, "status"), ==, "delivered");
      g_assert_cmpint (test_obj_int (delivery, "attempts"), ==, 1);
      g_assert_cmpint (test_obj_int (delivery, "response_status"), ==, 200);
      g_assert_true (test_obj_is_null (delivery, "next_attempt_at"));
      g_assert_true (test_obj_has (delivery, "delivered_at"));
    }

  /* disabled: nothing more is sent */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/webhooks/%s", webhook_id);
    g_autofree char *body = test_json ("{'enabled':false}");
    g_autoptr (TestResponse) patched = test_http (world->relay, "PATCH", path, world->token, body, NULL);

    test_assert_http_status (patched, 200);
    g_assert_false (test_obj_bool (test_response_object (patched), "enabled"));
    /* acknowledged once stored: a delivery would have been made with the message, and none
     * was, so there is nothing to send */
    test_visitor_say (world->visitor, "Hello again", NULL);
    {
      g_autoptr (TestResponse) again = NULL;

      g_assert_cmpuint (json_array_get_length (deliveries (world, webhook_id, &again)), ==, 5);
    }
    g_assert_cmpuint (receiver->received->len, ==, 5);
  }
}

/* A 500, then a 200: delivered at the second attempt, the same delivery id both times. */
static void
test_retry_then_delivered (void)
{
  g_autoptr (TestClock) clock = test_clock_new ();
  g_autoptr (TestWorld) world = test_world_new_on_clock (clock, MINUTE_RETRIES, TEST_WORLD_NO_AGENT);
  g_autoptr (Receiver) receiver = receiver_new (1, 204);
  g_autofree char *webhook_id = create_webhook (world, receiver, "['message.created']");
  g_autoptr (JsonObject) delivered = NULL, pending = NULL;
  Received *first, *second;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Anyone?", NULL);
  pending = wait_delivery_attempts (world, webhook_id, "pending", 1, 5000);
  g_assert_cmpint (test_obj_int (pending, "attempts"), ==, 1);
  g_assert_cmpuint (receiver->received->len, ==, 1);
  /* the retry's minute, on the relay's clock */
  test_clock_advance (clock, world->relay, 60 * 1000);
  receiver_wait (receiver, 2, 10000);
  delivered = wait_delivery_status (world, webhook_id, "delivered", 5000);
  g_assert_cmpint (test_obj_int (delivered, "attempts"), ==, 2);
  g_assert_cmpint (test_obj_int (delivered, "response_status"), ==, 204);
  first = g_ptr_array_index (receiver->received, 0);
  second = g_ptr_array_index (receiver->received, 1);
  g_assert_cmpstr (first->delivery, ==, second->delivery);
  g_assert_cmpstr (first->body, ==, second->body);
  g_assert_true (first->signature_ok && second->signature_ok);
}

/* A receiver that always fails: retried (1 min, 2 min, …) until retry-for-seconds, then failed.
 * Time moves on by the relay's test clock: the schedule is long enough that the real time the
 * attempts take, even on a loaded machine, changes nothing. */
static void
test_gives_up (void)
{
  g_autoptr (TestClock) clock = test_clock_new ();
  g_autoptr (TestWorld) world = test_world_new_on_clock (clock, "[webhooks]\nallow-private=true\n"
                                                         "retry-initial-seconds=60\n"
                                                         "retry-max-seconds=120\n"
                                                         "retry-for-seconds=240\n",
                                                         TEST_WORLD_NO_AGENT);
  g_autoptr (Receiver) receiver = receiver_new (G_MAXUINT, 500);
  g_autofree char *webhook_id = create_webhook (world, receiver, "['message.created']");
  g_autoptr (JsonObject) failed = NULL;
  guint attempts;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Hello?", NULL);
  /* at 0, 1 and 3 min on the relay's clock, the next (5 min) past 4 min */
  {
    g_autoptr (JsonObject) first = wait_delivery_attempts (world, webhook_id, "pending", 1, 5000);
    g_autoptr (JsonObject) second = NULL;

    test_clock_advance (clock, world->relay, 60 * 1000);
    g_assert_cmpint (test_obj_int (first, "attempts"), ==, 1);
    second = wait_delivery_attempts (world, webhook_id, "pending", 2, 5000);
    g_assert_cmpint (test_obj_int (second, "attempts"), ==, 2);
    test_clock_advance (clock, world->relay, 120 * 1000);
  }
  failed = wait_delivery_status (world, webhook_id, "failed", 5000);
  attempts = test_obj_int (failed, "attempts");
  g_assert_cmpuint (attempts, ==, 3);
  g_assert_cmpuint (receiver->received->len, ==, attempts);
  g_assert_cmpint (test_obj_int (failed, "response_status"), ==, 500);
  g_assert_cmpstr (test_obj_string (failed, "error"), ==, "HTTP 500");
  g_assert_true (test_obj_is_null (failed, "next_attempt_at"));
  g_assert_true (test_obj_is_null (failed, "delivered_at"));
  /* failed for good: recorded after the last answer, with no next attempt */
  g_assert_cmpuint (receiver->received->len, ==, attempts);
}

/* The schedule is stored: a delivery waiting for its retry is sent by the next run. */
static void
test_survives_restart (void)
{
  g_autoptr (TestClock) clock = test_clock_new ();
  g_autoptr (TestWorld) world = test_world_new_on_clock (clock, MINUTE_RETRIES, TEST_WORLD_NO_AGENT);
  g_autoptr (Receiver) receiver = receiver_new (1, 200);
  g_autofree char *webhook_id = create_webhook (world, receiver, "['message.created']");
  g_autoptr (JsonObject) pending = NULL, delivered = NULL;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Before the restart", NULL);
  receiver_wait (receiver, 1, 10000);
  /* the answer reaches the relay a moment after the receiver sent it */
  pending = wait_delivery_attempts (world, webhook_id, "pending", 1, 5000);
  g_assert_cmpint (test_obj_int (pending, "attempts"), ==, 1);
  g_assert_true (test_obj_has (pending, "next_attempt_at"));

  /* down while the retry comes due */
  test_relay_stop (world->relay);
  test_clock_advance (clock, world->relay, 60 * 1000);
  test_relay_start_on_clock (world->relay, clock);
  delivered = wait_delivery_status (world, webhook_id, "delivered", 10000);
  g_assert_cmpint (test_obj_int (delivered, "attempts"), ==, 2);
  g_assert_cmpuint (receiver->received->len, ==, 2);
}

/* A redirect is not followed, a receiver that does not answer is given up on at the deadline:
 * each a failed attempt (one only, with this schedule), the relay unharmed. */
static void
test_redirect_and_timeout (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\ntimeout-seconds=1\n"
                                                "retry-initial-seconds=1\nretry-for-seconds=1\n",
                                                TEST_WORLD_NO_AGENT);
  g_autoptr (Receiver) redirecting = receiver_new (0, 200);
  g_autoptr (Receiver) hanging = receiver_new (0, 200);
  g_autofree char *redirect_id = NULL, *hang_id = NULL;
  g_autoptr (JsonObject) redirected = NULL, timed_out = NULL;
  gint64 started;

  redirecting->redirect = TRUE;
  hanging->hang = TRUE;
  redirect_id = create_webhook (world, redirecting, "['message.created']");
  hang_id = create_webhook (world, hanging, "['message.created']");
  test_ws_ignore (world->visitor, "agents_online", NULL);
  started = g_get_monotonic_time ();
  test_visitor_say (world->visitor, "Hello", NULL);

  redirected = wait_delivery_status (world, redirect_id, "failed", 10000);
  g_assert_cmpint (test_obj_int (redirected, "response_status"), ==, 302);
  g_assert_cmpstr (test_obj_string (redirected, "error"), ==, "HTTP 302: redirects are not followed");
  g_assert_cmpuint (redirecting->elsewhere, ==, 0);
  g_assert_cmpuint (redirecting->received->len, ==, 1);

  timed_out = wait_delivery_status (world, hang_id, "failed", 10000);
  g_assert_cmpstr (test_obj_string (timed_out, "error"), ==, "No answer within 1 s");
  g_assert_true (test_obj_is_null (timed_out, "response_status"));
  g_assert_cmpuint (hanging->received->len, ==, 1);
  /* the deadline, not a long wait */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 8 * G_USEC_PER_SEC * test_timeout_multiplier ());
}

/* Two relays on one database: each delivery is sent once, by whichever takes it first, even
 * while the receiver takes its time answering. */
static void
test_two_relays (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\n", TEST_WORLD_NO_AGENT);
  g_autoptr (TestRelay) second = NULL;
  g_autoptr (Receiver) receiver = receiver_new (0, 200);
  g_autofree char *webhook_id = create_webhook (world, receiver, "['message.created']");
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  receiver->delay_ms = 1500;
  second = test_relay_new_full ("[webhooks]\nallow-private=true\n", test_relay_data_dir (world->relay));
  test_relay_start (second);

  test_ws_ignore (world->visitor, "agents_online", NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("Message %u", i);
      test_visitor_say (world->visitor, body, NULL);
    }
  receiver_wait (receiver, 3, 10000);
  /* all three answered and recorded: no relay sends them again, and a second attempt started
   * while the first waited for its answer would have reached the receiver by then */
  wait_all_delivered (world, webhook_id, 3, 10000);
  for (guint i = 0; i < receiver->received->len; i++)
    g_hash_table_add (ids, ((Received *) g_ptr_array_index (receiver->received, i))->delivery);
  g_assert_cmpuint (g_hash_table_size (ids), ==, 3);
  g_assert_cmpuint (receiver->received->len, ==, 3);
  {
    g_autoptr (JsonObject) last = wait_delivery_status (world, webhook_id, "delivered", 5000);
    g_assert_cmpint (test_obj_int (last, "attempts"), ==, 1);
  }
}

static void
test_ssrf (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\n", TEST_WORLD_NO_AGENT);
  g_autoptr (Receiver) receiver = receiver_new (0, 200);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
  g_autofree char *webhook_id = NULL, *conversation_id = NULL, *messages_path = NULL;
  g_autoptr (JsonObject) refused = NULL;
  const char *urls[] = {
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/hook", "http://10.0.0.5/hook",
    "http://172.16.9.1/hook", "http://192.168.1.1/hook", "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://224.0.0.1/hook",
    "http://[::1]/hook", "http://[fd00::1]/hook", "http://[fe80::1]/hook", "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://[::ffff:10.1.2.3]/hook", "http://[64:ff9b::a00:1]/hook",
    "http://localhost/hook",
  };
  const char *not_urls[] = { "ftp://example.com/hook", "example.com/hook", "http:///hook", "javascript:alert(1)" };

  /* made while private addresses are allowed, for the delivery check below */
  webhook_id = create_webhook (world, receiver, "['message.created']");
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "First", &conversation_id);
  receiver_wait (receiver, 1, 10000);

  test_relay_stop (world->relay);
  test_relay_set_extra_config (world->relay, "[webhooks]\nallow-private=false\n");
  test_relay_start (world->relay);

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *body = test_json ("{'url':'%s','events':['message.created']}", urls[i]);
      g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

      if (response->status != 400)
        g_printerr ("%s: %u\n", urls[i], response->status);
      test_assert_http_error (response, 400, "invalid_value");
    }
  for (guint i = 0; i < G_N_ELEMENTS (not_urls); i++)
    {
      g_autofree char *body = test_json ("{'url':'%s','events':['message.created']}", not_urls[i]);
      g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

      test_assert_http_error (response, 400, "invalid_value");
    }
  {
    /* a change to such a URL too */
    g_autofree char *webhook_path = g_strdup_printf ("/api/v1/webhooks/%s", webhook_id);
    g_autofree char *body = test_json ("{'url':'http://10.9.8.7/x'}");
    g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", webhook_path, world->token, body, NULL);
    g_autoptr (TestResponse) listed = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_error (response, 400, "invalid_value");
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (listed), "webhooks")), ==, 1);
  }

  /* the webhook made before now points at a refused address: its next delivery fails at once,
   * unsent */
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  {
    g_autofree char *body = test_json ("{'body':'After the restart'}");
    g_autoptr (TestResponse) posted = test_http (world->relay, "POST", messages_path, world->token, body, NULL);

    test_assert_http_status (posted, 201);
  }
  refused = wait_delivery_status (world, webhook_id, "failed", 10000);
  g_assert_cmpint (test_obj_int (refused, "attempts"), ==, 1);
  g_assert_nonnull (strstr (test_obj_string (refused, "error"), "127.0.0.1"));
  g_assert_true (test_obj_is_null (refused, "response_status"));
  g_assert_cmpuint (receiver->received->len, ==, 1);
}

/* DNS rebinding: a name that is public when the relay checks it and loopback when it connects
 * (CONFAB_TEST_REBIND, test builds) gets nothing — the address the connection reached is
 * checked too. */
static void
test_rebinding (void)
{
  g_autoptr (Receiver) receiver = receiver_new (0, 200);
  g_autoptr (GUri) uri = g_uri_parse (receiver->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (JsonObject) refused = NULL;
  g_autofree char *webhook_id = NULL, *conversation_id = NULL;

  /* the test's own child process: the relay it starts inherits it */
  g_setenv ("CONFAB_TEST_REBIND", "rebind.confab.test=93.184.216.34", TRUE);
  world = test_world_new ("[webhooks]\nallow-private=false\n", TEST_WORLD_NO_AGENT);
  g_free (receiver->url);
  receiver->url = g_strdup_printf ("http://rebind.confab.test:%d/hook", g_uri_get_port (uri));
  /* public when checked: taken */
  webhook_id = create_webhook (world, receiver, "['message.created']");

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Rebound", &conversation_id);
  refused = wait_delivery_status (world, webhook_id, "failed", 10000);
  g_assert_cmpint (test_obj_int (refused, "attempts"), ==, 1);
  g_assert_nonnull (strstr (test_obj_string (refused, "error"), "Refused"));
  g_assert_cmpuint (receiver->received->len, ==, 0);
  g_unsetenv ("CONFAB_TEST_REBIND");
}

static void
test_bad_requests (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\n", TEST_WORLD_NO_AGENT);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
  const char *bad[] = {
    "{'url':'http://127.0.0.1:9/x','events':['message.deleted']}",
    "{'url':'http://127.0.0.1:9/x','events':[]}",
    "{'url':'http://127.0.0.1:9/x','events':['message.created','message.created']}",
    "{'url':'http://127.0.0.1:9/x'}",
    "{'events':['message.created']}",
    "{'url':'http://127.0.0.1:9/x','events':['message.created'],'secret':'mine'}",
    "{'url':'http://127.0.0.1:9/x','events':['message.created'],'enabled':'yes'}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *body = test_json ("%s", bad[i]);
      g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

      g_assert_cmpuint (response->status, ==, 400);
      g_assert_nonnull (test_response_error_code (response));
    }
  {
    g_autoptr (TestResponse) listed = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (listed), "webhooks")), ==, 0);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/webhooks/events", test_events);
  test_harness_add ("/relay/webhooks/retry-then-delivered", test_retry_then_delivered);
  test_harness_add ("/relay/webhooks/gives-up", test_gives_up);
  test_harness_add ("/relay/webhooks/survives-restart", test_survives_restart);
  test_harness_add ("/relay/webhooks/redirect-and-timeout", test_redirect_and_timeout);
  test_harness_add ("/relay/webhooks/two-relays", test_two_relays);
  test_harness_add ("/relay/webhooks/ssrf", test_ssrf);
  test_harness_add ("/relay/webhooks/rebinding", test_rebinding);
  test_harness_add ("/relay/webhooks/bad-requests", test_bad_requests);

  return g_test_run ();
}
