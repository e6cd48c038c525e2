/* SPDX-License-Identifier: GPL-3.0-or-later */
/* writer-path.c: the writer thread's SQL for a visitor's message, without the network (issue 12).
 *
 *   bench-writer-path MESSAGES BATCH     e.g. 12000 32
 *
 * 20 visitors; per message what store_unit() in relay/hub/confab-hub-writer.c runs — a savepoint,
 * the visitor's current conversation, confab_store_append_message(), the bot's first check —
 * and a COMMIT per BATCH messages. Prints the CPU time (user + system) per message after the
 * first 2,000, and the WAL's pages per commit. WRITER_PATH_SQL runs SQL on the store's
 * connection first (e.g. "PRAGMA wal_autocheckpoint=0", to keep every commit in the log for
 * bench/wal-pages.py); WRITER_PATH_KEEP=1 keeps the database and prints its path. Built by
 * `ninja tests/bench-writer-path` in a -Dtests=true build; not a test. */
#include "confab-store.h"
#include "confab-store-private.h"
#include "confab-util.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define VISITORS 20
#define WARM_UP  2000

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int
main (int    argc,
      char **argv)
{
  guint messages = argc > 1 ? atoi (argv[1]) : 12000;
  guint batch = argc > 2 ? MAX (atoi (argv[2]), 1) : 32;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-writer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "confab.db", NULL);
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autoptr (GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_visitor_free);
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  ConfabStore *store;
  double started = 0;
  GStatBuf wal;

  g_assert_cmpuint (messages, >, WARM_UP);
  store = confab_store_open (path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  if (g_getenv ("WRITER_PATH_SQL") != NULL)
    g_assert_cmpint (sqlite3_exec (store->db, g_getenv ("WRITER_PATH_SQL"), NULL, NULL, NULL), ==,
                     SQLITE_OK);

  user = confab_store_create_user (store, "bench@example.com", "B", "x", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, user->id, "Bench", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < VISITORS; i++)
    {
      g_autofree char *token = g_strdup_printf ("token-%u", i);

      g_ptr_array_add (visitors, confab_store_create_visitor (store, site->id, token, NULL, &error));
      g_assert_no_error (error);
    }

  for (guint n = 0; n < messages; n += batch)
    {
      if (n >= WARM_UP && started == 0)
        started = cpu_seconds ();
      g_assert_true (confab_store_begin (store, &error));
      for (guint k = 0; k < batch; k++)
        {
          ConfabVisitor *visitor = g_ptr_array_index (visitors, (n + k) % VISITORS);
          g_autofree char *client_id = g_strdup_printf ("c-%u", n + k);
          g_autoptr (ConfabConversation) current = NULL;
          g_autoptr (ConfabConversation) conversation = NULL;
          g_autoptr (ConfabMessage) message = NULL;
          gboolean may_answer = FALSE;
          ConfabMessageDraft draft = {
            .site_id = site->id, .visitor_id = visitor->id, .client_id = client_id,
            .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id,
            .sender_name = "Visitor", .body = "Hello, is anyone there? My order has not arrived.",
          };

          g_assert_true (confab_store_begin (store, &error));
          current = confab_store_get_current_conversation (store, visitor->id, &error);
          g_assert_no_error (error);
          if (current != NULL)
            {
              draft.conversation_id = current->id;
              draft.conversation = current;
            }
          g_assert_true (confab_store_append_message (store, &draft, &message, &conversation,
                                                      NULL, NULL, &error));
          if (conversation->assignee_id == NULL && conversation->first_agent_reply_at == 0)
            g_assert_true (confab_store_bot_may_answer (store, conversation->id, &may_answer,
                                                        &error));
          g_assert_true (confab_store_commit (store, &error));
        }
      g_assert_true (confab_store_commit (store, &error));
    }

  g_assert_cmpint (g_stat (wal_path, &wal), ==, 0);
  printf ("{\"messages\":%u,\"batch\":%u,\"cpu_us_per_message\":%.1f,"
          "\"wal_pages_per_commit\":%.1f}\n",
          messages - WARM_UP, batch, (cpu_seconds () - started) * 1e6 / (messages - WARM_UP),
          wal.st_size / (4096.0 + 24) / ((messages + batch - 1) / batch));

  if (g_getenv ("WRITER_PATH_KEEP") != NULL)
    {
      /* a copy, with its log: closing the store would checkpoint it away */
      g_autofree char *copy = g_build_filename (g_get_tmp_dir (), "writer-path.db", NULL);
      g_autofree char *copy_wal = g_strconcat (copy, "-wal", NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      g_assert_true (g_file_set_contents (copy, contents, length, NULL));
      g_clear_pointer (&contents, g_free);
      g_assert_true (g_file_get_contents (wal_path, &contents, &length, NULL));
      g_assert_true (g_file_set_contents (copy_wal, contents, length, NULL));
      fprintf (stderr, "kept: %s\n", copy);
    }

  confab_store_close (store);
  g_unlink (wal_path);
  g_unlink (path);
  {
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (shm);
  }
  g_rmdir (dir);
  return 0;
}
