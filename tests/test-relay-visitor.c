/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-visitor.c: what agents learn about a visitor — location, device, journey, visits,
 * recognition by fingerprint — and what a visitor must never learn through it */

#include "relay-harness.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <string.h>

#define SAFARI_IPHONE "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " \
                      "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
#define CHROME_WINDOWS "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " \
                       "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

static const char trusted_proxy[] = "[relay]\ntrusted-proxies=127.0.0.1\n";

/* Sends hello; NULL fields are sent as null (user_agent and fingerprint are then left out). */
static JsonObject *
hello (TestWs     *ws,
       const char *visitor_id,
       const char *visitor_token,
       const char *url,
       const char *user_agent,
       const char *fingerprint)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "hello");
  json_builder_set_member_name (builder, "visitor_id");
  visitor_id ? json_builder_add_string_value (builder, visitor_id) : json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "visitor_token");
  visitor_token ? json_builder_add_string_value (builder, visitor_token) : json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, "Landing");
  json_builder_end_object (builder);
  if (user_agent != NULL)
    {
      json_builder_set_member_name (builder, "user_agent");
      json_builder_add_string_value (builder, user_agent);
    }
  if (fingerprint != NULL)
    {
      json_builder_set_member_name (builder, "fingerprint");
      json_builder_add_string_value (builder, fingerprint);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  test_ws_send (ws, text);
  return test_ws_wait_for (ws, "welcome", TEST_TIMEOUT_MS);
}

/* The agent's next `visitor` event about @visitor_id (new reference). */
static JsonObject *
visitor_event (TestWorld  *world,
               const char *visitor_id)
{
  JsonObject *frame = test_ws_wait_for_match (world->agent, "visitor", "visitor.id", visitor_id,
                                              TEST_TIMEOUT_MS);
  JsonObject *visitor = test_obj_object (frame, "visitor");

  json_object_ref (visitor);
  json_object_unref (frame);
  return visitor;
}

/* A new visitor whose upgrade carried @xff as X-Forwarded-For (NULL: none); returns what the
 * agent is told on arrival. */
static JsonObject *
arrive_from (TestWorld  *world,
             const char *xff,
             TestWs    **out_ws)
{
  const char *headers[] = { "X-Forwarded-For", xff, NULL };
  guint status = 0;
  TestWs *ws = test_ws_try_widget_with_headers (world->relay, world->site_key,
                                                xff ? headers : NULL, &status);
  g_autoptr(JsonObject) welcome = NULL;
  JsonObject *visitor;

  g_assert_nonnull (ws);
  welcome = hello (ws, NULL, NULL, "https://a.test/", NULL, NULL);
  visitor = visitor_event (world, test_obj_string (welcome, "visitor_id"));
  if (out_ws != NULL)
    *out_ws = ws;
  else
    test_ws_free (ws);
  return visitor;
}

static gboolean
geo_unknown (JsonObject *visitor)
{
  return test_obj_is_null (visitor, "geo.country") && test_obj_is_null (visitor, "geo.city") &&
         test_obj_is_null (visitor, "geo.country_name") && test_obj_is_null (visitor, "geo.timezone");
}

/* The ip_hash the relay stored for @visitor_id, read from its database as an operator would. */
static char *
stored_ip_hash (TestWorld  *world,
                const char *visitor_id)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *hash = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT ip_hash FROM visitors WHERE id = ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, visitor_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return hash;
}

/* The GDPR rule: never the address, a keyed hash of it for abuse handling, stable across
 * restarts (the key is kept, readable by the relay's user only) and different per address. */
