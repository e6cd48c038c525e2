/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-siteadmin.c: deleting a site, rotating its key, the site / canned / faqs /
 * members frames pushed to the team's sockets, assign-on-reply and wildcard domains (issue 10)
 * — against a real relay. */

#include "relay-harness.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

#define PASSWORD "a long password 1"
#define CLOSE_SITE_KEY_ROTATED 4010

/* Two small PNGs: the relay re-encodes each into a file of its own (named by its SHA-256). */
#define PNG_1X1 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
#define PNG_2X2 "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg=="

static JsonObject *
request_object (TestRelay  *relay,
                const char *method,
                const char *path,
                const char *token,
                const char *body,
                guint       status)
{
  g_autoptr(TestResponse) response = test_http (relay, method, path, token, body, NULL);

  test_assert_http_status (response, status);
  if (status == 204)
    return json_object_new ();
  return json_object_ref (test_response_object (response));
}

static void
expect_error (TestRelay  *relay,
              const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(TestResponse) response = test_http (relay, method, path, token, body, NULL);

  test_assert_http_error (response, status, code);
}

/* A user made by the admin CLI, added to the world's site as @role by its owner, logged in. */
static char *
add_member (TestWorld   *world,
            const char  *email,
            const char  *role,
            char       **out_id)
{
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, PASSWORD, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'%s'}", email, role);
  g_autoptr(JsonObject) member = request_object (world->relay, "POST", path, world->token, body, 201);

  if (out_id != NULL)
    *out_id = g_strdup (test_obj_string (user, "id"));
  return test_relay_login (world->relay, email, PASSWORD);
}

/* An agent socket of @token, subscribed and caught up; presence and visitor noise ignored. */
static TestWs *
connect_agent (TestRelay  *relay,
               const char *token,
               const char *name)
{
  TestWs *ws = test_ws_agent (relay, token);

  test_ws_set_name (ws, name);
  test_ws_ignore (ws, "presence", "visitor", NULL);
  test_agent_subscribe (ws, 0, NULL);
  return ws;
}

/* Uploads a PNG (base64) into @conversation_id as @token; returns the upload's id. */
static char *
upload_png (TestRelay  *relay,
            const char *token,
            const char *conversation_id,
            const char *png_base64)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s", conversation_id);
  gsize size = 0;
  g_autofree guchar *png = g_base64_decode (png_base64, &size);
  g_autoptr(GBytes) body = g_bytes_new (png, size);
  g_autoptr(TestResponse) uploaded = test_http_bytes (relay, "POST", path, token, body, "image/png", NULL);

  test_assert_http_status (uploaded, 201);
  return g_strdup (test_obj_string (test_response_object (uploaded), "id"));
}

/* On PostgreSQL (test-relay-siteadmin-postgresql) the relay's database, where the uploads'
 * bytes are too: a connection for SQL written for SQLite, with its few SQLite words in
 * PostgreSQL's, and events given their cursor by the store's confab_next_cursor (). */
static PGconn *
pg_open (TestRelay *relay)
{
  PGconn *conn = PQconnectdb (test_relay_store_url (relay));
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, "ALTER TABLE events ALTER COLUMN cursor SET DEFAULT confab_next_cursor ()");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  return conn;
}

static PGresult *
pg_query (PGconn     *conn,
          const char *sql,
          const char *value)
{
  g_autoptr(GString) text = g_string_new (sql);
  PGresult *result;

  g_string_replace (text, "PRAGMA foreign_keys = ON; ", "", 0);
  g_string_replace (text, "last_insert_rowid ()", "currval ('events_cursor')", 0);
  g_string_replace (text, "enabled = 0", "enabled = false", 0);
  g_string_replace (text, "FROM faqs_fts WHERE faqs_fts MATCH ?",
                    "FROM faqs WHERE search @@ to_tsquery ('english', ?)", 0);
  g_string_replace (text, "FROM kb_articles_fts WHERE kb_articles_fts MATCH ?",
                    "FROM kb_articles WHERE search @@ to_tsquery ('english', ?)", 0);
  g_string_replace (text, "?", "$1", 0);
  if (value != NULL)
    result = PQexecParams (conn, text->str, 1, NULL, &value, NULL, NULL, 0);
  else
    result = PQexec (conn, text->str);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", text->str, PQresultErrorMessage (result));
  return result;
}

