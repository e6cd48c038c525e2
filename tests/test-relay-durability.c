/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-durability.c: nothing acknowledged is lost, nothing is stored twice, whatever
 * happens to the relay (SIGKILL mid-burst, SIGTERM with clients connected), and its log keeps
 * no secrets.
 */

#include "relay-harness.h"
#include "relay-raw.h"

#include <string.h>

#define BURST        300
#define KILL_AFTER   100

static char *
burst_body (guint i)
{
  return g_strdup_printf ("burst message %03u", i);
}

static void
sigkill_mid_burst (const char *synchronous)
{
  g_autofree char *config = g_strdup_printf ("[store]\nsynchronous=%s\n", synchronous);
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(GHashTable) acked = g_hash_table_new (g_str_hash, g_str_equal);  /* id → seq */
  g_autoptr(GHashTable) stored = g_hash_table_new (g_str_hash, g_str_equal); /* id → seq */
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(GPtrArray) resumed = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestResponse) listing = NULL;
  g_autoptr(GHashTable) bodies = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  gint64 stored_max = 0;
  gint64 next_new;
  gint64 cursor_before = world->synced_cursor;
  JsonArray *messages;
  guint agent_seen[BURST + 1] = { 0, };

  test_ws_ignore (world->visitor, "message", "agents_online", "conversation", NULL);

  for (guint i = 0; i < BURST; i++)
    {
      g_autofree char *body = burst_body (i);
      char *client_id = test_client_id ();

      g_ptr_array_add (ids, client_id);
      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'%s'}",
                     client_id, body);
    }

  /* Acks as they come; the relay dies after about a third. */
  while (g_hash_table_size (acked) < KILL_AFTER)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);
      char *client_id = NULL;

      for (guint i = 0; i < ids->len; i++)
        if (g_strcmp0 (g_ptr_array_index (ids, i), test_obj_string (ack, "client_id")) == 0)
          client_id = g_ptr_array_index (ids, i);
      g_assert_nonnull (client_id);
      g_assert_false (g_hash_table_contains (acked, client_id));
      g_hash_table_insert (acked, client_id, GINT_TO_POINTER ((int) test_obj_int (ack, "seq")));
      if (conversation_id == NULL)
        conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
    }
  test_relay_kill (world->relay);
  /* Acks that were already on their way count as acknowledged too. */
  for (;;)
    {
      g_autoptr(JsonObject) ack = test_ws_find (world->visitor, "ack", 0);

      if (ack == NULL)
        break;
      for (guint i = 0; i < ids->len; i++)
        if (g_strcmp0 (g_ptr_array_index (ids, i), test_obj_string (ack, "client_id")) == 0)
          g_hash_table_insert (acked, g_ptr_array_index (ids, i),
                               GINT_TO_POINTER ((int) test_obj_int (ack, "seq")));
    }
  g_test_message ("killed the relay (synchronous=%s) with %u of %u messages acknowledged",
                  synchronous, g_hash_table_size (acked), BURST);
  g_clear_pointer (&world->visitor, test_ws_free);
  g_clear_pointer (&world->agent, test_ws_free);

  test_relay_start (world->relay);

  /* The visitor comes back and resumes from the start. */
  visitor = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", NULL);
  welcome = test_visitor_hello (visitor, world->visitor_id, world->visitor_token,
                                "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  test_ws_sendf (visitor, "{'type':'resume','after_seq':0}");
  resumed = test_ws_drain (visitor, 1500);

  for (guint i = 0; i < resumed->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (resumed, i);
      const char *client_id = NULL;
      gint64 seq;

      if (g_strcmp0 (test_obj_string (frame, "type"), "message") != 0)
        continue;
      seq = test_obj_int (frame, "seq");
      g_assert_cmpint (seq, ==, stored_max + 1);   /* 1..N, in order, no gap */
      stored_max = seq;
      g_assert_cmpstr (test_obj_string (frame, "conversation_id"), ==, conversation_id);

      for (guint j = 0; j < ids->len; j++)
        if (test_obj_has (frame, "client_id") &&
            g_strcmp0 (g_ptr_array_index (ids, j), test_obj_string (frame, "client_id")) == 0)
          client_id = g_ptr_array_index (ids, j);
      g_assert_nonnull (client_id);
      g_assert_false (g_hash_table_contains (stored, client_id));
      g_hash_table_insert (stored, (char *) client_id, GINT_TO_POINTER ((int) seq));
    }
  g_test_message ("%u messages survived", g_hash_table_size (stored));

  /* Every acknowledged message is there, exactly once, with its seq. */
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, acked);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        if (!g_hash_table_contains (stored, key))
          g_error ("acknowledged message %s (seq %d) was lost", (char *) key,
                   GPOINTER_TO_INT (value));
        g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (stored, key)), ==,
                         GPOINTER_TO_INT (value));
      }
  }

  /* A blind retry of all of them: old ones keep their seq, the rest get new ones. */
  for (guint i = 0; i < BURST; i++)
    {
      g_autofree char *body = burst_body (i);

      test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s'}",
                     (char *) g_ptr_array_index (ids, i), body);
    }
  next_new = stored_max + 1;
  for (guint i = 0; i < BURST; i++)
    {
      const char *client_id = g_ptr_array_index (ids, i);
      g_autoptr(JsonObject) ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id,
                                                          TEST_TIMEOUT_MS);
      gint64 seq = test_obj_int (ack, "seq");

      if (g_hash_table_contains (stored, client_id))
        g_assert_cmpint (seq, ==, GPOINTER_TO_INT (g_hash_table_lookup (stored, client_id)));
      else
        g_assert_cmpint (seq, ==, next_new++);
    }
  g_assert_cmpint (next_new, ==, BURST + 1);

  path = g_strdup_printf ("/api/v1/conversations/%s/messages?limit=500", conversation_id);
  listing = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (listing, 200);
  messages = test_obj_array (test_response_object (listing), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, BURST);
  for (guint i = 0; i < BURST; i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      const char *body = test_obj_string (message, "body");

      g_assert_cmpint (test_obj_int (message, "seq"), ==, i + 1);
      g_assert_false (g_hash_table_contains (bodies, body));
      g_hash_table_add (bodies, (char *) body);
    }

  /* An agent resuming from before the burst sees every message event exactly once. */
  agent = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (agent, cursor_before, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "message") == 0)
        {
          gint64 seq = test_obj_int (frame, "seq");

          g_assert_cmpint (seq, >=, 1);
          g_assert_cmpint (seq, <=, BURST);
          agent_seen[seq]++;
        }
    }
  for (guint seq = 1; seq <= BURST; seq++)
    if (agent_seen[seq] != 1)
      g_error ("the agent saw message seq %u %u times after resuming", seq, agent_seen[seq]);
}

