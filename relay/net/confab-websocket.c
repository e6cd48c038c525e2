/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-websocket.c: server-side WebSocket connections on one epoll instance (see the header).
 *
 * The poller: one epoll fd (level-triggered) in the GLib main loop as one fd source, the
 * connections it watches, one 500 ms sweep for every timer, and one idle for connections that
 * died inside a call from the hub (so that "closed" never fires under the caller's feet).
 */
#define G_LOG_DOMAIN "confab-websocket"

#include "confab-websocket.h"
#include "confab-listener.h"
#include "confab-websocket-parser.h"
#include "confab-metrics.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define READ_BUFFER_BYTES  (64 * 1024)
#define READS_PER_WAKEUP   4          /* then others get a turn; level-triggered brings us back */
#define EVENTS_PER_WAKEUP  256
#define SWEEP_MS           500
#define CLOSE_LINGER_US    (2 * G_USEC_PER_SEC)
#define WRITEV_MAX         64
#define CORK_BUFFER_BYTES  4096
#define MAX_REASON_BYTES   123

struct _ConfabWebsocket
{
  GObject                parent_instance;

  GIOStream             *stream;
  GPollableInputStream  *input;
  GPollableOutputStream *output;
  GSocket               *socket;
  int                    fd;
  guint                  index;          /* in the poller's array; G_MAXUINT when not there */
  gboolean               watching_out;

  ConfabWsParser         parser;
  ConfabWebsocketState   state;

  GQueue                 queue;          /* GBytes*: frames not (wholly) written yet */
  GByteArray            *cork_buf;       /* while corked: the frames after @queue, one block */
  gsize                  head_written;   /* of the first one */
  guint64                queued;         /* bytes in @queue still to write */
  guint64                kernel_bound;   /* at least the kernel's send queue, see buffered_exceeds */
  guint64                send_limit;     /* 0: none; see confab_websocket_set_send_limit() */
  gushort                send_limit_code;

  gboolean               close_queued;   /* our close frame is in @queue or gone */
  gboolean               close_sent;     /* ...and wholly handed to the kernel */
  gboolean               close_received;
  gboolean               doomed;         /* finished in the poller's idle */
  gboolean               corked;         /* in cork.pending: frames wait for the uncork */

  gint64                 last_read;      /* monotonic µs */
  gint64                 last_ping;
  gint64                 close_deadline; /* 0: none */
  guint                  keepalive;      /* seconds */
  guint                  idle_timeout;   /* seconds */
};

G_DEFINE_FINAL_TYPE (ConfabWebsocket, confab_websocket, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  int        epfd;
  guint      epoll_source;
  guint      sweep_source;
  guint      doomed_idle;
  GPtrArray *connections;  /* ConfabWebsocket*, each holding a reference */
  GPtrArray *doomed;       /* ConfabWebsocket*, references */
  guint8    *read_buffer;
  gboolean   reading;
} Poller;

static Poller poller = { .epfd = -1 };

/* While corked (confab_websocket_cork()), frames wait in their connection's queue, and each
 * connection written to gets them all in one writev at the uncork: a batch's acks, echoes and
 * fan-out cost one syscall per client instead of one per frame (issue 12). */
static struct {
  guint      depth;
  GPtrArray *pending;      /* ConfabWebsocket*, references */
} cork;

static void ws_finish (ConfabWebsocket *self);
static void ws_read   (ConfabWebsocket *self,
                       gboolean         drain);
static void ws_flush  (ConfabWebsocket *self);

/* --- the poller --- */

static gboolean
poller_dispatch (int          fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  struct epoll_event events[EVENTS_PER_WAKEUP];
  int n = epoll_wait (poller.epfd, events, EVENTS_PER_WAKEUP, 0);

  if (n < 0)
    {
      if (errno != EINTR)
        g_warning ("epoll_wait failed: %s", g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }

  /* one of these may end another's life (a message handler closing a tab): keep them all
   * alive until the batch is done */
  for (int i = 0; i < n; i++)
    g_object_ref (events[i].data.ptr);

  /* what the frames of this wake-up answer goes out in one write per connection */
  confab_websocket_cork ();
  for (int i = 0; i < n; i++)
    {
      ConfabWebsocket *self = events[i].data.ptr;

      if (self->state != CONFAB_WEBSOCKET_CLOSED && !self->doomed &&
          (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        ws_read (self, FALSE);
      if (self->state != CONFAB_WEBSOCKET_CLOSED && !self->doomed &&
          (events[i].events & EPOLLOUT))
        ws_flush (self);
    }
  confab_websocket_uncork ();

  for (int i = 0; i < n; i++)
    g_object_unref (events[i].data.ptr);

  return G_SOURCE_CONTINUE;
}

static void
ws_send_frame (ConfabWebsocket *self,
               guint8           opcode,
               const void      *payload,
               gsize            len);

/* Every timer of every connection: O(connections) twice a second, nothing per loop turn. */
static gboolean
poller_sweep (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GPtrArray) expired = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < poller.connections->len; i++)
    {
      ConfabWebsocket *self = g_ptr_array_index (poller.connections, i);
      gint64 quiet = now - self->last_read;

      if (self->doomed)
        continue;

      if (self->state == CONFAB_WEBSOCKET_CLOSING)
        {
          /* a close frame stuck behind a peer that reads nothing ends with the idle timeout */
          if ((self->close_deadline != 0 && now >= self->close_deadline) ||
              (self->idle_timeout != 0 && quiet >= self->idle_timeout * G_USEC_PER_SEC))
            g_ptr_array_add (expired, g_object_ref (self));
          continue;
        }

      if (self->idle_timeout != 0 && quiet >= self->idle_timeout * G_USEC_PER_SEC)
        {
          /* half-open, or gone without a word: a close frame would only wait in a queue */
          g_debug ("Dropping a connection idle for %" G_GINT64_FORMAT " ms", quiet / 1000);
          g_ptr_array_add (expired, g_object_ref (self));
        }
      else if (self->keepalive != 0 &&
               now - MAX (self->last_read, self->last_ping) >= self->keepalive * G_USEC_PER_SEC)
        {
          /* only a quiet peer is asked: any frame from it says as much as a pong */
          self->last_ping = now;
          ws_send_frame (self, CONFAB_WS_OPCODE_PING, NULL, 0);
        }
    }

  for (guint i = 0; i < expired->len; i++)
    ws_finish (g_ptr_array_index (expired, i));

  return G_SOURCE_CONTINUE;
}

static gboolean
poller_finish_doomed (gpointer user_data)
{
  g_autoptr (GPtrArray) doomed = g_steal_pointer (&poller.doomed);

  poller.doomed_idle = 0;
  for (guint i = 0; doomed && i < doomed->len; i++)
    ws_finish (g_ptr_array_index (doomed, i));

  return G_SOURCE_REMOVE;
}

static gboolean
poller_ensure (GError **error)
{
  if (poller.epfd >= 0)
    return TRUE;

  poller.epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (poller.epfd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "epoll_create1: %s",
                   g_strerror (saved));
      return FALSE;
    }
  poller.connections = g_ptr_array_new ();
  poller.read_buffer = g_malloc (READ_BUFFER_BYTES);
  poller.epoll_source = g_unix_fd_add (poller.epfd, G_IO_IN, poller_dispatch, NULL);
  return TRUE;
}

static gboolean
poller_add (ConfabWebsocket *self)
{
  g_autoptr (GError) error = NULL;
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = self };

  if (!poller_ensure (&error))
    {
      g_warning ("Cannot watch WebSocket connections: %s", error->message);
      return FALSE;
    }
  if (epoll_ctl (poller.epfd, EPOLL_CTL_ADD, self->fd, &event) != 0)
    {
      g_warning ("Cannot watch a WebSocket connection: %s", g_strerror (errno));
      return FALSE;
    }

  self->index = poller.connections->len;
  g_ptr_array_add (poller.connections, g_object_ref (self));
  if (poller.sweep_source == 0)
    poller.sweep_source = g_timeout_add (SWEEP_MS, poller_sweep, NULL);
  return TRUE;
}

