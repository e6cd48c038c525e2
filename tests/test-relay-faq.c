/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-faq.c: FAQ CRUD, the FAQ bot's answers, hand-over to a person, feedback */

#include "relay-harness.h"

#include <string.h>

/* Creates an FAQ on @site_id as @token and returns its id. @keywords_json: a JSON array text. */
static char *
add_faq (TestRelay  *relay,
         const char *token,
         const char *site_id,
         const char *question,
         const char *answer,
         const char *keywords_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", site_id);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "question");
  json_builder_add_string_value (builder, question);
  json_builder_set_member_name (builder, "answer");
  json_builder_add_string_value (builder, answer);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  if (keywords_json != NULL)
    {
      /* splice the array in: "…"} → "…","keywords":[…]} */
      body[strlen (body) - 1] = '\0';
      text = g_strdup_printf ("%s,\"keywords\":%s}", body, keywords_json);
    }

  response = test_http (relay, "POST", path, token, text ? text : body, NULL);
  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (test_response_object (response), "id"));
}

static void
set_settings (TestWorld  *world,
              const char *settings_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
  g_autoptr(TestResponse) response = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_status (response, 200);
}

/* Sends @body (any text: JSON-escaped here) as the visitor and waits for the ack. */
static void
visitor_send (TestWs     *visitor,
              const char *body,
              char      **out_conversation_id)
{
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) ack = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "message");
  json_builder_set_member_name (builder, "client_id");
  json_builder_add_string_value (builder, client_id);
  json_builder_set_member_name (builder, "body");
  json_builder_add_string_value (builder, body);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  test_ws_send (visitor, text);

  ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  if (out_conversation_id != NULL)
    *out_conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
}

/* The bot's answer to the visitor, which must come. */
static JsonObject *
expect_bot (TestWs *ws)
{
  return test_ws_wait_for_match (ws, "message", "sender.type", "bot", TEST_TIMEOUT_MS);
}

static void
expect_no_bot (TestWs *ws)
{
  g_autoptr(JsonObject) bot = test_ws_find_match (ws, "message", "sender.type", "bot", TEST_QUIET_MS);

  g_assert_null (bot);
}

/* Number of stored messages of @sender_type in the conversation. */
static guint
count_stored (TestWorld  *world,
              const char *conversation_id,
              const char *sender_type)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *messages;
  guint count = 0;

  test_assert_http_status (response, 200);
  messages = test_obj_array (test_response_object (response), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (g_strcmp0 (test_obj_string (json_array_get_object_element (messages, i), "sender.type"),
                   sender_type) == 0)
      count++;
  return count;
}

/* The FAQ as the list shows it. */
static JsonObject *
listed_faq (TestWorld  *world,
            const char *faq_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *faqs;

  test_assert_http_status (response, 200);
  faqs = test_obj_array (test_response_object (response), "faqs");
  for (guint i = 0; i < json_array_get_length (faqs); i++)
    {
      JsonObject *faq = json_array_get_object_element (faqs, i);

      if (g_strcmp0 (test_obj_string (faq, "id"), faq_id) == 0)
        return json_object_ref (faq);
    }
  return NULL;
}

