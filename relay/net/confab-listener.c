/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-listener.c: the relay's own accept loop, with caps on the connections it keeps */
#define G_LOG_DOMAIN "confab-listener"
#define _GNU_SOURCE /* accept4() */

#include "confab-listener.h"
#include "confab-shared-counter.h"
#include "confab-util.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Accepts per wake-up, so that a burst of connections does not starve the rest of the loop. */
#define ACCEPT_BATCH       64
/* Out of descriptors: how long to leave the backlog alone before trying again. */
#define PAUSE_MS           100
/* A refused client most likely sent its request already; reading that much of it before
 * closing keeps the kernel from answering it with a reset that can overtake the refusal. */
#define REFUSAL_DRAIN      4096
#define RETRY_AFTER_S      5
/* Descriptors the relay needs besides its connections: the database, uploads, geolocation */
#define RESERVED_FDS       64
/* At most one line a minute about refusals over the per-address cap. */
#define PER_ADDRESS_LOG_US (60 * G_USEC_PER_SEC)

#define SOCKET_KEY "confab-listener-socket"

struct _ConfabListener {
  SoupServer  *server;
  GSocket     *socket;
  guint        source;           /* the listening socket's watch, 0 while paused or stopped */
  guint        pause;            /* the timer that resumes it */
  gboolean     stopped;

  guint        max_connections;
  guint        max_per_address;
  GStrv        exempt;

  GHashTable  *connections;      /* ConfabTcpConnection* (not owned), the open ones */
  GHashTable  *per_address;      /* address → count, only while > 0 */
  ConfabSharedCounter *shared;   /* the cluster's counts per address (keyed hashes); or NULL */
  char        *salt;

  /* load shedding (total cap, descriptors) is logged when it starts and when it ends */
  gboolean     shedding;
  guint64      refused_while_shedding;
  gint64       per_address_logged;
  guint64      per_address_refused;
};

/* --- a connection that says when it is closed ----------------------------------------------- */

#define CONFAB_TYPE_TCP_CONNECTION (confab_tcp_connection_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTcpConnection, confab_tcp_connection, CONFAB, TCP_CONNECTION,
                      GTcpConnection)

struct _ConfabTcpConnection {
  GTcpConnection  parent_instance;
  ConfabListener *listener;      /* NULL once counted out, or when the listener went first */
  char           *address;
};

G_DEFINE_FINAL_TYPE (ConfabTcpConnection, confab_tcp_connection, G_TYPE_TCP_CONNECTION)

static void listener_release (ConfabListener      *self,
                              ConfabTcpConnection *connection);

static void
connection_count_out (ConfabTcpConnection *connection)
{
  ConfabListener *listener = g_steal_pointer (&connection->listener);

  if (listener != NULL)
    listener_release (listener, connection);
}

/* Every way a connection ends comes here: libsoup closing it, the WebSocket transport closing
 * the stream it stole, or the last reference going (dispose closes an open stream). */
static gboolean
confab_tcp_connection_close (GIOStream     *stream,
                             GCancellable  *cancellable,
                             GError       **error)
{
  gboolean closed;

  closed = G_IO_STREAM_CLASS (confab_tcp_connection_parent_class)->close_fn (stream, cancellable,
                                                                             error);
  connection_count_out (CONFAB_TCP_CONNECTION (stream));
  return closed;
}

static void
confab_tcp_connection_finalize (GObject *object)
{
  ConfabTcpConnection *self = CONFAB_TCP_CONNECTION (object);

  connection_count_out (self);
  g_free (self->address);

  G_OBJECT_CLASS (confab_tcp_connection_parent_class)->finalize (object);
}

static void
confab_tcp_connection_class_init (ConfabTcpConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = confab_tcp_connection_finalize;
  stream_class->close_fn = confab_tcp_connection_close;
}

static void
confab_tcp_connection_init (ConfabTcpConnection *self)
{
}

/* --- counting ------------------------------------------------------------------------------- */

static gboolean
is_exempt (ConfabListener *self,
           const char     *address)
{
  return self->max_per_address == 0 ||
         g_strv_contains ((const char * const *) self->exempt, address);
}

static void
shedding_ends (ConfabListener *self)
{
  if (!self->shedding)
    return;
  self->shedding = FALSE;
  g_message ("Accepting connections again (%u open; %" G_GUINT64_FORMAT " refused meanwhile)",
             g_hash_table_size (self->connections), self->refused_while_shedding);
  self->refused_while_shedding = 0;
}

static void
shedding_starts (ConfabListener *self,
                 const char     *why)
{
  if (self->shedding)
    return;
  self->shedding = TRUE;
  g_message ("Shedding load: %s (%u connections open); new connections wait or are refused",
             why, g_hash_table_size (self->connections));
}

/* What the cluster counts an address under: the relay's keyed hash, never the address. */
static char *
shared_key (ConfabListener *self,
            const char     *address)
{
  g_autofree char *salted = g_strconcat (self->salt, "|", address, NULL);

  return confab_sha256_hex (salted);
}

