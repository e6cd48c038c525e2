/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-isolation.c: tenants, visitors and origins never see each other */

#include "relay-harness.h"

#include <string.h>

/* Two owners on one relay: A is the world's, B is added, each with a chatting visitor. */
typedef struct {
  TestWorld *world;        /* A: owner, site, agent, visitor */
  char      *a_conversation;
  char      *b_token;
  char      *b_site;
  char      *b_key;
  TestWs    *b_agent;
  TestWs    *b_visitor;
  char      *b_visitor_id;
  char      *b_conversation;
} Tenants;

static void
tenants_free (Tenants *t)
{
  g_clear_pointer (&t->b_visitor, test_ws_free);
  g_clear_pointer (&t->b_agent, test_ws_free);
  g_clear_pointer (&t->world, test_world_free);
  g_free (t->a_conversation);
  g_free (t->b_token);
  g_free (t->b_site);
  g_free (t->b_key);
  g_free (t->b_visitor_id);
  g_free (t->b_conversation);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tenants, tenants_free)

/* Both tenants with one conversation each, unless @chat is FALSE. */
static Tenants *
tenants_new (gboolean chat)
{
  Tenants *t = g_new0 (Tenants, 1);
  g_autoptr(JsonObject) welcome = NULL;

  t->world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  test_world_add_tenant (t->world, "b", &t->b_token, &t->b_site, &t->b_key);
  g_assert_cmpstr (t->b_site, !=, t->world->site_id);

  t->b_agent = test_ws_agent (t->world->relay, t->b_token);
  test_ws_set_name (t->b_agent, "agent B");
  test_agent_subscribe (t->b_agent, 0, NULL);
  t->b_visitor = test_ws_widget (t->world->relay, t->b_key);
  test_ws_set_name (t->b_visitor, "visitor B");
  welcome = test_visitor_hello (t->b_visitor, NULL, NULL, "https://b.test/");
  t->b_visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));

  if (chat)
    {
      test_visitor_say (t->world->visitor, "Alpha asks about apples", &t->a_conversation);
      test_visitor_say (t->b_visitor, "Bravo asks about bananas", &t->b_conversation);
      json_object_unref (test_ws_wait_for_match (t->world->agent, "message", "body",
                                                 "Alpha asks about apples", TEST_TIMEOUT_MS));
      json_object_unref (test_ws_wait_for_match (t->b_agent, "message", "body",
                                                 "Bravo asks about bananas", TEST_TIMEOUT_MS));
    }

  return t;
}

/* Fails when any frame @ws ever received mentions one of the NULL-terminated @needles. */
static void
assert_log_free_of (TestWs     *ws,
                    const char *first_needle,
                    ...)
{
  GPtrArray *log = test_ws_log (ws);
  va_list args;

  va_start (args, first_needle);
  for (const char *needle = first_needle; needle != NULL; needle = va_arg (args, const char *))
    for (guint i = 0; i < log->len; i++)
      if (strstr (g_ptr_array_index (log, i), needle) != NULL)
        g_error ("a frame mentions “%s”, which it must never see: %s", needle,
                 (const char *) g_ptr_array_index (log, i));
  va_end (args);
}

static void
assert_same_404 (TestResponse *foreign,
                 TestResponse *unknown)
{
  g_autofree char *foreign_text = test_response_text (foreign);
  g_autofree char *unknown_text = test_response_text (unknown);

  test_assert_http_error (foreign, 404, "not_found");
  test_assert_http_error (unknown, 404, "not_found");
  g_assert_cmpstr (foreign_text, ==, unknown_text);
}

