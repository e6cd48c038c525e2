/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-unseen.c: nothing a visitor sends goes unseen (issue 10) — offline messages listed,
 * handled and turned into a conversation, ratings on the conversation, conversation timelines */

#include "relay-harness.h"

#include <sqlite3.h>
#include <string.h>

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", NULL);
}

/* A second agent of the world's site (the admin CLI, as an operator would): its token. */
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

/* The visitor leaves a message; returns its id (from left_message). */
static char *
leave_message (TestWs     *visitor,
               const char *name,
               const char *body)
{
  g_autoptr(JsonObject) left = NULL;

  test_ws_sendf (visitor, "{'type':'leave_message','name':'%s','email':'ann@b.test','body':'%s'}",
                 name, body);
  left = test_ws_wait_for (visitor, "left_message", TEST_TIMEOUT_MS);
  return g_strdup (test_obj_string (left, "id"));
}

static JsonObject *
get_object (TestRelay  *relay,
            const char *token,
            const char *path,
            guint       status)
{
  g_autoptr(TestResponse) response = test_http (relay, "GET", path, token, NULL, NULL);

  test_assert_http_status (response, status);
  return json_object_ref (test_response_object (response));
}

static JsonObject *
list_offline (TestWorld  *world,
              const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/offline-messages%s", world->site_id,
                                           query);

  return get_object (world->relay, world->token, path, 200);
}

static JsonObject *
patch_offline (TestWorld  *world,
               const char *id,
               const char *body,
               guint       status,
               const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s", id);
  g_autoptr(TestResponse) response = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_error (response, status, code);
  return json_object_ref (test_response_object (response));
}

static void
test_offline_listed_and_handled (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) handled = NULL;
  g_autoptr(JsonObject) reopened = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autofree char *id = NULL;
  JsonObject *entry;

  quiet_world (world);
  test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://a.test/pricing','title':'Pricing'}");
  id = leave_message (world->visitor, "Ann", "Please call me back about the price");

  /* live, to the subscribed agent, with everything the inbox shows */
  event = test_ws_wait_for (world->agent, "offline_message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (event, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (event, "offline_message.id"), ==, id);
  g_assert_cmpstr (test_obj_string (event, "offline_message.visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (event, "offline_message.name"), ==, "Ann");
  g_assert_cmpstr (test_obj_string (event, "offline_message.email"), ==, "ann@b.test");
  g_assert_cmpstr (test_obj_string (event, "offline_message.body"), ==,
                   "Please call me back about the price");
  g_assert_cmpstr (test_obj_string (event, "offline_message.page.url"), ==, "https://a.test/pricing");
  g_assert_cmpstr (test_obj_string (event, "offline_message.page.title"), ==, "Pricing");
  g_assert_cmpstr (test_obj_string (event, "offline_message.status"), ==, "open");
  g_assert_true (test_obj_is_null (event, "offline_message.handled_by"));
  g_assert_true (test_obj_is_null (event, "offline_message.conversation_id"));
  g_assert_cmpint (test_obj_int (event, "open_count"), ==, 1);
  g_assert_cmpint (test_obj_int (event, "cursor"), >, world->synced_cursor);

  list = list_offline (world, "?status=open");
  g_assert_cmpint (test_obj_int (list, "open_count"), ==, 1);
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "offline_messages")), ==, 1);
  entry = json_array_get_object_element (test_obj_array (list, "offline_messages"), 0);
  g_assert_cmpstr (test_obj_string (entry, "id"), ==, id);
  g_assert_cmpstr (test_obj_string (entry, "body"), ==, "Please call me back about the price");
  g_assert_true (test_obj_has (entry, "created_at"));
  g_assert_true (test_obj_is_null (entry, "handled_at"));
  g_assert_true (test_obj_is_null (list, "next_before"));

  /* handled: by whom and when, told to the agents, out of the open list */
  handled = patch_offline (world, id, "{\"status\":\"handled\"}", 200, NULL);
  g_assert_cmpstr (test_obj_string (handled, "status"), ==, "handled");
  g_assert_cmpstr (test_obj_string (handled, "handled_by.id"), ==, world->user_id);
  g_assert_cmpstr (test_obj_string (handled, "handled_by.name"), ==, "Owner a");
  g_assert_true (test_obj_has (handled, "handled_at"));
  changed = test_ws_wait_for_match (world->agent, "offline_message", "offline_message.status", "handled",
                                    TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (changed, "open_count"), ==, 0);
  g_clear_pointer (&list, json_object_unref);
  list = list_offline (world, "?status=open");
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "offline_messages")), ==, 0);
  g_assert_cmpint (test_obj_int (list, "open_count"), ==, 0);
  g_clear_pointer (&list, json_object_unref);
  list = list_offline (world, "?status=handled");
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "offline_messages")), ==, 1);
  g_clear_pointer (&list, json_object_unref);
  list = list_offline (world, "");
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "offline_messages")), ==, 1);

  /* and open again */
  reopened = patch_offline (world, id, "{\"status\":\"open\"}", 200, NULL);
  g_assert_cmpstr (test_obj_string (reopened, "status"), ==, "open");
  g_assert_true (test_obj_is_null (reopened, "handled_by"));
  g_assert_true (test_obj_is_null (reopened, "handled_at"));
  g_clear_pointer (&list, json_object_unref);
  list = list_offline (world, "?status=open");
  g_assert_cmpint (test_obj_int (list, "open_count"), ==, 1);
}

