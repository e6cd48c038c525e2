/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-limits.c: rate limits, timeouts and slow or vanished peers.
 *
 * The clients that misbehave here (stall mid-request, never read, never answer pings) are raw
 * sockets (relay-raw.c); well-behaved ones are the harness's libsoup clients, and they must keep
 * working throughout.
 */

#include "relay-harness.h"
#include "relay-raw.h"
#include "relay-clock.h"

#include <glib/gstdio.h>
#include <string.h>

static void
assert_alive (TestWs *ws)
{
  g_autoptr(JsonObject) pong = NULL;

  g_assert_true (test_ws_is_open (ws));
  test_ws_unignore (ws, "pong");
  test_ws_send (ws, "{\"type\":\"ping\"}");
  pong = test_ws_wait_for (ws, "pong", TEST_TIMEOUT_MS);
  test_ws_ignore (ws, "pong", NULL);
}

/* retry_after is a number of seconds, integer or not. */
static double
retry_after_of (JsonObject *error)
{
  JsonNode *node = test_obj_lookup (error, "retry_after");
  g_autofree char *text = test_obj_to_string (error);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    g_error ("no numeric retry_after in %s", text);

  return json_node_get_double (node);
}

static char *
send_message (TestWs     *ws,
              const char *body)
{
  char *client_id = test_client_id ();

  test_ws_sendf (ws, "{'type':'message','client_id':'%s','body':'%s'}", client_id, body);
  return client_id;
}

static guint
count_messages (TestWorld  *world,
                const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages?limit=500",
                                           conversation_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                NULL);

  test_assert_http_status (response, 200);
  return json_array_get_length (test_obj_array (test_response_object (response), "messages"));
}

/* A second agent of the world's site: returns its token, @out_user_id its id. */
static char *
add_agent (TestWorld  *world,
           const char *email,
           char      **out_user_id)
{
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, "agent password 1",
                                                       "Agent Two");
  g_autofree char *err = NULL;
  int status;

  status = test_relay_admin (world->relay, NULL, &err, "add-member",
                             "--data-dir", test_relay_data_dir (world->relay),
                             "--site", world->site_id, "--email", email, "--role", "agent", NULL);
  if (status != 0)
    g_error ("admin add-member failed: %s", err);

  if (out_user_id != NULL)
    *out_user_id = g_strdup (test_obj_string (user, "id"));
  return test_relay_login (world->relay, email, "agent password 1");
}

/* --- rate limits --- */

static void
test_messages_per_minute (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nmessages-per-minute=5\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *client_id = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  double retry_after;

  for (guint i = 0; i < 5; i++)
    test_visitor_say (world->visitor, "within the limit", &conversation_id);

  client_id = send_message (world->visitor, "one too many");
  error = test_ws_expect_error (world->visitor, "rate_limited", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  retry_after = retry_after_of (error);
  g_assert_cmpfloat (retry_after, >, 0);
  g_assert_cmpfloat (retry_after, <=, 60);

  /* Refused means not stored, not acked, not fanned out. */
  test_ws_expect_none (world->visitor, "ack", TEST_QUIET_MS);
  g_assert_cmpuint (count_messages (world, conversation_id), ==, 5);

  /* The connection is still fine, and the limit is per connection. */
  assert_alive (world->visitor);
  second = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (second, world->visitor_id, world->visitor_token,
                                "https://a.test/2");
  g_assert_cmpint (test_visitor_say (second, "from another tab", NULL), ==, 6);
}

static void
test_messages_per_minute_per_ip (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nmessages-per-minute=100\n"
                                               "messages-per-minute-per-ip=6\n",
                                               TEST_WORLD_NO_AGENT);
  g_autoptr(TestWs) other = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/other");
  g_autofree char *client_id = NULL;
  g_autoptr(JsonObject) error = NULL;

  /* Two visitors, one address, 6 messages between them. */
  for (guint i = 0; i < 3; i++)
    {
      test_visitor_say (world->visitor, "first visitor", NULL);
      test_visitor_say (other, "second visitor", NULL);
    }

  client_id = send_message (other, "seventh from this address");
  error = test_ws_expect_error (other, "rate_limited", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  g_assert_cmpfloat (retry_after_of (error), >, 0);
  g_clear_pointer (&error, json_object_unref);
  g_clear_pointer (&client_id, g_free);

  client_id = send_message (world->visitor, "the first one is limited too");
  error = test_ws_expect_error (world->visitor, "rate_limited", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);

  assert_alive (world->visitor);
  assert_alive (other);
}

static void
test_typing_per_second (void)
{
  g_autoptr(TestClock) clock = test_clock_new ();
  g_autoptr(TestWorld) world = test_world_new_on_clock (clock, "[limits]\ntyping-per-second=3\n",
                                                        TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) error = NULL;
  gboolean later = FALSE;
  guint previews = 0;

  test_visitor_say (world->visitor, "typing next", &conversation_id);

  for (guint i = 0; i < 20; i++)
    test_ws_sendf (world->visitor, "{'type':'typing','preview':'typing %u'}", i);

  error = test_ws_expect_error (world->visitor, "rate_limited", TEST_TIMEOUT_MS);
  g_assert_cmpfloat (retry_after_of (error), >, 0);
  g_assert_cmpfloat (retry_after_of (error), <=, 1);

  /* the pong: the relay has handled all 20 (none of them gets in once the clock moves on) */
  assert_alive (world->visitor);

  /* After a second, typing goes through again; messages were never limited. The previews of
   * the burst reach the agent before this one (a throttled one still waiting is replaced). */
  test_clock_advance (clock, world->relay, 1100);
  test_ws_sendf (world->visitor, "{'type':'typing','preview':'later'}");
  while (!later)
    {
      g_autoptr(JsonObject) frame = test_ws_next (world->agent, TEST_TIMEOUT_MS);
      JsonNode *node;

      g_assert_nonnull (frame);
      if (g_strcmp0 (test_obj_string (frame, "type"), "typing_preview") != 0)
        continue;
      node = test_obj_lookup (frame, "text");
      later = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
              g_strcmp0 (json_node_get_string (node), "later") == 0;
      if (!later)
        previews++;
    }
  g_test_message ("%u previews reached the agent", previews);
  g_assert_cmpuint (previews, <=, 4);
  test_visitor_say (world->visitor, "still talking", NULL);
  assert_alive (world->visitor);
}

static TestResponse *
login (TestRelay  *relay,
       const char *email,
       const char *password,
       const char *forwarded_for)
{
  g_autofree char *body = test_json ("{'email':'%s','password':'%s'}", email, password);

  if (forwarded_for != NULL)
    return test_http (relay, "POST", "/api/v1/auth/login", NULL, body,
                      "X-Forwarded-For", forwarded_for, NULL);
  return test_http (relay, "POST", "/api/v1/auth/login", NULL, body, NULL);
}

static void
assert_429 (TestResponse *response)
{
  const char *retry_after;

  test_assert_http_error (response, 429, "rate_limited");
  retry_after = test_response_header (response, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), >, 0);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), <=, 60);
}