static void
test_http_matrix (void)
{
  g_autoptr(Tenants) t = tenants_new (TRUE);
  TestRelay *relay = t->world->relay;
  const char *a_token = t->world->token;
  g_autofree char *b_list = g_strdup_printf ("/api/v1/sites/%s/conversations", t->b_site);
  g_autofree char *b_messages = g_strdup_printf ("/api/v1/conversations/%s/messages",
                                                 t->b_conversation);
  g_autofree char *b_site_path = g_strdup_printf ("/api/v1/sites/%s", t->b_site);
  g_autoptr(TestResponse) sites = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) b_check = NULL;
  g_autofree char *sites_text = NULL;
  g_autofree char *me_text = NULL;
  g_autofree char *b_check_text = NULL;

  {
    g_autoptr(TestResponse) foreign = test_http (relay, "GET", b_list, a_token, NULL, NULL);
    g_autoptr(TestResponse) unknown = NULL;

    unknown = test_http (relay, "GET", "/api/v1/sites/site_00000000000000000000/conversations",
                         a_token, NULL, NULL);
    assert_same_404 (foreign, unknown);
  }
  {
    g_autoptr(TestResponse) foreign = test_http (relay, "GET", b_messages, a_token, NULL, NULL);
    g_autoptr(TestResponse) unknown = NULL;
    g_autofree char *text = test_response_text (foreign);

    unknown = test_http (relay, "GET", "/api/v1/conversations/conv_00000000000000000000/messages",
                         a_token, NULL, NULL);
    assert_same_404 (foreign, unknown);
    g_assert_null (strstr (text, "bananas"));
  }
  {
    g_autoptr(TestResponse) foreign = test_http (relay, "PATCH", b_site_path, a_token,
                                                 "{\"name\":\"Taken over\","
                                                 "\"domains\":[\"a.test\"]}", NULL);
    g_autoptr(TestResponse) unknown = test_http (relay, "PATCH",
                                                 "/api/v1/sites/site_00000000000000000000",
                                                 a_token, "{\"name\":\"Taken over\"}", NULL);
    assert_same_404 (foreign, unknown);
  }
  {
    g_autofree char *with_query = g_strdup_printf ("%s?after_seq=0&limit=10", b_messages);
    g_autoptr(TestResponse) foreign = test_http (relay, "GET", with_query, a_token, NULL, NULL);
    test_assert_http_error (foreign, 404, "not_found");
  }

  /* A's listings do not even mention B. */
  sites = test_http (relay, "GET", "/api/v1/sites", a_token, NULL, NULL);
  test_assert_http_status (sites, 200);
  sites_text = test_response_text (sites);
  g_assert_null (strstr (sites_text, t->b_site));
  g_assert_null (strstr (sites_text, t->b_key));
  me = test_http (relay, "GET", "/api/v1/me", a_token, NULL, NULL);
  me_text = test_response_text (me);
  g_assert_null (strstr (me_text, t->b_site));

  /* And B's data is untouched. */
  b_check = test_http (relay, "GET", "/api/v1/sites", t->b_token, NULL, NULL);
  b_check_text = test_response_text (b_check);
  g_assert_nonnull (strstr (b_check_text, "Site b"));
  g_assert_null (strstr (b_check_text, "Taken over"));
  {
    g_autoptr(TestResponse) own = test_http (relay, "GET", b_messages, t->b_token, NULL, NULL);
    JsonArray *messages;

    test_assert_http_status (own, 200);
    messages = test_obj_array (test_response_object (own), "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  }
}

static void
test_agent_socket_silence (void)
{
  g_autoptr(Tenants) t = tenants_new (FALSE);
  g_autoptr(JsonObject) own = NULL;
  g_autofree char *b_conversation = NULL;

  /* Everything B's side can do, while A's agent listens. */
  test_visitor_say (t->b_visitor, "Bravo secret bananas", &b_conversation);
  test_ws_sendf (t->b_visitor, "{'type':'typing','preview':'Bravo typing secret'}");
  test_ws_sendf (t->b_visitor, "{'type':'page_view','url':'https://b.test/secret-page',"
                 "'title':'Secret'}");
  json_object_unref (test_ws_wait_for_match (t->b_agent, "typing_preview", "text",
                                             "Bravo typing secret", TEST_TIMEOUT_MS));
  test_agent_say (t->b_agent, b_conversation, "Bravo agent answer");
  test_ws_sendf (t->b_agent, "{'type':'typing','conversation_id':'%s','active':true}",
                 b_conversation);
  test_ws_sendf (t->b_agent, "{'type':'set_status','conversation_id':'%s','status':'pending'}",
                 b_conversation);
  test_ws_sendf (t->b_agent, "{'type':'presence','status':'busy'}");
  json_object_unref (test_ws_wait_for_match (t->b_visitor, "conversation", "conversation.status",
                                             "pending", TEST_TIMEOUT_MS));
  g_clear_pointer (&t->b_visitor, test_ws_free);
  test_sleep_ms (TEST_QUIET_MS);

  /* A's agent still works... */
  test_visitor_say (t->world->visitor, "Alpha still here", NULL);
  own = test_ws_wait_for_match (t->world->agent, "message", "body", "Alpha still here",
                                TEST_TIMEOUT_MS);

  /* ...and never heard a word of B. */
  assert_log_free_of (t->world->agent, t->b_site, b_conversation, t->b_visitor_id,
                      "Bravo", "secret-page", NULL);
  assert_log_free_of (t->world->visitor, t->b_site, b_conversation, t->b_visitor_id, "Bravo",
                      NULL);
}

static void
test_agent_actions (void)
{
  g_autoptr(Tenants) t = tenants_new (TRUE);
  TestWs *a_agent = t->world->agent;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *b_messages = g_strdup_printf ("/api/v1/conversations/%s/messages",
                                                 t->b_conversation);
  g_autofree char *b_list = g_strdup_printf ("/api/v1/sites/%s/conversations", t->b_site);
  g_autoptr(TestResponse) messages = NULL;
  g_autoptr(TestResponse) list = NULL;
  JsonObject *error;
  JsonArray *array;

  test_ws_ignore (a_agent, "visitor", "presence", NULL);
  test_ws_ignore (t->b_visitor, "agents_online", NULL);
  test_ws_ignore (t->b_agent, "visitor", "presence", NULL);
  g_ptr_array_unref (test_ws_drain (t->b_visitor, 0));
  g_ptr_array_unref (test_ws_drain (t->b_agent, 0));
  g_ptr_array_unref (test_ws_drain (a_agent, 0));

  test_ws_sendf (a_agent,
                 "{'type':'message','conversation_id':'%s','client_id':'%s',"
                 "'body':'Intruder says hi'}",
                 t->b_conversation, client_id);
  error = test_ws_expect_error (a_agent, "not_found", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  json_object_unref (error);

  test_ws_sendf (a_agent, "{'type':'set_status','conversation_id':'%s','status':'closed'}",
                 t->b_conversation);
  json_object_unref (test_ws_expect_error (a_agent, "not_found", TEST_TIMEOUT_MS));

  test_ws_sendf (a_agent, "{'type':'assign','conversation_id':'%s','agent_id':'%s'}",
                 t->b_conversation, t->world->user_id);
  json_object_unref (test_ws_expect_error (a_agent, "not_found", TEST_TIMEOUT_MS));

  test_ws_sendf (a_agent, "{'type':'typing','conversation_id':'%s','active':true}",
                 t->b_conversation);
  json_object_unref (test_ws_expect_error (a_agent, "not_found", TEST_TIMEOUT_MS));

  test_ws_sendf (a_agent, "{'type':'read','conversation_id':'%s','seq':1}", t->b_conversation);
  json_object_unref (test_ws_expect_error (a_agent, "not_found", TEST_TIMEOUT_MS));

  /* A's own conversation cannot be handed to B's owner either. */
  test_ws_sendf (t->b_agent, "{'type':'assign','conversation_id':'%s','agent_id':null}",
                 t->a_conversation);
  json_object_unref (test_ws_expect_error (t->b_agent, "not_found", TEST_TIMEOUT_MS));

  /* Nothing reached B. */
  test_ws_expect_none (t->b_visitor, NULL, TEST_QUIET_MS);
  test_ws_expect_none (t->b_agent, NULL, 0);
  assert_log_free_of (t->b_visitor, "Intruder", "Owner a", NULL);
  assert_log_free_of (t->b_agent, "Intruder", t->world->user_id, NULL);

  messages = test_http (t->world->relay, "GET", b_messages, t->b_token, NULL, NULL);
  test_assert_http_status (messages, 200);
  array = test_obj_array (test_response_object (messages), "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "body"), ==,
                   "Bravo asks about bananas");

  list = test_http (t->world->relay, "GET", b_list, t->b_token, NULL, NULL);
  test_assert_http_status (list, 200);
  array = test_obj_array (test_response_object (list), "conversations");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "status"), ==,
                   "open");
  g_assert_false (test_obj_has (json_array_get_object_element (array, 0), "assignee"));
}

