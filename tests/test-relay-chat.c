/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-chat.c: visitors and agents talking through a real relay */

#include "relay-harness.h"

#include <string.h>

/* The bodies of the stored messages of @conversation_id, in seq order, as one string "a|b|c". */
static char *
stored_bodies (TestWorld  *world,
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
      if (i > 0)
        g_string_append_c (text, '|');
      g_string_append (text, test_obj_string (message, "body"));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* TRUE when some frame @ws received contains @needle. */
static gboolean
log_contains (TestWs     *ws,
              const char *needle)
{
  GPtrArray *log = test_ws_log (ws);

  for (guint i = 0; i < log->len; i++)
    if (strstr (g_ptr_array_index (log, i), needle) != NULL)
      return TRUE;

  return FALSE;
}

static void
test_conversation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) conversation = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(JsonObject) typing = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) typing_off = NULL;
  g_autoptr(JsonObject) resolved_agent = NULL;
  g_autoptr(JsonObject) resolved_visitor = NULL;
  g_autoptr(JsonObject) bad_rating = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *bodies = NULL;
  gint64 conversation_cursor;

  g_assert_true (test_obj_is_null (world->welcome, "conversation"));
  g_assert_cmpint (test_obj_int (world->welcome, "agents_online"), ==, 1);
  test_ws_ignore (world->visitor, "agents_online", NULL);

  /* The visitor's first message creates the conversation. */
  g_assert_cmpint (test_visitor_say (world->visitor, "Hello, my order has not arrived",
                                     &conversation_id), ==, 1);

  conversation = test_ws_expect (world->agent, "conversation", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (conversation, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.visitor_id"), ==,
                   world->visitor_id);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.status"), ==, "open");
  conversation_cursor = test_obj_int (conversation, "cursor");
  g_assert_cmpint (conversation_cursor, >, world->synced_cursor);

  /* (That its cursor also follows the conversation's is /relay/chat/live-cursor-order.) */
  message = test_ws_expect (world->agent, "message", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (message, "cursor"), >, world->synced_cursor);
  g_assert_cmpstr (test_obj_string (message, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (message, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "Hello, my order has not arrived");
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "visitor");
  g_assert_nonnull (test_obj_string (message, "created_at"));

  /* The visitor types: agents see the text, the visitor's side never gets it back. */
  test_ws_sendf (world->visitor, "{'type':'typing','preview':'It was order nu'}");
  preview = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (preview, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (preview, "text"), ==, "It was order nu");

  /* The agent types: the visitor sees who, not what. */
  test_ws_sendf (world->agent, "{'type':'typing','conversation_id':'%s','active':true}",
                 conversation_id);
  typing = test_ws_wait_for (world->visitor, "typing", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_bool (typing, "active"));
  g_assert_cmpstr (test_obj_string (typing, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (typing, "sender.name"), ==, "Owner a");

  g_assert_cmpint (test_agent_say (world->agent, conversation_id, "Let me check that for you"),
                   ==, 2);
  reply = test_ws_wait_for (world->visitor, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (reply, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (reply, "seq"), ==, 2);
  g_assert_cmpstr (test_obj_string (reply, "body"), ==, "Let me check that for you");
  g_assert_cmpstr (test_obj_string (reply, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (reply, "sender.name"), ==, "Owner a");

  test_ws_sendf (world->agent, "{'type':'typing','conversation_id':'%s','active':false}",
                 conversation_id);
  typing_off = test_ws_wait_for (world->visitor, "typing", TEST_TIMEOUT_MS);
  g_assert_false (test_obj_bool (typing_off, "active"));

  /* Read marks on both sides are accepted. */
  test_ws_sendf (world->visitor, "{'type':'read','seq':2}");
  test_ws_sendf (world->agent, "{'type':'read','conversation_id':'%s','seq':1}", conversation_id);

  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  resolved_agent = test_ws_wait_for_match (world->agent, "conversation", "conversation.status",
                                           "resolved", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (resolved_agent, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (resolved_agent, "site_id"), ==, world->site_id);
  g_assert_cmpint (test_obj_int (resolved_agent, "cursor"), >, conversation_cursor);
  resolved_visitor = test_ws_wait_for_match (world->visitor, "conversation", "conversation.status",
                                             "resolved", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (resolved_visitor, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (resolved_visitor, "conversation.status"), ==, "resolved");

  test_ws_sendf (world->visitor, "{'type':'rate','score':5,'comment':'Quick and kind'}");
  test_ws_expect_none (world->visitor, "error", TEST_QUIET_MS);
  test_ws_expect_none (world->agent, "error", 0);

  test_ws_sendf (world->visitor, "{'type':'rate','score':9}");
  bad_rating = test_ws_expect_error (world->visitor, "invalid_value", TEST_TIMEOUT_MS);

  /* What the visitor typed was never sent to any visitor socket. */
  g_assert_false (log_contains (world->visitor, "It was order nu"));

  bodies = stored_bodies (world, conversation_id);
  g_assert_cmpstr (bodies, ==, "Hello, my order has not arrived|Let me check that for you");
}

/* Agents resume "after the last cursor seen": live frames must come in cursor order, or an agent
 * that drops after a higher cursor never gets the lower one. */
static void
test_live_cursor_order (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(GPtrArray) frames = NULL;
  g_autofree char *conversation_id = NULL;
  gint64 previous;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "typing_preview", "presence", NULL);
  g_ptr_array_unref (test_ws_drain (world->agent, 0));

  test_visitor_say (world->visitor, "First words", &conversation_id);
  test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://a.test/next','title':'Next'}");
  test_visitor_say (world->visitor, "Second words", NULL);
  test_agent_say (world->agent, conversation_id, "An answer");
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'pending'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for (world->visitor, "conversation", TEST_TIMEOUT_MS));

  frames = test_ws_drain (world->agent, TEST_QUIET_MS);
  previous = world->synced_cursor;
  for (guint i = 0; i < frames->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (frames, i);
      g_autofree char *text = test_obj_to_string (frame);

      g_test_message ("live: %s", text);
      if (!test_obj_has (frame, "cursor"))
        continue;
      if (test_obj_int (frame, "cursor") <= previous)
        g_error ("cursor %" G_GINT64_FORMAT " arrived after cursor %" G_GINT64_FORMAT ": %s",
                 test_obj_int (frame, "cursor"), previous, text);
      previous = test_obj_int (frame, "cursor");
    }
}

static void
test_visitor_resume (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) again = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *conversation_id = NULL;
  const char *missed[] = { "Are you still there?", "Your parcel left the depot", "Tracking: ZX81" };

  test_visitor_say (world->visitor, "I will lose signal soon", &conversation_id);
  g_assert_cmpint (test_agent_say (world->agent, conversation_id, "Noted"), ==, 2);
  json_object_unref (test_ws_wait_for_match (world->visitor, "message", "body", "Noted",
                                             TEST_TIMEOUT_MS));

  g_clear_pointer (&world->visitor, test_ws_free);
  for (guint i = 0; i < G_N_ELEMENTS (missed); i++)
    g_assert_cmpint (test_agent_say (world->agent, conversation_id, missed[i]), ==, 3 + i);

  again = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (again, "agents_online", "typing", NULL);
  welcome = test_visitor_hello (again, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (welcome, "conversation.id"), ==, conversation_id);

  test_ws_sendf (again, "{'type':'resume','after_seq':2}");
  for (guint i = 0; i < G_N_ELEMENTS (missed); i++)
    {
      g_autoptr(JsonObject) message = test_ws_wait_for (again, "message", TEST_TIMEOUT_MS);

      g_assert_cmpint (test_obj_int (message, "seq"), ==, 3 + i);
      g_assert_cmpstr (test_obj_string (message, "body"), ==, missed[i]);
      g_assert_cmpstr (test_obj_string (message, "conversation_id"), ==, conversation_id);
    }
  test_ws_expect_none (again, "message", TEST_QUIET_MS);

  /* Resuming from the start gives everything, once. */
  test_ws_sendf (again, "{'type':'resume','after_seq':0}");
  for (guint seq = 1; seq <= 5; seq++)
    {
      g_autoptr(JsonObject) message = test_ws_wait_for (again, "message", TEST_TIMEOUT_MS);
      g_assert_cmpint (test_obj_int (message, "seq"), ==, seq);
    }
  test_ws_expect_none (again, "message", TEST_QUIET_MS);
}

/* A resume right behind a message (one read on the relay, one batch) is answered from what is
 * committed: the message's ack comes first, and the resume's "synced" after it. Answered from
 * the open batch, it would hand out a message that is not durable yet, before its ack. */
static void
test_resume_behind_message (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *client_id = test_client_id ();
  g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint ack_at = -1, synced_at = -1;
  guint resumed_copies = 0;

  test_ws_ignore (world->visitor, "agents_online", "typing", "conversation", NULL);
  test_visitor_say (world->visitor, "First question", NULL);

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Second question'}",
                 client_id);
  test_ws_sendf (world->visitor, "{'type':'resume','after_seq':1}");

  while (synced_at < 0 || ack_at < 0)
    {
      JsonObject *frame = test_ws_next (world->visitor, TEST_TIMEOUT_MS);
      const char *type;

      g_assert_nonnull (frame);
      g_ptr_array_add (frames, frame);
      type = test_obj_string (frame, "type");
      {
        g_autofree char *text = test_obj_to_string (frame);
        g_test_message ("frame %u: %s", frames->len - 1, text);
      }
      if (strcmp (type, "ack") == 0)
        ack_at = frames->len - 1;
      else if (strcmp (type, "synced") == 0)
        synced_at = frames->len - 1;
      else if (strcmp (type, "message") == 0 && synced_at < 0)
        {
          g_assert_cmpint (test_obj_int (frame, "seq"), ==, 2);
          resumed_copies++;
        }
    }

  g_assert_cmpint (ack_at, <, synced_at);
  /* the live echo and the resume's copy: the widget keeps one per seq */
  g_assert_cmpuint (resumed_copies, >=, 1);
}

static void
test_agent_resume (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) again = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) live = NULL;
  g_autofree char *conversation_id = NULL;
  gint64 last_cursor;
  gint64 previous;
  gint64 synced;
  guint n_messages = 0;
  const char *missed[] = { "Second question", "Third question", "Fourth question" };

  test_visitor_say (world->visitor, "First question", &conversation_id);
  first = test_ws_wait_for_match (world->agent, "message", "body", "First question",
                                  TEST_TIMEOUT_MS);
  last_cursor = test_obj_int (first, "cursor");
  test_ws_ignore (world->agent, "visitor", "conversation", "presence", NULL);
  test_ws_expect_none (world->agent, NULL, TEST_QUIET_MS);

  g_clear_pointer (&world->agent, test_ws_free);
  for (guint i = 0; i < G_N_ELEMENTS (missed); i++)
    test_visitor_say (world->visitor, missed[i], NULL);

  again = test_ws_agent (world->relay, world->token);
  test_ws_ignore (again, "presence", NULL);
  synced = test_agent_subscribe (again, last_cursor, &backlog);

  previous = last_cursor;
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *event = g_ptr_array_index (backlog, i);
      g_autofree char *text = test_obj_to_string (event);
      gint64 cursor = test_obj_int (event, "cursor");

      g_test_message ("backlog: %s", text);
      g_assert_cmpint (cursor, >, previous);
      previous = cursor;
      g_assert_cmpstr (test_obj_string (event, "site_id"), ==, world->site_id);

      if (g_strcmp0 (test_obj_string (event, "type"), "message") == 0)
        {
          g_assert_cmpuint (n_messages, <, G_N_ELEMENTS (missed));
          g_assert_cmpstr (test_obj_string (event, "body"), ==, missed[n_messages]);
          g_assert_cmpint (test_obj_int (event, "seq"), ==, 2 + n_messages);
          n_messages++;
        }
    }
  g_assert_cmpuint (n_messages, ==, G_N_ELEMENTS (missed));
  g_assert_cmpint (synced, >=, previous);

  /* Live from here on, without repeats. */
  test_visitor_say (world->visitor, "Live question", NULL);
  live = test_ws_wait_for (again, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (live, "body"), ==, "Live question");
  g_assert_cmpint (test_obj_int (live, "cursor"), >, synced);
  test_ws_expect_none (again, "message", TEST_QUIET_MS);
}

