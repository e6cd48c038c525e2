/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-harness.c: start a real confab-relay and talk to it over HTTP and WebSocket */

#define G_LOG_DOMAIN "confab-test"

#include "relay-harness.h"
#include "pg-harness.h"

#include <libpq-fe.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS  10000
#define HTTP_TIMEOUT_S   10

static void test_fail_at (const char *file,
                          int         line,
                          const char *format,
                          ...) G_GNUC_PRINTF (3, 4) G_GNUC_NORETURN;

static void
test_fail_at (const char *file,
              int         line,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_assertion_message (G_LOG_DOMAIN, file, line, "", message);
  /* Only reached with non-fatal assertions, which the test subprocesses never use. */
  abort ();
}

/* --- main context helpers --- */

typedef gboolean (*TestCondition) (gpointer data);

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @condition holds or @timeout_ms passed. */
static gboolean
iterate_until (TestCondition condition,
               gpointer      data,
               guint         timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout_id;

  if (condition (data))
    return TRUE;

  timeout_id = g_timeout_add (timeout_ms, set_flag_cb, &timed_out);
  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);

  return condition (data);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
test_sleep_ms (guint ms)
{
  iterate_until (never, NULL, ms);
}

/* --- registration --- */

static void remove_tree (const char *path);

guint
test_timeout_multiplier (void)
{
  const char *text = g_getenv ("CONFAB_TEST_TIMEOUT_MULTIPLIER");
  guint64 value = text ? g_ascii_strtoull (text, NULL, 10) : 0;

  return value >= 1 && value <= 100 ? (guint) value : 1;
}

/* In the test's temporary directory: the subprocess skipped the test, for the reason inside. */
#define SKIP_FILE "skipped"

static void
run_isolated (gconstpointer data)
{
  void (*func) (void) = (void (*) (void)) data;
  g_autofree char *saved_tmpdir = g_strdup (g_getenv ("TMPDIR"));
  g_autofree char *tmp_dir = NULL;
  g_autofree char *skip_file = NULL;
  g_autofree char *skipped = NULL;

  if (g_test_subprocess () || g_getenv ("CONFAB_TEST_INPROCESS") != NULL)
    {
      func ();
      return;
    }

  /* The subprocess makes its temporary directories in here: a test that aborts leaves nothing
   * behind once the parent removed it. */
  tmp_dir = g_dir_make_tmp ("confab-test-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  g_setenv ("TMPDIR", tmp_dir, TRUE);

  /* scripts/test's sanitized run is a few times slower: it says how much */
  g_test_trap_subprocess (NULL, 100 * G_USEC_PER_SEC * test_timeout_multiplier (),
                          G_TEST_SUBPROCESS_INHERIT_STDERR);

  if (saved_tmpdir != NULL)
    g_setenv ("TMPDIR", saved_tmpdir, TRUE);
  else
    g_unsetenv ("TMPDIR");
  skip_file = g_build_filename (tmp_dir, SKIP_FILE, NULL);
  g_file_get_contents (skip_file, &skipped, NULL, NULL);
  if (g_getenv ("CONFAB_TEST_KEEP") == NULL)
    remove_tree (tmp_dir);
  else
    g_printerr ("kept %s\n", tmp_dir);

  if (skipped != NULL)
    g_test_skip (skipped);
  else
    g_test_trap_assert_passed ();
}

void
test_harness_skip (const char *reason)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = g_build_filename (g_get_tmp_dir (), SKIP_FILE, NULL);

      g_assert_true (g_file_set_contents (path, reason, -1, NULL));
    }
  g_test_skip (reason);
}

/* --- the store the relays run on --- */

/* CONFAB_TEST_STORE=postgresql: every relay of the test binary runs on a PostgreSQL 15 that
 * the parent process starts once (pg-harness.c); each TestRelay gets a database of its own,
 * shared by the relays that share its data dir. */
static PgServer *pg_server;

gboolean
test_store_is_postgresql (void)
{
  return g_strcmp0 (g_getenv ("CONFAB_TEST_STORE"), "postgresql") == 0;
}

static void
stop_pg_server (void)
{
  g_clear_pointer (&pg_server, pg_server_stop);
}

/* A database with the relay's schema, migrated once by `confab-relay migrate`, that every
 * test's database is copied from: migrating one per relay took most of a test's time. */
#define TEMPLATE_DATABASE "confab_template"

static void
make_template (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-test-pg-XXXXXX", NULL);
  g_autofree char *config = g_build_filename (dir, "relay.conf", NULL);
  g_autofree char *text = NULL, *base = NULL, *out = NULL, *err = NULL;
  const char *server_url = pg_server_get_url (pg_server);
  const char *argv[] = { g_getenv ("CONFAB_RELAY"), "migrate", "--config", config, NULL };
  g_autoptr (GError) error = NULL;
  PGconn *conn = PQconnectdb (server_url);
  PGresult *result;
  int status = -1;

  g_assert_nonnull (argv[0]);
  result = PQexec (conn, "CREATE DATABASE " TEMPLATE_DATABASE);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("Cannot create the template database: %s", PQresultErrorMessage (result));
  PQclear (result);
  PQfinish (conn);

  base = g_strndup (server_url, strrchr (server_url, '/') - server_url);
  text = g_strdup_printf ("[store]\nbackend=postgresql\nurl=%s/" TEMPLATE_DATABASE "\n", base);
  g_assert_true (g_file_set_contents (config, text, -1, NULL));
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error) || !g_spawn_check_wait_status (status, NULL))
    g_error ("confab-relay migrate failed on the template database: %s",
             error != NULL ? error->message : err);
  g_unlink (config);
  g_rmdir (dir);
}

static void
start_pg_server (void)
{
  g_autoptr (GError) error = NULL;

  pg_server = pg_server_start (&error);
  if (pg_server == NULL)
    {
      /* missing binaries skip the whole run (TAP's skip-all); a server that fails is a failure */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          printf ("1..0 # SKIP CONFAB_TEST_STORE=postgresql: %s\n", error->message);
          exit (0);
        }
      g_error ("Cannot start PostgreSQL for CONFAB_TEST_STORE=postgresql: %s", error->message);
    }
  g_setenv ("CONFAB_TEST_PG_URL", pg_server_get_url (pg_server), TRUE);
  atexit (stop_pg_server);
  make_template ();
}

/* A new database on the test's server, named in a file of @data_dir so that a relay started
 * later on the same data dir finds it again; its connection URI. */
