/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-websocket.c: the RFC 6455 frame parser byte by byte, and ConfabWebsocket over a real
 * loopback TCP connection driven by hand-made client frames. */
#define G_LOG_DOMAIN "test-websocket"

#include "confab-websocket.h"
#include "confab-websocket-parser.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const guint8 test_mask[4] = { 0x12, 0x34, 0x56, 0x78 };

/* A client frame: masked unless @masked is FALSE. */
static GByteArray *
client_frame (gboolean      fin,
              guint8        opcode,
              const void   *payload,
              gsize         len,
              gboolean      masked)
{
  GByteArray *frame = g_byte_array_new ();
  guint8 b[10];
  gsize n;

  n = confab_ws_frame_header (b, opcode, len);
  if (!fin)
    b[0] &= 0x7f;
  if (masked)
    b[1] |= 0x80;
  g_byte_array_append (frame, b, n);
  if (masked)
    g_byte_array_append (frame, test_mask, 4);
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = ((const guint8 *) payload)[i] ^ (masked ? test_mask[i & 3] : 0);
      g_byte_array_append (frame, &c, 1);
    }
  return frame;
}

static void
append_frame (GByteArray *stream,
              gboolean    fin,
              guint8      opcode,
              const void *payload,
              gsize       len)
{
  g_autoptr (GByteArray) frame = client_frame (fin, opcode, payload, len, TRUE);

  g_byte_array_append (stream, frame->data, frame->len);
}

typedef struct {
  ConfabWsEventType type;
  guint8            opcode;
  GBytes           *payload;
  gushort           code;
} Seen;

static void
seen_clear (gpointer data)
{
  Seen *seen = data;

  g_clear_pointer (&seen->payload, g_bytes_unref);
}

/* Feeds @data in chunks of @chunk bytes and collects every event. */
static GArray *
feed_all (ConfabWsParser *parser,
          const guint8   *data,
          gsize           len,
          gsize           chunk)
{
  GArray *events = g_array_new (FALSE, TRUE, sizeof (Seen));

  g_array_set_clear_func (events, seen_clear);
  for (gsize start = 0; start < len; start += chunk)
    {
      gsize end = MIN (len, start + chunk);
      gsize pos = start;

      while (pos < end)
        {
          ConfabWsEvent event;
          gsize used = 0;

          confab_ws_parser_feed (parser, data + pos, end - pos, &used, &event);
          g_assert_cmpuint (used, >, 0);
          pos += used;
          if (event.type != CONFAB_WS_EVENT_NONE)
            {
              Seen seen = { event.type, event.opcode, event.payload, event.close_code };
              g_array_append_val (events, seen);
            }
        }
    }
  return events;
}

static GArray *
parse (GByteArray *stream,
       guint64     max,
       gsize       chunk)
{
  ConfabWsParser parser;
  GArray *events;

  confab_ws_parser_init (&parser, max);
  events = feed_all (&parser, stream->data, stream->len, chunk);
  confab_ws_parser_clear (&parser);
  return events;
}

#define SEEN(events, i) (&g_array_index ((events), Seen, (i)))

static void
assert_payload (Seen       *seen,
                const void *data,
                gsize       len)
{
  gsize got_len;
  const void *got = g_bytes_get_data (seen->payload, &got_len);

  g_assert_cmpmem (got, got_len, data, len);
}

static void
test_parser_lengths (void)
{
  const gsize lengths[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *text = g_malloc (lengths[i] + 1);
      g_autoptr (GByteArray) stream = g_byte_array_new ();
      const gsize chunks[] = { 1, 7, 4096, G_MAXSIZE };

      memset (text, 'a' + i, lengths[i]);
      append_frame (stream, TRUE, CONFAB_WS_OPCODE_TEXT, text, lengths[i]);
      /* header size: 2, then 2 more from 126, 8 more from 65536; plus the mask */
      g_assert_cmpuint (stream->len, ==, lengths[i] + 4 + (lengths[i] < 126 ? 2 : lengths[i] < 65536 ? 4 : 10));

      for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
        {
          g_autoptr (GArray) events = NULL;

          if (chunks[c] == 1 && lengths[i] > 1000)
            continue;
          events = parse (stream, 1 << 20, chunks[c]);
          g_assert_cmpuint (events->len, ==, 1);
          g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_MESSAGE);
          g_assert_cmpuint (SEEN (events, 0)->opcode, ==, CONFAB_WS_OPCODE_TEXT);
          assert_payload (SEEN (events, 0), text, lengths[i]);
        }
    }
}

