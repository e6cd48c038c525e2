/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-contacts.c: contacts and the lead score, and goals from Confab.track (issue 16)
 * against a real relay — PATCH /visitors/{id} with phone, notes and tags by members and API
 * keys, the `visitor` event, the documented lead score, sort=lead_score, the "track" frame with
 * its limits, and the analytics' goals. */
#include "relay-harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

static JsonObject *
get_visitor (TestWorld  *world,
             const char *visitor_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", visitor_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

static TestResponse *
patch_visitor (TestWorld  *world,
               const char *token,
               const char *visitor_id,
               const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", visitor_id);

  return test_http (world->relay, "PATCH", path, token, body, NULL);
}

static guint
tags_length (JsonObject *visitor)
{
  return json_array_get_length (test_obj_array (visitor, "tags"));
}

static void
test_patch_contact (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) before = get_visitor (world, world->visitor_id);
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(JsonObject) event = NULL;
  JsonArray *tags;

  /* a new visitor: nothing known */
  g_assert_true (test_obj_is_null (before, "phone"));
  g_assert_true (test_obj_is_null (before, "notes"));
  g_assert_cmpuint (tags_length (before), ==, 0);
  g_assert_cmpuint (json_array_get_length (test_obj_array (before, "goals")), ==, 0);

  {
    g_autoptr(TestResponse) response =
      patch_visitor (world, world->token, world->visitor_id,
                     "{\"phone\":\"+49 30 1234-567\",\"notes\":\"Wants the blue one.\","
                     "\"tags\":[\"vip\",\" wholesale \",\"vip\"],\"email\":\"ann@shop.test\"}");

    test_assert_http_status (response, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (response), "phone"), ==, "+49 30 1234-567");
    g_assert_cmpstr (test_obj_string (test_response_object (response), "email"), ==, "ann@shop.test");
  }
  /* the team hears of it */
  event = test_ws_wait_for_match (world->agent, "visitor", "visitor.id", world->visitor_id, 5000);
  g_assert_cmpstr (test_obj_string (event, "visitor.notes"), ==, "Wants the blue one.");

  after = get_visitor (world, world->visitor_id);
  g_assert_cmpstr (test_obj_string (after, "phone"), ==, "+49 30 1234-567");
  g_assert_cmpstr (test_obj_string (after, "notes"), ==, "Wants the blue one.");
  tags = test_obj_array (after, "tags");
  /* trimmed, each once */
  g_assert_cmpuint (json_array_get_length (tags), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "vip");
  g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "wholesale");

  /* bad input: each with its error, nothing changed */
  {
    static const struct { const char *body; const char *code; } bad[] = {
      { "{\"phone\":\"call me maybe\"}", "invalid_value" },
      { "{\"phone\":\"12345678901234567890123456789012345678901\"}", "invalid_value" },
      { "{\"tags\":\"vip\"}", "invalid_field" },
      { "{\"tags\":[1]}", "invalid_field" },
      { "{\"tags\":[\"\"]}", "invalid_value" },
      { "{\"tags\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\","
        "\"n\",\"o\",\"p\",\"q\",\"r\",\"s\",\"t\",\"u\"]}", "invalid_value" },
      { "{\"tags\":[\"12345678901234567890123456789012345678901\"]}", "invalid_value" },
      { "{\"notes\":5}", "invalid_field" },
      { "{\"colour\":\"red\"}", "invalid_field" },
      { "{}", "invalid_value" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(TestResponse) response = patch_visitor (world, world->token, world->visitor_id, bad[i].body);

        test_assert_http_error (response, 400, bad[i].code);
      }
  }
  {
    g_autoptr(JsonObject) unchanged = get_visitor (world, world->visitor_id);

    g_assert_cmpstr (test_obj_string (unchanged, "phone"), ==, "+49 30 1234-567");
    g_assert_cmpuint (tags_length (unchanged), ==, 2);
  }

  /* null clears; absent fields stay */
  {
    g_autoptr(TestResponse) response = patch_visitor (world, world->token, world->visitor_id,
                                                      "{\"phone\":null,\"tags\":[]}");
    JsonObject *object;

    test_assert_http_status (response, 200);
    object = test_response_object (response);
    g_assert_true (test_obj_is_null (object, "phone"));
    g_assert_cmpuint (tags_length (object), ==, 0);
    g_assert_cmpstr (test_obj_string (object, "notes"), ==, "Wants the blue one.");
  }
}