static void
test_offline_paging (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *query = NULL;
  JsonArray *page;

  quiet_world (world);
  a = leave_message (world->visitor, "Ann", "one");
  b = leave_message (world->visitor, "Ann", "two");
  c = leave_message (world->visitor, "Ann", "three");

  /* newest first, two at a time */
  first = list_offline (world, "?status=all&limit=2");
  page = test_obj_array (first, "offline_messages");
  g_assert_cmpuint (json_array_get_length (page), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (page, 0), "id"), ==, c);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (page, 1), "id"), ==, b);
  g_assert_cmpstr (test_obj_string (first, "next_before"), ==, b);
  g_assert_cmpint (test_obj_int (first, "open_count"), ==, 3);

  query = g_strdup_printf ("?limit=2&before=%s", b);
  second = list_offline (world, query);
  page = test_obj_array (second, "offline_messages");
  g_assert_cmpuint (json_array_get_length (page), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (page, 0), "id"), ==, a);
  g_assert_true (test_obj_is_null (second, "next_before"));
}

static void
test_offline_bad_input (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *id = NULL;
  const char *queries[] = { "?status=done", "?limit=0", "?limit=201", "?limit=ten",
                            "?before=off_nosuch" };

  quiet_world (world);
  id = leave_message (world->visitor, "Ann", "hello");

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/offline-messages%s", world->site_id,
                                               queries[i]);
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

      test_assert_http_error (response, 400, "invalid_value");
    }

  json_object_unref (patch_offline (world, id, "{\"status\":\"done\"}", 400, "invalid_value"));
  json_object_unref (patch_offline (world, id, "{\"status\":3}", 400, NULL));
  json_object_unref (patch_offline (world, id, "{}", 400, "missing_field"));
  json_object_unref (patch_offline (world, id, "{\"status\":\"handled\",\"body\":\"x\"}", 400,
                                    "invalid_field"));
  json_object_unref (patch_offline (world, id, "[1]", 400, NULL));
  json_object_unref (patch_offline (world, "off_nosuch", "{\"status\":\"handled\"}", 404, "not_found"));

  /* nothing stored changed */
  {
    g_autoptr(JsonObject) list = list_offline (world, "?status=open");
    g_assert_cmpint (test_obj_int (list, "open_count"), ==, 1);
  }

  /* wrong methods */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s/conversation", id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) unsigned_in = test_http (world->relay, "GET", path, NULL, NULL, NULL);

    test_assert_http_error (response, 405, "method_not_allowed");
    test_assert_http_status (unsigned_in, 401);
  }
}