/* The best score of ?q=@text, -1 when nothing matches; its id in @out_id. */
static gint64
search (TestWorld  *world,
        const char *text,
        char      **out_id)
{
  g_autofree char *escaped = g_uri_escape_string (text, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs?q=%s", world->site_id, escaped);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *faqs;

  test_assert_http_status (response, 200);
  faqs = test_obj_array (test_response_object (response), "faqs");
  if (json_array_get_length (faqs) == 0)
    return -1;
  if (out_id != NULL)
    *out_id = g_strdup (test_obj_string (json_array_get_object_element (faqs, 0), "id"));
  return test_obj_int (json_array_get_object_element (faqs, 0), "score");
}

#define RETURNS_ANSWER "You can return any order within 30 days from your account page."

static char *
add_returns_faq (TestWorld *world)
{
  return add_faq (world->relay, world->token, world->site_id, "How can I return an order?",
                  RETURNS_ANSWER, "[\"refund\",\"money back\"]");
}

static void
test_hit (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) bot = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonObject) listed = NULL;
  JsonArray *actions;

  add_faq (world->relay, world->token, world->site_id, "What are your opening hours?",
           "We answer from 9 to 17.", NULL);

  visitor_send (world->visitor, "How do I return my order?", &conversation_id);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "body"), ==, RETURNS_ANSWER);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, faq_id);
  g_assert_cmpstr (test_obj_string (bot, "sender.name"), ==, "Site a assistant");
  g_assert_cmpint (test_obj_int (bot, "seq"), ==, 2);
  g_assert_true (test_obj_is_null (bot, "client_id"));
  actions = test_obj_array (bot, "actions");
  g_assert_cmpuint (json_array_get_length (actions), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (actions, 0), "type"), ==,
                   "talk_to_human");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (actions, 0), "label"), ==,
                   "Talk to a person");

  /* the team sees it too, with a cursor, after the visitor's message */
  seen = test_ws_wait_for_match (world->agent, "message", "sender.type", "bot", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (seen, "faq_id"), ==, faq_id);
  g_assert_cmpint (test_obj_int (seen, "cursor"), >, world->synced_cursor);
  g_assert_cmpstr (test_obj_string (seen, "site_id"), ==, world->site_id);

  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 1);
  listed = listed_faq (world, faq_id);
  g_assert_cmpint (test_obj_int (listed, "views"), ==, 1);

  /* the same question again: the answer is above already, no repetition */
  visitor_send (world->visitor, "How do I return my order?", NULL);
  expect_no_bot (world->visitor);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 1);
}

static void
test_miss (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) listed = NULL;

  visitor_send (world->visitor, "Is the blue jacket available in size M?", &conversation_id);
  expect_no_bot (world->visitor);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 0);
  listed = listed_faq (world, faq_id);
  g_assert_cmpint (test_obj_int (listed, "views"), ==, 0);
}

static void
test_threshold (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  const char *question = "Hello there, how would I return this thing I bought?";
  gint64 score = search (world, question, NULL);
  g_autoptr(JsonObject) bot = NULL;

  /* partly matching: between the two thresholds below */
  g_assert_cmpint (score, >, 20);
  g_assert_cmpint (score, <, 60);

  set_settings (world, "{\"faq_threshold\":60}");
  visitor_send (world->visitor, question, &conversation_id);
  expect_no_bot (world->visitor);

  set_settings (world, "{\"faq_threshold\":20}");
  visitor_send (world->visitor, question, NULL);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, faq_id);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 1);

  /* out of range and wrong types are refused */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autoptr(TestResponse) high = test_http (world->relay, "PATCH", path, world->token,
                                              "{\"settings\":{\"faq_threshold\":101}}", NULL);
    g_autoptr(TestResponse) text = test_http (world->relay, "PATCH", path, world->token,
                                              "{\"settings\":{\"faq_threshold\":\"50\"}}", NULL);
    g_autoptr(TestResponse) flag = test_http (world->relay, "PATCH", path, world->token,
                                              "{\"settings\":{\"faq_auto_answer\":1}}", NULL);
    test_assert_http_error (high, 400, "invalid_value");
    test_assert_http_error (text, 400, "invalid_field");
    test_assert_http_error (flag, 400, "invalid_field");
  }
}

static void
test_agent_joined (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  g_autofree char *second_conversation = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  /* an agent's message */
  visitor_send (world->visitor, "Hi, I have a question", &conversation_id);
  expect_no_bot (world->visitor);
  test_agent_say (world->agent, conversation_id, "Hello, how can I help?");
  visitor_send (world->visitor, "How do I return my order?", NULL);
  expect_no_bot (world->visitor);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 0);

  /* an assignment, without a word from the agent yet */
  second = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (second, NULL, NULL, "https://a.test/shop");
  visitor_send (second, "Hi there", &second_conversation);
  test_ws_sendf (world->agent, "{'type':'assign','conversation_id':'%s','agent_id':'%s'}",
                 second_conversation, world->user_id);
  /* the assignment is stored once the visitor hears of it */
  json_object_unref (test_ws_wait_for_match (second, "conversation", "conversation.assignee.name",
                                             "Owner a", TEST_TIMEOUT_MS));
  visitor_send (second, "How do I return my order?", NULL);
  expect_no_bot (second);
  g_assert_cmpuint (count_stored (world, second_conversation, "bot"), ==, 0);
}

