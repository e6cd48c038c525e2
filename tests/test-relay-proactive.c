/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-proactive.c: an agent starts a conversation with a visitor on the site
 * (the agent frame `start_conversation`) */

#include "relay-harness.h"

#include <string.h>

/* Sends start_conversation with a body given as it is (no quotes in it). */
static void
start_conversation (TestWs     *agent,
                    const char *visitor_id,
                    const char *client_id,
                    const char *body)
{
  test_ws_sendf (agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'%s','body':'%s'}",
                 visitor_id, client_id, body);
}

/* GET /api/v1/sites/{id}/conversations as @token: the number of conversations. */
static guint
count_conversations (TestRelay  *relay,
                     const char *token,
                     const char *site_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/conversations", site_id);
  g_autoptr(TestResponse) response = test_http (relay, "GET", path, token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_array_get_length (test_obj_array (test_response_object (response), "conversations"));
}

/* The stored messages of @conversation_id as "sender:body|sender:body". */
static char *
stored_messages (TestWorld  *world,
                 const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL,
                                                NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *messages;

  test_assert_http_status (response, 200);
  messages = test_obj_array (test_response_object (response), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      g_assert_cmpint (test_obj_int (message, "seq"), ==, i + 1);
      g_string_append_printf (text, "%s%s:%s", i > 0 ? "|" : "",
                              test_obj_string (message, "sender.type"),
                              test_obj_string (message, "body"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "timeline", NULL);
}

static void
test_start (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) tab2 = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) visitor_conversation = NULL;
  g_autoptr(JsonObject) visitor_message = NULL;
  g_autoptr(JsonObject) tab2_conversation = NULL;
  g_autoptr(JsonObject) tab2_message = NULL;
  g_autoptr(JsonObject) resumed = NULL;
  g_autoptr(JsonObject) synced = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) again = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *reply_conversation = NULL;
  g_autofree char *stored = NULL;
  const char *conversation_id;
  gint64 conversation_cursor, message_cursor;
  guint seen_conversation = 0, seen_message = 0;

  quiet_world (world);
  g_assert_true (test_obj_is_null (world->welcome, "conversation"));

  /* the visitor has a second tab open: both hear of it */
  tab2 = test_ws_widget (world->relay, world->site_key);
  welcome2 = test_visitor_hello (tab2, world->visitor_id, world->visitor_token, "https://a.test/b");
  test_ws_ignore (tab2, "agents_online", NULL);

  start_conversation (world->agent, world->visitor_id, client_id, "Hi! Can I help you find something?");

  /* the agent: the new conversation (theirs), the ack, then the message, cursors in order */
  event = test_ws_expect (world->agent, "conversation", TEST_TIMEOUT_MS);
  conversation_id = test_obj_string (event, "conversation.id");
  g_assert_cmpstr (test_obj_string (event, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (event, "conversation.visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (event, "conversation.status"), ==, "open");
  g_assert_cmpstr (test_obj_string (event, "conversation.assignee.id"), ==, world->user_id);
  conversation_cursor = test_obj_int (event, "cursor");
  g_assert_cmpint (conversation_cursor, >, world->synced_cursor);

  ack = test_ws_expect (world->agent, "ack", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, client_id);
  g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 1);

  message = test_ws_expect (world->agent, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (message, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (message, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (message, "client_id"), ==, client_id);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  message_cursor = test_obj_int (message, "cursor");
  g_assert_cmpint (message_cursor, >, conversation_cursor);

  /* the visitor, unprompted, in every tab: the conversation, then the agent's message */
  visitor_conversation = test_ws_expect (world->visitor, "conversation", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (visitor_conversation, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (visitor_conversation, "conversation.assignee.name"), ==,
                   "Owner a");
  g_assert_false (test_obj_has (visitor_conversation, "conversation.visitor_id"));
  visitor_message = test_ws_expect (world->visitor, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (visitor_message, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (visitor_message, "body"), ==,
                   "Hi! Can I help you find something?");
  g_assert_cmpstr (test_obj_string (visitor_message, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (visitor_message, "sender.name"), ==, "Owner a");
  g_assert_false (test_obj_has (visitor_message, "cursor"));
  tab2_conversation = test_ws_expect (tab2, "conversation", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (tab2_conversation, "conversation.id"), ==, conversation_id);
  tab2_message = test_ws_expect (tab2, "message", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (tab2_message, "seq"), ==, 1);

  /* the tabs now live in that conversation: read, resume and the reply all go there */
  test_ws_sendf (world->visitor, "{'type':'read','seq':1}");
  json_object_unref (test_ws_wait_for_match (world->agent, "read", "conversation_id",
                                             conversation_id, TEST_TIMEOUT_MS));
  test_ws_sendf (tab2, "{'type':'resume','after_seq':0}");
  resumed = test_ws_expect (tab2, "message", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (resumed, "seq"), ==, 1);
  synced = test_ws_expect (tab2, "synced", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (synced, "conversation_id"), ==, conversation_id);

  g_assert_cmpint (test_visitor_say (world->visitor, "Yes, a blue one", &reply_conversation), ==, 2);
  g_assert_cmpstr (reply_conversation, ==, conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "body", "Yes, a blue one",
                                             TEST_TIMEOUT_MS));
  test_ws_expect_none (world->agent, "error", 0);
  test_ws_expect_none (world->visitor, "error", 0);

  stored = stored_messages (world, conversation_id);
  g_assert_cmpstr (stored, ==, "agent:Hi! Can I help you find something?|visitor:Yes, a blue one");
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 1);

  /* an agent resuming from before sees the conversation, then its first message, by cursor */
  again = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (again, world->synced_cursor, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);
      const char *type = test_obj_string (frame, "type");

      if (g_strcmp0 (type, "conversation") == 0 && seen_conversation == 0)
        {
          g_assert_cmpint (test_obj_int (frame, "cursor"), ==, conversation_cursor);
          g_assert_cmpuint (seen_message, ==, 0);
          seen_conversation++;
        }
      else if (g_strcmp0 (type, "message") == 0 && seen_message == 0)
        {
          g_assert_cmpint (test_obj_int (frame, "cursor"), ==, message_cursor);
          g_assert_cmpstr (test_obj_string (frame, "client_id"), ==, client_id);
          seen_message++;
        }
    }
  g_assert_cmpuint (seen_conversation, ==, 1);
  g_assert_cmpuint (seen_message, ==, 1);
}

static void
test_existing_conversation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) reopened = NULL;
  g_autoptr(JsonObject) reopened_ack = NULL;
  g_autoptr(JsonObject) to_visitor = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *first = test_client_id ();
  g_autofree char *second = test_client_id ();
  g_autofree char *stored = NULL;

  quiet_world (world);
  /* what is reused, without the site's assign-on-reply (test-relay-siteadmin.c has it on) */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", path, world->token,
                                                 "{\"settings\":{\"assign_on_reply\":false}}", NULL);

    test_assert_http_status (patched, 200);
  }

  /* the visitor wrote first: the agent's start goes into that conversation, nothing new */
  test_visitor_say (world->visitor, "Hello?", &conversation_id);
  json_object_unref (test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS));
  json_object_unref (test_ws_wait_for (world->agent, "conversation", 0));
  json_object_unref (test_ws_wait_for (world->visitor, "conversation", TEST_TIMEOUT_MS));

  start_conversation (world->agent, world->visitor_id, first, "Hi, I am here");
  ack = test_ws_wait_for_match (world->agent, "ack", "client_id", first, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 2);
  to_visitor = test_ws_wait_for (world->visitor, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (to_visitor, "body"), ==, "Hi, I am here");
  /* nobody took it over: no conversation event, no assignment */
  test_ws_expect_none (world->agent, "conversation", TEST_QUIET_MS);
  test_ws_expect_none (world->visitor, "conversation", 0);

  /* a resolved one is the visitor's current conversation still: it is reopened */
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "conversation", "conversation.status",
                                             "resolved", TEST_TIMEOUT_MS));
  start_conversation (world->agent, world->visitor_id, second, "Anything else?");
  reopened = test_ws_wait_for_match (world->agent, "conversation", "conversation.status", "open",
                                     TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (reopened, "conversation.id"), ==, conversation_id);
  g_assert_true (test_obj_is_null (reopened, "conversation.assignee"));
  reopened_ack = test_ws_wait_for_match (world->agent, "ack", "client_id", second, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (reopened_ack, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (reopened_ack, "seq"), ==, 3);

  stored = stored_messages (world, conversation_id);
  g_assert_cmpstr (stored, ==, "visitor:Hello?|agent:Hi, I am here|agent:Anything else?");
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 1);
}