static void
test_sigkill_normal (void)
{
  sigkill_mid_burst ("normal");
}

static void
test_sigkill_full (void)
{
  sigkill_mid_burst ("full");
}

static void
test_sigterm_close (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) second_visitor = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) welcome = test_visitor_hello (second_visitor, NULL, NULL,
                                                      "https://a.test/2");
  g_autofree char *conversation_id = NULL;
  g_autoptr(TestResponse) messages = NULL;
  g_autofree char *path = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) again = NULL;

  test_visitor_say (world->visitor, "before the shutdown", &conversation_id);

  /* Asserts exit status 0. */
  test_relay_stop (world->relay);

  g_assert_cmpuint (test_ws_wait_closed (world->agent, TEST_TIMEOUT_MS), ==, 1001);
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==, 1001);
  g_assert_cmpuint (test_ws_wait_closed (second_visitor, TEST_TIMEOUT_MS), ==, 1001);

  /* And it comes back with everything. */
  test_relay_start (world->relay);
  path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  messages = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (messages, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (messages),
                                                           "messages")), ==, 1);
  visitor = test_ws_widget (world->relay, world->site_key);
  again = test_visitor_hello (visitor, world->visitor_id, world->visitor_token, "https://a.test/");
  g_assert_cmpint (test_visitor_say (visitor, "after the restart", NULL), ==, 2);
}

static void
assert_not_logged (const char *log,
                   const char *what,
                   const char *secret)
{
  const char *found = strstr (log, secret);

  if (found != NULL)
    {
      const char *line = found;
      const char *end = strchr (found, '\n');

      while (line > log && line[-1] != '\n')
        line--;
      if (end == NULL)
        end = found + strlen (found);
      g_error ("the relay logged the %s “%s”: %.*s", what, secret, (int) (end - line), line);
    }
}

