/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-paths.c: where the relay finds the files installed beside it.
 *
 * meson records the directories it installs into (under the prefix), but a tree is not always
 * run where it was configured to go: a staged install (DESTDIR), a package extracted with
 * dpkg-deb -x or a container layer put it elsewhere. So the relay takes the folder its own
 * executable is in: when that ends with the configured bindir, whatever comes before it is the
 * root the tree was put under, and the data directory is looked for under the same root. A relay
 * that runs from its build directory (scripts/run, the tests) uses the build's widget and the
 * source tree's geo database instead, so that a development build never serves a stale copy
 * installed earlier. */
#define G_LOG_DOMAIN "confab-paths"

#include "confab-paths.h"
#include "confab-build-paths.h"

#include <string.h>

typedef struct {
  char *widget_dir;
  char *geo_dir;
  char *data_dir;
  char *config_file;
} Paths;

static Paths *
paths_find (void)
{
  Paths *paths = g_new0 (Paths, 1);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree char *root = NULL;

  if (exe != NULL && g_str_has_prefix (exe, CONFAB_BUILD_ROOT G_DIR_SEPARATOR_S))
    {
      paths->widget_dir = g_strdup (CONFAB_HAVE_WIDGET ? CONFAB_BUILD_WIDGET_DIR
                                                      : CONFAB_PKGDATADIR "/widget");
      paths->geo_dir = g_strdup (CONFAB_SOURCE_GEO_DIR);
      paths->data_dir = g_strdup ("./var");
      return paths;
    }

  if (exe_dir != NULL && g_str_has_suffix (exe_dir, CONFAB_BINDIR))
    root = g_strndup (exe_dir, strlen (exe_dir) - strlen (CONFAB_BINDIR));
  else
    root = g_strdup ("");
  paths->widget_dir = g_strconcat (root, CONFAB_PKGDATADIR "/widget", NULL);
  paths->geo_dir = g_strconcat (root, CONFAB_PKGDATADIR "/geo", NULL);
  paths->data_dir = g_strconcat (root, CONFAB_LOCALSTATEDIR "/lib/confab", NULL);
  paths->config_file = g_strconcat (root, CONFAB_SYSCONFDIR "/confab/relay.conf", NULL);
  return paths;
}

static const Paths *
paths_get (void)
{
  static Paths *paths;

  if (g_once_init_enter (&paths))
    g_once_init_leave (&paths, paths_find ());
  return paths;
}

const char *
confab_paths_widget_dir (void)
{
  return paths_get ()->widget_dir;
}

gboolean
confab_paths_have_widget (void)
{
  return CONFAB_HAVE_WIDGET;
}

const char *
confab_paths_geo_dir (void)
{
  return paths_get ()->geo_dir;
}

const char *
confab_paths_data_dir (void)
{
  return paths_get ()->data_dir;
}

const char *
confab_paths_config_file (void)
{
  return paths_get ()->config_file;
}
