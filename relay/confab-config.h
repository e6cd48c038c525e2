/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-config.h: the relay's settings, from defaults, a GKeyFile and the command line */
#pragma once

#include <glib.h>

#include "confab-store.h"

G_BEGIN_DECLS

/* [store] backend: where the store lives (issue 13) */
typedef enum {
  CONFAB_STORE_BACKEND_SQLITE,     /* <data-dir>/confab.db, the embedded default */
  CONFAB_STORE_BACKEND_POSTGRESQL, /* [store] url */
} ConfabStoreBackend;

typedef struct {
  /* [relay] */
  char            *listen;                 /* "127.0.0.1:8080" */
  char            *data_dir;               /* "./var" */
  char           **trusted_proxies;        /* IPs whose X-Forwarded-For is believed */
  /* [store] */
  ConfabStoreSync  sync;
  ConfabStoreBackend store_backend;
  char            *store_url;              /* libpq connection string or URI; postgresql only */
  gboolean         writer_thread;          /* visitors' messages stored on a second thread */
  /* [cluster] */
  char            *cluster_redis;          /* redis://HOST:PORT/DB; empty = one relay, no Redis */
  char            *cluster_node_name;      /* shown in logs and /metrics; host name + pid */
  /* [websocket] */
  guint            keepalive_interval;     /* seconds */
  guint            idle_timeout;           /* seconds without a frame or pong */
  guint            max_frame_bytes;
  guint            send_queue_bytes;
  /* [http] */
  guint            request_timeout;        /* seconds */
  guint            max_body_bytes;
  /* [limits] */
  guint            messages_per_minute;
  guint            messages_per_minute_per_ip;
  guint            typing_per_second;
  guint            logins_per_minute_per_ip;
  guint            logins_per_minute_per_account; /* per account and address pair */
  guint            bad_frames_before_close;
  guint            uploads_per_minute;          /* per visitor or agent */
  guint            uploads_per_minute_per_site;
  guint            max_connections;             /* open at once, all together */
  guint            max_connections_per_address; /* 0: no cap; trusted proxies are exempt */
  guint            frames_per_second;           /* every visitor frame, per connection */
  guint            frames_per_second_per_ip;
  guint            hellos_per_minute_per_ip;
  guint            page_views_per_minute;       /* per connection */
  guint            page_views_per_minute_per_ip;
  guint            rate_limited_before_close;   /* refusals per minute before 1008 */
  /* [auth] */
  guint            token_lifetime_days;
  guint            setup_code_lifetime_hours; /* invitations and password resets */
  /* [geo] */
  char           **geo_databases;          /* .mmdb files or folders; empty = the default one */
  /* [visitors] */
  guint            new_visit_after_minutes; /* a return after this long counts as a new visit */
  guint            visitor_update_ms;      /* agents hear of one visitor at most this often */
  /* [widget] */
  char            *uploads_dir;            /* [uploads] dir: a directory every relay shares; NULL = <data-dir>/uploads, or the database on PostgreSQL */
  char            *widget_dir;             /* widget/build.mjs's output: widget.js, widget-full.js */
  /* [metrics] */
  gboolean         metrics_enabled;        /* GET /metrics; TRUE */
  char           **metrics_allow;          /* peer addresses or CIDR ranges; loopback */
} ConfabConfig;

ConfabConfig *confab_config_new      (void);
void          confab_config_free     (ConfabConfig  *config);
/* Reads @path over the current values; unknown keys are ignored, bad values are errors. */
gboolean      confab_config_load     (ConfabConfig  *config,
                                      const char    *path,
                                      GError       **error);
/* Splits "HOST:PORT" / "[V6]:PORT"; FALSE with @error when it is not one. */
gboolean      confab_config_parse_listen (const char *listen,
                                      char         **out_host,
                                      guint16       *out_port,
                                      GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabConfig, confab_config_free)

G_END_DECLS