static void
test_log_hygiene (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *log = NULL;
  g_autofree char *own_address = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(GString) scrubbed = NULL;
  g_autoptr(JsonObject) preview = NULL;

  world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);

  /* Again with every debug message on: the relay inherits this environment (set only around
   * its start, so that the admin commands keep a clean stdout). */
  test_relay_stop (world->relay);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  test_relay_start (world->relay);
  g_unsetenv ("G_MESSAGES_DEBUG");
  own_address = g_strdup (test_relay_base_url (world->relay) + strlen ("http://"));

  g_free (world->token);
  world->token = test_relay_login (world->relay, world->email, world->password);
  world->agent = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (world->agent, 0, NULL);
  world->visitor = test_ws_widget (world->relay, world->site_key);
  world->welcome = test_visitor_hello (world->visitor, NULL, NULL, "https://a.test/");
  world->visitor_token = g_strdup (test_obj_string (world->welcome, "visitor_token"));

  test_ws_sendf (world->visitor, "{'type':'typing','preview':'SECRET-TYPING-789'}");
  test_visitor_say (world->visitor, "SECRET-BODY-123", &conversation_id);
  test_ws_sendf (world->visitor, "{'type':'typing','preview':'SECRET-TYPING-790'}");
  preview = test_ws_wait_for_match (world->agent, "typing_preview", "text", "SECRET-TYPING-790",
                                    TEST_TIMEOUT_MS);
  test_agent_say (world->agent, conversation_id, "SECRET-REPLY-456");
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'x','body':'SECRET-BAD-%d'}", 5);
  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Mallory',"
                 "'email':'secret-mail@example.org','body':'SECRET-LEFT-321'}");
  test_ws_sendf (world->visitor, "{not json SECRET-GARBAGE-654");
  wrong = test_http (world->relay, "POST", "/api/v1/auth/login", NULL,
                     "{\"email\":\"owner@a.test\",\"password\":\"SECRET-WRONG-PASSWORD\"}", NULL);
  test_assert_http_status (wrong, 401);
  unknown = test_http (world->relay, "GET", "/api/v1/me", "SECRET-GARBAGE-TOKEN", NULL, NULL);
  test_assert_http_status (unknown, 401);
  test_sleep_ms (300);

  test_relay_stop (world->relay);
  log = test_relay_get_stderr (world->relay);
  g_assert_cmpuint (strlen (log), >, 0);

  assert_not_logged (log, "message body", "SECRET-BODY-123");
  assert_not_logged (log, "agent's message body", "SECRET-REPLY-456");
  assert_not_logged (log, "typing preview", "SECRET-TYPING-78");
  assert_not_logged (log, "typing preview", "SECRET-TYPING-79");
  assert_not_logged (log, "refused frame", "SECRET-BAD");
  assert_not_logged (log, "left message", "SECRET-LEFT-321");
  assert_not_logged (log, "visitor e-mail", "secret-mail@example.org");
  assert_not_logged (log, "garbage frame", "SECRET-GARBAGE-654");
  assert_not_logged (log, "password", world->password);
  assert_not_logged (log, "wrong password", "SECRET-WRONG-PASSWORD");
  assert_not_logged (log, "token", world->token);
  assert_not_logged (log, "garbage token", "SECRET-GARBAGE-TOKEN");
  assert_not_logged (log, "visitor token", world->visitor_token);

  /* The client's address (the relay's own listening address may appear). */
  scrubbed = g_string_new (log);
  g_string_replace (scrubbed, own_address, "<listen>", 0);
  assert_not_logged (scrubbed->str, "client IP address", "127.0.0.1");
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/durability/sigkill-mid-burst-normal", test_sigkill_normal);
  test_harness_add ("/relay/durability/sigkill-mid-burst-full", test_sigkill_full);
  test_harness_add ("/relay/durability/sigterm-closes-1001", test_sigterm_close);
  test_harness_add ("/relay/durability/log-hygiene", test_log_hygiene);

  return g_test_run ();
}
