/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cluster-routing.c: issue 18's routing across several real confab-relay processes behind
 * one real redis-server — an agent online on another relay is a candidate and takes the queue's
 * head when a slot frees, the chats of an agent whose relay was killed go back to the queue once
 * (on the test clock, CONFAB_TEST_CLOCK), and a burst routed by two relays at once stays under
 * every limit and assigns each conversation once. On SQLite the relays share one data
 * directory; with CONFAB_TEST_STORE=postgresql (test-cluster-routing-postgresql) each has its
 * own and they share the PostgreSQL database and Redis. Every wait is on a condition. */
#include "relay-harness.h"
#include "cluster-redis.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define N_RELAYS 3
/* a loaded machine: the waits are on conditions, these only bound them */
#define ROUTE_TIMEOUT_MS (TEST_TIMEOUT_MS * 3 * test_timeout_multiplier ())
/* a relay's agents leave Redis 15 s after its last refresh, seen at the next list (5 s) */
#define PRESENCE_GONE_MS (25000 * test_timeout_multiplier ())

typedef struct {
  ClusterRedis *redis;
  TestRelay    *relays[N_RELAYS];   /* [0] owns the data directory */
  guint         n;
  char         *token;              /* owner@a.test */
  char         *site_id;
  char         *site_key;
  char         *clock_path;         /* CONFAB_TEST_CLOCK: ms added to the real time */
} Cluster;

typedef struct {
  char   *id;
  char   *token;
  TestWs *ws;
} Agent;

static void
agent_free (Agent *agent)
{
  g_free (agent->id);
  g_free (agent->token);
  g_clear_pointer (&agent->ws, test_ws_free);
  g_free (agent);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Agent, agent_free)

/* Relay @i: on SQLite in relay 0's data directory; on PostgreSQL in one of its own naming relay
 * 0's database (as test-cluster-relays.c does). */
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
  url_file = g_build_filename (first_dir, "test-pg-url", NULL);
  g_assert_true (g_file_get_contents (url_file, &url, NULL, NULL));
  copy = g_build_filename (dir, "test-pg-url", NULL);
  g_assert_true (g_file_set_contents (copy, url, -1, NULL));
  return test_relay_new_full (config, dir);
}

/* @n relays on one Redis and one store, each on the test clock; owner@a.test with "Site a",
 * its @settings_json. NULL (skipped) without redis-server. */
static Cluster *
cluster_new (guint       n,
             const char *settings_json)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  Cluster *cluster;

  if (program == NULL)
    {
      test_harness_skip ("redis-server is not installed (apt-get install redis-server)");
      return NULL;
    }

  cluster = g_new0 (Cluster, 1);
  cluster->redis = cluster_redis_start ();
  cluster->n = n;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *config = g_strdup_printf ("[cluster]\nredis=%s\nnode-name=relay-%c\n",
                                                 cluster->redis->url, 'a' + i);

      if (i == 0)
        {
          cluster->relays[0] = test_relay_new (config);
          cluster->clock_path = g_build_filename (test_relay_tmp_dir (cluster->relays[0]),
                                                  "clock", NULL);
          g_assert_true (g_file_set_contents (cluster->clock_path, "0", -1, NULL));
          /* the relays inherit it */
          g_setenv ("CONFAB_TEST_CLOCK", cluster->clock_path, TRUE);
        }
      else
        cluster->relays[i] = relay_beside (cluster, i, config);
      test_relay_start (cluster->relays[i]);
    }

  {
    g_autoptr(JsonObject) user = test_relay_create_user (cluster->relays[0], "owner@a.test",
                                                         "correct horse battery", "Owner a");
    g_autoptr(JsonObject) site = test_relay_create_site (cluster->relays[0], "owner@a.test",
                                                         "Site a", NULL);

    cluster->site_id = g_strdup (test_obj_string (site, "id"));
    cluster->site_key = g_strdup (test_obj_string (site, "site_key"));
  }
  cluster->token = test_relay_login (cluster->relays[0], "owner@a.test", "correct horse battery");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", cluster->site_id);
    g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
    g_autoptr(TestResponse) patched = test_http (cluster->relays[0], "PATCH", path, cluster->token,
                                                 body, NULL);

    test_assert_http_status (patched, 200);
  }
  return cluster;
}

