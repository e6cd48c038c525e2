/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-bus.h: the relays' live link to each other through Redis pub/sub */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The [cluster] section as the bus reads it; the config loader fills it. */
typedef struct {
  char  *redis;            /* redis://[:password@]host[:port][/db] or unix:///path[?db=N];
                            * NULL or "": single relay, no bus */
  char  *node_name;        /* NULL or "": host name + pid */
  guint  reconnect_max_ms; /* cap of the reconnect backoff; 0: 5000 */
  guint  connect_timeout_ms; /* connect to ready; 0: 5000 */
} ConfabClusterConfig;

#define CONFAB_BUS_ERROR (confab_bus_error_quark ())

typedef enum {
  CONFAB_BUS_ERROR_BAD_URL,
  CONFAB_BUS_ERROR_BAD_NODE_NAME,
} ConfabBusError;

GQuark confab_bus_error_quark (void);

#define CONFAB_TYPE_BUS (confab_bus_get_type ())
G_DECLARE_FINAL_TYPE (ConfabBus, confab_bus, CONFAB, BUS, GObject)

/* A frame another relay published. @site_id is NULL on the relay-wide channel; @json is the
 * frame as the other relay passed it to confab_bus_publish(). Own frames never arrive here.
 * It runs inside hiredis' read callback: it may publish, but must not drop the last reference to
 * the bus. */
typedef void (*ConfabBusHandler) (ConfabBus  *bus,
                                  const char *site_id,
                                  const char *node,
                                  guint64     seq,
                                  const char *json,
                                  gpointer    user_data);

ConfabBus  *confab_bus_new             (const ConfabClusterConfig *config,
                                        GError                   **error);
void        confab_bus_set_handler     (ConfabBus                 *bus,
                                        ConfabBusHandler           handler,
                                        gpointer                   user_data,
                                        GDestroyNotify             destroy);
/* Connects on the thread-default main context and keeps reconnecting until disposed. */
void        confab_bus_start           (ConfabBus                 *bus);
const char *confab_bus_get_node_name   (ConfabBus                 *bus);
/* Both connections up and the relay-wide channel subscribed. */
gboolean    confab_bus_is_connected    (ConfabBus                 *bus);

/* Frames of @site_id are delivered from now on (or once connected). */
void        confab_bus_subscribe_site  (ConfabBus                 *bus,
                                        const char                *site_id);
void        confab_bus_unsubscribe_site (ConfabBus                *bus,
                                        const char                *site_id);

/* Queues @json for every other relay on @site_id's channel (NULL: relay-wide). FALSE when the
 * link is down or Redis does not keep up: the frame is not sent, and the others find it in the
 * store's log (they see the gap in this relay's sequence). Never blocks. */
gboolean    confab_bus_publish         (ConfabBus                 *bus,
                                        const char                *site_id,
                                        const char                *json);

/* For /metrics: counts since the bus was made. */
typedef struct {
  guint64 published;   /* handed to Redis */
  guint64 refused;     /* not sent: link down or Redis not keeping up */
  guint64 received;    /* from other relays, delivered to the handler */
  guint64 gaps;        /* holes seen in other relays' sequences */
  guint64 links_lost;
} ConfabBusStats;

void        confab_bus_get_stats       (ConfabBus                 *bus,
                                        ConfabBusStats            *out_stats);

/* For relay/cluster/ only: the command connection, NULL while it is down. */
struct redisReply;
struct redisAsyncContext *confab_bus_get_command_context (ConfabBus *bus);
/* A Lua script for EVALSHA on the command connection: loaded now and on every (re)connection
 * before anything else is sent. Returns its SHA-1, owned by the bus. */
const char *confab_bus_add_script      (ConfabBus                 *bus,
                                        const char                *source);
/* Call with any reply to an EVALSHA: a NOSCRIPT error (someone ran SCRIPT FLUSH) loads the
 * scripts again. TRUE when it was one. */
gboolean    confab_bus_check_script_reply (ConfabBus              *bus,
                                        const struct redisReply   *reply);

G_END_DECLS
