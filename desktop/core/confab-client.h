/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client.h: one signed-in agent account on one relay.
 *
 * Signs in (POST /api/v1/auth/login), reads the account (/api/v1/me), keeps the agent
 * WebSocket (/ws/agent) open: subscribe after the cursor the cache holds, the backlog, "synced",
 * then live events. Every event goes into the ConfabCache first (with its cursor, in one
 * transaction), then out as a signal; the list models follow the cache on their own.
 *
 * Connection drops reconnect with exponential backoff and jitter (1 s doubling, capped at 30 s)
 * and resume from the cursor: no gap, no duplicate. Close code 4001 (token revoked) or a 401 ends
 * in SIGNED_OUT and stops reconnecting; 4008 (slow consumer), 1001 (relay restarting) and any
 * other drop reconnect.
 *
 * Outgoing messages always go through the cache's outbox: queued on disk, sent one at a time
 * in order with their client_id once the connection is synced, removed on their ack. A message
 * written offline thus survives a restart and is delivered once on reconnect (the relay
 * stores a repeated client_id once).
 */
#pragma once

#include <gio/gio.h>

#include "confab-cache.h"

G_BEGIN_DECLS

#define CONFAB_CLIENT_ERROR (confab_client_error_quark ())

typedef enum {
  CONFAB_CLIENT_ERROR_INVALID_CREDENTIALS, /* wrong email or password */
  CONFAB_CLIENT_ERROR_UNAUTHORIZED,        /* the token is no longer valid: sign in again */
  CONFAB_CLIENT_ERROR_OFFLINE,             /* needs the connection, which is not there */
  CONFAB_CLIENT_ERROR_RELAY,               /* the relay answered with an error; message says */
  CONFAB_CLIENT_ERROR_INVALID,             /* bad argument (empty body, bad status...) */
  CONFAB_CLIENT_ERROR_VISITOR_OFFLINE,     /* the visitor left the site (start_conversation) */
} ConfabClientError;

GQuark confab_client_error_quark (void);

typedef enum {
  CONFAB_CLIENT_SIGNED_OUT,  /* no valid token: sign in */
  CONFAB_CLIENT_OFFLINE,     /* stopped, or waiting to reconnect */
  CONFAB_CLIENT_CONNECTING,  /* /me and the WebSocket handshake */
  CONFAB_CLIENT_SYNCING,     /* subscribed, receiving the backlog */
  CONFAB_CLIENT_ONLINE,      /* synced: live */
} ConfabClientState;

#define CONFAB_TYPE_CLIENT_STATE (confab_client_state_get_type ())
GType confab_client_state_get_type (void);

#define CONFAB_TYPE_CLIENT (confab_client_get_type ())
G_DECLARE_FINAL_TYPE (ConfabClient, confab_client, CONFAB, CLIENT, GObject)

ConfabClient     *confab_client_new              (ConfabCache          *cache,
                                                  const char           *relay_url);

ConfabCache      *confab_client_get_cache        (ConfabClient         *self);
ConfabClientState confab_client_get_state        (ConfabClient         *self);
const char       *confab_client_get_relay_url    (ConfabClient         *self);
/* Moves to another address (same relay, e.g. a new port): reconnects there now. */
void              confab_client_set_relay_url    (ConfabClient         *self,
                                                  const char           *relay_url);
/* The session token: put it in the keyring (ConfabSecrets), never on disk. */
const char       *confab_client_get_token        (ConfabClient         *self);
void              confab_client_set_token        (ConfabClient         *self,
                                                  const char           *token);
const char       *confab_client_get_user_id      (ConfabClient         *self);
const char       *confab_client_get_user_name    (ConfabClient         *self);

/* POST /api/v1/auth/login; on success the token, user id and name are set (and written to the
 * cache's meta, the token excepted). Does not connect: call confab_client_start(). */
