/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store-postgresql.c: the PostgreSQL store's schema, its migrations and its cursor scheme
 * against a real PostgreSQL 15 (tests/pg-harness.c), started for this test on loopback.
 *
 * Skipped, with the reason, only when PostgreSQL is not installed.
 */
#define G_LOG_DOMAIN "test-store-postgresql"

#include "confab-pg-connection.h"
#include "confab-pg-schema.h"
#include "confab-pg-store.h"
#include "confab-store-backend.h"
#include "confab-store.h"
#include "confab-store-engage.h"
#include "pg-harness.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static PgServer *server;
static char *skip_reason;
static guint database_count;

/* A new, empty database on the shared server: each test migrates its own. */
static char *
fresh_database (void)
{
  g_autofree char *name = g_strdup_printf ("test_%u", ++database_count);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  g_autoptr (PGconn) conn = PQconnectdb (pg_server_get_url (server));
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, sql);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  return g_strdup_printf ("postgresql://confab@127.0.0.1:%u/%s", pg_server_get_port (server),
                          name);
}

static PGconn *
connect_to (const char *url)
{
  g_autoptr (GError) error = NULL;
  PGconn *conn = confab_pg_connect (url, &error);

  g_assert_no_error (error);
  g_assert_nonnull (conn);
  return conn;
}

/* Runs @sql, which must succeed; returns its result (PQclear it) */
static PGresult *
query (PGconn     *conn,
       const char *sql)
{
  PGresult *result = PQexec (conn, sql);
  ExecStatusType status = PQresultStatus (result);

  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  return result;
}

static void
exec_ok (PGconn     *conn,
         const char *sql)
{
  PQclear (query (conn, sql));
}

static gint64
query_int (PGconn     *conn,
           const char *sql)
{
  PGresult *result = query (conn, sql);
  gint64 value;

  g_assert_cmpint (PQntuples (result), ==, 1);
  value = PQgetisnull (result, 0, 0) ? -1 : g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  PQclear (result);
  return value;
}

static gboolean
skip_without_server (void)
{
  if (server != NULL)
    return FALSE;
  g_test_skip (skip_reason);
  return TRUE;
}

/* --- migrate --------------------------------------------------------------------------------- */

static char *
write_config (const char *dir,
              const char *url)
{
  g_autofree char *path = g_build_filename (dir, "relay.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[relay]\ndata-dir=%s\n"
                                           "[store]\nbackend=postgresql\nurl=%s\n"
                                           "[cluster]\nredis=\nnode-name=test-node\n", dir, url);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* Runs confab-relay with @args; its exit status, standard output and error */
static int
run_relay (const char * const *args,
           char              **out,
           char              **err)
{
  const char *relay = g_getenv ("CONFAB_RELAY");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_assert_nonnull (relay);
  g_ptr_array_add (argv, (char *) relay);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_migrate_twice (void)
{
  g_autofree char *url = NULL, *dir = NULL, *config = NULL;
  g_autofree char *out1 = NULL, *err1 = NULL, *out2 = NULL, *err2 = NULL, *expected = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GError) error = NULL;
  gint64 tables;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  dir = g_dir_make_tmp ("test-store-pg-XXXXXX", &error);
  g_assert_no_error (error);
  config = write_config (dir, url);

  /* the command an operator runs: creates the schema from nothing */
  g_assert_cmpint (run_relay ((const char *[]) { "migrate", "--config", config, NULL },
                              &out1, &err1), ==, 0);
  expected = g_strdup_printf ("schema migrated from version 0 to %d",
                              confab_pg_current_schema_version ());
  g_assert_nonnull (strstr (out1, expected));
  /* the database named, never the URL */
  g_assert_null (strstr (out1, "postgresql://"));

  conn = connect_to (url);
  g_assert_cmpint (query_int (conn, "SELECT version FROM confab_schema"), ==,
                   confab_pg_current_schema_version ());
  tables = query_int (conn, "SELECT count (*) FROM pg_tables WHERE schemaname = 'public'");
  g_assert_cmpint (tables, >, 15);

  /* a second time: nothing to do, nothing changed */
  g_assert_cmpint (run_relay ((const char *[]) { "migrate", "--config", config, NULL },
                              &out2, &err2), ==, 0);
  g_assert_nonnull (strstr (out2, "already current"));
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM pg_tables WHERE schemaname = 'public'"),
                   ==, tables);
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM confab_schema"), ==, 1);
  /* and once more in-process, as a starting relay will */
  {
    int from = -1, to = -1;

    g_assert_true (confab_pg_migrate (conn, &from, &to, &error));
    g_assert_no_error (error);
    g_assert_cmpint (from, ==, confab_pg_current_schema_version ());
    g_assert_cmpint (to, ==, from);
  }

  g_unlink (config);
  g_rmdir (dir);
}

/* Every function of the store's interface has its PostgreSQL twin: no entry of the table is
 * NULL (STORE_HANDOFF calls the entry without a check), and the store answers one of them. */
