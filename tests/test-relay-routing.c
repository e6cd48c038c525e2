/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-routing.c: issue 18 against a real relay — teams, automatic assignment (round
 * robin, least busy) under each agent's limit, away and busy agents skipped, the queue under a
 * burst with its position frames, the head taken when a slot frees, a restart in the middle,
 * reassignment after the grace period, transfer, leaving the queue with a message. Every wait
 * is on a condition (a frame, a state read back), never a fixed sleep. */

#include "relay-harness.h"

#include <string.h>

/* a loaded machine: the waits are on conditions, these only bound them */
#define ROUTE_TIMEOUT_MS (TEST_TIMEOUT_MS * 3 * test_timeout_multiplier ())

typedef struct {
  char   *id;
  char   *token;
  TestWs *ws;
} Agent;

static void
agent_free (Agent *agent)
{
  g_free (agent->id);
  g_free (agent->token);
  g_clear_pointer (&agent->ws, test_ws_free);
  g_free (agent);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Agent, agent_free)

static JsonObject *
array_object (JsonObject *object,
              const char *path,
              guint       index)
{
  JsonArray *array = test_obj_array (object, path);

  g_assert_cmpuint (index, <, json_array_get_length (array));
  return json_array_get_object_element (array, index);
}

static const char *
array_string (JsonObject *object,
              const char *path,
              guint       index)
{
  JsonArray *array = test_obj_array (object, path);

  g_assert_cmpuint (index, <, json_array_get_length (array));
  return json_array_get_string_element (array, index);
}

static void
quiet (TestWs *ws)
{
  test_ws_ignore (ws, "visitor", "presence", "typing_preview", "message", "members", "site", "sites",
                  "agents_online", "teams", "timeline", "conversation", "note", NULL);
}

static void
agent_connect (TestWorld *world,
               Agent     *agent)
{
  agent->ws = test_ws_agent (world->relay, agent->token);
  quiet (agent->ws);
  test_agent_subscribe (agent->ws, 0, NULL);
}

/* A new agent of the world's site, connected (presence online). */
static Agent *
add_agent (TestWorld  *world,
           const char *name)
{
  Agent *agent = g_new0 (Agent, 1);
  g_autofree char *email = g_strdup_printf ("%s@a.test", name);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'agent'}", email);
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, "secret-pass-1", name);
  g_autoptr(TestResponse) added = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (added, 201);
  agent->id = g_strdup (test_obj_string (user, "id"));
  agent->token = test_relay_login (world->relay, email, "secret-pass-1");
  agent_connect (world, agent);
  return agent;
}

static void
patch_settings (TestWorld  *world,
                const char *settings_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
  g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_status (patched, 200);
}

static void
set_max_chats (TestWorld  *world,
               const char *user_id,
               int         max_chats)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members/%s", world->site_id, user_id);
  g_autofree char *body = g_strdup_printf ("{\"max_chats\":%d}", max_chats);
  g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_status (patched, 200);
  g_assert_cmpint (test_obj_int (test_response_object (patched), "max_chats"), ==, max_chats);
}

/* The world's owner is an agent too: away, the relay gives them nothing. */
static void
owner_away (TestWorld *world)
{
  test_ws_send (world->agent, "{\"type\":\"presence\",\"status\":\"away\"}");
  quiet (world->agent);
}

static TestWs *
new_visitor (TestWorld  *world,
             JsonObject **out_welcome)
{
  TestWs *visitor = test_ws_widget (world->relay, world->site_key);
  JsonObject *welcome;

  test_ws_ignore (visitor, "agents_online", "conversation", "typing", "read", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/pricing");
  if (out_welcome != NULL)
    *out_welcome = welcome;
  else
    json_object_unref (welcome);
  return visitor;
}

static JsonObject *
get_conversation (TestWorld  *world,
                  const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonObject *object;

  test_assert_http_status (response, 200);
  object = test_response_object (response);
  if (test_obj_has (object, "conversation"))
    object = test_obj_object (object, "conversation");
  return json_object_ref (object);
}

/* The assignee's id, or NULL. */
static char *
assignee_of (TestWorld  *world,
             const char *conversation_id)
{
  g_autoptr(JsonObject) conversation = get_conversation (world, conversation_id);

  if (test_obj_is_null (conversation, "assignee"))
    return NULL;
  return g_strdup (test_obj_string (conversation, "assignee.id"));
}

static gint64
position_of (TestWorld  *world,
             const char *conversation_id)
{
  g_autoptr(JsonObject) conversation = get_conversation (world, conversation_id);

  if (test_obj_is_null (conversation, "queue_position"))
    return 0;
  return test_obj_int (conversation, "queue_position");
}

/* Waits until the conversation's assignee is @expected (NULL: anyone but nobody). */
static char *
wait_assigned (TestWorld  *world,
               const char *conversation_id,
               const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autofree char *assignee = assignee_of (world, conversation_id);

      if (assignee != NULL && (expected == NULL || strcmp (assignee, expected) == 0))
        return g_steal_pointer (&assignee);
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: assignee %s, expected %s", conversation_id, assignee ? assignee : "none",
                 expected ? expected : "someone");
      test_sleep_ms (20);
    }
}

static void
wait_status (TestWorld  *world,
             const char *conversation_id,
             const char *status)
{
  gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) conversation = get_conversation (world, conversation_id);

      if (g_strcmp0 (test_obj_string (conversation, "status"), status) == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: status %s, expected %s", conversation_id,
                 test_obj_string (conversation, "status"), status);
      test_sleep_ms (20);
    }
}

/* The visitor's next queue frame (of @conversation_id) with position @position (0: null). */
static JsonObject *
wait_queue_frame (TestWs     *visitor,
                  const char *conversation_id,
                  gint64      position)
{
  gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) frame = test_ws_find_match (visitor, "queue", "conversation_id",
                                                        conversation_id, 100);

      if (frame != NULL)
        {
          gint64 got = test_obj_is_null (frame, "position") ? 0 : test_obj_int (frame, "position");

          /* earlier positions are history: on to the next frame */
          if (got == position)
            return g_steal_pointer (&frame);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: no queue frame with position %" G_GINT64_FORMAT, conversation_id, position);
    }
}

static void
set_status (TestWs     *agent,
            const char *conversation_id,
            const char *status)
{
  test_ws_sendf (agent, "{'type':'set_status','conversation_id':'%s','status':'%s'}",
                 conversation_id, status);
}

static guint
count_assigned (TestWorld  *world,
                GPtrArray  *conversation_ids,
                const char *user_id)
{
  guint count = 0;

  for (guint i = 0; i < conversation_ids->len; i++)
    {
      g_autofree char *assignee = assignee_of (world, g_ptr_array_index (conversation_ids, i));

      count += g_strcmp0 (assignee, user_id) == 0;
    }
  return count;
}