/* Drops the poller's reference. */
static void
poller_remove (ConfabWebsocket *self)
{
  ConfabWebsocket *last;

  if (self->index == G_MAXUINT)
    return;

  epoll_ctl (poller.epfd, EPOLL_CTL_DEL, self->fd, NULL);
  last = g_ptr_array_index (poller.connections, poller.connections->len - 1);
  g_ptr_array_remove_index_fast (poller.connections, self->index);
  if (last != self)
    last->index = self->index;
  self->index = G_MAXUINT;
  if (poller.connections->len == 0)
    g_clear_handle_id (&poller.sweep_source, g_source_remove);
  g_object_unref (self);
}

static void
ws_watch_output (ConfabWebsocket *self,
                 gboolean         watch)
{
  struct epoll_event event = { .events = EPOLLIN | (watch ? EPOLLOUT : 0), .data.ptr = self };

  if (self->watching_out == watch || self->index == G_MAXUINT)
    return;
  if (epoll_ctl (poller.epfd, EPOLL_CTL_MOD, self->fd, &event) == 0)
    self->watching_out = watch;
}

/* The connection died inside a call from outside: "closed" comes from the main loop. */
static void
ws_doom (ConfabWebsocket *self)
{
  if (self->doomed || self->state == CONFAB_WEBSOCKET_CLOSED)
    return;

  self->doomed = TRUE;
  self->state = CONFAB_WEBSOCKET_CLOSING;
  if (poller.doomed == NULL)
    poller.doomed = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (poller.doomed, g_object_ref (self));
  if (poller.doomed_idle == 0)
    poller.doomed_idle = g_idle_add_full (G_PRIORITY_DEFAULT, poller_finish_doomed, NULL, NULL);
}