static void
cluster_free (Cluster *cluster)
{
  if (cluster == NULL)
    return;
  for (guint i = cluster->n; i-- > 0;)
    g_clear_pointer (&cluster->relays[i], test_relay_free);
  g_clear_pointer (&cluster->redis, cluster_redis_free);
  g_unsetenv ("CONFAB_TEST_CLOCK");
  g_free (cluster->token);
  g_free (cluster->site_id);
  g_free (cluster->site_key);
  g_free (cluster->clock_path);
  g_free (cluster);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cluster, cluster_free)

/* Time moves on by @ms on every running relay (confab-targets.h: SIGUSR2 reads the file). */
static void
clock_advance (Cluster *cluster,
               gint64   ms)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, ms);

  g_assert_true (g_file_set_contents (cluster->clock_path, text, -1, NULL));
  for (guint i = 0; i < cluster->n; i++)
    if (test_relay_is_running (cluster->relays[i]))
      test_relay_send_signal (cluster->relays[i], SIGUSR2);
}

static void
quiet (TestWs *ws)
{
  test_ws_ignore (ws, "visitor", "typing_preview", "message", "members", "site", "sites",
                  "agents_online", "teams", "timeline", "conversation", "note", NULL);
}

/* A new agent of the site (@max_chats, 0: none), connected to @relay and online. */
static Agent *
add_agent (Cluster    *cluster,
           TestRelay  *relay,
           const char *name,
           int         max_chats)
{
  Agent *agent = g_new0 (Agent, 1);
  g_autofree char *email = g_strdup_printf ("%s@a.test", name);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", cluster->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'agent'}", email);
  g_autoptr(JsonObject) user = test_relay_create_user (cluster->relays[0], email, "secret-pass-1", name);
  g_autoptr(TestResponse) added = test_http (cluster->relays[0], "POST", path, cluster->token, body, NULL);

  test_assert_http_status (added, 201);
  agent->id = g_strdup (test_obj_string (user, "id"));
  if (max_chats > 0)
    {
      g_autofree char *member = g_strdup_printf ("/api/v1/sites/%s/members/%s", cluster->site_id,
                                                 agent->id);
      g_autofree char *limit = g_strdup_printf ("{\"max_chats\":%d}", max_chats);
      g_autoptr(TestResponse) patched = test_http (cluster->relays[0], "PATCH", member,
                                                   cluster->token, limit, NULL);

      test_assert_http_status (patched, 200);
    }
  agent->token = test_relay_login (relay, email, "secret-pass-1");
  agent->ws = test_ws_agent (relay, agent->token);
  test_ws_set_name (agent->ws, name);
  quiet (agent->ws);
  test_agent_subscribe (agent->ws, 0, NULL);
  return agent;
}

/* The owner on @relay, away (no candidate): the eyes of the test on the team's presence. */
static TestWs *
owner_away (Cluster   *cluster,
            TestRelay *relay)
{
  TestWs *owner = test_ws_agent (relay, cluster->token);

  test_ws_set_name (owner, "owner");
  quiet (owner);
  test_agent_subscribe (owner, 0, NULL);
  test_ws_send (owner, "{\"type\":\"presence\",\"status\":\"away\"}");
  return owner;
}

/* A visitor on @relay whose welcome counts @online agents (at once, or once the relay asked
 * Redis who is on the others). */
