/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-frames.c: libFuzzer target for the WebSocket frames a client sends, from the JSON
 * guard through the hub's dispatch and every frame type's field checks to the store.
 *
 * A real relay object (confab_relay_new: SQLite in a temporary directory, hub, uploads) without
 * a listening socket. Each input is one connection: its first byte says visitor (even) or
 * agent (odd), the rest is up to MAX_FRAMES frames, one per line, handled exactly as
 * on_message() does (size and JSON guard, "type", then handle_visitor_frame() /
 * handle_agent_frame()). The connection's ConfabWebsocket writes into a socketpair nobody
 * reads. So that inputs reach past "not found", "@S", "@C", "@V" and "@T" in a frame stand for
 * the site, a conversation, a visitor and that visitor's token made at start.
 * What happens when a connection closes (on_closed, static) is mirrored at the end. */
#define G_LOG_DOMAIN "fuzz-frames"

#include "confab-hub-private.h"
#include "confab-relay.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAMES 64

static ConfabRelay *relay;
static char *data_dir;
static char *site_id;
static char *user_id;
static char *token_hash;
static char *conversation_id;
static char *visitor_id;
static char *visitor_token;
static guint connections;

typedef struct {
  Client *client;
  int     peer;
} Connection;

static Connection
connect_client (ClientKind kind)
{
  Connection connection = { NULL, -1 };
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketConnection) stream = NULL;
  int fds[2];
  Client *client;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0)
    abort ();
  socket = g_socket_new_from_fd (fds[0], NULL);
  if (socket == NULL)
    abort ();
  stream = g_socket_connection_factory_create_connection (socket);

  /* as client_new() does for a real upgrade; a new address each time, so that per-address
   * limits do not stop every later input */
  {
    g_autoptr (ConfabWebsocket) ws = confab_websocket_new (G_IO_STREAM (stream), socket);

    client = hub_client_new (relay->hub, ws, kind, g_strdup_printf ("fuzz-%u", connections++));
  }

  if (kind == CLIENT_VISITOR)
    {
      client->site_id = g_strdup (site_id);
      client->header_user_agent = g_strdup ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0");
    }
  else
    {
      /* as on_agent_socket() does */
      client->user_id = g_strdup (user_id);
      client->user_name = g_strdup ("Fuzz");
      client->token_hash = g_strdup (token_hash);
      client->presence = g_strdup ("online");
      client->site_ids = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (client->site_ids, g_strdup (site_id));
      index_add (relay->hub->site_agents, site_id, client);
      /* pdata is read as a NULL-terminated vector (pump_backlog) */
      g_ptr_array_add (client->site_ids, NULL);
      g_ptr_array_set_size (client->site_ids, client->site_ids->len - 1);
      announce_presence (relay->hub, client, "online");
    }

  connection.client = client;
  connection.peer = fds[1];
  return connection;
}

/* on_message() without the socket */
static void
handle_frame (Client     *client,
              const char *data,
              gsize       len)
{
  g_autoptr (GBytes) message = g_bytes_new (data, len);
  g_autoptr (JsonObject) frame = NULL;
  const char *type = NULL;

  if (client->closing)
    return;

  frame = client_parse_frame (client, message, &type);
  if (frame != NULL)
    hub_receive_frame (client, message, type, frame);
}

static void
remove_from_index (GHashTable *index,
                   const char *key,
                   Client     *client)
{
  GPtrArray *clients = key ? index_get (index, key) : NULL;

  if (clients != NULL)
    g_ptr_array_remove (clients, client);
  if (clients != NULL && clients->len == 0)
    g_hash_table_remove (index, key);
}

