/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-metrics.c: GET /metrics in the Prometheus text exposition format, version 0.0.4 */
#define G_LOG_DOMAIN "confab-metrics"

#include "confab-metrics.h"
#include "confab-bus.h"
#include "confab-http.h"
#include "confab-hub.h"
#include "confab-listener.h"

#include <gio/gio.h>
#include <string.h>

#define COUNT(var, n) __atomic_fetch_add (&(var), (n), __ATOMIC_RELAXED)
#define READ(var)     __atomic_load_n (&(var), __ATOMIC_RELAXED)

/* Group commits are milliseconds when the disk is healthy; the upper buckets show a disk or a
 * lock that makes every message wait. */
static const double commit_buckets[] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

/* Close codes are a short, fixed list (docs/protocol-extensions.md); anything past this many
 * distinct ones is counted under code="other". */
#define MAX_CLOSE_CODES 32

static struct {
  guint64 counters[CONFAB_N_METRICS];
  guint64 commit_buckets[G_N_ELEMENTS (commit_buckets) + 1];   /* not cumulative; last: +Inf */
  guint64 commit_sum_us;
  guint64 commit_count;
  struct {
    gushort code;
    guint64 count;
  } closes[MAX_CLOSE_CODES];
  guint   n_closes;
  guint64 closes_other;

  /* HTTP connections: the GSockets libsoup reads requests from, until they are closed, gone
   * or upgraded to a WebSocket (the hub counts those). */
  GHashTable *http_sockets;
} metrics;

void
confab_metrics_inc (ConfabMetric metric)
{
  g_return_if_fail (metric < CONFAB_N_METRICS);

  COUNT (metrics.counters[metric], 1);
}

void
confab_metrics_count_close (gushort code)
{
  /* a close frame without a status: 1005 is the standard's name for that */
  if (code == 0)
    code = 1005;

  for (guint i = 0; i < metrics.n_closes; i++)
    if (metrics.closes[i].code == code)
      {
        metrics.closes[i].count++;
        return;
      }

  if (metrics.n_closes == MAX_CLOSE_CODES)
    {
      metrics.closes_other++;
      return;
    }
  metrics.closes[metrics.n_closes].code = code;
  metrics.closes[metrics.n_closes].count = 1;
  metrics.n_closes++;
}

void
confab_metrics_observe_commit (gint64   duration_us,
                               gboolean committed)
{
  double seconds = MAX (duration_us, 0) / 1e6;
  guint bucket = 0;

  COUNT (metrics.counters[committed ? CONFAB_METRIC_COMMITS : CONFAB_METRIC_COMMIT_FAILURES], 1);

  while (bucket < G_N_ELEMENTS (commit_buckets) && seconds > commit_buckets[bucket])
    bucket++;
  COUNT (metrics.commit_buckets[bucket], 1);
  COUNT (metrics.commit_sum_us, (guint64) MAX (duration_us, 0));
  COUNT (metrics.commit_count, 1);
}

/* --- rendering --- */