static void
test_disabled (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) bot = NULL;

  set_settings (world, "{\"faq_auto_answer\":false}");
  visitor_send (world->visitor, "How do I return my order?", &conversation_id);
  expect_no_bot (world->visitor);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 0);

  /* null removes the setting: the default (on) again */
  set_settings (world, "{\"faq_auto_answer\":null}");
  visitor_send (world->visitor, "How can I return an order?", NULL);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, faq_id);
}

static void
test_talk_to_human (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) bot = NULL;
  g_autoptr(JsonObject) note = NULL;
  g_autoptr(JsonObject) reopened = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(TestWs) fresh = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  add_faq (world->relay, world->token, world->site_id, "What are your opening hours?",
           "We answer from 9 to 17.", "[\"open\"]");

  /* before any message there is nothing to hand over */
  fresh = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (fresh, NULL, NULL, "https://a.test/");
  test_ws_send (fresh, "{\"type\":\"talk_to_human\"}");
  json_object_unref (test_ws_expect_error (fresh, "no_conversation", TEST_TIMEOUT_MS));

  visitor_send (world->visitor, "How do I return my order?", &conversation_id);
  bot = expect_bot (world->visitor);
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "sender.type", "bot",
                                             TEST_TIMEOUT_MS));

  /* pending, so that the hand-over visibly reopens it */
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'pending'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "conversation", "conversation.status",
                                             "pending", TEST_TIMEOUT_MS));

  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  reopened = test_ws_wait_for_match (world->agent, "conversation", "conversation.status", "open",
                                     TEST_TIMEOUT_MS);
  note = test_ws_wait_for_match (world->agent, "message", "sender.type", "system", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (note, "body"), ==, "The visitor asked for a person");
  g_assert_cmpstr (test_obj_string (note, "conversation_id"), ==, conversation_id);
  g_assert_false (test_obj_has (note, "faq_id"));
  json_object_unref (test_ws_wait_for_match (world->visitor, "message", "sender.type", "system",
                                             TEST_TIMEOUT_MS));

  /* the bot stays quiet from now on, even for another FAQ's question */
  visitor_send (world->visitor, "What are your opening hours?", NULL);
  expect_no_bot (world->visitor);
  g_assert_cmpuint (count_stored (world, conversation_id, "bot"), ==, 1);

  /* asking again adds nothing */
  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (count_stored (world, conversation_id, "system"), ==, 1);
  g_assert_true (test_ws_is_open (world->visitor));
}

