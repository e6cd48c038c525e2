/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-values.c: JSON values the relay must refuse rather than quietly change — a NUL
 * inside a string (json-glib cuts the string there), an integer beyond int64 (json-glib wraps
 * it) — over HTTP and WebSocket, and time zones that are file paths rather than IANA names.
 */

#include "relay-harness.h"

#include <string.h>

/* Sends @text and asserts the error frame @code comes back. */
static void
assert_bad_frame (TestWs     *ws,
                  const char *text,
                  const char *code)
{
  g_autoptr(JsonObject) error = NULL;

  test_ws_send (ws, text);
  error = test_ws_expect_error (ws, code, TEST_TIMEOUT_MS);
  g_assert_nonnull (test_obj_string (error, "message"));
}

static void
assert_patch (TestWorld  *world,
              const char *body,
              guint       status,
              const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "PATCH", path, world->token,
                                                body, NULL);

  g_test_message ("PATCH %s", body);
  test_assert_http_error (response, status, code);
}

static char *
site_name (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token,
                                                NULL, NULL);
  JsonObject *object;

  test_assert_http_status (response, 200);
  object = test_response_object (response);
  if (test_obj_has (object, "site"))
    object = test_obj_object (object, "site");
  return g_strdup (test_obj_string (object, "name"));
}

static void
test_nul_in_string_ws (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *client_id = test_client_id ();
  g_autofree char *frame = g_strdup_printf ("{\"type\":\"message\",\"client_id\":\"%s\","
                                            "\"body\":\"before\\u0000after\"}", client_id);

  /* Before the fix this was acked and stored as "before". */
  assert_bad_frame (world->visitor, frame, "invalid_value");

  /* Nothing was stored: the next message is the conversation's first. */
  g_assert_cmpint (test_visitor_say (world->visitor, "a whole message", NULL), ==, 1);
}

static void
test_nul_in_string_http (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *before = site_name (world);
  g_autofree char *after = NULL;

  assert_patch (world, "{\"name\":\"Shop\\u0000 and more\"}", 400, "invalid_value");
  after = site_name (world);
  g_assert_cmpstr (after, ==, before);

  /* Other escapes are still fine. */
  assert_patch (world, "{\"name\":\"Shop \\u00e9\\n\"}", 200, NULL);
  g_clear_pointer (&after, g_free);
  after = site_name (world);
  g_assert_cmpstr (after, ==, "Shop é\n");
}

static void
test_big_integers (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  static const char *refused[] = {
    "18446744073709551626",   /* 2^64 + 10: json-glib made it 10, a valid offset */
    "9223372036854775808",    /* INT64_MAX + 1 */
    "-9223372036854775809",   /* INT64_MIN - 1 */
    "123456789012345678901234567890",
  };

  /* HTTP: a setting that takes 0..500. */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"settings\":{\"offset_x\":%s}}", refused[i]);
      assert_patch (world, body, 400, "invalid_value");
    }
  assert_patch (world, "{\"settings\":{\"offset_x\":10}}", 200, NULL);
  /* the edges of int64 are integers, and a big number with a fraction is a double */
  assert_patch (world, "{\"settings\":{\"offset_x\":9223372036854775807}}", 400, "invalid_value");
  assert_patch (world, "{\"settings\":{\"offset_x\":-9223372036854775808}}", 400, "invalid_value");
  assert_patch (world, "{\"settings\":{\"offset_x\":1e30}}", 400, "invalid_field");

  /* WebSocket: the guard comes before any frame is looked at. */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *frame = g_strdup_printf ("{\"type\":\"ping\",\"n\":%s}", refused[i]);
      assert_bad_frame (world->visitor, frame, "invalid_value");
    }
  test_ws_unignore (world->visitor, "pong");
  test_ws_send (world->visitor, "{\"type\":\"ping\",\"n\":-9223372036854775808}");
  {
    g_autoptr(JsonObject) pong = test_ws_wait_for (world->visitor, "pong", TEST_TIMEOUT_MS);
  }
  g_assert_cmpint (test_visitor_say (world->visitor, "still here", NULL), ==, 1);
}

static void
test_time_zones (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  static const char *refused[] = {
    "/usr/share/zoneinfo/UTC",
    "../../../../etc/passwd",
    "Europe/../../../../etc/passwd",
    ":/etc/localtime",
    "/etc/passwd",
    "Europe//Berlin",
    "Europe/",
    "Not/A_Zone",
    "",
  };
  static const char *accepted[] = {
    "Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"settings\":{\"working_hours\":{\"timezone\":"
                                               "\"%s\",\"days\":{\"mon\":[\"09:00-17:00\"]}}}}",
                                               refused[i]);
      assert_patch (world, body, 400, "invalid_value");
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"settings\":{\"working_hours\":{\"timezone\":"
                                               "\"%s\",\"days\":{\"mon\":[\"09:00-17:00\"]}}}}",
                                               accepted[i]);
      assert_patch (world, body, 200, NULL);
    }
}

/* The browser's time zone in hello goes to every agent's app, which hands it to GLib: a path
 * must not get that far. */
static void
test_time_zone_in_hello (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
  static const char *refused[] = {
    "../../../../etc/passwd", "/dev/zero", ":/etc/localtime", "Europe/../../etc",
  };
  g_autoptr(JsonObject) welcome = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"page\":{\"url\":"
                                                "\"https://shop.test/\",\"title\":\"Shop\"},"
                                                "\"timezone\":\"%s\"}", refused[i]);
      assert_bad_frame (visitor, hello, "invalid_value");
    }
  /* nobody arrived */
  test_ws_expect_none (world->agent, "visitor", TEST_QUIET_MS);

  /* a browser's own name is fine */
  test_ws_send (visitor, "{\"type\":\"hello\",\"page\":{\"url\":\"https://shop.test/\","
                         "\"title\":\"Shop\"},\"timezone\":\"America/Argentina/Buenos_Aires\"}");
  welcome = test_ws_wait_for (visitor, "welcome", TEST_TIMEOUT_MS);
  {
    g_autoptr(JsonObject) arrival = test_ws_wait_for (world->agent, "visitor", TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (arrival, "visitor.timezone"), ==,
                     "America/Argentina/Buenos_Aires");
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/values/nul-in-string/ws", test_nul_in_string_ws);
  test_harness_add ("/relay/values/nul-in-string/http", test_nul_in_string_http);
  test_harness_add ("/relay/values/big-integers", test_big_integers);
  test_harness_add ("/relay/values/time-zones", test_time_zones);
  test_harness_add ("/relay/values/time-zone-in-hello", test_time_zone_in_hello);

  return g_test_run ();
}