static void
test_logins_per_ip (void)
{
  g_autoptr(TestRelay) relay = test_relay_new ("[limits]\nlogins-per-minute-per-ip=3\n");
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(TestResponse) limited = NULL;
  g_autoptr(TestResponse) right = NULL;
  g_autoptr(TestResponse) health = NULL;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "ada@example.org", "the right password", NULL);

  /* Different accounts, one address. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *email = g_strdup_printf ("nobody%u@example.org", i);
      g_autoptr(TestResponse) response = login (relay, email, "guess", NULL);
      test_assert_http_error (response, 401, "invalid_credentials");
    }

  limited = login (relay, "someone@example.org", "guess", NULL);
  assert_429 (limited);
  right = login (relay, "ada@example.org", "the right password", NULL);
  assert_429 (right);

  /* Only logins are limited. */
  health = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (health, 200);
}

/* Five wrong passwords from a stranger must not lock the owner out: the account is limited
 * per account *and* address, so the stranger's address is slowed down and the owner's is not. */
static void
test_logins_per_account (void)
{
  g_autoptr(TestRelay) relay = test_relay_new ("[relay]\ntrusted-proxies=127.0.0.1;::1\n"
                                               "[limits]\nlogins-per-minute-per-account=3\n"
                                               "logins-per-minute-per-ip=100\n");
  g_autoptr(JsonObject) eve = NULL;
  g_autoptr(JsonObject) ada = NULL;
  g_autoptr(TestResponse) limited = NULL;
  g_autoptr(TestResponse) upper = NULL;
  g_autoptr(TestResponse) owner = NULL;
  g_autoptr(TestResponse) other = NULL;

  test_relay_start (relay);
  eve = test_relay_create_user (relay, "eve@example.org", "the right one", NULL);
  ada = test_relay_create_user (relay, "ada@example.org", "analytical engine", NULL);

  /* A stranger guesses from one address (behind a trusted proxy). */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestResponse) response = login (relay, "eve@example.org", "guess", "203.0.113.10");
      test_assert_http_error (response, 401, "invalid_credentials");
    }

  /* That address is limited for this account, even with the right password... */
  limited = login (relay, "eve@example.org", "the right one", "203.0.113.10");
  assert_429 (limited);
  /* ...and the same account spelt differently is the same account. */
  upper = login (relay, "EVE@Example.org", "the right one", "203.0.113.10");
  assert_429 (upper);

  /* The owner, from their own address, still gets in. */
  owner = login (relay, "eve@example.org", "the right one", "198.51.100.7");
  test_assert_http_status (owner, 200);

  /* Another account from the stranger's address is untouched. */
  other = login (relay, "ada@example.org", "analytical engine", "203.0.113.10");
  test_assert_http_status (other, 200);
}

/* --- slow requests --- */

