/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-http.c: the relay's HTTP API, its admin CLI and its process life, end to end */

#include "relay-harness.h"

#include <sqlite3.h>
#include <string.h>

static void
assert_nosniff (TestResponse *response)
{
  g_assert_cmpstr (test_response_header (response, "X-Content-Type-Options"), ==, "nosniff");
}

/* Adds @email as @role of @site_id through the members endpoint; FALSE when the relay has none. */
static gboolean
try_add_member (TestRelay  *relay,
                const char *owner_token,
                const char *site_id,
                const char *email,
                const char *role)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'%s'}", email, role);
  g_autoptr(TestResponse) response = test_http (relay, "POST", path, owner_token, body, NULL);

  if (response->status == 200 || response->status == 201)
    return TRUE;

  g_test_message ("POST %s answered %u: no members endpoint yet", path, response->status);
  return FALSE;
}

static void
test_healthz (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(TestResponse) response = NULL;

  test_relay_start (relay);
  response = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (response, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (response), "status"), ==, "ok");
  assert_nosniff (response);
}

static void
test_login (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(TestResponse) ok = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) upper = NULL;
  g_autofree char *wrong_text = NULL;
  g_autofree char *unknown_text = NULL;
  JsonObject *object;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "ada@example.org", "analytical engine 1843", "Ada");
  g_assert_cmpstr (test_obj_string (user, "name"), ==, "Ada");

  ok = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                  "{\"email\":\"ada@example.org\",\"password\":\"analytical engine 1843\"}", NULL);
  test_assert_http_status (ok, 200);
  object = test_response_object (ok);
  g_assert_cmpuint (strlen (test_obj_string (object, "token")), >=, 32);
  g_assert_cmpstr (test_obj_string (object, "user.id"), ==, test_obj_string (user, "id"));
  g_assert_cmpstr (test_obj_string (object, "user.email"), ==, "ada@example.org");
  g_assert_cmpstr (test_obj_string (object, "user.name"), ==, "Ada");
  g_assert_false (test_obj_has (object, "user.password_hash"));

  /* E-mail addresses are case-insensitive. */
  upper = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                     "{\"email\":\"ADA@Example.org\","
                     "\"password\":\"analytical engine 1843\"}", NULL);
  test_assert_http_status (upper, 200);

  wrong = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                     "{\"email\":\"ada@example.org\",\"password\":\"difference engine\"}", NULL);
  test_assert_http_error (wrong, 401, "invalid_credentials");
  g_assert_false (test_obj_has (test_response_object (wrong), "token"));

  unknown = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                       "{\"email\":\"nobody@example.org\","
                       "\"password\":\"difference engine\"}", NULL);
  test_assert_http_error (unknown, 401, "invalid_credentials");

  /* The answer must not tell which accounts exist. */
  wrong_text = test_response_text (wrong);
  unknown_text = test_response_text (unknown);
  g_assert_cmpstr (wrong_text, ==, unknown_text);
}