/* Runs @sql (statements, no parameters) on @db, or on @pg with PostgreSQL. */
static void
exec_sql (sqlite3    *db,
          PGconn     *pg,
          const char *sql)
{
  if (pg != NULL)
    PQclear (pg_query (pg, sql, NULL));
  else
    g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/* The image files under <data-dir>/uploads (not tmp/), thumbnails too, by name; on PostgreSQL
 * the same names for the rows of upload_blobs. */
static GHashTable *
upload_files (TestRelay *relay)
{
  g_autofree char *root = g_build_filename (test_relay_data_dir (relay), "uploads", NULL);
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) top = NULL;
  const char *a;

  if (test_store_is_postgresql ())
    {
      PGconn *conn = pg_open (relay);
      PGresult *result = pg_query (conn, "SELECT sha256, length (thumb) > 0 FROM upload_blobs", NULL);

      for (int i = 0; i < PQntuples (result); i++)
        {
          g_hash_table_add (files, g_strdup (PQgetvalue (result, i, 0)));
          if (PQgetvalue (result, i, 1)[0] == 't')
            g_hash_table_add (files, g_strconcat (PQgetvalue (result, i, 0), ".thumb", NULL));
        }
      PQclear (result);
      PQfinish (conn);
      return files;
    }
  top = g_dir_open (root, 0, NULL);

  while (top != NULL && (a = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *a_path = g_build_filename (root, a, NULL);
      g_autoptr(GDir) mid = strcmp (a, "tmp") != 0 ? g_dir_open (a_path, 0, NULL) : NULL;
      const char *b;

      while (mid != NULL && (b = g_dir_read_name (mid)) != NULL)
        {
          g_autofree char *b_path = g_build_filename (a_path, b, NULL);
          g_autoptr(GDir) leaf = g_dir_open (b_path, 0, NULL);
          const char *name;

          while (leaf != NULL && (name = g_dir_read_name (leaf)) != NULL)
            g_hash_table_add (files, g_strdup (name));
        }
    }
  return files;
}

/* Rows of @sql (one ? bound to @value) in the relay's database, read as an operator would. */
static gint64
count_rows (TestRelay  *relay,
            const char *sql,
            const char *value)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (relay), "confab.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  if (test_store_is_postgresql ())
    {
      PGconn *conn = pg_open (relay);
      PGresult *result = pg_query (conn, sql, value);

      count = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
      PQclear (result);
      PQfinish (conn);
      return count;
    }
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* Waits (bounded) until the relay has removed every row of @site_id: it does so in steps
 * after answering the DELETE. */
static void
wait_site_removed (TestRelay  *relay,
                   const char *site_id)
{
  gint64 end = g_get_monotonic_time () + (gint64) TEST_TIMEOUT_MS * test_timeout_multiplier () * 1000;

  while (count_rows (relay, "SELECT count(*) FROM sites WHERE id = ?", site_id) != 0)
    {
      if (g_get_monotonic_time () > end)
        g_error ("site %s was not removed within %u ms", site_id, TEST_TIMEOUT_MS);
      test_sleep_ms (20);
    }
}

static gboolean
log_mentions (TestWs     *ws,
              const char *needle)
{
  GPtrArray *log = test_ws_log (ws);

  for (guint i = 0; i < log->len; i++)
    if (strstr (g_ptr_array_index (log, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
sites_frame_lists (JsonObject *frame,
                   const char *site_id)
{
  JsonArray *sites = test_obj_array (frame, "sites");

  for (guint i = 0; i < json_array_get_length (sites); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (sites, i), "id"),
                   site_id) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_no_warnings (TestRelay *relay)
{
  g_autofree char *err = test_relay_get_stderr (relay);

  if (strstr (err, "WARNING") != NULL || strstr (err, "CRITICAL") != NULL || strstr (err, "lost") != NULL)
    g_error ("the relay warned:\n%s", err);
}

/* --- DELETE /api/v1/sites/{id} --- */

static void
test_delete_site (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *admin_token = add_member (world, "admin@a.test", "admin", NULL);
  g_autofree char *agent_token = add_member (world, "agent@a.test", "agent", NULL);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *conversation_id = NULL, *b_conversation_id = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *upload_a = NULL, *upload_shared = NULL, *upload_b = NULL;
  g_autoptr(TestWs) agent_ws = NULL;
  g_autoptr(TestWs) b_ws = NULL;
  g_autoptr(TestWs) b_visitor = NULL;
  g_autoptr(JsonObject) sites = NULL;
  g_autoptr(GHashTable) files_before = NULL;
  g_autoptr(GHashTable) files_after = NULL;
  gushort code;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  agent_ws = connect_agent (world->relay, agent_token, "agent of a");
  b_ws = connect_agent (world->relay, b_token, "owner of b");
  test_ws_ignore (world->agent, "presence", "visitor", NULL);

  /* something of everything: a conversation with messages and images, an offline message,
   * an FAQ, a canned response, an invitation only to this site */
  test_visitor_say (world->visitor, "Hello, is anyone there?", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Yes, how can I help?");
  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Ann','email':'ann@b.test','body':'Call me'}");
  g_clear_pointer (&sites, json_object_unref);
  sites = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
  {
    g_autofree char *faqs = g_strdup_printf ("%s/faqs", site_path);
    g_autofree char *canned = g_strdup_printf ("%s/canned", site_path);
    g_autofree char *members = g_strdup_printf ("%s/members", site_path);
    g_autoptr(JsonObject) faq = request_object (world->relay, "POST", faqs, world->token,
                                                "{\"question\":\"Do you ship abroad?\",\"answer\":\"Yes.\"}", 201);
    g_autoptr(JsonObject) reply = request_object (world->relay, "POST", canned, world->token,
                                                  "{\"shortcut\":\"hi\",\"body\":\"Hello!\"}", 201);
    g_autoptr(JsonObject) invited = request_object (world->relay, "POST", members, world->token,
                                                    "{\"email\":\"invited@a.test\",\"role\":\"agent\"}", 201);
    g_autofree char *articles = g_strdup_printf ("%s/articles", site_path);
    g_autoptr(JsonObject) article = request_object (world->relay, "POST", articles, world->token,
                                                    "{\"title\":\"Customs duties\",\"published\":true}", 201);
  }
  upload_a = upload_png (world->relay, world->token, conversation_id, PNG_2X2);
  upload_shared = upload_png (world->relay, world->token, conversation_id, PNG_1X1);

  /* site b has the same 1×1 picture: that file is b's too and must stay */
  b_visitor = test_ws_widget (world->relay, b_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (b_visitor, NULL, NULL, "https://b.test/");
  }
  test_visitor_say (b_visitor, "Hello b", &b_conversation_id);
  upload_b = upload_png (world->relay, b_token, b_conversation_id, PNG_1X1);
  files_before = upload_files (world->relay);
  g_assert_cmpuint (g_hash_table_size (files_before), ==, 4); /* two images, two thumbnails */

  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM audit_log WHERE site_id = ?", world->site_id), >, 0);

  /* only an owner deletes; a stranger cannot even tell the site exists */
  expect_error (world->relay, "DELETE", site_path, NULL, NULL, 401, NULL);
  expect_error (world->relay, "DELETE", site_path, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "DELETE", site_path, agent_token, NULL, 403, "forbidden");
  expect_error (world->relay, "DELETE", site_path, admin_token, NULL, 403, "forbidden");
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM sites WHERE id = ?", world->site_id), ==, 1);

  {
    g_autoptr(JsonObject) gone = request_object (world->relay, "DELETE", site_path, world->token, NULL, 204);
  }

  /* the visitor's socket closes (1008); the members' sockets get `sites` without it */
  code = test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS);
  g_assert_cmpuint (code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  {
    g_autoptr(JsonObject) frame = test_ws_wait_for (agent_ws, "sites", TEST_TIMEOUT_MS);
    g_assert_false (sites_frame_lists (frame, world->site_id));
    g_assert_cmpuint (json_array_get_length (test_obj_array (frame, "sites")), ==, 0);
  }
  {
    g_autoptr(JsonObject) frame = test_ws_wait_for (world->agent, "sites", TEST_TIMEOUT_MS);
    g_assert_false (sites_frame_lists (frame, world->site_id));
  }
  test_ws_expect_none (b_ws, "sites", 0);

  /* every row of it is gone (at once for everyone; the rows in steps right after) */
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM memberships WHERE site_id = ?",
                               world->site_id), ==, 0);
  wait_site_removed (world->relay, world->site_id);
  {
    static const char * const by_site[] = {
      "SELECT count(*) FROM sites WHERE id = ?",
      "SELECT count(*) FROM memberships WHERE site_id = ?",
      "SELECT count(*) FROM visitors WHERE site_id = ?",
      "SELECT count(*) FROM conversations WHERE site_id = ?",
      "SELECT count(*) FROM events WHERE site_id = ?",
      "SELECT count(*) FROM offline_messages WHERE site_id = ?",
      "SELECT count(*) FROM faqs WHERE site_id = ?",
      "SELECT count(*) FROM canned_responses WHERE site_id = ?",
      "SELECT count(*) FROM uploads WHERE site_id = ?",
      "SELECT count(*) FROM audit_log WHERE site_id = ?",
      "SELECT count(*) FROM kb_articles WHERE site_id = ?",
    };

    for (guint i = 0; i < G_N_ELEMENTS (by_site); i++)
      if (count_rows (world->relay, by_site[i], world->site_id) != 0)
        g_error ("left after the site's deletion: %s", by_site[i]);
  }
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM messages WHERE conversation_id = ?",
                               conversation_id), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM page_views WHERE visitor_id = ?",
                               world->visitor_id), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM ratings WHERE conversation_id = ?",
                               conversation_id), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM faqs_fts WHERE faqs_fts MATCH ?",
                               "abroad"), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM kb_articles_fts WHERE kb_articles_fts MATCH ?",
                               "customs"), ==, 0);
  /* the invited account had no other site; the real members keep theirs */
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM users WHERE email = ?",
                               "invited@a.test"), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM users WHERE email = ?",
                               "agent@a.test"), ==, 1);

  /* its own image files are gone, the one site b shares stays and is still served */
  files_after = upload_files (world->relay);
  g_assert_cmpuint (g_hash_table_size (files_after), ==, 2);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/uploads/%s", upload_b);
    g_autoptr(TestResponse) still = test_http (world->relay, "GET", path, b_token, NULL, NULL);
    g_autofree char *gone = g_strdup_printf ("/api/v1/uploads/%s", upload_a);

    test_assert_http_status (still, 200);
    expect_error (world->relay, "GET", gone, world->token, NULL, 404, NULL);
  }

  /* nothing answers for it any more */
  expect_error (world->relay, "GET", site_path, world->token, NULL, 404, "not_found");
  expect_error (world->relay, "DELETE", site_path, world->token, NULL, 404, "not_found");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    expect_error (world->relay, "GET", path, world->token, NULL, 404, "not_found");
  }
  {
    g_autofree char *config = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
    guint status = 0;
    g_autoptr(TestWs) refused = test_ws_try_widget (world->relay, world->site_key, NULL, &status);

    expect_error (world->relay, "GET", config, NULL, NULL, 404, "unknown_site");
    g_assert_null (refused);
    g_assert_cmpuint (status, ==, 403);
  }
  g_clear_pointer (&sites, json_object_unref);
  sites = request_object (world->relay, "GET", "/api/v1/sites", agent_token, NULL, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (sites, "sites")), ==, 0);

  /* an agent of the deleted site hears nothing of it, live or from the log */
  {
    g_autoptr(TestWs) again = test_ws_agent (world->relay, agent_token);
    g_autoptr(GPtrArray) backlog = NULL;

    test_agent_subscribe (again, 0, &backlog);
    g_assert_cmpuint (backlog->len, ==, 0);
    g_assert_false (log_mentions (again, world->site_id));
  }
  g_ptr_array_unref (test_ws_drain (agent_ws, 0));
  test_visitor_say (b_visitor, "Still there, b?", NULL);
  test_ws_wait_for (b_ws, "message", TEST_TIMEOUT_MS);
  test_ws_expect_none (agent_ws, "message", TEST_QUIET_MS);

  /* site b is untouched */
  {
    g_autofree char *b_path = g_strdup_printf ("/api/v1/sites/%s/conversations", b_site);
    g_autoptr(JsonObject) listed = request_object (world->relay, "GET", b_path, b_token, NULL, 200);

    g_assert_cmpuint (json_array_get_length (test_obj_array (listed, "conversations")), ==, 1);
  }
  assert_no_warnings (world->relay);
}

