/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-labels.c: labels (issue 14) — admins manage the site's labels, every change is
 * audited and pushed live; any member puts them on a conversation, which then carries them (REST
 * and the persisted conversation frame) and can be filtered by them */

#include "relay-harness.h"

#include <string.h>

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "message", NULL);
}

static char *
create_label (TestWorld  *world,
              const char *name,
              const char *color)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/labels", world->site_id);
  g_autofree char *body = test_json ("{'name':'%s','color':'%s'}", name, color);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (test_response_object (response), "id"));
}

/* The names in the "labels" array at @path of @object, joined by commas. */
static char *
label_names (JsonObject *object,
             const char *path)
{
  JsonArray *labels = test_obj_array (object, path);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (labels); i++)
    g_string_append_printf (names, "%s%s", i ? "," : "",
                            test_obj_string (json_array_get_object_element (labels, i), "name"));
  return g_strdup (names->str);
}

static void
test_label_crud (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s/labels", world->site_id);
  g_autofree char *billing = NULL, *label_path = NULL, *audit_path = NULL, *names = NULL;
  g_autoptr(TestResponse) created = NULL, duplicate = NULL, bad_color = NULL, too_long = NULL;
  g_autoptr(TestResponse) patched = NULL, renamed_taken = NULL, listed = NULL, deleted = NULL;
  g_autoptr(TestResponse) gone = NULL, audit = NULL, extra = NULL;
  g_autoptr(JsonObject) pushed = NULL;
  g_autofree char *long_name = g_strnfill (51, 'x');
  g_autofree char *long_body = NULL;
  JsonObject *label;
  JsonArray *entries;
  guint found = 0;

  quiet_world (world);

  created = test_http (world->relay, "POST", site_path, world->token,
                       "{\"name\":\"Billing\",\"color\":\"#22c55e\"}", NULL);
  test_assert_http_status (created, 201);
  label = test_response_object (created);
  billing = g_strdup (test_obj_string (label, "id"));
  g_assert_cmpstr (test_obj_string (label, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (label, "name"), ==, "Billing");
  g_assert_cmpstr (test_obj_string (label, "color"), ==, "#22c55e");

  /* pushed live to the site's agents, the whole list */
  pushed = test_ws_wait_for (world->agent, "labels", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (pushed, "site_id"), ==, world->site_id);
  names = label_names (pushed, "labels");
  g_assert_cmpstr (names, ==, "Billing");

  /* unique per site whatever the case; colours as #rrggbb; names 1–50 characters */
  duplicate = test_http (world->relay, "POST", site_path, world->token,
                         "{\"name\":\"BILLING\",\"color\":\"#000000\"}", NULL);
  test_assert_http_error (duplicate, 409, "conflict");
  bad_color = test_http (world->relay, "POST", site_path, world->token,
                         "{\"name\":\"Red\",\"color\":\"red\"}", NULL);
  test_assert_http_error (bad_color, 400, "invalid_value");
  long_body = test_json ("{'name':'%s','color':'#ffffff'}", long_name);
  too_long = test_http (world->relay, "POST", site_path, world->token, long_body, NULL);
  test_assert_http_error (too_long, 400, "invalid_value");
  extra = test_http (world->relay, "POST", site_path, world->token,
                     "{\"name\":\"Red\",\"color\":\"#ff0000\",\"icon\":\"x\"}", NULL);
  test_assert_http_error (extra, 400, "invalid_field");

  g_free (create_label (world, "Refund", "#ef4444"));
  label_path = g_strdup_printf ("/api/v1/labels/%s", billing);
  patched = test_http (world->relay, "PATCH", label_path, world->token, "{\"color\":\"#0000FF\"}", NULL);
  test_assert_http_status (patched, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (patched), "color"), ==, "#0000FF");
  g_assert_cmpstr (test_obj_string (test_response_object (patched), "name"), ==, "Billing");
  renamed_taken = test_http (world->relay, "PATCH", label_path, world->token, "{\"name\":\"refund\"}", NULL);
  test_assert_http_error (renamed_taken, 409, "conflict");

  listed = test_http (world->relay, "GET", site_path, world->token, NULL, NULL);
  test_assert_http_status (listed, 200);
  g_clear_pointer (&names, g_free);
  names = label_names (test_response_object (listed), "labels");
  g_assert_cmpstr (names, ==, "Billing,Refund");

  deleted = test_http (world->relay, "DELETE", label_path, world->token, NULL, NULL);
  test_assert_http_status (deleted, 204);
  gone = test_http (world->relay, "GET", label_path, world->token, NULL, NULL);
  test_assert_http_error (gone, 404, "not_found");

  /* each change is in the audit log */
  audit_path = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
  audit = test_http (world->relay, "GET", audit_path, world->token, NULL, NULL);
  test_assert_http_status (audit, 200);
  entries = test_obj_array (test_response_object (audit), "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *action = test_obj_string (json_array_get_object_element (entries, i), "action");

      if (g_strcmp0 (action, "label.created") == 0 || g_strcmp0 (action, "label.updated") == 0 ||
          g_strcmp0 (action, "label.deleted") == 0)
        found++;
    }
  /* Billing and Refund created, Billing updated, Billing deleted */
  g_assert_cmpuint (found, ==, 4);
}

