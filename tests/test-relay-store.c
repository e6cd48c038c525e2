/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-store.c: the relay and its database when things go wrong underneath it — another
 * process holding the write lock, a full disk, a damaged file — and what the files and the
 * names in them let others see.
 *
 * The lock is held from this process through libsqlite3, as the sqlite3 CLI or a backup script
 * would; the full disk is a small tmpfs in a mount namespace of this test's own (so that it
 * disappears with the test, whatever happens), skipped where mounting is not permitted.
 */

#define _GNU_SOURCE

#include "relay-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far below the 5 s the relay used to wait inside SQLite, far above a loaded machine's jitter. */
#define QUICK_MS 1000
/* Longer than the 5 s SQLite busy timeout the relay used to have. */
#define LONG_LOCK_MS 5500

static char *
db_path (TestRelay *relay)
{
  return g_build_filename (test_relay_data_dir (relay), "confab.db", NULL);
}

static sqlite3 *
open_db (TestRelay *relay)
{
  g_autofree char *path = db_path (relay);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
exec_db (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static gint64
count_rows (TestRelay  *relay,
            const char *sql,
            const char *param)
{
  sqlite3 *db = open_db (relay);
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (param != NULL)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

static gint64
elapsed_ms (gint64 since)
{
  return (g_get_monotonic_time () - since) / 1000;
}

/* GET /healthz, asserting it answers within QUICK_MS. */
static TestResponse *
timed_healthz (TestRelay *relay)
{
  gint64 start = g_get_monotonic_time ();
  TestResponse *response = test_http (relay, "GET", "/healthz", NULL, NULL, NULL);

  g_test_message ("/healthz: %u in %" G_GINT64_FORMAT " ms", response->status, elapsed_ms (start));
  g_assert_cmpint (elapsed_ms (start), <, QUICK_MS);
  return response;
}

static void
assert_healthy (TestRelay *relay)
{
  g_autoptr(TestResponse) health = timed_healthz (relay);

  test_assert_http_status (health, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (health), "status"), ==, "ok");
}

static void
assert_degraded (TestRelay  *relay,
                 const char *reason)
{
  g_autoptr(TestResponse) health = timed_healthz (relay);
  JsonObject *object;

  test_assert_http_status (health, 503);
  object = test_response_object (health);
  g_assert_cmpstr (test_obj_string (object, "status"), ==, "degraded");
  g_assert_cmpstr (test_obj_string (object, "reason"), ==, reason);
  g_assert_nonnull (test_response_header (health, "Retry-After"));
}

/* A message frame sent now; its ack is not awaited. */
static char *
send_message (TestWs     *visitor,
              const char *body)
{
  char *client_id = test_client_id ();

  test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id, body);
  return client_id;
}

/* --- another process holds the write lock --- */

static void
test_locked_database (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestWs) other = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/other");
  g_autoptr(TestWs) leaver = test_ws_widget (world->relay, world->site_key);
  g_autoptr(JsonObject) leaver_welcome = test_visitor_hello (leaver, NULL, NULL,
                                                             "https://a.test/bye");
  g_autoptr(JsonObject) departure = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(TestResponse) login = NULL;
  g_autoptr(TestResponse) sites = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *login_body = NULL;
  sqlite3 *db;
  gint64 start, released;
  guint echoes = 0;

  test_ws_ignore (world->agent, "visitor", "conversation", "presence", "agents_online", NULL);
  test_ws_ignore (other, "conversation", "agents_online", NULL);
  assert_healthy (world->relay);

  /* what `sqlite3 confab.db` with BEGIN IMMEDIATE, or a backup holding a write, does */
  db = open_db (world->relay);
  exec_db (db, "BEGIN IMMEDIATE");

  /* a message waits, unacknowledged and unrefused, while the loop keeps serving others: the
   * relay used to sleep in SQLite's busy handler for up to 5 s here, deaf to everyone */
  client_id = send_message (other, "sent while the database was locked");
  assert_degraded (world->relay, "database_busy");

  /* reads still answer, at once */
  start = g_get_monotonic_time ();
  sites = test_http (world->relay, "GET", "/api/v1/sites", world->token, NULL, NULL);
  test_assert_http_status (sites, 200);
  g_assert_cmpint (elapsed_ms (start), <, QUICK_MS);

  /* a write over HTTP is refused at once, with a reason and when to come back */
  login_body = test_json ("{'email':'%s','password':'%s'}", world->email, world->password);
  start = g_get_monotonic_time ();
  login = test_http (world->relay, "POST", "/api/v1/auth/login", NULL, login_body, NULL);
  g_test_message ("login while locked: %u in %" G_GINT64_FORMAT " ms", login->status,
                  elapsed_ms (start));
  g_assert_cmpint (elapsed_ms (start), <, QUICK_MS);
  test_assert_http_error (login, 503, "store_unavailable");
  g_assert_cmpstr (test_response_header (login, "Retry-After"), ==, "1");

  test_ws_expect_none (other, NULL, 300);
  assert_degraded (world->relay, "database_busy");

  /* a visitor who leaves meanwhile is not forgotten: agents hear of it once the lock is free */
  test_ws_unignore (world->agent, "visitor");
  test_ws_close (leaver);
  test_ws_unignore (world->visitor, "pong");
  test_ws_sendf (world->visitor, "{'type':'ping'}");
  g_clear_pointer (&again, json_object_unref);
  again = test_ws_wait_for (world->visitor, "pong", QUICK_MS);
  test_ws_ignore (world->visitor, "pong", NULL);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM messages WHERE client_id = ?",
                               client_id), ==, 0);

  exec_db (db, "ROLLBACK");
  released = g_get_monotonic_time ();

  ack = test_ws_wait_for (other, "ack", TEST_TIMEOUT_MS);
  g_test_message ("ack %" G_GINT64_FORMAT " ms after the lock was released", elapsed_ms (released));
  g_assert_cmpint (elapsed_ms (released), <, QUICK_MS);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, client_id);
  g_assert_null (test_ws_find (other, "error", 0));
  assert_healthy (world->relay);

  for (;;)
    {
      g_clear_pointer (&departure, json_object_unref);
      departure = test_ws_wait_for_match (world->agent, "visitor", "visitor.id",
                                          test_obj_string (leaver_welcome, "visitor_id"),
                                          TEST_TIMEOUT_MS);
      if (!test_obj_bool (departure, "visitor.online"))
        break;
    }
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM page_views WHERE visitor_id = ? "
                                             "AND left_at IS NULL",
                               test_obj_string (leaver_welcome, "visitor_id")), ==, 0);

  /* stored once, told once; a blind retry is acknowledged with the same seq */
  test_ws_sendf (other, "{'type':'message','client_id':'%s','body':'%s'}", client_id,
                 "sent while the database was locked");
  g_clear_pointer (&again, json_object_unref);
  again = test_ws_wait_for_match (other, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (again, "seq"), ==, test_obj_int (ack, "seq"));
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM messages WHERE client_id = ?",
                               client_id), ==, 1);
  for (;;)
    {
      g_autoptr(JsonObject) echo = test_ws_find_match (world->agent, "message", "client_id",
                                                       client_id, TEST_QUIET_MS);
      if (echo == NULL)
        break;
      echoes++;
    }
  g_assert_cmpuint (echoes, ==, 1);

  sqlite3_close (db);
}

