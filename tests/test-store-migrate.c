/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store-migrate.c: `confab-relay admin migrate-store` copies everything a SQLite store
 * holds into PostgreSQL (tests/pg-harness.c starts one on loopback for this test).
 *
 * A SQLite store gets at least one row in every table through the store's own functions
 * (fill_every_table ()), then the two stores are compared table by table: every table of the
 * SQLite schema must hold the same rows on PostgreSQL, column by column, or be listed in
 * not_copied[] with the reason. A table added to the schema later fails here until
 * migrate-store copies it (or says why not) and this test gives it a row.
 *
 * Skipped, with the reason, only when PostgreSQL is not installed.
 */
#define G_LOG_DOMAIN "test-store-migrate"

#include "confab-pg-connection.h"
#include "confab-pg-schema.h"
#include "confab-pg-store.h"
#include "confab-store-channels.h"
#include "confab-store-chat.h"
#include "confab-store-data.h"
#include "confab-store-email.h"
#include "confab-store-hooks.h"
#include "confab-store-kb.h"
#include "confab-store-team.h"
#include "confab-store-routing.h"
#include "confab-store-engage.h"
#include "confab-store-assistant.h"
#include "confab-store.h"
#include "pg-harness.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

/* Tables whose rows are not copied, and what the test checks instead. */
static const struct {
  const char *table;
  gboolean    compare;  /* TRUE: PostgreSQL rebuilds the same rows from the copied ones */
  const char *why;
} not_copied[] = {
  { "message_counts", TRUE, "rebuilt by PostgreSQL's messages_analytics trigger" },
  { "messages_fts_pending", FALSE, "the FTS5 index's to-do list; the GIN index needs none" },
  { "embeddings", FALSE, "the assistant's vectors: the relay computes them again from the copied FAQs and articles" },
};

#define AVATAR_SHA "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define IP_HASH_KEY "k3y-of-the-ip-hashes-0123456789abcdef"

static PgServer *server;
static char *skip_reason;

