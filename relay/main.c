/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-relay: the Confab server */
#define G_LOG_DOMAIN "confab-relay"

#include "confab-admin.h"
#include "confab-auth.h"
#include "confab-hub.h"
#include "confab-paths.h"
#include "confab-relay.h"
#include "confab-service.h"
#include "confab-store-migrate.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Every connection is a descriptor, and the usual soft limit (1024) is far below what a
 * public relay holds; the hard limit is what the administrator allows (LimitNOFILE=). */
static void
raise_nofile_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_message ("Cannot raise the open files limit: %s", g_strerror (errno));
}

/* The config file when --config names none: under systemd, relay.conf in the unit's
 * ConfigurationDirectory=; otherwise the installed <sysconfdir>/confab/relay.conf. Either only
 * when it exists: without one, every key has its default. */
static char *
default_config_path (void)
{
  const char *config_dirs = g_getenv ("CONFIGURATION_DIRECTORY");
  g_autofree char *path = NULL;

  /* systemd lists one folder per ConfigurationDirectory= entry, separated by colons */
  if (config_dirs != NULL && *config_dirs != '\0')
    {
      g_auto (GStrv) dirs = g_strsplit (config_dirs, ":", 2);
      path = g_build_filename (dirs[0], "relay.conf", NULL);
    }
  else if (confab_paths_config_file () != NULL)
    path = g_strdup (confab_paths_config_file ());

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return g_steal_pointer (&path);
}

/* --check-config FILE: what the relay would refuse at start, said now, without starting. */
static int
check_config (const char *path)
{
  g_autoptr (ConfabConfig) config = confab_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (!confab_config_load (config, path, &error) ||
      !confab_config_parse_listen (config->listen, &host, &port, &error))
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      return 1;
    }
  printf ("%s: OK\n", path);
  return 0;
}

typedef struct {
  GMainLoop   *loop;
  ConfabRelay *relay;
  gboolean     stopping;
} Running;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Running *running = user_data;

  if (running->stopping)
    return G_SOURCE_CONTINUE;
  running->stopping = TRUE;

  g_message ("Stopping: saying goodbye to every connection");
  confab_service_stopping ();
  confab_relay_stop_listening (running->relay);
  confab_hub_close_all (running->relay->hub);
  /* a moment for the close frames to leave; every message was persisted when it was acked */
  g_timeout_add (200, quit_loop, running->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *config_path = NULL, *listen = NULL, *data_dir = NULL, *check_path = NULL;
  const char *state_dirs;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConfig) config = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  ConfabRelay *relay;
  gboolean version = FALSE;
  Running running = { 0 };
  guint term_source, int_source;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Config file (GKeyFile)", "FILE" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1:8080; port 0 picks a free one)", "HOST:PORT" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Where the database lives (default ./var)", "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { "check-config", 0, 0, G_OPTION_ARG_FILENAME, &check_path, "Check a config file and exit (0: it is good)", "FILE" },
    { NULL }
  };

  /* a peer that goes away mid-write must be an error on that connection, not our death */
  signal (SIGPIPE, SIG_IGN);

  if (argc > 1 && strcmp (argv[1], "admin") == 0)
    return confab_admin_main (argc - 1, argv + 1);
  if (argc > 1 && strcmp (argv[1], "migrate") == 0)
    return confab_store_migrate_main (argc - 1, argv + 1);

  context = g_option_context_new ("— the Confab relay");
  g_option_context_set_description (context,
                                    "Admin commands:\n"
                                    "  confab-relay admin create-user --data-dir DIR --email E --password-file F [--name N]\n"
                                    "  confab-relay admin create-site --data-dir DIR --owner E --name N [--domain D ...]\n"
                                    "  confab-relay admin add-member --data-dir DIR --site ID --email E --role R\n"
                                    "  confab-relay admin backup --data-dir DIR --to FILE\n"
                                    "Schema:\n"
                                    "  confab-relay migrate --config FILE\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("confab-relay %s\n", CONFAB_VERSION);
      return 0;
    }
  if (check_path != NULL)
    return check_config (check_path);
  if (config_path == NULL && (config_path = default_config_path ()) != NULL)
    g_message ("Config: %s", config_path);

  config = confab_config_new ();
  if (config_path != NULL && !confab_config_load (config, config_path, &error))
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      return 1;
    }
  /* the command line wins over the file */
  if (listen != NULL)
    {
      g_free (config->listen);
      config->listen = g_strdup (listen);
    }
  /* then systemd's StateDirectory= (the first, should the unit name several) */
  state_dirs = g_getenv ("STATE_DIRECTORY");
  if (data_dir == NULL && state_dirs != NULL && *state_dirs != '\0')
    {
      g_auto (GStrv) dirs = g_strsplit (state_dirs, ":", 2);
      data_dir = g_strdup (dirs[0]);
    }
  if (data_dir != NULL)
    {
      g_free (config->data_dir);
      config->data_dir = g_strdup (data_dir);
    }

  raise_nofile_limit ();

  if (!confab_auth_init (&error))
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      return 1;
    }

  relay = confab_relay_new (g_steal_pointer (&config), &error);
  if (relay == NULL)
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      return 1;
    }

  /* Before listening: whoever reads "listening on" may send SIGTERM at once, and it must
   * find the clean shutdown, not the default action. */
  loop = g_main_loop_new (NULL, FALSE);
  running.loop = loop;
  running.relay = relay;
  term_source = g_unix_signal_add (SIGTERM, on_stop_signal, &running);
  int_source = g_unix_signal_add (SIGINT, on_stop_signal, &running);

  if (!confab_relay_listen (relay, &error))
    {
      fprintf (stderr, "confab-relay: %s\n", error->message);
      g_source_remove (term_source);
      g_source_remove (int_source);
      g_clear_pointer (&relay, confab_relay_free);
      return 1;
    }
  {
    g_autofree char *status = g_strdup_printf ("Listening on %s port %u", relay->host, relay->port);
    confab_service_ready (status);
  }

  g_main_loop_run (loop);

  g_source_remove (term_source);
  g_source_remove (int_source);
  confab_relay_free (relay);
  g_message ("Stopped");
  return 0;
}