static void
test_login_bad_input (void)
{
  g_autoptr(TestRelay) relay = test_relay_new ("[http]\nmax-body-bytes=2048\n");
  g_autoptr(TestResponse) not_json = NULL;
  g_autoptr(TestResponse) missing = NULL;
  g_autoptr(TestResponse) wrong_type = NULL;
  g_autoptr(TestResponse) deep = NULL;
  g_autoptr(TestResponse) bad_utf8 = NULL;
  g_autoptr(TestResponse) too_large = NULL;
  g_autoptr(TestResponse) wrong_method = NULL;
  g_autoptr(GBytes) utf8_body = NULL;
  g_autoptr(GBytes) large_body = NULL;
  g_autoptr(GString) deep_text = g_string_new ("{\"email\":");
  g_autoptr(GString) large_text = g_string_new ("{\"email\":\"");
  static const char bad_utf8_text[] = "{\"email\":\"a\xff\xfe@example.org\",\"password\":\"x\"}";

  test_relay_start (relay);

  not_json = test_http (relay, "POST", "/api/v1/auth/login", NULL, "{\"email\":", NULL);
  test_assert_http_error (not_json, 400, "invalid_json");
  assert_nosniff (not_json);
  g_assert_nonnull (test_obj_string (test_response_object (not_json), "error.message"));

  missing = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                       "{\"email\":\"ada@example.org\"}", NULL);
  test_assert_http_error (missing, 400, "missing_field");

  wrong_type = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                          "{\"email\":\"ada@example.org\",\"password\":42}", NULL);
  test_assert_http_error (wrong_type, 400, "invalid_field");

  for (guint i = 0; i < 200; i++)
    g_string_append_c (deep_text, '[');
  for (guint i = 0; i < 200; i++)
    g_string_append_c (deep_text, ']');
  g_string_append (deep_text, ",\"password\":\"x\"}");
  deep = test_http (relay, "POST", "/api/v1/auth/login", NULL, deep_text->str, NULL);
  test_assert_http_error (deep, 400, "too_deep");

  utf8_body = g_bytes_new_static (bad_utf8_text, sizeof bad_utf8_text - 1);
  bad_utf8 = test_http_bytes (relay, "POST", "/api/v1/auth/login", NULL, utf8_body,
                              "application/json", NULL);
  test_assert_http_error (bad_utf8, 400, "invalid_utf8");

  for (guint i = 0; i < 4096; i++)
    g_string_append_c (large_text, 'a');
  g_string_append (large_text, "@example.org\",\"password\":\"x\"}");
  large_body = g_bytes_new (large_text->str, large_text->len);
  too_large = test_http_bytes (relay, "POST", "/api/v1/auth/login", NULL, large_body,
                               "application/json", NULL);
  test_assert_http_error (too_large, 413, "too_large");

  wrong_method = test_http (relay, "GET", "/api/v1/auth/login", NULL, NULL, NULL);
  test_assert_http_error (wrong_method, 405, "method_not_allowed");

  /* Still serving. */
  {
    g_autoptr(TestResponse) health = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);
    test_assert_http_status (health, 200);
  }
}

static void
test_login_rate_limit (void)
{
  g_autoptr(TestRelay) relay = test_relay_new ("[limits]\nlogins-per-minute-per-account=3\n");
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(TestResponse) limited = NULL;
  const char *retry_after;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "eve@example.org", "the right one", NULL);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestResponse) response = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                                                    "{\"email\":\"eve@example.org\","
                                                    "\"password\":\"guess\"}", NULL);
      test_assert_http_error (response, 401, "invalid_credentials");
    }

  /* Even the right password is refused while the account is limited. */
  limited = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                       "{\"email\":\"eve@example.org\",\"password\":\"the right one\"}", NULL);
  test_assert_http_error (limited, 429, "rate_limited");
  retry_after = test_response_header (limited, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), >, 0);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), <=, 60);
}