static void
listener_release (ConfabListener      *self,
                  ConfabTcpConnection *connection)
{
  guint count;

  if (!g_hash_table_remove (self->connections, connection))
    return;
  if (self->shared != NULL)
    {
      g_autofree char *key = shared_key (self, connection->address);

      confab_shared_counter_add (self->shared, key, -1);
    }

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, connection->address));
  if (count <= 1)
    g_hash_table_remove (self->per_address, connection->address);
  else
    g_hash_table_insert (self->per_address, g_strdup (connection->address),
                         GUINT_TO_POINTER (count - 1));
}

/* --- refusing ------------------------------------------------------------------------------- */

/* Written straight on the socket, never through libsoup: a refusal must not cost a handler,
 * a message or a buffer. Best effort: a few hundred bytes into an empty send buffer. */
static void
refuse (int         fd,
        guint       status,
        const char *code,
        const char *message)
{
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                                           code, message);
  g_autofree char *answer = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                             "Content-Type: application/json; charset=utf-8\r\n"
                                             "Content-Length: %zu\r\n"
                                             "Retry-After: %u\r\n"
                                             "Connection: close\r\n"
                                             "Cache-Control: no-store\r\n"
                                             "X-Content-Type-Options: nosniff\r\n"
                                             "\r\n%s",
                                             status, soup_status_get_phrase (status),
                                             strlen (body), RETRY_AFTER_S, body);
  char drain[REFUSAL_DRAIN];

  (void) !recv (fd, drain, sizeof drain, MSG_DONTWAIT);
  (void) !send (fd, answer, strlen (answer), MSG_DONTWAIT | MSG_NOSIGNAL);
  shutdown (fd, SHUT_WR);
  close (fd);
}

/* --- accepting ------------------------------------------------------------------------------ */

static void
hand_over (ConfabListener  *self,
           int              fd,
           GSocketAddress  *remote,
           const char      *address)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (ConfabTcpConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  guint count;

  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      g_message ("Cannot take an accepted connection: %s", error->message);
      close (fd);
      return;
    }
  local = g_socket_get_local_address (socket, &error);
  if (local == NULL)
    {
      g_message ("Cannot take an accepted connection: %s", error->message);
      return; /* the GSocket closes it */
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  connection = g_object_new (CONFAB_TYPE_TCP_CONNECTION, "socket", socket, NULL);
  connection->listener = self;
  connection->address = g_strdup (address);
  g_hash_table_add (self->connections, connection);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));
  g_hash_table_insert (self->per_address, g_strdup (address), GUINT_TO_POINTER (count + 1));
  if (self->shared != NULL)
    {
      g_autofree char *key = shared_key (self, address);

      confab_shared_counter_add (self->shared, key, +1);
    }

  /* libsoup keeps @remote for the connection's messages: that is how a message finds its
   * socket again (confab_listener_message_socket()) */
  g_object_set_data_full (G_OBJECT (remote), SOCKET_KEY, g_object_ref (socket), g_object_unref);
  soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, NULL);
}

static void
take (ConfabListener          *self,
      int                      fd,
      struct sockaddr_storage *peer,
      socklen_t                peer_len)
{
  g_autoptr (GSocketAddress) remote = g_socket_address_new_from_native (peer, peer_len);
  g_autofree char *address = NULL;
  guint count;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    {
      close (fd);
      return;
    }
  address = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

  if (g_hash_table_size (self->connections) >= self->max_connections)
    {
      shedding_starts (self, "the connection limit ([limits] max-connections) is reached");
      self->refused_while_shedding++;
      refuse (fd, SOUP_STATUS_SERVICE_UNAVAILABLE, "overloaded",
              "The relay has as many connections as it takes; try again shortly");
      return;
    }

  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));
  /* with other relays: theirs too, as Redis last told (only ours while it is away) */
  if (self->shared != NULL && !is_exempt (self, address))
    {
      g_autofree char *key = shared_key (self, address);

      count = MAX (count, confab_shared_counter_get (self->shared, key));
    }
  if (count >= self->max_per_address && !is_exempt (self, address))
    {
      gint64 now = g_get_monotonic_time ();

      /* one address at its cap is that address's business, not load: counted, logged
       * at most once a minute, and never with the address */
      self->per_address_refused++;
      if (self->per_address_logged == 0 || now - self->per_address_logged >= PER_ADDRESS_LOG_US)
        {
          g_message ("Refused %" G_GUINT64_FORMAT " connection(s) over the per-address limit "
                     "([limits] max-connections-per-address = %u)",
                     self->per_address_refused, self->max_per_address);
          self->per_address_logged = now;
          self->per_address_refused = 0;
        }
      refuse (fd, 429, "too_many_connections",
              "Too many connections from this address; close some or try again later");
      return;
    }

  shedding_ends (self);
  hand_over (self, fd, remote, address);
}

static gboolean on_incoming (int           fd,
                             GIOCondition  condition,
                             gpointer      user_data);