static void
test_visitor_cross_site (void)
{
  g_autoptr(Tenants) t = tenants_new (TRUE);
  g_autoptr(TestWs) crossing = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  /* A's visitor credentials presented on B's site. */
  crossing = test_ws_widget (t->world->relay, t->b_key);
  welcome = test_visitor_hello (crossing, t->world->visitor_id, t->world->visitor_token,
                                "https://b.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), !=, t->world->visitor_id);
  g_assert_true (test_obj_is_null (welcome, "conversation"));

  test_ws_sendf (crossing, "{'type':'resume','after_seq':0}");
  test_ws_expect_none (crossing, "message", TEST_QUIET_MS);
  assert_log_free_of (crossing, t->a_conversation, "apples", t->b_conversation, "bananas", NULL);

  /* What it says goes to B, as a new visitor's conversation, never into A's. */
  test_visitor_say (crossing, "Crossing over", NULL);
  json_object_unref (test_ws_wait_for_match (t->b_agent, "message", "body", "Crossing over",
                                             TEST_TIMEOUT_MS));
  test_ws_expect_none (t->world->agent, "message", TEST_QUIET_MS);
  test_ws_expect_none (t->world->visitor, "message", 0);
  assert_log_free_of (t->world->agent, "Crossing over", NULL);
}

static void
test_subscribe_backlog (void)
{
  g_autoptr(Tenants) t = tenants_new (TRUE);
  g_autoptr(TestWs) a_again = NULL;
  g_autoptr(TestWs) b_again = NULL;
  g_autoptr(GPtrArray) a_backlog = NULL;
  g_autoptr(GPtrArray) b_backlog = NULL;
  gboolean a_saw_own = FALSE;
  gboolean b_saw_own = FALSE;

  test_agent_say (t->b_agent, t->b_conversation, "Bravo reply");
  test_agent_say (t->world->agent, t->a_conversation, "Alpha reply");

  a_again = test_ws_agent (t->world->relay, t->world->token);
  test_ws_ignore (a_again, "presence", NULL);
  test_agent_subscribe (a_again, 0, &a_backlog);
  for (guint i = 0; i < a_backlog->len; i++)
    {
      JsonObject *event = g_ptr_array_index (a_backlog, i);

      g_assert_cmpstr (test_obj_string (event, "site_id"), ==, t->world->site_id);
      if (g_strcmp0 (json_object_get_string_member_with_default (event, "body", ""),
                     "Alpha reply") == 0)
        a_saw_own = TRUE;
    }
  g_assert_true (a_saw_own);
  assert_log_free_of (a_again, t->b_site, t->b_conversation, t->b_visitor_id, "Bravo", NULL);

  b_again = test_ws_agent (t->world->relay, t->b_token);
  test_ws_ignore (b_again, "presence", NULL);
  test_agent_subscribe (b_again, 0, &b_backlog);
  for (guint i = 0; i < b_backlog->len; i++)
    {
      JsonObject *event = g_ptr_array_index (b_backlog, i);

      g_assert_cmpstr (test_obj_string (event, "site_id"), ==, t->b_site);
      if (g_strcmp0 (json_object_get_string_member_with_default (event, "body", ""),
                     "Bravo reply") == 0)
        b_saw_own = TRUE;
    }
  g_assert_true (b_saw_own);
  assert_log_free_of (b_again, t->world->site_id, t->a_conversation, t->world->visitor_id,
                      "Alpha", NULL);
}

static void
test_visitors_of_one_site (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) other = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *other_conversation = NULL;

  other = test_ws_widget (world->relay, world->site_key);
  test_ws_set_name (other, "other visitor");
  test_ws_ignore (other, "agents_online", NULL);
  welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/");
  test_visitor_say (other, "Other visitor here", &other_conversation);

  test_visitor_say (world->visitor, "Private words", &conversation_id);
  g_assert_cmpstr (conversation_id, !=, other_conversation);
  test_ws_sendf (world->visitor, "{'type':'typing','preview':'Private typing'}");
  test_agent_say (world->agent, conversation_id, "Private answer");
  test_ws_sendf (world->agent, "{'type':'typing','conversation_id':'%s','active':true}",
                 conversation_id);
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for_match (world->visitor, "message", "body", "Private answer",
                                             TEST_TIMEOUT_MS));
  json_object_unref (test_ws_wait_for_match (world->visitor, "conversation",
                                             "conversation.status", "resolved", TEST_TIMEOUT_MS));

  test_ws_expect_none (other, "message", TEST_QUIET_MS);
  test_ws_expect_none (other, "typing", 0);
  assert_log_free_of (other, conversation_id, world->visitor_id, "Private", NULL);
}