static void
test_request_timeout (void)
{
  g_autoptr(TestRelay) relay = test_relay_new ("[http]\nrequest-timeout=2\n");
  g_autoptr(RawConn) silent = NULL;
  g_autoptr(RawConn) half_line = NULL;
  g_autoptr(RawConn) half_headers = NULL;
  g_autoptr(RawConn) dripping = NULL;
  static const char partial_headers[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  gint64 start;
  guint elapsed = 0;
  guint drip = 0;

  test_relay_start (relay);

  start = g_get_monotonic_time ();
  silent = raw_connect (relay, 0);
  half_line = raw_connect (relay, 0);
  half_headers = raw_connect (relay, 0);
  dripping = raw_connect (relay, 0);
  g_assert_true (raw_send (half_line, "GET /heal", 9));
  g_assert_true (raw_send (half_headers, partial_headers, strlen (partial_headers)));

  /* Meanwhile everyone else is served, and a slowloris drips one byte every 300 ms. */
  while (g_get_monotonic_time () - start < 1500 * G_TIME_SPAN_MILLISECOND)
    {
      g_autoptr(TestResponse) health = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);
      test_assert_http_status (health, 200);
      g_assert_true (raw_send (dripping, &partial_headers[drip++ % 16], 1));
      test_sleep_ms (300);
    }

  g_assert_true (raw_wait_disconnected (silent, 3500, &elapsed));
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("silent client dropped after %u ms", elapsed);
  g_assert_cmpuint (elapsed, >=, 1500);
  g_assert_cmpuint (elapsed, <=, 4500);

  g_assert_true (raw_wait_disconnected (half_line, 500, NULL));
  g_assert_true (raw_wait_disconnected (half_headers, 500, NULL));

  /* The drip keeps coming; the request still has only 2 s in all. */
  for (;;)
    {
      gsize n;
      guint8 byte;
      RawResult result;

      elapsed = (g_get_monotonic_time () - start) / 1000;
      if (elapsed > 6000)
        g_error ("a client dripping one header byte every 300 ms was still connected after "
                 "%u ms with request-timeout=2", elapsed);
      result = raw_recv (dripping, &byte, 1, &n, 300);
      if (result == RAW_EOF || result == RAW_ERROR)
        break;
      g_assert_cmpint (result, ==, RAW_TIMEOUT);
      if (!raw_send (dripping, &partial_headers[drip++ % 16], 1))
        break;
    }
  g_test_message ("dripping client dropped after %u ms", elapsed);
  g_assert_cmpuint (elapsed, <=, 4500);

  {
    g_autoptr(TestResponse) health = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);
    test_assert_http_status (health, 200);
  }
}

/* --- peers that vanish without a word --- */

static void
test_half_open_agent (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nkeepalive-interval=1\n"
                                               "idle-timeout=3\n", TEST_WORLD_DEFAULT);
  g_autofree char *user_id = NULL;
  g_autofree char *token = add_agent (world, "two@a.test", &user_id);
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 0);
  g_autoptr(JsonObject) online = NULL;
  g_autoptr(JsonObject) offline = NULL;
  gint64 start;
  guint elapsed;

  test_ws_ignore (world->agent, "agents_online", NULL);
  g_assert_cmpuint (raw_ws_handshake (raw, "/ws/agent", auth), ==, 101);
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"subscribe\",\"after_cursor\":0}"));
  start = g_get_monotonic_time ();

  online = test_ws_wait_for_match (world->agent, "presence", "agent_id", user_id,
                                   TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (online, "status"), ==, "online");

  /* From now on the raw agent neither reads nor answers pings. */
  offline = test_ws_wait_for_match (world->agent, "presence", "agent_id", user_id, 9000);
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("half-open agent dropped after %u ms", elapsed);
  g_assert_cmpstr (test_obj_string (offline, "status"), ==, "offline");
  g_assert_cmpuint (elapsed, >=, 2000);
  g_assert_true (raw_wait_disconnected (raw, 2000, NULL));

  /* The libsoup agent answers pings: past the idle timeout it is still here. */
  g_assert_cmpuint (elapsed, >=, 2000);
  test_sleep_ms (MAX (0, 5500 - (int) elapsed));
  assert_alive (world->agent);
  assert_alive (world->visitor);
}

static void
test_half_open_visitor (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nkeepalive-interval=1\n"
                                               "idle-timeout=3\n", TEST_WORLD_DEFAULT);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", world->site_key);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 0);
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) arrival = NULL;
  g_autofree char *visitor_id = NULL;
  gint64 start;
  guint elapsed;
  gboolean gone = FALSE;

  g_assert_cmpuint (raw_ws_handshake (raw, path, NULL), ==, 101);
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"hello\",\"visitor_id\":null,"
                                   "\"visitor_token\":null,\"page\":{\"url\":\"https://a.test/\","
                                   "\"title\":\"t\",\"referrer\":\"\"},\"locale\":\"en\","
                                   "\"timezone\":\"UTC\"}"));
  welcome = raw_ws_wait_type (raw, "welcome", TEST_TIMEOUT_MS);
  g_assert_nonnull (welcome);
  visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  start = g_get_monotonic_time ();

  arrival = test_ws_wait_for_match (world->agent, "visitor", "visitor.id", visitor_id,
                                    TEST_TIMEOUT_MS);
  g_assert_true (test_obj_bool (arrival, "visitor.online"));

  /* Silent from now on: its departure must be announced. */
  while (!gone)
    {
      g_autoptr(JsonObject) event = test_ws_find_match (world->agent, "visitor", "visitor.id",
                                                        visitor_id, 9000);

      if (event == NULL)
        g_error ("agents were never told that a half-open visitor left");
      gone = !test_obj_bool (event, "visitor.online");
    }
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("half-open visitor dropped after %u ms", elapsed);
  g_assert_cmpuint (elapsed, >=, 2000);
  g_assert_true (raw_wait_disconnected (raw, 2000, NULL));

  /* The libsoup visitor (it answers pings) is still connected past the idle timeout. */
  test_sleep_ms (MAX (0, 5500 - (int) elapsed));
  assert_alive (world->visitor);
  test_visitor_say (world->visitor, "still here", NULL);
}