static void
test_ip_hash (void)
{
  g_autoptr(TestWorld) world = test_world_new (trusted_proxy, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) first = arrive_from (world, "8.8.8.8", NULL);
  g_autoptr(JsonObject) other = arrive_from (world, "193.99.144.80", NULL);
  g_autoptr(JsonObject) again = NULL;
  g_autofree char *first_hash = NULL, *other_hash = NULL, *again_hash = NULL;
  g_autofree char *key_path = g_build_filename (test_relay_data_dir (world->relay), "ip-hash-key", NULL);
  g_autofree char *db_path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  g_autofree char *db = NULL;
  gsize db_len = 0;
  GStatBuf st;

  test_relay_stop (world->relay);
  first_hash = stored_ip_hash (world, test_obj_string (first, "id"));
  other_hash = stored_ip_hash (world, test_obj_string (other, "id"));
  g_assert_nonnull (first_hash);
  g_assert_nonnull (other_hash);
  g_assert_cmpuint (strlen (first_hash), ==, 64);
  g_assert_cmpstr (first_hash, !=, other_hash);

  /* the key is private to the relay's user */
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* and the address itself is nowhere in the database (WAL checkpointed at the clean stop) */
  g_assert_true (g_file_get_contents (db_path, &db, &db_len, NULL));
  g_assert_null (g_strstr_len (db, db_len, "8.8.8.8"));
  g_assert_null (g_strstr_len (db, db_len, "193.99.144.80"));

  /* after a restart the same address hashes the same */
  test_relay_start (world->relay);
  {
    const char *headers[] = { "X-Forwarded-For", "8.8.8.8", NULL };
    guint status = 0;
    g_autoptr(TestWs) ws = test_ws_try_widget_with_headers (world->relay, world->site_key,
                                                            headers, &status);

    g_assert_nonnull (ws);
    again = hello (ws, NULL, NULL, "https://a.test/", NULL, NULL);
    test_ws_close (ws);
  }
  test_relay_stop (world->relay);
  again_hash = stored_ip_hash (world, test_obj_string (again, "visitor_id"));
  g_assert_cmpstr (again_hash, ==, first_hash);
}

/* --- geo --- */

static void
test_geo_forwarded (void)
{
  g_autoptr(TestWorld) world = test_world_new (trusted_proxy, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) google = arrive_from (world, "8.8.8.8", NULL);
  g_autoptr(JsonObject) heise = NULL;
  g_autoptr(JsonObject) chain = NULL;
  g_autoptr(JsonObject) v6 = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpstr (test_obj_string (google, "geo.country"), ==, "US");
  g_assert_nonnull (test_obj_string (google, "geo.city"));

  /* heise.de's address: Hanover, Germany, in DB-IP Lite */
  heise = arrive_from (world, "193.99.144.80", NULL);
  g_assert_cmpstr (test_obj_string (heise, "geo.country"), ==, "DE");

  /* a client-made hop before the real one is not believed: the right-most untrusted hop is */
  chain = arrive_from (world, "8.8.8.8, 193.99.144.80", NULL);
  g_assert_cmpstr (test_obj_string (chain, "geo.country"), ==, "DE");

  v6 = arrive_from (world, "2a00:1450:4001:80b::200e", NULL);
  g_assert_cmpstr (test_obj_string (v6, "geo.country"), ==, "DE");

  /* the address is used, never written down */
  err = test_relay_get_stderr (world->relay);
  g_assert_null (strstr (err, "8.8.8.8"));
  g_assert_null (strstr (err, "193.99.144.80"));
}

static void
test_geo_private (void)
{
  g_autoptr(TestWorld) world = test_world_new (trusted_proxy, TEST_WORLD_DEFAULT);
  static const char * const private[] = {
    "10.1.2.3", "192.168.1.20", "172.16.5.4", "100.64.0.9", "169.254.3.3", "fd00::1", "::1",
  };
  g_autofree char *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (private); i++)
    {
      g_autoptr(JsonObject) visitor = arrive_from (world, private[i], NULL);

      g_test_message ("X-Forwarded-For: %s", private[i]);
      g_assert_true (geo_unknown (visitor));
    }

  /* loopback without any header */
  {
    g_autoptr(JsonObject) visitor = arrive_from (world, NULL, NULL);
    g_assert_true (geo_unknown (visitor));
  }

  /* unknown is no error: nothing was logged for any of them */
  err = test_relay_get_stderr (world->relay);
  g_assert_null (strstr (err, "WARNING"));
  g_assert_null (strstr (err, "CRITICAL"));
}

