/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-shared-counter"

#include "confab-shared-counter.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <string.h>

/* KEYS[1] is a hash "instance → count" for one counted key, KEYS[2] the sorted set of live relay
 * instances (score: expiry, Redis' clock). Sets this instance's count ARGV[2] (absolute, so that
 * replies may come in any order and a resync is the same call), keeps it alive for ARGV[3] ms, and
 * answers the sum over the other live instances; dead instances' fields are dropped on the way.
 * An instance is a node name plus a random id per process: a relay restarted under the same name
 * does not inherit what it counted before it died. */
static const char set_script[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local ttl = tonumber(ARGV[3])\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
  "redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])\n"
  "redis.call('PEXPIRE', KEYS[2], ttl)\n"
  "if tonumber(ARGV[2]) > 0 then\n"
  "  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
  "else\n"
  "  redis.call('HDEL', KEYS[1], ARGV[1])\n"
  "end\n"
  "local all = redis.call('HGETALL', KEYS[1])\n"
  "local others = 0\n"
  "for i = 1, #all, 2 do\n"
  "  if all[i] ~= ARGV[1] then\n"
  "    if redis.call('ZSCORE', KEYS[2], all[i]) then\n"
  "      others = others + tonumber(all[i + 1])\n"
  "    else\n"
  "      redis.call('HDEL', KEYS[1], all[i])\n"
  "    end\n"
  "  end\n"
  "end\n"
  "if #all > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
  "return others\n";

typedef struct {
  guint local;
  guint others;     /* as last heard */
  guint in_flight;
} Entry;

typedef struct {
  ConfabSharedCounter *counter;  /* NULL once the counter is gone */
  char                *key;
} Request;

struct _ConfabSharedCounter
{
  GObject     parent_instance;

  ConfabBus  *bus;
  char       *name;
  char       *instance;
  guint       ttl_ms;
  char        ttl_arg[16];
  char       *live_key;
  const char *set_sha;   /* owned by the bus */
  GHashTable *entries;   /* key → Entry, while counted here or awaited */
  GHashTable *requests;  /* Request set */
  guint       heartbeat_id;
  gulong      restored_id;
};

G_DEFINE_FINAL_TYPE (ConfabSharedCounter, confab_shared_counter, G_TYPE_OBJECT)

static void
on_set (redisAsyncContext *ac,
        void              *r,
        void              *privdata)
{
  Request *request = privdata;
  ConfabSharedCounter *counter = request->counter;
  redisReply *reply = r;

  if (counter != NULL)
    {
      Entry *entry = g_hash_table_lookup (counter->entries, request->key);

      g_hash_table_remove (counter->requests, request);
      if (entry != NULL)
        {
          entry->in_flight--;
          if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
            entry->others = CLAMP (reply->integer, 0, G_MAXUINT);
          else if (counter->bus != NULL)
            confab_bus_check_script_reply (counter->bus, reply);
          if (entry->local == 0 && entry->in_flight == 0)
            g_hash_table_remove (counter->entries, request->key);
        }
    }

  g_free (request->key);
  g_free (request);
}

/* Keys go to Redis hashed: the hub counts by address, and Redis is no place for addresses. */
static void
send_count (ConfabSharedCounter *counter,
            const char          *key,
            Entry               *entry)
{
  redisAsyncContext *ac = confab_bus_get_command_context (counter->bus);
  g_autofree char *digest = NULL;
  g_autofree char *redis_key = NULL;
  char count[16];
  const char *argv[8];
  Request *request;

  if (ac == NULL)
    return;

  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  redis_key = g_strconcat ("confab:count:", counter->name, ":", digest, NULL);
  g_snprintf (count, sizeof count, "%u", entry->local);
  argv[0] = "EVALSHA";
  argv[1] = counter->set_sha;
  argv[2] = "2";
  argv[3] = redis_key;
  argv[4] = counter->live_key;
  argv[5] = counter->instance;
  argv[6] = count;
  argv[7] = counter->ttl_arg;

  request = g_new0 (Request, 1);
  request->counter = counter;
  request->key = g_strdup (key);
  if (redisAsyncCommandArgv (ac, on_set, request, G_N_ELEMENTS (argv), argv, NULL) != REDIS_OK)
    {
      g_free (request->key);
      g_free (request);
      return;
    }
  entry->in_flight++;
  g_hash_table_add (counter->requests, request);
}

/* Every count of this relay again: keeps them (and this instance) alive, learns the others'
 * latest, and after a Redis restart puts them back. */
static void
send_all (ConfabSharedCounter *counter)
{
  GHashTableIter iter;
  gpointer key, entry;

  g_hash_table_iter_init (&iter, counter->entries);
  while (g_hash_table_iter_next (&iter, &key, &entry))
    if (((Entry *) entry)->local > 0)
      send_count (counter, key, entry);
}

static gboolean
heartbeat (gpointer data)
{
  send_all (data);
  return G_SOURCE_CONTINUE;
}

static void
on_link_restored (ConfabBus           *bus,
                  ConfabSharedCounter *counter)
{
  send_all (counter);
}

static void
confab_shared_counter_dispose (GObject *object)
{
  ConfabSharedCounter *counter = CONFAB_SHARED_COUNTER (object);
  GHashTableIter iter;
  gpointer request;

  g_clear_handle_id (&counter->heartbeat_id, g_source_remove);
  if (counter->bus != NULL)
    g_clear_signal_handler (&counter->restored_id, counter->bus);
  g_clear_object (&counter->bus);

  /* hiredis still holds them: they learn that nobody waits any more */
  g_hash_table_iter_init (&iter, counter->requests);
  while (g_hash_table_iter_next (&iter, &request, NULL))
    ((Request *) request)->counter = NULL;
  g_hash_table_remove_all (counter->requests);

  G_OBJECT_CLASS (confab_shared_counter_parent_class)->dispose (object);
}

static void
confab_shared_counter_finalize (GObject *object)
{
  ConfabSharedCounter *counter = CONFAB_SHARED_COUNTER (object);

  g_hash_table_unref (counter->entries);
  g_hash_table_unref (counter->requests);
  g_free (counter->name);
  g_free (counter->instance);
  g_free (counter->live_key);

  G_OBJECT_CLASS (confab_shared_counter_parent_class)->finalize (object);
}

static void
confab_shared_counter_class_init (ConfabSharedCounterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_shared_counter_dispose;
  object_class->finalize = confab_shared_counter_finalize;
}

static void
confab_shared_counter_init (ConfabSharedCounter *counter)
{
  counter->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  counter->requests = g_hash_table_new (NULL, NULL);
}

ConfabSharedCounter *
confab_shared_counter_new (ConfabBus  *bus,
                           const char *name,
                           guint       ttl_ms)
{
  ConfabSharedCounter *counter;

  g_return_val_if_fail (CONFAB_IS_BUS (bus), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  counter = g_object_new (CONFAB_TYPE_SHARED_COUNTER, NULL);
  counter->bus = g_object_ref (bus);
  counter->name = g_strdup (name);
  counter->instance = g_strdup_printf ("%s\t%08x%08x", confab_bus_get_node_name (bus),
                                       g_random_int (), g_random_int ());
  counter->live_key = g_strconcat ("confab:live:", name, NULL);
  counter->set_sha = confab_bus_add_script (bus, set_script);
  counter->ttl_ms = MAX (ttl_ms, 300);
  g_snprintf (counter->ttl_arg, sizeof counter->ttl_arg, "%u", counter->ttl_ms);
  counter->heartbeat_id = g_timeout_add (counter->ttl_ms / 3, heartbeat, counter);
  counter->restored_id = g_signal_connect (bus, "link-restored", G_CALLBACK (on_link_restored),
                                           counter);
  return counter;
}

void
confab_shared_counter_add (ConfabSharedCounter *counter,
                           const char          *key,
                           int                  delta)
{
  Entry *entry;

  g_return_if_fail (CONFAB_IS_SHARED_COUNTER (counter));
  g_return_if_fail (key != NULL);

  entry = g_hash_table_lookup (counter->entries, key);
  if (entry == NULL)
    {
      if (delta <= 0)
        return;
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (counter->entries, g_strdup (key), entry);
    }

  entry->local = delta < 0 && (guint) -delta > entry->local ? 0 : entry->local + delta;
  send_count (counter, key, entry);
  if (entry->local == 0 && entry->in_flight == 0)
    g_hash_table_remove (counter->entries, key);
}

guint
confab_shared_counter_get (ConfabSharedCounter *counter,
                           const char          *key)
{
  Entry *entry;

  g_return_val_if_fail (CONFAB_IS_SHARED_COUNTER (counter), 0);

  entry = g_hash_table_lookup (counter->entries, key);
  if (entry == NULL)
    return 0;
  if (!confab_bus_is_connected (counter->bus))
    return entry->local;
  return entry->local + entry->others;
}

guint
confab_shared_counter_get_local (ConfabSharedCounter *counter,
                                 const char          *key)
{
  Entry *entry;

  g_return_val_if_fail (CONFAB_IS_SHARED_COUNTER (counter), 0);

  entry = g_hash_table_lookup (counter->entries, key);
  return entry != NULL ? entry->local : 0;
}

guint
confab_shared_counter_pending (ConfabSharedCounter *counter)
{
  g_return_val_if_fail (CONFAB_IS_SHARED_COUNTER (counter), 0);

  return g_hash_table_size (counter->requests);
}