/* --- a peer that stops reading --- */

#define SLOW_MESSAGES    3400
#define SLOW_BODY_CHARS  3000
#define SLOW_WINDOW      10

static void
test_slow_consumer (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nsend-queue-bytes=65536\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *user_id = NULL;
  g_autofree char *token = add_agent (world, "slow@a.test", &user_id);
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 4096);
  g_autofree char *body = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) again = NULL;
  g_autofree char *err = NULL;
  guint agent_messages = 0;
  guint backlog_messages = 0;
  guint64 rss_before;
  guint64 rss_peak;
  gint64 seq = 0;
  int pid;

  test_ws_ignore (world->agent, "typing_preview", "presence", "agents_online", "visitor",
                  "conversation", NULL);
  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);

  pid = raw_relay_pid (world->relay);
  g_assert_cmpint (pid, >, 0);

  g_assert_cmpuint (raw_ws_handshake (raw, "/ws/agent", auth), ==, 101);
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"subscribe\",\"after_cursor\":0}"));
  test_sleep_ms (200);

  /* ...and from now on it reads nothing. */
  {
    GString *text = g_string_new (NULL);
    for (guint i = 0; i < SLOW_BODY_CHARS; i++)
      g_string_append_c (text, 'a' + i % 26);
    body = g_string_free (text, FALSE);
  }
  test_visitor_say (world->visitor, "first", &conversation_id);
  seq = 1;
  rss_before = raw_rss_kib (pid);
  rss_peak = rss_before;

  for (guint sent = 0; sent < SLOW_MESSAGES; sent += SLOW_WINDOW)
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < SLOW_WINDOW; i++)
        g_ptr_array_add (ids, send_message (world->visitor, body));
      for (guint i = 0; i < SLOW_WINDOW; i++)
        {
          g_autoptr(JsonObject) ack = test_ws_wait_for_match (world->visitor, "ack", "client_id",
                                                              g_ptr_array_index (ids, i),
                                                              TEST_TIMEOUT_MS);
          g_assert_cmpint (test_obj_int (ack, "seq"), ==, ++seq);
        }

      /* The visitor's echoes and the normal agent's copies all arrive. */
      {
        g_autoptr(GPtrArray) echoes = test_ws_drain (world->visitor, 0);
        g_autoptr(GPtrArray) copies = NULL;

        while (agent_messages < sent + SLOW_WINDOW + 1)
          {
            g_autoptr(JsonObject) frame = test_ws_wait_for (world->agent, "message",
                                                            TEST_TIMEOUT_MS);
            g_assert_cmpint (test_obj_int (frame, "seq"), ==, ++agent_messages);
          }
        copies = test_ws_drain (world->agent, 0);
        (void) echoes;
      }

      rss_peak = MAX (rss_peak, raw_rss_kib (pid));
    }

  g_test_message ("relay RSS %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT
                  " KiB peak, after %u messages of %u characters", rss_before, rss_peak,
                  SLOW_MESSAGES, SLOW_BODY_CHARS);
  g_assert_cmpuint (rss_peak - rss_before, <, 20 * 1024);

  /* The slow one was cut off: what it finally reads ends with close code 4008 (slow consumer), then EOF. */
  g_assert_cmpuint (raw_ws_wait_close (raw, 8000), ==, 4008);
  g_assert_true (raw_wait_disconnected (raw, 8000, NULL));
  err = test_relay_get_stderr (world->relay);
  g_assert_nonnull (strstr (err, "stopped reading"));

  /* Everyone else is fine. */
  assert_alive (world->agent);
  assert_alive (world->visitor);

  /* It comes back and resumes: everything is there. */
  again = test_ws_agent (world->relay, token);
  test_ws_set_name (again, "slow agent, again");
  test_agent_subscribe (again, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "message") == 0 &&
          g_strcmp0 (test_obj_string (frame, "conversation_id"), conversation_id) == 0)
        g_assert_cmpint (test_obj_int (frame, "seq"), ==, ++backlog_messages);
    }
  g_assert_cmpuint (backlog_messages, ==, SLOW_MESSAGES + 1);
}

/* --- a peer that pings and never reads (issue 8, item 2) --- */

/* Whether @pid runs with AddressSanitizer: its quarantine keeps freed memory resident (up to
 * 256 MB), so RSS says nothing about what the relay holds on to. */
static gboolean
relay_has_asan (int pid)
{
  g_autofree char *maps_path = g_strdup_printf ("/proc/%d/maps", pid);
  g_autofree char *exe_path = g_strdup_printf ("/proc/%d/exe", pid);
  g_autofree char *maps = NULL;
  g_autofree char *exe = NULL;
  gsize exe_len = 0;

  /* gcc links the runtime as libasan.so; clang links it in */
  if (g_file_get_contents (maps_path, &maps, NULL, NULL) && strstr (maps, "libasan") != NULL)
    return TRUE;
  if (!g_file_get_contents (exe_path, &exe, &exe_len, NULL))
    return FALSE;
  for (gsize i = 0; i + strlen ("__asan_init") <= exe_len; i++)
    if (memcmp (exe + i, "__asan_init", strlen ("__asan_init")) == 0)
      return TRUE;
  return FALSE;
}

