/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-raw.h: a raw TCP / hand-made WebSocket client, for what libsoup will not do on purpose:
 * stall mid-request, never read, never answer pings, send binary or invalid UTF-8 frames.
 *
 * Every wait keeps iterating the default main context, so that the harness's libsoup sockets
 * stay alive (they answer pings, queue frames) while a test waits on a raw one.
 */
#pragma once

#include "relay-harness.h"

G_BEGIN_DECLS

typedef struct _RawConn RawConn;

/* Connects to the relay's port. @rcvbuf > 0 sets SO_RCVBUF before connecting. */
RawConn     *raw_connect              (TestRelay    *relay,
                                       int           rcvbuf);
void         raw_conn_free            (RawConn      *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawConn, raw_conn_free)

/* Writes everything; FALSE when the peer is gone. */
gboolean     raw_send                 (RawConn      *conn,
                                       const void   *data,
                                       gsize         len);

typedef enum {
  RAW_DATA,       /* some bytes came */
  RAW_EOF,        /* orderly close by the peer */
  RAW_ERROR,      /* reset, or another error */
  RAW_TIMEOUT,
} RawResult;

/* Reads what is there (up to @len), waiting up to @timeout_ms. */
RawResult    raw_recv                 (RawConn      *conn,
                                       guint8       *buf,
                                       gsize         len,
                                       gsize        *out_read,
                                       guint         timeout_ms);
/* Reads and throws away until the peer disconnects (TRUE) or @timeout_ms passed (FALSE).
 * @out_elapsed_ms may be NULL. */
gboolean     raw_wait_disconnected    (RawConn      *conn,
                                       guint         timeout_ms,
                                       guint        *out_elapsed_ms);

/* Sends the upgrade request for @path (with its query) plus @extra_headers ("Name: value\r\n"...,
 * may be NULL) and reads the answer head; returns its status (0 when none came). */
guint        raw_ws_handshake         (RawConn      *conn,
                                       const char   *path,
                                       const char   *extra_headers);
/* Sends one masked frame with FIN set. */
gboolean     raw_ws_send_frame        (RawConn      *conn,
                                       guint8        opcode,
                                       const void   *payload,
                                       gsize         len);
gboolean     raw_ws_send_text         (RawConn      *conn,
                                       const char   *text);

/* The next frame from the relay (control frames included); FALSE on timeout or disconnect. */
gboolean     raw_ws_read_frame        (RawConn      *conn,
                                       guint         timeout_ms,
                                       guint8       *out_opcode,
                                       GBytes      **out_payload);
/* Reads frames (answering nothing) until a text frame whose JSON "type" is @type; returns it
 * parsed, or NULL. */
JsonObject  *raw_ws_wait_type         (RawConn      *conn,
                                       const char   *type,
                                       guint         timeout_ms);
/* Reads frames until a close frame and returns its code (0 when the connection ended without
 * one or nothing came in time). */
gushort      raw_ws_wait_close        (RawConn      *conn,
                                       guint         timeout_ms);

/* The relay's pid, found through /proc by its data dir on the command line; 0 when not found. */
int          raw_relay_pid            (TestRelay    *relay);
/* VmRSS of @pid in KiB, 0 when unknown. */
guint64      raw_rss_kib              (int           pid);

G_END_DECLS