static void
test_patch_roles (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *keys_path = g_strdup_printf ("/api/v1/sites/%s/api-keys", world->site_id);
  g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL;
  const char *writer, *reader;
  g_autoptr(TestResponse) write_key = test_http (world->relay, "POST", keys_path, world->token,
                                                 "{\"name\":\"CRM\",\"scopes\":[\"contacts:write\"]}", NULL);
  g_autoptr(TestResponse) read_key = test_http (world->relay, "POST", keys_path, world->token,
                                                "{\"name\":\"Reader\",\"scopes\":[\"conversations:read\"]}", NULL);

  test_assert_http_status (write_key, 201);
  test_assert_http_status (read_key, 201);
  writer = test_obj_string (test_response_object (write_key), "key");
  reader = test_obj_string (test_response_object (read_key), "key");

  /* a key with contacts:write writes contacts */
  {
    g_autoptr(TestResponse) response = patch_visitor (world, writer, world->visitor_id,
                                                      "{\"tags\":[\"from-crm\"],\"notes\":\"Synced\"}");

    test_assert_http_status (response, 200);
    g_assert_cmpuint (tags_length (test_response_object (response)), ==, 1);
  }
  /* one without it does not */
  {
    g_autoptr(TestResponse) response = patch_visitor (world, reader, world->visitor_id, "{\"tags\":[]}");

    test_assert_http_error (response, 403, "forbidden");
  }
  /* nor does the member of another site: the visitor is unknown to them */
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
  {
    g_autoptr(TestResponse) response = patch_visitor (world, other_token, world->visitor_id, "{\"tags\":[]}");

    test_assert_http_error (response, 404, NULL);
  }
  {
    g_autoptr(JsonObject) visitor = get_visitor (world, world->visitor_id);

    g_assert_cmpuint (tags_length (visitor), ==, 1);
    g_assert_cmpstr (test_obj_string (visitor, "notes"), ==, "Synced");
  }

  /* the export carries the contact; erasing the visitor takes contact and goals with it */
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"signup\"}");
  test_ws_expect_none (world->visitor, "error", TEST_QUIET_MS);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s/export", world->visitor_id);
    g_autoptr(TestResponse) exported = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_status (exported, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (exported), "visitor.notes"), ==, "Synced");
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (exported), "visitor.goals")), ==, 1);
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
    g_autoptr(TestResponse) deleted = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) gone = NULL;

    test_assert_http_status (deleted, 204);
    gone = patch_visitor (world, writer, world->visitor_id, "{\"tags\":[]}");
    test_assert_http_error (gone, 404, "not_found");
  }
}

/* A visitor whose score the test works out: pages ×3, a price question 20, an e-mail 10, a
 * goal 20. Time on the site stays under a minute, a first visit is not returning. */
