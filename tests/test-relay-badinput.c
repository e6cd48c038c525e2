/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-badinput.c: what the relay does with bad frames, bad requests and foreign origins.
 *
 * Every bad input must get a clear error (an error frame, or an HTTP error body with the right
 * status), the connection must stay usable when the contract says so, and nothing stored may be
 * lost or polluted by it.
 */

#include "relay-harness.h"
#include "relay-raw.h"

#include <string.h>

/* Proves that @ws still works: a ping gets its pong. */
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

/* Sends @text and asserts the error frame @code comes back, with a null ref. */
static void
assert_bad_frame (TestWs     *ws,
                  const char *text,
                  const char *code)
{
  g_autoptr(JsonObject) error = NULL;

  test_ws_send (ws, text);
  error = test_ws_expect_error (ws, code, TEST_TIMEOUT_MS);
  g_assert_nonnull (test_obj_string (error, "message"));
  g_assert_true (test_obj_lookup (error, "ref") != NULL);
}

/* Sends a message frame with @fields (JSON members without braces, ' for ") and asserts the
 * error @code; the ref must be the client_id when the frame had a usable one. */
static void
assert_bad_message (TestWs     *ws,
                    const char *client_id,
                    const char *fields,
                    const char *code)
{
  g_autofree char *quoted = g_strdelimit (g_strdup (fields), "'", '"');
  g_autofree char *text = g_strdup_printf ("{\"type\":\"message\",%s}", quoted);
  g_autoptr(JsonObject) error = NULL;

  test_ws_send (ws, text);
  error = test_ws_expect_error (ws, code, TEST_TIMEOUT_MS);
  if (client_id != NULL)
    g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
}

static JsonArray *
get_messages (TestRelay    *relay,
              const char   *token,
              const char   *conversation_id,
              TestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages?limit=500",
                                           conversation_id);
  TestResponse *response = test_http (relay, "GET", path, token, NULL, NULL);

  test_assert_http_status (response, 200);
  *out_response = response;
  return test_obj_array (test_response_object (response), "messages");
}

static char *
repeat (const char *unit,
        guint       times)
{
  GString *text = g_string_sized_new (strlen (unit) * times);

  for (guint i = 0; i < times; i++)
    g_string_append (text, unit);
  return g_string_free (text, FALSE);
}

/* --- WebSocket frames --- */

static void
test_ws_invalid_json (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);

  assert_bad_frame (world->visitor, "{not json", "invalid_json");
  assert_bad_frame (world->visitor, "", "invalid_json");
  assert_bad_frame (world->visitor, "{\"type\":\"ping\"", "invalid_json");
  assert_bad_frame (world->visitor, "{\"type\":\"ping\"} trailing", "invalid_json");

  /* The connection stays open and fully usable. */
  assert_alive (world->visitor);
  g_assert_cmpint (test_visitor_say (world->visitor, "still here", NULL), ==, 1);
}

static void
test_ws_too_deep (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *open33 = repeat ("[", 33);
  g_autofree char *close33 = repeat ("]", 33);
  g_autofree char *open32 = repeat ("[", 31);
  g_autofree char *close32 = repeat ("]", 31);
  g_autofree char *deep33 = g_strdup_printf ("{\"type\":\"ping\",\"x\":%s%s}", open33, close33);
  g_autofree char *deep32 = g_strdup_printf ("{\"type\":\"ping\",\"x\":%s%s}", open32, close32);
  g_autofree char *open30k = repeat ("[", 30000);
  g_autofree char *close30k = repeat ("]", 30000);
  g_autofree char *balanced30k = g_strconcat (open30k, close30k, NULL);
  /* The json-glib 1.6 crash guard: deep enough to overflow a recursive parser's stack, small
   * enough to fit in one frame. */
  g_autofree char *open60k = repeat ("[", 60000);

  assert_bad_frame (world->visitor, deep33, "too_deep");
  assert_bad_frame (world->visitor, balanced30k, "too_deep");
  assert_bad_frame (world->visitor, open60k, "too_deep");

  /* 32 levels (the object and 31 arrays) are fine: a ping with an extra member. */
  test_ws_unignore (world->visitor, "pong");
  test_ws_send (world->visitor, deep32);
  {
    g_autoptr(JsonObject) pong = test_ws_expect (world->visitor, "pong", TEST_TIMEOUT_MS);
  }
  test_ws_ignore (world->visitor, "pong", NULL);

  assert_alive (world->visitor);
  g_assert_cmpint (test_visitor_say (world->visitor, "after the deep ones", NULL), ==, 1);
}