static void
test_label_conversations (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *billing = NULL, *vip = NULL, *conversation_id = NULL, *second_id = NULL;
  g_autofree char *put_path = NULL, *body = NULL, *names = NULL, *list_path = NULL;
  g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL, *foreign = NULL;
  g_autoptr(TestResponse) put = NULL, got = NULL, filtered = NULL, none = NULL, refused = NULL;
  g_autoptr(TestResponse) foreign_put = NULL, foreign_filter = NULL;
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  JsonArray *conversations;

  quiet_world (world);
  test_ws_ignore (world->agent, "labels", NULL);
  billing = create_label (world, "Billing", "#22c55e");
  vip = create_label (world, "VIP", "#eab308");

  test_visitor_say (world->visitor, "Invoice question", &conversation_id);
  second = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (second, NULL, NULL, "https://a.test/");
  test_ws_ignore (second, "agents_online", NULL);
  test_visitor_say (second, "Another question", &second_id);
  g_ptr_array_unref (test_ws_drain (world->agent, 300));
  g_ptr_array_unref (test_ws_drain (world->visitor, 0));

  /* any member puts labels on a conversation: the answer and the live frame carry them */
  put_path = g_strdup_printf ("/api/v1/conversations/%s/labels", conversation_id);
  body = test_json ("{'label_ids':['%s','%s']}", vip, billing);
  put = test_http (world->relay, "PUT", put_path, world->token, body, NULL);
  test_assert_http_status (put, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (put), "id"), ==, conversation_id);
  names = label_names (test_response_object (put), "labels");
  g_assert_cmpstr (names, ==, "Billing,VIP");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (
                     test_obj_array (test_response_object (put), "labels"), 0), "color"), ==, "#22c55e");

  frame = test_ws_wait_for_match (world->agent, "conversation", "conversation.id", conversation_id,
                                  TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (frame, "cursor"), >, 0);
  g_clear_pointer (&names, g_free);
  names = label_names (frame, "conversation.labels");
  g_assert_cmpstr (names, ==, "Billing,VIP");
  /* the visitor's view has no labels */
  {
    g_autoptr(GPtrArray) frames = test_ws_drain (world->visitor, TEST_QUIET_MS);

    for (guint i = 0; i < frames->len; i++)
      g_assert_false (test_obj_has (g_ptr_array_index (frames, i), "conversation.labels"));
  }

  got = test_http (world->relay, "GET", put_path + 0, world->token, NULL, NULL);
  test_assert_http_status (got, 200);

  /* ?label= filters the site's conversations */
  list_path = g_strdup_printf ("/api/v1/sites/%s/conversations?label=%s", world->site_id, vip);
  filtered = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
  test_assert_http_status (filtered, 200);
  conversations = test_obj_array (test_response_object (filtered), "conversations");
  g_assert_cmpuint (json_array_get_length (conversations), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (conversations, 0), "id"), ==,
                   conversation_id);
  g_clear_pointer (&list_path, g_free);
  list_path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  none = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (none), "conversations")),
                    ==, 2);

  /* a label of another site is refused and changes nothing; nor does its filter find ours */
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/labels", other_site);
    g_autoptr(TestResponse) made = test_http (world->relay, "POST", path, other_token,
                                              "{\"name\":\"Theirs\",\"color\":\"#111111\"}", NULL);
    test_assert_http_status (made, 201);
    foreign = g_strdup (test_obj_string (test_response_object (made), "id"));
  }
  g_clear_pointer (&body, g_free);
  body = test_json ("{'label_ids':['%s','%s']}", billing, foreign);
  foreign_put = test_http (world->relay, "PUT", put_path, world->token, body, NULL);
  test_assert_http_error (foreign_put, 400, "invalid_value");
  g_clear_pointer (&list_path, g_free);
  list_path = g_strdup_printf ("/api/v1/sites/%s/conversations?label=%s", world->site_id, foreign);
  foreign_filter = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (foreign_filter),
                                                           "conversations")), ==, 0);
  {
    g_autoptr(TestResponse) still = test_http (world->relay, "GET", put_path, world->token, NULL, NULL);
    g_autofree char *kept = label_names (test_response_object (still), "labels");

    g_assert_cmpstr (kept, ==, "Billing,VIP");
  }
  /* the other site's owner neither sees nor labels our conversation */
  refused = test_http (world->relay, "PUT", put_path, other_token, "{\"label_ids\":[]}", NULL);
  test_assert_http_error (refused, 404, "not_found");

  /* deleting a label takes it off the conversation */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/labels/%s", vip);
    g_autoptr(TestResponse) deleted = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) after = NULL;
    g_autofree char *left = NULL;

    test_assert_http_status (deleted, 204);
    after = test_http (world->relay, "GET", put_path, world->token, NULL, NULL);
    left = label_names (test_response_object (after), "labels");
    g_assert_cmpstr (left, ==, "Billing");
  }

  /* [] takes them all off */
  {
    g_autoptr(TestResponse) cleared = test_http (world->relay, "PUT", put_path, world->token,
                                                 "{\"label_ids\":[]}", NULL);
    test_assert_http_status (cleared, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (cleared), "labels")),
                      ==, 0);
  }
  {
    g_autoptr(TestResponse) bad = test_http (world->relay, "PUT", put_path, world->token,
                                             "{\"label_ids\":\"lbl_x\"}", NULL);
    test_assert_http_error (bad, 400, "invalid_value");
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/labels/crud", test_label_crud);
  test_harness_add ("/relay/labels/conversations", test_label_conversations);

  return g_test_run ();
}