static TestWs *
new_visitor (Cluster   *cluster,
             TestRelay *relay,
             gint64     online)
{
  TestWs *visitor = test_ws_widget (relay, cluster->site_key);
  g_autoptr(JsonObject) welcome = NULL;

  test_ws_ignore (visitor, "conversation", "typing", "read", NULL);
  welcome = test_visitor_hello (visitor, NULL, NULL, "https://a.test/pricing");
  if (online >= 0 && test_obj_int (welcome, "agents_online") != online)
    {
      gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

      for (;;)
        {
          g_autoptr(JsonObject) frame = test_ws_find (visitor, "agents_online", 200);

          if (frame != NULL && test_obj_int (frame, "count") == online)
            break;
          if (g_get_monotonic_time () > deadline)
            g_error ("the visitor never heard of %" G_GINT64_FORMAT " agents online", online);
        }
    }
  test_ws_ignore (visitor, "agents_online", NULL);
  return visitor;
}

static JsonObject *
get_conversation (Cluster    *cluster,
                  TestRelay  *relay,
                  const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  g_autoptr(TestResponse) response = test_http (relay, "GET", path, cluster->token, NULL, NULL);
  JsonObject *object;

  test_assert_http_status (response, 200);
  object = test_response_object (response);
  if (test_obj_has (object, "conversation"))
    object = test_obj_object (object, "conversation");
  return json_object_ref (object);
}

static char *
assignee_of (Cluster    *cluster,
             TestRelay  *relay,
             const char *conversation_id)
{
  g_autoptr(JsonObject) conversation = get_conversation (cluster, relay, conversation_id);

  return test_obj_is_null (conversation, "assignee") ? NULL
                                                     : g_strdup (test_obj_string (conversation, "assignee.id"));
}

/* Waits until the assignee is @expected (NULL: nobody, and the conversation queued). */
static void
wait_assignee (Cluster    *cluster,
               TestRelay  *relay,
               const char *conversation_id,
               const char *expected,
               guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) conversation = get_conversation (cluster, relay, conversation_id);
      const char *assignee = test_obj_is_null (conversation, "assignee")
                               ? NULL : test_obj_string (conversation, "assignee.id");
      gboolean queued = !test_obj_is_null (conversation, "queue_position");

      if (expected != NULL ? g_strcmp0 (assignee, expected) == 0 : assignee == NULL && queued)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: assignee %s (%s), expected %s", conversation_id, assignee ? assignee : "none",
                 queued ? "queued" : "not queued", expected ? expected : "none, queued");
      test_sleep_ms (50);
    }
}

/* How many timeline events of @kind by routing the conversation has. */
static guint
count_routing (Cluster    *cluster,
               TestRelay  *relay,
               const char *conversation_id,
               const char *kind)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
  g_autoptr(TestResponse) timeline = test_http (relay, "GET", path, cluster->token, NULL, NULL);
  JsonArray *events;
  guint count = 0;

  test_assert_http_status (timeline, 200);
  events = test_obj_array (test_response_object (timeline), "events");
  for (guint j = 0; j < json_array_get_length (events); j++)
    {
      JsonObject *event = json_array_get_object_element (events, j);

      count += g_strcmp0 (test_obj_string (event, "kind"), kind) == 0 &&
               g_strcmp0 (test_obj_string (event, "by"), "routing") == 0;
    }
  return count;
}

static JsonObject *
wait_queue_frame (TestWs     *visitor,
                  const char *conversation_id,
                  gint64      position)
{
  gint64 deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) frame = test_ws_find_match (visitor, "queue", "conversation_id",
                                                        conversation_id, 100);

      gint64 got = frame == NULL ? -1
                   : test_obj_is_null (frame, "position") ? 0 : test_obj_int (frame, "position");

      /* @position -1: any place in the queue */
      if (frame != NULL && (got == position || (position < 0 && got > 0)))
        return g_steal_pointer (&frame);
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: no queue frame with position %" G_GINT64_FORMAT, conversation_id, position);
    }
}

/* The visitor on relay A, the only online agent on relay B: B's agent gets the chat. At their
 * limit the next one waits; B's agent resolves one and the queued one is theirs, and A's
 * visitor hears that it left the queue. */
