/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-data.c: the site's data duties (issue 10) against a real relay — the audit log,
 * visitor search, a visitor's export (theirs and nothing of another's), deleting a visitor
 * (rows, log events and upload files), retention, blocking */

#include "relay-harness.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

#define DAY_MS (24 * 60 * 60 * (gint64) 1000)

/* 2×2 PNGs: red and blue (each re-encoded by the relay into a file of its own) */
#define RED_PNG  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg=="
#define BLUE_PNG "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGOQkzsBRAwQCgAZ1gQRShBSHAAAAABJRU5ErkJggg=="

/* Every visitor here comes through a proxy the relay trusts, so that each has an address of
 * its own (blocking is by address too). */
#define PROXY_CONFIG "[relay]\ntrusted-proxies=127.0.0.1\n"

typedef struct {
  TestWs *ws;
  char   *id;
  char   *token;
  char   *conversation_id;
} Visitor;

static void
visitor_free (Visitor *visitor)
{
  g_clear_pointer (&visitor->ws, test_ws_free);
  g_free (visitor->id);
  g_free (visitor->token);
  g_free (visitor->conversation_id);
  g_free (visitor);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Visitor, visitor_free)

static TestWs *
widget_from (TestWorld  *world,
             const char *address)
{
  const char *headers[] = { "X-Forwarded-For", address, NULL };
  guint status = 0;
  TestWs *ws = test_ws_try_widget_with_headers (world->relay, world->site_key, headers, &status);

  g_assert_nonnull (ws);
  test_ws_ignore (ws, "agents_online", NULL);
  return ws;
}

/* Sends hello from @address (as visitor @id with @token when set, with a pre-chat @name);
 * returns the welcome or NULL when an error came instead (left queued). */
static JsonObject *
hello (TestWs     *ws,
       const char *id,
       const char *token,
       const char *name,
       const char *url)
{
  /* test_ws_sendf() turns the format's quotes into JSON's, not its arguments' */
  g_autofree char *id_json = id ? g_strdup_printf ("\"%s\"", id) : g_strdup ("null");
  g_autofree char *token_json = token ? g_strdup_printf ("\"%s\"", token) : g_strdup ("null");
  g_autofree char *name_json = name ? g_strdup_printf (",\"name\":\"%s\",\"email\":\"%s@example.test\"", name, name)
                                    : g_strdup ("");

  test_ws_sendf (ws, "{'type':'hello','visitor_id':%s,'visitor_token':%s%s,"
                 "'page':{'url':'%s','title':'Page'},'locale':'en-GB'}",
                 id_json, token_json, name_json, url);
  for (;;)
    {
      g_autoptr(JsonObject) frame = test_ws_next (ws, TEST_TIMEOUT_MS * test_timeout_multiplier ());
      const char *type;

      g_assert_nonnull (frame);
      type = test_obj_string (frame, "type");
      if (strcmp (type, "welcome") == 0)
        return g_steal_pointer (&frame);
      if (strcmp (type, "error") == 0)
        {
          g_assert_cmpstr (test_obj_string (frame, "code"), ==, "blocked");
          g_assert_cmpstr (test_obj_string (frame, "message"), ==, "This chat is not available.");
          return NULL;
        }
    }
}

static Visitor *
new_visitor (TestWorld  *world,
             const char *address,
             const char *name,
             const char *url)
{
  Visitor *visitor = g_new0 (Visitor, 1);
  g_autoptr(JsonObject) welcome = NULL;

  visitor->ws = widget_from (world, address);
  welcome = hello (visitor->ws, NULL, NULL, name, url);
  g_assert_nonnull (welcome);
  visitor->id = g_strdup (test_obj_string (welcome, "visitor_id"));
  visitor->token = g_strdup (test_obj_string (welcome, "visitor_token"));
  return visitor;
}

static char *
upload (TestWorld  *world,
        const char *visitor_token,
        const char *png_base64)
{
  gsize size = 0;
  g_autofree guchar *png = g_base64_decode (png_base64, &size);
  g_autoptr(GBytes) body = g_bytes_new (png, size);
  g_autoptr(TestResponse) response = test_http_bytes (world->relay, "POST", "/api/v1/uploads",
                                                      visitor_token, body, "image/png", NULL);

  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (test_response_object (response), "id"));
}

/* Sends a message carrying the upload, so that it belongs to the visitor's conversation. */
static void
send_attachment (Visitor    *visitor,
                 const char *upload_id)
{
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonObject) ack = NULL;

  test_ws_sendf (visitor->ws, "{'type':'message','client_id':'%s','attachment_id':'%s'}",
                 client_id, upload_id);
  ack = test_ws_wait_for_match (visitor->ws, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
}

static JsonObject *
get_object (TestWorld  *world,
            const char *token,
            const char *path,
            guint       status)
{
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, token, NULL, NULL);

  test_assert_http_status (response, status);
  return json_object_ref (test_response_object (response));
}

static guint
status_of (TestWorld  *world,
           const char *method,
           const char *token,
           const char *body,
           const char *format,
           ...) G_GNUC_PRINTF (5, 6);

static guint
status_of (TestWorld  *world,
           const char *method,
           const char *token,
           const char *body,
           const char *format,
           ...)
{
  g_autofree char *path = NULL;
  g_autoptr(TestResponse) response = NULL;
  va_list args;

  va_start (args, format);
  path = g_strdup_vprintf (format, args);
  va_end (args);
  response = test_http (world->relay, method, path, token, body, NULL);
  return response->status;
}

/* On PostgreSQL (test-relay-data-postgresql) the same SQL runs on the relay's database: ?1 and
 * ?2 become $1 and $2, and events take their cursor from the store's confab_next_cursor () as a
 * default, as SQLite's AUTOINCREMENT gives one. The result, or NULL after a command. */