/* --- teams --- */

static void
test_teams_crud (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) ann = add_agent (world, "ann");
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autofree char *body = test_json ("{'name':'Billing & Payments','member_ids':['%s'],"
                                     "'assignment':'least_busy','first_response_seconds':120}", ann->id);
  g_autoptr(TestResponse) created = NULL;
  g_autofree char *team_id = NULL, *team_path = NULL;
  g_autoptr(JsonObject) pushed = NULL;
  JsonObject *team;

  test_ws_unignore (ann->ws, "teams");
  created = test_http (world->relay, "POST", site_path, world->token, body, NULL);
  test_assert_http_status (created, 201);
  team = test_response_object (created);
  team_id = g_strdup (test_obj_string (team, "id"));
  g_assert_true (g_str_has_prefix (team_id, "team_"));
  g_assert_cmpstr (test_obj_string (team, "key"), ==, "billing-payments");
  g_assert_cmpstr (test_obj_string (team, "assignment"), ==, "least_busy");
  g_assert_cmpint (test_obj_int (team, "first_response_seconds"), ==, 120);
  g_assert_true (test_obj_is_null (team, "next_response_seconds"));
  g_assert_cmpstr (array_string (team, "member_ids", 0), ==, ann->id);

  /* the site's agents hear of it */
  pushed = test_ws_wait_for (ann->ws, "teams", ROUTE_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (array_object (pushed, "teams", 0), "id"), ==, team_id);

  /* names unique whatever the case, keys unique, keys as [a-z0-9-]{1,40}, members of the site */
  {
    g_autoptr(TestResponse) same_name = test_http (world->relay, "POST", site_path, world->token,
                                                   "{\"name\":\"BILLING & payments\"}", NULL);
    g_autoptr(TestResponse) same_key = test_http (world->relay, "POST", site_path, world->token,
                                                  "{\"name\":\"Other\",\"key\":\"billing-payments\"}", NULL);
    g_autoptr(TestResponse) bad_key = test_http (world->relay, "POST", site_path, world->token,
                                                 "{\"name\":\"Other\",\"key\":\"Bad Key\"}", NULL);
    g_autoptr(TestResponse) stranger = test_http (world->relay, "POST", site_path, world->token,
                                                  "{\"name\":\"Other\",\"member_ids\":[\"usr_nobody\"]}", NULL);
    g_autoptr(TestResponse) bad_mode = test_http (world->relay, "POST", site_path, world->token,
                                                  "{\"name\":\"Other\",\"assignment\":\"random\"}", NULL);
    g_autoptr(TestResponse) no_name = test_http (world->relay, "POST", site_path, world->token,
                                                 "{\"key\":\"x\"}", NULL);
    g_autoptr(TestResponse) by_agent = test_http (world->relay, "POST", site_path, ann->token,
                                                  "{\"name\":\"Agents\"}", NULL);
    g_autoptr(TestResponse) listed_by_agent = test_http (world->relay, "GET", site_path, ann->token,
                                                         NULL, NULL);

    test_assert_http_error (same_name, 409, "conflict");
    test_assert_http_error (same_key, 409, "conflict");
    test_assert_http_error (bad_key, 400, "invalid_value");
    test_assert_http_error (stranger, 400, "invalid_value");
    test_assert_http_error (bad_mode, 400, "invalid_value");
    test_assert_http_error (no_name, 400, NULL);
    test_assert_http_error (by_agent, 403, NULL);
    test_assert_http_status (listed_by_agent, 200);
  }

  /* listed by name; PATCH any subset */
  {
    g_autoptr(TestResponse) sales = test_http (world->relay, "POST", site_path, world->token,
                                               "{\"name\":\"Apples\",\"key\":\"apples\"}", NULL);
    g_autoptr(TestResponse) listed = NULL;
    g_autoptr(TestResponse) patched = NULL;

    test_assert_http_status (sales, 201);
    listed = test_http (world->relay, "GET", site_path, world->token, NULL, NULL);
    test_assert_http_status (listed, 200);
    g_assert_cmpstr (test_obj_string (array_object (test_response_object (listed), "teams", 0), "name"), ==, "Apples");
    g_assert_cmpstr (test_obj_string (array_object (test_response_object (listed), "teams", 1), "id"), ==, team_id);

    team_path = g_strdup_printf ("/api/v1/teams/%s", team_id);
    patched = test_http (world->relay, "PATCH", team_path, world->token,
                         "{\"name\":\"Billing\",\"first_response_seconds\":null}", NULL);
    test_assert_http_status (patched, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (patched), "name"), ==, "Billing");
    g_assert_cmpstr (test_obj_string (test_response_object (patched), "key"), ==, "billing-payments");
    g_assert_true (test_obj_is_null (test_response_object (patched), "first_response_seconds"));
    g_assert_cmpstr (array_string (test_response_object (patched), "member_ids", 0), ==, ann->id);
  }

  /* the member's teams and limit, and the caller's own limit on their sites */
  {
    g_autofree char *members_path = g_strdup_printf ("/api/v1/sites/%s/members/%s", world->site_id, ann->id);
    g_autoptr(TestResponse) member = test_http (world->relay, "GET", members_path, world->token, NULL, NULL);
    g_autoptr(TestResponse) too_many = test_http (world->relay, "PATCH", members_path, world->token,
                                                  "{\"max_chats\":101}", NULL);
    g_autoptr(TestResponse) sites = NULL;

    test_assert_http_status (member, 200);
    g_assert_cmpstr (array_string (test_response_object (member), "team_ids", 0), ==, team_id);
    g_assert_cmpint (test_obj_int (test_response_object (member), "max_chats"), ==, 0);
    test_assert_http_error (too_many, 400, "invalid_value");
    set_max_chats (world, ann->id, 4);
    sites = test_http (world->relay, "GET", "/api/v1/sites", ann->token, NULL, NULL);
    test_assert_http_status (sites, 200);
    g_assert_cmpint (test_obj_int (array_object (test_response_object (sites), "sites", 0), "max_chats"), ==, 4);
  }

  /* a visitor's message names the team by key; the conversation carries it */
  {
    g_autoptr(TestWs) visitor = new_visitor (world, NULL);
    g_autoptr(JsonObject) conversation = NULL;
    g_autoptr(TestResponse) deleted = NULL;
    g_autoptr(JsonObject) after = NULL;
    g_autofree char *conversation_id = NULL;
    g_autofree char *client_id = test_client_id ();
    g_autoptr(JsonObject) ack = NULL;

    test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'Invoice?','team':'billing-payments'}",
                   client_id);
    ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id, ROUTE_TIMEOUT_MS);
    conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
    conversation = get_conversation (world, conversation_id);
    g_assert_cmpstr (test_obj_string (conversation, "team.id"), ==, team_id);
    g_assert_cmpstr (test_obj_string (conversation, "team.key"), ==, "billing-payments");
    g_assert_cmpstr (test_obj_string (conversation, "team.name"), ==, "Billing");

    /* deleting the team leaves its conversations going without one */
    deleted = test_http (world->relay, "DELETE", team_path, world->token, NULL, NULL);
    test_assert_http_status (deleted, 204);
    after = get_conversation (world, conversation_id);
    g_assert_true (test_obj_is_null (after, "team"));
  }

  /* an unknown key is ignored, not an error */
  {
    g_autoptr(TestWs) visitor = new_visitor (world, NULL);
    g_autofree char *client_id = test_client_id ();
    g_autoptr(JsonObject) ack = NULL;
    g_autoptr(JsonObject) conversation = NULL;

    test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'Hi','team':'nope'}", client_id);
    ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id, ROUTE_TIMEOUT_MS);
    conversation = get_conversation (world, test_obj_string (ack, "conversation_id"));
    g_assert_true (test_obj_is_null (conversation, "team"));
  }
}