static void
test_lead_score (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) visitor = NULL;
  g_autofree char *list_path = g_strdup_printf ("/api/v1/sites/%s/visitors?sort=lead_score", world->site_id);
  g_autofree char *recent_path = g_strdup_printf ("/api/v1/sites/%s/visitors", world->site_id);
  g_autofree char *second_id = NULL, *third_id = NULL;
  gint64 score;

  /* the hello's page is one page view */
  visitor = get_visitor (world, world->visitor_id);
  g_assert_cmpint (test_obj_int (visitor, "lead_score"), ==, 3);
  g_clear_pointer (&visitor, json_object_unref);

  for (guint i = 0; i < 3; i++)
    test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://a.test/p%u','title':'P%u'}", i, i);
  test_visitor_say (world->visitor, "Hello there", NULL);
  visitor = get_visitor (world, world->visitor_id);
  g_assert_cmpint (test_obj_int (visitor, "lead_score"), ==, 4 * 3);
  g_clear_pointer (&visitor, json_object_unref);

  /* a price question, in German */
  test_visitor_say (world->visitor, "Was kostet der Versand nach Wien?", NULL);
  visitor = get_visitor (world, world->visitor_id);
  g_assert_cmpint (test_obj_int (visitor, "lead_score"), ==, 12 + 20);
  g_clear_pointer (&visitor, json_object_unref);
  /* asking again adds nothing */
  test_visitor_say (world->visitor, "And the price with a discount?", NULL);

  /* the e-mail, by the visitor's own form */
  {
    g_autoptr(TestResponse) response = patch_visitor (world, world->token, world->visitor_id,
                                                      "{\"email\":\"lead@shop.test\"}");

    test_assert_http_status (response, 200);
    g_assert_cmpint (test_obj_int (test_response_object (response), "lead_score"), ==, 32 + 10);
  }

  /* a goal */
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"purchase\",\"value\":49.9}");
  {
    g_autoptr(JsonObject) event = NULL;

    /* the visitor event says so, with the goal */
    for (guint tries = 0; tries < 10; tries++)
      {
        g_clear_pointer (&event, json_object_unref);
        event = test_ws_wait_for_match (world->agent, "visitor", "visitor.id", world->visitor_id, 5000);
        if (json_array_get_length (test_obj_array (event, "visitor.goals")) > 0)
          break;
      }
    g_assert_cmpuint (json_array_get_length (test_obj_array (event, "visitor.goals")), ==, 1);
    g_assert_cmpint (test_obj_int (event, "visitor.lead_score"), ==, 42 + 20);
  }
  visitor = get_visitor (world, world->visitor_id);
  score = test_obj_int (visitor, "lead_score");
  g_assert_cmpint (score, ==, 62);

  /* a second visitor, seen later, scores less: last_seen puts them first, lead_score second */
  second = test_ws_widget (world->relay, world->site_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (second, NULL, NULL, "https://a.test/");

    second_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  }
  test_sleep_ms (20);
  test_ws_sendf (second, "{'type':'page_view','url':'https://a.test/x','title':'X'}");
  test_visitor_say (second, "hi", NULL);
  {
    g_autoptr(JsonObject) low = get_visitor (world, second_id);

    g_assert_cmpint (test_obj_int (low, "lead_score"), <, score);
  }
  /* a third, latest of all, who saw no page: score 0, last by score */
  {
    g_autoptr(TestWs) third = test_ws_widget (world->relay, world->site_key);
    g_autoptr(JsonObject) welcome = NULL;

    test_ws_send (third, "{\"type\":\"hello\"}");
    welcome = test_ws_wait_for (third, "welcome", 5000);
    third_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  }
  {
    g_autoptr(TestResponse) by_score = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
    g_autoptr(TestResponse) by_time = test_http (world->relay, "GET", recent_path, world->token, NULL, NULL);
    g_autofree char *two_path = g_strdup_printf ("%s&limit=2", list_path);
    g_autoptr(TestResponse) two = test_http (world->relay, "GET", two_path, world->token, NULL, NULL);
    JsonArray *list;

    test_assert_http_status (by_score, 200);
    list = test_obj_array (test_response_object (by_score), "visitors");
    g_assert_cmpuint (json_array_get_length (list), ==, 3);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, world->visitor_id);
    g_assert_cmpint (test_obj_int (json_array_get_object_element (list, 0), "lead_score"), ==, 62);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 1), "id"), ==, second_id);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 2), "id"), ==, third_id);
    g_assert_cmpint (test_obj_int (json_array_get_object_element (list, 2), "lead_score"), ==, 0);
    test_assert_http_status (two, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (two), "visitors")), ==, 2);

    test_assert_http_status (by_time, 200);
    list = test_obj_array (test_response_object (by_time), "visitors");
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, third_id);
  }
  {
    g_autofree char *bad_path = g_strdup_printf ("/api/v1/sites/%s/visitors?sort=name", world->site_id);
    g_autoptr(TestResponse) bad = test_http (world->relay, "GET", bad_path, world->token, NULL, NULL);

    test_assert_http_error (bad, 400, "invalid_value");
  }
}

