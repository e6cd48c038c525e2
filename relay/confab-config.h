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

/* [email] smtp-security (issue 15) */
typedef enum {
  CONFAB_SMTP_STARTTLS, /* plain connection upgraded with STARTTLS, which must succeed */
  CONFAB_SMTP_TLS,      /* TLS from the first byte (smtps://, port 465) */
  CONFAB_SMTP_NONE,     /* no TLS: only to a server on loopback */
} ConfabSmtpSecurity;

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
  /* [help] */
  char            *help_public_url;        /* where visitors reach this relay ("https://chat.example.com"); NULL: unknown */
  /* [meta] Messenger and WhatsApp (relay/meta/) */
  char            *meta_graph_url;         /* the Graph API, "https://graph.facebook.com/v19.0" */
  char            *meta_public_url;        /* how Meta reaches the relay; empty: the Host asked */
  /* [metrics] */
  gboolean         metrics_enabled;        /* GET /metrics; TRUE */
  char           **metrics_allow;          /* peer addresses or CIDR ranges; loopback */
  /* [webhooks] (confab-webhooks.c) */
  gboolean         webhooks_allow_private;   /* deliver to loopback/private addresses; FALSE */
  guint            webhooks_timeout;         /* seconds per delivery attempt */
  guint            webhooks_retry_initial;   /* seconds before the first retry; doubles */
  guint            webhooks_retry_max;       /* seconds: the longest wait between attempts */
  guint            webhooks_retry_for;       /* seconds after the event: then failed */
  guint            webhooks_log_days;        /* finished deliveries kept this long */
  /* [limits] api-requests-per-minute: per API key */
  guint            api_requests_per_minute;
  /* [email] (relay/email/): empty smtp_server = no mail */
  char            *smtp_server;
  guint            smtp_port;              /* 587 */
  ConfabSmtpSecurity smtp_security;
  char            *smtp_user;
  char            *smtp_password;          /* read from smtp-password-file; never logged */
  char            *from_address;
  char            *from_name;
  gboolean         allow_insecure_imap;    /* imap:// without TLS to any server (tests) */
  /* [assistant] (confab-assistant.c): NULL url = no assistant */
  char            *assistant_url;          /* an OpenAI-compatible chat-completions URL */
  char            *assistant_model;
  char            *assistant_api_key;      /* read from api-key-file; never logged nor sent to clients */
  char            *assistant_embeddings_url;
  char            *assistant_embeddings_model;
  guint            assistant_timeout;      /* seconds until the first token */
  guint            assistant_max_tokens;
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

/* An e-mail address fit for a header and SMTP: one @, no spaces, brackets or control characters. */
gboolean      confab_config_valid_mail_address (const char *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabConfig, confab_config_free)

G_END_DECLS