static void
test_every_function_ported (void)
{
  g_autofree char *url = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (GError) error = NULL;
  const ConfabStoreFuncs *funcs;
  const gpointer *entries;
  guint n;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  store = confab_pg_store_open (url, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (store), ==, confab_pg_current_schema_version ());

  funcs = confab_store_get_backend (store);
  g_assert_nonnull (funcs);
  /* the entries after the name: all function pointers */
  entries = (const gpointer *) ((const char *) funcs + G_STRUCT_OFFSET (ConfabStoreFuncs, create_user));
  n = (sizeof *funcs - G_STRUCT_OFFSET (ConfabStoreFuncs, create_user)) / sizeof (gpointer);
  g_assert_cmpuint (n, >=, 137);
  for (guint i = 0; i < n; i++)
    if (entries[i] == NULL)
      g_error ("Entry %u of ConfabStoreFuncs (after create_user) is NULL in the PostgreSQL store", i);

  user = confab_store_create_user (store, "Owner@Example.com", "Owner", "hash", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, user->id, "Shop", NULL, &error);
  g_assert_no_error (error);
  faq = confab_store_create_faq (store, site->id, "Q?", "A.", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (faq->question, ==, "Q?");
}

/* The IP-hash key: made once, the same for every relay of the database. */
static void
test_shared_key (void)
{
  g_autofree char *url = NULL, *key1 = NULL, *key2 = NULL;
  g_autoptr (ConfabStore) store1 = NULL;
  g_autoptr (ConfabStore) store2 = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  store1 = confab_pg_store_open (url, &error);
  g_assert_no_error (error);
  store2 = confab_pg_store_open (url, &error);
  g_assert_no_error (error);

  key1 = confab_pg_store_shared_key (store1, "ip-hash-key", &error);
  g_assert_no_error (error);
  key2 = confab_pg_store_shared_key (store2, "ip-hash-key", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (key1), >=, 32);
  g_assert_cmpstr (key1, ==, key2);
}

/* admin migrate-store: a SQLite store's rows in an empty PostgreSQL database, the same ids,
 * seqs and cursors, and new events after the highest cursor SQLite handed out; a second copy
 * into the now full database is refused and changes nothing. */
static void
test_migrate_store (void)
{
  g_autofree char *trigger_id = NULL;
  g_autofree char *url = NULL, *dir = NULL, *db_path = NULL, *from = NULL, *to = NULL;
  g_autofree char *from_text = NULL, *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autoptr (ConfabStore) sqlite_store = NULL;
  g_autoptr (ConfabStore) pg_store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabUser) copied_user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GPtrArray) sqlite_events = NULL;
  g_autoptr (ConfabMessage) next = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *mail_id = NULL;
  const char *site_ids[2] = { NULL, NULL };
  gint64 last_cursor;
  int score = 0;

  if (skip_without_server ())
    return;

  dir = g_dir_make_tmp ("test-migrate-store-XXXXXX", &error);
  g_assert_no_error (error);
  db_path = g_build_filename (dir, "confab.db", NULL);
  sqlite_store = confab_store_open (db_path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  user = confab_store_create_user (sqlite_store, "owner@example.com", "Owner", "hash", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (sqlite_store, user->id, "Shop",
                                   (const char *[]) { "shop.example", NULL }, &error);
  g_assert_no_error (error);
  site_ids[0] = site->id;
  visitor = confab_store_create_visitor (sqlite_store, site->id, "token-hash", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_add_page_view (sqlite_store, visitor->id, "https://shop.example/",
                                             "Home", 1000, &error));
  /* a response-time target: the first message starts it (issue 18) */
  {
    g_autoptr (ConfabSite) updated = confab_store_update_site (sqlite_store, site->id, NULL, NULL,
                                                               "{\"first_response_seconds\":600}",
                                                               -1, &error);
    g_assert_no_error (error);
  }
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("c%d", i);
      g_autofree char *body = g_strdup_printf ("message %d", i);
      g_autoptr (ConfabMessage) message = NULL;
      g_autoptr (ConfabConversation) conversation = NULL;
      ConfabMessageDraft draft = {
        .site_id = site->id, .visitor_id = visitor->id, .client_id = client_id,
        .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id, .body = body,
      };

      g_assert_true (confab_store_append_message (sqlite_store, &draft, &message, &conversation,
                                                  NULL, NULL, &error));
      g_assert_no_error (error);
      g_free (conversation_id);
      conversation_id = g_strdup (conversation->id);
    }
  g_assert_true (confab_store_set_rating (sqlite_store, conversation_id, 5, "great", &error));
  g_assert_cmpint (confab_store_add_visitor_event (sqlite_store, site->id, visitor->id, "{}", &error), >, 0);
  /* an image with its thumbnail and a file, as SQLite relays keep them: files in
   * <data-dir>/uploads; and a row whose file is gone */
  {
    const char *shas[] = { "aa11", "bb22", "cc33" };
    const char *kinds[] = { "image", "file", "file" };

    for (guint i = 0; i < G_N_ELEMENTS (shas); i++)
      {
        g_autofree char *id = g_strdup_printf ("upl_%u", i);
        g_autofree char *subdir = g_strdup_printf ("%s/uploads/%.2s/%.2s", dir, shas[i], shas[i] + 2);
        g_autofree char *path = g_build_filename (subdir, shas[i], NULL);
        g_autofree char *thumb = g_strconcat (path, ".thumb", NULL);
        ConfabUpload upload = {
          .id = id, .site_id = site->id, .conversation_id = conversation_id, .sha256 = (char *) shas[i],
          .mime = "application/octet-stream", .kind = (char *) kinds[i], .size = 5,
        };

        g_assert_true (confab_store_add_upload (sqlite_store, &upload, &error));
        if (i == 2)
          continue;
        g_assert_cmpint (g_mkdir_with_parents (subdir, 0700), ==, 0);
        g_assert_true (g_file_set_contents (path, i == 0 ? "image" : "filed", 5, NULL));
        if (i == 0)
          g_assert_true (g_file_set_contents (thumb, "thu", 3, NULL));
      }
  }
  /* e-mail: a queued mail, a reply that is its, a site's mailbox, a thread */
  {
    g_autofree char *offline_id = NULL;
    g_autoptr (ConfabOfflineReply) reply = NULL;
    ConfabEmailChannel channel = {
      .site_id = site->id, .enabled = TRUE, .address = "help@shop.example",
      .imap_url = "imap://127.0.0.1/INBOX", .imap_user = "help", .imap_password = "secret",
      .poll_seconds = 60,
    };

    offline_id = confab_store_add_offline_message (sqlite_store, site->id, visitor->id, "Vera",
                                                   "vera@example.org", "Call me", &error);
    g_assert_no_error (error);
    mail_id = confab_store_queue_mail (sqlite_store, site->id, "offline_reply", NULL, 0,
                                       "vera@example.org", "r1@shop.example", "Subject: x\r\n\r\nx\r\n",
                                       &error);
    g_assert_no_error (error);
    reply = confab_store_add_offline_reply (sqlite_store, offline_id, user->id, "Owner", "Sure",
                                            mail_id, &error);
    g_assert_no_error (error);
    g_assert_true (confab_store_put_email_channel (sqlite_store, &channel, &error));
    g_assert_true (confab_store_add_mail_thread (sqlite_store, "in1@mail.example", conversation_id,
                                                 &error));
    g_assert_true (confab_store_set_email_notifications (sqlite_store, user->id, FALSE, &error));
    g_assert_no_error (error);
  }
  /* engage (issue 16): a contact, a goal, a trigger and its greeting */
  {
    const char * const tags[] = { "vip", NULL };
    ConfabContactChange change = { .set_phone = TRUE, .phone = "+1 555", .set_tags = TRUE,
                                   .tags = tags, .asked_price = 1, .lead_score = 47 };
    ConfabTrigger draft = { .site_id = site->id, .name = "Hi", .enabled = TRUE,
                            .conditions_json = "{}", .message_json = "\"Hi\"",
                            .sender_json = "{\"type\":\"assistant\"}" };
    g_autoptr (ConfabTrigger) trigger = NULL;
    gboolean added = FALSE;

    g_assert_true (confab_store_put_contact (sqlite_store, site->id, visitor->id, &change, &error));
    g_assert_true (confab_store_add_goal (sqlite_store, site->id, visitor->id, "purchase", TRUE, 49.9,
                                          1000, &error));
    trigger = confab_store_create_trigger (sqlite_store, &draft, &error);
    g_assert_no_error (error);
    trigger_id = g_strdup (trigger->id);
    g_assert_true (confab_store_add_trigger_fire (sqlite_store, site->id, trigger->id, visitor->id, 1,
                                                  1000, &added, &error));
    g_assert_true (added);
  }
  last_cursor = confab_store_last_cursor (sqlite_store);
  sqlite_events = confab_store_list_events (sqlite_store, site_ids, 0, 0, &error);
  g_assert_no_error (error);
  g_clear_pointer (&sqlite_store, confab_store_close);

  url = fresh_database ();
  from = g_build_filename (dir, "from.conf", NULL);
  from_text = g_strdup_printf ("[relay]\ndata-dir=%s\n", dir);
  g_assert_true (g_file_set_contents (from, from_text, -1, NULL));
  to = write_config (dir, url);

  g_assert_cmpint (run_relay ((const char *[]) { "admin", "migrate-store", "--from-config", from,
                                                 "--to-config", to, NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\"messages\":3"));
  g_assert_nonnull (strstr (out, "\"users\":1"));
  /* the files went into the database with the rows (the target keeps uploads there) */
  g_assert_nonnull (strstr (out, "\"upload_files\":2"));
  g_assert_nonnull (strstr (out, "\"upload_files_missing\":1"));

  pg_store = confab_pg_store_open (url, &error);
  g_assert_no_error (error);
  copied_user = confab_store_get_user_by_email (pg_store, "OWNER@example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copied_user->id, ==, user->id);
  g_assert_cmpint (confab_store_get_role (pg_store, site->id, user->id), ==, CONFAB_ROLE_OWNER);
  messages = confab_store_list_messages (pg_store, conversation_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 3);
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpint (((ConfabMessage *) g_ptr_array_index (messages, i))->seq, ==, i + 1);
  events = confab_store_list_events (pg_store, site_ids, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, sqlite_events->len);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (events, i))->cursor, ==,
                     ((ConfabEvent *) g_ptr_array_index (sqlite_events, i))->cursor);
  g_assert_cmpint (confab_store_last_cursor (pg_store), ==, last_cursor);
  g_assert_true (confab_store_get_rating (pg_store, conversation_id, &score, NULL, &error));
  g_assert_cmpint (score, ==, 5);
  {
    g_autoptr (ConfabConversation) copied = confab_store_get_conversation (pg_store, conversation_id,
                                                                          &error);

    g_assert_no_error (error);
    g_assert_cmpint (copied->target_kind, ==, CONFAB_TARGET_FIRST_RESPONSE);
    g_assert_cmpint (copied->target_due_at, >, 0);
    g_assert_nonnull (strstr (out, "\"response_targets\":1"));
  }
  {
    g_autoptr (GBytes) image = confab_store_get_upload_bytes (pg_store, "aa11", FALSE, &error);
    g_autoptr (GBytes) thumb = confab_store_get_upload_bytes (pg_store, "aa11", TRUE, &error);
    g_autoptr (GBytes) file = confab_store_get_upload_bytes (pg_store, "bb22", FALSE, &error);
    g_autoptr (GBytes) none = NULL;

    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (image, NULL), g_bytes_get_size (image), "image", 5);
    g_assert_cmpmem (g_bytes_get_data (thumb, NULL), g_bytes_get_size (thumb), "thu", 3);
    g_assert_cmpmem (g_bytes_get_data (file, NULL), g_bytes_get_size (file), "filed", 5);
    none = confab_store_get_upload_bytes (pg_store, "cc33", FALSE, &error);
    g_assert_null (none);
    g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* the e-mail rows, the mailbox's password with them */
  {
    g_autoptr (ConfabMail) mail = confab_store_get_mail (pg_store, mail_id, &error);
    g_autoptr (ConfabEmailChannel) channel = confab_store_get_email_channel (pg_store, site->id, &error);
    g_autofree char *thread = confab_store_find_mail_thread (pg_store, "in1@mail.example", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (mail->status, ==, "pending");
    g_assert_cmpstr (mail->message, ==, "Subject: x\r\n\r\nx\r\n");
    g_assert_cmpstr (channel->imap_password, ==, "secret");
    g_assert_cmpstr (thread, ==, conversation_id);
    g_assert_cmpint (confab_store_get_email_notifications (pg_store, user->id, &error), ==, 0);
    g_assert_nonnull (strstr (out, "\"email_outbox\":1"));
    g_assert_nonnull (strstr (out, "\"offline_replies\":1"));
  }

  /* the engage rows; new goals and greetings go on after the copied ids */
  {
    g_autoptr (ConfabContact) contact = confab_store_get_contact (pg_store, visitor->id, &error);
    g_autoptr (GPtrArray) goals = NULL;
    g_autoptr (ConfabTrigger) trigger = confab_store_get_trigger (pg_store, trigger_id, &error);
    gboolean added = TRUE;

    g_assert_no_error (error);
    g_assert_cmpstr (contact->phone, ==, "+1 555");
    g_assert_cmpstr (contact->tags[0], ==, "vip");
    g_assert_true (contact->asked_price);
    g_assert_cmpint (contact->lead_score, ==, 47);
    g_assert_cmpstr (trigger->name, ==, "Hi");
    g_assert_true (confab_store_add_goal (pg_store, site->id, visitor->id, "signup", FALSE, 0, 2000, &error));
    goals = confab_store_list_goals (pg_store, visitor->id, 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (goals->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (((ConfabGoal *) g_ptr_array_index (goals, 1))->value, 49.9, 1e-9);
    /* once per visit holds across the move */
    g_assert_true (confab_store_add_trigger_fire (pg_store, site->id, trigger_id, visitor->id, 1, 3000,
                                                  &added, &error));
    g_assert_false (added);
    g_assert_true (confab_store_add_trigger_fire (pg_store, site->id, trigger_id, visitor->id, 2, 3000,
                                                  &added, &error));
    g_assert_true (added);
  }

  /* the copy goes on where SQLite stopped */
  {
    g_autoptr (ConfabConversation) conversation = NULL;
    ConfabMessageDraft draft = {
      .site_id = site->id, .visitor_id = visitor->id, .client_id = "c-new",
      .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id, .body = "after the move",
    };

    g_assert_true (confab_store_append_message (pg_store, &draft, &next, &conversation, NULL,
                                                NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (next->seq, ==, 4);
    g_assert_cmpint (next->cursor, >, last_cursor);
  }

  /* not twice */
  g_assert_cmpint (run_relay ((const char *[]) { "admin", "migrate-store", "--from-config", from,
                                                 "--to-config", to, NULL }, &out2, &err2), ==, 1);
  g_assert_nonnull (strstr (err2, "already has users or sites"));
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = confab_store_list_messages (pg_store, conversation_id, 0, 0, &error);
  g_assert_cmpuint (messages->len, ==, 4);

  g_unlink (from);
  g_unlink (to);
  g_unlink (db_path);
  g_unlink (g_strconcat (db_path, "-wal", NULL));
  g_unlink (g_strconcat (db_path, "-shm", NULL));
  {
    const char *files[] = { "uploads/aa/11/aa11", "uploads/aa/11/aa11.thumb", "uploads/aa/11",
                            "uploads/aa", "uploads/bb/22/bb22", "uploads/bb/22", "uploads/bb",
                            "uploads" };

    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *path = g_build_filename (dir, files[i], NULL);

        g_remove (path);
      }
  }
  g_rmdir (dir);
}

static void
terminate_backends (const char *url)
{
  g_autoptr (PGconn) conn = connect_to (pg_server_get_url (server));
  const char *name = strrchr (url, '/') + 1;
  const char *values[] = { name };
  PGresult *result = PQexecParams (conn,
                                   "SELECT count (pg_terminate_backend (pid)) FROM pg_stat_activity "
                                   "WHERE datname = $1 AND pid <> pg_backend_pid ()",
                                   1, NULL, values, NULL, NULL, 0);

  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (atoi (PQgetvalue (result, 0, 0)), >=, 1);
  PQclear (result);
}

/* A lost connection: the call that finds it answers UNAVAILABLE (transient: the HTTP layer
 * answers 503 store_unavailable), an open transaction is lost with it and refuses everything
 * until rolled back, and then the store reconnects by itself. */
static void
test_connection_lost (void)
{
  g_autofree char *url = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabUser) again = NULL;
  g_autoptr (ConfabUser) lost = NULL;
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  store = confab_pg_store_open (url, &error);
  g_assert_no_error (error);
  user = confab_store_create_user (store, "a@example.com", NULL, "hash", &error);
  g_assert_no_error (error);

  /* outside a transaction */
  terminate_backends (url);
  again = confab_store_get_user (store, user->id, &error);
  g_assert_null (again);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
  g_assert_true (confab_store_error_is_transient (error));
  g_clear_error (&error);

  /* back by itself (the first attempt is at once, the next ones after a backoff) */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((again = confab_store_get_user (store, user->id, &error)) == NULL)
    {
      g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
      g_clear_error (&error);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }
  g_assert_cmpstr (again->email, ==, "a@example.com");

  /* inside one: everything in it fails until the rollback, nothing of it is stored */
  g_assert_true (confab_store_begin (store, &error));
  lost = confab_store_create_user (store, "b@example.com", NULL, "hash", &error);
  g_assert_no_error (error);
  g_clear_pointer (&lost, confab_user_free);
  terminate_backends (url);
  g_assert_null (confab_store_get_user (store, user->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (confab_store_begin (store, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (confab_store_commit (store, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  confab_store_rollback (store);

  g_clear_pointer (&again, confab_user_free);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((again = confab_store_get_user (store, user->id, &error)) == NULL)
    {
      g_clear_error (&error);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }
  lost = confab_store_get_user_by_email (store, "b@example.com", &error);
  g_assert_null (lost);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

static void
test_migrate_bad_url (void)
{
  g_autofree char *dir = NULL, *config = NULL, *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_without_server ())
    return;

  dir = g_dir_make_tmp ("test-store-pg-XXXXXX", &error);
  g_assert_no_error (error);
  /* a database that does not exist, with a password that must not be printed */
  config = write_config (dir, "postgresql://confab:hunter2-secret@127.0.0.1:1/nowhere?connect_timeout=2");
  g_assert_cmpint (run_relay ((const char *[]) { "migrate", "--config", config, NULL },
                              &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "Cannot connect to PostgreSQL"));
  g_assert_null (strstr (err, "hunter2-secret"));

  g_unlink (config);
  g_rmdir (dir);
}

/* Bad values in the new keys stop the relay at start, naming the key. */
static void
test_config_values (void)
{
  const struct {
    const char *text;
    const char *message;
  } cases[] = {
    { "[store]\nbackend=mysql\n", "[store] backend must be “sqlite” or “postgresql”, not “mysql”" },
    { "[store]\nbackend=postgresql\nurl=\n", "[store] backend=postgresql needs [store] url" },
    { "[cluster]\nredis=http://127.0.0.1:6379\n", "[cluster] redis must be a redis://" },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-store-pg-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "relay.conf", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

      g_file_set_contents (path, cases[i].text, -1, &error);
      g_assert_no_error (error);
      g_assert_cmpint (run_relay ((const char *[]) { "--config", path, "--listen", "127.0.0.1:0",
                                                     "--data-dir", dir, NULL }, &out, &err), ==, 1);
      g_assert_nonnull (strstr (err, cases[i].message));
      g_assert_cmpint (run_relay ((const char *[]) { "migrate", "--config", path, NULL },
                                  &out2, &err2), ==, 1);
      g_assert_nonnull (strstr (err2, cases[i].message));
    }

  /* sqlite, the default, migrates the data directory's database */
  {
    g_autofree char *out = NULL, *err = NULL, *db = g_build_filename (dir, "confab.db", NULL);
    g_autofree char *wal = g_strconcat (db, "-wal", NULL), *shm = g_strconcat (db, "-shm", NULL);

    g_file_set_contents (path, "[store]\nbackend=sqlite\n[cluster]\nnode-name=\n", -1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (run_relay ((const char *[]) { "migrate", "--config", path, "--data-dir", dir,
                                                   NULL }, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "SQLite store"));
    g_assert_true (g_file_test (db, G_FILE_TEST_EXISTS));
    g_unlink (db);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* --- concurrent migrations ------------------------------------------------------------------- */

typedef struct {
  const char *url;
  GMutex      mutex;
  GCond       cond;
  int         ready;
  gboolean    go;
} Start;

typedef struct {
  Start   *start;
  int      from;
  int      to;
  GError  *error;
} Migrator;

/* Every thread connects first, then they all migrate at once. */
static void
wait_for_start (Start *start)
{
  g_mutex_lock (&start->mutex);
  start->ready++;
  g_cond_broadcast (&start->cond);
  while (!start->go)
    g_cond_wait (&start->cond, &start->mutex);
  g_mutex_unlock (&start->mutex);
}

static void
release_start (Start *start,
               int    threads)
{
  g_mutex_lock (&start->mutex);
  while (start->ready < threads)
    g_cond_wait (&start->cond, &start->mutex);
  start->go = TRUE;
  g_cond_broadcast (&start->cond);
  g_mutex_unlock (&start->mutex);
}

static gpointer
migrate_thread (gpointer data)
{
  Migrator *migrator = data;
  g_autoptr (PGconn) conn = connect_to (migrator->start->url);

  wait_for_start (migrator->start);
  confab_pg_migrate (conn, &migrator->from, &migrator->to, &migrator->error);
  return NULL;
}

static void
test_migrate_concurrently (void)
{
  g_autofree char *url = NULL;
  g_autoptr (PGconn) conn = NULL;
  Start start = { 0 };
  Migrator migrators[3] = { 0 };
  GThread *threads[G_N_ELEMENTS (migrators)];
  int from_scratch = 0;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  start.url = url;
  g_mutex_init (&start.mutex);
  g_cond_init (&start.cond);
  for (guint i = 0; i < G_N_ELEMENTS (migrators); i++)
    {
      migrators[i].start = &start;
      threads[i] = g_thread_new ("migrate", migrate_thread, &migrators[i]);
    }
  release_start (&start, G_N_ELEMENTS (migrators));

  /* all succeed; exactly one did the work, the others found it done */
  for (guint i = 0; i < G_N_ELEMENTS (migrators); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (migrators[i].error);
      g_assert_cmpint (migrators[i].to, ==, confab_pg_current_schema_version ());
      if (migrators[i].from == 0)
        from_scratch++;
      else
        g_assert_cmpint (migrators[i].from, ==, confab_pg_current_schema_version ());
    }
  g_assert_cmpint (from_scratch, ==, 1);

  conn = connect_to (url);
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM confab_schema"), ==, 1);
  g_assert_cmpint (query_int (conn, "SELECT version FROM confab_schema"), ==,
                   confab_pg_current_schema_version ());
  g_mutex_clear (&start.mutex);
  g_cond_clear (&start.cond);
}

/* --- the schema against SQLite's ------------------------------------------------------------- */

static void
sqlite_names (sqlite3    *db,
              const char *sql,
              GPtrArray  *into)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *a = (const char *) sqlite3_column_text (stmt, 0);
      const char *b = sqlite3_column_count (stmt) > 1 ? (const char *) sqlite3_column_text (stmt, 1) : NULL;

      g_ptr_array_add (into, b ? g_strdup_printf ("%s.%s", a, b) : g_strdup (a));
    }
  sqlite3_finalize (stmt);
}

static GHashTable *
pg_names (PGconn     *conn,
          const char *sql)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PGresult *result = query (conn, sql);

  for (int i = 0; i < PQntuples (result); i++)
    g_hash_table_add (names, PQnfields (result) > 1
                               ? g_strdup_printf ("%s.%s", PQgetvalue (result, i, 0),
                                                  PQgetvalue (result, i, 1))
                               : g_strdup (PQgetvalue (result, i, 0)));
  PQclear (result);
  return names;
}

static void
test_schema_matches_sqlite (void)
{
  g_autofree char *url = NULL, *dir = NULL, *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) indexes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) columns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) pg_tables = NULL, pg_indexes = NULL, pg_columns = NULL;
  g_autoptr (GString) missing = g_string_new (NULL);
  ConfabStore *store;
  sqlite3 *db = NULL;

  if (skip_without_server ())
    return;

  /* the SQLite schema as the relay makes it: every migration applied */
  dir = g_dir_make_tmp ("test-store-pg-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "confab.db", NULL);
  store = confab_store_open (path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  confab_store_close (store);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  /* FTS5's own tables (faqs_fts_data, ...) are its implementation: not compared */
  sqlite_names (db,
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT IN "
                "(SELECT v.name || s.suffix FROM sqlite_schema v, (SELECT '_data' AS suffix "
                " UNION ALL SELECT '_idx' UNION ALL SELECT '_docsize' UNION ALL SELECT '_config' "
                " UNION ALL SELECT '_content') s WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%')",
                tables);
  /* SQLite's automatic indexes (UNIQUE, PRIMARY KEY) are constraints in PostgreSQL; a virtual
   * FTS table is a GIN index of the same name there */
  sqlite_names (db,
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' "
                "UNION ALL SELECT name FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE%'",
                indexes);
  sqlite_names (db,
                "SELECT t.name, c.name FROM sqlite_schema t, pragma_table_info (t.name) c "
                "WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%' "
                "AND t.sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND t.name NOT LIKE '%_fts_%'",
                columns);
  sqlite3_close (db);
  g_assert_cmpuint (tables->len, >, 15);

  url = fresh_database ();
  conn = connect_to (url);
  g_assert_true (confab_pg_migrate (conn, NULL, NULL, &error));
  g_assert_no_error (error);
  pg_tables = pg_names (conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  pg_indexes = pg_names (conn, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'");
  pg_columns = pg_names (conn, "SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = 'public'");

  for (guint i = 0; i < tables->len; i++)
    if (!g_hash_table_contains (pg_tables, tables->pdata[i]))
      g_string_append_printf (missing, " table %s;", (char *) tables->pdata[i]);
  for (guint i = 0; i < indexes->len; i++)
    if (!g_hash_table_contains (pg_indexes, indexes->pdata[i]))
      g_string_append_printf (missing, " index %s;", (char *) indexes->pdata[i]);
  for (guint i = 0; i < columns->len; i++)
    if (!g_hash_table_contains (pg_columns, columns->pdata[i]))
      g_string_append_printf (missing, " column %s;", (char *) columns->pdata[i]);

  /* A SQLite migration without its PostgreSQL twin (relay/store/postgresql/confab-pg-schema.c)
   * lands here, named. */
  if (missing->len > 0)
    g_error ("The PostgreSQL schema lacks what SQLite's has:%s", missing->str);

  /* the FAQ search: a GIN index over a generated tsvector */
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM pg_indexes WHERE indexname = 'faqs_fts' "
                                    "AND indexdef LIKE '%USING gin (search)%'"), ==, 1);

  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

/* The FAQ search and the cascades work as the SQLite ones do. */
static void
test_schema_behaviour (void)
{
  g_autofree char *url = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GError) error = NULL;
  PGresult *result;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  conn = connect_to (url);
  g_assert_true (confab_pg_migrate (conn, NULL, NULL, &error));
  g_assert_no_error (error);

  exec_ok (conn,
           "INSERT INTO users VALUES ('u1', 'Ana@Example.org', 'Ana', 'x', 1);\n"
           "INSERT INTO sites (id, name, site_key, created_at) VALUES ('s1', 'Shop', 'k1', 1);\n"
           "INSERT INTO memberships VALUES ('s1', 'u1', 'owner', 1);\n"
           "INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen)\n"
           "  VALUES ('v1', 's1', 'h', 1, 1);\n"
           "INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at)\n"
           "  VALUES ('c1', 's1', 'v1', 1, 1);\n"
           "INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at)\n"
           "  VALUES (confab_next_cursor (), 's1', 'message', 'c1', 1, 1);\n"
           "INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id,\n"
           "                      body, created_at)\n"
           "  VALUES ('c1', 1, 1, 'cid', 'visitor', 'v1', 'hello', 1);\n"
           "INSERT INTO faqs (id, site_id, question, answer, keywords, created_at, updated_at)\n"
           "  VALUES ('f1', 's1', 'How do I return a parcel?', 'Use the form.', '[\"refund\"]', 1, 1),\n"
           "         ('f2', 's1', 'Opening hours', 'Nine to five.', '[]', 1, 1);\n");

  /* the e-mail is unique whatever its case, as COLLATE NOCASE made it */
  result = PQexec (conn, "INSERT INTO users VALUES ('u2', 'ana@example.ORG', NULL, 'x', 1)");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (PQresultErrorField (result, PG_DIAG_SQLSTATE), ==, "23505");
  PQclear (result);

  /* a client id is stored once per sender */
  result = PQexec (conn, "INSERT INTO events (cursor, site_id, kind, created_at) "
                         "VALUES (confab_next_cursor (), 's1', 'message', 2);"
                         "INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                         "sender_type, sender_id, body, created_at) "
                         "VALUES ('c1', 2, 2, 'cid', 'visitor', 'v1', 'again', 2)");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_FATAL_ERROR);
  PQclear (result);

  /* full-text search over question, answer and keywords, by the GIN index's column */
  result = query (conn, "SELECT id FROM faqs WHERE site_id = 's1' "
                        "AND search @@ plainto_tsquery ('simple', 'refund') ");
  g_assert_cmpint (PQntuples (result), ==, 1);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "f1");
  PQclear (result);

  /* the analytics figures are kept by triggers as messages and timeline events are written */
  exec_ok (conn,
           "INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at)\n"
           "  VALUES (confab_next_cursor (), 's1', 'message', 'c1', 2, 900000);\n"
           "INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id,\n"
           "                      body, created_at)\n"
           "  SELECT 'c1', 2, currval ('events_cursor'), 'a1', 'agent', 'u1', 'hi!', 900000;\n"
           "INSERT INTO events (cursor, site_id, kind, conversation_id, payload, created_at)\n"
           "  VALUES (confab_next_cursor (), 's1', 'timeline', 'c1',\n"
           "          '{\"event\":{\"kind\":\"resolved\"}}', 5);\n");
  result = query (conn, "SELECT first_visitor_seq, first_visitor_text, first_reply_at, "
                        "first_reply_by, agent_wrote, resolved_at FROM conversations");
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "1");
  g_assert_cmpstr (PQgetvalue (result, 0, 1), ==, "hello");
  g_assert_cmpstr (PQgetvalue (result, 0, 2), ==, "900000");
  g_assert_cmpstr (PQgetvalue (result, 0, 3), ==, "u1");
  g_assert_cmpstr (PQgetvalue (result, 0, 4), ==, "t");
  g_assert_cmpstr (PQgetvalue (result, 0, 5), ==, "5");
  PQclear (result);
  g_assert_cmpint (query_int (conn, "SELECT sum (count) FROM message_counts"), ==, 2);
  g_assert_cmpint (query_int (conn, "SELECT count FROM message_counts WHERE slot = 1 "
                                    "AND sender_type = 'agent' AND sender_id = 'u1'"), ==, 1);

  /* a deleted conversation's messages leave the counts */
  exec_ok (conn, "INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at)\n"
                 "  VALUES ('c2', 's1', 'v1', 1, 1);\n"
                 "INSERT INTO events (cursor, site_id, kind, conversation_id, seq, created_at)\n"
                 "  VALUES (confab_next_cursor (), 's1', 'message', 'c2', 1, 900001);\n"
                 "INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type,\n"
                 "                      sender_id, body, created_at)\n"
                 "  SELECT 'c2', 1, currval ('events_cursor'), 'a2', 'agent', 'u1', 'hey', 900001;\n");
  g_assert_cmpint (query_int (conn, "SELECT count FROM message_counts WHERE slot = 1 "
                                    "AND sender_type = 'agent' AND sender_id = 'u1'"), ==, 2);
  exec_ok (conn, "DELETE FROM conversations WHERE id = 'c2'");
  g_assert_cmpint (query_int (conn, "SELECT count FROM message_counts WHERE slot = 1 "
                                    "AND sender_type = 'agent' AND sender_id = 'u1'"), ==, 1);
  exec_ok (conn, "DELETE FROM conversations WHERE id = 'c1'");
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM message_counts"), ==, 0);

  /* deleting a site takes everything of it along */
  exec_ok (conn, "DELETE FROM sites WHERE id = 's1'");
  g_assert_cmpint (query_int (conn, "SELECT (SELECT count (*) FROM visitors) + "
                                    "(SELECT count (*) FROM conversations) + "
                                    "(SELECT count (*) FROM events) + "
                                    "(SELECT count (*) FROM messages) + "
                                    "(SELECT count (*) FROM faqs) + "
                                    "(SELECT count (*) FROM message_counts) + "
                                    "(SELECT count (*) FROM memberships)"), ==, 0);
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM users"), ==, 1);
}

/* --- cursors in commit order ----------------------------------------------------------------- */

static void
wait_until_blocked_on_lock (PGconn *observer,
                            int     pid)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM pg_stat_activity "
                                          "WHERE pid = %d AND wait_event_type = 'Lock'", pid);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (query_int (observer, sql) != 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5000);
    }
}

/* What the scheme is for, shown step by step: a second writer cannot take a cursor while the
 * first one's transaction is in flight, so a reader never sees N + 1 without N. The same steps
 * with a bigserial show the gap it would have. */
static void
test_cursor_commit_order (void)
{
  g_autofree char *url = NULL;
  g_autoptr (PGconn) first = NULL, second = NULL, reader = NULL;
  g_autoptr (GError) error = NULL;
  PGresult *result;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  first = connect_to (url);
  second = connect_to (url);
  reader = connect_to (url);
  g_assert_true (confab_pg_migrate (first, NULL, NULL, &error));
  g_assert_no_error (error);
  exec_ok (first, "INSERT INTO sites (id, name, site_key, created_at) VALUES ('s1', 'S', 'k', 1)");

  /* the control: a bigserial hands out 1 then 2, and 2 commits first */
  exec_ok (first, "CREATE TABLE serial_events (id bigserial PRIMARY KEY)");
  exec_ok (first, "BEGIN; INSERT INTO serial_events DEFAULT VALUES");
  exec_ok (second, "INSERT INTO serial_events DEFAULT VALUES");
  g_assert_cmpint (query_int (reader, "SELECT max (id) FROM serial_events"), ==, 2);
  g_assert_cmpint (query_int (reader, "SELECT count (*) FROM serial_events WHERE id = 1"), ==, 0);
  exec_ok (first, "COMMIT");

  /* the scheme: the first takes cursor 1 and stays in flight */
  exec_ok (first, "BEGIN");
  g_assert_cmpint (query_int (first, "INSERT INTO events (cursor, site_id, kind, created_at) "
                                     "VALUES (confab_next_cursor (), 's1', 'k', 1) RETURNING cursor"),
                   ==, 1);
  /* the second waits for it: no cursor 2 while 1 is uncommitted */
  g_assert_true (PQsendQuery (second, "INSERT INTO events (cursor, site_id, kind, created_at) "
                                      "VALUES (confab_next_cursor (), 's1', 'k', 2) RETURNING cursor"));
  wait_until_blocked_on_lock (reader, PQbackendPID (second));
  g_assert_cmpint (query_int (reader, "SELECT count (*) FROM events"), ==, 0);

  exec_ok (first, "COMMIT");
  result = PQgetResult (second);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "2");
  PQclear (result);
  g_assert_null (PQgetResult (second));
  g_assert_cmpint (query_int (reader, "SELECT (string_agg (cursor::text, ',' ORDER BY cursor) "
                                      "= '1,2')::int FROM events"), ==, 1);

  /* a rolled-back transaction's cursor stays a hole that nothing fills later, so a reader
   * that moved past it misses nothing */
  exec_ok (first, "BEGIN");
  g_assert_cmpint (query_int (first, "SELECT confab_next_cursor ()"), ==, 3);
  g_assert_true (PQsendQuery (second, "SELECT confab_next_cursor ()"));
  wait_until_blocked_on_lock (reader, PQbackendPID (second));
  exec_ok (first, "ROLLBACK");
  result = PQgetResult (second);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "4");
  PQclear (result);
  g_assert_null (PQgetResult (second));
}

