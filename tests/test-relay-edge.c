/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-edge.c: the relay's HTTP edge under hostile load — body bombs, malformed lengths,
 * descriptor exhaustion, connection caps, the open files limit */
#define G_LOG_DOMAIN "test-relay-edge"
#define _GNU_SOURCE /* prlimit() */

#include "relay-raw.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#define BOMB_BYTES     (300 * 1024 * 1024)
#define BOMB_LENGTH    314572800 /* the same, as a Content-Length */
#define PIECE_BYTES    (64 * 1024)
/* The refusal must come long before the body is in: at the headers for a Content-Length, at
 * the limit for a chunked body; what the kernels buffer and the relay drains while it lets
 * the answer reach the client comes on top. */
#define EARLY_BYTES    (48 * 1024 * 1024)
#define RSS_BOUND_KIB  (160 * 1024)
#define RSS_GROWTH_KIB (32 * 1024)
#define BOMB_WALL_S    30

/* VmHWM: the peak resident size of @pid, in KiB (0 when unknown). */
static guint64
peak_rss_kib (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  line = strstr (text, "VmHWM:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

/* Reads what is there into @answer; FALSE once the peer closed or reset. */
static gboolean
read_available (RawConn *conn,
                GString *answer,
                guint    timeout_ms)
{
  guint8 buf[4096];
  gsize got = 0;
  RawResult result;

  while ((result = raw_recv (conn, buf, sizeof buf, &got, timeout_ms)) == RAW_DATA)
    {
      g_string_append_len (answer, (const char *) buf, got);
      timeout_ms = 0;
    }
  return result == RAW_TIMEOUT;
}

/* Reads until the peer closes (or @timeout_ms). */
static void
read_to_end (RawConn *conn,
             GString *answer,
             guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    if (!read_available (conn, answer, 100))
      return;
}

/* One request on a connection of its own ("Connection: close"), the whole answer. */
static char *
raw_request (TestRelay  *relay,
             const char *request)
{
  g_autoptr (RawConn) conn = raw_connect (relay, 0);
  GString *answer = g_string_new (NULL);

  g_assert_true (raw_send (conn, request, strlen (request)));
  read_to_end (conn, answer, 5000);
  return g_string_free (answer, FALSE);
}

static void
assert_healthy (TestRelay *relay)
{
  g_autofree char *answer = raw_request (relay, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                "Connection: close\r\n\r\n");

  if (!g_str_has_prefix (answer, "HTTP/1.1 200"))
    g_error ("/healthz did not answer 200: “%s”", answer);
}

/* Once connections were closed by the client, the relay needs a moment to see it: asks
 * /healthz until it answers 200, for up to 5 s. */
static void
await_healthy (TestRelay *relay)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  for (;;)
    {
      g_autofree char *answer = raw_request (relay, "GET /healthz HTTP/1.1\r\n"
                                                    "Host: 127.0.0.1\r\n"
                                                    "Connection: close\r\n\r\n");

      if (g_str_has_prefix (answer, "HTTP/1.1 200"))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("/healthz did not answer 200: “%s”", answer);
      test_sleep_ms (100);
    }
}

static void
assert_json_error (const char *answer,
                   const char *status_line,
                   const char *code)
{
  const char *body = strstr (answer, "\r\n\r\n");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;

  if (!g_str_has_prefix (answer, status_line))
    g_error ("expected “%s”, got “%.300s”", status_line, answer);
  g_assert_nonnull (body);
  json_parser_load_from_data (parser, body + 4, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "error"),
                                                  "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (root, "error"),
                                                   "message"));
}

/* Sends a 300 MB body (by Content-Length or chunked) and stops as soon as an answer comes or
 * the connection ends; asserts an answer (413 unless @status_line and @code say otherwise)
 * that came early, and the relay's peak memory. */