/* team_rules and the widget config's team list */
static void
test_team_rules (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autoptr(TestResponse) sales = test_http (world->relay, "POST", site_path, world->token,
                                             "{\"name\":\"Sales\"}", NULL);
  g_autoptr(TestResponse) german = test_http (world->relay, "POST", site_path, world->token,
                                              "{\"name\":\"German\",\"key\":\"de\"}", NULL);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autoptr(TestResponse) config = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestResponse) bad = test_http (world->relay, "PATCH", path, world->token,
                                           "{\"settings\":{\"team_rules\":[{\"team\":\"Bad Key\"}]}}", NULL);

  test_assert_http_status (sales, 201);
  test_assert_http_status (german, 201);
  test_assert_http_error (bad, 400, "invalid_value");
  patch_settings (world, "{\"prechat_team\":true,\"team_rules\":[{\"team\":\"de\",\"language\":\"de\"},"
                         "{\"team\":\"sales\",\"url\":\"*/pricing*\"}]}");

  config = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  test_assert_http_status (config, 200);
  g_assert_cmpstr (test_obj_string (array_object (test_response_object (config), "teams", 0), "key"), ==, "de");
  g_assert_cmpstr (test_obj_string (array_object (test_response_object (config), "teams", 1), "name"), ==, "Sales");
  g_assert_false (test_obj_has (test_response_object (config), "settings.team_rules"));

  /* on /pricing with en-GB: the URL rule */
  {
    g_autoptr(TestWs) visitor = new_visitor (world, NULL);
    g_autofree char *conversation_id = NULL;
    g_autoptr(JsonObject) conversation = NULL;

    test_visitor_say (visitor, "How much?", &conversation_id);
    conversation = get_conversation (world, conversation_id);
    g_assert_cmpstr (test_obj_string (conversation, "team.key"), ==, "sales");
  }
}

/* --- assignment --- */

static void
test_round_robin_limits (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(Agent) b = add_agent (world, "bob");
  g_autoptr(Agent) c = add_agent (world, "carol");
  g_autoptr(GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) first_round = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *a_first = NULL;

  owner_away (world);
  set_max_chats (world, a->id, 1);
  set_max_chats (world, b->id, 1);
  set_max_chats (world, c->id, 2);
  patch_settings (world, "{\"assignment\":\"round_robin\"}");

  for (guint i = 0; i < 6; i++)
    {
      TestWs *visitor = new_visitor (world, NULL);
      char *conversation_id = NULL;

      test_visitor_say (visitor, "Hello", &conversation_id);
      g_ptr_array_add (visitors, visitor);
      g_ptr_array_add (ids, conversation_id);
      if (i < 4)
        {
          g_autofree char *assignee = wait_assigned (world, conversation_id, NULL);

          g_assert_cmpstr (assignee, !=, world->user_id);
          /* round robin: the first three go to three different agents */
          if (i < 3)
            g_assert_true (g_hash_table_add (first_round, g_steal_pointer (&assignee)));
          else
            /* alice and bob are at their limit of 1: carol (2) takes the fourth */
            g_assert_cmpstr (assignee, ==, c->id);
        }
    }

  /* nobody is free: the fifth and sixth wait, in their order */
  {
    g_autoptr(JsonObject) frame5 = wait_queue_frame (g_ptr_array_index (visitors, 4), g_ptr_array_index (ids, 4), 1);
    g_autoptr(JsonObject) frame6 = wait_queue_frame (g_ptr_array_index (visitors, 5), g_ptr_array_index (ids, 5), 2);
    g_autoptr(JsonObject) fifth = get_conversation (world, g_ptr_array_index (ids, 4));

    g_assert_true (test_obj_is_null (frame5, "estimated_wait_seconds"));  /* no history yet */
    g_assert_true (test_obj_is_null (fifth, "assignee"));
    g_assert_cmpint (test_obj_int (fifth, "queue_position"), ==, 1);
    g_assert_nonnull (test_obj_string (fifth, "queued_at"));
  }
  g_assert_cmpuint (count_assigned (world, ids, a->id), ==, 1);
  g_assert_cmpuint (count_assigned (world, ids, b->id), ==, 1);
  g_assert_cmpuint (count_assigned (world, ids, c->id), ==, 2);

  /* alice resolves hers: the head of the queue is hers at once, the sixth moves up */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *assignee = assignee_of (world, g_ptr_array_index (ids, i));

      if (g_strcmp0 (assignee, a->id) == 0)
        a_first = g_strdup (g_ptr_array_index (ids, i));
    }
  g_assert_nonnull (a_first);
  set_status (a->ws, a_first, "resolved");
  g_free (wait_assigned (world, g_ptr_array_index (ids, 4), a->id));
  {
    g_autoptr(JsonObject) left = wait_queue_frame (g_ptr_array_index (visitors, 4), g_ptr_array_index (ids, 4), 0);
    g_autoptr(JsonObject) moved = wait_queue_frame (g_ptr_array_index (visitors, 5), g_ptr_array_index (ids, 5), 1);
    /* a handling time exists now: the wait is estimated */
    g_assert_false (test_obj_is_null (moved, "estimated_wait_seconds"));
    g_assert_cmpint (test_obj_int (moved, "estimated_wait_seconds"), >=, 0);
    g_assert_true (test_obj_is_null (left, "estimated_wait_seconds"));
  }
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 5)), ==, 1);

  /* a raised limit takes the head too */
  set_max_chats (world, b->id, 2);
  g_free (wait_assigned (world, g_ptr_array_index (ids, 5), b->id));

  /* the assignment is in the timeline, by routing */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline", (char *) g_ptr_array_index (ids, 5));
    g_autoptr(TestResponse) timeline = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autofree char *text = NULL;

    test_assert_http_status (timeline, 200);
    text = test_response_text (timeline);
    g_assert_nonnull (strstr (text, "\"by\":\"routing\""));
    g_assert_nonnull (strstr (text, "\"assigned\""));
  }
}

