/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pg-harness.c: throwaway PostgreSQL and Redis servers for tests; see pg-harness.h. */
#define G_LOG_DOMAIN "pg-harness"

#include "pg-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bounds: a loaded CI machine may take a while to start PostgreSQL, never this long. */
#define START_TIMEOUT_S 60
#define STOP_TIMEOUT_S 20
#define START_ATTEMPTS 3

struct _PgServer {
  char    *dir;
  char    *url;
  GPid     pid;
  guint16  port;
};

struct _RedisServer {
  char    *dir;
  char    *url;
  GPid     pid;
  guint16  port;
};

/* Who the servers run as: the caller, or "nobody" when the caller is root (PostgreSQL refuses
 * root, and neither server needs it). */
typedef struct {
  gboolean drop;
  uid_t    uid;
  gid_t    gid;
  int      death_signal;
} RunAs;

static gboolean
run_as_init (RunAs   *run_as,
             int      death_signal,
             GError **error)
{
  struct passwd *pw;

  run_as->drop = geteuid () == 0;
  run_as->death_signal = death_signal;
  if (!run_as->drop)
    return TRUE;

  pw = getpwnam ("nobody");
  if (pw == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "running as root and there is no user “nobody” to run the test "
                           "servers as (PostgreSQL refuses root)");
      return FALSE;
    }
  run_as->uid = pw->pw_uid;
  run_as->gid = pw->pw_gid;
  return TRUE;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void
child_setup (gpointer user_data)
{
  RunAs *run_as = user_data;

  if (run_as->drop)
    {
      if (setgroups (0, NULL) != 0 || setgid (run_as->gid) != 0 || setuid (run_as->uid) != 0)
        _exit (126);
    }
  /* After setuid, which clears it: the server dies with the test, even a crashed one. */
  if (run_as->death_signal != 0)
    prctl (PR_SET_PDEATHSIG, run_as->death_signal);
}

static char *
make_dir (const char  *pattern,
          RunAs       *run_as,
          GError     **error)
{
  g_autofree char *dir = g_dir_make_tmp (pattern, error);

  if (dir == NULL)
    return NULL;
  if (run_as->drop && chown (dir, run_as->uid, run_as->gid) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot hand %s to the server's user: %s", dir, g_strerror (errno));
      g_rmdir (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

static void
remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* Servers die with their test (PR_SET_PDEATHSIG), but a test that aborts leaves their directory
 * behind. Those whose server is gone, owned by the servers' user and untouched for ten minutes
 * (no start takes that long) are removed at the next start. */
static void
remove_stale_dirs (const char *prefix,
                   const char *pid_name,
                   RunAs      *run_as)
{
  g_autoptr (GDir) tmp = g_dir_open (g_get_tmp_dir (), 0, NULL);
  uid_t owner = run_as->drop ? run_as->uid : geteuid ();
  const char *name;

  while (tmp != NULL && (name = g_dir_read_name (tmp)) != NULL)
    {
      g_autofree char *path = NULL, *pid_file = NULL, *pid_text = NULL;
      struct stat st;

      if (!g_str_has_prefix (name, prefix))
        continue;
      path = g_build_filename (g_get_tmp_dir (), name, NULL);
      if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode) || st.st_uid != owner ||
          time (NULL) - st.st_mtime < 600)
        continue;
      pid_file = g_build_filename (path, pid_name, NULL);
      if (g_file_get_contents (pid_file, &pid_text, NULL, NULL))
        {
          gint64 pid = g_ascii_strtoll (pid_text, NULL, 10);

          if (pid > 0 && (kill ((pid_t) pid, 0) == 0 || errno != ESRCH))
            continue;  /* its server still runs */
        }
      g_debug ("Removing %s, left by a test that did not finish", path);
      remove_tree (path);
    }
}

/* A port nobody listens on right now. Another process may take it before the server binds
 * it: the callers retry a start that fails. */
static guint16
free_port (GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL || !g_socket_bind (socket, any, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Starts @argv in @dir with its output appended to @log. */
static gboolean
spawn_server (const char * const *argv,
              const char         *dir,
              const char         *log,
              RunAs              *run_as,
              GPid               *out_pid,
              GError            **error)
{
  int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  gboolean ok;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot open %s: %s",
                   log, g_strerror (errno));
      return FALSE;
    }
  if (run_as->drop && fchown (fd, run_as->uid, run_as->gid) != 0)
    g_debug ("Cannot hand %s over: %s", log, g_strerror (errno));
  ok = g_spawn_async_with_pipes_and_fds (dir, argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         child_setup, run_as, -1, fd, fd, NULL, NULL, 0,
                                         out_pid, NULL, NULL, NULL, error);
  close (fd);
  return ok;
}

/* TRUE when @pid has exited (it is reaped then). */
static gboolean
has_exited (GPid pid)
{
  int status;

  return waitpid (pid, &status, WNOHANG) == pid;
}

static void
stop_process (GPid pid,
              int  signal_number)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_S * G_USEC_PER_SEC;
  int status;

  if (pid <= 0)
    return;
  kill (pid, signal_number);
  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return;
      g_usleep (10000);
    }
  g_warning ("Server %d did not stop within %d s: killing it", (int) pid, STOP_TIMEOUT_S);
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
}

