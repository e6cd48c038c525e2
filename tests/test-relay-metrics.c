/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-metrics.c: GET /metrics against a real relay — the text format, counters that
 * move with real traffic, and who may read it (the TCP peer, never a forwarded address).
 */

#include "relay-harness.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

/* --- the exposition format, version 0.0.4 --- */

static gboolean
is_metric_name (const char *name,
                gsize       len)
{
  if (len == 0 || !(g_ascii_isalpha (name[0]) || name[0] == '_' || name[0] == ':'))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!(g_ascii_isalnum (name[i]) || name[i] == '_' || name[i] == ':'))
      return FALSE;
  return TRUE;
}

/* The family a sample belongs to: a histogram's _bucket, _sum and _count are its own. */
static char *
family_of (GHashTable *types,
           const char *name)
{
  static const char *suffixes[] = { "_bucket", "_sum", "_count" };

  if (g_hash_table_contains (types, name))
    return g_strdup (name);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      {
        g_autofree char *base = g_strndup (name, strlen (name) - strlen (suffixes[i]));

        if (g_strcmp0 (g_hash_table_lookup (types, base), "histogram") == 0)
          return g_steal_pointer (&base);
      }
  return NULL;
}

/* Parses @text, asserting that every line is a HELP, a TYPE or a sample of a declared family,
 * that counters end in _total, and that every histogram's buckets are cumulative, end in +Inf
 * and agree with its _count. Returns "name{labels}" → double. */
static GHashTable *
parse_metrics (const char *text)
{
  g_autoptr(GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) last_bucket = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable *samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n_samples = 0;

  g_assert_true (g_str_has_suffix (text, "\n"));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *space, *brace, *value_text;
      g_autofree char *name = NULL;
      g_autofree char *family = NULL;
      g_autofree char *key = NULL;
      char *end = NULL;
      double value;

      if (*line == '\0')
        {
          g_assert_null (lines[i + 1]);   /* only the text's final newline */
          break;
        }

      if (g_str_has_prefix (line, "# HELP "))
        {
          space = strchr (line + 7, ' ');
          g_assert_nonnull (space);
          g_assert_true (is_metric_name (line + 7, space - line - 7));
          g_assert_cmpuint (strlen (space + 1), >, 0);
          continue;
        }
      if (g_str_has_prefix (line, "# TYPE "))
        {
          g_auto(GStrv) parts = g_strsplit (line + 7, " ", -1);

          g_assert_cmpuint (g_strv_length (parts), ==, 2);
          g_assert_true (is_metric_name (parts[0], strlen (parts[0])));
          g_assert_true (g_strv_contains ((const char * const[]) { "counter", "gauge", "histogram", NULL },
                                          parts[1]));
          g_assert_false (g_hash_table_contains (types, parts[0]));
          if (strcmp (parts[1], "counter") == 0)
            g_assert_true (g_str_has_suffix (parts[0], "_total"));
          g_hash_table_insert (types, g_strdup (parts[0]), g_strdup (parts[1]));
          continue;
        }
      g_assert_false (line[0] == '#');

      /* name, optional {k="v",...}, one space, a number */
      brace = strchr (line, '{');
      space = strchr (line, ' ');
      g_assert_nonnull (space);
      if (brace != NULL && brace < space)
        {
          const char *close = strchr (brace, '}');
          const char *p = brace + 1;

          g_assert_nonnull (close);
          name = g_strndup (line, brace - line);
          while (p < close)
            {
              const char *eq = strchr (p, '=');

              g_assert_true (eq != NULL && eq < close);
              g_assert_true (is_metric_name (p, eq - p));
              g_assert_cmpint (eq[1], ==, '"');
              p = strchr (eq + 2, '"');
              g_assert_true (p != NULL && p < close);
              p++;
              if (*p == ',')
                p++;
            }
          g_assert_true (p == close);
          g_assert_cmpint (close[1], ==, ' ');
          value_text = close + 2;
          key = g_strndup (line, close + 1 - line);
        }
      else
        {
          name = g_strndup (line, space - line);
          value_text = space + 1;
          key = g_strdup (name);
        }
      g_assert_true (is_metric_name (name, strlen (name)));
      value = g_ascii_strtod (value_text, &end);
      g_assert_true (end != value_text && *end == '\0');
      g_assert_cmpfloat (value, >=, 0);

      family = family_of (types, name);
      if (family == NULL)
        g_error ("sample of an undeclared family: %s", line);

      if (g_str_has_suffix (name, "_bucket"))
        {
          double *previous = g_hash_table_lookup (last_bucket, family);

          g_assert_nonnull (strstr (key, "le=\""));
          if (previous != NULL)
            g_assert_cmpfloat (value, >=, *previous);
          g_hash_table_insert (last_bucket, g_strdup (family), g_memdup2 (&value, sizeof value));
        }

      g_assert_false (g_hash_table_contains (samples, key));
      g_hash_table_insert (samples, g_steal_pointer (&key), g_memdup2 (&value, sizeof value));
      n_samples++;
    }

  /* every histogram: a +Inf bucket equal to _count, and a _sum */
  {
    GHashTableIter iter;
    gpointer family, type;

    g_hash_table_iter_init (&iter, types);
    while (g_hash_table_iter_next (&iter, &family, &type))
      {
        g_autofree char *inf = NULL, *count = NULL, *sum = NULL;
        double *inf_value, *count_value;

        if (strcmp (type, "histogram") != 0)
          continue;
        inf = g_strdup_printf ("%s_bucket{le=\"+Inf\"}", (char *) family);
        count = g_strdup_printf ("%s_count", (char *) family);
        sum = g_strdup_printf ("%s_sum", (char *) family);
        inf_value = g_hash_table_lookup (samples, inf);
        count_value = g_hash_table_lookup (samples, count);
        g_assert_nonnull (inf_value);
        g_assert_nonnull (count_value);
        g_assert_cmpfloat (*inf_value, ==, *count_value);
        g_assert_true (g_hash_table_contains (samples, sum));
      }
  }

  g_assert_cmpuint (n_samples, >, 10);
  return samples;
}