static void
test_least_busy_presence (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(Agent) b = add_agent (world, "bob");
  g_autoptr(Agent) c = add_agent (world, "carol");
  g_autoptr(GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Agent *agents[] = { a, b, c };

  owner_away (world);
  patch_settings (world, "{\"assignment\":\"least_busy\"}");

  /* six new conversations over three free agents: two each */
  for (guint i = 0; i < 6; i++)
    {
      TestWs *visitor = new_visitor (world, NULL);
      char *conversation_id = NULL;

      test_visitor_say (visitor, "Hello", &conversation_id);
      g_free (wait_assigned (world, conversation_id, NULL));
      g_ptr_array_add (visitors, visitor);
      g_ptr_array_add (ids, conversation_id);
    }
  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    g_assert_cmpuint (count_assigned (world, ids, agents[i]->id), ==, 2);

  /* alice resolves both of hers: the least busy, she gets the next */
  {
    g_autoptr(GPtrArray) hers = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(TestWs) visitor = NULL;
    g_autofree char *conversation_id = NULL;

    for (guint i = 0; i < ids->len; i++)
      {
        g_autofree char *assignee = assignee_of (world, g_ptr_array_index (ids, i));

        if (g_strcmp0 (assignee, a->id) == 0)
          g_ptr_array_add (hers, g_strdup (g_ptr_array_index (ids, i)));
      }
    g_assert_cmpuint (hers->len, ==, 2);
    for (guint i = 0; i < hers->len; i++)
      {
        set_status (a->ws, g_ptr_array_index (hers, i), "resolved");
        wait_status (world, g_ptr_array_index (hers, i), "resolved");
      }
    visitor = new_visitor (world, NULL);
    test_visitor_say (visitor, "Me next", &conversation_id);
    g_free (wait_assigned (world, conversation_id, a->id));
  }

  /* busy and away agents are skipped: only carol is online */
  test_ws_send (a->ws, "{\"type\":\"presence\",\"status\":\"busy\"}");
  test_ws_send (b->ws, "{\"type\":\"presence\",\"status\":\"away\"}");
  {
    /* the presence frames reach the relay before the visitor's message: wait for them */
    g_autoptr(TestWs) watcher = test_ws_agent (world->relay, world->token);
    g_autoptr(JsonObject) busy = NULL;
    g_autoptr(JsonObject) away = NULL;

    test_agent_subscribe (watcher, 0, NULL);
    for (;;)
      {
        g_autoptr(JsonObject) frame = test_ws_wait_for (watcher, "presence", ROUTE_TIMEOUT_MS);

        if (g_strcmp0 (test_obj_string (frame, "agent_id"), a->id) == 0 &&
            g_strcmp0 (test_obj_string (frame, "status"), "busy") == 0)
          busy = json_object_ref (frame);
        if (g_strcmp0 (test_obj_string (frame, "agent_id"), b->id) == 0 &&
            g_strcmp0 (test_obj_string (frame, "status"), "away") == 0)
          away = json_object_ref (frame);
        if (busy != NULL && away != NULL)
          break;
      }
  }
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestWs) visitor = new_visitor (world, NULL);
      g_autofree char *conversation_id = NULL;

      test_visitor_say (visitor, "Anyone?", &conversation_id);
      g_free (wait_assigned (world, conversation_id, c->id));
    }
}

/* 20 visitors at once, two agents of at most 3: six assigned, fourteen waiting in arrival order,
 * each told their place; a freed slot takes the head and everyone moves up. */
static void
test_burst (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(Agent) b = add_agent (world, "bob");
  g_autoptr(GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  g_autoptr(GPtrArray) client_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) queued = g_ptr_array_new ();   /* indexes into ids by position - 1 */
  gint64 last_queued_at = 0;
  guint resolved_index = G_MAXUINT;

  owner_away (world);
  set_max_chats (world, a->id, 3);
  set_max_chats (world, b->id, 3);
  patch_settings (world, "{\"assignment\":\"round_robin\"}");

  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (visitors, new_visitor (world, NULL));
  /* all at once */
  for (guint i = 0; i < 20; i++)
    {
      char *client_id = test_client_id ();

      test_ws_sendf (g_ptr_array_index (visitors, i), "{'type':'message','client_id':'%s','body':'Help %u'}",
                     client_id, i);
      g_ptr_array_add (client_ids, client_id);
    }
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for_match (g_ptr_array_index (visitors, i), "ack", "client_id",
                                                          g_ptr_array_index (client_ids, i), ROUTE_TIMEOUT_MS);

      g_ptr_array_add (ids, g_strdup (test_obj_string (ack, "conversation_id")));
    }

  /* exactly six assigned, three each; the rest queued with positions 1..14 */
  g_ptr_array_set_size (queued, 14);
  {
    guint assigned = 0, waiting = 0;

    for (guint i = 0; i < 20; i++)
      {
        g_autoptr(JsonObject) conversation = get_conversation (world, g_ptr_array_index (ids, i));

        if (!test_obj_is_null (conversation, "assignee"))
          {
            assigned++;
            g_assert_true (test_obj_is_null (conversation, "queue_position"));
          }
        else
          {
            gint64 position = test_obj_int (conversation, "queue_position");

            g_assert_cmpint (position, >=, 1);
            g_assert_cmpint (position, <=, 14);
            g_assert_null (g_ptr_array_index (queued, position - 1));
            g_ptr_array_index (queued, position - 1) = GUINT_TO_POINTER (i + 1);
            waiting++;
          }
      }
    g_assert_cmpuint (assigned, ==, 6);
    g_assert_cmpuint (waiting, ==, 14);
    g_assert_cmpuint (count_assigned (world, ids, a->id), ==, 3);
    g_assert_cmpuint (count_assigned (world, ids, b->id), ==, 3);
  }
  /* the queue's order is the order of arrival (queued_at), and each visitor heard their place */
  for (guint p = 0; p < 14; p++)
    {
      guint i = GPOINTER_TO_UINT (g_ptr_array_index (queued, p)) - 1;
      g_autoptr(JsonObject) conversation = get_conversation (world, g_ptr_array_index (ids, i));
      g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (test_obj_string (conversation, "queued_at"), NULL);
      gint64 queued_at = g_date_time_to_unix (at) * 1000000 + g_date_time_get_microsecond (at);
      g_autoptr(JsonObject) frame = wait_queue_frame (g_ptr_array_index (visitors, i), g_ptr_array_index (ids, i), p + 1);

      g_assert_cmpint (queued_at, >=, last_queued_at);
      last_queued_at = queued_at;
    }

  /* one resolved: the head goes to its agent, and everyone else moves up one */
  for (guint i = 0; i < 20 && resolved_index == G_MAXUINT; i++)
    {
      g_autofree char *assignee = assignee_of (world, g_ptr_array_index (ids, i));

      if (g_strcmp0 (assignee, b->id) == 0)
        resolved_index = i;
    }
  set_status (b->ws, g_ptr_array_index (ids, resolved_index), "resolved");
  {
    guint head = GPOINTER_TO_UINT (g_ptr_array_index (queued, 0)) - 1;

    g_free (wait_assigned (world, g_ptr_array_index (ids, head), b->id));
    for (guint p = 1; p < 14; p++)
      {
        guint i = GPOINTER_TO_UINT (g_ptr_array_index (queued, p)) - 1;
        g_autoptr(JsonObject) frame = wait_queue_frame (g_ptr_array_index (visitors, i), g_ptr_array_index (ids, i), p);
      }
  }
  /* never over the limit: three open ones each (the resolved one still names bob) */
  g_assert_cmpuint (count_assigned (world, ids, b->id), ==, 4);
  g_assert_cmpuint (count_assigned (world, ids, a->id), ==, 3);
}