static void
test_duplicate_client_id (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) ack1 = NULL;
  g_autoptr(JsonObject) ack2 = NULL;
  g_autoptr(JsonObject) agent_ack1 = NULL;
  g_autoptr(JsonObject) agent_ack2 = NULL;
  g_autoptr(JsonObject) fanned = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *agent_client_id = test_client_id ();
  g_autofree char *bodies = NULL;
  const char *conversation_id;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", NULL);

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Only once'}",
                 client_id);
  ack1 = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  conversation_id = test_obj_string (ack1, "conversation_id");
  json_object_unref (test_ws_wait_for_match (world->visitor, "message", "client_id", client_id,
                                             TEST_TIMEOUT_MS));
  fanned = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (fanned, "body"), ==, "Only once");

  /* A blind retry: acked again, same seq, nothing new anywhere. */
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Only once'}",
                 client_id);
  ack2 = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ack2, "seq"), ==, test_obj_int (ack1, "seq"));
  g_assert_cmpstr (test_obj_string (ack2, "conversation_id"), ==, conversation_id);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  test_ws_expect_none (world->visitor, "message", 0);

  /* The same for an agent's retry. */
  test_ws_sendf (world->agent,
                 "{'type':'message','conversation_id':'%s','client_id':'%s','body':'Agent once'}",
                 conversation_id, agent_client_id);
  agent_ack1 = test_ws_wait_for_match (world->agent, "ack", "client_id", agent_client_id,
                                       TEST_TIMEOUT_MS);
  json_object_unref (test_ws_wait_for_match (world->visitor, "message", "body", "Agent once",
                                             TEST_TIMEOUT_MS));
  test_ws_sendf (world->agent,
                 "{'type':'message','conversation_id':'%s','client_id':'%s','body':'Agent once'}",
                 conversation_id, agent_client_id);
  agent_ack2 = test_ws_wait_for_match (world->agent, "ack", "client_id", agent_client_id,
                                       TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (agent_ack2, "seq"), ==, test_obj_int (agent_ack1, "seq"));
  test_ws_expect_none (world->visitor, "message", TEST_QUIET_MS);

  bodies = stored_bodies (world, conversation_id);
  g_assert_cmpstr (bodies, ==, "Only once|Agent once");
}

