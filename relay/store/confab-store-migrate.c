/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-migrate.c: `confab-relay migrate --config FILE`.
 *
 * Creates or upgrades the schema of the store the config names, and says which versions it went
 * from and to. A relay migrates on start as well; this is for doing it ahead of a deployment,
 * once, while the relays of the old version still run (migrations only add). With PostgreSQL,
 * several of these (or relays) at once are safe: confab_pg_migrate () holds an advisory lock.
 */
#define G_LOG_DOMAIN "confab-migrate"

#include "confab-store-migrate.h"

#include "confab-config.h"
#include "confab-store.h"
#include "postgresql/confab-pg-schema.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>

static gboolean
migrate_sqlite (ConfabConfig  *config,
                GError       **error)
{
  g_autofree char *path = NULL;
  ConfabStore *store;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create the data directory %s: %s", config->data_dir,
                   g_strerror (errno));
      return FALSE;
    }
  path = g_build_filename (config->data_dir, "confab.db", NULL);
  /* Opening migrates, under SQLite's own write lock. */
  store = confab_store_open (path, config->sync, error);
  if (store == NULL)
    return FALSE;
  confab_store_close (store);
  printf ("SQLite store %s: schema version %d\n", path, confab_store_current_schema_version ());
  return TRUE;
}

static gboolean
migrate_postgresql (ConfabConfig  *config,
                    GError       **error)
{
  g_autoptr (PGconn) conn = confab_pg_connect (config->store_url, error);
  int from = 0, to = 0;

  if (conn == NULL || !confab_pg_migrate (conn, &from, &to, error))
    return FALSE;

  /* The database's name, never the URL: it may carry a password. */
  if (from == to)
    printf ("PostgreSQL database %s: schema version %d, already current\n", PQdb (conn), to);
  else
    printf ("PostgreSQL database %s: schema migrated from version %d to %d\n", PQdb (conn),
            from, to);
  return TRUE;
}

int
confab_store_migrate_main (int    argc,
                           char **argv)
{
  g_autofree char *config_path = NULL, *data_dir = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConfig) config = confab_config_new ();
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Config file (GKeyFile)", "FILE" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "The SQLite store's directory (default: the config's, else ./var)", "DIR" },
    { NULL }
  };
  gboolean ok;

  context = g_option_context_new ("— create or upgrade the store's schema");
  g_option_context_set_summary (context,
                                "Migrates the store named by the config file: <data-dir>/confab.db with "
                                "[store] backend=sqlite, the [store] url database with backend=postgresql.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "confab-relay migrate: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      fprintf (stderr, "confab-relay migrate: unexpected argument “%s”\n", argv[1]);
      return 2;
    }

  if (config_path != NULL && !confab_config_load (config, config_path, &error))
    {
      fprintf (stderr, "confab-relay migrate: %s\n", error->message);
      return 1;
    }
  if (data_dir != NULL)
    {
      g_free (config->data_dir);
      config->data_dir = g_strdup (data_dir);
    }

  if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL)
    ok = migrate_postgresql (config, &error);
  else
    ok = migrate_sqlite (config, &error);

  if (!ok)
    {
      fprintf (stderr, "confab-relay migrate: %s\n", error->message);
      return 1;
    }
  return 0;
}