/* The relay stops with conversations assigned and others queued: after the restart nothing is
 * assigned twice and the queue is as it was. */
static void
test_restart (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *assigned_id = NULL;

  owner_away (world);
  set_max_chats (world, a->id, 1);
  patch_settings (world, "{\"assignment\":\"round_robin\"}");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestWs) visitor = new_visitor (world, NULL);
      char *conversation_id = NULL;

      test_visitor_say (visitor, "Hello", &conversation_id);
      g_ptr_array_add (ids, conversation_id);
      if (i == 0)
        g_free (wait_assigned (world, conversation_id, a->id));
    }
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 1)), ==, 1);
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 2)), ==, 2);

  g_clear_pointer (&a->ws, test_ws_free);
  g_clear_pointer (&world->agent, test_ws_free);
  test_relay_stop (world->relay);
  test_relay_start_same_port (world->relay);

  /* as it was */
  assigned_id = assignee_of (world, g_ptr_array_index (ids, 0));
  g_assert_cmpstr (assigned_id, ==, a->id);
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 1)), ==, 1);
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 2)), ==, 2);

  /* alice back: still at her limit, nothing moves; she resolves, the head is hers */
  agent_connect (world, a);
  set_status (a->ws, g_ptr_array_index (ids, 0), "resolved");
  g_free (wait_assigned (world, g_ptr_array_index (ids, 1), a->id));
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 2)), ==, 1);

  /* each was assigned once */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline",
                                               (char *) g_ptr_array_index (ids, i));
      g_autoptr(TestResponse) timeline = test_http (world->relay, "GET", path, world->token, NULL, NULL);
      JsonArray *events;
      guint assigned = 0;

      test_assert_http_status (timeline, 200);
      events = test_obj_array (test_response_object (timeline), "events");
      for (guint j = 0; j < json_array_get_length (events); j++)
        assigned += g_strcmp0 (test_obj_string (json_array_get_object_element (events, j), "kind"),
                               "assigned") == 0;
      g_assert_cmpuint (assigned, ==, 1);
    }
}

/* An agent away for longer than reassign_after_seconds: their open chats go back to the queue's
 * head, then to whoever is free. */
static void
test_reassign (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(Agent) b = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autofree char *conversation_id = NULL;

  owner_away (world);
  patch_settings (world, "{\"assignment\":\"round_robin\",\"reassign_after_seconds\":1}");
  visitor = new_visitor (world, NULL);
  test_visitor_say (visitor, "Hello", &conversation_id);
  g_free (wait_assigned (world, conversation_id, a->id));

  b = add_agent (world, "bob");
  test_ws_send (a->ws, "{\"type\":\"presence\",\"status\":\"away\"}");
  g_free (wait_assigned (world, conversation_id, b->id));

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
    g_autoptr(TestResponse) timeline = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *events;
    gboolean unassigned = FALSE;

    test_assert_http_status (timeline, 200);
    events = test_obj_array (test_response_object (timeline), "events");
    for (guint j = 0; j < json_array_get_length (events); j++)
      {
        JsonObject *event = json_array_get_object_element (events, j);

        if (g_strcmp0 (test_obj_string (event, "kind"), "unassigned") == 0)
          {
            g_assert_cmpstr (test_obj_string (event, "by"), ==, "routing");
            unassigned = TRUE;
          }
      }
    g_assert_true (unassigned);
  }
}

/* Nobody online: the conversation waits; an agent back from away takes it at once. */
static void
test_back_online (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(TestWs) visitor = NULL;
  g_autofree char *conversation_id = NULL;

  owner_away (world);
  test_ws_send (a->ws, "{\"type\":\"presence\",\"status\":\"away\"}");
  patch_settings (world, "{\"assignment\":\"least_busy\"}");
  /* the settings' answer came after the presence frame was read: alice is away now */
  visitor = new_visitor (world, NULL);
  test_visitor_say (visitor, "Hello?", &conversation_id);
  {
    g_autoptr(JsonObject) frame = wait_queue_frame (visitor, conversation_id, 1);
  }
  g_assert_null (assignee_of (world, conversation_id));

  test_ws_send (a->ws, "{\"type\":\"presence\",\"status\":\"online\"}");
  g_free (wait_assigned (world, conversation_id, a->id));
  {
    g_autoptr(JsonObject) frame = wait_queue_frame (visitor, conversation_id, 0);
  }
}