static void
test_client_id_conflict (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *bodies = NULL;
  g_autofree char *conversation_id = NULL;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", NULL);

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'The original'}",
                 client_id);
  ack = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
  json_object_unref (test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS));

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'An impostor'}",
                 client_id);
  error = test_ws_expect_error (world->visitor, "client_id_conflict", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  g_assert_false (log_contains (world->agent, "An impostor"));

  bodies = stored_bodies (world, conversation_id);
  g_assert_cmpstr (bodies, ==, "The original");

  /* The connection stays usable. */
  g_assert_cmpint (test_visitor_say (world->visitor, "Next one", NULL), ==, 2);
}

static void
test_two_tabs (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) tab2 = NULL;
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) seen_in_tab2 = NULL;
  g_autoptr(JsonObject) reply1 = NULL;
  g_autoptr(JsonObject) reply2 = NULL;
  g_autoptr(JsonObject) status2 = NULL;
  g_autofree char *conversation_id = NULL;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Tab one speaking", &conversation_id);

  tab2 = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (tab2, "agents_online", NULL);
  welcome2 = test_visitor_hello (tab2, world->visitor_id, world->visitor_token,
                                 "https://a.test/cart");
  g_assert_cmpstr (test_obj_string (welcome2, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (welcome2, "conversation.id"), ==, conversation_id);

  test_visitor_say (world->visitor, "Still tab one", NULL);
  seen_in_tab2 = test_ws_wait_for (tab2, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (seen_in_tab2, "body"), ==, "Still tab one");
  g_assert_cmpint (test_obj_int (seen_in_tab2, "seq"), ==, 2);

  test_agent_say (world->agent, conversation_id, "Hello to both tabs");
  reply1 = test_ws_wait_for_match (world->visitor, "message", "body", "Hello to both tabs",
                                   TEST_TIMEOUT_MS);
  reply2 = test_ws_wait_for_match (tab2, "message", "body", "Hello to both tabs", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (reply1, "seq"), ==, 3);
  g_assert_cmpint (test_obj_int (reply2, "seq"), ==, 3);

  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'pending'}",
                 conversation_id);
  /* (the reply assigned the conversation first: assign_on_reply, a conversation frame too) */
  status2 = test_ws_wait_for_match (tab2, "conversation", "conversation.status", "pending", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (status2, "conversation.status"), ==, "pending");
}

