/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-relay.c: the relay's server object — wires the routes, the listener, the request
 * timeouts and the modules together. The helpers routes use are in net/confab-http.c. */
#define G_LOG_DOMAIN "confab-relay"

#include "confab-assistant.h"
#include "confab-avatars.h"
#include "confab-http.h"
#include "confab-bus.h"
#include "confab-shared-counter.h"
#include "confab-hub.h"
#include "confab-hub-email.h"
#include "confab-listener.h"
#include "confab-help.h"
#include "confab-retention.h"
#include "confab-targets.h"
#include "confab-webhooks.h"
#include "confab-mailer.h"
#include "confab-uploads.h"
#include "confab-json.h"
#include "confab-metrics.h"
#include "confab-meta.h"
#include "confab-pg-store.h"
#include "confab-util.h"
#include "confab-widget-assets.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* How long a store call on the main loop waits for another process's write lock (SQLite sleeps
 * 1 ms, then 2): long enough for a lock about to be released, short enough that nobody else
 * notices. Longer waits happen between turns of the loop (confab-hub-delivery.c). */
#define LOOP_BUSY_TIMEOUT_MS 3

/* How long the start-up check of the database may take (roughly 1 GB is checked by then):
 * past it the relay starts anyway, saying so, rather than keep a service manager waiting. */
#define QUICK_CHECK_MAX_MS 20000

/* Retry-After of a 503 for a store that is busy or full, in seconds. */
#define STORE_RETRY_AFTER_S "1"

static void
add_common_headers (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
}

static void
handle_not_found (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is nothing at this address");
}

static void
handle_healthz (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) error = NULL;

  if (strcmp (path, "/healthz") != 0)
    return handle_not_found (server, msg, path, query, user_data);

  /* Honest, and never waiting: "ok" only while the store takes writes. The reason is a fixed
   * word for monitors; the log has the details. */
  if (!confab_store_check_writable (relay->store, &error))
    {
      const char *reason = g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY)
                           ? "database_busy"
                           : g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FULL)
                           ? "disk_full"
                           : g_error_matches (error, CONFAB_STORE_ERROR,
                                              CONFAB_STORE_ERROR_UNAVAILABLE)
                           ? "database_unreachable" : "database_failing";

      json_object_set_string_member (object, "status", "degraded");
      json_object_set_string_member (object, "reason", reason);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", STORE_RETRY_AFTER_S);
      confab_http_json_object (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, object);
      return;
    }

  json_object_set_string_member (object, "status", "ok");
  confab_http_json_object (msg, SOUP_STATUS_OK, object);
}

/* libsoup 3.2's SoupServer has no timeouts: a client that connects and sends nothing (or half a
 * request, slowly), or keeps an idle connection alive, would hold its socket forever.
 * "request-started" comes before each request is read, also the next one on a kept-alive
 * connection, so a watchdog armed there and disarmed by "request-read" bounds both. Shutting
 * the socket down lets libsoup see an ordinary end of stream and clean up as usual. */
static void disarm_request_timeout (SoupServer        *server,
                                    SoupServerMessage *msg,
                                    gpointer           user_data);

static gboolean
request_timed_out (gpointer user_data)
{
  GSocket *socket = user_data;

  g_socket_shutdown (socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
arm_request_timeout (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  GSocket *socket = confab_listener_message_socket (msg);
  guint source;

  if (socket == NULL)
    return;

  source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, relay->config->request_timeout,
                                       request_timed_out, g_object_ref (socket), g_object_unref);
  g_hash_table_replace (relay->request_timeouts, socket, GUINT_TO_POINTER (source));
}

/* After a response the connection waits for the next request: the same watchdog bounds that
 * idle time. Not after an upgrade: a WebSocket has its own idle timeout (the hub). */
static void
arm_idle_timeout (SoupServer        *server,
                  SoupServerMessage *msg,
                  gpointer           user_data)
{
  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      disarm_request_timeout (server, msg, user_data);
      return;
    }
  arm_request_timeout (server, msg, user_data);
}