static double
metric (GHashTable *samples,
        const char *key)
{
  double *value = g_hash_table_lookup (samples, key);

  if (value == NULL)
    return 0;   /* a labelled counter that has not happened yet has no sample */
  return *value;
}

static GHashTable *
scrape (TestRelay *relay)
{
  g_autoptr(TestResponse) response = test_http (relay, "GET", "/metrics", NULL, NULL, NULL);
  g_autofree char *text = NULL;

  test_assert_http_status (response, 200);
  g_assert_true (g_str_has_prefix (test_response_header (response, "Content-Type"),
                                   "text/plain; version=0.0.4"));
  text = test_response_text (response);
  return parse_metrics (text);
}

#define assert_grew(before, after, key, by) \
  g_assert_cmpfloat (metric ((after), (key)) - metric ((before), (key)), >=, (by))

static void
test_counters_move (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[limits]\nmessages-per-minute=3\n"
                                               "bad-frames-before-close=2\n",
                                               TEST_WORLD_DEFAULT);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(TestWs) rude = NULL;
  g_autofree char *conversation_id = NULL;
  gboolean limited = FALSE;

  before = scrape (world->relay);
  g_assert_cmpfloat (metric (before, "confab_connections{kind=\"visitor\"}"), ==, 1);
  g_assert_cmpfloat (metric (before, "confab_connections{kind=\"agent\"}"), ==, 1);
  /* this scrape's own connection at least */
  g_assert_cmpfloat (metric (before, "confab_connections{kind=\"http\"}"), >=, 1);

  /* WebSockets are counted as such, not as HTTP connections too */
  {
    g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free);
    g_autoptr(GHashTable) more = NULL;

    for (guint i = 0; i < 10; i++)
      g_ptr_array_add (sockets, test_ws_widget (world->relay, world->site_key));
    more = scrape (world->relay);
    g_assert_cmpfloat (metric (more, "confab_connections{kind=\"visitor\"}"), ==, 11);
    g_assert_cmpfloat (metric (more, "confab_connections{kind=\"http\"}") -
                       metric (before, "confab_connections{kind=\"http\"}"), <, 5);
  }
  test_sleep_ms (200);   /* the ten are gone again */

  /* a visitor message: in, committed, out to the agent */
  test_visitor_say (world->visitor, "hello metrics", &conversation_id);
  {
    g_autoptr(JsonObject) message = test_ws_wait_for (world->agent, "message", TEST_TIMEOUT_MS);
  }

  /* a rate-limit refusal: more messages than the minute allows */
  for (guint i = 0; i < 5 && !limited; i++)
    {
      g_autofree char *client_id = test_client_id ();
      g_autoptr(JsonObject) frame = NULL;

      test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','body':'again %u'}",
                     client_id, i);
      frame = test_ws_next (world->visitor, TEST_TIMEOUT_MS);
      while (frame != NULL && strcmp (test_obj_string (frame, "type"), "error") != 0 &&
             strcmp (test_obj_string (frame, "type"), "ack") != 0)
        {
          g_clear_pointer (&frame, json_object_unref);
          frame = test_ws_next (world->visitor, TEST_TIMEOUT_MS);
        }
      g_assert_nonnull (frame);
      limited = g_strcmp0 (test_obj_string (frame, "type"), "error") == 0 &&
                g_strcmp0 (test_obj_string (frame, "code"), "rate_limited") == 0;
    }
  g_assert_true (limited);

  /* an upload refusal: neither an image nor a file the relay takes (a PDF is one since issue 14) */
  {
    static const char program[] = "\x7f" "ELF\x02\x01\x01\x00\x00\xff\xfe";
    g_autoptr(GBytes) body = g_bytes_new_static (program, sizeof program - 1);
    g_autofree char *path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s", conversation_id);
    g_autoptr(TestResponse) refused = test_http_bytes (world->relay, "POST", path, world->token,
                                                       body, "image/png", NULL);

    test_assert_http_error (refused, 415, "unsupported_media_type");
  }

  /* a close: a second visitor sends bad frames until it is closed with 1008 */
  rude = test_ws_widget (world->relay, world->site_key);
  test_ws_send (rude, "not json");
  test_ws_send (rude, "still not json");
  g_assert_cmpuint (test_ws_wait_closed (rude, TEST_TIMEOUT_MS), ==, 1008);

  after = scrape (world->relay);
  assert_grew (before, after, "confab_messages_in_total{sender=\"visitor\"}", 2);
  assert_grew (before, after, "confab_store_commits_total{result=\"ok\"}", 1);
  assert_grew (before, after, "confab_store_commit_seconds_count", 1);
  assert_grew (before, after, "confab_store_commit_seconds_bucket{le=\"+Inf\"}", 1);
  g_assert_cmpfloat (metric (after, "confab_store_commit_seconds_sum"), >, 0);
  assert_grew (before, after, "confab_websocket_frames_total{direction=\"in\"}", 5);
  assert_grew (before, after, "confab_websocket_frames_total{direction=\"out\"}", 3);
  assert_grew (before, after, "confab_rate_limited_total{limit=\"visitor_frame\"}", 1);
  assert_grew (before, after, "confab_uploads_refused_total{reason=\"unsupported_type\"}", 1);
  assert_grew (before, after, "confab_websocket_closes_total{code=\"1008\"}", 1);
  assert_grew (before, after, "confab_http_responses_total{code=\"2xx\"}", 1);
  assert_grew (before, after, "confab_http_responses_total{code=\"4xx\"}", 1);
  g_assert_cmpfloat (metric (after, "confab_store_errors_total"), ==, 0);
  /* the rude visitor is gone again */
  g_assert_cmpfloat (metric (after, "confab_connections{kind=\"visitor\"}"), ==, 1);
  g_assert_cmpfloat (metric (after, "confab_connections{kind=\"agent\"}"), ==, 1);

  /* a login refusal counts as a login limit */
  {
    g_autoptr(TestRelay) relay = test_relay_new ("[limits]\nlogins-per-minute-per-account=1\n");
    g_autoptr(GHashTable) limits = NULL;

    test_relay_start (relay);
    for (guint i = 0; i < 2; i++)
      {
        g_autoptr(TestResponse) response = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                                                      "{\"email\":\"x@example.org\",\"password\":\"y\"}",
                                                      NULL);
        g_assert_cmpuint (response->status, ==, i == 0 ? 401 : 429);
      }
    limits = scrape (relay);
    g_assert_cmpfloat (metric (limits, "confab_rate_limited_total{limit=\"login\"}"), ==, 1);
  }
}

