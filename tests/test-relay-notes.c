/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-notes.c: internal notes (issue 14) — the team sees them, with @mentions resolved;
 * a visitor never does (no socket frame, no seq, no REST, no export meant for them) */

#include "relay-harness.h"

#include <string.h>

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", "typing", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", NULL);
}

/* A second member of the world's site (the admin CLI, as an operator would): its token. */
static char *
add_agent (TestWorld  *world,
           const char *email,
           const char *name,
           char      **out_user_id)
{
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, "agent password 1", name);
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

static gboolean
log_contains (TestWs     *ws,
              const char *text)
{
  GPtrArray *log = test_ws_log (ws);

  for (guint i = 0; i < log->len; i++)
    if (strstr (g_ptr_array_index (log, i), text) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_note_to_the_team_only (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *bea_id = NULL, *carl_id = NULL, *conversation_id = NULL;
  g_autofree char *bea_token = NULL, *carl_token = NULL, *path = NULL, *export_path = NULL;
  g_autoptr(TestWs) bea = NULL;
  g_autoptr(JsonObject) ack = NULL, frame = NULL, seen = NULL, echo = NULL;
  g_autoptr(TestResponse) listed = NULL, as_visitor = NULL, exported = NULL;
  JsonArray *mentions, *notes, *conversations;
  gint64 seq;

  quiet_world (world);
  bea_token = add_agent (world, "bea@a.test", "Bea Stone", &bea_id);
  carl_token = add_agent (world, "carl@a.test", "Carl Berg", &carl_id);
  bea = test_ws_agent (world->relay, bea_token);
  test_agent_subscribe (bea, 0, NULL);
  test_ws_ignore (bea, "visitor", "presence", "conversation", "message", "typing_preview", NULL);

  test_visitor_say (world->visitor, "My parcel is lost", &conversation_id);
  test_ws_ignore (world->agent, "conversation", "message", NULL);
  g_ptr_array_unref (test_ws_drain (world->visitor, 200));

  /* "@bea" is Bea by her unique first name, "@Carl Berg" by his full name, any case */
  test_ws_sendf (world->agent,
                 "{'type':'note','conversation_id':'%s','client_id':'n-1',"
                 "'body':'@bea can you check the carrier? cc @carl berg, not @nobody'}",
                 conversation_id);
  ack = test_ws_wait_for (world->agent, "ack", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, "n-1");
  g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, conversation_id);
  g_assert_nonnull (test_obj_string (ack, "note_id"));

  frame = test_ws_wait_for (world->agent, "note", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "site_id"), ==, world->site_id);
  g_assert_cmpint (test_obj_int (frame, "cursor"), >, 0);
  g_assert_cmpstr (test_obj_string (frame, "note.id"), ==, test_obj_string (ack, "note_id"));
  g_assert_cmpstr (test_obj_string (frame, "note.conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (frame, "note.author.id"), ==, world->user_id);
  g_assert_cmpstr (test_obj_string (frame, "note.author.name"), ==, "Owner a");
  g_assert_nonnull (test_obj_string (frame, "note.created_at"));
  mentions = test_obj_array (frame, "note.mentions");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (mentions, 0), "id"), ==, bea_id);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (mentions, 0), "name"), ==, "Bea Stone");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (mentions, 1), "id"), ==, carl_id);

  /* every agent of the site gets it; the visitor gets nothing of it */
  seen = test_ws_wait_for (bea, "note", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (seen, "note.id"), ==, test_obj_string (ack, "note_id"));
  test_ws_expect_none (world->visitor, NULL, TEST_QUIET_MS);
  g_assert_false (log_contains (world->visitor, "carrier"));

  /* the visitor's seq has no gap: the next message is 2 */
  seq = test_visitor_say (world->visitor, "Any news?", NULL);
  g_assert_cmpint (seq, ==, 2);

  /* sent again after a lost ack: acknowledged again, stored and told once */
  test_ws_sendf (world->agent,
                 "{'type':'note','conversation_id':'%s','client_id':'n-1',"
                 "'body':'@bea can you check the carrier? cc @carl berg, not @nobody'}",
                 conversation_id);
  {
    g_autoptr(JsonObject) again = test_ws_wait_for_match (world->agent, "ack", "client_id", "n-1",
                                                          TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (again, "note_id"), ==, test_obj_string (ack, "note_id"));
  }
  test_ws_expect_none (bea, "note", TEST_QUIET_MS);

  /* REST: the team's list, oldest first */
  path = g_strdup_printf ("/api/v1/conversations/%s/notes", conversation_id);
  listed = test_http (world->relay, "GET", path, bea_token, NULL, NULL);
  test_assert_http_status (listed, 200);
  notes = test_obj_array (test_response_object (listed), "notes");
  g_assert_cmpuint (json_array_get_length (notes), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (notes, 0), "body"), ==,
                   "@bea can you check the carrier? cc @carl berg, not @nobody");
  g_assert_cmpuint (json_array_get_length (test_obj_array (json_array_get_object_element (notes, 0),
                                                           "mentions")), ==, 2);

  /* a visitor's token reads no notes */
  as_visitor = test_http (world->relay, "GET", path, world->visitor_token, NULL, NULL);
  g_assert_true (as_visitor->status == 401 || as_visitor->status == 404);

  /* the visitor's conversation in REST as the widget reads it has no note either: the
   * agent-facing export (GDPR) has them, under the conversation's "notes" */
  export_path = g_strdup_printf ("/api/v1/visitors/%s/export", world->visitor_id);
  exported = test_http (world->relay, "GET", export_path, world->token, NULL, NULL);
  test_assert_http_status (exported, 200);
  conversations = test_obj_array (test_response_object (exported), "conversations");
  g_assert_cmpuint (json_array_get_length (conversations), ==, 1);
  notes = test_obj_array (json_array_get_object_element (conversations, 0), "notes");
  g_assert_cmpuint (json_array_get_length (notes), ==, 1);
  {
    JsonArray *messages = test_obj_array (json_array_get_object_element (conversations, 0), "messages");

    g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  }

  /* a visitor resuming gets the messages, never the note */
  {
    g_autoptr(TestWs) tab = test_ws_widget (world->relay, world->site_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (tab, world->visitor_id, world->visitor_token,
                                                        "https://a.test/");

    test_ws_sendf (tab, "{'type':'resume','after_seq':0}");
    g_ptr_array_unref (test_ws_drain (tab, TEST_QUIET_MS));
    g_assert_false (log_contains (tab, "carrier"));
  }

  /* an agent connecting later gets the persisted frame in the backlog */
  {
    g_autoptr(TestWs) later = test_ws_agent (world->relay, carl_token);
    g_autoptr(GPtrArray) backlog = NULL;
    gboolean found = FALSE;

    test_agent_subscribe (later, 0, &backlog);
    for (guint i = 0; i < backlog->len; i++)
      {
        JsonObject *event = g_ptr_array_index (backlog, i);

        if (g_strcmp0 (test_obj_string (event, "type"), "note") == 0)
          {
            g_assert_cmpstr (test_obj_string (event, "note.id"), ==, test_obj_string (ack, "note_id"));
            g_assert_cmpint (test_obj_int (event, "cursor"), ==, test_obj_int (frame, "cursor"));
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  (void) echo;
}

static void
test_note_bad_input (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL, *other_token = NULL, *other_site = NULL, *other_key = NULL;
  g_autofree char *long_body = g_strnfill (10001, 'x');
  g_autoptr(TestWs) other = NULL;
  JsonObject *error;

  quiet_world (world);
  test_visitor_say (world->visitor, "Hello", &conversation_id);
  test_ws_ignore (world->agent, "conversation", "message", NULL);

  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','client_id':'n-1','body':''}",
                 conversation_id);
  error = test_ws_expect_error (world->agent, "invalid_value", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, "n-1");
  json_object_unref (error);

  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','client_id':'n-2','body':'%s'}",
                 conversation_id, long_body);
  error = test_ws_expect_error (world->agent, "invalid_value", TEST_TIMEOUT_MS);
  json_object_unref (error);

  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','body':'no client id'}",
                 conversation_id);
  json_object_unref (test_ws_expect_error (world->agent, "missing_field", TEST_TIMEOUT_MS));

  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','client_id':'n-3','body':'first'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for (world->agent, "ack", TEST_TIMEOUT_MS));
  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','client_id':'n-3','body':'other'}",
                 conversation_id);
  json_object_unref (test_ws_expect_error (world->agent, "client_id_conflict", TEST_TIMEOUT_MS));

  /* an agent of another site: the same not_found as for an unknown conversation */
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
  other = test_ws_agent (world->relay, other_token);
  test_ws_sendf (other, "{'type':'note','conversation_id':'%s','client_id':'x-1','body':'hi'}",
                 conversation_id);
  json_object_unref (test_ws_expect_error (other, "not_found", TEST_TIMEOUT_MS));
  test_ws_sendf (other, "{'type':'note','conversation_id':'con_nope','client_id':'x-2','body':'hi'}");
  json_object_unref (test_ws_expect_error (other, "not_found", TEST_TIMEOUT_MS));
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/notes", conversation_id);
    g_autoptr(TestResponse) foreign = test_http (world->relay, "GET", path, other_token, NULL, NULL);
    g_autoptr(TestResponse) post = test_http (world->relay, "POST", path, world->token, "{}", NULL);

    test_assert_http_error (foreign, 404, "not_found");
    test_assert_http_error (post, 405, "method_not_allowed");
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/notes/team-only", test_note_to_the_team_only);
  test_harness_add ("/relay/notes/bad-input", test_note_bad_input);

  return g_test_run ();
}