static void
test_offline_to_conversation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) back = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) offline = NULL;
  g_autoptr(JsonObject) messages = NULL;
  g_autoptr(JsonObject) agent_message = NULL;
  g_autoptr(JsonObject) timeline = NULL;
  g_autofree char *id = NULL, *path = NULL, *conversation_id = NULL, *messages_path = NULL;
  g_autofree char *offline_path = NULL;
  JsonObject *stored;

  quiet_world (world);
  id = leave_message (world->visitor, "Ann", "Do you ship to Norway?");
  test_ws_close (world->visitor);

  path = g_strdup_printf ("/api/v1/offline-messages/%s/conversation", id);
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, NULL, NULL);
    JsonObject *conversation;

    test_assert_http_status (response, 201);
    conversation = test_response_object (response);
    conversation_id = g_strdup (test_obj_string (conversation, "id"));
    g_assert_cmpstr (test_obj_string (conversation, "status"), ==, "open");
    g_assert_cmpstr (test_obj_string (conversation, "visitor_id"), ==, world->visitor_id);
    g_assert_cmpstr (test_obj_string (conversation, "assignee.id"), ==, world->user_id);
    g_assert_cmpint (test_obj_int (conversation, "last_seq"), ==, 1);
    g_assert_true (test_obj_is_null (conversation, "rating"));
  }

  /* idempotent: the same conversation, nothing new in it */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(TestResponse) again = test_http (world->relay, "POST", path, world->token, NULL, NULL);

      test_assert_http_status (again, 200);
      g_assert_cmpstr (test_obj_string (test_response_object (again), "id"), ==, conversation_id);
      g_assert_cmpint (test_obj_int (test_response_object (again), "last_seq"), ==, 1);
    }

  /* the agents heard of it: the message, marked, and the offline message, handled */
  agent_message = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (agent_message, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (agent_message, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (agent_message, "offline_message_id"), ==, id);
  timeline = test_ws_wait_for_match (world->agent, "timeline", "event.kind", "assigned", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (timeline, "conversation_id"), ==, conversation_id);
  {
    g_autoptr(JsonObject) changed = test_ws_wait_for_match (world->agent, "offline_message",
                                                            "offline_message.status", "handled",
                                                            TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (changed, "offline_message.conversation_id"), ==, conversation_id);
  }

  offline_path = g_strdup_printf ("/api/v1/offline-messages/%s", id);
  offline = get_object (world->relay, world->token, offline_path, 200);
  g_assert_cmpstr (test_obj_string (offline, "status"), ==, "handled");
  g_assert_cmpstr (test_obj_string (offline, "conversation_id"), ==, conversation_id);

  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  messages = get_object (world->relay, world->token, messages_path, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (messages, "messages")), ==, 1);
  stored = json_array_get_object_element (test_obj_array (messages, "messages"), 0);
  g_assert_cmpint (test_obj_int (stored, "seq"), ==, 1);
  g_assert_cmpstr (test_obj_string (stored, "body"), ==, "Do you ship to Norway?");
  g_assert_cmpstr (test_obj_string (stored, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (stored, "sender.name"), ==, "Ann");
  g_assert_cmpstr (test_obj_string (stored, "offline_message_id"), ==, id);

  /* the visitor comes back: the conversation is theirs, with their message in it */
  back = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (back, "agents_online", NULL);
  welcome = test_visitor_hello (back, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "conversation.id"), ==, conversation_id);
  test_ws_send (back, "{\"type\":\"resume\",\"after_seq\":0}");
  message = test_ws_wait_for (back, "message", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "Do you ship to Norway?");
  g_assert_cmpstr (test_obj_string (message, "offline_message_id"), ==, id);

  /* and the agent's answer reaches them */
  test_agent_say (world->agent, conversation_id, "Yes, we do.");
  {
    g_autoptr(JsonObject) answer = test_ws_wait_for (back, "message", TEST_TIMEOUT_MS);
    g_assert_cmpint (test_obj_int (answer, "seq"), ==, 2);
    g_assert_cmpstr (test_obj_string (answer, "body"), ==, "Yes, we do.");
  }

  /* a visitor may not forge the mark */
  test_ws_send (back, "{\"type\":\"message\",\"client_id\":\"off_forged\",\"body\":\"hi\"}");
  {
    g_autoptr(JsonObject) error = test_ws_expect_error (back, "invalid_value", TEST_TIMEOUT_MS);
  }
}

/* An offline message whose visitor was deleted (ON DELETE SET NULL, as the store does) cannot
 * become a conversation: a clear 409, and the message stays open. */