static void
test_origin (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  const char *exact[] = { "shop.example", NULL };
  const char *wildcard[] = { "*.shop.example", NULL };
  g_autoptr(JsonObject) exact_site = test_relay_create_site (world->relay, world->email,
                                                             "Exact shop", exact);
  g_autoptr(JsonObject) wildcard_site = test_relay_create_site (world->relay, world->email,
                                                                "Wildcard shop", wildcard);
  const char *exact_key = test_obj_string (exact_site, "site_key");
  const char *wildcard_key = test_obj_string (wildcard_site, "site_key");
  struct {
    const char *key;
    const char *origin;
    gboolean    allowed;
  } cases[] = {
    { exact_key, "http://shop.example", TRUE },
    { exact_key, "https://shop.example", TRUE },
    { exact_key, "http://evil.example", FALSE },
    { exact_key, "http://shop.example.evil.example", FALSE },
    { exact_key, "http://evilshop.example", FALSE },
    { exact_key, "http://sub.shop.example", FALSE },
    { wildcard_key, "http://sub.shop.example", TRUE },
    { wildcard_key, "https://deep.sub.shop.example", TRUE },
    { wildcard_key, "http://evil.example", FALSE },
    { wildcard_key, "http://notshop.example", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status = 0;
      g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, cases[i].key, cases[i].origin,
                                                 &status);

      g_test_message ("%s on %s: %u", cases[i].origin,
                      cases[i].key == exact_key ? "shop.example" : "*.shop.example", status);
      if (cases[i].allowed)
        {
          g_autoptr(JsonObject) welcome = NULL;

          if (ws == NULL)
            g_error ("Origin %s was refused (%u) on a site allowing it", cases[i].origin, status);
          welcome = test_visitor_hello (ws, NULL, NULL, "https://shop.example/");
        }
      else
        {
          if (ws != NULL)
            g_error ("Origin %s was let in on a site not allowing it", cases[i].origin);
          g_assert_cmpuint (status, ==, 403);
        }
    }
}