#define PING_FLOOD_BYTES   (48 * 1024 * 1024)
#define PING_BATCH         512
#define PING_PAYLOAD       125  /* the largest a control frame may carry */

static void
test_ping_flood (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nsend-queue-bytes=65536\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", world->site_key);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 4096);
  g_autoptr(GByteArray) batch = g_byte_array_new ();
  g_autofree char *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  guint64 rss_before, rss_peak, sent = 0;
  gboolean cut_off = FALSE;
  int pid = raw_relay_pid (world->relay);

  g_assert_cmpint (pid, >, 0);
  g_assert_cmpuint (raw_ws_handshake (raw, path, NULL), ==, 101);

  /* protocol-level pings, masked (with a zero key, which RFC 6455 allows) and batched so that
   * the relay gets them as fast as it reads */
  for (guint i = 0; i < PING_BATCH; i++)
    {
      static const guint8 head[] = { 0x89, 0x80 | PING_PAYLOAD, 0, 0, 0, 0 };
      guint8 payload[PING_PAYLOAD];

      memset (payload, 'p', sizeof payload);
      g_byte_array_append (batch, head, sizeof head);
      g_byte_array_append (batch, payload, sizeof payload);
    }

  rss_before = rss_peak = raw_rss_kib (pid);
  while (sent < PING_FLOOD_BYTES && g_get_monotonic_time () < deadline)
    {
      if (!raw_send (raw, batch->data, batch->len))
        {
          cut_off = TRUE;
          break;
        }
      sent += batch->len;
      if (sent % (64 * batch->len) == 0)
        rss_peak = MAX (rss_peak, raw_rss_kib (pid));
    }
  rss_peak = MAX (rss_peak, raw_rss_kib (pid));
  g_test_message ("ping flood: %" G_GUINT64_FORMAT " KiB of pings sent (%s), relay RSS %"
                  G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB peak",
                  sent / 1024, cut_off ? "then cut off" : "never cut off", rss_before, rss_peak);

  /* Before every frame counted, each pong waited in the queue: tens of MB for this flood. */
  if (relay_has_asan (pid))
    g_test_message ("the relay runs with AddressSanitizer: its RSS is no measure here");
  else
    g_assert_cmpuint (rss_peak - rss_before, <, 16 * 1024);

  /* The connection ends: its close frame says 4008 if it gets to read it, and it is gone. */
  if (!cut_off)
    {
      gushort code = raw_ws_wait_close (raw, 8000);

      g_assert_true (code == 4008 || code == 0);
    }
  g_assert_true (raw_wait_disconnected (raw, 8000, NULL));
  err = test_relay_get_stderr (world->relay);
  g_assert_nonnull (strstr (err, "stopped reading"));

  /* Everyone else is served. */
  assert_alive (world->agent);
  assert_alive (world->visitor);
  test_visitor_say (world->visitor, "after the flood", NULL);
}

/* --- floods of visitor frames (issue 8, item 4) --- */

/* The limits as the relay ships them (the harness raises them for other tests). */
#define VISITOR_LIMITS \
  "[limits]\nframes-per-second=20\nframes-per-second-per-ip=200\n" \
  "hellos-per-minute-per-ip=120\npage-views-per-minute=30\npage-views-per-minute-per-ip=120\n" \
  "[visitors]\nupdate-interval-ms=1000\n"

#define FLOOD_MS         4000
#define FLOOD_TABS       3
#define FLOOD_PER_TURN   4     /* page views per tab every 20 ms: 200 a second each */
#define FLOOD_PAD_CHARS  1900

/* confab.db and its write-ahead log, together */
static guint64
store_bytes (TestWorld *world)
{
  static const char * const names[] = { "confab.db", "confab.db-wal" };
  guint64 total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (test_relay_data_dir (world->relay), names[i], NULL);
      GStatBuf st;

      if (g_stat (path, &st) == 0)
        total += st.st_size;
    }
  return total;
}

/* Takes what @ws has queued: the number of rate_limited errors; other errors fail the test. */
static guint
count_refusals (TestWs *ws)
{
  g_autoptr(GPtrArray) frames = test_ws_drain (ws, 0);
  guint refusals = 0;

  for (guint i = 0; i < frames->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (frames, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "error") != 0)
        continue;
      g_assert_cmpstr (test_obj_string (frame, "code"), ==, "rate_limited");
      g_assert_cmpfloat (retry_after_of (frame), >=, 1);
      refusals++;
    }
  return refusals;
}

/* The refusals among what the relay has answered @ws, up to its answer to a ping sent now: all
 * the frames before it are handled then. The answer is a pong, or the ping's own refusal (the
 * frames' bucket may be empty too), which names the ping and is not counted. */
