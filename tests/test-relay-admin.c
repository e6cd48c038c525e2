/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-admin.c: canned responses and site members, as the desktop app's settings use them */

#include "relay-harness.h"

#include <string.h>

static JsonObject *
request_object (TestRelay  *relay,
                const char *method,
                const char *path,
                const char *token,
                const char *body,
                guint       status)
{
  g_autoptr(TestResponse) response = test_http (relay, method, path, token, body, NULL);

  test_assert_http_status (response, status);
  return json_object_ref (test_response_object (response));
}

static void
expect_error (TestRelay  *relay,
              const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(TestResponse) response = test_http (relay, method, path, token, body, NULL);

  test_assert_http_error (response, status, code);
}

/* A user with an account (made by the relay's admin CLI), logged in. */
static char *
new_user (TestWorld   *world,
          const char  *email,
          char       **out_id)
{
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, "a long password 1", NULL);

  if (out_id != NULL)
    *out_id = g_strdup (test_obj_string (user, "id"));
  return test_relay_login (world->relay, email, "a long password 1");
}

static void
add_member (TestWorld  *world,
            const char *token,
            const char *email,
            const char *role,
            guint       status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
  g_autoptr(JsonObject) member = request_object (world->relay, "POST", path, token, body, status);

  g_assert_cmpint (g_ascii_strcasecmp (test_obj_string (member, "email"), email), ==, 0);
  g_assert_cmpstr (test_obj_string (member, "role"), ==, role);
}

/* The role of @user_id in the members list, NULL when not listed. */
static char *
listed_role (TestWorld  *world,
             const char *user_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autoptr(JsonObject) answer = request_object (world->relay, "GET", path, world->token, NULL, 200);
  JsonArray *members = test_obj_array (answer, "members");

  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonObject *member = json_array_get_object_element (members, i);

      if (g_strcmp0 (test_obj_string (member, "id"), user_id) == 0)
        return g_strdup (test_obj_string (member, "role"));
    }
  return NULL;
}

/* --- canned responses --- */

static void
test_canned_crud (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  g_autofree char *path = NULL;
  g_autofree char *other_path = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(JsonObject) listed = NULL;
  JsonArray *items;

  created = request_object (world->relay, "POST", list, world->token,
                            "{\"shortcut\":\"hello\",\"body\":\"Hello! How can I help you today?\"}", 201);
  g_assert_cmpstr (test_obj_string (created, "shortcut"), ==, "hello");
  g_assert_cmpstr (test_obj_string (created, "site_id"), ==, world->site_id);
  path = g_strdup_printf ("/api/v1/canned/%s", test_obj_string (created, "id"));
  other = request_object (world->relay, "POST", list, world->token,
                          "{\"shortcut\":\"bye_for-now2\",\"body\":\"Goodbye!\"}", 201);
  other_path = g_strdup_printf ("/api/v1/canned/%s", test_obj_string (other, "id"));

  /* a shortcut is unique per site, when created and when renamed */
  expect_error (world->relay, "POST", list, world->token,
                "{\"shortcut\":\"hello\",\"body\":\"again\"}", 409, "conflict");
  expect_error (world->relay, "PATCH", other_path, world->token,
                "{\"shortcut\":\"hello\"}", 409, "conflict");

  patched = request_object (world->relay, "PATCH", path, world->token,
                            "{\"body\":\"Hi! What can I do for you?\"}", 200);
  g_assert_cmpstr (test_obj_string (patched, "shortcut"), ==, "hello");
  g_assert_cmpstr (test_obj_string (patched, "body"), ==, "Hi! What can I do for you?");

  listed = request_object (world->relay, "GET", list, world->token, NULL, 200);
  items = test_obj_array (listed, "canned");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  /* by shortcut */
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (items, 0), "shortcut"), ==, "bye_for-now2");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (items, 1), "body"), ==,
                   "Hi! What can I do for you?");

  {
    g_autoptr(TestResponse) del = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    test_assert_http_status (del, 204);
  }
  expect_error (world->relay, "GET", path, world->token, NULL, 404, "not_found");
  expect_error (world->relay, "DELETE", path, world->token, NULL, 404, "not_found");
  /* the freed shortcut can be used again */
  json_object_unref (request_object (world->relay, "POST", list, world->token,
                                     "{\"shortcut\":\"hello\",\"body\":\"Hello again\"}", 201));
}