static JsonObject *
wait_visitor_event (TestWs     *agent,
                    const char *visitor_id)
{
  JsonObject *event = test_ws_wait_for_match (agent, "visitor", "visitor.id", visitor_id,
                                              TEST_TIMEOUT_MS);
  g_autofree char *text = test_obj_to_string (event);

  g_test_message ("visitor event: %s", text);
  return event;
}

static void
test_journey (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) arrival = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) third = NULL;
  const char *visitor_id;
  JsonArray *journey;
  JsonObject *entry;

  visitor = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  visitor_id = test_obj_string (welcome, "visitor_id");

  arrival = wait_visitor_event (world->agent, visitor_id);
  g_assert_cmpstr (test_obj_string (arrival, "site_id"), ==, world->site_id);
  g_assert_true (test_obj_bool (arrival, "visitor.online"));
  g_assert_cmpint (test_obj_int (arrival, "cursor"), >, world->synced_cursor);
  journey = test_obj_array (arrival, "visitor.journey");
  g_assert_cmpuint (json_array_get_length (journey), >=, 1);
  entry = json_array_get_object_element (journey, json_array_get_length (journey) - 1);
  g_assert_cmpstr (test_obj_string (entry, "url"), ==, "https://a.test/");

  test_sleep_ms (1100);
  test_ws_sendf (visitor, "{'type':'page_view','url':'https://a.test/pricing','title':'Pricing'}");
  second = wait_visitor_event (world->agent, visitor_id);
  journey = test_obj_array (second, "visitor.journey");
  g_assert_cmpuint (json_array_get_length (journey), ==, 2);
  entry = json_array_get_object_element (journey, 0);
  g_assert_cmpstr (test_obj_string (entry, "url"), ==, "https://a.test/");
  g_assert_cmpint (test_obj_int (entry, "seconds"), >=, 1);
  g_assert_cmpint (test_obj_int (entry, "seconds"), <=, 5);
  entry = json_array_get_object_element (journey, 1);
  g_assert_cmpstr (test_obj_string (entry, "url"), ==, "https://a.test/pricing");
  g_assert_cmpstr (test_obj_string (entry, "title"), ==, "Pricing");
  g_assert_nonnull (test_obj_string (entry, "at"));

  test_ws_sendf (visitor, "{'type':'page_view','url':'https://a.test/checkout','title':'Pay'}");
  third = wait_visitor_event (world->agent, visitor_id);
  journey = test_obj_array (third, "visitor.journey");
  g_assert_cmpuint (json_array_get_length (journey), ==, 3);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (journey, 2), "url"), ==,
                   "https://a.test/checkout");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (journey, 1), "url"), ==,
                   "https://a.test/pricing");
  g_assert_cmpint (test_obj_int (third, "cursor"), >, test_obj_int (second, "cursor"));
}

