/* SPDX-License-Identifier: GPL-3.0-or-later */
/* store-backends.c: what one message costs the relay's main loop in each store backend.
 *
 * The hub's write path without the network: 20 visitors, messages appended in batches of
 * BATCH inside one transaction (a main-loop turn's group commit, savepoint per frame as the hub
 * makes them), then an agent's resume reading them back by cursor. Same code, same calls, on
 * SQLite (a file in a temporary directory) and on PostgreSQL 15 (tests/pg-harness.c: a
 * throwaway server on loopback). Each backend runs twice: "per message" is the hub's main-loop
 * path (confab_store_append_message () in a savepoint each, round trips one after another on
 * PostgreSQL), "batch" is confab_store_append_batch () (the same messages, on PostgreSQL in one
 * pipelined flight per batch: BEGIN, a statement each, COMMIT, one sync). A last run puts back
 * PostgreSQL schema v20's triggers (v21 made them cheaper) and runs "batch" again: before and
 * after in one run. Prints one JSON line per run. bench/store-backends.sh builds and runs it; the results are in bench/README.md.
 */
#include "confab-pg-store.h"
#include "confab-store.h"
#include "confab-store-batch.h"
#include "confab-util.h"
#include "pg-harness.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#define VISITORS 20

/* PostgreSQL schema v20's triggers, put back for a last run: what v21 (pgw13) changed, measured
 * beside it in the same run (bench/README.md). */
static const char v20_triggers[] =
  "CREATE OR REPLACE FUNCTION webhooks_enqueue (p_site text, p_event text, p_conversation text,\n"
  "                                             p_seq bigint, p_at bigint)\n"
  "RETURNS void LANGUAGE sql AS $$\n"
  "  INSERT INTO webhook_deliveries (id, webhook_id, site_id, event, conversation_id, seq,\n"
  "                                  created_at, next_attempt_at)\n"
  "  SELECT 'whd_' || replace (gen_random_uuid ()::text, '-', ''), w.id, p_site, p_event,\n"
  "         p_conversation, p_seq, p_at, p_at\n"
  "  FROM webhooks w WHERE w.site_id = p_site AND w.enabled <> 0\n"
  "  AND w.events::jsonb ? p_event\n"
  "$$;\n"
  "CREATE OR REPLACE FUNCTION messages_analytics () RETURNS trigger LANGUAGE plpgsql AS $$\n"
  "BEGIN\n"
  "  UPDATE conversations SET\n"
  "    first_visitor_seq = CASE WHEN first_visitor_seq IS NULL AND NEW.sender_type = 'visitor'\n"
  "                        THEN NEW.seq ELSE first_visitor_seq END,\n"
  "    first_visitor_at = CASE WHEN first_visitor_seq IS NULL AND NEW.sender_type = 'visitor'\n"
  "                       THEN NEW.created_at ELSE first_visitor_at END,\n"
  "    first_visitor_text = CASE WHEN first_visitor_seq IS NULL AND NEW.sender_type = 'visitor'\n"
  "                         THEN substr (NEW.body, 1, 1000) ELSE first_visitor_text END,\n"
  "    first_reply_at = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND NEW.sender_type = 'agent' THEN NEW.created_at ELSE first_reply_at END,\n"
  "    first_reply_by = CASE WHEN first_reply_at IS NULL AND first_visitor_seq IS NOT NULL\n"
  "                     AND NEW.sender_type = 'agent' THEN NEW.sender_id ELSE first_reply_by END,\n"
  "    agent_wrote = agent_wrote OR NEW.sender_type = 'agent',\n"
  "    bot_answered = bot_answered OR NEW.sender_type = 'bot'\n"
  "  WHERE id = NEW.conversation_id;\n"
  "  INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count)\n"
  "  SELECT site_id, NEW.created_at / 900000, NEW.sender_type,\n"
  "         CASE WHEN NEW.sender_type = 'visitor' THEN '' ELSE coalesce (NEW.sender_id, '') END, 1\n"
  "  FROM conversations WHERE id = NEW.conversation_id\n"
  "  ON CONFLICT (site_id, slot, sender_type, sender_id)\n"
  "  DO UPDATE SET count = message_counts.count + 1;\n"
  "  RETURN NULL;\n"
  "END $$;\n";

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static void
run (const char  *backend,
     ConfabStore *store,
     guint        messages,
     guint        batch,
     gboolean     batched)
{
  g_autoptr (GError) error = NULL;
  static guint runs;
  guint run_id = runs++;
  g_autofree char *email = g_strdup_printf ("bench-%u@example.com", run_id);
  g_autoptr (ConfabUser) user = confab_store_create_user (store, email, "B", "x", &error);
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_visitor_free);
  g_autoptr (GArray) commits = g_array_new (FALSE, FALSE, sizeof (double));
  const char *site_ids[2] = { NULL, NULL };
  double started, appended, read_s, sum = 0;
  gint64 cursor = 0;
  guint got = 0;

  g_assert_no_error (error);
  site = confab_store_create_site (store, user->id, "Bench", NULL, &error);
  g_assert_no_error (error);
  site_ids[0] = site->id;
  for (guint i = 0; i < VISITORS; i++)
    {
      g_autofree char *token = g_strdup_printf ("token-%u-%u", run_id, i);
      g_autofree char *client_id = g_strdup_printf ("hello-%u", i);
      ConfabVisitor *visitor = confab_store_create_visitor (store, site->id, token, NULL, &error);
      g_autoptr (ConfabMessage) message = NULL;
      ConfabMessageDraft draft = {
        .site_id = site->id, .visitor_id = visitor->id, .client_id = client_id,
        .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id, .body = "Hi",
      };

      g_assert_no_error (error);
      g_ptr_array_add (visitors, visitor);
      /* each visitor's conversation exists: the batch's common case */
      g_assert_true (confab_store_append_message (store, &draft, &message, NULL, NULL, NULL,
                                                  &error));
    }
  cursor = confab_store_last_cursor (store);

  started = now_s ();
  for (guint n = 0; n < messages; n += batch)
    {
      double commit_started;

      if (batched)
        {
          g_autofree ConfabBatchItem *items = g_new0 (ConfabBatchItem, batch);
          g_autoptr (GPtrArray) client_ids = g_ptr_array_new_with_free_func (g_free);

          for (guint k = 0; k < batch; k++)
            {
              ConfabVisitor *visitor = g_ptr_array_index (visitors, (n + k) % VISITORS);

              g_ptr_array_add (client_ids, g_strdup_printf ("c-%u", n + k));
              items[k].site_id = site->id;
              items[k].visitor_id = visitor->id;
              items[k].client_id = g_ptr_array_index (client_ids, k);
              items[k].sender_name = "Visitor";
              items[k].body = "Hello, is anyone there? My order has not arrived.";
            }
          commit_started = now_s ();
          g_assert_true (confab_store_append_batch (store, items, batch, &error));
          for (guint k = 0; k < batch; k++)
            g_assert_cmpint (items[k].outcome, ==, CONFAB_BATCH_STORED);
          confab_batch_items_clear (items, batch);
          g_array_append_val (commits, (double) { now_s () - commit_started });
          continue;
        }
      g_assert_true (confab_store_begin (store, &error));
      for (guint k = 0; k < batch; k++)
        {
          ConfabVisitor *visitor = g_ptr_array_index (visitors, (n + k) % VISITORS);
          g_autofree char *client_id = g_strdup_printf ("c-%u", n + k);
          g_autoptr (ConfabMessage) message = NULL;
          g_autoptr (ConfabConversation) conversation = NULL;
          ConfabMessageDraft draft = {
            .site_id = site->id, .visitor_id = visitor->id, .client_id = client_id,
            .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id,
            .sender_name = "Visitor", .body = "Hello, is anyone there? My order has not arrived.",
          };

          /* the hub's unit: a savepoint per frame */
          g_assert_true (confab_store_begin (store, &error));
          g_assert_true (confab_store_append_message (store, &draft, &message, &conversation,
                                                      NULL, NULL, &error));
          g_assert_true (confab_store_commit (store, &error));
        }
      commit_started = now_s ();
      g_assert_true (confab_store_commit (store, &error));
      g_array_append_val (commits, (double) { now_s () - commit_started });
    }
  appended = now_s () - started;

  started = now_s ();
  for (;;)
    {
      g_autoptr (GPtrArray) events = confab_store_list_events (store, site_ids, cursor, 500, &error);

      g_assert_no_error (error);
      if (events->len == 0)
        break;
      got += events->len;
      cursor = ((ConfabEvent *) g_ptr_array_index (events, events->len - 1))->cursor;
    }
  read_s = now_s () - started;

  for (guint i = 0; i < commits->len; i++)
    sum += g_array_index (commits, double, i);
  printf ("{\"backend\":\"%s\",\"path\":\"%s\",\"messages\":%u,\"batch\":%u,\"append_us_per_message\":%.1f,"
          "\"messages_per_s\":%.0f,\"commit_ms_mean\":%.3f,\"resume_events\":%u,"
          "\"resume_us_per_event\":%.2f}\n",
          backend, batched ? "batch" : "per message", messages, batch, appended * 1e6 / messages, messages / appended,
          sum * 1e3 / commits->len, got, read_s * 1e6 / MAX (got, 1));
  fflush (stdout);
}

