/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-team.c: invitations with one-time setup codes, first sign-in, one's own name and
 * password, password resets by an admin, pending invitations — against a real relay. */

#include "relay-harness.h"

#include <sqlite3.h>
#include <string.h>

#define PASSWORD     "a long password 1"
#define NEW_PASSWORD "another password 2"

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
  if (status == 204)
    return json_object_new ();
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

/* Adds @email to @site_id as @role: the answer (with "setup_code" for a new account). */
static JsonObject *
invite (TestRelay  *relay,
        const char *token,
        const char *site_id,
        const char *email,
        const char *role)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", site_id);
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"role\":\"%s\"}", email, role);

  return request_object (relay, "POST", path, token, body, 201);
}

static TestResponse *
setup (TestRelay  *relay,
       const char *email,
       const char *code,
       const char *password,
       const char *name)
{
  g_autofree char *body = NULL;

  if (name != NULL)
    body = g_strdup_printf ("{\"email\":\"%s\",\"setup_code\":\"%s\",\"password\":\"%s\",\"name\":\"%s\"}",
                            email, code, password, name);
  else
    body = g_strdup_printf ("{\"email\":\"%s\",\"setup_code\":\"%s\",\"password\":\"%s\"}",
                            email, code, password);
  return test_http (relay, "POST", "/api/v1/auth/setup", NULL, body, NULL);
}

static guint
login_status (TestRelay  *relay,
              const char *email,
              const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
  g_autoptr(TestResponse) response = test_http (relay, "POST", "/api/v1/auth/login", NULL, body, NULL);

  return response->status;
}

static guint
me_status (TestRelay  *relay,
           const char *token)
{
  g_autoptr(TestResponse) response = test_http (relay, "GET", "/api/v1/me", token, NULL, NULL);

  return response->status;
}

static JsonArray *
invitations (TestRelay  *relay,
             const char *token,
             const char *site_id,
             JsonObject **out_answer)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/invitations", site_id);

  *out_answer = request_object (relay, "GET", path, token, NULL, 200);
  return test_obj_array (*out_answer, "invitations");
}

/* A user made by the admin CLI, member of the world's site as @role, logged in. */
static char *
add_user (TestWorld   *world,
          const char  *email,
          const char  *role,
          char       **out_id)
{
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, PASSWORD, NULL);
  g_autoptr(JsonObject) member = invite (world->relay, world->token, world->site_id, email, role);

  g_assert_false (test_obj_has (member, "setup_code"));
  g_assert_false (test_obj_bool (member, "pending"));
  if (out_id != NULL)
    *out_id = g_strdup (test_obj_string (user, "id"));
  return test_relay_login (world->relay, email, PASSWORD);
}