static void
test_offline_visitor_gone (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *id = NULL, *path = NULL, *sql = NULL;
  g_autofree char *db_path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonObject) list = NULL;
  sqlite3 *db = NULL;

  quiet_world (world);
  id = leave_message (world->visitor, "Ann", "call me");
  test_ws_close (world->visitor);

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  sql = g_strdup_printf ("UPDATE offline_messages SET visitor_id = NULL WHERE id = '%s'", id);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  path = g_strdup_printf ("/api/v1/offline-messages/%s/conversation", id);
  response = test_http (world->relay, "POST", path, world->token, NULL, NULL);
  test_assert_http_error (response, 409, "conflict");

  list = list_offline (world, "?status=open");
  g_assert_cmpint (test_obj_int (list, "open_count"), ==, 1);
  g_assert_true (test_obj_is_null (json_array_get_object_element (test_obj_array (list, "offline_messages"), 0),
                                   "visitor_id"));
}

static void
test_offline_no_leak (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *id = NULL, *other_token = NULL, *other_site = NULL, *other_key = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) own = NULL;
  const char *paths[4];
  const char *methods[4] = { "GET", "PATCH", "POST", "GET" };
  g_autofree char *p0 = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL, *own_path = NULL;

  quiet_world (world);
  id = leave_message (world->visitor, "Ann", "private");
  conversation_id = NULL;
  test_visitor_say (world->visitor, "a chat", &conversation_id);
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);

  paths[0] = p0 = g_strdup_printf ("/api/v1/offline-messages/%s", id);
  paths[1] = p1 = g_strdup_printf ("/api/v1/offline-messages/%s", id);
  paths[2] = p2 = g_strdup_printf ("/api/v1/offline-messages/%s/conversation", id);
  paths[3] = p3 = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, methods[i], paths[i], other_token,
                                                    i == 1 ? "{\"status\":\"handled\"}" : NULL, NULL);

      test_assert_http_error (response, 404, "not_found");
    }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/offline-messages", world->site_id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, other_token, NULL, NULL);
    test_assert_http_error (response, 404, "not_found");
  }
  /* the other site's own list is empty, and its before cannot name ours */
  own_path = g_strdup_printf ("/api/v1/sites/%s/offline-messages", other_site);
  own = get_object (world->relay, other_token, own_path, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (own, "offline_messages")), ==, 0);
  g_assert_cmpint (test_obj_int (own, "open_count"), ==, 0);
  {
    g_autofree char *path = g_strdup_printf ("%s?before=%s", own_path, id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, other_token, NULL, NULL);
    test_assert_http_error (response, 400, "invalid_value");
  }

  /* nothing changed */
  {
    g_autoptr(JsonObject) list = list_offline (world, "?status=open");
    JsonObject *entry = json_array_get_object_element (test_obj_array (list, "offline_messages"), 0);

    g_assert_cmpint (test_obj_int (list, "open_count"), ==, 1);
    g_assert_true (test_obj_is_null (entry, "conversation_id"));
  }
}

static void
test_rating (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) rating = NULL;
  g_autoptr(JsonObject) rated = NULL;
  g_autoptr(JsonObject) timeline = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) one = NULL;
  g_autofree char *conversation_id = NULL, *list_path = NULL, *one_path = NULL;
  JsonObject *conversation;

  quiet_world (world);
  test_visitor_say (world->visitor, "Hello", &conversation_id);

  list_path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  list = get_object (world->relay, world->token, list_path, 200);
  conversation = json_array_get_object_element (test_obj_array (list, "conversations"), 0);
  g_assert_true (test_obj_is_null (conversation, "rating"));

  test_ws_send (world->visitor, "{\"type\":\"rate\",\"score\":4,\"comment\":\"Quick and kind\"}");
  rated = test_ws_wait_for (world->visitor, "rated", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (rated, "score"), ==, 4);

  /* live to the agent: the rating frame carries the conversation's rating object */
  rating = test_ws_wait_for (world->agent, "rating", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (rating, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (rating, "rating.score"), ==, 4);
  g_assert_cmpstr (test_obj_string (rating, "rating.comment"), ==, "Quick and kind");
  g_assert_true (test_obj_has (rating, "rating.rated_at"));
  timeline = test_ws_wait_for_match (world->agent, "timeline", "event.kind", "rated", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (timeline, "event.rating.score"), ==, 4);
  g_assert_true (test_obj_is_null (timeline, "event.actor"));

  /* over REST, in the list and the conversation */
  g_clear_pointer (&list, json_object_unref);
  list = get_object (world->relay, world->token, list_path, 200);
  conversation = json_array_get_object_element (test_obj_array (list, "conversations"), 0);
  g_assert_cmpint (test_obj_int (conversation, "rating.score"), ==, 4);
  g_assert_cmpstr (test_obj_string (conversation, "rating.comment"), ==, "Quick and kind");
  one_path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  one = get_object (world->relay, world->token, one_path, 200);
  g_assert_cmpint (test_obj_int (one, "rating.score"), ==, 4);
  g_assert_true (test_obj_has (one, "rating.rated_at"));

  /* rating again replaces it; without a comment it is null */
  test_ws_send (world->visitor, "{\"type\":\"rate\",\"score\":2}");
  g_clear_pointer (&rated, json_object_unref);
  rated = test_ws_wait_for (world->visitor, "rated", TEST_TIMEOUT_MS);
  g_clear_pointer (&one, json_object_unref);
  one = get_object (world->relay, world->token, one_path, 200);
  g_assert_cmpint (test_obj_int (one, "rating.score"), ==, 2);
  g_assert_true (test_obj_is_null (one, "rating.comment"));
}

