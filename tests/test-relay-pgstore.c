/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-pgstore.c: a relay on the PostgreSQL store (issue 13) when the database goes away
 * and comes back. Runs with CONFAB_TEST_STORE=postgresql (tests/meson.build), skipped without. */

#include "relay-harness.h"

#include <libpq-fe.h>
#include <string.h>

/* Runs @sql on the test's server (the maintenance connection, not the relay's database). */
static void
server_exec (const char *sql)
{
  PGconn *conn = PQconnectdb (g_getenv ("CONFAB_TEST_PG_URL"));
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  PQclear (result);
  PQfinish (conn);
}

/* The relay's database refuses connections and its sessions are ended: PostgreSQL is gone for
 * this relay, as after a crash of the server, until allow_database () . */
static void
cut_database (const char *name)
{
  g_autofree char *deny = g_strdup_printf ("ALTER DATABASE %s ALLOW_CONNECTIONS false", name);
  g_autofree char *kill = g_strdup_printf ("SELECT pg_terminate_backend (pid) FROM pg_stat_activity "
                                           "WHERE datname = '%s'", name);

  server_exec (deny);
  server_exec (kill);
}

static void
allow_database (const char *name)
{
  g_autofree char *allow = g_strdup_printf ("ALTER DATABASE %s ALLOW_CONNECTIONS true", name);

  server_exec (allow);
}

/* Writes are refused with store_unavailable while the database is unreachable (REST: 503 with
 * Retry-After; WebSocket: an error frame; /healthz: database_unreachable), nothing refused is
 * stored, and the relay reconnects by itself: the visitor's resend is stored once. */
static void
test_database_lost (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) health = NULL;
  g_autoptr(TestResponse) listed = NULL;
  g_autoptr(JsonObject) error_frame = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autofree char *conversation_id = NULL, *path = NULL, *client_id = NULL;
  const char *database;
  JsonArray *messages;
  gint64 deadline;

  if (!test_store_is_postgresql ())
    {
      test_harness_skip ("needs CONFAB_TEST_STORE=postgresql (test-relay-pgstore in tests/meson.build)");
      return;
    }

  world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  database = strrchr (test_relay_store_url (world->relay), '/') + 1;
  g_assert_cmpint (test_visitor_say (world->visitor, "before", &conversation_id), ==, 1);
  path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);

  cut_database (database);

  refused = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_error (refused, 503, "store_unavailable");
  g_assert_nonnull (test_response_header (refused, "Retry-After"));

  health = test_http (world->relay, "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (health, 503);
  g_assert_cmpstr (test_obj_string (test_response_object (health), "reason"), ==,
                   "database_unreachable");

  client_id = test_client_id ();
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'after'}", client_id);
  error_frame = test_ws_expect_error (world->visitor, "store_unavailable", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error_frame, "ref"), ==, client_id);

  allow_database (database);

  /* back within the reconnection backoff (at most 5 s between attempts) */
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(TestResponse) again = test_http (world->relay, "GET", "/healthz", NULL, NULL, NULL);

      if (again->status == 200)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (100);
    }

  /* the same frame again: stored now, once */
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'after'}", client_id);
  ack = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 2);

  listed = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (listed, 200);
  messages = test_obj_array (test_response_object (listed), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (messages, 1), "body"), ==,
                   "after");
}

/* Waits for the acks of @client_ids on @ws (other frames stay queued). */
static void
wait_acks (TestWs    *ws,
           GPtrArray *client_ids)
{
  for (guint i = 0; i < client_ids->len; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for_match (ws, "ack", "client_id",
                                                          g_ptr_array_index (client_ids, i),
                                                          TEST_TIMEOUT_MS * 3);
    }
}

/* Two relays on one database, a visitor on each writing at once: an agent on either relay
 * resumes every message from the log, in cursor order, each conversation's seqs gap-free. */
static void
test_two_relays (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(TestRelay) second = NULL;
  g_autoptr(TestWs) visitor2 = NULL;
  g_autoptr(TestWs) agent2 = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(GPtrArray) sent1 = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sent2 = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(GHashTable) last_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 last_cursor = 0;
  guint messages = 0;

  if (!test_store_is_postgresql ())
    {
      test_harness_skip ("needs CONFAB_TEST_STORE=postgresql (test-relay-pgstore in tests/meson.build)");
      return;
    }

  world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  /* the same data dir: the harness gives it the same database */
  second = test_relay_new_full (NULL, test_relay_data_dir (world->relay));
  test_relay_start (second);
  g_assert_cmpstr (test_relay_store_url (second), ==, test_relay_store_url (world->relay));

  visitor2 = test_ws_widget (second, world->site_key);
  welcome = test_visitor_hello (visitor2, NULL, NULL, "https://shop.example/");

  for (int i = 0; i < 20; i++)
    {
      char *id1 = test_client_id (), *id2 = test_client_id ();

      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'a %d'}", id1, i);
      test_ws_sendf (visitor2, "{'type':'message','client_id':'%s','body':'b %d'}", id2, i);
      g_ptr_array_add (sent1, id1);
      g_ptr_array_add (sent2, id2);
    }
  wait_acks (world->visitor, sent1);
  wait_acks (visitor2, sent2);

  /* the sign-in of the first relay works on the second: one database */
  agent2 = test_ws_agent (second, world->token);
  test_agent_subscribe (agent2, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);
      const char *conversation_id;
      gint64 cursor = test_obj_int (frame, "cursor");

      g_assert_cmpint (cursor, >, last_cursor);
      last_cursor = cursor;
      if (g_strcmp0 (test_obj_string (frame, "type"), "message") != 0)
        continue;
      conversation_id = test_obj_string (frame, "conversation_id");
      g_assert_cmpint (test_obj_int (frame, "seq"), ==,
                       GPOINTER_TO_INT (g_hash_table_lookup (last_seq, conversation_id)) + 1);
      g_hash_table_replace (last_seq, g_strdup (conversation_id),
                            GINT_TO_POINTER ((int) test_obj_int (frame, "seq")));
      messages++;
    }
  g_assert_cmpuint (messages, ==, 40);
  g_assert_cmpuint (g_hash_table_size (last_seq), ==, 2);

  test_relay_stop (second);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/pgstore/database-lost", test_database_lost);
  test_harness_add ("/relay/pgstore/two-relays", test_two_relays);

  return g_test_run ();
}