static void
test_invite_and_first_sign_in (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) member = invite (world->relay, world->token, world->site_id,
                                         "new@a.test", "agent");
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) me = NULL;
  g_autofree char *code = g_strdup (test_obj_string (member, "setup_code"));
  g_autofree char *user_id = g_strdup (test_obj_string (member, "id"));
  g_autofree char *members_text = NULL;
  g_autofree char *token = NULL;
  gint64 expires_at = 0, now = g_get_real_time () / G_USEC_PER_SEC;
  JsonArray *list;

  /* the answer: the member, pending, with the code and its expiry 7 days ahead (the default) */
  g_assert_true (g_str_has_prefix (code, "csc_"));
  g_assert_cmpuint (strlen (code), >=, 20);
  g_assert_true (test_obj_bool (member, "pending"));
  g_assert_cmpstr (test_obj_string (member, "role"), ==, "agent");
  {
    g_autoptr(GDateTime) expires = g_date_time_new_from_iso8601 (test_obj_string (member, "setup_code_expires_at"), NULL);
    g_assert_nonnull (expires);
    expires_at = g_date_time_to_unix (expires);
    g_assert_cmpint (expires_at, >=, now + 168 * 3600 - 60);
    g_assert_cmpint (expires_at, <=, now + 168 * 3600 + 60);
  }

  /* no password works yet, not even an empty one */
  g_assert_cmpuint (login_status (world->relay, "new@a.test", PASSWORD), ==, 401);
  g_assert_cmpuint (login_status (world->relay, "new@a.test", ""), ==, 401);

  /* the invitation is listed, without its code; the members list says pending */
  list = invitations (world->relay, world->token, world->site_id, &listed);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  {
    JsonObject *invitation = json_array_get_object_element (list, 0);
    g_autofree char *text = test_obj_to_string (listed);

    g_assert_cmpstr (test_obj_string (invitation, "email"), ==, "new@a.test");
    g_assert_cmpstr (test_obj_string (invitation, "user_id"), ==, user_id);
    g_assert_cmpstr (test_obj_string (invitation, "role"), ==, "agent");
    g_assert_cmpstr (test_obj_string (invitation, "kind"), ==, "invitation");
    g_assert_cmpstr (test_obj_string (invitation, "invited_by"), ==, world->user_id);
    g_assert_cmpstr (test_obj_string (invitation, "expires_at"), ==,
                     test_obj_string (member, "setup_code_expires_at"));
    g_assert_false (test_obj_bool (invitation, "expired"));
    g_assert_null (strstr (text, code));
    g_assert_null (strstr (text, "setup_code"));
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
    g_autoptr(JsonObject) members = request_object (world->relay, "GET", path, world->token, NULL, 200);
    members_text = test_obj_to_string (members);
    g_assert_null (strstr (members_text, code));
    g_assert_nonnull (strstr (members_text, "\"pending\":true"));
  }

  /* wrong code, wrong address, weak password, unknown field: refused, and the code still good */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "new@a.test", "csc_wrongwrongwrongwron", NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  {
    g_autoptr(TestResponse) r = setup (world->relay, "other@a.test", code, NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  {
    g_autoptr(TestResponse) r = setup (world->relay, "new@a.test", code, "short", NULL);
    test_assert_http_error (r, 400, "weak_password");
  }
  expect_error (world->relay, "POST", "/api/v1/auth/setup", NULL, "{\"email\":\"new@a.test\"}", 400,
                "missing_field");
  expect_error (world->relay, "GET", "/api/v1/auth/setup", NULL, NULL, 405, "method_not_allowed");
  {
    g_autofree char *body = g_strdup_printf ("{\"email\":\"new@a.test\",\"setup_code\":\"%s\","
                                             "\"password\":\"%s\",\"role\":\"owner\"}", code, NEW_PASSWORD);
    expect_error (world->relay, "POST", "/api/v1/auth/setup", NULL, body, 400, "invalid_field");
  }

  /* the first sign-in: the same answer as a login, with the name chosen */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "NEW@a.test", code, NEW_PASSWORD, "Nina New");
    JsonObject *answer;

    test_assert_http_status (r, 200);
    answer = test_response_object (r);
    g_assert_true (g_str_has_prefix (test_obj_string (answer, "token"), "cft_"));
    g_assert_cmpstr (test_obj_string (answer, "user.id"), ==, user_id);
    g_assert_cmpstr (test_obj_string (answer, "user.name"), ==, "Nina New");
    token = g_strdup (test_obj_string (answer, "token"));
  }
  me = request_object (world->relay, "GET", "/api/v1/me", token, NULL, 200);
  g_assert_cmpstr (test_obj_string (me, "user.email"), ==, "new@a.test");
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (me, "sites"), 0), "role"),
                   ==, "agent");

  /* the code is spent */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "new@a.test", code, "a third password", NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  /* from now on the password signs in, and the invitation is gone */
  g_assert_cmpuint (login_status (world->relay, "new@a.test", NEW_PASSWORD), ==, 200);
  g_clear_pointer (&listed, json_object_unref);
  list = invitations (world->relay, world->token, world->site_id, &listed);
  g_assert_cmpuint (json_array_get_length (list), ==, 0);

  /* neither the code nor the password reached the relay's log */
  {
    g_autofree char *log = test_relay_get_stderr (world->relay);
    g_assert_null (strstr (log, code));
    g_assert_null (strstr (log, NEW_PASSWORD));
  }

  /* and the agent does not read the invitations */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/invitations", world->site_id);
    expect_error (world->relay, "GET", path, token, NULL, 403, "forbidden");
  }
}

/* The code's expiry, as a relay running long enough would see it: moved into the past in the
 * database while the relay runs. */
static void
expire_codes (TestRelay *relay)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (relay), "confab.db", NULL);
  sqlite3 *db = NULL;

  if (test_store_is_postgresql ())
    {
      g_assert_cmpint (test_relay_pg_exec (relay, "UPDATE setup_codes SET expires_at = "
                                                  "expires_at - 168 * 3600 * 1000"), ==, 1);
      return;
    }
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 2000);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE setup_codes SET expires_at = expires_at - 168 * 3600 * 1000",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
}

