/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-triggers.c: proactive triggers (issue 16) against a real relay — CRUD by owners and
 * admins with its audit and live "triggers" frame, the widget config's conditions, the "trigger"
 * → "greeting" exchange (once per visit, never into a conversation going on), the greeting stored
 * as the conversation's first message once the visitor writes, and the analytics' triggers. */
#include "relay-harness.h"

#include <string.h>

static JsonObject *
create_trigger (TestWorld  *world,
                const char *body,
                guint       status,
                const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/triggers", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_error (response, status, code);
  return status == 201 ? json_object_ref (test_response_object (response)) : NULL;
}

static char *
agent_trigger_body (TestWorld  *world,
                    const char *name,
                    const char *extra)
{
  return g_strdup_printf ("{\"name\":\"%s\",\"conditions\":{\"url\":\"*/pricing*\",\"seconds_on_page\":5},"
                          "\"message\":{\"en\":\"Questions about our plans?\",\"de\":\"Fragen zu unseren Tarifen?\"},"
                          "\"sender\":{\"type\":\"agent\",\"agent_id\":\"%s\"},\"ask_email\":true%s}",
                          name, world->user_id, extra ? extra : "");
}

static void
test_crud (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *body = agent_trigger_body (world, "Pricing help", NULL);
  g_autoptr(JsonObject) trigger = create_trigger (world, body, 201, NULL);
  g_autoptr(JsonObject) pushed = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/triggers/%s", test_obj_string (trigger, "id"));
  g_autofree char *list_path = g_strdup_printf ("/api/v1/sites/%s/triggers", world->site_id);
  g_autofree char *audit_path = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);

  g_assert_true (g_str_has_prefix (test_obj_string (trigger, "id"), "trg_"));
  g_assert_cmpstr (test_obj_string (trigger, "site_id"), ==, world->site_id);
  g_assert_true (test_obj_bool (trigger, "enabled"));
  g_assert_true (test_obj_bool (trigger, "ask_email"));
  g_assert_cmpint (test_obj_int (trigger, "conditions.seconds_on_page"), ==, 5);
  g_assert_cmpstr (test_obj_string (trigger, "conditions.url"), ==, "*/pricing*");
  /* the conditions not given are there, as null */
  g_assert_true (test_obj_is_null (trigger, "conditions.referrer"));
  g_assert_true (test_obj_is_null (trigger, "conditions.returning"));
  g_assert_true (test_obj_is_null (trigger, "conditions.page_views"));
  g_assert_cmpstr (test_obj_string (trigger, "message.de"), ==, "Fragen zu unseren Tarifen?");
  g_assert_cmpstr (test_obj_string (trigger, "sender.agent_id"), ==, world->user_id);
  g_assert_true (test_obj_has (trigger, "created_at"));

  /* the team hears of it */
  pushed = test_ws_wait_for (world->agent, "triggers", 5000);
  g_assert_cmpstr (test_obj_string (pushed, "site_id"), ==, world->site_id);
  g_assert_cmpuint (json_array_get_length (test_obj_array (pushed, "triggers")), ==, 1);

  /* bad input: each with its error, nothing stored */
  {
    g_autofree char *stranger = g_strdup_printf ("{\"name\":\"x\",\"conditions\":{},\"message\":\"Hi\","
                                                 "\"sender\":{\"type\":\"agent\",\"agent_id\":\"usr_nobody\"}}");
    static const struct { const char *body; const char *code; } bad[] = {
      { "{\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_field" },
      { "{\"name\":\"\",\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"123456789012345678901234567890123456789012345678901234567890123456789012345678901\","
        "\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{\"colour\":1},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{\"seconds_on_page\":3601},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{\"seconds_on_page\":\"5\"},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{\"page_views\":0},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{\"returning\":1},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{\"url\":\"\"},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":[],\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":\" \",\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":{},\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":{\"not a tag\":\"Hi\"},\"sender\":{\"type\":\"assistant\"}}", "invalid_value" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"robot\"}}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"},\"ask_email\":\"yes\"}", "invalid_field" },
      { "{\"name\":\"x\",\"conditions\":{},\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"},\"when\":1}", "invalid_field" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      g_assert_null (create_trigger (world, bad[i].body, 400, bad[i].code));
    g_assert_null (create_trigger (world, stranger, 400, "invalid_value"));
  }
  {
    g_autoptr(TestResponse) listed = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);

    test_assert_http_status (listed, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (listed), "triggers")), ==, 1);
  }

  /* PATCH changes what it names */
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", path, world->token,
                                                 "{\"enabled\":false,\"message\":\"Hello!\","
                                                 "\"sender\":{\"type\":\"assistant\"}}", NULL);
    JsonObject *object;

    test_assert_http_status (patched, 200);
    object = test_response_object (patched);
    g_assert_false (test_obj_bool (object, "enabled"));
    g_assert_cmpstr (test_obj_string (object, "message"), ==, "Hello!");
    g_assert_cmpstr (test_obj_string (object, "sender.type"), ==, "assistant");
    g_assert_cmpstr (test_obj_string (object, "name"), ==, "Pricing help");
    g_assert_cmpint (test_obj_int (object, "conditions.seconds_on_page"), ==, 5);
  }
  {
    g_autoptr(TestResponse) bad = test_http (world->relay, "PATCH", path, world->token,
                                             "{\"conditions\":{\"page_views\":101}}", NULL);

    test_assert_http_error (bad, 400, "invalid_value");
  }
  {
    g_autoptr(TestResponse) got = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_status (got, 200);
    g_assert_true (test_obj_is_null (test_response_object (got), "conditions.page_views"));
  }

  /* another site's owner sees nothing of it */
  {
    g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL;
    g_autoptr(TestResponse) foreign = NULL;

    test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
    foreign = test_http (world->relay, "DELETE", path, other_token, NULL, NULL);
    test_assert_http_error (foreign, 404, "not_found");
  }

  {
    g_autoptr(TestResponse) deleted = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) gone = NULL;

    test_assert_http_status (deleted, 204);
    gone = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    test_assert_http_error (gone, 404, "not_found");
  }

  /* the audit log has all three */
  {
    g_autoptr(TestResponse) audit = test_http (world->relay, "GET", audit_path, world->token, NULL, NULL);
    g_autofree char *text = test_response_text (audit);

    test_assert_http_status (audit, 200);
    g_assert_nonnull (strstr (text, "\"trigger.created\""));
    g_assert_nonnull (strstr (text, "\"trigger.updated\""));
    g_assert_nonnull (strstr (text, "\"trigger.deleted\""));
  }
}

