/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cluster-relays.c: several real confab-relay processes behind one real redis-server (issue
 * 13). On SQLite the relays share one data directory (WAL); with CONFAB_TEST_STORE=postgresql
 * (test-cluster-relays-postgresql) each has a data directory of its own and they share nothing
 * but the PostgreSQL database and Redis, as relays on several machines do. Every test reaches
 * the store only through the relays, so the same tests run on both. */
#include "relay-harness.h"
#include "cluster-redis.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>

#define N_RELAYS 3

typedef struct {
  ClusterRedis *redis;
  TestRelay    *relays[N_RELAYS];   /* [0] owns the data directory */
  guint         n;
  char         *token;              /* owner@a.test */
  char         *user_id;
  char         *site_id;
  char         *site_key;
  /* relays started together: each by a thread of its own, which lives as long as its relay
   * (the harness's relays die with the thread that started them, PR_SET_PDEATHSIG) */
  GThread      *threads[N_RELAYS];
  GMutex        lock;
  GCond         cond;
  gboolean      started[N_RELAYS];
  gboolean      release;
} Cluster;

typedef struct {
  Cluster *cluster;
  guint    i;
} Starting;

static char *
relay_config (Cluster    *cluster,
              guint       i,
              const char *extra)
{
  return g_strdup_printf ("[cluster]\nredis=%s\nnode-name=relay-%c\n%s", cluster->redis->url,
                          'a' + i, extra != NULL ? extra : "");
}

/* Relay @i of the cluster: on SQLite in relay 0's data directory; on PostgreSQL in a directory
 * of its own (under relay 0's scratch space, removed with it) that names relay 0's database. */
static TestRelay *
relay_beside (Cluster    *cluster,
              guint       i,
              const char *config)
{
  const char *first_dir = test_relay_data_dir (cluster->relays[0]);
  g_autofree char *dir = NULL, *url_file = NULL, *url = NULL, *copy = NULL;

  if (!test_store_is_postgresql ())
    return test_relay_new_full (config, first_dir);

  dir = g_strdup_printf ("%s/data-%u", test_relay_tmp_dir (cluster->relays[0]), i);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* the harness's record of the relay's database (relay-harness.c, test_database_for ()) */
  url_file = g_build_filename (first_dir, "test-pg-url", NULL);
  g_assert_true (g_file_get_contents (url_file, &url, NULL, NULL));
  copy = g_build_filename (dir, "test-pg-url", NULL);
  g_assert_true (g_file_set_contents (copy, url, -1, NULL));
  return test_relay_new_full (config, dir);
}

static gpointer
start_relay_thread (gpointer data)
{
  Starting *starting = data;
  Cluster *cluster = starting->cluster;

  test_relay_start (cluster->relays[starting->i]);
  g_mutex_lock (&cluster->lock);
  cluster->started[starting->i] = TRUE;
  g_cond_broadcast (&cluster->cond);
  while (!cluster->release)
    g_cond_wait (&cluster->cond, &cluster->lock);
  g_mutex_unlock (&cluster->lock);
  g_free (starting);
  return NULL;
}

/* @n relays on one data directory and one Redis (@extra: more config for each), owner@a.test
 * with the site "Site a"; @together: all started at once on the new directory. NULL (the test
 * skipped) without redis-server. */
static Cluster *
cluster_new_full (guint       n,
                  const char *extra,
                  gboolean    together)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  Cluster *cluster;

  if (program == NULL)
    {
      test_harness_skip ("redis-server is not installed (apt-get install redis-server)");
      return NULL;
    }

  cluster = g_new0 (Cluster, 1);
  g_mutex_init (&cluster->lock);
  g_cond_init (&cluster->cond);
  cluster->redis = cluster_redis_start ();
  cluster->n = n;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *config = relay_config (cluster, i, extra);

      cluster->relays[i] = i == 0 ? test_relay_new (config) : relay_beside (cluster, i, config);
      if (!together)
        test_relay_start (cluster->relays[i]);
    }
  if (together)
    {
      /* each migrates the new database, makes its IP hash key, … at the same moment */
      for (guint i = 0; i < n; i++)
        {
          Starting *starting = g_new0 (Starting, 1);

          starting->cluster = cluster;
          starting->i = i;
          cluster->threads[i] = g_thread_new ("start", start_relay_thread, starting);
        }
      g_mutex_lock (&cluster->lock);
      for (guint i = 0; i < n; i++)
        while (!cluster->started[i])
          g_cond_wait (&cluster->cond, &cluster->lock);
      g_mutex_unlock (&cluster->lock);
    }

  {
    g_autoptr(JsonObject) user = test_relay_create_user (cluster->relays[0], "owner@a.test",
                                                         "correct horse battery", "Owner a");
    g_autoptr(JsonObject) site = test_relay_create_site (cluster->relays[0], "owner@a.test",
                                                         "Site a", NULL);

    cluster->user_id = g_strdup (test_obj_string (user, "id"));
    cluster->site_id = g_strdup (test_obj_string (site, "id"));
    cluster->site_key = g_strdup (test_obj_string (site, "site_key"));
  }
  /* logged in on one relay, the token works on every one */
  cluster->token = test_relay_login (cluster->relays[1 % n], "owner@a.test", "correct horse battery");
  return cluster;
}

static Cluster *
cluster_new (guint n)
{
  return cluster_new_full (n, NULL, FALSE);
}

static void
cluster_free (Cluster *cluster)
{
  if (cluster == NULL)
    return;
  for (guint i = cluster->n; i-- > 0;)
    g_clear_pointer (&cluster->relays[i], test_relay_free);
  g_mutex_lock (&cluster->lock);
  cluster->release = TRUE;
  g_cond_broadcast (&cluster->cond);
  g_mutex_unlock (&cluster->lock);
  for (guint i = 0; i < cluster->n; i++)
    g_clear_pointer (&cluster->threads[i], g_thread_join);
  g_mutex_clear (&cluster->lock);
  g_cond_clear (&cluster->cond);
  g_clear_pointer (&cluster->redis, cluster_redis_free);
  g_free (cluster->token);
  g_free (cluster->user_id);
  g_free (cluster->site_id);
  g_free (cluster->site_key);
  g_free (cluster);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cluster, cluster_free)

/* Another team member of the site, logged in on @relay. */
static char *
add_agent (Cluster    *cluster,
           TestRelay  *relay,
           const char *email,
           const char *name)
{
  g_autoptr(JsonObject) user = test_relay_create_user (cluster->relays[0], email, "correct horse battery", name);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s/members", cluster->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'agent'}", email);
  g_autoptr(TestResponse) added = test_http (relay, "POST", site_path, cluster->token, body, NULL);

  if (added->status != 200 && added->status != 201)
    {
      /* an invitation flow: the admin CLI adds members directly */
      int status = test_relay_admin (cluster->relays[0], NULL, NULL, "add-member", "--data-dir",
                                     test_relay_data_dir (cluster->relays[0]), "--site",
                                     cluster->site_id, "--email", email, "--role", "agent", NULL);
      g_assert_cmpint (status, ==, 0);
    }
  return test_relay_login (relay, email, "correct horse battery");
}

/* Asserts that @ws received every message (by seq) at most once, live or in a backlog; returns
 * how many it received. */