static void
test_ws_oversized_deep (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *open1m = repeat ("[", 1000000);
  g_autoptr(TestWs) next = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  gushort code;

  /* Over max-frame-bytes: closed (with 1009, unless the reset overtakes the close frame, see
   * /relay/badinput/ws/frame-size) before any parsing. */
  test_ws_send (world->visitor, open1m);
  code = test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS);
  g_test_message ("closed with %u", code);
  g_assert_true (code == 1009 || code == 0);

  next = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (next, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpint (test_visitor_say (next, "the relay survived", NULL), ==, 1);
}

static void
test_ws_not_an_object (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);

  assert_bad_frame (world->visitor, "[1,2,3]", "not_an_object");
  assert_bad_frame (world->visitor, "\"message\"", "not_an_object");
  assert_bad_frame (world->visitor, "42", "not_an_object");
  assert_bad_frame (world->visitor, "null", "not_an_object");
  assert_alive (world->visitor);
}

static void
test_ws_type_field (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);

  assert_bad_frame (world->visitor, "{\"body\":\"no type\"}", "missing_field");
  assert_bad_frame (world->visitor, "{\"type\":null}", "missing_field");
  assert_bad_frame (world->visitor, "{\"type\":5}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"teleport\"}", "unknown_type");
  /* Agent-only frames are not visitor frames. */
  assert_bad_frame (world->visitor, "{\"type\":\"subscribe\",\"after_cursor\":0}", "unknown_type");
  assert_alive (world->visitor);

  /* Same on the agent socket. */
  assert_bad_frame (world->agent, "{not json", "invalid_json");
  assert_bad_frame (world->agent, "[]", "not_an_object");
  assert_bad_frame (world->agent, "{}", "missing_field");
  assert_bad_frame (world->agent, "{\"type\":\"teleport\"}", "unknown_type");
  assert_bad_frame (world->agent, "{\"type\":\"hello\",\"visitor_id\":null}", "unknown_type");
  assert_bad_frame (world->agent, "{\"type\":\"presence\",\"status\":5}", "invalid_field");
  assert_bad_frame (world->agent, "{\"type\":\"presence\",\"status\":\"asleep\"}",
                    "invalid_value");
  assert_bad_frame (world->agent, "{\"type\":\"subscribe\",\"after_cursor\":\"x\"}",
                    "invalid_field");
  assert_alive (world->agent);
}

static void
test_ws_field_types (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *good_id = test_client_id ();
  g_autofree char *text = NULL;
  JsonArray *messages;

  /* A conversation first, so that frames that need one reach their field checks. */
  g_assert_cmpint (test_visitor_say (world->visitor, "first", &conversation_id), ==, 1);

  /* wrong types */
  text = g_strdup_printf ("'client_id':'%s','body':5", client_id);
  assert_bad_message (world->visitor, client_id, text, "invalid_field");
  g_clear_pointer (&text, g_free);
  assert_bad_message (world->visitor, NULL, "'client_id':true,'body':'hi'", "invalid_field");
  text = g_strdup_printf ("'client_id':'%s','body':['hi']", client_id);
  assert_bad_message (world->visitor, client_id, text, "invalid_field");
  g_clear_pointer (&text, g_free);
  assert_bad_frame (world->visitor, "{\"type\":\"resume\",\"after_seq\":\"x\"}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"resume\",\"after_seq\":1.5}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"rate\",\"score\":1.5}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"rate\",\"score\":\"5\"}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"typing\",\"preview\":7}", "invalid_field");
  assert_bad_frame (world->visitor, "{\"type\":\"read\",\"seq\":\"1\"}", "invalid_field");

  /* missing fields */
  assert_bad_message (world->visitor, NULL, "'body':'no client id'", "missing_field");
  text = g_strdup_printf ("'client_id':'%s'", client_id);
  assert_bad_message (world->visitor, client_id, text, "missing_field");
  g_clear_pointer (&text, g_free);
  assert_bad_frame (world->visitor, "{\"type\":\"resume\"}", "missing_field");
  assert_bad_frame (world->visitor, "{\"type\":\"rate\"}", "missing_field");
  assert_bad_frame (world->visitor, "{\"type\":\"page_view\",\"title\":\"no url\"}",
                    "missing_field");

  /* out of range */
  assert_bad_frame (world->visitor, "{\"type\":\"rate\",\"score\":6}", "invalid_value");
  assert_bad_frame (world->visitor, "{\"type\":\"rate\",\"score\":0}", "invalid_value");

  /* Agent side: wrong types on its own frames. */
  text = g_strdup_printf ("{\"type\":\"message\",\"conversation_id\":5,\"client_id\":\"%s\","
                          "\"body\":\"x\"}", good_id);
  assert_bad_frame (world->agent, text, "invalid_field");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("{\"type\":\"set_status\",\"conversation_id\":\"%s\",\"status\":\"gone\"}",
                          conversation_id);
  assert_bad_frame (world->agent, text, "invalid_value");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("{\"type\":\"typing\",\"conversation_id\":\"%s\",\"active\":\"yes\"}",
                          conversation_id);
  assert_bad_frame (world->agent, text, "invalid_field");

  assert_alive (world->visitor);
  assert_alive (world->agent);

  /* Nothing of it was stored; the good message is still there, alone. */
  g_assert_cmpint (test_visitor_say (world->visitor, "second", NULL), ==, 2);
  messages = get_messages (world->relay, world->token, conversation_id, &response);
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
}

