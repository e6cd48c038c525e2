/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-admin"

#include "confab-admin.h"
#include "confab-auth.h"
#include "confab-config.h"
#include "confab-pg-store.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

static const char *usage_text =
  "Usage:\n"
  "  confab-relay admin create-user --data-dir DIR --email E [--password-file F] [--name N]\n"
  "  confab-relay admin create-site --data-dir DIR --owner E --name N [--domain D ...]\n"
  "  confab-relay admin add-member  --data-dir DIR --site SITE_ID --email E --role owner|admin|agent\n"
  "  confab-relay admin backup      --data-dir DIR --to FILE\n"
  "\n"
  "  confab-relay admin migrate-store --from-config A --to-config B\n"
  "\n"
  "--config FILE instead of --data-dir (or with it) uses the config's store: its [store]\n"
  "backend=postgresql database, else its data-dir.\n"
  "\n"
  "Passwords are read from --password-file, or from standard input without it (never from the\n"
  "command line, where other users could see them). Each command prints what it made as one line\n"
  "of JSON.\n";

/* The store of --config FILE ([store] backend and url, else its data-dir), or of --data-dir,
 * which wins over the file's data-dir. */
static ConfabStore *
open_store (const char  *data_dir,
            const char  *config_path,
            GError     **error)
{
  g_autoptr (ConfabConfig) config = NULL;
  g_autofree char *path = NULL;

  if (config_path != NULL)
    {
      config = confab_config_new ();
      if (!confab_config_load (config, config_path, error))
        return NULL;
      if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL)
        return confab_pg_store_open (config->store_url, error);
      if (data_dir == NULL)
        data_dir = config->data_dir;
    }

  if (data_dir == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--data-dir or --config is required");
      return NULL;
    }
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot create %s: %s", data_dir, g_strerror (errno));
      return NULL;
    }

  path = g_build_filename (data_dir, "confab.db", NULL);
  return confab_store_open (path, CONFAB_STORE_SYNC_FULL, error);
}

static char *
read_password (const char  *path,
               GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (path != NULL && strcmp (path, "-") != 0)
    {
      if (!g_file_get_contents (path, &contents, &len, error))
        return NULL;
    }
  else
    {
      g_autoptr (GInputStream) in = g_unix_input_stream_new (0, FALSE);
      g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

      if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
        return NULL;
      len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
      contents = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)), len);
    }

  /* one trailing line break is how files and terminals end a line, not part of the password */
  len = strlen (contents);
  if (len > 0 && contents[len - 1] == '\n')
    contents[--len] = '\0';
  if (len > 0 && contents[len - 1] == '\r')
    contents[--len] = '\0';

  if (!g_utf8_validate (contents, -1, NULL) || g_utf8_strlen (contents, -1) < CONFAB_AUTH_MIN_PASSWORD_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The password must be valid UTF-8 text of at least %d characters",
                   CONFAB_AUTH_MIN_PASSWORD_LENGTH);
      return NULL;
    }

  return g_steal_pointer (&contents);
}

static void
print_json (JsonObject *object)
{
  g_autofree char *text = confab_json_object_to_string (object);

  printf ("%s\n", text);
  fflush (stdout);
}

static gboolean
create_user (int      argc,
             char   **argv,
             GError **error)
{
  g_autofree char *data_dir = NULL, *email = NULL, *password_file = NULL, *name = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *password = NULL, *hash = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("create-user");
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Config file: its [store]", "FILE" },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, "E-mail to sign in with", "E" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "File holding the password (- for standard input)", "F" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "Name shown to visitors (default: " CONFAB_DEFAULT_AGENT_NAME ")", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (email == NULL || strchr (email, '@') == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--email needs an e-mail address");
      return FALSE;
    }

  if ((password = read_password (password_file, error)) == NULL ||
      !confab_auth_init (error) ||
      (hash = confab_auth_hash_password (password, error)) == NULL ||
      (store = open_store (data_dir, config_path, error)) == NULL)
    return FALSE;

  /* Visitors see this name on every answer: never anything taken from the e-mail address,
   * which is private (and often says who the person is). */
  if (name == NULL || *name == '\0')
    {
      g_free (name);
      name = g_strdup (CONFAB_DEFAULT_AGENT_NAME);
    }

  user = confab_store_create_user (store, email, name, hash, error);
  if (user == NULL)
    return FALSE;

  object = confab_user_to_json (user);
  print_json (object);
  return TRUE;
}