static void
test_remote_candidate (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2, "{\"assignment\":\"round_robin\"}");
  g_autoptr(Agent) bea = NULL;
  g_autoptr(TestWs) first = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autofree char *first_id = NULL, *second_id = NULL;

  if (cluster == NULL)
    return;

  bea = add_agent (cluster, cluster->relays[1], "bea", 1);
  first = new_visitor (cluster, cluster->relays[0], 1);
  test_visitor_say (first, "Hello from relay A", &first_id);
  wait_assignee (cluster, cluster->relays[0], first_id, bea->id, ROUTE_TIMEOUT_MS);
  g_assert_cmpuint (count_routing (cluster, cluster->relays[0], first_id, "assigned"), ==, 1);

  /* bea is at her limit of 1: the second waits */
  second = new_visitor (cluster, cluster->relays[0], 1);
  test_visitor_say (second, "Me too", &second_id);
  {
    g_autoptr(JsonObject) queued = wait_queue_frame (second, second_id, 1);
  }
  g_assert_null (assignee_of (cluster, cluster->relays[0], second_id));

  /* bea resolves the first on relay B: the second is hers, and its visitor on A hears so */
  test_ws_sendf (bea->ws, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 first_id);
  wait_assignee (cluster, cluster->relays[0], second_id, bea->id, ROUTE_TIMEOUT_MS);
  {
    g_autoptr(JsonObject) left = wait_queue_frame (second, second_id, 0);
  }
  g_assert_cmpuint (count_routing (cluster, cluster->relays[1], second_id, "assigned"), ==, 1);
}

/* Relay B, where bea is, is killed (kill -9) while she holds chats of visitors on A and C. Once
 * Redis forgets her and the grace period has passed on the test clock, the chats go back to the
 * queue, each once, though relays A and C both look. */
static void
test_relay_dies (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3, "{\"assignment\":\"round_robin\","
                                                "\"reassign_after_seconds\":60}");
  g_autoptr(Agent) bea = NULL;
  g_autoptr(TestWs) owner = NULL;
  g_autoptr(TestWs) on_a = NULL;
  g_autoptr(TestWs) on_c = NULL;
  g_autofree char *a_id = NULL, *c_id = NULL;

  if (cluster == NULL)
    return;

  owner = owner_away (cluster, cluster->relays[0]);
  bea = add_agent (cluster, cluster->relays[1], "bea", 0);
  on_a = new_visitor (cluster, cluster->relays[0], 1);
  on_c = new_visitor (cluster, cluster->relays[2], 1);
  test_visitor_say (on_a, "Hello from A", &a_id);
  test_visitor_say (on_c, "Hello from C", &c_id);
  wait_assignee (cluster, cluster->relays[0], a_id, bea->id, ROUTE_TIMEOUT_MS);
  wait_assignee (cluster, cluster->relays[2], c_id, bea->id, ROUTE_TIMEOUT_MS);

  test_relay_kill (cluster->relays[1]);
  g_clear_pointer (&bea->ws, test_ws_free);
  {
    g_autoptr(JsonObject) gone = test_ws_wait_for_match (owner, "presence", "status", "offline",
                                                         PRESENCE_GONE_MS);

    g_assert_cmpstr (test_obj_string (gone, "agent_id"), ==, bea->id);
  }
  /* within the grace period: still hers */
  {
    g_autofree char *assignee = assignee_of (cluster, cluster->relays[0], a_id);

    g_assert_cmpstr (assignee, ==, bea->id);
  }

  /* past it: both back in the queue (nobody else is online), by the next presence list */
  clock_advance (cluster, 61 * 1000);
  wait_assignee (cluster, cluster->relays[0], a_id, NULL, ROUTE_TIMEOUT_MS);
  wait_assignee (cluster, cluster->relays[2], c_id, NULL, ROUTE_TIMEOUT_MS);
  {
    g_autoptr(JsonObject) queued = wait_queue_frame (on_a, a_id, -1);
  }
  /* every relay's sweep ran again meanwhile (each lists presence every 5 s): still once */
  test_sleep_ms (6000);
  g_assert_cmpuint (count_routing (cluster, cluster->relays[0], a_id, "unassigned"), ==, 1);
  g_assert_cmpuint (count_routing (cluster, cluster->relays[2], c_id, "unassigned"), ==, 1);
}

