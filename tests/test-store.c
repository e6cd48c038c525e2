/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c: the SQLite store against a real database file in a temporary directory.
 *
 * Built a second time with CONFAB_TEST_STORE_PG (test-store-pg): the cases marked TEST_BOTH run
 * against the PostgreSQL store, each on a fresh database of a throwaway PostgreSQL 15
 * (pg-harness.c), and fixture->path is then that database's URL. */
#define G_LOG_DOMAIN "test-store"

#include "confab-auth.h"
#include "confab-faq.h"
#include "confab-store-analytics.h"
#include "confab-store-channels.h"
#include "confab-store-chat.h"
#include "confab-store-sites.h"
#include "confab-store-email.h"
#include "confab-store-engage.h"
#include "confab-store.h"
#include "confab-store-batch.h"
#include "confab-store-data.h"
#include "confab-store-hooks.h"
#include "confab-store-routing.h"
#include "confab-store-kb.h"
#include "confab-store-team.h"
#include "confab-store-targets.h"
#include "confab-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sqlite3.h>

#ifdef CONFAB_TEST_STORE_PG
#include "confab-pg-store.h"
#include "pg-harness.h"

#include <gio/gio.h>
#include <libpq-fe.h>

static PgServer *pg_server;
static char *pg_skip_reason;

/* A fresh database: each case starts on an empty store, as with a new SQLite file. */
static char *
fresh_pg_database (void)
{
  static guint count;
  g_autofree char *name = g_strdup_printf ("store_%u", ++count);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  PGconn *conn = PQconnectdb (pg_server_get_url (pg_server));
  PGresult *result = PQexec (conn, sql);

  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (conn);
  return g_strdup_printf ("postgresql://confab@127.0.0.1:%u/%s", pg_server_get_port (pg_server),
                          name);
}
#endif

typedef struct {
  char        *dir;
  char        *path;
  ConfabStore *store;
} Fixture;

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_no_errno (g_remove (path));
    }
  g_assert_no_errno (g_rmdir (dir));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_assert_no_error (error);
#ifdef CONFAB_TEST_STORE_PG
  if (pg_server == NULL)
    {
      g_test_skip (pg_skip_reason);
      return;
    }
  fixture->path = fresh_pg_database ();
  fixture->store = confab_pg_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->store);
  return;
#endif
  fixture->path = g_build_filename (fixture->dir, "confab.db", NULL);

  /* Tests that build the database themselves open it later. */
  if (data == NULL)
    {
      fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (fixture->store);
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->store, confab_store_close);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* Tests that start without an open store pass this as their test data. */
static const char without_store[] G_GNUC_UNUSED = "without store";

/* TEST_BOTH: also on the PostgreSQL store (test-store-pg); TEST: SQLite only (its files, its
 * migrations, or functions the PostgreSQL store does not have yet). */
#define TEST_BOTH(path, func) \
  g_test_add ("/relay/store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#ifdef CONFAB_TEST_STORE_PG
#define TEST(path, func) (void) (func)
#define TEST_WITHOUT_STORE(path, func) (void) (func)
#else
#define TEST(path, func) TEST_BOTH (path, func)
#define TEST_WITHOUT_STORE(path, func) \
  g_test_add ("/relay/store/" path, Fixture, without_store, fixture_set_up, func, \
              fixture_tear_down)
#endif

/* --- helpers -------------------------------------------------------------------------------- */

static ConfabUser *
make_user (ConfabStore *store,
           const char  *email)
{
  g_autoptr (GError) error = NULL;
  ConfabUser *user = confab_store_create_user (store, email, "Someone", "$argon2id$fake", &error);

  g_assert_no_error (error);
  g_assert_nonnull (user);
  return user;
}

static ConfabSite *
make_site (ConfabStore *store,
           const char  *owner_id,
           const char  *name)
{
  g_autoptr (GError) error = NULL;
  ConfabSite *site;

  /* lists of sites are in creation order, by their creation time: PostgreSQL breaks a tie of
   * two sites made in one millisecond by id (random), SQLite by row: keep them a tick apart */
  g_usleep (1500);
  site = confab_store_create_site (store, owner_id, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (site);
  return site;
}

static ConfabVisitor *
make_visitor (ConfabStore *store,
              const char  *site_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token_hash = confab_sha256_hex ("visitor token");
  ConfabVisitor *visitor = confab_store_create_visitor (store, site_id, token_hash, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (visitor);
  return visitor;
}

/* A visitor message through the site + visitor route, as the widget sends them. */
static ConfabMessage *
visitor_says (ConfabStore         *store,
              ConfabVisitor       *visitor,
              const char          *client_id,
              const char          *body,
              ConfabConversation **out_conversation,
              gboolean            *out_changed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabMessageDraft draft = {
    .site_id = visitor->site_id,
    .visitor_id = visitor->id,
    .client_id = client_id,
    .sender_type = CONFAB_SENDER_VISITOR,
    .sender_id = visitor->id,
    .body = body,
  };
  ConfabMessage *message = NULL;
  ConfabAppendResult result = -1;
  gboolean changed = -1;

  g_assert_true (confab_store_append_message (store, &draft, &message, &conversation, &changed,
                                              &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CONFAB_APPEND_NEW);
  g_assert_nonnull (message);
  g_assert_nonnull (conversation);
  g_assert_cmpstr (message->conversation_id, ==, conversation->id);
  g_assert_cmpint (conversation->last_seq, ==, message->seq);

  if (out_conversation != NULL)
    *out_conversation = g_steal_pointer (&conversation);
  if (out_changed != NULL)
    *out_changed = changed;
  return message;
}

static ConfabMessage *
agent_says (ConfabStore *store,
            const char  *conversation_id,
            const char  *user_id,
            const char  *client_id,
            const char  *body)
{
  g_autoptr (GError) error = NULL;
  ConfabMessageDraft draft = {
    .conversation_id = conversation_id,
    .client_id = client_id,
    .sender_type = CONFAB_SENDER_AGENT,
    .sender_id = user_id,
    .sender_name = "Agent",
    .body = body,
  };
  ConfabMessage *message = NULL;
  gboolean changed = -1;

  g_assert_true (confab_store_append_message (store, &draft, &message, NULL, &changed, NULL,
                                              &error));
  g_assert_no_error (error);
  g_assert_false (changed);
  return message;
}

/* Counts rows with a throwaway second connection: what is on disk, not what the store says. */
static gint64
count_rows (const char *path,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

#ifdef CONFAB_TEST_STORE_PG
  {
    PGconn *conn = PQconnectdb (path);
    PGresult *result = PQexec (conn, sql);

    g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
    count = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    PQfinish (conn);
    return count;
  }
#endif

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* --- open and schema ------------------------------------------------------------------------ */

static void
test_open_fresh (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStore) again = NULL;
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);

  /* v2 at least; later issues append their migrations (see the migrations array) */
  g_assert_cmpint (confab_store_current_schema_version (), >=, 2);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, 0);
  /* WAL mode leaves its log next to the database while a connection is open. */
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));

  /* A second open of an up-to-date database migrates nothing and works alongside. */
  again = confab_store_open (fixture->path, CONFAB_STORE_SYNC_FULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (again), ==, confab_store_current_schema_version ());
}

static void
test_open_too_new (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_TOO_NEW);
  g_assert_null (store);
  g_assert_nonnull (strstr (error->message, "99"));
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_open_unwritable (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "no", "such", "dir.db", NULL);

  store = confab_store_open (path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED);
  g_assert_null (store);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_enums (void)
{
  ConfabConversationStatus status = -1;

  for (ConfabRole role = CONFAB_ROLE_AGENT; role <= CONFAB_ROLE_OWNER; role++)
    g_assert_cmpint (confab_role_from_string (confab_role_to_string (role)), ==, role);
  g_assert_null (confab_role_to_string (CONFAB_ROLE_NONE));
  g_assert_cmpint (confab_role_from_string ("root"), ==, CONFAB_ROLE_NONE);
  g_assert_cmpint (confab_role_from_string (NULL), ==, CONFAB_ROLE_NONE);

  for (ConfabConversationStatus s = CONFAB_STATUS_OPEN; s <= CONFAB_STATUS_CLOSED; s++)
    {
      g_assert_true (confab_status_from_string (confab_status_to_string (s), &status));
      g_assert_cmpint (status, ==, s);
    }
  g_assert_false (confab_status_from_string ("archived", &status));
  g_assert_false (confab_status_from_string (NULL, &status));

  g_assert_cmpstr (confab_sender_to_string (CONFAB_SENDER_VISITOR), ==, "visitor");
  g_assert_cmpstr (confab_sender_to_string (CONFAB_SENDER_AGENT), ==, "agent");
  g_assert_cmpstr (confab_sender_to_string (CONFAB_SENDER_BOT), ==, "bot");
  g_assert_cmpstr (confab_sender_to_string (CONFAB_SENDER_SYSTEM), ==, "system");
}

/* --- users and tokens ----------------------------------------------------------------------- */