static PGresult *
pg_run (TestWorld  *world,
        const char *sql,
        const char *arg1,
        const char *arg2)
{
  g_autoptr(GString) text = g_string_new (sql);
  const char *values[2] = { arg1, arg2 };
  PGconn *conn = PQconnectdb (test_relay_store_url (world->relay));
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  g_string_replace (text, "?1", "$1", 0);
  g_string_replace (text, "?2", "$2", 0);
  result = PQexec (conn, "ALTER TABLE events ALTER COLUMN cursor SET DEFAULT confab_next_cursor ()");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  result = PQexecParams (conn, text->str, arg2 != NULL ? 2 : arg1 != NULL ? 1 : 0, NULL, values,
                         NULL, NULL, 0);
  if (PQresultStatus (result) != PGRES_TUPLES_OK && PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("%s: %s", text->str, PQresultErrorMessage (result));
  PQfinish (conn);
  return result;
}

static sqlite3 *
open_db (TestWorld *world,
         int        flags)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, flags, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

/* The first column of the first row of @sql with ?1 = @arg, as text (NULL when none). */
static char *
db_text (TestWorld  *world,
         const char *sql,
         const char *arg)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  if (test_store_is_postgresql ())
    {
      PGresult *result = pg_run (world, sql, arg, NULL);

      if (PQntuples (result) > 0 && !PQgetisnull (result, 0, 0))
        value = g_strdup (PQgetvalue (result, 0, 0));
      PQclear (result);
      return value;
    }
  db = open_db (world, SQLITE_OPEN_READONLY);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static gint64
db_count (TestWorld  *world,
          const char *sql,
          const char *arg)
{
  g_autofree char *text = db_text (world, sql, arg);

  g_assert_nonnull (text);
  return g_ascii_strtoll (text, NULL, 10);
}

/* Runs a statement with ?1 = @arg1 and ?2 = @arg2 (either may be NULL) on the relay's database
 * (its relay stopped, for SQLite). */
static void
db_exec (TestWorld  *world,
         const char *sql,
         const char *arg1,
         const char *arg2)
{
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;

  if (test_store_is_postgresql ())
    {
      PQclear (pg_run (world, sql, arg1, arg2));
      return;
    }
  db = open_db (world, SQLITE_OPEN_READWRITE);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg1 != NULL)
    sqlite3_bind_text (stmt, 1, arg1, -1, SQLITE_TRANSIENT);
  if (arg2 != NULL)
    sqlite3_bind_text (stmt, 2, arg2, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* Where an upload's bytes are: its file in <data-dir>/uploads on SQLite, its sha256 (a row of
 * upload_blobs) on PostgreSQL; upload_stored () says whether they are still there. */
static char *
upload_file (TestWorld  *world,
             const char *upload_id)
{
  g_autofree char *sha256 = db_text (world, "SELECT sha256 FROM uploads WHERE id = ?1", upload_id);

  g_assert_nonnull (sha256);
  if (test_store_is_postgresql ())
    return g_steal_pointer (&sha256);
  return g_strdup_printf ("%s/uploads/%.2s/%.2s/%s", test_relay_data_dir (world->relay), sha256,
                          sha256 + 2, sha256);
}

static gboolean
upload_stored (TestWorld  *world,
               const char *file)
{
  if (test_store_is_postgresql ())
    return db_count (world, "SELECT count(*) FROM upload_blobs WHERE sha256 = ?1", file) > 0;
  return g_file_test (file, G_FILE_TEST_EXISTS);
}

static JsonArray *
audit_entries (TestWorld  *world,
               const char *query,
               JsonObject **out_page)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/audit%s", world->site_id, query);
  JsonObject *page = get_object (world, world->token, path, 200);

  *out_page = page;
  return test_obj_array (page, "entries");
}

/* The newest entry with @action, or NULL. */
static JsonObject *
find_entry (JsonArray  *entries,
            const char *action)
{
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      if (g_strcmp0 (test_obj_string (entry, "action"), action) == 0)
        return entry;
    }
  return NULL;
}

static char *
agent_token (TestWorld  *world,
             const char *email,
             const char *role)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'%s'}", email, role);
  g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, "member password 1", "Member");
  g_autoptr(TestResponse) added = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (added, 201);
  return test_relay_login (world->relay, email, "member password 1");
}

/* --- the audit log --- */