static char *
test_database_for (const char *data_dir)
{
  g_autofree char *file = g_build_filename (data_dir, "test-pg-url", NULL);
  g_autofree char *url = NULL, *name = NULL, *sql = NULL, *base = NULL;
  const char *server_url = g_getenv ("CONFAB_TEST_PG_URL");
  PGconn *conn;
  PGresult *result;

  if (g_file_get_contents (file, &url, NULL, NULL))
    return g_steal_pointer (&url);

  g_assert_nonnull (server_url);
  conn = PQconnectdb (server_url);
  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("Cannot connect to the test's PostgreSQL: %s", PQerrorMessage (conn));
  name = g_strdup_printf ("t_%08x%08x", g_random_int (), g_random_int ());
  sql = g_strdup_printf ("CREATE DATABASE %s TEMPLATE " TEMPLATE_DATABASE, name);
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("Cannot create a test database: %s", PQresultErrorMessage (result));
  PQclear (result);
  PQfinish (conn);

  /* postgresql://confab@127.0.0.1:PORT/confab → …/t_… */
  base = g_strndup (server_url, strrchr (server_url, '/') - server_url);
  url = g_strdup_printf ("%s/%s", base, name);
  g_assert_true (g_file_set_contents (file, url, -1, NULL));
  return g_steal_pointer (&url);
}

void
test_harness_init (int    *argc,
                   char ***argv)
{
  g_test_init (argc, argv, NULL);

  if (test_store_is_postgresql () && !g_test_subprocess () && pg_server == NULL &&
      g_getenv ("CONFAB_TEST_PG_URL") == NULL)
    start_pg_server ();

  /* A failed subprocess marks its test failed; the parent goes on with the next one. */
  if (!g_test_subprocess () && g_getenv ("CONFAB_TEST_INPROCESS") == NULL)
    g_test_set_nonfatal_assertions ();

  if (g_getenv ("CONFAB_RELAY") == NULL)
    g_printerr ("CONFAB_RELAY is not set: it must name the confab-relay binary\n");
}

void
test_harness_add (const char  *path,
                  void       (*func) (void))
{
  g_test_add_data_func (path, (gconstpointer) func, run_isolated);
}

/* --- JSON helpers --- */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
test_json_valist (const char *format,
                  va_list     args)
{
  g_autofree char *real_format = g_strdup (format);

  for (char *p = real_format; *p != '\0'; p++)
    if (*p == '\'')
      *p = '"';

  return g_strdup_vprintf (real_format, args);
}
#pragma GCC diagnostic pop

char *
test_json (const char *format,
           ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = test_json_valist (format, args);
  va_end (args);

  return text;
}

char *
test_client_id (void)
{
  return g_uuid_string_random ();
}

JsonNode *
test_obj_lookup (JsonObject *object,
                 const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (object == NULL || !json_object_has_member (object, parts[i]))
        return NULL;
      node = json_object_get_member (object, parts[i]);
      object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }

  return node;
}

gboolean
test_obj_has (JsonObject *object,
              const char *path)
{
  JsonNode *node = test_obj_lookup (object, path);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

gboolean
test_obj_is_null (JsonObject *object,
                  const char *path)
{
  JsonNode *node = test_obj_lookup (object, path);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

char *
test_obj_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = NULL;

  if (object == NULL)
    return g_strdup ("(null)");

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static JsonNode *
lookup_typed (const char *file,
              int         line,
              JsonObject *object,
              const char *path,
              GType       value_type,
              JsonNodeType node_type,
              const char *what)
{
  JsonNode *node = test_obj_lookup (object, path);
  gboolean ok;

  if (node == NULL)
    {
      g_autofree char *text = test_obj_to_string (object);
      test_fail_at (file, line, "“%s” is missing in %s", path, text);
    }

  if (node_type == JSON_NODE_VALUE)
    ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == value_type;
  else
    ok = JSON_NODE_TYPE (node) == node_type;

  if (!ok)
    {
      g_autofree char *text = test_obj_to_string (object);
      test_fail_at (file, line, "“%s” is not %s in %s", path, what, text);
    }

  return node;
}

const char *
test_obj_string_at (const char *file,
                    int         line,
                    JsonObject *object,
                    const char *path)
{
  return json_node_get_string (lookup_typed (file, line, object, path, G_TYPE_STRING,
                                             JSON_NODE_VALUE, "a string"));
}

gint64
test_obj_int_at (const char *file,
                 int         line,
                 JsonObject *object,
                 const char *path)
{
  return json_node_get_int (lookup_typed (file, line, object, path, G_TYPE_INT64,
                                          JSON_NODE_VALUE, "an integer"));
}

gboolean
test_obj_bool_at (const char *file,
                  int         line,
                  JsonObject *object,
                  const char *path)
{
  return json_node_get_boolean (lookup_typed (file, line, object, path, G_TYPE_BOOLEAN,
                                              JSON_NODE_VALUE, "a boolean"));
}

double
test_obj_number_at (const char *file,
                    int         line,
                    JsonObject *object,
                    const char *path)
{
  JsonNode *node = test_obj_lookup (object, path);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);

  return test_obj_int_at (file, line, object, path);
}

JsonObject *
test_obj_object_at (const char *file,
                    int         line,
                    JsonObject *object,
                    const char *path)
{
  return json_node_get_object (lookup_typed (file, line, object, path, G_TYPE_INVALID,
                                             JSON_NODE_OBJECT, "an object"));
}

JsonArray *
test_obj_array_at (const char *file,
                   int         line,
                   JsonObject *object,
                   const char *path)
{
  return json_node_get_array (lookup_typed (file, line, object, path, G_TYPE_INVALID,
                                            JSON_NODE_ARRAY, "an array"));
}

static JsonObject *
parse_object (const char *data,
              gssize      len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, len, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

/* --- the relay process --- */

struct _TestRelay {
  char        *tmp_dir;
  char        *data_dir;
  gboolean     own_data_dir;
  char        *config_path;
  char        *extra_config;
  char        *pg_url;          /* CONFAB_TEST_STORE=postgresql: the relay's database */
  guint        n_files;

  GSubprocess *process;
  GThread     *stdout_thread;
  GThread     *stderr_thread;

  GMutex       lock;
  GCond        cond;
  char        *base_url;        /* under lock while starting */
  gboolean     stdout_eof;      /* under lock */
  GString     *stdout_log;      /* under lock */
  GString     *stderr_log;      /* under lock */

  SoupSession *session;
};

typedef struct {
  TestRelay    *relay;
  GInputStream *stream;
  gboolean      is_stdout;
} ReaderData;

static const char *
relay_binary (void)
{
  const char *path = g_getenv ("CONFAB_RELAY");

  if (path == NULL || *path == '\0')
    g_error ("CONFAB_RELAY is not set: it must name the confab-relay binary");

  return path;
}

/* Keeps the relay's pipes drained whatever the test does with the main context, and catches
 * the "listening on" line. */
static gpointer
reader_thread (gpointer user_data)
{
  ReaderData *data = user_data;
  TestRelay *relay = data->relay;
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (data->stream);

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (lines), FALSE);

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, NULL);

      if (line == NULL)
        break;

      g_mutex_lock (&relay->lock);
      if (data->is_stdout)
        {
          g_string_append_printf (relay->stdout_log, "%s\n", line);
          if (relay->base_url == NULL && g_str_has_prefix (line, "listening on "))
            {
              relay->base_url = g_strstrip (g_strdup (line + strlen ("listening on ")));
              g_cond_broadcast (&relay->cond);
            }
        }
      else
        {
          g_string_append_printf (relay->stderr_log, "%s\n", line);
        }
      g_mutex_unlock (&relay->lock);

      if (!data->is_stdout && g_getenv ("CONFAB_TEST_QUIET") == NULL)
        g_printerr ("[relay] %s\n", line);
    }

  if (data->is_stdout)
    {
      g_mutex_lock (&relay->lock);
      relay->stdout_eof = TRUE;
      g_cond_broadcast (&relay->cond);
      g_mutex_unlock (&relay->lock);
    }

  g_object_unref (data->stream);
  g_free (data);
  return NULL;
}