/* A visitor who sits on a page and does nothing else: the minutes still raise their score, which
 * is stored (sort=lead_score orders by it) and told to the agents without any event of theirs.
 * Time moves on by the relay's test clock (CONFAB_TEST_CLOCK, read again on SIGUSR2). */
static void
test_lead_score_sitting (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-lead-clock-XXXXXX", NULL);
  g_autofree char *clock_path = g_build_filename (dir, "clock", NULL);
  g_autofree char *list_path = NULL;
  g_autofree char *other_id = NULL;
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(TestWs) other = NULL;
  g_autoptr(JsonObject) event = NULL;
  JsonArray *list;

  g_assert_true (g_file_set_contents (clock_path, "0", -1, NULL));
  g_setenv ("CONFAB_TEST_CLOCK", clock_path, TRUE);
  world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_unsetenv ("CONFAB_TEST_CLOCK");
  list_path = g_strdup_printf ("/api/v1/sites/%s/visitors?sort=lead_score", world->site_id);

  /* another visitor saw two pages and left: 6, more than the first one's one page, 3 */
  other = test_ws_widget (world->relay, world->site_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/");
    g_autoptr(JsonObject) seen = NULL;

    other_id = g_strdup (test_obj_string (welcome, "visitor_id"));
    test_ws_sendf (other, "{'type':'page_view','url':'https://a.test/x','title':'X'}");
    test_visitor_say (other, "hi", NULL);
    seen = get_visitor (world, other_id);
    g_assert_cmpint (test_obj_int (seen, "lead_score"), ==, 6);
  }
  test_ws_close (other);
  {
    g_autoptr(JsonObject) first = get_visitor (world, world->visitor_id);

    g_assert_cmpint (test_obj_int (first, "lead_score"), ==, 3);
  }

  /* seven minutes later, the first visitor still on their page: 3 + 7 × 2 */
  {
    g_autofree char *text = g_strdup_printf ("%d", 7 * 60 * 1000);

    g_assert_true (g_file_set_contents (clock_path, text, -1, NULL));
    test_relay_send_signal (world->relay, SIGUSR2);
  }
  for (guint tries = 0; tries < 20; tries++)
    {
      g_clear_pointer (&event, json_object_unref);
      event = test_ws_wait_for_match (world->agent, "visitor", "visitor.id", world->visitor_id, 5000);
      if (test_obj_int (event, "visitor.lead_score") == 17)
        break;
    }
  g_assert_cmpint (test_obj_int (event, "visitor.lead_score"), ==, 17);

  {
    g_autoptr(TestResponse) by_score = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);

    test_assert_http_status (by_score, 200);
    list = test_obj_array (test_response_object (by_score), "visitors");
    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, world->visitor_id);
    g_assert_cmpint (test_obj_int (json_array_get_object_element (list, 0), "lead_score"), ==, 17);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 1), "id"), ==, other_id);
    g_assert_cmpint (test_obj_int (json_array_get_object_element (list, 1), "lead_score"), ==, 6);
  }

  g_unlink (clock_path);
  g_rmdir (dir);
}