static void
test_parser_unmasked (void)
{
  g_autoptr (GByteArray) stream = client_frame (TRUE, CONFAB_WS_OPCODE_TEXT, "hi", 2, FALSE);
  g_autoptr (GArray) events = parse (stream, 1000, 1);

  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_ERROR);
  g_assert_cmpuint (SEEN (events, 0)->code, ==, 1002);
}

static void
test_parser_fragments (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();

  append_frame (stream, FALSE, CONFAB_WS_OPCODE_TEXT, "hel", 3);
  append_frame (stream, TRUE, CONFAB_WS_OPCODE_PING, "p1", 2);
  append_frame (stream, FALSE, CONFAB_WS_OPCODE_CONTINUATION, "lo", 2);
  append_frame (stream, TRUE, CONFAB_WS_OPCODE_PONG, "", 0);
  append_frame (stream, FALSE, CONFAB_WS_OPCODE_CONTINUATION, "", 0);
  append_frame (stream, TRUE, CONFAB_WS_OPCODE_CONTINUATION, " world", 6);
  append_frame (stream, TRUE, CONFAB_WS_OPCODE_BINARY, "\xff\x00\xfe", 3);

  for (gsize chunk = 1; chunk <= stream->len; chunk += 5)
    {
      g_autoptr (GArray) events = parse (stream, 1000, chunk);

      g_assert_cmpuint (events->len, ==, 4);
      g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_PING);
      assert_payload (SEEN (events, 0), "p1", 2);
      g_assert_cmpint (SEEN (events, 1)->type, ==, CONFAB_WS_EVENT_PONG);
      g_assert_cmpint (SEEN (events, 2)->type, ==, CONFAB_WS_EVENT_MESSAGE);
      assert_payload (SEEN (events, 2), "hello world", 11);
      /* binary is not UTF-8-checked */
      g_assert_cmpint (SEEN (events, 3)->type, ==, CONFAB_WS_EVENT_MESSAGE);
      g_assert_cmpuint (SEEN (events, 3)->opcode, ==, CONFAB_WS_OPCODE_BINARY);
      assert_payload (SEEN (events, 3), "\xff\x00\xfe", 3);
    }
}

/* Two fragments: their text, then whether the message is good. */
static gushort
fragments_code (const char *first,
                gsize       first_len,
                const char *second,
                gsize       second_len)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GArray) events = NULL;

  append_frame (stream, FALSE, CONFAB_WS_OPCODE_TEXT, first, first_len);
  append_frame (stream, TRUE, CONFAB_WS_OPCODE_CONTINUATION, second, second_len);
  events = parse (stream, 1000, 3);
  g_assert_cmpuint (events->len, ==, 1);
  if (SEEN (events, 0)->type == CONFAB_WS_EVENT_MESSAGE)
    return 0;
  g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_ERROR);
  return SEEN (events, 0)->code;
}

static void
test_parser_utf8 (void)
{
  /* é, € and 😀 split inside the character */
  g_assert_cmpuint (fragments_code ("caf\xc3", 4, "\xa9", 1), ==, 0);
  g_assert_cmpuint (fragments_code ("\xe2\x82", 2, "\xac!", 2), ==, 0);
  g_assert_cmpuint (fragments_code ("\xf0", 1, "\x9f\x98\x80", 3), ==, 0);
  g_assert_cmpuint (fragments_code ("a\0b", 3, "", 0), ==, 0);

  /* broken across the boundary, overlong, surrogate, past U+10FFFF, a stray continuation */
  g_assert_cmpuint (fragments_code ("caf\xc3", 4, "(", 1), ==, 1007);
  g_assert_cmpuint (fragments_code ("\xc0", 1, "\x80", 1), ==, 1007);
  g_assert_cmpuint (fragments_code ("\xed\xa0", 2, "\x80", 1), ==, 1007);
  g_assert_cmpuint (fragments_code ("\xf4\x90", 2, "\x80\x80", 2), ==, 1007);
  g_assert_cmpuint (fragments_code ("ok", 2, "\x80", 1), ==, 1007);
  /* the message ends inside a character */
  g_assert_cmpuint (fragments_code ("ok", 2, "\xe2\x82", 2), ==, 1007);
  /* ...while binary is anything */
  {
    g_autoptr (GByteArray) stream = g_byte_array_new ();
    g_autoptr (GArray) events = NULL;

    append_frame (stream, TRUE, CONFAB_WS_OPCODE_BINARY, "\xc3", 1);
    events = parse (stream, 1000, 1);
    g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_MESSAGE);
  }
}