/* A lock held longer than any busy timeout (a slow backup): frames that pile up behind it are
 * neither refused nor lost, and come through in order, each acknowledged once; a hello held
 * behind it too. */
static void
test_locked_database_burst (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr(TestWs) newcomer = test_ws_widget (world->relay, world->site_key);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) welcome = NULL;
  gint64 last_seq = 0;
  sqlite3 *db;

  test_ws_ignore (world->visitor, "message", "conversation", "agents_online", NULL);
  db = open_db (world->relay);
  exec_db (db, "BEGIN IMMEDIATE");

  test_ws_sendf (newcomer, "{'type':'hello','page':{'url':'https://a.test/held'}}");
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *body = g_strdup_printf ("held %u", i);
      g_ptr_array_add (ids, send_message (world->visitor, body));
    }
  test_ws_expect_none (world->visitor, NULL, LONG_LOCK_MS);
  test_ws_expect_none (newcomer, NULL, 0);
  assert_degraded (world->relay, "database_busy");

  exec_db (db, "ROLLBACK");
  sqlite3_close (db);

  welcome = test_ws_wait_for (newcomer, "welcome", TEST_TIMEOUT_MS);
  g_assert_nonnull (test_obj_string (welcome, "visitor_id"));
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_expect (world->visitor, "ack", TEST_TIMEOUT_MS);

      g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, g_ptr_array_index (ids, i));
      g_assert_cmpint (test_obj_int (ack, "seq"), >, last_seq);
      last_seq = test_obj_int (ack, "seq");
    }
  g_assert_cmpint (count_rows (world->relay,
                               "SELECT count(*) FROM messages WHERE body LIKE 'held %'", NULL),
                   ==, ids->len);
}

