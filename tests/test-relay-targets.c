/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-targets.c: response-time targets (issue 18) against a real relay: the site
 * settings, the conversation's `target` as messages come and go, the `conversation` events when
 * a target turns near and missed, a restart in the middle, resolved conversations, analytics.
 *
 * Time moves on through the relay's test clock (CONFAB_TEST_CLOCK, confab-targets.h): a file of
 * milliseconds added to the real time, read again on SIGUSR2. Targets here are an hour long, so
 * the few real seconds a test takes never move one by themselves. */

#include "relay-harness.h"

#include <glib/gstdio.h>
#include <signal.h>

#define HOUR_S 3600

typedef struct {
  TestWorld *world;
  char      *clock_path;
} Fixture;

static Fixture *
fixture_new (const char *settings_json)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("targets-XXXXXX", &error);

  g_assert_no_error (error);
  f->clock_path = g_build_filename (dir, "clock", NULL);
  g_assert_true (g_file_set_contents (f->clock_path, "0", -1, NULL));
  /* the relay the world starts inherits it */
  g_setenv ("CONFAB_TEST_CLOCK", f->clock_path, TRUE);
  f->world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  test_ws_ignore (f->world->visitor, "agents_online", "conversation", NULL);
  test_ws_ignore (f->world->agent, "visitor", "presence", "message", "timeline", NULL);

  if (settings_json != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", f->world->site_id);
      g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
      g_autoptr (TestResponse) patched = test_http (f->world->relay, "PATCH", path, f->world->token,
                                                    body, NULL);

      test_assert_http_status (patched, 200);
    }
  return f;
}

static void
fixture_free (Fixture *f)
{
  g_autofree char *dir = g_path_get_dirname (f->clock_path);

  test_world_free (f->world);
  g_unlink (f->clock_path);
  g_rmdir (dir);
  g_free (f->clock_path);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* Moves the relay's targets clock to @seconds past the real time. */
static void
set_clock (Fixture *f,
           gint64   seconds)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, seconds * 1000);

  g_assert_true (g_file_set_contents (f->clock_path, text, -1, NULL));
  test_relay_send_signal (f->world->relay, SIGUSR2);
}

/* The conversation as GET answers it. */
static JsonObject *
get_conversation (Fixture    *f,
                  const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  g_autoptr (TestResponse) response = test_http (f->world->relay, "GET", path, f->world->token,
                                                 NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

/* The first `conversation` event of @conversation_id on @agent whose target is in @state
 * ("ok", "near", "missed"; NULL: no target); the events before it are dropped (a new
 * conversation is told of once created, then again with its first message's target). */
static JsonObject *
target_event (TestWs     *agent,
              const char *conversation_id,
              const char *state)
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MS * 1000 * (gint64) test_timeout_multiplier ();

  while (g_get_monotonic_time () < end)
    {
      g_autoptr (JsonObject) frame = test_ws_find (agent, "conversation", 100);

      if (frame == NULL || g_strcmp0 (test_obj_string (frame, "conversation.id"), conversation_id) != 0)
        continue;
      if (state == NULL ? test_obj_is_null (frame, "conversation.target")
                        : test_obj_has (frame, "conversation.target") &&
                          g_strcmp0 (test_obj_string (frame, "conversation.target.state"), state) == 0)
        return g_steal_pointer (&frame);
    }
  g_error ("no conversation event of %s with target %s came", conversation_id,
           state ? state : "null");
  return NULL;
}

static gint64
parse_time (const char *text)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_iso8601 (text, NULL);

  g_assert_nonnull (time);
  return g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000;
}

