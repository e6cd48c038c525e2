/* SPDX-License-Identifier: GPL-3.0-or-later */
/* baseline-window.c: the desktop start-up benchmark's baseline peer.
 *
 * The least a libadwaita app can do to show an inbox: an AdwApplicationWindow with a header bar
 * and a GtkListView over 10,000 rows held in memory (a GtkStringList), no cache, no network,
 * no templates. It prints its time to the first painted frame exactly as `confab` does under
 * CONFAB_BENCH_STARTUP, so bench/desktop-startup.sh can report confab ÷ this floor.
 *
 * BENCH_CATCHUP=N (bench/desktop-catchup.sh): the list starts empty and N rows arrive, each
 * inserted at the top on its own (one items-changed per row, as the inbox gets them), from an
 * idle callback working at most 8 ms per main-loop turn; frames and stalls are measured as in
 * the app (bench/frame-meter.h) and printed as one JSON line.
 */
#include <adwaita.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "frame-meter.h"

static double
ms_since_process_start (void)
{
  g_autofree char *stat = NULL;
  const char *after_comm;
  unsigned long long start_ticks = 0;
  struct timespec now;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (after_comm = strrchr (stat, ')')) == NULL ||
      sscanf (after_comm + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
              &start_ticks) != 1)
    return -1;
  clock_gettime (CLOCK_BOOTTIME, &now);
  return (now.tv_sec + now.tv_nsec / 1e9 - (double) start_ticks / sysconf (_SC_CLK_TCK)) * 1000;
}

static void
after_paint (GdkFrameClock  *clock,
             GApplication   *app)
{
  g_print ("first painted inbox: %.0f ms after the process started\n", ms_since_process_start ());
  g_signal_handlers_disconnect_by_func (clock, after_paint, app);
  /* BENCH_KEEP_OPEN: stay, for measuring memory */
  if (g_getenv ("BENCH_KEEP_OPEN") == NULL)
    g_application_quit (app);
}

typedef struct {
  GApplication  *app;
  GtkWidget     *window;
  GtkStringList *rows;
  guint          total;
  guint          done;
  FrameMeter     meter;
} Catchup;

static Catchup catchup;

static gboolean
catchup_slice (gpointer data)
{
  gint64 end = g_get_monotonic_time () + 8000;

  while (catchup.done < catchup.total && g_get_monotonic_time () < end)
    {
      g_autofree char *text = g_strdup_printf ("Visitor %u — How long do refunds take?", catchup.done);
      const char *one[] = { text, NULL };

      gtk_string_list_splice (catchup.rows, 0, 0, one);
      catchup.done++;
    }
  if (catchup.done < catchup.total)
    return G_SOURCE_CONTINUE;
  frame_meter_stop (&catchup.meter);
  frame_meter_print (&catchup.meter, "baseline", catchup.done);
  g_application_quit (catchup.app);
  return G_SOURCE_REMOVE;
}

static void
catchup_on_map (GtkWidget *window)
{
  frame_meter_start (&catchup.meter, window);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, catchup_slice, NULL, NULL);
}

static void
on_map (GtkWidget    *window,
        GApplication *app)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint), app);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), gtk_string_object_get_string (string));
}

static void
activate (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkStringList *rows = gtk_string_list_new (NULL);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *list;

  if (g_getenv ("BENCH_CATCHUP") != NULL)
    {
      catchup.app = app;
      catchup.rows = rows;
      catchup.total = (guint) g_ascii_strtoull (g_getenv ("BENCH_CATCHUP"), NULL, 10);
    }
  for (guint i = 0; catchup.total == 0 && i < 10000; i++)
    {
      g_autofree char *text = g_strdup_printf ("Visitor %u — How long do refunds take?", i);
      gtk_string_list_append (rows, text);
    }
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (rows))), factory);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), list);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  if (catchup.total > 0)
    g_signal_connect (window, "map", G_CALLBACK (catchup_on_map), NULL);
  else
    g_signal_connect (window, "map", G_CALLBACK (on_map), app);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (AdwApplication) app = adw_application_new ("chat.confab.BenchBaseline",
                                                        G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
