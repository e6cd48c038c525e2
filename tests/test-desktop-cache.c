/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-cache.c: ConfabCache and the list models alone (no relay): windowed loading
 * in every direction, live moves, the outbox, migrations. */
#define G_LOG_DOMAIN "test-desktop-cache"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "confab-cache-private.h"
#include "confab-conversation-list.h"
#include "confab-message-list.h"
#include "confab-util.h"

static char *
temp_path (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-cache-test-XXXXXX", NULL);
  return g_build_filename (dir, "sub", "cache.db", NULL);
}

static void
add_message_at (ConfabCache *cache,
                const char  *conversation_id,
                gint64       seq,
                gint64       at_ms)
{
  g_autoptr (JsonObject) frame = json_object_new ();
  JsonObject *sender = json_object_new ();
  g_autofree char *body = g_strdup_printf ("m%" G_GINT64_FORMAT, seq);
  g_autofree char *at = confab_format_time (at_ms);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (frame, "conversation_id", conversation_id);
  json_object_set_int_member (frame, "seq", seq);
  json_object_set_string_member (sender, "type", "visitor");
  json_object_set_object_member (frame, "sender", sender);
  json_object_set_string_member (frame, "body", body);
  json_object_set_string_member (frame, "created_at", at);
  g_assert_true (confab_cache_apply_message (cache, frame, seq, &error));
  g_assert_no_error (error);
}

static void
add_message (ConfabCache *cache,
             const char  *conversation_id,
             gint64       seq)
{
  add_message_at (cache, conversation_id, seq, 1700000000000 + seq * 1000);
}

static void
add_conversation (ConfabCache *cache,
                  const char  *id,
                  const char  *status,
                  gint64       at_ms)
{
  g_autoptr (JsonObject) conversation = json_object_new ();
  g_autofree char *at = confab_format_time (at_ms);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (conversation, "id", id);
  json_object_set_string_member (conversation, "site_id", "s1");
  json_object_set_string_member (conversation, "visitor_id", "v1");
  json_object_set_string_member (conversation, "status", status);
  json_object_set_null_member (conversation, "assignee");
  json_object_set_string_member (conversation, "created_at", at);
  json_object_set_string_member (conversation, "last_message_at", at);
  g_assert_true (confab_cache_apply_conversation (cache, conversation, 0, &error));
  g_assert_no_error (error);
}

static void
add_conversation_in (ConfabCache *cache,
                     const char  *id,
                     const char  *site_id,
                     gint64       at_ms)
{
  g_autoptr (JsonObject) conversation = json_object_new ();
  g_autofree char *at = confab_format_time (at_ms);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (conversation, "id", id);
  json_object_set_string_member (conversation, "site_id", site_id);
  json_object_set_string_member (conversation, "visitor_id", "v1");
  json_object_set_string_member (conversation, "status", "open");
  json_object_set_null_member (conversation, "assignee");
  json_object_set_string_member (conversation, "created_at", at);
  json_object_set_string_member (conversation, "last_message_at", at);
  g_assert_true (confab_cache_apply_conversation (cache, conversation, 0, &error));
  g_assert_no_error (error);
}

static gint64
seq_at (GListModel *model,
        guint       position)
{
  g_autoptr (ConfabMessage) message = g_list_model_get_item (model, position);

  g_assert_nonnull (message);
  return confab_message_get_seq (message);
}

static void
test_windowed (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (ConfabCache) cache = confab_cache_new (path, NULL);
  g_autoptr (ConfabMessageList) list = NULL;
  GListModel *model;
  guint n = 3000;

  add_conversation (cache, "c1", "open", 1700000000000);
  for (guint seq = 1; seq <= n; seq++)
    add_message (cache, "c1", seq);

  list = confab_message_list_new (cache, "c1");
  model = G_LIST_MODEL (list);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  g_assert_null (g_list_model_get_item (model, n));

  /* forward, backward, and jumps: every path through load_page gives the right row */
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (seq_at (model, i), ==, i + 1);
  for (guint i = n; i > 0; i--)
    g_assert_cmpint (seq_at (model, i - 1), ==, i);
  for (guint k = 0; k < 500; k++)
    {
      guint i = g_test_rand_int_range (0, n);
      g_assert_cmpint (seq_at (model, i), ==, i + 1);
    }
  /* bounded: a few pages, never the history */
  g_assert_cmpuint (confab_message_list_get_n_loaded (list), <=, 512);
}