static void
test_canned_validation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  g_autofree char *long_body = g_strnfill (4001, 'b');
  g_autofree char *too_long_body = g_strdup_printf ("{\"shortcut\":\"x\",\"body\":\"%s\"}", long_body);
  struct {
    const char *body;
    const char *code;
  } cases[] = {
    { "{\"shortcut\":\"Hello\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"a b\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"/hello\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"héllo\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"body\":\"b\"}", "invalid_value" },
    { "{\"shortcut\":\"x\",\"body\":\"\"}", "invalid_value" },
    { "{\"shortcut\":\"x\",\"body\":\"  \"}", "invalid_value" },
    { "{\"shortcut\":\"x\"}", "missing_field" },
    { "{\"body\":\"b\"}", "missing_field" },
    { "{\"shortcut\":1,\"body\":\"b\"}", "invalid_field" },
    { "{\"shortcut\":\"x\",\"body\":\"b\",\"site_id\":\"s\"}", "invalid_field" },
    { too_long_body, "invalid_value" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_error (world->relay, "POST", list, world->token, cases[i].body, 400, cases[i].code);

  /* 32 characters is the limit, not over it */
  json_object_unref (request_object (world->relay, "POST", list, world->token,
                                     "{\"shortcut\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"body\":\"b\"}", 201));
  {
    g_autoptr(JsonObject) listed = request_object (world->relay, "GET", list, world->token, NULL, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (listed, "canned")), ==, 1);
  }
}

static void
test_canned_isolation_and_roles (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *list = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *path = NULL;
  g_autofree char *agent_token = NULL;
  g_autoptr(JsonObject) created = NULL;

  created = request_object (world->relay, "POST", list, world->token,
                            "{\"shortcut\":\"hello\",\"body\":\"Hello!\"}", 201);
  path = g_strdup_printf ("/api/v1/canned/%s", test_obj_string (created, "id"));

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  expect_error (world->relay, "GET", list, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "POST", list, b_token, "{\"shortcut\":\"x\",\"body\":\"y\"}", 404, "not_found");
  expect_error (world->relay, "GET", path, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "PATCH", path, b_token, "{\"body\":\"mine\"}", 404, "not_found");
  expect_error (world->relay, "DELETE", path, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "GET", "/api/v1/canned/can_unknown", b_token, NULL, 404, "not_found");

  /* B may use the same shortcut on B's own site */
  {
    g_autofree char *b_list = g_strdup_printf ("/api/v1/sites/%s/canned", b_site);
    json_object_unref (request_object (world->relay, "POST", b_list, b_token,
                                       "{\"shortcut\":\"hello\",\"body\":\"B says hi\"}", 201));
  }

  /* agents read, admins write */
  agent_token = new_user (world, "agent@a.test", NULL);
  add_member (world, world->token, "agent@a.test", "agent", 201);
  {
    g_autoptr(JsonObject) listed = request_object (world->relay, "GET", list, agent_token, NULL, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (listed, "canned")), ==, 1);
  }
  expect_error (world->relay, "POST", list, agent_token, "{\"shortcut\":\"x\",\"body\":\"y\"}", 403, "forbidden");
  expect_error (world->relay, "PATCH", path, agent_token, "{\"body\":\"changed\"}", 403, "forbidden");
  expect_error (world->relay, "DELETE", path, agent_token, NULL, 403, "forbidden");
  {
    g_autoptr(JsonObject) still = request_object (world->relay, "GET", path, world->token, NULL, 200);
    g_assert_cmpstr (test_obj_string (still, "body"), ==, "Hello!");
  }
}

/* --- members --- */