static void
body_bomb_full (TestRelay  *relay,
                guint64     start_kib,
                const char *method,
                const char *path,
                const char *token,
                gboolean    chunked,
                const char *status_line,
                const char *code)
{
  g_autoptr (RawConn) conn = raw_connect (relay, 0);
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autofree char *auth = token ? g_strdup_printf ("Authorization: Bearer %s\r\n", token)
                                : g_strdup ("");
  g_autofree char *head = NULL;
  g_autofree char *piece = g_malloc (PIECE_BYTES);
  g_autofree char *chunk_head = g_strdup_printf ("%x\r\n", PIECE_BYTES);
  gint64 deadline = g_get_monotonic_time () + BOMB_WALL_S * G_TIME_SPAN_SECOND;
  gsize sent = 0;
  int pid = raw_relay_pid (relay);
  guint64 peak;

  g_assert_cmpint (pid, >, 0);
  memset (piece, 'a', PIECE_BYTES);
  head = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\n%s%s%s\r\n",
                          method, path, auth,
                          chunked ? "Transfer-Encoding: chunked\r\n" : "",
                          chunked ? "" : "Content-Length: " G_STRINGIFY (BOMB_LENGTH) "\r\n");
  g_assert_true (raw_send (conn, head, strlen (head)));

  while (sent < BOMB_BYTES && g_get_monotonic_time () < deadline)
    {
      if (chunked && !raw_send (conn, chunk_head, strlen (chunk_head)))
        break;
      if (!raw_send (conn, piece, PIECE_BYTES))
        break;
      if (chunked && !raw_send (conn, "\r\n", 2))
        break;
      sent += PIECE_BYTES;
      if (!read_available (conn, answer, 0) || strstr (answer->str, "\r\n\r\n") != NULL)
        break;
    }
  read_to_end (conn, answer, 3000);

  peak = peak_rss_kib (pid);
  g_test_message ("%s %s (%s): answered after %zu bytes sent; relay peak RSS %" G_GUINT64_FORMAT
                  " KiB", method, path, chunked ? "chunked" : "Content-Length", sent, peak);
  g_assert_cmpuint (sent, <, EARLY_BYTES);
  g_assert_cmpuint (peak, >, 0);
  /* what the relay had mapped at start (the geolocation database, most of it) is not ours */
  g_assert_cmpuint (peak - start_kib, <, RSS_GROWTH_KIB);
  g_assert_cmpuint (peak, <, RSS_BOUND_KIB);
  assert_json_error (answer->str, status_line, code);
  g_assert_nonnull (strstr (answer->str, "Connection: close"));

  assert_healthy (relay);
}

static guint64 bomb_start_kib;

static void
body_bomb (TestRelay  *relay,
           const char *method,
           const char *path,
           const char *token,
           gboolean    chunked)
{
  body_bomb_full (relay, bomb_start_kib, method, path, token, chunked, "HTTP/1.1 413",
                  "too_large");
}

static void
test_body_bombs (void)
{
  g_autoptr (TestRelay) relay = test_relay_new (NULL);
  g_autoptr (JsonObject) user = NULL;
  g_autofree char *token = NULL;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "ada@example.org", "correct horse", NULL);
  token = test_relay_login (relay, "ada@example.org", "correct horse");
  bomb_start_kib = peak_rss_kib (raw_relay_pid (relay));
  g_test_message ("relay peak RSS before: %" G_GUINT64_FORMAT " KiB", bomb_start_kib);

  /* before authentication, and with it: the body is judged first */
  body_bomb (relay, "POST", "/api/v1/auth/login", NULL, FALSE);
  body_bomb (relay, "POST", "/api/v1/auth/login", NULL, TRUE);
  body_bomb (relay, "POST", "/api/v1/sites", NULL, TRUE);
  body_bomb (relay, "POST", "/api/v1/sites", token, FALSE);
  body_bomb (relay, "POST", "/api/v1/sites", token, TRUE);
  /* no body expected at all */
  body_bomb (relay, "GET", "/healthz", NULL, TRUE);
  body_bomb (relay, "GET", "/api/v1/sites", token, FALSE);
  /* uploads stream to a file; still not past the largest upload a site may take */
  body_bomb (relay, "POST", "/api/v1/uploads?conversation_id=none", token, FALSE);
  /* an upload without a token is refused at its headers: its body is not waited for either */
  body_bomb_full (relay, bomb_start_kib, "POST", "/api/v1/uploads?conversation_id=none", NULL,
                  TRUE, "HTTP/1.1 401", "unauthorized");

  /* nothing of it was kept, and a normal body still works */
  {
    g_autoptr (TestResponse) login = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                                                "{\"email\":\"ada@example.org\","
                                                "\"password\":\"correct horse\"}", NULL);
    test_assert_http_status (login, 200);
  }
}