typedef struct {
  guint position, removed, added, calls;
} Change;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->calls++;
}

static void
test_outbox_in_list (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (ConfabCache) cache = confab_cache_new (path, NULL);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) queued = NULL;
  g_autoptr (ConfabMessage) acked = NULL;
  g_autoptr (GError) error = NULL;
  Change change = { 0 };

  add_conversation (cache, "c1", "open", 1700000000000);
  for (guint seq = 1; seq <= 100; seq++)
    add_message (cache, "c1", seq);
  list = confab_message_list_new (cache, "c1");
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &change);

  queued = confab_cache_outbox_add (cache, "c1", "from the outbox", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (change.position, ==, 100);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpint (confab_message_get_state (queued), ==, CONFAB_MESSAGE_QUEUED);

  /* a visitor message arrives while ours waits: it goes before the queued one */
  add_message (cache, "c1", 101);
  g_assert_cmpuint (change.position, ==, 100);
  g_assert_cmpint (seq_at (G_LIST_MODEL (list), 100), ==, 101);
  g_assert_cmpint (seq_at (G_LIST_MODEL (list), 101), ==, 0);

  /* acknowledged as 102: same place, now SENT, the outbox is empty */
  change.calls = 0;
  g_assert_true (confab_cache_outbox_acked (cache, confab_message_get_client_id (queued), "c1", 102, &error));
  g_assert_cmpuint (confab_cache_outbox_length (cache), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 102);
  acked = g_list_model_get_item (G_LIST_MODEL (list), 101);
  g_assert_cmpint (confab_message_get_seq (acked), ==, 102);
  g_assert_cmpint (confab_message_get_state (acked), ==, CONFAB_MESSAGE_SENT);
  g_assert_cmpstr (confab_message_get_client_id (acked), ==, confab_message_get_client_id (queued));

  /* the relay's echo of it changes nothing more */
  add_message (cache, "c1", 102);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 102);
}

static void
test_conversation_moves (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (ConfabCache) cache = confab_cache_new (path, NULL);
  g_autoptr (ConfabConversationList) list = NULL;
  g_autoptr (ConfabConversation) top = NULL;
  Change change = { 0 };

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%03u", i);
      add_conversation (cache, id, i % 2 ? "open" : "resolved", 1700000000000 + i * 1000);
    }
  list = confab_conversation_list_new (cache);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 200);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &change);

  /* the oldest gets a message: it moves from the bottom to the top */
  add_message_at (cache, "c000", 1, 1800000000000);
  top = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (confab_conversation_get_id (top), ==, "c000");
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpint (confab_conversation_list_find (list, "c000"), ==, 0);
  g_assert_cmpint (confab_conversation_list_find (list, "c199"), ==, 1);

  confab_conversation_list_set_filter (list, CONFAB_CONVERSATION_FILTER_OPEN);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  g_assert_cmpint (confab_conversation_list_find (list, "c000"), ==, -1);
  /* reopened: it joins the open list at its place (the top: its message is the newest) */
  add_conversation (cache, "c000", "open", 1700000000000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 101);
  g_assert_cmpint (confab_conversation_list_find (list, "c000"), ==, 0);

  confab_conversation_list_set_search (list, "m1");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  confab_conversation_list_set_search (list, "100%");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
}

static void
test_too_new (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
    g_assert_no_error (error);
    g_assert_true (confab_cache_set_meta (cache, "user_version_test", "x", &error));
  }
  {
    /* a file from a future Confab: refused with a clear error, not touched */
    sqlite3 *db = NULL;
    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
  g_assert_null (confab_cache_new (path, &error));
  g_assert_error (error, CONFAB_CACHE_ERROR, CONFAB_CACHE_ERROR_TOO_NEW);
}