static void
assign (TestWs     *agent,
        const char *conversation_id,
        const char *agent_id)
{
  test_ws_sendf (agent, "{'type':'assign','conversation_id':'%s','agent_id':'%s'}", conversation_id,
                 agent_id);
}

static void
set_status (TestWs     *agent,
            const char *conversation_id,
            const char *status)
{
  test_ws_sendf (agent, "{'type':'set_status','conversation_id':'%s','status':'%s'}", conversation_id,
                 status);
}

static const char * const expected_kinds[] = {
  "assigned", "transferred", "pending", "resolved", "reopened", "rated", "resolved", "reopened",
};

static void
test_timeline (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) timeline = NULL;
  g_autoptr(JsonObject) messages = NULL;
  g_autoptr(TestWs) late = NULL;
  g_autoptr(TestWs) resumed = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(GPtrArray) later = NULL;
  g_autofree char *conversation_id = NULL, *b_id = NULL, *b_token = NULL, *path = NULL;
  g_autofree char *messages_path = NULL;
  JsonArray *events;
  gint64 previous = 0, middle_cursor = 0;
  guint seen = 0;

  quiet_world (world);
  b_token = add_agent (world, "b@a.test", &b_id);
  test_visitor_say (world->visitor, "Hello", &conversation_id);

  assign (world->agent, conversation_id, world->user_id);
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "assigned", TEST_TIMEOUT_MS);
  assign (world->agent, conversation_id, b_id);
  {
    g_autoptr(JsonObject) transferred = test_ws_wait_for_match (world->agent, "timeline", "event.kind",
                                                                "transferred", TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (transferred, "event.actor.id"), ==, world->user_id);
    g_assert_cmpstr (test_obj_string (transferred, "event.actor.name"), ==, "Owner a");
    g_assert_cmpstr (test_obj_string (transferred, "event.target.id"), ==, b_id);
    g_assert_cmpstr (test_obj_string (transferred, "event.target.name"), ==, "Agent Two");
    g_assert_cmpstr (test_obj_string (transferred, "event.from.id"), ==, world->user_id);
    g_assert_cmpstr (test_obj_string (transferred, "conversation_id"), ==, conversation_id);
    middle_cursor = test_obj_int (transferred, "cursor");
  }
  set_status (world->agent, conversation_id, "pending");
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "pending", TEST_TIMEOUT_MS);
  set_status (world->agent, conversation_id, "resolved");
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "resolved", TEST_TIMEOUT_MS);
  set_status (world->agent, conversation_id, "open");
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "reopened", TEST_TIMEOUT_MS);
  test_ws_send (world->visitor, "{\"type\":\"rate\",\"score\":5}");
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "rated", TEST_TIMEOUT_MS);
  set_status (world->agent, conversation_id, "resolved");
  test_ws_wait_for (world->visitor, "conversation", TEST_TIMEOUT_MS);
  /* the visitor's follow-up reopens it: no actor */
  test_visitor_say (world->visitor, "One more thing", NULL);

  path = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
  timeline = get_object (world->relay, world->token, path, 200);
  g_assert_cmpstr (test_obj_string (timeline, "conversation_id"), ==, conversation_id);
  events = test_obj_array (timeline, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, G_N_ELEMENTS (expected_kinds));
  for (guint i = 0; i < G_N_ELEMENTS (expected_kinds); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      g_assert_cmpstr (test_obj_string (event, "kind"), ==, expected_kinds[i]);
      g_assert_cmpint (test_obj_int (event, "cursor"), >, previous);
      g_assert_true (test_obj_has (event, "at"));
      previous = test_obj_int (event, "cursor");
    }
  g_assert_true (test_obj_is_null (json_array_get_object_element (events, 7), "actor"));
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (events, 3), "actor.id"), ==,
                   world->user_id);

  /* events are not messages: seqs 1, 2 without a gap */
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  messages = get_object (world->relay, world->token, messages_path, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (messages, "messages")), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint (test_obj_int (json_array_get_object_element (test_obj_array (messages, "messages"), i),
                                   "seq"), ==, i + 1);

  /* a late agent replays them, in order */
  late = test_ws_agent (world->relay, b_token);
  test_ws_ignore (late, "visitor", "presence", NULL);
  test_agent_subscribe (late, 0, &backlog);
  previous = 0;
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "timeline") != 0)
        continue;
      g_assert_cmpuint (seen, <, G_N_ELEMENTS (expected_kinds));
      g_assert_cmpstr (test_obj_string (frame, "event.kind"), ==, expected_kinds[seen]);
      g_assert_cmpint (test_obj_int (frame, "cursor"), >, previous);
      previous = test_obj_int (frame, "cursor");
      seen++;
    }
  g_assert_cmpuint (seen, ==, G_N_ELEMENTS (expected_kinds));

  /* and one resuming by cursor gets exactly those after it */
  resumed = test_ws_agent (world->relay, b_token);
  test_ws_ignore (resumed, "visitor", "presence", NULL);
  test_agent_subscribe (resumed, middle_cursor, &later);
  seen = 2;
  for (guint i = 0; i < later->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (later, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "timeline") != 0)
        continue;
      g_assert_cmpstr (test_obj_string (frame, "event.kind"), ==, expected_kinds[seen]);
      seen++;
    }
  g_assert_cmpuint (seen, ==, G_N_ELEMENTS (expected_kinds));
}