static char *
fresh_database (const char *name)
{
  g_autoptr (PGconn) conn = PQconnectdb (pg_server_get_url (server));
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, sql);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  return g_strdup_printf ("postgresql://confab@127.0.0.1:%u/%s", pg_server_get_port (server),
                          name);
}

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
write_file (const char *dir,
            const char *name,
            const char *contents,
            gssize      len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

/* At least one row in every table, each through the store function that writes it. A new
 * table gets its row here. */
static void
fill_every_table (ConfabStore *store,
                  const char  *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (ConfabUser) invited = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabVisitor) contact = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (ConfabLabel) label = NULL;
  g_autoptr (ConfabNote) note = NULL;
  g_autoptr (ConfabCanned) canned = NULL;
  g_autoptr (ConfabBlock) block = NULL;
  g_autoptr (ConfabApiKey) key = NULL;
  g_autoptr (ConfabWebhook) webhook = NULL;
  g_autoptr (ConfabArticle) article = NULL;
  g_autoptr (ConfabOfflineReply) reply = NULL;
  g_autofree char *offline_id = NULL;
  g_autofree char *mail_id = NULL;
  gint64 last_seq = 0;
  gboolean is_new = FALSE, duplicate = FALSE;

  owner = confab_store_create_user (store, "owner@example.com", "Owner", "hash", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, owner->id, "Shop",
                                   (const char *[]) { "shop.example", NULL }, &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_add_token (store, "token-hash", owner->id,
                                         g_get_real_time () / 1000 + 3600000, &error));
  invited = confab_store_invite_user (store, "agent@example.com", site->id, CONFAB_ROLE_AGENT,
                                      "code-hash", owner->id,
                                      g_get_real_time () / 1000 + 3600000, &error);
  g_assert_no_error (error);
  /* the avatar's picture is a file beside the database */
  g_assert_true (confab_store_set_avatar (store, owner->id, AVATAR_SHA, &error));
  write_file (dir, "avatars/" AVATAR_SHA ".png", "\x89PNG picture", 12);
  write_file (dir, "ip-hash-key", IP_HASH_KEY "\n", -1);

  /* a first-response target: the visitor's messages below start one (response_targets) */
  {
    g_autoptr (ConfabSite) targeted = confab_store_update_site (store, site->id, NULL, NULL,
                                                                "{\"first_response_seconds\":60}",
                                                                -1, &error);
    g_assert_no_error (error);
  }
  visitor = confab_store_create_visitor (store, site->id, "visitor-token-hash", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_add_page_view (store, visitor->id, "https://shop.example/",
                                             "Home", 1000, &error));

  /* a webhook on message.created before the last message: a delivery in its log */
  webhook = confab_store_create_webhook (store, site->id, "https://hooks.example/in",
                                         (const char *[]) { "message.created", NULL },
                                         "whsec", TRUE, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("c%d", i);
      g_autofree char *body = g_strdup_printf ("message %d about the café", i);
      g_autoptr (ConfabMessage) message = NULL;
      ConfabMessageDraft draft = {
        .site_id = site->id, .visitor_id = visitor->id, .client_id = client_id,
        .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id, .body = body,
      };

      g_clear_pointer (&conversation, confab_conversation_free);
      g_assert_true (confab_store_append_message (store, &draft, &message, &conversation, NULL,
                                                  NULL, &error));
      g_assert_no_error (error);
      last_seq = message->seq;
    }
  g_assert_true (confab_store_set_rating (store, conversation->id, 5, "great", &error));
  g_assert_cmpint (confab_store_add_visitor_event (store, site->id, visitor->id, "{}", &error), >, 0);
  g_assert_no_error (error);

  offline_id = confab_store_add_offline_message (store, site->id, visitor->id, "Vera",
                                                 "vera@example.org", "Call me", &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_audit (store, owner->id, site->id, "site.updated", "{}", NULL, &error));
  block = confab_store_block_visitor (store, site->id, visitor->id, "spam", owner->id, &error);
  g_assert_no_error (error);

  faq = confab_store_create_faq (store, site->id, "How long does shipping take?",
                                 "Two days.", (const char *[]) { "delivery", NULL }, &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_set_faq_synonyms (store, faq->id,
                                                (const char *[]) { "postage", NULL }, &error));
  g_assert_true (confab_store_set_faq_feedback (store, conversation->id, faq->id, TRUE, &error));
  g_assert_true (confab_store_request_human (store, conversation->id, &is_new, &error));
  canned = confab_store_create_canned (store, site->id, "hi", "Hello!", &error);
  g_assert_no_error (error);

  {
    ConfabUpload upload = {
      .id = "upl_1", .site_id = site->id, .conversation_id = conversation->id,
      .sha256 = "ab12", .mime = "application/pdf", .kind = "file", .size = 5, .name = "a.pdf",
    };

    g_assert_true (confab_store_add_upload (store, &upload, &error));
    write_file (dir, "uploads/ab/12/ab12", "%PDF-", 5);
  }

  /* e-mail */
  mail_id = confab_store_queue_mail (store, site->id, "offline_reply", NULL, 0,
                                     "vera@example.org", "r1@shop.example",
                                     "Subject: x\r\n\r\nx\r\n", &error);
  g_assert_no_error (error);
  reply = confab_store_add_offline_reply (store, offline_id, owner->id, "Owner", "Sure", mail_id,
                                          &error);
  g_assert_no_error (error);
  {
    ConfabEmailChannel channel = {
      .site_id = site->id, .enabled = TRUE, .address = "help@shop.example",
      .imap_url = "imap://127.0.0.1/INBOX", .imap_user = "help", .imap_password = "secret",
      .poll_seconds = 60,
    };

    g_assert_true (confab_store_put_email_channel (store, &channel, &error));
  }
  g_assert_true (confab_store_add_mail_thread (store, "in1@mail.example", conversation->id, &error));

  /* notes and labels */
  note = confab_store_add_note (store, conversation->id, owner->id, "Owner", "n1",
                                "Looks like a regular", "[]", &duplicate, &error);
  g_assert_no_error (error);
  label = confab_store_create_label (store, site->id, "VIP", "#ff0000", &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_set_conversation_labels (store, site->id, conversation->id,
                                                       (const char *[]) { label->id, NULL },
                                                       &error));

  /* the knowledge base */
  {
    ConfabArticleDraft draft = {
      .slug = "shipping", .title = "Shipping", .body = "We ship in **two** days.",
      .category = "Orders", .language = "en", .published = 1,
    };

    article = confab_store_create_article (store, site->id, &draft, &error);
    g_assert_no_error (error);
  }

  /* Messenger and WhatsApp */
  g_assert_true (confab_store_put_channel_settings (store, site->id, "messenger", TRUE,
                                                    "{\"page_id\":\"42\"}",
                                                    "{\"app_secret\":\"s3cret\"}", &error));
  contact = confab_store_add_channel_contact (store, site->id, "messenger", "psid-1", "Mia",
                                              &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_mark_channel_seen (store, site->id, "messenger", "mid.1",
                                                 g_get_real_time () / 1000, &error));
  g_assert_true (confab_store_add_outbox (store, conversation->id, last_seq, site->id,
                                          "messenger", "{\"text\":\"hi\"}",
                                          g_get_real_time () / 1000, &error));

  /* routing (issue 18): a team with its member, the agent's limit, the conversation in the
   * team, assigned by the relay and resolved: a handling time */
  {
    const char *members[] = { owner->id, NULL };
    ConfabTeamDraft draft = {
      .name = "Billing", .key = "billing", .member_ids = members, .assignment = "round_robin",
      .set_first_response = TRUE, .first_response_seconds = 120,
      .set_next_response = TRUE, .next_response_seconds = -1,
    };
    g_autoptr (ConfabTeam) team = confab_store_create_team (store, site->id, &draft, &error);
    g_autoptr (ConfabConversation) assigned = NULL;

    g_assert_no_error (error);
    g_assert_true (confab_store_set_max_chats (store, site->id, owner->id, 5, &error));
    g_assert_true (confab_store_set_conversation_team (store, conversation->id, team->id, &error));
    assigned = confab_store_route_assign (store, conversation->id, owner->id, &error);
    g_assert_no_error (error);
    g_assert_true (confab_store_record_handling (store, conversation->id, &error));
  }

  /* contacts, goals, triggers and a greeting (issue 16) */
  {
    const char *tags[] = { "vip", NULL };
    ConfabContactChange change = {
      .set_phone = TRUE, .phone = "+49 30 1234", .set_notes = TRUE, .notes = "Prefers e-mail",
      .set_tags = TRUE, .tags = tags, .asked_price = 1, .lead_score = 40,
    };
    ConfabTrigger draft = {
      .site_id = site->id, .name = "Pricing", .enabled = TRUE,
      .conditions_json = "{\"url\":\"/pricing\",\"seconds_on_page\":20}",
      .message_json = "\"Questions about our prices?\"", .sender_json = "{\"type\":\"assistant\"}",
    };
    g_autoptr (ConfabTrigger) trigger = NULL;
    gboolean added = FALSE;

    g_assert_true (confab_store_put_contact (store, site->id, visitor->id, &change, &error));
    g_assert_true (confab_store_add_goal (store, site->id, visitor->id, "purchase", TRUE, 49.9,
                                          g_get_real_time () / 1000, &error));
    trigger = confab_store_create_trigger (store, &draft, &error);
    g_assert_no_error (error);
    g_assert_true (confab_store_add_trigger_fire (store, site->id, trigger->id, visitor->id, 1,
                                                  g_get_real_time () / 1000, &added, &error));
    g_assert_true (added);
  }

  /* the assistant's analytics (issue 16) */
  g_assert_true (confab_store_add_assistant_event (store, site->id, conversation->id, "answer",
                                                   &error));

  /* API keys */
  key = confab_store_create_api_key (store, site->id, "CRM",
                                     (const char *[]) { "conversations:read", NULL },
                                     "key-hash", "cfk_abcd", owner->id, &error);
  g_assert_no_error (error);
}

