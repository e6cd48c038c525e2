/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-everyday.c: issue 14's smaller pieces on the relay — the typing preview before the
 * visitor's first message, the visitor's online state over REST */

#include "relay-harness.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", NULL);
}

/* Frames of @type among @frames. */
static guint
count_type (GPtrArray  *frames,
            const char *type)
{
  guint n = 0;

  for (guint i = 0; i < frames->len; i++)
    if (g_strcmp0 (test_obj_string (g_ptr_array_index (frames, i), "type"), type) == 0)
      n++;
  return n;
}

/* A visitor who has not written yet types: the site's agents see the text with no conversation,
 * throttled as in a conversation; an agent of another site sees nothing; the visitor's own
 * socket never gets it back. */
static void
test_preview_before_first_message (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr(TestWs) other_agent = NULL;
  g_autoptr(GPtrArray) previews = NULL;
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(JsonObject) after = NULL;
  const char *sentence = "Do you ship to Norway";
  JsonObject *last;

  quiet_world (world);
  g_assert_true (test_obj_is_null (world->welcome, "conversation"));
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
  other_agent = test_ws_agent (world->relay, other_token);
  test_agent_subscribe (other_agent, 0, NULL);
  test_ws_ignore (other_agent, "presence", NULL);

  test_ws_sendf (world->visitor, "{'type':'typing','preview':'Do you'}");
  preview = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_is_null (preview, "conversation_id"));
  g_assert_cmpstr (test_obj_string (preview, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (preview, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (preview, "text"), ==, "Do you");
  g_assert_true (test_obj_bool (preview, "active"));

  /* throttled: one frame per keystroke in, about ten a second out, the last text always */
  test_sleep_ms (200);
  for (guint i = 1; i <= strlen (sentence); i++)
    test_ws_sendf (world->visitor, "{'type':'typing','preview':'%.*s'}", (int) i, sentence);
  previews = test_ws_drain (world->agent, 1000);
  g_test_message ("%u keystrokes gave %u previews", (guint) strlen (sentence),
                  count_type (previews, "typing_preview"));
  g_assert_cmpuint (count_type (previews, "typing_preview"), >=, 1);
  g_assert_cmpuint (count_type (previews, "typing_preview"), <=, 13);
  last = g_ptr_array_index (previews, previews->len - 1);
  g_assert_cmpstr (test_obj_string (last, "text"), ==, sentence);
  g_assert_true (test_obj_is_null (last, "conversation_id"));

  /* nothing to the other site's agent, nothing back to the visitor */
  test_ws_expect_none (other_agent, "typing_preview", TEST_QUIET_MS);
  test_ws_expect_none (world->visitor, "typing_preview", 0);

  /* typing_stop (the widget sends it when the panel closes) clears it */
  test_ws_sendf (world->visitor, "{'type':'typing_stop'}");
  {
    g_autoptr(JsonObject) cleared = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);

    g_assert_cmpstr (test_obj_string (cleared, "text"), ==, "");
    g_assert_false (test_obj_bool (cleared, "active"));
    g_assert_true (test_obj_is_null (cleared, "conversation_id"));
  }

  /* once the conversation exists, previews carry its id */
  test_visitor_say (world->visitor, "Do you ship to Norway?", &conversation_id);
  test_ws_ignore (world->agent, "conversation", "message", NULL);
  test_sleep_ms (200);
  test_ws_sendf (world->visitor, "{'type':'typing','preview':'And to'}");
  after = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (after, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (after, "text"), ==, "And to");
}