static void
family (GString    *out,
        const char *name,
        const char *type,
        const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample (GString    *out,
        const char *name,
        const char *labels,
        guint64     value)
{
  if (labels != NULL)
    g_string_append_printf (out, "%s{%s} %" G_GUINT64_FORMAT "\n", name, labels, value);
  else
    g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

static void
counter (GString      *out,
         const char   *label,
         ConfabMetric  metric,
         const char   *name)
{
  sample (out, name, label, READ (metrics.counters[metric]));
}

static guint
count_http_connections (void)
{
  GHashTableIter iter;
  gpointer socket;
  guint n = 0;

  if (metrics.http_sockets == NULL)
    return 0;

  g_hash_table_iter_init (&iter, metrics.http_sockets);
  while (g_hash_table_iter_next (&iter, &socket, NULL))
    n += !g_socket_is_closed (socket);
  return n;
}

char *
confab_metrics_render (ConfabRelay *relay)
{
  GString *out = g_string_sized_new (4096);
  guint visitors = 0, agents = 0;
  guint64 queued = 0, cumulative = 0;
  char bound[G_ASCII_DTOSTR_BUF_SIZE];

  if (relay->hub != NULL)
    confab_hub_get_stats (relay->hub, &visitors, &agents, &queued);

  family (out, "confab_connections", "gauge", "Open connections by kind.");
  sample (out, "confab_connections", "kind=\"visitor\"", visitors);
  sample (out, "confab_connections", "kind=\"agent\"", agents);
  sample (out, "confab_connections", "kind=\"http\"", count_http_connections ());

  family (out, "confab_send_queue_bytes", "gauge",
          "Bytes queued to WebSocket clients and not yet acknowledged by their TCP, all together.");
  sample (out, "confab_send_queue_bytes", NULL, queued);

  family (out, "confab_messages_in_total", "counter",
          "Chat messages accepted from clients, by sender.");
  counter (out, "sender=\"visitor\"", CONFAB_METRIC_MESSAGES_IN_VISITOR, "confab_messages_in_total");
  counter (out, "sender=\"agent\"", CONFAB_METRIC_MESSAGES_IN_AGENT, "confab_messages_in_total");

  family (out, "confab_websocket_frames_total", "counter",
          "WebSocket data frames, received (in) and sent (out).");
  counter (out, "direction=\"in\"", CONFAB_METRIC_FRAMES_IN, "confab_websocket_frames_total");
  counter (out, "direction=\"out\"", CONFAB_METRIC_FRAMES_OUT, "confab_websocket_frames_total");

  family (out, "confab_websocket_closes_total", "counter",
          "Close frames the relay sent, by close code.");
  for (guint i = 0; i < metrics.n_closes; i++)
    {
      g_autofree char *label = g_strdup_printf ("code=\"%u\"", metrics.closes[i].code);
      sample (out, "confab_websocket_closes_total", label, metrics.closes[i].count);
    }
  if (metrics.closes_other > 0)
    sample (out, "confab_websocket_closes_total", "code=\"other\"", metrics.closes_other);

  family (out, "confab_store_commits_total", "counter",
          "Group commits, by result (failed: the batch was rolled back and its senders told).");
  counter (out, "result=\"ok\"", CONFAB_METRIC_COMMITS, "confab_store_commits_total");
  counter (out, "result=\"failed\"", CONFAB_METRIC_COMMIT_FAILURES, "confab_store_commits_total");

  family (out, "confab_store_commit_seconds", "histogram", "How long each group commit took.");
  for (guint i = 0; i <= G_N_ELEMENTS (commit_buckets); i++)
    {
      g_autofree char *label = NULL;

      cumulative += READ (metrics.commit_buckets[i]);
      if (i < G_N_ELEMENTS (commit_buckets))
        label = g_strdup_printf ("le=\"%s\"",
                                 g_ascii_formatd (bound, sizeof bound, "%g", commit_buckets[i]));
      else
        label = g_strdup ("le=\"+Inf\"");
      sample (out, "confab_store_commit_seconds_bucket", label, cumulative);
    }
  g_string_append_printf (out, "confab_store_commit_seconds_sum %s\n",
                          g_ascii_formatd (bound, sizeof bound, "%.6f",
                                           READ (metrics.commit_sum_us) / 1e6));
  /* the buckets' total, so that count equals the +Inf bucket even mid-update */
  sample (out, "confab_store_commit_seconds_count", NULL, cumulative);

  family (out, "confab_store_errors_total", "counter",
          "Requests and frames answered internal_error because the store failed.");
  counter (out, NULL, CONFAB_METRIC_STORE_ERRORS, "confab_store_errors_total");

  family (out, "confab_rate_limited_total", "counter", "Requests and frames refused by a rate limit.");
  counter (out, "limit=\"login\"", CONFAB_METRIC_RATE_LIMITED_LOGIN, "confab_rate_limited_total");
  counter (out, "limit=\"upload\"", CONFAB_METRIC_RATE_LIMITED_UPLOAD, "confab_rate_limited_total");
  counter (out, "limit=\"http\"", CONFAB_METRIC_RATE_LIMITED_HTTP, "confab_rate_limited_total");
  counter (out, "limit=\"visitor_frame\"", CONFAB_METRIC_RATE_LIMITED_VISITOR, "confab_rate_limited_total");
  counter (out, "limit=\"agent_frame\"", CONFAB_METRIC_RATE_LIMITED_AGENT, "confab_rate_limited_total");

  family (out, "confab_uploads_refused_total", "counter", "Uploads refused, by reason.");
  counter (out, "reason=\"too_large\"", CONFAB_METRIC_UPLOADS_REFUSED_TOO_LARGE, "confab_uploads_refused_total");
  counter (out, "reason=\"unsupported_type\"", CONFAB_METRIC_UPLOADS_REFUSED_TYPE, "confab_uploads_refused_total");
  counter (out, "reason=\"invalid\"", CONFAB_METRIC_UPLOADS_REFUSED_INVALID, "confab_uploads_refused_total");
  counter (out, "reason=\"rate_limited\"", CONFAB_METRIC_UPLOADS_REFUSED_RATE, "confab_uploads_refused_total");
  counter (out, "reason=\"denied\"", CONFAB_METRIC_UPLOADS_REFUSED_DENIED, "confab_uploads_refused_total");
  counter (out, "reason=\"no_space\"", CONFAB_METRIC_UPLOADS_REFUSED_NO_SPACE, "confab_uploads_refused_total");
  counter (out, "reason=\"error\"", CONFAB_METRIC_UPLOADS_REFUSED_ERROR, "confab_uploads_refused_total");

  /* Which relay this is (a label to join on), and its link to the others. */
  family (out, "confab_relay_info", "gauge", "Always 1; node is this relay's [cluster] node-name.");
  {
    g_autofree char *escaped = g_strescape (relay->bus != NULL ? confab_bus_get_node_name (relay->bus)
                                                               : relay->config->cluster_node_name, NULL);
    g_autofree char *label = g_strdup_printf ("node=\"%s\"", escaped);

    sample (out, "confab_relay_info", label, 1);
  }
  if (relay->bus != NULL)
    {
      ConfabBusStats stats;

      confab_bus_get_stats (relay->bus, &stats);
      family (out, "confab_cluster_connected", "gauge",
              "1 while the Redis link to the other relays is up.");
      sample (out, "confab_cluster_connected", NULL, confab_bus_is_connected (relay->bus));
      family (out, "confab_cluster_frames_total", "counter",
              "Frames on the Redis bus: published, refused (link down or Redis behind: the others read the log), received.");
      sample (out, "confab_cluster_frames_total", "event=\"published\"", stats.published);
      sample (out, "confab_cluster_frames_total", "event=\"refused\"", stats.refused);
      sample (out, "confab_cluster_frames_total", "event=\"received\"", stats.received);
      family (out, "confab_cluster_gaps_total", "counter",
              "Holes seen in other relays' frame sequences (each re-reads the log).");
      sample (out, "confab_cluster_gaps_total", NULL, stats.gaps);
      family (out, "confab_cluster_links_lost_total", "counter", "Times the Redis link went down.");
      sample (out, "confab_cluster_links_lost_total", NULL, stats.links_lost);
    }

  family (out, "confab_http_responses_total", "counter", "HTTP responses, by status class.");
  counter (out, "code=\"2xx\"", CONFAB_METRIC_HTTP_2XX, "confab_http_responses_total");
  counter (out, "code=\"3xx\"", CONFAB_METRIC_HTTP_3XX, "confab_http_responses_total");
  counter (out, "code=\"4xx\"", CONFAB_METRIC_HTTP_4XX, "confab_http_responses_total");
  counter (out, "code=\"5xx\"", CONFAB_METRIC_HTTP_5XX, "confab_http_responses_total");

  family (out, "confab_assistant_failures_total", "counter",
          "Assistant and agent-assist calls to the model that failed (unreachable, timeout, HTTP "
          "error, malformed stream).");
  counter (out, NULL, CONFAB_METRIC_ASSISTANT_FAILURES, "confab_assistant_failures_total");

  return g_string_free (out, FALSE);
}

/* --- who may read them --- */

/* An IPv4 peer of a socket listening on [::] looks like ::ffff:a.b.c.d. */
static GInetAddress *
unmap_v4 (GInetAddress *address)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes;

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_object_ref (address);

  bytes = g_inet_address_to_bytes (address);
  if (memcmp (bytes, prefix, sizeof prefix) != 0)
    return g_object_ref (address);

  return g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
}

gboolean
confab_metrics_peer_allowed (const ConfabConfig *config,
                             GInetAddress       *peer)
{
  g_autoptr (GInetAddress) address = NULL;

  if (peer == NULL)
    return FALSE;

  address = unmap_v4 (peer);
  for (guint i = 0; config->metrics_allow[i] != NULL; i++)
    {
      g_autoptr (GInetAddressMask) mask = g_inet_address_mask_new_from_string (config->metrics_allow[i],
                                                                               NULL);

      if (mask != NULL && g_inet_address_mask_matches (mask, address))
        return TRUE;
    }

  return FALSE;
}

static void
handle_metrics (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GInetAddress *peer = NULL;
  g_autofree char *text = NULL;
  gsize len;

  if (strcmp (path, "/metrics") != 0 || !relay->config->metrics_enabled)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                              "There is nothing at this address");

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET &&
      soup_server_message_get_method (msg) != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, HEAD");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "Use GET");
    }

  /* The TCP peer decides, never X-Forwarded-For; and a request that came through a proxy
   * (a reverse proxy on this host connects from loopback) is someone else's. */
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    peer = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (!confab_metrics_peer_allowed (relay->config, peer) ||
      soup_message_headers_get_one (headers, "X-Forwarded-For") != NULL ||
      soup_message_headers_get_one (headers, "Forwarded") != NULL ||
      soup_message_headers_get_one (headers, "X-Real-IP") != NULL)
    return confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                              "Metrics are served only to the addresses in [metrics] allow, "
                              "directly (not through a proxy)");

  text = confab_metrics_render (relay);
  len = strlen (text);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&text), len);
}

