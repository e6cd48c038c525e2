/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-shared-limits.h: token buckets shared by the relays in Redis, local while it is down */
#pragma once

#include "confab-bus.h"
#include "confab-ratelimit.h"

G_BEGIN_DECLS

typedef struct _ConfabSharedLimit ConfabSharedLimit;

/* @name keeps limits apart in Redis ("messages-ip", "logins-account"); @bus may be NULL (a single
 * relay): then this is exactly a ConfabRateLimit. */
ConfabSharedLimit *confab_shared_limit_new     (ConfabBus         *bus,
                                                const char        *name,
                                                guint              capacity,
                                                guint              period_ms);
void               confab_shared_limit_free    (ConfabSharedLimit *limit);
/* As confab_rate_limit_take(), and as fast: decided from this relay's view of the cluster-wide
 * bucket, which each reply from Redis corrects (so the cluster may overshoot by the takes in
 * flight during one round trip). Local buckets while the link is down. */
gboolean           confab_shared_limit_take    (ConfabSharedLimit *limit,
                                                const char        *key,
                                                gint64             now_ms,
                                                guint             *retry_after_ms);
/* Takes sent to Redis and not answered yet. */
guint              confab_shared_limit_pending (ConfabSharedLimit *limit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabSharedLimit, confab_shared_limit_free)

G_END_DECLS