static char *
log_tail (const char *log)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (log, &contents, &len, NULL))
    return g_strdup ("(no log)");
  return g_strdup (len > 2000 ? contents + len - 2000 : contents);
}

/* --- PostgreSQL ------------------------------------------------------------------------------ */

const char *
pg_server_bindir (void)
{
  const char *bindir = g_getenv ("CONFAB_PG_BINDIR");

  return bindir != NULL && *bindir != '\0' ? bindir : "/usr/lib/postgresql/15/bin";
}

static gboolean
pg_initdb (const char  *bindir,
           const char  *dir,
           RunAs       *run_as,
           GError     **error)
{
  g_autofree char *initdb = g_build_filename (bindir, "initdb", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = {
    initdb, "-D", data, "-U", "confab", "--auth=trust", "-E", "UTF8", "--locale=C",
    "--no-sync", "--no-instructions", NULL
  };
  int status = 0;

  if (!g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_DEFAULT, child_setup, run_as,
                     &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "initdb failed: %s%s", out, err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pg_wait_ready (PgServer    *server,
               const char  *log,
               GError     **error)
{
  g_autofree char *admin_url = g_strdup_printf ("postgresql://confab@127.0.0.1:%u/postgres"
                                                "?connect_timeout=5", server->port);
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC;
  PGconn *conn;
  PGresult *result;
  gboolean ok;

  while (PQping (admin_url) != PQPING_OK)
    {
      if (has_exited (server->pid))
        {
          g_autofree char *tail = log_tail (log);

          server->pid = 0;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "postgres exited at start: %s", tail);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "postgres did not accept connections within %d s", START_TIMEOUT_S);
          return FALSE;
        }
      g_usleep (20000);
    }

  conn = PQconnectdb (admin_url);
  result = PQexec (conn, "CREATE DATABASE confab");
  ok = PQresultStatus (result) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create the test database: %s",
                 PQerrorMessage (conn));
  PQclear (result);
  PQfinish (conn);
  return ok;
}