static void
test_members_add_remove (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *members = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *agent_id = NULL, *admin_id = NULL;
  g_autofree char *agent_token = new_user (world, "agent@a.test", &agent_id);
  g_autofree char *admin_token = new_user (world, "admin@a.test", &admin_id);
  g_autofree char *agent_path = g_strdup_printf ("%s/%s", members, agent_id);
  g_autofree char *role = NULL;

  /* not a member yet: the site does not exist for them */
  expect_error (world->relay, "GET", members, agent_token, NULL, 404, "not_found");

  add_member (world, world->token, "agent@a.test", "agent", 201);
  add_member (world, world->token, "ADMIN@a.test", "admin", 201);
  role = listed_role (world, agent_id);
  g_assert_cmpstr (role, ==, "agent");

  {
    g_autoptr(JsonObject) answer = request_object (world->relay, "GET", members, world->token, NULL, 200);
    JsonArray *list = test_obj_array (answer, "members");

    g_assert_cmpuint (json_array_get_length (list), ==, 3);
    /* owners first */
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "role"), ==, "owner");
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, world->user_id);
  }

  /* the new agent sees the site, but the team list is for admins */
  {
    g_autoptr(JsonObject) me = request_object (world->relay, "GET", "/api/v1/me", agent_token, NULL, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (me, "sites")), ==, 1);
  }
  expect_error (world->relay, "GET", members, agent_token, NULL, 403, "forbidden");
  expect_error (world->relay, "POST", members, agent_token,
                "{\"email\":\"owner@a.test\",\"role\":\"agent\"}", 403, "forbidden");
  expect_error (world->relay, "DELETE", agent_path, agent_token, NULL, 403, "forbidden");

  /* bad input */
  /* an unknown address is an invitation (test-relay-team.c); one that is no address is refused */
  expect_error (world->relay, "POST", members, world->token,
                "{\"email\":\"nobody\",\"role\":\"agent\"}", 400, "invalid_value");
  expect_error (world->relay, "POST", members, world->token,
                "{\"email\":\"agent@a.test\",\"role\":\"boss\"}", 400, "invalid_value");
  expect_error (world->relay, "POST", members, world->token,
                "{\"email\":\"agent@a.test\",\"role\":\"\"}", 400, "invalid_value");
  expect_error (world->relay, "POST", members, world->token, "{\"email\":\"agent@a.test\"}", 400, "missing_field");
  expect_error (world->relay, "POST", members, world->token, "{\"role\":\"agent\"}", 400, "missing_field");
  expect_error (world->relay, "POST", members, world->token,
                "{\"email\":[],\"role\":\"agent\"}", 400, "invalid_field");
  expect_error (world->relay, "PATCH", agent_path, world->token, "{\"role\":\"chief\"}", 400, "invalid_value");
  expect_error (world->relay, "DELETE", g_strdup_printf ("%s/usr_unknown", members), world->token, NULL,
                404, "no_such_member");

  /* an admin manages agents and admins */
  {
    g_autoptr(JsonObject) promoted = request_object (world->relay, "PATCH", agent_path, admin_token,
                                                     "{\"role\":\"admin\"}", 200);
    g_autofree char *now = NULL;
    g_assert_cmpstr (test_obj_string (promoted, "role"), ==, "admin");
    now = listed_role (world, agent_id);
    g_assert_cmpstr (now, ==, "admin");
  }
  {
    g_autoptr(TestResponse) removed = test_http (world->relay, "DELETE", agent_path, admin_token, NULL, NULL);
    g_autofree char *gone = NULL;
    test_assert_http_status (removed, 204);
    gone = listed_role (world, agent_id);
    g_assert_null (gone);
  }
  /* and the removed user has lost the site */
  expect_error (world->relay, "GET", g_strdup_printf ("/api/v1/sites/%s", world->site_id), agent_token,
                NULL, 404, "not_found");
}

static void
test_members_owner_rules (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *members = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *admin_id = NULL, *second_id = NULL;
  g_autofree char *admin_token = new_user (world, "admin@a.test", &admin_id);
  g_autofree char *second_token = new_user (world, "second@a.test", &second_id);
  g_autofree char *owner_path = g_strdup_printf ("%s/%s", members, world->user_id);
  g_autofree char *second_path = g_strdup_printf ("%s/%s", members, second_id);
  g_autofree char *role = NULL;

  add_member (world, world->token, "admin@a.test", "admin", 201);

  /* the last owner cannot leave or step down */
  expect_error (world->relay, "DELETE", owner_path, world->token, NULL, 409, "conflict");
  expect_error (world->relay, "PATCH", owner_path, world->token, "{\"role\":\"admin\"}", 409, "conflict");
  expect_error (world->relay, "POST", members, world->token,
                "{\"email\":\"owner@a.test\",\"role\":\"agent\"}", 409, "conflict");
  role = listed_role (world, world->user_id);
  g_assert_cmpstr (role, ==, "owner");
  g_clear_pointer (&role, g_free);

  /* admins neither make nor touch owners */
  expect_error (world->relay, "POST", members, admin_token,
                "{\"email\":\"second@a.test\",\"role\":\"owner\"}", 403, "forbidden");
  expect_error (world->relay, "POST", members, admin_token,
                "{\"email\":\"admin@a.test\",\"role\":\"owner\"}", 403, "forbidden");
  expect_error (world->relay, "DELETE", owner_path, admin_token, NULL, 403, "forbidden");
  expect_error (world->relay, "PATCH", owner_path, admin_token, "{\"role\":\"agent\"}", 403, "forbidden");
  role = listed_role (world, admin_id);
  g_assert_cmpstr (role, ==, "admin");
  g_clear_pointer (&role, g_free);

  /* an owner makes another owner; then the first may leave */
  add_member (world, world->token, "second@a.test", "owner", 201);
  {
    g_autoptr(TestResponse) left = test_http (world->relay, "DELETE", owner_path, world->token, NULL, NULL);
    test_assert_http_status (left, 204);
  }
  expect_error (world->relay, "GET", members, world->token, NULL, 404, "not_found");
  /* and the second is now the last owner */
  expect_error (world->relay, "DELETE", second_path, second_token, NULL, 409, "conflict");

  /* the audit log has it all: relay admin's view through the CLI is out of scope; the
   * members list is the visible result */
  {
    g_autoptr(JsonObject) answer = request_object (world->relay, "GET", members, second_token, NULL, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "members")), ==, 2);
  }
}