static void
test_geo_untrusted_forwarded (void)
{
  /* no trusted proxies: the header is anyone's to write and is ignored */
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) visitor = arrive_from (world, "8.8.8.8", NULL);

  g_assert_true (geo_unknown (visitor));
}

static void
test_geo_bad_database (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-geo-test-XXXXXX", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "corrupt.mmdb", NULL);
  const char *cases[] = { "missing.mmdb", "corrupt.mmdb" };

  g_assert_true (g_file_set_contents (corrupt, "\x89PNG not a database at all", -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (dir, cases[i], NULL);
      g_autofree char *config = g_strdup_printf ("%s[geo]\ndatabase=%s\n", trusted_proxy, path);
      g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
      g_autoptr(JsonObject) visitor = arrive_from (world, "8.8.8.8", NULL);
      g_autofree char *err = test_relay_get_stderr (world->relay);
      const char *line = strstr (err, "Geolocation is off");

      g_test_message ("%s", cases[i]);
      g_assert_true (geo_unknown (visitor));
      /* one clear line, naming the file; not one per visitor */
      g_assert_nonnull (line);
      g_assert_null (strstr (line + 1, "Geolocation is off"));
      g_assert_nonnull (strstr (line, path));
    }

  g_unlink (corrupt);
  g_rmdir (dir);
}

/* --- device --- */

static void
test_device (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  const char *headers[] = { "User-Agent", CHROME_WINDOWS, NULL };
  g_autoptr(TestWs) iphone = test_ws_widget (world->relay, world->site_key);
  g_autoptr(TestWs) windows = NULL;
  g_autoptr(JsonObject) welcome = hello (iphone, NULL, NULL, "https://a.test/", SAFARI_IPHONE, NULL);
  g_autoptr(JsonObject) seen = visitor_event (world, test_obj_string (welcome, "visitor_id"));
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) seen2 = NULL;

  g_assert_cmpstr (test_obj_string (seen, "device.browser"), ==, "Safari");
  g_assert_cmpstr (test_obj_string (seen, "device.browser_version"), ==, "17");
  g_assert_cmpstr (test_obj_string (seen, "device.os"), ==, "iOS");
  g_assert_cmpstr (test_obj_string (seen, "device.os_version"), ==, "17.5");
  g_assert_cmpstr (test_obj_string (seen, "device.type"), ==, "mobile");

  /* no user_agent in hello: the upgrade's header says it */
  windows = test_ws_try_widget_with_headers (world->relay, world->site_key, headers, NULL);
  g_assert_nonnull (windows);
  welcome2 = hello (windows, NULL, NULL, "https://a.test/", NULL, NULL);
  seen2 = visitor_event (world, test_obj_string (welcome2, "visitor_id"));
  g_assert_cmpstr (test_obj_string (seen2, "device.browser"), ==, "Chrome");
  g_assert_cmpstr (test_obj_string (seen2, "device.os"), ==, "Windows");
  g_assert_cmpstr (test_obj_string (seen2, "device.type"), ==, "desktop");
}

/* --- journey and visits --- */