void              confab_client_sign_in_async    (ConfabClient         *self,
                                                  const char           *email,
                                                  const char           *password,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean          confab_client_sign_in_finish   (ConfabClient         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* POST /api/v1/auth/logout (best effort when offline), then SIGNED_OUT and no token. */
void              confab_client_sign_out_async   (ConfabClient         *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean          confab_client_sign_out_finish  (ConfabClient         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* Connects, and keeps reconnecting until confab_client_stop() or a sign-out. */
void              confab_client_start            (ConfabClient         *self);
void              confab_client_stop             (ConfabClient         *self);
/* Skips the backoff wait (the network came back, the user pressed "retry"). */
void              confab_client_reconnect_now    (ConfabClient         *self);
/* Asks the UI for a frame (a frame clock's after-paint phase) and says whether one will come;
 * the UI then calls confab_client_frame_painted() once it is painted. */
typedef gboolean (*ConfabFramePacer) (gpointer user_data);
void              confab_client_set_frame_pacer  (ConfabClient         *self,
                                                  ConfabFramePacer      pacer,
                                                  gpointer              user_data);
void              confab_client_frame_painted    (ConfabClient         *self);
void              confab_client_set_frame_wait   (ConfabClient         *self,
                                                  guint                 wait_ms);
/* While offline and waiting to reconnect: how long that wait is, in ms (backoff with jitter,
 * at most 8 s); 0 otherwise. The network coming back (GNetworkMonitor) ends it at once. */
guint             confab_client_get_reconnect_delay (ConfabClient      *self);

/* Queues @body in the outbox (on disk before this returns) and sends it as soon as the
 * connection is synced. Returns the QUEUED message, with its client_id. */
ConfabMessage    *confab_client_send_message     (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  const char           *body,
                                                  GError              **error);
/* Queues a file (an image or a document) as the outbox queues text: its bytes kept in the
 * app's cache directory, uploaded once the relay is there (the head of the outbox, so in order
 * with the text around it), then sent as a message with it, once. The row shows at once as
 * QUEUED with a pending attachment {"kind":"file","name","mime","size","pending":true}. At most
 * 20 MiB (the relay's upload limit). */
ConfabMessage    *confab_client_send_file        (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  GBytes               *bytes,
                                                  const char           *name,
                                                  const char           *mime,
                                                  GError              **error);
/* A failed outbox message back in the queue, or dropped. */
gboolean          confab_client_retry_message    (ConfabClient         *self,
                                                  const char           *client_id,
                                                  GError              **error);
gboolean          confab_client_discard_message  (ConfabClient         *self,
                                                  const char           *client_id,
                                                  GError              **error);

/* Writes first to a visitor who is on the site (the visitor list's "start conversation"; the
 * relay's `start_conversation` frame): into their current conversation when they have one, else
 * into a new one assigned to this agent. Completes with the conversation's id, once the relay
 * stored the message (the conversation is then in the cache; the message follows at once).
 *
 * Not through the outbox: a new conversation is for a visitor who is here now, and only the
 * relay knows whether they still are; written offline, it would reach a visitor long gone. So
 * it needs ONLINE (else CONFAB_CLIENT_ERROR_OFFLINE at once). One client_id per call: when the
 * connection drops before the answer, the same frame goes again after the next sync, and the
 * relay stores it once. No answer within 30 s: OFFLINE (the relay may still have stored it;
 * the conversation then shows up in the list). Errors: VISITOR_OFFLINE (left the site, no
 * conversation to write into), RELAY (not_found and the rest; the message says), INVALID. */
void              confab_client_start_conversation_async  (ConfabClient         *self,
                                                           const char           *visitor_id,
                                                           const char           *body,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
/* Returns the conversation id (free it), or NULL with @error. */
char             *confab_client_start_conversation_finish (ConfabClient         *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

/* Live-only actions: FALSE with CONFAB_CLIENT_ERROR_OFFLINE when not ONLINE. The relay's
 * answer arrives as a "conversation" event (or a "relay-error" signal). */
gboolean          confab_client_send_typing      (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  gboolean              active,
                                                  GError              **error);
/* @agent_id NULL: nobody. */
gboolean          confab_client_assign           (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  const char           *agent_id,
                                                  GError              **error);
/* open, pending, resolved or closed. */
gboolean          confab_client_set_status       (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  const char           *status,
                                                  GError              **error);
/* Marks read in the cache at once and tells the relay when online. */
gboolean          confab_client_mark_read        (ConfabClient         *self,
                                                  const char           *conversation_id,
                                                  gint64                seq,
                                                  GError              **error);
/* online, away or busy: sent now when online, and again after every reconnect. */
gboolean          confab_client_set_presence     (ConfabClient         *self,
                                                  const char           *status,
                                                  GError              **error);
const char       *confab_client_get_presence     (ConfabClient         *self);

/* --- what visitors send besides messages (confab-client-unseen.c) ---
 *
 * offline_message, rating and timeline events go into the cache (confab_cache_*_offline_*,
 * conversations' rating-*, timeline rows among the messages), then out as the "offline-message"
 * and "rating" signals (site_id, the frame as JSON text) and "timeline" (conversation_id, the
 * row as a ConfabMessage). Each site's offline messages are also read once by REST, after the
 * first sync that has the site (those from before the cache or before the site was joined). */

/* GET /api/v1/sites/{id}/offline-messages into the cache, once per site and cache (after a
 * sync: the older ones of a site the events do not bring). */
void              confab_client_refresh_offline_messages (ConfabClient      *self);
/* PATCH /api/v1/offline-messages/{id} {"status": handled ? "handled" : "open"}; the answer
 * goes into the cache. */
void              confab_client_set_offline_message_status_async  (ConfabClient        *self,
                                                                   const char          *id,
                                                                   gboolean             handled,
                                                                   GCancellable        *cancellable,
                                                                   GAsyncReadyCallback  callback,
                                                                   gpointer             user_data);
gboolean          confab_client_set_offline_message_status_finish (ConfabClient        *self,
                                                                   GAsyncResult        *result,
                                                                   GError             **error);
/* POST /api/v1/offline-messages/{id}/conversation: the conversation made of it (a new one, or
 * the one made before), in the cache when this completes; returns its id (free it). */
void              confab_client_offline_message_conversation_async  (ConfabClient        *self,
                                                                     const char          *id,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
char             *confab_client_offline_message_conversation_finish (ConfabClient        *self,
                                                                     GAsyncResult        *result,
                                                                     GError             **error);
/* GET /api/v1/conversations/{id}/timeline into the cache (each event kept once), then marks
 * it fetched (confab_cache_get_timeline_fetched): a conversation opened for the first time. */
void              confab_client_fetch_timeline_async  (ConfabClient        *self,
                                                       const char          *conversation_id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          confab_client_fetch_timeline_finish (ConfabClient        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* --- changes pushed by the relay (live only, never cached): the signals ---
 *
 * "site-updated"    (site_id, JsonObject *site): a `site` frame, the site object as
 *                   GET /api/v1/sites/{id} answers it with this user's role; the cache's
 *                   sites (name, role) follow first ("sites-changed").
 * "canned-changed"  (site_id, JsonArray *canned): a `canned` frame, the whole list.
 * "faqs-changed"    (site_id, JsonArray *faqs): a `faqs` frame, the whole list.
 * "members-changed" (site_id, JsonArray *members): a `members` frame, the whole list.
 * A `sites` frame (memberships changed, a site deleted) replaces the cache's sites.
 * The JSON is the frame's own: borrow it in the handler, ref it to keep it. */

G_END_DECLS