static void
disarm_request_timeout (SoupServer        *server,
                        SoupServerMessage *msg,
                        gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  GSocket *socket = confab_listener_message_socket (msg);

  if (socket != NULL)
    g_hash_table_remove (relay->request_timeouts, socket);
}

static void
remove_source (gpointer data)
{
  /* gone already when the watchdog fired (it removes itself) */
  GSource *source = g_main_context_find_source_by_id (NULL, GPOINTER_TO_UINT (data));

  if (source != NULL)
    g_source_destroy (source);
}

/* The key of the IP hashes: made once, kept beside the database (mode 0600), so that a hash
 * identifies an address across restarts for abuse handling, and nothing without the file. */
static char *
load_ip_hash_key (const char  *data_dir,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "ip-hash-key", NULL);
  g_autofree char *key = NULL;
  g_autoptr (GError) local_error = NULL;

  if (g_file_get_contents (path, &key, NULL, &local_error))
    {
      g_strstrip (key);
      if (strlen (key) >= 32)
        return g_steal_pointer (&key);
    }
  else if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Cannot read %s: ", path);
      return NULL;
    }

  g_clear_pointer (&key, g_free);
  key = confab_random_token (32);
  /* Relays started together on one data directory must end up with one key (else their
   * hashes of an address differ, and so do shared limits and connection caps): the file is
   * written aside and linked into place, which fails when another got there first, and then
   * theirs is the key. */
  {
    g_autofree char *aside = g_strdup_printf ("%s.%d", path, (int) getpid ());
    int saved_errno;

    if (!g_file_set_contents_full (aside, key, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
      return NULL;
    if (link (aside, path) == 0)
      {
        g_unlink (aside);
        return g_steal_pointer (&key);
      }
    saved_errno = errno;
    g_unlink (aside);
    if (saved_errno != EEXIST)
      {
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     "Cannot create %s: %s", path, g_strerror (saved_errno));
        return NULL;
      }
  }
  g_clear_pointer (&key, g_free);
  if (!g_file_get_contents (path, &key, NULL, error))
    return NULL;
  g_strstrip (key);
  return g_steal_pointer (&key);
}