/* Site settings: integers 0..86400, anything else refused; agents see them, pages do not. */
static void
test_settings (void)
{
  g_autoptr (Fixture) f = fixture_new (NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", f->world->site_id);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s",
                                                  f->world->site_key);
  struct { const char *body; const char *code; } bad[] = {
    { "{\"settings\":{\"first_response_seconds\":-1}}", "invalid_value" },
    { "{\"settings\":{\"first_response_seconds\":86401}}", "invalid_value" },
    { "{\"settings\":{\"next_response_seconds\":\"60\"}}", "invalid_field" },
    { "{\"settings\":{\"next_response_seconds\":1.5}}", "invalid_field" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (TestResponse) refused = test_http (f->world->relay, "PATCH", path, f->world->token,
                                                    bad[i].body, NULL);

      test_assert_http_error (refused, 400, bad[i].code);
    }

  {
    g_autoptr (TestResponse) patched =
      test_http (f->world->relay, "PATCH", path, f->world->token,
                 "{\"settings\":{\"first_response_seconds\":86400,\"next_response_seconds\":0}}", NULL);
    JsonObject *site;

    test_assert_http_status (patched, 200);
    site = test_response_object (patched);
    g_assert_cmpint (test_obj_int (site, "settings.first_response_seconds"), ==, 86400);
    g_assert_cmpint (test_obj_int (site, "settings.next_response_seconds"), ==, 0);
  }
  {
    g_autoptr (TestResponse) config = test_http (f->world->relay, "GET", config_path, NULL, NULL, NULL);

    test_assert_http_status (config, 200);
    g_assert_false (test_obj_has (test_response_object (config), "settings.first_response_seconds"));
    g_assert_null (test_obj_lookup (test_response_object (config), "settings.next_response_seconds"));
  }
}

/* Met on time: the visitor's first message starts the first response target (due in an hour,
 * ok), time going on to 55 % changes nothing, the agent's answer ends it (a `conversation`
 * event with target null); the visitor's next message starts the next response target. Without
 * settings, no target at all. */
static void
test_met_on_time (void)
{
  g_autoptr (Fixture) f = fixture_new ("{\"first_response_seconds\":3600,"
                                       "\"next_response_seconds\":1800,"
                                       "\"assign_on_reply\":false}");
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) met = NULL;
  g_autoptr (JsonObject) next = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (JsonObject) for_visitor = NULL;
  gint64 before = g_get_real_time () / 1000, due;

  test_ws_unignore (f->world->visitor, "conversation");
  test_visitor_say (f->world->visitor, "Hello?", &conversation_id);
  started = target_event (f->world->agent, conversation_id, "ok");
  /* the team's business only */
  for_visitor = test_ws_wait_for (f->world->visitor, "conversation", TEST_TIMEOUT_MS);
  g_assert_null (test_obj_lookup (for_visitor, "conversation.target"));
  test_ws_ignore (f->world->visitor, "conversation", NULL);
  g_assert_cmpstr (test_obj_string (started, "conversation.target.kind"), ==, "first_response");
  g_assert_cmpstr (test_obj_string (started, "conversation.target.state"), ==, "ok");
  due = parse_time (test_obj_string (started, "conversation.target.due_at"));
  g_assert_cmpint (due, >=, before + HOUR_S * 1000 - 1000);
  g_assert_cmpint (due, <=, g_get_real_time () / 1000 + HOUR_S * 1000 + 1000);

  /* a second visitor message while it runs: the same target */
  test_visitor_say (f->world->visitor, "Anyone there?", NULL);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  set_clock (f, HOUR_S * 55 / 100);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);
  got = get_conversation (f, conversation_id);
  g_assert_cmpstr (test_obj_string (got, "target.state"), ==, "ok");
  g_assert_cmpstr (test_obj_string (got, "target.due_at"), ==,
                   test_obj_string (started, "conversation.target.due_at"));

  test_agent_say (f->world->agent, conversation_id, "Here I am");
  met = target_event (f->world->agent, conversation_id, NULL);
  g_assert_true (test_obj_is_null (met, "conversation.target"));
  g_clear_pointer (&got, json_object_unref);
  got = get_conversation (f, conversation_id);
  g_assert_true (test_obj_is_null (got, "target"));
  /* an agent's second message with no target running: nothing to tell */
  test_agent_say (f->world->agent, conversation_id, "How can I help?");
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  /* the visitor answers: the ball is with the agents again */
  test_visitor_say (f->world->visitor, "My order", NULL);
  next = target_event (f->world->agent, conversation_id, "ok");
  g_assert_cmpstr (test_obj_string (next, "conversation.target.kind"), ==, "next_response");
  g_assert_cmpstr (test_obj_string (next, "conversation.target.state"), ==, "ok");
  due = parse_time (test_obj_string (next, "conversation.target.due_at"));
  g_assert_cmpint (due, <=, g_get_real_time () / 1000 + 1800 * 1000 + 1000);
  g_assert_cmpint (due, >=, before + 1800 * 1000 - 1000);
}