/* --- HTTP connections and responses --- */

static void
socket_gone (gpointer  data,
             GObject  *where_the_socket_was)
{
  if (metrics.http_sockets != NULL)
    g_hash_table_remove (metrics.http_sockets, where_the_socket_was);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  GSocket *socket = confab_listener_message_socket (msg);

  if (socket != NULL && g_hash_table_add (metrics.http_sockets, socket))
    g_object_weak_ref (G_OBJECT (socket), socket_gone, NULL);
}

static void
forget_socket (GSocket *socket)
{
  if (g_hash_table_remove (metrics.http_sockets, socket))
    g_object_weak_unref (G_OBJECT (socket), socket_gone, NULL);
}

/* An upgraded connection is the hub's (confab-websocket.c steals it once the 101 is out, and
 * no request-finished follows): it stops being an HTTP connection there. */
static void
on_wrote_informational (SoupServerMessage *msg,
                        gpointer           user_data)
{
  GSocket *socket = confab_listener_message_socket (msg);

  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS && socket != NULL)
    forget_socket (socket);
}

static void
on_request_read (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_header_contains (headers, "Upgrade", "websocket"))
    g_signal_connect (msg, "wrote-informational", G_CALLBACK (on_wrote_informational), NULL);
}

static ConfabMetric
upload_refusal (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      return CONFAB_METRIC_UPLOADS_REFUSED_TOO_LARGE;
    case SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE:
      return CONFAB_METRIC_UPLOADS_REFUSED_TYPE;
    case SOUP_STATUS_BAD_REQUEST:
      return CONFAB_METRIC_UPLOADS_REFUSED_INVALID;
    case 429:
      return CONFAB_METRIC_UPLOADS_REFUSED_RATE;
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_FORBIDDEN:
    case SOUP_STATUS_NOT_FOUND:
      return CONFAB_METRIC_UPLOADS_REFUSED_DENIED;
    case SOUP_STATUS_INSUFFICIENT_STORAGE:
      return CONFAB_METRIC_UPLOADS_REFUSED_NO_SPACE;
    default:
      return CONFAB_METRIC_UPLOADS_REFUSED_ERROR;
    }
}