static GThread *
start_reader (TestRelay    *relay,
              GInputStream *stream,
              gboolean      is_stdout)
{
  ReaderData *data = g_new0 (ReaderData, 1);

  data->relay = relay;
  data->stream = g_object_ref (stream);
  data->is_stdout = is_stdout;

  return g_thread_new (is_stdout ? "relay-stdout" : "relay-stderr", reader_thread, data);
}

static void
child_setup (gpointer user_data)
{
  /* A test that aborts must not leave its relay behind. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
write_config (TestRelay *relay)
{
  static const char defaults[] =
    "[store]\n"
    "synchronous=normal\n"
    "[limits]\n"
    "messages-per-minute=100000\n"
    "messages-per-minute-per-ip=100000\n"
    "typing-per-second=1000\n"
    "logins-per-minute-per-ip=100000\n"
    "logins-per-minute-per-account=100000\n"
    "bad-frames-before-close=1000\n"
    "frames-per-second=100000\n"
    "frames-per-second-per-ip=100000\n"
    "hellos-per-minute-per-ip=100000\n"
    "page-views-per-minute=100000\n"
    "page-views-per-minute-per-ip=100000\n"
    "rate-limited-before-close=100000\n"
    /* every test client comes from 127.0.0.1; the edge tests set their own caps */
    "max-connections-per-address=0\n";
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_key_file_load_from_data (config, defaults, -1, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);

  if (relay->extra_config != NULL)
    {
      g_autoptr(GKeyFile) extra = g_key_file_new ();
      g_auto (GStrv) groups = NULL;

      if (!g_key_file_load_from_data (extra, relay->extra_config, -1, G_KEY_FILE_NONE, &error))
        g_error ("bad extra config in the test: %s", error->message);

      groups = g_key_file_get_groups (extra, NULL);
      for (guint i = 0; groups[i] != NULL; i++)
        {
          g_auto (GStrv) keys = g_key_file_get_keys (extra, groups[i], NULL, NULL);

          for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
            {
              g_autofree char *value = g_key_file_get_value (extra, groups[i], keys[j], NULL);
              g_key_file_set_value (config, groups[i], keys[j], value);
            }
        }
    }

  if (relay->pg_url != NULL)
    {
      g_key_file_set_value (config, "store", "backend", "postgresql");
      g_key_file_set_value (config, "store", "url", relay->pg_url);
    }

  text = g_key_file_to_data (config, NULL, NULL);
  g_file_set_contents (relay->config_path, text, -1, &error);
  g_assert_no_error (error);
}

TestRelay *
test_relay_new_full (const char *extra_config,
                     const char *data_dir)
{
  TestRelay *relay = g_new0 (TestRelay, 1);
  g_autoptr(GError) error = NULL;

  relay->tmp_dir = g_dir_make_tmp ("confab-test-XXXXXX", &error);
  g_assert_no_error (error);

  if (data_dir != NULL)
    {
      relay->data_dir = g_strdup (data_dir);
    }
  else
    {
      relay->data_dir = g_build_filename (relay->tmp_dir, "data", NULL);
      relay->own_data_dir = TRUE;
    }
  g_assert_cmpint (g_mkdir_with_parents (relay->data_dir, 0700), ==, 0);

  relay->config_path = g_build_filename (relay->tmp_dir, "relay.conf", NULL);
  relay->extra_config = g_strdup (extra_config);
  if (test_store_is_postgresql ())
    relay->pg_url = test_database_for (relay->data_dir);

  g_mutex_init (&relay->lock);
  g_cond_init (&relay->cond);
  relay->stdout_log = g_string_new (NULL);
  relay->stderr_log = g_string_new (NULL);

  relay->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
                                                  "idle-timeout", HTTP_TIMEOUT_S,
                                                  NULL);
  return relay;
}

TestRelay *
test_relay_new (const char *extra_config)
{
  return test_relay_new_full (extra_config, NULL);
}

void
test_relay_set_extra_config (TestRelay  *relay,
                             const char *extra_config)
{
  g_free (relay->extra_config);
  relay->extra_config = g_strdup (extra_config);
}

char *
test_relay_get_stderr (TestRelay *relay)
{
  char *text;

  g_mutex_lock (&relay->lock);
  text = g_strdup (relay->stderr_log->str);
  g_mutex_unlock (&relay->lock);

  return text;
}

static void
join_readers (TestRelay *relay)
{
  g_clear_pointer (&relay->stdout_thread, g_thread_join);
  g_clear_pointer (&relay->stderr_thread, g_thread_join);
}

/* Waits for the process to be reaped (the child watch runs on GLib's worker thread). */
static gboolean
wait_exit (GSubprocess *process,
           guint        timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (g_subprocess_get_identifier (process) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    }

  g_subprocess_wait (process, NULL, NULL);
  return TRUE;
}

static char *
describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_exited (process))
    return g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (process));
  if (g_subprocess_get_if_signaled (process))
    return g_strdup_printf ("died of signal %d (%s)", g_subprocess_get_term_sig (process),
                            g_strsignal (g_subprocess_get_term_sig (process)));
  return g_strdup ("ended somehow");
}

static void start_listening (TestRelay  *relay,
                             const char *listen);

void
test_relay_start (TestRelay *relay)
{
  start_listening (relay, "127.0.0.1:0");
}

void
test_relay_start_same_port (TestRelay *relay)
{
  g_autofree char *listen = NULL;

  g_assert_nonnull (relay->base_url);
  g_assert_true (g_str_has_prefix (relay->base_url, "http://"));
  listen = g_strdup (relay->base_url + strlen ("http://"));
  start_listening (relay, listen);
}