/* --- writing --- */

static void
ws_queue_clear (ConfabWebsocket *self)
{
  g_clear_pointer (&self->cork_buf, g_byte_array_unref);
  g_queue_clear_full (&self->queue, (GDestroyNotify) g_bytes_unref);
  self->head_written = 0;
  self->queued = 0;
}

/* Our close frame is wholly with the kernel. */
static void
ws_close_sent (ConfabWebsocket *self)
{
  self->close_sent = TRUE;
  if (self->close_received)
    ws_doom (self);
  else
    self->close_deadline = g_get_monotonic_time () + CLOSE_LINGER_US;
}

static void ws_send_close (ConfabWebsocket *self,
                           gushort          code,
                           const char      *reason);

/* Whether @frame_len more bytes would take what the peer has not acknowledged past the send
 * limit; if so the connection is closed with the limit's code (the queue's memory goes at
 * once, the connection after CLOSE_LINGER_US whatever the peer does). */
static gboolean
ws_over_send_limit (ConfabWebsocket *self,
                    gsize            frame_len)
{
  if (self->send_limit == 0)
    return FALSE;
  if (frame_len <= self->send_limit &&
      !confab_websocket_buffered_exceeds (self, self->send_limit - frame_len))
    return FALSE;

  if (!self->close_queued)
    {
      g_message ("Dropping a connection that stopped reading (%" G_GUINT64_FORMAT
                 " bytes unacknowledged)", confab_websocket_get_buffered (self));
      ws_send_close (self, self->send_limit_code, "send queue full");
      /* a peer that reads nothing never reads our close frame either, and one that keeps
       * sending never goes idle: the linger is the end of it */
      if (!self->close_sent)
        self->close_deadline = g_get_monotonic_time () + CLOSE_LINGER_US;
    }
  return TRUE;
}

/* The connection has frames waiting for the uncork. */
static void
ws_cork_register (ConfabWebsocket *self)
{
  if (self->corked)
    return;
  self->corked = TRUE;
  if (cork.pending == NULL)
    cork.pending = g_ptr_array_new ();
  g_ptr_array_add (cork.pending, g_object_ref (self));
}

/* What the cork gathered goes to the end of the queue, as one block (already counted in
 * @queued). */
static void
ws_cork_to_queue (ConfabWebsocket *self)
{
  GByteArray *block = g_steal_pointer (&self->cork_buf);

  if (block == NULL)
    return;
  if (block->len == 0)
    {
      g_byte_array_unref (block);
      return;
    }
  g_queue_push_tail (&self->queue, g_byte_array_free_to_bytes (block));
}