static void
test_audit_log (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) faq = NULL;
  g_autoptr(JsonObject) canned = NULL;
  g_autoptr(JsonObject) invited = NULL;
  g_autofree char *agent = agent_token (world, "agent@a.test", "agent");
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *path = NULL;
  static const char * const expected[] = {
    "member.removed", "member.password_reset", "member.updated", "member.added",
    "canned.deleted", "canned.created", "faq.deleted", "faq.updated", "faq.created",
    "site.updated",
  };
  JsonArray *entries;
  JsonObject *entry;
  const char *faq_id, *canned_id, *user_id;

  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"name\":\"Site A2\",\"settings\":{\"color\":\"#112233\"}}",
                               "/api/v1/sites/%s", world->site_id), ==, 200);
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", p, world->token,
                                           "{\"question\":\"Do you ship?\",\"answer\":\"Yes.\"}", NULL);
    test_assert_http_status (r, 201);
    faq = json_object_ref (test_response_object (r));
  }
  faq_id = test_obj_string (faq, "id");
  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"answer\":\"Yes, worldwide.\"}",
                               "/api/v1/faqs/%s", faq_id), ==, 200);
  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "/api/v1/faqs/%s", faq_id), ==, 204);
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", p, world->token,
                                           "{\"shortcut\":\"hi\",\"body\":\"Hello!\"}", NULL);
    test_assert_http_status (r, 201);
    canned = json_object_ref (test_response_object (r));
  }
  canned_id = test_obj_string (canned, "id");
  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "/api/v1/canned/%s", canned_id), ==, 204);
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", p, world->token,
                                           "{\"email\":\"new@a.test\",\"role\":\"agent\"}", NULL);
    test_assert_http_status (r, 201);
    invited = json_object_ref (test_response_object (r));
  }
  user_id = test_obj_string (invited, "id");
  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"role\":\"admin\"}",
                               "/api/v1/sites/%s/members/%s", world->site_id, user_id), ==, 200);
  g_assert_cmpuint (status_of (world, "POST", world->token, NULL,
                               "/api/v1/sites/%s/members/%s/reset", world->site_id, user_id), ==, 200);
  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL,
                               "/api/v1/sites/%s/members/%s", world->site_id, user_id), ==, 204);

  entries = audit_entries (world, "", &page);
  /* newest first: exactly the actions above, after the agent's membership */
  g_assert_cmpuint (json_array_get_length (entries), >=, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      entry = json_array_get_object_element (entries, i);
      g_assert_cmpstr (test_obj_string (entry, "action"), ==, expected[i]);
      g_assert_cmpstr (test_obj_string (entry, "actor.id"), ==, world->user_id);
      g_assert_cmpstr (test_obj_string (entry, "actor.name"), ==, "Owner a");
      g_assert_true (test_obj_has (entry, "at"));
      g_assert_true (JSON_NODE_HOLDS_OBJECT (test_obj_lookup (entry, "details")));
      /* a keyed hash of the address, never the address */
      g_assert_cmpuint (strlen (test_obj_string (entry, "ip_hash")), >=, 32);
      g_assert_null (strstr (test_obj_string (entry, "ip_hash"), "127.0.0.1"));
      if (i > 0)
        g_assert_cmpint (test_obj_int (entry, "id"), <,
                         test_obj_int (json_array_get_object_element (entries, i - 1), "id"));
    }
  entry = find_entry (entries, "member.removed");
  g_assert_cmpstr (test_obj_string (entry, "target.type"), ==, "member");
  g_assert_cmpstr (test_obj_string (entry, "target.id"), ==, user_id);
  g_assert_cmpstr (test_obj_string (entry, "target.name"), ==, "new@a.test");
  g_assert_cmpstr (test_obj_string (entry, "details.previous_role"), ==, "admin");
  entry = find_entry (entries, "member.updated");
  g_assert_cmpstr (test_obj_string (entry, "details.role"), ==, "admin");
  g_assert_cmpstr (test_obj_string (entry, "details.previous_role"), ==, "agent");
  entry = find_entry (entries, "faq.updated");
  g_assert_cmpstr (test_obj_string (entry, "target.type"), ==, "faq");
  g_assert_cmpstr (test_obj_string (entry, "target.id"), ==, faq_id);
  g_assert_cmpstr (test_obj_string (entry, "target.name"), ==, "Do you ship?");
  entry = find_entry (entries, "canned.created");
  g_assert_cmpstr (test_obj_string (entry, "target.name"), ==, "hi");
  entry = find_entry (entries, "site.updated");
  g_assert_cmpstr (test_obj_string (entry, "target.type"), ==, "site");
  g_assert_cmpstr (test_obj_string (entry, "target.id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (entry, "target.name"), ==, "Site A2");
  {
    JsonArray *changed = test_obj_array (entry, "details.changed");
    JsonArray *settings = test_obj_array (entry, "details.settings");
    g_autofree char *entry_text = test_obj_to_string (entry);

    g_assert_cmpuint (json_array_get_length (changed), ==, 2);
    g_assert_cmpuint (json_array_get_length (settings), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (settings, 0), ==, "color");
    /* which, not the values */
    g_assert_null (strstr (entry_text, "#112233"));
  }
  /* nothing of the bodies: no FAQ answer, no canned text */
  {
    g_autofree char *text = test_obj_to_string (page);
    g_assert_null (strstr (text, "worldwide"));
    g_assert_null (strstr (text, "Hello!"));
  }

  /* paged by id */
  {
    JsonArray *one = audit_entries (world, "?limit=3", &first);
    g_autofree char *query = NULL;
    JsonArray *two;

    g_assert_cmpuint (json_array_get_length (one), ==, 3);
    g_assert_cmpint (test_obj_int (first, "next_before"), ==,
                     test_obj_int (json_array_get_object_element (one, 2), "id"));
    query = g_strdup_printf ("?limit=3&before=%" G_GINT64_FORMAT, test_obj_int (first, "next_before"));
    two = audit_entries (world, query, &second);
    g_assert_cmpuint (json_array_get_length (two), ==, 3);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (two, 0), "action"), ==, expected[3]);
  }
  g_assert_true (test_obj_is_null (page, "next_before"));

  /* bad paging, and who may read it */
  path = g_strdup_printf ("/api/v1/sites/%s/audit?limit=0", world->site_id);
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    test_assert_http_error (r, 400, "invalid_value");
  }
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/sites/%s/audit?before=x",
                               world->site_id), ==, 400);
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
    g_autoptr(TestResponse) r = test_http (world->relay, "GET", p, agent, NULL, NULL);
    test_assert_http_error (r, 403, "forbidden");
  }
  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  g_assert_cmpuint (status_of (world, "GET", b_token, NULL, "/api/v1/sites/%s/audit", world->site_id), ==, 404);

  /* a site made over the API starts its log with site.created */
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", "/api/v1/sites", world->token,
                                           "{\"name\":\"Second\"}", NULL);
    g_autofree char *p = NULL;
    g_autoptr(JsonObject) log = NULL;

    test_assert_http_status (r, 201);
    p = g_strdup_printf ("/api/v1/sites/%s/audit", test_obj_string (test_response_object (r), "id"));
    log = get_object (world, world->token, p, 200);
    entry = json_array_get_object_element (test_obj_array (log, "entries"), 0);
    g_assert_cmpstr (test_obj_string (entry, "action"), ==, "site.created");
    g_assert_cmpstr (test_obj_string (entry, "target.name"), ==, "Second");
  }
}

/* --- visitor search --- */

static void
test_visitor_search (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_AGENT);
  g_autoptr(Visitor) ann = new_visitor (world, "203.0.113.1", "Louise", "https://a.test/");
  g_autoptr(Visitor) bob = new_visitor (world, "203.0.113.2", "Bob", "https://a.test/");
  g_autofree char *agent = agent_token (world, "agent@a.test", "agent");
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  /* the search also matches ids, whose random letters may spell "ann" (CI, once on
   * PostgreSQL: 2 == 1); ids never hold an i, l, o or u, so "lou" finds only the name */
  struct { const char *q; guint count; const char *first; } cases[] = {
    { "LOU", 1, ann->id },
    { "BOB%40EXAMPLE", 1, bob->id },     /* e-mail, case-insensitive */
    { bob->id, 1, bob->id },
    { "", 3, NULL },                     /* everyone, newest first */
    { "%25", 0, NULL },                  /* "%" is no wildcard */
    { "nobody", 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/visitors?q=%s", world->site_id, cases[i].q);
      g_autoptr(JsonObject) found = get_object (world, agent, path, 200);
      JsonArray *list = test_obj_array (found, "visitors");

      g_assert_cmpuint (json_array_get_length (list), ==, cases[i].count);
      if (cases[i].first != NULL)
        {
          JsonObject *visitor = json_array_get_object_element (list, 0);

          g_assert_cmpstr (test_obj_string (visitor, "id"), ==, cases[i].first);
          g_assert_cmpstr (test_obj_string (visitor, "site_id"), ==, world->site_id);
          g_assert_true (test_obj_bool (visitor, "online"));
        }
    }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/visitors?limit=1", world->site_id);
    g_autoptr(JsonObject) found = get_object (world, world->token, path, 200);

    g_assert_cmpuint (json_array_get_length (test_obj_array (found, "visitors")), ==, 1);
    /* the one seen last */
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (found, "visitors"), 0), "id"),
                     ==, bob->id);
  }
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/sites/%s/visitors?limit=101",
                               world->site_id), ==, 400);
  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  g_assert_cmpuint (status_of (world, "GET", b_token, NULL, "/api/v1/sites/%s/visitors", world->site_id), ==, 404);
}

