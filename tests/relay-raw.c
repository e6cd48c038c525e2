/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-raw.c: a raw TCP / hand-made WebSocket client for misbehaving-client tests */

#define G_LOG_DOMAIN "confab-test"

#include "relay-raw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* How long one wait slice blocks before the main context gets a turn. */
#define SLICE_MS 20

struct _RawConn {
  GSocket    *socket;
  GByteArray *pending;   /* bytes read but not yet parsed into frames */
};

RawConn *
raw_connect (TestRelay *relay,
             int        rcvbuf)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GError) error = NULL;
  RawConn *conn = g_new0 (RawConn, 1);

  uri = g_uri_parse (test_relay_base_url (relay), G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  address = g_inet_address_new_from_string (g_uri_get_host (uri));
  g_assert_nonnull (address);
  socket_address = g_inet_socket_address_new (address, g_uri_get_port (uri));

  conn->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  if (rcvbuf > 0)
    {
      g_socket_set_option (conn->socket, SOL_SOCKET, SO_RCVBUF, rcvbuf, &error);
      g_assert_no_error (error);
    }
  g_socket_set_timeout (conn->socket, 10);
  g_socket_connect (conn->socket, socket_address, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (conn->socket, FALSE);

  conn->pending = g_byte_array_new ();
  return conn;
}

void
raw_conn_free (RawConn *conn)
{
  if (conn == NULL)
    return;

  g_socket_close (conn->socket, NULL);
  g_clear_object (&conn->socket);
  g_byte_array_unref (conn->pending);
  g_free (conn);
}

/* Waits for @condition on the socket for up to @timeout_ms, letting the main context run. */
static gboolean
wait_condition (RawConn      *conn,
                GIOCondition  condition,
                gint64        deadline)
{
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 slice;

      while (g_main_context_iteration (NULL, FALSE))
        ;

      if (now >= deadline)
        return (g_socket_condition_check (conn->socket, condition | G_IO_HUP | G_IO_ERR) != 0);

      slice = MIN (SLICE_MS * G_TIME_SPAN_MILLISECOND, deadline - now);
      if (g_socket_condition_timed_wait (conn->socket, condition, slice, NULL, NULL))
        return TRUE;
      if (g_socket_condition_check (conn->socket, G_IO_HUP | G_IO_ERR) != 0)
        return TRUE;
    }
}

gboolean
raw_send (RawConn    *conn,
          const void *data,
          gsize       len)
{
  const char *p = data;
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (conn->socket, p, len, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (g_get_monotonic_time () > deadline)
            return FALSE;
          wait_condition (conn, G_IO_OUT, g_get_monotonic_time () + SLICE_MS * 1000);
          continue;
        }
      if (n <= 0)
        {
          g_test_message ("raw send: %s", error ? error->message : "nothing written");
          return FALSE;
        }
      p += n;
      len -= n;
    }

  return TRUE;
}

RawResult
raw_recv (RawConn *conn,
          guint8  *buf,
          gsize    len,
          gsize   *out_read,
          guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  *out_read = 0;
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (conn->socket, (char *) buf, len, NULL, &error);

      if (n > 0)
        {
          *out_read = n;
          return RAW_DATA;
        }
      if (n == 0)
        return RAW_EOF;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_test_message ("raw receive: %s", error->message);
          return RAW_ERROR;
        }
      if (g_get_monotonic_time () >= deadline)
        return RAW_TIMEOUT;
      wait_condition (conn, G_IO_IN, deadline);
    }
}

gboolean
raw_wait_disconnected (RawConn *conn,
                       guint    timeout_ms,
                       guint   *out_elapsed_ms)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + timeout_ms * G_TIME_SPAN_MILLISECOND;
  guint8 buf[65536];

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gsize n;
      RawResult result;

      if (now >= deadline)
        return FALSE;

      result = raw_recv (conn, buf, sizeof buf, &n, (deadline - now) / 1000 + 1);
      if (result == RAW_EOF || result == RAW_ERROR)
        {
          if (out_elapsed_ms != NULL)
            *out_elapsed_ms = (g_get_monotonic_time () - start) / 1000;
          return TRUE;
        }
      if (result == RAW_TIMEOUT)
        return FALSE;
    }
}

/* --- WebSocket by hand --- */

guint
raw_ws_handshake (RawConn    *conn,
                  const char *path,
                  const char *extra_headers)
{
  g_autofree char *request = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  const char *end;
  guint status = 0;

  request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "%s"
                             "\r\n", path, extra_headers ? extra_headers : "");
  if (!raw_send (conn, request, strlen (request)))
    return 0;

  /* Byte by byte up to the blank line, so that no frame after it is swallowed. */
  while (strstr (head->str, "\r\n\r\n") == NULL)
    {
      guint8 c;
      gsize n;
      gint64 now = g_get_monotonic_time ();

      if (now >= deadline ||
          raw_recv (conn, &c, 1, &n, (deadline - now) / 1000 + 1) != RAW_DATA)
        {
          g_test_message ("raw handshake: incomplete answer “%s”", head->str);
          return 0;
        }
      g_string_append_c (head, c);
    }

  if (g_str_has_prefix (head->str, "HTTP/1.1 "))
    status = atoi (head->str + strlen ("HTTP/1.1 "));
  end = strstr (head->str, "\r\n");
  g_test_message ("raw handshake on %s: %.*s", path, (int) (end - head->str), head->str);
  return status;
}