static void
test_feedback (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *other_id = add_faq (world->relay, world->token, world->site_id,
                                       "What are your opening hours?", "From 9 to 17.", NULL);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) bot = NULL;
  g_autoptr(JsonObject) recorded = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) unanswered = NULL;
  g_autoptr(JsonObject) early = NULL;

  /* no conversation yet */
  test_ws_sendf (world->visitor, "{'type':'faq_feedback','faq_id':'%s','helpful':true}", faq_id);
  early = test_ws_expect_error (world->visitor, "no_conversation", TEST_TIMEOUT_MS);

  visitor_send (world->visitor, "How do I return my order?", &conversation_id);
  bot = expect_bot (world->visitor);

  test_ws_sendf (world->visitor, "{'type':'faq_feedback','faq_id':'%s','helpful':true}", faq_id);
  recorded = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (recorded, "faq_id"), ==, faq_id);
  g_assert_true (test_obj_bool (recorded, "helpful"));
  listed = listed_faq (world, faq_id);
  g_assert_cmpint (test_obj_int (listed, "views"), ==, 1);
  g_assert_cmpint (test_obj_int (listed, "helpful"), ==, 1);
  g_assert_cmpint (test_obj_int (listed, "not_helpful"), ==, 0);
  g_clear_pointer (&listed, json_object_unref);

  /* changing one's mind replaces the vote: one per conversation */
  test_ws_sendf (world->visitor, "{'type':'faq_feedback','faq_id':'%s','helpful':false}", faq_id);
  again = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  listed = listed_faq (world, faq_id);
  g_assert_cmpint (test_obj_int (listed, "helpful"), ==, 0);
  g_assert_cmpint (test_obj_int (listed, "not_helpful"), ==, 1);
  g_clear_pointer (&listed, json_object_unref);

  /* only for FAQs answered in the visitor's own conversation */
  test_ws_sendf (world->visitor, "{'type':'faq_feedback','faq_id':'%s','helpful':true}", other_id);
  unanswered = test_ws_expect_error (world->visitor, "not_found", TEST_TIMEOUT_MS);
  test_ws_send (world->visitor, "{\"type\":\"faq_feedback\",\"faq_id\":\"faq_made_up\",\"helpful\":true}");
  json_object_unref (test_ws_expect_error (world->visitor, "not_found", TEST_TIMEOUT_MS));
  test_ws_sendf (world->visitor, "{'type':'faq_feedback','faq_id':'%s','helpful':'yes'}", faq_id);
  json_object_unref (test_ws_expect_error (world->visitor, "invalid_field", TEST_TIMEOUT_MS));
  test_ws_send (world->visitor, "{\"type\":\"faq_feedback\",\"helpful\":true}");
  json_object_unref (test_ws_expect_error (world->visitor, "missing_field", TEST_TIMEOUT_MS));
  test_ws_send (world->visitor, "{\"type\":\"faq_feedback\",\"faq_id\":12,\"helpful\":true}");
  json_object_unref (test_ws_expect_error (world->visitor, "invalid_field", TEST_TIMEOUT_MS));

  listed = listed_faq (world, other_id);
  g_assert_cmpint (test_obj_int (listed, "helpful"), ==, 0);
  g_assert_cmpint (test_obj_int (listed, "views"), ==, 0);
  g_assert_true (test_ws_is_open (world->visitor));
}

static void
test_crud_isolation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *a_path = NULL, *a_list = NULL, *b_list = NULL;
  g_autofree char *b_conversation = NULL;
  g_autoptr(TestWs) b_visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  a_path = g_strdup_printf ("/api/v1/faqs/%s", faq_id);
  a_list = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  b_list = g_strdup_printf ("/api/v1/sites/%s/faqs", b_site);

  {
    g_autoptr(TestResponse) get = test_http (world->relay, "GET", a_path, b_token, NULL, NULL);
    g_autoptr(TestResponse) patch = test_http (world->relay, "PATCH", a_path, b_token,
                                               "{\"answer\":\"hijacked\"}", NULL);
    g_autoptr(TestResponse) del = test_http (world->relay, "DELETE", a_path, b_token, NULL, NULL);
    g_autoptr(TestResponse) unknown = test_http (world->relay, "GET", "/api/v1/faqs/faq_nope",
                                                 b_token, NULL, NULL);
    g_autoptr(TestResponse) list = test_http (world->relay, "GET", a_list, b_token, NULL, NULL);
    g_autoptr(TestResponse) post = test_http (world->relay, "POST", a_list, b_token,
                                              "{\"question\":\"q\",\"answer\":\"a\"}", NULL);
    g_autoptr(TestResponse) search = NULL;
    g_autofree char *search_path = g_strdup_printf ("%s?q=return", a_list);
    g_autofree char *get_text = NULL, *unknown_text = NULL;

    test_assert_http_error (get, 404, "not_found");
    test_assert_http_error (patch, 404, "not_found");
    test_assert_http_error (del, 404, "not_found");
    test_assert_http_error (unknown, 404, "not_found");
    test_assert_http_error (list, 404, "not_found");
    test_assert_http_error (post, 404, "not_found");
    search = test_http (world->relay, "GET", search_path, b_token, NULL, NULL);
    test_assert_http_error (search, 404, "not_found");
    /* foreign and unknown: the very same answer */
    get_text = test_response_text (get);
    unknown_text = test_response_text (unknown);
    g_assert_cmpstr (get_text, ==, unknown_text);
  }

  /* B's own list is empty and B's visitor gets no answer from A's FAQ */
  {
    g_autoptr(TestResponse) list = test_http (world->relay, "GET", b_list, b_token, NULL, NULL);
    test_assert_http_status (list, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (list), "faqs")), ==, 0);
  }
  b_visitor = test_ws_widget (world->relay, b_key);
  welcome = test_visitor_hello (b_visitor, NULL, NULL, "https://b.test/");
  visitor_send (b_visitor, "How can I return an order?", &b_conversation);
  expect_no_bot (b_visitor);

  /* A's FAQ is untouched */
  {
    g_autoptr(JsonObject) listed = listed_faq (world, faq_id);
    g_assert_cmpstr (test_obj_string (listed, "answer"), ==, RETURNS_ANSWER);
  }
}