PgServer *
pg_server_start (GError **error)
{
  const char *bindir = pg_server_bindir ();
  g_autofree char *initdb = g_build_filename (bindir, "initdb", NULL);
  g_autofree char *postgres = g_build_filename (bindir, "postgres", NULL);
  g_autoptr (PgServer) server = NULL;
  g_autofree char *data = NULL, *log = NULL;
  RunAs run_as;

  if (!g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (postgres, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "PostgreSQL 15 is not installed (no %s): scripts/install-deps tests "
                   "installs it, or set CONFAB_PG_BINDIR", initdb);
      return NULL;
    }
  /* SIGQUIT: PostgreSQL's immediate shutdown, which also frees its shared memory */
  if (!run_as_init (&run_as, SIGQUIT, error))
    return NULL;

  remove_stale_dirs ("confab-pg-", "data/postmaster.pid", &run_as);
  server = g_new0 (PgServer, 1);
  server->dir = make_dir ("confab-pg-XXXXXX", &run_as, error);
  if (server->dir == NULL)
    return NULL;
  data = g_build_filename (server->dir, "data", NULL);
  log = g_build_filename (server->dir, "postgres.log", NULL);

  if (!pg_initdb (bindir, server->dir, &run_as, error))
    return NULL;

  for (int attempt = 1; ; attempt++)
    {
      g_autoptr (GError) local_error = NULL;
      g_autofree char *port = NULL;
      const char *argv[] = {
        postgres, "-D", data, "-p", NULL, "-h", "127.0.0.1", "-k", server->dir,
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=60", "-c", "shared_buffers=32MB",
        "-c", "log_min_messages=warning", "-c", "logging_collector=off", NULL
      };

      server->port = free_port (error);
      if (server->port == 0)
        return NULL;
      port = g_strdup_printf ("%u", server->port);
      argv[4] = port;

      if (spawn_server (argv, server->dir, log, &run_as, &server->pid, &local_error) &&
          pg_wait_ready (server, log, &local_error))
        break;

      stop_process (server->pid, SIGQUIT);
      server->pid = 0;
      if (attempt == START_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_debug ("PostgreSQL did not start on port %u, trying another: %s", server->port,
               local_error->message);
    }

  server->url = g_strdup_printf ("postgresql://confab@127.0.0.1:%u/confab", server->port);
  return g_steal_pointer (&server);
}

const char *
pg_server_get_url (PgServer *server)
{
  return server->url;
}

guint16
pg_server_get_port (PgServer *server)
{
  return server->port;
}

const char *
pg_server_get_socket_dir (PgServer *server)
{
  return server->dir;
}

void
pg_server_stop (PgServer *server)
{
  if (server == NULL)
    return;
  /* SIGINT: fast shutdown, open sessions are ended */
  stop_process (server->pid, SIGINT);
  if (server->dir != NULL)
    remove_tree (server->dir);
  g_free (server->dir);
  g_free (server->url);
  g_free (server);
}

/* --- Redis ----------------------------------------------------------------------------------- */

static gboolean
redis_ping (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  char reply[16] = { 0 };
  gsize got = 0;

  g_socket_client_set_timeout (client, 2);
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  "PING\r\n", 6, NULL, NULL, NULL) ||
      !g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                reply, 7, &got, NULL, NULL))
    return FALSE;
  return got == 7 && memcmp (reply, "+PONG\r\n", 7) == 0;
}

RedisServer *
redis_server_start (GError **error)
{
  g_autofree char *redis = g_find_program_in_path ("redis-server");
  g_autoptr (RedisServer) server = NULL;
  g_autofree char *log = NULL, *pid_file = NULL;
  RunAs run_as;

  if (redis == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "Redis is not installed (no redis-server in PATH): "
                           "scripts/install-deps tests installs it");
      return NULL;
    }
  if (!run_as_init (&run_as, SIGKILL, error))
    return NULL;

  remove_stale_dirs ("confab-redis-", "redis.pid", &run_as);
  server = g_new0 (RedisServer, 1);
  server->dir = make_dir ("confab-redis-XXXXXX", &run_as, error);
  if (server->dir == NULL)
    return NULL;
  log = g_build_filename (server->dir, "redis.log", NULL);
  pid_file = g_build_filename (server->dir, "redis.pid", NULL);

  for (int attempt = 1; ; attempt++)
    {
      g_autoptr (GError) local_error = NULL;
      g_autofree char *port = NULL;
      gint64 deadline;
      const char *argv[] = {
        redis, "--port", NULL, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", server->dir, "--daemonize", "no", "--protected-mode", "yes",
        "--pidfile", pid_file, NULL
      };

      server->port = free_port (error);
      if (server->port == 0)
        return NULL;
      port = g_strdup_printf ("%u", server->port);
      argv[2] = port;

      if (spawn_server (argv, server->dir, log, &run_as, &server->pid, &local_error))
        {
          deadline = g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC;
          while (!redis_ping (server->port))
            {
              if (has_exited (server->pid))
                {
                  g_autofree char *tail = log_tail (log);

                  server->pid = 0;
                  g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "redis-server exited at start: %s", tail);
                  break;
                }
              if (g_get_monotonic_time () > deadline)
                {
                  g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "redis-server did not answer within %d s", START_TIMEOUT_S);
                  break;
                }
              g_usleep (10000);
            }
          if (local_error == NULL)
            break;
        }

      stop_process (server->pid, SIGKILL);
      server->pid = 0;
      if (attempt == START_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  server->url = g_strdup_printf ("redis://127.0.0.1:%u/0", server->port);
  return g_steal_pointer (&server);
}

const char *
redis_server_get_url (RedisServer *server)
{
  return server->url;
}

guint16
redis_server_get_port (RedisServer *server)
{
  return server->port;
}

void
redis_server_stop (RedisServer *server)
{
  if (server == NULL)
    return;
  stop_process (server->pid, SIGTERM);
  if (server->dir != NULL)
    remove_tree (server->dir);
  g_free (server->dir);
  g_free (server->url);
  g_free (server);
}
