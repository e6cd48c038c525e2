/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-apikeys.c: a site's API keys (issue 15) against a real relay — made by admins, shown
 * once and never again, audited; each scope opens its routes and nothing else, for the key's
 * site only; a revoked key is refused at once; a key's message reaches the visitor and the
 * agents like an agent's, once per client_id; a key (or a member) sets a visitor's name and
 * e-mail; a key is rate limited. */

#include "relay-harness.h"

#include <string.h>

typedef struct {
  char *id;
  char *key;
} Key;

static void
key_free (Key *key)
{
  g_free (key->id);
  g_free (key->key);
  g_free (key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Key, key_free)

static Key *
create_key (TestWorld  *world,
            const char *name,
            const char *scopes_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/api-keys", world->site_id);
  g_autofree char *scopes = g_strdelimit (g_strdup (scopes_json), "'", '"');
  g_autofree char *body = test_json ("{'name':'%s','scopes':%s}", name, scopes);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);
  JsonObject *object;
  Key *key = g_new0 (Key, 1);

  test_assert_http_status (response, 201);
  object = test_response_object (response);
  key->id = g_strdup (test_obj_string (object, "id"));
  key->key = g_strdup (test_obj_string (object, "key"));
  return key;
}

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", "typing", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "typing", NULL);
}

/* A conversation of another site, with a visitor of its own. */
static char *
foreign_conversation (TestWorld *world,
                      char     **out_visitor_id,
                      char     **out_site_id)
{
  g_autofree char *token = NULL, *site_key = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  char *conversation_id = NULL;

  test_world_add_tenant (world, "b", &token, out_site_id, &site_key);
  visitor = test_ws_widget (world->relay, site_key);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://b.test/");
  *out_visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  test_visitor_say (visitor, "Elsewhere", &conversation_id);
  return conversation_id;
}