static void
test_ws_body_length (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *long_body = repeat ("a", 4001);
  g_autofree char *max_ascii = repeat ("a", 4000);
  g_autofree char *max_accents = repeat ("é", 4000);
  g_autofree char *long_accents = repeat ("é", 4001);
  g_autofree char *max_astral = repeat ("😀", 4000);
  g_autofree char *text = NULL;
  JsonArray *messages;

  text = g_strdup_printf ("'client_id':'%s','body':''", client_id);
  assert_bad_message (world->visitor, client_id, text, "invalid_value");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("'client_id':'%s','body':'    '", client_id);
  assert_bad_message (world->visitor, client_id, text, "invalid_value");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("'client_id':'%s','body':' \\n\\t '", client_id);
  assert_bad_message (world->visitor, client_id, text, "invalid_value");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("'client_id':'%s','body':'%s'", client_id, long_body);
  assert_bad_message (world->visitor, client_id, text, "invalid_value");
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("'client_id':'%s','body':'%s'", client_id, long_accents);
  assert_bad_message (world->visitor, client_id, text, "invalid_value");

  /* The limit counts characters, not bytes. */
  g_assert_cmpint (test_visitor_say (world->visitor, max_ascii, &conversation_id), ==, 1);
  g_assert_cmpint (test_visitor_say (world->visitor, max_accents, NULL), ==, 2);
  g_assert_cmpint (test_visitor_say (world->visitor, max_astral, NULL), ==, 3);

  messages = get_messages (world->relay, world->token, conversation_id, &response);
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (messages, 1), "body"), ==,
                   max_accents);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (messages, 2), "body"), ==,
                   max_astral);
}

static void
test_ws_binary_frame (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 0);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", world->site_key);
  g_autofree char *client_id = test_client_id ();
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) ack = NULL;
  static const guint8 blob[] = { 0x89, 'P', 'N', 'G', 0, 1, 2, 3, '{', '}' };

  g_assert_cmpuint (raw_ws_handshake (raw, path, NULL), ==, 101);
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"hello\",\"visitor_id\":null,"
                                   "\"visitor_token\":null,\"page\":{\"url\":\"https://a.test/\","
                                   "\"title\":\"t\",\"referrer\":\"\"},\"locale\":\"en\","
                                   "\"timezone\":\"UTC\"}"));
  welcome = raw_ws_wait_type (raw, "welcome", TEST_TIMEOUT_MS);
  g_assert_nonnull (welcome);

  g_assert_true (raw_ws_send_frame (raw, 0x2, blob, sizeof blob));
  error = raw_ws_wait_type (raw, "error", TEST_TIMEOUT_MS);
  g_assert_nonnull (error);
  g_assert_cmpstr (test_obj_string (error, "code"), ==, "unsupported_frame");

  /* Still open: ping, then a real message. */
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"ping\"}"));
  pong = raw_ws_wait_type (raw, "pong", TEST_TIMEOUT_MS);
  g_assert_nonnull (pong);
  message = g_strdup_printf ("{\"type\":\"message\",\"client_id\":\"%s\",\"body\":\"hi\"}",
                             client_id);
  g_assert_true (raw_ws_send_text (raw, message));
  ack = raw_ws_wait_type (raw, "ack", TEST_TIMEOUT_MS);
  g_assert_nonnull (ack);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, client_id);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 1);
}