static void
ws_send_frame (ConfabWebsocket *self,
               guint8           opcode,
               const void      *payload,
               gsize            len)
{
  guint8 header[CONFAB_WS_MAX_SERVER_HEADER];
  gsize header_len = confab_ws_frame_header (header, opcode, len);
  gsize written = 0;
  guint8 *rest;
  gsize rest_len;

  /* Every frame counts, not only the data the hub sends: a peer that pings without reading
   * would otherwise grow a queue of pongs for as long as it likes. Our own close frame is
   * the one exception (it is small, it is the last, and ws_send_close() first drops what
   * the peer did not read). */
  if (opcode != CONFAB_WS_OPCODE_CLOSE && ws_over_send_limit (self, header_len + len))
    return;

  /* Corked: the frame joins the connection's block for this turn, written at the uncork with
   * the rest — no allocation and no queue entry per frame, however many clients a frame goes
   * to. Our close frame goes to the queue, which says when it is sent. */
  if (cork.depth > 0 && opcode != CONFAB_WS_OPCODE_CLOSE)
    {
      if (self->cork_buf == NULL)
        self->cork_buf = g_byte_array_sized_new (MAX (CORK_BUFFER_BYTES, header_len + len));
      g_byte_array_append (self->cork_buf, header, header_len);
      if (len > 0)
        g_byte_array_append (self->cork_buf, payload, len);
      self->queued += header_len + len;
      ws_cork_register (self);
      return;
    }
  ws_cork_to_queue (self);

  if (g_queue_is_empty (&self->queue) && cork.depth == 0)
    {
      GOutputVector vectors[2] = { { header, header_len }, { payload, len } };
      g_autoptr (GError) error = NULL;
      GPollableReturn ret;

      ret = g_pollable_output_stream_writev_nonblocking (self->output, vectors, len ? 2 : 1,
                                                         &written, NULL, &error);
      if (ret == G_POLLABLE_RETURN_FAILED)
        {
          g_debug ("WebSocket write failed: %s", error->message);
          ws_doom (self);
          return;
        }
      if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
        written = 0;
      self->kernel_bound += written;
      if (written == header_len + len)
        return;
    }

  /* what the kernel did not take waits, as one block */
  rest_len = header_len + len - written;
  rest = g_malloc (rest_len);
  if (written < header_len)
    {
      memcpy (rest, header + written, header_len - written);
      if (len)
        memcpy (rest + header_len - written, payload, len);
    }
  else
    memcpy (rest, (const guint8 *) payload + (written - header_len), rest_len);
  g_queue_push_tail (&self->queue, g_bytes_new_take (rest, rest_len));
  self->queued += rest_len;
  if (cork.depth > 0)
    {
      ws_cork_register (self);
      return;
    }
  ws_watch_output (self, TRUE);
}

void
confab_websocket_cork (void)
{
  cork.depth++;
}

void
confab_websocket_uncork (void)
{
  g_autoptr (GPtrArray) pending = NULL;

  g_return_if_fail (cork.depth > 0);

  if (--cork.depth > 0 || cork.pending == NULL || cork.pending->len == 0)
    return;

  pending = g_steal_pointer (&cork.pending);
  for (guint i = 0; i < pending->len; i++)
    {
      ConfabWebsocket *self = g_ptr_array_index (pending, i);

      self->corked = FALSE;
      if (self->state != CONFAB_WEBSOCKET_CLOSED && !self->doomed)
        {
          ws_flush (self);
          if (!g_queue_is_empty (&self->queue) && self->state != CONFAB_WEBSOCKET_CLOSED)
            ws_watch_output (self, TRUE);
        }
      g_object_unref (self);
    }
}

static void
ws_flush (ConfabWebsocket *self)
{
  ws_cork_to_queue (self);
  while (!g_queue_is_empty (&self->queue))
    {
      GOutputVector vectors[WRITEV_MAX];
      g_autoptr (GError) error = NULL;
      GPollableReturn ret;
      gsize written = 0;
      guint n = 0;

      for (GList *l = self->queue.head; l != NULL && n < WRITEV_MAX; l = l->next, n++)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (l->data, &size);
          gsize skip = n == 0 ? self->head_written : 0;

          vectors[n].buffer = data + skip;
          vectors[n].size = size - skip;
        }

      ret = g_pollable_output_stream_writev_nonblocking (self->output, vectors, n, &written, NULL, &error);
      if (ret == G_POLLABLE_RETURN_FAILED)
        {
          g_debug ("WebSocket write failed: %s", error->message);
          ws_finish (self);
          return;
        }
      if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
        return;

      self->kernel_bound += written;
      self->queued -= written;
      written += self->head_written;
      while (!g_queue_is_empty (&self->queue))
        {
          gsize size = g_bytes_get_size (g_queue_peek_head (&self->queue));

          if (written < size)
            break;
          written -= size;
          g_bytes_unref (g_queue_pop_head (&self->queue));
        }
      self->head_written = written;
    }

  ws_watch_output (self, FALSE);
  if (self->close_queued && !self->close_sent)
    ws_close_sent (self);
}