static guint
settle_refusals (TestWs *ws)
{
  g_autofree char *ref = test_client_id ();
  guint refusals = 0;
  gboolean answered = FALSE;

  test_ws_unignore (ws, "pong");
  test_ws_sendf (ws, "{'type':'ping','client_id':'%s'}", ref);
  while (!answered)
    {
      g_autoptr(JsonObject) frame = test_ws_next (ws, TEST_TIMEOUT_MS);
      JsonNode *node;

      g_assert_nonnull (frame);
      if (g_strcmp0 (test_obj_string (frame, "type"), "pong") == 0)
        answered = TRUE;
      if (g_strcmp0 (test_obj_string (frame, "type"), "error") != 0)
        continue;
      g_assert_cmpstr (test_obj_string (frame, "code"), ==, "rate_limited");
      node = test_obj_lookup (frame, "ref");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          g_strcmp0 (json_node_get_string (node), ref) == 0)
        answered = TRUE;
      else
        {
          g_assert_cmpfloat (retry_after_of (frame), >=, 1);
          refusals++;
        }
    }
  test_ws_ignore (ws, "pong", NULL);
  return refusals;
}

/* The "visitor" events of @visitor_id among what @agent has queued; the last one's page URL
 * into @out_url. */
static guint
count_visitor_events (TestWs      *agent,
                      const char  *visitor_id,
                      char       **out_url)
{
  g_autoptr(GPtrArray) frames = test_ws_drain (agent, 0);
  guint events = 0;

  for (guint i = 0; i < frames->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (frames, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "visitor") != 0 ||
          g_strcmp0 (test_obj_string (frame, "visitor.id"), visitor_id) != 0)
        continue;
      events++;
      if (out_url != NULL)
        {
          g_free (*out_url);
          *out_url = g_strdup (test_obj_string (frame, "visitor.page.url"));
        }
    }
  return events;
}

static void
test_page_view_flood (void)
{
  g_autoptr(TestClock) clock = test_clock_new ();
  g_autoptr(TestWorld) world = test_world_new_on_clock (clock, VISITOR_LIMITS
                                                        "[limits]\nrate-limited-before-close=1000000\n",
                                                        TEST_WORLD_DEFAULT);
  g_autoptr(GPtrArray) own = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  TestWs *tabs[FLOOD_TABS];
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) late = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *pad = g_strnfill (FLOOD_PAD_CHARS, 'x');
  g_autofree char *last_url = NULL;
  g_autofree char *path = NULL;
  JsonArray *journey;
  guint64 before, after;
  guint sent = 0, refusals = 0, events = 0, replayed = 0;
  gint64 start, counted;

  test_ws_ignore (world->agent, "presence", "agents_online", "conversation", NULL);

  /* the world's visitor and two more tabs of theirs, all from 127.0.0.1 */
  tabs[0] = world->visitor;
  for (guint i = 1; i < FLOOD_TABS; i++)
    {
      tabs[i] = test_ws_widget (world->relay, world->site_key);
      g_ptr_array_add (own, tabs[i]);
      json_object_unref (test_visitor_hello (tabs[i], world->visitor_id, world->visitor_token,
                                             "https://a.test/"));
    }
  for (guint i = 0; i < FLOOD_TABS; i++)
    test_ws_ignore (tabs[i], "agents_online", "visitor", NULL);
  /* the tabs' arrival may still be on its way (one update an interval): the updates are
   * counted from here, and so is the time they are bounded by */
  count_visitor_events (world->agent, world->visitor_id, NULL);
  counted = g_get_monotonic_time ();

  before = store_bytes (world);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < FLOOD_MS * 1000)
    {
      for (guint i = 0; i < FLOOD_TABS; i++)
        {
          for (guint j = 0; j < FLOOD_PER_TURN; j++, sent++)
            test_ws_sendf (tabs[i], "{'type':'page_view','url':'https://a.test/flood/%u/%s',"
                           "'title':'Flood %u %s'}", sent, pad, sent, pad + FLOOD_PAD_CHARS - 400);
        }
      test_sleep_ms (20);
      for (guint i = 0; i < FLOOD_TABS; i++)
        refusals += count_refusals (tabs[i]);
      events += count_visitor_events (world->agent, world->visitor_id, NULL);
    }

  /* what is still in flight: each tab's pong comes after the answers to all its frames */
  for (guint i = 0; i < FLOOD_TABS; i++)
    refusals += settle_refusals (tabs[i]);
  events += count_visitor_events (world->agent, world->visitor_id, NULL);

  /* The connections stay open (the limit answers each frame); one more page, once the
   * visitor's budget has refilled a little, is where agents see them (at the end of the
   * current interval at the latest, after the last coalesced update). */
  test_clock_advance (clock, world->relay, 3100);
  test_ws_send (world->visitor, "{\"type\":\"page_view\",\"url\":\"https://a.test/final\","
                "\"title\":\"Final\"}");
  while (g_strcmp0 (last_url, "https://a.test/final") != 0)
    {
      g_autoptr(JsonObject) event = test_ws_wait_for_match (world->agent, "visitor", "visitor.id",
                                                            world->visitor_id, TEST_TIMEOUT_MS);

      events++;
      g_free (last_url);
      last_url = g_strdup (test_obj_string (event, "visitor.page.url"));
    }
  g_assert_cmpuint (settle_refusals (world->visitor), ==, 0);
  events += count_visitor_events (world->agent, world->visitor_id, &last_url);
  counted = (g_get_monotonic_time () - counted) / 1000;
  after = store_bytes (world);

  g_test_message ("page-view flood: %u frames of %u bytes in %u ms from %u tabs: %u refused; "
                  "agent got %u visitor updates; store %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                  " bytes", sent, 2 * FLOOD_PAD_CHARS, FLOOD_MS, FLOOD_TABS, refusals, events,
                  before, after);
  for (guint i = 0; i < FLOOD_TABS; i++)
    g_assert_true (test_ws_is_open (tabs[i]));

  /* Refused as error frames: at most 30 a minute per tab and 120 per address get in. */
  g_assert_cmpuint (refusals, >=, sent - 150);
  /* One update a second at most (of real time: the interval's timer), the latest always: here
   * the final page. */
  g_test_message ("%u visitor updates in %" G_GINT64_FORMAT " ms", events, counted);
  g_assert_cmpuint (events, <=, counted / 1000 + 3);
  g_assert_cmpstr (last_url, ==, "https://a.test/final");
  /* Before: every page view stored the whole visitor (10 pages of journey) once more, 35 MB
   * here. Now the rows of the page views that got in, and the write-ahead log, which grows
   * to its checkpoint (1000 pages, 4 MB) with any traffic. */
  g_assert_cmpuint (after - before, <, 6 * 1024 * 1024);

  /* The journey is right, and it ends on the final page. */
  path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  journey = test_obj_array (test_response_object (response), "journey");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (journey,
                                                                   json_array_get_length (journey) - 1),
                                    "url"), ==, "https://a.test/final");

  /* An agent arriving now replays the visitor once, as they are now. */
  late = test_ws_agent (world->relay, world->token);
  test_ws_set_name (late, "late agent");
  test_agent_subscribe (late, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "visitor") == 0 &&
          g_strcmp0 (test_obj_string (frame, "visitor.id"), world->visitor_id) == 0)
        {
          replayed++;
          g_assert_cmpstr (test_obj_string (frame, "visitor.page.url"), ==, "https://a.test/final");
        }
    }
  g_test_message ("a new agent replayed %u events, %u of them the flooding visitor", backlog->len,
                  replayed);
  g_assert_cmpuint (replayed, ==, 1);
  g_assert_cmpuint (backlog->len, <=, 5);
}