/* Just over the limit, in one go and in chunks: the same 413 a libsoup client reads whole. */
static void
test_body_just_over_limit (void)
{
  g_autoptr (TestRelay) relay = test_relay_new ("[http]\nmax-body-bytes=2048\n");
  g_autoptr (GString) text = g_string_new ("{\"email\":\"");
  g_autoptr (GBytes) body = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autoptr (GString) chunked = g_string_new (NULL);

  test_relay_start (relay);
  while (text->len < 2100)
    g_string_append_c (text, 'a');
  g_string_append (text, "\",\"password\":\"x\"}");
  body = g_bytes_new (text->str, text->len);
  response = test_http_bytes (relay, "POST", "/api/v1/auth/login", NULL, body,
                              "application/json", NULL);
  test_assert_http_error (response, 413, "too_large");

  /* chunked: 1000 bytes a chunk, the third passes the limit */
  g_string_append (chunked, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n");
  for (guint i = 0; i < 3; i++)
    {
      g_string_append (chunked, "3e8\r\n");
      for (guint j = 0; j < 1000; j++)
        g_string_append_c (chunked, ' ');
      g_string_append (chunked, "\r\n");
    }
  {
    g_autofree char *answer = raw_request (relay, chunked->str);

    assert_json_error (answer, "HTTP/1.1 413", "too_large");
  }

  /* at the limit is fine: the JSON check answers, not the size */
  {
    g_autoptr (TestResponse) ok = test_http (relay, "POST", "/api/v1/auth/login", NULL,
                                             "{\"email\":\"nobody@example.org\","
                                             "\"password\":\"x\"}", NULL);
    test_assert_http_error (ok, 401, "invalid_credentials");
  }
}

static void
test_bad_content_length (void)
{
  g_autoptr (TestRelay) relay = test_relay_new (NULL);
  const char *lengths[] = { "-1", "-5000000000", "+5", "99999999999999999999999" };
  g_autofree char *err = NULL;

  test_relay_start (relay);
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *request = g_strdup_printf ("POST /api/v1/auth/login HTTP/1.1\r\n"
                                                  "Host: 127.0.0.1\r\n"
                                                  "Content-Type: application/json\r\n"
                                                  "Content-Length: %s\r\n\r\n{}", lengths[i]);
      g_autofree char *answer = raw_request (relay, request);

      g_test_message ("Content-Length: %s", lengths[i]);
      assert_json_error (answer, "HTTP/1.1 400", "invalid_request");
    }

  assert_healthy (relay);
  err = test_relay_get_stderr (relay);
  g_assert_null (strstr (err, "WARNING"));
  g_assert_null (strstr (err, "CRITICAL"));
}

/* An upload whose file cannot be written (disk full) is answered then and there: the rest of
 * its body has nowhere to go. The disk is a 64 KiB tmpfs over uploads/tmp (root only), in a
 * mount namespace of the test's own (the relay, started after, shares it): whatever happens
 * to the test, the mount goes with it. */