/* A site with more rows than one step takes goes in steps, the relay answering meanwhile; a
 * relay stopped in between goes on at its next start. */
static void
test_delete_site_in_steps (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *db_path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  g_autofree char *b_conversation = NULL;
  g_autoptr(TestWs) b_visitor = NULL;
  sqlite3 *db = NULL;
  PGconn *pg = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  b_visitor = test_ws_widget (world->relay, b_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (b_visitor, NULL, NULL, "https://b.test/");
  }
  test_visitor_say (b_visitor, "b stays", &b_conversation);
  test_ws_close (b_visitor);

  /* 250 conversations of 4 messages written straight into the store (the relay stopped): more
   * than two steps of 100 */
  test_relay_stop (world->relay);
  if (test_store_is_postgresql ())
    pg = pg_open (world->relay);
  else
    g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  exec_sql (db, pg, "PRAGMA foreign_keys = ON; BEGIN");
  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *sql = g_strdup_printf (
        "INSERT INTO visitors (id, site_id, token_hash, first_seen, last_seen) VALUES ('vis_bulk%u', '%s', 'x', 1, 1);"
        "INSERT INTO conversations (id, site_id, visitor_id, created_at, last_message_at, last_seq) "
        "VALUES ('conv_bulk%u', '%s', 'vis_bulk%u', 1, 1, 4);",
        i, world->site_id, i, world->site_id, i);

      exec_sql (db, pg, sql);
      for (guint seq = 1; seq <= 4; seq++)
        {
          g_autofree char *message = g_strdup_printf (
            "INSERT INTO events (site_id, kind, conversation_id, seq, created_at) VALUES ('%s', 'message', 'conv_bulk%u', %u, 1);"
            "INSERT INTO messages (conversation_id, seq, cursor, client_id, sender_type, sender_id, body, created_at) "
            "VALUES ('conv_bulk%u', %u, last_insert_rowid (), 'c%u-%u', 'visitor', 'vis_bulk%u', 'Hello', 1);",
            world->site_id, i, seq, i, seq, i, seq, i);

          exec_sql (db, pg, message);
        }
    }
  exec_sql (db, pg, "COMMIT");
  sqlite3_close (db);
  g_clear_pointer (&pg, PQfinish);
  test_relay_start (world->relay);

  {
    g_autoptr(JsonObject) gone = request_object (world->relay, "DELETE", site_path, world->token, NULL, 204);
  }
  /* gone for its owner at once, whatever is still being removed */
  expect_error (world->relay, "GET", site_path, world->token, NULL, 404, "not_found");
  {
    g_autoptr(JsonObject) listed = request_object (world->relay, "GET", "/api/v1/sites", world->token, NULL, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (listed, "sites")), ==, 0);
  }
  wait_site_removed (world->relay, world->site_id);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM messages WHERE conversation_id LIKE ?",
                               "conv_bulk%"), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM events WHERE site_id = ?",
                               world->site_id), ==, 0);
  g_assert_cmpint (count_rows (world->relay, "SELECT count(*) FROM visitors WHERE site_id = ?",
                               world->site_id), ==, 0);

  /* a site retired by a relay that stopped before removing it is removed at the next start */
  {
    g_autoptr(JsonObject) created = request_object (world->relay, "POST", "/api/v1/sites", world->token,
                                                    "{\"name\":\"Half gone\"}", 201);
    g_autofree char *half = g_strdup (test_obj_string (created, "id"));
    g_autofree char *sql = g_strdup_printf ("UPDATE sites SET enabled = 0, site_key = 'deleted:' || id "
                                            "WHERE id = '%s'; DELETE FROM memberships WHERE site_id = '%s'",
                                            half, half);

    test_relay_stop (world->relay);
    if (test_store_is_postgresql ())
      pg = pg_open (world->relay);
    else
      g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
    exec_sql (db, pg, sql);
    sqlite3_close (db);
    db = NULL;
    g_clear_pointer (&pg, PQfinish);
    test_relay_start (world->relay);
    wait_site_removed (world->relay, half);
  }

  /* the other tenant's conversation is untouched */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", b_conversation);
    g_autoptr(JsonObject) messages = request_object (world->relay, "GET", path, b_token, NULL, 200);

    g_assert_cmpuint (json_array_get_length (test_obj_array (messages, "messages")), ==, 1);
  }
  assert_no_warnings (world->relay);
}