static void
test_retry (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) ack1 = NULL;
  g_autoptr(JsonObject) ack2 = NULL;
  g_autoptr(JsonObject) ack3 = NULL;
  g_autoptr(JsonObject) ack4 = NULL;
  g_autoptr(GPtrArray) visitor_frames = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *stored = NULL;
  const char *conversation_id;
  guint messages = 0;

  quiet_world (world);

  start_conversation (world->agent, world->visitor_id, client_id, "Hello there");
  ack1 = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  conversation_id = test_obj_string (ack1, "conversation_id");
  json_object_unref (test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS));
  json_object_unref (test_ws_wait_for (world->agent, "conversation", 0));

  /* a blind retry: the same ack, nothing new for anybody */
  start_conversation (world->agent, world->visitor_id, client_id, "Hello there");
  ack2 = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack2, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (ack2, "seq"), ==, test_obj_int (ack1, "seq"));
  test_ws_expect_none (world->agent, "conversation", TEST_QUIET_MS);
  test_ws_expect_none (world->agent, "message", 0);

  visitor_frames = test_ws_drain (world->visitor, 0);
  for (guint i = 0; i < visitor_frames->len; i++)
    if (g_strcmp0 (test_obj_string (g_ptr_array_index (visitor_frames, i), "type"), "message") == 0)
      messages++;
  g_assert_cmpuint (messages, ==, 1);

  /* the visitor left and the conversation was closed: a late retry is still only acked */
  test_ws_close (world->visitor);
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'closed'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "conversation", "conversation.status",
                                             "closed", TEST_TIMEOUT_MS));
  start_conversation (world->agent, world->visitor_id, client_id, "Hello there");
  ack3 = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack3, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (ack3, "seq"), ==, 1);
  test_ws_expect_none (world->agent, "error", TEST_QUIET_MS);
  test_ws_expect_none (world->agent, "conversation", 0);

  /* the same client_id over a plain `message` is that same message too */
  test_ws_sendf (world->agent,
                 "{'type':'message','conversation_id':'%s','client_id':'%s','body':'Hello there'}",
                 conversation_id, client_id);
  ack4 = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ack4, "seq"), ==, 1);

  stored = stored_messages (world, conversation_id);
  g_assert_cmpstr (stored, ==, "agent:Hello there");
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 1);
}

