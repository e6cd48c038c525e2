/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-websocket.h: server-side WebSocket connections on one epoll instance.
 *
 * libsoup's SoupWebsocketConnection gives every connection its own GSources, and GLib's
 * poll()-based main loop walks all of them on every iteration: with 10,000 idle visitors that
 * machinery took most of the relay's CPU. Here every upgraded connection is one fd in a single
 * epoll set, which the main loop sees as ONE source; keepalive, idle and close timers are one
 * periodic sweep. libsoup still does the HTTP and the handshake.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_WEBSOCKET (confab_websocket_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWebsocket, confab_websocket, CONFAB, WEBSOCKET, GObject)

typedef enum {
  CONFAB_WEBSOCKET_OPEN,
  CONFAB_WEBSOCKET_CLOSING,  /* a close frame went or is going out; nothing more is sent */
  CONFAB_WEBSOCKET_CLOSED,   /* "closed" was emitted */
} ConfabWebsocketState;

typedef enum {
  CONFAB_WEBSOCKET_DATA_TEXT   = 1,
  CONFAB_WEBSOCKET_DATA_BINARY = 2,
} ConfabWebsocketDataType;

/* Called with the upgraded connection while @msg (its request) is still at hand. */
typedef void (*ConfabWebsocketAcceptFunc) (SoupServerMessage *msg,
                                           ConfabWebsocket   *ws,
                                           gpointer           user_data);

/* Call from a normal SoupServer handler on the WebSocket path, after its own checks passed:
 * answers the handshake (no extensions, no subprotocol) and, once the 101 is written, takes
 * the connection from libsoup and gives it to @accept. FALSE when the request is no valid
 * WebSocket handshake: then @msg's status says so (400). */
gboolean             confab_websocket_server_upgrade   (SoupServerMessage        *msg,
                                                        ConfabWebsocketAcceptFunc accept,
                                                        gpointer                  user_data);

/* A server connection on @stream (already upgraded; bytes libsoup read past the handshake are
 * read from it first). @socket is its socket. Nothing happens until confab_websocket_start(). */
ConfabWebsocket     *confab_websocket_new              (GIOStream       *stream,
                                                        GSocket         *socket);
/* Watches the connection: reads what arrived, from now on "message" and "closed" come. */
void                 confab_websocket_start            (ConfabWebsocket *self);

/* Limits and timers; set them before confab_websocket_start(). */
void                 confab_websocket_set_max_message  (ConfabWebsocket *self,
                                                        guint64          bytes);
/* At most @bytes sent but not acknowledged by the peer (confab_websocket_get_buffered()),
 * whatever the frame: data, pong or ping. A frame that would pass it is not sent and the
 * connection is closed with @close_code; 0 = no limit. */
void                 confab_websocket_set_send_limit   (ConfabWebsocket *self,
                                                        guint64          bytes,
                                                        gushort          close_code);
/* Seconds: a ping after this long without hearing from the peer; 0 = never. */
void                 confab_websocket_set_keepalive    (ConfabWebsocket *self,
                                                        guint            seconds);
/* Seconds without any frame (pongs included) before the connection is dropped; 0 = never. */
void                 confab_websocket_set_idle_timeout (ConfabWebsocket *self,
                                                        guint            seconds);

ConfabWebsocketState confab_websocket_get_state        (ConfabWebsocket *self);

/* Queues a text frame; FALSE (and nothing sent) unless OPEN. Never blocks, never emits
 * "closed" from inside: a dead peer is noticed on the next main-loop turn. */
/* Between cork and uncork (nested: the outermost uncork counts) frames wait, and every
 * connection written to gets them in one writev at the uncork. */
void                 confab_websocket_cork             (void);
void                 confab_websocket_uncork           (void);
gboolean             confab_websocket_send_text        (ConfabWebsocket *self,
                                                        const char      *text,
                                                        gsize            len);
/* Starts the close handshake: the frame goes out after what is queued; the connection ends
 * when the peer answers, or 2 s after the frame was sent. */
void                 confab_websocket_close            (ConfabWebsocket *self,
                                                        gushort          code,
                                                        const char      *reason);

/* Bytes sent but not yet acknowledged by the peer's TCP: our queue plus the kernel's send
 * queue. confab_websocket_buffered_exceeds() answers "more than @limit?" without a system
 * call while the answer is plainly no. */
guint64              confab_websocket_get_buffered     (ConfabWebsocket *self);
gboolean             confab_websocket_buffered_exceeds (ConfabWebsocket *self,
                                                        guint64          limit);

G_END_DECLS