static void
test_me (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) garbage = NULL;
  g_autoptr(TestResponse) not_bearer = NULL;
  JsonObject *object;
  JsonArray *sites;
  JsonObject *site;

  me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_status (me, 200);
  assert_nosniff (me);
  object = test_response_object (me);
  g_assert_cmpstr (test_obj_string (object, "user.id"), ==, world->user_id);
  g_assert_cmpstr (test_obj_string (object, "user.email"), ==, world->email);
  g_assert_cmpstr (test_obj_string (object, "user.name"), ==, "Owner a");
  sites = test_obj_array (object, "sites");
  g_assert_cmpuint (json_array_get_length (sites), ==, 1);
  site = json_array_get_object_element (sites, 0);
  g_assert_cmpstr (test_obj_string (site, "id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (site, "name"), ==, "Site a");
  g_assert_cmpstr (test_obj_string (site, "role"), ==, "owner");

  anonymous = test_http (world->relay, "GET", "/api/v1/me", NULL, NULL, NULL);
  test_assert_http_error (anonymous, 401, "unauthorized");
  assert_nosniff (anonymous);

  garbage = test_http (world->relay, "GET", "/api/v1/me", "not-a-token-at-all", NULL, NULL);
  test_assert_http_error (garbage, 401, "unauthorized");

  not_bearer = test_http (world->relay, "GET", "/api/v1/me", NULL, NULL,
                          "Authorization", "Basic b3duZXJAYS50ZXN0OnB3", NULL);
  test_assert_http_error (not_bearer, 401, "unauthorized");
}

static JsonObject *
find_site (TestResponse *list,
           const char   *site_id)
{
  JsonArray *sites = test_obj_array (test_response_object (list), "sites");

  for (guint i = 0; i < json_array_get_length (sites); i++)
    {
      JsonObject *site = json_array_get_object_element (sites, i);
      if (g_strcmp0 (test_obj_string (site, "id"), site_id) == 0)
        return site;
    }

  return NULL;
}

static void
test_sites (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(TestResponse) list = NULL;
  g_autoptr(TestResponse) created = NULL;
  g_autoptr(TestResponse) list2 = NULL;
  g_autoptr(TestResponse) patched = NULL;
  g_autoptr(TestResponse) list3 = NULL;
  g_autoptr(TestResponse) missing_name = NULL;
  g_autoptr(TestResponse) bad_domains = NULL;
  g_autoptr(TestResponse) unknown_setting = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autofree char *new_id = NULL;
  g_autofree char *patch_path = NULL;
  JsonObject *site;
  JsonArray *domains;

  list = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL, NULL);
  test_assert_http_status (list, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (list), "sites")),
                    ==, 1);
  site = find_site (list, world->site_id);
  g_assert_nonnull (site);
  g_assert_cmpstr (test_obj_string (site, "site_key"), ==, world->site_key);
  g_assert_cmpstr (test_obj_string (site, "role"), ==, "owner");
  g_assert_cmpuint (json_array_get_length (test_obj_array (site, "domains")), ==, 0);

  created = test_http (world->relay, "POST", "/api/v1/sites", world->token,
                       "{\"name\":\"Second shop\",\"domains\":[\"shop2.example\","
                       "\"*.shop2.example\"]}", NULL);
  test_assert_http_status (created, 201);
  site = test_response_object (created);
  new_id = g_strdup (test_obj_string (site, "id"));
  g_assert_cmpstr (test_obj_string (site, "name"), ==, "Second shop");
  g_assert_cmpstr (test_obj_string (site, "role"), ==, "owner");
  g_assert_cmpstr (test_obj_string (site, "site_key"), !=, world->site_key);
  domains = test_obj_array (site, "domains");
  g_assert_cmpuint (json_array_get_length (domains), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (domains, 0), ==, "shop2.example");

  list2 = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL, NULL);
  test_assert_http_status (list2, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (list2), "sites")),
                    ==, 2);
  g_assert_nonnull (find_site (list2, new_id));

  patch_path = g_strdup_printf ("/api/v1/sites/%s", new_id);
  patched = test_http (world->relay, "PATCH", patch_path, world->token,
                       "{\"name\":\"Renamed shop\",\"domains\":[\"renamed.example\"],"
                       "\"settings\":{\"color\":\"#336699\","
                       "\"welcome_message\":\"Hi there\"}}", NULL);
  test_assert_http_status (patched, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (patched), "name"), ==, "Renamed shop");

  list3 = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL, NULL);
  site = find_site (list3, new_id);
  g_assert_nonnull (site);
  g_assert_cmpstr (test_obj_string (site, "name"), ==, "Renamed shop");
  domains = test_obj_array (site, "domains");
  g_assert_cmpuint (json_array_get_length (domains), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (domains, 0), ==, "renamed.example");

  missing_name = test_http (world->relay, "POST", "/api/v1/sites", world->token,
                            "{\"domains\":[]}", NULL);
  test_assert_http_error (missing_name, 400, "missing_field");

  bad_domains = test_http (world->relay, "PATCH", patch_path, world->token,
                           "{\"domains\":\"renamed.example\"}", NULL);
  test_assert_http_error (bad_domains, 400, "invalid_field");

  unknown_setting = test_http (world->relay, "PATCH", patch_path, world->token,
                               "{\"settings\":{\"no_such_setting\":true}}", NULL);
  test_assert_http_error (unknown_setting, 400, "invalid_field");

  anonymous = test_http (world->relay, "POST", "/api/v1/sites", NULL,
                         "{\"name\":\"Sneaky\",\"domains\":[]}", NULL);
  test_assert_http_error (anonymous, 401, "unauthorized");
}