static void
test_conflict (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) other = NULL;
  g_autoptr(JsonObject) other_welcome = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autoptr(JsonObject) elsewhere = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *stored = NULL;
  const char *conversation_id;

  quiet_world (world);
  other = test_ws_widget (world->relay, world->site_key);
  other_welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/other");
  test_ws_ignore (other, "agents_online", NULL);

  start_conversation (world->agent, world->visitor_id, client_id, "First words");
  ack = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  conversation_id = test_obj_string (ack, "conversation_id");

  /* the same client_id with other words */
  start_conversation (world->agent, world->visitor_id, client_id, "Other words");
  changed = test_ws_expect_error (world->agent, "client_id_conflict", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (changed, "ref"), ==, client_id);

  /* the same client_id and words for another visitor: not an ack of someone else's chat */
  start_conversation (world->agent, test_obj_string (other_welcome, "visitor_id"), client_id,
                      "First words");
  elsewhere = test_ws_expect_error (world->agent, "client_id_conflict", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (elsewhere, "ref"), ==, client_id);
  test_ws_expect_none (other, "conversation", TEST_QUIET_MS);
  test_ws_expect_none (other, "message", 0);

  stored = stored_messages (world, conversation_id);
  g_assert_cmpstr (stored, ==, "agent:First words");
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 1);
}