#define WRITERS 4
#define TRANSACTIONS_PER_WRITER 250

typedef struct {
  const char    *url;
  Start         *start;
  guint          seed;
  gint64         committed;   /* events this writer committed */
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  g_autoptr (PGconn) conn = connect_to (writer->url);
  g_autoptr (GRand) rand = g_rand_new_with_seed (writer->seed);

  wait_for_start (writer->start);
  for (int t = 0; t < TRANSACTIONS_PER_WRITER; t++)
    {
      int events = g_rand_int_range (rand, 1, 4);
      gboolean rollback = g_rand_int_range (rand, 0, 10) == 0;

      /* a relay's group commit: several events in one transaction */
      exec_ok (conn, "BEGIN");
      for (int e = 0; e < events; e++)
        exec_ok (conn, "INSERT INTO events (cursor, site_id, kind, created_at) "
                       "VALUES (confab_next_cursor (), 's1', 'message', 1)");
      /* sometimes in flight a while, as a relay's transaction waits on the network */
      if (g_rand_int_range (rand, 0, 8) == 0)
        exec_ok (conn, "SELECT pg_sleep (0.002)");
      exec_ok (conn, rollback ? "ROLLBACK" : "COMMIT");
      if (!rollback)
        writer->committed += events;
    }
  return NULL;
}