static void
test_journey (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  /* how long the visitor stays on each page before the next, in ms */
  static const guint stays[] = { 1100, 100, 2100, 100, 100, 100 };
  g_autoptr(JsonObject) last = NULL;
  g_autofree char *path = NULL;
  g_autoptr(TestResponse) response = NULL;
  JsonArray *journey;
  guint n;

  for (guint i = 0; i < G_N_ELEMENTS (stays); i++)
    {
      test_sleep_ms (stays[i]);
      test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://a.test/p%u','title':'Page %u'}",
                     i + 1, i + 1);
      g_clear_pointer (&last, json_object_unref);
      last = visitor_event (world, world->visitor_id);
    }

  /* the landing page of hello, then p1..p6; the last one is where they are now */
  journey = test_obj_array (last, "journey");
  n = json_array_get_length (journey);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (stays) + 1);
  g_assert_cmpstr (test_obj_string (last, "page.url"), ==, "https://a.test/p6");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *page = json_array_get_object_element (journey, i);
      g_autofree char *url = i == 0 ? g_strdup ("https://a.test/") : g_strdup_printf ("https://a.test/p%u", i);

      g_assert_cmpstr (test_obj_string (page, "url"), ==, url);
      g_assert_nonnull (test_obj_string (page, "at"));
      if (i + 1 < n)
        /* time spent on page i is the stay before page i + 1 */
        g_assert_cmpint (test_obj_int (page, "seconds"), >=, stays[i] / 1000);
      if (i > 0)
        g_assert_cmpint (strcmp (test_obj_string (json_array_get_object_element (journey, i - 1), "at"),
                                 test_obj_string (page, "at")), <=, 0);
    }
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (journey, 1), "title"), ==, "Page 1");
  g_assert_cmpint (test_obj_int (json_array_get_object_element (journey, 1), "seconds"), <, 3);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (journey, 2), "seconds"), >=, 2);

  /* the REST view says the same */
  path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (response), "journey")),
                    ==, n);
  g_assert_true (test_obj_bool (test_response_object (response), "online"));
}

/* A conversation's visitor is online while a tab is open, and not after they left. */
static void
test_conversation_visitor_online (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestResponse) here = NULL;
  g_autoptr(TestResponse) gone = NULL;
  g_autoptr(JsonObject) departure = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;

  test_visitor_say (world->visitor, "Is this in stock?", &conversation_id);
  path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  here = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (here, 200);
  g_assert_true (test_obj_bool (test_response_object (here), "visitor.online"));

  test_ws_close (world->visitor);
  g_clear_pointer (&world->visitor, test_ws_free);
  departure = visitor_event (world, world->visitor_id);
  g_assert_false (test_obj_bool (departure, "online"));
  gone = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (gone, 200);
  g_assert_false (test_obj_bool (test_response_object (gone), "visitor.online"));
}

/* Leaves and comes back with its id and token; returns the agent's arrival event. */
static JsonObject *
come_back (TestWorld *world)
{
  g_autoptr(JsonObject) gone = NULL;
  g_autoptr(JsonObject) welcome = NULL;

  test_ws_close (world->visitor);
  g_clear_pointer (&world->visitor, test_ws_free);
  gone = visitor_event (world, world->visitor_id);
  g_assert_false (test_obj_bool (gone, "online"));

  test_sleep_ms (20);
  world->visitor = test_ws_widget (world->relay, world->site_key);
  welcome = hello (world->visitor, world->visitor_id, world->visitor_token, "https://a.test/back",
                   NULL, NULL);
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, world->visitor_id);
  return visitor_event (world, world->visitor_id);
}

static void
test_visit_count (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[visitors]\nnew-visit-after-minutes=0\n",
                                               TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) second = come_back (world);
  g_autoptr(JsonObject) third = NULL;
  g_autoptr(TestWs) tab = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) tab_event = NULL;

  g_assert_cmpint (test_obj_int (second, "visits"), ==, 2);
  third = come_back (world);
  g_assert_cmpint (test_obj_int (third, "visits"), ==, 3);

  /* a second tab while the first is open is the same visit */
  tab = test_ws_widget (world->relay, world->site_key);
  welcome = hello (tab, world->visitor_id, world->visitor_token, "https://a.test/tab", NULL, NULL);
  tab_event = visitor_event (world, world->visitor_id);
  g_assert_cmpint (test_obj_int (tab_event, "visits"), ==, 3);
}

