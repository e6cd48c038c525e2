/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cluster-bus.c: two buses ("relays") in one process against a real redis-server */
#define G_LOG_DOMAIN "test-cluster-bus"

#include <hiredis/hiredis.h>

#include "cluster-redis.h"
#include "confab-bus.h"
#include "confab-presence.h"
#include "confab-shared-counter.h"
#include "confab-shared-limits.h"

typedef struct {
  char    *site_id;
  char    *node;
  guint64  seq;
  char    *json;
} Received;

static void
received_free (gpointer data)
{
  Received *r = data;

  g_free (r->site_id);
  g_free (r->node);
  g_free (r->json);
  g_free (r);
}

typedef struct {
  ConfabBus *bus;
  GPtrArray *received;
  guint      lost;
  guint      restored;
  guint      gaps;
} Relay;

static void
on_frame (ConfabBus  *bus,
          const char *site_id,
          const char *node,
          guint64     seq,
          const char *json,
          gpointer    user_data)
{
  Relay *relay = user_data;
  Received *r = g_new0 (Received, 1);

  r->site_id = g_strdup (site_id);
  r->node = g_strdup (node);
  r->seq = seq;
  r->json = g_strdup (json);
  g_ptr_array_add (relay->received, r);
}

static void
on_lost (ConfabBus *bus,
         Relay     *relay)
{
  relay->lost++;
}

static void
on_restored (ConfabBus *bus,
             Relay     *relay)
{
  relay->restored++;
}

static void
on_gap (ConfabBus  *bus,
        const char *site_id,
        const char *node,
        Relay      *relay)
{
  relay->gaps++;
}

static void
relay_init (Relay      *relay,
            const char *url,
            const char *node,
            const char *site_id)
{
  ConfabClusterConfig config = { (char *) url, (char *) node, 200 };
  g_autoptr (GError) error = NULL;

  relay->bus = confab_bus_new (&config, &error);
  g_assert_no_error (error);
  relay->received = g_ptr_array_new_with_free_func (received_free);
  confab_bus_set_handler (relay->bus, on_frame, relay, NULL);
  g_signal_connect (relay->bus, "link-lost", G_CALLBACK (on_lost), relay);
  g_signal_connect (relay->bus, "link-restored", G_CALLBACK (on_restored), relay);
  g_signal_connect (relay->bus, "gap", G_CALLBACK (on_gap), relay);
  if (site_id != NULL)
    confab_bus_subscribe_site (relay->bus, site_id);
  confab_bus_start (relay->bus);
}

static void
relay_clear (Relay *relay)
{
  g_clear_object (&relay->bus);
  g_clear_pointer (&relay->received, g_ptr_array_unref);
}

static gboolean
is_connected (gpointer data)
{
  return confab_bus_is_connected (data);
}

static gboolean
both_connected (gpointer data)
{
  Relay *relays = data;

  return confab_bus_is_connected (relays[0].bus) && confab_bus_is_connected (relays[1].bus);
}

static gboolean
both_lost (gpointer data)
{
  Relay *relays = data;

  return relays[0].lost > 0 && relays[1].lost > 0;
}

static gboolean
both_restored (gpointer data)
{
  Relay *relays = data;

  return relays[0].restored > 0 && relays[1].restored > 0;
}

static gboolean
both_lost_twice (gpointer data)
{
  Relay *relays = data;

  return relays[0].lost == 2 && relays[1].lost == 2;
}

static gboolean
both_restored_twice (gpointer data)
{
  Relay *relays = data;

  return relays[0].restored == 2 && relays[1].restored == 2;
}

typedef struct {
  Relay *relay;
  guint  count;
} Expect;

static gboolean
has_received (gpointer data)
{
  Expect *expect = data;

  return expect->relay->received->len >= expect->count;
}

/* 300 frames from relay A reach relay B in order, with A's node name and sequence; A never
 * gets its own back; a site B does not follow never reaches it; the relay-wide channel does. */