static guint
assert_messages_once (TestWs *ws)
{
  GPtrArray *log = test_ws_log (ws);
  g_autoptr(GHashTable) seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < log->len; i++)
    {
      const char *text = g_ptr_array_index (log, i);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *frame;
      g_autofree char *key = NULL;

      g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
      frame = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (frame, "type", ""), "message") != 0)
        continue;
      key = g_strdup_printf ("%s/%" G_GINT64_FORMAT,
                             json_object_get_string_member (frame, "conversation_id"),
                             json_object_get_int_member (frame, "seq"));
      if (g_hash_table_contains (seqs, key))
        g_error ("message %s arrived twice", key);
      g_hash_table_add (seqs, g_steal_pointer (&key));
    }
  return g_hash_table_size (seqs);
}

/* The count of the latest agents_online the visitor heard, or of its welcome. */
static gboolean
visitor_hears_online (TestWs *visitor,
                      gint64  count)
{
  gint64 deadline = g_get_monotonic_time () + 5 * TEST_TIMEOUT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) frame = test_ws_find (visitor, "agents_online", 200);

      if (frame != NULL && test_obj_int (frame, "count") == count)
        return TRUE;
    }
  return FALSE;
}

static void
test_chat_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) colleague = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(JsonObject) typing = NULL;
  g_autoptr(JsonObject) read = NULL;
  g_autoptr(JsonObject) presence = NULL;
  g_autoptr(JsonObject) offline = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *colleague_token = NULL;
  gint64 cursor;

  if (cluster == NULL)
    return;

  /* the agent on relay B, the visitor on relay A */
  agent = test_ws_agent (cluster->relays[1], cluster->token);
  test_ws_set_name (agent, "agent on B");
  test_ws_ignore (agent, "visitor", NULL);
  cursor = test_agent_subscribe (agent, 0, NULL);

  visitor = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_set_name (visitor, "visitor on A");
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  /* the agent on B is online for the visitor on A (at once, or as soon as A asked Redis) */
  if (test_obj_int (welcome, "agents_online") != 1)
    g_assert_true (visitor_hears_online (visitor, 1));

  /* visitor → agent */
  g_assert_cmpint (test_visitor_say (visitor, "Hello from relay A", &conversation_id), ==, 1);
  message = test_ws_wait_for_match (agent, "message", "body", "Hello from relay A", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (message, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  g_assert_cmpint (test_obj_int (message, "cursor"), >, cursor);
  {
    g_autoptr(JsonObject) conversation = test_ws_find (agent, "conversation", TEST_TIMEOUT_MS);

    g_assert_nonnull (conversation);
    g_assert_cmpint (test_obj_int (conversation, "cursor"), <, test_obj_int (message, "cursor"));
  }

  /* typing preview: A's visitor, B's agent */
  test_ws_sendf (visitor, "{'type':'typing','preview':'It was order nu'}");
  preview = test_ws_wait_for (agent, "typing_preview", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (preview, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (preview, "text"), ==, "It was order nu");

  /* agent typing: B's agent, A's visitor */
  test_ws_sendf (agent, "{'type':'typing','conversation_id':'%s','active':true}", conversation_id);
  typing = test_ws_wait_for (visitor, "typing", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_bool (typing, "active"));
  g_assert_cmpstr (test_obj_string (typing, "sender.name"), ==, "Owner a");
  g_assert_false (test_obj_has (typing, "visitor_id"));

  /* agent → visitor */
  g_assert_cmpint (test_agent_say (agent, conversation_id, "Hello from relay B"), ==, 2);
  reply = test_ws_wait_for_match (visitor, "message", "body", "Hello from relay B", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (reply, "seq"), ==, 2);
  g_assert_cmpstr (test_obj_string (reply, "sender.type"), ==, "agent");
  g_assert_false (test_obj_has (reply, "cursor"));

  /* read state: the visitor read the reply */
  test_ws_sendf (visitor, "{'type':'read','seq':2}");
  read = test_ws_wait_for (agent, "read", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (read, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (read, "reader"), ==, "visitor");
  g_assert_cmpint (test_obj_int (read, "seq"), ==, 2);

  /* presence: a colleague comes online on relay C; B's agent and A's visitor hear of it */
  colleague_token = add_agent (cluster, cluster->relays[2], "colleague@a.test", "Colleague");
  colleague = test_ws_agent (cluster->relays[2], colleague_token);
  test_ws_set_name (colleague, "colleague on C");
  presence = test_ws_wait_for_match (agent, "presence", "name", "Colleague", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (presence, "status"), ==, "online");
  g_assert_true (visitor_hears_online (visitor, 2));

  /* … and of it going */
  test_ws_close (colleague);
  offline = test_ws_wait_for_match (agent, "presence", "status", "offline", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (offline, "name"), ==, "Colleague");
  g_assert_true (visitor_hears_online (visitor, 1));

  /* nothing arrived twice */
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (assert_messages_once (agent), ==, 2);
  g_assert_cmpuint (assert_messages_once (visitor), ==, 2);

  /* /metrics names the relay and counts what crossed */
  {
    g_autoptr(TestResponse) metrics = test_http (cluster->relays[1], "GET", "/metrics", NULL, NULL, NULL);
    g_autofree char *text = test_response_text (metrics);
    g_autoptr(GRegex) received = g_regex_new ("^confab_cluster_frames_total\\{event=\"received\"\\} [1-9]",
                                              G_REGEX_MULTILINE, 0, NULL);

    test_assert_http_status (metrics, 200);
    g_assert_nonnull (strstr (text, "confab_relay_info{node=\"relay-b\"} 1\n"));
    g_assert_nonnull (strstr (text, "confab_cluster_connected 1\n"));
    g_assert_true (g_regex_match (received, text, 0, NULL));
  }
}

/* An agent connected to two relays stays online for the team while either socket is open; a
 * relay that dies takes its agents offline (their presence in Redis expires). */
static void
test_presence_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) colleague = NULL;
  g_autoptr(TestWs) on_a = NULL;
  g_autoptr(TestWs) on_b = NULL;
  g_autoptr(JsonObject) online = NULL;
  g_autoptr(JsonObject) offline = NULL;
  g_autofree char *colleague_token = NULL;

  if (cluster == NULL)
    return;

  colleague_token = add_agent (cluster, cluster->relays[2], "colleague@a.test", "Colleague");
  colleague = test_ws_agent (cluster->relays[2], colleague_token);
  test_ws_ignore (colleague, "visitor", "members", NULL);
  test_agent_subscribe (colleague, 0, NULL);

  on_a = test_ws_agent (cluster->relays[0], cluster->token);
  online = test_ws_wait_for_match (colleague, "presence", "agent_id", cluster->user_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (online, "status"), ==, "online");
  on_b = test_ws_agent (cluster->relays[1], cluster->token);
  test_agent_subscribe (on_b, 0, NULL);

  /* the socket on A goes: still online on B. (Relay A may say "offline" before relay B's
   * "online" reaches relay C on a loaded machine: what the team ends up seeing is online.) */
  test_ws_close (on_a);
  test_sleep_ms (2 * TEST_QUIET_MS);
  {
    g_autoptr(GPtrArray) frames = test_ws_drain (colleague, 0);
    const char *last = NULL;

    for (guint i = 0; i < frames->len; i++)
      {
        JsonObject *frame = g_ptr_array_index (frames, i);

        if (g_strcmp0 (test_obj_string (frame, "type"), "presence") == 0 &&
            g_strcmp0 (test_obj_string (frame, "agent_id"), cluster->user_id) == 0)
          last = test_obj_string (frame, "status");
      }
    if (last != NULL)
      g_assert_cmpstr (last, ==, "online");
  }

  /* relay B dies: within the presence lifetime (15 s) and a refresh, the team hears */
  test_relay_kill (cluster->relays[1]);
  offline = test_ws_wait_for_match (colleague, "presence", "status", "offline", 25000);
  g_assert_cmpstr (test_obj_string (offline, "agent_id"), ==, cluster->user_id);
}

/* Logout on relay A closes the token's sockets on relays B and C. */
static void
test_logout_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) on_b = NULL;
  g_autoptr(TestWs) on_c = NULL;
  g_autoptr(TestResponse) logout = NULL;

  if (cluster == NULL)
    return;

  on_b = test_ws_agent (cluster->relays[1], cluster->token);
  on_c = test_ws_agent (cluster->relays[2], cluster->token);
  test_agent_subscribe (on_b, 0, NULL);
  test_agent_subscribe (on_c, 0, NULL);

  logout = test_http (cluster->relays[0], "POST", "/api/v1/auth/logout", cluster->token, NULL, NULL);
  g_assert_cmpuint (logout->status, >=, 200);
  g_assert_cmpuint (logout->status, <, 300);

  g_assert_cmpuint (test_ws_wait_closed (on_b, TEST_TIMEOUT_MS), ==, 4001);
  g_assert_cmpuint (test_ws_wait_closed (on_c, TEST_TIMEOUT_MS), ==, 4001);
}