/* What waits for the lock is bounded: past 64 frames of one connection, a frame is answered
 * store_unavailable at once (nothing of it stored); the ones held are acknowledged later, in
 * order, also when there are more of them than the relay lets through in one turn of its loop.
 * An agent's message waits like a visitor's. */
static void
test_locked_database_bounded (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) agent_ack = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *agent_client_id = test_client_id ();
  TestWs *others[4] = { NULL, };
  guint held = 64, sent = 70, acks = 0, others_sent = 60;
  sqlite3 *db;

  test_visitor_say (world->visitor, "before the lock", &conversation_id);
  test_ws_ignore (world->visitor, "message", "conversation", "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "conversation", "presence", "agents_online", "message",
                  NULL);
  for (guint j = 0; j < G_N_ELEMENTS (others); j++)
    {
      g_autoptr(JsonObject) welcome = NULL;

      others[j] = test_ws_widget (world->relay, world->site_key);
      welcome = test_visitor_hello (others[j], NULL, NULL, "https://a.test/many");
      test_ws_ignore (others[j], "message", "conversation", "agents_online", NULL);
    }

  db = open_db (world->relay);
  exec_db (db, "BEGIN IMMEDIATE");

  test_ws_sendf (world->agent, "{'type':'message','conversation_id':'%s','client_id':'%s',"
                               "'body':'an answer written while the database was locked'}",
                 conversation_id, agent_client_id);
  for (guint i = 0; i < sent; i++)
    {
      g_autofree char *body = g_strdup_printf ("bounded %u", i);
      g_ptr_array_add (ids, send_message (world->visitor, body));
    }
  for (guint j = 0; j < G_N_ELEMENTS (others); j++)
    for (guint i = 0; i < others_sent; i++)
      {
        g_autofree char *body = g_strdup_printf ("other %u %u", j, i);
        g_free (send_message (others[j], body));
      }

  /* the ones past the bound are refused at once, by client_id */
  for (guint i = held; i < sent; i++)
    {
      g_autoptr(JsonObject) refused = test_ws_expect_error (world->visitor, "store_unavailable",
                                                            TEST_TIMEOUT_MS);
      g_assert_cmpstr (test_obj_string (refused, "ref"), ==, g_ptr_array_index (ids, i));
      g_assert_cmpint (test_obj_int (refused, "retry_after"), >=, 1);
    }
  test_ws_expect_none (world->visitor, "ack", 200);
  test_ws_expect_none (world->agent, "ack", 0);

  exec_db (db, "ROLLBACK");
  sqlite3_close (db);

  agent_ack = test_ws_wait_for (world->agent, "ack", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (agent_ack, "client_id"), ==, agent_client_id);
  while (acks < held)
    {
      g_autoptr(JsonObject) ack = test_ws_wait_for (world->visitor, "ack", TEST_TIMEOUT_MS);

      g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, g_ptr_array_index (ids, acks));
      acks++;
    }
  test_ws_expect_none (world->visitor, "ack", TEST_QUIET_MS);
  g_assert_cmpint (count_rows (world->relay,
                               "SELECT count(*) FROM messages WHERE body LIKE 'bounded %'", NULL),
                   ==, held);

  for (guint j = 0; j < G_N_ELEMENTS (others); j++)
    {
      gint64 last_seq = 0;

      for (guint i = 0; i < others_sent; i++)
        {
          g_autoptr(JsonObject) ack = test_ws_expect (others[j], "ack", TEST_TIMEOUT_MS);

          g_assert_cmpint (test_obj_int (ack, "seq"), ==, last_seq + 1);
          last_seq = test_obj_int (ack, "seq");
        }
      g_assert_null (test_ws_find (others[j], "error", 0));
      g_clear_pointer (&others[j], test_ws_free);
    }
  g_assert_cmpint (count_rows (world->relay,
                               "SELECT count(*) FROM messages WHERE body LIKE 'other %'", NULL),
                   ==, G_N_ELEMENTS (others) * others_sent);
}