static void
test_users (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabUser) copy = NULL;
  g_autoptr (ConfabUser) by_email = NULL;
  g_autoptr (ConfabUser) duplicate = NULL;
  g_autoptr (ConfabUser) missing = NULL;

  user = confab_store_create_user (fixture->store, "Ada@Example.org", "Ada", "$argon2id$x",
                                   &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (user->id, "usr_"));
  g_assert_cmpstr (user->email, ==, "Ada@Example.org");
  g_assert_cmpint (user->created_at, >, 0);

  copy = confab_store_get_user (fixture->store, user->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->id, ==, user->id);
  g_assert_cmpstr (copy->email, ==, "Ada@Example.org");
  g_assert_cmpstr (copy->name, ==, "Ada");
  g_assert_cmpstr (copy->password_hash, ==, "$argon2id$x");
  g_assert_cmpint (copy->created_at, ==, user->created_at);

  by_email = confab_store_get_user_by_email (fixture->store, "ada@EXAMPLE.org", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_email->id, ==, user->id);

  duplicate = confab_store_create_user (fixture->store, "ADA@example.ORG", "Other", "$x", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_assert_null (duplicate);
  /* The address stays out of error messages, which end up in logs. */
  g_assert_null (strstr (error->message, "xample"));
  g_clear_error (&error);

  missing = confab_store_get_user (fixture->store, "usr_nobody", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);

  missing = confab_store_get_user_by_email (fixture->store, "bob@example.org", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (missing);
}

/* Setup codes: one use, within their time, and only the latest; a reset revokes every token,
 * a password change all but the caller's. */
static void
test_setup_codes (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.org");
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabUser) invited = NULL;
  g_autoptr (ConfabUser) again = NULL;
  g_autoptr (ConfabUser) after = NULL;
  g_autoptr (GPtrArray) revoked = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *stored = NULL;
  gint64 now = confab_now_ms (), expires_at = 0;

  site = confab_store_create_site (fixture->store, owner->id, "Site", NULL, &error);
  g_assert_no_error (error);
  invited = confab_store_invite_user (fixture->store, "new@example.org", site->id, CONFAB_ROLE_AGENT,
                                      "code-1", owner->id, now + 60000, &error);
  g_assert_no_error (error);
  g_assert_true (confab_user_is_pending (invited));
  g_assert_cmpint (confab_store_get_role (fixture->store, site->id, invited->id), ==, CONFAB_ROLE_AGENT);

  /* the address is taken now, and nothing half-made is left by the refusal */
  again = confab_store_invite_user (fixture->store, "NEW@example.org", site->id, CONFAB_ROLE_AGENT,
                                    "code-x", owner->id, now + 60000, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_assert_null (again);
  g_clear_error (&error);
  g_assert_true (confab_store_get_setup_code (fixture->store, invited->id, &stored, &expires_at, &error));
  g_assert_cmpstr (stored, ==, "code-1");
  g_assert_cmpint (expires_at, ==, now + 60000);

  list = confab_store_list_invitations (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((ConfabInvitation *) g_ptr_array_index (list, 0))->created_by, ==, owner->id);
  g_assert_cmpstr (((ConfabInvitation *) g_ptr_array_index (list, 0))->kind, ==, "invitation");

  /* wrong code, then the right one too late: nothing changes */
  g_assert_false (confab_store_complete_setup (fixture->store, invited->id, "code-2", now, "$argon2id$p", NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (confab_store_complete_setup (fixture->store, invited->id, "code-1", now + 60000, "$argon2id$p",
                                               NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* used in time: the password is set and the code gone */
  g_assert_true (confab_store_complete_setup (fixture->store, invited->id, "code-1", now, "$argon2id$p", "Nia",
                                              &error));
  g_assert_no_error (error);
  after = confab_store_get_user (fixture->store, invited->id, &error);
  g_assert_cmpstr (after->password_hash, ==, "$argon2id$p");
  g_assert_cmpstr (after->name, ==, "Nia");
  g_assert_false (confab_store_complete_setup (fixture->store, invited->id, "code-1", now, "$argon2id$q", NULL,
                                               &error));
  g_clear_error (&error);

  /* a reset: no password, every token revoked, a new code */
  g_assert_true (confab_store_add_token (fixture->store, "t1", invited->id, 0, &error));
  g_assert_true (confab_store_add_token (fixture->store, "t2", invited->id, 0, &error));
  g_assert_true (confab_store_reset_password (fixture->store, invited->id, "reset", site->id, "code-3",
                                              owner->id, now + 60000, &revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (revoked->len, ==, 2);
  g_clear_pointer (&after, confab_user_free);
  after = confab_store_get_user (fixture->store, invited->id, &error);
  g_assert_true (confab_user_is_pending (after));
  g_assert_null (confab_store_lookup_token (fixture->store, "t1", now, &error));
  g_clear_error (&error);
  g_clear_pointer (&revoked, g_ptr_array_unref);

  /* a password change keeps the caller's token only */
  g_assert_true (confab_store_add_token (fixture->store, "t3", invited->id, 0, &error));
  g_assert_true (confab_store_add_token (fixture->store, "t4", invited->id, 0, &error));
  g_assert_true (confab_store_set_password (fixture->store, invited->id, "$argon2id$r", "t3", &revoked, &error));
  g_assert_cmpuint (revoked->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (revoked, 0), ==, "t4");
  {
    g_autofree char *kept = confab_store_lookup_token (fixture->store, "t3", now, &error);
    g_assert_cmpstr (kept, ==, invited->id);
  }
  /* which also ends the reset's code */
  g_clear_pointer (&stored, g_free);
  g_assert_false (confab_store_get_setup_code (fixture->store, invited->id, &stored, &expires_at, &error));
  g_clear_error (&error);
}

static void
test_tokens (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = make_user (fixture->store, "ada@example.org");
  g_autofree char *user_id = NULL;
  gint64 now = confab_now_ms ();

  g_assert_true (confab_store_add_token (fixture->store, "hash-live", user->id, now + 60000,
                                         &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_add_token (fixture->store, "hash-forever", user->id, 0, &error));
  g_assert_true (confab_store_add_token (fixture->store, "hash-old", user->id, now - 1, &error));
  g_assert_true (confab_store_add_token (fixture->store, "hash-revoked", user->id, now + 60000,
                                         &error));
  g_assert_no_error (error);

  /* A token for nobody cannot exist. */
  g_assert_false (confab_store_add_token (fixture->store, "hash-ghost", "usr_nobody", 0, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Nor twice. */
  g_assert_false (confab_store_add_token (fixture->store, "hash-live", user->id, 0, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  user_id = confab_store_lookup_token (fixture->store, "hash-live", now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user_id, ==, user->id);
  g_clear_pointer (&user_id, g_free);

  /* Expired exactly at expires_at. */
  user_id = confab_store_lookup_token (fixture->store, "hash-live", now + 60000, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (user_id);
  g_clear_error (&error);

  user_id = confab_store_lookup_token (fixture->store, "hash-forever", G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user_id, ==, user->id);
  g_clear_pointer (&user_id, g_free);

  user_id = confab_store_lookup_token (fixture->store, "hash-old", now, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (user_id);
  g_clear_error (&error);

  g_assert_true (confab_store_revoke_token (fixture->store, "hash-revoked", &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_revoke_token (fixture->store, "hash-revoked", &error));
  g_assert_no_error (error);
  user_id = confab_store_lookup_token (fixture->store, "hash-revoked", now, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (user_id);
  g_clear_error (&error);

  user_id = confab_store_lookup_token (fixture->store, "hash-unknown", now, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (user_id);
  g_clear_error (&error);

  g_assert_false (confab_store_revoke_token (fixture->store, "hash-unknown", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- sites and memberships ------------------------------------------------------------------ */

static void
test_sites (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.org");
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabSite) copy = NULL;
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (ConfabSite) missing = NULL;
  const char * const domains[] = { "example.org", "*.example.org", NULL };
  const char * const no_domains[] = { NULL };

  site = confab_store_create_site (fixture->store, owner->id, "Shop", domains, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (site->id, "site_"));
  g_assert_true (g_str_has_prefix (site->site_key, "sk_"));
  g_assert_cmpuint (strlen (site->site_key), ==, 3 + 24);
  g_assert_cmpstr (site->name, ==, "Shop");
  g_assert_cmpstrv (site->domains, domains);
  g_assert_cmpstr (site->settings_json, ==, "{}");
  g_assert_true (site->enabled);
  g_assert_cmpint (site->role, ==, CONFAB_ROLE_NONE);
  g_assert_cmpint (confab_store_get_role (fixture->store, site->id, owner->id), ==,
                   CONFAB_ROLE_OWNER);

  copy = confab_store_get_site_by_key (fixture->store, site->site_key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->id, ==, site->id);
  g_assert_cmpstrv (copy->domains, domains);
  g_clear_pointer (&copy, confab_site_free);

  copy = confab_store_get_site (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->site_key, ==, site->site_key);
  g_assert_cmpint (copy->created_at, ==, site->created_at);

  /* Only what is given changes. */
  updated = confab_store_update_site (fixture->store, site->id, NULL, no_domains,
                                      "{\"color\":\"#3584e4\"}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (updated->name, ==, "Shop");
  g_assert_cmpuint (g_strv_length (updated->domains), ==, 0);
  g_assert_cmpstr (updated->settings_json, ==, "{\"color\":\"#3584e4\"}");
  g_assert_true (updated->enabled);
  g_clear_pointer (&updated, confab_site_free);

  updated = confab_store_update_site (fixture->store, site->id, "Shop 2", NULL, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (updated->name, ==, "Shop 2");
  g_assert_cmpstr (updated->settings_json, ==, "{\"color\":\"#3584e4\"}");
  g_assert_false (updated->enabled);
  g_clear_pointer (&updated, confab_site_free);

  updated = confab_store_update_site (fixture->store, site->id, NULL, NULL, "[1]", -1, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED);
  g_assert_null (updated);
  g_clear_error (&error);

  updated = confab_store_update_site (fixture->store, "site_nope", "X", NULL, NULL, 1, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (updated);
  g_clear_error (&error);

  missing = confab_store_get_site (fixture->store, "site_nope", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  missing = confab_store_get_site_by_key (fixture->store, "sk_nope", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* An owner who does not exist: neither the site nor its membership is left behind. */
  missing = confab_store_create_site (fixture->store, "usr_nobody", "Ghost", NULL, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (missing);
  g_assert_cmpint (count_rows (fixture->path, "sites"), ==, 1);
}

static void
test_memberships (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) alice = make_user (fixture->store, "alice@example.org");
  g_autoptr (ConfabUser) bob = make_user (fixture->store, "bob@example.org");
  g_autoptr (ConfabUser) carol = make_user (fixture->store, "carol@example.org");
  g_autoptr (ConfabSite) first = make_site (fixture->store, alice->id, "First");
  g_autoptr (ConfabSite) second = make_site (fixture->store, alice->id, "Second");
  g_autoptr (ConfabSite) bobs = make_site (fixture->store, bob->id, "Bob's");
  g_autoptr (GPtrArray) sites = NULL;
  ConfabSite *listed;

  g_assert_true (confab_store_set_member (fixture->store, second->id, carol->id,
                                          CONFAB_ROLE_AGENT, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_set_member (fixture->store, bobs->id, carol->id,
                                          CONFAB_ROLE_ADMIN, &error));
  g_assert_no_error (error);

  sites = confab_store_list_sites_for_user (fixture->store, alice->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sites->len, ==, 2);
  listed = g_ptr_array_index (sites, 0);
  g_assert_cmpstr (listed->id, ==, first->id);
  g_assert_cmpint (listed->role, ==, CONFAB_ROLE_OWNER);
  listed = g_ptr_array_index (sites, 1);
  g_assert_cmpstr (listed->id, ==, second->id);
  g_assert_cmpstr (listed->site_key, ==, second->site_key);
  g_clear_pointer (&sites, g_ptr_array_unref);

  /* Bob sees his site only. */
  sites = confab_store_list_sites_for_user (fixture->store, bob->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sites->len, ==, 1);
  listed = g_ptr_array_index (sites, 0);
  g_assert_cmpstr (listed->id, ==, bobs->id);
  g_assert_cmpint (listed->role, ==, CONFAB_ROLE_OWNER);
  g_clear_pointer (&sites, g_ptr_array_unref);

  sites = confab_store_list_sites_for_user (fixture->store, carol->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sites->len, ==, 2);
  listed = g_ptr_array_index (sites, 0);
  g_assert_cmpstr (listed->id, ==, second->id);
  g_assert_cmpint (listed->role, ==, CONFAB_ROLE_AGENT);
  listed = g_ptr_array_index (sites, 1);
  g_assert_cmpstr (listed->id, ==, bobs->id);
  g_assert_cmpint (listed->role, ==, CONFAB_ROLE_ADMIN);
  g_clear_pointer (&sites, g_ptr_array_unref);

  g_assert_cmpint (confab_store_get_role (fixture->store, first->id, carol->id), ==,
                   CONFAB_ROLE_NONE);
  g_assert_cmpint (confab_store_get_role (fixture->store, first->id, bob->id), ==,
                   CONFAB_ROLE_NONE);

  /* Setting again changes the role; NONE removes. */
  g_assert_true (confab_store_set_member (fixture->store, second->id, carol->id,
                                          CONFAB_ROLE_ADMIN, &error));
  g_assert_cmpint (confab_store_get_role (fixture->store, second->id, carol->id), ==,
                   CONFAB_ROLE_ADMIN);
  g_assert_true (confab_store_set_member (fixture->store, second->id, carol->id,
                                          CONFAB_ROLE_NONE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_get_role (fixture->store, second->id, carol->id), ==,
                   CONFAB_ROLE_NONE);

  sites = confab_store_list_sites_for_user (fixture->store, "usr_nobody", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sites->len, ==, 0);

  g_assert_false (confab_store_set_member (fixture->store, "site_nope", carol->id,
                                           CONFAB_ROLE_AGENT, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- visitors and page views ---------------------------------------------------------------- */

static void
test_visitors (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.org");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabVisitor) copy = NULL;
  g_autoptr (ConfabVisitor) touched = NULL;
  g_autoptr (ConfabVisitor) missing = NULL;
  ConfabVisitorInfo info = {
    .locale = "de-AT", .timezone = "Europe/Vienna", .browser = "Firefox", .os = "Linux",
    .country = "AT", .city = "Graz", .fingerprint = "fp1",
  };
  ConfabVisitorInfo later = { .name = "Vera", .email = "vera@example.org", .city = "Wien" };

  visitor = confab_store_create_visitor (fixture->store, site->id, "tokenhash", &info, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (visitor->id, "vis_"));
  g_assert_cmpstr (visitor->site_id, ==, site->id);
  g_assert_cmpstr (visitor->token_hash, ==, "tokenhash");
  g_assert_cmpstr (visitor->locale, ==, "de-AT");
  g_assert_cmpstr (visitor->timezone, ==, "Europe/Vienna");
  g_assert_cmpstr (visitor->browser, ==, "Firefox");
  g_assert_cmpstr (visitor->os, ==, "Linux");
  g_assert_cmpstr (visitor->country, ==, "AT");
  g_assert_cmpstr (visitor->city, ==, "Graz");
  g_assert_cmpstr (visitor->fingerprint, ==, "fp1");
  g_assert_null (visitor->name);
  g_assert_null (visitor->email);
  g_assert_cmpint (visitor->visits, ==, 1);
  g_assert_cmpint (visitor->first_seen, ==, visitor->last_seen);

  copy = confab_store_get_visitor (fixture->store, visitor->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (copy->city, ==, "Graz");

  touched = confab_store_touch_visitor (fixture->store, visitor->id, &later, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (touched->visits, ==, 2);
  g_assert_cmpstr (touched->name, ==, "Vera");
  g_assert_cmpstr (touched->email, ==, "vera@example.org");
  g_assert_cmpstr (touched->city, ==, "Wien");
  g_assert_cmpstr (touched->country, ==, "AT");
  g_assert_cmpstr (touched->browser, ==, "Firefox");
  g_assert_cmpint (touched->last_seen, >=, visitor->last_seen);
  g_assert_cmpint (touched->first_seen, ==, visitor->first_seen);
  g_clear_pointer (&touched, confab_visitor_free);

  touched = confab_store_touch_visitor (fixture->store, visitor->id, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (touched->visits, ==, 2);
  g_assert_cmpstr (touched->name, ==, "Vera");

  missing = confab_store_touch_visitor (fixture->store, "vis_nope", &later, TRUE, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  missing = confab_store_get_visitor (fixture->store, "vis_nope", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  missing = confab_store_create_visitor (fixture->store, "site_nope", "h", NULL, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (missing);
}

static void
test_page_views (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.org");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabVisitor) other = make_visitor (fixture->store, site->id);
  g_autoptr (GPtrArray) views = NULL;
  ConfabPageView *view;

  g_assert_true (confab_store_add_page_view (fixture->store, visitor->id, "https://e.org/",
                                             "Home", 1000, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_add_page_view (fixture->store, other->id, "https://e.org/x",
                                             NULL, 1500, &error));
  g_assert_true (confab_store_add_page_view (fixture->store, visitor->id, "https://e.org/a",
                                             "A", 2000, &error));
  g_assert_true (confab_store_add_page_view (fixture->store, visitor->id, "https://e.org/b",
                                             "B", 3500, &error));
  g_assert_no_error (error);

  views = confab_store_list_page_views (fixture->store, visitor->id, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (views->len, ==, 3);
  view = g_ptr_array_index (views, 0);
  g_assert_cmpstr (view->url, ==, "https://e.org/");
  g_assert_cmpstr (view->title, ==, "Home");
  g_assert_cmpint (view->at, ==, 1000);
  g_assert_cmpint (view->left_at, ==, 2000);
  view = g_ptr_array_index (views, 1);
  g_assert_cmpstr (view->url, ==, "https://e.org/a");
  g_assert_cmpint (view->left_at, ==, 3500);
  view = g_ptr_array_index (views, 2);
  g_assert_cmpstr (view->url, ==, "https://e.org/b");
  g_assert_cmpint (view->left_at, ==, 0);
  g_clear_pointer (&views, g_ptr_array_unref);

  /* The last two, still oldest first. */
  views = confab_store_list_page_views (fixture->store, visitor->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (views->len, ==, 2);
  g_assert_cmpstr (((ConfabPageView *) g_ptr_array_index (views, 0))->url, ==, "https://e.org/a");
  g_assert_cmpstr (((ConfabPageView *) g_ptr_array_index (views, 1))->url, ==, "https://e.org/b");
  g_clear_pointer (&views, g_ptr_array_unref);

  g_assert_true (confab_store_close_page_views (fixture->store, visitor->id, 9000, &error));
  g_assert_no_error (error);
  views = confab_store_list_page_views (fixture->store, visitor->id, 1, &error);
  g_assert_cmpint (((ConfabPageView *) g_ptr_array_index (views, 0))->left_at, ==, 9000);
  g_clear_pointer (&views, g_ptr_array_unref);

  /* The other visitor's page is untouched by all of this. */
  views = confab_store_list_page_views (fixture->store, other->id, 0, &error);
  g_assert_cmpuint (views->len, ==, 1);
  g_assert_null (((ConfabPageView *) g_ptr_array_index (views, 0))->title);
  g_assert_cmpint (((ConfabPageView *) g_ptr_array_index (views, 0))->left_at, ==, 0);

  g_assert_false (confab_store_add_page_view (fixture->store, "vis_nope", "https://e.org/",
                                              NULL, 1, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- conversations and messages ------------------------------------------------------------- */

typedef struct {
  ConfabUser    *owner;
  ConfabSite    *site;
  ConfabVisitor *visitor;
} World;

static void
world_init (World       *world,
            ConfabStore *store)
{
  world->owner = make_user (store, "owner@example.org");
  world->site = make_site (store, world->owner->id, "Shop");
  world->visitor = make_visitor (store, world->site->id);
}

static void
world_clear (World *world)
{
  g_clear_pointer (&world->owner, confab_user_free);
  g_clear_pointer (&world->site, confab_site_free);
  g_clear_pointer (&world->visitor, confab_visitor_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (World, world_clear)

static void
test_first_message (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) none = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  gboolean changed = FALSE;

  world_init (&world, fixture->store);

  none = confab_store_get_current_conversation (fixture->store, world.visitor->id, &error);
  g_assert_no_error (error);
  g_assert_null (none);

  message = visitor_says (fixture->store, world.visitor, "c-1", "Hello", &conversation, &changed);
  g_assert_true (changed);
  g_assert_cmpint (message->seq, ==, 1);
  g_assert_cmpint (message->cursor, >, 0);
  g_assert_cmpstr (message->client_id, ==, "c-1");
  g_assert_cmpint (message->sender_type, ==, CONFAB_SENDER_VISITOR);
  g_assert_cmpstr (message->sender_id, ==, world.visitor->id);
  g_assert_cmpstr (message->body, ==, "Hello");
  g_assert_null (message->attachment_id);

  g_assert_true (g_str_has_prefix (conversation->id, "conv_"));
  g_assert_cmpstr (conversation->site_id, ==, world.site->id);
  g_assert_cmpstr (conversation->visitor_id, ==, world.visitor->id);
  g_assert_cmpint (conversation->status, ==, CONFAB_STATUS_OPEN);
  g_assert_null (conversation->assignee_id);
  g_assert_cmpint (conversation->last_seq, ==, 1);
  g_assert_cmpint (conversation->last_message_at, ==, message->created_at);
  g_assert_cmpint (conversation->unread, ==, 1);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, message->cursor);

  current = confab_store_get_current_conversation (fixture->store, world.visitor->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (current->id, ==, conversation->id);
}

static void
test_seq_and_cursor (Fixture       *fixture,
                     gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (ConfabVisitor) second = NULL;
  g_autoptr (ConfabConversation) first_conversation = NULL;
  g_autoptr (ConfabConversation) second_conversation = NULL;
  gint64 last_cursor = 0;

  world_init (&world, fixture->store);
  second = make_visitor (fixture->store, world.site->id);

  /* Two conversations interleaved: seq counts per conversation, the cursor across them all. */
  for (int i = 1; i <= 4; i++)
    {
      g_autofree char *id_a = g_strdup_printf ("a-%d", i);
      g_autofree char *id_b = g_strdup_printf ("b-%d", i);
      g_autoptr (ConfabMessage) a = NULL;
      g_autoptr (ConfabMessage) b = NULL;
      gboolean changed = FALSE;

      g_clear_pointer (&first_conversation, confab_conversation_free);
      g_clear_pointer (&second_conversation, confab_conversation_free);
      a = visitor_says (fixture->store, world.visitor, id_a, "a", &first_conversation, &changed);
      g_assert_cmpint (changed, ==, i == 1);
      b = visitor_says (fixture->store, second, id_b, "b", &second_conversation, &changed);
      g_assert_cmpint (changed, ==, i == 1);

      g_assert_cmpint (a->seq, ==, i);
      g_assert_cmpint (b->seq, ==, i);
      g_assert_cmpint (a->cursor, >, last_cursor);
      g_assert_cmpint (b->cursor, >, a->cursor);
      last_cursor = b->cursor;
    }

  g_assert_cmpstr (first_conversation->id, !=, second_conversation->id);
  g_assert_cmpint (first_conversation->last_seq, ==, 4);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, last_cursor);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 8);
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, 8);
}

static void
test_duplicate (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) original = NULL;
  g_autoptr (ConfabMessage) again = NULL;
  g_autoptr (ConfabMessage) conflicting = NULL;
  g_autoptr (ConfabMessage) agent = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) after = NULL;
  ConfabMessageDraft draft = { NULL, };
  ConfabAppendResult result = -1;
  gboolean changed = TRUE;
  gint64 cursor;

  world_init (&world, fixture->store);
  original = visitor_says (fixture->store, world.visitor, "retry-me", "Hi", &conversation, NULL);
  cursor = confab_store_last_cursor (fixture->store);

  draft.site_id = world.site->id;
  draft.visitor_id = world.visitor->id;
  draft.client_id = "retry-me";
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = world.visitor->id;
  draft.body = "Hi";
  g_assert_true (confab_store_append_message (fixture->store, &draft, &again, &after, &changed,
                                              &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CONFAB_APPEND_DUPLICATE);
  g_assert_false (changed);
  g_assert_cmpint (again->seq, ==, original->seq);
  g_assert_cmpint (again->cursor, ==, original->cursor);
  g_assert_cmpint (again->created_at, ==, original->created_at);
  g_assert_cmpstr (again->conversation_id, ==, original->conversation_id);
  g_assert_cmpstr (after->id, ==, conversation->id);
  g_assert_cmpint (after->last_seq, ==, 1);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 1);
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, 1);

  /* Same client id, other content: a client bug, not a retry. */
  draft.body = "Hi there";
  g_assert_false (confab_store_append_message (fixture->store, &draft, &conflicting, NULL, NULL,
                                               NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT);
  g_assert_null (conflicting);
  g_clear_error (&error);
  draft.body = "Hi";
  draft.attachment_id = "att_1";
  g_assert_false (confab_store_append_message (fixture->store, &draft, NULL, NULL, NULL, NULL,
                                               &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 1);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);

  /* Client ids are per sender: the agent may happen to use the same one. */
  agent = agent_says (fixture->store, conversation->id, world.owner->id, "retry-me", "Hello!");
  g_assert_cmpint (agent->seq, ==, 2);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 2);
}

static void
test_reopen_and_close (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) first = NULL;
  g_autoptr (ConfabConversation) status = NULL;
  g_autoptr (ConfabConversation) reopened = NULL;
  g_autoptr (ConfabConversation) pending = NULL;
  g_autoptr (ConfabConversation) fresh = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (ConfabMessage) m1 = NULL;
  g_autoptr (ConfabMessage) m2 = NULL;
  g_autoptr (ConfabMessage) m3 = NULL;
  g_autoptr (ConfabMessage) m4 = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  gboolean changed = FALSE;

  world_init (&world, fixture->store);
  m1 = visitor_says (fixture->store, world.visitor, "1", "one", &first, NULL);

  status = confab_store_set_status (fixture->store, first->id, CONFAB_STATUS_RESOLVED, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status->status, ==, CONFAB_STATUS_RESOLVED);
  g_clear_pointer (&status, confab_conversation_free);

  /* An agent's follow-up leaves a resolved conversation resolved. */
  reply = agent_says (fixture->store, first->id, world.owner->id, "r", "Anything else?");
  status = confab_store_get_conversation (fixture->store, first->id, &error);
  g_assert_cmpint (status->status, ==, CONFAB_STATUS_RESOLVED);
  g_clear_pointer (&status, confab_conversation_free);

  /* The visitor writing again reopens it. */
  m2 = visitor_says (fixture->store, world.visitor, "2", "one more thing", &reopened, &changed);
  g_assert_true (changed);
  g_assert_cmpstr (reopened->id, ==, first->id);
  g_assert_cmpint (reopened->status, ==, CONFAB_STATUS_OPEN);
  g_assert_cmpint (m2->seq, ==, 3);

  /* Pending is not closed: the message goes there and nothing changes. */
  status = confab_store_set_status (fixture->store, first->id, CONFAB_STATUS_PENDING, &error);
  g_assert_no_error (error);
  g_clear_pointer (&status, confab_conversation_free);
  m3 = visitor_says (fixture->store, world.visitor, "3", "still there?", &pending, &changed);
  g_assert_false (changed);
  g_assert_cmpstr (pending->id, ==, first->id);
  g_assert_cmpint (pending->status, ==, CONFAB_STATUS_PENDING);

  /* Closed is final: the next message starts a new conversation at seq 1. */
  status = confab_store_set_status (fixture->store, first->id, CONFAB_STATUS_CLOSED, &error);
  g_assert_no_error (error);
  g_clear_pointer (&status, confab_conversation_free);
  current = confab_store_get_current_conversation (fixture->store, world.visitor->id, &error);
  g_assert_no_error (error);
  g_assert_null (current);

  m4 = visitor_says (fixture->store, world.visitor, "4", "new topic", &fresh, &changed);
  g_assert_true (changed);
  g_assert_cmpstr (fresh->id, !=, first->id);
  g_assert_cmpint (fresh->status, ==, CONFAB_STATUS_OPEN);
  g_assert_cmpint (m4->seq, ==, 1);
  g_assert_cmpint (m4->cursor, >, m3->cursor);

  current = confab_store_get_current_conversation (fixture->store, world.visitor->id, &error);
  g_assert_cmpstr (current->id, ==, fresh->id);

  status = confab_store_set_status (fixture->store, "conv_nope", CONFAB_STATUS_CLOSED, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (status);
}

static void
test_append_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) other_owner = NULL;
  g_autoptr (ConfabSite) other_site = NULL;
  g_autoptr (ConfabMessage) bot = NULL;
  g_autoptr (ConfabMessage) bot2 = NULL;
  g_autoptr (ConfabMessage) picture = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabMessageDraft draft = { NULL, };

  world_init (&world, fixture->store);
  other_owner = make_user (fixture->store, "other@example.org");
  other_site = make_site (fixture->store, other_owner->id, "Other");

  draft.sender_type = CONFAB_SENDER_AGENT;
  draft.sender_id = world.owner->id;
  draft.body = "x";

  draft.conversation_id = "conv_nope";
  g_assert_false (confab_store_append_message (fixture->store, &draft, NULL, NULL, NULL, NULL,
                                               &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A visitor id that belongs to another site. */
  draft.conversation_id = NULL;
  draft.site_id = other_site->id;
  draft.visitor_id = world.visitor->id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = world.visitor->id;
  g_assert_false (confab_store_append_message (fixture->store, &draft, NULL, NULL, NULL, NULL,
                                               &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  draft.site_id = world.site->id;
  draft.visitor_id = "vis_nope";
  g_assert_false (confab_store_append_message (fixture->store, &draft, NULL, NULL, NULL, NULL,
                                               &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  draft.visitor_id = world.visitor->id;
  draft.body = NULL;
  g_assert_false (confab_store_append_message (fixture->store, &draft, NULL, NULL, NULL, NULL,
                                               &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_cmpint (count_rows (fixture->path, "conversations"), ==, 0);
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, 0);

  /* An attachment alone is a message. */
  draft.attachment_id = "att_1";
  draft.client_id = "pic";
  g_assert_true (confab_store_append_message (fixture->store, &draft, &picture, &conversation,
                                              NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (picture->body);
  g_assert_cmpstr (picture->attachment_id, ==, "att_1");

  /* Bot and system messages have no client id, and never collide. */
  draft = (ConfabMessageDraft) {
    .conversation_id = conversation->id,
    .sender_type = CONFAB_SENDER_BOT,
    .body = "Our FAQ says…",
  };
  g_assert_true (confab_store_append_message (fixture->store, &draft, &bot, NULL, NULL, NULL,
                                              &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_append_message (fixture->store, &draft, &bot2, NULL, NULL, NULL,
                                              &error));
  g_assert_no_error (error);
  g_assert_null (bot->client_id);
  g_assert_null (bot->sender_id);
  g_assert_cmpint (bot->seq, ==, 2);
  g_assert_cmpint (bot2->seq, ==, 3);
}

static void
test_unread (Fixture       *fixture,
             gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) read = NULL;
  g_autoptr (ConfabMessage) reply = NULL;

  world_init (&world, fixture->store);
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("%d", i);
      g_autoptr (ConfabMessage) message = NULL;

      g_clear_pointer (&conversation, confab_conversation_free);
      message = visitor_says (fixture->store, world.visitor, client_id, "?", &conversation, NULL);
      g_assert_cmpint (conversation->unread, ==, i);
    }

  /* The team's own messages are never unread for the team. */
  reply = agent_says (fixture->store, conversation->id, world.owner->id, "r", "Hi");
  read = confab_store_get_conversation (fixture->store, conversation->id, &error);
  g_assert_cmpint (read->unread, ==, 3);
  g_assert_cmpint (read->last_seq, ==, 4);
  g_clear_pointer (&read, confab_conversation_free);

  read = confab_store_mark_read (fixture->store, conversation->id, CONFAB_SENDER_AGENT, 2,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->agent_read_seq, ==, 2);
  g_assert_cmpint (read->unread, ==, 1);
  g_clear_pointer (&read, confab_conversation_free);

  /* Never lowers. */
  read = confab_store_mark_read (fixture->store, conversation->id, CONFAB_SENDER_AGENT, 1,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->agent_read_seq, ==, 2);
  g_assert_cmpint (read->unread, ==, 1);
  g_clear_pointer (&read, confab_conversation_free);

  /* Never beyond what exists: the next message must still count. */
  read = confab_store_mark_read (fixture->store, conversation->id, CONFAB_SENDER_AGENT, 100,
                                 &error);
  g_assert_cmpint (read->agent_read_seq, ==, 4);
  g_assert_cmpint (read->unread, ==, 0);
  g_clear_pointer (&read, confab_conversation_free);
  {
    g_autoptr (ConfabMessage) message = NULL;

    g_clear_pointer (&conversation, confab_conversation_free);
    message = visitor_says (fixture->store, world.visitor, "5", "??", &conversation, NULL);
    g_assert_cmpint (message->seq, ==, 5);
    g_assert_cmpint (conversation->unread, ==, 1);
  }

  /* The visitor's mark is separate. */
  read = confab_store_mark_read (fixture->store, conversation->id, CONFAB_SENDER_VISITOR, 4,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->visitor_read_seq, ==, 4);
  g_assert_cmpint (read->agent_read_seq, ==, 4);
  g_assert_cmpint (read->unread, ==, 1);
  g_clear_pointer (&read, confab_conversation_free);

  read = confab_store_mark_read (fixture->store, "conv_nope", CONFAB_SENDER_AGENT, 1, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (read);
}

static void
test_assignee (Fixture       *fixture,
               gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) assigned = NULL;
  g_autoptr (ConfabMessage) message = NULL;

  world_init (&world, fixture->store);
  message = visitor_says (fixture->store, world.visitor, "1", "Hi", &conversation, NULL);

  assigned = confab_store_set_assignee (fixture->store, conversation->id, world.owner->id,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpstr (assigned->assignee_id, ==, world.owner->id);
  g_clear_pointer (&assigned, confab_conversation_free);

  assigned = confab_store_set_assignee (fixture->store, conversation->id, "usr_nobody", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  assigned = confab_store_set_assignee (fixture->store, conversation->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (assigned->assignee_id);
  g_clear_pointer (&assigned, confab_conversation_free);

  assigned = confab_store_set_assignee (fixture->store, "conv_nope", NULL, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* Waits for the millisecond clock to move, so that activity times differ. */
static void
next_millisecond (void)
{
  gint64 start = confab_now_ms ();

  while (confab_now_ms () == start)
    g_usleep (200);
}

static void
test_list_conversations (Fixture       *fixture,
                         gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) other_owner = NULL;
  g_autoptr (ConfabSite) other_site = NULL;
  g_autoptr (ConfabVisitor) foreigner = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) conversations =
    g_ptr_array_new_with_free_func ((GDestroyNotify) confab_conversation_free);
  const ConfabConversationStatus resolved = CONFAB_STATUS_RESOLVED;
  const ConfabConversationStatus open = CONFAB_STATUS_OPEN;
  ConfabConversation *c;

  world_init (&world, fixture->store);
  other_owner = make_user (fixture->store, "other@example.org");
  other_site = make_site (fixture->store, other_owner->id, "Other");
  foreigner = make_visitor (fixture->store, other_site->id);

  /* Four visitors of the shop, each with a conversation, in this order of activity. */
  for (int i = 0; i < 4; i++)
    {
      g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, world.site->id);
      g_autoptr (ConfabMessage) message = NULL;
      ConfabConversation *conversation = NULL;

      next_millisecond ();
      message = visitor_says (fixture->store, visitor, "1", "Hi", &conversation, NULL);
      g_ptr_array_add (conversations, conversation);
    }
  {
    g_autoptr (ConfabMessage) message = NULL;

    message = visitor_says (fixture->store, foreigner, "1", "Hi", NULL, NULL);
  }

  /* The first becomes the most recent. */
  {
    g_autoptr (ConfabMessage) message = NULL;
    g_autoptr (ConfabConversation) resolved_one = NULL;

    next_millisecond ();
    c = g_ptr_array_index (conversations, 0);
    message = agent_says (fixture->store, c->id, world.owner->id, "a", "Hello");
    resolved_one = confab_store_set_status (fixture->store, c->id, CONFAB_STATUS_RESOLVED,
                                            &error);
    g_assert_no_error (error);
  }

  list = confab_store_list_conversations (fixture->store, world.site->id, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpstr (((ConfabConversation *) g_ptr_array_index (list, 0))->id, ==,
                   ((ConfabConversation *) g_ptr_array_index (conversations, 0))->id);
  for (guint i = 1; i < 4; i++)
    g_assert_cmpstr (((ConfabConversation *) g_ptr_array_index (list, i))->id, ==,
                     ((ConfabConversation *) g_ptr_array_index (conversations, 4 - i))->id);
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpstr (((ConfabConversation *) g_ptr_array_index (list, i))->site_id, ==,
                     world.site->id);
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_conversations (fixture->store, world.site->id, &resolved, 0, 0,
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  c = g_ptr_array_index (list, 0);
  g_assert_cmpint (c->status, ==, CONFAB_STATUS_RESOLVED);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Pages: two at a time, the next page before the last one seen. */
  list = confab_store_list_conversations (fixture->store, world.site->id, &open, 0, 2, &error);
  g_assert_cmpuint (list->len, ==, 2);
  c = g_ptr_array_index (list, 1);
  g_assert_cmpstr (c->id, ==, ((ConfabConversation *) g_ptr_array_index (conversations, 2))->id);
  {
    g_autoptr (GPtrArray) page = NULL;

    page = confab_store_list_conversations (fixture->store, world.site->id, &open,
                                            c->last_message_at, 2, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 1);
    g_assert_cmpstr (((ConfabConversation *) g_ptr_array_index (page, 0))->id, ==,
                     ((ConfabConversation *) g_ptr_array_index (conversations, 1))->id);
  }
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_conversations (fixture->store, other_site->id, NULL, 0, 10, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((ConfabConversation *) g_ptr_array_index (list, 0))->visitor_id, ==,
                   foreigner->id);
}

static void
test_list_messages (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GPtrArray) list = NULL;

  world_init (&world, fixture->store);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("%d", i);
      g_autofree char *body = g_strdup_printf ("message %d", i);
      g_autoptr (ConfabMessage) message = NULL;

      g_clear_pointer (&conversation, confab_conversation_free);
      message = visitor_says (fixture->store, world.visitor, client_id, body, &conversation, NULL);
    }

  list = confab_store_list_messages (fixture->store, conversation->id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      ConfabMessage *message = g_ptr_array_index (list, i);
      g_autofree char *body = g_strdup_printf ("message %u", i + 1);

      g_assert_cmpint (message->seq, ==, i + 1);
      g_assert_cmpstr (message->body, ==, body);
      g_assert_cmpstr (message->sender_id, ==, world.visitor->id);
      g_assert_cmpint (message->sender_type, ==, CONFAB_SENDER_VISITOR);
    }
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_messages (fixture->store, conversation->id, 2, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (((ConfabMessage *) g_ptr_array_index (list, 0))->seq, ==, 3);
  g_assert_cmpint (((ConfabMessage *) g_ptr_array_index (list, 1))->seq, ==, 4);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Up to date: empty, no error. */
  list = confab_store_list_messages (fixture->store, conversation->id, 5, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_messages (fixture->store, "conv_nope", 0, 100, &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_assert_null (list);
}

/* --- events --------------------------------------------------------------------------------- */

static void
test_events (Fixture       *fixture,
             gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabSite) site_b = NULL;
  g_autoptr (ConfabVisitor) visitor_b = NULL;
  g_autoptr (ConfabMessage) a1 = NULL;
  g_autoptr (ConfabMessage) b1 = NULL;
  g_autoptr (ConfabMessage) a2 = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (ConfabConversation) conversation_a = NULL;
  const char * const only_a[] = { NULL, NULL };
  const char * const both[] = { NULL, NULL, NULL };
  const char * const nothing[] = { NULL };
  const char * const unknown[] = { "site_nope", NULL };
  ConfabEvent *event;
  gint64 visitor_cursor, b_cursor;

  world_init (&world, fixture->store);
  site_b = make_site (fixture->store, world.owner->id, "B");
  visitor_b = make_visitor (fixture->store, site_b->id);
  ((const char **) only_a)[0] = world.site->id;
  ((const char **) both)[0] = world.site->id;
  ((const char **) both)[1] = site_b->id;

  a1 = visitor_says (fixture->store, world.visitor, "1", "in A", &conversation_a, NULL);
  b1 = visitor_says (fixture->store, visitor_b, "1", "in B", NULL, NULL);
  visitor_cursor = confab_store_add_event (fixture->store, world.site->id, CONFAB_EVENT_VISITOR,
                                           NULL, "{\"type\":\"visitor\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (visitor_cursor, >, b1->cursor);
  b_cursor = confab_store_add_event (fixture->store, site_b->id, CONFAB_EVENT_CONVERSATION,
                                     NULL, "{}", &error);
  g_assert_cmpint (b_cursor, >, visitor_cursor);
  a2 = agent_says (fixture->store, conversation_a->id, world.owner->id, "x", "reply in A");
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, a2->cursor);

  events = confab_store_list_events (fixture->store, only_a, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);
  event = g_ptr_array_index (events, 0);
  g_assert_cmpint (event->cursor, ==, a1->cursor);
  g_assert_cmpstr (event->kind, ==, CONFAB_EVENT_MESSAGE);
  g_assert_cmpstr (event->site_id, ==, world.site->id);
  g_assert_null (event->payload_json);
  g_assert_nonnull (event->message);
  g_assert_cmpstr (event->message->body, ==, "in A");
  g_assert_cmpint (event->message->seq, ==, 1);
  g_assert_cmpint (event->message->cursor, ==, a1->cursor);
  g_assert_cmpstr (event->message->conversation_id, ==, conversation_a->id);
  g_assert_cmpint (event->created_at, ==, a1->created_at);
  event = g_ptr_array_index (events, 1);
  g_assert_cmpint (event->cursor, ==, visitor_cursor);
  g_assert_cmpstr (event->kind, ==, CONFAB_EVENT_VISITOR);
  g_assert_cmpstr (event->payload_json, ==, "{\"type\":\"visitor\"}");
  g_assert_null (event->message);
  event = g_ptr_array_index (events, 2);
  g_assert_cmpint (event->cursor, ==, a2->cursor);
  g_assert_cmpstr (event->message->body, ==, "reply in A");
  g_assert_cmpint (event->message->sender_type, ==, CONFAB_SENDER_AGENT);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpstr (((ConfabEvent *) g_ptr_array_index (events, i))->site_id, ==,
                     world.site->id);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* Resume after a cursor, with a limit. */
  events = confab_store_list_events (fixture->store, only_a, a1->cursor, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (events, 0))->cursor, ==, visitor_cursor);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = confab_store_list_events (fixture->store, both, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 5);
  for (guint i = 1; i < events->len; i++)
    g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (events, i - 1))->cursor, <,
                     ((ConfabEvent *) g_ptr_array_index (events, i))->cursor);
  g_assert_cmpstr (((ConfabEvent *) g_ptr_array_index (events, 1))->message->body, ==, "in B");
  g_clear_pointer (&events, g_ptr_array_unref);

  events = confab_store_list_events (fixture->store, both, a2->cursor, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = confab_store_list_events (fixture->store, nothing, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = confab_store_list_events (fixture->store, unknown, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);

  g_assert_cmpint (confab_store_add_event (fixture->store, "site_nope", CONFAB_EVENT_VISITOR,
                                           NULL, "{}", &error), ==, 0);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- transactions --------------------------------------------------------------------------- */

static void
test_transactions (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) kept = NULL;
  g_autoptr (ConfabUser) gone = NULL;
  gint64 cursor;

  world_init (&world, fixture->store);
  cursor = confab_store_last_cursor (fixture->store);

  /* Inner rollback, outer commit: only the outer work stays. */
  g_assert_true (confab_store_begin (fixture->store, &error));
  kept = make_user (fixture->store, "kept@example.org");
  g_assert_true (confab_store_begin (fixture->store, &error));
  gone = make_user (fixture->store, "gone@example.org");
  {
    g_autoptr (ConfabMessage) message = NULL;

    message = visitor_says (fixture->store, world.visitor, "1", "undone", NULL, NULL);
  }
  confab_store_rollback (fixture->store);
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (count_rows (fixture->path, "users"), ==, 2);
  g_clear_pointer (&gone, confab_user_free);
  gone = confab_store_get_user_by_email (fixture->store, "gone@example.org", &error);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 0);
  g_assert_cmpint (count_rows (fixture->path, "conversations"), ==, 0);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);

  /* Inner commit, outer rollback: nothing stays, however deep. */
  g_assert_true (confab_store_begin (fixture->store, &error));
  g_assert_true (confab_store_begin (fixture->store, &error));
  g_assert_true (confab_store_begin (fixture->store, &error));
  g_clear_pointer (&gone, confab_user_free);
  gone = make_user (fixture->store, "deep@example.org");
  {
    g_autoptr (ConfabMessage) message = NULL;

    message = visitor_says (fixture->store, world.visitor, "2", "undone too", NULL, NULL);
  }
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);
  confab_store_rollback (fixture->store);

  g_assert_cmpint (count_rows (fixture->path, "users"), ==, 2);
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 0);
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, 0);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);

  /* A failing call inside a transaction undoes only itself. */
  g_assert_true (confab_store_begin (fixture->store, &error));
  {
    g_autoptr (ConfabMessage) message = NULL;
    g_autoptr (ConfabSite) ghost = NULL;

    message = visitor_says (fixture->store, world.visitor, "3", "kept", NULL, NULL);
    ghost = confab_store_create_site (fixture->store, "usr_nobody", "Ghost", NULL, &error);
    g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 1);
  g_assert_cmpint (count_rows (fixture->path, "sites"), ==, 1);
}

/* --- ratings, offline messages, audit ------------------------------------------------------- */

static void
test_ratings (Fixture       *fixture,
              gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autofree char *comment = NULL;
  int score = 0;

  world_init (&world, fixture->store);
  message = visitor_says (fixture->store, world.visitor, "1", "Hi", &conversation, NULL);

  g_assert_false (confab_store_get_rating (fixture->store, conversation->id, &score, &comment,
                                           &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (confab_store_set_rating (fixture->store, conversation->id, 2, "slow", &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_get_rating (fixture->store, conversation->id, &score, &comment,
                                          &error));
  g_assert_cmpint (score, ==, 2);
  g_assert_cmpstr (comment, ==, "slow");
  g_clear_pointer (&comment, g_free);

  /* Rating again replaces, comment included. */
  g_assert_true (confab_store_set_rating (fixture->store, conversation->id, 5, NULL, &error));
  g_assert_true (confab_store_get_rating (fixture->store, conversation->id, &score, &comment,
                                          &error));
  g_assert_no_error (error);
  g_assert_cmpint (score, ==, 5);
  g_assert_null (comment);
  g_assert_cmpint (count_rows (fixture->path, "ratings"), ==, 1);

  g_assert_false (confab_store_set_rating (fixture->store, "conv_nope", 5, NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

static void
test_offline_messages (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabSite) other = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  GHashTable *row;

  world_init (&world, fixture->store);
  other = make_site (fixture->store, world.owner->id, "Other");

  first = confab_store_add_offline_message (fixture->store, world.site->id, world.visitor->id,
                                            "Vera", "vera@example.org", "Call me back", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "off_"));
  next_millisecond ();
  second = confab_store_add_offline_message (fixture->store, world.site->id, NULL, NULL,
                                             "anon@example.org", "Prices?", &error);
  g_assert_no_error (error);
  g_free (confab_store_add_offline_message (fixture->store, other->id, NULL, NULL, NULL,
                                            "elsewhere", &error));
  g_assert_no_error (error);

  list = confab_store_list_offline_messages (fixture->store, world.site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  /* Newest first. */
  row = g_ptr_array_index (list, 0);
  g_assert_cmpstr (g_hash_table_lookup (row, "id"), ==, second);
  g_assert_null (g_hash_table_lookup (row, "visitor_id"));
  g_assert_null (g_hash_table_lookup (row, "name"));
  g_assert_cmpstr (g_hash_table_lookup (row, "email"), ==, "anon@example.org");
  g_assert_cmpstr (g_hash_table_lookup (row, "body"), ==, "Prices?");
  row = g_ptr_array_index (list, 1);
  g_assert_cmpstr (g_hash_table_lookup (row, "id"), ==, first);
  g_assert_cmpstr (g_hash_table_lookup (row, "visitor_id"), ==, world.visitor->id);
  g_assert_cmpstr (g_hash_table_lookup (row, "name"), ==, "Vera");
  g_assert_cmpstr (g_hash_table_lookup (row, "body"), ==, "Call me back");
  g_assert_cmpint (g_ascii_strtoll (g_hash_table_lookup (row, "created_at"), NULL, 10), >, 0);

  g_assert_null (confab_store_add_offline_message (fixture->store, "site_nope", NULL, NULL, NULL,
                                                   "x", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

static void
test_audit (Fixture       *fixture,
            gconstpointer  data)
{
  g_auto (World) world = { NULL, };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  GHashTable *row;

  world_init (&world, fixture->store);

  g_assert_true (confab_store_audit (fixture->store, world.owner->id, NULL, "login", NULL,
                                     "iphash1", &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_audit (fixture->store, world.owner->id, world.site->id,
                                     "site.update", "{\"name\":\"Shop\"}", NULL, &error));
  g_assert_true (confab_store_audit (fixture->store, NULL, world.site->id, "member.remove",
                                     NULL, NULL, &error));
  /* No foreign keys: the trail may name what no longer exists. */
  g_assert_true (confab_store_audit (fixture->store, "usr_deleted", "site_deleted", "x", NULL,
                                     NULL, &error));
  g_assert_no_error (error);

  list = confab_store_list_audit (fixture->store, world.site->id, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  row = g_ptr_array_index (list, 0);
  g_assert_cmpstr (g_hash_table_lookup (row, "action"), ==, "member.remove");
  g_assert_null (g_hash_table_lookup (row, "user_id"));
  row = g_ptr_array_index (list, 1);
  g_assert_cmpstr (g_hash_table_lookup (row, "action"), ==, "site.update");
  g_assert_cmpstr (g_hash_table_lookup (row, "user_id"), ==, world.owner->id);
  g_assert_cmpstr (g_hash_table_lookup (row, "site_id"), ==, world.site->id);
  g_assert_cmpstr (g_hash_table_lookup (row, "detail"), ==, "{\"name\":\"Shop\"}");
  g_assert_nonnull (g_hash_table_lookup (row, "at"));
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_audit (fixture->store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  row = g_ptr_array_index (list, 3);
  g_assert_cmpstr (g_hash_table_lookup (row, "action"), ==, "login");
  g_assert_cmpstr (g_hash_table_lookup (row, "ip_hash"), ==, "iphash1");
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_audit (fixture->store, NULL, 1, &error);
  g_assert_cmpuint (list->len, ==, 1);
}

/* --- durability and migrations -------------------------------------------------------------- */

static void
test_durability (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *visitor_id = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  gint64 cursor;

  {
    g_auto (World) world = { NULL, };

    world_init (&world, fixture->store);
    for (int i = 1; i <= 20; i++)
      {
        g_autofree char *client_id = g_strdup_printf ("%d", i);

        g_clear_pointer (&conversation, confab_conversation_free);
        g_clear_pointer (&message, confab_message_free);
        message = visitor_says (fixture->store, world.visitor, client_id, "persist me",
                                &conversation, NULL);
      }
    conversation_id = g_strdup (conversation->id);
    visitor_id = g_strdup (world.visitor->id);
    cursor = message->cursor;
  }

  g_clear_pointer (&fixture->store, confab_store_close);
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_FULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);
  list = confab_store_list_messages (fixture->store, conversation_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 20);
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (((ConfabMessage *) g_ptr_array_index (list, i))->seq, ==, i + 1);

  /* And the next one carries on where they left off. */
  {
    g_autoptr (ConfabVisitor) visitor = confab_store_get_visitor (fixture->store, visitor_id,
                                                                  &error);
    g_autoptr (ConfabMessage) next = NULL;

    g_assert_no_error (error);
    next = visitor_says (fixture->store, visitor, "21", "after restart", NULL, NULL);
    g_assert_cmpint (next->seq, ==, 21);
    g_assert_cmpint (next->cursor, >, cursor);
    g_assert_cmpstr (next->conversation_id, ==, conversation_id);
  }
}

/* Loads a checked-in SQL dump into a new database file. */
static void
load_dump (const char *path,
           const char *dump_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dump_path = g_test_build_filename (G_TEST_DIST, "data", dump_name, NULL);
  g_autofree char *sql = NULL;
  char *message = NULL;
  sqlite3 *db = NULL;

  g_file_get_contents (dump_path, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("Cannot load %s: %s", dump_path, message);
  sqlite3_close (db);
}

/* The schema as SQLite keeps it: what a migrated database must share with a fresh one. */
static char *
dump_schema (const char *path)
{
  GString *schema = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  /* not the planner's statistics: PRAGMA optimize makes them at close once a query used an
   * index, which a migration's own queries may do on a fresh database too */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                       "WHERE name NOT LIKE 'sqlite_stat%' "
                                       "ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (schema, "%s %s %s\n%s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                            sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (schema, FALSE);
}

static void
test_migrate_v1 (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  g_autofree char *migrated_schema = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *comment = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) fourth = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  const char * const site_ids[] = { "site_0v1site0000000000000", NULL };
  const char * const domains[] = { "example.org", "*.example.org", NULL };
  int score = 0;

  load_dump (fixture->path, "store-v1.sql");
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, 3);

  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  /* Every row is still there and reads through the current code. */
  user = confab_store_get_user_by_email (fixture->store, "owner@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, "usr_0v1user00000000000000");
  g_assert_cmpstr (user->name, ==, "Olga Owner");
  user_id = confab_store_lookup_token (fixture->store, "5e884898da28047151d0e56f8dc6292773603d0d"
                                       "6aabbdd62a11ef721d1542d8", confab_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user_id, ==, user->id);

  site = confab_store_get_site_by_key (fixture->store, "sk_v1sitekeyv1sitekeyv1sk", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (site->id, ==, site_ids[0]);
  g_assert_cmpstrv (site->domains, domains);
  sites = confab_store_list_sites_for_user (fixture->store, user->id, &error);
  g_assert_cmpuint (sites->len, ==, 1);
  g_assert_cmpint (((ConfabSite *) g_ptr_array_index (sites, 0))->role, ==, CONFAB_ROLE_OWNER);

  visitor = confab_store_get_visitor (fixture->store, "vis_0v1visitor00000000000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (visitor->country, ==, "DE");
  g_assert_cmpint (visitor->visits, ==, 2);
  list = confab_store_list_page_views (fixture->store, visitor->id, 10, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (((ConfabPageView *) g_ptr_array_index (list, 0))->left_at, ==,
                   1700000020000);
  g_assert_cmpint (((ConfabPageView *) g_ptr_array_index (list, 1))->left_at, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  conversation = confab_store_get_current_conversation (fixture->store, visitor->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (conversation->id, ==, "conv_0v1conversation00000");
  g_assert_cmpint (conversation->last_seq, ==, 3);
  g_assert_cmpint (conversation->unread, ==, 1);
  g_assert_cmpstr (conversation->assignee_id, ==, user->id);

  list = confab_store_list_messages (fixture->store, conversation->id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (((ConfabMessage *) g_ptr_array_index (list, 0))->body, ==,
                   "Hello, do you ship to Austria?");
  g_assert_cmpint (((ConfabMessage *) g_ptr_array_index (list, 1))->sender_type, ==,
                   CONFAB_SENDER_AGENT);
  g_assert_cmpstr (((ConfabMessage *) g_ptr_array_index (list, 2))->attachment_id, ==,
                   "att_0v1attachment0000000");
  g_clear_pointer (&list, g_ptr_array_unref);

  list = confab_store_list_events (fixture->store, site_ids, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_nonnull (((ConfabEvent *) g_ptr_array_index (list, 3))->message);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 3))->message->seq, ==, 3);
  g_assert_nonnull (((ConfabEvent *) g_ptr_array_index (list, 2))->payload_json);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, 4);

  /* Retrying the last message that v1 stored is still recognized. */
  {
    ConfabMessageDraft draft = {
      .site_id = site->id,
      .visitor_id = visitor->id,
      .client_id = "c1d2a6f0-0000-4000-8000-000000000003",
      .sender_type = CONFAB_SENDER_VISITOR,
      .sender_id = visitor->id,
      .attachment_id = "att_0v1attachment0000000",
    };
    g_autoptr (ConfabMessage) again = NULL;
    ConfabAppendResult result = CONFAB_APPEND_NEW;

    g_assert_true (confab_store_append_message (fixture->store, &draft, &again, NULL, NULL,
                                                &result, &error));
    g_assert_no_error (error);
    g_assert_cmpint (result, ==, CONFAB_APPEND_DUPLICATE);
    g_assert_cmpint (again->seq, ==, 3);
  }

  /* Usable: the next message is seq 4 with a cursor never used before; v2 tables work. */
  fourth = visitor_says (fixture->store, visitor, "c1d2a6f0-0000-4000-8000-000000000004",
                         "Thanks!", NULL, NULL);
  g_assert_cmpint (fourth->seq, ==, 4);
  g_assert_cmpint (fourth->cursor, ==, 5);
  g_assert_true (confab_store_set_rating (fixture->store, conversation->id, 4, "quick", &error));
  g_assert_true (confab_store_get_rating (fixture->store, conversation->id, &score, &comment,
                                          &error));
  g_assert_no_error (error);
  g_assert_cmpint (score, ==, 4);
  g_assert_true (confab_store_audit (fixture->store, user->id, site->id, "test", NULL, NULL,
                                     &error));
  g_free (confab_store_add_offline_message (fixture->store, site->id, visitor->id, NULL, NULL,
                                            "later", &error));
  g_assert_no_error (error);

  /* Migrated and fresh databases end with the same schema, byte for byte. */
  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL,
                                                       &error);

    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* Schema 8 keeps one "visitor" event per visitor in the log: a v7 database's earlier ones are
 * pruned on migration, everything else stays, and from then on each new one replaces the last. */
static void
test_migrate_v7 (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) views = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  const char * const site_ids[] = { "site_0v7site0000000000000", NULL };
  static const gint64 kept[] = { 4, 5, 6, 7, 8, 10 };
  gint64 cursor;

  load_dump (fixture->path, "store-v7.sql");
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, 10);

  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  /* visitor A's events 1 and 3 and B's 2 were superseded by 6 and 7, rating 9 by 10; the
   * conversation event and the messages are all there, in cursor order */
  list = confab_store_list_events (fixture->store, site_ids, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (kept));
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, i))->cursor, ==, kept[i]);
  g_assert_nonnull (strstr (((ConfabEvent *) g_ptr_array_index (list, 2))->payload_json,
                            "https://example.org/checkout"));
  g_assert_nonnull (((ConfabEvent *) g_ptr_array_index (list, 1))->message);
  g_assert_cmpstr (((ConfabEvent *) g_ptr_array_index (list, 4))->message->body, ==,
                   "Yes, above 50 EUR.");
  g_assert_nonnull (strstr (((ConfabEvent *) g_ptr_array_index (list, 5))->payload_json,
                            "Quick and kind"));
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, 10);

  /* the visitors, their whole journey and the conversation are untouched */
  views = confab_store_list_page_views (fixture->store, "vis_0v7visitora0000000000", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (views->len, ==, 3);
  conversation = confab_store_get_conversation (fixture->store, "conv_0v7conversation00000",
                                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (conversation->last_seq, ==, 2);
  g_assert_cmpint (count_rows (fixture->path, "visitors"), ==, 2);

  /* A's next event replaces 6, B's 7 stays, and so does the rating; a resume from any cursor
   * misses no message */
  cursor = confab_store_add_visitor_event (fixture->store, "site_0v7site0000000000000",
                                           "vis_0v7visitora0000000000",
                                           "{\"type\":\"visitor\",\"visitor\":{\"id\":"
                                           "\"vis_0v7visitora0000000000\"}}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cursor, ==, 11);
  list = confab_store_list_events (fixture->store, site_ids, 5, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 0))->cursor, ==, 7);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 1))->cursor, ==, 8);
  g_assert_nonnull (((ConfabEvent *) g_ptr_array_index (list, 1))->message);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 2))->cursor, ==, 10);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 3))->cursor, ==, 11);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* a new rating replaces 10 */
  cursor = confab_store_add_rating_event (fixture->store, "site_0v7site0000000000000",
                                          "conv_0v7conversation00000",
                                          "{\"type\":\"rating\",\"score\":4}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cursor, ==, 12);
  list = confab_store_list_events (fixture->store, site_ids, 8, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 0))->cursor, ==, 11);
  g_assert_cmpint (((ConfabEvent *) g_ptr_array_index (list, 1))->cursor, ==, 12);
}

/* Schema 9 gives offline messages a status (a v8 database's are all open), who handled them,
 * the conversation made of one and the page; the rows themselves stay as they were. */
static void
test_migrate_v8 (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) timeline = NULL;
  g_autoptr (ConfabOfflineMessage) ada = NULL;
  g_autoptr (ConfabOfflineMessage) handled = NULL;
  g_autoptr (ConfabUser) owner = NULL;

  load_dump (fixture->path, "store-v8.sql");
  g_assert_cmpint (count_rows (fixture->path, "offline_messages"), ==, 2);

  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  list = confab_store_list_offline_messages_page (fixture->store, "site_0v7site0000000000000", "open",
                                                  NULL, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((ConfabOfflineMessage *) g_ptr_array_index (list, 0))->id, ==,
                   "off_0v8offline0000000001");
  g_assert_null (((ConfabOfflineMessage *) g_ptr_array_index (list, 0))->visitor_id);
  g_assert_cmpint (confab_store_count_open_offline_messages (fixture->store, "site_0v7site0000000000000",
                                                             &error), ==, 2);

  ada = confab_store_get_offline_message (fixture->store, "off_0v8offline0000000000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ada->body, ==, "Do you ship to Norway?");
  g_assert_cmpstr (ada->name, ==, "Ada");
  g_assert_cmpint (ada->created_at, ==, 1700000200000);
  g_assert_false (ada->handled);
  g_assert_null (ada->handled_by);
  g_assert_null (ada->conversation_id);
  g_assert_null (ada->page_url);

  owner = confab_store_get_user_by_email (fixture->store, "owner@example.org", &error);
  g_assert_no_error (error);
  handled = confab_store_set_offline_message_status (fixture->store, ada->id, TRUE, owner->id, &error);
  g_assert_no_error (error);
  g_assert_true (handled->handled);
  g_assert_cmpstr (handled->handled_by_name, ==, "Olga Owner");
  g_assert_cmpint (confab_store_count_open_offline_messages (fixture->store, "site_0v7site0000000000000",
                                                             &error), ==, 1);

  timeline = confab_store_list_timeline (fixture->store, "conv_0v7conversation00000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (timeline->len, ==, 0);
}

/* Schema 10 adds setup codes: an account from before has its password, no code, and is no
 * pending invitation; the migrated schema is a fresh one's. */
static void
test_migrate_v8_setup_codes (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  g_autofree char *migrated_schema = NULL;
  g_autofree char *code_hash = NULL;
  g_autofree char *user_id = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabUser) invited = NULL;
  g_autoptr (GPtrArray) list = NULL;
  gint64 expires_at = 0;

  g_assert_true (confab_auth_init (NULL));
  load_dump (fixture->path, "store-v8-accounts.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  user = confab_store_get_user_by_email (fixture->store, "owner@example.org", &error);
  g_assert_no_error (error);
  g_assert_false (confab_user_is_pending (user));
  g_assert_true (confab_auth_verify_password (user->password_hash, "owner password 8"));
  user_id = confab_store_lookup_token (fixture->store,
                                       "0000000000000000000000000000000000000000000000000000000000000008",
                                       confab_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user_id, ==, user->id);
  g_assert_false (confab_store_get_setup_code (fixture->store, user->id, &code_hash, &expires_at, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = confab_store_list_invitations (fixture->store, "site_v3465embqe9wjvtzdjmv", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* and the new table works on it */
  invited = confab_store_invite_user (fixture->store, "new@example.org", "site_v3465embqe9wjvtzdjmv",
                                      CONFAB_ROLE_AGENT, "hash", user->id, confab_now_ms () + 1000,
                                      &error);
  g_assert_no_error (error);
  g_assert_true (confab_user_is_pending (invited));
  list = confab_store_list_invitations (fixture->store, "site_v3465embqe9wjvtzdjmv", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* A site's audit log: paged by id, newest first; the actor's name as it is now; deleting the
 * site's log leaves every other site's and the relay-wide trail alone. */
static void
test_site_audit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.org");
  g_autoptr (ConfabSite) a = make_site (fixture->store, owner->id, "A");
  g_autoptr (ConfabSite) b = make_site (fixture->store, owner->id, "B");
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GPtrArray) rest = NULL;
  g_autoptr (GPtrArray) trail = NULL;
  ConfabAuditRecord *record;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("faq %u", i);
      ConfabAuditEntry entry = { a->id, owner->id, "Old name", "faq.created", "faq", "faq_x", name,
                                 "{\"faq_id\":\"faq_x\"}", "hash" };

      g_assert_true (confab_store_append_audit (fixture->store, &entry, &error));
      g_assert_no_error (error);
    }
  {
    ConfabAuditEntry entry = { b->id, NULL, NULL, "retention.purged", NULL, NULL, NULL, NULL, NULL };
    ConfabAuditEntry global = { NULL, owner->id, NULL, "login", NULL, NULL, NULL, NULL, "hash" };

    g_assert_true (confab_store_append_audit (fixture->store, &entry, &error));
    g_assert_true (confab_store_append_audit (fixture->store, &global, &error));
    g_assert_no_error (error);
  }

  page = confab_store_list_site_audit (fixture->store, a->id, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  record = g_ptr_array_index (page, 0);
  g_assert_cmpstr (record->target_name, ==, "faq 4");
  g_assert_cmpstr (record->actor_name, ==, "Someone");   /* the account's name now */
  rest = confab_store_list_site_audit (fixture->store, a->id,
                                       ((ConfabAuditRecord *) g_ptr_array_index (page, 2))->id, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rest->len, ==, 2);
  g_assert_cmpstr (((ConfabAuditRecord *) g_ptr_array_index (rest, 1))->target_name, ==, "faq 0");

  g_assert_true (confab_store_delete_site_audit (fixture->store, a->id, &error));
  g_assert_no_error (error);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = confab_store_list_site_audit (fixture->store, a->id, 0, 0, &error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = confab_store_list_site_audit (fixture->store, b->id, 0, 0, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_null (((ConfabAuditRecord *) g_ptr_array_index (page, 0))->actor_id);
  trail = confab_store_list_audit (fixture->store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trail->len, ==, 2);
}

/* Schema 11 names the audit log's actions with dots and gives entries an actor name and a
 * target; a trail written before keeps its entries (details, times, hashes), renamed, with
 * the actor's name from the account and no target; blocked visitors can be stored. */
static void
test_migrate_v10_audit (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  g_autofree char *migrated_schema = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) trail = NULL;
  g_autoptr (ConfabBlock) block = NULL;
  static const char * const actions[] = { "faq.deleted", "member.updated", "site.updated" };
  const char *site_id = "site_ch4tfbmfaxzxeebp9wt1";
  gboolean login_kept = FALSE;

  load_dump (fixture->path, "store-v10.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  entries = confab_store_list_site_audit (fixture->store, site_id, 0, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, G_N_ELEMENTS (actions));
  for (guint i = 0; i < entries->len; i++)
    {
      ConfabAuditRecord *record = g_ptr_array_index (entries, i);

      g_assert_cmpstr (record->action, ==, actions[i]);
      g_assert_cmpstr (record->actor_id, ==, "usr_4jvd44sexkf6xe4dtc4k");
      g_assert_cmpstr (record->actor_name, ==, "Otto Owner");
      g_assert_null (record->target_type);
      g_assert_cmpstr (record->ip_hash, ==, "bbbb");
      g_assert_cmpint (record->at, ==, 1796616003000 - 1000 * (gint64) i);
    }
  g_assert_cmpstr (((ConfabAuditRecord *) g_ptr_array_index (entries, 1))->details_json, ==,
                   "{\"user_id\":\"usr_x\",\"role\":\"admin\",\"previous_role\":\"agent\"}");

  /* the relay-wide trail is left as it was */
  trail = confab_store_list_audit (fixture->store, NULL, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < trail->len; i++)
    login_kept |= g_strcmp0 (g_hash_table_lookup (g_ptr_array_index (trail, i), "action"), "login") == 0;
  g_assert_true (login_kept);

  block = confab_store_block_visitor (fixture->store, site_id, "vis_gone", "spam",
                                      "usr_4jvd44sexkf6xe4dtc4k", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (block->blocked_by_name, ==, "Otto Owner");
  g_assert_true (confab_store_is_blocked (fixture->store, site_id, "vis_gone", NULL));

  /* an offline message's event names its visitor now, as new ones do */
  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT visitor_id FROM events WHERE kind = 'offline_message'",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "vis_old");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* One text from a throwaway connection (foreign keys on, as the relay has them). */
static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;
  int rc;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  rc = sqlite3_step (stmt);
  g_assert_true (rc == SQLITE_ROW || rc == SQLITE_DONE);
  if (rc == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

/* Schema 11 (analytics) fills what its triggers keep for the rows a schema 10 database holds:
 * the first visitor message and response, who wrote, the resolution, the messages per quarter
 * hour; a deleted conversation takes its counts with it. */
static void
test_migrate_v10_analytics (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  g_autofree char *migrated_schema = NULL;
  g_autofree char *columns = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *after_delete = NULL;

  load_dump (fixture->path, "store-v10-analytics.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_clear_pointer (&fixture->store, confab_store_close);

  columns = query_text (fixture->path,
                        "SELECT first_visitor_seq || ' ' || first_visitor_at || ' ' || first_reply_at || ' ' || "
                        "first_reply_by || ' ' || agent_wrote || ' ' || bot_answered || ' ' || resolved_at "
                        "FROM conversations");
  g_assert_cmpstr (columns, ==, "1 1700000050000 1700000070000 usr_0v7user00000000000000 1 1 1700000100000");

  counts = query_text (fixture->path,
                       "SELECT group_concat (sender_type || ':' || sender_id || ':' || slot || ':' || count, ' ') "
                       "FROM (SELECT * FROM message_counts ORDER BY sender_type)");
  expected = g_strdup_printf ("agent:usr_0v7user00000000000000:%" G_GINT64_FORMAT ":1 "
                              "bot:faq_0v10faq000000000000:%" G_GINT64_FORMAT ":1 "
                              "visitor::%" G_GINT64_FORMAT ":1",
                              G_GINT64_CONSTANT (1700000070000) / 900000,
                              G_GINT64_CONSTANT (1700000080000) / 900000,
                              G_GINT64_CONSTANT (1700000050000) / 900000);
  g_assert_cmpstr (counts, ==, expected);

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);

  g_free (query_text (fixture->path, "DELETE FROM conversations"));
  after_delete = query_text (fixture->path, "SELECT count (*) FROM message_counts");
  g_assert_cmpstr (after_delete, ==, "0");
}

/* Issue 14's migration on a database with messages: they are searchable at once (the FTS5
 * index is rebuilt from them), the triggers keep it right after, and the schema is a fresh one's. */
static void
test_migrate_v13_search (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  g_autofree char *found = NULL, *kinds = NULL, *after_delete = NULL;

  load_dump (fixture->path, "store-v13.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_clear_pointer (&fixture->store, confab_store_close);

  found = query_text (fixture->path,
                      "SELECT group_concat (m.seq) FROM messages_fts f JOIN messages m "
                      "ON m.cursor = f.rowid WHERE messages_fts MATCH 'shipping OR pages'");
  g_assert_cmpstr (found, ==, "1,3");
  kinds = query_text (fixture->path, "SELECT count (*) FROM uploads WHERE kind <> 'image'");
  g_assert_cmpstr (kinds, ==, "0");

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);

  /* a deleted conversation's messages leave the index with it */
  g_free (query_text (fixture->path, "DELETE FROM conversations"));
  after_delete = query_text (fixture->path,
                             "SELECT count (*) FROM messages_fts WHERE messages_fts MATCH 'shipping'");
  g_assert_cmpstr (after_delete, ==, "0");
}

/* Issue 15's migration on a database with conversations: the same schema as a fresh one; then
 * the delivery triggers add a webhook's deliveries in the transaction of what they announce —
 * none for what is rolled back, none for a disabled webhook or an event it did not ask for. */
static void
append_agent (ConfabStore *store,
              const char  *client_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  ConfabMessageDraft draft = {
    .conversation_id = "conv_0v7conversation00000",
    .client_id = client_id,
    .sender_type = CONFAB_SENDER_AGENT,
    .sender_id = "usr_0v7user00000000000000",
    .sender_name = "Olga",
    .body = "A reply",
  };

  g_assert_true (confab_store_append_message (store, &draft, &message, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_migrate_v14_hooks (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  g_autofree char *count = NULL, *events = NULL, *messages = NULL;
  g_autoptr (ConfabWebhook) webhook = NULL, disabled = NULL;
  g_autoptr (ConfabConversation) opened = NULL, resolved = NULL, again = NULL;
  g_autoptr (GPtrArray) due = NULL, listed = NULL;
  const char * const wanted[] = { "message.created", "conversation.resolved", NULL };
  ConfabDelivery *first;

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
  /* what was there stays */
  messages = query_text (fixture->path, "SELECT count (*) FROM messages");
  g_assert_cmpstr (messages, ==, "3");

  webhook = confab_store_create_webhook (fixture->store, "site_0v7site0000000000000",
                                         "https://hooks.example.org/confab", wanted, "whsec_test",
                                         TRUE, &error);
  g_assert_no_error (error);

  /* rolled back: no delivery */
  g_assert_true (confab_store_begin (fixture->store, &error));
  append_agent (fixture->store, "rolled-back");
  confab_store_rollback (fixture->store);
  count = query_text (fixture->path, "SELECT count (*) FROM webhook_deliveries");
  g_assert_cmpstr (count, ==, "0");
  g_clear_pointer (&count, g_free);

  /* committed: one, in the same transaction */
  g_assert_true (confab_store_begin (fixture->store, &error));
  append_agent (fixture->store, "committed");
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);

  /* reopened, then resolved: one more; resolved again: none */
  opened = confab_store_set_status (fixture->store, "conv_0v7conversation00000", CONFAB_STATUS_OPEN, &error);
  g_assert_no_error (error);
  resolved = confab_store_set_status (fixture->store, "conv_0v7conversation00000", CONFAB_STATUS_RESOLVED, &error);
  g_assert_no_error (error);
  again = confab_store_set_status (fixture->store, "conv_0v7conversation00000", CONFAB_STATUS_RESOLVED, &error);
  g_assert_no_error (error);
  /* a rating: not asked for */
  g_assert_true (confab_store_set_rating (fixture->store, "conv_0v7conversation00000", 4, NULL, &error));
  /* disabled: nothing */
  disabled = confab_store_update_webhook (fixture->store, webhook->id, NULL, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (disabled->enabled);
  append_agent (fixture->store, "while-disabled");

  events = query_text (fixture->path, "SELECT group_concat (event, ',') FROM "
                                      "(SELECT event FROM webhook_deliveries ORDER BY rowid)");
  g_assert_cmpstr (events, ==, "message.created,conversation.resolved");

  /* due now, oldest first; once delivered no longer due */
  due = confab_store_list_due_deliveries (fixture->store, confab_now_ms () + 1000, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 2);
  first = g_ptr_array_index (due, 0);
  g_assert_cmpstr (first->event, ==, "message.created");
  g_assert_cmpstr (first->site_id, ==, "site_0v7site0000000000000");
  g_assert_cmpint (first->seq, ==, 4);
  g_assert_cmpint (first->status, ==, CONFAB_DELIVERY_PENDING);
  g_assert_true (confab_store_record_attempt (fixture->store, first->id, CONFAB_DELIVERY_DELIVERED, 200,
                                              NULL, 0, confab_now_ms (), &error));
  g_clear_pointer (&due, g_ptr_array_unref);
  due = confab_store_list_due_deliveries (fixture->store, confab_now_ms () + 1000, 10, &error);
  g_assert_cmpuint (due->len, ==, 1);
  listed = confab_store_list_deliveries (fixture->store, webhook->id, 10, &error);
  g_assert_cmpuint (listed->len, ==, 2);

  /* the log forgets finished deliveries only; the webhook takes its own with it; so does a
   * deleted conversation (a visitor's erasure) */
  g_assert_cmpint (confab_store_purge_deliveries (fixture->store, confab_now_ms () + 1000, &error), ==, 1);
  {
    g_autoptr (ConfabWebhook) other = confab_store_create_webhook (fixture->store, "site_0v7site0000000000000",
                                                                   "https://hooks.example.org/other", wanted,
                                                                   "whsec_other", TRUE, &error);
    g_autofree char *before = NULL, *after = NULL, *sql = NULL;

    g_assert_no_error (error);
    sql = g_strdup_printf ("SELECT count (*) FROM webhook_deliveries WHERE webhook_id = '%s'", other->id);
    append_agent (fixture->store, "for-the-other");
    before = query_text (fixture->path, sql);
    g_assert_cmpstr (before, ==, "1");
    g_free (query_text (fixture->path, "DELETE FROM conversations"));
    after = query_text (fixture->path, "SELECT count (*) FROM webhook_deliveries");
    g_assert_cmpstr (after, ==, "0");
  }
  g_assert_true (confab_store_delete_webhook (fixture->store, webhook->id, &error));
  count = query_text (fixture->path, "SELECT count (*) FROM webhook_deliveries");
  g_assert_cmpstr (count, ==, "0");
}

static void
assert_query (const char *path,
              const char *sql,
              const char *expected)
{
  g_autofree char *text = query_text (path, sql);

  g_assert_cmpstr (text, ==, expected);
}

/* The seqs of the messages that messages_fts finds for @match. */
static void
assert_found (const char *path,
              const char *match,
              const char *expected)
{
  g_autofree char *sql = g_strdup_printf ("SELECT group_concat (m.seq) FROM messages_fts f "
                                          "JOIN messages m ON m.cursor = f.rowid "
                                          "WHERE messages_fts MATCH '%s'", match);

  assert_query (path, sql, expected);
}

/* Issue 12's migration: messages_fts is written when a transaction commits, from the cursors
 * its triggers noted (one FTS5 write per batch). What a schema 14 database indexed stays found;
 * a message the relay appends is found once its transaction commits, one rolled back never is;
 * what another program changes or deletes leaves the index at once or reaches it when a relay
 * next opens the database. */
static void
test_migrate_v14_search_at_commit (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  const char *conversation = "conv_0v7conversation00000";
  const char *owner = "usr_0v7user00000000000000";

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);

  /* the relay's way: messages in one transaction, one of them in a savepoint rolled back */
  g_assert_true (confab_store_begin (fixture->store, &error));
  confab_message_free (agent_says (fixture->store, conversation, owner, "c-parcel",
                                   "Parcels leave on Mondays"));
  g_assert_true (confab_store_begin (fixture->store, &error));
  confab_message_free (agent_says (fixture->store, conversation, owner, "c-courier",
                                   "Couriers are late today"));
  confab_store_rollback (fixture->store);
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fixture->store, confab_store_close);

  assert_found (fixture->path, "shipping OR pages", "1,3");
  assert_found (fixture->path, "parcels", "4");
  assert_found (fixture->path, "couriers", NULL);
  assert_query (fixture->path, "SELECT count (*) FROM messages_fts_pending", "0");

  /* another program's way (the sqlite3 shell): a deleted message leaves the index at once, a
   * changed one waits for the next relay to open the database */
  g_free (query_text (fixture->path, "DELETE FROM messages WHERE seq = 1"));
  g_free (query_text (fixture->path, "UPDATE messages SET body = 'Free delivery over 50 EUR' "
                                     "WHERE seq = 2"));
  assert_found (fixture->path, "shipping", NULL);
  assert_found (fixture->path, "yes", NULL);
  assert_found (fixture->path, "delivery", NULL);
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&fixture->store, confab_store_close);
  assert_found (fixture->path, "delivery", "2");
  assert_found (fixture->path, "parcels OR pages", "3,4");
  /* FTS5's own check of its index */
  g_free (query_text (fixture->path,
                      "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')"));
}

/* Issue 16's migration on a database with FAQs: the FAQ index is rebuilt with the porter stemmer
 * ("shipped" finds the FAQ about shipping, which schema 14's index could not), the FAQs have no
 * synonyms, the triggers keep the index right after, and the schema is a fresh one's. */
static void
test_migrate_v14_faq_stems (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  g_autofree char *before = NULL, *found = NULL, *synonyms = NULL, *after_update = NULL;

  load_dump (fixture->path, "store-v14-faqkb.sql");
  before = query_text (fixture->path,
                       "SELECT count (*) FROM faqs_fts WHERE faqs_fts MATCH 'shipped'");
  g_assert_cmpstr (before, ==, "0");

  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_clear_pointer (&fixture->store, confab_store_close);

  found = query_text (fixture->path,
                      "SELECT group_concat (f.id) FROM faqs_fts JOIN faqs f ON f.n = faqs_fts.rowid "
                      "WHERE faqs_fts MATCH 'shipped'");
  g_assert_cmpstr (found, ==, "faq_times");
  synonyms = query_text (fixture->path, "SELECT group_concat (synonyms) FROM faqs");
  g_assert_cmpstr (synonyms, ==, "[],[]");

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);

  /* synonyms are indexed as they change */
  g_free (query_text (fixture->path,
                      "UPDATE faqs SET synonyms = '[\"money back\"]' WHERE id = 'faq_returns'"));
  after_update = query_text (fixture->path,
                             "SELECT group_concat (f.id) FROM faqs_fts JOIN faqs f "
                             "ON f.n = faqs_fts.rowid WHERE faqs_fts MATCH 'money'");
  g_assert_cmpstr (after_update, ==, "faq_returns");
}

/* Issue 15's migration (Messenger and WhatsApp) on a database with conversations: everything
 * already there is of the web, no message has a delivery state, and the schema is a fresh
 * one's. */
static void
test_migrate_v14_channels (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  g_autofree char *channels = NULL, *visitor_channels = NULL, *deliveries = NULL, *windows = NULL;

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_clear_pointer (&fixture->store, confab_store_close);

  channels = query_text (fixture->path, "SELECT group_concat (DISTINCT channel) FROM conversations");
  g_assert_cmpstr (channels, ==, "web");
  visitor_channels = query_text (fixture->path, "SELECT group_concat (DISTINCT channel) FROM visitors");
  g_assert_cmpstr (visitor_channels, ==, "web");
  windows = query_text (fixture->path,
                        "SELECT count (*) FROM conversations WHERE reply_window_ends_at IS NOT NULL");
  g_assert_cmpstr (windows, ==, "0");
  deliveries = query_text (fixture->path,
                           "SELECT count (*) FROM messages WHERE delivery_status IS NOT NULL "
                           "OR platform_id IS NOT NULL");
  g_assert_cmpstr (deliveries, ==, "0");

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* Issue 15's migration (e-mail): existing agents get notifications by mail, the new tables start
 * empty and work, and the schema is a fresh one's. */
static void
test_migrate_v14_email (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL, *wanting = NULL, *queued = NULL;
  g_autofree char *mail_id = NULL;
  g_autoptr (GPtrArray) due = NULL;

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  mail_id = confab_store_queue_mail (fixture->store, NULL, "notification", NULL, 0, "a@example.org",
                                     "id@example.org", "Subject: x\r\n\r\nx\r\n", &error);
  g_assert_no_error (error);
  due = confab_store_due_mails (fixture->store, confab_now_ms (), 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 1);
  g_assert_true (confab_store_mail_sent (fixture->store, mail_id, confab_now_ms (), &error));
  g_clear_pointer (&fixture->store, confab_store_close);

  wanting = query_text (fixture->path, "SELECT count (*) FROM users WHERE email_notifications = 1");
  g_assert_cmpstr (wanting, !=, "0");
  g_free (wanting);
  wanting = query_text (fixture->path, "SELECT count (*) FROM users WHERE email_notifications <> 1");
  g_assert_cmpstr (wanting, ==, "0");
  /* sent: its text is not kept */
  queued = query_text (fixture->path, "SELECT status || '/' || length (message) FROM email_outbox");
  g_assert_cmpstr (queued, ==, "sent/0");

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

static gboolean
count_target (const char       *site_id,
              gint64            started_at,
              ConfabTargetKind  kind,
              gboolean          met,
              gpointer          user_data)
{
  gint64 (*counts)[2] = user_data;

  counts[kind == CONFAB_TARGET_NEXT_RESPONSE ? 1 : 0][met ? 0 : 1]++;
  return TRUE;
}

/* Issue 18's migration (response-time targets), from the newest dump: the conversations that
 * were there have no target and get one with the next visitor message; the schema is a fresh
 * one's. */
static void
test_migrate_v14_targets (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL, *untargeted = NULL;
  g_autofree char *targets = NULL;

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_next_target_at (fixture->store, &error), ==, 0);
  g_assert_no_error (error);
  g_clear_pointer (&fixture->store, confab_store_close);

  untargeted = query_text (fixture->path, "SELECT count (*) FROM conversations WHERE "
                                          "target_kind IS NULL AND target_due_at IS NULL");
  g_assert_cmpstr (untargeted, ==, query_text (fixture->path, "SELECT count (*) FROM conversations"));
  targets = query_text (fixture->path, "SELECT count (*) FROM response_targets");
  g_assert_cmpstr (targets, ==, "0");

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* Response-time targets in the store (issue 18): the visitor's first message starts the first
 * response target, the marks come at 80 % and at the due time, once each; the agent's answer
 * ends it (missed: it came late); the visitor's next message starts the next response, which
 * resolving stops; analytics count one missed first response and nothing else. */
static void
test_targets (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) got = NULL;
  g_autoptr (ConfabConversation) resolved = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (ConfabMessage) said = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autoptr (ConfabMessage) again = NULL;
  g_autofree char *sites_json = g_strdup_printf ("[\"%s\"]", site->id);
  gint64 before = confab_now_ms (), due, counts[2][2] = { { 0 } };
  gboolean changed = FALSE;
  ConfabMessageDraft draft = {
    .client_id = "a1", .sender_type = CONFAB_SENDER_AGENT, .sender_id = owner->id,
    .sender_name = "Owner", .body = "Sorry",
  };

  updated = confab_store_update_site (fixture->store, site->id, NULL, NULL,
                                      "{\"first_response_seconds\":100,\"next_response_seconds\":50}",
                                      -1, &error);
  g_assert_no_error (error);

  said = visitor_says (fixture->store, visitor, "v1", "Hello", &conversation, &changed);
  g_assert_true (changed);
  g_assert_cmpint (conversation->target_kind, ==, CONFAB_TARGET_FIRST_RESPONSE);
  g_assert_cmpint (conversation->target_state, ==, CONFAB_TARGET_OK);
  due = conversation->target_due_at;
  g_assert_cmpint (due, >=, before + 100 * 1000);
  g_assert_cmpint (due, <=, confab_now_ms () + 100 * 1000);
  g_assert_cmpint (confab_store_next_target_at (fixture->store, &error), ==,
                   confab_target_near_at (due - 100 * 1000, due));

  /* nothing due yet; then near, once; then missed, once */
  ids = confab_store_advance_targets (fixture->store, due - 100 * 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 0);
  g_clear_pointer (&ids, g_ptr_array_unref);
  ids = confab_store_advance_targets (fixture->store, due - 1000, &error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, conversation->id);
  g_clear_pointer (&ids, g_ptr_array_unref);
  got = confab_store_get_conversation (fixture->store, conversation->id, &error);
  g_assert_cmpint (got->target_state, ==, CONFAB_TARGET_NEAR);
  g_assert_cmpint (got->target_due_at, ==, due);
  g_assert_cmpint (confab_store_next_target_at (fixture->store, &error), ==, due);
  ids = confab_store_advance_targets (fixture->store, due - 500, &error);
  g_assert_cmpuint (ids->len, ==, 0);
  g_clear_pointer (&ids, g_ptr_array_unref);
  ids = confab_store_advance_targets (fixture->store, due, &error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_clear_pointer (&ids, g_ptr_array_unref);
  g_clear_pointer (&got, confab_conversation_free);
  got = confab_store_get_conversation (fixture->store, conversation->id, &error);
  g_assert_cmpint (got->target_state, ==, CONFAB_TARGET_MISSED);
  g_assert_cmpint (confab_store_next_target_at (fixture->store, &error), ==, 0);
  g_assert_no_error (error);

  /* the late answer ends it */
  draft.conversation_id = conversation->id;
  changed = FALSE;
  g_clear_pointer (&got, confab_conversation_free);
  g_assert_true (confab_store_append_message (fixture->store, &draft, &answer, &got, &changed,
                                              NULL, &error));
  g_assert_no_error (error);
  g_assert_true (changed);
  g_assert_cmpint (got->target_kind, ==, CONFAB_TARGET_NONE);

  /* the visitor again: the next response; resolved, it stops */
  g_clear_pointer (&got, confab_conversation_free);
  again = visitor_says (fixture->store, visitor, "v2", "Thanks", &got, &changed);
  g_assert_true (changed);
  g_assert_cmpint (got->target_kind, ==, CONFAB_TARGET_NEXT_RESPONSE);
  resolved = confab_store_set_status (fixture->store, conversation->id, CONFAB_STATUS_RESOLVED, &error);
  g_assert_no_error (error);
  g_assert_cmpint (resolved->target_kind, ==, CONFAB_TARGET_NONE);
  g_assert_cmpint (confab_store_next_target_at (fixture->store, &error), ==, 0);
  ids = confab_store_advance_targets (fixture->store, due + 86400 * 1000, &error);
  g_assert_cmpuint (ids->len, ==, 0);

  g_assert_true (confab_store_analytics_targets (fixture->store, sites_json, before - 1000,
                                                 confab_now_ms () + 1000, count_target, counts,
                                                 &error));
  g_assert_no_error (error);
  g_assert_cmpint (counts[0][0], ==, 0);
  g_assert_cmpint (counts[0][1], ==, 1);
  g_assert_cmpint (counts[1][0], ==, 0);
  g_assert_cmpint (counts[1][1], ==, 0);
}

/* Issue 18's migration (routing), on the newest dump there is (store-v14.sql, migrated
 * through every later migration): members get no limit, no conversation waits in a queue or has
 * a team, teams work with the existing members, and the schema is a fresh one's. */
static void
test_migrate_routing (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL, *text = NULL;
  g_autofree char *site_id = NULL, *user_id = NULL;
  g_autoptr (ConfabTeam) team = NULL;
  const char *members[2] = { NULL, NULL };
  ConfabTeamDraft draft = { .name = "Billing", .key = "billing" };

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());
  g_clear_pointer (&fixture->store, confab_store_close);

  text = query_text (fixture->path, "SELECT count (*) FROM memberships WHERE max_chats <> 0 OR routed_at <> 0");
  g_assert_cmpstr (text, ==, "0");
  g_free (text);
  text = query_text (fixture->path, "SELECT count (*) FROM conversations WHERE queue_order IS NOT NULL "
                                    "OR team_id IS NOT NULL OR assigned_at IS NOT NULL");
  g_assert_cmpstr (text, ==, "0");
  site_id = query_text (fixture->path, "SELECT site_id FROM memberships ORDER BY site_id, user_id LIMIT 1");
  user_id = query_text (fixture->path, "SELECT user_id FROM memberships ORDER BY site_id, user_id LIMIT 1");

  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  members[0] = user_id;
  draft.member_ids = members;
  team = confab_store_create_team (fixture->store, site_id, &draft, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (team->member_ids[0], ==, user_id);
  g_assert_cmpint (confab_store_get_max_chats (fixture->store, site_id, user_id, &error), ==, 0);
  g_assert_no_error (error);
  g_clear_pointer (&fixture->store, confab_store_close);

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* engage (issue 16): the contacts, goals and triggers tables come to a store of before them, whose
 * visitors then take contacts and goals (the newest dump, store-v14.sql, is reused: it
 * migrates through e-mail's migration and this one). */
static void
test_migrate_engage (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL, *migrated_schema = NULL;
  const char * const tags[] = { "vip", NULL };
  ConfabContactChange change = { .set_tags = TRUE, .tags = tags, .asked_price = -1, .lead_score = 30 };
  g_autoptr (ConfabContact) contact = NULL;
  g_autoptr (GPtrArray) goals = NULL;

  load_dump (fixture->path, "store-v14.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  /* nobody wrote about the old visitors yet: empty contacts */
  contact = confab_store_get_contact (fixture->store, "vis_0v7visitora0000000000", &error);
  g_assert_no_error (error);
  g_assert_null (contact->phone);
  g_assert_cmpuint (g_strv_length (contact->tags), ==, 0);
  g_clear_pointer (&contact, confab_contact_free);

  g_assert_true (confab_store_put_contact (fixture->store, "site_0v7site0000000000000",
                                           "vis_0v7visitora0000000000", &change, &error));
  g_assert_true (confab_store_add_goal (fixture->store, "site_0v7site0000000000000",
                                        "vis_0v7visitora0000000000", "purchase", TRUE, 10, 5, &error));
  contact = confab_store_get_contact (fixture->store, "vis_0v7visitora0000000000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contact->tags[0], ==, "vip");
  g_assert_cmpint (contact->lead_score, ==, 30);
  goals = confab_store_list_goals (fixture->store, "vis_0v7visitora0000000000", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (goals->len, ==, 1);
  g_clear_pointer (&fixture->store, confab_store_close);

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* --- e-mail on both backends (pgmail) ------------------------------------------------------- */

/* A second store on the fixture's database: another relay. */
static ConfabStore *
open_other_relay_store (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  ConfabStore *store;

#ifdef CONFAB_TEST_STORE_PG
  store = confab_pg_store_open (fixture->path, &error);
#else
  store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
#endif
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static gboolean
mails_hold (GPtrArray  *mails,
            const char *mail_id)
{
  for (guint i = 0; mails != NULL && i < mails->len; i++)
    if (g_strcmp0 (((ConfabMail *) g_ptr_array_index (mails, i))->id, mail_id) == 0)
      return TRUE;
  return FALSE;
}

/* The outgoing queue: due at once, oldest first; what one relay takes to send another relay on
 * the same database neither finds due nor pulls forward when it starts (retry_mails_now), until
 * the first records the attempt or its lease runs out; the retry schedule; sent and failed for
 * good drop the text and keep the row. */
static void
test_email_queue (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStore) other = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) said = NULL;
  g_autoptr (ConfabMail) mail = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) again = NULL;
  char *ids[5] = { NULL };
  gint64 now;

  g_assert_cmpint (confab_store_next_mail_due (fixture->store, &error), ==, -1);
  g_assert_no_error (error);

  said = visitor_says (fixture->store, visitor, "c1", "Hello", &conversation, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *to = g_strdup_printf ("v%u@example.org", i);
      g_autofree char *message_id = g_strdup_printf ("m%u@confab.example", i);

      ids[i] = confab_store_queue_mail (fixture->store, site->id, i == 0 ? "conversation" : "notification",
                                        i == 0 ? conversation->id : NULL, said->seq, to, message_id,
                                        "Subject: x\r\n\r\nx\r\n", &error);
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (ids[i], "mail_"));
      g_usleep (1500);
    }

  mail = confab_store_get_mail (fixture->store, ids[0], &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mail->site_id, ==, site->id);
  g_assert_cmpstr (mail->kind, ==, "conversation");
  g_assert_cmpstr (mail->conversation_id, ==, conversation->id);
  g_assert_cmpint (mail->seq, ==, said->seq);
  g_assert_cmpstr (mail->to_address, ==, "v0@example.org");
  g_assert_cmpstr (mail->message_id, ==, "m0@confab.example");
  g_assert_cmpstr (mail->message, ==, "Subject: x\r\n\r\nx\r\n");
  g_assert_cmpstr (mail->status, ==, "pending");
  g_assert_cmpuint (mail->attempts, ==, 0);
  g_assert_null (mail->error);
  g_assert_cmpint (mail->sent_at, ==, 0);
  g_assert_cmpint (mail->next_attempt_at, ==, mail->created_at);
  g_assert_cmpint (confab_store_next_mail_due (fixture->store, &error), ==, mail->created_at);
  g_clear_pointer (&mail, confab_mail_free);
  mail = confab_store_get_mail (fixture->store, ids[1], &error);
  g_assert_null (mail->conversation_id);
  g_assert_cmpint (mail->seq, ==, 0);
  g_clear_pointer (&mail, confab_mail_free);
  g_assert_null (confab_store_get_mail (fixture->store, "mail_nope", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* two relays at the same moment: each mail goes to one of them */
  other = open_other_relay_store (fixture);
  now = confab_now_ms ();
  first = confab_store_due_mails (fixture->store, now, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 2);
  g_assert_cmpstr (((ConfabMail *) first->pdata[0])->id, ==, ids[0]);
  g_assert_cmpstr (((ConfabMail *) first->pdata[1])->id, ==, ids[1]);
  second = confab_store_due_mails (other, now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_true (mails_hold (first, ids[i]) != mails_hold (second, ids[i]));
  g_assert_cmpstr (((ConfabMail *) second->pdata[0])->id, ==, ids[2]);
  g_assert_cmpstr (((ConfabMail *) second->pdata[2])->id, ==, ids[4]);

  /* taken, still pending and not sent; a relay that starts does not take them back */
  mail = confab_store_get_mail (other, ids[0], &error);
  g_assert_cmpstr (mail->status, ==, "pending");
  g_assert_cmpint (mail->sent_at, ==, 0);
  g_assert_cmpint (mail->next_attempt_at, >, now);
  g_clear_pointer (&mail, confab_mail_free);
  g_assert_true (confab_store_retry_mails_now (other, now + 1, &error));
  g_assert_no_error (error);
  again = confab_store_due_mails (fixture->store, now + 1, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, 0);
  g_clear_pointer (&again, g_ptr_array_unref);

  /* sent: the text goes, the row stays */
  g_assert_true (confab_store_mail_sent (fixture->store, ids[0], now + 10, &error));
  mail = confab_store_get_mail (other, ids[0], &error);
  g_assert_cmpstr (mail->status, ==, "sent");
  g_assert_cmpint (mail->sent_at, ==, now + 10);
  g_assert_cmpuint (mail->attempts, ==, 1);
  g_assert_cmpstr (mail->message, ==, "");
  g_clear_pointer (&mail, confab_mail_free);

  /* failed, retried later: due then, or at once when a relay starts */
  g_assert_true (confab_store_mail_failed (fixture->store, ids[1], "421 busy", now + 60000, &error));
  mail = confab_store_get_mail (fixture->store, ids[1], &error);
  g_assert_cmpstr (mail->status, ==, "pending");
  g_assert_cmpstr (mail->error, ==, "421 busy");
  g_assert_cmpuint (mail->attempts, ==, 1);
  g_assert_cmpint (mail->next_attempt_at, ==, now + 60000);
  g_assert_cmpstr (mail->message, ==, "Subject: x\r\n\r\nx\r\n");
  g_clear_pointer (&mail, confab_mail_free);
  g_assert_true (confab_store_retry_mails_now (other, now + 20, &error));
  again = confab_store_due_mails (other, now + 20, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, 1);
  g_assert_cmpstr (((ConfabMail *) again->pdata[0])->id, ==, ids[1]);
  g_clear_pointer (&again, g_ptr_array_unref);

  /* failed for good: the text goes */
  g_assert_true (confab_store_mail_failed (other, ids[2], "550 no such user", 0, &error));
  mail = confab_store_get_mail (fixture->store, ids[2], &error);
  g_assert_cmpstr (mail->status, ==, "failed");
  g_assert_cmpstr (mail->message, ==, "");
  g_assert_cmpint (mail->sent_at, ==, 0);
  g_clear_pointer (&mail, confab_mail_free);
  g_assert_no_error (error);

  /* a relay that died holding mails: they are due again once its lease has run out */
  g_assert_cmpint (confab_store_next_mail_due (fixture->store, &error), >, now + 60000);
  again = confab_store_due_mails (fixture->store, now + 60000, 10, &error);
  g_assert_cmpuint (again->len, ==, 0);
  g_clear_pointer (&again, g_ptr_array_unref);
  again = confab_store_due_mails (fixture->store, now + (gint64) 31 * 60 * 1000, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, 3);
  g_assert_cmpstr (((ConfabMail *) again->pdata[0])->id, ==, ids[1]);
  g_assert_cmpstr (((ConfabMail *) again->pdata[1])->id, ==, ids[3]);
  g_assert_cmpstr (((ConfabMail *) again->pdata[2])->id, ==, ids[4]);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
}

/* Replies to offline messages with their mail's state, agents' notification preference and who
 * gets notified, a site's mailbox (its password kept when not given), and threads by Message-ID. */
static void
test_email_settings (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabUser) agent = make_user (fixture->store, "agent@example.com");
  g_autoptr (ConfabUser) quiet = make_user (fixture->store, "quiet@example.com");
  g_autoptr (ConfabUser) invited = NULL;
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) other_site = make_site (fixture->store, owner->id, "Other");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) said = NULL;
  g_autoptr (ConfabOfflineReply) reply = NULL;
  g_autoptr (ConfabOfflineReply) unmailed = NULL;
  g_autoptr (GPtrArray) replies = NULL;
  g_autoptr (ConfabEmailChannel) got = NULL;
  g_autoptr (GPtrArray) channels = NULL;
  g_auto (GStrv) notified = NULL;
  g_auto (GStrv) thread = NULL;
  g_autofree char *offline_id = NULL;
  g_autofree char *mail_id = NULL;
  g_autofree char *found = NULL;
  ConfabEmailChannel channel = {
    .site_id = site->id, .enabled = TRUE, .address = "help@shop.example",
    .imap_url = "imaps://imap.shop.example", .imap_user = "help", .imap_password = "secret",
    .poll_seconds = 90,
  };

  /* replies to an offline message, with their mail's delivery state */
  offline_id = confab_store_add_offline_message (fixture->store, site->id, visitor->id, "Vera",
                                                 "vera@example.org", "Call me", &error);
  g_assert_no_error (error);
  mail_id = confab_store_queue_mail (fixture->store, site->id, "offline_reply", NULL, 0,
                                     "vera@example.org", "r1@confab.example", "x", &error);
  g_assert_no_error (error);
  reply = confab_store_add_offline_reply (fixture->store, offline_id, agent->id, "Agnes", "Sure",
                                          mail_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply->id, "reply_"));
  g_assert_cmpstr (reply->offline_message_id, ==, offline_id);
  g_assert_cmpstr (reply->author_id, ==, agent->id);
  g_assert_cmpstr (reply->author_name, ==, "Agnes");
  g_assert_cmpstr (reply->body, ==, "Sure");
  g_assert_cmpstr (reply->mail_id, ==, mail_id);
  g_assert_cmpstr (reply->status, ==, "pending");
  g_assert_cmpint (reply->sent_at, >, 0);
  g_usleep (1500);
  unmailed = confab_store_add_offline_reply (fixture->store, offline_id, NULL, "Bot", "Later", NULL,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpstr (unmailed->status, ==, "failed");
  g_assert_true (confab_store_mail_failed (fixture->store, mail_id, "421 busy", confab_now_ms () + 5000,
                                           &error));
  replies = confab_store_list_offline_replies (fixture->store, offline_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (replies->len, ==, 2);
  g_assert_cmpstr (((ConfabOfflineReply *) replies->pdata[0])->id, ==, reply->id);
  g_assert_cmpstr (((ConfabOfflineReply *) replies->pdata[0])->error, ==, "421 busy");
  g_assert_cmpstr (((ConfabOfflineReply *) replies->pdata[1])->body, ==, "Later");
  g_assert_null (((ConfabOfflineReply *) replies->pdata[1])->author_id);
  g_assert_null (confab_store_add_offline_reply (fixture->store, "off_nope", NULL, "x", "x", NULL,
                                                 &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* notifications: on by default; off for one; invitees who never signed in get none */
  g_assert_true (confab_store_set_member (fixture->store, site->id, agent->id, CONFAB_ROLE_AGENT, &error));
  g_assert_true (confab_store_set_member (fixture->store, site->id, quiet->id, CONFAB_ROLE_AGENT, &error));
  invited = confab_store_invite_user (fixture->store, "new@example.com", site->id, CONFAB_ROLE_AGENT,
                                      "hash", owner->id, confab_now_ms () + 60000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_get_email_notifications (fixture->store, quiet->id, &error), ==, 1);
  g_assert_true (confab_store_set_email_notifications (fixture->store, quiet->id, FALSE, &error));
  g_assert_cmpint (confab_store_get_email_notifications (fixture->store, quiet->id, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_get_email_notifications (fixture->store, "usr_nope", &error), ==, -1);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (confab_store_set_email_notifications (fixture->store, "usr_nope", TRUE, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  notified = confab_store_list_notified_members (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (notified), ==, 2);
  g_assert_cmpstr (notified[0], ==, "agent@example.com");
  g_assert_cmpstr (notified[1], ==, "owner@example.com");

  /* a site's mailbox */
  g_assert_null (confab_store_get_email_channel (fixture->store, site->id, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_put_email_channel (fixture->store, &channel, &error));
  g_assert_true (confab_store_email_channel_polled (fixture->store, site->id, 1234, "login failed",
                                                    &error));
  got = confab_store_get_email_channel (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_true (got->enabled);
  g_assert_cmpstr (got->address, ==, "help@shop.example");
  g_assert_cmpstr (got->imap_url, ==, "imaps://imap.shop.example");
  g_assert_cmpstr (got->imap_user, ==, "help");
  g_assert_cmpstr (got->imap_password, ==, "secret");
  g_assert_cmpuint (got->poll_seconds, ==, 90);
  g_assert_cmpint (got->last_polled_at, ==, 1234);
  g_assert_cmpstr (got->last_error, ==, "login failed");
  g_clear_pointer (&got, confab_email_channel_free);
  /* changed without a password: the stored one stays, the old error goes */
  channel.imap_password = NULL;
  channel.address = "support@shop.example";
  g_assert_true (confab_store_put_email_channel (fixture->store, &channel, &error));
  got = confab_store_get_email_channel (fixture->store, site->id, &error);
  g_assert_cmpstr (got->address, ==, "support@shop.example");
  g_assert_cmpstr (got->imap_password, ==, "secret");
  g_assert_null (got->last_error);
  g_clear_pointer (&got, confab_email_channel_free);
  channel.site_id = other_site->id;
  channel.enabled = FALSE;
  g_assert_true (confab_store_put_email_channel (fixture->store, &channel, &error));
  got = confab_store_get_email_channel (fixture->store, other_site->id, &error);
  g_assert_cmpstr (got->imap_password, ==, "");
  g_clear_pointer (&got, confab_email_channel_free);
  channels = confab_store_list_email_channels (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (channels->len, ==, 1);
  g_assert_cmpstr (((ConfabEmailChannel *) channels->pdata[0])->site_id, ==, site->id);
  g_assert_true (confab_store_delete_email_channel (fixture->store, site->id, &error));
  g_assert_true (confab_store_delete_email_channel (fixture->store, site->id, &error));
  g_assert_null (confab_store_get_email_channel (fixture->store, site->id, &error));
  g_assert_no_error (error);

  /* threads by Message-ID: the first conversation a Message-ID names keeps it */
  said = visitor_says (fixture->store, visitor, "c1", "Hello", &conversation, NULL);
  g_assert_null (confab_store_find_mail_thread (fixture->store, "a@mail.example", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *message_id = g_strdup_printf ("%c@mail.example", 'a' + i);

      g_assert_true (confab_store_add_mail_thread (fixture->store, message_id, conversation->id, &error));
      g_assert_no_error (error);
      g_usleep (1500);
    }
  g_assert_true (confab_store_add_mail_thread (fixture->store, "a@mail.example", "conv_other", &error));
  g_assert_no_error (error);
  found = confab_store_find_mail_thread (fixture->store, "a@mail.example", &error);
  g_assert_cmpstr (found, ==, conversation->id);
  thread = confab_store_list_mail_thread (fixture->store, conversation->id, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (thread), ==, 3);
  g_assert_cmpstr (thread[0], ==, "b@mail.example");
  g_assert_cmpstr (thread[2], ==, "d@mail.example");
  g_clear_pointer (&thread, g_strfreev);
  thread = confab_store_list_mail_thread (fixture->store, "conv_none", 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (thread), ==, 0);
}

/* Blocks by visitor and by the keyed hash of their address, listed, and lifted. */
static void
test_blocks (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabBlock) block = NULL;
  g_autoptr (GPtrArray) blocks = NULL;
  g_autofree char *block_site = NULL;
  ConfabVisitorContext context = { .ip_hash = "hash-of-address" };

  g_assert_true (confab_store_set_visitor_context (fixture->store, visitor->id, &context, &error));
  g_assert_false (confab_store_is_blocked (fixture->store, site->id, visitor->id, NULL));

  block = confab_store_block_visitor (fixture->store, site->id, visitor->id, "spam", owner->id,
                                      &error);
  g_assert_no_error (error);
  g_assert_cmpstr (block->ip_hash, ==, "hash-of-address");
  g_assert_cmpstr (block->reason, ==, "spam");
  g_assert_cmpstr (block->blocked_by, ==, owner->id);

  g_assert_true (confab_store_is_blocked (fixture->store, site->id, visitor->id, NULL));
  /* a new visitor from the same address */
  g_assert_true (confab_store_is_blocked (fixture->store, site->id, "vis_other", "hash-of-address"));
  g_assert_false (confab_store_is_blocked (fixture->store, site->id, "vis_other", "another"));
  block_site = confab_store_get_block_site (fixture->store, visitor->id, &error);
  g_assert_cmpstr (block_site, ==, site->id);
  blocks = confab_store_list_blocks (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (blocks->len, ==, 1);

  g_assert_true (confab_store_unblock_visitor (fixture->store, site->id, visitor->id, &error));
  g_assert_false (confab_store_is_blocked (fixture->store, site->id, visitor->id, "hash-of-address"));
  g_assert_false (confab_store_unblock_visitor (fixture->store, site->id, visitor->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- every store function on both backends (pgstore3) --------------------------------------- */

/* FAQs: create, list, update, delete, views, feedback, and search as the relay asks it (FTS5
 * strings joined by OR): the question outranks the answer, a word found only with its accent
 * folded matches ("cafe" finds "Café"), another site's FAQs stay out. */
static void
test_faqs (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) other = make_site (fixture->store, owner->id, "Other");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  const char * const shipping_keywords[] = { "delivery", "post", NULL };
  const char * const shipping_terms[] = { "shipping", NULL };
  const char * const shipped_terms[] = { "shipped", NULL };
  const char * const cafe_terms[] = { "cafe", NULL };
  const char * const nothing_terms[] = { "zeppelin", NULL };
  g_autoptr (ConfabFaq) shipping = NULL;
  g_autoptr (ConfabFaq) returns = NULL;
  g_autoptr (ConfabFaq) cafe = NULL;
  g_autoptr (ConfabFaq) foreign = NULL;
  g_autoptr (ConfabFaq) updated = NULL;
  g_autoptr (ConfabFaq) got = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autofree char *match = NULL;
  g_autofree char *question = NULL;
  gboolean answered = TRUE, may_answer = FALSE;

  shipping = confab_store_create_faq (fixture->store, site->id, "How long does shipping take?",
                                      "Two to three days.", shipping_keywords, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shipping->site_id, ==, site->id);
  g_assert_cmpstr (shipping->keywords[1], ==, "post");
  g_usleep (1500);
  returns = confab_store_create_faq (fixture->store, site->id, "Can I send it back?",
                                     "Yes, free shipping on returns within 30 days.", NULL, &error);
  g_assert_no_error (error);
  g_usleep (1500);
  cafe = confab_store_create_faq (fixture->store, site->id, "Is there a Café?", "On the 2nd floor.",
                                  NULL, &error);
  g_assert_no_error (error);
  foreign = confab_store_create_faq (fixture->store, other->id, "Shipping to the moon?", "No.", NULL,
                                     &error);
  g_assert_no_error (error);

  list = confab_store_list_faqs (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (((ConfabFaq *) list->pdata[0])->id, ==, shipping->id);
  g_assert_cmpstr (((ConfabFaq *) list->pdata[2])->id, ==, cafe->id);

  /* the question's word outranks the answer's; the other site's entry is not found */
  match = confab_faq_match_query (shipping_terms);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpstr (((ConfabFaq *) hits->pdata[0])->id, ==, shipping->id);
  g_assert_cmpstr (((ConfabFaq *) hits->pdata[1])->id, ==, returns->id);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&match, g_free);
  /* both stores stem (issue 16): "shipped" finds the same two */
  match = confab_faq_match_query (shipped_terms);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpstr (((ConfabFaq *) hits->pdata[0])->id, ==, shipping->id);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&match, g_free);
  /* diacritics fold on both sides */
  match = confab_faq_match_query (cafe_terms);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((ConfabFaq *) hits->pdata[0])->id, ==, cafe->id);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&match, g_free);
  match = confab_faq_match_query (nothing_terms);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* an update changes what the search finds */
  updated = confab_store_update_faq (fixture->store, cafe->id, "Where is the restaurant?", NULL,
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (updated->answer, ==, "On the 2nd floor.");
  g_clear_pointer (&match, g_free);
  match = confab_faq_match_query (cafe_terms);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_assert_null (confab_store_update_faq (fixture->store, "faq_missing", "Q", NULL, NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (confab_store_count_faq_view (fixture->store, shipping->id, &error));
  g_assert_true (confab_store_count_faq_view (fixture->store, shipping->id, &error));
  g_assert_false (confab_store_count_faq_view (fixture->store, "faq_missing", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the bot's answer in a conversation, and the visitor's vote on it */
  first = visitor_says (fixture->store, visitor, "c1", "how long is shipping?", &conversation, NULL);
  g_assert_true (confab_store_bot_may_answer (fixture->store, conversation->id, &may_answer, &error));
  g_assert_true (may_answer);
  g_assert_true (confab_store_faq_answered_in (fixture->store, conversation->id, shipping->id,
                                               &answered, &error));
  g_assert_false (answered);
  {
    ConfabMessageDraft draft = {
      .conversation_id = conversation->id,
      .sender_type = CONFAB_SENDER_BOT,
      .sender_id = shipping->id,
      .sender_name = "Bot",
      .body = "Two to three days.",
    };
    g_autoptr (ConfabMessage) answer = NULL;

    g_assert_true (confab_store_append_message (fixture->store, &draft, &answer, NULL, NULL, NULL,
                                                &error));
    g_assert_no_error (error);
  }
  g_assert_true (confab_store_faq_answered_in (fixture->store, conversation->id, shipping->id,
                                               &answered, &error));
  g_assert_true (answered);
  g_assert_true (confab_store_set_faq_feedback (fixture->store, conversation->id, shipping->id,
                                                FALSE, &error));
  /* a second vote replaces the first */
  g_assert_true (confab_store_set_faq_feedback (fixture->store, conversation->id, shipping->id,
                                                TRUE, &error));
  g_assert_no_error (error);
  got = confab_store_get_faq (fixture->store, shipping->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->views, ==, 2);
  g_assert_cmpint (got->helpful, ==, 1);
  g_assert_cmpint (got->not_helpful, ==, 0);
  question = confab_store_analytics_faq_question (fixture->store, shipping->id);
  g_assert_cmpstr (question, ==, "How long does shipping take?");

  g_assert_true (confab_store_delete_faq (fixture->store, returns->id, &error));
  g_assert_false (confab_store_delete_faq (fixture->store, returns->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (confab_store_get_faq (fixture->store, returns->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* The ids of @articles joined by spaces, to compare an order in one assertion. */
static char *
article_ids (GPtrArray *articles)
{
  g_autoptr (GString) ids = g_string_new (NULL);

  for (guint i = 0; i < articles->len; i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? " " : "",
                            ((ConfabArticle *) articles->pdata[i])->slug);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static GPtrArray *
search_articles (ConfabStore *store,
                 const char  *site_id,
                 const char  *match,
                 gboolean     published_only)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *hits = confab_store_search_articles (store, site_id, match, published_only, 10,
                                                  &error);

  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

/* The knowledge base (issue 16): slugs unique per site, drafts hidden from the public calls,
 * lists by category then title in binary order, and a search that stems, folds diacritics,
 * ranks the title above the body and keeps to the site. */
static void
test_articles (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) other = make_site (fixture->store, owner->id, "Other");
  ConfabArticleDraft shipping_draft = { "shipping", "Shipping times", "Parcels leave within a day.",
                                        "Shipping", NULL, 1 };
  ConfabArticleDraft returns_draft = { "returns", "Returns", "Shipping back is free for 30 days.",
                                       "Shipping", "en", 1 };
  ConfabArticleDraft cafe_draft = { "cafe", "Our Café", "Open from nine.", "accounts", "fr", 0 };
  ConfabArticleDraft foreign_draft = { "shipping", "Shipping to the moon", "Never.", NULL, NULL, 1 };
  ConfabArticleDraft taken = { "returns", "Another", NULL, NULL, NULL, 1 };
  ConfabArticleDraft publish = { NULL, NULL, NULL, NULL, NULL, 1 };
  ConfabArticleDraft retitle = { NULL, "Café hours", NULL, NULL, NULL, -1 };
  const char * const shipped_terms[] = { "shipped", NULL };
  const char * const shipping_terms[] = { "shipping", NULL };
  const char * const cafe_terms[] = { "cafe", NULL };
  g_autoptr (ConfabArticle) shipping = NULL;
  g_autoptr (ConfabArticle) returns = NULL;
  g_autoptr (ConfabArticle) cafe = NULL;
  g_autoptr (ConfabArticle) foreign = NULL;
  g_autoptr (ConfabArticle) got = NULL;
  g_autoptr (ConfabArticle) updated = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *match = NULL;
  gboolean has = FALSE;

  g_assert_true (confab_store_has_published_articles (fixture->store, site->id, &has, &error));
  g_assert_no_error (error);
  g_assert_false (has);

  shipping = confab_store_create_article (fixture->store, site->id, &shipping_draft, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (shipping->id, "art_"));
  g_assert_cmpstr (shipping->site_id, ==, site->id);
  g_assert_cmpstr (shipping->language, ==, "en");
  g_assert_true (shipping->published);
  g_assert_cmpint (shipping->created_at, >, 0);
  g_assert_cmpint (shipping->updated_at, ==, shipping->created_at);
  returns = confab_store_create_article (fixture->store, site->id, &returns_draft, &error);
  g_assert_no_error (error);
  cafe = confab_store_create_article (fixture->store, site->id, &cafe_draft, &error);
  g_assert_no_error (error);
  g_assert_false (cafe->published);
  g_assert_cmpstr (cafe->category, ==, "accounts");
  /* another site may use the same slug; this one may not */
  foreign = confab_store_create_article (fixture->store, other->id, &foreign_draft, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (foreign->category, ==, "");
  g_assert_null (confab_store_create_article (fixture->store, site->id, &taken, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_assert_cmpstr (error->message, ==, "This site already has an article with this slug");
  g_clear_error (&error);
  /* the failed insert left the store usable, in a transaction too */
  confab_store_begin (fixture->store, NULL);
  g_assert_null (confab_store_create_article (fixture->store, site->id, &taken, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (confab_store_has_published_articles (fixture->store, site->id, &has, &error));
  g_assert_no_error (error);
  g_assert_true (has);
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);

  /* by category, then title, in binary order: "Shipping" before "accounts" */
  list = confab_store_list_articles (fixture->store, site->id, FALSE, &error);
  g_assert_no_error (error);
  ids = article_ids (list);
  g_assert_cmpstr (ids, ==, "returns shipping cafe");
  g_clear_pointer (&list, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  list = confab_store_list_articles (fixture->store, site->id, TRUE, &error);
  g_assert_no_error (error);
  ids = article_ids (list);
  g_assert_cmpstr (ids, ==, "returns shipping");
  g_clear_pointer (&ids, g_free);

  got = confab_store_get_article_by_slug (fixture->store, site->id, "cafe", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, cafe->id);
  g_assert_cmpstr (got->title, ==, "Our Café");
  g_assert_cmpstr (got->language, ==, "fr");
  g_clear_pointer (&got, confab_article_free);
  g_assert_null (confab_store_get_article_by_slug (fixture->store, site->id, "cafe", TRUE, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  got = confab_store_get_article_by_slug (fixture->store, other->id, "shipping", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, foreign->id);
  g_clear_pointer (&got, confab_article_free);
  g_assert_null (confab_store_get_article (fixture->store, "art_missing", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* porter stems on both stores: "shipped" finds "Shipping", the title before the body */
  match = confab_faq_match_query (shipped_terms);
  hits = search_articles (fixture->store, site->id, match, TRUE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "shipping returns");
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  g_clear_pointer (&match, g_free);
  match = confab_faq_match_query (shipping_terms);
  hits = search_articles (fixture->store, other->id, match, TRUE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "shipping");
  g_assert_cmpstr (((ConfabArticle *) hits->pdata[0])->id, ==, foreign->id);
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  g_clear_pointer (&match, g_free);
  /* an English stop word is a word like any other, as in SQLite's porter tokenizer: "from"
   * finds "Open from nine." on both stores */
  {
    const char * const stop_terms[] = { "from", NULL };

    match = confab_faq_match_query (stop_terms);
    hits = search_articles (fixture->store, site->id, match, FALSE);
    ids = article_ids (hits);
    g_assert_cmpstr (ids, ==, "cafe");
    g_clear_pointer (&hits, g_ptr_array_unref);
    g_clear_pointer (&ids, g_free);
    g_clear_pointer (&match, g_free);
  }
  /* diacritics fold; a draft is found by the team only */
  match = confab_faq_match_query (cafe_terms);
  hits = search_articles (fixture->store, site->id, match, TRUE);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_articles (fixture->store, site->id, match, FALSE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "cafe");
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  /* a prefix, as the relay's typo candidates ask */
  hits = search_articles (fixture->store, site->id, "\"ret\"*", TRUE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "returns");
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);

  /* an update sets what it names and keeps the rest; the search follows it */
  g_usleep (2000);
  updated = confab_store_update_article (fixture->store, cafe->id, &publish, &error);
  g_assert_no_error (error);
  g_assert_true (updated->published);
  g_assert_cmpstr (updated->title, ==, "Our Café");
  g_assert_cmpstr (updated->language, ==, "fr");
  g_assert_cmpint (updated->updated_at, >, cafe->updated_at);
  g_clear_pointer (&updated, confab_article_free);
  updated = confab_store_update_article (fixture->store, cafe->id, &retitle, &error);
  g_assert_no_error (error);
  g_assert_true (updated->published);
  g_assert_cmpstr (updated->title, ==, "Café hours");
  g_assert_cmpstr (updated->body, ==, "Open from nine.");
  g_clear_pointer (&updated, confab_article_free);
  hits = search_articles (fixture->store, site->id, match, TRUE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "cafe");
  g_clear_pointer (&hits, g_ptr_array_unref);
  g_clear_pointer (&ids, g_free);
  g_assert_null (confab_store_update_article (fixture->store, cafe->id, &taken, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_assert_cmpstr (error->message, ==, "This site already has an article with this slug");
  g_clear_error (&error);
  g_assert_null (confab_store_update_article (fixture->store, "art_missing", &publish, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (confab_store_delete_article (fixture->store, returns->id, &error));
  g_assert_no_error (error);
  g_assert_false (confab_store_delete_article (fixture->store, returns->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (confab_store_get_article (fixture->store, returns->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&match, g_free);
  match = confab_faq_match_query (shipping_terms);
  hits = search_articles (fixture->store, site->id, match, FALSE);
  ids = article_ids (hits);
  g_assert_cmpstr (ids, ==, "shipping");
}

/* A FAQ's synonyms (issue 16): stored, read with the FAQ, searched, and cleared. */
static void
test_faq_synonyms (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  const char * const synonyms[] = { "money back", "refund", NULL };
  const char * const money_terms[] = { "money", NULL };
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (ConfabFaq) got = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autofree char *match = confab_faq_match_query (money_terms);

  faq = confab_store_create_faq (fixture->store, site->id, "Can I send it back?",
                                 "Yes, within 30 days.", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (faq->synonyms == NULL || faq->synonyms[0] == NULL);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  g_assert_true (confab_store_set_faq_synonyms (fixture->store, faq->id, synonyms, &error));
  g_assert_no_error (error);
  got = confab_store_get_faq (fixture->store, faq->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got->synonyms);
  g_assert_cmpuint (g_strv_length (got->synonyms), ==, 2);
  g_assert_cmpstr (got->synonyms[0], ==, "money back");
  g_assert_cmpstr (got->synonyms[1], ==, "refund");
  g_clear_pointer (&got, confab_faq_free);
  list = confab_store_list_faqs (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((ConfabFaq *) list->pdata[0])->synonyms[1], ==, "refund");
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((ConfabFaq *) hits->pdata[0])->synonyms[0], ==, "money back");
  g_clear_pointer (&hits, g_ptr_array_unref);

  g_assert_false (confab_store_set_faq_synonyms (fixture->store, "faq_missing", synonyms, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (confab_store_set_faq_synonyms (fixture->store, faq->id, NULL, &error));
  g_assert_no_error (error);
  got = confab_store_get_faq (fixture->store, faq->id, &error);
  g_assert_no_error (error);
  g_assert_true (got->synonyms == NULL || got->synonyms[0] == NULL);
  hits = confab_store_search_faqs (fixture->store, site->id, match, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
}

/* Messenger and WhatsApp (issue 15): a site's settings per channel, the visitor standing for a
 * sender, the platform ids seen, a message's delivery state and the outbox with its lease. */
static void
test_channels (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) other = make_site (fixture->store, owner->id, "Other");
  g_autoptr (ConfabChannelSettings) settings = NULL;
  g_autoptr (ConfabVisitor) contact = NULL;
  g_autoptr (ConfabVisitor) found = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) moved = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GPtrArray) due = NULL;
  g_autofree char *external = NULL;
  g_autofree char *found_conversation = NULL;
  g_autofree char *found_status = NULL;
  gint64 found_seq = 0, now = confab_now_ms ();
  gboolean claimed = FALSE;
  ConfabOutboxItem *item;

  /* settings: NOT_FOUND until put, replaced by a second put, deleted once */
  g_assert_null (confab_store_get_channel_settings (fixture->store, site->id, "messenger", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (confab_store_put_channel_settings (fixture->store, site->id, "messenger", TRUE,
                                                    "{\"page_id\":\"1\"}", "{\"token\":\"t\"}",
                                                    &error));
  g_assert_true (confab_store_put_channel_settings (fixture->store, site->id, "messenger", FALSE,
                                                    "{\"page_id\":\"2\"}", "{}", &error));
  g_assert_no_error (error);
  settings = confab_store_get_channel_settings (fixture->store, site->id, "messenger", &error);
  g_assert_no_error (error);
  g_assert_false (settings->enabled);
  g_assert_cmpstr (settings->config_json, ==, "{\"page_id\":\"2\"}");
  g_assert_cmpstr (settings->secrets_json, ==, "{}");
  g_assert_cmpint (settings->updated_at, >=, now);
  g_assert_true (confab_store_delete_channel_settings (fixture->store, site->id, "messenger", &error));
  g_assert_false (confab_store_delete_channel_settings (fixture->store, site->id, "messenger",
                                                        &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a sender becomes a visitor of the channel once, per site */
  found = confab_store_find_channel_contact (fixture->store, site->id, "whatsapp", "5511", &error);
  g_assert_no_error (error);
  g_assert_null (found);
  contact = confab_store_add_channel_contact (fixture->store, site->id, "whatsapp", "5511",
                                              "Ana Souza", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contact->channel, ==, "whatsapp");
  g_assert_cmpstr (contact->name, ==, "Ana Souza");
  found = confab_store_find_channel_contact (fixture->store, site->id, "whatsapp", "5511", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, contact->id);
  g_assert_cmpstr (found->channel, ==, "whatsapp");
  g_clear_pointer (&found, confab_visitor_free);
  found = confab_store_find_channel_contact (fixture->store, other->id, "whatsapp", "5511", &error);
  g_assert_no_error (error);
  g_assert_null (found);
  external = confab_store_get_channel_contact_id (fixture->store, contact->id, "whatsapp", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (external, ==, "5511");
  g_assert_null (confab_store_get_channel_contact_id (fixture->store, contact->id, "messenger",
                                                      &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* seen platform ids: a retry is EXISTS, in a transaction too, and old ones are forgotten */
  g_assert_false (confab_store_channel_seen (fixture->store, site->id, "whatsapp", "wamid.1"));
  g_assert_true (confab_store_mark_channel_seen (fixture->store, site->id, "whatsapp", "wamid.1",
                                                 now - 100000, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_channel_seen (fixture->store, site->id, "whatsapp", "wamid.1"));
  g_assert_true (confab_store_begin (fixture->store, &error));
  g_assert_false (confab_store_mark_channel_seen (fixture->store, site->id, "whatsapp", "wamid.1",
                                                  now, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (confab_store_mark_channel_seen (fixture->store, site->id, "whatsapp", "wamid.2",
                                                 now, &error));
  g_assert_true (confab_store_commit (fixture->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_forget_channel_seen (fixture->store, now - 1000, &error), ==, 1);
  g_assert_false (confab_store_channel_seen (fixture->store, site->id, "whatsapp", "wamid.1"));
  g_assert_true (confab_store_channel_seen (fixture->store, site->id, "whatsapp", "wamid.2"));

  /* the conversation's channel and window; the message's delivery and platform id */
  first = visitor_says (fixture->store, contact, "c1", "Olá!", &conversation, NULL);
  moved = confab_store_set_conversation_channel (fixture->store, conversation->id, "whatsapp",
                                                 now + 3600000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved->channel, ==, "whatsapp");
  g_assert_cmpint (moved->reply_window_ends_at, ==, now + 3600000);
  g_clear_pointer (&moved, confab_conversation_free);
  moved = confab_store_set_conversation_channel (fixture->store, conversation->id, "whatsapp", 0,
                                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (moved->reply_window_ends_at, ==, 0);
  g_assert_null (confab_store_set_conversation_channel (fixture->store, "cnv_missing", "web", 0,
                                                        &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (confab_store_set_message_delivery (fixture->store, conversation->id, first->seq,
                                                    "sent", NULL, "wamid.out", &error));
  g_assert_true (confab_store_set_message_delivery (fixture->store, conversation->id, first->seq,
                                                    "failed", "Too late", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (confab_store_set_message_delivery (fixture->store, conversation->id, 99,
                                                     "sent", NULL, NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (confab_store_find_platform_message (fixture->store, site->id, "wamid.out",
                                                     &found_conversation, &found_seq,
                                                     &found_status, &error));
  g_assert_cmpstr (found_conversation, ==, conversation->id);
  g_assert_cmpint (found_seq, ==, first->seq);
  g_assert_cmpstr (found_status, ==, "failed");
  g_assert_false (confab_store_find_platform_message (fixture->store, other->id, "wamid.out",
                                                      &found_conversation, &found_seq,
                                                      &found_status, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  messages = confab_store_list_messages (fixture->store, conversation->id, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((ConfabMessage *) messages->pdata[0])->delivery_status, ==, "failed");
  g_assert_cmpstr (((ConfabMessage *) messages->pdata[0])->delivery_error, ==, "Too late");

  /* the outbox: due in order, taken once, rescheduled, removed */
  g_assert_cmpint (confab_store_next_outbox_at (fixture->store, &error), ==, 0);
  g_assert_true (confab_store_add_outbox (fixture->store, conversation->id, first->seq, site->id,
                                          "whatsapp", "{\"to\":\"5511\"}", now - 10, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_next_outbox_at (fixture->store, &error), ==, now - 10);
  due = confab_store_list_due_outbox (fixture->store, now - 20, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 0);
  g_clear_pointer (&due, g_ptr_array_unref);
  due = confab_store_list_due_outbox (fixture->store, now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 1);
  item = due->pdata[0];
  g_assert_cmpstr (item->conversation_id, ==, conversation->id);
  g_assert_cmpstr (item->request_json, ==, "{\"to\":\"5511\"}");
  g_assert_cmpstr (item->channel, ==, "whatsapp");
  g_assert_cmpint (item->attempts, ==, 0);
  g_assert_true (confab_store_claim_outbox (fixture->store, item, now + 30000, &claimed, &error));
  g_assert_true (claimed);
  /* a second relay that read the same row loses */
  g_assert_true (confab_store_claim_outbox (fixture->store, item, now + 30000, &claimed, &error));
  g_assert_false (claimed);
  g_assert_true (confab_store_retry_outbox (fixture->store, conversation->id, first->seq, 1,
                                            now + 5000, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_next_outbox_at (fixture->store, &error), ==, now + 5000);
  g_assert_true (confab_store_remove_outbox (fixture->store, conversation->id, first->seq, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_next_outbox_at (fixture->store, &error), ==, 0);
}

/* The site's audit pages, newest first, by id; deleting them. */
static void
test_audit_pages (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GPtrArray) rest = NULL;
  ConfabAuditRecord *last;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *target = g_strdup_printf ("thing %d", i);
      ConfabAuditEntry entry = {
        .actor_id = owner->id, .actor_name = "Old name", .site_id = site->id,
        .action = "settings.changed", .target_type = "site", .target_id = site->id,
        .target_name = target, .details_json = "{\"n\":1}", .ip_hash = "iphash",
      };

      g_assert_true (confab_store_append_audit (fixture->store, &entry, &error));
      g_assert_no_error (error);
    }

  page = confab_store_list_site_audit (fixture->store, site->id, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  last = page->pdata[2];
  g_assert_cmpstr (((ConfabAuditRecord *) page->pdata[0])->target_name, ==, "thing 4");
  /* the user's current name, not the one written then */
  g_assert_cmpstr (last->actor_name, ==, "Someone");
  g_assert_cmpstr (last->details_json, ==, "{\"n\":1}");
  rest = confab_store_list_site_audit (fixture->store, site->id, last->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rest->len, ==, 2);
  g_assert_cmpstr (((ConfabAuditRecord *) rest->pdata[1])->target_name, ==, "thing 0");

  g_assert_true (confab_store_delete_site_audit (fixture->store, site->id, &error));
  g_clear_pointer (&page, g_ptr_array_unref);
  page = confab_store_list_site_audit (fixture->store, site->id, 0, 0, &error);
  g_assert_cmpuint (page->len, ==, 0);
}

/* One visitor's data: search, pages, ids, message count, trimming, and deleting them. */
static void
test_visitor_data (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) ann = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabVisitor) bob = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) pages = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GPtrArray) offline = NULL;
  g_autoptr (GPtrArray) uploads = NULL;
  g_autoptr (GPtrArray) unused = NULL;
  g_autofree char *offline_id = NULL;
  ConfabVisitorInfo info = { .name = "Ann 100%_Real", .email = "ann@example.com" };
  ConfabUpload upload = {
    .id = "upl_ann", .site_id = site->id, .sha256 = "ab12",
    .mime = "application/pdf", .kind = "file", .name = "invoice.pdf", .size = 10,
  };
  gboolean more = TRUE;

  {
    ConfabVisitor *touched = confab_store_touch_visitor (fixture->store, ann->id, &info, FALSE,
                                                         &error);

    g_assert_no_error (error);
    confab_visitor_free (ann);
    ann = touched;
  }
  g_assert_true (confab_store_add_page_view (fixture->store, ann->id, "https://shop.example/a", "A",
                                             1000, &error));
  g_assert_true (confab_store_add_page_view (fixture->store, ann->id, "https://shop.example/b", NULL,
                                             2000, &error));
  upload.visitor_id = ann->id;
  g_assert_true (confab_store_add_upload (fixture->store, &upload, &error));
  g_assert_no_error (error);
  /* a file keeps its kind and name (they were lost on PostgreSQL) */
  {
    g_autoptr (ConfabUpload) stored = confab_store_get_upload (fixture->store, "upl_ann", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (stored->kind, ==, "file");
    g_assert_cmpstr (stored->name, ==, "invoice.pdf");
  }
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("m%d", i);
      g_autoptr (ConfabMessage) message = visitor_says (fixture->store, ann, client_id, "hello",
                                                        i == 0 ? &conversation : NULL, NULL);
    }
  offline_id = confab_store_add_offline_message (fixture->store, site->id, ann->id, "Ann",
                                                 "ann@example.com", "call me", &error);
  g_assert_no_error (error);

  /* the pattern's own % and _ are literal; case does not matter */
  found = confab_store_search_visitors (fixture->store, site->id, "100%_real", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((ConfabVisitor *) found->pdata[0])->id, ==, ann->id);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = confab_store_search_visitors (fixture->store, site->id, "100__real", 10, &error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = confab_store_search_visitors (fixture->store, site->id, "EXAMPLE.com", 10, &error);
  g_assert_cmpuint (found->len, ==, 1);

  pages = confab_store_list_visitor_pages (fixture->store, ann->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pages->len, ==, 2);
  g_assert_cmpstr (((ConfabPageView *) pages->pdata[0])->title, ==, "A");
  g_assert_null (((ConfabPageView *) pages->pdata[1])->title);

  conversations = confab_store_list_visitor_conversation_ids (fixture->store, ann->id, &error);
  g_assert_cmpuint (conversations->len, ==, 1);
  g_assert_cmpstr (conversations->pdata[0], ==, conversation->id);
  offline = confab_store_list_visitor_offline_ids (fixture->store, ann->id, &error);
  g_assert_cmpuint (offline->len, ==, 1);
  g_assert_cmpstr (offline->pdata[0], ==, offline_id);
  uploads = confab_store_list_visitor_upload_ids (fixture->store, ann->id, &error);
  g_assert_cmpuint (uploads->len, ==, 1);
  g_assert_cmpstr (uploads->pdata[0], ==, "upl_ann");
  g_clear_pointer (&conversations, g_ptr_array_unref);
  g_clear_pointer (&offline, g_ptr_array_unref);

  /* trimming: the oldest first, two at a time, until none is left */
  g_assert_cmpint (confab_store_count_visitor_messages (fixture->store, ann->id, &error), ==, 5);
  g_assert_true (confab_store_trim_visitor_messages (fixture->store, ann->id, 2, &more, &error));
  g_assert_no_error (error);
  g_assert_true (more);
  g_assert_cmpint (confab_store_count_visitor_messages (fixture->store, ann->id, &error), ==, 3);
  {
    g_autoptr (GPtrArray) left = confab_store_list_messages (fixture->store, conversation->id, 0, 0,
                                                             &error);
    g_assert_cmpuint (left->len, ==, 3);
    g_assert_cmpint (((ConfabMessage *) left->pdata[0])->seq, ==, 3);
  }
  while (more)
    g_assert_true (confab_store_trim_visitor_messages (fixture->store, ann->id, 2, &more, &error));
  g_assert_cmpint (confab_store_count_visitor_messages (fixture->store, ann->id, &error), ==, 0);

  g_assert_true (confab_store_delete_visitor (fixture->store, ann->id, &conversations, &offline,
                                              &unused, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (conversations->len, ==, 1);
  g_assert_cmpuint (offline->len, ==, 1);
  g_assert_cmpuint (unused->len, ==, 1);
  g_assert_cmpstr (unused->pdata[0], ==, "ab12");
  g_assert_null (confab_store_get_visitor (fixture->store, ann->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (confab_store_get_upload (fixture->store, "upl_ann", &error));
  g_clear_error (&error);
  g_assert_false (confab_store_delete_visitor (fixture->store, ann->id, NULL, NULL, NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* the other visitor is untouched */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = confab_store_search_visitors (fixture->store, site->id, "", 0, &error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((ConfabVisitor *) found->pdata[0])->id, ==, bob->id);
}


/* Retention: only resolved or closed conversations idle past the cutoff go, with their uploads'
 * files reported when no other row names them; a long one goes in slices within the budget. */
static void
test_retention (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) old_visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabVisitor) open_visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) old = NULL;
  g_autoptr (ConfabConversation) open = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GHashTable) retention = NULL;
  g_autoptr (ConfabSite) updated = NULL;
  ConfabUpload upload = {
    .id = "upl_old", .site_id = site->id, .sha256 = "cd34", .mime = "image/png", .size = 10,
  };
  gboolean more = FALSE;
  gint64 purged, cutoff;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("o%d", i);
      g_autoptr (ConfabMessage) message = visitor_says (fixture->store, old_visitor, client_id, "old",
                                                        i == 0 ? &old : NULL, NULL);
    }
  {
    g_autoptr (ConfabMessage) message = visitor_says (fixture->store, open_visitor, "p1", "open",
                                                      &open, NULL);
  }
  upload.conversation_id = old->id;
  g_assert_true (confab_store_add_upload (fixture->store, &upload, &error));
  {
    ConfabConversation *resolved = confab_store_set_status (fixture->store, old->id,
                                                            CONFAB_STATUS_RESOLVED, &error);

    g_assert_no_error (error);
    confab_conversation_free (old);
    old = resolved;
  }
  g_assert_no_error (error);

  updated = confab_store_update_site (fixture->store, site->id, NULL, NULL,
                                      "{\"retention_days\":30}", -1, &error);
  g_assert_no_error (error);
  retention = confab_store_list_retention_sites (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (retention, site->id)), ==, 30);

  /* nothing is older than a cutoff in the past */
  purged = confab_store_purge_conversations (fixture->store, site->id, 1, 100, &more, &ids, &files,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (purged, ==, 0);
  g_clear_pointer (&ids, g_ptr_array_unref);
  g_clear_pointer (&files, g_ptr_array_unref);

  /* a cutoff in the future: the resolved one goes, in slices of 2 rows, then whole; the open
   * one stays */
  cutoff = confab_now_ms () + 60 * 60 * 1000;
  purged = confab_store_purge_conversations (fixture->store, site->id, cutoff, 2, &more, &ids, &files,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (purged, ==, 0);
  g_assert_true (more);
  g_assert_cmpint (confab_store_count_visitor_messages (fixture->store, old_visitor->id, &error), ==, 3);
  g_clear_pointer (&ids, g_ptr_array_unref);
  g_clear_pointer (&files, g_ptr_array_unref);
  do
    {
      g_clear_pointer (&ids, g_ptr_array_unref);
      g_clear_pointer (&files, g_ptr_array_unref);
      purged = confab_store_purge_conversations (fixture->store, site->id, cutoff, 2, &more, &ids,
                                                 &files, &error);
      g_assert_no_error (error);
    }
  while (purged == 0 && more);
  g_assert_cmpint (purged, ==, 1);
  g_assert_cmpstr (ids->pdata[0], ==, old->id);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (files->pdata[0], ==, "cd34");
  g_assert_null (confab_store_get_conversation (fixture->store, old->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&open, confab_conversation_free);
  open = confab_store_get_current_conversation (fixture->store, open_visitor->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (open);
}

/* Deleting a site: retired at once (no key, no members, no audit trail), then removed in steps
 * that report the upload files. */
static void
test_delete_site (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) kept = make_site (fixture->store, owner->id, "Kept");
  g_autoptr (ConfabSite) retired = NULL;
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GPtrArray) retired_ids = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (ConfabUser) invitee = NULL;
  gboolean done = FALSE;
  guint steps = 0;

  for (int v = 0; v < 3; v++)
    {
      g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
      g_autoptr (ConfabConversation) conversation = NULL;
      g_autoptr (ConfabMessage) message = visitor_says (fixture->store, visitor, "c", "hi",
                                                        &conversation, NULL);
      g_autofree char *id = g_strdup_printf ("upl_%d", v);
      ConfabUpload upload = {
        .id = id, .site_id = site->id, .conversation_id = conversation->id, .sha256 = "ef56",
        .mime = "image/png", .size = 1,
      };

      g_assert_true (confab_store_add_upload (fixture->store, &upload, &error));
    }
  faq = confab_store_create_faq (fixture->store, site->id, "Q?", "A.", NULL, &error);
  g_assert_no_error (error);
  invitee = confab_store_invite_user (fixture->store, "new@example.com", site->id, CONFAB_ROLE_AGENT,
                                      "codehash", owner->id, confab_now_ms () + 1000000, &error);
  g_assert_no_error (error);
  g_assert_true (confab_store_audit (fixture->store, owner->id, site->id, "site.deleted", NULL, NULL,
                                     &error));

  g_assert_true (confab_store_retire_site (fixture->store, site->id, &members, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 2);
  retired = confab_store_get_site (fixture->store, site->id, &error);
  g_assert_no_error (error);
  g_assert_false (retired->enabled);
  g_assert_true (g_str_has_prefix (retired->site_key, "deleted:"));
  g_assert_cmpint (confab_store_get_role (fixture->store, site->id, owner->id), ==, CONFAB_ROLE_NONE);
  /* the invitation to this site alone left no account */
  g_assert_null (confab_store_get_user (fixture->store, invitee->id, &error));
  g_clear_error (&error);
  retired_ids = confab_store_list_retired_sites (fixture->store, &error);
  g_assert_cmpuint (retired_ids->len, ==, 1);
  g_assert_false (confab_store_retire_site (fixture->store, site->id, NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  while (!done)
    {
      g_assert_true (confab_store_delete_site_step (fixture->store, site->id, 2, G_USEC_PER_SEC,
                                                    files, &done, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (++steps, <, 10);
    }
  g_assert_cmpuint (steps, >=, 3);  /* 2 + 1 conversations, then visitors, then the row */
  g_assert_cmpuint (files->len, ==, 3);
  g_assert_cmpstr (files->pdata[0], ==, "ef56");
  g_assert_null (confab_store_get_site (fixture->store, site->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (confab_store_get_faq (fixture->store, faq->id, &error));
  g_clear_error (&error);
  g_clear_pointer (&retired, confab_site_free);
  retired = confab_store_get_site (fixture->store, kept->id, &error);
  g_assert_no_error (error);
}

/* Notes (idempotent by client id), labels (names unique per site, whatever their case), the
 * search over message bodies (all words, the last a prefix, accents folded, the user's sites
 * only, newest first, pages by cursor), avatars and the widget's team header. */
static void
test_everyday (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabUser) stranger = make_user (fixture->store, "stranger@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabSite) other = make_site (fixture->store, stranger->id, "Other");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabVisitor) foreign = make_visitor (fixture->store, other->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) foreign_conversation = NULL;
  g_autoptr (ConfabMessage) m1 = NULL;
  g_autoptr (ConfabMessage) m2 = NULL;
  g_autoptr (ConfabMessage) m3 = NULL;
  g_autoptr (ConfabMessage) m4 = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabNote) note = NULL;
  g_autoptr (ConfabNote) again = NULL;
  g_autoptr (ConfabNote) conflict = NULL;
  g_autoptr (ConfabLabel) vip = NULL;
  g_autoptr (ConfabLabel) billing = NULL;
  g_autoptr (ConfabLabel) taken = NULL;
  g_autoptr (ConfabLabel) renamed = NULL;
  g_autoptr (GPtrArray) notes = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GPtrArray) labelled = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GPtrArray) answerers = NULL;
  g_autoptr (GArray) times = NULL;
  g_autofree char *avatar = NULL;
  const char * const both[] = { NULL, NULL, NULL };
  const char * const foreign_label[] = { "lbl_nope", NULL };
  gboolean duplicate = TRUE;

  m1 = visitor_says (fixture->store, visitor, "v1", "My order from the Café is late", &conversation,
                     NULL);
  m2 = visitor_says (fixture->store, visitor, "v2", "ordering again tomorrow", NULL, NULL);
  m3 = visitor_says (fixture->store, visitor, "v3", "nothing to see", NULL, NULL);
  m4 = visitor_says (fixture->store, foreign, "f1", "order at another shop", &foreign_conversation,
                     NULL);
  reply = agent_says (fixture->store, conversation->id, owner->id, "a1", "Sorry!");

  /* notes */
  note = confab_store_add_note (fixture->store, conversation->id, owner->id, "Owner", "n1",
                                "check the courier", "[]", &duplicate, &error);
  g_assert_no_error (error);
  g_assert_false (duplicate);
  again = confab_store_add_note (fixture->store, conversation->id, owner->id, "Owner", "n1",
                                 "check the courier", NULL, &duplicate, &error);
  g_assert_no_error (error);
  g_assert_true (duplicate);
  g_assert_cmpstr (again->id, ==, note->id);
  conflict = confab_store_add_note (fixture->store, conversation->id, owner->id, "Owner", "n1",
                                    "something else", NULL, &duplicate, &error);
  g_assert_null (conflict);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  notes = confab_store_list_notes (fixture->store, conversation->id, &error);
  g_assert_cmpuint (notes->len, ==, 1);
  g_assert_cmpstr (((ConfabNote *) notes->pdata[0])->mentions_json, ==, "[]");

  /* labels */
  vip = confab_store_create_label (fixture->store, site->id, "VIP", "#ff0000", &error);
  g_assert_no_error (error);
  billing = confab_store_create_label (fixture->store, site->id, "billing", "#00ff00", &error);
  g_assert_no_error (error);
  taken = confab_store_create_label (fixture->store, site->id, "vip", "#0000ff", &error);
  g_assert_null (taken);
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  labels = confab_store_list_labels (fixture->store, site->id, &error);
  g_assert_cmpuint (labels->len, ==, 2);
  g_assert_cmpstr (((ConfabLabel *) labels->pdata[0])->name, ==, "billing");
  g_clear_pointer (&labels, g_ptr_array_unref);
  {
    const char * const ids[] = { vip->id, billing->id, vip->id, NULL };

    g_assert_true (confab_store_set_conversation_labels (fixture->store, site->id, conversation->id,
                                                         ids, &error));
    g_assert_no_error (error);
  }
  g_assert_false (confab_store_set_conversation_labels (fixture->store, site->id, conversation->id,
                                                        foreign_label, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* all or nothing: the refused change left both */
  labels = confab_store_list_conversation_labels (fixture->store, conversation->id, &error);
  g_assert_cmpuint (labels->len, ==, 2);
  labelled = confab_store_list_labelled_conversations (fixture->store, site->id, vip->id, NULL, 0, 10,
                                                       &error);
  g_assert_no_error (error);
  g_assert_cmpuint (labelled->len, ==, 1);
  g_assert_cmpstr (labelled->pdata[0], ==, conversation->id);
  g_clear_pointer (&labelled, g_ptr_array_unref);
  {
    ConfabConversationStatus resolved = CONFAB_STATUS_RESOLVED;

    labelled = confab_store_list_labelled_conversations (fixture->store, site->id, vip->id, &resolved,
                                                         0, 10, &error);
    g_assert_cmpuint (labelled->len, ==, 0);
  }
  renamed = confab_store_update_label (fixture->store, billing->id, "Billing", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renamed->color, ==, "#00ff00");
  g_assert_null (confab_store_update_label (fixture->store, billing->id, "VIP", NULL, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (confab_store_delete_label (fixture->store, vip->id, &error));
  g_clear_pointer (&labels, g_ptr_array_unref);
  labels = confab_store_list_conversation_labels (fixture->store, conversation->id, &error);
  g_assert_cmpuint (labels->len, ==, 1);
  g_assert_false (confab_store_delete_label (fixture->store, vip->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* search: "order"* finds "order" and "ordering" on the owner's site, not the other's */
  hits = confab_store_search_messages (fixture->store, owner->id, NULL, "\"order\"*", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpint (((ConfabSearchHit *) hits->pdata[0])->cursor, ==, m2->cursor);
  g_assert_cmpint (((ConfabSearchHit *) hits->pdata[1])->seq, ==, m1->seq);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = confab_store_search_messages (fixture->store, owner->id, NULL, "\"order\"*", m2->cursor, 10,
                                       &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((ConfabSearchHit *) hits->pdata[0])->cursor, ==, m1->cursor);
  g_clear_pointer (&hits, g_ptr_array_unref);
  /* every word, the accent folded */
  hits = confab_store_search_messages (fixture->store, owner->id, site->id, "\"cafe\" \"late\"*", 0,
                                       10, &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((ConfabSearchHit *) hits->pdata[0])->body, ==, "My order from the Café is late");
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = confab_store_search_messages (fixture->store, owner->id, other->id, "\"order\"*", 0, 10,
                                       &error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = confab_store_search_messages (fixture->store, stranger->id, NULL, "\"order\"*", 0, 10, &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((ConfabSearchHit *) hits->pdata[0])->site_id, ==, other->id);

  /* avatars */
  g_assert_false (confab_store_avatar_in_use (fixture->store, "a1b2"));
  g_assert_true (confab_store_set_avatar (fixture->store, owner->id, "a1b2", &error));
  avatar = confab_store_get_avatar (fixture->store, owner->id, &error);
  g_assert_cmpstr (avatar, ==, "a1b2");
  g_assert_true (confab_store_avatar_in_use (fixture->store, "a1b2"));
  g_assert_false (confab_store_set_avatar (fixture->store, "usr_missing", "a1b2", &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (confab_store_set_avatar (fixture->store, owner->id, NULL, &error));
  g_clear_pointer (&avatar, g_free);
  avatar = confab_store_get_avatar (fixture->store, owner->id, &error);
  g_assert_no_error (error);
  g_assert_null (avatar);

  /* the team header: who answered, how soon */
  answerers = confab_store_list_recent_answerers (fixture->store, site->id, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (answerers->len, ==, 1);
  g_assert_cmpstr (((ConfabUser *) answerers->pdata[0])->id, ==, owner->id);
  times = confab_store_recent_first_responses (fixture->store, site->id, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (times->len, ==, 1);
  g_assert_cmpint (g_array_index (times, gint64, 0), >=, 0);
  (void) both;
}

static gboolean
count_conversation (const ConfabAnalyticsConversation *row,
                    gpointer                           user_data)
{
  GPtrArray *rows = user_data;

  g_ptr_array_add (rows, g_strdup_printf ("%s %s %s %d %d", row->status,
                                          row->first_visitor_body != NULL ? row->first_visitor_body : "-",
                                          row->visitor_name != NULL ? row->visitor_name : "-",
                                          row->rating, row->first_reply_at >= row->first_visitor_at));
  return TRUE;
}

static gboolean
count_messages (gint64      bucket,
                const char *sender_type,
                const char *sender_id,
                const char *site_id,
                gint64      count,
                gpointer    user_data)
{
  GHashTable *totals = user_data;
  gint64 sum = GPOINTER_TO_SIZE (g_hash_table_lookup (totals, sender_type)) + count;

  g_hash_table_insert (totals, g_strdup (sender_type), GSIZE_TO_POINTER (sum));
  return TRUE;
}

/* The analytics queries: conversations of a range with their first message, reply and rating;
 * messages per slot (from message_counts) and per bucket (from the messages); visitors seen;
 * offline messages. */
static void
test_analytics (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "owner@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Shop");
  g_autoptr (ConfabVisitor) visitor = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) m1 = NULL;
  g_autoptr (ConfabMessage) m2 = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *sites_json = g_strdup_printf ("[\"%s\"]", site->id);
  g_autofree char *offline = NULL;
  gint64 now = confab_now_ms ();
  gint64 from = (now / CONFAB_ANALYTICS_SLOT_MS - 4) * CONFAB_ANALYTICS_SLOT_MS;
  gint64 to = (now / CONFAB_ANALYTICS_SLOT_MS + 4) * CONFAB_ANALYTICS_SLOT_MS;

  m1 = visitor_says (fixture->store, visitor, "v1", "Where is my parcel?", &conversation, NULL);
  m2 = visitor_says (fixture->store, visitor, "v2", "Hello?", NULL, NULL);
  reply = agent_says (fixture->store, conversation->id, owner->id, "a1", "On its way");
  g_assert_true (confab_store_set_rating (fixture->store, conversation->id, 5, "great", &error));
  offline = confab_store_add_offline_message (fixture->store, site->id, visitor->id, "V", "v@example.com",
                                              "later", &error);
  g_assert_no_error (error);

  g_assert_true (confab_store_analytics_conversations (fixture->store, sites_json, from, to, TRUE,
                                                       count_conversation, rows, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (rows->pdata[0], ==, "open Where is my parcel? - 5 1");
  g_ptr_array_set_size (rows, 0);
  g_assert_true (confab_store_analytics_conversations (fixture->store, sites_json, from - 1000000, from,
                                                       FALSE, count_conversation, rows, &error));
  g_assert_cmpuint (rows->len, ==, 0);

  g_assert_true (confab_store_analytics_messages (fixture->store, sites_json, from, to,
                                                  CONFAB_ANALYTICS_SLOT_MS, count_messages, slots,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_hash_table_lookup (slots, "visitor")), ==, 2);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_hash_table_lookup (slots, "agent")), ==, 1);
  g_assert_true (confab_store_analytics_messages (fixture->store, sites_json, from + 1, to, 3600000,
                                                  count_messages, buckets, &error));
  g_assert_no_error (error);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_hash_table_lookup (buckets, "visitor")), ==, 2);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_hash_table_lookup (buckets, "agent")), ==, 1);

  g_assert_cmpint (confab_store_analytics_visitors (fixture->store, sites_json, from, to, &error), ==, 1);
  g_assert_cmpint (confab_store_analytics_offline (fixture->store, sites_json, from, to, &error), ==, 1);
  g_assert_cmpint (confab_store_analytics_offline (fixture->store, "[]", from, to, &error), ==, 0);
  g_assert_no_error (error);
}


/* confab_store_append_batch (): the common case stored in one transaction (on PostgreSQL in
 * one flight), everything else left for confab_store_append_message () with nothing written:
 * a visitor without a conversation, one whose conversation is resolved, a resend (also within
 * the batch), another site's visitor. */
static void
test_append_batch (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = make_user (fixture->store, "batch@example.com");
  g_autoptr (ConfabSite) site = make_site (fixture->store, owner->id, "Batch");
  g_autoptr (ConfabSite) other = make_site (fixture->store, owner->id, "Other");
  g_autoptr (ConfabVisitor) open = make_visitor (fixture->store, site->id);
  g_autoptr (ConfabVisitor) fresh = NULL;
  g_autoptr (ConfabVisitor) resolved = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (ConfabMessage) closing = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) resolved_conversation = NULL;
  g_autoptr (ConfabConversation) after = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  gint64 messages_before, events_before, cursor_before;

  {
    g_autofree char *hash = confab_sha256_hex ("fresh token");
    g_autofree char *hash2 = confab_sha256_hex ("resolved token");

    fresh = confab_store_create_visitor (fixture->store, site->id, hash, NULL, &error);
    g_assert_no_error (error);
    resolved = confab_store_create_visitor (fixture->store, site->id, hash2, NULL, &error);
    g_assert_no_error (error);
  }
  first = visitor_says (fixture->store, open, "b0", "Hello", &conversation, NULL);
  closing = visitor_says (fixture->store, resolved, "r0", "Thanks", &resolved_conversation, NULL);
  g_clear_pointer (&resolved_conversation, confab_conversation_free);
  resolved_conversation = confab_store_set_status (fixture->store, closing->conversation_id,
                                                   CONFAB_STATUS_RESOLVED, &error);
  g_assert_no_error (error);
  messages_before = count_rows (fixture->path, "messages");
  events_before = count_rows (fixture->path, "events");
  cursor_before = confab_store_last_cursor (fixture->store);

  {
    ConfabBatchItem items[] = {
      { .site_id = site->id, .visitor_id = open->id, .sender_name = "Ann", .client_id = "b1", .body = "one" },
      { .site_id = site->id, .visitor_id = fresh->id, .client_id = "f1", .body = "first ever" },
      { .site_id = site->id, .visitor_id = open->id, .client_id = "b0", .body = "Hello" },
      { .site_id = site->id, .visitor_id = resolved->id, .client_id = "r1", .body = "again" },
      { .site_id = site->id, .visitor_id = open->id, .sender_name = "Ann", .client_id = "b2", .body = "two" },
      { .site_id = site->id, .visitor_id = open->id, .client_id = "b2", .body = "two" },
      { .site_id = other->id, .visitor_id = open->id, .client_id = "b3", .body = "elsewhere" },
      { .site_id = site->id, .visitor_id = open->id, .client_id = NULL, .body = "three" },
    };
    const ConfabBatchOutcome expected[] = {
      CONFAB_BATCH_STORED, CONFAB_BATCH_NOT_STORED, CONFAB_BATCH_NOT_STORED,
      CONFAB_BATCH_NOT_STORED, CONFAB_BATCH_STORED, CONFAB_BATCH_NOT_STORED,
      CONFAB_BATCH_NOT_STORED, CONFAB_BATCH_STORED,
    };
    gint64 seq = first->seq, cursor = cursor_before;

    g_assert_true (confab_store_append_batch (fixture->store, items, G_N_ELEMENTS (items), &error));
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (items); i++)
      {
        g_test_message ("item %u", i);
        g_assert_cmpint (items[i].outcome, ==, expected[i]);
        if (items[i].outcome != CONFAB_BATCH_STORED)
          {
            g_assert_null (items[i].message);
            continue;
          }
        /* seqs one after another, cursors rising */
        g_assert_cmpint (items[i].message->seq, ==, ++seq);
        g_assert_cmpint (items[i].message->cursor, >, cursor);
        cursor = items[i].message->cursor;
        g_assert_cmpstr (items[i].message->conversation_id, ==, conversation->id);
        g_assert_cmpstr (items[i].message->body, ==, items[i].body);
        g_assert_cmpint (items[i].message->sender_type, ==, CONFAB_SENDER_VISITOR);
        g_assert_cmpstr (items[i].conversation->id, ==, conversation->id);
        g_assert_cmpint (items[i].conversation->last_seq, ==, seq);
        g_assert_cmpint (items[i].conversation->status, ==, CONFAB_STATUS_OPEN);
      }
    g_assert_cmpint (confab_store_last_cursor (fixture->store), ==, cursor);
    confab_batch_items_clear (items, G_N_ELEMENTS (items));
  }

  /* three messages, with their events; nothing for the others */
  g_assert_cmpint (count_rows (fixture->path, "messages"), ==, messages_before + 3);
  g_assert_cmpint (count_rows (fixture->path, "events"), ==, events_before + 3);
  messages = confab_store_list_messages (fixture->store, conversation->id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpstr (((ConfabMessage *) g_ptr_array_index (messages, 1))->sender_name, ==, "Ann");
  g_assert_cmpstr (((ConfabMessage *) g_ptr_array_index (messages, 3))->body, ==, "three");
  after = confab_store_get_conversation (fixture->store, conversation->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->last_seq, ==, 4);
  g_assert_cmpint (after->unread, ==, conversation->unread + 3);
  g_clear_pointer (&after, confab_conversation_free);
  after = confab_store_get_conversation (fixture->store, resolved_conversation->id, &error);
  g_assert_cmpint (after->status, ==, CONFAB_STATUS_RESOLVED);
  g_assert_cmpint (after->last_seq, ==, 1);
  g_assert_null (confab_store_get_current_conversation (fixture->store, fresh->id, NULL));

  /* an empty batch writes nothing */
  g_assert_true (confab_store_append_batch (fixture->store, NULL, 0, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#ifdef CONFAB_TEST_STORE_PG
  {
    g_autoptr (GError) error = NULL;

    pg_server = pg_server_start (&error);
    if (pg_server == NULL)
      {
        /* missing binaries are a skip; a server that is there and fails is a failure */
        if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
          g_error ("Cannot start PostgreSQL: %s", error->message);
        pg_skip_reason = g_strdup (error->message);
      }
  }
#endif

  TEST ("open/fresh", test_open_fresh);
  TEST_WITHOUT_STORE ("open/too-new", test_open_too_new);
  TEST_WITHOUT_STORE ("open/unwritable", test_open_unwritable);
  g_test_add_func ("/relay/store/enums", test_enums);
  TEST_BOTH ("users", test_users);
  TEST_BOTH ("setup-codes", test_setup_codes);
  TEST_BOTH ("tokens", test_tokens);
  TEST_BOTH ("sites", test_sites);
  TEST_BOTH ("memberships", test_memberships);
  TEST_BOTH ("visitors", test_visitors);
  TEST_BOTH ("page-views", test_page_views);
  TEST_BOTH ("messages/first-creates-conversation", test_first_message);
  TEST_BOTH ("messages/seq-and-cursor", test_seq_and_cursor);
  TEST_BOTH ("messages/duplicate-client-id", test_duplicate);
  TEST_BOTH ("messages/reopen-and-close", test_reopen_and_close);
  TEST_BOTH ("messages/errors", test_append_errors);
  TEST_BOTH ("messages/list", test_list_messages);
  TEST_BOTH ("messages/batch", test_append_batch);
  TEST_BOTH ("conversations/unread", test_unread);
  TEST_BOTH ("conversations/assignee", test_assignee);
  TEST_BOTH ("conversations/targets", test_targets);
  TEST_BOTH ("conversations/list", test_list_conversations);
  TEST_BOTH ("events", test_events);
  TEST_BOTH ("transactions/nested", test_transactions);
  TEST_BOTH ("ratings", test_ratings);
  TEST_BOTH ("offline-messages", test_offline_messages);
  TEST_BOTH ("audit", test_audit);
  TEST ("durability/reopen", test_durability);
  TEST_WITHOUT_STORE ("migrate-v1-to-v2", test_migrate_v1);
  TEST_WITHOUT_STORE ("migrate-v7-visitor-events", test_migrate_v7);
  TEST_WITHOUT_STORE ("migrate-v8-offline-status", test_migrate_v8);
  TEST_WITHOUT_STORE ("migrate-v8-setup-codes", test_migrate_v8_setup_codes);
  TEST_WITHOUT_STORE ("migrate-v10-audit", test_migrate_v10_audit);
  TEST_WITHOUT_STORE ("migrate-v10-analytics", test_migrate_v10_analytics);
  TEST_WITHOUT_STORE ("migrate-v13-search", test_migrate_v13_search);
  TEST_WITHOUT_STORE ("migrate-v14-hooks", test_migrate_v14_hooks);
  TEST_WITHOUT_STORE ("migrate-v14-search-at-commit", test_migrate_v14_search_at_commit);
  TEST_WITHOUT_STORE ("migrate-v14-faq-stems", test_migrate_v14_faq_stems);
  TEST_WITHOUT_STORE ("migrate-v14-channels", test_migrate_v14_channels);
  TEST_WITHOUT_STORE ("migrate-v14-email", test_migrate_v14_email);
  TEST_WITHOUT_STORE ("migrate-routing", test_migrate_routing);
  TEST_WITHOUT_STORE ("migrate-engage", test_migrate_engage);
  TEST_WITHOUT_STORE ("migrate-v14-targets", test_migrate_v14_targets);
  TEST_BOTH ("email/queue", test_email_queue);
  TEST_BOTH ("email/settings", test_email_settings);
  TEST ("audit/site", test_site_audit);
  TEST_BOTH ("blocks", test_blocks);
  TEST_BOTH ("faqs", test_faqs);
  TEST_BOTH ("articles", test_articles);
  TEST_BOTH ("faq-synonyms", test_faq_synonyms);
  TEST_BOTH ("channels", test_channels);
  TEST_BOTH ("audit/pages", test_audit_pages);
  TEST_BOTH ("visitor-data", test_visitor_data);
  TEST_BOTH ("retention", test_retention);
  TEST_BOTH ("delete-site", test_delete_site);
  TEST_BOTH ("everyday", test_everyday);
  TEST_BOTH ("analytics", test_analytics);

#ifdef CONFAB_TEST_STORE_PG
  {
    int status = g_test_run ();

    pg_server_stop (pg_server);
    return status;
  }
#endif
  return g_test_run ();
}