/* A visitor deleted on relay A: its tab on relay B closes (1000), and B's agents hear of it. */
static void
test_visitor_deleted_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) deleted = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *path = NULL;

  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[1], cluster->token);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[1], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  test_visitor_say (visitor, "please forget me", NULL);

  path = g_strdup_printf ("/api/v1/visitors/%s", test_obj_string (welcome, "visitor_id"));
  response = test_http (cluster->relays[0], "DELETE", path, cluster->token, NULL, NULL);
  test_assert_http_status (response, 204);

  deleted = test_ws_wait_for (agent, "visitor_deleted", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (deleted, "visitor_id"), ==, test_obj_string (welcome, "visitor_id"));
  g_assert_cmpuint (test_ws_wait_closed (visitor, TEST_TIMEOUT_MS), ==, 1000);
}

/* The site key rotated on relay A: the site's visitors on relays B and C close with 4010, and
 * the old key opens no socket anywhere. */
static void
test_key_rotation_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) on_b = NULL;
  g_autoptr(TestWs) on_c = NULL;
  g_autoptr(JsonObject) welcome_b = NULL;
  g_autoptr(JsonObject) welcome_c = NULL;
  g_autoptr(TestResponse) rotated = NULL;
  g_autofree char *path = NULL;

  if (cluster == NULL)
    return;

  on_b = test_ws_widget (cluster->relays[1], cluster->site_key);
  welcome_b = test_visitor_hello (on_b, NULL, NULL, "https://a.test/");
  on_c = test_ws_widget (cluster->relays[2], cluster->site_key);
  welcome_c = test_visitor_hello (on_c, NULL, NULL, "https://a.test/");

  path = g_strdup_printf ("/api/v1/sites/%s/key", cluster->site_id);
  rotated = test_http (cluster->relays[0], "POST", path, cluster->token, NULL, NULL);
  test_assert_http_status (rotated, 200);

  g_assert_cmpuint (test_ws_wait_closed (on_b, TEST_TIMEOUT_MS), ==, 4010);
  g_assert_cmpuint (test_ws_wait_closed (on_c, TEST_TIMEOUT_MS), ==, 4010);
  for (guint i = 0; i < cluster->n; i++)
    {
      guint status = 0;
      g_autoptr(TestWs) refused = test_ws_try_widget (cluster->relays[i], cluster->site_key, NULL, &status);

      g_assert_null (refused);
      g_assert_cmpuint (status, ==, 403);
    }
}

/* A site disabled on relay A: its visitors on relay B are closed (B's cached site row is
 * forgotten on the bus's word: SQLite tells only the process that wrote). */
static void
test_site_change_across_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestResponse) patched = NULL;
  g_autoptr(JsonObject) site = NULL;
  g_autofree char *path = NULL;
  guint status = 0;

  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[1], cluster->token);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[1], cluster->site_key);
  g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");

  path = g_strdup_printf ("/api/v1/sites/%s", cluster->site_id);
  patched = test_http (cluster->relays[0], "PATCH", path, cluster->token,
                       "{\"name\":\"Site a, renamed\",\"enabled\":false}", NULL);
  test_assert_http_status (patched, 200);

  site = test_ws_wait_for (agent, "site", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (site, "site.name"), ==, "Site a, renamed");
  g_assert_cmpuint (test_ws_wait_closed (visitor, TEST_TIMEOUT_MS), ==, 1008);

  /* and B refuses new visitors of the disabled site: its cache is not stale */
  {
    g_autoptr(TestWs) refused = test_ws_try_widget (cluster->relays[1], cluster->site_key, NULL, &status);

    g_assert_null (refused);
    g_assert_cmpuint (status, ==, 403);
  }
}

static void
send_message (TestWs     *visitor,
              const char *client_id,
              const char *body)
{
  test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id, body);
}

/* Relay A dies (kill -9) in the middle of a visitor's burst: the visitor resumes on relay B and
 * sends again what was not acknowledged; every message is there exactly once, in order, for
 * the visitor and for an agent on relay C. */