static void
test_setup_code_expired (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) member = invite (world->relay, world->token, world->site_id,
                                         "late@a.test", "admin");
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) reset = NULL;
  g_autofree char *reset_path = g_strdup_printf ("/api/v1/sites/%s/members/%s/reset", world->site_id,
                                                 test_obj_string (member, "id"));
  JsonArray *list;

  expire_codes (world->relay);
  {
    g_autoptr(TestResponse) r = setup (world->relay, "late@a.test", test_obj_string (member, "setup_code"),
                                       NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "setup_code_expired");
  }
  /* an expired code is not told apart from a wrong one unless it is the right one */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "late@a.test", "csc_notthecodenotthecode", NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  list = invitations (world->relay, world->token, world->site_id, &listed);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_true (test_obj_bool (json_array_get_object_element (list, 0), "expired"));

  /* the admin hands out a new code (a reset of the pending member); the old one stays dead */
  reset = request_object (world->relay, "POST", reset_path, world->token, NULL, 200);
  g_assert_cmpstr (test_obj_string (reset, "email"), ==, "late@a.test");
  {
    g_autoptr(TestResponse) r = setup (world->relay, "late@a.test", test_obj_string (member, "setup_code"),
                                       NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  g_clear_pointer (&listed, json_object_unref);
  list = invitations (world->relay, world->token, world->site_id, &listed);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "kind"), ==, "invitation");
  g_assert_false (test_obj_bool (json_array_get_object_element (list, 0), "expired"));
  {
    g_autoptr(TestResponse) r = setup (world->relay, "late@a.test", test_obj_string (reset, "setup_code"),
                                       NEW_PASSWORD, NULL);
    test_assert_http_status (r, 200);
    /* no name chosen: visitors see "Support", as for an account from the admin CLI */
    g_assert_cmpstr (test_obj_string (test_response_object (r), "user.name"), ==, "Support");
  }
  g_assert_cmpuint (login_status (world->relay, "late@a.test", NEW_PASSWORD), ==, 200);
}

/* [auth] setup-code-lifetime-hours sets how long a code lasts. */
static void
test_setup_code_lifetime (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[auth]\nsetup-code-lifetime-hours=2\n",
                                               TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) member = invite (world->relay, world->token, world->site_id, "soon@a.test", "agent");
  g_autoptr(GDateTime) expires = g_date_time_new_from_iso8601 (test_obj_string (member, "setup_code_expires_at"),
                                                               NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_nonnull (expires);
  g_assert_cmpint (g_date_time_to_unix (expires), >=, now + 2 * 3600 - 60);
  g_assert_cmpint (g_date_time_to_unix (expires), <=, now + 2 * 3600 + 60);
}

static void
test_setup_rate_limited (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nlogins-per-minute-per-account=3\n",
                                               TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autoptr(JsonObject) member = invite (world->relay, world->token, world->site_id,
                                         "guess@a.test", "agent");
  guint limited = 0;

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TestResponse) r = setup (world->relay, "guess@a.test", "csc_guessguessguessgues", NEW_PASSWORD, NULL);

      if (i < 3)
        test_assert_http_error (r, 401, "invalid_setup_code");
      else if (r->status == 429)
        limited++;
    }
  g_assert_cmpuint (limited, ==, 2);
  /* even the right code waits now: guessing is not free */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "guess@a.test", test_obj_string (member, "setup_code"),
                                       NEW_PASSWORD, NULL);
    test_assert_http_status (r, 429);
    g_assert_nonnull (test_response_header (r, "Retry-After"));
  }

  /* a stolen token does not guess the password through /me/password either */
  for (guint i = 0; i < 3; i++)
    expect_error (world->relay, "POST", "/api/v1/me/password", world->token,
                  "{\"current_password\":\"guess guess\",\"new_password\":\"" NEW_PASSWORD "\"}", 403,
                  "wrong_password");
  expect_error (world->relay, "POST", "/api/v1/me/password", world->token,
                "{\"current_password\":\"guess guess\",\"new_password\":\"" NEW_PASSWORD "\"}", 429,
                "rate_limited");
}

