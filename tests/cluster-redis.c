/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cluster-redis"

#include "cluster-redis.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

/* a test that aborts leaves no redis-server behind */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint16
free_port (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
answers (ClusterRedis *redis)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  char reply[8] = { 0 };

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", redis->port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  "PING\r\n", 6, NULL, NULL, NULL))
    return FALSE;
  if (!g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                reply, 7, NULL, NULL, NULL))
    return FALSE;
  return g_str_equal (reply, "+PONG\r\n");
}

static void
spawn (ClusterRedis *redis)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", redis->port);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  gint64 deadline;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  redis->process = g_subprocess_launcher_spawn (launcher, &error,
                                                "redis-server", "--port", port,
                                                "--bind", "127.0.0.1", "--save", "",
                                                "--appendonly", "no", "--dir", redis->dir,
                                                "--unixsocket", redis->socket,
                                                "--daemonize", "no", "--loglevel", "warning",
                                                NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!answers (redis))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

ClusterRedis *
cluster_redis_start (void)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  ClusterRedis *redis;

  if (program == NULL)
    {
      g_test_skip ("redis-server is not installed (apt-get install redis-server)");
      return NULL;
    }

  redis = g_new0 (ClusterRedis, 1);
  redis->dir = g_dir_make_tmp ("confab-redis-XXXXXX", NULL);
  g_assert_nonnull (redis->dir);
  redis->socket = g_build_filename (redis->dir, "redis.sock", NULL);
  redis->port = free_port ();
  redis->url = g_strdup_printf ("redis://127.0.0.1:%u/0", redis->port);
  spawn (redis);
  return redis;
}

void
cluster_redis_kill (ClusterRedis *redis)
{
  if (redis->process == NULL)
    return;
  g_subprocess_send_signal (redis->process, SIGKILL);
  g_subprocess_wait (redis->process, NULL, NULL);
  g_clear_object (&redis->process);
}

void
cluster_redis_restart (ClusterRedis *redis)
{
  cluster_redis_kill (redis);
  spawn (redis);
}

void
cluster_redis_free (ClusterRedis *redis)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (redis == NULL)
    return;

  cluster_redis_kill (redis);
  dir = g_dir_open (redis->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (redis->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (redis->dir);
  g_free (redis->dir);
  g_free (redis->socket);
  g_free (redis->url);
  g_free (redis);
}

gboolean
cluster_wait (gboolean (*done) (gpointer data),
              gpointer data,
              guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* without blocking, so that the deadline is checked even when nothing happens */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return TRUE;
}