static void
test_kill_mid_burst (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) again = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(GHashTable) acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen_seq = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *visitor_id = NULL, *visitor_token = NULL;
  const guint burst = 200;
  gint64 deadline;

  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[2], cluster->token);
  test_ws_ignore (agent, "visitor", "conversation", "presence", "timeline", NULL);
  test_agent_subscribe (agent, 0, NULL);

  visitor = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", "message", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  visitor_token = g_strdup (test_obj_string (welcome, "visitor_token"));

  for (guint i = 0; i < burst; i++)
    {
      g_autofree char *body = g_strdup_printf ("burst %03u", i);

      g_ptr_array_add (sent, test_client_id ());
      send_message (visitor, g_ptr_array_index (sent, i), body);
    }

  /* the first acks, then relay A dies with the rest in flight */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_hash_table_size (acked) < burst / 4 && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) ack = test_ws_find (visitor, "ack", 100);

      if (ack != NULL)
        g_hash_table_add (acked, g_strdup (test_obj_string (ack, "client_id")));
    }
  g_assert_cmpuint (g_hash_table_size (acked), >=, burst / 4);
  test_relay_kill (cluster->relays[0]);
  {
    g_autoptr(GPtrArray) rest = test_ws_drain (visitor, 100);

    for (guint i = 0; i < rest->len; i++)
      if (g_strcmp0 (test_obj_string (g_ptr_array_index (rest, i), "type"), "ack") == 0)
        g_hash_table_add (acked, g_strdup (test_obj_string (g_ptr_array_index (rest, i), "client_id")));
  }
  g_test_message ("%u of %u acknowledged when relay A died", g_hash_table_size (acked), burst);

  /* to relay B: resume, then everything unacknowledged again (the same client_id) */
  again = test_ws_widget (cluster->relays[1], cluster->site_key);
  test_ws_ignore (again, "agents_online", "conversation", NULL);
  g_autoptr(JsonObject) welcome_again = test_visitor_hello (again, visitor_id, visitor_token, "https://a.test/");
  test_ws_send (again, "{\"type\":\"resume\",\"after_seq\":0}");
  {
    /* client_id → seq: a message may come twice, live and resumed (the widget keeps one per
     * seq), but one client_id under two seqs would be a message stored twice */
    g_autoptr(GHashTable) resumed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (;;)
      {
        g_autoptr(JsonObject) frame = test_ws_next (again, TEST_TIMEOUT_MS);

        if (frame == NULL)
          {
            GPtrArray *log = test_ws_log (again);

            for (guint i = 0; i < log->len; i++)
              g_printerr ("again got: %s\n", (char *) g_ptr_array_index (log, i));
          }
        g_assert_nonnull (frame);
        if (g_strcmp0 (test_obj_string (frame, "type"), "synced") == 0)
          break;
        if (g_strcmp0 (test_obj_string (frame, "type"), "message") == 0)
          {
            const char *client_id = test_obj_string (frame, "client_id");
            gint64 seq = test_obj_int (frame, "seq");

            if (g_hash_table_contains (resumed, client_id))
              g_assert_cmpint (GPOINTER_TO_SIZE (g_hash_table_lookup (resumed, client_id)), ==, seq);
            g_hash_table_replace (resumed, g_strdup (client_id), GSIZE_TO_POINTER (seq));
          }
      }
    /* nothing acknowledged was lost */
    {
      GHashTableIter iter;
      gpointer client_id;

      g_hash_table_iter_init (&iter, acked);
      while (g_hash_table_iter_next (&iter, &client_id, NULL))
        g_assert_true (g_hash_table_contains (resumed, client_id));
    }
  }
  for (guint i = 0; i < burst; i++)
    if (!g_hash_table_contains (acked, g_ptr_array_index (sent, i)))
      {
        g_autofree char *body = g_strdup_printf ("burst %03u", i);

        send_message (again, g_ptr_array_index (sent, i), body);
      }
  test_ws_ignore (again, "message", NULL);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_hash_table_size (acked) < burst && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) ack = test_ws_find (again, "ack", 100);

      if (ack != NULL)
        g_hash_table_add (acked, g_strdup (test_obj_string (ack, "client_id")));
    }
  g_assert_cmpuint (g_hash_table_size (acked), ==, burst);

  /* the agent on C: every message once, seq 1…burst in order */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (seqs->len < burst && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) message = test_ws_find (agent, "message", 100);
      gint64 seq;

      if (message == NULL)
        continue;
      seq = test_obj_int (message, "seq");
      g_array_append_val (seqs, seq);
    }
  g_assert_cmpuint (seqs->len, ==, burst);
  for (guint i = 0; i < seqs->len; i++)
    g_assert_cmpint (g_array_index (seqs, gint64, i), ==, i + 1);
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (assert_messages_once (agent), ==, burst);
}

/* Redis restarts: what was said meanwhile on relay A reaches the agent on relay B once the
 * link is back, in order, once. */
static void
test_redis_restart (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  const guint before = 3, during = 5, after = 2;
  gint64 deadline;

  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[1], cluster->token);
  test_ws_ignore (agent, "visitor", "conversation", "presence", "timeline", NULL);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");

  for (guint i = 0; i < before; i++)
    test_visitor_say (visitor, "before", NULL);
  for (guint i = 0; i < before; i++)
    {
      g_autoptr(JsonObject) heard = test_ws_wait_for (agent, "message", TEST_TIMEOUT_MS);
    }

  cluster_redis_kill (cluster->redis);
  /* relay A acknowledges on its own: Redis is for speed, not truth */
  for (guint i = 0; i < during; i++)
    test_visitor_say (visitor, "during", NULL);
  cluster_redis_restart (cluster->redis);
  for (guint i = 0; i < after; i++)
    test_visitor_say (visitor, "after", NULL);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (seqs->len < during + after && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) message = test_ws_find (agent, "message", 100);
      gint64 seq;

      if (message == NULL)
        continue;
      seq = test_obj_int (message, "seq");
      g_array_append_val (seqs, seq);
    }
  g_assert_cmpuint (seqs->len, ==, during + after);
  for (guint i = 0; i < seqs->len; i++)
    g_assert_cmpint (g_array_index (seqs, gint64, i), ==, before + i + 1);
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (assert_messages_once (agent), ==, before + during + after);
}

/* A relay started while Redis is down serves its own clients (local limits, its own
 * acknowledgements) and catches up with the others once Redis is there. */
static void
test_start_without_redis (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(TestResponse) health = NULL;

  if (cluster == NULL)
    return;

  cluster_redis_kill (cluster->redis);
  test_relay_stop (cluster->relays[1]);
  test_relay_start (cluster->relays[1]);
  health = test_http (cluster->relays[1], "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (health, 200);

  agent = test_ws_agent (cluster->relays[1], cluster->token);
  test_ws_ignore (agent, "visitor", "conversation", "presence", NULL);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  /* acknowledged by relay A alone */
  test_visitor_say (visitor, "while Redis was away", NULL);

  cluster_redis_restart (cluster->redis);
  message = test_ws_wait_for_match (agent, "message", "body", "while Redis was away", 15000);
  g_assert_cmpint (test_obj_int (message, "seq"), ==, 1);
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (assert_messages_once (agent), ==, 1);
}

/* Visitors on three relays write at once: an agent reading live sees cursors only rising, and
 * exactly what a reader of the log sees afterwards (no hole, nothing twice). */
static void
test_concurrent_writers (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) reader = NULL;
  g_autoptr(GArray) live = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) backlog = NULL;
  TestWs *visitors[N_RELAYS] = { NULL };
  const guint per_visitor = 60;
  gint64 start_cursor, deadline;

  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[0], cluster->token);
  test_ws_ignore (agent, "visitor", "presence", NULL);
  start_cursor = test_agent_subscribe (agent, 0, NULL);

  for (guint r = 0; r < N_RELAYS; r++)
    {
      g_autoptr(JsonObject) welcome = NULL;

      visitors[r] = test_ws_widget (cluster->relays[r], cluster->site_key);
      test_ws_ignore (visitors[r], "agents_online", "conversation", "message", "ack", NULL);
      welcome = test_visitor_hello (visitors[r], NULL, NULL, "https://a.test/");
    }
  /* interleaved, so that the relays' batches race for the database */
  for (guint i = 0; i < per_visitor; i++)
    for (guint r = 0; r < N_RELAYS; r++)
      {
        g_autofree char *client_id = test_client_id ();

        send_message (visitors[r], client_id, "concurrent");
      }

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) frame = NULL;
      gint64 cursor;

      /* three processes on one SQLite file: a relay that finds it locked for too long refuses
       * a frame with store_unavailable ("send this again shortly"), and a client sends it
       * again with its client_id, as the widget does */
      for (guint r = 0; r < N_RELAYS; r++)
        {
          g_autoptr(JsonObject) refused = NULL;

          while ((refused = test_ws_next (visitors[r], 1)) != NULL)
            {
              if (g_strcmp0 (test_obj_string (refused, "type"), "error") == 0)
                {
                  g_assert_cmpstr (test_obj_string (refused, "code"), ==, "store_unavailable");
                  g_assert_nonnull (test_obj_string (refused, "ref"));
                  send_message (visitors[r], test_obj_string (refused, "ref"), "concurrent");
                }
              g_clear_pointer (&refused, json_object_unref);
            }
        }

      frame = test_ws_next (agent, 200);

      if (frame == NULL)
        {
          /* every message and the three conversations */
          if (live->len >= (per_visitor + 1) * N_RELAYS)
            break;
          continue;
        }
      /* (visitor events replace each other in the log: they are left out) */
      if (!test_obj_has (frame, "cursor") ||
          (g_strcmp0 (test_obj_string (frame, "type"), "message") != 0 &&
           g_strcmp0 (test_obj_string (frame, "type"), "conversation") != 0))
        continue;
      cursor = test_obj_int (frame, "cursor");
      /* only rising: never one below what it has */
      if (live->len > 0)
        g_assert_cmpint (cursor, >, g_array_index (live, gint64, live->len - 1));
      g_array_append_val (live, cursor);
    }

  /* a reader of the log from the same start sees the same cursors, no more, no fewer */
  reader = test_ws_agent (cluster->relays[1], cluster->token);
  test_ws_ignore (reader, "presence", NULL);
  test_agent_subscribe (reader, start_cursor, &backlog);
  {
    guint messages = 0, n = 0;

    for (guint i = 0; i < backlog->len; i++)
      {
        JsonObject *frame = g_ptr_array_index (backlog, i);
        gboolean message = g_strcmp0 (test_obj_string (frame, "type"), "message") == 0;

        if (!message && g_strcmp0 (test_obj_string (frame, "type"), "conversation") != 0)
          continue;
        g_assert_cmpuint (n, <, live->len);
        g_assert_cmpint (test_obj_int (frame, "cursor"), ==, g_array_index (live, gint64, n));
        n++;
        messages += message;
      }
    g_assert_cmpuint (n, ==, live->len);
    g_assert_cmpuint (messages, ==, per_visitor * N_RELAYS);
  }

  for (guint r = 0; r < N_RELAYS; r++)
    test_ws_free (visitors[r]);
}