static void
test_visit_count_default (void)
{
  /* the default 30 minutes: a quick return is the same visit */
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) again = come_back (world);

  g_assert_cmpint (test_obj_int (again, "visits"), ==, 1);
}

/* --- fingerprint --- */

static void
set_fingerprint (TestRelay  *relay,
                 const char *token,
                 const char *site_id,
                 gboolean    on)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":{\"fingerprint\":%s}}", on ? "true" : "false");
  g_autoptr(TestResponse) response = test_http (relay, "PATCH", path, token, body, NULL);

  test_assert_http_status (response, 200);
}

static void
test_fingerprint_relink (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT | TEST_WORLD_NO_VISITOR);
  g_autoptr(TestWs) first = NULL;
  g_autoptr(TestWs) cleared = NULL;
  g_autoptr(TestWs) back = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) relinked = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonObject) synced = NULL;
  g_autoptr(JsonObject) back_welcome = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *first_token = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *new_conversation = NULL;
  g_autofree char *path = NULL;
  GPtrArray *log;
  JsonArray *list;

  set_fingerprint (world->relay, world->token, world->site_id, TRUE);

  first = test_ws_widget (world->relay, world->site_key);
  welcome = hello (first, NULL, NULL, "https://a.test/first", NULL, "fp-0123456789abcdef");
  first_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  first_token = g_strdup (test_obj_string (welcome, "visitor_token"));
  g_clear_pointer (&welcome, json_object_unref);
  json_object_unref (visitor_event (world, first_id));
  test_visitor_say (first, "My order 4242 never came, I am Jane Secret", &conversation);
  test_agent_say (world->agent, conversation, "Sorry Jane, order 4242 ships tomorrow");
  json_object_unref (test_ws_wait_for (first, "message", TEST_TIMEOUT_MS));

  /* Same browser, storage cleared: same fingerprint, no id. */
  cleared = test_ws_widget (world->relay, world->site_key);
  relinked = hello (cleared, NULL, NULL, "https://a.test/again", NULL, "fp-0123456789abcdef");

  /* the visitor side: a fresh visitor, with nothing of the first one */
  g_assert_cmpstr (test_obj_string (relinked, "visitor_id"), !=, first_id);
  g_assert_cmpstr (test_obj_string (relinked, "visitor_token"), !=, first_token);
  g_assert_true (test_obj_is_null (relinked, "conversation"));
  test_ws_send (cleared, "{\"type\":\"resume\",\"after_seq\":0}");
  synced = test_ws_wait_for (cleared, "synced", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (synced, "seq"), ==, 0);

  /* the agent side: recognised */
  seen = visitor_event (world, test_obj_string (relinked, "visitor_id"));
  g_assert_cmpstr (test_obj_string (seen, "linked_to"), ==, first_id);
  g_assert_cmpint (test_obj_int (seen, "visits"), ==, 2);
  g_assert_cmpuint (json_array_get_length (test_obj_array (seen, "journey")), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (test_obj_array (seen, "journey"), 0), "url"),
                   ==, "https://a.test/first");
  g_assert_true (test_obj_is_null (seen, "name"));

  /* the first visitor's live conversation goes on without the newcomer */
  test_agent_say (world->agent, conversation, "Jane, your tracking number is TRK-777");
  json_object_unref (test_ws_wait_for (first, "message", TEST_TIMEOUT_MS));
  test_ws_expect_none (cleared, "message", TEST_QUIET_MS);

  /* the newcomer's own message opens a new conversation */
  test_visitor_say (cleared, "Hello again", &new_conversation);
  g_assert_cmpstr (new_conversation, !=, conversation);

  /* nothing of the first visitor ever reached the newcomer's socket */
  log = test_ws_log (cleared);
  for (guint i = 0; i < log->len; i++)
    {
      const char *text = g_ptr_array_index (log, i);

      g_assert_null (strstr (text, "4242"));
      g_assert_null (strstr (text, "Jane"));
      g_assert_null (strstr (text, "TRK-777"));
      g_assert_null (strstr (text, first_id));
      g_assert_null (strstr (text, conversation));
    }

  /* the first visitor's token still works and still finds their own conversation */
  test_ws_close (first);
  back = test_ws_widget (world->relay, world->site_key);
  back_welcome = hello (back, first_id, first_token, "https://a.test/first", NULL, "fp-0123456789abcdef");
  g_assert_cmpstr (test_obj_string (back_welcome, "visitor_id"), ==, first_id);
  g_assert_cmpstr (test_obj_string (back_welcome, "conversation.id"), ==, conversation);

  /* the agent's REST view of the newcomer lists both conversations, newest first */
  path = g_strdup_printf ("/api/v1/visitors/%s", test_obj_string (relinked, "visitor_id"));
  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  list = test_obj_array (test_response_object (response), "conversations");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 0), "id"), ==, new_conversation);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (list, 1), "id"), ==, conversation);
}