static void
test_parser_oversize (void)
{
  g_autofree char *big = g_malloc0 (1001);

  /* one frame: the error comes with its header, before any of its payload */
  {
    g_autoptr (GByteArray) stream = client_frame (TRUE, CONFAB_WS_OPCODE_TEXT, big, 1001, TRUE);
    ConfabWsParser parser;
    ConfabWsEvent event;
    gsize used = 0;
    guint8 close[] = { 0x03, 0xe8 };
    g_autoptr (GByteArray) rest = g_byte_array_new ();
    g_autoptr (GArray) events = NULL;

    confab_ws_parser_init (&parser, 1000);
    g_assert_cmpint (confab_ws_parser_feed (&parser, stream->data, stream->len, &used, &event), ==,
                     CONFAB_WS_EVENT_ERROR);
    g_assert_cmpuint (event.close_code, ==, 1009);
    g_assert_cmpuint (used, ==, 2 + 2 + 4);

    /* its payload is skipped, unbuffered; a close frame after it is still seen, a data frame not */
    g_byte_array_append (rest, stream->data + used, stream->len - used);
    append_frame (rest, TRUE, CONFAB_WS_OPCODE_TEXT, "late", 4);
    append_frame (rest, TRUE, CONFAB_WS_OPCODE_CLOSE, close, 2);
    events = feed_all (&parser, rest->data, rest->len, 100);
    g_assert_null (parser.message);
    g_assert_cmpuint (events->len, ==, 1);
    g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_CLOSE);
    g_assert_cmpuint (SEEN (events, 0)->code, ==, 1000);
    confab_ws_parser_clear (&parser);
  }

  /* the limit is on the whole message, across fragments */
  {
    g_autoptr (GByteArray) stream = g_byte_array_new ();
    g_autoptr (GArray) events = NULL;

    append_frame (stream, FALSE, CONFAB_WS_OPCODE_TEXT, big, 600);
    append_frame (stream, TRUE, CONFAB_WS_OPCODE_CONTINUATION, big, 401);
    events = parse (stream, 1000, 50);
    g_assert_cmpuint (events->len, ==, 1);
    g_assert_cmpuint (SEEN (events, 0)->code, ==, 1009);
  }

  /* exactly the limit is fine */
  {
    g_autoptr (GByteArray) stream = g_byte_array_new ();
    g_autoptr (GArray) events = NULL;

    append_frame (stream, FALSE, CONFAB_WS_OPCODE_TEXT, big, 600);
    append_frame (stream, TRUE, CONFAB_WS_OPCODE_CONTINUATION, big, 400);
    events = parse (stream, 1000, 50);
    g_assert_cmpint (SEEN (events, 0)->type, ==, CONFAB_WS_EVENT_MESSAGE);
    g_assert_cmpuint (g_bytes_get_size (SEEN (events, 0)->payload), ==, 1000);
  }
}

static gushort
close_frame_code (const void *payload,
                  gsize       len,
                  ConfabWsEventType *type)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GArray) events = NULL;

  append_frame (stream, TRUE, CONFAB_WS_OPCODE_CLOSE, payload, len);
  events = parse (stream, 1000, 1);
  g_assert_cmpuint (events->len, ==, 1);
  *type = SEEN (events, 0)->type;
  return SEEN (events, 0)->code;
}

static void
test_parser_close_codes (void)
{
  ConfabWsEventType type;

  g_assert_cmpuint (close_frame_code ("", 0, &type), ==, 1005);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_CLOSE);
  g_assert_cmpuint (close_frame_code ("\x03\xe8" "bye", 5, &type), ==, 1000);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_CLOSE);
  g_assert_cmpuint (close_frame_code ("\x0f\xa8", 2, &type), ==, 4008);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_CLOSE);
  g_assert_cmpuint (close_frame_code ("\x0b\xb8", 2, &type), ==, 3000);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_CLOSE);

  /* one byte, codes that must never be sent, unassigned ones, a reason that is not UTF-8 */
  g_assert_cmpuint (close_frame_code ("\x03", 1, &type), ==, 1002);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_ERROR);
  g_assert_cmpuint (close_frame_code ("\x03\xed", 2, &type), ==, 1002);  /* 1005 */
  g_assert_cmpuint (close_frame_code ("\x03\xee", 2, &type), ==, 1002);  /* 1006 */
  g_assert_cmpuint (close_frame_code ("\x03\xe7", 2, &type), ==, 1002);  /* 999 */
  g_assert_cmpuint (close_frame_code ("\x13\x88", 2, &type), ==, 1002);  /* 5000 */
  g_assert_cmpuint (close_frame_code ("\x03\xe8\xff", 3, &type), ==, 1007);
  g_assert_cmpint (type, ==, CONFAB_WS_EVENT_ERROR);
}