static void
test_upload_disk_full (void)
{
  g_autoptr (TestWorld) world = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *settings_path = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *head = NULL;
  g_autofree char *piece = g_malloc (PIECE_BYTES);
  g_autoptr (TestResponse) patched = NULL;
  g_autoptr (RawConn) conn = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + BOMB_WALL_S * G_TIME_SPAN_SECOND;
  const gsize length = 100 * 1024 * 1024;
  gsize sent = 0;

  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      g_test_skip_printf ("cannot make a mount namespace (needs root): %s", g_strerror (errno));
      return;
    }
  world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  settings_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  tmp_dir = g_build_filename (test_relay_data_dir (world->relay), "uploads", "tmp", NULL);
  test_visitor_say (world->visitor, "hello", &conversation_id);
  patched = test_http (world->relay, "PATCH", settings_path, world->token,
                       "{\"settings\":{\"upload_max_bytes\":104857600}}", NULL);
  test_assert_http_status (patched, 200);

  if (mount ("tmpfs", tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") != 0)
    {
      g_test_skip_printf ("cannot mount a small tmpfs to fill (needs root): %s",
                          g_strerror (errno));
      return;
    }

  conn = raw_connect (world->relay, 0);
  head = g_strdup_printf ("POST /api/v1/uploads?conversation_id=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: image/png\r\n"
                          "Content-Length: %zu\r\n\r\n", conversation_id, world->token, length);
  memset (piece, 0x89, PIECE_BYTES);
  g_assert_true (raw_send (conn, head, strlen (head)));
  while (sent < length && g_get_monotonic_time () < deadline)
    {
      if (!raw_send (conn, piece, PIECE_BYTES))
        break;
      sent += PIECE_BYTES;
      if (!read_available (conn, answer, 0) || strstr (answer->str, "\r\n\r\n") != NULL)
        break;
    }
  read_to_end (conn, answer, 3000);
  g_clear_pointer (&conn, raw_conn_free);
  umount2 (tmp_dir, MNT_DETACH);

  g_test_message ("disk full: answered after %zu bytes sent", sent);
  g_assert_cmpuint (sent, <, EARLY_BYTES);
  assert_json_error (answer->str, "HTTP/1.1 507", "internal_error");

  /* and with room again, uploads work (the refusal left nothing behind in tmp) */
  await_healthy (world->relay);
  {
    g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);

    g_assert_nonnull (dir);
    g_assert_null (g_dir_read_name (dir));
  }
}

/* --- descriptors and connection caps -------------------------------------------------------- */

static gboolean
raise_own_nofile (guint want)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_cur < want)
    {
      limit.rlim_cur = MIN ((rlim_t) want, limit.rlim_max);
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
    }
  if (limit.rlim_cur >= want)
    return TRUE;
  g_test_skip ("the open files limit is too low for this test");
  return FALSE;
}

static guint
count_fds (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static guint
count_lines (const char *text,
             const char *needle)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* A kept-alive connection answers its next request too. libsoup 3.2 keeps a connection alive
 * only while the server has a listener of its own: with the relay's accept loop alone, every
 * connection was closed after one answer, and a browser or Node.js reusing it got nothing. */
static void
test_keep_alive (void)
{
  g_autoptr (TestRelay) relay = test_relay_new (NULL);
  g_autoptr (RawConn) conn = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  const char *request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const char *last = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  gint64 deadline;

  test_relay_start (relay);
  conn = raw_connect (relay, 0);

  g_assert_true (raw_send (conn, request, strlen (request)));
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (strstr (answer->str, "\"status\"") == NULL && g_get_monotonic_time () < deadline)
    if (!read_available (conn, answer, 100))
      break;
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 200"));
  g_assert_null (strstr (answer->str, "Connection: close"));

  /* the same connection, a moment later */
  test_sleep_ms (50);
  g_assert_true (raw_send (conn, last, strlen (last)));
  read_to_end (conn, answer, 5000);
  g_assert_nonnull (strstr (strstr (answer->str, "\"status\"") + 1, "HTTP/1.1 200"));
}

/* The relay's stderr reaches the test through a reader thread: a line logged just before an
 * answer may arrive just after it. Waits (boundedly) until @needle appears @n times. */
static char *
await_log_lines (TestRelay  *relay,
                 const char *needle,
                 guint       n)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  char *err = test_relay_get_stderr (relay);

  while (count_lines (err, needle) < n && g_get_monotonic_time () < deadline)
    {
      test_sleep_ms (20);
      g_free (err);
      err = test_relay_get_stderr (relay);
    }
  return err;
}

#define FD_LIMIT   128
#define IDLE_CONNS 300