static void
ws_send_close (ConfabWebsocket *self,
               gushort          code,
               const char      *reason)
{
  guint8 payload[2 + MAX_REASON_BYTES];
  gsize len = 0;

  confab_metrics_count_close (code);
  /* what was sent before the close (an error frame saying why) is not held back by a cork */
  if (self->corked)
    ws_flush (self);
  /* Nothing may follow a close frame, and a peer that is being closed need not get what it
   * did not read yet (it resumes from its cursor): only a frame already begun is finished. */
  while (g_queue_get_length (&self->queue) > 1)
    {
      GBytes *bytes = g_queue_pop_tail (&self->queue);

      self->queued -= g_bytes_get_size (bytes);
      g_bytes_unref (bytes);
    }
  if (!g_queue_is_empty (&self->queue) && self->head_written == 0)
    ws_queue_clear (self);

  if (code != 0 && code != CONFAB_WS_CLOSE_NO_STATUS)
    {
      gsize reason_len = reason ? strlen (reason) : 0;

      payload[0] = code >> 8;
      payload[1] = code & 0xff;
      if (reason_len > MAX_REASON_BYTES)
        {
          const char *end = reason + MAX_REASON_BYTES;

          /* cut on a character boundary */
          g_utf8_validate (reason, MAX_REASON_BYTES, &end);
          reason_len = end - reason;
        }
      /* memcpy from NULL is undefined even for 0 bytes (UBSan, test-websocket) */
      if (reason_len > 0)
        memcpy (payload + 2, reason, reason_len);
      len = 2 + reason_len;
    }

  self->state = CONFAB_WEBSOCKET_CLOSING;
  self->close_queued = TRUE;
  ws_send_frame (self, CONFAB_WS_OPCODE_CLOSE, payload, len);
  if (g_queue_is_empty (&self->queue) && !self->doomed)
    ws_close_sent (self);
}

/* --- reading --- */

static void
ws_handle_event (ConfabWebsocket *self,
                 ConfabWsEvent   *event)
{
  switch (event->type)
    {
    case CONFAB_WS_EVENT_MESSAGE:
      if (self->state == CONFAB_WEBSOCKET_OPEN)
        g_signal_emit (self, signals[SIGNAL_MESSAGE], 0,
                       event->opcode == CONFAB_WS_OPCODE_TEXT ? CONFAB_WEBSOCKET_DATA_TEXT
                                                              : CONFAB_WEBSOCKET_DATA_BINARY,
                       event->payload);
      break;

    case CONFAB_WS_EVENT_PING:
      if (!self->close_queued)
        {
          gsize len;
          gconstpointer data = g_bytes_get_data (event->payload, &len);

          ws_send_frame (self, CONFAB_WS_OPCODE_PONG, data, len);
        }
      break;

    case CONFAB_WS_EVENT_PONG:
      break;

    case CONFAB_WS_EVENT_CLOSE:
      self->close_received = TRUE;
      if (!self->close_queued)
        /* the answer repeats the peer's code (RFC 6455 5.5.1) */
        ws_send_close (self, event->close_code, NULL);
      else if (self->close_sent)
        ws_finish (self);
      /* else: ws_flush() ends it once our close frame is out */
      break;

    case CONFAB_WS_EVENT_ERROR:
      if (self->state == CONFAB_WEBSOCKET_OPEN)
        {
          g_debug ("Closing a WebSocket connection (%u): %s", event->close_code, event->reason);
          ws_send_close (self, event->close_code, event->reason);
        }
      break;

    case CONFAB_WS_EVENT_NONE:
    default:
      break;
    }
}