typedef struct {
  const char    *url;
  Start         *start;
  gint           writers_done;
  gint64         last;        /* the last cursor read */
  guint          reads;
  GHashTable    *seen;        /* every cursor read */
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;
  g_autoptr (PGconn) conn = connect_to (reader->url);
  gboolean last_round = FALSE;

  wait_for_start (reader->start);
  /* One more read after the writers finish. */
  while (!last_round)
    {
      g_autofree char *after = g_strdup_printf ("%" G_GINT64_FORMAT, reader->last);
      const char *params[] = { after };
      PGresult *result;

      last_round = g_atomic_int_get (&reader->writers_done);
      /* as an agent resumes: everything after the last cursor it has */
      result = PQexecParams (conn, "SELECT cursor FROM events WHERE cursor > $1 ORDER BY cursor",
                             1, NULL, params, NULL, NULL, 0);
      g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
      for (int i = 0; i < PQntuples (result); i++)
        {
          gint64 cursor = g_ascii_strtoll (PQgetvalue (result, i, 0), NULL, 10);

          g_hash_table_add (reader->seen, g_memdup2 (&cursor, sizeof cursor));
          reader->last = cursor;
        }
      reader->reads++;
      PQclear (result);
    }
  return NULL;
}

/* Several writers (each a relay's connection) and a reader resuming by cursor as an agent
 * does: every committed event must reach it, none skipped because a smaller cursor committed
 * after it had moved past. */