gboolean
raw_ws_send_frame (RawConn    *conn,
                   guint8      opcode,
                   const void *payload,
                   gsize       len)
{
  g_autoptr(GByteArray) frame = g_byte_array_sized_new (len + 14);
  guint8 header[10];
  gsize header_len;
  guint8 mask[4];
  const guint8 *data = payload;

  header[0] = 0x80 | (opcode & 0x0f);
  if (len < 126)
    {
      header[1] = 0x80 | len;
      header_len = 2;
    }
  else if (len < 65536)
    {
      header[1] = 0x80 | 126;
      header[2] = len >> 8;
      header[3] = len & 0xff;
      header_len = 4;
    }
  else
    {
      header[1] = 0x80 | 127;
      for (guint i = 0; i < 8; i++)
        header[2 + i] = ((guint64) len >> (8 * (7 - i))) & 0xff;
      header_len = 10;
    }
  g_byte_array_append (frame, header, header_len);

  for (guint i = 0; i < 4; i++)
    mask[i] = g_random_int_range (0, 256);
  g_byte_array_append (frame, mask, 4);

  g_byte_array_set_size (frame, header_len + 4 + len);
  for (gsize i = 0; i < len; i++)
    frame->data[header_len + 4 + i] = data[i] ^ mask[i % 4];

  return raw_send (conn, frame->data, frame->len);
}

gboolean
raw_ws_send_text (RawConn    *conn,
                  const char *text)
{
  return raw_ws_send_frame (conn, 0x1, text, strlen (text));
}

/* Makes sure @want bytes are pending; FALSE on disconnect or timeout. */
static gboolean
fill (RawConn *conn,
      gsize    want,
      gint64   deadline)
{
  guint8 buf[16384];

  while (conn->pending->len < want)
    {
      gint64 now = g_get_monotonic_time ();
      gsize n;

      if (now >= deadline)
        return FALSE;
      if (raw_recv (conn, buf, sizeof buf, &n, (deadline - now) / 1000 + 1) != RAW_DATA)
        return FALSE;
      g_byte_array_append (conn->pending, buf, n);
    }

  return TRUE;
}

gboolean
raw_ws_read_frame (RawConn  *conn,
                   guint     timeout_ms,
                   guint8   *out_opcode,
                   GBytes  **out_payload)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gsize header_len = 2;
  guint64 len;
  gboolean masked;

  if (!fill (conn, 2, deadline))
    return FALSE;

  masked = (conn->pending->data[1] & 0x80) != 0;
  len = conn->pending->data[1] & 0x7f;
  if (len == 126)
    header_len = 4;
  else if (len == 127)
    header_len = 10;
  if (masked)
    header_len += 4;
  if (!fill (conn, header_len, deadline))
    return FALSE;

  if (len == 126)
    len = (conn->pending->data[2] << 8) | conn->pending->data[3];
  else if (len == 127)
    {
      len = 0;
      for (guint i = 0; i < 8; i++)
        len = (len << 8) | conn->pending->data[2 + i];
    }
  g_assert_false (masked);   /* a server never masks */
  g_assert_cmpuint (len, <, 64 * 1024 * 1024);
  if (!fill (conn, header_len + len, deadline))
    return FALSE;

  *out_opcode = conn->pending->data[0] & 0x0f;
  *out_payload = g_bytes_new (conn->pending->data + header_len, len);
  g_byte_array_remove_range (conn->pending, 0, header_len + len);
  return TRUE;
}

JsonObject *
raw_ws_wait_type (RawConn    *conn,
                  const char *type,
                  guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      gint64 now = g_get_monotonic_time ();
      gsize len;
      const char *data;
      guint8 opcode;
      JsonNode *root;

      if (now >= deadline || !raw_ws_read_frame (conn, (deadline - now) / 1000 + 1, &opcode,
                                                 &payload))
        return NULL;
      if (opcode != 0x1)
        continue;

      data = g_bytes_get_data (payload, &len);
      if (!json_parser_load_from_data (parser, data, len, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root),
                                                                 "type", NULL), type) == 0)
        return json_object_ref (json_node_get_object (root));
    }
}

gushort
raw_ws_wait_close (RawConn *conn,
                   guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      g_autoptr(GBytes) payload = NULL;
      gint64 now = g_get_monotonic_time ();
      guint8 opcode;

      if (now >= deadline || !raw_ws_read_frame (conn, (deadline - now) / 1000 + 1, &opcode,
                                                 &payload))
        return 0;
      if (opcode == 0x8)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (payload, &len);

          return len >= 2 ? (data[0] << 8) | data[1] : 1005;
        }
    }
}

/* --- the relay process, seen from /proc --- */

int
raw_relay_pid (TestRelay *relay)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  const char *data_dir = test_relay_data_dir (relay);

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize len;
      gboolean has_dir = FALSE;
      gboolean is_admin = FALSE;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "cmdline", NULL);
      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;

      /* NUL-separated arguments */
      for (gsize i = 0; i < len; i += strlen (cmdline + i) + 1)
        {
          if (g_strcmp0 (cmdline + i, data_dir) == 0)
            has_dir = TRUE;
          if (g_strcmp0 (cmdline + i, "admin") == 0)
            is_admin = TRUE;
        }
      if (has_dir && !is_admin)
        return atoi (name);
    }

  return 0;
}

guint64
raw_rss_kib (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  line = strstr (text, "VmRSS:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}