int
main (int    argc,
      char **argv)
{
  guint messages = argc > 1 ? atoi (argv[1]) : 2000;
  guint batch = argc > 2 ? atoi (argv[2]) : 10;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-store-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "confab.db", NULL);
  g_autoptr (PgServer) server = NULL;
  ConfabStore *store;

  store = confab_store_open (path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  run ("sqlite (synchronous=normal)", store, messages, batch, FALSE);
  run ("sqlite (synchronous=normal)", store, messages, batch, TRUE);
  confab_store_close (store);

  server = pg_server_start (&error);
  g_assert_no_error (error);
  store = confab_pg_store_open (pg_server_get_url (server), &error);
  g_assert_no_error (error);
  run ("postgresql (loopback TCP, fsync off)", store, messages, batch, FALSE);
  run ("postgresql (loopback TCP, fsync off)", store, messages, batch, TRUE);
  {
    PGconn *conn = PQconnectdb (pg_server_get_url (server));
    PGresult *result = PQexec (conn, v20_triggers);

    g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
    PQclear (result);
    PQfinish (conn);
  }
  run ("postgresql (loopback TCP, fsync off), schema v20's triggers", store, messages, batch, TRUE);
  confab_store_close (store);

  g_unlink (g_strconcat (path, "-wal", NULL));
  g_unlink (g_strconcat (path, "-shm", NULL));
  g_unlink (path);
  g_rmdir (dir);
  return 0;
}