/* --- two visitors with overlapping data --- */

typedef struct {
  Visitor *ann;
  Visitor *bob;
  char    *ann_offline;
  char    *bob_offline;
  char    *shared_upload_ann;  /* the same picture, sent by both: one file */
  char    *shared_upload_bob;
  char    *red_upload;         /* Ann's alone */
  char    *blue_upload;        /* Bob's alone */
} Pair;

static char *
leave_message (Visitor    *visitor,
               const char *name,
               const char *body)
{
  g_autoptr(JsonObject) left = NULL;

  test_ws_sendf (visitor->ws, "{'type':'leave_message','name':'%s','email':'%s@example.test','body':'%s'}",
                 name, name, body);
  left = test_ws_wait_for (visitor->ws, "left_message", TEST_TIMEOUT_MS);
  return g_strdup (test_obj_string (left, "id"));
}

static void
pair_setup (TestWorld *world,
            Pair      *pair)
{
  pair->ann = new_visitor (world, "203.0.113.1", "Ann", "https://a.test/shared");
  pair->bob = new_visitor (world, "203.0.113.2", "Bob", "https://a.test/shared");
  test_ws_sendf (pair->bob->ws, "{'type':'page_view','url':'https://a.test/bob-only','title':'Bob page'}");

  test_visitor_say (pair->ann->ws, "shared words", &pair->ann->conversation_id);
  test_visitor_say (pair->ann->ws, "only-ann-7f3", NULL);
  test_visitor_say (pair->bob->ws, "shared words", &pair->bob->conversation_id);
  test_visitor_say (pair->bob->ws, "only-bob-9c2", NULL);
  test_agent_say (world->agent, pair->ann->conversation_id, "Hello Ann");
  test_agent_say (world->agent, pair->bob->conversation_id, "Hello Bob");

  pair->shared_upload_ann = upload (world, pair->ann->token, BLUE_PNG);
  send_attachment (pair->ann, pair->shared_upload_ann);
  pair->red_upload = upload (world, pair->ann->token, RED_PNG);
  send_attachment (pair->ann, pair->red_upload);
  pair->shared_upload_bob = upload (world, pair->bob->token, BLUE_PNG);
  send_attachment (pair->bob, pair->shared_upload_bob);

  test_ws_sendf (pair->ann->ws, "{'type':'rate','score':5,'comment':'ann-comment'}");
  test_ws_wait_for (pair->ann->ws, "rated", TEST_TIMEOUT_MS);
  test_ws_sendf (pair->bob->ws, "{'type':'rate','score':2,'comment':'bob-comment'}");
  test_ws_wait_for (pair->bob->ws, "rated", TEST_TIMEOUT_MS);

  pair->ann_offline = leave_message (pair->ann, "Ann", "ann-offline-note");
  pair->bob_offline = leave_message (pair->bob, "Bob", "bob-offline-note");
}

static void
pair_clear (Pair *pair)
{
  g_clear_pointer (&pair->ann, visitor_free);
  g_clear_pointer (&pair->bob, visitor_free);
  g_free (pair->ann_offline);
  g_free (pair->bob_offline);
  g_free (pair->shared_upload_ann);
  g_free (pair->shared_upload_bob);
  g_free (pair->red_upload);
  g_free (pair->blue_upload);
}

static void
test_export_only_that_visitor (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_VISITOR);
  g_autofree char *agent = agent_token (world, "agent@a.test", "agent");
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonObject) audit = NULL;
  Pair pair = { 0 };
  JsonObject *export, *conversation;
  JsonArray *list;
  const char *disposition;
  static const char * const not_ann[] = { "only-bob-9c2", "bob-only", "Bob", "bob-comment", "bob-offline-note" };

  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "offline_message", "rating",
                  "timeline", "conversation", "message", NULL);
  pair_setup (world, &pair);

  path = g_strdup_printf ("/api/v1/visitors/%s/export", pair.ann->id);
  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  disposition = test_response_header (response, "Content-Disposition");
  g_assert_nonnull (disposition);
  g_assert_true (g_str_has_prefix (disposition, "attachment; filename=\"confab-visitor-"));
  export = test_response_object (response);
  text = test_obj_to_string (export);

  g_assert_true (test_obj_has (export, "exported_at"));
  g_assert_cmpstr (test_obj_string (export, "visitor.id"), ==, pair.ann->id);
  g_assert_cmpstr (test_obj_string (export, "visitor.name"), ==, "Ann");
  g_assert_cmpstr (test_obj_string (export, "visitor.email"), ==, "Ann@example.test");

  list = test_obj_array (export, "page_views");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "url"), ==, "https://a.test/shared");

  list = test_obj_array (export, "conversations");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  conversation = json_array_get_object_element (list, 0);
  g_assert_cmpstr (test_obj_string (conversation, "id"), ==, pair.ann->conversation_id);
  /* two texts, the agent's answer, two pictures */
  g_assert_cmpuint (json_array_get_length (test_obj_array (conversation, "messages")), ==, 5);
  g_assert_nonnull (strstr (text, "only-ann-7f3"));
  g_assert_nonnull (strstr (text, "Hello Ann"));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (test_obj_lookup (conversation, "timeline")));

  list = test_obj_array (export, "ratings");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (list, 0), "score"), ==, 5);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "conversation_id"), ==,
                   pair.ann->conversation_id);

  list = test_obj_array (export, "offline_messages");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, pair.ann_offline);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "body"), ==, "ann-offline-note");

  list = test_obj_array (export, "uploads");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);

      g_assert_true (g_strcmp0 (test_obj_string (entry, "id"), pair.shared_upload_ann) == 0 ||
                     g_strcmp0 (test_obj_string (entry, "id"), pair.red_upload) == 0);
      g_assert_cmpstr (test_obj_string (entry, "content_type"), ==, "image/png");
      g_assert_true (g_str_has_suffix (test_obj_string (entry, "name"), ".png"));
      g_assert_cmpint (test_obj_int (entry, "size"), >, 0);
      g_assert_true (test_obj_has (entry, "created_at"));
    }

  /* nothing of Bob's: not his ids, words, pages, rating, note or upload */
  g_assert_null (strstr (text, pair.bob->id));
  g_assert_null (strstr (text, pair.bob->conversation_id));
  g_assert_null (strstr (text, pair.bob_offline));
  g_assert_null (strstr (text, pair.shared_upload_bob));
  for (guint i = 0; i < G_N_ELEMENTS (not_ann); i++)
    if (strstr (text, not_ann[i]) != NULL)
      g_error ("Ann's export holds Bob's “%s”: %s", not_ann[i], text);

  /* agents may not; the export is in the audit log */
  {
    g_autoptr(TestResponse) refused = test_http (world->relay, "GET", path, agent, NULL, NULL);
    test_assert_http_error (refused, 403, "forbidden");
  }
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
    JsonObject *entry;

    audit = get_object (world, world->token, p, 200);
    entry = find_entry (test_obj_array (audit, "entries"), "visitor.exported");
    g_assert_nonnull (entry);
    g_assert_cmpstr (test_obj_string (entry, "target.type"), ==, "visitor");
    g_assert_cmpstr (test_obj_string (entry, "target.id"), ==, pair.ann->id);
  }
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s/exports",
                               pair.ann->id), ==, 404);
  pair_clear (&pair);
}