static gushort
stream_error (GByteArray *stream)
{
  g_autoptr (GArray) events = parse (stream, 1000, 1);

  g_assert_cmpuint (events->len, >=, 1);
  g_assert_cmpint (SEEN (events, events->len - 1)->type, ==, CONFAB_WS_EVENT_ERROR);
  return SEEN (events, events->len - 1)->code;
}

static void
test_parser_protocol_errors (void)
{
  g_autofree char *long_ping = g_malloc0 (126);

  {
    g_autoptr (GByteArray) s = client_frame (TRUE, CONFAB_WS_OPCODE_TEXT, "x", 1, TRUE);
    s->data[0] |= 0x40;  /* RSV1 without an extension */
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = client_frame (TRUE, 0x3, "x", 1, TRUE);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = client_frame (TRUE, 0xB, "", 0, TRUE);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = client_frame (TRUE, CONFAB_WS_OPCODE_CONTINUATION, "x", 1, TRUE);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = g_byte_array_new ();
    append_frame (s, FALSE, CONFAB_WS_OPCODE_TEXT, "a", 1);
    append_frame (s, TRUE, CONFAB_WS_OPCODE_TEXT, "b", 1);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = client_frame (TRUE, CONFAB_WS_OPCODE_PING, long_ping, 126, TRUE);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    g_autoptr (GByteArray) s = client_frame (FALSE, CONFAB_WS_OPCODE_PING, "", 0, TRUE);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  {
    /* a 64-bit length with its top bit set */
    static const guint8 header[] = { 0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
    g_autoptr (GByteArray) s = g_byte_array_new ();
    g_byte_array_append (s, header, sizeof header);
    g_assert_cmpuint (stream_error (s), ==, 1002);
  }
  /* after a protocol error the rest is never parsed */
  {
    g_autoptr (GByteArray) s = client_frame (TRUE, CONFAB_WS_OPCODE_TEXT, "x", 1, FALSE);
    g_autoptr (GArray) events = NULL;

    append_frame (s, TRUE, CONFAB_WS_OPCODE_CLOSE, "", 0);
    events = parse (s, 1000, 4);
    g_assert_cmpuint (events->len, ==, 1);
  }
}

static void
test_frame_header (void)
{
  guint8 b[CONFAB_WS_MAX_SERVER_HEADER];

  g_assert_cmpuint (confab_ws_frame_header (b, CONFAB_WS_OPCODE_TEXT, 125), ==, 2);
  g_assert_cmphex (b[0], ==, 0x81);
  g_assert_cmphex (b[1], ==, 125);
  g_assert_cmpuint (confab_ws_frame_header (b, CONFAB_WS_OPCODE_CLOSE, 126), ==, 4);
  g_assert_cmphex (b[0], ==, 0x88);
  g_assert_cmphex (b[1], ==, 126);
  g_assert_cmpuint ((b[2] << 8) | b[3], ==, 126);
  g_assert_cmpuint (confab_ws_frame_header (b, CONFAB_WS_OPCODE_TEXT, 65535), ==, 4);
  g_assert_cmpuint ((b[2] << 8) | b[3], ==, 65535);
  g_assert_cmpuint (confab_ws_frame_header (b, CONFAB_WS_OPCODE_BINARY, 65536), ==, 10);
  g_assert_cmphex (b[1], ==, 127);
  g_assert_cmpuint (b[7], ==, 1);
  g_assert_cmpuint (b[8], ==, 0);
  g_assert_cmpuint (b[9], ==, 0);
}

/* --- ConfabWebsocket on a loopback TCP connection --- */

typedef struct {
  ConfabWebsocket *ws;
  int              client;       /* the test's end */
  GPtrArray       *messages;     /* GBytes* */
  gboolean         closed;
  gboolean         echo;
} Conn;

static void
on_test_message (ConfabWebsocket *ws,
                 gint             type,
                 GBytes          *message,
                 gpointer         user_data)
{
  Conn *conn = user_data;

  g_ptr_array_add (conn->messages, g_bytes_ref (message));
  if (conn->echo)
    {
      gsize len;
      const char *data = g_bytes_get_data (message, &len);

      confab_websocket_send_text (ws, data, len);
    }
}

static void
on_test_closed (ConfabWebsocket *ws,
                gpointer         user_data)
{
  Conn *conn = user_data;

  conn->closed = TRUE;
}

static Conn *
conn_new (guint64 max_message,
          guint   keepalive,
          guint   idle_timeout,
          int     client_rcvbuf)
{
  Conn *conn = g_new0 (Conn, 1);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t addr_len = sizeof addr;
  int listener = socket (AF_INET, SOCK_STREAM, 0);
  int server;
  g_autoptr (GSocket) server_socket = NULL;
  g_autoptr (GSocketConnection) connection = NULL;

  g_assert_cmpint (listener, >=, 0);
  g_assert_cmpint (bind (listener, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (listener, 1), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &addr, &addr_len), ==, 0);
  conn->client = socket (AF_INET, SOCK_STREAM, 0);
  if (client_rcvbuf > 0)
    setsockopt (conn->client, SOL_SOCKET, SO_RCVBUF, &client_rcvbuf, sizeof client_rcvbuf);
  g_assert_cmpint (connect (conn->client, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  server = accept (listener, NULL, NULL);
  g_assert_cmpint (server, >=, 0);
  close (listener);

  server_socket = g_socket_new_from_fd (server, NULL);
  g_assert_nonnull (server_socket);
  connection = g_socket_connection_factory_create_connection (server_socket);
  conn->ws = confab_websocket_new (G_IO_STREAM (connection), server_socket);
  conn->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  confab_websocket_set_max_message (conn->ws, max_message);
  confab_websocket_set_keepalive (conn->ws, keepalive);
  confab_websocket_set_idle_timeout (conn->ws, idle_timeout);
  g_signal_connect (conn->ws, "message", G_CALLBACK (on_test_message), conn);
  g_signal_connect (conn->ws, "closed", G_CALLBACK (on_test_closed), conn);
  confab_websocket_start (conn->ws);
  return conn;
}

static void
conn_free (Conn *conn)
{
  g_signal_handlers_disconnect_by_data (conn->ws, conn);
  if (confab_websocket_get_state (conn->ws) != CONFAB_WEBSOCKET_CLOSED)
    confab_websocket_close (conn->ws, 1001, NULL);
  g_object_unref (conn->ws);
  close (conn->client);
  g_ptr_array_unref (conn->messages);
  g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)

static void
conn_send (Conn       *conn,
           gboolean    fin,
           guint8      opcode,
           const void *payload,
           gsize       len)
{
  g_autoptr (GByteArray) frame = client_frame (fin, opcode, payload, len, TRUE);

  g_assert_cmpint (write (conn->client, frame->data, frame->len), ==, frame->len);
}

/* Iterates the main loop until @done or @timeout_ms. */
static gboolean
spin_until (gboolean *done,
            guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (!*done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  return *done;
}

/* Reads one server frame (unmasked); FALSE on EOF or timeout. */
static gboolean
conn_read_frame (Conn     *conn,
                 guint     timeout_ms,
                 guint8   *opcode,
                 GBytes  **payload)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  g_autoptr (GByteArray) buf = g_byte_array_new ();

  for (;;)
    {
      struct pollfd pfd = { conn->client, POLLIN, 0 };
      guint8 chunk[1];
      gsize need = 2;

      if (buf->len >= 2)
        {
          guint8 len7 = buf->data[1] & 0x7f;
          guint64 plen = len7;
          gsize hlen = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);

          if (buf->len >= hlen)
            {
              if (len7 == 126)
                plen = (buf->data[2] << 8) | buf->data[3];
              else if (len7 == 127)
                {
                  plen = 0;
                  for (guint i = 0; i < 8; i++)
                    plen = (plen << 8) | buf->data[2 + i];
                }
              need = hlen + plen;
              if (buf->len >= need)
                {
                  *opcode = buf->data[0] & 0x0f;
                  *payload = g_bytes_new (buf->data + hlen, plen);
                  return TRUE;
                }
            }
          else
            need = hlen;
        }

      g_main_context_iteration (NULL, FALSE);
      if (poll (&pfd, 1, 1) == 1)
        {
          ssize_t n = read (conn->client, chunk, 1);

          if (n <= 0)
            return FALSE;
          g_byte_array_append (buf, chunk, 1);
          continue;
        }
      if (g_get_monotonic_time () > end)
        return FALSE;
      (void) need;
    }
}

/* Whether the server end closed the TCP connection within @timeout_ms (data is discarded). */
static gboolean
conn_wait_eof (Conn  *conn,
               guint  timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      struct pollfd pfd = { conn->client, POLLIN, 0 };
      guint8 chunk[4096];

      g_main_context_iteration (NULL, FALSE);
      if (poll (&pfd, 1, 1) == 1 && read (conn->client, chunk, sizeof chunk) <= 0)
        return TRUE;
    }
  return FALSE;
}

static gushort
close_code_of (GBytes *payload)
{
  const guint8 *data = g_bytes_get_data (payload, NULL);

  return g_bytes_get_size (payload) >= 2 ? (data[0] << 8) | data[1] : 0;
}

static void
test_conn_echo_ping (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GBytes) pong = NULL;
  guint8 opcode = 0;

  conn->echo = TRUE;
  conn_send (conn, FALSE, CONFAB_WS_OPCODE_TEXT, "{\"type\":", 8);
  conn_send (conn, TRUE, CONFAB_WS_OPCODE_PING, "abc", 3);
  conn_send (conn, TRUE, CONFAB_WS_OPCODE_CONTINUATION, "\"ping\"}", 7);

  g_assert_true (conn_read_frame (conn, 2000, &opcode, &pong));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_PONG);
  g_assert_cmpmem (g_bytes_get_data (pong, NULL), g_bytes_get_size (pong), "abc", 3);
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_TEXT);
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), "{\"type\":\"ping\"}", 15);
  g_assert_cmpuint (conn->messages->len, ==, 1);
}

