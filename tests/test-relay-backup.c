/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-backup.c: `confab-relay admin backup` against a running relay: the copy is the
 * database as of one commit, it starts a relay of its own, and bad arguments are refused. */
#include "relay-harness.h"

#include <glib/gstdio.h>
#include <string.h>

/* A visitor keeps writing while the backup runs: the copy opens as a relay's data directory and
 * holds a gap-free prefix of the conversation (seq 1…k, every message whole), the owner can log
 * in, and the site's key still works. */
static void
test_backup_while_writing (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *to = g_build_filename (test_relay_tmp_dir (world->relay), "backup.db", NULL);
  g_autofree char *restored_dir = g_build_filename (test_relay_tmp_dir (world->relay), "restored", NULL);
  g_autofree char *restored_db = g_build_filename (restored_dir, "confab.db", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TestRelay) restored = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autofree char *token = NULL;
  gsize length = 0;
  gint64 last_seq = 0;
  guint sent = 0;
  int status;

  test_ws_ignore (world->visitor, "agents_online", "conversation", NULL);
  test_visitor_say (world->visitor, "before the backup", &conversation_id);

  /* in flight while the backup reads: the next messages, unacknowledged yet */
  for (sent = 0; sent < 50; sent++)
    {
      g_autofree char *client_id = test_client_id ();

      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'during %u'}",
                     client_id, sent);
    }
  status = test_relay_admin (world->relay, &out, &err, "backup", "--data-dir",
                             test_relay_data_dir (world->relay), "--to", to, NULL);
  if (status != 0)
    g_printerr ("%s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  g_assert_cmpstr (test_obj_string (json_node_get_object (json_parser_get_root (parser)), "to"), ==, to);
  g_assert_cmpint (test_obj_int (json_node_get_object (json_parser_get_root (parser)), "bytes"), >, 0);

  /* only the file: no -wal or -shm beside it, no partial leftovers, readable by its owner only */
  {
    g_autoptr(GDir) dir = g_dir_open (test_relay_tmp_dir (world->relay), 0, NULL);
    const char *name;
    GStatBuf st;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, "backup.db") && strcmp (name, "backup.db") != 0);
    g_assert_cmpint (g_stat (to, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0077, ==, 0);
  }

  /* the relay wrote on: the acks of what was in flight arrive */
  for (guint acked = 0; acked < sent; acked++)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);
    }

  /* the copy is a data directory of its own */
  g_assert_cmpint (g_mkdir_with_parents (restored_dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (to, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (restored_db, contents, length, NULL));
  restored = test_relay_new_full (NULL, restored_dir);
  test_relay_start (restored);
  token = test_relay_login (restored, world->email, world->password);
  agent = test_ws_agent (restored, token);
  test_agent_subscribe (agent, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "message") != 0)
        continue;
      g_assert_cmpstr (test_obj_string (frame, "conversation_id"), ==, conversation_id);
      g_assert_cmpint (test_obj_int (frame, "seq"), ==, last_seq + 1);
      last_seq = test_obj_int (frame, "seq");
      if (last_seq == 1)
        g_assert_cmpstr (test_obj_string (frame, "body"), ==, "before the backup");
      else
        g_assert_true (g_str_has_prefix (test_obj_string (frame, "body"), "during "));
    }
  g_test_message ("the backup holds %" G_GINT64_FORMAT " of %u messages", last_seq, sent + 1);
  g_assert_cmpint (last_seq, >=, 1);
  g_assert_cmpint (last_seq, <=, sent + 1);

  {
    g_autoptr(TestWs) visitor = test_ws_widget (restored, world->site_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");

    g_assert_nonnull (test_obj_string (welcome, "visitor_id"));
  }
}

/* Each mistake is named, and nothing is written. */
static void
test_backup_refuses (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autofree char *empty_dir = g_build_filename (test_relay_tmp_dir (relay), "empty", NULL);
  g_autofree char *to = g_build_filename (test_relay_tmp_dir (relay), "copy.db", NULL);
  g_autofree char *db = g_build_filename (test_relay_data_dir (relay), "confab.db", NULL);
  g_autofree char *nowhere = g_build_filename (test_relay_tmp_dir (relay), "no-such-dir", "copy.db", NULL);
  struct {
    const char *data_dir;
    const char *to;
    const char *says;
  } cases[] = {
    { NULL, to, "--data-dir and --to are required" },
    { test_relay_data_dir (relay), NULL, "--data-dir and --to are required" },
    { empty_dir, to, "There is no database in" },
    { test_relay_data_dir (relay), db, "must name a new file" },
    { test_relay_data_dir (relay), test_relay_tmp_dir (relay), "must name a new file" },
    { test_relay_data_dir (relay), nowhere, "Cannot create" },
  };

  test_relay_start (relay);
  g_assert_cmpint (g_mkdir_with_parents (empty_dir, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      int status;

      if (cases[i].data_dir == NULL)
        status = test_relay_admin (relay, NULL, &err, "backup", "--to", cases[i].to, NULL);
      else if (cases[i].to == NULL)
        status = test_relay_admin (relay, NULL, &err, "backup", "--data-dir", cases[i].data_dir, NULL);
      else
        status = test_relay_admin (relay, NULL, &err, "backup", "--data-dir", cases[i].data_dir,
                                   "--to", cases[i].to, NULL);
      g_assert_cmpint (status, ==, 1);
      if (strstr (err, cases[i].says) == NULL)
        g_error ("case %u: expected “%s” in: %s", i, cases[i].says, err);
    }
  g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
  {
    g_autofree char *empty_db = g_build_filename (empty_dir, "confab.db", NULL);

    g_assert_false (g_file_test (empty_db, G_FILE_TEST_EXISTS));
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/backup/while-writing", test_backup_while_writing);
  test_harness_add ("/relay/backup/refuses", test_backup_refuses);

  return g_test_run ();
}