static void
test_key_lifecycle (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *keys_path = g_strdup_printf ("/api/v1/sites/%s/api-keys", world->site_id);
  g_autofree char *conversations_path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  g_autofree char *conversation_id = NULL, *conversation_path = NULL, *messages_path = NULL;
  g_autofree char *foreign_id = NULL, *foreign_visitor = NULL, *foreign_path = NULL, *foreign_site = NULL;
  g_autofree char *visitor_path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  g_autofree char *listed_text = NULL, *audit_path = NULL, *revoke_path = NULL, *audit_text = NULL;
  g_autoptr(TestResponse) created = NULL, listed = NULL, audit = NULL, revoked = NULL;
  g_autoptr(Key) key = NULL;
  JsonObject *object;
  JsonArray *keys;

  quiet_world (world);
  test_visitor_say (world->visitor, "Where is my parcel?", &conversation_id);
  conversation_path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  foreign_id = foreign_conversation (world, &foreign_visitor, &foreign_site);
  foreign_path = g_strdup_printf ("/api/v1/conversations/%s", foreign_id);

  /* bad requests change nothing */
  {
    const char *bad[] = {
      "{'name':'Shop','scopes':['conversations:write']}",
      "{'name':'Shop','scopes':[]}",
      "{'name':'Shop','scopes':['messages:write','messages:write']}",
      "{'name':'','scopes':['messages:write']}",
      "{'name':'Shop','scopes':'messages:write'}",
      "{'name':'Shop','scopes':['messages:write'],'key':'cfk_mine'}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *body = test_json ("%s", bad[i]);
        g_autoptr(TestResponse) response = test_http (world->relay, "POST", keys_path, world->token,
                                                      body, NULL);

        g_assert_cmpuint (response->status, ==, 400);
        g_assert_nonnull (test_response_error_code (response));
      }
  }

  /* made: the key is shown once, with a prefix that tells it apart */
  {
    g_autofree char *body = test_json ("{'name':'Back office','scopes':['conversations:read']}");

    created = test_http (world->relay, "POST", keys_path, world->token, body, NULL);
  }
  test_assert_http_status (created, 201);
  object = test_response_object (created);
  key = g_new0 (Key, 1);
  key->id = g_strdup (test_obj_string (object, "id"));
  key->key = g_strdup (test_obj_string (object, "key"));
  g_assert_true (g_str_has_prefix (key->key, "cfk_"));
  g_assert_cmpuint (strlen (key->key), ==, 4 + 43);
  g_assert_true (g_str_has_prefix (key->key, test_obj_string (object, "prefix")));
  g_assert_cmpuint (strlen (test_obj_string (object, "prefix")), <, strlen (key->key) / 2);
  g_assert_cmpstr (test_obj_string (object, "created_by.id"), ==, world->user_id);
  g_assert_true (test_obj_is_null (object, "last_used_at"));

  /* ... and never again */
  listed = test_http (world->relay, "GET", keys_path, world->token, NULL, NULL);
  test_assert_http_status (listed, 200);
  listed_text = test_response_text (listed);
  g_assert_null (strstr (listed_text, key->key));
  g_assert_null (strstr (listed_text, "\"key\""));
  keys = test_obj_array (test_response_object (listed), "api_keys");
  g_assert_cmpuint (json_array_get_length (keys), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (keys, 0), "name"), ==, "Back office");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/api-keys/%s", key->id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_error (response, 405, "method_not_allowed");
  }

  /* conversations:read opens the site's conversations, one, its messages */
  {
    g_autoptr(TestResponse) list = test_http (world->relay, "GET", conversations_path, key->key, NULL, NULL);
    g_autoptr(TestResponse) one = test_http (world->relay, "GET", conversation_path, key->key, NULL, NULL);
    g_autoptr(TestResponse) messages = test_http (world->relay, "GET", messages_path, key->key, NULL, NULL);
    JsonArray *array;

    test_assert_http_status (list, 200);
    array = test_obj_array (test_response_object (list), "conversations");
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "id"), ==, conversation_id);
    test_assert_http_status (one, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (one), "id"), ==, conversation_id);
    test_assert_http_status (messages, 200);
    array = test_obj_array (test_response_object (messages), "messages");
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (array, 0), "body"), ==,
                     "Where is my parcel?");
  }

  /* ... and nothing else: other scopes' routes, other routes, another site's data */
  {
    g_autofree char *other_site_conversations = NULL;
    g_autofree char *foreign_visitor_path = g_strdup_printf ("/api/v1/visitors/%s", foreign_visitor);
    g_autofree char *post = test_json ("{'body':'Hello'}");
    g_autofree char *patch = test_json ("{'name':'Ann'}");
    g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autofree char *foreign_messages = g_strdup_printf ("%s/messages", foreign_path);
    g_autofree char *labels_path = g_strdup_printf ("%s/labels", conversation_path);
    struct { const char *method, *path, *body; } refused[] = {
      { "POST",  messages_path, post },
      { "PATCH", visitor_path, patch },
      { "GET",   visitor_path, NULL },
      { "GET",   "/api/v1/me", NULL },
      { "GET",   "/api/v1/sites", NULL },
      { "GET",   site_path, NULL },
      { "GET",   keys_path, NULL },
      { "POST",  keys_path, NULL },
      { "GET",   labels_path, NULL },
      { "GET",   foreign_path, NULL },
      { "GET",   foreign_messages, NULL },
      { "PATCH", foreign_visitor_path, patch },
      { "GET",   "/api/v1/search?q=parcel", NULL },
      { "GET",   "/api/v1/uploads/upl_00000000000000000000", NULL },
    };

    other_site_conversations = g_strdup_printf ("/api/v1/sites/%s/conversations", foreign_site);

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr(TestResponse) response = test_http (world->relay, refused[i].method, refused[i].path,
                                                      key->key, refused[i].body, NULL);

        if (response->status != 403)
          g_printerr ("%s %s: %u\n", refused[i].method, refused[i].path, response->status);
        test_assert_http_error (response, 403, "forbidden");
      }
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", other_site_conversations,
                                                    key->key, NULL, NULL);
      test_assert_http_error (response, 403, "forbidden");
    }
  }

  /* used: last_used_at says when — written once a minute at most, not at every request */
  {
    g_autoptr(TestResponse) again = test_http (world->relay, "GET", keys_path, world->token, NULL, NULL);
    JsonObject *entry = json_array_get_object_element (test_obj_array (test_response_object (again),
                                                                       "api_keys"), 0);
    g_autofree char *first_use = g_strdup (test_obj_string (entry, "last_used_at"));
    g_autoptr(TestResponse) used = NULL, later = NULL;

    test_sleep_ms (20);
    used = test_http (world->relay, "GET", conversation_path, key->key, NULL, NULL);
    test_assert_http_status (used, 200);
    later = test_http (world->relay, "GET", keys_path, world->token, NULL, NULL);
    entry = json_array_get_object_element (test_obj_array (test_response_object (later), "api_keys"), 0);
    g_assert_cmpstr (test_obj_string (entry, "last_used_at"), ==, first_use);
  }

  /* an agent of the site may not revoke it; the owner may, and it is refused at once */
  revoke_path = g_strdup_printf ("/api/v1/api-keys/%s", key->id);
  revoked = test_http (world->relay, "DELETE", revoke_path, world->token, NULL, NULL);
  test_assert_http_status (revoked, 204);
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", conversation_path, key->key, NULL, NULL);
    g_autoptr(TestResponse) twice = test_http (world->relay, "DELETE", revoke_path, world->token, NULL, NULL);
    g_autoptr(TestResponse) unknown = test_http (world->relay, "GET", conversation_path,
                                                 "cfk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL);
    g_autoptr(TestResponse) after = test_http (world->relay, "GET", keys_path, world->token, NULL, NULL);

    g_autoptr(TestResponse) upload = test_http (world->relay, "GET", "/api/v1/uploads/upl_00000000000000000000",
                                                key->key, NULL, NULL);

    test_assert_http_error (response, 401, "unauthorized");
    test_assert_http_error (upload, 401, "unauthorized");
    test_assert_http_error (twice, 404, "not_found");
    test_assert_http_error (unknown, 401, "unauthorized");
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (after), "api_keys")), ==, 0);
  }

  /* both are in the audit log, the key itself nowhere (the PostgreSQL store cannot list the
   * audit log yet) */
  if (!test_store_is_postgresql ())
    {
      audit_path = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
      audit = test_http (world->relay, "GET", audit_path, world->token, NULL, NULL);
      test_assert_http_status (audit, 200);
      audit_text = test_response_text (audit);
      g_assert_nonnull (strstr (audit_text, "\"api_key.created\""));
      g_assert_nonnull (strstr (audit_text, "\"api_key.revoked\""));
      g_assert_null (strstr (audit_text, key->key + 4));
    }
  {
    g_autofree char *log = test_relay_get_stderr (world->relay);
    g_assert_null (strstr (log, key->key + 4));
  }
}