/* The rows of @table's @columns as strings (values joined by \x1f, NULL as \x1e), sorted: the
 * two databases need not agree on an order. */
static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
sqlite_rows (sqlite3            *db,
             const char         *table,
             const char * const *columns)
{
  g_autoptr (GString) sql = g_string_new ("SELECT ");
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  guint n = g_strv_length ((char **) columns);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (sql, "%s%s", i > 0 ? ", " : "", columns[i]);
  g_string_append_printf (sql, " FROM %s", table);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      GString *row = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        {
          const char *value = (const char *) sqlite3_column_text (stmt, (int) i);

          g_string_append (row, i > 0 ? "\x1f" : "");
          g_string_append (row, value != NULL ? value : "\x1e");
        }
      g_ptr_array_add (rows, g_string_free (row, FALSE));
    }
  sqlite3_finalize (stmt);
  g_ptr_array_sort (rows, compare_rows);
  return rows;
}

#define BOOLOID 16

static GPtrArray *
pg_rows (PGconn             *conn,
         const char         *table,
         const char * const *columns)
{
  g_autoptr (GString) sql = g_string_new ("SELECT ");
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  guint n = g_strv_length ((char **) columns);
  PGresult *result;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (sql, "%s%s", i > 0 ? ", " : "", columns[i]);
  g_string_append_printf (sql, " FROM %s", table);
  result = PQexec (conn, sql->str);
  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("PostgreSQL's %s: %s", table, PQresultErrorMessage (result));
  for (int r = 0; r < PQntuples (result); r++)
    {
      GString *row = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        {
          const char *value = PQgetvalue (result, r, (int) i);

          g_string_append (row, i > 0 ? "\x1f" : "");
          if (PQgetisnull (result, r, (int) i))
            g_string_append (row, "\x1e");
          else if (PQftype (result, (int) i) == BOOLOID)
            /* SQLite's 0/1 became a boolean */
            g_string_append (row, strcmp (value, "t") == 0 ? "1" : "0");
          else
            g_string_append (row, value);
        }
      g_ptr_array_add (rows, g_string_free (row, FALSE));
    }
  PQclear (result);
  g_ptr_array_sort (rows, compare_rows);
  return rows;
}

