/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-ratelimit.h: token buckets, alone (per connection) or keyed (per IP, per account) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @capacity events at once, refilled evenly over @period_ms. */
typedef struct {
  double capacity;
  double tokens;
  double per_ms;     /* tokens added per millisecond */
  gint64 updated_ms; /* monotonic */
} ConfabTokenBucket;

void      confab_token_bucket_init (ConfabTokenBucket *bucket,
                                    guint              capacity,
                                    guint              period_ms);
/* Takes one token: TRUE when there was one, else FALSE and *@retry_after_ms until there is. */
gboolean  confab_token_bucket_take (ConfabTokenBucket *bucket,
                                    gint64             now_ms,
                                    guint             *retry_after_ms);

/* The time every rate limit counts by (ms, monotonic): in a test build plus the test clock's
 * offset (CONFAB_TEST_CLOCK, confab-targets.h), so that tests move time on instead of sleeping
 * for buckets to refill. */
gint64    confab_rate_limit_now_ms         (void);
/* Called by the test clock only (confab-targets.c, test builds): a release build stays at 0. */
void      confab_rate_limit_set_clock_offset (gint64 offset_ms);

typedef struct _ConfabRateLimit ConfabRateLimit;

ConfabRateLimit *confab_rate_limit_new  (guint            capacity,
                                         guint            period_ms);
void             confab_rate_limit_free (ConfabRateLimit *limit);
/* One bucket per @key (an IP hash, an account): see confab_token_bucket_take(). */
gboolean         confab_rate_limit_take (ConfabRateLimit *limit,
                                         const char      *key,
                                         gint64           now_ms,
                                         guint           *retry_after_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRateLimit, confab_rate_limit_free)

G_END_DECLS