/* --- who may read them --- */

static guint16
relay_port (TestRelay *relay)
{
  const char *colon = strrchr (test_relay_base_url (relay), ':');

  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

/* GET /metrics over a TCP connection from @source (a loopback address of our choosing: the
 * relay sees it as the peer); returns the status and the body in @out_body. */
static guint
get_from (TestRelay   *relay,
          const char  *source,
          const char  *extra_headers,
          char       **out_body)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) from = g_inet_address_new_from_string (source);
  g_autoptr(GInetAddress) to = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (from, 0);
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new (to, relay_port (relay));
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  char buf[4096];
  gssize n;
  guint status = 0;
  const char *body;

  g_socket_set_timeout (socket, 5);
  g_assert_true (g_socket_bind (socket, local, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, remote, NULL, &error));
  request = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "%s\r\n", extra_headers ? extra_headers : "");
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   (gssize) strlen (request));
  while ((n = g_socket_receive (socket, buf, sizeof buf, NULL, &error)) > 0)
    g_string_append_len (answer, buf, n);
  g_assert_no_error (error);

  g_assert_true (sscanf (answer->str, "HTTP/1.1 %u ", &status) == 1);
  body = strstr (answer->str, "\r\n\r\n");
  g_assert_nonnull (body);
  *out_body = g_strdup (body + 4);
  return status;
}

