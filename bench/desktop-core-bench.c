/* SPDX-License-Identifier: GPL-3.0-or-later */
/* desktop-core-bench.c: what the desktop core costs with a big cache (not a test: numbers).
 *
 *   desktop-core-bench [DIR]      (default: a new temporary directory, removed at the end)
 *
 * Fills a cache with 10,000 conversations and one conversation of 100,000 messages, closes it,
 * then measures in this order:
 *   - open the cache + build the inbox list + read its first 50 rows (what the first paint needs)
 *   - open the 100,000-message conversation and read its last 50 rows (where a chat opens)
 *   - scroll the whole conversation from the end to the start, one row at a time
 *   - a live event: one message applied in its own transaction (fsync-free WAL commit)
 *   - RSS (VmRSS) after each step
 */
#define G_LOG_DOMAIN "desktop-core-bench"

#include <glib/gstdio.h>

#include "confab-cache-private.h"
#include "confab-conversation-list.h"
#include "confab-message-list.h"
#include "confab-util.h"

#define N_CONVERSATIONS 10000
#define N_MESSAGES      100000

static double
ms_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / 1000.0;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return strtol (line + 6, NULL, 10);
}

static JsonObject *
message_frame (const char *conversation_id,
               gint64      seq,
               gint64      at)
{
  JsonObject *frame = json_object_new ();
  JsonObject *sender = json_object_new ();
  g_autofree char *body = g_strdup_printf ("Message number %" G_GINT64_FORMAT " of a long "
                                           "conversation, with enough text to look real.", seq);
  g_autofree char *time = confab_format_time (at);

  json_object_set_string_member (frame, "type", "message");
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  json_object_set_int_member (frame, "seq", seq);
  json_object_set_string_member (sender, "type", seq % 2 ? "visitor" : "agent");
  json_object_set_string_member (sender, "name", seq % 2 ? "Visitor" : "Agent");
  json_object_set_object_member (frame, "sender", sender);
  json_object_set_string_member (frame, "body", body);
  json_object_set_string_member (frame, "created_at", time);
  return frame;
}