static void
test_ws_frame_size (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(TestWs) next = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *prefix = g_strdup_printf ("{\"type\":\"message\",\"client_id\":\"%s\","
                                             "\"body\":\"", client_id);
  g_autofree char *fill_fit = repeat ("a", 65536 - strlen (prefix) - 2);
  g_autofree char *fill_over = repeat ("a", 65537 - strlen (prefix) - 2);
  g_autofree char *fits = g_strconcat (prefix, fill_fit, "\"}", NULL);
  g_autofree char *over = g_strconcat (prefix, fill_over, "\"}", NULL);
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(RawConn) raw = raw_connect (world->relay, 0);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", world->site_key);
  /* FIN + text, masked, 16-bit length 65537 does not fit: 64-bit length */
  static const guint8 header[] = { 0x81, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4 };
  gushort code;

  g_assert_cmpuint (strlen (fits), ==, 65536);
  g_assert_cmpuint (strlen (over), ==, 65537);

  /* Exactly the limit: read, and refused for its body, not for its size. */
  test_ws_send (world->visitor, fits);
  error = test_ws_expect_error (world->visitor, "invalid_value", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  assert_alive (world->visitor);

  /* One byte more closes with 1009. (libsoup itself would cut such a connection without any
   * close frame, so the relay gives libsoup a higher limit and checks its own on the whole
   * frame.) A raw client sends it masked, as browsers do, and reads the close frame. */
  g_assert_cmpuint (raw_ws_handshake (raw, path, NULL), ==, 101);
  g_assert_true (raw_send (raw, header, sizeof header));
  {
    g_autofree guint8 *masked = g_malloc (strlen (over));

    for (gsize i = 0; i < strlen (over); i++)
      masked[i] = over[i] ^ header[10 + i % 4];
    g_assert_true (raw_send (raw, masked, strlen (over)));
  }
  g_assert_cmpuint (raw_ws_wait_close (raw, TEST_TIMEOUT_MS), ==, 1009);
  /* this client never answers the close frame: libsoup waits for that answer a few seconds */
  g_assert_true (raw_wait_disconnected (raw, 8000, NULL));

  /* ...while a client that sends the whole frame may see its connection reset before the close
   * frame is read (the relay closes with unread data): it must be closed, that is all. */
  test_ws_send (world->visitor, over);
  code = test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS);
  g_test_message ("closed with %u after sending the whole frame", code);
  g_assert_true (code == 1009 || code == 0);

  next = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (next, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpint (test_visitor_say (next, "after the big one", NULL), ==, 1);
}

static void
test_ws_invalid_utf8 (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(RawConn) raw = raw_connect (world->relay, 0);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", world->site_key);
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(TestWs) next = NULL;
  g_autoptr(JsonObject) next_welcome = NULL;
  g_autoptr(TestResponse) health = NULL;
  static const char bad[] = "{\"type\":\"message\",\"client_id\":\"x\",\"body\":\"\xff\xfe\xc3\"}";
  gushort code;

  g_assert_cmpuint (raw_ws_handshake (raw, path, NULL), ==, 101);
  g_assert_true (raw_ws_send_text (raw, "{\"type\":\"hello\",\"visitor_id\":null,"
                                   "\"visitor_token\":null,\"page\":{\"url\":\"https://a.test/\","
                                   "\"title\":\"t\",\"referrer\":\"\"},\"locale\":\"en\","
                                   "\"timezone\":\"UTC\"}"));
  welcome = raw_ws_wait_type (raw, "welcome", TEST_TIMEOUT_MS);
  g_assert_nonnull (welcome);

  g_assert_true (raw_ws_send_frame (raw, 0x1, bad, sizeof bad - 1));
  code = raw_ws_wait_close (raw, TEST_TIMEOUT_MS);
  g_assert_cmpuint (code, ==, 1007);

  /* The relay survived; the next visitor and the agent work. */
  health = test_http (world->relay, "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (health, 200);
  next = test_ws_widget (world->relay, world->site_key);
  next_welcome = test_visitor_hello (next, NULL, NULL, "https://a.test/next");
  g_assert_cmpint (test_visitor_say (next, "valid text", NULL), ==, 1);
  assert_alive (world->agent);
  assert_alive (world->visitor);
}

static void
test_ws_spoofed_fields (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autofree char *other_token = NULL;
  g_autofree char *other_site_id = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autoptr(TestWs) other_agent = NULL;
  JsonArray *messages;
  JsonObject *stored;

  test_world_add_tenant (world, "b", &other_token, &other_site_id, NULL);
  other_agent = test_ws_agent (world->relay, other_token);
  test_ws_set_name (other_agent, "agent B");
  test_agent_subscribe (other_agent, 0, NULL);

  test_ws_sendf (world->visitor,
                 "{'type':'message','client_id':'%s','body':'I am the boss',"
                 "'site_id':'%s','conversation_id':'nope',"
                 "'sender':{'type':'agent','name':'Boss','id':'%s'},"
                 "'seq':99,'created_at':'1999-01-01T00:00:00Z'}",
                 client_id, other_site_id, world->user_id);
  ack = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 1);
  echo = test_ws_wait_for_match (world->visitor, "message", "client_id", client_id,
                                 TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (echo, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (echo, "conversation_id"), ==,
                   test_obj_string (ack, "conversation_id"));

  seen = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (seen, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (seen, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (seen, "body"), ==, "I am the boss");
  g_assert_cmpint (test_obj_int (seen, "seq"), ==, 1);
  g_assert_cmpstr (test_obj_string (seen, "created_at"), !=, "1999-01-01T00:00:00Z");

  /* The other site heard nothing. */
  test_ws_expect_none (other_agent, "message", TEST_QUIET_MS);

  messages = get_messages (world->relay, world->token, test_obj_string (ack, "conversation_id"),
                           &response);
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  stored = json_array_get_object_element (messages, 0);
  g_assert_cmpstr (test_obj_string (stored, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (stored, "body"), ==, "I am the boss");
  g_assert_cmpint (test_obj_int (stored, "seq"), ==, 1);
}

static void
test_ws_hello_required (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *fields = g_strdup_printf ("'client_id':'%s','body':'too early'", client_id);

  assert_bad_message (visitor, client_id, fields, "hello_required");
  assert_bad_frame (visitor, "{\"type\":\"typing\",\"preview\":\"x\"}", "hello_required");
  assert_bad_frame (visitor, "{\"type\":\"resume\",\"after_seq\":0}", "hello_required");

  /* A ping needs no identity; hello still works afterwards. */
  assert_alive (visitor);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  g_assert_cmpint (test_visitor_say (visitor, "now with hello", NULL), ==, 1);
}

static void
test_ws_bad_frames_close (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nbad-frames-before-close=5\n",
                                               TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) next = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr(TestResponse) response = NULL;
  JsonArray *messages;

  g_assert_cmpint (test_visitor_say (world->visitor, "before the abuse", &conversation_id), ==, 1);

  for (guint i = 0; i < 4; i++)
    assert_bad_frame (world->visitor, "{nope", "invalid_json");
  assert_alive (world->visitor);

  /* The fifth gets its error frame, then the close. */
  test_ws_send (world->visitor, "{\"type\":\"teleport\"}");
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==, 1008);
  {
    g_autoptr(JsonObject) error = test_ws_expect_error (world->visitor, "unknown_type", 0);
  }

  /* Same for agents. */
  for (guint i = 0; i < 5; i++)
    test_ws_send (world->agent, "[]");
  g_assert_cmpuint (test_ws_wait_closed (world->agent, TEST_TIMEOUT_MS), ==, 1008);

  /* The abuser may come back, and loses nothing. */
  next = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (next, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpint (test_visitor_say (next, "after the abuse", NULL), ==, 2);
  messages = get_messages (world->relay, world->token, conversation_id, &response);
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
}

/* --- HTTP --- */

static void
assert_post_error (TestRelay  *relay,
                   const char *path,
                   const char *token,
                   const char *body,
                   gsize       len,
                   guint       status,
                   const char *code)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, len);
  g_autoptr(TestResponse) response = test_http_bytes (relay, "POST", path, token, bytes,
                                                      "application/json", NULL);

  g_test_message ("POST %s with %.40s…", path, body);
  test_assert_http_error (response, status, code);
  g_assert_nonnull (test_obj_string (test_response_object (response), "error.message"));
}

#define assert_post_text(relay, path, token, body, status, code) \
  assert_post_error ((relay), (path), (token), (body), strlen (body), (status), (code))

/* The bad bodies every JSON POST must refuse the same way, before looking at any field. */
static void
check_json_body_errors (TestRelay  *relay,
                        const char *path,
                        const char *token)
{
  g_autofree char *open33 = repeat ("[", 33);
  g_autofree char *close33 = repeat ("]", 33);
  g_autofree char *deep = g_strdup_printf ("{\"x\":%s%s}", open33, close33);
  g_autofree char *deep_top = g_strconcat (open33, close33, NULL);
  g_autofree char *huge = repeat ("[", 1000000);
  static const char bad_utf8[] = "{\"email\":\"\xff\xfe\",\"name\":\"\xc3\x28\"}";

  {
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr(TestResponse) response = test_http_bytes (relay, "POST", path, token, empty,
                                                        "application/json", NULL);
    test_assert_http_status (response, 400);
    g_assert_nonnull (test_response_error_code (response));
  }
  assert_post_text (relay, path, token, "{\"email\":", 400, "invalid_json");
  assert_post_text (relay, path, token, "hello", 400, "invalid_json");
  assert_post_text (relay, path, token, "{} {}", 400, "invalid_json");
  assert_post_error (relay, path, token, bad_utf8, sizeof bad_utf8 - 1, 400, "invalid_utf8");
  assert_post_text (relay, path, token, deep, 400, "too_deep");
  assert_post_text (relay, path, token, deep_top, 400, "too_deep");
  assert_post_text (relay, path, token, "[1]", 400, NULL);
  assert_post_error (relay, path, token, huge, 1000000, 413, "too_large");
}

static void
test_http_login_body (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(JsonObject) user = NULL;
  g_autofree char *token = NULL;
  const char *path = "/api/v1/auth/login";

  test_relay_start (relay);
  user = test_relay_create_user (relay, "ada@example.org", "analytical engine", NULL);

  check_json_body_errors (relay, path, NULL);

  assert_post_text (relay, path, NULL, "{\"email\":5,\"password\":\"analytical engine\"}",
                    400, "invalid_field");
  assert_post_text (relay, path, NULL, "{\"email\":\"ada@example.org\",\"password\":[\"x\"]}",
                    400, "invalid_field");
  assert_post_text (relay, path, NULL, "{\"email\":\"ada@example.org\",\"password\":null}",
                    400, "missing_field");
  assert_post_text (relay, path, NULL, "{\"password\":\"analytical engine\"}",
                    400, "missing_field");
  assert_post_text (relay, path, NULL, "{}", 400, "missing_field");

  /* Other content types are not JSON. */
  {
    g_autoptr(GBytes) body = g_bytes_new_static ("email=ada@example.org&password=x", 32);
    g_autoptr(TestResponse) response = test_http_bytes (relay, "POST", path, NULL, body,
                                                        "application/x-www-form-urlencoded",
                                                        NULL);
    g_assert_cmpuint (response->status, >=, 400);
    g_assert_cmpuint (response->status, <, 500);
  }

  /* After all that, a good login still works. */
  token = test_relay_login (relay, "ada@example.org", "analytical engine");
  g_assert_nonnull (token);
}

static void
test_http_sites_body (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(TestResponse) list = NULL;
  g_autoptr(TestResponse) created = NULL;
  const char *path = "/api/v1/sites";
  TestRelay *relay = world->relay;
  const char *token = world->token;

  check_json_body_errors (relay, path, token);

  assert_post_text (relay, path, token, "{\"name\":5,\"domains\":[]}", 400, "invalid_field");
  assert_post_text (relay, path, token, "{\"name\":\"S\",\"domains\":\"shop.test\"}",
                    400, "invalid_field");
  assert_post_text (relay, path, token, "{\"name\":\"S\",\"domains\":[5]}", 400, "invalid_field");
  assert_post_text (relay, path, token, "{\"name\":{\"a\":1},\"domains\":[]}", 400,
                    "invalid_field");
  assert_post_text (relay, path, token, "{\"domains\":[\"shop.test\"]}", 400, "missing_field");
  assert_post_text (relay, path, token, "{}", 400, "missing_field");

  /* Without a token, bad input or not, it is 401. */
  assert_post_text (relay, path, NULL, "{\"name\":\"S\",\"domains\":[]}", 401, "unauthorized");

  /* None of it created a site; a good request still does. */
  list = test_http (relay, "GET", path, token, NULL, NULL);
  test_assert_http_status (list, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (list), "sites")),
                    ==, 1);
  created = test_http (relay, "POST", path, token, "{\"name\":\"Good\",\"domains\":[]}", NULL);
  g_assert_cmpuint (created->status, >=, 200);
  g_assert_cmpuint (created->status, <, 300);
}

