/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-service.c: the relay under a service manager — sd_notify READY=1 once listening,
 * WATCHDOG=1 from the main loop at half of $WATCHDOG_USEC, STOPPING=1 on SIGTERM — seen on a
 * datagram socket the test owns as $NOTIFY_SOCKET; and data/confab-relay.service checked by
 * systemd-analyze (skipped when it is not installed).
 */

#include "relay-harness.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

typedef struct {
  char    *dir;
  char    *socket_path;
  GSocket *socket;
  GPid     pid;
} Service;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts the relay with $NOTIFY_SOCKET pointing at a socket of ours and $WATCHDOG_USEC;
 * $WATCHDOG_PID is the relay's own pid when @watchdog_pid is NULL (a shell that execs it
 * knows the pid first), else @watchdog_pid. */
static Service *
service_start (guint64     watchdog_usec,
               const char *watchdog_pid)
{
  Service *service = g_new0 (Service, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *usec = g_strdup_printf ("%" G_GUINT64_FORMAT, watchdog_usec);
  g_autofree char *data_dir = NULL;
  g_autofree char *script = NULL;

  service->dir = g_dir_make_tmp ("confab-service-XXXXXX", &error);
  g_assert_no_error (error);
  service->socket_path = g_build_filename (service->dir, "notify", NULL);
  data_dir = g_build_filename (service->dir, "data", NULL);

  service->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (service->socket_path);
  g_assert_true (g_socket_bind (service->socket, address, FALSE, &error));
  g_assert_no_error (error);

  envp = g_environ_setenv (envp, "NOTIFY_SOCKET", service->socket_path, TRUE);
  envp = g_environ_setenv (envp, "WATCHDOG_USEC", usec, TRUE);
  envp = g_environ_unsetenv (envp, "WATCHDOG_PID");
  if (watchdog_pid != NULL)
    script = g_strdup_printf ("WATCHDOG_PID=%s; export WATCHDOG_PID; exec \"$0\" \"$@\"",
                              watchdog_pid);
  else
    script = g_strdup ("WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$0\" \"$@\"");

  {
    const char *argv[] = { "/bin/sh", "-c", script, g_getenv ("CONFAB_RELAY"),
                           "--listen", "127.0.0.1:0", "--data-dir", data_dir, NULL };

    g_assert_nonnull (argv[3]);
    g_assert_true (g_spawn_async (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                  die_with_parent, NULL, &service->pid, &error));
    g_assert_no_error (error);
  }

  return service;
}

/* The next notification, or NULL when none came within @timeout_ms. */
static char *
service_next (Service *service,
              guint    timeout_ms)
{
  g_autoptr(GError) error = NULL;
  char buf[4096];
  gssize n;

  if (!g_socket_condition_timed_wait (service->socket, G_IO_IN,
                                      (gint64) timeout_ms * 1000, NULL, &error))
    return NULL;
  n = g_socket_receive (service->socket, buf, sizeof buf - 1, NULL, &error);
  g_assert_no_error (error);
  buf[MAX (n, 0)] = '\0';
  return g_strdup (buf);
}

/* Waits for a notification holding the line @line; the others before it are counted in
 * @out_skipped when given. */
static char *
service_wait_for (Service    *service,
                  const char *line,
                  guint       timeout_ms,
                  guint      *out_watchdogs)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *text = service_next (service,
                                            (deadline - g_get_monotonic_time ()) / 1000 + 1);
      g_auto(GStrv) lines = NULL;

      if (text == NULL)
        break;
      lines = g_strsplit (text, "\n", -1);
      if (g_strv_contains ((const char * const *) lines, line))
        return g_steal_pointer (&text);
      if (out_watchdogs != NULL && g_strv_contains ((const char * const *) lines, "WATCHDOG=1"))
        (*out_watchdogs)++;
    }
  return NULL;
}

/* Counts WATCHDOG=1 notifications during @ms. */
static guint
service_count_watchdogs (Service *service,
                         guint    ms)
{
  guint watchdogs = 0;
  g_autofree char *none = service_wait_for (service, "NO-SUCH-LINE", ms, &watchdogs);

  g_assert_null (none);
  return watchdogs;
}