/* Whether @relay has no WebSocket open (its /metrics say so). */
static gboolean
no_sockets (TestRelay *relay)
{
  g_autoptr(TestResponse) response = test_http (relay, "GET", "/metrics", NULL, NULL, NULL);
  g_autofree char *text = NULL;

  test_assert_http_status (response, 200);
  text = test_response_text (response);
  return strstr (text, "confab_connections{kind=\"visitor\"} 0\n") != NULL &&
         strstr (text, "confab_connections{kind=\"agent\"} 0\n") != NULL;
}

/* As relay-dies, but everyone else leaves too (the visitors, the owner): no relay has a client
 * of the site, so none sweeps it after its presence lists. Once Redis forgets bea and the grace
 * period has passed, her chats still go back to the queue, each once: every relay also sweeps
 * the sites with chats assigned that nobody is connected to. Before, they stayed hers. */
static void
test_relay_dies_nobody_there (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3, "{\"assignment\":\"round_robin\","
                                                "\"reassign_after_seconds\":60}");
  g_autoptr(Agent) bea = NULL;
  g_autoptr(TestWs) owner = NULL;
  g_autoptr(TestWs) on_a = NULL;
  g_autoptr(TestWs) on_c = NULL;
  g_autofree char *a_id = NULL, *c_id = NULL;
  gint64 deadline, offset = 0;

  if (cluster == NULL)
    return;

  owner = owner_away (cluster, cluster->relays[0]);
  bea = add_agent (cluster, cluster->relays[1], "bea", 0);
  on_a = new_visitor (cluster, cluster->relays[0], 1);
  on_c = new_visitor (cluster, cluster->relays[2], 1);
  test_visitor_say (on_a, "Hello from A", &a_id);
  test_visitor_say (on_c, "Hello from C", &c_id);
  wait_assignee (cluster, cluster->relays[0], a_id, bea->id, ROUTE_TIMEOUT_MS);
  wait_assignee (cluster, cluster->relays[2], c_id, bea->id, ROUTE_TIMEOUT_MS);

  test_relay_kill (cluster->relays[1]);
  g_clear_pointer (&bea->ws, test_ws_free);
  {
    g_autoptr(JsonObject) gone = test_ws_wait_for_match (owner, "presence", "status", "offline",
                                                         PRESENCE_GONE_MS);

    g_assert_cmpstr (test_obj_string (gone, "agent_id"), ==, bea->id);
  }

  /* everyone leaves; the relays know before the clock moves */
  g_clear_pointer (&owner, test_ws_free);
  g_clear_pointer (&on_a, test_ws_free);
  g_clear_pointer (&on_c, test_ws_free);
  deadline = g_get_monotonic_time () + ROUTE_TIMEOUT_MS * 1000;
  while (!no_sockets (cluster->relays[0]) || !no_sockets (cluster->relays[2]))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
  {
    g_autofree char *assignee = assignee_of (cluster, cluster->relays[0], a_id);

    g_assert_cmpstr (assignee, ==, bea->id);
  }

  /* past the grace period, counted from when a sweep first found her absent (which may be the
   * next one): the clock moves a minute at a time until both are back in the queue */
  deadline = g_get_monotonic_time () + (ROUTE_TIMEOUT_MS + 30000) * 1000;
  for (;;)
    {
      g_autofree char *on_a_assignee = NULL, *on_c_assignee = NULL;
      gint64 round_end;

      offset += 61 * 1000;
      clock_advance (cluster, offset);
      /* each relay sweeps every 5 s */
      round_end = g_get_monotonic_time () + 6 * G_USEC_PER_SEC;
      do
        {
          g_clear_pointer (&on_a_assignee, g_free);
          g_clear_pointer (&on_c_assignee, g_free);
          on_a_assignee = assignee_of (cluster, cluster->relays[0], a_id);
          on_c_assignee = assignee_of (cluster, cluster->relays[2], c_id);
          if (on_a_assignee == NULL && on_c_assignee == NULL)
            break;
          test_sleep_ms (100);
        }
      while (g_get_monotonic_time () < round_end);
      if (on_a_assignee == NULL && on_c_assignee == NULL)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("a dead agent's chats on a site nobody is on stayed hers (%s, %s)",
                 on_a_assignee, on_c_assignee);
    }
  /* every relay's sweep ran again meanwhile: still once */
  test_sleep_ms (6000);
  g_assert_cmpuint (count_routing (cluster, cluster->relays[0], a_id, "unassigned"), ==, 1);
  g_assert_cmpuint (count_routing (cluster, cluster->relays[2], c_id, "unassigned"), ==, 1);
}