static void
test_http_patch_site (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s",
                                                  world->site_key);
  g_autoptr(TestResponse) before = NULL;
  g_autoptr(TestResponse) after = NULL;
  g_autofree char *before_text = NULL;
  g_autofree char *after_text = NULL;
  static const struct {
    const char *body;
    guint       status;
    const char *code;
  } cases[] = {
    { "{\"settings\":{\"no_such_setting\":1}}", 400, "invalid_field" },
    { "{\"no_such_key\":1}", 400, "invalid_field" },
    { "{\"settings\":{\"color\":\"red\"}}", 400, "invalid_value" },
    { "{\"settings\":{\"color\":\"#12345g\"}}", 400, "invalid_value" },
    { "{\"settings\":{\"color\":\"#1234567\"}}", 400, "invalid_value" },
    { "{\"settings\":{\"color\":5}}", 400, "invalid_field" },
    { "{\"settings\":\"color\"}", 400, "invalid_field" },
    { "{\"domains\":\"shop.test\"}", 400, "invalid_field" },
    { "{\"name\":7}", 400, "invalid_field" },
    { "{\"enabled\":\"yes\"}", 400, "invalid_field" },
    { "{\"settings\":", 400, "invalid_json" },
  };

  before = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  test_assert_http_status (before, 200);
  before_text = test_response_text (before);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "PATCH", path, world->token,
                                                    cases[i].body, NULL);
      g_test_message ("PATCH %s", cases[i].body);
      test_assert_http_error (response, cases[i].status, cases[i].code);
    }

  /* A refused PATCH changes nothing. */
  after = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  test_assert_http_status (after, 200);
  after_text = test_response_text (after);
  g_assert_cmpstr (after_text, ==, before_text);
}