static void
test_fingerprint_off (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT | TEST_WORLD_NO_VISITOR);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autoptr(TestWs) first = test_ws_widget (world->relay, world->site_key);
  g_autoptr(TestWs) second = NULL;
  g_autoptr(TestWs) other_site = NULL;
  g_autoptr(TestWs) with_id = NULL;
  g_autoptr(JsonObject) welcome = hello (first, NULL, NULL, "https://a.test/", NULL, "fp-same");
  g_autoptr(JsonObject) welcome2 = NULL;
  g_autoptr(JsonObject) welcome3 = NULL;
  g_autoptr(JsonObject) welcome4 = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonObject) seen4 = NULL;

  /* off (the default): the same fingerprint is somebody new */
  json_object_unref (visitor_event (world, test_obj_string (welcome, "visitor_id")));
  second = test_ws_widget (world->relay, world->site_key);
  welcome2 = hello (second, NULL, NULL, "https://a.test/", NULL, "fp-same");
  seen = visitor_event (world, test_obj_string (welcome2, "visitor_id"));
  g_assert_true (test_obj_is_null (seen, "linked_to"));
  g_assert_cmpint (test_obj_int (seen, "visits"), ==, 1);

  /* on for site A: a visitor of site B with the same fingerprint is not A's visitor */
  set_fingerprint (world->relay, world->token, world->site_id, TRUE);
  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  set_fingerprint (world->relay, b_token, b_site, TRUE);
  {
    g_autoptr(TestWs) b_agent = test_ws_agent (world->relay, b_token);
    g_autoptr(JsonObject) b_seen = NULL;
    g_autofree char *b_visitor = NULL;

    test_agent_subscribe (b_agent, 0, NULL);
    other_site = test_ws_widget (world->relay, b_key);
    welcome3 = hello (other_site, NULL, NULL, "https://b.test/", NULL, "fp-same");
    b_visitor = g_strdup (test_obj_string (welcome3, "visitor_id"));
    b_seen = test_ws_wait_for_match (b_agent, "visitor", "visitor.id", b_visitor, TEST_TIMEOUT_MS);
    g_assert_true (test_obj_is_null (b_seen, "visitor.linked_to"));
    g_assert_cmpint (test_obj_int (b_seen, "visitor.visits"), ==, 1);
  }

  /* only a hello without an id is looked up: a wrong id + token starts afresh, unlinked */
  with_id = test_ws_widget (world->relay, world->site_key);
  welcome4 = hello (with_id, "vis_unknown", "not-a-token", "https://a.test/", NULL, "fp-same");
  seen4 = visitor_event (world, test_obj_string (welcome4, "visitor_id"));
  g_assert_true (test_obj_is_null (seen4, "linked_to"));
}

/* --- GET /api/v1/visitors/{id} --- */

