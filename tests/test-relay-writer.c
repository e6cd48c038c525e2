/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-writer.c: [store] writer-thread=true — visitors' messages stored on a second thread
 * keep every promise of the main loop's path: acks after durable, in order, each message once
 * to agents in cursor order, blind retries and reused client ids answered as before, a
 * conversation resolved meanwhile reopened, and the database shared correctly with other
 * processes (the admin CLI) while two connections of the relay have it open.
 *
 * Also run on PostgreSQL (test-relay-writer-postgresql), where the writer stores each batch in
 * one pipelined flight (confab_store_append_batch ()); SQLite's own cases (its write lock, its
 * checkpoints) are skipped there.
 */

#include "relay-harness.h"

#include <glib/gstdio.h>

#include <sqlite3.h>
#include <string.h>

#define WRITER_CONFIG "[store]\nsynchronous=normal\nwriter-thread=true\n"
#define BURST 300

/* A burst far larger than one writer batch: every ack in order with rising seqs, the agent
 * hears each message once, in the order of the seqs, with rising cursors. */
static void
test_writer_burst (void)
{
  g_autoptr(TestWorld) world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *conversation_id = NULL;
  gint64 first_seq, last_seq, last_cursor = world->synced_cursor;
  guint heard = 0;

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", "presence", NULL);

  /* the first message makes the conversation on the main loop; the rest go to the writer */
  first_seq = test_visitor_say (world->visitor, "First", &conversation_id);

  for (guint i = 0; i < BURST; i++)
    {
      char *client_id = test_client_id ();

      g_ptr_array_add (ids, client_id);
      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'burst %u'}",
                     client_id, i);
    }

  last_seq = first_seq;
  for (guint i = 0; i < BURST; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);

      g_assert_nonnull (ack);
      g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, g_ptr_array_index (ids, i));
      g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, conversation_id);
      g_assert_cmpint (test_obj_int (ack, "seq"), ==, last_seq + 1);
      last_seq = test_obj_int (ack, "seq");
    }

  while (heard < BURST + 1)
    {
      g_autoptr(JsonObject) message = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
      gint64 cursor;

      g_assert_nonnull (message);
      cursor = test_obj_int (message, "cursor");
      g_assert_cmpint (cursor, >, last_cursor);
      last_cursor = cursor;
      g_assert_cmpint (test_obj_int (message, "seq"), ==, first_seq + heard);
      if (heard > 0)
        g_assert_cmpstr (test_obj_string (message, "client_id"), ==,
                         g_ptr_array_index (ids, heard - 1));
      heard++;
    }
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);

  /* what was acked is what is stored, in order */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages?limit=500",
                                             conversation_id);
    g_autoptr(TestResponse) listing = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *messages;

    test_assert_http_status (listing, 200);
    messages = test_obj_array (test_response_object (listing), "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, BURST + 1);
    for (guint i = 1; i <= BURST; i++)
      {
        JsonObject *m = json_array_get_object_element (messages, i);

        g_assert_cmpstr (test_obj_string (m, "client_id"), ==, g_ptr_array_index (ids, i - 1));
        g_assert_cmpint (test_obj_int (m, "seq"), ==, first_seq + i);
      }
  }
}

/* The write-ahead log is copied into the database while the relay runs (the writer's
 * checkpoints between batches, not SQLite's inside a COMMIT): the database file grows and the
 * log stays near CHECKPOINT_FRAMES pages, however many messages go through. */
static void
test_writer_checkpoints (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *wal_path = NULL;
  g_autofree char *body = g_strnfill (3000, 'w');
  GStatBuf before, db, wal;
  guint rounds = 0;

  if (test_store_is_postgresql ())
    {
      test_harness_skip ("SQLite's write-ahead log: not on the PostgreSQL store");
      return;
    }
  world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  db_path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  wal_path = g_strconcat (db_path, "-wal", NULL);

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", "presence", "message", NULL);
  test_visitor_say (world->visitor, "First", NULL);
  g_assert_cmpint (g_stat (db_path, &before), ==, 0);

  /* ~3 KB a message: a page or more each; 40 rounds write ~2,000 pages into the log */
  do
    {
      for (guint i = 0; i < 50; i++)
        {
          g_autofree char *client_id = test_client_id ();

          test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'%s %u'}",
                         client_id, body, i);
        }
      for (guint i = 0; i < 50; i++)
        {
          g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);

          g_assert_nonnull (ack);
        }
      g_assert_cmpint (g_stat (db_path, &db), ==, 0);
    }
  while (++rounds < 40 && db.st_size <= before.st_size + 1024 * 1024);

  /* checkpointed while running: the rows are in the database file itself */
  g_assert_cmpint (db.st_size, >, before.st_size + 1024 * 1024);
  /* and the log started over instead of growing with every message (2,000 frames at most:
   * the last checkpoint's and what came since) */
  g_assert_cmpint (g_stat (wal_path, &wal), ==, 0);
  g_assert_cmpint (wal.st_size, <, 2000 * (4096 + 24));
}