/* The visitor's last socket closing clears the text agents see; a second tab closing does not. */
static void
test_preview_cleared_when_last_tab_closes (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(JsonObject) cleared = NULL;

  quiet_world (world);
  second = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (second, world->visitor_id, world->visitor_token, "https://a.test/2");
  test_ws_ignore (second, "agents_online", NULL);

  test_ws_sendf (world->visitor, "{'type':'typing','preview':'Half a sen'}");
  preview = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (preview, "text"), ==, "Half a sen");

  /* the typing tab closes, another stays: the visitor is still there */
  test_ws_close (world->visitor);
  test_ws_expect_none (world->agent, "typing_preview", TEST_QUIET_MS);

  test_ws_close (second);
  cleared = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (cleared, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (cleared, "text"), ==, "");
  g_assert_false (test_obj_bool (cleared, "active"));
}

/* The visitor object's online is true in every REST answer while a socket of theirs is open. */
static void
test_online_over_rest (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL, *conversation_path = NULL, *visitor_path = NULL;
  g_autofree char *search_path = NULL;

  quiet_world (world);
  test_visitor_say (world->visitor, "Hello there", &conversation_id);
  conversation_path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  visitor_path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  search_path = g_strdup_printf ("/api/v1/sites/%s/visitors?q=%s", world->site_id, world->visitor_id);

  {
    g_autoptr(TestResponse) conversation = test_http (world->relay, "GET", conversation_path,
                                                      world->token, NULL, NULL);
    g_autoptr(TestResponse) visitor = test_http (world->relay, "GET", visitor_path, world->token, NULL, NULL);

    test_assert_http_status (conversation, 200);
    g_assert_true (test_obj_bool (test_response_object (conversation), "visitor.online"));
    test_assert_http_status (visitor, 200);
    g_assert_true (test_obj_bool (test_response_object (visitor), "online"));
  }

  test_ws_close (world->visitor);
  test_sleep_ms (200);
  {
    g_autoptr(TestResponse) conversation = test_http (world->relay, "GET", conversation_path,
                                                      world->token, NULL, NULL);
    g_autoptr(TestResponse) visitor = test_http (world->relay, "GET", visitor_path, world->token, NULL, NULL);

    g_assert_false (test_obj_bool (test_response_object (conversation), "visitor.online"));
    g_assert_false (test_obj_bool (test_response_object (visitor), "online"));
  }
}

/* A @width × @height PNG of one colour. */
static GBytes *
make_png (int width,
          int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  gchar *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", NULL, NULL));
  return g_bytes_new_take (buffer, size);
}

static void
test_avatars (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(GBytes) png = make_png (600, 300);
  g_autoptr(GBytes) text = g_bytes_new_static ("not a picture", 13);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(TestResponse) put = NULL, got = NULL, me = NULL, members = NULL, refused = NULL;
  g_autoptr(TestResponse) nothing = NULL, anonymous = NULL, deleted = NULL, gone = NULL, me_after = NULL;
  g_autofree char *url = NULL, *members_path = NULL, *conversation_id = NULL, *none_path = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(JsonObject) message = NULL;
  GdkPixbuf *decoded;

  quiet_world (world);

  put = test_http_bytes (world->relay, "PUT", "/api/v1/me/avatar", world->token, png, "image/png", NULL);
  test_assert_http_status (put, 200);
  url = g_strdup (test_obj_string (test_response_object (put), "avatar_url"));
  g_assert_true (g_str_has_prefix (url, "/api/v1/avatars/"));
  g_assert_nonnull (strstr (url, world->user_id));

  /* public, cacheable, a 256 px square PNG */
  got = test_http (world->relay, "GET", url, NULL, NULL, NULL);
  test_assert_http_status (got, 200);
  g_assert_cmpstr (test_response_header (got, "Content-Type"), ==, "image/png");
  g_assert_true (g_str_has_prefix (test_response_header (got, "Cache-Control"), "public"));
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, got->body, NULL));
  g_assert_true (gdk_pixbuf_loader_close (loader, NULL));
  decoded = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, 256);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, 256);

  /* the user object has it: /me, the members, an agent's messages (the visitor's too) */
  me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  g_assert_cmpstr (test_obj_string (test_response_object (me), "user.avatar_url"), ==, url);
  members_path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  members = test_http (world->relay, "GET", members_path, world->token, NULL, NULL);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (
                     test_obj_array (test_response_object (members), "members"), 0), "avatar_url"), ==, url);
  test_visitor_say (world->visitor, "Hi", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Hello, I am here");
  message = test_ws_wait_for_match (world->visitor, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (message, "sender.avatar_url"), ==, url);

  /* only pictures, and something */
  refused = test_http_bytes (world->relay, "PUT", "/api/v1/me/avatar", world->token, text, "text/plain", NULL);
  test_assert_http_error (refused, 415, "unsupported_media_type");
  nothing = test_http_bytes (world->relay, "PUT", "/api/v1/me/avatar", world->token, empty, "image/png", NULL);
  test_assert_http_error (nothing, 400, "invalid_image");
  anonymous = test_http_bytes (world->relay, "PUT", "/api/v1/me/avatar", NULL, png, "image/png", NULL);
  test_assert_http_status (anonymous, 401);

  deleted = test_http (world->relay, "DELETE", "/api/v1/me/avatar", world->token, NULL, NULL);
  test_assert_http_status (deleted, 204);
  gone = test_http (world->relay, "GET", url, NULL, NULL, NULL);
  test_assert_http_error (gone, 404, "not_found");
  me_after = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  g_assert_true (test_obj_is_null (test_response_object (me_after), "user.avatar_url"));
  none_path = g_strdup_printf ("/api/v1/avatars/%s", "usr_nobody");
  {
    g_autoptr(TestResponse) unknown = test_http (world->relay, "GET", none_path, NULL, NULL, NULL);
    test_assert_http_error (unknown, 404, "not_found");
  }
}