/* A live event says "seen now"; a REST snapshot of someone who left keeps when they left. */
/* The unread counts from a second connection, summed over every conversation. */
static guint
unread_scanned (const char *path,
                const char *site_id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT COALESCE (SUM (unread), 0) FROM conversations"
                                       " WHERE ?1 IS NULL OR site_id = ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static int
count_vm_steps (void *data)
{
  (*(guint *) data)++;
  return 0;
}

/* The counts the sidebar and the title read after every burst: right through new messages,
 * reads and a reopen, and without reading every conversation (a catch-up of 10,000 read them
 * all every 100 ms: bench/desktop-catchup.sh). */
static void
test_unread_counts (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (ConfabCache) cache = confab_cache_new (path, NULL);
  g_autoptr (GError) error = NULL;
  const char *sites[] = { NULL, "s1", "s2", "s3" };
  guint n = 2000, steps = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);

      add_conversation_in (cache, id, i % 2 ? "s2" : "s1", 1700000000000 + i);
      add_message (cache, id, 1);
      if (i % 3 == 0)
        add_message (cache, id, 2);
    }
  g_assert_cmpuint (confab_cache_count_unread (cache, NULL), ==, n + (n + 2) / 3);
  for (guint i = 0; i < n; i += 5)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);

      g_assert_true (confab_cache_mark_read (cache, id, 2, &error));
      g_assert_no_error (error);
    }
  /* a message again after the read, and one in a batch that is rolled back */
  add_message (cache, "c0", 3);
  g_assert_true (confab_cache_begin (cache, &error));
  add_message (cache, "c5", 3);
  confab_cache_rollback (cache);
  for (guint k = 0; k < G_N_ELEMENTS (sites); k++)
    g_assert_cmpuint (confab_cache_count_unread (cache, sites[k]), ==, unread_scanned (path, sites[k]));

  /* a row per site read, not one per conversation: SQLite's VM runs a few dozen steps
   * (thousands when it sums the conversations) */
  sqlite3_progress_handler (confab_cache_get_db (cache), 1, count_vm_steps, &steps);
  confab_cache_count_unread (cache, NULL);
  confab_cache_count_unread (cache, "s2");
  sqlite3_progress_handler (confab_cache_get_db (cache), 0, NULL, NULL);
  g_assert_cmpuint (steps, <, 200);

  /* a new connection starts from the table */
  g_clear_object (&cache);
  cache = confab_cache_new (path, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (sites); k++)
    g_assert_cmpuint (confab_cache_count_unread (cache, sites[k]), ==, unread_scanned (path, sites[k]));
  g_assert_cmpuint (confab_cache_count_unread (cache, "s3"), ==, 0);
}

static void
test_visitor_snapshot (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
  g_autoptr (JsonObject) visitor = json_object_new ();
  g_autoptr (ConfabVisitor) seen = NULL;
  g_autofree char *long_ago = confab_format_time (1700000000000);
  gint64 before = confab_now_ms ();

  g_assert_no_error (error);
  json_object_set_string_member (visitor, "id", "v1");
  json_object_set_boolean_member (visitor, "online", TRUE);
  json_object_set_string_member (visitor, "last_seen", long_ago);
  g_assert_true (confab_cache_apply_visitor (cache, "s1", visitor, 5, &error));
  g_assert_no_error (error);
  seen = confab_cache_get_visitor (cache, "v1");
  g_assert_cmpint (confab_visitor_get_last_seen (seen), >=, before);
  g_clear_object (&seen);

  /* offline in the snapshot: the newer of the relay's and the cache's times, never "now" */
  json_object_set_boolean_member (visitor, "online", FALSE);
  json_object_set_string_member (visitor, "name", "Ada");
  g_usleep (50000);
  g_assert_true (confab_cache_apply_visitor_snapshot (cache, "s1", visitor, &error));
  g_assert_no_error (error);
  seen = confab_cache_get_visitor (cache, "v1");
  g_assert_false (confab_visitor_get_online (seen));
  g_assert_cmpstr (confab_visitor_get_name (seen), ==, "Ada");
  g_assert_cmpint (confab_visitor_get_last_seen (seen), >=, before);
  g_assert_cmpint (confab_visitor_get_last_seen (seen), <, confab_now_ms () - 40);
  g_clear_object (&seen);
  g_assert_cmpint (confab_cache_get_cursor (cache), ==, 5);

  /* a visitor the cache never saw: the relay's time */
  json_object_set_string_member (visitor, "id", "v2");
  g_assert_true (confab_cache_apply_visitor_snapshot (cache, "s1", visitor, &error));
  seen = confab_cache_get_visitor (cache, "v2");
  g_assert_cmpint (confab_visitor_get_last_seen (seen), ==, 1700000000000);
}