/* No target set: target null all along, nothing more to tell; until the site sets one. */
static void
test_no_target (void)
{
  g_autoptr (Fixture) f = fixture_new ("{\"first_response_seconds\":0}");
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (JsonObject) created = NULL;

  test_visitor_say (f->world->visitor, "Hello?", &conversation_id);
  created = target_event (f->world->agent, conversation_id, NULL);
  g_assert_true (test_obj_is_null (created, "conversation.target"));
  test_visitor_say (f->world->visitor, "Anyone?", NULL);
  got = get_conversation (f, conversation_id);
  g_assert_true (test_obj_is_null (got, "target"));
  set_clock (f, 2 * 86400);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  /* set now: the visitor's next message has one (whatever connection stores it read the site
   * before) */
  set_clock (f, 0);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", f->world->site_id);
    g_autoptr (TestResponse) patched = test_http (f->world->relay, "PATCH", path, f->world->token,
                                                  "{\"settings\":{\"first_response_seconds\":3600}}",
                                                  NULL);
    g_autoptr (JsonObject) started = NULL;

    test_assert_http_status (patched, 200);
    test_visitor_say (f->world->visitor, "Hello again?", NULL);
    started = target_event (f->world->agent, conversation_id, "ok");
    g_assert_cmpstr (test_obj_string (started, "conversation.target.kind"), ==, "first_response");
  }
}

/* Near at 80 %, then missed: a `conversation` event each, once; the answer after that ends the
 * target, and analytics count it missed, not met. */
static void
test_near_then_missed (void)
{
  g_autoptr (Fixture) f = fixture_new ("{\"first_response_seconds\":3600,\"assign_on_reply\":false}");
  g_autofree char *conversation_id = NULL;
  g_autofree char *analytics_path = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) near = NULL;
  g_autoptr (JsonObject) missed = NULL;
  g_autoptr (JsonObject) answered = NULL;
  g_autoptr (JsonObject) got = NULL;

  test_visitor_say (f->world->visitor, "Hello?", &conversation_id);
  started = target_event (f->world->agent, conversation_id, "ok");
  g_assert_cmpstr (test_obj_string (started, "conversation.target.state"), ==, "ok");

  set_clock (f, HOUR_S * 81 / 100);
  near = target_event (f->world->agent, conversation_id, "near");
  g_assert_cmpstr (test_obj_string (near, "conversation.target.kind"), ==, "first_response");
  g_assert_cmpstr (test_obj_string (near, "conversation.target.state"), ==, "near");
  g_assert_cmpstr (test_obj_string (near, "conversation.target.due_at"), ==,
                   test_obj_string (started, "conversation.target.due_at"));
  got = get_conversation (f, conversation_id);
  g_assert_cmpstr (test_obj_string (got, "target.state"), ==, "near");

  /* the same time again: told once */
  set_clock (f, HOUR_S * 82 / 100);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  set_clock (f, HOUR_S + 60);
  missed = target_event (f->world->agent, conversation_id, "missed");
  g_assert_cmpstr (test_obj_string (missed, "conversation.target.state"), ==, "missed");
  g_clear_pointer (&got, json_object_unref);
  got = get_conversation (f, conversation_id);
  g_assert_cmpstr (test_obj_string (got, "target.state"), ==, "missed");
  set_clock (f, 3 * HOUR_S);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  test_agent_say (f->world->agent, conversation_id, "Sorry for the wait");
  answered = target_event (f->world->agent, conversation_id, NULL);
  g_assert_true (test_obj_is_null (answered, "conversation.target"));

  analytics_path = g_strdup_printf ("/api/v1/sites/%s/analytics", f->world->site_id);
  {
    g_autoptr (TestResponse) response = test_http (f->world->relay, "GET", analytics_path,
                                                   f->world->token, NULL, NULL);
    JsonObject *answer;

    test_assert_http_status (response, 200);
    answer = test_response_object (response);
    g_assert_cmpint (test_obj_int (answer, "targets.first_response.met"), ==, 0);
    g_assert_cmpint (test_obj_int (answer, "targets.first_response.missed"), ==, 1);
    g_assert_cmpint (test_obj_int (answer, "targets.next_response.met"), ==, 0);
    g_assert_cmpint (test_obj_int (answer, "targets.next_response.missed"), ==, 0);
  }
}

/* A restart in the middle keeps the due time and the state; the restarted relay turns it near
 * on time, and one that came due while it was down is missed as soon as it is back. */