static void
test_own_name_and_password (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autofree char *user_id = NULL;
  g_autofree char *first = add_user (world, "me@a.test", "agent", &user_id);
  g_autofree char *second = test_relay_login (world->relay, "me@a.test", PASSWORD);
  g_autoptr(TestWs) first_ws = test_ws_agent (world->relay, first);
  g_autoptr(TestWs) second_ws = test_ws_agent (world->relay, second);
  g_autoptr(JsonObject) named = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autoptr(JsonObject) me = NULL;

  /* name */
  named = request_object (world->relay, "PATCH", "/api/v1/me", first, "{\"name\":\"Mia Me\"}", 200);
  g_assert_cmpstr (test_obj_string (named, "user.name"), ==, "Mia Me");
  me = request_object (world->relay, "GET", "/api/v1/me", second, NULL, 200);
  g_assert_cmpstr (test_obj_string (me, "user.name"), ==, "Mia Me");
  expect_error (world->relay, "PATCH", "/api/v1/me", first, "{\"name\":\"  \"}", 400, "invalid_value");
  expect_error (world->relay, "PATCH", "/api/v1/me", first, "{}", 400, "missing_field");
  expect_error (world->relay, "PATCH", "/api/v1/me", first, "{\"name\":\"x\",\"email\":\"y@a.test\"}", 400,
                "invalid_field");
  expect_error (world->relay, "PATCH", "/api/v1/me", NULL, "{\"name\":\"x\"}", 401, NULL);
  expect_error (world->relay, "DELETE", "/api/v1/me", first, NULL, 405, "method_not_allowed");

  /* password: the current one must be right, the new one long enough */
  expect_error (world->relay, "POST", "/api/v1/me/password", first,
                "{\"current_password\":\"not it at all\",\"new_password\":\"" NEW_PASSWORD "\"}", 403,
                "wrong_password");
  expect_error (world->relay, "POST", "/api/v1/me/password", first,
                "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"short\"}", 400, "weak_password");
  expect_error (world->relay, "POST", "/api/v1/me/password", first,
                "{\"current_password\":\"" PASSWORD "\"}", 400, "missing_field");
  g_assert_cmpuint (me_status (world->relay, first), ==, 200);

  changed = request_object (world->relay, "POST", "/api/v1/me/password", first,
                            "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"" NEW_PASSWORD "\"}",
                            200);
  g_assert_cmpint (test_obj_int (changed, "revoked_tokens"), ==, 1);

  /* the other token and its socket are gone; the caller's stay */
  g_assert_cmpuint (test_ws_wait_closed (second_ws, TEST_TIMEOUT_MS), ==, 4001);
  g_assert_cmpuint (me_status (world->relay, second), ==, 401);
  g_assert_cmpuint (me_status (world->relay, first), ==, 200);
  g_assert_true (test_ws_is_open (first_ws));
  g_assert_cmpuint (login_status (world->relay, "me@a.test", PASSWORD), ==, 401);
  g_assert_cmpuint (login_status (world->relay, "me@a.test", NEW_PASSWORD), ==, 200);
}