static void
test_unknown_and_disabled_site (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestResponse) disabled = NULL;
  guint status = 0;
  TestWs *ws;

  ws = test_ws_try_widget (world->relay, "no-such-site-key", NULL, &status);
  g_assert_null (ws);
  g_assert_cmpuint (status, ==, 403);

  disabled = test_http (world->relay, "PATCH", path, world->token, "{\"enabled\":false}", NULL);
  test_assert_http_status (disabled, 200);

  status = 0;
  ws = test_ws_try_widget (world->relay, world->site_key, NULL, &status);
  if (ws != NULL)
    {
      /* Also allowed by the contract: an error frame, then close 1008. */
      g_assert_cmpuint (test_ws_wait_closed (ws, TEST_TIMEOUT_MS), ==,
                        SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
      test_ws_free (ws);
    }
  else
    {
      g_assert_cmpuint (status, ==, 403);
    }
}

static void
test_agent_needs_token (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  guint status = 0;

  g_assert_null (test_ws_try_agent (world->relay, NULL, &status));
  g_assert_cmpuint (status, ==, 401);

  status = 0;
  g_assert_null (test_ws_try_agent (world->relay, "forged-token-value", &status));
  g_assert_cmpuint (status, ==, 401);

  /* A visitor token is no agent token. */
  {
    g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");

    status = 0;
    g_assert_null (test_ws_try_agent (world->relay, test_obj_string (welcome, "visitor_token"),
                                      &status));
    g_assert_cmpuint (status, ==, 401);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/isolation/http-matrix", test_http_matrix);
  test_harness_add ("/relay/isolation/agent-socket-silence", test_agent_socket_silence);
  test_harness_add ("/relay/isolation/agent-actions", test_agent_actions);
  test_harness_add ("/relay/isolation/visitor-cross-site", test_visitor_cross_site);
  test_harness_add ("/relay/isolation/subscribe-backlog", test_subscribe_backlog);
  test_harness_add ("/relay/isolation/visitors-of-one-site", test_visitors_of_one_site);
  test_harness_add ("/relay/isolation/origin", test_origin);
  test_harness_add ("/relay/isolation/unknown-and-disabled-site", test_unknown_and_disabled_site);
  test_harness_add ("/relay/isolation/agent-needs-token", test_agent_needs_token);

  return g_test_run ();
}