/* A client that sends on into the refusals is closed (1008), and others are not. */
static void
test_refusals_close (void)
{
  g_autoptr(TestWorld) world = test_world_new (VISITOR_LIMITS
                                               "[limits]\nrate-limited-before-close=10\n",
                                               TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) other = test_ws_widget (world->relay, world->site_key);

  json_object_unref (test_visitor_hello (other, NULL, NULL, "https://a.test/other"));
  test_ws_ignore (world->visitor, "agents_online", NULL);
  for (guint i = 0; i < 100; i++)
    test_ws_send (world->visitor, "{\"type\":\"page_view\",\"url\":\"https://a.test/x\"}");
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==, 1008);
  test_visitor_say (other, "still served", NULL);
}

#define RATINGS  20

/* rate is stored and told to every agent like a message: it takes message tokens, and each
 * rating replaces the conversation's earlier one in the log too. */
static void
test_rating_flood (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nmessages-per-minute=5\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) late = NULL;
  gint64 last_score = 0;
  guint rated = 0, refused = 0, replayed = 0;

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_visitor_say (world->visitor, "how was I?", &conversation_id);
  for (guint i = 0; i < RATINGS; i++)
    test_ws_sendf (world->visitor, "{'type':'rate','score':%u,'comment':'take %u'}", 1 + i % 5, i);

  while (rated + refused < RATINGS)
    {
      g_autoptr(JsonObject) frame = test_ws_next (world->visitor, TEST_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (g_strcmp0 (test_obj_string (frame, "type"), "rated") == 0)
        {
          rated++;
          last_score = test_obj_int (frame, "score");
        }
      else
        {
          g_assert_cmpstr (test_obj_string (frame, "type"), ==, "error");
          g_assert_cmpstr (test_obj_string (frame, "code"), ==, "rate_limited");
          refused++;
        }
    }
  g_test_message ("%u ratings: %u stored, %u refused", RATINGS, rated, refused);
  /* five a minute, one of them taken by the message */
  g_assert_cmpuint (rated, <=, 5);
  g_assert_cmpuint (rated, >=, 1);

  late = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (late, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "rating") != 0)
        continue;
      replayed++;
      g_assert_cmpstr (test_obj_string (frame, "conversation_id"), ==, conversation_id);
      g_assert_cmpint (test_obj_int (frame, "score"), ==, last_score);
    }
  g_assert_cmpuint (replayed, ==, 1);
}

#define HELLO_FLOOD_MS        3000
#define HELLO_FLOOD_ATTEMPTS  250