static void
start_listening (TestRelay  *relay,
                 const char *listen)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;
  gboolean listening;

  g_assert_null (relay->process);

  write_config (relay);

  g_mutex_lock (&relay->lock);
  g_clear_pointer (&relay->base_url, g_free);
  relay->stdout_eof = FALSE;
  g_mutex_unlock (&relay->lock);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  relay->process = g_subprocess_launcher_spawn (launcher, &error,
                                                relay_binary (),
                                                "--config", relay->config_path,
                                                "--listen", listen,
                                                "--data-dir", relay->data_dir,
                                                NULL);
  if (relay->process == NULL)
    g_error ("cannot start %s: %s", relay_binary (), error->message);

  relay->stdout_thread = start_reader (relay, g_subprocess_get_stdout_pipe (relay->process), TRUE);
  relay->stderr_thread = start_reader (relay, g_subprocess_get_stderr_pipe (relay->process), FALSE);

  deadline = g_get_monotonic_time () + START_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&relay->lock);
  while (relay->base_url == NULL && !relay->stdout_eof)
    if (!g_cond_wait_until (&relay->cond, &relay->lock, deadline))
      break;
  listening = relay->base_url != NULL;
  g_mutex_unlock (&relay->lock);

  if (!listening)
    {
      g_autofree char *how = NULL;
      g_autofree char *err = NULL;
      g_autofree char *out = NULL;

      if (!wait_exit (relay->process, 500))
        {
          g_subprocess_force_exit (relay->process);
          wait_exit (relay->process, STOP_TIMEOUT_MS);
          how = g_strdup_printf ("printed no “listening on http://HOST:PORT” line within %d ms "
                                 "(is stdout flushed?)", START_TIMEOUT_MS);
        }
      else
        {
          g_autofree char *status = describe_exit (relay->process);
          how = g_strdup_printf ("%s before listening", status);
        }
      join_readers (relay);
      g_clear_object (&relay->process);
      err = test_relay_get_stderr (relay);
      g_mutex_lock (&relay->lock);
      out = g_strdup (relay->stdout_log->str);
      g_mutex_unlock (&relay->lock);
      test_fail_at (__FILE__, __LINE__, "the relay %s\n--- stdout:\n%s--- stderr:\n%s",
                    how, out, err);
    }

  g_test_message ("relay %s listening on %s (data dir %s)",
                  g_subprocess_get_identifier (relay->process), relay->base_url, relay->data_dir);
}

gboolean
test_relay_is_running (TestRelay *relay)
{
  return relay->process != NULL && g_subprocess_get_identifier (relay->process) != NULL;
}

void
test_relay_stop (TestRelay *relay)
{
  g_autofree char *status = NULL;
  gboolean clean;

  g_assert_nonnull (relay->process);

  g_subprocess_send_signal (relay->process, SIGTERM);
  if (!wait_exit (relay->process, STOP_TIMEOUT_MS))
    {
      g_autofree char *err = NULL;

      g_subprocess_force_exit (relay->process);
      wait_exit (relay->process, STOP_TIMEOUT_MS);
      join_readers (relay);
      g_clear_object (&relay->process);
      err = test_relay_get_stderr (relay);
      test_fail_at (__FILE__, __LINE__, "the relay did not exit within %d ms of SIGTERM\n"
                    "--- stderr:\n%s", STOP_TIMEOUT_MS, err);
    }

  join_readers (relay);
  clean = g_subprocess_get_if_exited (relay->process) &&
          g_subprocess_get_exit_status (relay->process) == 0;
  status = describe_exit (relay->process);
  g_clear_object (&relay->process);

  /* Connections to the old process are useless now. */
  soup_session_abort (relay->session);

  if (!clean)
    {
      g_autofree char *err = test_relay_get_stderr (relay);
      test_fail_at (__FILE__, __LINE__, "the relay %s on SIGTERM instead of exiting with 0\n"
                    "--- stderr:\n%s", status, err);
    }
}

void
test_relay_kill (TestRelay *relay)
{
  g_assert_nonnull (relay->process);

  g_subprocess_force_exit (relay->process);
  g_assert_true (wait_exit (relay->process, STOP_TIMEOUT_MS));
  join_readers (relay);
  g_clear_object (&relay->process);
  soup_session_abort (relay->session);
}

void
test_relay_send_signal (TestRelay *relay,
                        int        signum)
{
  g_assert_nonnull (relay->process);
  g_subprocess_send_signal (relay->process, signum);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    {
      g_unlink (path);
    }
}