static void
test_transfer (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autoptr(Agent) b = add_agent (world, "bob");
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autofree char *body = test_json ("{'name':'Billing','member_ids':['%s'],'assignment':'round_robin'}", b->id);
  g_autoptr(TestResponse) created = test_http (world->relay, "POST", site_path, world->token, body, NULL);
  g_autoptr(TestWs) visitor = new_visitor (world, NULL);
  g_autofree char *conversation_id = NULL;
  g_autofree char *team_id = NULL;
  g_autofree char *transfer_path = NULL;

  test_assert_http_status (created, 201);
  team_id = g_strdup (test_obj_string (test_response_object (created), "id"));
  test_visitor_say (visitor, "Refund please", &conversation_id);
  transfer_path = g_strdup_printf ("/api/v1/conversations/%s/transfer", conversation_id);

  /* to a team by frame: routed to its member */
  test_ws_sendf (a->ws, "{'type':'transfer','conversation_id':'%s','to_team_id':'%s','note':'Billing question'}",
                 conversation_id, team_id);
  g_free (wait_assigned (world, conversation_id, b->id));
  {
    g_autoptr(JsonObject) conversation = get_conversation (world, conversation_id);
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
    g_autoptr(TestResponse) timeline = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autofree char *text = test_response_text (timeline);
    g_autofree char *notes_path = g_strdup_printf ("/api/v1/conversations/%s/notes", conversation_id);
    g_autoptr(TestResponse) notes = test_http (world->relay, "GET", notes_path, world->token, NULL, NULL);
    g_autofree char *notes_text = test_response_text (notes);

    g_assert_cmpstr (test_obj_string (conversation, "team.id"), ==, team_id);
    g_assert_nonnull (strstr (text, "\"transferred\""));
    g_assert_nonnull (strstr (text, team_id));
    g_assert_nonnull (strstr (notes_text, "Billing question"));
  }

  /* to an agent over REST */
  {
    g_autofree char *to_a = test_json ("{'to_agent_id':'%s'}", a->id);
    g_autoptr(TestResponse) moved = test_http (world->relay, "POST", transfer_path, world->token, to_a, NULL);

    test_assert_http_status (moved, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (moved), "assignee.id"), ==, a->id);
  }

  /* exactly one target, a note of at most 1000 characters, targets of this site */
  {
    g_autofree char *both = test_json ("{'to_agent_id':'%s','to_team_id':'%s'}", a->id, team_id);
    g_autofree char *long_note = g_strnfill (1001, 'n');
    g_autofree char *too_long = test_json ("{'to_agent_id':'%s','note':'%s'}", a->id, long_note);
    g_autoptr(TestResponse) r1 = test_http (world->relay, "POST", transfer_path, world->token, both, NULL);
    g_autoptr(TestResponse) r2 = test_http (world->relay, "POST", transfer_path, world->token, "{}", NULL);
    g_autoptr(TestResponse) r3 = test_http (world->relay, "POST", transfer_path, world->token, too_long, NULL);
    g_autoptr(TestResponse) r4 = test_http (world->relay, "POST", transfer_path, world->token,
                                            "{\"to_team_id\":\"team_nope\"}", NULL);
    g_autoptr(TestResponse) r5 = test_http (world->relay, "POST", transfer_path, world->token,
                                            "{\"to_agent_id\":\"usr_nope\"}", NULL);

    test_assert_http_error (r1, 400, "invalid_value");
    test_assert_http_error (r2, 400, "invalid_value");
    test_assert_http_error (r3, 400, "invalid_value");
    test_assert_http_error (r4, 404, "not_found");
    test_assert_http_error (r5, 404, "not_found");
    test_ws_sendf (a->ws, "{'type':'transfer','conversation_id':'%s'}", conversation_id);
    g_autoptr(JsonObject) error = test_ws_expect_error (a->ws, "invalid_value", ROUTE_TIMEOUT_MS);
  }
}

/* A queued visitor leaves a message instead: out of the queue, open and unassigned; a reload
 * (welcome) shows the place while waiting. */
static void
test_leave_message (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) reloaded = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autofree char *conversation_id = NULL;

  owner_away (world);
  patch_settings (world, "{\"assignment\":\"round_robin\"}");
  visitor = new_visitor (world, &welcome);
  g_assert_true (test_obj_is_null (welcome, "queue"));
  test_visitor_say (visitor, "Anyone there?", &conversation_id);
  {
    g_autoptr(JsonObject) frame = wait_queue_frame (visitor, conversation_id, 1);
  }

  reloaded = test_ws_widget (world->relay, world->site_key);
  again = test_visitor_hello (reloaded, test_obj_string (welcome, "visitor_id"),
                              test_obj_string (welcome, "visitor_token"), "https://a.test/");
  g_assert_cmpint (test_obj_int (again, "queue.position"), ==, 1);
  g_assert_cmpstr (test_obj_string (again, "queue.conversation_id"), ==, conversation_id);

  test_ws_send (visitor, "{\"type\":\"leave_message\",\"email\":\"v@b.test\",\"body\":\"Call me\"}");
  test_ws_wait_for (visitor, "left_message", ROUTE_TIMEOUT_MS);
  {
    g_autoptr(JsonObject) frame = wait_queue_frame (visitor, conversation_id, 0);
    g_autoptr(JsonObject) conversation = get_conversation (world, conversation_id);

    g_assert_true (test_obj_is_null (frame, "estimated_wait_seconds"));
    g_assert_cmpstr (test_obj_string (conversation, "status"), ==, "open");
    g_assert_true (test_obj_is_null (conversation, "assignee"));
    g_assert_true (test_obj_is_null (conversation, "queue_position"));
    g_assert_true (test_obj_is_null (conversation, "queued_at"));
  }
}

/* Agents hear a queued conversation's place move (issue 18): its conversation event carries
 * the new queue_position when one ahead leaves the queue and when the head is assigned. */
static gint64
wait_agent_position (TestWs     *agent,
                     const char *conversation_id,
                     gint64      position)
{
  gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) frame = test_ws_find_match (agent, "conversation", "conversation.id",
                                                        conversation_id, 100);

      if (frame != NULL)
        {
          gint64 got = test_obj_is_null (frame, "conversation.queue_position") ?
                       0 : test_obj_int (frame, "conversation.queue_position");

          if (got == position)
            return test_obj_int (frame, "cursor");
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: agents heard of no queue_position %" G_GINT64_FORMAT, conversation_id, position);
    }
}