static void
test_conn_peer_closes (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  guint8 opcode = 0;

  conn_send (conn, TRUE, CONFAB_WS_OPCODE_CLOSE, "\x0f\xa0" "bye", 5);
  /* the answer repeats the code, then the server closes the TCP connection */
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_CLOSE);
  g_assert_cmpuint (close_code_of (payload), ==, 4000);
  g_assert_true (conn_wait_eof (conn, 2000));
  g_assert_true (spin_until (&conn->closed, 1000));
  g_assert_cmpint (confab_websocket_get_state (conn->ws), ==, CONFAB_WEBSOCKET_CLOSED);
}

static void
test_conn_we_close (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  guint8 opcode = 0;
  gint64 start;

  g_assert_true (confab_websocket_send_text (conn->ws, "last", 4));
  confab_websocket_close (conn->ws, 4008, "send queue full");
  g_assert_false (confab_websocket_send_text (conn->ws, "after", 5));
  /* never "closed" from inside the call */
  g_assert_false (conn->closed);

  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_TEXT);
  g_clear_pointer (&payload, g_bytes_unref);
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_CLOSE);
  g_assert_cmpuint (close_code_of (payload), ==, 4008);
  g_assert_cmpmem ((const char *) g_bytes_get_data (payload, NULL) + 2, g_bytes_get_size (payload) - 2,
                   "send queue full", 15);

  /* a peer that never answers is dropped after the linger */
  start = g_get_monotonic_time ();
  g_assert_true (conn_wait_eof (conn, 4000));
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 1400);
  g_assert_true (spin_until (&conn->closed, 1000));
}