static void
test_restart_keeps_due_times (void)
{
  g_autoptr (Fixture) f = fixture_new ("{\"first_response_seconds\":3600,\"assign_on_reply\":false}");
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (JsonObject) near = NULL;
  g_autoptr (JsonObject) missed = NULL;
  g_autoptr (TestWs) agent = NULL;
  g_autoptr (TestWs) agent_again = NULL;
  g_autoptr (GPtrArray) backlog = NULL;

  test_visitor_say (f->world->visitor, "Hello?", &conversation_id);
  started = target_event (f->world->agent, conversation_id, "ok");
  g_clear_pointer (&f->world->visitor, test_ws_free);
  g_clear_pointer (&f->world->agent, test_ws_free);

  test_relay_stop (f->world->relay);
  test_relay_start (f->world->relay);
  got = get_conversation (f, conversation_id);
  g_assert_cmpstr (test_obj_string (got, "target.kind"), ==, "first_response");
  g_assert_cmpstr (test_obj_string (got, "target.state"), ==, "ok");
  g_assert_cmpstr (test_obj_string (got, "target.due_at"), ==,
                   test_obj_string (started, "conversation.target.due_at"));

  agent = test_ws_agent (f->world->relay, f->world->token);
  test_agent_subscribe (agent, 0, NULL);
  test_ws_ignore (agent, "presence", "visitor", NULL);
  set_clock (f, HOUR_S * 81 / 100);
  near = target_event (agent, conversation_id, "near");
  g_assert_cmpstr (test_obj_string (near, "conversation.target.state"), ==, "near");

  /* down while it comes due */
  g_clear_pointer (&agent, test_ws_free);
  test_relay_stop (f->world->relay);
  g_assert_true (g_file_set_contents (f->clock_path, "3700000", -1, NULL));
  test_relay_start (f->world->relay);
  agent_again = test_ws_agent (f->world->relay, f->world->token);
  test_ws_ignore (agent_again, "presence", "visitor", NULL);
  /* the relay marks it when its main loop starts: in the backlog, or live just after */
  test_agent_subscribe (agent_again, 0, &backlog);
  for (guint i = 0; i < backlog->len && missed == NULL; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "conversation") == 0 &&
          test_obj_has (frame, "conversation.target") &&
          g_strcmp0 (test_obj_string (frame, "conversation.target.state"), "missed") == 0)
        missed = json_object_ref (frame);
    }
  if (missed == NULL)
    missed = test_ws_wait_for_match (agent_again, "conversation", "conversation.target.state",
                                     "missed", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (missed, "conversation.id"), ==, conversation_id);
  g_clear_pointer (&got, json_object_unref);
  got = get_conversation (f, conversation_id);
  g_assert_cmpstr (test_obj_string (got, "target.state"), ==, "missed");
}

/* Resolving stops the target (an event with target null, nothing more when its time comes, not
 * counted in analytics); the visitor writing again reopens it with a new target. */
static void
test_resolved_has_none (void)
{
  g_autoptr (Fixture) f = fixture_new ("{\"first_response_seconds\":3600,\"assign_on_reply\":false}");
  g_autofree char *conversation_id = NULL;
  g_autofree char *analytics_path = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) resolved = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (JsonObject) reopened = NULL;

  test_visitor_say (f->world->visitor, "Hello?", &conversation_id);
  started = target_event (f->world->agent, conversation_id, "ok");
  g_assert_cmpstr (test_obj_string (started, "conversation.target.state"), ==, "ok");

  test_ws_sendf (f->world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  resolved = test_ws_wait_for_match (f->world->agent, "conversation", "conversation.status",
                                     "resolved", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_is_null (resolved, "conversation.target"));
  got = get_conversation (f, conversation_id);
  g_assert_true (test_obj_is_null (got, "target"));

  set_clock (f, 2 * HOUR_S);
  test_ws_expect_none (f->world->agent, "conversation", TEST_QUIET_MS);

  analytics_path = g_strdup_printf ("/api/v1/sites/%s/analytics", f->world->site_id);
  {
    g_autoptr (TestResponse) response = test_http (f->world->relay, "GET", analytics_path,
                                                   f->world->token, NULL, NULL);
    JsonObject *answer;

    test_assert_http_status (response, 200);
    answer = test_response_object (response);
    g_assert_cmpint (test_obj_int (answer, "targets.first_response.met"), ==, 0);
    g_assert_cmpint (test_obj_int (answer, "targets.first_response.missed"), ==, 0);
  }

  /* back to real time; the visitor writes again: open, nobody answered yet, a first response */
  set_clock (f, 0);
  test_visitor_say (f->world->visitor, "Still there?", NULL);
  reopened = target_event (f->world->agent, conversation_id, "ok");
  g_assert_cmpstr (test_obj_string (reopened, "conversation.status"), ==, "open");
  g_assert_cmpstr (test_obj_string (reopened, "conversation.target.kind"), ==, "first_response");
  g_assert_cmpstr (test_obj_string (reopened, "conversation.target.state"), ==, "ok");
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/targets/settings", test_settings);
  test_harness_add ("/relay/targets/met-on-time", test_met_on_time);
  test_harness_add ("/relay/targets/none", test_no_target);
  test_harness_add ("/relay/targets/near-then-missed", test_near_then_missed);
  test_harness_add ("/relay/targets/restart-keeps-due-times", test_restart_keeps_due_times);
  test_harness_add ("/relay/targets/resolved-has-none", test_resolved_has_none);

  return g_test_run ();
}