static void
test_sites_roles (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) bob = NULL;
  g_autoptr(TestResponse) own_site = NULL;
  g_autoptr(TestResponse) foreign = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) unchanged = NULL;
  g_autofree char *bob_token = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *foreign_text = NULL;
  g_autofree char *unknown_text = NULL;

  /* Bob owns a site of his own and is no member of Alice's. */
  bob = test_relay_create_user (world->relay, "bob@b.test", "bob's long password", "Bob");
  bob_token = test_relay_login (world->relay, "bob@b.test", "bob's long password");
  own_site = test_http (world->relay, "POST", "/api/v1/sites", bob_token,
                        "{\"name\":\"Bob's\",\"domains\":[]}", NULL);
  test_assert_http_status (own_site, 201);

  foreign = test_http (world->relay, "PATCH", path, bob_token, "{\"name\":\"Hijacked\"}", NULL);
  test_assert_http_error (foreign, 404, "not_found");
  unknown = test_http (world->relay, "PATCH", "/api/v1/sites/site_doesnotexist00000000", bob_token,
                       "{\"name\":\"Hijacked\"}", NULL);
  test_assert_http_error (unknown, 404, "not_found");
  foreign_text = test_response_text (foreign);
  unknown_text = test_response_text (unknown);
  g_assert_cmpstr (foreign_text, ==, unknown_text);

  unchanged = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL, NULL);
  g_assert_cmpstr (test_obj_string (find_site (unchanged, world->site_id), "name"), ==, "Site a");

  /* A plain agent of the site may not change it. */
  if (try_add_member (world->relay, world->token, world->site_id, "bob@b.test", "agent"))
    {
      g_autoptr(TestResponse) as_agent = NULL;
      g_autoptr(TestResponse) as_agent_list = NULL;

      as_agent = test_http (world->relay, "PATCH", path, bob_token, "{\"name\":\"Hijacked\"}",
                            NULL);
      test_assert_http_error (as_agent, 403, "forbidden");

      as_agent_list = test_http (world->relay, "GET", "/api/v1/sites", bob_token, NULL, NULL);
      g_assert_cmpstr (test_obj_string (find_site (as_agent_list, world->site_id), "role"), ==,
                       "agent");
    }
  else
    {
      g_test_message ("members endpoint missing: agent-role PATCH check skipped");
    }
}

static void
test_conversations_listing (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) second = NULL;
  g_autoptr(JsonObject) second_welcome = NULL;
  g_autoptr(TestResponse) list = NULL;
  g_autoptr(TestResponse) resolved = NULL;
  g_autoptr(TestResponse) limited = NULL;
  g_autoptr(TestResponse) messages = NULL;
  g_autoptr(TestResponse) after = NULL;
  g_autoptr(TestResponse) one = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *list_path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  g_autofree char *resolved_path = g_strdup_printf ("%s?status=resolved", list_path);
  g_autofree char *limited_path = g_strdup_printf ("%s?limit=1", list_path);
  g_autofree char *messages_path = NULL;
  g_autofree char *after_path = NULL;
  g_autofree char *one_path = NULL;
  JsonArray *conversations;
  JsonArray *array;
  JsonObject *message;

  g_assert_cmpint (test_visitor_say (world->visitor, "Where is my parcel?", &first_id), ==, 1);
  g_assert_cmpint (test_visitor_say (world->visitor, "Order 1234", NULL), ==, 2);
  g_assert_cmpint (test_agent_say (world->agent, first_id, "It ships today"), ==, 3);

  test_sleep_ms (20);
  second = test_ws_widget (world->relay, world->site_key);
  second_welcome = test_visitor_hello (second, NULL, NULL, "https://a.test/other");
  g_assert_cmpint (test_visitor_say (second, "Do you ship abroad?", &second_id), ==, 1);
  g_assert_cmpstr (first_id, !=, second_id);

  list = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
  test_assert_http_status (list, 200);
  conversations = test_obj_array (test_response_object (list), "conversations");
  g_assert_cmpuint (json_array_get_length (conversations), ==, 2);
  /* Newest activity first. */
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (conversations, 0), "id"), ==,
                   second_id);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (conversations, 1), "id"), ==,
                   first_id);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (conversations, 1),
                                    "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (conversations, 1), "status"),
                   ==, "open");

  resolved = test_http (world->relay, "GET", resolved_path, world->token, NULL, NULL);
  test_assert_http_status (resolved, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (resolved),
                                                           "conversations")), ==, 0);

  limited = test_http (world->relay, "GET", limited_path, world->token, NULL, NULL);
  test_assert_http_status (limited, 200);
  array = test_obj_array (test_response_object (limited), "conversations");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "id"), ==, second_id);

  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", first_id);
  messages = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
  test_assert_http_status (messages, 200);
  array = test_obj_array (test_response_object (messages), "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  message = json_array_get_object_element (array, 0);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "Where is my parcel?");
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (message, "conversation_id"), ==, first_id);
  g_assert_nonnull (test_obj_string (message, "created_at"));
  message = json_array_get_object_element (array, 2);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 3);
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "It ships today");
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (message, "sender.name"), ==, "Owner a");

  after_path = g_strdup_printf ("%s?after_seq=1", messages_path);
  after = test_http (world->relay, "GET", after_path, world->token, NULL, NULL);
  test_assert_http_status (after, 200);
  array = test_obj_array (test_response_object (after), "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (array, 0), "seq"), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "body"), ==,
                   "Order 1234");

  one_path = g_strdup_printf ("%s?after_seq=1&limit=1", messages_path);
  one = test_http (world->relay, "GET", one_path, world->token, NULL, NULL);
  test_assert_http_status (one, 200);
  array = test_obj_array (test_response_object (one), "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (array, 0), "seq"), ==, 2);

  anonymous = test_http (world->relay, "GET", messages_path, NULL, NULL, NULL);
  test_assert_http_error (anonymous, 401, "unauthorized");

  unknown = test_http (world->relay, "GET", "/api/v1/conversations/cnv_nosuchthing0000000/messages",
                       world->token, NULL, NULL);
  test_assert_http_error (unknown, 404, "not_found");
}