static JsonObject *
widget_team (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, NULL, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_obj_object (test_response_object (response), "team"));
}

/* The widget's header: the agents online (else the last ones who answered), the median first
 * response of the last answered conversations (from 5 on), when working hours begin again. */
static void
test_widget_team (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) team = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (now, 1);
  g_autoptr(GDateTime) opening = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *hours = NULL, *expected_back = NULL;
  static const char * const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
  JsonArray *agents;

  quiet_world (world);
  test_ws_ignore (world->agent, "conversation", "message", "site", NULL);

  team = widget_team (world);
  g_assert_true (test_obj_bool (team, "online"));
  agents = test_obj_array (team, "agents");
  g_assert_cmpuint (json_array_get_length (agents), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (agents, 0), "name"), ==, "Owner a");
  g_assert_true (test_obj_is_null (json_array_get_object_element (agents, 0), "avatar_url"));
  g_assert_true (test_obj_is_null (team, "reply_time_seconds"));
  g_assert_true (test_obj_is_null (team, "back_at"));

  /* four answered conversations say nothing yet; the fifth gives the median */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
      g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
      g_autofree char *conversation_id = NULL;

      test_ws_ignore (visitor, "agents_online", NULL);
      test_visitor_say (visitor, "A question", &conversation_id);
      test_agent_say (world->agent, conversation_id, "An answer");
      if (i == 3)
        {
          g_autoptr(JsonObject) four = widget_team (world);
          g_assert_true (test_obj_is_null (four, "reply_time_seconds"));
        }
    }
  g_clear_pointer (&team, json_object_unref);
  team = widget_team (world);
  g_assert_cmpint (test_obj_int (team, "reply_time_seconds"), >=, 0);
  g_assert_cmpint (test_obj_int (team, "reply_time_seconds"), <, 60);

  /* working hours only tomorrow, 09:00–10:00 UTC; the team goes offline */
  hours = test_json ("{'settings':{'working_hours':{'timezone':'UTC','days':{'%s':['09:00-10:00']}}}}",
                     days[g_date_time_get_day_of_week (tomorrow) - 1]);
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", site_path, world->token, hours, NULL);
    test_assert_http_status (patched, 200);
  }
  test_ws_close (world->agent);
  test_sleep_ms (200);
  g_clear_pointer (&team, json_object_unref);
  team = widget_team (world);
  g_assert_false (test_obj_bool (team, "online"));
  agents = test_obj_array (team, "agents");
  g_assert_cmpuint (json_array_get_length (agents), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (agents, 0), "name"), ==, "Owner a");
  opening = g_date_time_new_utc (g_date_time_get_year (tomorrow), g_date_time_get_month (tomorrow),
                                 g_date_time_get_day_of_month (tomorrow), 9, 0, 0);
  expected_back = g_date_time_format (opening, "%Y-%m-%dT%H:%M:%S");
  g_assert_true (g_str_has_prefix (test_obj_string (team, "back_at"), expected_back));
}