static void
assert_refused (TestRelay  *relay,
                const char *source,
                const char *extra_headers)
{
  g_autofree char *body = NULL;

  g_test_message ("from %s with %s", source, extra_headers ? extra_headers : "no headers");
  g_assert_cmpuint (get_from (relay, source, extra_headers, &body), ==, 403);
  g_assert_nonnull (strstr (body, "{\"error\":{\"code\":\"forbidden\""));
  g_assert_null (strstr (body, "confab_"));
}

static void
assert_served (TestRelay  *relay,
               const char *source)
{
  g_autofree char *body = NULL;
  g_autoptr(GHashTable) samples = NULL;

  g_test_message ("from %s", source);
  g_assert_cmpuint (get_from (relay, source, NULL, &body), ==, 200);
  samples = parse_metrics (body);
}

static void
test_peers (void)
{
  g_autoptr(TestRelay) relay = NULL;

  /* By default: loopback peers, straight to the relay. */
  relay = test_relay_new ("[relay]\ntrusted-proxies=127.0.0.1;127.0.0.3\n");
  test_relay_start (relay);
  assert_served (relay, "127.0.0.1");
  assert_served (relay, "127.0.0.3");
  /* a reverse proxy on this host forwards the public from loopback: not theirs to read */
  assert_refused (relay, "127.0.0.1", "X-Forwarded-For: 203.0.113.9\r\n");
  assert_refused (relay, "127.0.0.3", "X-Forwarded-For: 127.0.0.1\r\n");
  assert_refused (relay, "127.0.0.1", "Forwarded: for=203.0.113.9\r\n");
  g_clear_pointer (&relay, test_relay_free);

  /* [metrics] allow replaces the default: the TCP peer must be in it, whatever a trusted
   * proxy says the client was. */
  relay = test_relay_new ("[relay]\ntrusted-proxies=127.0.0.3\n"
                          "[metrics]\nallow=127.0.0.2;127.0.1.0/24\n");
  test_relay_start (relay);
  assert_served (relay, "127.0.0.2");
  assert_served (relay, "127.0.1.77");
  assert_refused (relay, "127.0.0.1", NULL);
  assert_refused (relay, "127.0.0.3", NULL);
  assert_refused (relay, "127.0.0.3", "X-Forwarded-For: 127.0.0.2\r\n");
  g_clear_pointer (&relay, test_relay_free);

  /* Turned off: not there at all. */
  relay = test_relay_new ("[metrics]\nenabled=false\n");
  test_relay_start (relay);
  {
    g_autoptr(TestResponse) response = test_http (relay, "GET", "/metrics", NULL, NULL, NULL);
    test_assert_http_error (response, 404, "not_found");
  }
  g_clear_pointer (&relay, test_relay_free);

  /* A bad allow entry stops the relay at start with a clear message. */
  relay = test_relay_new ("[metrics]\nallow=localhost\n");
  {
    g_autofree char *config = g_build_filename (test_relay_tmp_dir (relay), "bad.conf", NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    const char *argv[] = { g_getenv ("CONFAB_RELAY"), "--config", config, "--listen", "127.0.0.1:0",
                           "--data-dir", test_relay_tmp_dir (relay), NULL };

    g_assert_true (g_file_set_contents (config, "[metrics]\nallow=localhost\n", -1, NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &out, &err, &status, NULL));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "[metrics] allow"));
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/metrics/counters-move", test_counters_move);
  test_harness_add ("/relay/metrics/peers", test_peers);

  return g_test_run ();
}
