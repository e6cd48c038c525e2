/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-shared-limits"

#include "confab-shared-limits.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <string.h>

/* One token from the bucket KEYS[1] (capacity ARGV[1], refilled over ARGV[2] ms) on Redis' own
 * clock, so that relays with skewed clocks share one bucket. Answers {taken, tokens left × 1000}.
 * The key expires once the bucket would be full again: idle addresses cost Redis nothing. */
static const char take_script[] =
  "local capacity = tonumber(ARGV[1])\n"
  "local period = tonumber(ARGV[2])\n"
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local b = redis.call('HMGET', KEYS[1], 't', 'u')\n"
  "local tokens = tonumber(b[1]) or capacity\n"
  "local updated = tonumber(b[2]) or now\n"
  "if now > updated then\n"
  "  tokens = math.min(capacity, tokens + (now - updated) * capacity / period)\n"
  "end\n"
  "local taken = 0\n"
  "if tokens >= 1 then tokens = tokens - 1; taken = 1 end\n"
  "redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))\n"
  "redis.call('PEXPIRE', KEYS[1], period)\n"
  "return {taken, math.floor(tokens * 1000)}\n";

typedef struct {
  ConfabTokenBucket estimate;  /* the cluster's bucket as this relay last heard of it */
  guint             in_flight;
} Entry;

typedef struct {
  ConfabSharedLimit *limit;    /* NULL once the limit is freed before the reply */
  char              *key;
} Request;

struct _ConfabSharedLimit
{
  ConfabBus       *bus;
  char            *name;
  guint            capacity;
  guint            period_ms;
  char             capacity_arg[16];
  char             period_arg[16];
  const char      *take_sha;   /* owned by the bus */
  ConfabRateLimit *local;      /* while Redis is down */
  GHashTable      *entries;    /* key → Entry */
  GHashTable      *requests;   /* Request set, waiting for Redis */
  gint64           pruned_ms;
};

ConfabSharedLimit *
confab_shared_limit_new (ConfabBus  *bus,
                         const char *name,
                         guint       capacity,
                         guint       period_ms)
{
  ConfabSharedLimit *limit = g_new0 (ConfabSharedLimit, 1);

  g_return_val_if_fail (bus == NULL || CONFAB_IS_BUS (bus), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  limit->bus = bus != NULL ? g_object_ref (bus) : NULL;
  limit->name = g_strdup (name);
  limit->capacity = MAX (capacity, 1);
  limit->period_ms = MAX (period_ms, 1);
  g_snprintf (limit->capacity_arg, sizeof limit->capacity_arg, "%u", limit->capacity);
  g_snprintf (limit->period_arg, sizeof limit->period_arg, "%u", limit->period_ms);
  limit->local = confab_rate_limit_new (capacity, period_ms);
  if (bus != NULL)
    limit->take_sha = confab_bus_add_script (bus, take_script);
  limit->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  limit->requests = g_hash_table_new (NULL, NULL);
  limit->pruned_ms = confab_rate_limit_now_ms ();

  return limit;
}

void
confab_shared_limit_free (ConfabSharedLimit *limit)
{
  GHashTableIter iter;
  gpointer request;

  if (limit == NULL)
    return;

  /* hiredis still holds them: they learn that nobody waits any more */
  g_hash_table_iter_init (&iter, limit->requests);
  while (g_hash_table_iter_next (&iter, &request, NULL))
    ((Request *) request)->limit = NULL;

  g_hash_table_unref (limit->requests);
  g_hash_table_unref (limit->entries);
  confab_rate_limit_free (limit->local);
  g_clear_object (&limit->bus);
  g_free (limit->name);
  g_free (limit);
}

static void
on_taken (redisAsyncContext *ac,
          void              *r,
          void              *privdata)
{
  Request *request = privdata;
  ConfabSharedLimit *limit = request->limit;
  redisReply *reply = r;
  Entry *entry;

  if (limit != NULL)
    {
      g_hash_table_remove (limit->requests, request);
      entry = g_hash_table_lookup (limit->entries, request->key);
      if (entry != NULL)
        {
          entry->in_flight--;
          if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
              && reply->element[1]->type == REDIS_REPLY_INTEGER)
            {
              /* the cluster's count, less what this relay took since that is still on its way */
              entry->estimate.tokens = reply->element[1]->integer / 1000.0 - entry->in_flight;
              entry->estimate.updated_ms = confab_rate_limit_now_ms ();
            }
          else if (reply != NULL && !confab_bus_check_script_reply (limit->bus, reply)
                   && reply->type == REDIS_REPLY_ERROR)
            g_debug ("Redis refused a shared limit: %s", reply->str);
        }
    }

  g_free (request->key);
  g_free (request);
}

/* Estimates that are full again say nothing the next take would not learn: forget them, so the
 * table holds only keys seen within one period. */
static void
prune (ConfabSharedLimit *limit,
       gint64             now_ms)
{
  GHashTableIter iter;
  gpointer value;

  if (now_ms - limit->pruned_ms < limit->period_ms)
    return;

  limit->pruned_ms = now_ms;
  g_hash_table_iter_init (&iter, limit->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;
      double full_at = entry->estimate.updated_ms
        + (entry->estimate.capacity - entry->estimate.tokens) / entry->estimate.per_ms;

      if (entry->in_flight == 0 && now_ms >= full_at)
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
confab_shared_limit_take (ConfabSharedLimit *limit,
                          const char        *key,
                          gint64             now_ms,
                          guint             *retry_after_ms)
{
  redisAsyncContext *ac;
  g_autofree char *redis_key = NULL;
  Request *request;
  Entry *entry;
  const char *argv[6];

  ac = limit->bus != NULL ? confab_bus_get_command_context (limit->bus) : NULL;
  if (ac == NULL)
    return confab_rate_limit_take (limit->local, key, now_ms, retry_after_ms);

  prune (limit, now_ms);

  entry = g_hash_table_lookup (limit->entries, key);
  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      confab_token_bucket_init (&entry->estimate, limit->capacity, limit->period_ms);
      entry->estimate.updated_ms = now_ms;
      g_hash_table_insert (limit->entries, g_strdup (key), entry);
    }

  /* a refusal needs no round trip: the bucket refills at the same rate everywhere */
  if (!confab_token_bucket_take (&entry->estimate, now_ms, retry_after_ms))
    return FALSE;

  redis_key = g_strconcat ("confab:limit:", limit->name, ":", key, NULL);
  request = g_new0 (Request, 1);
  request->limit = limit;
  request->key = g_strdup (key);
  argv[0] = "EVALSHA";
  argv[1] = limit->take_sha;
  argv[2] = "1";
  argv[3] = redis_key;
  argv[4] = limit->capacity_arg;
  argv[5] = limit->period_arg;
  if (redisAsyncCommandArgv (ac, on_taken, request, G_N_ELEMENTS (argv), argv, NULL) != REDIS_OK)
    {
      g_free (request->key);
      g_free (request);
      return TRUE;
    }

  entry->in_flight++;
  g_hash_table_add (limit->requests, request);
  return TRUE;
}

guint
confab_shared_limit_pending (ConfabSharedLimit *limit)
{
  return g_hash_table_size (limit->requests);
}