static void
fill (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
  gint64 now = confab_now_ms () - (gint64) N_MESSAGES * 1000;
  gint64 start = g_get_monotonic_time ();

  g_assert_no_error (error);
  g_assert_true (confab_cache_begin (cache, &error));
  for (guint i = 0; i < N_CONVERSATIONS; i++)
    {
      g_autoptr (JsonObject) conversation = json_object_new ();
      g_autofree char *id = g_strdup_printf ("c%05u", i);
      g_autofree char *visitor = g_strdup_printf ("v%05u", i);
      g_autofree char *at = confab_format_time (now + (gint64) i * 60000);
      static const char * const statuses[] = { "open", "pending", "resolved", "closed" };

      json_object_set_string_member (conversation, "id", id);
      json_object_set_string_member (conversation, "site_id", i % 3 ? "site-a" : "site-b");
      json_object_set_string_member (conversation, "visitor_id", visitor);
      json_object_set_string_member (conversation, "status", statuses[i % 4]);
      json_object_set_null_member (conversation, "assignee");
      json_object_set_string_member (conversation, "created_at", at);
      json_object_set_string_member (conversation, "last_message_at", at);
      json_object_set_int_member (conversation, "last_seq", 0);
      json_object_set_int_member (conversation, "unread", i % 5);
      g_assert_true (confab_cache_apply_conversation (cache, conversation, i + 1, &error));
    }
  for (guint seq = 1; seq <= N_MESSAGES; seq++)
    {
      g_autoptr (JsonObject) frame = message_frame ("c00000", seq, now + seq * 1000);
      g_assert_true (confab_cache_apply_message (cache, frame, N_CONVERSATIONS + seq, &error));
    }
  g_assert_true (confab_cache_commit (cache, &error));
  g_print ("filled: %u conversations, %u messages in %.0f ms\n",
           N_CONVERSATIONS, N_MESSAGES, ms_since (start));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = argc > 1 ? g_strdup (argv[1]) : g_dir_make_tmp ("confab-bench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr (ConfabCache) cache = NULL;
  g_autoptr (ConfabConversationList) conversations = NULL;
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (GError) error = NULL;
  double worst_row = 0;
  gint64 start;
  guint n;

  g_print ("RSS at start: %ld KiB\n", rss_kib ());
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    fill (path);
  g_print ("RSS after filling (cache closed): %ld KiB\n", rss_kib ());

  start = g_get_monotonic_time ();
  cache = confab_cache_new (path, &error);
  g_assert_no_error (error);
  conversations = confab_conversation_list_new (cache);
  n = g_list_model_get_n_items (G_LIST_MODEL (conversations));
  for (guint i = 0; i < 50; i++)
    g_object_unref (g_list_model_get_item (G_LIST_MODEL (conversations), i));
  g_print ("open cache + inbox of %u + first 50 rows: %.2f ms\n", n, ms_since (start));

  start = g_get_monotonic_time ();
  confab_conversation_list_set_filter (conversations, CONFAB_CONVERSATION_FILTER_OPEN);
  confab_conversation_list_set_site_id (conversations, "site-a");
  for (guint i = 0; i < 50; i++)
    g_clear_object (&(GObject *) { g_list_model_get_item (G_LIST_MODEL (conversations), i) });
  g_print ("switch to site-a/open (%u rows) + first 50: %.2f ms\n",
           g_list_model_get_n_items (G_LIST_MODEL (conversations)), ms_since (start));

  start = g_get_monotonic_time ();
  messages = confab_message_list_new (cache, "c00000");
  n = g_list_model_get_n_items (G_LIST_MODEL (messages));
  for (guint i = n - 50; i < n; i++)
    g_object_unref (g_list_model_get_item (G_LIST_MODEL (messages), i));
  g_print ("open conversation of %u messages + last 50 rows: %.2f ms\n", n, ms_since (start));
  g_print ("RSS with the inbox and the conversation open: %ld KiB\n", rss_kib ());

  start = g_get_monotonic_time ();
  for (guint i = n; i > 0; i--)
    {
      gint64 row_start = g_get_monotonic_time ();
      g_object_unref (g_list_model_get_item (G_LIST_MODEL (messages), i - 1));
      worst_row = MAX (worst_row, ms_since (row_start));
    }
  g_print ("scroll all %u messages end to start: %.0f ms (%.2f us/row, worst row %.2f ms "
           "= one page load), rows held: %u\n",
           n, ms_since (start), ms_since (start) * 1000 / n, worst_row,
           confab_message_list_get_n_loaded (messages));
  g_print ("RSS after scrolling the whole conversation: %ld KiB\n", rss_kib ());

  start = g_get_monotonic_time ();
  for (guint i = 1; i <= 200; i++)
    {
      g_autoptr (JsonObject) frame = message_frame ("c00001", i, confab_now_ms ());
      g_assert_true (confab_cache_apply_message (cache, frame, N_CONVERSATIONS + N_MESSAGES + i, &error));
    }
  g_print ("live message applied (own transaction, list models following): %.3f ms each\n",
           ms_since (start) / 200);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr (ConfabMessage) queued = confab_cache_outbox_add (cache, "c00000", "queued", &error);
      g_assert_nonnull (queued);
    }
  g_print ("outbox add (2 rows, one transaction, message list following): %.3f ms each\n",
           ms_since (start) / 200);

  if (argc <= 1)
    {
      g_clear_object (&messages);
      g_clear_object (&conversations);
      g_clear_object (&cache);
      for (const char *suffix = ""; suffix; suffix = *suffix ? NULL : "-wal")
        {
          g_autofree char *file = g_strconcat (path, suffix, NULL);
          g_unlink (file);
        }
      {
        g_autofree char *shm = g_strconcat (path, "-shm", NULL);
        g_unlink (shm);
      }
      g_rmdir (dir);
    }
  return 0;
}