ConfabRelay *
confab_relay_new (ConfabConfig  *config,
                  GError       **error)
{
  g_autoptr (ConfabRelay) relay = g_new0 (ConfabRelay, 1);
  g_autofree char *db_path = NULL;
  const ConfabConfig *c = config;

  relay->config = config;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create the data directory %s: %s", config->data_dir, g_strerror (errno));
      return NULL;
    }

  if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL)
    {
      /* migrates under the advisory lock: several relays may start at once */
      relay->store = confab_pg_store_open (config->store_url, error);
    }
  else
    {
      db_path = g_build_filename (config->data_dir, "confab.db", NULL);
      relay->store = confab_store_open (db_path, config->sync, error);
    }
  if (relay->store == NULL)
    return NULL;
  /* A damaged page would otherwise surface later as 500s on whatever touches it, or worse, as
   * writes building on it: refuse to start instead, naming the file. */
  if (!confab_store_quick_check (relay->store, QUICK_CHECK_MAX_MS, error))
    return NULL;
  /* From here on the store is used from the main loop, which must never sleep on another
   * process's lock: writes that find it taken fail fast and are retried from the loop. */
  confab_store_set_busy_timeout (relay->store, LOOP_BUSY_TIMEOUT_MS);
  confab_avatars_set_store (relay->store);

  /* Every relay of one PostgreSQL database must hash addresses alike (rate limits, blocks by
   * address): the key lives in the database there, in the data directory with SQLite. */
  if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL)
    relay->ip_salt = confab_pg_store_shared_key (relay->store, "ip-hash-key", error);
  else
    relay->ip_salt = load_ip_hash_key (config->data_dir, error);
  if (relay->ip_salt == NULL)
    return NULL;
  relay->geo = confab_geo_new_for_relay ((const char * const *) config->geo_databases,
                                         config->data_dir);
  /* Before the limits it shares and the hub, which listens to it; it connects (and reconnects) on its own, without
   * ever blocking the loop, so the relay serves its own clients while Redis is away. */
  if (config->cluster_redis != NULL && *config->cluster_redis != '\0')
    {
      ConfabClusterConfig cluster = {
        .redis = config->cluster_redis,
        .node_name = config->cluster_node_name,
      };

      relay->bus = confab_bus_new (&cluster, error);
      if (relay->bus == NULL)
        return NULL;
      confab_bus_start (relay->bus);
      g_message ("Relay %s: live events go through Redis to the other relays",
                 confab_bus_get_node_name (relay->bus));
    }
  relay->login_per_ip = confab_shared_limit_new (relay->bus, "logins-ip",
                                                 c->logins_per_minute_per_ip, 60 * 1000);
  relay->login_per_account = confab_shared_limit_new (relay->bus, "logins-account",
                                                      c->logins_per_minute_per_account, 60 * 1000);
  relay->messages_per_ip = confab_shared_limit_new (relay->bus, "messages-ip",
                                                    c->messages_per_minute_per_ip, 60 * 1000);
  relay->typing_per_ip = confab_shared_limit_new (relay->bus, "typing-ip",
                                                  c->typing_per_second * 20, 1000);

  relay->server = soup_server_new ("server-header", "confab-relay/" CONFAB_VERSION, NULL);
  /* permessage-deflate costs ~56 KB of memory per connection and 6x the CPU per message with
   * Debian's libsoup 3.2 (measured against a browser-like client); chat frames are tiny. */
  soup_server_remove_websocket_extension (relay->server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  relay->request_timeouts = g_hash_table_new_full (NULL, NULL, NULL, remove_source);
  g_signal_connect (relay->server, "request-started", G_CALLBACK (arm_request_timeout), relay);
  g_signal_connect (relay->server, "request-read", G_CALLBACK (disarm_request_timeout), relay);
  g_signal_connect (relay->server, "request-finished", G_CALLBACK (arm_idle_timeout), relay);
  g_signal_connect (relay->server, "request-aborted", G_CALLBACK (disarm_request_timeout), relay);
  g_signal_connect (relay->server, "request-read", G_CALLBACK (add_common_headers), relay);
  confab_http_body_guard_install (relay);

  soup_server_add_handler (relay->server, NULL, handle_not_found, relay, NULL);
  soup_server_add_handler (relay->server, "/healthz", handle_healthz, relay, NULL);
  confab_metrics_register (relay);
  confab_api_register (relay);
  confab_widget_assets_register (relay);
  confab_help_register (relay);
  relay->uploads = confab_uploads_new (relay, error);
  if (relay->uploads == NULL)
    return NULL;
  relay->hub = confab_hub_new (relay);
  relay->retention = confab_retention_new (relay);
  relay->targets = confab_targets_new (relay);
  relay->webhooks = confab_webhooks_new (relay);
  relay->assistant = confab_assistant_new (relay);
  relay->assist_requests = confab_rate_limit_new (CONFAB_ASSIST_REQUESTS_PER_MINUTE, 60 * 1000);
  relay->api_key_requests = confab_rate_limit_new (config->api_requests_per_minute, 60 * 1000);
  confab_meta_new (relay);
  relay->mailer = confab_mailer_new (relay);
  confab_mailer_set_listener (relay->mailer, confab_hub_mail_done, relay->hub);

  return g_steal_pointer (&relay);
}

