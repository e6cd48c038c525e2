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

  /* GSK_RENDERER=cairo draws without OpenGL, yet GTK 4.8's X11 backend opens EGL/GLX when the
   * display opens (to choose its visual): with a software driver that maps Mesa's llvmpipe,
   * 56 MiB of the app's RSS (issue 9's case: 141 MiB → 85 MiB; bench/desktop-catchup.sh with
   * BENCH_SMAPS=1). Not when the user set GDK_DEBUG already. */
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0 && g_getenv ("GDK_DEBUG") == NULL)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);

  app = confab_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