/* bea's relay B dies, and she reconnects to relay C within the grace period: once the grace
 * period has passed on the test clock her chats are still hers. */
static void
test_back_on_another_relay (void)
{
  g_autoptr(Cluster) cluster = cluster_new (3, "{\"assignment\":\"round_robin\","
                                                "\"reassign_after_seconds\":60}");
  g_autoptr(Agent) bea = NULL;
  g_autoptr(TestWs) owner = NULL;
  g_autoptr(TestWs) visitor = NULL;
  g_autoptr(TestWs) again = NULL;
  g_autofree char *conversation_id = NULL;

  if (cluster == NULL)
    return;

  owner = owner_away (cluster, cluster->relays[0]);
  bea = add_agent (cluster, cluster->relays[1], "bea", 0);
  visitor = new_visitor (cluster, cluster->relays[0], 1);
  test_visitor_say (visitor, "Hello from A", &conversation_id);
  wait_assignee (cluster, cluster->relays[0], conversation_id, bea->id, ROUTE_TIMEOUT_MS);

  test_relay_kill (cluster->relays[1]);
  g_clear_pointer (&bea->ws, test_ws_free);
  {
    g_autoptr(JsonObject) gone = test_ws_wait_for_match (owner, "presence", "status", "offline",
                                                         PRESENCE_GONE_MS);
  }
  /* back, on relay C: A hears she is online */
  again = test_ws_agent (cluster->relays[2], bea->token);
  quiet (again);
  test_agent_subscribe (again, 0, NULL);
  {
    g_autoptr(JsonObject) back = test_ws_wait_for_match (owner, "presence", "status", "online",
                                                         ROUTE_TIMEOUT_MS);

    g_assert_cmpstr (test_obj_string (back, "agent_id"), ==, bea->id);
  }

  /* the grace period passes; A and C list presence again (every 5 s) and leave the chat be */
  clock_advance (cluster, 61 * 1000);
  test_sleep_ms (6000);
  {
    g_autofree char *assignee = assignee_of (cluster, cluster->relays[0], conversation_id);

    g_assert_cmpstr (assignee, ==, bea->id);
  }
  g_assert_cmpuint (count_routing (cluster, cluster->relays[0], conversation_id, "unassigned"), ==, 0);
}

/* 20 visitors, 15 on relay A and 5 on relay B, all at once; three agents with a limit of 3
 * each, one on A and two on B. Both relays route: 9 get an agent (A's visitors too go to B's
 * agents), 11 wait; nobody over the limit, each assigned once. */
