/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-http-body.c: request bodies are counted while they arrive and refused at their limit */
#define G_LOG_DOMAIN "confab-http"

#include "confab-http.h"
#include "confab-listener.h"
#include "confab-uploads.h"
#include "confab-avatars.h"

#include <string.h>

/* A request that has no business carrying a body (GET, DELETE, a WebSocket upgrade...) may
 * still send a few bytes of one; nothing of ours needs more. */
#define NO_BODY_MAX_BYTES 1024

/* After a refusal the client is most likely still sending, and most clients (libsoup,
 * browsers) read no answer before their request is written. Reading and dropping what still
 * comes, for a while, lets the refusal reach them: closing a socket with unread input sends a
 * reset, and a reset can overtake the answer. Nothing is kept; bounded both ways, after that
 * the connection is closed whatever the client still sends. */
#define LINGER_MAX_BYTES  (16 * 1024 * 1024)
#define LINGER_MAX_MS     3000
#define LINGER_TURN_BYTES (256 * 1024)

#define RELAY_KEY "confab-body-relay"
#define GUARD_KEY "confab-body-guard"
#define ANSWERED_KEY "confab-body-answered"

typedef struct {
  guint64 limit;
  guint64 received;
} BodyGuard;

/* --- refusing ------------------------------------------------------------------------------- */

typedef struct {
  ConfabRelay *relay;
  GIOStream   *stream;
  GSocket     *socket;
  GSource     *readable;
  guint        timeout;
  gsize        drained;
} Linger;

static void
linger_free (Linger *linger)
{
  /* the relay's set holds the lingering ones until they end, or until the relay does */
  g_hash_table_remove (linger->relay->lingering, linger);
}

static void
linger_destroy (gpointer data)
{
  Linger *linger = data;

  if (linger->readable != NULL)
    {
      g_source_destroy (linger->readable);
      g_source_unref (linger->readable);
    }
  g_clear_handle_id (&linger->timeout, g_source_remove);
  g_io_stream_close (linger->stream, NULL, NULL);
  g_object_unref (linger->stream);
  g_object_unref (linger->socket);
  g_free (linger);
}

static gboolean
linger_timed_out (gpointer user_data)
{
  Linger *linger = user_data;

  linger->timeout = 0;
  linger_free (linger);
  return G_SOURCE_REMOVE;
}

static gboolean
linger_drain (GSocket      *socket,
              GIOCondition  condition,
              gpointer      user_data)
{
  Linger *linger = user_data;
  char buffer[16 * 1024];
  gsize this_turn = 0;

  while (linger->drained < LINGER_MAX_BYTES)
    {
      g_autoptr (GError) error = NULL;
      gssize got = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE,
                                                   NULL, &error);

      if (got > 0)
        {
          linger->drained += got;
          this_turn += got;
          /* a fast client must not hold the loop: the rest on the next turns */
          if (this_turn >= LINGER_TURN_BYTES && linger->drained < LINGER_MAX_BYTES)
            return G_SOURCE_CONTINUE;
        }
      else if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE; /* wait for more, or the timeout */
      else
        break;
    }

  /* end of stream, an error, or enough: close now */
  g_source_unref (g_steal_pointer (&linger->readable));
  linger_free (linger);
  return G_SOURCE_REMOVE;
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  GString *head = user_data;

  /* what this answer says about its own body and connection is written below */
  if (g_ascii_strcasecmp (name, "Content-Length") == 0 ||
      g_ascii_strcasecmp (name, "Content-Type") == 0 ||
      g_ascii_strcasecmp (name, "Transfer-Encoding") == 0 ||
      g_ascii_strcasecmp (name, "Connection") == 0)
    return;
  g_string_append_printf (head, "%s: %s\r\n", name, value);
}

/* Writes the answer set on @msg (status, headers, body) straight on its socket, takes the
 * connection away from libsoup and closes it after a bounded linger. */