/* --- POST /api/v1/sites/{id}/key --- */

static void
test_rotate_key (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *agent_token = add_member (world, "agent@a.test", "agent", NULL);
  g_autofree char *admin_token = add_member (world, "admin@a.test", "admin", NULL);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *key_path = g_strdup_printf ("/api/v1/sites/%s/key", world->site_id);
  g_autofree char *old_config = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autofree char *new_config = NULL;
  g_autofree char *new_key = NULL;
  g_autoptr(TestWs) agent_ws = NULL;
  g_autoptr(TestWs) b_ws = NULL;
  g_autoptr(TestWs) b_visitor = NULL;
  g_autoptr(JsonObject) rotated = NULL;
  g_autoptr(JsonObject) frame = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  agent_ws = connect_agent (world->relay, agent_token, "agent of a");
  b_ws = connect_agent (world->relay, b_token, "owner of b");
  b_visitor = test_ws_widget (world->relay, b_key);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (b_visitor, NULL, NULL, "https://b.test/");
  }

  expect_error (world->relay, "POST", key_path, NULL, NULL, 401, NULL);
  expect_error (world->relay, "POST", key_path, b_token, NULL, 404, "not_found");
  expect_error (world->relay, "POST", key_path, agent_token, NULL, 403, "forbidden");
  expect_error (world->relay, "GET", key_path, world->token, NULL, 405, "method_not_allowed");
  {
    /* refused: the old key still works */
    g_autoptr(TestResponse) config = test_http (world->relay, "GET", old_config, NULL, NULL, NULL);
    test_assert_http_status (config, 200);
  }

  /* an admin may rotate it: the site with its new key */
  rotated = request_object (world->relay, "POST", key_path, admin_token, NULL, 200);
  new_key = g_strdup (test_obj_string (rotated, "site_key"));
  g_assert_true (g_str_has_prefix (new_key, "sk_"));
  g_assert_cmpstr (new_key, !=, world->site_key);
  g_assert_cmpstr (test_obj_string (rotated, "id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (rotated, "role"), ==, "admin");

  /* the open widget is told to stop (4010), and the old key is refused from now on */
  g_assert_cmpuint (test_ws_wait_closed (world->visitor, TEST_TIMEOUT_MS), ==, CLOSE_SITE_KEY_ROTATED);
  expect_error (world->relay, "GET", old_config, NULL, NULL, 404, "unknown_site");
  {
    guint status = 0;
    g_autoptr(TestWs) refused = test_ws_try_widget (world->relay, world->site_key, NULL, &status);

    g_assert_null (refused);
    g_assert_cmpuint (status, ==, 403);
  }

  /* the new key works at once */
  new_config = g_strdup_printf ("/api/v1/widget/config?site_key=%s", new_key);
  {
    g_autoptr(TestResponse) config = test_http (world->relay, "GET", new_config, NULL, NULL, NULL);
    g_autoptr(TestWs) visitor = test_ws_widget (world->relay, new_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, world->visitor_id, world->visitor_token,
                                                        "https://a.test/");

    test_assert_http_status (config, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (config), "site_key"), ==, new_key);
    /* the same visitor, known again: the key names the site, not the people on it */
    g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  }

  /* the team hears of the new key, each with their own role */
  frame = test_ws_wait_for (agent_ws, "site", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "site.site_key"), ==, new_key);
  g_assert_cmpstr (test_obj_string (frame, "site.role"), ==, "agent");
  g_clear_pointer (&frame, json_object_unref);
  frame = test_ws_wait_for (world->agent, "site", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "site.site_key"), ==, new_key);
  g_assert_cmpstr (test_obj_string (frame, "site.role"), ==, "owner");
  {
    g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autoptr(JsonObject) site = request_object (world->relay, "GET", site_path, world->token, NULL, 200);

    g_assert_cmpstr (test_obj_string (site, "site_key"), ==, new_key);
  }

  /* the other tenant and its visitor noticed nothing */
  test_ws_expect_none (b_ws, "site", 0);
  g_assert_true (test_ws_is_open (b_visitor));
  g_assert_false (log_mentions (b_ws, new_key));
  assert_no_warnings (world->relay);
}