static void
test_visitor_departure (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) gone = NULL;

  g_clear_pointer (&world->visitor, test_ws_free);
  gone = wait_visitor_event (world->agent, world->visitor_id);
  g_assert_false (test_obj_bool (gone, "visitor.online"));
  g_assert_cmpstr (test_obj_string (gone, "site_id"), ==, world->site_id);
}

static void
test_leave_message (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) left = NULL;
  g_autoptr(JsonObject) left2 = NULL;
  g_autoptr(JsonObject) bad = NULL;

  g_assert_cmpint (test_obj_int (world->welcome, "agents_online"), ==, 0);

  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Grace','email':"
                 "'grace@example.org','body':'Please call me back tomorrow'}");
  left = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
  g_assert_cmpuint (strlen (test_obj_string (left, "id")), >, 0);

  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Grace','email':"
                 "'grace@example.org','body':'And one more thing'}");
  left2 = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (left2, "id"), !=, test_obj_string (left, "id"));

  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Grace','email':"
                 "'grace@example.org'}");
  bad = test_ws_expect_error (world->visitor, "missing_field", TEST_TIMEOUT_MS);
}

static void
test_agents_online (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(JsonObject) one = NULL;
  g_autoptr(JsonObject) away = NULL;
  g_autoptr(JsonObject) back = NULL;
  g_autoptr(JsonObject) gone = NULL;
  g_autoptr(TestWs) late = NULL;
  g_autoptr(JsonObject) late_welcome = NULL;

  g_assert_cmpint (test_obj_int (world->welcome, "agents_online"), ==, 0);

  agent = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (agent, 0, NULL);
  one = test_ws_wait_for (world->visitor, "agents_online", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (one, "count"), ==, 1);

  late = test_ws_widget (world->relay, world->site_key);
  late_welcome = test_visitor_hello (late, NULL, NULL, "https://a.test/late");
  g_assert_cmpint (test_obj_int (late_welcome, "agents_online"), ==, 1);

  test_ws_sendf (agent, "{'type':'presence','status':'away'}");
  away = test_ws_wait_for (world->visitor, "agents_online", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (away, "count"), ==, 0);

  test_ws_sendf (agent, "{'type':'presence','status':'online'}");
  back = test_ws_wait_for (world->visitor, "agents_online", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (back, "count"), ==, 1);

  g_clear_pointer (&agent, test_ws_free);
  gone = test_ws_wait_for (world->visitor, "agents_online", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (gone, "count"), ==, 0);
}