static void
test_reset (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autofree char *agent_id = NULL, *admin_id = NULL, *other_id = NULL;
  g_autofree char *agent = add_user (world, "agent@a.test", "agent", &agent_id);
  g_autofree char *admin = add_user (world, "admin@a.test", "admin", &admin_id);
  g_autofree char *other = add_user (world, "other@a.test", "agent", &other_id);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *base = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *agent_reset = g_strdup_printf ("%s/%s/reset", base, agent_id);
  g_autofree char *owner_reset = g_strdup_printf ("%s/%s/reset", base, world->user_id);
  g_autofree char *admin_reset = g_strdup_printf ("%s/%s/reset", base, admin_id);
  g_autofree char *other_reset = g_strdup_printf ("%s/%s/reset", base, other_id);
  g_autofree char *unknown_reset = g_strdup_printf ("%s/usr_unknown/reset", base);
  g_autoptr(TestWs) agent_ws = test_ws_agent (world->relay, agent);
  g_autoptr(JsonObject) reset = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);

  /* who may not */
  expect_error (world->relay, "POST", agent_reset, agent, NULL, 403, "forbidden");
  expect_error (world->relay, "POST", admin_reset, other, NULL, 403, "forbidden");
  expect_error (world->relay, "POST", owner_reset, admin, NULL, 403, "forbidden");
  expect_error (world->relay, "POST", admin_reset, admin, NULL, 403, "forbidden");   /* oneself */
  expect_error (world->relay, "POST", agent_reset, b_token, NULL, 404, "not_found");  /* another tenant */
  expect_error (world->relay, "POST", agent_reset, NULL, NULL, 401, NULL);
  expect_error (world->relay, "POST", unknown_reset, world->token, NULL, 404, "no_such_member");
  expect_error (world->relay, "GET", agent_reset, world->token, NULL, 405, "method_not_allowed");

  /* other@a.test also works for B: A's admin cannot take that account over */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", b_site);
    g_autoptr(JsonObject) added = request_object (world->relay, "POST", path, b_token,
                                                  "{\"email\":\"other@a.test\",\"role\":\"agent\"}", 201);
  }
  expect_error (world->relay, "POST", other_reset, admin, NULL, 403, "forbidden");
  expect_error (world->relay, "POST", other_reset, world->token, NULL, 403, "forbidden");
  g_assert_cmpuint (me_status (world->relay, other), ==, 200);

  /* nothing was reset by those refusals */
  g_assert_cmpuint (me_status (world->relay, agent), ==, 200);
  g_assert_cmpuint (login_status (world->relay, "admin@a.test", PASSWORD), ==, 200);

  /* an admin resets an agent: the old password stops, the tokens and sockets go */
  reset = request_object (world->relay, "POST", agent_reset, admin, NULL, 200);
  g_assert_cmpstr (test_obj_string (reset, "user_id"), ==, agent_id);
  g_assert_true (g_str_has_prefix (test_obj_string (reset, "setup_code"), "csc_"));
  g_assert_cmpuint (test_ws_wait_closed (agent_ws, TEST_TIMEOUT_MS), ==, 4001);
  g_assert_cmpuint (me_status (world->relay, agent), ==, 401);
  g_assert_cmpuint (login_status (world->relay, "agent@a.test", PASSWORD), ==, 401);
  {
    g_autoptr(JsonObject) listed = NULL;
    JsonArray *list = invitations (world->relay, world->token, world->site_id, &listed);

    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "kind"), ==, "reset");
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "invited_by"), ==, admin_id);
  }

  /* the agent signs in with the code, keeps their site and role */
  {
    g_autoptr(TestResponse) r = setup (world->relay, "agent@a.test", test_obj_string (reset, "setup_code"),
                                       NEW_PASSWORD, NULL);
    g_autoptr(JsonObject) me = NULL;

    test_assert_http_status (r, 200);
    me = request_object (world->relay, "GET", "/api/v1/me", test_obj_string (test_response_object (r), "token"),
                         NULL, 200);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (me, "sites"), 0), "role"),
                     ==, "agent");
  }
  g_assert_cmpuint (login_status (world->relay, "agent@a.test", NEW_PASSWORD), ==, 200);

  /* an owner resets an admin */
  g_clear_pointer (&reset, json_object_unref);
  reset = request_object (world->relay, "POST", admin_reset, world->token, NULL, 200);
  g_assert_cmpuint (me_status (world->relay, admin), ==, 401);
}