/* SIGTERM: STOPPING=1 must come, then a clean exit. */
static void
service_stop (Service *service)
{
  g_autofree char *stopping = NULL;
  gint64 deadline;
  int status = 0;
  pid_t done = 0;

  g_assert_cmpint (kill (service->pid, SIGTERM), ==, 0);
  stopping = service_wait_for (service, "STOPPING=1", 5000, NULL);
  g_assert_nonnull (stopping);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((done = waitpid (service->pid, &status, WNOHANG)) == 0 &&
         g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpint (done, ==, service->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  service->pid = 0;
}

static void
service_free (Service *service)
{
  if (service->pid > 0)
    {
      kill (service->pid, SIGKILL);
      waitpid (service->pid, NULL, 0);
    }
  g_clear_object (&service->socket);
  if (service->socket_path != NULL)
    g_unlink (service->socket_path);
  if (service->dir != NULL)
    {
      g_autofree char *argv0 = g_find_program_in_path ("rm");
      const char *argv[] = { argv0, "-rf", service->dir, NULL };

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    }
  g_free (service->socket_path);
  g_free (service->dir);
  g_free (service);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Service, service_free)

static void
test_notify (void)
{
  /* 0.3 s: the relay pings every 150 ms */
  g_autoptr(Service) service = service_start (300 * 1000, NULL);
  g_autofree char *ready = service_wait_for (service, "READY=1", 10000, NULL);
  guint watchdogs;

  g_assert_nonnull (ready);
  g_assert_nonnull (strstr (ready, "STATUS=Listening on 127.0.0.1 port "));

  /* ~10 in 1.5 s; a loaded machine may delay a few */
  watchdogs = service_count_watchdogs (service, 1500);
  g_test_message ("%u watchdog pings in 1.5 s", watchdogs);
  g_assert_cmpuint (watchdogs, >=, 4);
  g_assert_cmpuint (watchdogs, <=, 20);

  /* A relay that does not run cannot ping: the pings are the process's own, not a helper's. */
  g_assert_cmpint (kill (service->pid, SIGSTOP), ==, 0);
  g_usleep (100 * 1000);
  while (TRUE)   /* what was sent before the stop */
    {
      g_autofree char *queued = service_next (service, 0);
      if (queued == NULL)
        break;
    }
  g_assert_cmpuint (service_count_watchdogs (service, 600), ==, 0);
  g_assert_cmpint (kill (service->pid, SIGCONT), ==, 0);
  g_assert_cmpuint (service_count_watchdogs (service, 600), >=, 1);

  service_stop (service);
}

/* $WATCHDOG_PID names another process (the manager meant a parent of ours): no pings. */
static void
test_watchdog_for_another_pid (void)
{
  g_autoptr(Service) service = service_start (200 * 1000, "1");
  g_autofree char *ready = service_wait_for (service, "READY=1", 10000, NULL);

  g_assert_nonnull (ready);
  g_assert_cmpuint (service_count_watchdogs (service, 800), ==, 0);
  service_stop (service);
}

/* --- the unit file --- */

static char *
unit_for_build (const char *tmp_dir)
{
  g_autofree char *source = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data",
                                              "confab-relay.service.in", NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "confab-relay.service", NULL);
  g_autoptr(GString) unit = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (source, &text, NULL, &error));
  g_assert_no_error (error);

  /* the unit's settings for a watchdog and for Type=notify */
  g_assert_nonnull (strstr (text, "\nType=notify\n"));
  g_assert_nonnull (strstr (text, "\nNotifyAccess=main\n"));
  g_assert_nonnull (strstr (text, "\nWatchdogSec="));
  g_assert_nonnull (strstr (text, "\nMemoryMax="));

  /* systemd-analyze verify wants the program to exist: the one just built */
  unit = g_string_new (text);
  g_assert_cmpuint (g_string_replace (unit, "@bindir@/confab-relay",
                                      g_getenv ("CONFAB_RELAY"), 0), ==, 1);
  g_assert_true (g_file_set_contents (path, unit->str, -1, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_unit (void)
{
  g_autofree char *analyze = g_find_program_in_path ("systemd-analyze");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *unit = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *sec_out = NULL, *sec_err = NULL;
  int status = 0;

  if (analyze == NULL)
    {
      g_test_skip ("systemd-analyze is not installed (Debian package systemd): the unit is not checked");
      return;
    }

  tmp_dir = g_dir_make_tmp ("confab-unit-XXXXXX", &error);
  g_assert_no_error (error);
  unit = unit_for_build (tmp_dir);

  /* verify exits 0 even for settings it ignores; it says so on stderr. --man=no: the unit's
   * Documentation=man:confab-relay(1) is installed with the relay, not here. */
  {
    const char *argv[] = { analyze, "verify", "--man=no", unit, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &out, &err, &status, &error));
    g_assert_no_error (error);
    if (*err != '\0')
      g_printerr ("systemd-analyze verify: %s\n", err);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_cmpstr (err, ==, "");
  }

  /* the sandbox: exposure 1.2 on systemd 252 (1.5 before PrivateUsers, PrivateMounts and
   * DevicePolicy); --threshold=13 fails above 1.3 */
  {
    const char *argv[] = { analyze, "security", "--offline=yes", "--threshold=13", "--no-pager",
                           unit, NULL };

    g_assert_true (g_spawn_sync (tmp_dir, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &sec_out, &sec_err, &status, &error));
    g_assert_no_error (error);
    g_test_message ("%s", sec_out);
    if (!g_spawn_check_wait_status (status, NULL))
      g_printerr ("systemd-analyze security:\n%s%s\n", sec_out, sec_err);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  {
    g_autofree char *rm = g_find_program_in_path ("rm");
    const char *argv[] = { rm, "-rf", tmp_dir, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/service/notify", test_notify);
  test_harness_add ("/relay/service/watchdog-for-another-pid", test_watchdog_for_another_pid);
  test_harness_add ("/relay/service/unit", test_unit);

  return g_test_run ();
}