static void
test_descriptor_exhaustion (void)
{
  g_autoptr (TestRelay) relay = test_relay_new ("[limits]\nmax-connections-per-address=0\n");
  g_autoptr (GPtrArray) conns = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_conn_free);
  struct rlimit limit = { FD_LIMIT, FD_LIMIT };
  g_autofree char *err = NULL;
  int pid;

  if (!raise_own_nofile (IDLE_CONNS + 256))
    return;

  test_relay_start (relay);
  pid = raw_relay_pid (relay);
  g_assert_cmpint (pid, >, 0);
  /* as `prlimit --nofile=128:128 --pid` would */
  if (prlimit (pid, RLIMIT_NOFILE, &limit, NULL) != 0)
    {
      g_test_skip_printf ("cannot lower the relay's open files limit: %s", g_strerror (errno));
      return;
    }
  assert_healthy (relay);

  /* idle connections, more than the relay has descriptors for: the rest wait in the backlog */
  for (guint i = 0; i < IDLE_CONNS; i++)
    g_ptr_array_add (conns, raw_connect (relay, 0));
  {
    gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

    while (count_fds (pid) < FD_LIMIT - 8 && g_get_monotonic_time () < deadline)
      test_sleep_ms (50);
    test_sleep_ms (300); /* and it has tried (and failed) to accept more */
  }
  g_test_message ("relay descriptors with %u idle connections: %u (limit %u)",
                  IDLE_CONNS, count_fds (pid), FD_LIMIT);
  g_assert_cmpuint (count_fds (pid), >=, FD_LIMIT - 8);

  /* they go away; the relay must take new connections again */
  g_ptr_array_set_size (conns, 0);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (count_fds (pid) > FD_LIMIT / 2 && g_get_monotonic_time () < deadline)
      test_sleep_ms (50);
  }
  g_test_message ("relay descriptors after they closed: %u", count_fds (pid));
  await_healthy (relay);
  assert_healthy (relay);

  /* logged when it starts and when it ends, not for every connection that had to wait */
  err = await_log_lines (relay, "Accepting connections again", 1);
  g_assert_cmpuint (count_lines (err, "Shedding load"), >=, 1);
  g_assert_cmpuint (count_lines (err, "Shedding load"), <=, 3);
  g_assert_cmpuint (count_lines (err, "Accepting connections again"), ==,
                    count_lines (err, "Shedding load"));
}

/* Opens @n idle connections and gives the relay time to accept them. */
static GPtrArray *
open_idle (TestRelay *relay,
           guint      n)
{
  GPtrArray *conns = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_conn_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (conns, raw_connect (relay, 0));
  test_sleep_ms (300);
  return conns;
}