static void
test_update_delete (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *path = g_strdup_printf ("/api/v1/faqs/%s", faq_id);
  g_autofree char *found = NULL;
  g_autofree char *conversation_id = NULL;

  g_assert_cmpint (search (world, "return order", &found), >, 0);
  g_assert_cmpstr (found, ==, faq_id);

  {
    g_autoptr(TestResponse) patch = test_http (world->relay, "PATCH", path, world->token,
                                               "{\"question\":\"Do you ship abroad?\",\"keywords\":[\"shipping\"]}",
                                               NULL);
    JsonObject *faq;

    test_assert_http_status (patch, 200);
    faq = test_response_object (patch);
    g_assert_cmpstr (test_obj_string (faq, "question"), ==, "Do you ship abroad?");
    g_assert_cmpstr (test_obj_string (faq, "answer"), ==, RETURNS_ANSWER);
    g_assert_cmpuint (json_array_get_length (test_obj_array (faq, "keywords")), ==, 1);
  }
  /* the index follows: the old question's words only live on in the answer now ("abroad" is
   * a word of the question, 0.75; "shipping" a keyword, 1) */
  g_assert_cmpint (search (world, "abroad shipping", NULL), ==, 88);
  g_assert_cmpint (search (world, "refund", NULL), ==, -1);

  {
    g_autoptr(TestResponse) get = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) del = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) gone = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) twice = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) put = NULL;
    g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);

    test_assert_http_status (get, 200);
    test_assert_http_status (del, 204);
    test_assert_http_error (gone, 404, "not_found");
    test_assert_http_error (twice, 404, "not_found");
    put = test_http (world->relay, "PUT", list, world->token, "{}", NULL);
    test_assert_http_error (put, 405, "method_not_allowed");
  }
  g_assert_cmpint (search (world, "abroad shipping", NULL), ==, -1);
  visitor_send (world->visitor, "Do you ship abroad?", &conversation_id);
  expect_no_bot (world->visitor);
}