static void
answer_now (ConfabRelay       *relay,
            SoupServerMessage *msg)
{
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  guint status = soup_server_message_get_status (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GIOStream) stream = NULL;
  const char *content_type = soup_message_headers_get_content_type (response_headers, NULL);
  Linger *linger;

  g_object_set_data (G_OBJECT (msg), ANSWERED_KEY, GINT_TO_POINTER (TRUE));

  /* The headers every answer has (and what a handler added already, CORS for instance) */
  soup_message_headers_replace (response_headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (response_headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (response_headers, "Cache-Control", "no-store");
  if (soup_message_headers_get_one (response_headers, "Date") == NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

      soup_message_headers_replace (response_headers, "Date", date);
    }

  g_string_append_printf (answer, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_foreach (response_headers, copy_header, answer);
  if (content_type != NULL)
    g_string_append_printf (answer, "Content-Type: %s\r\n",
                            soup_message_headers_get_one (response_headers, "Content-Type"));
  g_string_append_printf (answer, "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          g_bytes_get_size (body));
  g_string_append_len (answer, g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  socket = confab_listener_message_socket (msg);
  if (socket != NULL)
    {
      g_object_ref (socket);
      /* the request is over: no watchdog for it any more */
      g_hash_table_remove (relay->request_timeouts, socket);
    }

  /* The message is answered here, not by libsoup: libsoup would first read the whole body,
   * which is what must not happen. Once stolen, libsoup forgets the connection. */
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  if (socket == NULL)
    {
      g_io_stream_close (stream, NULL, NULL);
      return;
    }

  /* A few hundred bytes into an idle socket's send buffer: this does not block, and when it
   * cannot be written at once the client has stopped reading anyway. */
  g_socket_send_with_blocking (socket, answer->str, answer->len, FALSE, NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);

  linger = g_new0 (Linger, 1);
  linger->relay = relay;
  g_hash_table_add (relay->lingering, linger);
  linger->stream = g_steal_pointer (&stream);
  linger->socket = g_steal_pointer (&socket);
  linger->readable = g_socket_create_source (linger->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (linger->readable, G_SOURCE_FUNC (linger_drain), linger, NULL);
  g_source_attach (linger->readable, NULL);
  linger->timeout = g_timeout_add (LINGER_MAX_MS, linger_timed_out, linger);
}

void
confab_http_refuse_now (ConfabRelay       *relay,
                        SoupServerMessage *msg,
                        guint              status,
                        const char        *code,
                        const char        *message)
{
  /* also tells libsoup's own "got-headers" handler, when it is still to run, to do nothing */
  confab_http_error (msg, status, code, message);
  answer_now (relay, msg);
}

/* --- the guard ------------------------------------------------------------------------------ */

static guint64
body_limit (ConfabRelay       *relay,
            SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  if (strcmp (method, "POST") != 0 && strcmp (method, "PUT") != 0 &&
      strcmp (method, "PATCH") != 0)
    return NO_BODY_MAX_BYTES;

  /* the site's own limit, up to this, is checked by the uploads module (before or while
   * the image arrives) */
  if (g_strcmp0 (path, CONFAB_UPLOADS_PATH) == 0)
    return CONFAB_UPLOAD_CEILING_BYTES;
  /* an avatar is an image too, made small by the relay (confab-api-avatars.c) */
  if (g_strcmp0 (path, "/api/v1/me/avatar") == 0)
    return CONFAB_AVATAR_MAX_BYTES;

  return relay->config->max_body_bytes;
}

static void
refuse_too_large (ConfabRelay       *relay,
                  SoupServerMessage *msg,
                  guint64            limit)
{
  g_autofree char *size = g_format_size_full (limit, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *message = g_strdup_printf ("The request body is larger than this endpoint "
                                              "accepts (%s)", size);

  confab_http_refuse_now (relay, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", message);
}

static void
got_chunk (SoupServerMessage *msg,
           GBytes            *chunk,
           gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  BodyGuard *guard = g_object_get_data (G_OBJECT (msg), GUARD_KEY);

  if (guard == NULL)
    return;
  guard->received += g_bytes_get_size (chunk);
  if (guard->received > guard->limit)
    {
      g_signal_handlers_disconnect_by_func (msg, got_chunk, user_data);
      refuse_too_large (relay, msg, guard->limit);
    }
}

/* A Content-Length libsoup takes is g_ascii_strtoull()'s reading of it, which also takes
 * "-1" (as a huge number, then a negative length) and "+5". Only digits are a length. */
static gboolean
parse_content_length (const char *text,
                      guint64    *out_length)
{
  guint64 length = 0;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (length > ((guint64) G_MAXINT64 - (guint64) (*p - '0')) / 10)
        return FALSE;
      length = length * 10 + (*p - '0');
    }

  *out_length = length;
  return TRUE;
}

/* Runs before every "got-headers" handler, libsoup's own included (which calls the early
 * handlers: uploads identify the caller there), so that the size of a body is judged before
 * anything else is done with the request. */
static gboolean
got_headers_hook (GSignalInvocationHint *hint,
                  guint                  n_params,
                  const GValue          *params,
                  gpointer               user_data)
{
  ConfabRelay *relay = user_data;
  SoupServerMessage *msg = g_value_get_object (&params[0]);
  SoupMessageHeaders *headers;
  SoupEncoding encoding;
  guint64 limit, length = 0;
  BodyGuard *guard;

  if (!SOUP_IS_SERVER_MESSAGE (msg) || g_object_get_data (G_OBJECT (msg), RELAY_KEY) != relay)
    return TRUE;

  headers = soup_server_message_get_request_headers (msg);
  encoding = soup_message_headers_get_encoding (headers);
  limit = body_limit (relay, msg);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      if (!parse_content_length (soup_message_headers_get_one (headers, "Content-Length"),
                                 &length))
        {
          confab_http_refuse_now (relay, msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                                  "Content-Length must be a whole number of bytes");
          return TRUE;
        }
      if (length > limit)
        refuse_too_large (relay, msg, limit);
      return TRUE;
    }

  if (encoding == SOUP_ENCODING_NONE)
    return TRUE;

  /* chunked: no length up front, so it is counted while it arrives */
  guard = g_new0 (BodyGuard, 1);
  guard->limit = limit;
  g_object_set_data_full (G_OBJECT (msg), GUARD_KEY, guard, g_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk), relay);
  return TRUE;
}

static gboolean
body_pending (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) > 0;
    case SOUP_ENCODING_NONE:
      return FALSE;
    default:
      return TRUE;
    }
}

/* After libsoup's own handler, which runs the early handlers: when one of them has answered
 * already (an upload without a valid token, say), its body is of no use to anyone. */
static void
got_headers_after (SoupServerMessage *msg,
                   gpointer           user_data)
{
  guint status = soup_server_message_get_status (msg);

  if (status < 200 || g_object_get_data (G_OBJECT (msg), ANSWERED_KEY) != NULL ||
      !body_pending (msg))
    return;
  answer_now (user_data, msg);
}

static void
request_started (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  /* the hook is for every message of the process; this says which are ours */
  g_object_set_data (G_OBJECT (msg), RELAY_KEY, user_data);
  g_signal_connect_after (msg, "got-headers", G_CALLBACK (got_headers_after), user_data);
}

void
confab_http_body_guard_install (ConfabRelay *relay)
{
  /* the signal exists once the class does; no message may have been made yet */
  gpointer klass = g_type_class_ref (SOUP_TYPE_SERVER_MESSAGE);
  guint signal_id = g_signal_lookup ("got-headers", SOUP_TYPE_SERVER_MESSAGE);

  g_type_class_unref (klass);
  relay->lingering = g_hash_table_new_full (NULL, NULL, linger_destroy, NULL);
  g_signal_connect (relay->server, "request-started", G_CALLBACK (request_started), relay);
  relay->body_guard_hook = g_signal_add_emission_hook (signal_id, 0, got_headers_hook,
                                                       relay, NULL);
}

void
confab_http_body_guard_remove (ConfabRelay *relay)
{
  if (relay->body_guard_hook != 0)
    g_signal_remove_emission_hook (g_signal_lookup ("got-headers", SOUP_TYPE_SERVER_MESSAGE),
                                   relay->body_guard_hook);
  relay->body_guard_hook = 0;
  g_clear_pointer (&relay->lingering, g_hash_table_unref);
}