/* --- deleting a visitor --- */

static void
test_delete_visitor (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_VISITOR);
  g_autofree char *agent = agent_token (world, "agent@a.test", "agent");
  g_autofree char *red_file = NULL, *shared_file = NULL;
  g_autoptr(JsonObject) deleted = NULL;
  g_autoptr(JsonObject) audit = NULL;
  g_autoptr(TestWs) later = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  Pair pair = { 0 };
  const char *ann;

  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "offline_message", "rating",
                  "timeline", "conversation", "message", NULL);
  pair_setup (world, &pair);
  ann = pair.ann->id;
  red_file = upload_file (world, pair.red_upload);
  shared_file = upload_file (world, pair.shared_upload_ann);
  g_assert_true (upload_stored (world, red_file));
  g_assert_true (upload_stored (world, shared_file));

  /* agents may not; refused, nothing changes */
  g_assert_cmpuint (status_of (world, "DELETE", agent, NULL, "/api/v1/visitors/%s", ann), ==, 403);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s", ann), ==, 200);

  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "/api/v1/visitors/%s", ann), ==, 204);

  /* the agents are told what to drop */
  deleted = test_ws_wait_for (world->agent, "visitor_deleted", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (deleted, "site_id"), ==, world->site_id);
  g_assert_cmpstr (test_obj_string (deleted, "visitor_id"), ==, ann);
  g_assert_cmpuint (json_array_get_length (test_obj_array (deleted, "conversation_ids")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (test_obj_array (deleted, "conversation_ids"), 0), ==,
                   pair.ann->conversation_id);
  g_assert_cmpstr (json_array_get_string_element (test_obj_array (deleted, "offline_message_ids"), 0), ==,
                   pair.ann_offline);
  g_assert_cmpint (test_obj_int (deleted, "cursor"), >, 0);
  /* the visitor's open tab is closed; it would come back as someone new */
  g_assert_cmpuint (test_ws_wait_closed (pair.ann->ws, TEST_TIMEOUT_MS), ==, 1000);

  /* gone over REST */
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s", ann), ==, 404);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s",
                               pair.ann->conversation_id), ==, 404);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/offline-messages/%s",
                               pair.ann_offline), ==, 404);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/uploads/%s", pair.red_upload), ==, 404);

  /* gone from the database: no row, no event of the log that names them or says what they said */
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM visitors WHERE id = ?1", ann), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM page_views WHERE visitor_id = ?1", ann), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM conversations WHERE visitor_id = ?1", ann), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             pair.ann->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE body LIKE ?1", "%only-ann%"), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM ratings WHERE conversation_id = ?1",
                             pair.ann->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM offline_messages WHERE body = ?1", "ann-offline-note"),
                   ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM uploads WHERE visitor_id = ?1", ann), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM uploads WHERE conversation_id = ?1",
                             pair.ann->conversation_id), ==, 0);
  {
    g_autofree char *like = g_strdup_printf ("%%%s%%", ann);
    g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE kind != 'visitor_deleted' AND "
                               "(visitor_id = ?1 OR conversation_id IS NOT NULL AND conversation_id NOT IN "
                               "(SELECT id FROM conversations))", ann), ==, 0);
    g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE kind != 'visitor_deleted' AND "
                               "payload LIKE ?1", like), ==, 0);
  }
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE payload LIKE ?1", "%ann-offline-note%"), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE payload LIKE ?1", "%ann-comment%"), ==, 0);

  /* Ann's own picture's file is gone; the one Bob sent too stays for him */
  g_assert_false (upload_stored (world, red_file));
  {
    g_autofree char *thumb = g_strconcat (red_file, ".thumb", NULL);
    g_assert_false (!test_store_is_postgresql () && g_file_test (thumb, G_FILE_TEST_EXISTS));
  }
  g_assert_true (upload_stored (world, shared_file));

  /* Bob is untouched */
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s", pair.bob->id), ==, 200);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s/messages",
                               pair.bob->conversation_id), ==, 200);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             pair.bob->conversation_id), ==, 4);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM offline_messages WHERE visitor_id = ?1",
                             pair.bob->id), ==, 1);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/uploads/%s",
                               pair.shared_upload_bob), ==, 200);

  /* an agent catching up from the start hears of no trace of Ann but her deletion */
  later = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (later, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      g_autofree char *text = test_obj_to_string (g_ptr_array_index (backlog, i));

      if (strstr (text, ann) != NULL)
        g_assert_cmpstr (test_obj_string (g_ptr_array_index (backlog, i), "type"), ==, "visitor_deleted");
      g_assert_null (strstr (text, "only-ann"));
    }

  /* in the audit log by id only */
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
    JsonObject *entry;

    audit = get_object (world, world->token, p, 200);
    entry = find_entry (test_obj_array (audit, "entries"), "visitor.deleted");
    g_assert_nonnull (entry);
    g_assert_cmpstr (test_obj_string (entry, "target.id"), ==, ann);
    g_assert_true (test_obj_is_null (entry, "target.name"));
    g_assert_cmpint (test_obj_int (entry, "details.conversations"), ==, 1);
  }

  /* twice: there is nothing left */
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/visitors/%s", ann);
    g_autoptr(TestResponse) again = test_http (world->relay, "DELETE", p, world->token, NULL, NULL);
    test_assert_http_error (again, 404, "not_found");
  }

  /* the old id and token are nobody's: the widget starts afresh */
  {
    g_autoptr(TestWs) ws = widget_from (world, "203.0.113.1");
    g_autoptr(JsonObject) welcome = hello (ws, ann, pair.ann->token, NULL, "https://a.test/");

    g_assert_nonnull (welcome);
    g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), !=, ann);
    g_assert_true (test_obj_is_null (welcome, "conversation"));
  }
  pair_clear (&pair);
}

