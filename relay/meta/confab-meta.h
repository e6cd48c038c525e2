/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta.h: Facebook Messenger and WhatsApp Business (Cloud API) on the relay (issue 15).
 *
 *   confab-meta.c           the module: settings as the other files read them, the Graph API
 *                           client (libsoup, asynchronous), the outbox of agents' replies with
 *                           its retries, the typing indicator
 *   confab-meta-webhook.c   /webhooks/messenger/{site_id} and /webhooks/whatsapp/{site_id}:
 *                           Meta's handshake, the signature, a delivery's answer
 *   confab-meta-inbound.c   what a delivery holds: senders' messages and pictures, delivery
 *                           and read receipts (confab-meta-private.h between the two)
 *   ../api/confab-api-channels.c  /api/v1/sites/{id}/channels/messenger|whatsapp
 *
 * Every request to the Graph API goes to [meta] graph-url (tests: a local stand-in). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-relay.h"

G_BEGIN_DECLS

#define CONFAB_META_ERROR (confab_meta_error_quark ())

typedef enum {
  CONFAB_META_ERROR_WINDOW_CLOSED, /* WhatsApp's 24-hour window is over and no template chosen */
  CONFAB_META_ERROR_INVALID,       /* the reply cannot go to this channel as it is */
} ConfabMetaError;

GQuark       confab_meta_error_quark   (void);

/* The error frame's code for an error of CONFAB_META_ERROR ("reply_window_closed",
 * "invalid_value"), NULL for any other error. */
const char  *confab_meta_error_code    (const GError *error);

typedef struct _ConfabMeta ConfabMeta;

/* Registers the webhooks and starts sending what the outbox holds. */
ConfabMeta  *confab_meta_new           (ConfabRelay  *relay);
void         confab_meta_free          (ConfabMeta   *meta);

/* Inside the unit of work of an agent's @message in @conversation (Messenger or WhatsApp):
 * checks that it may go (WhatsApp's window, @draft's template, a picture's kind and size; files
 * that are no pictures are refused), marks it pending and queues it.
 * CONFAB_META_ERROR when it may not: the caller refuses it and stores nothing. */
gboolean     confab_meta_queue_reply   (ConfabRelay              *relay,
                                        const ConfabConversation *conversation,
                                        ConfabMessage            *message,
                                        const ConfabMessageDraft *draft,
                                        GError                  **error);
/* After such a message was committed: the outbox is looked at now. */
void         confab_meta_kick          (ConfabRelay  *relay);
/* An agent types (or stopped) in a Messenger conversation: the typing_on/off sender action. */
void         confab_meta_typing        (ConfabRelay              *relay,
                                        const ConfabConversation *conversation,
                                        gboolean                  active);

/* --- shared by the module's files and the settings API --- */

/* The site's settings of @channel as a JSON object with the secrets in it (member "secrets"),
 * or NULL when the site has not connected it or it is disabled. */
JsonObject  *confab_meta_settings      (ConfabRelay  *relay,
                                        const char   *site_id,
                                        const char   *channel);
/* The Graph API's base URL without a trailing slash. */
const char  *confab_meta_graph_url     (ConfabRelay  *relay);
/* The address Meta must call for @channel of @site_id: [meta] public-url, else the address
 * @msg came to. */
char        *confab_meta_webhook_url   (ConfabRelay       *relay,
                                        SoupServerMessage *msg,
                                        const char        *channel,
                                        const char        *site_id);
/* A GET to the Graph API with the bearer @token, the body up to @max_bytes; in @callback,
 * confab_meta_get_finish () gives it (or why not). */
void         confab_meta_get           (ConfabRelay         *relay,
                                        const char          *url,
                                        const char          *token,
                                        gsize                max_bytes,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GBytes      *confab_meta_get_finish    (GAsyncResult        *result,
                                        GError             **error);

/* confab-meta-webhook.c */
void         confab_meta_webhook_register (ConfabRelay *relay);

G_END_DECLS