void
test_relay_free (TestRelay *relay)
{
  if (relay == NULL)
    return;

  if (relay->process != NULL)
    test_relay_stop (relay);

  g_clear_object (&relay->session);

  if (!relay->own_data_dir)
    {
      /* Keep the caller's data dir: only remove what the harness wrote next to it. */
      g_unlink (relay->config_path);
      for (guint i = 0; i < relay->n_files; i++)
        {
          g_autofree char *name = g_strdup_printf ("password-%u", i);
          g_autofree char *path = g_build_filename (relay->tmp_dir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (relay->tmp_dir);
    }
  else if (g_getenv ("CONFAB_TEST_KEEP") == NULL)
    {
      remove_tree (relay->tmp_dir);
    }

  g_free (relay->tmp_dir);
  g_free (relay->data_dir);
  g_free (relay->config_path);
  g_free (relay->extra_config);
  g_free (relay->pg_url);
  g_free (relay->base_url);
  g_string_free (relay->stdout_log, TRUE);
  g_string_free (relay->stderr_log, TRUE);
  g_mutex_clear (&relay->lock);
  g_cond_clear (&relay->cond);
  g_free (relay);
}

const char *
test_relay_base_url (TestRelay *relay)
{
  g_assert_nonnull (relay->base_url);
  return relay->base_url;
}

const char *
test_relay_store_url (TestRelay *relay)
{
  return relay->pg_url;
}

gint64
test_relay_pg_exec (TestRelay  *relay,
                    const char *sql)
{
  PGconn *conn;
  PGresult *result;
  gint64 changes;

  g_assert_nonnull (relay->pg_url);
  conn = PQconnectdb (relay->pg_url);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  changes = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
  PQclear (result);
  PQfinish (conn);
  return changes;
}

const char *
test_relay_data_dir (TestRelay *relay)
{
  return relay->data_dir;
}

const char *
test_relay_tmp_dir (TestRelay *relay)
{
  return relay->tmp_dir;
}

/* --- admin CLI --- */

int
test_relay_admin (TestRelay  *relay,
                  char      **out_stdout,
                  char      **out_stderr,
                  const char *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  va_list args;

  g_ptr_array_add (argv, (char *) relay_binary ());
  g_ptr_array_add (argv, (char *) "admin");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  /* the relay's store is its config's PostgreSQL database */
  if (relay->pg_url != NULL && first_arg != NULL && first_arg[0] != '-')
    {
      write_config (relay);
      g_ptr_array_add (argv, (char *) "--config");
      g_ptr_array_add (argv, relay->config_path);
    }
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);

  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

static JsonObject *
admin_object (const char *what,
              int         status,
              const char *out,
              const char *err)
{
  g_autofree char *line = NULL;
  JsonObject *object;

  if (status != 0)
    test_fail_at (__FILE__, __LINE__, "admin %s exited with %d\n--- stdout:\n%s\n--- stderr:\n%s",
                  what, status, out, err);

  line = g_strstrip (g_strdup (out));
  object = parse_object (line, -1);
  if (object == NULL)
    test_fail_at (__FILE__, __LINE__, "admin %s printed no JSON object: “%s”", what, out);

  return object;
}

JsonObject *
test_relay_create_user (TestRelay  *relay,
                        const char *email,
                        const char *password,
                        const char *name)
{
  g_autofree char *file_name = g_strdup_printf ("password-%u", relay->n_files++);
  g_autofree char *path = g_build_filename (relay->tmp_dir, file_name, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *user;
  int status;

  g_file_set_contents_full (path, password, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);

  if (name != NULL)
    status = test_relay_admin (relay, &out, &err, "create-user", "--data-dir", relay->data_dir,
                               "--email", email, "--password-file", path, "--name", name, NULL);
  else
    status = test_relay_admin (relay, &out, &err, "create-user", "--data-dir", relay->data_dir,
                               "--email", email, "--password-file", path, NULL);

  user = admin_object ("create-user", status, out, err);
  g_assert_nonnull (test_obj_string (user, "id"));
  g_assert_cmpstr (test_obj_string (user, "email"), ==, email);
  return user;
}

JsonObject *
test_relay_create_site (TestRelay          *relay,
                        const char         *owner_email,
                        const char         *name,
                        const char * const *domains)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *site;
  int status = -1;

  g_ptr_array_add (argv, g_strdup (relay_binary ()));
  g_ptr_array_add (argv, g_strdup ("admin"));
  g_ptr_array_add (argv, g_strdup ("create-site"));
  g_ptr_array_add (argv, g_strdup ("--data-dir"));
  g_ptr_array_add (argv, g_strdup (relay->data_dir));
  g_ptr_array_add (argv, g_strdup ("--owner"));
  g_ptr_array_add (argv, g_strdup (owner_email));
  g_ptr_array_add (argv, g_strdup ("--name"));
  g_ptr_array_add (argv, g_strdup (name));
  for (guint i = 0; domains != NULL && domains[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("--domain"));
      g_ptr_array_add (argv, g_strdup (domains[i]));
    }
  if (relay->pg_url != NULL)
    {
      write_config (relay);
      g_ptr_array_add (argv, g_strdup ("--config"));
      g_ptr_array_add (argv, g_strdup (relay->config_path));
    }
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_if_exited (process))
    status = g_subprocess_get_exit_status (process);

  site = admin_object ("create-site", status, out, err);
  g_assert_nonnull (test_obj_string (site, "id"));
  g_assert_nonnull (test_obj_string (site, "site_key"));
  g_assert_cmpstr (test_obj_string (site, "name"), ==, name);
  return site;
}

/* --- HTTP --- */

void
test_response_free (TestResponse *response)
{
  if (response == NULL)
    return;

  g_clear_object (&response->message);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
} HttpWait;

static void
http_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HttpWait *wait = user_data;

  wait->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

TestResponse *
test_http_bytes (TestRelay          *relay,
                 const char         *method,
                 const char         *path,
                 const char         *token,
                 GBytes             *body,
                 const char         *content_type,
                 const char * const *headers)
{
  g_autofree char *uri = g_strconcat (test_relay_base_url (relay), path, NULL);
  TestResponse *response = g_new0 (TestResponse, 1);
  SoupMessageHeaders *request_headers;
  HttpWait wait = { 0, };

  response->message = soup_message_new (method, uri);
  g_assert_nonnull (response->message);
  request_headers = soup_message_get_request_headers (response->message);

  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (request_headers, "Authorization", value);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (response->message, content_type, body);
  else if (content_type != NULL)
    soup_message_headers_replace (request_headers, "Content-Type", content_type);

  soup_session_send_and_read_async (relay->session, response->message, G_PRIORITY_DEFAULT, NULL,
                                    http_done_cb, &wait);
  /* Bounded by the session's own timeout. */
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);

  if (wait.error != NULL)
    {
      g_test_message ("%s %s: %s", method, path, wait.error->message);
      g_clear_error (&wait.error);
    }

  response->status = soup_message_get_status (response->message);
  response->body = wait.body != NULL ? wait.body : g_bytes_new (NULL, 0);

  if (g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize len;
      const char *data = g_bytes_get_data (response->body, &len);

      if (json_parser_load_from_data (parser, data, len, NULL) &&
          json_parser_get_root (parser) != NULL)
        response->json = json_node_ref (json_parser_get_root (parser));
    }

  return response;
}

TestResponse *
test_http (TestRelay  *relay,
           const char *method,
           const char *path,
           const char *token,
           const char *json_body,
           ...)
{
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  g_autoptr(GBytes) body = NULL;
  va_list args;

  va_start (args, json_body);
  for (const char *arg = va_arg (args, const char *);
       arg != NULL;
       arg = va_arg (args, const char *))
    g_ptr_array_add (headers, (char *) arg);
  va_end (args);
  g_ptr_array_add (headers, NULL);

  if (json_body != NULL)
    body = g_bytes_new (json_body, strlen (json_body));

  return test_http_bytes (relay, method, path, token, body,
                          json_body != NULL ? "application/json" : NULL,
                          (const char * const *) headers->pdata);
}

char *
test_response_text (TestResponse *response)
{
  gsize len;
  const char *data = g_bytes_get_data (response->body, &len);

  return g_strndup (data, len);
}

JsonObject *
test_response_object_at (const char   *file,
                         int           line,
                         TestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    {
      g_autofree char *text = test_response_text (response);
      test_fail_at (file, line, "response %u is not a JSON object: “%s”", response->status,
                    text);
    }

  return json_node_get_object (response->json);
}

const char *
test_response_error_code (TestResponse *response)
{
  JsonNode *node;

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;

  node = test_obj_lookup (json_node_get_object (response->json), "error.code");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

const char *
test_response_header (TestResponse *response,
                      const char   *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (response->message),
                                       name);
}

char *
test_relay_login (TestRelay  *relay,
                  const char *email,
                  const char *password)
{
  g_autofree char *body = test_json ("{'email':'%s','password':'%s'}", email, password);
  g_autoptr(TestResponse) response = test_http (relay, "POST", "/api/v1/auth/login", NULL, body,
                                                NULL);
  JsonObject *object;

  test_assert_http_status (response, 200);
  object = test_response_object (response);
  g_assert_cmpstr (test_obj_string (object, "user.email"), ==, email);
  return g_strdup (test_obj_string (object, "token"));
}

/* --- WebSocket --- */

struct _TestWs {
  char                    *name;
  SoupWebsocketConnection *conn;
  GQueue                   frames;    /* JsonObject* */
  GPtrArray               *log;       /* char* */
  GHashTable              *ignored;   /* type → itself */
  gboolean                 closed;
  gushort                  close_code;
};