static gboolean
resume (gpointer user_data)
{
  ConfabListener *self = user_data;

  self->pause = 0;
  if (!self->stopped)
    self->source = g_unix_fd_add (g_socket_get_fd (self->socket), G_IO_IN, on_incoming, self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (int           listen_fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  ConfabListener *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      struct sockaddr_storage peer;
      socklen_t peer_len = sizeof peer;
      int fd = accept4 (listen_fd, (struct sockaddr *) &peer, &peer_len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd >= 0)
        {
          take (self, fd, &peer, peer_len);
          continue;
        }

      switch (errno)
        {
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
          continue; /* that one connection; the next may be fine */
        case EAGAIN:
          return G_SOURCE_CONTINUE;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          /* Nothing can be accepted until a connection closes: leave the backlog alone for a
           * moment rather than spin on a listening socket that stays readable. */
          shedding_starts (self, g_strerror (errno));
          self->source = 0;
          self->pause = g_timeout_add (PAUSE_MS, resume, self);
          return G_SOURCE_REMOVE;
        default:
          /* unexpected, and maybe lasting: logged once, like running out of descriptors */
          shedding_starts (self, g_strerror (errno));
          self->source = 0;
          self->pause = g_timeout_add (PAUSE_MS, resume, self);
          return G_SOURCE_REMOVE;
        }
    }

  return G_SOURCE_CONTINUE;
}

/* libsoup 3.2 keeps a connection alive after an answer only while the server has a listener of
 * its own (request_finished() in soup-server.c checks priv->listeners): with the accept loop
 * above alone, every connection would be closed after one request, and a browser or Node.js
 * that reuses it gets nothing. So libsoup gets a listener nobody can reach: a Unix socket whose
 * path is removed as soon as it listens. */
static void
give_libsoup_a_listener (SoupServer *server)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *dir = g_dir_make_tmp ("confab-relay-XXXXXX", &error);
  g_autofree char *path = NULL;
  gboolean listening = FALSE;

  if (dir != NULL)
    {
      path = g_build_filename (dir, "unreachable", NULL);
      address = g_unix_socket_address_new (path);
      socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                             &error);
      listening = socket != NULL &&
                  g_socket_bind (socket, address, FALSE, &error) &&
                  g_socket_listen (socket, &error);
      g_unlink (path);
      g_rmdir (dir);
    }

  if (!listening || !soup_server_listen_socket (server, socket, 0, &error))
    g_warning ("HTTP keep-alive is off: %s", error->message);
}

ConfabListener *
confab_listener_new (SoupServer         *server,
                     GSocket            *socket,
                     guint               max_connections,
                     guint               max_per_address,
                     const char * const *exempt)
{
  ConfabListener *self = g_new0 (ConfabListener, 1);
  struct rlimit limit;

  self->server = g_object_ref (server);
  self->socket = g_object_ref (socket);
  self->max_connections = max_connections;
  self->max_per_address = max_per_address;
  self->exempt = exempt ? g_strdupv ((char **) exempt) : g_new0 (char *, 1);
  self->connections = g_hash_table_new (NULL, NULL);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < (rlim_t) max_connections + RESERVED_FDS)
    g_message ("The open files limit (%lu) is below [limits] max-connections (%u): past it, "
               "new connections wait until others close (raise LimitNOFILE= or ulimit -n)",
               (unsigned long) limit.rlim_cur, max_connections);

  give_libsoup_a_listener (server);
  g_socket_set_blocking (socket, FALSE);
  self->source = g_unix_fd_add (g_socket_get_fd (socket), G_IO_IN, on_incoming, self);

  return self;
}

void
confab_listener_stop (ConfabListener *self)
{
  if (self == NULL || self->stopped)
    return;
  self->stopped = TRUE;
  g_clear_handle_id (&self->source, g_source_remove);
  g_clear_handle_id (&self->pause, g_source_remove);
  g_socket_close (self->socket, NULL);
}

void
confab_listener_free (ConfabListener *self)
{
  GHashTableIter iter;
  gpointer connection;

  if (self == NULL)
    return;

  confab_listener_stop (self);
  /* connections still open outlive the count */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &connection, NULL))
    CONFAB_TCP_CONNECTION (connection)->listener = NULL;
  g_hash_table_unref (self->connections);
  g_hash_table_unref (self->per_address);
  g_clear_object (&self->shared);
  g_free (self->salt);
  g_strfreev (self->exempt);
  g_object_unref (self->socket);
  g_object_unref (self->server);
  g_free (self);
}

void
confab_listener_share_counts (ConfabListener      *self,
                              ConfabSharedCounter *counter,
                              const char          *salt)
{
  g_set_object (&self->shared, counter);
  g_free (self->salt);
  self->salt = g_strdup (salt);
}

guint
confab_listener_get_n_connections (ConfabListener *self)
{
  return g_hash_table_size (self->connections);
}

GSocket *
confab_listener_message_socket (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GSocketAddress *remote;

  if (socket != NULL)
    return socket;
  remote = soup_server_message_get_remote_address (msg);
  return remote != NULL ? g_object_get_data (G_OBJECT (remote), SOCKET_KEY) : NULL;
}