static void
test_not_found (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *token_b = NULL, *site_b = NULL, *key_b = NULL;
  g_autoptr(TestWs) agent_b = NULL;
  g_autoptr(TestWs) visitor_b = NULL;
  g_autoptr(JsonObject) welcome_b = NULL;
  g_autoptr(JsonObject) foreign = NULL;
  g_autoptr(JsonObject) unknown = NULL;
  g_autofree char *foreign_id = test_client_id ();
  g_autofree char *unknown_id = test_client_id ();
  g_autofree char *foreign_text = NULL;
  g_autofree char *unknown_text = NULL;

  quiet_world (world);
  test_world_add_tenant (world, "b", &token_b, &site_b, &key_b);
  agent_b = test_ws_agent (world->relay, token_b);
  test_ws_set_name (agent_b, "agent B");
  test_agent_subscribe (agent_b, 0, NULL);
  visitor_b = test_ws_widget (world->relay, key_b);
  welcome_b = test_visitor_hello (visitor_b, NULL, NULL, "https://b.test/");
  json_object_unref (test_ws_wait_for (agent_b, "visitor", TEST_TIMEOUT_MS));
  test_ws_ignore (visitor_b, "agents_online", NULL);
  test_ws_ignore (agent_b, "presence", NULL);

  /* agent A tries B's visitor, and a visitor that does not exist: one and the same answer */
  start_conversation (world->agent, test_obj_string (welcome_b, "visitor_id"), foreign_id,
                      "Hello from another shop");
  foreign = test_ws_expect_error (world->agent, "not_found", TEST_TIMEOUT_MS);
  start_conversation (world->agent, "vis_doesnotexist", unknown_id, "Hello from another shop");
  unknown = test_ws_expect_error (world->agent, "not_found", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (foreign, "ref"), ==, foreign_id);
  g_assert_cmpstr (test_obj_string (unknown, "ref"), ==, unknown_id);
  json_object_remove_member (foreign, "ref");
  json_object_remove_member (unknown, "ref");
  foreign_text = test_obj_to_string (foreign);
  unknown_text = test_obj_to_string (unknown);
  g_assert_cmpstr (foreign_text, ==, unknown_text);

  /* nothing reached tenant B, nothing was stored there */
  test_ws_expect_none (visitor_b, NULL, TEST_QUIET_MS);
  test_ws_expect_none (agent_b, NULL, 0);
  g_assert_cmpuint (count_conversations (world->relay, token_b, site_b), ==, 0);

  /* and A's own chat with its visitor is nothing B hears of */
  {
    g_autofree char *client_id = test_client_id ();

    start_conversation (world->agent, world->visitor_id, client_id, "Hello from shop A");
    json_object_unref (test_ws_wait_for_match (world->visitor, "message", "client_id", client_id,
                                               TEST_TIMEOUT_MS));
    test_ws_expect_none (agent_b, NULL, TEST_QUIET_MS);
    test_ws_expect_none (visitor_b, NULL, 0);
  }
}

/* Waits until the agent hears that the world's visitor left. */
static void
wait_departure (TestWorld *world)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = test_ws_wait_for (world->agent, "visitor", TEST_TIMEOUT_MS);

      if (g_strcmp0 (test_obj_string (event, "visitor.id"), world->visitor_id) == 0 &&
          !test_obj_bool (event, "visitor.online"))
        return;
    }
}

static void
test_offline (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) offline = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(TestWs) back = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *later_id = test_client_id ();

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "presence", NULL);

  /* a visitor who left has nobody to read a new conversation: refused, nothing stored */
  test_ws_close (world->visitor);
  wait_departure (world);
  start_conversation (world->agent, world->visitor_id, client_id, "Still there?");
  offline = test_ws_expect_error (world->agent, "visitor_offline", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (offline, "ref"), ==, client_id);
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 0);

  /* back on the site: the same client_id now starts it */
  back = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (back, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_true (test_obj_is_null (welcome, "conversation"));
  start_conversation (world->agent, world->visitor_id, client_id, "Still there?");
  ack = test_ws_wait_for_match (world->agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 1);
  json_object_unref (test_ws_wait_for (back, "conversation", TEST_TIMEOUT_MS));

  /* gone again, but the conversation is theirs now: more words go into it */
  test_ws_close (back);
  wait_departure (world);
  start_conversation (world->agent, world->visitor_id, later_id, "Write when you are back");
  json_object_unref (test_ws_wait_for_match (world->agent, "ack", "client_id", later_id,
                                             TEST_TIMEOUT_MS));
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 1);
}