/* A visitor with a long history goes in slices (more than DELETE_AT_ONCE, 2,000 messages, in
 * confab-api-data.c), the request waiting: the same 204, nothing left. */
static void
test_delete_long_history (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_VISITOR);
  g_autoptr(Visitor) chatty = new_visitor (world, "203.0.113.1", "Chatty", "https://a.test/");
  g_autoptr(Visitor) other = new_visitor (world, "203.0.113.2", "Other", "https://a.test/");
  g_autoptr(JsonObject) deleted = NULL;

  test_ws_ignore (world->agent, "visitor", "presence", "conversation", "message", NULL);
  test_visitor_say (chatty->ws, "the first of many", &chatty->conversation_id);
  test_visitor_say (other->ws, "just one", &other->conversation_id);
  test_relay_stop (world->relay);
  {
    g_autofree char *sql = g_strdup_printf (
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500) "
      "INSERT INTO events (site_id, kind, conversation_id, seq, created_at) "
      "SELECT '%s', 'message', ?1, 1 + i, 0 FROM n", world->site_id);

    db_exec (world, sql, chatty->conversation_id, NULL);
    db_exec (world, "INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                    "sender_type, sender_id, body, created_at) "
                    "SELECT conversation_id, seq, cursor, 'bulk' || seq, 'visitor', "
                    "?2, 'more words', 0 FROM events "
                    "WHERE conversation_id = ?1 AND kind = 'message' AND seq > 1",
             chatty->conversation_id, chatty->id);
  }
  test_relay_start (world->relay);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             chatty->conversation_id), ==, 4501);

  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "/api/v1/visitors/%s", chatty->id), ==, 204);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             chatty->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE conversation_id = ?1",
                             chatty->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM visitors WHERE id = ?1", chatty->id), ==, 0);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s", chatty->id), ==, 404);
  /* the other visitor keeps theirs */
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             other->conversation_id), ==, 1);
  {
    g_autoptr(TestWs) agent = test_ws_agent (world->relay, world->token);
    g_autoptr(GPtrArray) backlog = NULL;
    gboolean told = FALSE;

    test_agent_subscribe (agent, 0, &backlog);
    for (guint i = 0; i < backlog->len; i++)
      told |= g_strcmp0 (test_obj_string (g_ptr_array_index (backlog, i), "type"), "visitor_deleted") == 0;
    g_assert_true (told);
  }
}

/* --- retention --- */

/* Moves the conversation's times @days back: its messages, and its events when @events. */
static void
age_conversation (TestWorld  *world,
                  const char *conversation_id,
                  gint64      days,
                  gboolean    events)
{
  static const char * const statements[] = {
    "UPDATE conversations SET last_message_at = last_message_at - ?2, created_at = created_at - ?2 WHERE id = ?1",
    "UPDATE events SET created_at = created_at - ?2 WHERE conversation_id = ?1",
    "UPDATE messages SET created_at = created_at - ?2 WHERE conversation_id = ?1",
  };
  g_autofree char *ms = g_strdup_printf ("%" G_GINT64_FORMAT, days * DAY_MS);

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      if (!events && strstr (statements[i], "UPDATE events") != NULL)
        continue;
      db_exec (world, statements[i], conversation_id, ms);
    }
}

static void
set_status (TestWorld  *world,
            const char *conversation_id,
            const char *status)
{
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'%s'}",
                 conversation_id, status);
  test_ws_wait_for_match (world->agent, "conversation", "conversation.status", status, TEST_TIMEOUT_MS);
}