static GStrv
sqlite_columns (sqlite3    *db,
                const char *table)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM pragma_table_info (?1) ORDER BY cid",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return g_strv_builder_end (builder);
}

static void
compare_table (sqlite3    *db,
               PGconn     *conn,
               const char *table)
{
  g_auto (GStrv) columns = sqlite_columns (db, table);
  g_autoptr (GPtrArray) from = sqlite_rows (db, table, (const char * const *) columns);
  g_autoptr (GPtrArray) to = pg_rows (conn, table, (const char * const *) columns);

  if (from->len == 0)
    g_error ("The SQLite table %s has no row in this test: give it one in "
             "tests/test-store-migrate.c's fill_every_table (), so that its copy is checked",
             table);
  if (from->len != to->len)
    g_error ("The SQLite table %s has %u rows, its copy on PostgreSQL %u: copy it in "
             "relay/confab-admin-migrate.c (tables[], after the tables it references), or list "
             "it in skipped[] there and in not_copied[] here with the reason", table, from->len,
             to->len);
  for (guint i = 0; i < from->len; i++)
    if (strcmp (g_ptr_array_index (from, i), g_ptr_array_index (to, i)) != 0)
      {
        g_autofree char *a = g_strdelimit (g_strdup (g_ptr_array_index (from, i)), "\x1f", '|');
        g_autofree char *b = g_strdelimit (g_strdup (g_ptr_array_index (to, i)), "\x1f", '|');

        g_error ("The copy of %s differs:\n  SQLite     %s\n  PostgreSQL %s", table, a, b);
      }
}

static void
test_every_table (void)
{
  g_autofree char *url = NULL, *dir = NULL, *db_path = NULL, *from = NULL, *to = NULL;
  g_autofree char *from_text = NULL, *to_text = NULL, *out = NULL, *err = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabStore) pg_store = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint compared = 0;

  if (server == NULL)
    {
      g_test_skip (skip_reason);
      return;
    }

  dir = g_dir_make_tmp ("test-store-migrate-XXXXXX", &error);
  g_assert_no_error (error);
  db_path = g_build_filename (dir, "confab.db", NULL);
  store = confab_store_open (db_path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  fill_every_table (store, dir);
  g_clear_pointer (&store, confab_store_close);

  url = fresh_database ("migrate_every_table");
  from = g_build_filename (dir, "from.conf", NULL);
  from_text = g_strdup_printf ("[relay]\ndata-dir=%s\n", dir);
  g_assert_true (g_file_set_contents (from, from_text, -1, NULL));
  to = g_build_filename (dir, "to.conf", NULL);
  to_text = g_strdup_printf ("[relay]\ndata-dir=%s\n[store]\nbackend=postgresql\nurl=%s\n", dir, url);
  g_assert_true (g_file_set_contents (to, to_text, -1, NULL));

  if (run_relay ((const char *[]) { "admin", "migrate-store", "--from-config", from,
                                    "--to-config", to, NULL }, &out, &err) != 0)
    g_error ("migrate-store failed: %s", err);

  /* table by table: every one of the SQLite schema */
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  conn = confab_pg_connect (url, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM pragma_table_list "
                                           "WHERE schema = 'main' AND type = 'table' "
                                           "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                           "ORDER BY name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *table = (const char *) sqlite3_column_text (stmt, 0);
      gboolean skip = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (not_copied); i++)
        if (strcmp (table, not_copied[i].table) == 0)
          skip = !not_copied[i].compare;
      g_test_message ("%s: %s", table, skip ? "not copied" : "compared");
      if (skip)
        continue;
      compare_table (db, conn, table);
      compared++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpuint (compared, >=, 35);
  g_assert_nonnull (strstr (out, "\"avatar_files\":1"));
  g_assert_nonnull (strstr (out, "\"ip_hash_key\":true"));

  /* what lives beside the rows: the avatar's picture, the key of the IP hashes; and the
   * search indexes PostgreSQL rebuilt */
  pg_store = confab_pg_store_open (url, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GBytes) picture = confab_store_get_upload_bytes (pg_store, AVATAR_SHA, FALSE, &error);
    g_autofree char *key = confab_pg_store_shared_key (pg_store, "ip-hash-key", &error);

    g_assert_no_error (error);
    g_assert_cmpmem (g_bytes_get_data (picture, NULL), g_bytes_get_size (picture),
                     "\x89PNG picture", 12);
    g_assert_cmpstr (key, ==, IP_HASH_KEY);
  }

  {
    const char *names[] = { "confab.db", "confab.db-wal", "confab.db-shm", "from.conf", "to.conf",
                            "ip-hash-key", "avatars/" AVATAR_SHA ".png", "avatars",
                            "uploads/ab/12/ab12", "uploads/ab/12", "uploads/ab", "uploads" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);

        g_remove (path);
      }
    g_rmdir (dir);
  }
}