/* Another relay's transaction holds the cursor lock longer than a relay waits for a lock (a
 * 64-message flight took 480 ms at load 15 in bench/README.md; here a connection of the
 * test's own holds it for 1.5 s). */
#define CURSOR_LOCK_SQL "BEGIN; SELECT pg_advisory_xact_lock (4354146723873989493); " \
                        "SELECT pg_sleep (1.5); COMMIT"

static gpointer
hold_cursor_lock (gpointer data)
{
  test_relay_pg_exec (data, CURSOR_LOCK_SQL);
  return NULL;
}

typedef struct {
  TestRelay  *relay;
  const char *sql;
} HoldLocks;

static gpointer
hold_locks (gpointer data)
{
  HoldLocks *hold = data;

  test_relay_pg_exec (hold->relay, hold->sql);
  return NULL;
}

/* PostgreSQL: while another transaction holds the cursor lock, visitors on three relays keep
 * writing, first messages (the main loop's path) and follow-ups (the writer's flights); none
 * is refused with store_unavailable (nor rate_limited for being run again): every one waits
 * for the lock and is acknowledged once, and an agent gets each once, in cursor order. */
static void
test_lock_held_elsewhere (void)
{
  g_autoptr(Cluster) cluster = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(GThread) holder = NULL;
  g_autoptr(GHashTable) acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  TestWs *visitors[N_RELAYS * 2] = { NULL };
  const guint n_visitors = N_RELAYS * 2, per_visitor = 8;
  gint64 last_cursor = 0, deadline;
  guint received = 0;

  if (!test_store_is_postgresql ())
    {
      test_harness_skip ("the cursor lock is PostgreSQL's (test-cluster-relays-postgresql)");
      return;
    }
  /* a visitor's budget is just what each sends (1 + per_visitor): a message held and run again
   * must not pay again */
  cluster = cluster_new_full (3, "[limits]\nmessages-per-minute=10\n"
                                 "messages-per-minute-per-ip=100000\n", FALSE);
  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[0], cluster->token);
  test_ws_ignore (agent, "visitor", "presence", "conversation", NULL);
  test_agent_subscribe (agent, 0, NULL);
  for (guint v = 0; v < n_visitors; v++)
    {
      g_autoptr(JsonObject) welcome = NULL;

      visitors[v] = test_ws_widget (cluster->relays[v % N_RELAYS], cluster->site_key);
      test_ws_ignore (visitors[v], "agents_online", "conversation", "message", NULL);
      welcome = test_visitor_hello (visitors[v], NULL, NULL, "https://a.test/");
    }
  /* half of them with a conversation already (their messages go to the writer's flights) */
  for (guint v = 0; v < n_visitors; v += 2)
    {
      g_autofree char *client_id = test_client_id ();
      g_autoptr(JsonObject) ack = NULL;

      send_message (visitors[v], client_id, "first");
      ack = test_ws_expect (visitors[v], "ack", 10 * TEST_TIMEOUT_MS);
      g_hash_table_add (acked, g_strdup (client_id));
    }

  holder = g_thread_new ("cursor-lock", hold_cursor_lock, cluster->relays[0]);
  /* the lock is taken before anything is sent */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (test_relay_pg_exec (cluster->relays[0],
                             "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  for (guint i = 0; i < per_visitor; i++)
    for (guint v = 0; v < n_visitors; v++)
      {
        g_autofree char *client_id = test_client_id ();

        send_message (visitors[v], client_id, "while locked");
      }

  /* every message is acknowledged, none refused */
  for (guint v = 0; v < n_visitors; v++)
    for (guint acks = 0; acks < per_visitor;)
      {
        g_autoptr(JsonObject) frame = test_ws_next (visitors[v], 10 * TEST_TIMEOUT_MS);

        g_assert_nonnull (frame);
        if (g_strcmp0 (test_obj_string (frame, "type"), "error") == 0)
          g_error ("visitor %u: %s %s", v, test_obj_string (frame, "code"),
                   test_obj_string (frame, "message"));
        if (g_strcmp0 (test_obj_string (frame, "type"), "ack") != 0)
          continue;
        /* each once */
        g_assert_true (g_hash_table_add (acked, g_strdup (test_obj_string (frame, "client_id"))));
        acks++;
      }
  g_thread_join (g_steal_pointer (&holder));

  /* the agent hears every message once, in cursor order */
  while (received < g_hash_table_size (acked))
    {
      g_autoptr(JsonObject) frame = test_ws_expect (agent, "message", 10 * TEST_TIMEOUT_MS);
      gint64 cursor = test_obj_int (frame, "cursor");

      g_assert_cmpint (cursor, >, last_cursor);
      last_cursor = cursor;
      received++;
    }
  g_assert_cmpuint (assert_messages_once (agent), ==, n_visitors / 2 + n_visitors * per_visitor);

  for (guint v = 0; v < n_visitors; v++)
    test_ws_free (visitors[v]);
}

/* The first frame of @type (NULL: any) on @ws; an error frame before it fails the test. */
static JsonObject *
expect_unrefused (TestWs     *ws,
                  const char *type)
{
  for (;;)
    {
      JsonObject *frame = test_ws_next (ws, 10 * TEST_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (g_strcmp0 (test_obj_string (frame, "type"), "error") == 0)
        g_error ("waiting for %s: %s %s", type, test_obj_string (frame, "code"),
                 test_obj_string (frame, "message"));
      if (type == NULL || g_strcmp0 (test_obj_string (frame, "type"), type) == 0)
        return frame;
      json_object_unref (frame);
    }
}

/* PostgreSQL: while another transaction holds a conversation's row, its visitor's row and the
 * cursor lock, the frames other than messages that write them — a visitor's read, a second tab's
 * hello, an agent's read and set_status, on three relays — are held until the lock is free
 * and go through, none refused with store_unavailable. Before, each was answered so. */
static void
test_lock_held_elsewhere_frames (void)
{
  g_autoptr(Cluster) cluster = NULL;
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) tab = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(GThread) holder = NULL;
  g_autofree char *conversation_id = NULL, *visitor_id = NULL, *visitor_token = NULL;
  g_autofree char *sql = NULL;
  gint64 locked_at, deadline;
  gboolean visitor_read = FALSE, agent_read = FALSE, pending = FALSE;

  if (!test_store_is_postgresql ())
    {
      test_harness_skip ("the locks are PostgreSQL's (test-cluster-relays-postgresql)");
      return;
    }
  cluster = cluster_new (3);
  if (cluster == NULL)
    return;

  agent = test_ws_agent (cluster->relays[0], cluster->token);
  test_ws_ignore (agent, "visitor", "presence", "message", NULL);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[1], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  visitor_id = g_strdup (test_obj_string (welcome, "visitor_id"));
  visitor_token = g_strdup (test_obj_string (welcome, "visitor_token"));
  g_assert_cmpint (test_visitor_say (visitor, "Where is my parcel?", &conversation_id), ==, 1);
  test_ws_ignore (visitor, "message", NULL);
  {
    g_autoptr(JsonObject) conversation = test_ws_wait_for_match (agent, "conversation", "conversation.id",
                                                                conversation_id, TEST_TIMEOUT_MS);
  }

  sql = g_strdup_printf ("BEGIN; SELECT 1 FROM conversations WHERE id = '%s' FOR UPDATE; "
                         "SELECT 1 FROM visitors WHERE id = '%s' FOR UPDATE; "
                         "SELECT pg_advisory_xact_lock (4354146723873989493); "
                         "SELECT pg_sleep (1.5); COMMIT", conversation_id, visitor_id);
  {
    HoldLocks hold = { cluster->relays[0], sql };

    holder = g_thread_new ("row-locks", hold_locks, &hold);
    /* the rows' locks are taken before the cursor lock, and that before anything is sent */
    deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (test_relay_pg_exec (cluster->relays[0],
                               "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted") == 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (10 * 1000);
      }
    locked_at = g_get_monotonic_time ();

    test_ws_sendf (visitor, "{'type':'read','seq':1}");
    tab = test_ws_widget (cluster->relays[2], cluster->site_key);
    test_ws_ignore (tab, "agents_online", "conversation", "message", NULL);
    test_ws_sendf (tab, "{'type':'hello','visitor_id':'%s','visitor_token':'%s',"
                   "'page':{'url':'https://a.test/b','title':'B'}}", visitor_id, visitor_token);
    test_ws_sendf (agent, "{'type':'read','conversation_id':'%s','seq':1}", conversation_id);
    test_ws_sendf (agent, "{'type':'set_status','conversation_id':'%s','status':'pending'}",
                   conversation_id);

    /* the second tab is welcome, as the visitor it named, once the lock is free */
    second = expect_unrefused (tab, "welcome");
    g_assert_cmpstr (test_obj_string (second, "visitor_id"), ==, visitor_id);
    g_assert_cmpint (g_get_monotonic_time () - locked_at, >=, G_USEC_PER_SEC);

    /* the agent hears the visitor's read, its own read and the status, in any order */
    while (!visitor_read || !agent_read || !pending)
      {
        g_autoptr(JsonObject) frame = expect_unrefused (agent, NULL);
        const char *type = test_obj_string (frame, "type");

        if (g_strcmp0 (type, "read") == 0)
          {
            g_assert_cmpstr (test_obj_string (frame, "reader"), ==, "visitor");
            g_assert_cmpint (test_obj_int (frame, "seq"), ==, 1);
            visitor_read = TRUE;
          }
        else if (g_strcmp0 (type, "conversation") == 0 &&
                 g_strcmp0 (test_obj_string (frame, "conversation.id"), conversation_id) == 0)
          {
            agent_read |= test_obj_int (frame, "conversation.agent_read_seq") == 1;
            pending |= g_strcmp0 (test_obj_string (frame, "conversation.status"), "pending") == 0;
          }
      }
    g_thread_join (g_steal_pointer (&holder));
  }
  test_ws_expect_none (visitor, "error", 200);
  test_ws_expect_none (tab, "error", 0);
  test_ws_expect_none (agent, "error", 0);
}

/* Whether @relay's process has a thread called @name: the process is the one holding the
 * socket that listens on the relay's port (/proc/net/tcp, then /proc/PID/fd). */
static gboolean
relay_has_thread (TestRelay  *relay,
                  const char *name)
{
  const char *url = test_relay_base_url (relay);
  guint port = (guint) g_ascii_strtoull (strrchr (url, ':') + 1, NULL, 10);
  g_autofree char *tcp = NULL, *listening = NULL, *socket_link = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GDir) proc = NULL;
  const char *pid;

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &tcp, NULL, NULL));
  listening = g_strdup_printf (":%04X 00000000:0000 0A", port);
  lines = g_strsplit (tcp, "\n", -1);
  for (guint i = 0; lines[i] != NULL && socket_link == NULL; i++)
    if (strstr (lines[i], listening) != NULL)
      {
        g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
        guint n = 0;

        /* the tenth non-empty field is the inode */
        for (guint f = 0; fields[f] != NULL; f++)
          if (*fields[f] != '\0' && ++n == 10)
            socket_link = g_strdup_printf ("socket:[%s]", fields[f]);
      }
  g_assert_nonnull (socket_link);

  proc = g_dir_open ("/proc", 0, NULL);
  while ((pid = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_path = g_strdup_printf ("/proc/%s/fd", pid);
      g_autoptr(GDir) fds = NULL;
      const char *fd;
      gboolean found = FALSE;

      if (!g_ascii_isdigit (*pid) || (fds = g_dir_open (fd_path, 0, NULL)) == NULL)
        continue;
      while (!found && (fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *link_path = g_build_filename (fd_path, fd, NULL);
          g_autofree char *target = g_file_read_link (link_path, NULL);

          found = g_strcmp0 (target, socket_link) == 0;
        }
      if (found)
        {
          g_autofree char *task_path = g_strdup_printf ("/proc/%s/task", pid);
          g_autoptr(GDir) tasks = g_dir_open (task_path, 0, NULL);
          const char *task;

          while (tasks != NULL && (task = g_dir_read_name (tasks)) != NULL)
            {
              g_autofree char *comm_path = g_build_filename (task_path, task, "comm", NULL);
              g_autofree char *comm = NULL;

              if (g_file_get_contents (comm_path, &comm, NULL, NULL) &&
                  strcmp (g_strchomp (comm), name) == 0)
                return TRUE;
            }
          return FALSE;
        }
    }
  g_error ("no process listens on %s", url);
  return FALSE;
}

/* [store] writer-thread (on by default) with [cluster] redis: every relay stores visitors'
 * messages on its writer thread, on SQLite too (it was off there), and what one relay's writer
 * stores reaches an agent on another relay once, in order. */
static void
test_writer_thread_in_cluster (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2);
  g_autoptr(TestWs) agent = NULL;
  g_autoptr(TestWs) visitor = NULL;
  gint64 last_cursor = 0, last_seq = 0;

  if (cluster == NULL)
    return;
  for (guint r = 0; r < cluster->n; r++)
    g_assert_true (relay_has_thread (cluster->relays[r], "confab-writer"));

  agent = test_ws_agent (cluster->relays[0], cluster->token);
  test_ws_ignore (agent, "visitor", "presence", "conversation", NULL);
  test_agent_subscribe (agent, 0, NULL);
  visitor = test_ws_widget (cluster->relays[1], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", "conversation", "message", NULL);
  {
    g_autoptr(JsonObject) welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  }
  /* the first on relay 1's main loop, the rest on its writer */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *client_id = test_client_id ();

      send_message (visitor, client_id, "through the writer");
    }
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) ack = test_ws_expect (visitor, "ack", 10 * TEST_TIMEOUT_MS);
      g_autoptr(JsonObject) heard = test_ws_expect (agent, "message", 10 * TEST_TIMEOUT_MS);

      g_assert_cmpint (test_obj_int (ack, "seq"), ==, last_seq + 1);
      last_seq = test_obj_int (ack, "seq");
      g_assert_cmpint (test_obj_int (heard, "cursor"), >, last_cursor);
      last_cursor = test_obj_int (heard, "cursor");
    }
  g_assert_cmpuint (assert_messages_once (agent), ==, 20);
}