static void
test_validation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *long_question = g_strnfill (501, 'q');
  g_autofree char *long_answer = g_strnfill (4001, 'a');
  g_autofree char *long_keyword = g_strnfill (51, 'k');
  g_autoptr(GString) many = g_string_new ("[");
  struct {
    const char *body;
    guint       status;
    const char *code;
  } cases[] = {
    { "{\"answer\":\"a\"}", 400, "missing_field" },
    { "{\"question\":\"q\"}", 400, "missing_field" },
    { "{\"question\":\"\",\"answer\":\"a\"}", 400, "invalid_value" },
    { "{\"question\":\"   \",\"answer\":\"a\"}", 400, "invalid_value" },
    { "{\"question\":\"q\",\"answer\":\"\"}", 400, "invalid_value" },
    { "{\"question\":7,\"answer\":\"a\"}", 400, "invalid_field" },
    { "{\"question\":\"q\",\"answer\":\"a\",\"keywords\":\"refund\"}", 400, "invalid_field" },
    { "{\"question\":\"q\",\"answer\":\"a\",\"keywords\":[1]}", 400, "invalid_field" },
    { "{\"question\":\"q\",\"answer\":\"a\",\"keywords\":[\"\"]}", 400, "invalid_value" },
    { "{\"question\":\"q\",\"answer\":\"a\",\"views\":5}", 400, "invalid_field" },
    { "[1]", 400, "not_an_object" },
    { "{\"question\":", 400, "invalid_json" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "POST", list, world->token,
                                                    cases[i].body, NULL);
      test_assert_http_error (response, cases[i].status, cases[i].code);
    }

  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%s\"k%u\"", i ? "," : "", i);
  g_string_append_c (many, ']');
  {
    g_autofree char *q = g_strdup_printf ("{\"question\":\"%s\",\"answer\":\"a\"}", long_question);
    g_autofree char *a = g_strdup_printf ("{\"question\":\"q\",\"answer\":\"%s\"}", long_answer);
    g_autofree char *k = g_strdup_printf ("{\"question\":\"q\",\"answer\":\"a\",\"keywords\":[\"%s\"]}", long_keyword);
    g_autofree char *m = g_strdup_printf ("{\"question\":\"q\",\"answer\":\"a\",\"keywords\":%s}", many->str);
    g_autoptr(TestResponse) rq = test_http (world->relay, "POST", list, world->token, q, NULL);
    g_autoptr(TestResponse) ra = test_http (world->relay, "POST", list, world->token, a, NULL);
    g_autoptr(TestResponse) rk = test_http (world->relay, "POST", list, world->token, k, NULL);
    g_autoptr(TestResponse) rm = test_http (world->relay, "POST", list, world->token, m, NULL);
    g_autoptr(TestResponse) none = test_http (world->relay, "GET", list, world->token, NULL, NULL);

    test_assert_http_error (rq, 400, "invalid_value");
    test_assert_http_error (ra, 400, "invalid_value");
    test_assert_http_error (rk, 400, "invalid_value");
    test_assert_http_error (rm, 400, "invalid_value");
    /* nothing was stored by any of them */
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (none), "faqs")), ==, 0);
  }

  /* the limits themselves are fine: 500, 4000, 20 × 50 */
  {
    g_autofree char *q = g_strnfill (500, 'q');
    g_autofree char *a = g_strnfill (4000, 'a');
    g_autofree char *k = g_strnfill (50, 'k');
    g_autoptr(GString) twenty = g_string_new ("[");
    g_autofree char *body = NULL;
    g_autoptr(TestResponse) response = NULL;

    for (guint i = 0; i < 20; i++)
      g_string_append_printf (twenty, "%s\"%s\"", i ? "," : "", k);
    g_string_append_c (twenty, ']');
    body = g_strdup_printf ("{\"question\":\"%s\",\"answer\":\"%s\",\"keywords\":%s}", q, a, twenty->str);
    response = test_http (world->relay, "POST", list, world->token, body, NULL);
    test_assert_http_status (response, 201);
  }

  /* no token: 401 */
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", list, NULL, NULL, NULL);
    test_assert_http_error (response, 401, NULL);
  }
}

/* Nothing a visitor writes is FTS5 syntax: quotes, NEAR(, *, -, column filters, ^, AND/OR/NOT. */
static void
test_injection (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autofree char *stderr_text = NULL;
  const char *hostile[] = {
    "\"",
    "\"\"\"",
    "NEAR(return order",
    "NEAR(return order, 2)",
    "return*",
    "*",
    "-return",
    "question: return",
    "answer:refund",
    "{question answer}: return",
    "^return",
    "return AND",
    "OR",
    "NOT return",
    ")(",
    "return\" OR \"order",
    "'; DROP TABLE faqs; --",
    "\\\"",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *escaped = g_uri_escape_string (hostile[i], NULL, FALSE);
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs?q=%s", world->site_id, escaped);
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

      test_assert_http_status (response, 200);
      if (*hostile[i] != '\0')
        visitor_send (world->visitor, hostile[i], NULL);
    }

  /* a column filter in the text is just the word: "question: return" is two words, not a filter */
  g_assert_cmpint (search (world, "answer:refund", NULL), ==, 50);

  /* the store never saw a malformed MATCH */
  test_sleep_ms (TEST_QUIET_MS);
  stderr_text = test_relay_get_stderr (world->relay);
  g_assert_null (strstr (stderr_text, "FAQ answer skipped"));
  g_assert_null (strstr (stderr_text, "fts5"));
  g_assert_true (test_ws_is_open (world->visitor));

  /* and the table is still there */
  {
    g_autoptr(JsonObject) listed = listed_faq (world, faq_id);
    g_assert_nonnull (listed);
  }
}