static void
test_widget_config (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autofree char *patch_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *etag = NULL;
  g_autoptr(TestResponse) config = NULL;
  g_autoptr(TestResponse) cached = NULL;
  g_autoptr(TestResponse) patched = NULL;
  g_autoptr(TestResponse) changed = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  JsonObject *object;
  g_autofree char *text = NULL;
  g_autofree char *changed_text = NULL;

  config = test_http (world->relay, "GET", path, NULL, NULL, "Origin", "https://a.test", NULL);
  test_assert_http_status (config, 200);
  object = test_response_object (config);
  g_assert_nonnull (object);
  etag = g_strdup (test_response_header (config, "ETag"));
  g_assert_nonnull (etag);
  g_assert_nonnull (test_response_header (config, "Access-Control-Allow-Origin"));
  assert_nosniff (config);
  /* Public settings only: nothing about members or secrets. */
  text = test_response_text (config);
  g_assert_null (strstr (text, world->email));
  g_assert_null (strstr (text, world->user_id));

  cached = test_http (world->relay, "GET", path, NULL, NULL, "If-None-Match", etag, NULL);
  test_assert_http_status (cached, 304);
  g_assert_cmpuint (g_bytes_get_size (cached->body), ==, 0);

  patched = test_http (world->relay, "PATCH", patch_path, world->token,
                       "{\"settings\":{\"color\":\"#aa3300\",\"welcome_message\":\"Ahoy\","
                       "\"faq_threshold\":70}}", NULL);
  test_assert_http_status (patched, 200);

  /* The old ETag no longer matches once the settings changed. */
  changed = test_http (world->relay, "GET", path, NULL, NULL, "If-None-Match", etag, NULL);
  test_assert_http_status (changed, 200);
  g_assert_cmpstr (test_response_header (changed, "ETag"), !=, etag);
  changed_text = test_response_text (changed);
  g_assert_nonnull (strstr (changed_text, "#aa3300"));
  /* the bot's tuning stays on the relay */
  g_assert_null (strstr (changed_text, "faq_threshold"));

  unknown = test_http (world->relay, "GET", "/api/v1/widget/config?site_key=nosuchkey", NULL, NULL,
                       NULL);
  test_assert_http_error (unknown, 404, "unknown_site");
}