/* The per-address message budget is the cluster's: what a visitor spent on relay A counts on
 * relay B. The relays start together, so that they also agree on the IP hash key. */
static void
test_shared_limits (void)
{
  g_autoptr(Cluster) cluster = cluster_new_full (2, "[limits]\nmessages-per-minute-per-ip=6\n", TRUE);
  g_autoptr(TestWs) on_a = NULL;
  g_autoptr(TestWs) on_b = NULL;
  g_autoptr(JsonObject) welcome_a = NULL;
  g_autoptr(JsonObject) welcome_b = NULL;
  guint acked_on_b = 0;

  if (cluster == NULL)
    return;

  on_a = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_ignore (on_a, "agents_online", "conversation", NULL);
  welcome_a = test_visitor_hello (on_a, NULL, NULL, "https://a.test/");
  on_b = test_ws_widget (cluster->relays[1], cluster->site_key);
  test_ws_ignore (on_b, "agents_online", "conversation", "message", NULL);
  welcome_b = test_visitor_hello (on_b, NULL, NULL, "https://a.test/");

  for (guint i = 0; i < 4; i++)
    test_visitor_say (on_a, "spent on A", NULL);
  /* Redis' answer corrects B's view of the bucket (B decides without waiting for it) */
  test_sleep_ms (200);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *client_id = test_client_id ();
      g_autoptr(JsonObject) answer = NULL;

      send_message (on_b, client_id, "on B");
      for (;;)
        {
          g_clear_pointer (&answer, json_object_unref);
          answer = test_ws_next (on_b, TEST_TIMEOUT_MS);
          g_assert_nonnull (answer);
          if (g_strcmp0 (test_obj_string (answer, "type"), "ack") == 0 ||
              g_strcmp0 (test_obj_string (answer, "type"), "error") == 0)
            break;
        }
      if (g_strcmp0 (test_obj_string (answer, "type"), "ack") == 0)
        acked_on_b++;
      else
        g_assert_cmpstr (test_obj_string (answer, "code"), ==, "rate_limited");
      test_sleep_ms (50);
    }
  /* 6 a minute for the address: 4 went through A, so B takes 2 (one more at most, taken on a
   * view Redis had not corrected yet) — not 4 */
  g_test_message ("%u of 4 accepted on relay B", acked_on_b);
  g_assert_cmpuint (acked_on_b, >=, 2);
  g_assert_cmpuint (acked_on_b, <=, 3);

  /* one key for all: the relays that started together did not each make their own (on
   * PostgreSQL it is a row of relay_keys, and no relay keeps a file of its own) */
  for (guint i = 0; i < cluster->n; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (test_relay_data_dir (cluster->relays[i]), 0, NULL);
      const char *name;
      guint keys = 0;

      while ((name = g_dir_read_name (dir)) != NULL)
        keys += g_str_has_prefix (name, "ip-hash-key");
      if (test_store_is_postgresql ())
        g_assert_cmpuint (keys, ==, 0);
      else if (i == 0)
        g_assert_cmpuint (keys, ==, 1);
    }
  if (test_store_is_postgresql ())
    g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM relay_keys"), ==, 1);
}