static void
test_invitation_rules (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autofree char *admin_id = NULL;
  g_autofree char *admin = add_user (world, "admin@a.test", "admin", &admin_id);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *members = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) b_member = NULL;
  g_autofree char *member_path = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);

  /* only owners invite owners; bad addresses are refused */
  expect_error (world->relay, "POST", members, admin, "{\"email\":\"boss@a.test\",\"role\":\"owner\"}", 403,
                "forbidden");
  expect_error (world->relay, "POST", members, admin, "{\"email\":\"no address\",\"role\":\"agent\"}", 400,
                "invalid_value");
  g_assert_cmpuint (login_status (world->relay, "boss@a.test", PASSWORD), ==, 401);
  {
    g_autoptr(JsonObject) none = NULL;
    g_assert_cmpuint (json_array_get_length (invitations (world->relay, world->token, world->site_id, &none)), ==, 0);
  }

  /* an admin invites an agent */
  first = invite (world->relay, admin, world->site_id, "pending@a.test", "agent");
  member_path = g_strdup_printf ("%s/%s", members, test_obj_string (first, "id"));

  /* a pending account invited to another site gets no second code: whoever holds the first
   * one is who signs in */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", b_site);
    b_member = request_object (world->relay, "POST", path, b_token,
                               "{\"email\":\"pending@a.test\",\"role\":\"agent\"}", 201);
    g_assert_false (test_obj_has (b_member, "setup_code"));
    g_assert_true (test_obj_bool (b_member, "pending"));
  }
  /* B's owner cannot reset it either: it works for A too */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members/%s/reset", b_site,
                                             test_obj_string (first, "id"));
    expect_error (world->relay, "POST", path, b_token, NULL, 403, "forbidden");
  }
  /* A's invitations do not show in B's list but the pending member does */
  g_assert_cmpuint (json_array_get_length (invitations (world->relay, b_token, b_site, &listed)), ==, 1);

  /* withdrawn from both: the account is gone, its code with it, and the address free again */
  g_clear_pointer (&listed, json_object_unref);
  listed = request_object (world->relay, "DELETE", member_path, admin, NULL, 204);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members/%s", b_site, test_obj_string (first, "id"));
    g_autoptr(JsonObject) gone = request_object (world->relay, "DELETE", path, b_token, NULL, 204);
  }
  {
    g_autoptr(TestResponse) r = setup (world->relay, "pending@a.test", test_obj_string (first, "setup_code"),
                                       NEW_PASSWORD, NULL);
    test_assert_http_error (r, 401, "invalid_setup_code");
  }
  again = invite (world->relay, world->token, world->site_id, "pending@a.test", "agent");
  g_assert_true (test_obj_has (again, "setup_code"));
  g_assert_cmpstr (test_obj_string (again, "setup_code"), !=, test_obj_string (first, "setup_code"));

  /* the admin CLI still makes accounts with a password, and refuses a taken address */
  {
    g_autoptr(JsonObject) made = test_relay_create_user (world->relay, "cli@a.test", PASSWORD, "Cli");
    g_autofree char *err = NULL;
    g_autofree char *file = g_build_filename (test_relay_tmp_dir (world->relay), "pw", NULL);

    g_assert_cmpuint (login_status (world->relay, "cli@a.test", PASSWORD), ==, 200);
    g_assert_true (g_file_set_contents (file, PASSWORD, -1, NULL));
    g_assert_cmpint (test_relay_admin (world->relay, NULL, &err, "create-user", "--data-dir",
                                       test_relay_data_dir (world->relay), "--email", "pending@a.test",
                                       "--password-file", file, NULL), !=, 0);
  }
}

/* A new name signs what the agent's open app sends from then on, without a reconnect. */
static void
test_rename_reaches_visitor (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autoptr(JsonObject) named = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_autofree char *colleague_token = NULL;
  g_autoptr(TestWs) colleague = NULL;
  g_autoptr(JsonObject) presence = NULL;

  test_visitor_say (world->visitor, "Hello?", &conversation_id);
  colleague_token = add_user (world, "colleague@a.test", "agent", NULL);
  colleague = test_ws_agent (world->relay, colleague_token);
  test_agent_subscribe (colleague, 0, NULL);
  g_ptr_array_unref (test_ws_drain (colleague, TEST_QUIET_MS));

  named = request_object (world->relay, "PATCH", "/api/v1/me", world->token, "{\"name\":\"Olivia New\"}", 200);
  /* a colleague's app hears the new name at once */
  presence = test_ws_wait_for_match (colleague, "presence", "agent_id", world->user_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (presence, "name"), ==, "Olivia New");

  test_agent_say (world->agent, conversation_id, "Hi, how can I help?");
  reply = test_ws_wait_for_match (world->visitor, "message", "body", "Hi, how can I help?", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (reply, "sender.name"), ==, "Olivia New");
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/team/invite-and-first-sign-in", test_invite_and_first_sign_in);
  test_harness_add ("/relay/team/setup-code-expired", test_setup_code_expired);
  test_harness_add ("/relay/team/setup-code-lifetime", test_setup_code_lifetime);
  test_harness_add ("/relay/team/setup-rate-limited", test_setup_rate_limited);
  test_harness_add ("/relay/team/own-name-and-password", test_own_name_and_password);
  test_harness_add ("/relay/team/reset", test_reset);
  test_harness_add ("/relay/team/invitation-rules", test_invitation_rules);
  test_harness_add ("/relay/team/rename-reaches-visitor", test_rename_reaches_visitor);

  return g_test_run ();
}