static void
test_logout (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) other_agent = NULL;
  g_autoptr(TestResponse) logout = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) me_other = NULL;
  g_autofree char *other_token = NULL;
  guint status = 0;
  TestWs *refused;

  /* A second session of the same user must survive the first one's logout. */
  other_token = test_relay_login (world->relay, world->email, world->password);
  other_agent = test_ws_agent (world->relay, other_token);
  test_agent_subscribe (other_agent, 0, NULL);

  logout = test_http (world->relay, "POST", "/api/v1/auth/logout", world->token, NULL, NULL);
  g_assert_cmpuint (logout->status, >=, 200);
  g_assert_cmpuint (logout->status, <, 300);

  g_assert_cmpuint (test_ws_wait_closed (world->agent, TEST_TIMEOUT_MS), ==, 4001);

  me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_error (me, 401, "unauthorized");

  refused = test_ws_try_agent (world->relay, world->token, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 401);

  me_other = test_http (world->relay, "GET", "/api/v1/me", other_token, NULL, NULL);
  test_assert_http_status (me_other, 200);
  g_assert_true (test_ws_is_open (other_agent));
  test_ws_unignore (other_agent, "pong");
  test_ws_send (other_agent, "{\"type\":\"ping\"}");
  json_object_unref (test_ws_wait_for (other_agent, "pong", TEST_TIMEOUT_MS));
}

/* A token past its lifetime is refused like a revoked one, over HTTP and for a new agent socket.
 * The lifetime is counted in days, so the test ages the token in the relay's database (WAL lets
 * it write beside the running relay), as time would. */
static void
test_expired_token (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  g_autoptr(TestResponse) before = NULL;
  g_autoptr(TestResponse) after = NULL;
  sqlite3 *db = NULL;
  guint status = 0;
  TestWs *refused;

  before = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_status (before, 200);

  if (test_store_is_postgresql ())
    g_assert_cmpint (test_relay_pg_exec (world->relay, "UPDATE tokens SET expires_at = 1"), >=, 1);
  else
    {
      g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
      sqlite3_busy_timeout (db, 5000);
      g_assert_cmpint (sqlite3_exec (db, "UPDATE tokens SET expires_at = 1", NULL, NULL, NULL), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_changes (db), >=, 1);
      sqlite3_close (db);
    }

  after = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_error (after, 401, "unauthorized");

  refused = test_ws_try_agent (world->relay, world->token, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 401);
}

static void
test_security_headers (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  const char *paths[] = { "/healthz", "/api/v1/me", "/api/v1/sites", "/api/v1/no-such-thing",
                          "/no-such-page" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TestResponse) with_token = test_http (world->relay, "GET", paths[i], world->token,
                                                      NULL, NULL);
      g_autoptr(TestResponse) without = test_http (world->relay, "GET", paths[i], NULL, NULL, NULL);

      g_test_message ("%s: %u / %u", paths[i], with_token->status, without->status);
      assert_nosniff (with_token);
      assert_nosniff (without);
    }

  {
    g_autoptr(TestResponse) missing = test_http (world->relay, "GET", "/api/v1/no-such-thing",
                                                 world->token, NULL, NULL);
    test_assert_http_error (missing, 404, "not_found");
  }
}

static void
test_cors (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s",
                                                  world->site_key);
  g_autoptr(TestResponse) config = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) sites = NULL;
  g_autoptr(TestResponse) login = NULL;

  config = test_http (world->relay, "GET", config_path, NULL, NULL,
                      "Origin", "https://customer.example", NULL);
  test_assert_http_status (config, 200);
  g_assert_nonnull (test_response_header (config, "Access-Control-Allow-Origin"));

  me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL,
                  "Origin", "https://evil.example", NULL);
  test_assert_http_status (me, 200);
  g_assert_null (test_response_header (me, "Access-Control-Allow-Origin"));
  g_assert_null (test_response_header (me, "Access-Control-Allow-Credentials"));

  sites = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL,
                     "Origin", "https://evil.example", NULL);
  g_assert_null (test_response_header (sites, "Access-Control-Allow-Origin"));

  login = test_http (world->relay, "POST", "/api/v1/auth/login", NULL,
                     "{\"email\":\"owner@a.test\",\"password\":\"nope\"}",
                     "Origin", "https://evil.example", NULL);
  g_assert_null (test_response_header (login, "Access-Control-Allow-Origin"));
}