static void
test_cursor_concurrent_writers (void)
{
  g_autofree char *url = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GError) error = NULL;
  Start start = { 0 };
  Writer writers[WRITERS] = { 0 };
  GThread *threads[WRITERS];
  Reader reader = { 0 };
  GThread *reader_handle;
  gint64 committed = 0;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  conn = connect_to (url);
  g_assert_true (confab_pg_migrate (conn, NULL, NULL, &error));
  g_assert_no_error (error);
  exec_ok (conn, "INSERT INTO sites (id, name, site_key, created_at) VALUES ('s1', 'S', 'k', 1)");

  g_mutex_init (&start.mutex);
  g_cond_init (&start.cond);
  start.url = url;
  reader.url = url;
  reader.start = &start;
  reader.seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  reader_handle = g_thread_new ("reader", reader_thread, &reader);
  for (guint i = 0; i < WRITERS; i++)
    {
      writers[i].url = url;
      writers[i].start = &start;
      writers[i].seed = g_test_rand_int ();
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }
  release_start (&start, WRITERS + 1);

  for (guint i = 0; i < WRITERS; i++)
    {
      g_thread_join (threads[i]);
      committed += writers[i].committed;
    }
  g_atomic_int_set (&reader.writers_done, TRUE);
  g_thread_join (reader_handle);

  g_test_message ("%u reads while %d writers committed %" G_GINT64_FORMAT " events",
                  reader.reads, WRITERS, committed);
  g_assert_cmpint (query_int (conn, "SELECT count (*) FROM events"), ==, committed);
  {
    PGresult *result = query (conn, "SELECT cursor FROM events ORDER BY cursor");
    guint missed = 0;
    gint64 first_missed = 0;

    for (int i = 0; i < PQntuples (result); i++)
      {
        gint64 cursor = g_ascii_strtoll (PQgetvalue (result, i, 0), NULL, 10);

        if (!g_hash_table_contains (reader.seen, &cursor) && missed++ == 0)
          first_missed = cursor;
      }
    PQclear (result);
    if (missed > 0)
      g_error ("The reader missed %u committed events, the first: cursor %" G_GINT64_FORMAT
               " (it committed after a larger cursor had been read)", missed, first_missed);
  }
  g_assert_cmpuint (g_hash_table_size (reader.seen), ==, committed);
  /* the reader read while they wrote, not only at the end */
  g_assert_cmpuint (reader.reads, >, 2);

  g_hash_table_unref (reader.seen);
  g_mutex_clear (&start.mutex);
  g_cond_clear (&start.cond);
}