/* The visitor-facing texts take a string or an object of language tags; the widget config
 * passes them as set. */
static void
test_texts_per_language (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autoptr(TestResponse) patched = NULL, config = NULL;
  g_autoptr(GString) many = g_string_new ("{\"settings\":{\"greeting\":{");
  g_autofree char *long_text = g_strnfill (1001, 'x');
  g_autofree char *too_long = NULL;
  JsonObject *settings;

  test_ws_ignore (world->agent, "site", NULL);
  patched = test_http (world->relay, "PATCH", site_path, world->token,
                       "{\"settings\":{\"welcome_message\":{\"en\":\"Hi\",\"de\":\"Hallo\",\"de-CH\":\"Grüezi\"},"
                       "\"greeting\":\"Hello! Ask us anything.\",\"placeholder\":{\"fr\":\"Votre message\"}}}",
                       NULL);
  test_assert_http_status (patched, 200);
  config = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  settings = test_obj_object (test_response_object (config), "settings");
  g_assert_cmpstr (test_obj_string (settings, "welcome_message.de"), ==, "Hallo");
  g_assert_cmpstr (test_obj_string (settings, "welcome_message.de-CH"), ==, "Grüezi");
  g_assert_cmpstr (test_obj_string (settings, "greeting"), ==, "Hello! Ask us anything.");
  g_assert_cmpstr (test_obj_string (settings, "placeholder.fr"), ==, "Votre message");

  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%s\"l%c\":\"x\"", i ? "," : "", 'a' + i);
  g_string_append (many, "}}}");
  too_long = g_strdup_printf ("{\"settings\":{\"greeting\":{\"en\":\"%s\"}}}", long_text);
  {
    const char *bad[] = {
      many->str,                                                        /* 21 tags */
      "{\"settings\":{\"greeting\":{}}}",                               /* none */
      "{\"settings\":{\"greeting\":{\"e\":\"x\"}}}",                    /* no tag */
      "{\"settings\":{\"greeting\":{\"en us\":\"x\"}}}",
      "{\"settings\":{\"greeting\":{\"en\":5}}}",
      too_long,
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(TestResponse) refused = test_http (world->relay, "PATCH", site_path, world->token,
                                                     bad[i], NULL);
        test_assert_http_error (refused, 400, "invalid_value");
      }
  }
  {
    g_autoptr(TestResponse) wrong_type = test_http (world->relay, "PATCH", site_path, world->token,
                                                    "{\"settings\":{\"greeting\":7}}", NULL);
    test_assert_http_error (wrong_type, 400, "invalid_field");
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/everyday/preview/before-first-message", test_preview_before_first_message);
  test_harness_add ("/relay/everyday/preview/cleared-when-last-tab-closes",
                    test_preview_cleared_when_last_tab_closes);

  test_harness_add ("/relay/everyday/online-over-rest", test_online_over_rest);
  test_harness_add ("/relay/everyday/avatars", test_avatars);
  test_harness_add ("/relay/everyday/widget-team", test_widget_team);
  test_harness_add ("/relay/everyday/texts-per-language", test_texts_per_language);

  return g_test_run ();
}