static void
test_visitor_api (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  g_autofree char *sub = g_strdup_printf ("/api/v1/visitors/%s/extra", world->visitor_id);
  g_autoptr(TestResponse) mine = NULL;
  g_autoptr(TestResponse) foreign = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) visitor_token = NULL;
  g_autoptr(TestResponse) post = NULL;
  g_autoptr(TestResponse) foreign_post = NULL;
  g_autoptr(TestResponse) deeper = NULL;
  JsonObject *object;
  JsonObject *first;

  test_visitor_say (world->visitor, "Hi", &conversation);
  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);

  mine = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (mine, 200);
  object = test_response_object (mine);
  g_assert_cmpstr (test_obj_string (object, "id"), ==, world->visitor_id);
  g_assert_cmpstr (test_obj_string (object, "site_id"), ==, world->site_id);
  g_assert_cmpint (test_obj_int (object, "visits"), ==, 1);
  g_assert_true (test_obj_has (object, "geo"));
  g_assert_cmpstr (test_obj_string (object, "device.browser"), ==, "Firefox");
  g_assert_cmpuint (json_array_get_length (test_obj_array (object, "conversations")), ==, 1);
  first = json_array_get_object_element (test_obj_array (object, "conversations"), 0);
  g_assert_cmpstr (test_obj_string (first, "id"), ==, conversation);
  g_assert_cmpstr (test_obj_string (first, "status"), ==, "open");
  g_assert_nonnull (test_obj_string (first, "created_at"));
  g_assert_nonnull (test_obj_string (first, "last_message_at"));
  /* nothing secret about the visitor goes out */
  g_assert_false (test_obj_has (object, "token_hash"));
  g_assert_false (test_obj_has (object, "fingerprint"));

  /* another site's owner: the same 404 as for an id that does not exist */
  foreign = test_http (world->relay, "GET", path, b_token, NULL, NULL);
  test_assert_http_error (foreign, 404, "not_found");
  unknown = test_http (world->relay, "GET", "/api/v1/visitors/vis_nobody", world->token, NULL, NULL);
  test_assert_http_error (unknown, 404, "not_found");
  foreign_post = test_http (world->relay, "POST", path, b_token, "{}", NULL);
  test_assert_http_error (foreign_post, 404, "not_found");
  deeper = test_http (world->relay, "GET", sub, world->token, NULL, NULL);
  test_assert_http_error (deeper, 404, "not_found");

  anonymous = test_http (world->relay, "GET", path, NULL, NULL, NULL);
  test_assert_http_error (anonymous, 401, NULL);
  visitor_token = test_http (world->relay, "GET", path, world->visitor_token, NULL, NULL);
  test_assert_http_error (visitor_token, 401, NULL);
  post = test_http (world->relay, "POST", path, world->token, "{}", NULL);
  test_assert_http_error (post, 405, "method_not_allowed");
}

/* --- the event log's visitor events (issue 8, item 4) --- */

#define LONG_PAGES      12
#define LONG_PAD_CHARS  1500

/* The "visitor" events the relay logged for @visitor_id: how many, and the longest payload. */
static guint
logged_visitor_events (TestWorld  *world,
                       const char *visitor_id,
                       gint64     *out_longest)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint count = 0;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*), coalesce(max(length(payload)), 0) "
                                       "FROM events WHERE kind = 'visitor' AND payload LIKE ?1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  {
    g_autofree char *like = g_strdup_printf ("%%\"%s\"%%", visitor_id);
    sqlite3_bind_text (stmt, 1, like, -1, SQLITE_TRANSIENT);
  }
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int (stmt, 0);
  *out_longest = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* Page after page, the log holds one small event for the visitor (not a snapshot per page),
 * and an agent subscribing later gets the visitor once, in full, as they are now. */