static void
test_hello_required (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) error2 = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *client_id = test_client_id ();

  visitor = test_ws_widget (world->relay, world->site_key);
  test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'Too early'}", client_id);
  error = test_ws_expect_error (visitor, "hello_required", TEST_TIMEOUT_MS);
  test_ws_sendf (visitor, "{'type':'typing','preview':'Too early'}");
  error2 = test_ws_expect_error (visitor, "hello_required", TEST_TIMEOUT_MS);
  g_assert_true (test_ws_is_open (visitor));

  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  g_assert_true (test_obj_is_null (welcome, "conversation"));
  g_assert_false (log_contains (world->agent, "Too early"));
  g_assert_cmpint (test_visitor_say (visitor, "Now in order", NULL), ==, 1);
}

static void
test_wrong_visitor_token (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) impostor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *hello = NULL;

  test_visitor_say (world->visitor, "My secret address is 1 Elm Street", &conversation_id);

  impostor = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (impostor, world->visitor_id, "not-the-right-token",
                                "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), !=, world->visitor_id);
  g_assert_cmpstr (test_obj_string (welcome, "visitor_token"), !=, world->visitor_token);
  g_assert_true (test_obj_is_null (welcome, "conversation"));

  test_ws_sendf (impostor, "{'type':'resume','after_seq':0}");
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_false (log_contains (impostor, "Elm Street"));
  g_assert_false (log_contains (impostor, conversation_id));

  /* And the real visitor hears nothing of the impostor. */
  g_assert_cmpint (test_visitor_say (impostor, "I am someone else", NULL), ==, 1);
  test_ws_expect_none (world->visitor, "message", TEST_QUIET_MS);
}

static void
test_typing_preview_throttle (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  const char *sentence = "I would like to return the blue jacket";
  g_autoptr(GPtrArray) previews = NULL;
  g_autofree char *conversation_id = NULL;
  JsonObject *last;
  guint n = 0;

  test_visitor_say (world->visitor, "Hi", &conversation_id);
  test_ws_ignore (world->agent, "visitor", "conversation", "message", NULL);
  test_ws_ignore (world->visitor, "error", "agents_online", NULL);
  test_sleep_ms (TEST_QUIET_MS);
  g_ptr_array_unref (test_ws_drain (world->agent, 0));

  /* One frame per keystroke, as fast as the socket takes them. */
  for (guint i = 1; i <= strlen (sentence); i++)
    test_ws_sendf (world->visitor, "{'type':'typing','preview':'%.*s'}", (int) i, sentence);

  /* Let the throttle flush the last state. */
  previews = test_ws_drain (world->agent, 1500);
  for (guint i = 0; i < previews->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (previews, i);
      if (g_strcmp0 (test_obj_string (frame, "type"), "typing_preview") == 0)
        n++;
    }
  g_test_message ("%u keystrokes gave %u previews", (guint) strlen (sentence), n);
  g_assert_cmpuint (n, >=, 1);
  /* About 10 per second at most: the burst took a few ms, the wait 1.5 s. */
  g_assert_cmpuint (n, <=, 17);
  last = g_ptr_array_index (previews, previews->len - 1);
  g_assert_cmpstr (test_obj_string (last, "type"), ==, "typing_preview");
  g_assert_cmpstr (test_obj_string (last, "text"), ==, sentence);
  g_assert_cmpstr (test_obj_string (last, "conversation_id"), ==, conversation_id);

  /* Clearing the field is a preview too. */
  test_sleep_ms (200);
  test_ws_sendf (world->visitor, "{'type':'typing','preview':''}");
  last = test_ws_wait_for (world->agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (last, "text"), ==, "");
  json_object_unref (last);
}