static JsonObject *
widget_config (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, NULL, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

static void
test_widget_config (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autofree char *body = agent_trigger_body (world, "On", NULL);
  g_autofree char *off_body = agent_trigger_body (world, "Off", ",\"enabled\":false");
  g_autoptr(JsonObject) on = create_trigger (world, body, 201, NULL);
  g_autoptr(JsonObject) off = create_trigger (world, off_body, 201, NULL);
  g_autoptr(JsonObject) config = widget_config (world);
  JsonArray *triggers = test_obj_array (config, "triggers");
  JsonObject *only;

  /* the enabled one, with its id and conditions only: no message, no agent */
  g_assert_cmpuint (json_array_get_length (triggers), ==, 1);
  only = json_array_get_object_element (triggers, 0);
  g_assert_cmpstr (test_obj_string (only, "id"), ==, test_obj_string (on, "id"));
  g_assert_cmpint (test_obj_int (only, "conditions.seconds_on_page"), ==, 5);
  g_assert_false (test_obj_has (only, "message"));
  g_assert_false (test_obj_has (only, "sender"));
  g_assert_false (test_obj_has (only, "name"));
}

static void
test_greeting (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *body = agent_trigger_body (world, "Pricing help", NULL);
  g_autoptr(JsonObject) trigger = create_trigger (world, body, 201, NULL);
  g_autoptr(JsonObject) off = create_trigger (world,
                                              "{\"name\":\"Off\",\"enabled\":false,\"conditions\":{},"
                                              "\"message\":\"No\",\"sender\":{\"type\":\"assistant\"}}", 201, NULL);
  g_autoptr(JsonObject) greeting = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  const char *id = test_obj_string (trigger, "id");
  g_autofree char *conversation_id = NULL;
  g_autofree char *messages_path = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *analytics_path = g_strdup_printf ("/api/v1/sites/%s/analytics?from=%s&to=%s&tz=UTC",
                                                     world->site_id, today, today);

  test_ws_sendf (world->visitor, "{'type':'trigger','trigger_id':'%s'}", id);
  greeting = test_ws_wait_for (world->visitor, "greeting", 5000);
  g_assert_cmpstr (test_obj_string (greeting, "trigger_id"), ==, id);
  /* the visitor has no language: the first text */
  g_assert_cmpstr (test_obj_string (greeting, "text"), ==, "Questions about our plans?");
  g_assert_cmpstr (test_obj_string (greeting, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (greeting, "sender.name"), ==, "Owner a");
  /* null: the owner has no picture */
  g_assert_nonnull (test_obj_lookup (greeting, "sender.avatar_url"));
  g_assert_true (test_obj_bool (greeting, "ask_email"));

  /* once per visit; a disabled or unknown trigger says nothing */
  test_ws_sendf (world->visitor, "{'type':'trigger','trigger_id':'%s'}", id);
  test_ws_sendf (world->visitor, "{'type':'trigger','trigger_id':'%s'}", test_obj_string (off, "id"));
  test_ws_send (world->visitor, "{\"type\":\"trigger\",\"trigger_id\":\"trg_nothing\"}");
  test_ws_expect_none (world->visitor, "greeting", TEST_QUIET_MS);
  test_ws_send (world->visitor, "{\"type\":\"trigger\"}");
  {
    g_autoptr(JsonObject) error = test_ws_expect_error (world->visitor, "missing_field", 5000);
  }

  /* the visitor answers: the greeting comes first in the new conversation */
  test_visitor_say (world->visitor, "Yes, what does Pro cost?", &conversation_id);
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
    JsonArray *list;
    JsonObject *first, *second;

    test_assert_http_status (response, 200);
    list = test_obj_array (test_response_object (response), "messages");
    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    first = json_array_get_object_element (list, 0);
    second = json_array_get_object_element (list, 1);
    g_assert_cmpint (test_obj_int (first, "seq"), ==, 1);
    g_assert_cmpstr (test_obj_string (first, "body"), ==, "Questions about our plans?");
    g_assert_cmpstr (test_obj_string (first, "sender.type"), ==, "agent");
    g_assert_cmpstr (test_obj_string (first, "sender.name"), ==, "Owner a");
    g_assert_cmpint (test_obj_int (second, "seq"), ==, 2);
    g_assert_cmpstr (test_obj_string (second, "sender.type"), ==, "visitor");
  }

  /* a conversation is going on: no greeting, even of another trigger */
  {
    g_autoptr(JsonObject) other = create_trigger (world,
                                                  "{\"name\":\"Other\",\"conditions\":{},"
                                                  "\"message\":\"Hi\",\"sender\":{\"type\":\"assistant\"}}", 201, NULL);

    test_ws_sendf (world->visitor, "{'type':'trigger','trigger_id':'%s'}", test_obj_string (other, "id"));
    test_ws_expect_none (world->visitor, "greeting", TEST_QUIET_MS);
  }

  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", analytics_path, world->token, NULL, NULL);

    test_assert_http_status (response, 200);
    g_assert_cmpint (test_obj_int (test_response_object (response), "triggers.fired"), ==, 1);
    g_assert_cmpint (test_obj_int (test_response_object (response), "triggers.conversations"), ==, 1);
  }
}