static void
test_track (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) visitor = NULL;
  JsonArray *goals;

  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"signup\"}");
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"purchase\",\"value\":49.90}");
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"purchase.big\",\"value\":1200,\"x\":1}");

  /* bad goals: each refused with invalid_value, none stored */
  {
    static const char * const bad[] = {
      "{\"type\":\"track\",\"name\":\"Purchase\"}",
      "{\"type\":\"track\",\"name\":\"\"}",
      "{\"type\":\"track\",\"name\":\"a b\"}",
      "{\"type\":\"track\"}",
      "{\"type\":\"track\",\"name\":5}",
      "{\"type\":\"track\",\"name\":\"x\",\"value\":\"49\"}",
      "{\"type\":\"track\",\"name\":\"x\",\"value\":{}}",
      "{\"type\":\"track\",\"name\":\"x\",\"value\":1e300}",
      "{\"type\":\"track\",\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(JsonObject) error = NULL;

        test_ws_send (world->visitor, bad[i]);
        error = test_ws_expect_error (world->visitor, "invalid_value", 5000);
      }
  }

  visitor = get_visitor (world, world->visitor_id);
  goals = test_obj_array (visitor, "goals");
  g_assert_cmpuint (json_array_get_length (goals), ==, 3);
  /* newest first */
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (goals, 0), "name"), ==, "purchase.big");
  g_assert_cmpfloat (test_obj_number (json_array_get_object_element (goals, 0), "value"), ==, 1200);
  g_assert_cmpfloat_with_epsilon (test_obj_number (json_array_get_object_element (goals, 1), "value"),
                                  49.9, 1e-9);
  g_assert_true (test_obj_is_null (json_array_get_object_element (goals, 2), "value"));
  g_assert_true (test_obj_has (json_array_get_object_element (goals, 2), "at"));
}

static void
test_track_limit (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) visitor = NULL;

  /* 60 an hour: the 61st is refused */
  for (guint i = 0; i < 60; i++)
    test_ws_sendf (world->visitor, "{'type':'track','name':'step_%u','value':%u}", i, i);
  test_ws_expect_none (world->visitor, "error", TEST_QUIET_MS);
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"one_more\"}");
  refused = test_ws_expect_error (world->visitor, "rate_limited", 5000);

  /* the visitor object lists the last ten */
  visitor = get_visitor (world, world->visitor_id);
  g_assert_cmpuint (json_array_get_length (test_obj_array (visitor, "goals")), ==, 10);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (visitor, "goals"), 0), "name"),
                   ==, "step_59");
}

static void
test_goal_analytics (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(TestWs) other = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/analytics?from=%s&to=%s&tz=UTC",
                                           world->site_id, today, today);
  JsonObject *answer;

  /* one visitor buys after a conversation, another without one */
  test_visitor_say (world->visitor, "Do you ship to Austria?", NULL);
  test_ws_send (world->visitor, "{\"type\":\"track\",\"name\":\"purchase\",\"value\":20}");
  other = test_ws_widget (world->relay, world->site_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/");
  }
  test_ws_send (other, "{\"type\":\"track\",\"name\":\"purchase\",\"value\":5.5}");
  test_ws_send (other, "{\"type\":\"track\",\"name\":\"newsletter\"}");
  test_ws_expect_none (other, "error", TEST_QUIET_MS);

  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  answer = test_response_object (response);
  g_assert_cmpint (test_obj_int (answer, "goals.count"), ==, 3);
  g_assert_cmpfloat_with_epsilon (test_obj_number (answer, "goals.value"), 25.5, 1e-9);
  g_assert_cmpint (test_obj_int (answer, "goals.visitors"), ==, 2);
  g_assert_cmpint (test_obj_int (answer, "goals.after_conversation"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "triggers.fired"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/contacts/patch", test_patch_contact);
  test_harness_add ("/relay/contacts/patch-roles", test_patch_roles);
  test_harness_add ("/relay/contacts/lead-score", test_lead_score);
  test_harness_add ("/relay/contacts/lead-score-sitting", test_lead_score_sitting);
  test_harness_add ("/relay/contacts/track", test_track);
  test_harness_add ("/relay/contacts/track-limit", test_track_limit);
  test_harness_add ("/relay/contacts/goal-analytics", test_goal_analytics);

  return g_test_run ();
}