static void
test_members_isolation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *members = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *owner_path = g_strdup_printf ("%s/%s", members, world->user_id);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *role = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  expect_error (world->relay, "GET", members, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "POST", members, b_token,
                "{\"email\":\"owner@b.test\",\"role\":\"owner\"}", 404, "not_found");
  expect_error (world->relay, "DELETE", owner_path, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "PATCH", owner_path, b_token, "{\"role\":\"agent\"}", 404, "not_found");

  /* B adding A's owner to B's site works (a user may work for several sites) but gives B
   * nothing on A's */
  {
    g_autofree char *b_members = g_strdup_printf ("/api/v1/sites/%s/members", b_site);
    g_autoptr(JsonObject) added = request_object (world->relay, "POST", b_members, b_token,
                                                  "{\"email\":\"owner@a.test\",\"role\":\"agent\"}", 201);
  }
  expect_error (world->relay, "GET", members, b_token, NULL, 404, "not_found");
  role = listed_role (world, world->user_id);
  g_assert_cmpstr (role, ==, "owner");
}

/* A newly added agent's open socket hears of the site at once, and stops when removed. */
static void
test_members_live_socket (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *agent_id = NULL;
  g_autofree char *agent_token = new_user (world, "agent@a.test", &agent_id);
  g_autofree char *agent_path = g_strdup_printf ("/api/v1/sites/%s/members/%s", world->site_id, agent_id);
  g_autoptr(TestWs) agent = test_ws_agent (world->relay, agent_token);
  g_autoptr(JsonObject) sites = NULL;
  g_autoptr(JsonObject) heard = NULL;
  g_autoptr(JsonObject) emptied = NULL;
  g_autoptr(JsonObject) promoted = NULL;
  JsonArray *list;

  test_ws_set_name (agent, "new agent");
  test_ws_ignore (agent, "presence", NULL);
  test_agent_subscribe (agent, 0, NULL);

  /* not a member: a visitor's message does not reach it */
  test_visitor_say (world->visitor, "before joining", NULL);
  test_ws_expect_none (agent, "message", TEST_QUIET_MS);

  add_member (world, world->token, "agent@a.test", "agent", 201);
  sites = test_ws_wait_for (agent, "sites", TEST_TIMEOUT_MS);
  list = test_obj_array (sites, "sites");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "role"), ==, "agent");

  test_visitor_say (world->visitor, "after joining", NULL);
  heard = test_ws_wait_for_match (agent, "message", "body", "after joining", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (heard, "site_id"), ==, world->site_id);

  /* a role change is announced too */
  json_object_unref (request_object (world->relay, "PATCH", agent_path, world->token,
                                     "{\"role\":\"admin\"}", 200));
  promoted = test_ws_wait_for (agent, "sites", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (promoted, "sites"), 0),
                                    "role"), ==, "admin");

  {
    g_autoptr(TestResponse) removed = test_http (world->relay, "DELETE", agent_path, world->token, NULL, NULL);
    test_assert_http_status (removed, 204);
  }
  emptied = test_ws_wait_for (agent, "sites", TEST_TIMEOUT_MS);
  g_assert_cmpuint (json_array_get_length (test_obj_array (emptied, "sites")), ==, 0);

  test_visitor_say (world->visitor, "after leaving", NULL);
  /* the owner still hears it; the removed agent does not */
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "body", "after leaving", TEST_TIMEOUT_MS));
  test_ws_expect_none (agent, "message", TEST_QUIET_MS);
  g_assert_true (test_ws_is_open (agent));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/canned/crud", test_canned_crud);
  test_harness_add ("/relay/canned/validation", test_canned_validation);
  test_harness_add ("/relay/canned/isolation-and-roles", test_canned_isolation_and_roles);
  test_harness_add ("/relay/members/add-remove", test_members_add_remove);
  test_harness_add ("/relay/members/owner-rules", test_members_owner_rules);
  test_harness_add ("/relay/members/isolation", test_members_isolation);
  test_harness_add ("/relay/members/live-socket", test_members_live_socket);

  return g_test_run ();
}