static void
test_agents_hear_queue (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  TestWs *watcher;
  g_autoptr(GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  owner_away (world);
  set_max_chats (world, a->id, 1);
  patch_settings (world, "{\"assignment\":\"round_robin\"}");
  /* the owner (away: nothing is given to them) watches what agents hear */
  watcher = world->agent;
  test_ws_unignore (watcher, "conversation");

  /* the first is alice's; the next three wait at 1, 2, 3 */
  for (guint i = 0; i < 4; i++)
    {
      TestWs *visitor = new_visitor (world, NULL);
      char *conversation_id = NULL;

      test_visitor_say (visitor, "Hello", &conversation_id);
      g_ptr_array_add (visitors, visitor);
      g_ptr_array_add (ids, conversation_id);
      if (i == 0)
        g_free (wait_assigned (world, conversation_id, a->id));
      else
        {
          g_autoptr(JsonObject) frame = wait_queue_frame (visitor, conversation_id, i);
        }
    }
  wait_agent_position (watcher, g_ptr_array_index (ids, 3), 3);

  /* the second leaves a message instead: the fourth moves up to 2, and agents hear it */
  test_ws_send (g_ptr_array_index (visitors, 1),
                "{\"type\":\"leave_message\",\"email\":\"v@b.test\",\"body\":\"Call me\"}");
  wait_agent_position (watcher, g_ptr_array_index (ids, 1), 0);
  wait_agent_position (watcher, g_ptr_array_index (ids, 3), 2);
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 3)), ==, 2);

  /* alice resolves hers: the head (the third) is hers, the fourth is next, and agents hear it,
   * the move after the assignment */
  set_status (a->ws, g_ptr_array_index (ids, 0), "resolved");
  {
    gint64 assigned, moved;

    g_free (wait_assigned (world, g_ptr_array_index (ids, 2), a->id));
    assigned = wait_agent_position (watcher, g_ptr_array_index (ids, 2), 0);
    moved = wait_agent_position (watcher, g_ptr_array_index (ids, 3), 1);
    g_assert_cmpint (moved, >, assigned);
  }
  g_assert_cmpint (position_of (world, g_ptr_array_index (ids, 3)), ==, 1);
}

/* A team rule with faq_id: the visitor's first message matches that FAQ, so the conversation
 * (no team, nobody's: the site's assignment is off) moves to the team, whose round robin gives
 * it to its agent; a question of no FAQ stays without a team, and so does a later match. */
static void
test_faq_rule (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autofree char *teams_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autofree char *faqs_path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *team_body = test_json ("{'name':'Billing','assignment':'round_robin','member_ids':['%s']}",
                                          a->id);
  g_autoptr(TestResponse) team = test_http (world->relay, "POST", teams_path, world->token, team_body, NULL);
  g_autoptr(TestResponse) faq = test_http (world->relay, "POST", faqs_path, world->token,
                                           "{\"question\":\"When will I get my refund?\","
                                           "\"answer\":\"Within five working days.\","
                                           "\"keywords\":[\"refund\"]}", NULL);
  g_autofree char *settings = NULL;

  test_assert_http_status (team, 201);
  test_assert_http_status (faq, 201);
  owner_away (world);
  settings = g_strdup_printf ("{\"assignment\":\"off\",\"team_rules\":[{\"team\":\"billing\","
                              "\"faq_id\":\"%s\"}]}", test_obj_string (test_response_object (faq), "id"));
  patch_settings (world, settings);

  /* the refund question: billing's, alice's */
  {
    g_autoptr(TestWs) visitor = new_visitor (world, NULL);
    g_autofree char *conversation_id = NULL;
    g_autofree char *assignee = NULL;
    g_autoptr(JsonObject) conversation = NULL;

    test_visitor_say (visitor, "When will I get my refund?", &conversation_id);
    assignee = wait_assigned (world, conversation_id, a->id);
    conversation = get_conversation (world, conversation_id);
    g_assert_cmpstr (test_obj_string (conversation, "team.key"), ==, "billing");
    g_assert_true (test_obj_is_null (conversation, "queue_position"));
  }

  /* a question of no FAQ first, then the refund one: no team, nobody's */
  {
    g_autoptr(TestWs) visitor = new_visitor (world, NULL);
    g_autofree char *conversation_id = NULL;
    g_autofree char *again_id = NULL;
    g_autoptr(JsonObject) conversation = NULL;

    test_visitor_say (visitor, "Do you ship to Norway?", &conversation_id);
    test_visitor_say (visitor, "When will I get my refund?", &again_id);
    g_assert_cmpstr (again_id, ==, conversation_id);
    /* the bot answers the second; its routing would be decided in the same turn of the
     * relay's loop, before the relay reads this conversation for the request below */
    json_object_unref (test_ws_wait_for_match (visitor, "message", "sender.type", "bot", ROUTE_TIMEOUT_MS));
    conversation = get_conversation (world, conversation_id);
    g_assert_true (test_obj_is_null (conversation, "team"));
    g_assert_true (test_obj_is_null (conversation, "assignee"));
  }
}

/* The FAQ rule for a queued conversation: out of the site's queue into the team's, where it is
 * first; the one that waited before it in the site's queue stays there. */
static void
test_faq_rule_queued (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) a = add_agent (world, "alice");
  g_autofree char *teams_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autofree char *faqs_path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *team_body = test_json ("{'name':'Billing','member_ids':['%s']}", a->id);
  g_autoptr(TestResponse) team = test_http (world->relay, "POST", teams_path, world->token, team_body, NULL);
  g_autoptr(TestResponse) faq = test_http (world->relay, "POST", faqs_path, world->token,
                                           "{\"question\":\"When will I get my refund?\","
                                           "\"answer\":\"Within five working days.\","
                                           "\"keywords\":[\"refund\"]}", NULL);
  g_autofree char *settings = NULL;
  g_autoptr(TestWs) first = NULL, second = NULL, third = NULL;
  g_autofree char *first_id = NULL, *second_id = NULL, *third_id = NULL;

  test_assert_http_status (team, 201);
  test_assert_http_status (faq, 201);
  owner_away (world);
  set_max_chats (world, a->id, 1);
  settings = g_strdup_printf ("{\"assignment\":\"round_robin\",\"team_rules\":[{\"team\":\"billing\","
                              "\"faq_id\":\"%s\"}]}", test_obj_string (test_response_object (faq), "id"));
  patch_settings (world, settings);

  first = new_visitor (world, NULL);
  test_visitor_say (first, "Hello", &first_id);
  g_free (wait_assigned (world, first_id, a->id));
  second = new_visitor (world, NULL);
  test_visitor_say (second, "Hello there", &second_id);
  json_object_unref (wait_queue_frame (second, second_id, 1));

  /* second in the site's queue, then first in billing's */
  third = new_visitor (world, NULL);
  test_visitor_say (third, "When will I get my refund?", &third_id);
  /* it waited at 2 in the site's queue (the visitor may not hear that place: the move can come
   * before the queue is told) */
  json_object_unref (wait_queue_frame (third, third_id, 1));
  {
    g_autoptr(JsonObject) moved = get_conversation (world, third_id);
    g_autoptr(JsonObject) stayed = get_conversation (world, second_id);

    g_assert_cmpstr (test_obj_string (moved, "team.key"), ==, "billing");
    g_assert_cmpint (test_obj_int (moved, "queue_position"), ==, 1);
    g_assert_true (test_obj_is_null (moved, "assignee"));
    g_assert_true (test_obj_is_null (stayed, "team"));
    g_assert_cmpint (test_obj_int (stayed, "queue_position"), ==, 1);
  }
}

