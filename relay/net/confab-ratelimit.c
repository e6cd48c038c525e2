/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ratelimit"

#include "confab-ratelimit.h"

#include <math.h>

/* The test clock's offset (confab-targets.c sets it in test builds only) */
static gint64 clock_offset_ms;

gint64
confab_rate_limit_now_ms (void)
{
  return g_get_monotonic_time () / 1000 + clock_offset_ms;
}

void
confab_rate_limit_set_clock_offset (gint64 offset_ms)
{
  clock_offset_ms = offset_ms;
}

void
confab_token_bucket_init (ConfabTokenBucket *bucket,
                          guint              capacity,
                          guint              period_ms)
{
  bucket->capacity = MAX (capacity, 1);
  bucket->tokens = bucket->capacity;
  bucket->per_ms = bucket->capacity / MAX (period_ms, 1);
  bucket->updated_ms = confab_rate_limit_now_ms ();
}

static void
refill (ConfabTokenBucket *bucket,
        gint64             now_ms)
{
  if (now_ms > bucket->updated_ms)
    {
      bucket->tokens = MIN (bucket->capacity,
                            bucket->tokens + (now_ms - bucket->updated_ms) * bucket->per_ms);
      bucket->updated_ms = now_ms;
    }
}

gboolean
confab_token_bucket_take (ConfabTokenBucket *bucket,
                          gint64             now_ms,
                          guint             *retry_after_ms)
{
  refill (bucket, now_ms);

  if (bucket->tokens >= 1.0)
    {
      bucket->tokens -= 1.0;
      return TRUE;
    }

  if (retry_after_ms != NULL)
    *retry_after_ms = (guint) ceil ((1.0 - bucket->tokens) / bucket->per_ms);
  return FALSE;
}

struct _ConfabRateLimit
{
  guint       capacity;
  guint       period_ms;
  GHashTable *buckets;     /* key → ConfabTokenBucket */
  gint64      pruned_ms;
};

ConfabRateLimit *
confab_rate_limit_new (guint capacity,
                       guint period_ms)
{
  ConfabRateLimit *limit = g_new0 (ConfabRateLimit, 1);

  limit->capacity = capacity;
  limit->period_ms = period_ms;
  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  limit->pruned_ms = confab_rate_limit_now_ms ();

  return limit;
}

void
confab_rate_limit_free (ConfabRateLimit *limit)
{
  if (limit == NULL)
    return;

  g_hash_table_unref (limit->buckets);
  g_free (limit);
}

/* A bucket that has refilled completely is the same as no bucket: forget it, so that
 * the table only holds keys seen within one period and cannot grow without bound. */
static void
prune (ConfabRateLimit *limit,
       gint64           now_ms)
{
  GHashTableIter iter;
  gpointer value;

  if (now_ms - limit->pruned_ms < limit->period_ms)
    return;

  limit->pruned_ms = now_ms;
  g_hash_table_iter_init (&iter, limit->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ConfabTokenBucket *bucket = value;

      refill (bucket, now_ms);
      if (bucket->tokens >= bucket->capacity)
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
confab_rate_limit_take (ConfabRateLimit *limit,
                        const char      *key,
                        gint64           now_ms,
                        guint           *retry_after_ms)
{
  ConfabTokenBucket *bucket;

  prune (limit, now_ms);

  bucket = g_hash_table_lookup (limit->buckets, key);
  if (bucket == NULL)
    {
      bucket = g_new0 (ConfabTokenBucket, 1);
      confab_token_bucket_init (bucket, limit->capacity, limit->period_ms);
      bucket->updated_ms = now_ms;
      g_hash_table_insert (limit->buckets, g_strdup (key), bucket);
    }

  return confab_token_bucket_take (bucket, now_ms, retry_after_ms);
}