static void
test_bad_frames (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *long_body = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *client_id2 = test_client_id ();
  JsonObject *error;

  test_ws_ignore (world->visitor, "agents_online", NULL);

  test_ws_send (world->visitor, "this is not json");
  error = test_ws_expect_error (world->visitor, "invalid_json", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_is_null (error, "ref") || !test_obj_has (error, "ref"));
  g_assert_nonnull (test_obj_string (error, "message"));
  json_object_unref (error);

  test_ws_send (world->visitor, "{\"type\":\"dance\"}");
  json_object_unref (test_ws_expect_error (world->visitor, "unknown_type", TEST_TIMEOUT_MS));

  test_ws_send (world->visitor, "{\"type\":42}");
  json_object_unref (test_ws_wait_for (world->visitor, "error", TEST_TIMEOUT_MS));

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':''}", client_id);
  error = test_ws_expect_error (world->visitor, "invalid_value", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  json_object_unref (error);

  long_body = g_strnfill (4001, 'x');
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id2,
                 long_body);
  error = test_ws_wait_for (world->visitor, "error", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id2);
  json_object_unref (error);

  test_ws_sendf (world->visitor, "{'type':'message','client_id':7,'body':'Typed wrong'}");
  json_object_unref (test_ws_expect_error (world->visitor, "invalid_field", TEST_TIMEOUT_MS));

  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'x','status':'sleeping'}");
  json_object_unref (test_ws_wait_for (world->agent, "error", TEST_TIMEOUT_MS));

  /* Nothing of it was stored or fanned out; both sockets still work. */
  test_ws_expect_none (world->agent, "message", 0);
  g_assert_true (test_ws_is_open (world->visitor));
  test_ws_unignore (world->visitor, "pong");
  test_ws_send (world->visitor, "{\"type\":\"ping\"}");
  json_object_unref (test_ws_expect (world->visitor, "pong", TEST_TIMEOUT_MS));
  g_assert_cmpint (test_visitor_say (world->visitor, "Sorry about that", NULL), ==, 1);
}

static void
test_oversized_frame (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nmax-frame-bytes=4096\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *huge = g_strnfill (10000, 'y');
  g_autofree char *client_id = test_client_id ();

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id,
                 huge);
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==,
                    SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
}

static void
test_bad_frames_close (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nbad-frames-before-close=3\n",
                                               TEST_WORLD_DEFAULT);

  for (guint i = 0; i < 10 && test_ws_is_open (world->visitor); i++)
    {
      test_ws_send (world->visitor, "garbage");
      test_sleep_ms (50);
    }
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
}

static void
test_message_rate_limit (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nmessages-per-minute=5\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonObject) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *bodies = NULL;

  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("Message %u", i);
      g_assert_cmpint (test_visitor_say (world->visitor, body, i == 1 ? &conversation_id : NULL),
                       ==, i);
    }

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Message 6'}",
                 client_id);
  error = test_ws_expect_error (world->visitor, "rate_limited", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  g_assert_cmpfloat (test_obj_number (error, "retry_after"), >, 0);
  g_assert_cmpfloat (test_obj_number (error, "retry_after"), <=, 60);
  g_assert_true (test_ws_is_open (world->visitor));

  bodies = stored_bodies (world, conversation_id);
  g_assert_cmpstr (bodies, ==, "Message 1|Message 2|Message 3|Message 4|Message 5");
}

static void
test_sigkill_keeps_acked (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *bodies = NULL;

  test_visitor_say (world->visitor, "Acked one", &conversation_id);
  test_visitor_say (world->visitor, "Acked two", NULL);
  test_agent_say (world->agent, conversation_id, "Acked three");

  test_relay_kill (world->relay);
  test_relay_start (world->relay);

  bodies = stored_bodies (world, conversation_id);
  g_assert_cmpstr (bodies, ==, "Acked one|Acked two|Acked three");
}