static void
test_languages (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *german = add_faq (world->relay, world->token, world->site_id,
                                     "Wie funktioniert die Rückgabe?",
                                     "Die Rückgabe ist 30 Tage lang kostenlos.", "[\"Rücksendung\"]");
  g_autofree char *french = add_faq (world->relay, world->token, world->site_id,
                                     "Quelle est votre politique de remboursement ?",
                                     "Nous remboursons sous 14 jours.", "[\"préférence\"]");
  g_autofree char *russian = add_faq (world->relay, world->token, world->site_id,
                                      "Как оформить возврат товара?",
                                      "Возврат товара возможен в течение 30 дней.", NULL);
  g_autofree char *found = NULL;
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) bot = NULL;

  /* diacritics removed both ways, case folded (a word of the question alone counts 0.75, a
   * keyword 1) */
  g_assert_cmpint (search (world, "ruckgabe", &found), ==, 75);
  g_assert_cmpstr (found, ==, german);
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (search (world, "RÜCKSENDUNG", &found), ==, 100);
  g_assert_cmpstr (found, ==, german);
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (search (world, "Politique de REMBOURSEMENT", &found), ==, 75);
  g_assert_cmpstr (found, ==, french);
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (search (world, "preférence", &found), ==, 100);
  g_assert_cmpstr (found, ==, french);
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (search (world, "ВОЗВРАТ товара", &found), ==, 75);
  g_assert_cmpstr (found, ==, russian);
  g_clear_pointer (&found, g_free);

  /* and through the widget: a German visitor typing without umlauts */
  visitor_send (world->visitor, "Wie funktioniert die Ruckgabe", &conversation_id);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, german);
  g_assert_cmpstr (test_obj_string (bot, "body"), ==, "Die Rückgabe ist 30 Tage lang kostenlos.");
  g_clear_pointer (&bot, json_object_unref);

  visitor_send (world->visitor, "Как оформить возврат?", NULL);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, russian);
}

static void
test_agent_role (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faq_id = add_returns_faq (world);
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, "agent@a.test", "agent password 1", "Agent");
  g_autofree char *members = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *path = g_strdup_printf ("/api/v1/faqs/%s", faq_id);
  g_autofree char *token = NULL;

  {
    g_autoptr(TestResponse) add = test_http (world->relay, "POST", members, world->token,
                                             "{\"email\":\"agent@a.test\",\"role\":\"agent\"}", NULL);
    test_assert_http_status (add, 201);
  }
  token = test_relay_login (world->relay, "agent@a.test", "agent password 1");

  {
    g_autoptr(TestResponse) read = test_http (world->relay, "GET", list, token, NULL, NULL);
    g_autoptr(TestResponse) one = test_http (world->relay, "GET", path, token, NULL, NULL);
    g_autoptr(TestResponse) post = test_http (world->relay, "POST", list, token,
                                              "{\"question\":\"q\",\"answer\":\"a\"}", NULL);
    g_autoptr(TestResponse) patch = test_http (world->relay, "PATCH", path, token,
                                               "{\"answer\":\"changed\"}", NULL);
    g_autoptr(TestResponse) del = test_http (world->relay, "DELETE", path, token, NULL, NULL);

    test_assert_http_status (read, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (read), "faqs")), ==, 1);
    test_assert_http_status (one, 200);
    test_assert_http_error (post, 403, "forbidden");
    test_assert_http_error (patch, 403, "forbidden");
    test_assert_http_error (del, 403, "forbidden");
  }
  {
    g_autoptr(JsonObject) listed = listed_faq (world, faq_id);
    g_assert_cmpstr (test_obj_string (listed, "answer"), ==, RETURNS_ANSWER);
  }
}

/* Issue 16: a plain rephrasing of an FAQ ("How long does shipping take?" for "What are your
 * shipping times?", which scored 20 and stayed silent at the old default threshold of 50), other
 * word forms of the same stem, a synonym phrase, and small talk that matches nothing. */