static const char *
frame_type (JsonObject *frame)
{
  return json_object_get_string_member_with_default (frame, "type", "");
}

static void
ws_message_cb (SoupWebsocketConnection *conn,
               int                      data_type,
               GBytes                  *message,
               gpointer                 user_data)
{
  TestWs *ws = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  JsonObject *frame;

  g_ptr_array_add (ws->log, g_strndup (data, len));

  frame = data_type == SOUP_WEBSOCKET_DATA_TEXT ? parse_object (data, len) : NULL;
  if (frame == NULL)
    {
      /* Queued under a type no test expects, so that it fails loudly. */
      frame = json_object_new ();
      json_object_set_string_member (frame, "type", "<not a JSON object>");
      json_object_set_string_member (frame, "text", g_ptr_array_index (ws->log, ws->log->len - 1));
    }

  if (g_getenv ("CONFAB_TEST_FRAMES") != NULL)
    g_printerr ("[%s ←] %.*s\n", ws->name, (int) len, data);

  if (g_hash_table_contains (ws->ignored, frame_type (frame)))
    json_object_unref (frame);
  else
    g_queue_push_tail (&ws->frames, frame);
}

static void
ws_closed_cb (SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  TestWs *ws = user_data;

  ws->closed = TRUE;
  ws->close_code = soup_websocket_connection_get_close_code (conn);
}

typedef struct {
  gboolean                 done;
  SoupWebsocketConnection *conn;
  GError                  *error;
} WsConnectWait;

static void
ws_connect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  WsConnectWait *wait = user_data;

  wait->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

static TestWs *
ws_connect_full (TestRelay          *relay,
                 const char         *path,
                 const char         *origin,
                 const char         *token,
                 const char * const *headers,
                 guint              *out_status);

static TestWs *
ws_connect (TestRelay  *relay,
            const char *path,
            const char *origin,
            const char *token,
            guint      *out_status)
{
  return ws_connect_full (relay, path, origin, token, NULL, out_status);
}

TestWs *
test_ws_try_widget_with_headers (TestRelay          *relay,
                                 const char         *site_key,
                                 const char * const *headers,
                                 guint              *out_status)
{
  g_autofree char *escaped = g_uri_escape_string (site_key, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", escaped);

  return ws_connect_full (relay, path, NULL, NULL, headers, out_status);
}

static TestWs *
ws_connect_full (TestRelay          *relay,
                 const char         *path,
                 const char         *origin,
                 const char         *token,
                 const char * const *headers,
                 guint              *out_status)
{
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  WsConnectWait wait = { 0, };
  TestWs *ws;

  uri = g_strconcat (test_relay_base_url (relay), path, NULL);
  message = soup_message_new ("GET", uri);
  g_assert_nonnull (message);
  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    value);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (message), headers[i],
                                  headers[i + 1]);

  soup_session_websocket_connect_async (relay->session, message, origin, NULL, G_PRIORITY_DEFAULT,
                                        cancellable, ws_connect_cb, &wait);
  if (!iterate_until (flag_is_set, &wait.done, HTTP_TIMEOUT_S * 1000))
    {
      g_cancellable_cancel (cancellable);
      while (!wait.done)
        g_main_context_iteration (NULL, TRUE);
    }

  if (out_status != NULL)
    *out_status = soup_message_get_status (message);

  if (wait.conn == NULL)
    {
      g_test_message ("WebSocket %s refused (%u): %s", path, soup_message_get_status (message),
                      wait.error != NULL ? wait.error->message : "?");
      g_clear_error (&wait.error);
      return NULL;
    }

  ws = g_new0 (TestWs, 1);
  ws->name = g_strdup (path);
  ws->conn = wait.conn;
  ws->log = g_ptr_array_new_with_free_func (g_free);
  ws->ignored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (ws->ignored, g_strdup ("pong"));
  g_queue_init (&ws->frames);

  soup_websocket_connection_set_keepalive_interval (ws->conn, 0);
  g_signal_connect (ws->conn, "message", G_CALLBACK (ws_message_cb), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (ws_closed_cb), ws);

  return ws;
}

TestWs *
test_ws_try_widget (TestRelay  *relay,
                    const char *site_key,
                    const char *origin,
                    guint      *out_status)
{
  g_autofree char *escaped = g_uri_escape_string (site_key, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/ws/widget?site_key=%s", escaped);

  return ws_connect (relay, path, origin, NULL, out_status);
}

TestWs *
test_ws_try_agent (TestRelay  *relay,
                   const char *token,
                   guint      *out_status)
{
  return ws_connect (relay, "/ws/agent", NULL, token, out_status);
}

TestWs *
test_ws_widget_at (const char *file,
                   int         line,
                   TestRelay  *relay,
                   const char *site_key)
{
  guint status = 0;
  TestWs *ws = test_ws_try_widget (relay, site_key, NULL, &status);

  if (ws == NULL)
    test_fail_at (file, line, "/ws/widget upgrade refused with HTTP %u", status);
  test_ws_set_name (ws, "visitor");
  return ws;
}

TestWs *
test_ws_agent_at (const char *file,
                  int         line,
                  TestRelay  *relay,
                  const char *token)
{
  guint status = 0;
  TestWs *ws = test_ws_try_agent (relay, token, &status);

  if (ws == NULL)
    test_fail_at (file, line, "/ws/agent upgrade refused with HTTP %u", status);
  test_ws_set_name (ws, "agent");
  return ws;
}

void
test_ws_set_name (TestWs     *ws,
                  const char *name)
{
  g_free (ws->name);
  ws->name = g_strdup (name);
}

void
test_ws_ignore (TestWs     *ws,
                const char *type,
                ...)
{
  va_list args;

  va_start (args, type);
  for (const char *t = type; t != NULL; t = va_arg (args, const char *))
    g_hash_table_add (ws->ignored, g_strdup (t));
  va_end (args);

  /* Frames of those types already queued are noise as well. */
  for (GList *l = ws->frames.head; l != NULL;)
    {
      GList *next = l->next;

      if (g_hash_table_contains (ws->ignored, frame_type (l->data)))
        {
          json_object_unref (l->data);
          g_queue_delete_link (&ws->frames, l);
        }
      l = next;
    }
}

void
test_ws_unignore (TestWs     *ws,
                  const char *type)
{
  g_hash_table_remove (ws->ignored, type);
}

void
test_ws_send (TestWs     *ws,
              const char *text)
{
  if (g_getenv ("CONFAB_TEST_FRAMES") != NULL)
    g_printerr ("[%s →] %s\n", ws->name, text);

  g_assert_false (ws->closed);
  soup_websocket_connection_send_text (ws->conn, text);
}

void
test_ws_sendf (TestWs     *ws,
               const char *format,
               ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = test_json_valist (format, args);
  va_end (args);

  test_ws_send (ws, text);
}

typedef struct {
  TestWs     *ws;
  const char *type;   /* NULL: any */
  const char *path;   /* NULL: no field condition */
  const char *value;
  GList      *found;
} FindData;

static gboolean
frame_matches (JsonObject *frame,
               FindData   *data)
{
  if (data->type != NULL && g_strcmp0 (frame_type (frame), data->type) != 0)
    return FALSE;

  if (data->path != NULL)
    {
      JsonNode *node = test_obj_lookup (frame, data->path);

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
          json_node_get_value_type (node) != G_TYPE_STRING ||
          g_strcmp0 (json_node_get_string (node), data->value) != 0)
        return FALSE;
    }

  return TRUE;
}