static void
test_http_query (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  g_autofree char *messages = NULL;
  const char *list_queries[] = { "limit=abc", "limit=0", "limit=-1", "limit=1x", "status=bogus",
                                 "limit=99999999999999999999", NULL };
  const char *message_queries[] = { "after_seq=abc", "after_seq=-1", "limit=0", "limit=abc",
                                    NULL };

  test_visitor_say (world->visitor, "hello", &conversation_id);
  messages = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);

  for (guint i = 0; list_queries[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s?%s", list, list_queries[i]);
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token,
                                                    NULL, NULL);
      g_test_message ("GET %s", path);
      test_assert_http_error (response, 400, "invalid_value");
    }
  for (guint i = 0; message_queries[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s?%s", messages, message_queries[i]);
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token,
                                                    NULL, NULL);
      g_test_message ("GET %s", path);
      test_assert_http_error (response, 400, "invalid_value");
    }

  /* The good ones work. */
  {
    g_autofree char *path = g_strdup_printf ("%s?limit=1&status=open", list);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                  NULL);
    test_assert_http_status (response, 200);
  }
}

static void
test_http_routes (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  static const struct {
    const char *method;
    const char *path;
    guint       status;
    const char *code;
  } cases[] = {
    { "GET", "/api/v1/nope", 404, "not_found" },
    { "GET", "/api/v2/sites", 404, "not_found" },
    { "GET", "/nope", 404, "not_found" },
    { "GET", "/api/v1/conversations/no-such-conversation/messages", 404, NULL },
    { "GET", "/api/v1/auth/login", 405, "method_not_allowed" },
    { "PUT", "/api/v1/sites", 405, "method_not_allowed" },
    { "DELETE", "/api/v1/me", 405, "method_not_allowed" },
    { "POST", "/api/v1/me", 405, "method_not_allowed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, cases[i].method, cases[i].path,
                                                    world->token, NULL, NULL);
      g_test_message ("%s %s", cases[i].method, cases[i].path);
      test_assert_http_error (response, cases[i].status, cases[i].code);
      if (cases[i].status == 405)
        g_assert_nonnull (test_response_header (response, "Allow"));
    }
}