static gboolean
create_site (int      argc,
             char   **argv,
             GError **error)
{
  g_autofree char *data_dir = NULL, *owner = NULL, *name = NULL, *config_path = NULL;
  g_auto (GStrv) domains = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("create-site");
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Config file: its [store]", "FILE" },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &owner, "E-mail of the owner", "E" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Site name", "N" },
    { "domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &domains, "Allowed domain (repeat)", "D" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (owner == NULL || name == NULL || *name == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--owner and --name are required");
      return FALSE;
    }

  if ((store = open_store (data_dir, config_path, error)) == NULL ||
      (user = confab_store_get_user_by_email (store, owner, error)) == NULL)
    return FALSE;

  for (guint i = 0; domains && domains[i]; i++)
    {
      char *lower = g_ascii_strdown (domains[i], -1);
      g_free (domains[i]);
      domains[i] = lower;
    }

  site = confab_store_create_site (store, user->id, name, (const char * const *) domains, error);
  if (site == NULL)
    return FALSE;

  site->role = CONFAB_ROLE_OWNER;
  object = confab_site_to_json (site);
  print_json (object);
  return TRUE;
}

static gboolean
add_member (int      argc,
            char   **argv,
            GError **error)
{
  g_autofree char *data_dir = NULL, *site_id = NULL, *email = NULL, *role_text = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GOptionContext) context = g_option_context_new ("add-member");
  ConfabRole role;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Config file: its [store]", "FILE" },
    { "site", 0, 0, G_OPTION_ARG_STRING, &site_id, "Site id", "SITE_ID" },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, "E-mail of the user", "E" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_text, "owner, admin or agent", "R" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  role = confab_role_from_string (role_text);
  if (site_id == NULL || email == NULL || role == CONFAB_ROLE_NONE)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--site, --email and --role (owner, admin or agent) are required");
      return FALSE;
    }

  if ((store = open_store (data_dir, config_path, error)) == NULL ||
      (user = confab_store_get_user_by_email (store, email, error)) == NULL ||
      (site = confab_store_get_site (store, site_id, error)) == NULL ||
      !confab_store_set_member (store, site->id, user->id, role, error))
    return FALSE;

  json_object_set_string_member (object, "site_id", site->id);
  json_object_set_string_member (object, "user_id", user->id);
  json_object_set_string_member (object, "role", confab_role_to_string (role));
  print_json (object);
  return TRUE;
}

/* A copy of the live database, safe while relays run (SQLite's online backup API). */
static gboolean
backup (int      argc,
        char   **argv,
        GError **error)
{
  g_autofree char *data_dir = NULL, *to = NULL, *db_path = NULL, *absolute = NULL;
  g_autofree char *db_absolute = NULL;
  g_autoptr (ConfabStore) store = NULL;
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GOptionContext) context = g_option_context_new ("backup");
  GStatBuf st;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory", "DIR" },
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &to, "The backup file to write (replaced whole)", "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (data_dir == NULL || to == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--data-dir and --to are required");
      return FALSE;
    }

  /* a backup of nothing is a mistake (a wrong --data-dir), not an empty database */
  db_path = g_build_filename (data_dir, "confab.db", NULL);
  if (!g_file_test (db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "There is no database in %s", data_dir);
      return FALSE;
    }
  absolute = g_canonicalize_filename (to, NULL);
  db_absolute = g_canonicalize_filename (db_path, NULL);
  if (g_strcmp0 (absolute, db_absolute) == 0 ||
      g_file_test (absolute, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--to must name a new file, not the database itself or a directory");
      return FALSE;
    }

  if ((store = open_store (data_dir, NULL, error)) == NULL ||
      !confab_store_backup (store, absolute, error))
    return FALSE;

  json_object_set_string_member (object, "to", absolute);
  if (g_stat (absolute, &st) == 0)
    json_object_set_int_member (object, "bytes", st.st_size);
  json_object_set_int_member (object, "schema_version", confab_store_schema_version (store));
  print_json (object);
  return TRUE;
}

int
confab_admin_main (int    argc,
                   char **argv)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (argc < 2)
    {
      fputs (usage_text, stderr);
      return 2;
    }

  if (strcmp (argv[1], "create-user") == 0)
    ok = create_user (argc - 1, argv + 1, &error);
  else if (strcmp (argv[1], "create-site") == 0)
    ok = create_site (argc - 1, argv + 1, &error);
  else if (strcmp (argv[1], "add-member") == 0)
    ok = add_member (argc - 1, argv + 1, &error);
  else if (strcmp (argv[1], "backup") == 0)
    ok = backup (argc - 1, argv + 1, &error);
  else if (strcmp (argv[1], "migrate-store") == 0)
    ok = confab_admin_migrate_store (argc - 1, argv + 1, &error);
  else
    {
      fprintf (stderr, "Unknown admin command “%s”\n\n%s", argv[1], usage_text);
      return 2;
    }

  if (!ok)
    {
      fprintf (stderr, "confab-relay admin %s: %s\n", argv[1], error ? error->message : "failed");
      return 1;
    }
  return 0;
}
