/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-main.c: the `confab` program. */
#define G_LOG_DOMAIN "confab"

#include <glib/gi18n.h>
#include <locale.h>

#include "confab-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr (ConfabApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = confab_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