static void
test_retention (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_VISITOR);
  g_autoptr(Visitor) old_resolved = new_visitor (world, "203.0.113.1", "Old", "https://a.test/");
  g_autoptr(Visitor) old_open = new_visitor (world, "203.0.113.2", "Open", "https://a.test/");
  g_autoptr(Visitor) recent = new_visitor (world, "203.0.113.3", "New", "https://a.test/");
  g_autoptr(Visitor) late = new_visitor (world, "203.0.113.4", "Late", "https://a.test/");
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(JsonObject) audit = NULL;
  g_autofree char *picture = NULL;
  g_autofree char *file = NULL;
  gint64 deadline;
  JsonObject *entry;
  gboolean told = FALSE;

  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "timeline", "message", NULL);
  test_visitor_say (old_resolved->ws, "an old question", &old_resolved->conversation_id);
  picture = upload (world, old_resolved->token, RED_PNG);
  send_attachment (old_resolved, picture);
  test_visitor_say (old_open->ws, "an old open question", &old_open->conversation_id);
  test_visitor_say (recent->ws, "a new question", &recent->conversation_id);
  test_visitor_say (late->ws, "an old question resolved today", &late->conversation_id);
  set_status (world, old_resolved->conversation_id, "resolved");
  set_status (world, recent->conversation_id, "closed");
  set_status (world, late->conversation_id, "resolved");
  file = upload_file (world, picture);
  g_assert_true (upload_stored (world, file));

  /* the setting, within its bounds */
  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"settings\":{\"retention_days\":3651}}",
                               "/api/v1/sites/%s", world->site_id), ==, 400);
  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"settings\":{\"retention_days\":-1}}",
                               "/api/v1/sites/%s", world->site_id), ==, 400);
  g_assert_cmpuint (status_of (world, "PATCH", world->token, "{\"settings\":{\"retention_days\":30}}",
                               "/api/v1/sites/%s", world->site_id), ==, 200);

  /* Forty days pass (the test writes the old times into the stopped relay's database), but
   * the late one was resolved just now: its last message is old, its timeline event is not. */
  test_relay_stop (world->relay);
  {
    /* a long one: more messages than a purge step takes (CONFAB_RETENTION_BATCH, 200), so it
     * goes in slices, oldest first, then whole */
    g_autofree char *sql = g_strdup_printf (
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 450) "
      "INSERT INTO events (site_id, kind, conversation_id, seq, created_at) "
      "SELECT '%s', 'message', ?1, 100 + i, 0 FROM n", world->site_id);

    db_exec (world, sql, old_resolved->conversation_id, NULL);
    db_exec (world, "INSERT INTO messages (conversation_id, seq, cursor, client_id, "
                    "sender_type, sender_id, body, created_at) "
                    "SELECT conversation_id, seq, cursor, 'bulk' || seq, 'visitor', "
                    "'v', 'an old line', 0 FROM events "
                    "WHERE conversation_id = ?1 AND kind = 'message' AND seq > 100",
             old_resolved->conversation_id, NULL);
    age_conversation (world, old_resolved->conversation_id, 40, TRUE);
    age_conversation (world, old_open->conversation_id, 40, TRUE);
    age_conversation (world, late->conversation_id, 40, FALSE);
  }
  test_relay_start (world->relay);
  agent = test_ws_agent (world->relay, world->token);
  test_ws_ignore (agent, "presence", NULL);

  /* the purge at start takes the old resolved one, and only it */
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND * test_timeout_multiplier ();
  while (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s",
                    old_resolved->conversation_id) != 404)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s",
                               old_open->conversation_id), ==, 200);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s",
                               recent->conversation_id), ==, 200);
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/conversations/%s",
                               late->conversation_id), ==, 200);
  /* the visitor stays; their conversation, its messages and its picture go */
  g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "/api/v1/visitors/%s",
                               old_resolved->id), ==, 200);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM messages WHERE conversation_id = ?1",
                             old_resolved->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM events WHERE conversation_id = ?1",
                             old_resolved->conversation_id), ==, 0);
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM uploads WHERE id = ?1", picture), ==, 0);
  g_assert_false (upload_stored (world, file));

  /* agents are told; the audit log counts it */
  test_agent_subscribe (agent, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "conversations_purged") == 0)
        {
          g_assert_cmpuint (json_array_get_length (test_obj_array (frame, "conversation_ids")), ==, 1);
          g_assert_cmpstr (json_array_get_string_element (test_obj_array (frame, "conversation_ids"), 0), ==,
                           old_resolved->conversation_id);
          told = TRUE;
        }
    }
  g_assert_true (told);
  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);

    audit = get_object (world, world->token, p, 200);
    entry = find_entry (test_obj_array (audit, "entries"), "retention.purged");
    g_assert_nonnull (entry);
    g_assert_true (test_obj_is_null (entry, "actor"));
    g_assert_cmpint (test_obj_int (entry, "details.conversations"), ==, 1);
    g_assert_cmpint (test_obj_int (entry, "details.retention_days"), ==, 30);
  }
}

/* --- blocking --- */

static void
expect_refused (TestWs *ws)
{
  g_autoptr(JsonObject) error = test_ws_expect_error (ws, "blocked", TEST_TIMEOUT_MS);

  g_assert_cmpstr (test_obj_string (error, "message"), ==, "This chat is not available.");
  g_assert_cmpuint (test_ws_wait_closed (ws, TEST_TIMEOUT_MS), ==, 4011);
}