static void
test_key_messages_and_contacts (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL, *messages_path = NULL;
  g_autofree char *visitor_path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  g_autoptr(Key) key = NULL;
  g_autoptr(TestResponse) posted = NULL, again = NULL, conflict = NULL, patched = NULL;
  g_autoptr(JsonObject) to_visitor = NULL, to_agent = NULL, visitor_event = NULL;
  JsonObject *message;
  gint64 seq;

  quiet_world (world);
  test_visitor_say (world->visitor, "Is it in stock?", &conversation_id);
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  g_clear_pointer (&to_agent, json_object_unref);
  to_agent = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
  g_clear_pointer (&to_agent, json_object_unref);
  key = create_key (world, "Shop", "['messages:write','contacts:write']");

  /* a message from the back office: the visitor and the agents get it like an agent's */
  {
    g_autofree char *body = test_json ("{'body':'Yes, 3 left','client_id':'order-17'}");
    posted = test_http (world->relay, "POST", messages_path, key->key, body, NULL);
  }
  test_assert_http_status (posted, 201);
  message = test_response_object (posted);
  g_assert_cmpstr (test_obj_string (message, "body"), ==, "Yes, 3 left");
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (message, "sender.name"), ==, "Shop");
  g_assert_cmpstr (test_obj_string (message, "client_id"), ==, "order-17");
  seq = test_obj_int (message, "seq");
  g_assert_cmpint (seq, ==, 2);

  to_visitor = test_ws_wait_for_match (world->visitor, "message", "body", "Yes, 3 left", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (to_visitor, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (to_visitor, "sender.name"), ==, "Shop");
  to_agent = test_ws_wait_for_match (world->agent, "message", "body", "Yes, 3 left", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (to_agent, "seq"), ==, seq);

  /* the same client_id again (a retry after a lost answer): the same message, nobody told twice */
  {
    g_autofree char *body = test_json ("{'body':'Yes, 3 left','client_id':'order-17'}");
    again = test_http (world->relay, "POST", messages_path, key->key, body, NULL);
  }
  test_assert_http_status (again, 200);
  g_assert_cmpint (test_obj_int (test_response_object (again), "seq"), ==, seq);
  test_ws_expect_none (world->visitor, "message", TEST_QUIET_MS);
  {
    g_autofree char *body = test_json ("{'body':'No, sold out','client_id':'order-17'}");
    conflict = test_http (world->relay, "POST", messages_path, key->key, body, NULL);
  }
  test_assert_http_error (conflict, 409, "client_id_conflict");
  {
    g_autofree char *empty = test_json ("{'body':'   '}");
    g_autofree char *missing = test_json ("{'client_id':'x'}");
    g_autoptr(TestResponse) r1 = test_http (world->relay, "POST", messages_path, key->key, empty, NULL);
    g_autoptr(TestResponse) r2 = test_http (world->relay, "POST", messages_path, key->key, missing, NULL);
    g_autoptr(TestResponse) r3 = test_http (world->relay, "GET", messages_path, key->key, NULL, NULL);

    test_assert_http_error (r1, 400, "invalid_value");
    test_assert_http_status (r2, 400);
    /* no conversations:read */
    test_assert_http_error (r3, 403, "forbidden");
  }

  /* the visitor's name and e-mail: the key's, and a member's (agents hear of it: listening
   * before the change, the frame may come before the answer) */
  test_ws_unignore (world->agent, "visitor");
  {
    g_autofree char *body = test_json ("{'name':'Ann Lee','email':'ann@example.com'}");
    patched = test_http (world->relay, "PATCH", visitor_path, key->key, body, NULL);
  }
  test_assert_http_status (patched, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (patched), "name"), ==, "Ann Lee");
  g_assert_cmpstr (test_obj_string (test_response_object (patched), "email"), ==, "ann@example.com");
  visitor_event = test_ws_wait_for_match (world->agent, "visitor", "visitor.name", "Ann Lee", TEST_TIMEOUT_MS);
  {
    g_autofree char *bad = test_json ("{'email':'not an address'}");
    g_autofree char *member = test_json ("{'email':null}");
    g_autofree char *none = test_json ("{}");
    g_autoptr(TestResponse) r1 = test_http (world->relay, "PATCH", visitor_path, key->key, bad, NULL);
    g_autoptr(TestResponse) r2 = test_http (world->relay, "PATCH", visitor_path, world->token, member, NULL);
    g_autoptr(TestResponse) r3 = test_http (world->relay, "PATCH", visitor_path, key->key, none, NULL);
    g_autoptr(TestResponse) seen = test_http (world->relay, "GET", visitor_path, world->token, NULL, NULL);

    test_assert_http_error (r1, 400, "invalid_value");
    test_assert_http_status (r2, 200);
    test_assert_http_error (r3, 400, "invalid_value");
    test_assert_http_status (seen, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (seen), "name"), ==, "Ann Lee");
    g_assert_true (test_obj_is_null (test_response_object (seen), "email"));
  }

  /* a member posts over REST too: signed with their name */
  {
    g_autofree char *body = test_json ("{'body':'Anything else?'}");
    g_autoptr(TestResponse) response = test_http (world->relay, "POST", messages_path, world->token, body, NULL);
    g_autoptr(JsonObject) seen = NULL;

    test_assert_http_status (response, 201);
    g_assert_cmpstr (test_obj_string (test_response_object (response), "sender.id"), ==, world->user_id);
    seen = test_ws_wait_for_match (world->visitor, "message", "body", "Anything else?", TEST_TIMEOUT_MS);
  }
}

static void
test_key_rate_limited (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\napi-requests-per-minute=5\n",
                                               TEST_WORLD_NO_AGENT);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  g_autoptr(Key) key = create_key (world, "Busy", "['conversations:read']");
  g_autoptr(Key) other = create_key (world, "Calm", "['conversations:read']");
  guint allowed = 0;

  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, key->key, NULL, NULL);

      if (response->status == 200)
        allowed++;
      else
        {
          test_assert_http_error (response, 429, "rate_limited");
          g_assert_nonnull (test_response_header (response, "Retry-After"));
        }
    }
  g_assert_cmpuint (allowed, ==, 5);

  /* per key: another key of the site is not held back */
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, other->key, NULL, NULL);
    test_assert_http_status (response, 200);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/apikeys/lifecycle", test_key_lifecycle);
  test_harness_add ("/relay/apikeys/messages-and-contacts", test_key_messages_and_contacts);
  test_harness_add ("/relay/apikeys/rate-limited", test_key_rate_limited);

  return g_test_run ();
}
