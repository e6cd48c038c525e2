/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cluster-redis.h: a throwaway redis-server for the cluster tests (loopback, temp dir, no disk) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  GSubprocess *process;
  char        *dir;
  guint16      port;
  char        *url;      /* redis://127.0.0.1:PORT/0 */
  char        *socket;   /* its unix socket */
} ClusterRedis;

/* NULL (and a skip for the test) when redis-server is not installed. */
ClusterRedis *cluster_redis_start   (void);
/* kill -9, then the same port and directory again */
void          cluster_redis_kill    (ClusterRedis *redis);
void          cluster_redis_restart (ClusterRedis *redis);
void          cluster_redis_free    (ClusterRedis *redis);
/* Iterates the thread-default main context until @done or @timeout_ms; FALSE on timeout. */
gboolean      cluster_wait          (gboolean (*done) (gpointer data),
                                     gpointer data,
                                     guint    timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClusterRedis, cluster_redis_free)

G_END_DECLS