gboolean
confab_relay_listen (ConfabRelay  *relay,
                     GError      **error)
{
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) wanted = NULL;
  g_autoptr (GSocketAddress) effective = NULL;
  g_autofree char *host = NULL;
  g_autoptr (GSocket) listener = NULL;
  guint16 port;

  if (!confab_config_parse_listen (relay->config->listen, &host, &port, error))
    return FALSE;

  if (g_strcmp0 (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address to listen on", host);
      return FALSE;
    }

  wanted = g_inet_socket_address_new (inet, port);

  /* Our own socket rather than soup_server_listen()'s, for its backlog: GSocket's default of
   * 10 pending connections resets clients when many visitors arrive at once (a page load
   * spike, every widget reconnecting after a relay restart). The kernel caps it at somaxconn. */
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_option (listener, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  g_socket_set_listen_backlog (listener, 4096);
  if (!g_socket_bind (listener, wanted, TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  effective = g_socket_get_local_address (listener, error);
  if (effective == NULL)
    return FALSE;

  relay->host = g_steal_pointer (&host);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  /* Our own accept loop rather than soup_server_listen_socket(): libsoup's gives up for good
   * on the first failed accept (out of descriptors), and it caps nothing. */
  relay->listener = confab_listener_new (relay->server, listener, relay->config->max_connections,
                                         relay->config->max_connections_per_address,
                                         (const char * const *) relay->config->trusted_proxies);
  if (relay->bus != NULL && relay->config->max_connections_per_address > 0)
    {
      g_autoptr (ConfabSharedCounter) counter = confab_shared_counter_new (relay->bus, "connections",
                                                                          15000);

      confab_listener_share_counts (relay->listener, counter, relay->ip_salt);
    }

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    printf ("listening on http://[%s]:%u\n", relay->host, relay->port);
  else
    printf ("listening on http://%s:%u\n", relay->host, relay->port);
  fflush (stdout);

  return TRUE;
}

void
confab_relay_free (ConfabRelay *relay)
{
  if (relay == NULL)
    return;

  g_clear_pointer (&relay->listener, confab_listener_free);
  g_clear_pointer (&relay->retention, confab_retention_free);
  g_clear_pointer (&relay->targets, confab_targets_free);
  g_clear_pointer (&relay->webhooks, confab_webhooks_free);
  g_clear_pointer (&relay->assistant, confab_assistant_free);
  g_clear_pointer (&relay->assist_requests, confab_rate_limit_free);
  g_clear_pointer (&relay->api_key_requests, confab_rate_limit_free);
  g_clear_pointer (&relay->meta, confab_meta_free);
  g_clear_pointer (&relay->mailer, confab_mailer_free);
  g_clear_pointer (&relay->hub, confab_hub_free);
  g_clear_pointer (&relay->uploads, confab_uploads_free);
  g_clear_pointer (&relay->request_timeouts, g_hash_table_unref);
  confab_http_body_guard_remove (relay);
  confab_metrics_unregister (relay);
  if (relay->server != NULL)
    soup_server_disconnect (relay->server);
  g_clear_object (&relay->server);
  confab_avatars_set_store (NULL);
  g_clear_pointer (&relay->store, confab_store_close);
  g_clear_pointer (&relay->geo, confab_geo_free);
  g_clear_pointer (&relay->login_per_ip, confab_shared_limit_free);
  g_clear_pointer (&relay->login_per_account, confab_shared_limit_free);
  g_clear_pointer (&relay->messages_per_ip, confab_shared_limit_free);
  g_clear_pointer (&relay->typing_per_ip, confab_shared_limit_free);
  g_clear_object (&relay->bus);
  g_clear_pointer (&relay->config, confab_config_free);
  g_free (relay->ip_salt);
  g_free (relay->host);
  g_free (relay);
}

char *
confab_relay_hash_ip (ConfabRelay *relay,
                      const char  *ip)
{
  g_autofree char *salted = g_strconcat (relay->ip_salt, "|", ip ? ip : "", NULL);

  return confab_sha256_hex (salted);
}

void
confab_relay_stop_listening (ConfabRelay *relay)
{
  confab_listener_stop (relay->listener);
}

void
confab_http_rearm_request_timeout (ConfabRelay       *relay,
                                   SoupServerMessage *msg)
{
  arm_request_timeout (relay->server, msg, relay);
}