static void
test_exchange (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  Expect expect = { &relays[1], 301 };
  Expect back = { &relays[0], 1 };

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", "site-1");
  relay_init (&relays[1], redis->url, "relay-b", "site-1");
  g_assert_true (cluster_wait (both_connected, relays, 10000));
  g_assert_cmpstr (confab_bus_get_node_name (relays[0].bus), ==, "relay-a");

  for (guint i = 1; i <= 300; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"message\",\"n\":%u}", i);

      g_assert_true (confab_bus_publish (relays[0].bus, "site-1", json));
      if (i == 150)
        g_assert_true (confab_bus_publish (relays[0].bus, "site-2", "{\"not\":\"followed\"}"));
    }
  g_assert_true (confab_bus_publish (relays[0].bus, NULL, "{\"type\":\"revoked\"}"));
  g_assert_true (cluster_wait (has_received, &expect, 10000));

  for (guint i = 0; i < 300; i++)
    {
      Received *r = g_ptr_array_index (relays[1].received, i);
      g_autofree char *json = g_strdup_printf ("{\"type\":\"message\",\"n\":%u}", i + 1);

      g_assert_cmpstr (r->site_id, ==, "site-1");
      g_assert_cmpstr (r->node, ==, "relay-a");
      g_assert_cmpuint (r->seq, ==, i + 1);
      g_assert_cmpstr (r->json, ==, json);
    }
  {
    Received *r = g_ptr_array_index (relays[1].received, 300);

    g_assert_null (r->site_id);
    g_assert_cmpstr (r->json, ==, "{\"type\":\"revoked\"}");
  }

  /* the other way, and by then A has had every chance to get its own 301 frames back */
  g_assert_true (confab_bus_publish (relays[1].bus, "site-1", "{\"from\":\"b\"}"));
  g_assert_true (cluster_wait (has_received, &back, 10000));
  g_assert_cmpuint (relays[0].received->len, ==, 1);
  g_assert_cmpstr (((Received *) g_ptr_array_index (relays[0].received, 0))->node, ==, "relay-b");
  g_assert_cmpuint (relays[1].received->len, ==, 301);
  g_assert_cmpuint (relays[0].gaps + relays[1].gaps, ==, 0);
  {
    ConfabBusStats a, b;

    confab_bus_get_stats (relays[0].bus, &a);
    confab_bus_get_stats (relays[1].bus, &b);
    g_assert_cmpuint (a.published, ==, 302);
    g_assert_cmpuint (a.received, ==, 1);
    g_assert_cmpuint (b.published, ==, 1);
    g_assert_cmpuint (b.received, ==, 301);
    g_assert_cmpuint (a.refused + b.refused + a.gaps + b.gaps + a.links_lost + b.links_lost, ==, 0);
  }
  g_assert_cmpuint (relays[0].lost + relays[1].lost, ==, 0);
  g_assert_cmpuint (relays[0].restored + relays[1].restored, ==, 0);

  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