/* An agent who starts a conversation took it on: its timeline begins with that. */
static void
test_timeline_started (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) conversation = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) timeline = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *path = NULL;
  JsonArray *events;

  quiet_world (world);
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'%s','body':'Hi there'}",
                 world->visitor_id, client_id);

  /* the conversation event first, then its timeline */
  conversation = test_ws_expect (world->agent, "conversation", TEST_TIMEOUT_MS);
  event = test_ws_expect (world->agent, "timeline", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (event, "conversation_id"), ==,
                   test_obj_string (conversation, "conversation.id"));
  g_assert_cmpstr (test_obj_string (event, "event.kind"), ==, "assigned");
  g_assert_cmpstr (test_obj_string (event, "event.actor.id"), ==, world->user_id);
  g_assert_cmpstr (test_obj_string (event, "event.actor.name"), ==, "Owner a");
  g_assert_cmpstr (test_obj_string (event, "event.target.id"), ==, world->user_id);
  g_assert_cmpint (test_obj_int (event, "cursor"), >, test_obj_int (conversation, "cursor"));
  test_ws_wait_for (world->agent, "ack", TEST_TIMEOUT_MS);

  path = g_strdup_printf ("/api/v1/conversations/%s/timeline",
                          test_obj_string (conversation, "conversation.id"));
  timeline = get_object (world->relay, world->token, path, 200);
  events = test_obj_array (timeline, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (events, 0), "cursor"), ==,
                   test_obj_int (event, "cursor"));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/unseen/offline/listed-and-handled", test_offline_listed_and_handled);
  test_harness_add ("/relay/unseen/offline/paging", test_offline_paging);
  test_harness_add ("/relay/unseen/offline/bad-input", test_offline_bad_input);
  test_harness_add ("/relay/unseen/offline/to-conversation", test_offline_to_conversation);
  test_harness_add ("/relay/unseen/offline/no-leak", test_offline_no_leak);
  test_harness_add ("/relay/unseen/offline/visitor-gone", test_offline_visitor_gone);
  test_harness_add ("/relay/unseen/rating", test_rating);
  test_harness_add ("/relay/unseen/timeline", test_timeline);
  test_harness_add ("/relay/unseen/timeline/started", test_timeline_started);

  return g_test_run ();
}