static void
test_admin_cli (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) site = NULL;
  g_autoptr(JsonObject) late = NULL;
  g_autofree char *password_path = NULL;
  g_autofree char *missing_path = NULL;
  g_autofree char *late_token = NULL;
  int status;

  /* Before the relay ever ran. */
  user = test_relay_create_user (relay, "carol@example.org", "carol's password", "Carol");
  {
    const char *domains[] = { "carol.example", "*.carol.example", NULL };
    JsonArray *array;

    site = test_relay_create_site (relay, "carol@example.org", "Carol's", domains);
    array = test_obj_array (site, "domains");
    g_assert_cmpuint (json_array_get_length (array), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "*.carol.example");
  }

  password_path = g_build_filename (test_relay_tmp_dir (relay), "password-0", NULL);
  status = test_relay_admin (relay, NULL, NULL, "create-user", "--data-dir",
                             test_relay_data_dir (relay), "--email", "CAROL@example.org",
                             "--password-file", password_path, NULL);
  g_assert_cmpint (status, >, 0);

  missing_path = g_build_filename (test_relay_tmp_dir (relay), "no-such-file", NULL);
  status = test_relay_admin (relay, NULL, NULL, "create-user", "--data-dir",
                             test_relay_data_dir (relay), "--email", "dave@example.org",
                             "--password-file", missing_path, NULL);
  g_assert_cmpint (status, >, 0);

  status = test_relay_admin (relay, NULL, NULL, "create-site", "--data-dir",
                             test_relay_data_dir (relay), "--owner", "nobody@example.org",
                             "--name", "Orphan", NULL);
  g_assert_cmpint (status, >, 0);

  status = test_relay_admin (relay, NULL, NULL, "no-such-command", "--data-dir",
                             test_relay_data_dir (relay), NULL);
  g_assert_cmpint (status, >, 0);

  /* While it runs (SQLite WAL): the new account can log in at once. */
  test_relay_start (relay);
  late = test_relay_create_user (relay, "erin@example.org", "erin's password", NULL);
  late_token = test_relay_login (relay, "erin@example.org", "erin's password");
  {
    g_autoptr(TestResponse) login = NULL;
    g_autoptr(TestResponse) nobody = NULL;

    login = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                       "{\"email\":\"carol@example.org\",\"password\":\"carol's password\"}", NULL);
    test_assert_http_status (login, 200);

    /* The failed create-user for dave left nothing behind. */
    nobody = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                        "{\"email\":\"dave@example.org\",\"password\":\"\"}", NULL);
    g_assert_cmpuint (nobody->status, !=, 200);
  }
}

static void
test_sigterm (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  gushort code;

  g_assert_cmpint (test_visitor_say (world->visitor, "Goodbye soon", NULL), ==, 1);

  /* Asserts exit status 0. */
  test_relay_stop (world->relay);

  code = test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS);
  g_test_message ("visitor socket closed with %u", code);
  g_assert_cmpuint (code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  code = test_ws_wait_closed (world->agent, TEST_TIMEOUT_MS);
  g_assert_cmpuint (code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}

static void
test_restart_keeps_data (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) messages = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  JsonArray *array;

  test_visitor_say (world->visitor, "Remember me", &conversation_id);
  g_clear_pointer (&world->visitor, test_ws_free);
  g_clear_pointer (&world->agent, test_ws_free);

  test_relay_stop (world->relay);
  test_relay_start (world->relay);

  /* Tokens, accounts, conversations and visitors survive. */
  me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);
  test_assert_http_status (me, 200);

  path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  messages = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (messages, 200);
  array = test_obj_array (test_response_object (messages), "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "body"), ==,
                   "Remember me");

  visitor = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (visitor, world->visitor_id, world->visitor_token,
                                "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (welcome, "conversation.id"), ==, conversation_id);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/http/healthz", test_healthz);
  test_harness_add ("/relay/http/login", test_login);
  test_harness_add ("/relay/http/login-bad-input", test_login_bad_input);
  test_harness_add ("/relay/http/login-rate-limit", test_login_rate_limit);
  test_harness_add ("/relay/http/me", test_me);
  test_harness_add ("/relay/http/sites", test_sites);
  test_harness_add ("/relay/http/sites-roles", test_sites_roles);
  test_harness_add ("/relay/http/conversations", test_conversations_listing);
  test_harness_add ("/relay/http/widget-config", test_widget_config);
  test_harness_add ("/relay/http/logout", test_logout);
  test_harness_add ("/relay/http/expired-token", test_expired_token);
  test_harness_add ("/relay/http/security-headers", test_security_headers);
  test_harness_add ("/relay/http/cors", test_cors);
  test_harness_add ("/relay/http/admin-cli", test_admin_cli);
  test_harness_add ("/relay/http/sigterm", test_sigterm);
  test_harness_add ("/relay/http/restart-keeps-data", test_restart_keeps_data);

  return g_test_run ();
}