/* on_closed() (static in confab-hub.c), minus the presence announcements nobody hears */
static void
disconnect_client (Connection *connection)
{
  Client *client = connection->client;
  ConfabHub *hub = relay->hub;

  confab_hub_sync (hub);
  client->closing = TRUE;
  if (client->kind == CLIENT_VISITOR)
    {
      remove_from_index (hub->visitor_tabs, client->visitor_id, client);
      remove_from_index (hub->site_visitors, client->site_id, client);
      if (client->visitor_id != NULL && !tabs_online (hub, client->visitor_id))
        hub_visitor_left (hub, client->site_id, client->visitor_id);
    }
  else
    {
      for (guint i = 0; i < client->site_ids->len; i++)
        remove_from_index (hub->site_agents, g_ptr_array_index (client->site_ids, i), client);
    }
  g_hash_table_remove (hub->clients, client);  /* client_free() */
  close (connection->peer);

  /* the timers a frame armed (previews, the backlog pump) were removed with the client */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* What the server wrote to @peer so far, as text (frame headers and all: enough to find a
 * field in it). */
static GString *
drain (int peer)
{
  GString *text = g_string_new (NULL);
  char buffer[4096];
  ssize_t n;

  while ((n = read (peer, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  /* the frame headers' length bytes may be 0 */
  for (gsize i = 0; i < text->len; i++)
    if (text->str[i] == '\0')
      text->str[i] = ' ';
  return text;
}

static char *
find_field (const char *text,
            const char *field)
{
  g_autofree char *needle = g_strdup_printf ("\"%s\":\"", field);
  const char *start = strstr (text, needle);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (needle);
  end = strchr (start, '"');
  return end ? g_strndup (start, end - start) : NULL;
}

static void
cleanup (void)
{
  g_clear_pointer (&relay, confab_relay_free);
  if (data_dir != NULL)
    {
      g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);
      if (system (command) != 0)
        g_printerr ("could not remove %s\n", data_dir);
    }
}

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GString) sent = NULL;
  g_autofree char *token = NULL;
  ConfabConfig *config;
  Connection visitor;
  static const char hello[] = "{\"type\":\"hello\",\"page\":{\"url\":\"https://example.com/\",\"title\":\"Shop\"}}";
  static const char message[] = "{\"type\":\"message\",\"client_id\":\"c1\",\"body\":\"Hello\"}";

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  /* "Could not store" and the like are answers to bad input here, not failures */
  g_log_set_handler ("confab-hub", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_DEBUG,
                     g_log_default_handler, NULL);

  data_dir = g_dir_make_tmp ("confab-fuzz-frames-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (cleanup);

  config = confab_config_new ();
  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->sync = CONFAB_STORE_SYNC_NORMAL;
  relay = confab_relay_new (config, &error);
  g_assert_no_error (error);

  user = confab_store_create_user (relay->store, "fuzz@example.com", "Fuzz", "x", &error);
  g_assert_no_error (error);
  user_id = g_strdup (user->id);
  site = confab_store_create_site (relay->store, user->id, "Fuzz", NULL, &error);
  g_assert_no_error (error);
  site_id = g_strdup (site->id);
  token = confab_random_token (32);
  token_hash = confab_sha256_hex (token);
  confab_store_add_token (relay->store, token_hash, user->id, G_MAXINT64, &error);
  g_assert_no_error (error);

  /* a visitor with a conversation, for "@C", "@V" and "@T" */
  visitor = connect_client (CLIENT_VISITOR);
  handle_frame (visitor.client, hello, strlen (hello));
  confab_hub_sync (relay->hub);
  handle_frame (visitor.client, message, strlen (message));
  confab_hub_sync (relay->hub);
  visitor_id = g_strdup (visitor.client->visitor_id);
  conversation_id = g_strdup (visitor.client->conversation_id);
  sent = drain (visitor.peer);
  visitor_token = find_field (sent->str, "visitor_token");
  if (visitor_id == NULL || conversation_id == NULL || visitor_token == NULL)
    g_error ("the scripted visitor got no conversation: %s", sent->str);
  disconnect_client (&visitor);

  return 0;
}

static GString *
substitute (const char *line,
            gsize       len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      const char *value = NULL;

      if (line[i] == '@' && i + 1 < len)
        switch (line[i + 1])
          {
          case 'S': value = site_id; break;
          case 'C': value = conversation_id; break;
          case 'V': value = visitor_id; break;
          case 'T': value = visitor_token; break;
          default: break;
          }
      if (value != NULL)
        {
          g_string_append (out, value);
          i++;
        }
      else
        g_string_append_c (out, line[i]);
    }
  return out;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Connection connection;
  const char *text, *end;
  guint frames = 0;

  if (size < 1)
    return 0;

  connection = connect_client ((data[0] & 1) ? CLIENT_AGENT : CLIENT_VISITOR);
  text = (const char *) data + 1;
  end = (const char *) data + size;
  while (text < end && frames++ < MAX_FRAMES)
    {
      const char *newline = memchr (text, '\n', end - text);
      const char *line_end = newline ? newline : end;
      g_autoptr (GString) frame = substitute (text, line_end - text);

      handle_frame (connection.client, frame->str, frame->len);
      /* a batch commits between two frames of a connection when the loop turns */
      if (frames % 4 == 0)
        confab_hub_sync (relay->hub);
      text = line_end + 1;
    }

  disconnect_client (&connection);
  return 0;
}