static void
test_block_visitor (void)
{
  g_autoptr(TestWorld) world = test_world_new (PROXY_CONFIG, TEST_WORLD_NO_VISITOR);
  g_autoptr(Visitor) spammer = new_visitor (world, "203.0.113.5", "Spammer", "https://a.test/");
  g_autoptr(Visitor) other = new_visitor (world, "203.0.113.6", "Other", "https://a.test/");
  g_autofree char *agent = agent_token (world, "agent@a.test", "agent");
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s/block", spammer->id);
  g_autofree char *list_path = g_strdup_printf ("/api/v1/sites/%s/blocks", world->site_id);
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) audit = NULL;
  JsonObject *block;

  /* bad input, refused roles: nothing blocked */
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", path, world->token, "{\"reason\":5}", NULL);
    g_assert_cmpuint (r->status, ==, 400);
  }
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", path, world->token, "{\"why\":\"x\"}", NULL);
    test_assert_http_error (r, 400, "invalid_field");
  }
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", path, agent, "{}", NULL);
    test_assert_http_error (r, 403, "forbidden");
  }
  test_ws_expect_none (spammer->ws, "error", TEST_QUIET_MS);

  {
    g_autoptr(TestResponse) r = test_http (world->relay, "POST", path, world->token,
                                           "{\"reason\":\"Spam links\"}", NULL);
    test_assert_http_status (r, 200);
    block = test_response_object (r);
    g_assert_cmpstr (test_obj_string (block, "visitor_id"), ==, spammer->id);
    g_assert_cmpstr (test_obj_string (block, "name"), ==, "Spammer");
    g_assert_cmpstr (test_obj_string (block, "reason"), ==, "Spam links");
    g_assert_cmpstr (test_obj_string (block, "blocked_by.id"), ==, world->user_id);
    g_assert_cmpstr (test_obj_string (block, "blocked_by.name"), ==, "Owner a");
    g_assert_true (test_obj_has (block, "blocked_at"));
  }
  /* the open tab is told politely and closed; the other visitor is not */
  expect_refused (spammer->ws);
  /* nor does the visitor's token upload any more */
  {
    gsize size = 0;
    g_autofree guchar *png = g_base64_decode (RED_PNG, &size);
    g_autoptr(GBytes) bytes = g_bytes_new (png, size);
    g_autoptr(TestResponse) r = test_http_bytes (world->relay, "POST", "/api/v1/uploads", spammer->token,
                                                 bytes, "image/png", NULL);
    test_assert_http_error (r, 403, "blocked");
    g_clear_pointer (&r, test_response_free);
    r = test_http_bytes (world->relay, "POST", "/api/v1/uploads", other->token, bytes, "image/png", NULL);
    test_assert_http_status (r, 201);
  }
  test_ws_expect_none (other->ws, "error", TEST_QUIET_MS);
  g_assert_true (test_ws_is_open (other->ws));

  /* coming back: by id and token from anywhere, by address with storage cleared */
  {
    g_autoptr(TestWs) again = widget_from (world, "203.0.113.5");
    g_assert_null (hello (again, spammer->id, spammer->token, NULL, "https://a.test/"));
    g_assert_cmpuint (test_ws_wait_closed (again, TEST_TIMEOUT_MS), ==, 4011);
  }
  {
    g_autoptr(TestWs) elsewhere = widget_from (world, "198.51.100.9");
    g_assert_null (hello (elsewhere, spammer->id, spammer->token, NULL, "https://a.test/"));
    g_assert_cmpuint (test_ws_wait_closed (elsewhere, TEST_TIMEOUT_MS), ==, 4011);
  }
  {
    g_autoptr(TestWs) cleared = widget_from (world, "203.0.113.5");
    g_assert_null (hello (cleared, NULL, NULL, NULL, "https://a.test/"));
    g_assert_cmpuint (test_ws_wait_closed (cleared, TEST_TIMEOUT_MS), ==, 4011);
  }
  /* and nobody new was stored for those attempts */
  g_assert_cmpint (db_count (world, "SELECT count(*) FROM visitors WHERE site_id = ?1", world->site_id), ==, 2);
  /* a visitor from another address is served */
  {
    g_autoptr(Visitor) fresh = new_visitor (world, "203.0.113.7", NULL, "https://a.test/");
    g_assert_nonnull (fresh->id);
  }

  /* listed for admins, not for agents */
  list = get_object (world, world->token, list_path, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "blocks")), ==, 1);
  block = json_array_get_object_element (test_obj_array (list, "blocks"), 0);
  g_assert_cmpstr (test_obj_string (block, "visitor_id"), ==, spammer->id);
  g_assert_cmpstr (test_obj_string (block, "email"), ==, "Spammer@example.test");
  g_assert_cmpstr (test_obj_string (block, "reason"), ==, "Spam links");
  g_assert_cmpuint (status_of (world, "GET", agent, NULL, "%s", list_path), ==, 403);

  /* unblocked: welcome again, with the same identity */
  g_assert_cmpuint (status_of (world, "DELETE", agent, NULL, "%s", path), ==, 403);
  g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "%s", path), ==, 204);
  {
    g_autoptr(TestWs) back = widget_from (world, "203.0.113.5");
    g_autoptr(JsonObject) welcome = hello (back, spammer->id, spammer->token, NULL, "https://a.test/");

    g_assert_nonnull (welcome);
    g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, spammer->id);
  }
  {
    g_autoptr(TestResponse) r = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    test_assert_http_error (r, 404, "not_found");
  }
  g_clear_pointer (&list, json_object_unref);
  list = get_object (world, world->token, list_path, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (list, "blocks")), ==, 0);

  {
    g_autofree char *p = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
    JsonArray *entries;

    audit = get_object (world, world->token, p, 200);
    entries = test_obj_array (audit, "entries");
    g_assert_nonnull (find_entry (entries, "visitor.unblocked"));
    g_assert_cmpstr (test_obj_string (find_entry (entries, "visitor.blocked"), "details.reason"), ==, "Spam links");
    g_assert_cmpstr (test_obj_string (find_entry (entries, "visitor.blocked"), "target.id"), ==, spammer->id);
  }

  /* a blocked visitor whose data is deleted stays blocked, by address, until it is lifted */
  {
    g_autoptr(Visitor) gone = new_visitor (world, "203.0.113.8", "Gone", "https://a.test/");
    g_autofree char *gone_path = g_strdup_printf ("/api/v1/visitors/%s/block", gone->id);

    g_assert_cmpuint (status_of (world, "POST", world->token, NULL, "%s", gone_path), ==, 200);
    expect_refused (gone->ws);
    g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "/api/v1/visitors/%s", gone->id), ==, 204);
    g_clear_pointer (&list, json_object_unref);
    list = get_object (world, world->token, list_path, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (list, "blocks")), ==, 1);
    block = json_array_get_object_element (test_obj_array (list, "blocks"), 0);
    g_assert_cmpstr (test_obj_string (block, "visitor_id"), ==, gone->id);
    g_assert_true (test_obj_is_null (block, "name"));
    {
      g_autoptr(TestWs) back = widget_from (world, "203.0.113.8");
      g_assert_null (hello (back, NULL, NULL, NULL, "https://a.test/"));
    }
    g_assert_cmpuint (status_of (world, "DELETE", agent, NULL, "%s", gone_path), ==, 403);
    g_assert_cmpuint (status_of (world, "GET", world->token, NULL, "%s", gone_path), ==, 405);
    g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "%s", gone_path), ==, 204);
    g_assert_cmpuint (status_of (world, "DELETE", world->token, NULL, "%s", gone_path), ==, 404);
    {
      g_autoptr(TestWs) back = widget_from (world, "203.0.113.8");
      g_autoptr(JsonObject) welcome = hello (back, NULL, NULL, NULL, "https://a.test/");
      g_assert_nonnull (welcome);
    }
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/data/audit", test_audit_log);
  test_harness_add ("/relay/data/visitor-search", test_visitor_search);
  test_harness_add ("/relay/data/export-only-that-visitor", test_export_only_that_visitor);
  test_harness_add ("/relay/data/delete-visitor", test_delete_visitor);
  test_harness_add ("/relay/data/delete-long-history", test_delete_long_history);
  test_harness_add ("/relay/data/retention", test_retention);
  test_harness_add ("/relay/data/block", test_block_visitor);

  return g_test_run ();
}