/* A blind retry is acknowledged again with its seq and told nobody; a client id used again for
 * another text is refused, as on the main loop's path. */
static void
test_writer_retry_and_conflict (void)
{
  g_autoptr(TestWorld) world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) error = NULL;
  gint64 seq;

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", "presence", NULL);
  test_visitor_say (world->visitor, "First", NULL);
  json_object_unref (test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS));

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Second'}", client_id);
  ack = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  seq = test_obj_int (ack, "seq");
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "client_id", client_id,
                                             TEST_TIMEOUT_MS));

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Second'}", client_id);
  again = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (again, "seq"), ==, seq);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Other'}", client_id);
  error = test_ws_wait_for (world->visitor, "error", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "code"), ==, "client_id_conflict");
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
}

/* Resolved by an agent while the visitor's tab still has it: the writer hands the message back
 * and the main loop reopens the conversation, announces it, then stores the message; the next
 * messages, behind it in the same batch, stay in order. */
static void
test_writer_reopen (void)
{
  g_autoptr(TestWorld) world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *a = test_client_id ();
  g_autofree char *b = test_client_id ();
  g_autoptr(JsonObject) reopened = NULL;
  g_autoptr(JsonObject) ack_a = NULL;
  g_autoptr(JsonObject) ack_b = NULL;
  gint64 seq;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", NULL);
  seq = test_visitor_say (world->visitor, "Question", &conversation_id);

  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "conversation", "conversation.status",
                                             "resolved", TEST_TIMEOUT_MS));

  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'Follow-up'}", a);
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'And more'}", b);
  ack_a = test_ws_wait_for_match (world->visitor, "ack", "client_id", a, TEST_TIMEOUT_MS);
  ack_b = test_ws_wait_for_match (world->visitor, "ack", "client_id", b, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack_a, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (ack_a, "seq"), ==, seq + 1);
  g_assert_cmpint (test_obj_int (ack_b, "seq"), ==, seq + 2);

  reopened = test_ws_wait_for_match (world->agent, "conversation", "conversation.status", "open",
                                     TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (reopened, "conversation.id"), ==, conversation_id);
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "client_id", a,
                                             TEST_TIMEOUT_MS));
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "client_id", b,
                                             TEST_TIMEOUT_MS));
}

/* The relay has the database open twice (the main loop's connection and the writer's). What
 * another process commits meanwhile (here the admin CLI: a new account) is what the relay reads
 * next. Opening the second connection used to open() and close() the database file, which
 * dropped the process's POSIX locks: the CLI then found itself alone, reset the WAL on closing,
 * and the relay went on reading an old snapshot (the login failed). */
static void
test_writer_outside_writes (void)
{
  g_autoptr(TestWorld) world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  g_autofree char *token = NULL, *site_id = NULL, *site_key = NULL;

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_visitor_say (world->visitor, "Hello", NULL);

  /* the CLI creates the account and the site, then the relay signs the owner in */
  test_world_add_tenant (world, "other", &token, &site_id, &site_key);
  g_assert_nonnull (token);
  test_visitor_say (world->visitor, "Still there", NULL);
}

/* Another process holds the write lock longer than the writer waits for it: the messages are
 * neither refused nor lost, and once the lock is free they are stored and acknowledged in the
 * order they were sent. */
static void
test_writer_locked (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;
  gint64 seq;

  if (test_store_is_postgresql ())
    {
      test_harness_skip ("SQLite's write lock: not on the PostgreSQL store");
      return;
    }
  world = test_world_new (WRITER_CONFIG, TEST_WORLD_DEFAULT);
  path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  seq = test_visitor_say (world->visitor, "Before the lock", NULL);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < 5; i++)
    {
      char *client_id = test_client_id ();

      g_ptr_array_add (ids, client_id);
      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'held %u'}",
                     client_id, i);
    }
  /* far longer than the writer's wait for the lock: nothing answered meanwhile, no error */
  test_ws_expect_none (world->visitor, NULL, 600);

  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);

      g_assert_nonnull (ack);
      g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, g_ptr_array_index (ids, i));
      g_assert_cmpint (test_obj_int (ack, "seq"), ==, seq + 1 + i);
    }
  g_assert_null (test_ws_find (world->visitor, "error", 0));
}

int
main (int argc, char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/writer/burst", test_writer_burst);
  test_harness_add ("/relay/writer/retry-and-conflict", test_writer_retry_and_conflict);
  test_harness_add ("/relay/writer/reopen", test_writer_reopen);
  test_harness_add ("/relay/writer/outside-writes", test_writer_outside_writes);
  test_harness_add ("/relay/writer/locked", test_writer_locked);
  test_harness_add ("/relay/writer/checkpoints", test_writer_checkpoints);

  return g_test_run ();
}