static void
test_conn_we_close_answered (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  guint8 opcode = 0;

  confab_websocket_close (conn->ws, 1001, NULL);
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (close_code_of (payload), ==, 1001);
  conn_send (conn, TRUE, CONFAB_WS_OPCODE_CLOSE, "\x03\xe9", 2);
  g_assert_true (spin_until (&conn->closed, 1000));
  g_assert_true (conn_wait_eof (conn, 1000));
}

static void
test_conn_too_big (void)
{
  g_autoptr (Conn) conn = conn_new (100, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  g_autofree char *big = g_malloc0 (200);
  guint8 opcode = 0;

  /* the whole frame is sent, unread by the server, and yet the close frame arrives (no reset) */
  conn_send (conn, TRUE, CONFAB_WS_OPCODE_TEXT, big, 200);
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_CLOSE);
  g_assert_cmpuint (close_code_of (payload), ==, 1009);
  g_assert_cmpuint (conn->messages->len, ==, 0);
  /* our answer ends it at once */
  conn_send (conn, TRUE, CONFAB_WS_OPCODE_CLOSE, "\x03\xf1", 2);
  g_assert_true (spin_until (&conn->closed, 1000));
}

static void
test_conn_bad_utf8 (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 0);
  g_autoptr (GBytes) payload = NULL;
  guint8 opcode = 0;

  conn_send (conn, TRUE, CONFAB_WS_OPCODE_TEXT, "\xff", 1);
  g_assert_true (conn_read_frame (conn, 2000, &opcode, &payload));
  g_assert_cmpuint (close_code_of (payload), ==, 1007);
  g_assert_true (conn_wait_eof (conn, 4000));
}