/* A site subscribed after the link is up is heard too, and one unsubscribed is not. */
static void
test_subscribe_later (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  Expect expect = { &relays[1], 2 };

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", NULL);
  relay_init (&relays[1], redis->url, "relay-b", NULL);
  g_assert_true (cluster_wait (both_connected, relays, 10000));

  confab_bus_subscribe_site (relays[1].bus, "late");
  /* B's SUBSCRIBE and A's PUBLISH go over different connections: a relay-wide frame from B to
   * A and back orders them */
  g_assert_true (confab_bus_publish (relays[1].bus, NULL, "{}"));
  g_assert_true (cluster_wait (has_received, &(Expect) { &relays[0], 1 }, 10000));
  g_assert_true (confab_bus_publish (relays[0].bus, "late", "{\"n\":1}"));
  g_assert_true (confab_bus_publish (relays[0].bus, NULL, "{\"n\":2}"));
  g_assert_true (cluster_wait (has_received, &expect, 10000));
  g_assert_cmpstr (((Received *) g_ptr_array_index (relays[1].received, 0))->site_id, ==, "late");

  confab_bus_unsubscribe_site (relays[1].bus, "late");
  g_assert_true (confab_bus_publish (relays[1].bus, NULL, "{}"));
  g_assert_true (cluster_wait (has_received, &(Expect) { &relays[0], 2 }, 10000));
  g_assert_true (confab_bus_publish (relays[0].bus, "late", "{\"n\":3}"));
  g_assert_true (confab_bus_publish (relays[0].bus, NULL, "{\"n\":4}"));
  g_assert_true (cluster_wait (has_received, &(Expect) { &relays[1], 3 }, 10000));
  g_assert_cmpstr (((Received *) g_ptr_array_index (relays[1].received, 2))->json, ==, "{\"n\":4}");

  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

/* Redis killed: both relays say link-lost and publishing refuses; Redis back on the same port:
 * link-restored (the hub's cue to re-read the log) and frames flow again. */
static void
test_redis_restart (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  Expect expect = { &relays[1], 1 };

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", "s");
  relay_init (&relays[1], redis->url, "relay-b", "s");
  g_assert_true (cluster_wait (both_connected, relays, 10000));
  g_assert_cmpuint (relays[0].restored, ==, 0);

  cluster_redis_kill (redis);
  g_assert_true (cluster_wait (both_lost, relays, 10000));
  g_assert_false (confab_bus_is_connected (relays[0].bus));
  g_assert_false (confab_bus_publish (relays[0].bus, "s", "{\"lost\":true}"));
  {
    ConfabBusStats stats;

    confab_bus_get_stats (relays[0].bus, &stats);
    g_assert_cmpuint (stats.refused, ==, 1);
    g_assert_cmpuint (stats.links_lost, ==, 1);
  }

  /* a few reconnect attempts fail before it is back */
  g_usleep (500 * 1000);
  while (g_main_context_iteration (NULL, FALSE));
  g_assert_cmpuint (relays[0].restored, ==, 0);

  cluster_redis_restart (redis);
  g_assert_true (cluster_wait (both_restored, relays, 10000));
  g_assert_cmpuint (relays[0].lost, ==, 1);
  g_assert_cmpuint (relays[1].lost, ==, 1);
  g_assert_true (both_connected (relays));

  g_assert_true (confab_bus_publish (relays[0].bus, "s", "{\"back\":true}"));
  g_assert_true (cluster_wait (has_received, &expect, 10000));
  g_assert_cmpstr (((Received *) g_ptr_array_index (relays[1].received, 0))->json, ==,
                   "{\"back\":true}");

  /* Redis up but the subscriber connections cut (what Redis does to a subscriber past its
   * output buffer limit): the same loss and recovery, while the command link stays up */
  {
    redisContext *raw = redisConnect ("127.0.0.1", redis->port);
    redisReply *reply;

    g_assert_true (raw != NULL && raw->err == 0);
    reply = redisCommand (raw, "CLIENT KILL TYPE pubsub");
    g_assert_nonnull (reply);
    g_assert_cmpint (reply->type, ==, REDIS_REPLY_INTEGER);
    g_assert_cmpint (reply->integer, ==, 2);
    freeReplyObject (reply);
    redisFree (raw);
  }
  g_assert_true (cluster_wait (both_lost_twice, relays, 10000));
  g_assert_true (cluster_wait (both_restored_twice, relays, 10000));
  g_assert_true (confab_bus_publish (relays[0].bus, "s", "{\"again\":true}"));
  g_assert_true (cluster_wait (has_received, &(Expect) { &relays[1], 2 }, 10000));
  g_assert_cmpstr (((Received *) g_ptr_array_index (relays[1].received, 1))->json, ==,
                   "{\"again\":true}");

  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

/* A host name and the unix socket form; a hole in another relay's sequence is reported as a gap. */
static void
test_name_unix_socket_and_gap (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  g_autofree char *url = NULL;
  Relay relay = { 0 };
  redisContext *raw;
  redisReply *reply;

  if (redis == NULL)
    return;

  /* a host name is resolved without blocking (and without hiredis' getaddrinfo) */
  url = g_strdup_printf ("redis://localhost:%u/2", redis->port);
  relay_init (&relay, url, "relay-n", NULL);
  g_assert_true (cluster_wait (is_connected, relay.bus, 10000));
  relay_clear (&relay);
  g_clear_pointer (&url, g_free);

  url = g_strdup_printf ("unix://%s?db=1", redis->socket);
  relay_init (&relay, url, "relay-u", "s");
  g_assert_true (cluster_wait (is_connected, relay.bus, 10000));

  /* a test may block: a plain synchronous client plays the other relay */
  raw = redisConnectUnix (redis->socket);
  g_assert_true (raw != NULL && raw->err == 0);
  for (guint i = 0; i < 3; i++)
    {
      const char *payload[] = {
        "1\tother\n{\"n\":1}", "2\tother\n{\"n\":2}", "5\tother\n{\"n\":5}"
      };

      reply = redisCommand (raw, "PUBLISH confab:site:s %s", payload[i]);
      g_assert_nonnull (reply);
      freeReplyObject (reply);
    }
  redisFree (raw);

  g_assert_true (cluster_wait (has_received, &(Expect) { &relay, 3 }, 10000));
  g_assert_cmpuint (relay.gaps, ==, 1);
  g_assert_cmpuint (((Received *) g_ptr_array_index (relay.received, 2))->seq, ==, 5);

  relay_clear (&relay);
}

static gboolean
no_pending (gpointer data)
{
  return confab_shared_limit_pending (data) == 0;
}

/* One take, and its reply from Redis: the relay's view of the cluster is then current. */
static gboolean
take_synced (ConfabSharedLimit *limit,
             const char        *key)
{
  gboolean taken = confab_shared_limit_take (limit, key, g_get_monotonic_time () / 1000, NULL);

  g_assert_true (cluster_wait (no_pending, limit, 10000));
  return taken;
}

/* Five per minute for the whole cluster: what relay A spends, relay B no longer has, per key;
 * with Redis gone each relay falls back to its own five, and shares again once it is back. */
static void
test_shared_limits (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  g_autoptr (ConfabSharedLimit) a = NULL;
  g_autoptr (ConfabSharedLimit) b = NULL;
  guint retry_after = 0, taken = 0;

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", NULL);
  relay_init (&relays[1], redis->url, "relay-b", NULL);
  g_assert_true (cluster_wait (both_connected, relays, 10000));
  a = confab_shared_limit_new (relays[0].bus, "messages-ip", 5, 60000);
  b = confab_shared_limit_new (relays[1].bus, "messages-ip", 5, 60000);

  for (guint i = 0; i < 3; i++)
    g_assert_true (take_synced (a, "203.0.113.7"));
  g_assert_true (take_synced (b, "203.0.113.7"));
  g_assert_true (take_synced (b, "203.0.113.7"));
  g_assert_false (confab_shared_limit_take (b, "203.0.113.7", g_get_monotonic_time () / 1000,
                                            &retry_after));
  /* a fifth of a minute for the next token */
  g_assert_cmpuint (retry_after, >, 0);
  g_assert_cmpuint (retry_after, <=, 12000);
  /* another key has its own bucket */
  g_assert_true (take_synced (b, "198.51.100.1"));

  /* A's view is one reply old: the take it lets through is answered "none left", and from
   * then on it refuses too (the documented overshoot: one round trip's worth per relay) */
  take_synced (a, "203.0.113.7");
  g_assert_false (take_synced (a, "203.0.113.7"));

  /* a burst without waiting for Redis spends the local view and no more */
  for (guint i = 0; i < 10; i++)
    taken += confab_shared_limit_take (a, "192.0.2.9", g_get_monotonic_time () / 1000, NULL);
  g_assert_cmpuint (taken, ==, 5);
  g_assert_true (cluster_wait (no_pending, a, 10000));
  /* B had no view of that key: its first take goes through and learns that none are left */
  take_synced (b, "192.0.2.9");
  g_assert_false (take_synced (b, "192.0.2.9"));

  /* Redis down: each relay has its own five */
  cluster_redis_kill (redis);
  g_assert_true (cluster_wait (both_lost, relays, 10000));
  g_assert_cmpuint (confab_shared_limit_pending (a), ==, 0);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_true (confab_shared_limit_take (a, "local", g_get_monotonic_time () / 1000, NULL));
      g_assert_true (confab_shared_limit_take (b, "local", g_get_monotonic_time () / 1000, NULL));
    }
  g_assert_false (confab_shared_limit_take (a, "local", g_get_monotonic_time () / 1000, NULL));
  g_assert_false (confab_shared_limit_take (b, "local", g_get_monotonic_time () / 1000, NULL));

  /* back (an empty Redis: no disk): shared again */
  cluster_redis_restart (redis);
  g_assert_true (cluster_wait (both_restored, relays, 10000));
  for (guint i = 0; i < 5; i++)
    g_assert_true (take_synced (i % 2 ? a : b, "after"));
  g_assert_false (take_synced (b, "after"));

  /* an operator's SCRIPT FLUSH: the first take after it is not counted, and loads the script
   * again; from then on A's takes count for B again */
  {
    redisContext *raw = redisConnect ("127.0.0.1", redis->port);
    redisReply *reply;

    g_assert_true (raw != NULL && raw->err == 0);
    reply = redisCommand (raw, "SCRIPT FLUSH");
    g_assert_nonnull (reply);
    freeReplyObject (reply);
    redisFree (raw);
  }
  take_synced (a, "flushed");
  for (guint i = 0; i < 3; i++)
    take_synced (a, "flushed");
  g_assert_true (take_synced (b, "flushed"));
  g_assert_true (take_synced (b, "flushed"));
  g_assert_false (take_synced (b, "flushed"));

  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

static void
on_listed (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GPtrArray **entries = user_data;
  g_autoptr (GError) error = NULL;

  *entries = confab_presence_list_finish (CONFAB_PRESENCE (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static int
compare_words (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char **) a, *(char **) b);
}

/* "agent@node=status" of a site's live agents, sorted: what another relay sees */
static char *
list_presence (ConfabPresence *presence,
               const char     *site_id)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);

  confab_presence_list_async (presence, site_id, NULL, on_listed, &entries);
  g_assert_true (cluster_wait (is_set, &entries, 10000));
  for (guint i = 0; i < entries->len; i++)
    {
      ConfabPresenceEntry *entry = g_ptr_array_index (entries, i);

      g_ptr_array_add (words, g_strdup_printf ("%s@%s=%s", entry->agent_id, entry->node,
                                               entry->status));
    }
  g_ptr_array_sort (words, compare_words);
  g_ptr_array_add (words, NULL);
  return g_strjoinv (" ", (char **) words->pdata);
}

typedef struct {
  ConfabPresence *presence;
  const char     *expected;
} Listed;

static gboolean
lists (gpointer data)
{
  Listed *listed = data;
  g_autofree char *now = list_presence (listed->presence, "site-1");

  return g_strcmp0 (now, listed->expected) == 0;
}

/* Agents on relay A are listed by relay B and the other way; a removal is seen at once; a relay
 * that stops (or dies) without a word has its agents gone within the expiry, while the live
 * relay's heartbeat keeps its own. */
static void
test_presence (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  g_autoptr (ConfabPresence) a = NULL;
  g_autoptr (ConfabPresence) b = NULL;
  g_autofree char *seen = NULL;
  gint64 stopped;

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", NULL);
  relay_init (&relays[1], redis->url, "relay-b", NULL);
  g_assert_true (cluster_wait (both_connected, relays, 10000));
  a = confab_presence_new (relays[0].bus, 600);
  b = confab_presence_new (relays[1].bus, 600);

  confab_presence_set (a, "site-1", "agent-1", "online");
  confab_presence_set (a, "site-1", "agent-3", "away");
  confab_presence_set (a, "site-2", "agent-1", "online");
  confab_presence_set (b, "site-1", "agent-2", "online");
  /* each list goes after the writes on the same connection, so it sees its own relay's */
  seen = list_presence (b, "site-1");
  g_assert_true (cluster_wait (lists, &(Listed) { b, "agent-1@relay-a=online "
                                                      "agent-2@relay-b=online "
                                                      "agent-3@relay-a=away" }, 10000));
  g_clear_pointer (&seen, g_free);
  seen = list_presence (a, "site-2");
  g_assert_cmpstr (seen, ==, "agent-1@relay-a=online");

  confab_presence_remove (a, "site-1", "agent-3");
  confab_presence_set (a, "site-1", "agent-1", "away");
  g_assert_true (cluster_wait (lists, &(Listed) { b, "agent-1@relay-a=away "
                                                      "agent-2@relay-b=online" }, 10000));

  /* relay A stops refreshing: its agents expire, B's own survive several expiries */
  g_clear_object (&a);
  stopped = g_get_monotonic_time ();
  g_assert_true (cluster_wait (lists, &(Listed) { b, "agent-2@relay-b=online" }, 10000));
  g_assert_cmpint (g_get_monotonic_time () - stopped, >=, 300 * 1000);
  while (g_get_monotonic_time () - stopped < 1500 * 1000)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&seen, g_free);
  seen = list_presence (b, "site-1");
  g_assert_cmpstr (seen, ==, "agent-2@relay-b=online");

  /* Redis restarted empty: B writes its agents again as soon as the link is back */
  cluster_redis_restart (redis);
  g_assert_true (cluster_wait (both_restored, relays, 10000));
  g_clear_pointer (&seen, g_free);
  seen = list_presence (b, "site-1");
  g_assert_cmpstr (seen, ==, "agent-2@relay-b=online");

  g_clear_object (&b);
  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

static gboolean
counter_idle (gpointer data)
{
  return confab_shared_counter_pending (data) == 0;
}

typedef struct {
  ConfabSharedCounter *counter;
  const char          *key;
  guint                count;
} Count;

static gboolean
counts (gpointer data)
{
  Count *c = data;

  return confab_shared_counter_get (c->counter, c->key) == c->count;
}

/* Open connections per address, summed over relays: B sees A's three; when A stops (or dies)
 * without a word they stop counting within the expiry; with Redis down each relay counts its own,
 * and once Redis is back (empty) each relay's counts are put back. */
static void
test_shared_counter (void)
{
  g_autoptr (ClusterRedis) redis = cluster_redis_start ();
  Relay relays[2] = { { 0 } };
  g_autoptr (ConfabSharedCounter) a = NULL;
  g_autoptr (ConfabSharedCounter) a2 = NULL;
  g_autoptr (ConfabSharedCounter) b = NULL;
  const char *address = "203.0.113.7";
  gint64 stopped;

  if (redis == NULL)
    return;

  relay_init (&relays[0], redis->url, "relay-a", NULL);
  relay_init (&relays[1], redis->url, "relay-b", NULL);
  g_assert_true (cluster_wait (both_connected, relays, 10000));
  a = confab_shared_counter_new (relays[0].bus, "connections", 600);
  b = confab_shared_counter_new (relays[1].bus, "connections", 600);

  for (guint i = 0; i < 3; i++)
    confab_shared_counter_add (a, address, +1);
  g_assert_cmpuint (confab_shared_counter_get (a, address), ==, 3);
  g_assert_true (cluster_wait (counter_idle, a, 10000));
  confab_shared_counter_add (b, address, +1);
  g_assert_true (cluster_wait (counter_idle, b, 10000));
  g_assert_cmpuint (confab_shared_counter_get (b, address), ==, 4);
  g_assert_cmpuint (confab_shared_counter_get_local (b, address), ==, 1);
  /* A hears of B's on its next write or refresh */
  g_assert_true (cluster_wait (counts, &(Count) { a, address, 4 }, 10000));
  confab_shared_counter_add (a, address, -1);
  g_assert_true (cluster_wait (counts, &(Count) { b, address, 3 }, 10000));
  g_assert_cmpuint (confab_shared_counter_get (b, "198.51.100.1"), ==, 0);

  /* A gone without a word: its two stop counting within the expiry, B's one stays */
  g_clear_object (&a);
  stopped = g_get_monotonic_time ();
  g_assert_true (cluster_wait (counts, &(Count) { b, address, 1 }, 10000));
  g_assert_cmpint (g_get_monotonic_time () - stopped, >=, 300 * 1000);

  /* Redis down: only B's own */
  a2 = confab_shared_counter_new (relays[0].bus, "connections", 600);
  confab_shared_counter_add (a2, address, +2);
  g_assert_true (cluster_wait (counts, &(Count) { b, address, 3 }, 10000));
  cluster_redis_kill (redis);
  g_assert_true (cluster_wait (both_lost, relays, 10000));
  g_assert_cmpuint (confab_shared_counter_get (b, address), ==, 1);
  confab_shared_counter_add (b, address, +1);
  g_assert_cmpuint (confab_shared_counter_get (b, address), ==, 2);

  /* back, empty: both put their counts back and see each other's again */
  cluster_redis_restart (redis);
  g_assert_true (cluster_wait (both_restored, relays, 10000));
  g_assert_true (cluster_wait (counts, &(Count) { b, address, 4 }, 10000));
  g_assert_true (cluster_wait (counts, &(Count) { a2, address, 4 }, 10000));

  g_clear_object (&a2);
  g_clear_object (&b);
  relay_clear (&relays[0]);
  relay_clear (&relays[1]);
}

static void
on_silent_accept (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GPtrArray *held = user_data;
  GSocketConnection *connection;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (object), result, NULL, NULL);
  if (connection == NULL)
    return;
  /* held open and never answered */
  g_ptr_array_add (held, connection);
  g_socket_listener_accept_async (G_SOCKET_LISTENER (object), NULL, on_silent_accept, held);
}