static gboolean
find_condition (gpointer user_data)
{
  FindData *data = user_data;

  for (GList *l = data->ws->frames.head; l != NULL; l = l->next)
    if (frame_matches (l->data, data))
      {
        data->found = l;
        return TRUE;
      }

  /* Nothing more will come. */
  return data->ws->closed;
}

static JsonObject *
ws_find (TestWs     *ws,
         const char *type,
         const char *path,
         const char *value,
         guint       timeout_ms)
{
  FindData data = { ws, type, path, value, NULL };
  JsonObject *frame;

  iterate_until (find_condition, &data, timeout_ms);
  if (data.found == NULL)
    return NULL;

  frame = data.found->data;
  g_queue_delete_link (&ws->frames, data.found);
  return frame;
}

JsonObject *
test_ws_next (TestWs *ws,
              guint   timeout_ms)
{
  return ws_find (ws, NULL, NULL, NULL, timeout_ms);
}

JsonObject *
test_ws_find (TestWs     *ws,
              const char *type,
              guint       timeout_ms)
{
  return ws_find (ws, type, NULL, NULL, timeout_ms);
}

JsonObject *
test_ws_find_match (TestWs     *ws,
                    const char *type,
                    const char *path,
                    const char *value,
                    guint       timeout_ms)
{
  return ws_find (ws, type, path, value, timeout_ms);
}

static char *
describe_queue (TestWs *ws)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s: %s, %u queued frame(s)", ws->name,
                          ws->closed ? "closed" : "open", ws->frames.length);
  if (ws->closed)
    g_string_append_printf (text, " (close code %u)", ws->close_code);
  for (GList *l = ws->frames.head; l != NULL; l = l->next)
    {
      g_autofree char *frame = test_obj_to_string (l->data);
      g_string_append_printf (text, "\n  %s", frame);
    }

  return g_string_free (text, FALSE);
}

JsonObject *
test_ws_expect_at (const char *file,
                   int         line,
                   TestWs     *ws,
                   const char *type,
                   guint       timeout_ms)
{
  JsonObject *frame = test_ws_next (ws, timeout_ms);

  if (frame == NULL)
    {
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "expected a “%s” frame within %u ms, got nothing; %s",
                    type, timeout_ms, state);
    }

  if (g_strcmp0 (frame_type (frame), type) != 0)
    {
      g_autofree char *text = test_obj_to_string (frame);
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "expected a “%s” frame, got %s; then %s", type, text, state);
    }

  return frame;
}

JsonObject *
test_ws_wait_for_at (const char *file,
                     int         line,
                     TestWs     *ws,
                     const char *type,
                     guint       timeout_ms)
{
  JsonObject *frame = test_ws_find (ws, type, timeout_ms);

  if (frame == NULL)
    {
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "no “%s” frame came within %u ms; %s", type, timeout_ms, state);
    }

  return frame;
}

JsonObject *
test_ws_wait_for_match_at (const char *file,
                           int         line,
                           TestWs     *ws,
                           const char *type,
                           const char *path,
                           const char *value,
                           guint       timeout_ms)
{
  JsonObject *frame = test_ws_find_match (ws, type, path, value, timeout_ms);

  if (frame == NULL)
    {
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "no “%s” frame with %s = “%s” came within %u ms; %s",
                    type, path, value, timeout_ms, state);
    }

  return frame;
}

void
test_ws_expect_none_at (const char *file,
                        int         line,
                        TestWs     *ws,
                        const char *type,
                        guint       ms)
{
  FindData data = { ws, type, NULL, NULL, NULL };

  test_sleep_ms (ms);
  if (find_condition (&data) && data.found != NULL)
    {
      g_autofree char *frame = test_obj_to_string (data.found->data);
      test_fail_at (file, line, "expected no “%s” frame, got %s", type ? type : "(any)", frame);
    }
}

JsonObject *
test_ws_expect_error_at (const char *file,
                         int         line,
                         TestWs     *ws,
                         const char *code,
                         guint       timeout_ms)
{
  JsonObject *frame = test_ws_find (ws, "error", timeout_ms);

  if (frame == NULL)
    {
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "expected an error frame “%s” within %u ms, got none; %s",
                    code, timeout_ms, state);
    }

  if (g_strcmp0 (json_object_get_string_member_with_default (frame, "code", NULL), code) != 0)
    {
      g_autofree char *text = test_obj_to_string (frame);
      test_fail_at (file, line, "expected an error frame “%s”, got %s", code, text);
    }

  return frame;
}

gushort
test_ws_wait_closed_at (const char *file,
                        int         line,
                        TestWs     *ws,
                        guint       timeout_ms)
{
  if (!iterate_until (flag_is_set, &ws->closed, timeout_ms))
    {
      g_autofree char *state = describe_queue (ws);
      test_fail_at (file, line, "the connection did not close within %u ms; %s", timeout_ms,
                    state);
    }

  return ws->close_code;
}

GPtrArray *
test_ws_drain (TestWs *ws,
               guint   ms)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonObject *frame;

  test_sleep_ms (ms);
  while ((frame = g_queue_pop_head (&ws->frames)) != NULL)
    g_ptr_array_add (frames, frame);

  return frames;
}

guint
test_ws_queued (TestWs *ws)
{
  return ws->frames.length;
}

GPtrArray *
test_ws_log (TestWs *ws)
{
  return ws->log;
}

gboolean
test_ws_is_open (TestWs *ws)
{
  return !ws->closed;
}

