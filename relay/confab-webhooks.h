/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-webhooks.h: sending a site's outgoing webhooks — signed, retried with backoff, never to
 * a private address unless [webhooks] allow-private says so (SSRF) */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

typedef struct _ConfabWebhooks ConfabWebhooks;

/* The events a webhook may ask for, NULL-terminated. */
extern const char * const confab_webhook_events[];

/* Starts sending what is due (also what a previous run left pending) from the main loop. */
ConfabWebhooks *confab_webhooks_new              (ConfabRelay    *relay);
void            confab_webhooks_free             (ConfabWebhooks *webhooks);

/* FALSE for loopback, private, shared (CGNAT), link-local, unique-local, multicast, reserved and
 * unspecified addresses, IPv4 and IPv6 (v4-mapped, v4-compatible and NAT64 ones by their IPv4). */
gboolean        confab_webhooks_address_allowed  (GInetAddress   *address);

/* Whether @url may be a webhook's: http(s), a host, at most 2000 bytes; then, unless the relay
 * allows private addresses, every address its host resolves to must be allowed. Errors are
 * G_IO_ERROR_INVALID_ARGUMENT with a message for the user. */
void            confab_webhooks_check_url_async  (ConfabRelay         *relay,
                                                  const char          *url,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        confab_webhooks_check_url_finish (GAsyncResult        *result,
                                                  GError             **error);

/* "t=UNIX,v1=HEX": HEX is HMAC-SHA256 with @secret of "UNIX.BODY". */
char           *confab_webhooks_signature        (const char     *secret,
                                                  gint64          unix_seconds,
                                                  const char     *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabWebhooks, confab_webhooks_free)

G_END_DECLS
