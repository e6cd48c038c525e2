/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-shared-counter.h: counts summed over every live relay (open connections per address) */
#pragma once

#include "confab-bus.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SHARED_COUNTER (confab_shared_counter_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSharedCounter, confab_shared_counter, CONFAB, SHARED_COUNTER, GObject)

/* @name keeps counters apart in Redis ("connections"). This relay's counts are refreshed every
 * @ttl_ms / 3, so a relay that dies stops counting within @ttl_ms. */
ConfabSharedCounter *confab_shared_counter_new     (ConfabBus           *bus,
                                                    const char          *name,
                                                    guint                ttl_ms);
/* This relay's count of @key changes by @delta (a connection opened: +1, closed: -1). */
void                 confab_shared_counter_add     (ConfabSharedCounter *counter,
                                                    const char          *key,
                                                    int                  delta);
/* The cluster's count of @key: this relay's, plus the other relays' as last heard from Redis
 * (on each add and each refresh). Only this relay's while the link is down. Never blocks. */
guint                confab_shared_counter_get     (ConfabSharedCounter *counter,
                                                    const char          *key);
/* This relay's own count. */
guint                confab_shared_counter_get_local (ConfabSharedCounter *counter,
                                                    const char          *key);
/* Writes sent to Redis and not answered yet. */
guint                confab_shared_counter_pending (ConfabSharedCounter *counter);

G_END_DECLS