static void
test_assign (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) assigned = NULL;
  g_autoptr(JsonObject) visitor_view = NULL;
  g_autoptr(JsonObject) unassigned = NULL;
  g_autofree char *conversation_id = NULL;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Who will help me?", &conversation_id);
  json_object_unref (test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS));
  test_ws_ignore (world->agent, "message", "visitor", NULL);
  json_object_unref (test_ws_wait_for (world->agent, "conversation", TEST_TIMEOUT_MS));

  test_ws_sendf (world->agent, "{'type':'assign','conversation_id':'%s','agent_id':'%s'}",
                 conversation_id, world->user_id);
  assigned = test_ws_wait_for_match (world->agent, "conversation", "conversation.assignee.id",
                                     world->user_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (assigned, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (assigned, "conversation.assignee.name"), ==, "Owner a");
  g_assert_cmpint (test_obj_int (assigned, "cursor"), >, 0);

  /* The visitor learns who helps them. */
  visitor_view = test_ws_wait_for_match (world->visitor, "conversation",
                                         "conversation.assignee.name", "Owner a", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (visitor_view, "conversation.id"), ==, conversation_id);

  test_ws_sendf (world->agent, "{'type':'assign','conversation_id':'%s','agent_id':null}",
                 conversation_id);
  unassigned = test_ws_wait_for (world->agent, "conversation", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (unassigned, "conversation.id"), ==, conversation_id);
  g_assert_false (test_obj_has (unassigned, "conversation.assignee"));
}

static void
on_websocket_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SoupWebsocketConnection **ws = user_data;
  g_autoptr(GError) error = NULL;

  *ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

/* permessage-deflate costs ~56 KB of memory per connection and 6x the CPU per message with
 * Debian's libsoup 3.2; chat frames are small. A client that offers it (as every browser
 * does) must get a plain connection. */
static void
test_no_deflate (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autofree char *url = g_strdup_printf ("%s/ws/widget?site_key=%s",
                                          test_relay_base_url (world->relay), world->site_key);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  memcpy (url, "ws", 2); /* http://… → ws://… */
  memmove (url + 2, url + 4, strlen (url + 4) + 1);
  msg = soup_message_new ("GET", url);
  /* what browsers offer */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Sec-WebSocket-Extensions",
                                "permessage-deflate; client_max_window_bits");
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_websocket_connected, &ws);
  while (ws == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (ws);

  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                               "Sec-WebSocket-Extensions"));
  g_assert_null (soup_websocket_connection_get_extensions (ws));
  soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/chat/conversation", test_conversation);
  test_harness_add ("/relay/chat/live-cursor-order", test_live_cursor_order);
  test_harness_add ("/relay/chat/visitor-resume", test_visitor_resume);
  test_harness_add ("/relay/chat/agent-resume", test_agent_resume);
  test_harness_add ("/relay/chat/resume-behind-message", test_resume_behind_message);
  test_harness_add ("/relay/chat/duplicate-client-id", test_duplicate_client_id);
  test_harness_add ("/relay/chat/client-id-conflict", test_client_id_conflict);
  test_harness_add ("/relay/chat/two-tabs", test_two_tabs);
  test_harness_add ("/relay/chat/journey", test_journey);
  test_harness_add ("/relay/chat/visitor-departure", test_visitor_departure);
  test_harness_add ("/relay/chat/leave-message", test_leave_message);
  test_harness_add ("/relay/chat/agents-online", test_agents_online);
  test_harness_add ("/relay/chat/hello-required", test_hello_required);
  test_harness_add ("/relay/chat/wrong-visitor-token", test_wrong_visitor_token);
  test_harness_add ("/relay/chat/typing-preview-throttle", test_typing_preview_throttle);
  test_harness_add ("/relay/chat/bad-frames", test_bad_frames);
  test_harness_add ("/relay/chat/bad-frames-close", test_bad_frames_close);
  test_harness_add ("/relay/chat/oversized-frame", test_oversized_frame);
  test_harness_add ("/relay/chat/message-rate-limit", test_message_rate_limit);
  test_harness_add ("/relay/chat/sigkill-keeps-acked", test_sigkill_keeps_acked);
  test_harness_add ("/relay/chat/assign", test_assign);
  test_harness_add ("/relay/chat/no-deflate", test_no_deflate);

  return g_test_run ();
}