/* --- checkpoints off the main thread --- */

/* The default VFS with every file's xSync counted by the thread that calls it. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs sync_vfs;
static const sqlite3_io_methods *real_io;
static sqlite3_io_methods counted_io;
static GThread *main_thread;
static gint main_syncs, other_syncs;

static int
counted_sync (sqlite3_file *file,
              int           flags)
{
  g_atomic_int_inc (g_thread_self () == main_thread ? &main_syncs : &other_syncs);
  return real_io->xSync (file, flags);
}

static int
counted_open (sqlite3_vfs  *vfs,
              const char   *name,
              sqlite3_file *file,
              int           flags,
              int          *out_flags)
{
  int rc = real_vfs->xOpen (real_vfs, name, file, flags, out_flags);

  if (rc == SQLITE_OK && file->pMethods != NULL)
    {
      if (real_io == NULL)
        {
          real_io = file->pMethods;
          counted_io = *real_io;
          counted_io.xSync = counted_sync;
        }
      if (file->pMethods == real_io)
        file->pMethods = &counted_io;
    }
  return rc;
}

static gboolean
synced_elsewhere (gpointer data)
{
  return g_atomic_int_get (&other_syncs) > 0;
}

/* A long run of commits (a catch-up) fills the WAL past SQLite's checkpoint size: the pages go
 * to the database with two fsyncs, which on a busy disk held the app's main thread up to 88 ms
 * each (strace, bench/desktop-catchup.sh). They must happen on another thread, and the rows
 * stay all there. */
static void
test_checkpoint_off_main_thread (void)
{
  g_autofree char *path = temp_path ();
  g_autoptr (ConfabCache) cache = NULL;
  g_autoptr (ConfabConversationList) list = NULL;
  guint n_added = 0;
  gint64 end;

  main_thread = g_thread_self ();
  real_vfs = sqlite3_vfs_find (NULL);
  sync_vfs = *real_vfs;
  sync_vfs.zName = "confab-counted-sync";
  sync_vfs.xOpen = counted_open;
  g_assert_cmpint (sqlite3_vfs_register (&sync_vfs, 1), ==, SQLITE_OK);

  cache = confab_cache_new (path, NULL);
  g_assert_nonnull (cache);
  /* making the database and its tables is not a checkpoint */
  g_atomic_int_set (&main_syncs, 0);
  g_atomic_int_set (&other_syncs, 0);
  /* one commit each, as live events are: ~5 WAL pages per conversation. A checkpoint that
   * starts while a commit is under way may find nothing it can copy yet (PASSIVE), so commits
   * go on, in bursts, until one has synced on its thread — never on this one. */
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (guint i = 0; i < 1500 || (!synced_elsewhere (NULL) && g_get_monotonic_time () < end); i++)
    {
      g_autofree char *id = g_strdup_printf ("c%05u", i);

      add_conversation (cache, id, "open", 1700000000000 + i * 1000);
      n_added++;
      if (i >= 1500 && i % 100 == 0)
        g_usleep (50 * 1000);
    }
  g_test_message ("syncs: %d on the main thread, %d on others",
                  g_atomic_int_get (&main_syncs), g_atomic_int_get (&other_syncs));
  g_assert_cmpint (g_atomic_int_get (&other_syncs), >, 0);
  g_assert_cmpint (g_atomic_int_get (&main_syncs), ==, 0);

  list = confab_conversation_list_new (cache);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, n_added);
  g_clear_object (&list);
  g_clear_object (&cache);
  sqlite3_vfs_unregister (&sync_vfs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/cache/windowed", test_windowed);
  g_test_add_func ("/desktop/cache/outbox-in-list", test_outbox_in_list);
  g_test_add_func ("/desktop/cache/conversation-moves", test_conversation_moves);
  g_test_add_func ("/desktop/cache/too-new", test_too_new);
  g_test_add_func ("/desktop/cache/visitor-snapshot", test_visitor_snapshot);
  g_test_add_func ("/desktop/cache/unread-counts", test_unread_counts);
  g_test_add_func ("/desktop/cache/checkpoint-off-main-thread", test_checkpoint_off_main_thread);
  return g_test_run ();
}