/* --- the main-loop connection ---------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  int        ups;
  int        downs;
  GPtrArray *answers;   /* "ok:VALUE" or "error:CODE" per callback, in callback order */
  int        waiting;   /* callbacks still due */
} Loop;

static void
on_state (ConfabPgConnection *connection,
          gboolean            connected,
          const GError       *error,
          gpointer            user_data)
{
  Loop *loop = user_data;

  if (connected)
    loop->ups++;
  else
    {
      g_assert_nonnull (error);
      loop->downs++;
    }
  g_main_loop_quit (loop->loop);
}

static void
on_answer (ConfabPgConnection *connection,
           PGresult           *result,
           const GError       *error,
           gpointer            user_data)
{
  Loop *loop = user_data;

  if (error != NULL)
    {
      g_assert_null (result);
      g_ptr_array_add (loop->answers, g_strdup_printf ("error:%d", error->code));
    }
  else
    g_ptr_array_add (loop->answers,
                     g_strdup_printf ("ok:%s", PQntuples (result) > 0 ? PQgetvalue (result, 0, 0)
                                                                      : ""));
  if (--loop->waiting == 0)
    g_main_loop_quit (loop->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("Timed out waiting on the PostgreSQL connection");
  return G_SOURCE_REMOVE;
}

/* Runs the loop until it quits, bounded. */
static void
run_loop (Loop *loop)
{
  guint timeout = g_timeout_add_seconds (30, on_timeout, NULL);

  g_main_loop_run (loop->loop);
  g_source_remove (timeout);
}

static ConfabPgConnection *
connect_on_loop (Loop       *loop,
                 const char *url)
{
  ConfabPgConnection *connection = confab_pg_connection_new (url);

  loop->loop = g_main_loop_new (NULL, FALSE);
  loop->answers = g_ptr_array_new_with_free_func (g_free);
  confab_pg_connection_set_state_func (connection, on_state, loop);
  run_loop (loop);
  g_assert_cmpint (loop->ups, ==, 1);
  g_assert_true (confab_pg_connection_is_connected (connection));
  return connection;
}

static void
loop_clear (Loop *loop)
{
  g_clear_pointer (&loop->loop, g_main_loop_unref);
  g_clear_pointer (&loop->answers, g_ptr_array_unref);
}

static void
query_on_loop (ConfabPgConnection *connection,
               Loop               *loop,
               const char         *sql,
               const char         *param)
{
  g_autoptr (GError) error = NULL;
  const char *values[] = { param };

  g_assert_true (confab_pg_connection_query (connection, sql, param ? 1 : 0, param ? values : NULL,
                                             on_answer, loop, &error));
  g_assert_no_error (error);
  loop->waiting++;
}

/* One turn's queries go in one pipeline and one implicit transaction; their answers come back
 * in order. */
static void
test_connection_pipeline (void)
{
  g_autofree char *url = NULL;
  g_autoptr (PGconn) blocking = NULL;
  g_autoptr (ConfabPgConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  Loop loop = { 0 };

  if (skip_without_server ())
    return;

  url = fresh_database ();
  blocking = connect_to (url);
  g_assert_true (confab_pg_migrate (blocking, NULL, NULL, &error));
  g_assert_no_error (error);
  exec_ok (blocking, "INSERT INTO sites (id, name, site_key, created_at) VALUES ('s1', 'S', 'k', 1)");

  connection = connect_on_loop (&loop, url);
  for (int i = 0; i < 1000; i++)
    query_on_loop (connection, &loop,
                   "INSERT INTO events (cursor, site_id, kind, created_at) "
                   "VALUES (confab_next_cursor (), 's1', 'message', $1::bigint) RETURNING cursor",
                   "7");
  query_on_loop (connection, &loop, "SELECT count (*) FROM events", NULL);
  run_loop (&loop);

  g_assert_cmpuint (loop.answers->len, ==, 1001);
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *expected = g_strdup_printf ("ok:%u", i + 1);

      g_assert_cmpstr (loop.answers->pdata[i], ==, expected);
    }
  g_assert_cmpstr (loop.answers->pdata[1000], ==, "ok:1000");
  g_assert_cmpint (query_int (blocking, "SELECT count (*) FROM events"), ==, 1000);

  /* a failing statement rolls its whole batch back; the statements after it are not run,
   * and the next turn's batch is unaffected */
  g_ptr_array_set_size (loop.answers, 0);
  query_on_loop (connection, &loop, "INSERT INTO events (cursor, site_id, kind, created_at) "
                                    "VALUES (confab_next_cursor (), 's1', 'message', 1)", NULL);
  query_on_loop (connection, &loop, "INSERT INTO events (cursor, site_id, kind, created_at) "
                                    "VALUES (confab_next_cursor (), 'no-such-site', 'message', 1)",
                 NULL);
  query_on_loop (connection, &loop, "SELECT 1", NULL);
  run_loop (&loop);
  g_assert_cmpuint (loop.answers->len, ==, 3);
  g_assert_cmpstr (loop.answers->pdata[0], ==, "ok:");
  g_assert_cmpstr (loop.answers->pdata[1], ==, "error:0");    /* G_IO_ERROR_FAILED */
  g_assert_cmpstr (loop.answers->pdata[2], ==, "error:19");   /* G_IO_ERROR_CANCELLED */
  g_assert_cmpint (query_int (blocking, "SELECT count (*) FROM events"), ==, 1000);

  g_ptr_array_set_size (loop.answers, 0);
  query_on_loop (connection, &loop, "SELECT $1::int + 1", "41");
  run_loop (&loop);
  g_assert_cmpstr (loop.answers->pdata[0], ==, "ok:42");

  /* the session is set up as confab_pg_connect () does it */
  g_ptr_array_set_size (loop.answers, 0);
  query_on_loop (connection, &loop, "SHOW TIME ZONE", NULL);
  run_loop (&loop);
  g_assert_cmpstr (loop.answers->pdata[0], ==, "ok:UTC");

  /* a bounded number in flight: past it, a clear refusal, and nothing lost of what was queued */
  confab_pg_connection_set_max_pending (connection, 3);
  g_ptr_array_set_size (loop.answers, 0);
  query_on_loop (connection, &loop, "SELECT 1", NULL);
  query_on_loop (connection, &loop, "SELECT 2", NULL);
  query_on_loop (connection, &loop, "SELECT 3", NULL);
  g_assert_false (confab_pg_connection_query (connection, "SELECT 4", 0, NULL, on_answer, &loop,
                                              &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  run_loop (&loop);
  g_assert_cmpuint (loop.answers->len, ==, 3);
  g_assert_cmpstr (loop.answers->pdata[2], ==, "ok:3");

  g_clear_pointer (&connection, confab_pg_connection_free);
  loop_clear (&loop);
}

/* The server ends the session (a restart, a failover, an administrator): what was pending fails
 * with an error, queries are refused while down, and the connection comes back by itself. */
static void
test_connection_reconnects (void)
{
  g_autofree char *url = NULL, *kill = NULL;
  g_autoptr (PGconn) blocking = NULL;
  g_autoptr (ConfabPgConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  Loop loop = { 0 };
  int first_pid;

  if (skip_without_server ())
    return;

  url = fresh_database ();
  blocking = connect_to (url);
  connection = connect_on_loop (&loop, url);
  first_pid = confab_pg_connection_get_backend_pid (connection);
  g_assert_cmpint (first_pid, >, 0);

  /* a query in flight when the session is killed */
  query_on_loop (connection, &loop, "SELECT pg_sleep (30)", NULL);
  kill = g_strdup_printf ("SELECT pg_terminate_backend (%d)", first_pid);
  exec_ok (blocking, kill);
  run_loop (&loop);   /* the answer (an error) and the state change both quit it */
  while (loop.downs == 0 || loop.waiting > 0)
    run_loop (&loop);
  g_assert_cmpuint (loop.answers->len, ==, 1);
  g_assert_true (g_str_has_prefix (loop.answers->pdata[0], "error:"));
  g_assert_cmpint (loop.downs, ==, 1);

  /* down: refused at once, with a reason */
  if (!confab_pg_connection_is_connected (connection))
    {
      g_assert_false (confab_pg_connection_query (connection, "SELECT 1", 0, NULL, on_answer,
                                                  &loop, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
    }

  /* back by itself, on another server process */
  while (loop.ups < 2)
    run_loop (&loop);
  g_assert_true (confab_pg_connection_is_connected (connection));
  g_assert_cmpint (confab_pg_connection_get_backend_pid (connection), !=, first_pid);
  g_ptr_array_set_size (loop.answers, 0);
  query_on_loop (connection, &loop, "SELECT 'back'", NULL);
  run_loop (&loop);
  g_assert_cmpstr (loop.answers->pdata[0], ==, "ok:back");

  g_clear_pointer (&connection, confab_pg_connection_free);
  loop_clear (&loop);
}

/* --- the harness itself ---------------------------------------------------------------------- */

static void
test_redis_server (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RedisServer) redis = redis_server_start (&error);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  char reply[32] = { 0 };
  gsize got = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (redis_server_get_url (redis), "redis://127.0.0.1:"));
  /* loopback only, never through a proxy from the environment */
  g_socket_client_set_enable_proxy (client, FALSE);

  /* a real Redis 7: SET and GET round-trip */
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", redis_server_get_port (redis),
                                                NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             "SET k v\r\nGET k\r\n", 16, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                           reply, 12, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "+OK\r\n$1\r\nv\r\n");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  server = pg_server_start (&error);
  if (server == NULL)
    {
      /* missing binaries are a skip; a server that is there and fails is a failure */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Cannot start PostgreSQL: %s", error->message);
      skip_reason = g_strdup (error->message);
    }

  g_test_add_func ("/store/postgresql/migrate-twice", test_migrate_twice);
  g_test_add_func ("/store/postgresql/migrate-concurrently", test_migrate_concurrently);
  g_test_add_func ("/store/postgresql/migrate-bad-url", test_migrate_bad_url);
  g_test_add_func ("/store/postgresql/config-values", test_config_values);
  g_test_add_func ("/store/postgresql/every-function-ported", test_every_function_ported);
  g_test_add_func ("/store/postgresql/shared-key", test_shared_key);
  g_test_add_func ("/store/postgresql/connection-lost", test_connection_lost);
  g_test_add_func ("/store/postgresql/migrate-store", test_migrate_store);
  g_test_add_func ("/store/postgresql/schema-matches-sqlite", test_schema_matches_sqlite);
  g_test_add_func ("/store/postgresql/schema-behaviour", test_schema_behaviour);
  g_test_add_func ("/store/postgresql/cursor-commit-order", test_cursor_commit_order);
  g_test_add_func ("/store/postgresql/cursor-concurrent-writers", test_cursor_concurrent_writers);
  g_test_add_func ("/store/postgresql/connection/pipeline", test_connection_pipeline);
  g_test_add_func ("/store/postgresql/connection/reconnects", test_connection_reconnects);
  g_test_add_func ("/store/postgresql/redis-server", test_redis_server);

  status = g_test_run ();
  pg_server_stop (server);
  g_free (skip_reason);
  return status;
}