static gboolean
accepted_four (gpointer data)
{
  return ((GPtrArray *) data)->len >= 4;
}

/* A "Redis" that accepts and never answers: the bus gives up on each attempt after the connect
 * timeout and tries again, instead of waiting for ever on a half-open link. */
static void
test_silent_server (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabBus) bus = NULL;
  g_autofree char *url = NULL;
  ConfabClusterConfig config = { NULL, "relay-s", 100, 300 };

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  g_socket_listener_accept_async (listener, NULL, on_silent_accept, held);
  url = g_strdup_printf ("redis://127.0.0.1:%u/0",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  config.redis = url;

  bus = confab_bus_new (&config, &error);
  g_assert_no_error (error);
  confab_bus_start (bus);
  g_assert_true (cluster_wait (accepted_four, held, 10000));
  g_assert_false (confab_bus_is_connected (bus));
  g_assert_false (confab_bus_publish (bus, NULL, "{}"));
}

static void
test_bad_config (void)
{
  const char *bad[] = { "http://127.0.0.1:6379/0", "redis://127.0.0.1:6379/99", "redis:///0",
                        "unix://relative", "unix:///tmp/r.sock?db=x", "not a url" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      ConfabClusterConfig config = { (char *) bad[i], NULL, 0 };
      g_autoptr (GError) error = NULL;
      g_autoptr (ConfabBus) bus = confab_bus_new (&config, &error);

      g_assert_null (bus);
      g_assert_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_URL);
    }

  {
    ConfabClusterConfig config = { "redis://127.0.0.1", "two\tparts", 0 };
    g_autoptr (GError) error = NULL;
    g_autoptr (ConfabBus) bus = confab_bus_new (&config, &error);

    g_assert_null (bus);
    g_assert_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_NODE_NAME);
  }
  {
    ConfabClusterConfig config = { "redis://:secret@localhost:7000/3", NULL, 0 };
    g_autoptr (GError) error = NULL;
    g_autoptr (ConfabBus) bus = confab_bus_new (&config, &error);

    g_assert_no_error (error);
    /* host name + pid */
    g_assert_true (g_str_has_prefix (confab_bus_get_node_name (bus), g_get_host_name ()));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cluster/bus/bad-config", test_bad_config);
  g_test_add_func ("/cluster/bus/exchange", test_exchange);
  g_test_add_func ("/cluster/bus/subscribe-later", test_subscribe_later);
  g_test_add_func ("/cluster/bus/redis-restart", test_redis_restart);
  g_test_add_func ("/cluster/bus/name-unix-socket-and-gap", test_name_unix_socket_and_gap);
  g_test_add_func ("/cluster/bus/silent-server", test_silent_server);
  g_test_add_func ("/cluster/shared-limits/count-and-fallback", test_shared_limits);
  g_test_add_func ("/cluster/presence/across-relays-and-expiry", test_presence);
  g_test_add_func ("/cluster/shared-counter/across-relays-and-expiry", test_shared_counter);

  return g_test_run ();
}