/* --- a full disk --- */

/* A tmpfs of @size_kb at @dir, in a mount namespace of this test process (and the relay it
 * starts): it goes away with them. FALSE when this system does not let us. */
static gboolean
mount_small_tmpfs (const char *dir,
                   guint       size_kb)
{
  g_autofree char *options = g_strdup_printf ("size=%uk,mode=0700", size_kb);

  if (unshare (CLONE_NEWNS) != 0)
    {
      g_autofree char *reason = g_strdup_printf ("cannot make a mount namespace (%s): needs root "
                                                 "or CAP_SYS_ADMIN", g_strerror (errno));
      g_test_skip (reason);
      return FALSE;
    }
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount ("tmpfs", dir, "tmpfs", 0, options) != 0)
    {
      g_autofree char *reason = g_strdup_printf ("cannot mount a tmpfs (%s)", g_strerror (errno));
      g_test_skip (reason);
      return FALSE;
    }
  return TRUE;
}

/* Writes @path until the file system is full. */
static void
fill_disk (const char *path)
{
  static const gsize sizes[] = { 64 * 1024, 4096, 512, 1 };
  g_autofree char *chunk = g_malloc0 (sizes[0]);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    while (write (fd, chunk, sizes[i]) == (gssize) sizes[i])
      ;
  g_assert_cmpint (errno, ==, ENOSPC);
  close (fd);
}

static void
send_hello (TestWs *visitor)
{
  test_ws_sendf (visitor, "{'type':'hello','page':{'url':'https://a.test/full','title':'Full'},"
                          "'locale':'en-GB'}");
}

static void
test_disk_full_hello (void)
{
  g_autofree char *mount_dir = g_dir_make_tmp ("confab-full-XXXXXX", NULL);
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(JsonObject) owner = NULL;
  g_autoptr(JsonObject) site = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autofree char *token = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *client_id = NULL;

  if (!mount_small_tmpfs (mount_dir, 4096))
    {
      g_rmdir (mount_dir);
      return;
    }

  relay = test_relay_new_full (NULL, mount_dir);
  test_relay_start (relay);
  owner = test_relay_create_user (relay, "owner@full.test", "correct horse battery", "Owner");
  site = test_relay_create_site (relay, "owner@full.test", "Site full", NULL);
  token = test_relay_login (relay, "owner@full.test", "correct horse battery");
  agent = test_ws_agent (relay, token);
  test_agent_subscribe (agent, 0, NULL);
  test_ws_ignore (agent, "visitor", "conversation", "presence", "agents_online", NULL);
  visitor = test_ws_widget (relay, test_obj_string (site, "site_key"));
  test_ws_ignore (visitor, "conversation", "agents_online", NULL);

  filler = g_build_filename (mount_dir, "filler", NULL);
  fill_disk (filler);

  /* the hello is answered with an error, not left hanging, and leaves the socket as it was */
  send_hello (visitor);
  error = test_ws_expect_error (visitor, "store_unavailable", TEST_TIMEOUT_MS);
  g_assert_nonnull (strstr (test_obj_string (error, "message"), "full"));
  g_assert_null (test_ws_find (visitor, "welcome", 0));
  assert_degraded (relay, "disk_full");

  send_hello (visitor);
  again = test_ws_expect_error (visitor, "store_unavailable", TEST_TIMEOUT_MS);
  g_assert_null (test_ws_find (visitor, "welcome", 0));

  /* space is back: the same connection says hello and talks */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  send_hello (visitor);
  welcome = test_ws_wait_for (visitor, "welcome", TEST_TIMEOUT_MS);
  g_assert_null (test_ws_find (visitor, "error", 0));
  client_id = send_message (visitor, "after the disk had room again");
  ack = test_ws_wait_for (visitor, "ack", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, client_id);
  echo = test_ws_wait_for_match (agent, "message", "client_id", client_id, TEST_TIMEOUT_MS);
  test_ws_expect_none (agent, "message", TEST_QUIET_MS);
  assert_healthy (relay);

  /* the failed hellos left nothing behind; the message is there once */
  g_assert_cmpint (count_rows (relay, "SELECT count(*) FROM visitors", NULL), ==, 1);
  g_assert_cmpint (count_rows (relay, "SELECT count(*) FROM messages WHERE client_id = ?",
                               client_id), ==, 1);

  g_clear_pointer (&visitor, test_ws_free);
  g_clear_pointer (&agent, test_ws_free);
  g_clear_pointer (&relay, test_relay_free);
  umount2 (mount_dir, MNT_DETACH);
  g_rmdir (mount_dir);
}