static void
test_rephrasing (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *times = add_faq (world->relay, world->token, world->site_id,
                                    "What are your shipping times?",
                                    "Standard delivery takes 2–4 working days.",
                                    "[\"shipping\",\"delivery\"]");
  g_autofree char *refunds = NULL;
  g_autofree char *found = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) bot = NULL;

  /* the visitor asks as a new user would; the bot answers at the default threshold */
  visitor_send (world->visitor, "How long does shipping take?", &conversation_id);
  bot = expect_bot (world->visitor);
  g_assert_cmpstr (test_obj_string (bot, "faq_id"), ==, times);

  /* stems: "shipped" and "ships" are "shipping" */
  g_assert_cmpint (search (world, "shipped", &found), ==, 100);
  g_assert_cmpstr (found, ==, times);
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (search (world, "ships", NULL), ==, 100);
  /* a typo of a keyword */
  g_assert_cmpint (search (world, "shiping", NULL), ==, 80);
  /* small talk: nothing that counts, no match at all */
  g_assert_cmpint (search (world, "hi, thanks!", NULL), ==, -1);

  /* synonyms: a phrase counts whole, and the API keeps and validates them */
  {
    g_autofree char *sites_path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
    g_autoptr(TestResponse) created = test_http (world->relay, "POST", sites_path, world->token,
                                                 "{\"question\":\"When will I get my refund?\","
                                                 "\"answer\":\"Within 5 working days.\","
                                                 "\"keywords\":[\"refund\"],"
                                                 "\"synonyms\":[\"money back\",\"reimburse\"]}", NULL);
    g_autoptr(TestResponse) empty = test_http (world->relay, "POST", sites_path, world->token,
                                               "{\"question\":\"Q\",\"answer\":\"A\",\"synonyms\":[\" \"]}",
                                               NULL);
    g_autoptr(TestResponse) number = test_http (world->relay, "POST", sites_path, world->token,
                                                "{\"question\":\"Q\",\"answer\":\"A\",\"synonyms\":[1]}",
                                                NULL);
    JsonArray *synonyms;

    test_assert_http_status (created, 201);
    refunds = g_strdup (test_obj_string (test_response_object (created), "id"));
    synonyms = test_obj_array (test_response_object (created), "synonyms");
    g_assert_cmpuint (json_array_get_length (synonyms), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (synonyms, 0), ==, "money back");
    test_assert_http_error (empty, 400, "invalid_value");
    test_assert_http_status (number, 400);
  }
  g_assert_cmpint (search (world, "I want my money back", &found), ==, 100);
  g_assert_cmpstr (found, ==, refunds);
  g_clear_pointer (&found, g_free);

  /* PATCH replaces them; the old phrase no longer counts */
  path = g_strdup_printf ("/api/v1/faqs/%s", refunds);
  {
    g_autoptr(TestResponse) patch = test_http (world->relay, "PATCH", path, world->token,
                                               "{\"synonyms\":[\"credited\"]}", NULL);
    test_assert_http_status (patch, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (patch),
                                                             "synonyms")), ==, 1);
  }
  g_assert_cmpint (search (world, "money back", NULL), ==, -1);
  g_assert_cmpint (search (world, "credit", &found), ==, 100);
  g_assert_cmpstr (found, ==, refunds);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/faq/hit", test_hit);
  test_harness_add ("/relay/faq/miss", test_miss);
  test_harness_add ("/relay/faq/threshold", test_threshold);
  test_harness_add ("/relay/faq/agent-joined", test_agent_joined);
  test_harness_add ("/relay/faq/disabled", test_disabled);
  test_harness_add ("/relay/faq/talk-to-human", test_talk_to_human);
  test_harness_add ("/relay/faq/feedback", test_feedback);
  test_harness_add ("/relay/faq/crud-isolation", test_crud_isolation);
  test_harness_add ("/relay/faq/update-delete", test_update_delete);
  test_harness_add ("/relay/faq/validation", test_validation);
  test_harness_add ("/relay/faq/injection", test_injection);
  test_harness_add ("/relay/faq/languages", test_languages);
  test_harness_add ("/relay/faq/agent-role", test_agent_role);
  test_harness_add ("/relay/faq/rephrasing", test_rephrasing);

  return g_test_run ();
}