/* --- pushes over /ws/agent --- */

/* Waits on @ws for a @type frame of @site_id and returns its list. */
static JsonArray *
wait_list (TestWs      *ws,
           const char  *type,
           const char  *site_id,
           JsonObject **out_frame)
{
  *out_frame = test_ws_wait_for (ws, type, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (*out_frame, "site_id"), ==, site_id);
  return test_obj_array (*out_frame, type);
}

static JsonObject *
find_by (JsonArray  *list,
         const char *field,
         const char *value)
{
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *element = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (element, field, NULL), value) == 0)
        return element;
    }
  return NULL;
}

static void
test_pushes (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *agent_id = NULL;
  g_autofree char *agent_token = add_member (world, "agent@a.test", "agent", &agent_id);
  g_autofree char *admin_token = add_member (world, "admin@a.test", "admin", NULL);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *canned_path = g_strdup_printf ("%s/canned", site_path);
  g_autofree char *faqs_path = g_strdup_printf ("%s/faqs", site_path);
  g_autofree char *members_path = g_strdup_printf ("%s/members", site_path);
  g_autofree char *canned_id = NULL, *faq_id = NULL, *invited_id = NULL, *code = NULL;
  g_autoptr(TestWs) agent_ws = NULL;
  g_autoptr(TestWs) b_ws = NULL;
  JsonArray *list;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  agent_ws = connect_agent (world->relay, agent_token, "agent");
  b_ws = connect_agent (world->relay, b_token, "owner of b");
  test_ws_ignore (world->agent, "presence", "visitor", NULL);

  /* site settings, changed by an admin: the agent's frame names the agent's role */
  {
    g_autoptr(JsonObject) patched = request_object (world->relay, "PATCH", site_path, admin_token,
                                                    "{\"name\":\"Renamed\",\"settings\":{\"color\":\"#112233\"}}", 200);
    g_autoptr(JsonObject) frame = test_ws_wait_for (agent_ws, "site", TEST_TIMEOUT_MS);
    g_autoptr(JsonObject) own = test_ws_wait_for (world->agent, "site", TEST_TIMEOUT_MS);

    g_assert_cmpstr (test_obj_string (frame, "site.id"), ==, world->site_id);
    g_assert_cmpstr (test_obj_string (frame, "site.name"), ==, "Renamed");
    g_assert_cmpstr (test_obj_string (frame, "site.settings.color"), ==, "#112233");
    g_assert_cmpstr (test_obj_string (frame, "site.site_key"), ==, world->site_key);
    g_assert_cmpstr (test_obj_string (frame, "site.role"), ==, "agent");
    g_assert_true (test_obj_has (frame, "site.enabled"));
    g_assert_cmpstr (test_obj_string (own, "site.role"), ==, "owner");
  }
  {
    g_autoptr(JsonObject) patched = request_object (world->relay, "PATCH", site_path, world->token,
                                                    "{\"enabled\":false}", 200);
    g_autoptr(JsonObject) frame = test_ws_wait_for (agent_ws, "site", TEST_TIMEOUT_MS);

    g_assert_false (test_obj_bool (frame, "site.enabled"));
  }

  /* canned responses: created, changed, deleted — the whole list each time */
  {
    g_autoptr(JsonObject) created = request_object (world->relay, "POST", canned_path, admin_token,
                                                    "{\"shortcut\":\"hi\",\"body\":\"Hello!\"}", 201);
    g_autoptr(JsonObject) frame = NULL;

    canned_id = g_strdup (test_obj_string (created, "id"));
    list = wait_list (agent_ws, "canned", world->site_id, &frame);
    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "id"), ==, canned_id);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "body"), ==, "Hello!");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/canned/%s", canned_id);
    g_autoptr(JsonObject) changed = request_object (world->relay, "PATCH", path, world->token,
                                                    "{\"body\":\"Hi there!\"}", 200);
    g_autoptr(JsonObject) frame = NULL;
    g_autoptr(JsonObject) listed = request_object (world->relay, "GET", canned_path, agent_token, NULL, 200);
    g_autofree char *pushed = NULL, *got = NULL;

    list = wait_list (agent_ws, "canned", world->site_id, &frame);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "body"), ==, "Hi there!");
    /* exactly what GET answers */
    {
      g_autoptr(JsonNode) a = json_node_init_array (json_node_alloc (), list);
      g_autoptr(JsonNode) b = json_node_init_array (json_node_alloc (), test_obj_array (listed, "canned"));
      pushed = json_to_string (a, FALSE);
      got = json_to_string (b, FALSE);
    }
    g_assert_cmpstr (pushed, ==, got);
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/canned/%s", canned_id);
    g_autoptr(JsonObject) deleted = request_object (world->relay, "DELETE", path, world->token, NULL, 204);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "canned", world->site_id, &frame);
    g_assert_cmpuint (json_array_get_length (list), ==, 0);
  }

  /* FAQs, the same way */
  {
    g_autoptr(JsonObject) created = request_object (world->relay, "POST", faqs_path, admin_token,
                                                    "{\"question\":\"Do you ship abroad?\",\"answer\":\"Yes.\"}", 201);
    g_autoptr(JsonObject) frame = NULL;

    faq_id = g_strdup (test_obj_string (created, "id"));
    list = wait_list (agent_ws, "faqs", world->site_id, &frame);
    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "question"), ==,
                     "Do you ship abroad?");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/faqs/%s", faq_id);
    g_autoptr(JsonObject) changed = request_object (world->relay, "PATCH", path, world->token,
                                                    "{\"answer\":\"Yes, everywhere.\"}", 200);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "faqs", world->site_id, &frame);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "answer"), ==,
                     "Yes, everywhere.");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/faqs/%s", faq_id);
    g_autoptr(JsonObject) deleted = request_object (world->relay, "DELETE", path, world->token, NULL, 204);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "faqs", world->site_id, &frame);
    g_assert_cmpuint (json_array_get_length (list), ==, 0);
  }
  /* the changer's own socket hears of every change too */
  test_ws_wait_for (world->agent, "canned", TEST_TIMEOUT_MS);
  test_ws_wait_for (world->agent, "faqs", TEST_TIMEOUT_MS);

  /* members: invited, accepted by setup, role changed, reset, removed */
  {
    g_autoptr(JsonObject) invited = request_object (world->relay, "POST", members_path, admin_token,
                                                    "{\"email\":\"new@a.test\",\"role\":\"agent\"}", 201);
    g_autoptr(JsonObject) frame = NULL;
    JsonObject *member;

    invited_id = g_strdup (test_obj_string (invited, "id"));
    code = g_strdup (test_obj_string (invited, "setup_code"));
    list = wait_list (agent_ws, "members", world->site_id, &frame);
    g_assert_cmpuint (json_array_get_length (list), ==, 4);
    member = find_by (list, "id", invited_id);
    g_assert_nonnull (member);
    g_assert_true (json_object_get_boolean_member (member, "pending"));
    g_assert_false (json_object_has_member (member, "setup_code"));
    /* an agent may not list the team over REST: their copy names no e-mail address */
    g_assert_false (json_object_has_member (member, "email"));
  }
  {
    g_autofree char *body = test_json ("{'email':'new@a.test','setup_code':'%s','password':'%s','name':'Nell'}",
                                       code, PASSWORD);
    g_autoptr(JsonObject) signed_in = request_object (world->relay, "POST", "/api/v1/auth/setup", NULL, body, 200);
    g_autoptr(JsonObject) frame = NULL;
    JsonObject *member;

    list = wait_list (agent_ws, "members", world->site_id, &frame);
    member = find_by (list, "id", invited_id);
    g_assert_false (json_object_get_boolean_member (member, "pending"));
    g_assert_cmpstr (json_object_get_string_member (member, "name"), ==, "Nell");
  }
  {
    g_autofree char *path = g_strdup_printf ("%s/%s", members_path, invited_id);
    g_autoptr(JsonObject) changed = request_object (world->relay, "PATCH", path, world->token,
                                                    "{\"role\":\"admin\"}", 200);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "members", world->site_id, &frame);
    g_assert_cmpstr (json_object_get_string_member (find_by (list, "id", invited_id), "role"), ==, "admin");
  }
  {
    g_autofree char *path = g_strdup_printf ("%s/%s/reset", members_path, invited_id);
    g_autoptr(JsonObject) reset = request_object (world->relay, "POST", path, world->token, NULL, 200);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "members", world->site_id, &frame);
    g_assert_true (json_object_get_boolean_member (find_by (list, "id", invited_id), "pending"));
  }
  {
    g_autofree char *path = g_strdup_printf ("%s/%s", members_path, invited_id);
    g_autoptr(JsonObject) removed = request_object (world->relay, "DELETE", path, world->token, NULL, 204);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (agent_ws, "members", world->site_id, &frame);
    g_assert_null (find_by (list, "id", invited_id));
    g_assert_cmpuint (json_array_get_length (list), ==, 3);
  }
  /* one's own new name reaches the team's lists too */
  g_ptr_array_unref (test_ws_drain (world->agent, 0));
  {
    g_autoptr(JsonObject) renamed = request_object (world->relay, "PATCH", "/api/v1/me", agent_token,
                                                    "{\"name\":\"Agnes\"}", 200);
    g_autoptr(JsonObject) frame = NULL;

    list = wait_list (world->agent, "members", world->site_id, &frame);
    g_assert_cmpstr (json_object_get_string_member (find_by (list, "id", agent_id), "name"), ==, "Agnes");
    /* the owner's copy is GET …/members' answer, addresses included */
    g_assert_cmpstr (json_object_get_string_member (find_by (list, "id", agent_id), "email"), ==,
                     "agent@a.test");
  }

  /* the other tenant heard none of it */
  test_ws_expect_none (b_ws, "site", 0);
  test_ws_expect_none (b_ws, "canned", 0);
  test_ws_expect_none (b_ws, "faqs", 0);
  test_ws_expect_none (b_ws, "members", 0);
  g_assert_false (log_mentions (b_ws, world->site_id));
}