void
test_ws_close (TestWs *ws)
{
  if (ws->closed)
    return;

  if (soup_websocket_connection_get_state (ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  iterate_until (flag_is_set, &ws->closed, 2000);
}

void
test_ws_free (TestWs *ws)
{
  if (ws == NULL)
    return;

  test_ws_close (ws);
  g_signal_handlers_disconnect_by_data (ws->conn, ws);
  g_clear_object (&ws->conn);
  g_queue_clear_full (&ws->frames, (GDestroyNotify) json_object_unref);
  g_ptr_array_unref (ws->log);
  g_hash_table_unref (ws->ignored);
  g_free (ws->name);
  g_free (ws);
}

/* --- protocol conveniences --- */

JsonObject *
test_visitor_hello (TestWs     *visitor,
                    const char *visitor_id,
                    const char *visitor_token,
                    const char *url)
{
  g_autofree char *id = visitor_id ? g_strdup_printf ("\"%s\"", visitor_id) : g_strdup ("null");
  g_autofree char *token = visitor_token ? g_strdup_printf ("\"%s\"", visitor_token)
                                         : g_strdup ("null");
  JsonObject *welcome;

  test_ws_sendf (visitor,
                 "{'type':'hello','visitor_id':%s,'visitor_token':%s,"
                 "'page':{'url':'%s','title':'Test page','referrer':''},"
                 "'locale':'en-GB','timezone':'Europe/London',"
                 "'user_agent':'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 "
                 "Firefox/115.0'}", id, token, url);
  welcome = test_ws_wait_for (visitor, "welcome", TEST_TIMEOUT_MS);
  g_assert_nonnull (test_obj_string (welcome, "visitor_id"));
  g_assert_nonnull (test_obj_string (welcome, "visitor_token"));
  return welcome;
}

gint64
test_visitor_say (TestWs     *visitor,
                  const char *body,
                  char      **out_conversation_id)
{
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonObject) ack = NULL;
  g_autoptr(JsonObject) echo = NULL;
  gint64 seq;

  test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s'}", client_id, body);
  ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  echo = test_ws_wait_for_match (visitor, "message", "client_id", client_id, TEST_TIMEOUT_MS);

  seq = test_obj_int (ack, "seq");
  g_assert_cmpint (seq, >=, 1);
  g_assert_cmpint (test_obj_int (echo, "seq"), ==, seq);
  g_assert_cmpstr (test_obj_string (echo, "body"), ==, body);
  g_assert_cmpstr (test_obj_string (echo, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (echo, "conversation_id"), ==,
                   test_obj_string (ack, "conversation_id"));

  if (out_conversation_id != NULL)
    *out_conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
  return seq;
}

gint64
test_agent_say (TestWs     *agent,
                const char *conversation_id,
                const char *body)
{
  g_autofree char *client_id = test_client_id ();
  g_autoptr(JsonObject) ack = NULL;

  test_ws_sendf (agent, "{'type':'message','conversation_id':'%s','client_id':'%s','body':'%s'}",
                 conversation_id, client_id, body);
  ack = test_ws_wait_for_match (agent, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (ack, "conversation_id"), ==, conversation_id);
  return test_obj_int (ack, "seq");
}

gint64
test_agent_subscribe (TestWs     *agent,
                      gint64      after_cursor,
                      GPtrArray **out_backlog)
{
  g_autoptr(GPtrArray) backlog = NULL;
  gint64 cursor = -1;

  backlog = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  test_ws_sendf (agent, "{'type':'subscribe','after_cursor':%" G_GINT64_FORMAT "}", after_cursor);

  while (cursor < 0)
    {
      JsonObject *frame = test_ws_next (agent, TEST_TIMEOUT_MS);

      if (frame == NULL)
        {
          g_autofree char *state = describe_queue (agent);
          test_fail_at (__FILE__, __LINE__, "no “synced” after subscribe; %s", state);
        }

      if (g_strcmp0 (frame_type (frame), "synced") == 0)
        {
          cursor = test_obj_int (frame, "cursor");
          json_object_unref (frame);
        }
      else
        {
          g_ptr_array_add (backlog, frame);
        }
    }

  if (out_backlog != NULL)
    *out_backlog = g_steal_pointer (&backlog);
  return cursor;
}

/* --- worlds --- */

static void
add_owner (TestRelay  *relay,
           const char *prefix,
           char      **out_email,
           char      **out_password,
           char      **out_user_id,
           char      **out_token,
           char      **out_site_id,
           char      **out_site_key)
{
  g_autofree char *email = g_strdup_printf ("owner@%s.test", prefix);
  g_autofree char *password = g_strdup_printf ("correct horse battery %s", prefix);
  g_autofree char *name = g_strdup_printf ("Owner %s", prefix);
  g_autofree char *site_name = g_strdup_printf ("Site %s", prefix);
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) site = NULL;

  user = test_relay_create_user (relay, email, password, name);
  site = test_relay_create_site (relay, email, site_name, NULL);

  if (out_user_id != NULL)
    *out_user_id = g_strdup (test_obj_string (user, "id"));
  if (out_site_id != NULL)
    *out_site_id = g_strdup (test_obj_string (site, "id"));
  if (out_site_key != NULL)
    *out_site_key = g_strdup (test_obj_string (site, "site_key"));
  if (out_token != NULL)
    *out_token = test_relay_login (relay, email, password);
  if (out_email != NULL)
    *out_email = g_steal_pointer (&email);
  if (out_password != NULL)
    *out_password = g_steal_pointer (&password);
}

TestWorld *
test_world_new (const char     *extra_config,
                TestWorldFlags  flags)
{
  TestWorld *world = g_new0 (TestWorld, 1);

  world->relay = test_relay_new (extra_config);
  test_relay_start (world->relay);

  add_owner (world->relay, "a", &world->email, &world->password, &world->user_id,
             &world->token, &world->site_id, &world->site_key);

  if (!(flags & TEST_WORLD_NO_AGENT))
    {
      world->agent = test_ws_agent (world->relay, world->token);
      test_ws_set_name (world->agent, "agent A");
      world->synced_cursor = test_agent_subscribe (world->agent, 0, NULL);
    }

  if (!(flags & TEST_WORLD_NO_VISITOR))
    {
      world->visitor = test_ws_widget (world->relay, world->site_key);
      world->welcome = test_visitor_hello (world->visitor, NULL, NULL, "https://a.test/");
      world->visitor_id = g_strdup (test_obj_string (world->welcome, "visitor_id"));
      world->visitor_token = g_strdup (test_obj_string (world->welcome, "visitor_token"));

      if (world->agent != NULL)
        {
          g_autoptr(JsonObject) arrival = test_ws_find (world->agent, "visitor", TEST_TIMEOUT_MS);
          if (arrival == NULL)
            g_test_message ("the agent got no `visitor` event for the new visitor");
        }
    }

  return world;
}

void
test_world_add_tenant (TestWorld  *world,
                       const char *prefix,
                       char      **out_token,
                       char      **out_site_id,
                       char      **out_site_key)
{
  add_owner (world->relay, prefix, NULL, NULL, NULL, out_token, out_site_id, out_site_key);
}

void
test_world_free (TestWorld *world)
{
  if (world == NULL)
    return;

  g_clear_pointer (&world->visitor, test_ws_free);
  g_clear_pointer (&world->agent, test_ws_free);
  g_clear_pointer (&world->welcome, json_object_unref);
  g_clear_pointer (&world->relay, test_relay_free);
  g_free (world->email);
  g_free (world->password);
  g_free (world->user_id);
  g_free (world->token);
  g_free (world->site_id);
  g_free (world->site_key);
  g_free (world->visitor_id);
  g_free (world->visitor_token);
  g_free (world);
}
