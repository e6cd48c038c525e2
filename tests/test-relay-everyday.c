/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-everyday.c: issue 14's smaller pieces on the relay — the typing preview before the
 * visitor's first message, the visitor's online state over REST */

#include "relay-harness.h"

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

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/everyday/preview/before-first-message", test_preview_before_first_message);
  test_harness_add ("/relay/everyday/preview/cleared-when-last-tab-closes",
                    test_preview_cleared_when_last_tab_closes);

  return g_test_run ();
}