/* The per-address connection cap counts every relay's connections. */
static void
test_shared_connection_cap (void)
{
  g_autoptr(Cluster) cluster = cluster_new_full (2, "[limits]\nmax-connections-per-address=12\n", FALSE);
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  guint on_b = 0;

  if (cluster == NULL)
    return;

  for (guint i = 0; i < 9; i++)
    g_ptr_array_add (sockets, test_ws_widget (cluster->relays[0], cluster->site_key));
  /* A's count reaches Redis; B hears it with its own first connection's count */
  test_sleep_ms (200);

  for (guint i = 0; i < 12; i++)
    {
      guint status = 0;
      TestWs *ws = test_ws_try_widget (cluster->relays[1], cluster->site_key, NULL, &status);

      if (ws == NULL)
        {
          g_assert_cmpuint (status, ==, 429);
          break;
        }
      g_ptr_array_add (sockets, ws);
      on_b++;
      test_sleep_ms (50);
    }
  /* 12 for the address, 9 (and the test's HTTP connections) on A: a few on B, not 12 */
  g_test_message ("%u WebSockets accepted on relay B", on_b);
  g_assert_cmpuint (on_b, >=, 1);
  g_assert_cmpuint (on_b, <=, 4);
}

/* --- uploads across relays --- */

static GBytes *
make_png (int width,
          int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  gchar *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static void
assert_same_bytes (TestResponse *a,
                   TestResponse *b)
{
  g_assert_cmpuint (g_bytes_get_size (a->body), >, 0);
  g_assert_true (g_bytes_equal (a->body, b->body));
}

/* Whether @dir holds a file anywhere below it (the uploads' tmp/ aside). */
static gboolean
has_upload_files (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (strcmp (name, "tmp") == 0)
        continue;
      if (!g_file_test (path, G_FILE_TEST_IS_DIR) || has_upload_files (path))
        return TRUE;
    }
  return FALSE;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) listing = g_dir_open (path, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* An image (and its thumbnail) a visitor uploads through relay A, and a file an agent uploads
 * through relay B, each downloaded through the other relay. @shared_dir: "[uploads] dir=" for
 * every relay; NULL for the default (the database on PostgreSQL, the shared data directory on
 * SQLite). */
static void
uploads_across_relays (const char *shared_dir)
{
  g_autofree char *extra = shared_dir != NULL
                           ? g_strdup_printf ("[uploads]\ndir=%s\n", shared_dir) : NULL;
  g_autoptr(Cluster) cluster = cluster_new_full (2, extra, FALSE);
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(GBytes) png = make_png (640, 480);
  g_autoptr(GBytes) text = g_bytes_new_static ("order 1234: two boxes\n", 22);
  g_autoptr(TestResponse) posted = NULL, image_a = NULL, image_b = NULL, thumb_a = NULL;
  g_autoptr(TestResponse) thumb_b = NULL, file_posted = NULL, file_a = NULL, as_visitor = NULL;
  g_autofree char *conversation_id = NULL, *visitor_token = NULL, *thumb_url = NULL;
  g_autofree char *file_path = NULL, *visitor_url = NULL;
  g_autofree char *uploads_a = NULL, *uploads_b = NULL;
  const char *url;

  if (cluster == NULL)
    return;

  visitor = test_ws_widget (cluster->relays[0], cluster->site_key);
  test_ws_ignore (visitor, "agents_online", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/");
  visitor_token = g_strdup (test_obj_string (welcome, "visitor_token"));
  test_visitor_say (visitor, "a picture of the parcel", &conversation_id);

  /* the visitor's image, through relay A */
  posted = test_http_bytes (cluster->relays[0], "POST", "/api/v1/uploads", visitor_token, png,
                            "image/png", NULL);
  test_assert_http_status (posted, 201);
  url = test_obj_string (test_response_object (posted), "url");
  thumb_url = g_strdup (test_obj_string (test_response_object (posted), "thumb_url"));

  /* the agent reads it, and its thumbnail, through relay B: the same bytes relay A serves */
  image_b = test_http (cluster->relays[1], "GET", url, cluster->token, NULL, NULL);
  test_assert_http_status (image_b, 200);
  g_assert_cmpstr (test_response_header (image_b, "Content-Type"), ==, "image/png");
  image_a = test_http (cluster->relays[0], "GET", url, cluster->token, NULL, NULL);
  test_assert_http_status (image_a, 200);
  assert_same_bytes (image_a, image_b);
  thumb_b = test_http (cluster->relays[1], "GET", thumb_url, cluster->token, NULL, NULL);
  test_assert_http_status (thumb_b, 200);
  thumb_a = test_http (cluster->relays[0], "GET", thumb_url, cluster->token, NULL, NULL);
  test_assert_http_status (thumb_a, 200);
  assert_same_bytes (thumb_a, thumb_b);
  g_assert_cmpuint (g_bytes_get_size (thumb_b->body), <, g_bytes_get_size (image_b->body));

  /* the agent's file, through relay B, downloaded by the visitor through relay A */
  file_path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s&name=order.txt", conversation_id);
  file_posted = test_http_bytes (cluster->relays[1], "POST", file_path, cluster->token, text,
                                 "application/octet-stream", NULL);
  test_assert_http_status (file_posted, 201);
  visitor_url = g_strdup_printf ("%s?visitor_token=%s",
                                 test_obj_string (test_response_object (file_posted), "url"),
                                 visitor_token);
  file_a = test_http (cluster->relays[0], "GET", visitor_url, NULL, NULL, NULL);
  test_assert_http_status (file_a, 200);
  g_assert_true (g_bytes_equal (file_a->body, text));
  as_visitor = test_http (cluster->relays[0], "GET", visitor_url, NULL, NULL, NULL);
  test_assert_http_status (as_visitor, 200);

  /* where the bytes are */
  uploads_a = g_build_filename (test_relay_data_dir (cluster->relays[0]), "uploads", NULL);
  uploads_b = g_build_filename (test_relay_data_dir (cluster->relays[1]), "uploads", NULL);
  if (shared_dir != NULL)
    {
      g_assert_true (has_upload_files (shared_dir));
      g_assert_false (has_upload_files (uploads_a));
    }
  else if (test_store_is_postgresql ())
    {
      /* image, its thumbnail (one row) and the file: in the database, in no relay's directory */
      g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM upload_blobs"), ==, 2);
      g_assert_false (has_upload_files (uploads_a));
      g_assert_false (has_upload_files (uploads_b));
    }
  if (shared_dir != NULL && test_store_is_postgresql ())
    g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM upload_blobs"), ==, 0);

  /* the visitor's data deleted through relay B: their uploads' bytes go wherever they were,
   * and neither relay serves them any more */
  {
    g_autofree char *visitor_path = g_strdup_printf ("/api/v1/visitors/%s",
                                                     test_obj_string (welcome, "visitor_id"));
    g_autoptr(TestResponse) deleted = test_http (cluster->relays[1], "DELETE", visitor_path,
                                                 cluster->token, NULL, NULL);
    g_autoptr(TestResponse) gone = NULL;

    test_assert_http_status (deleted, 204);
    gone = test_http (cluster->relays[0], "GET", url, cluster->token, NULL, NULL);
    test_assert_http_status (gone, 404);
    if (shared_dir != NULL)
      g_assert_false (has_upload_files (shared_dir));
    else if (test_store_is_postgresql ())
      g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM upload_blobs"), ==, 0);
    else
      g_assert_false (has_upload_files (uploads_a));
  }

  /* the owner's picture, set through relay A, shown by relay B, removed through B */
  {
    g_autofree char *avatar_path = g_strdup_printf ("/api/v1/avatars/%s", cluster->user_id);
    g_autoptr(GBytes) face = make_png (200, 200);
    g_autoptr(TestResponse) set = test_http_bytes (cluster->relays[0], "PUT", "/api/v1/me/avatar",
                                                   cluster->token, face, "image/png", NULL);
    g_autoptr(TestResponse) shown_b = NULL, shown_a = NULL, removed = NULL, gone = NULL;

    test_assert_http_status (set, 200);
    shown_b = test_http (cluster->relays[1], "GET", avatar_path, NULL, NULL, NULL);
    test_assert_http_status (shown_b, 200);
    g_assert_cmpstr (test_response_header (shown_b, "Content-Type"), ==, "image/png");
    shown_a = test_http (cluster->relays[0], "GET", avatar_path, NULL, NULL, NULL);
    test_assert_http_status (shown_a, 200);
    assert_same_bytes (shown_a, shown_b);
    if (shared_dir == NULL && test_store_is_postgresql ())
      g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM upload_blobs"), ==, 1);

    removed = test_http (cluster->relays[1], "DELETE", "/api/v1/me/avatar", cluster->token, NULL, NULL);
    test_assert_http_status (removed, 204);
    gone = test_http (cluster->relays[0], "GET", avatar_path, NULL, NULL, NULL);
    test_assert_http_status (gone, 404);
    if (shared_dir == NULL && test_store_is_postgresql ())
      g_assert_cmpint (test_relay_pg_exec (cluster->relays[0], "SELECT 1 FROM upload_blobs"), ==, 0);
    if (shared_dir != NULL)
      g_assert_false (has_upload_files (shared_dir));
  }
}

static void
test_uploads_across_relays (void)
{
  uploads_across_relays (NULL);
}

static void
test_uploads_shared_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("confab-shared-uploads-XXXXXX", &error);

  g_assert_no_error (error);
  uploads_across_relays (dir);
  remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/cluster/relays/chat", test_chat_across_relays);
  test_harness_add ("/cluster/relays/presence", test_presence_across_relays);
  test_harness_add ("/cluster/relays/logout", test_logout_across_relays);
  test_harness_add ("/cluster/relays/site-change", test_site_change_across_relays);
  test_harness_add ("/cluster/relays/key-rotation", test_key_rotation_across_relays);
  test_harness_add ("/cluster/relays/visitor-deleted", test_visitor_deleted_across_relays);
  test_harness_add ("/cluster/relays/kill-mid-burst", test_kill_mid_burst);
  test_harness_add ("/cluster/relays/redis-restart", test_redis_restart);
  test_harness_add ("/cluster/relays/start-without-redis", test_start_without_redis);
  test_harness_add ("/cluster/relays/concurrent-writers", test_concurrent_writers);
  test_harness_add ("/cluster/relays/lock-held-elsewhere", test_lock_held_elsewhere);
  test_harness_add ("/cluster/relays/lock-held-elsewhere-frames", test_lock_held_elsewhere_frames);
  test_harness_add ("/cluster/relays/writer-thread", test_writer_thread_in_cluster);
  test_harness_add ("/cluster/relays/shared-limits", test_shared_limits);
  test_harness_add ("/cluster/relays/shared-connection-cap", test_shared_connection_cap);
  test_harness_add ("/cluster/relays/uploads", test_uploads_across_relays);
  test_harness_add ("/cluster/relays/uploads-shared-dir", test_uploads_shared_dir);

  return g_test_run ();
}
