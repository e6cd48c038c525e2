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

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/pgstore/database-lost", test_database_lost);

  return g_test_run ();
}