/* An agent's start_conversation: the conversation is theirs, in the team the site's rules give
 * the visitor's page, else in the agent's only team; it counts in their load. */
static void
test_agent_started (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(Agent) ann = add_agent (world, "ann");
  g_autofree char *teams_path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autoptr(TestWs) first = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autoptr(TestWs) third = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *visitor_id = NULL, *queued_id = NULL;

  owner_away (world);
  {
    g_autofree char *billing = test_json ("{'name':'Billing','member_ids':['%s']}", ann->id);
    g_autofree char *sales = test_json ("{'name':'Sales','member_ids':[]}");
    g_autoptr(TestResponse) one = test_http (world->relay, "POST", teams_path, world->token, billing, NULL);
    g_autoptr(TestResponse) two = test_http (world->relay, "POST", teams_path, world->token, sales, NULL);

    test_assert_http_status (one, 201);
    test_assert_http_status (two, 201);
  }
  patch_settings (world, "{\"assignment\":\"round_robin\","
                         "\"team_rules\":[{\"team\":\"sales\",\"url\":\"*/pricing*\"}]}");
  set_max_chats (world, ann->id, 2);

  /* a visitor on the pricing page: the rule's team, though ann is in Billing */
  first = new_visitor (world, &welcome);
  visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  g_clear_pointer (&welcome, json_object_unref);
  test_ws_sendf (ann->ws, "{'type':'start_conversation','visitor_id':'%s','client_id':'start-1',"
                 "'body':'Can I help you with the plans?'}", visitor_id);
  {
    g_autoptr(JsonObject) ack = test_ws_wait_for (ann->ws, "ack", ROUTE_TIMEOUT_MS);
    g_autoptr(JsonObject) started = get_conversation (world, test_obj_string (ack, "conversation_id"));

    g_assert_cmpstr (test_obj_string (started, "assignee.id"), ==, ann->id);
    g_assert_cmpstr (test_obj_string (started, "team.key"), ==, "sales");
    g_assert_true (test_obj_is_null (started, "queue_position"));
  }

  /* a visitor elsewhere (no rule): ann's only team */
  second = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (second, "agents_online", "conversation", "typing", "read", NULL);
  welcome = test_visitor_hello (second, NULL, NULL, "https://a.test/blog");
  g_free (visitor_id);
  visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  test_ws_sendf (ann->ws, "{'type':'start_conversation','visitor_id':'%s','client_id':'start-2',"
                 "'body':'Hello!'}", visitor_id);
  {
    g_autoptr(JsonObject) ack = test_ws_wait_for (ann->ws, "ack", ROUTE_TIMEOUT_MS);
    g_autoptr(JsonObject) started = get_conversation (world, test_obj_string (ack, "conversation_id"));

    g_assert_cmpstr (test_obj_string (started, "assignee.id"), ==, ann->id);
    g_assert_cmpstr (test_obj_string (started, "team.key"), ==, "billing");
  }

  /* both count in ann's load of 2: a visitor's new conversation waits */
  third = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (third, "agents_online", "conversation", "typing", "read", NULL);
  json_object_unref (test_visitor_hello (third, NULL, NULL, "https://a.test/blog"));
  test_visitor_say (third, "Anyone there?", &queued_id);
  json_object_unref (wait_queue_frame (third, queued_id, 1));
  g_assert_null (assignee_of (world, queued_id));
}

/* An API key's message into a queued conversation: a key is no agent — the conversation keeps
 * its place in the queue and its first-response target runs on, until a person answers. */
static void
test_key_message_queued (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestResponse) created = NULL;
  g_autofree char *conversation_id = NULL, *key = NULL, *path = NULL;

  owner_away (world);
  patch_settings (world, "{\"assignment\":\"round_robin\",\"first_response_seconds\":600}");
  visitor = new_visitor (world, NULL);
  test_visitor_say (visitor, "Where is my parcel?", &conversation_id);
  json_object_unref (wait_queue_frame (visitor, conversation_id, 1));

  {
    g_autofree char *keys_path = g_strdup_printf ("/api/v1/sites/%s/api-keys", world->site_id);
    g_autofree char *body = test_json ("{'name':'Shop','scopes':['messages:write']}");

    created = test_http (world->relay, "POST", keys_path, world->token, body, NULL);
    test_assert_http_status (created, 201);
    key = g_strdup (test_obj_string (test_response_object (created), "key"));
  }
  path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  {
    g_autofree char *body = test_json ("{'body':'Thanks, we got your message: an agent will answer soon.'}");
    g_autoptr(TestResponse) posted = test_http (world->relay, "POST", path, key, body, NULL);

    test_assert_http_status (posted, 201);
    g_assert_cmpstr (test_obj_string (test_response_object (posted), "sender.type"), ==, "agent");
  }
  {
    g_autoptr(JsonObject) after = get_conversation (world, conversation_id);

    g_assert_true (test_obj_is_null (after, "assignee"));
    g_assert_cmpint (test_obj_int (after, "queue_position"), ==, 1);
    g_assert_false (test_obj_is_null (after, "target"));
    g_assert_cmpstr (test_obj_string (after, "target.kind"), ==, "first_response");
  }

  /* the first person online takes it, and their answer meets the target */
  {
    g_autoptr(Agent) ann = add_agent (world, "ann");
    g_autoptr(JsonObject) answered = NULL;

    g_free (wait_assigned (world, conversation_id, ann->id));
    test_agent_say (ann->ws, conversation_id, "Hello, I am Ann: let me look.");
    answered = get_conversation (world, conversation_id);
    g_assert_true (test_obj_is_null (answered, "target"));
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/routing/teams", test_teams_crud);
  test_harness_add ("/relay/routing/team-rules", test_team_rules);
  test_harness_add ("/relay/routing/round-robin-limits", test_round_robin_limits);
  test_harness_add ("/relay/routing/least-busy-presence", test_least_busy_presence);
  test_harness_add ("/relay/routing/burst", test_burst);
  test_harness_add ("/relay/routing/restart", test_restart);
  test_harness_add ("/relay/routing/reassign", test_reassign);
  test_harness_add ("/relay/routing/back-online", test_back_online);
  test_harness_add ("/relay/routing/transfer", test_transfer);
  test_harness_add ("/relay/routing/leave-message", test_leave_message);
  test_harness_add ("/relay/routing/agents-hear-queue", test_agents_hear_queue);
  test_harness_add ("/relay/routing/faq-rule", test_faq_rule);
  test_harness_add ("/relay/routing/faq-rule-queued", test_faq_rule_queued);
  test_harness_add ("/relay/routing/agent-started", test_agent_started);
  test_harness_add ("/relay/routing/key-message-queued", test_key_message_queued);

  return g_test_run ();
}