static void
test_visitor_events_logged (void)
{
  /* every change at once: one event per page view, as before coalescing */
  g_autoptr(TestWorld) world = test_world_new ("[visitors]\nupdate-interval-ms=0\n",
                                               TEST_WORLD_DEFAULT);
  g_autofree char *pad = g_strnfill (LONG_PAD_CHARS, 'y');
  g_autofree char *last_url = NULL;
  g_autoptr(GPtrArray) backlog = NULL;
  g_autoptr(TestWs) late = NULL;
  JsonObject *replayed = NULL;
  JsonArray *journey;
  gint64 longest = 0;
  guint logged;

  for (guint i = 1; i <= LONG_PAGES; i++)
    {
      g_autoptr(JsonObject) seen = NULL;

      g_free (last_url);
      last_url = g_strdup_printf ("https://a.test/long/%u/%s", i, pad);
      test_ws_sendf (world->visitor, "{'type':'page_view','url':'%s','title':'Long %u'}", last_url, i);
      seen = visitor_event (world, world->visitor_id);
      g_assert_cmpstr (test_obj_string (seen, "page.url"), ==, last_url);
      /* the landing page of hello, then these, ten at most */
      g_assert_cmpuint (json_array_get_length (test_obj_array (seen, "journey")), ==, MIN (i + 1, 10));
    }

  logged = logged_visitor_events (world, world->visitor_id, &longest);
  g_test_message ("%u pages of %u characters: %u visitor event(s) logged, the longest %"
                  G_GINT64_FORMAT " bytes", LONG_PAGES, LONG_PAD_CHARS, logged, longest);
  g_assert_cmpuint (logged, ==, 1);
  g_assert_cmpint (longest, <, 256);

  late = test_ws_agent (world->relay, world->token);
  test_ws_set_name (late, "late agent");
  test_agent_subscribe (late, 0, &backlog);
  for (guint i = 0; i < backlog->len; i++)
    {
      JsonObject *frame = g_ptr_array_index (backlog, i);

      if (g_strcmp0 (test_obj_string (frame, "type"), "visitor") != 0)
        continue;
      g_assert_null (replayed);
      replayed = frame;
    }
  g_assert_nonnull (replayed);
  g_assert_cmpstr (test_obj_string (replayed, "visitor.id"), ==, world->visitor_id);
  g_assert_true (test_obj_bool (replayed, "visitor.online"));
  g_assert_cmpstr (test_obj_string (replayed, "visitor.page.url"), ==, last_url);
  g_assert_cmpstr (test_obj_string (replayed, "visitor.page.title"), ==, "Long 12");
  g_assert_cmpint (test_obj_int (replayed, "cursor"), >, 0);
  journey = test_obj_array (replayed, "visitor.journey");
  g_assert_cmpuint (json_array_get_length (journey), ==, 10);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (journey, 9), "url"), ==, last_url);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/visitor/geo-forwarded", test_geo_forwarded);
  test_harness_add ("/relay/visitor/geo-private", test_geo_private);
  test_harness_add ("/relay/visitor/geo-untrusted-forwarded", test_geo_untrusted_forwarded);
  test_harness_add ("/relay/visitor/geo-bad-database", test_geo_bad_database);
  test_harness_add ("/relay/visitor/device", test_device);
  test_harness_add ("/relay/visitor/journey", test_journey);
  test_harness_add ("/relay/visitor/visit-count", test_visit_count);
  test_harness_add ("/relay/visitor/visit-count-default", test_visit_count_default);
  test_harness_add ("/relay/visitor/fingerprint-relink", test_fingerprint_relink);
  test_harness_add ("/relay/visitor/fingerprint-off", test_fingerprint_off);
  test_harness_add ("/relay/visitor/api", test_visitor_api);
  test_harness_add ("/relay/visitor/ip-hash", test_ip_hash);
  test_harness_add ("/relay/visitor/events-logged", test_visitor_events_logged);
  test_harness_add ("/relay/visitor/conversation-visitor-online", test_conversation_visitor_online);

  return g_test_run ();
}