static void
test_assistant_greeting (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) trigger = create_trigger (world,
                                                  "{\"name\":\"Welcome\",\"conditions\":{\"returning\":false},"
                                                  "\"message\":{\"en\":\"Hi!\",\"de\":\"Hallo!\"},"
                                                  "\"sender\":{\"type\":\"assistant\"}}", 201, NULL);
  g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) greeting = NULL;

  test_ws_send (visitor, "{\"type\":\"hello\",\"locale\":\"de-AT\",\"url\":\"https://a.test/\"}");
  welcome = test_ws_wait_for (visitor, "welcome", 5000);
  test_ws_sendf (visitor, "{'type':'trigger','trigger_id':'%s'}", test_obj_string (trigger, "id"));
  greeting = test_ws_wait_for (visitor, "greeting", 5000);
  /* de-AT finds de */
  g_assert_cmpstr (test_obj_string (greeting, "text"), ==, "Hallo!");
  g_assert_cmpstr (test_obj_string (greeting, "sender.type"), ==, "bot");
  g_assert_cmpstr (test_obj_string (greeting, "sender.name"), ==, "Assistant");
  g_assert_false (test_obj_bool (greeting, "ask_email"));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/triggers/crud", test_crud);
  test_harness_add ("/relay/triggers/widget-config", test_widget_config);
  test_harness_add ("/relay/triggers/greeting", test_greeting);
  test_harness_add ("/relay/triggers/assistant-greeting", test_assistant_greeting);

  return g_test_run ();
}