static void
test_http_tokens (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *revoked = test_relay_login (world->relay, world->email, world->password);
  g_autofree char *bearer_revoked = g_strdup_printf ("Bearer %s", revoked);
  g_autofree char *bare = g_strdup_printf ("%s", world->token);
  g_autofree char *basic = g_strdup_printf ("Basic %s", world->token);
  g_autofree char *other_scheme = g_strdup_printf ("Token %s", world->token);
  g_autoptr(TestResponse) logout = NULL;
  g_autoptr(TestResponse) still = NULL;
  const char *headers[] = {
    "Bearer garbage",
    "Bearer ",
    "Bearer",
    bare,
    basic,
    other_scheme,
    bearer_revoked,
    NULL,
  };
  guint status = 0;
  TestWs *refused;

  logout = test_http (world->relay, "POST", "/api/v1/auth/logout", revoked, NULL, NULL);
  g_assert_cmpuint (logout->status, >=, 200);
  g_assert_cmpuint (logout->status, <, 300);

  for (guint i = 0; headers[i] != NULL; i++)
    {
      const char *extra[] = { "Authorization", headers[i], NULL };
      g_autoptr(TestResponse) response = NULL;

      response = test_http_bytes (world->relay, "GET", "/api/v1/me", NULL, NULL, NULL, extra);
      g_test_message ("Authorization: %s", headers[i]);
      test_assert_http_error (response, 401, "unauthorized");
    }

  {
    g_autoptr(TestResponse) none = test_http (world->relay, "GET", "/api/v1/me", NULL, NULL,
                                              NULL);
    test_assert_http_error (none, 401, "unauthorized");
  }
  {
    g_autoptr(TestResponse) logout_again = test_http (world->relay, "POST", "/api/v1/auth/logout",
                                                      revoked, NULL, NULL);
    test_assert_http_error (logout_again, 401, "unauthorized");
  }

  refused = test_ws_try_agent (world->relay, "garbage", &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 401);
  refused = test_ws_try_agent (world->relay, revoked, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 401);
  refused = test_ws_try_agent (world->relay, NULL, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 401);

  /* The good token is untouched by all that. */
  still = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_status (still, 200);
}