/* A list too long for a socket's send queue is pushed as null (read it over REST), never by
 * closing every socket of the site as a slow reader. */
static void
test_push_too_long (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[websocket]\nsend-queue-bytes=8192\n", TEST_WORLD_NO_VISITOR);
  g_autofree char *canned_path = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  g_autofree char *long_body = g_strnfill (1000, 'x');
  guint pushed_whole = 0;

  test_ws_ignore (world->agent, "presence", "visitor", NULL);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *body = test_json ("{'shortcut':'s%u','body':'%s'}", i, long_body);
      g_autoptr(JsonObject) created = request_object (world->relay, "POST", canned_path, world->token, body, 201);
      g_autoptr(JsonObject) frame = test_ws_wait_for (world->agent, "canned", TEST_TIMEOUT_MS);

      if (test_obj_is_null (frame, "canned"))
        break;
      g_assert_cmpuint (json_array_get_length (test_obj_array (frame, "canned")), ==, i + 1);
      pushed_whole++;
    }
  /* the first few went whole, the one past 4 KiB as null, and the socket stayed open */
  g_assert_cmpuint (pushed_whole, >=, 2);
  g_assert_cmpuint (pushed_whole, <, 6);
  g_assert_true (test_ws_is_open (world->agent));
  test_ws_send (world->agent, "{\"type\":\"ping\"}");
  test_ws_unignore (world->agent, "pong");
  json_object_unref (test_ws_wait_for (world->agent, "pong", TEST_TIMEOUT_MS));
}