/* A message whose batch fails is answered with an error; the conversation it would have made
 * is not left in the connection's memory; the retry works once there is room. */
static void
test_disk_full_message (void)
{
  g_autofree char *mount_dir = g_dir_make_tmp ("confab-full-XXXXXX", NULL);
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(JsonObject) owner = NULL;
  g_autoptr(JsonObject) site = NULL;
  g_autoptr(JsonObject) error = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *body = NULL;

  if (!mount_small_tmpfs (mount_dir, 4096))
    {
      g_rmdir (mount_dir);
      return;
    }

  relay = test_relay_new_full (NULL, mount_dir);
  test_relay_start (relay);
  owner = test_relay_create_user (relay, "owner@full.test", "correct horse battery", "Owner");
  site = test_relay_create_site (relay, "owner@full.test", "Site full", NULL);
  visitor = test_ws_widget (relay, test_obj_string (site, "site_key"));
  test_ws_ignore (visitor, "conversation", "agents_online", "message", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");

  filler = g_build_filename (mount_dir, "filler", NULL);
  fill_disk (filler);

  /* a body big enough that its pages cannot fit in what the WAL already holds */
  body = g_strnfill (3900, 'x');
  client_id = send_message (visitor, body);
  error = test_ws_expect_error (visitor, "store_unavailable", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (error, "ref"), ==, client_id);
  g_assert_null (test_ws_find (visitor, "ack", 0));

  g_assert_cmpint (g_unlink (filler), ==, 0);
  test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id, body);
  ack = test_ws_wait_for (visitor, "ack", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "client_id"), ==, client_id);
  g_assert_cmpint (test_obj_int (ack, "seq"), ==, 1);
  g_assert_cmpint (count_rows (relay, "SELECT count(*) FROM messages WHERE client_id = ?",
                               client_id), ==, 1);
  g_assert_cmpint (count_rows (relay, "SELECT count(*) FROM conversations", NULL), ==, 1);

  g_clear_pointer (&visitor, test_ws_free);
  g_clear_pointer (&relay, test_relay_free);
  umount2 (mount_dir, MNT_DETACH);
  g_rmdir (mount_dir);
}

/* --- the files --- */