static void
test_conn_keepalive_idle (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 1, 3, 0);
  g_autoptr (GBytes) payload = NULL;
  guint8 opcode = 0;
  gint64 start = g_get_monotonic_time ();
  guint pings = 0;

  /* a quiet peer is pinged; answering keeps it alive past the idle timeout */
  while (g_get_monotonic_time () - start < 4500 * 1000)
    {
      g_clear_pointer (&payload, g_bytes_unref);
      if (!conn_read_frame (conn, 300, &opcode, &payload))
        continue;
      g_assert_cmpuint (opcode, ==, CONFAB_WS_OPCODE_PING);
      pings++;
      conn_send (conn, TRUE, CONFAB_WS_OPCODE_PONG, "", 0);
    }
  g_assert_cmpuint (pings, >=, 3);
  g_assert_false (conn->closed);

  /* a silent one is dropped after it */
  start = g_get_monotonic_time ();
  g_assert_true (spin_until (&conn->closed, 5000));
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 2400);
}

static void
test_conn_buffered (void)
{
  g_autoptr (Conn) conn = conn_new (1000, 0, 0, 4096);
  g_autofree char *chunk = g_malloc (16 * 1024);
  guint sent = 0;

  memset (chunk, 'x', 16 * 1024);
  /* the peer reads nothing: what is not acknowledged grows, and sending never blocks */
  while (!confab_websocket_buffered_exceeds (conn->ws, 512 * 1024) && sent < 1000)
    {
      g_assert_true (confab_websocket_send_text (conn->ws, chunk, 16 * 1024));
      sent++;
      g_main_context_iteration (NULL, FALSE);
    }
  g_assert_cmpuint (sent, <, 1000);
  g_assert_cmpuint (confab_websocket_get_buffered (conn->ws), >, 512 * 1024);
  g_assert_false (confab_websocket_buffered_exceeds (conn->ws, 1024 * 1024 * 1024));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/websocket/parser/lengths", test_parser_lengths);
  g_test_add_func ("/relay/websocket/parser/unmasked", test_parser_unmasked);
  g_test_add_func ("/relay/websocket/parser/fragments", test_parser_fragments);
  g_test_add_func ("/relay/websocket/parser/utf8", test_parser_utf8);
  g_test_add_func ("/relay/websocket/parser/oversize", test_parser_oversize);
  g_test_add_func ("/relay/websocket/parser/close-codes", test_parser_close_codes);
  g_test_add_func ("/relay/websocket/parser/protocol-errors", test_parser_protocol_errors);
  g_test_add_func ("/relay/websocket/frame-header", test_frame_header);
  g_test_add_func ("/relay/websocket/conn/echo-ping", test_conn_echo_ping);
  g_test_add_func ("/relay/websocket/conn/peer-closes", test_conn_peer_closes);
  g_test_add_func ("/relay/websocket/conn/we-close", test_conn_we_close);
  g_test_add_func ("/relay/websocket/conn/we-close-answered", test_conn_we_close_answered);
  g_test_add_func ("/relay/websocket/conn/too-big", test_conn_too_big);
  g_test_add_func ("/relay/websocket/conn/bad-utf8", test_conn_bad_utf8);
  g_test_add_func ("/relay/websocket/conn/keepalive-idle", test_conn_keepalive_idle);
  g_test_add_func ("/relay/websocket/conn/buffered", test_conn_buffered);

  return g_test_run ();
}