/* A member added to a site sees its team's presence, and the team sees theirs. */
static void
test_presence_of_new_member (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, "late@a.test", PASSWORD, "Late");
  g_autofree char *token = test_relay_login (world->relay, "late@a.test", PASSWORD);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autoptr(TestWs) late = test_ws_agent (world->relay, token);
  g_autoptr(JsonObject) added = NULL;
  g_autoptr(JsonObject) theirs = NULL;
  g_autoptr(JsonObject) ours = NULL;

  test_agent_subscribe (late, 0, NULL);
  test_ws_expect_none (world->agent, "presence", TEST_QUIET_MS);

  added = request_object (world->relay, "POST", path, world->token,
                          "{\"email\":\"late@a.test\",\"role\":\"agent\"}", 201);
  theirs = test_ws_wait_for_match (world->agent, "presence", "agent_id", test_obj_string (user, "id"),
                                   TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (theirs, "status"), ==, "online");
  ours = test_ws_wait_for_match (late, "presence", "agent_id", world->user_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ours, "status"), ==, "online");
}

/* An agent on two sites: each site's team hears their presence, once each. */
static void
test_presence_on_every_shared_site (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *both_id = NULL;
  g_autofree char *both_token = add_member (world, "both@a.test", "agent", &both_id);
  g_autoptr(TestWs) b_ws = NULL;
  g_autoptr(TestWs) both = NULL;
  g_autoptr(JsonObject) away_a = NULL;
  g_autoptr(JsonObject) away_b = NULL;

  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", b_site);
    g_autoptr(JsonObject) added = request_object (world->relay, "POST", path, b_token,
                                                  "{\"email\":\"both@a.test\",\"role\":\"agent\"}", 201);
  }
  b_ws = test_ws_agent (world->relay, b_token);
  test_agent_subscribe (b_ws, 0, NULL);

  both = test_ws_agent (world->relay, both_token);
  test_agent_subscribe (both, 0, NULL);
  json_object_unref (test_ws_wait_for_match (world->agent, "presence", "agent_id", both_id, TEST_TIMEOUT_MS));
  json_object_unref (test_ws_wait_for_match (b_ws, "presence", "agent_id", both_id, TEST_TIMEOUT_MS));
  g_ptr_array_unref (test_ws_drain (world->agent, 0));
  g_ptr_array_unref (test_ws_drain (b_ws, 0));

  test_ws_send (both, "{\"type\":\"presence\",\"status\":\"away\"}");
  away_a = test_ws_wait_for_match (world->agent, "presence", "agent_id", both_id, TEST_TIMEOUT_MS);
  away_b = test_ws_wait_for_match (b_ws, "presence", "agent_id", both_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (away_a, "status"), ==, "away");
  g_assert_cmpstr (test_obj_string (away_b, "status"), ==, "away");
  /* the two owners share no site: neither hears of the other */
  g_assert_false (log_mentions (b_ws, world->user_id));
}

/* --- assign on reply --- */

static JsonObject *
get_conversation (TestWorld  *world,
                  const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);

  return request_object (world->relay, "GET", path, world->token, NULL, 200);
}