static void
assert_private (const char *path)
{
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  if ((st.st_mode & 0777) != 0600)
    g_test_message ("%s has mode %o", path, st.st_mode & 0777);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_file_modes (void)
{
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;

  /* the most common umask, which made them 0644 */
  umask (022);
  world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  test_visitor_say (world->visitor, "something to write", NULL);

  path = db_path (world->relay);
  wal = g_strconcat (path, "-wal", NULL);
  shm = g_strconcat (path, "-shm", NULL);
  assert_private (path);
  assert_private (wal);
  assert_private (shm);

  /* files an older relay left world-readable are made private at the next start */
  test_relay_stop (world->relay);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  test_relay_start (world->relay);
  assert_private (path);
  visitor = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (visitor, world->visitor_id, world->visitor_token,
                                "https://a.test/");
  test_visitor_say (visitor, "after the restart", NULL);
  assert_private (wal);
  assert_private (shm);
}

/* --- a damaged database --- */

static void
test_corrupt_database (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(JsonObject) owner = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autofree char *path = db_path (relay);
  g_autofree char *stderr_text = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *garbage = NULL;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  gint64 root_page, page_size;
  int fd;

  test_relay_start (relay);
  owner = test_relay_create_user (relay, "owner@corrupt.test", "correct horse battery", "Owner");
  test_relay_stop (relay);

  db = open_db (relay);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT rootpage, (SELECT page_size FROM "
                                       "pragma_page_size) FROM sqlite_schema WHERE name = 'users'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  root_page = sqlite3_column_int64 (stmt, 0);
  page_size = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpint (root_page, >, 1);

  /* what a bad sector or a half-copied file does to one page */
  garbage = g_malloc (page_size);
  memset (garbage, 0xa5, page_size);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, garbage, page_size, (root_page - 1) * page_size), ==, page_size);
  close (fd);

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, g_getenv ("CONFAB_RELAY"), "--listen", "127.0.0.1:0",
                              "--data-dir", test_relay_data_dir (relay), NULL);
  g_assert_no_error (error);
  /* it must exit by itself; a relay that starts anyway keeps running and fails the wait */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (g_subprocess_get_identifier (process) != NULL && g_get_monotonic_time () < deadline)
      test_sleep_ms (50);
    if (g_subprocess_get_identifier (process) != NULL)
      {
        g_subprocess_force_exit (process);
        g_subprocess_wait (process, NULL, NULL);
        g_error ("the relay started on a damaged database");
      }
  }
  g_assert_true (g_subprocess_communicate (process, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), !=, 0);
  stderr_text = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  g_test_message ("relay said: %s", stderr_text);
  g_assert_nonnull (strstr (stderr_text, path));
  g_assert_nonnull (strstr (stderr_text, "damaged"));
  /* an empty GBytes has NULL data, and g_strndup (NULL, 0) is NULL */
  stdout_text = g_bytes_get_size (out) > 0
                ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out))
                : g_strdup ("");
  g_assert_null (strstr (stdout_text, "listening"));
}

/* --- what visitors see of an agent created without a name --- */

static void
test_default_agent_name (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) site = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autofree char *token = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *printed = NULL;
  const char *name;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "jane.private@example.test", "correct horse battery", NULL);
  name = test_obj_string (user, "name");
  g_assert_cmpstr (name, ==, "Support");
  site = test_relay_create_site (relay, "jane.private@example.test", "Shop", NULL);
  token = test_relay_login (relay, "jane.private@example.test", "correct horse battery");

  agent = test_ws_agent (relay, token);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (relay, test_obj_string (site, "site_key"));
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://shop.test/");
  test_visitor_say (visitor, "hello?", &conversation_id);
  test_agent_say (agent, conversation_id, "How can I help?");

  message = test_ws_wait_for_match (visitor, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  printed = test_obj_to_string (message);
  g_test_message ("the visitor sees: %s", printed);
  g_assert_cmpstr (test_obj_string (message, "sender.name"), ==, "Support");
  g_assert_null (strstr (printed, "jane"));
  g_assert_null (strstr (printed, "private"));
  g_assert_null (strstr (printed, "example.test"));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/store/locked/loop-keeps-answering", test_locked_database);
  test_harness_add ("/relay/store/locked/long-lock-frames-held-in-order",
                    test_locked_database_burst);
  test_harness_add ("/relay/store/locked/bounded", test_locked_database_bounded);
  test_harness_add ("/relay/store/disk-full/hello", test_disk_full_hello);
  test_harness_add ("/relay/store/disk-full/message", test_disk_full_message);
  test_harness_add ("/relay/store/file-modes", test_file_modes);
  test_harness_add ("/relay/store/corrupt-refuses-to-start", test_corrupt_database);
  test_harness_add ("/relay/admin/default-name-not-from-email", test_default_agent_name);

  return g_test_run ();
}