static void
test_bad_frames (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *long_body = g_strnfill (4001, 'a');
  g_autoptr(JsonObject) pong = NULL;

  quiet_world (world);

#define EXPECT_ERROR(code) G_STMT_START {                                        \
    g_autoptr(JsonObject) e__ = test_ws_expect_error (world->agent, (code), TEST_TIMEOUT_MS); \
  } G_STMT_END

  test_ws_sendf (world->agent, "{'type':'start_conversation','client_id':'c1','body':'Hi'}");
  EXPECT_ERROR ("missing_field");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':42,'client_id':'c2','body':'Hi'}");
  EXPECT_ERROR ("invalid_field");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'','client_id':'c3','body':'Hi'}");
  EXPECT_ERROR ("invalid_value");
  test_ws_sendf (world->agent, "{'type':'start_conversation','visitor_id':'%s','body':'Hi'}",
                 world->visitor_id);
  EXPECT_ERROR ("missing_field");
  test_ws_sendf (world->agent, "{'type':'start_conversation','visitor_id':'%s','client_id':'c4'}",
                 world->visitor_id);
  EXPECT_ERROR ("missing_field");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'c5','body':'  '}",
                 world->visitor_id);
  EXPECT_ERROR ("invalid_value");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'c6','body':'%s'}",
                 world->visitor_id, long_body);
  EXPECT_ERROR ("invalid_value");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'c7','body':['Hi']}",
                 world->visitor_id);
  EXPECT_ERROR ("invalid_field");
  test_ws_sendf (world->agent,
                 "{'type':'start_conversation','visitor_id':'%s','client_id':'c8','body':'Hi',"
                 "'attachment_id':'upl_nothere'}", world->visitor_id);
  EXPECT_ERROR ("not_found");

#undef EXPECT_ERROR

  /* none of it created anything, none of it reached the visitor; the socket is still good */
  test_ws_expect_none (world->visitor, NULL, TEST_QUIET_MS);
  g_assert_cmpuint (count_conversations (world->relay, world->token, world->site_id), ==, 0);
  test_ws_unignore (world->agent, "pong");
  test_ws_sendf (world->agent, "{'type':'ping'}");
  pong = test_ws_wait_for (world->agent, "pong", TEST_TIMEOUT_MS);
}

static void
test_bot_quiet (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestResponse) faq = NULL;
  g_autoptr(TestWs) control = NULL;
  g_autoptr(JsonObject) control_welcome = NULL;
  g_autoptr(JsonObject) bot = NULL;
  g_autoptr(JsonObject) none = NULL;
  g_autofree char *faq_path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *client_id = test_client_id ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *stored = NULL;

  quiet_world (world);
  faq = test_http (world->relay, "POST", faq_path, world->token,
                   "{\"question\":\"How can I return an order?\","
                   "\"answer\":\"Send it back within 30 days.\","
                   "\"keywords\":[\"refund\",\"money back\"]}", NULL);
  test_assert_http_status (faq, 201);

  /* the bot does answer this question in a conversation a visitor starts ... */
  control = test_ws_widget (world->relay, world->site_key);
  control_welcome = test_visitor_hello (control, NULL, NULL, "https://a.test/");
  test_visitor_say (control, "How do I return my order?", NULL);
  bot = test_ws_wait_for_match (control, "message", "sender.type", "bot", TEST_TIMEOUT_MS);

  /* ... but not in one an agent started: a person is already talking */
  start_conversation (world->agent, world->visitor_id, client_id, "Hi, need any help?");
  json_object_unref (test_ws_wait_for (world->visitor, "message", TEST_TIMEOUT_MS));
  test_visitor_say (world->visitor, "How do I return my order?", &conversation_id);
  none = test_ws_find_match (world->visitor, "message", "sender.type", "bot", TEST_QUIET_MS);
  g_assert_null (none);

  stored = stored_messages (world, conversation_id);
  g_assert_cmpstr (stored, ==, "agent:Hi, need any help?|visitor:How do I return my order?");
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/proactive/start", test_start);
  test_harness_add ("/relay/proactive/existing-conversation", test_existing_conversation);
  test_harness_add ("/relay/proactive/retry", test_retry);
  test_harness_add ("/relay/proactive/conflict", test_conflict);
  test_harness_add ("/relay/proactive/not-found", test_not_found);
  test_harness_add ("/relay/proactive/offline", test_offline);
  test_harness_add ("/relay/proactive/bad-frames", test_bad_frames);
  test_harness_add ("/relay/proactive/bot-quiet", test_bot_quiet);

  return g_test_run ();
}