static void
test_assign_on_reply (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *agent_id = NULL;
  g_autofree char *agent_token = add_member (world, "agent@a.test", "agent", &agent_id);
  g_autofree char *conversation_id = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestWs) agent_ws = NULL;
  g_autoptr(JsonObject) conversation = NULL;
  g_autoptr(JsonObject) event = NULL;

  agent_ws = connect_agent (world->relay, agent_token, "agent");
  test_ws_ignore (world->agent, "presence", "visitor", NULL);

  test_visitor_say (world->visitor, "Hello?", &conversation_id);
  conversation = get_conversation (world, conversation_id);
  g_assert_false (test_obj_has (conversation, "assignee"));
  g_clear_pointer (&conversation, json_object_unref);

  /* the first reply takes it on: a conversation event and a timeline event say so */
  test_agent_say (agent_ws, conversation_id, "Hi, I am here");
  event = test_ws_wait_for_match (world->agent, "timeline", "event.kind", "assigned", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (event, "conversation_id"), ==, conversation_id);
  g_clear_pointer (&event, json_object_unref);
  event = test_ws_wait_for_match (world->agent, "conversation", "conversation.assignee.id", agent_id,
                                  TEST_TIMEOUT_MS);
  g_clear_pointer (&event, json_object_unref);
  conversation = get_conversation (world, conversation_id);
  g_assert_cmpstr (test_obj_string (conversation, "assignee.id"), ==, agent_id);
  g_clear_pointer (&conversation, json_object_unref);

  /* another agent's reply leaves it with the one who took it */
  g_ptr_array_unref (test_ws_drain (agent_ws, 0));
  test_agent_say (world->agent, conversation_id, "Let me add something");
  test_ws_expect_none (agent_ws, "timeline", TEST_QUIET_MS);
  conversation = get_conversation (world, conversation_id);
  g_assert_cmpstr (test_obj_string (conversation, "assignee.id"), ==, agent_id);
  g_clear_pointer (&conversation, json_object_unref);

  /* a start_conversation that lands in a visitor's unassigned conversation is a reply too */
  {
    g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
    g_autofree char *third = NULL;
    g_autofree char *client_id = test_client_id ();
    g_autoptr(JsonObject) ack = NULL;

    test_visitor_say (visitor, "Hello from the cart", &third);
    test_ws_sendf (agent_ws, "{'type':'start_conversation','visitor_id':'%s','client_id':'%s','body':'Need help?'}",
                   test_obj_string (welcome, "visitor_id"), client_id);
    ack = test_ws_wait_for_match (agent_ws, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, third);
    conversation = get_conversation (world, third);
    g_assert_cmpstr (test_obj_string (conversation, "assignee.id"), ==, agent_id);
    g_clear_pointer (&conversation, json_object_unref);
  }

  /* the setting: agent-only (not in the widget's config), a boolean, and off means off */
  expect_error (world->relay, "PATCH", site_path, world->token,
                "{\"settings\":{\"assign_on_reply\":\"yes\"}}", 400, "invalid_field");
  {
    g_autoptr(JsonObject) patched = request_object (world->relay, "PATCH", site_path, world->token,
                                                    "{\"settings\":{\"assign_on_reply\":false}}", 200);
    g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
    g_autoptr(JsonObject) config = request_object (world->relay, "GET", config_path, NULL, NULL, 200);

    g_assert_false (test_obj_bool (patched, "settings.assign_on_reply"));
    g_assert_true (test_obj_has (config, "settings"));
    g_assert_false (test_obj_has (config, "settings.assign_on_reply"));
  }
  {
    g_autoptr(TestWs) visitor = test_ws_widget (world->relay, world->site_key);
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
    g_autofree char *second = NULL;

    test_visitor_say (visitor, "Anyone?", &second);
    g_ptr_array_unref (test_ws_drain (world->agent, 0));
    test_agent_say (agent_ws, second, "Yes");
    test_ws_expect_none (world->agent, "timeline", TEST_QUIET_MS);
    conversation = get_conversation (world, second);
    g_assert_false (test_obj_has (conversation, "assignee"));
  }
}

/* --- wildcard domains --- */

static void
test_wildcard_domains (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  struct {
    const char *origin;
    gboolean    allowed;
  } cases[] = {
    { "https://shop.example.com", TRUE },
    { "https://a.b.example.com", TRUE },
    { "https://SHOP.Example.COM", TRUE },           /* hosts compare without case */
    { "https://shop.example.com:8443", TRUE },      /* no port in the pattern: any port */
    { "https://api.example.org:8443", TRUE },
    { "https://example.com", FALSE },               /* the bare domain is not a subdomain */
    { "https://evil-example.com", FALSE },
    { "https://evilexample.com", FALSE },
    { "https://example.com.evil.test", FALSE },
    { "https://shop.example.com.evil.test", FALSE },
    { "https://api.example.org", FALSE },           /* that pattern names a port */
    { "https://api.example.org:9443", FALSE },
    { "https://example.org:8443", FALSE },
    { "null", FALSE },
  };
  g_autoptr(JsonObject) patched = request_object (world->relay, "PATCH", site_path, world->token,
                                                  "{\"domains\":[\"*.example.com\",\"*.example.org:8443\"]}",
                                                  200);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status = 0;
      g_autoptr(TestWs) ws = test_ws_try_widget (world->relay, world->site_key, cases[i].origin, &status);
      g_autoptr(TestResponse) config = test_http (world->relay, "GET", config_path, NULL, NULL,
                                                  "Origin", cases[i].origin, NULL);

      g_test_message ("%s: socket %u, config %u", cases[i].origin, status, config->status);
      if (cases[i].allowed)
        {
          g_autoptr(JsonObject) welcome = NULL;

          if (ws == NULL)
            g_error ("Origin %s was refused (%u)", cases[i].origin, status);
          welcome = test_visitor_hello (ws, NULL, NULL, "https://shop.example.com/");
          test_assert_http_status (config, 200);
        }
      else
        {
          if (ws != NULL)
            g_error ("Origin %s was let in", cases[i].origin);
          g_assert_cmpuint (status, ==, 403);
          test_assert_http_error (config, 403, "origin_not_allowed");
        }
    }

  /* a request without an Origin (the relay's own page, curl) still reads the public config */
  {
    g_autoptr(TestResponse) config = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
    test_assert_http_status (config, 200);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/siteadmin/delete-site", test_delete_site);
  test_harness_add ("/relay/siteadmin/delete-site-in-steps", test_delete_site_in_steps);
  test_harness_add ("/relay/siteadmin/rotate-key", test_rotate_key);
  test_harness_add ("/relay/siteadmin/pushes", test_pushes);
  test_harness_add ("/relay/siteadmin/push-too-long", test_push_too_long);
  test_harness_add ("/relay/siteadmin/presence-of-new-member", test_presence_of_new_member);
  test_harness_add ("/relay/siteadmin/presence-on-every-shared-site", test_presence_on_every_shared_site);
  test_harness_add ("/relay/siteadmin/assign-on-reply", test_assign_on_reply);
  test_harness_add ("/relay/siteadmin/wildcard-domains", test_wildcard_domains);

  return g_test_run ();
}