/* --- Origin --- */

static void
test_origin (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  const char *domains[] = { "shop.test", "*.cdn.test", NULL };
  g_autoptr(JsonObject) site = test_relay_create_site (world->relay, world->email, "Shop",
                                                       domains);
  const char *key = test_obj_string (site, "site_key");
  static const struct {
    const char *origin;
    gboolean    allowed;
  } cases[] = {
    { "http://shop.test", TRUE },
    { "https://shop.test", TRUE },
    { "http://shop.test:8080", TRUE },
    { "http://a.cdn.test", TRUE },
    { "https://x.y.cdn.test", TRUE },
    { "http://evil.test", FALSE },
    { "http://cdn.test", FALSE },
    { "http://shop.test.evil.test", FALSE },
    { "http://evilshop.test", FALSE },
    { "http://a.cdn.test.evil.test", FALSE },
    { "http://xcdn.test", FALSE },
    { "null", FALSE },
    { NULL, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status = 0;
      g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, key, cases[i].origin, &status);

      g_test_message ("Origin %s", cases[i].origin ? cases[i].origin : "(none)");
      if (cases[i].allowed)
        {
          g_autoptr(JsonObject) welcome = NULL;

          g_assert_nonnull (ws);
          welcome = test_visitor_hello (ws, NULL, NULL, "https://shop.test/");
        }
      else
        {
          g_assert_null (ws);
          g_assert_cmpuint (status, ==, 403);
        }
    }

  /* Unknown site keys are refused whatever the origin; the domain-less site takes any. */
  {
    guint status = 0;
    g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, "no-such-key", "http://shop.test",
                                               &status);
    g_assert_null (ws);
    g_assert_cmpuint (status, ==, 403);
  }
  {
    guint status = 0;
    g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, "", NULL, &status);
    g_assert_null (ws);
    g_assert_cmpuint (status, ==, 403);
  }
  {
    guint status = 0;
    g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, world->site_key, "http://evil.test",
                                               &status);
    g_assert_nonnull (ws);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/badinput/ws/invalid-json", test_ws_invalid_json);
  test_harness_add ("/relay/badinput/ws/too-deep", test_ws_too_deep);
  test_harness_add ("/relay/badinput/ws/oversized-deep", test_ws_oversized_deep);
  test_harness_add ("/relay/badinput/ws/not-an-object", test_ws_not_an_object);
  test_harness_add ("/relay/badinput/ws/type-field", test_ws_type_field);
  test_harness_add ("/relay/badinput/ws/field-types", test_ws_field_types);
  test_harness_add ("/relay/badinput/ws/body-length", test_ws_body_length);
  test_harness_add ("/relay/badinput/ws/binary-frame", test_ws_binary_frame);
  test_harness_add ("/relay/badinput/ws/frame-size", test_ws_frame_size);
  test_harness_add ("/relay/badinput/ws/invalid-utf8", test_ws_invalid_utf8);
  test_harness_add ("/relay/badinput/ws/spoofed-fields", test_ws_spoofed_fields);
  test_harness_add ("/relay/badinput/ws/hello-required", test_ws_hello_required);
  test_harness_add ("/relay/badinput/ws/bad-frames-close", test_ws_bad_frames_close);
  test_harness_add ("/relay/badinput/http/login-body", test_http_login_body);
  test_harness_add ("/relay/badinput/http/sites-body", test_http_sites_body);
  test_harness_add ("/relay/badinput/http/patch-site", test_http_patch_site);
  test_harness_add ("/relay/badinput/http/query", test_http_query);
  test_harness_add ("/relay/badinput/http/routes", test_http_routes);
  test_harness_add ("/relay/badinput/http/tokens", test_http_tokens);
  test_harness_add ("/relay/badinput/origin", test_origin);

  return g_test_run ();
}