static void
assert_refused (TestRelay  *relay,
                const char *status_line,
                const char *code)
{
  g_autofree char *answer = raw_request (relay, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

  assert_json_error (answer, status_line, code);
  g_assert_nonnull (strstr (answer, "\r\nRetry-After: "));
}

static void
test_connection_caps (void)
{
  g_autoptr (TestRelay) relay = test_relay_new ("[limits]\nmax-connections=6\n"
                                                "max-connections-per-address=3\n");
  g_autoptr (GPtrArray) conns = NULL;
  g_autofree char *err = NULL;

  test_relay_start (relay);

  /* per address: the fourth from 127.0.0.1 */
  conns = open_idle (relay, 3);
  assert_refused (relay, "HTTP/1.1 429", "too_many_connections");
  assert_refused (relay, "HTTP/1.1 429", "too_many_connections");
  g_ptr_array_set_size (conns, 0);
  await_healthy (relay);
  g_clear_pointer (&conns, g_ptr_array_unref);

  /* in total: trusted proxies carry everyone, so their address has no cap of its own */
  test_relay_stop (relay);
  test_relay_set_extra_config (relay, "[limits]\nmax-connections=4\n"
                                      "max-connections-per-address=3\n"
                                      "[relay]\ntrusted-proxies=127.0.0.1\n");
  test_relay_start (relay);
  conns = open_idle (relay, 4);
  assert_refused (relay, "HTTP/1.1 503", "overloaded");
  assert_refused (relay, "HTTP/1.1 503", "overloaded");
  g_ptr_array_set_size (conns, 0);
  await_healthy (relay);

  err = await_log_lines (relay, "Accepting connections again", 1);
  /* once per episode, not once per refused connection */
  g_assert_cmpuint (count_lines (err, "Shedding load"), ==, 1);
  g_assert_cmpuint (count_lines (err, "Accepting connections again"), ==, 1);
  g_assert_cmpuint (count_lines (err, "over the per-address limit"), ==, 1);
}

/* A WebSocket is counted until the hub closes it, long after libsoup let go of it. */
static void
test_websockets_counted (void)
{
  g_autoptr (TestRelay) relay = test_relay_new ("[limits]\nmax-connections=3\n"
                                                "max-connections-per-address=0\n");
  g_autoptr (JsonObject) user = NULL;
  g_autoptr (JsonObject) site = NULL;
  g_autofree char *path = NULL;
  g_autoptr (RawConn) a = NULL;
  g_autoptr (RawConn) b = NULL;
  g_autoptr (RawConn) c = NULL;

  test_relay_start (relay);
  user = test_relay_create_user (relay, "ada@example.org", "correct horse", NULL);
  site = test_relay_create_site (relay, "ada@example.org", "Site", NULL);
  path = g_strdup_printf ("/ws/widget?site_key=%s", test_obj_string (site, "site_key"));

  a = raw_connect (relay, 0);
  b = raw_connect (relay, 0);
  g_assert_cmpuint (raw_ws_handshake (a, path, NULL), ==, 101);
  g_assert_cmpuint (raw_ws_handshake (b, path, NULL), ==, 101);
  c = raw_connect (relay, 0);
  test_sleep_ms (300);
  assert_refused (relay, "HTTP/1.1 503", "overloaded");

  /* a WebSocket that ends frees its place */
  g_clear_pointer (&a, raw_conn_free);
  await_healthy (relay);
}

static void
test_nofile_raised (void)
{
  g_autoptr (TestRelay) relay = test_relay_new (NULL);
  g_autofree char *path = NULL;
  g_autofree char *limits = NULL;
  g_auto (GStrv) lines = NULL;
  struct rlimit limit;
  gboolean found = FALSE;

  /* a child inherits the soft limit: a low one, under a higher hard one */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_max <= 256)
    {
      g_test_skip ("the hard open files limit is too low to tell");
      return;
    }
  limit.rlim_cur = 256;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);

  test_relay_start (relay);
  path = g_strdup_printf ("/proc/%d/limits", raw_relay_pid (relay));
  g_assert_true (g_file_get_contents (path, &limits, NULL, NULL));
  lines = g_strsplit (limits, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "Max open files"))
      {
        g_auto (GStrv) fields = g_strsplit_set (lines[i] + strlen ("Max open files"), " ", -1);
        g_autoptr (GPtrArray) numbers = g_ptr_array_new ();

        for (guint j = 0; fields[j]; j++)
          if (*fields[j])
            g_ptr_array_add (numbers, fields[j]);
        g_assert_cmpuint (numbers->len, >=, 2);
        g_test_message ("relay: %s", lines[i]);
        g_assert_cmpuint (g_ascii_strtoull (numbers->pdata[0], NULL, 10), ==, limit.rlim_max);
        found = TRUE;
      }
  g_assert_true (found);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/edge/keep-alive", test_keep_alive);
  test_harness_add ("/relay/edge/body-bombs", test_body_bombs);
  test_harness_add ("/relay/edge/body-just-over-limit", test_body_just_over_limit);
  test_harness_add ("/relay/edge/bad-content-length", test_bad_content_length);
  test_harness_add ("/relay/edge/upload-disk-full", test_upload_disk_full);
  test_harness_add ("/relay/edge/descriptor-exhaustion", test_descriptor_exhaustion);
  test_harness_add ("/relay/edge/connection-caps", test_connection_caps);
  test_harness_add ("/relay/edge/websockets-counted", test_websockets_counted);
  test_harness_add ("/relay/edge/nofile-raised", test_nofile_raised);

  return g_test_run ();
}