static void
ws_process (ConfabWebsocket *self,
            const guint8    *data,
            gsize            len)
{
  gsize pos = 0;

  while (pos < len && self->state != CONFAB_WEBSOCKET_CLOSED && !self->doomed)
    {
      ConfabWsEvent event;
      gsize used = 0;

      confab_ws_parser_feed (&self->parser, data + pos, len - pos, &used, &event);
      pos += used;
      ws_handle_event (self, &event);
      g_clear_pointer (&event.payload, g_bytes_unref);
    }
}

/* Reads what is there; @drain reads until the socket has nothing more (right after the
 * upgrade, when libsoup may hold bytes that epoll cannot see). */
static void
ws_read (ConfabWebsocket *self,
         gboolean         drain)
{
  g_autofree guint8 *own_buffer = NULL;
  guint8 *buffer = poller.read_buffer;

  /* a "message" handler that starts another connection reads into a buffer of its own */
  if (poller.reading)
    buffer = own_buffer = g_malloc (READ_BUFFER_BYTES);
  poller.reading = TRUE;

  for (guint round = 0; drain || round < READS_PER_WAKEUP; round++)
    {
      g_autoptr (GError) error = NULL;
      gssize n;

      if (self->state == CONFAB_WEBSOCKET_CLOSED || self->doomed)
        break;

      n = g_pollable_input_stream_read_nonblocking (self->input, buffer, READ_BUFFER_BYTES,
                                                    NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n <= 0)
        {
          if (error != NULL)
            g_debug ("WebSocket read failed: %s", error->message);
          ws_finish (self);
          break;
        }

      self->last_read = g_get_monotonic_time ();
      ws_process (self, buffer, n);
      /* a short read emptied the socket; level-triggered epoll says when more comes */
      if (!drain && n < READ_BUFFER_BYTES)
        break;
    }

  if (buffer == poller.read_buffer)
    poller.reading = FALSE;
}

/* --- the end --- */

static void
ws_finish (ConfabWebsocket *self)
{
  g_autoptr (ConfabWebsocket) hold = NULL;

  if (self->state == CONFAB_WEBSOCKET_CLOSED)
    return;

  hold = g_object_ref (self);
  self->state = CONFAB_WEBSOCKET_CLOSED;
  ws_queue_clear (self);
  confab_ws_parser_clear (&self->parser);
  poller_remove (self);
  g_io_stream_close (self->stream, NULL, NULL);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  self->fd = -1;

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* --- the object --- */

static void
confab_websocket_finalize (GObject *object)
{
  ConfabWebsocket *self = CONFAB_WEBSOCKET (object);

  if (self->state != CONFAB_WEBSOCKET_CLOSED && self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  ws_queue_clear (self);
  confab_ws_parser_clear (&self->parser);
  g_clear_object (&self->stream);
  g_clear_object (&self->socket);

  G_OBJECT_CLASS (confab_websocket_parent_class)->finalize (object);
}

static void
confab_websocket_class_init (ConfabWebsocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_websocket_finalize;

  /* (ConfabWebsocketDataType type, GBytes *message): a whole message, text valid UTF-8 */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_BYTES);
  /* once, when the connection is gone (after the close handshake, a timeout, or an error) */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_websocket_init (ConfabWebsocket *self)
{
  self->fd = -1;
  self->index = G_MAXUINT;
  g_queue_init (&self->queue);
  confab_ws_parser_init (&self->parser, 64 * 1024);
}

ConfabWebsocket *
confab_websocket_new (GIOStream *stream,
                      GSocket   *socket)
{
  ConfabWebsocket *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = g_object_new (CONFAB_TYPE_WEBSOCKET, NULL);
  self->stream = g_object_ref (stream);
  self->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  self->socket = g_object_ref (socket);
  self->fd = g_socket_get_fd (socket);
  return self;
}

void
confab_websocket_set_max_message (ConfabWebsocket *self,
                                  guint64          bytes)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));
  self->parser.max_message = bytes;
}

void
confab_websocket_set_send_limit (ConfabWebsocket *self,
                                 guint64          bytes,
                                 gushort          close_code)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));
  self->send_limit = bytes;
  self->send_limit_code = close_code;
}

void
confab_websocket_set_keepalive (ConfabWebsocket *self,
                                guint            seconds)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));
  self->keepalive = seconds;
}