/* A SQLite store with a table this relay does not know (a newer relay's, or one added to the
 * schema without its copy) is refused before anything is written, naming the table and what a
 * developer must add. */
static void
test_unknown_table (void)
{
  g_autofree char *url = NULL, *dir = NULL, *db_path = NULL, *from = NULL, *to = NULL;
  g_autofree char *text = NULL, *out = NULL, *err = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (PGconn) conn = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  PGresult *result;

  if (server == NULL)
    {
      g_test_skip (skip_reason);
      return;
    }

  dir = g_dir_make_tmp ("test-store-migrate-XXXXXX", &error);
  g_assert_no_error (error);
  db_path = g_build_filename (dir, "confab.db", NULL);
  store = confab_store_open (db_path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  owner = confab_store_create_user (store, "owner@example.com", "Owner", "hash", &error);
  g_assert_no_error (error);
  g_clear_pointer (&store, confab_store_close);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future_things (id TEXT PRIMARY KEY);"
                                     "INSERT INTO future_things VALUES ('x')", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  url = fresh_database ("migrate_unknown_table");
  from = g_build_filename (dir, "from.conf", NULL);
  text = g_strdup_printf ("[relay]\ndata-dir=%s\n", dir);
  g_assert_true (g_file_set_contents (from, text, -1, NULL));
  to = g_build_filename (dir, "to.conf", NULL);
  g_free (text);
  text = g_strdup_printf ("[relay]\ndata-dir=%s\n[store]\nbackend=postgresql\nurl=%s\n", dir, url);
  g_assert_true (g_file_set_contents (to, text, -1, NULL));

  g_assert_cmpint (run_relay ((const char *[]) { "admin", "migrate-store", "--from-config", from,
                                                 "--to-config", to, NULL }, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "future_things"));
  g_assert_nonnull (strstr (err, "relay/confab-admin-migrate.c"));
  g_assert_nonnull (strstr (err, "fill_every_table"));

  /* nothing written */
  conn = confab_pg_connect (url, &error);
  g_assert_no_error (error);
  result = PQexec (conn, "SELECT count (*) FROM users");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "0");
  PQclear (result);

  {
    const char *names[] = { "confab.db", "confab.db-wal", "confab.db-shm", "from.conf", "to.conf",
                            "ip-hash-key" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);

        g_remove (path);
      }
    g_rmdir (dir);
  }
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
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_error ("Cannot start PostgreSQL: %s", error->message);
      skip_reason = g_strdup (error->message);
    }

  g_test_add_func ("/store/migrate/every-table", test_every_table);
  g_test_add_func ("/store/migrate/unknown-table", test_unknown_table);

  status = g_test_run ();
  g_clear_pointer (&server, pg_server_stop);
  g_free (skip_reason);
  return status;
}
