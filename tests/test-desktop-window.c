/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-window.c: the real app (in-process, under Xvfb, with a real keyring) under a real
 * window manager (Openbox, started by the test on the test's X server): maximized with a real
 * double-click on its header bar (GTK's title bar action, which asks the window manager), the
 * maximized state and the size from before it are remembered across Ctrl+Q and a restart, and
 * un-maximizing the restarted window gives that size back. Xvfb alone has no window manager, so
 * nothing would ever maximize there: the test brings its own. */
#define G_LOG_DOMAIN "test-desktop-window"

#include <gdk/x11/gdkx.h>
#include <signal.h>
#include <sys/wait.h>

#include "test-desktop-app-util.h"

typedef struct {
  GPid pid;
} Wm;

static gboolean
wm_running (gpointer data)
{
  GdkDisplay *display = gdk_display_get_default ();

  return g_strcmp0 (gdk_x11_screen_get_window_manager_name (gdk_x11_display_get_screen (display)),
                    "unknown") != 0;
}

static void
wm_start (Wm *wm)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "openbox", "--sm-disable", NULL };

  if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &wm->pid, &error))
    g_error ("openbox: %s (scripts/install-deps desktop installs it)", error->message);
  wait_until ("the window manager", wm_running, NULL);
}

static void
wm_stop (Wm *wm)
{
  int status = 0;

  kill (wm->pid, SIGTERM);
  waitpid (wm->pid, &status, 0);
  g_spawn_close_pid (wm->pid);
}

static gboolean
is_maximized (gpointer data)
{
  return gtk_window_is_maximized (GTK_WINDOW (data));
}

static gboolean
is_not_maximized (gpointer data)
{
  return !gtk_window_is_maximized (GTK_WINDOW (data));
}

typedef struct {
  GtkWidget *widget;
  int        width, height;
} Size;

static gboolean
has_size (gpointer data)
{
  Size *s = data;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (s->widget));

  /* the X window's size; the widget's is less its client-side decorations' margins */
  return surface != NULL && gdk_surface_get_width (surface) == s->width &&
         gdk_surface_get_height (surface) == s->height;
}

static gboolean
window_gone (gpointer data)
{
  return confab_application_get_window (CONFAB_APPLICATION (data)) == NULL;
}

/* The first header bar on screen (the window's title bar, in a window with client-side
 * decorations). */
static GtkWidget *
mapped_header_bar (GtkWidget *root)
{
  if (ADW_IS_HEADER_BAR (root) && gtk_widget_get_mapped (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = mapped_header_bar (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A real double-click on the header bar's middle: GTK's "toggle-maximize" title bar action, a
 * request to the window manager. */
static void
double_click_title (App *app)
{
  GtkWidget *bar = mapped_header_bar (GTK_WIDGET (app->window));
  const char *argv[] = { "xdotool", "click", "--repeat", "2", "--delay", "80", "1", NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_assert_nonnull (bar);
  x_move (bar, gtk_widget_get_width (bar) / 2.0, gtk_widget_get_height (bar) / 2.0);
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("xdotool: %s", error->message);
}

static void
test_maximized_remembered (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  App app = { 0 };
  Size size;
  Wm wm = { 0 };
  gboolean maximized = FALSE;
  int width = 0, height = 0;

  app_start (&app, world->relay, FALSE);
  wm_start (&wm);
  g_object_set (confab_application_get_settings (app.app), "window-width", 1100,
                "window-height", 720, "window-maximized", FALSE, NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  size = (Size) { GTK_WIDGET (app.window), 1100, 720 };
  wait_until ("the window at 1100×720", has_size, &size);
  x_focus (GTK_WINDOW (app.window));
  settle (300);

  double_click_title (&app);
  wait_until ("the window maximized", is_maximized, app.window);
  /* the whole 1600×1000 screen: the window manager did it, not just GTK's idea of it */
  size = (Size) { GTK_WIDGET (app.window), 1600, 1000 };
  wait_until ("the window at 1600×1000", has_size, &size);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "window-maximized"));

  x_key ("ctrl+q");
  wait_until ("the app quit", window_gone, app.app);
  app.window = NULL;
  main_window = NULL;
  g_object_get (confab_application_get_settings (app.app), "window-maximized", &maximized,
                "window-width", &width, "window-height", &height, NULL);
  g_assert_true (maximized);
  /* the size to go back to when un-maximized, not the screen's */
  g_assert_cmpint (width, ==, 1100);
  g_assert_cmpint (height, ==, 720);
  g_clear_object (&app.app);

  /* the next start: maximized again (the settings backend lives as long as the process; the
   * first app's D-Bus object path is still taken, hence another id) */
  app.app = confab_application_new ("chat.confab.Confab.Test2", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app.app), NULL, NULL));
  app_activate (&app);
  wait_until ("the window maximized again", is_maximized, app.window);
  size = (Size) { GTK_WIDGET (app.window), 1600, 1000 };
  wait_until ("the window at 1600×1000 again", has_size, &size);
  x_focus (GTK_WINDOW (app.window));
  settle (300);

  /* un-maximized: the remembered size, and that is what is remembered next */
  double_click_title (&app);
  wait_until ("the window un-maximized", is_not_maximized, app.window);
  size = (Size) { GTK_WIDGET (app.window), 1100, 720 };
  wait_until ("the window back at 1100×720", has_size, &size);
  settle (200);
  x_key ("ctrl+q");
  wait_until ("the app quit again", window_gone, app.app);
  app.window = NULL;
  main_window = NULL;
  g_object_get (confab_application_get_settings (app.app), "window-maximized", &maximized,
                "window-width", &width, "window-height", &height, NULL);
  g_assert_false (maximized);
  g_assert_cmpint (width, ==, 1100);
  g_assert_cmpint (height, ==, 720);
  g_clear_object (&app.app);
  wm_stop (&wm);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  test_harness_init (&argc, &argv);
  test_harness_add ("/desktop/window/maximized-remembered", test_maximized_remembered);
  return g_test_run ();
}
