/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-relay.h: the running relay, the one object every module of the server shares */
#pragma once

#include <libsoup/soup.h>

#include "confab-config.h"
#include "confab-geo.h"
#include "confab-ratelimit.h"
#include "confab-shared-limits.h"
#include "confab-store.h"

G_BEGIN_DECLS

typedef struct _ConfabHub ConfabHub;
typedef struct _ConfabUploads ConfabUploads;
typedef struct _ConfabListener ConfabListener;
typedef struct _ConfabRetention ConfabRetention;
typedef struct _ConfabTargets ConfabTargets;
typedef struct _ConfabMeta ConfabMeta;
typedef struct _ConfabMailer ConfabMailer;

typedef struct {
  ConfabConfig    *config;
  ConfabStore     *store;
  SoupServer      *server;
  ConfabHub       *hub;
  ConfabUploads   *uploads;         /* confab-uploads.c */
  ConfabGeo       *geo;             /* never NULL; without a database every lookup is unknown */
  GHashTable      *request_timeouts; /* GSocket* → watchdog source id, until its request is read */
  ConfabListener  *listener;        /* the accept loop (confab-listener.c) */
  ConfabRetention *retention;       /* the daily purge of old conversations (confab-retention.c) */
  ConfabTargets   *targets;         /* response-time targets turning near and missed (confab-targets.c) */
  ConfabBus       *bus;             /* the link to the other relays; NULL without [cluster] redis */
  ConfabMeta      *meta;            /* Messenger and WhatsApp (meta/confab-meta.c) */
  ConfabMailer    *mailer;          /* outgoing mail (relay/email/); disabled without [email] */
  gulong           body_guard_hook; /* confab-http-body.c */
  GHashTable      *lingering;       /* refused connections draining before they close (same) */

  char            *host;            /* what we listen on */
  guint16          port;            /* the real port, also when 0 was asked for */

  /* The key of IP hashes (<data-dir>/ip-hash-key): rate limits, the audit log and abuse handling
   * see a keyed hash of an address, never the address. */
  char            *ip_salt;

  /* per address or account: shared by every relay through Redis when there is a bus */
  ConfabSharedLimit *login_per_ip;
  ConfabSharedLimit *login_per_account;
  ConfabSharedLimit *messages_per_ip;
  ConfabSharedLimit *typing_per_ip;
  /* issue 15: outgoing webhooks (confab-webhooks.c) and requests per API key (confab-api-keys.c) */
  struct _ConfabWebhooks *webhooks;
  ConfabRateLimit   *api_key_requests;
  struct _ConfabAssistant *assistant; /* confab-assistant.c; there also without [assistant] url */
  ConfabRateLimit   *assist_requests;  /* agent assist, per user (api/confab-api-assistant.c) */
} ConfabRelay;

ConfabRelay *confab_relay_new    (ConfabConfig  *config,
                                  GError       **error);
/* Starts accepting; prints "listening on http://HOST:PORT" once it does. */
gboolean     confab_relay_listen (ConfabRelay   *relay,
                                  GError       **error);
/* Stops accepting new connections; those open stay. */
void         confab_relay_stop_listening (ConfabRelay *relay);
void         confab_relay_free   (ConfabRelay   *relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRelay, confab_relay_free)

/* Salted SHA-256 of an IP address: what is stored and logged instead of the address. */
char        *confab_relay_hash_ip (ConfabRelay  *relay,
                                   const char   *ip);

G_END_DECLS
