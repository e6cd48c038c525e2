/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-listener.h: the relay's own accept loop, with caps on the connections it keeps
 *
 * libsoup 3.2's listener removes its source for good the first time accept() fails (EMFILE:
 * out of descriptors), and the relay stops answering while it looks alive. This loop accepts
 * on the listening socket itself, pauses briefly when descriptors run out and resumes, counts
 * every connection until its socket is closed (HTTP, and WebSockets after the upgrade), and
 * refuses what is over a cap with a short HTTP answer written straight on the socket:
 * 503 over the total, 429 over the per-address cap (addresses of trusted proxies are exempt:
 * they carry everyone). Accepted connections go to libsoup with soup_server_accept_iostream().
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _ConfabListener ConfabListener;

/* Starts accepting on @socket (bound and listening) for @server. @max_per_address 0: no cap
 * per address. @exempt: addresses the per-address cap does not apply to (may be NULL). */
ConfabListener *confab_listener_new       (SoupServer          *server,
                                           GSocket             *socket,
                                           guint                max_connections,
                                           guint                max_per_address,
                                           const char * const  *exempt);
/* Stops accepting and closes the listening socket; open connections stay. */
void            confab_listener_stop      (ConfabListener      *listener);
/* Several relays: the per-address cap counts every relay's connections (@counter, in Redis,
 * under a hash keyed by @salt), falling back to this relay's own while Redis is away. */
typedef struct _ConfabSharedCounter ConfabSharedCounter;
void            confab_listener_share_counts (ConfabListener   *listener,
                                          ConfabSharedCounter *counter,
                                          const char          *salt);
void            confab_listener_free      (ConfabListener      *listener);

/* Connections open right now. */
guint           confab_listener_get_n_connections (ConfabListener *listener);

/* The socket of @msg's connection: libsoup knows none for a connection handed over with
 * soup_server_accept_iostream(), so this is the way for request timeouts and upgrades. */
GSocket        *confab_listener_message_socket    (SoupServerMessage *msg);

G_END_DECLS