static void
test_burst_two_relays (void)
{
  g_autoptr(Cluster) cluster = cluster_new (2, "{\"assignment\":\"least_busy\"}");
  g_autoptr(Agent) ann = NULL;
  g_autoptr(Agent) bea = NULL;
  g_autoptr(Agent) cy = NULL;
  g_autoptr(GPtrArray) visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) load = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint assigned = 0, queued = 0, retries = 0;
  gint64 deadline;

  if (cluster == NULL)
    return;

  ann = add_agent (cluster, cluster->relays[0], "ann", 3);
  bea = add_agent (cluster, cluster->relays[1], "bea", 3);
  cy = add_agent (cluster, cluster->relays[1], "cy", 3);
  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (visitors, new_visitor (cluster, cluster->relays[i < 15 ? 0 : 1], 3));
  for (guint i = 0; i < 20; i++)
    test_ws_sendf (g_ptr_array_index (visitors, i),
                   "{'type':'message','client_id':'burst-%u','body':'Hello %u'}", i, i);
  for (guint i = 0; i < 20; i++)
    {
      TestWs *visitor = g_ptr_array_index (visitors, i);
      gint64 until = g_get_monotonic_time () + (gint64) ROUTE_TIMEOUT_MS * 1000;

      /* as the widget does: a store_unavailable is sent again, the same client_id, after
       * retry_after (PostgreSQL under several relays' writes at once may answer it) */
      for (;;)
        {
          g_autoptr(JsonObject) frame = test_ws_next (visitor, 200);

          if (frame != NULL && g_strcmp0 (test_obj_string (frame, "type"), "ack") == 0)
            {
              g_ptr_array_add (ids, g_strdup (test_obj_string (frame, "conversation_id")));
              break;
            }
          if (frame != NULL && g_strcmp0 (test_obj_string (frame, "type"), "error") == 0)
            {
              g_assert_cmpstr (test_obj_string (frame, "code"), ==, "store_unavailable");
              retries++;
              test_sleep_ms (1000 * test_obj_int (frame, "retry_after"));
              test_ws_sendf (visitor, "{'type':'message','client_id':'burst-%u','body':'Hello %u'}",
                             i, i);
            }
          if (g_get_monotonic_time () > until)
            g_error ("visitor %u: no ack", i);
        }
    }

  /* the relays settle: 9 assigned */
  deadline = g_get_monotonic_time () + (gint64) ROUTE_TIMEOUT_MS * 1000;
  for (;;)
    {
      assigned = queued = 0;
      g_hash_table_remove_all (load);
      for (guint i = 0; i < ids->len; i++)
        {
          g_autoptr(JsonObject) conversation = get_conversation (cluster, cluster->relays[i % 2],
                                                                 g_ptr_array_index (ids, i));

          if (!test_obj_is_null (conversation, "assignee"))
            {
              const char *who = test_obj_string (conversation, "assignee.id");

              assigned++;
              g_hash_table_replace (load, g_strdup (who),
                                    GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (load, who)) + 1));
              g_assert_true (test_obj_is_null (conversation, "queue_position"));
            }
          else if (!test_obj_is_null (conversation, "queue_position"))
            queued++;
        }
      if (assigned == 9 || g_get_monotonic_time () > deadline)
        break;
      test_sleep_ms (100);
    }
  g_test_message ("%u assigned, %u queued, %u sent again after store_unavailable", assigned, queued,
                  retries);
  g_assert_cmpuint (assigned, ==, 9);
  g_assert_cmpuint (queued, ==, 11);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (load, ann->id)), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (load, bea->id)), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (load, cy->id)), ==, 3);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpuint (count_routing (cluster, cluster->relays[0], g_ptr_array_index (ids, i),
                                     "assigned"), <=, 1);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/cluster/routing/remote-candidate", test_remote_candidate);
  test_harness_add ("/cluster/routing/relay-dies", test_relay_dies);
  test_harness_add ("/cluster/routing/relay-dies-nobody-there", test_relay_dies_nobody_there);
  test_harness_add ("/cluster/routing/back-on-another-relay", test_back_on_another_relay);
  test_harness_add ("/cluster/routing/burst-two-relays", test_burst_two_relays);
  return g_test_run ();
}