static void
test_hello_flood (void)
{
  g_autoptr(TestWorld) world = test_world_new (VISITOR_LIMITS
                                               "[limits]\nhellos-per-minute-per-ip=30\n",
                                               TEST_WORLD_DEFAULT);
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) late = NULL;
  g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 before, after;
  guint attempts = 0, welcomed = 0, refused = 0, events = 0, replayed = 0;
  gint64 start;

  test_ws_ignore (world->agent, "presence", "agents_online", "conversation", NULL);
  before = store_bytes (world);

  /* one address, a new connection and a new visitor each time */
  start = g_get_monotonic_time ();
  while (attempts < HELLO_FLOOD_ATTEMPTS && g_get_monotonic_time () - start < HELLO_FLOOD_MS * 1000)
    {
      g_autoptr(TestWs) ws = test_ws_widget (world->relay, world->site_key);
      g_autoptr(JsonObject) answer = NULL;

      test_ws_ignore (ws, "agents_online", NULL);
      test_ws_send (ws, "{\"type\":\"hello\",\"visitor_id\":null,\"visitor_token\":null,"
                    "\"page\":{\"url\":\"https://a.test/hello-flood\",\"title\":\"t\"}}");
      answer = test_ws_next (ws, TEST_TIMEOUT_MS);
      g_assert_nonnull (answer);
      attempts++;
      if (g_strcmp0 (test_obj_string (answer, "type"), "welcome") == 0)
        {
          welcomed++;
          g_hash_table_add (present, g_strdup (test_obj_string (answer, "visitor_id")));
        }
      else
        {
          g_assert_cmpstr (test_obj_string (answer, "type"), ==, "error");
          g_assert_cmpstr (test_obj_string (answer, "code"), ==, "rate_limited");
          refused++;
        }
    }

  /* Every visitor that got in has left again: the agent hears of each departure (at the end of
   * its update interval at the latest), and counts every visitor event but the world's
   * visitor's (whose arrival may still be on its way) until then. */
  while (g_hash_table_size (present) > 0)
    {
      g_autoptr(JsonObject) frame = test_ws_next (world->agent, TEST_TIMEOUT_MS);

      if (frame == NULL)
        g_error ("%u visitors of the hello flood never left", g_hash_table_size (present));
      if (g_strcmp0 (test_obj_string (frame, "type"), "visitor") != 0 ||
          g_strcmp0 (test_obj_string (frame, "visitor.id"), world->visitor_id) == 0)
        continue;
      events++;
      if (!test_obj_bool (frame, "visitor.online"))
        g_hash_table_remove (present, test_obj_string (frame, "visitor.id"));
    }
  /* and none after the departures: what the relay sends the agent after this ping comes later */
  assert_alive (world->agent);
  {
    g_autoptr(GPtrArray) frames = test_ws_drain (world->agent, 0);

    for (guint i = 0; i < frames->len; i++)
      if (g_strcmp0 (test_obj_string (g_ptr_array_index (frames, i), "type"), "visitor") == 0 &&
          g_strcmp0 (test_obj_string (g_ptr_array_index (frames, i), "visitor.id"),
                     world->visitor_id) != 0)
        events++;
  }
  after = store_bytes (world);
  g_test_message ("hello flood: %u hellos in %u ms, %u welcomed, %u refused; agent got %u visitor "
                  "updates; store %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " bytes",
                  attempts, HELLO_FLOOD_MS, welcomed, refused, events, before, after);

  /* 30 a minute from one address (the bucket's 30, and what refills while the flood goes on) */
  g_assert_cmpuint (welcomed, <=, 34);
  g_assert_cmpuint (refused, >=, attempts - 34);
  g_assert_cmpuint (refused, >, 0);
  /* an arrival and a departure per visitor that got in */
  g_assert_cmpuint (events, <=, 2 * welcomed);
  /* the write-ahead log grows to its checkpoint (1000 pages, 4 MB) with any traffic */
  g_assert_cmpuint (after - before, <, 6 * 1024 * 1024);

  /* the world's visitor is still served */
  test_visitor_say (world->visitor, "after the hello flood", NULL);

  /* a new agent replays each visitor once at most */
  late = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (late, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    if (g_strcmp0 (test_obj_string (g_ptr_array_index (backlog, i), "type"), "visitor") == 0)
      replayed++;
  g_assert_cmpuint (replayed, <=, welcomed + 1);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/limits/messages-per-minute", test_messages_per_minute);
  test_harness_add ("/relay/limits/messages-per-minute-per-ip", test_messages_per_minute_per_ip);
  test_harness_add ("/relay/limits/typing-per-second", test_typing_per_second);
  test_harness_add ("/relay/limits/logins-per-ip", test_logins_per_ip);
  test_harness_add ("/relay/limits/logins-per-account", test_logins_per_account);
  test_harness_add ("/relay/limits/request-timeout", test_request_timeout);
  test_harness_add ("/relay/limits/half-open-agent", test_half_open_agent);
  test_harness_add ("/relay/limits/half-open-visitor", test_half_open_visitor);
  test_harness_add ("/relay/limits/slow-consumer", test_slow_consumer);
  test_harness_add ("/relay/limits/ping-flood", test_ping_flood);
  test_harness_add ("/relay/limits/page-view-flood", test_page_view_flood);
  test_harness_add ("/relay/limits/refusals-close", test_refusals_close);
  test_harness_add ("/relay/limits/hello-flood", test_hello_flood);
  test_harness_add ("/relay/limits/rating-flood", test_rating_flood);

  return g_test_run ();
}