/* Counts every answer by status class, and from the status alone the refusals a handler
 * made: no handler needs a line of its own for them. */
static void
on_request_finished (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  guint status = soup_server_message_get_status (msg);
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  gboolean upload;

  if (status == SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;

  if (status >= 200 && status < 600)
    confab_metrics_inc (CONFAB_METRIC_HTTP_2XX + (status / 100 - 2));

  upload = g_str_has_prefix (path, "/api/v1/uploads") &&
           soup_server_message_get_method (msg) == SOUP_METHOD_POST;

  if (status == 429)
    {
      if (strcmp (path, "/api/v1/auth/login") == 0)
        confab_metrics_inc (CONFAB_METRIC_RATE_LIMITED_LOGIN);
      else if (upload)
        confab_metrics_inc (CONFAB_METRIC_RATE_LIMITED_UPLOAD);
      else
        confab_metrics_inc (CONFAB_METRIC_RATE_LIMITED_HTTP);
    }

  if (upload && status >= 400)
    confab_metrics_inc (upload_refusal (status));
}

void
confab_metrics_register (ConfabRelay *relay)
{
  if (metrics.http_sockets == NULL)
    metrics.http_sockets = g_hash_table_new (NULL, NULL);

  soup_server_add_handler (relay->server, "/metrics", handle_metrics, relay, NULL);
  g_signal_connect (relay->server, "request-started", G_CALLBACK (on_request_started), relay);
  g_signal_connect (relay->server, "request-read", G_CALLBACK (on_request_read), relay);
  g_signal_connect (relay->server, "request-finished", G_CALLBACK (on_request_finished), relay);
}

void
confab_metrics_unregister (ConfabRelay *relay)
{
  GHashTableIter iter;
  gpointer socket;

  if (relay->server != NULL)
    {
      g_signal_handlers_disconnect_by_func (relay->server, on_request_started, relay);
      g_signal_handlers_disconnect_by_func (relay->server, on_request_read, relay);
      g_signal_handlers_disconnect_by_func (relay->server, on_request_finished, relay);
    }

  if (metrics.http_sockets == NULL)
    return;
  g_hash_table_iter_init (&iter, metrics.http_sockets);
  while (g_hash_table_iter_next (&iter, &socket, NULL))
    g_object_weak_unref (socket, socket_gone, NULL);
  g_clear_pointer (&metrics.http_sockets, g_hash_table_unref);
}