void
confab_websocket_set_idle_timeout (ConfabWebsocket *self,
                                   guint            seconds)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));
  self->idle_timeout = seconds;
}

void
confab_websocket_start (ConfabWebsocket *self)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));
  g_return_if_fail (self->index == G_MAXUINT && self->fd >= 0);

  /* timeouts are ours now; frames are small and wanted at once */
  g_socket_set_timeout (self->socket, 0);
  g_socket_set_option (self->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  self->last_read = self->last_ping = g_get_monotonic_time ();

  if (!poller_add (self))
    {
      ws_doom (self);
      return;
    }
  /* a frame already queued by the accept callback (a close, a greeting) goes out too */
  if (!g_queue_is_empty (&self->queue) || self->cork_buf != NULL)
    ws_watch_output (self, TRUE);
  ws_read (self, TRUE);
}

ConfabWebsocketState
confab_websocket_get_state (ConfabWebsocket *self)
{
  g_return_val_if_fail (CONFAB_IS_WEBSOCKET (self), CONFAB_WEBSOCKET_CLOSED);
  return self->state;
}

gboolean
confab_websocket_send_text (ConfabWebsocket *self,
                            const char      *text,
                            gsize            len)
{
  g_return_val_if_fail (CONFAB_IS_WEBSOCKET (self), FALSE);

  if (self->state != CONFAB_WEBSOCKET_OPEN)
    return FALSE;
  ws_send_frame (self, CONFAB_WS_OPCODE_TEXT, text, len);
  return self->state == CONFAB_WEBSOCKET_OPEN && !self->doomed;
}

void
confab_websocket_close (ConfabWebsocket *self,
                        gushort          code,
                        const char      *reason)
{
  g_return_if_fail (CONFAB_IS_WEBSOCKET (self));

  if (self->state != CONFAB_WEBSOCKET_OPEN)
    return;
  ws_send_close (self, code, reason);
}

guint64
confab_websocket_get_buffered (ConfabWebsocket *self)
{
  int unsent = 0;

  g_return_val_if_fail (CONFAB_IS_WEBSOCKET (self), 0);

  /* SIOCOUTQ: bytes in the send queue the peer has not acknowledged */
  if (self->fd >= 0 && ioctl (self->fd, SIOCOUTQ, &unsent) == 0 && unsent >= 0)
    self->kernel_bound = unsent;
  return self->queued + self->kernel_bound;
}

gboolean
confab_websocket_buffered_exceeds (ConfabWebsocket *self,
                                   guint64          limit)
{
  g_return_val_if_fail (CONFAB_IS_WEBSOCKET (self), FALSE);

  /* kernel_bound only grows between measurements, so below the limit it proves enough */
  if (self->queued + self->kernel_bound <= limit)
    return FALSE;
  return confab_websocket_get_buffered (self) > limit;
}

/* --- the upgrade --- */

typedef struct {
  ConfabWebsocketAcceptFunc accept;
  gpointer                  user_data;
} Upgrade;

static void
upgrade_free (gpointer  data,
              GClosure *closure)
{
  g_free (data);
}

static void
on_wrote_informational (SoupServerMessage *msg,
                        gpointer           user_data)
{
  Upgrade *upgrade = user_data;
  g_autoptr (SoupServerMessage) hold = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (ConfabWebsocket) ws = NULL;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;

  /* as libsoup's own server does: the 101 is out, the connection is ours */
  hold = g_object_ref (msg);
  socket = confab_listener_message_socket (msg);
  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL || socket == NULL)
    {
      g_warning ("Could not take over an upgraded connection");
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
      return;
    }

  ws = confab_websocket_new (stream, socket);
  upgrade->accept (msg, ws, upgrade->user_data);
  confab_websocket_start (ws);
}

gboolean
confab_websocket_server_upgrade (SoupServerMessage        *msg,
                                 ConfabWebsocketAcceptFunc accept,
                                 gpointer                  user_data)
{
  Upgrade *upgrade;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  /* no extension types: permessage-deflate is never negotiated (its memory per connection
   * is not worth it for small JSON frames) */
  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    return FALSE;

  upgrade = g_new0 (Upgrade, 1);
  upgrade->accept = accept;
  upgrade->user_data = user_data;
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (on_wrote_informational),
                         upgrade, upgrade_free, 0);
  return TRUE;
}
