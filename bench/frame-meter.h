/* SPDX-License-Identifier: GPL-3.0-or-later */
/* frame-meter.h: what a user feels of a busy main loop, measured inside the app.
 *
 * - frames: the window's frame clock is kept ticking (gdk_frame_clock_begin_updating(), as an
 *   animation does) and the time between two painted frames is recorded: 16.7 ms when all is
 *   well, longer when work held the loop;
 * - stalls: a G_PRIORITY_HIGH 10 ms timer records how late it runs: the longest time an input
 *   event would have waited.
 *
 * Shared by bench/desktop-catchup.c (the app) and bench/baseline-window.c (its peer), so both
 * are measured alike. Header-only: the two are separate programs. */
#pragma once

#include <gtk/gtk.h>
#include <time.h>

typedef struct {
  GdkFrameClock *clock;
  gulong         paint_id;
  guint          tick_id;
  gint64         last_paint_us;
  gint64         last_tick_us;
  gint64         start_us;
  gint64         end_us;
  double         cpu_start_s;  /* the process's CPU time: what the run cost, whatever the load */
  double         cpu_s;
  GArray        *frames_us;  /* gint64 */
  GArray        *stalls_us;  /* gint64 */
} FrameMeter;

#define FRAME_METER_TICK_MS 10

static inline double
frame_meter_cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gint64 frame_meter_trace_begin;

static void
frame_meter_before (GdkFrameClock *clock,
                    gpointer       data)
{
  frame_meter_trace_begin = g_get_monotonic_time ();
}

static void
frame_meter_after_paint (GdkFrameClock *clock,
                         FrameMeter    *meter)
{
  gint64 now = g_get_monotonic_time ();

  if (g_getenv ("BENCH_TRACE") != NULL && now - frame_meter_trace_begin > 50 * 1000)
    g_printerr ("stall-frame: update to paint %.0f ms\n", (now - frame_meter_trace_begin) / 1000.0);

  if (meter->last_paint_us != 0)
    {
      gint64 interval = now - meter->last_paint_us;
      g_array_append_val (meter->frames_us, interval);
    }
  meter->last_paint_us = now;
}

static gboolean
frame_meter_tick (gpointer data)
{
  FrameMeter *meter = data;
  gint64 now = g_get_monotonic_time ();
  gint64 late = MAX (0, now - meter->last_tick_us - FRAME_METER_TICK_MS * 1000);

  g_array_append_val (meter->stalls_us, late);
  if (late > 100 * 1000 && g_getenv ("BENCH_TRACE") != NULL)
    g_printerr ("stall %.0f ms, %.2f s in\n", late / 1000.0, (meter->last_tick_us - meter->start_us) / 1e6);
  meter->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static inline void
frame_meter_start (FrameMeter *meter,
                   GtkWidget  *window)
{
  memset (meter, 0, sizeof *meter);
  meter->frames_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  meter->stalls_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  meter->clock = g_object_ref (gtk_widget_get_frame_clock (window));
  meter->paint_id = g_signal_connect (meter->clock, "after-paint",
                                      G_CALLBACK (frame_meter_after_paint), meter);
  g_signal_connect (meter->clock, "update", G_CALLBACK (frame_meter_before), NULL);
  gdk_frame_clock_begin_updating (meter->clock);
  meter->start_us = meter->last_tick_us = g_get_monotonic_time ();
  meter->cpu_start_s = frame_meter_cpu_s ();
  meter->tick_id = g_timeout_add_full (G_PRIORITY_HIGH, FRAME_METER_TICK_MS, frame_meter_tick,
                                       meter, NULL);
}

static inline void
frame_meter_stop (FrameMeter *meter)
{
  gint64 late, since_paint;

  meter->end_us = g_get_monotonic_time ();
  meter->cpu_s = frame_meter_cpu_s () - meter->cpu_start_s;
  /* the wait in progress counts too: a loop blocked until the end never ran the tick again,
   * and a window that painted nothing since the last frame (or at all) kept the user waiting */
  late = meter->end_us - meter->last_tick_us - FRAME_METER_TICK_MS * 1000;
  if (late > 0)
    g_array_append_val (meter->stalls_us, late);
  since_paint = meter->end_us - (meter->last_paint_us != 0 ? meter->last_paint_us : meter->start_us);
  g_array_append_val (meter->frames_us, since_paint);
  g_clear_handle_id (&meter->tick_id, g_source_remove);
  gdk_frame_clock_end_updating (meter->clock);
  g_clear_signal_handler (&meter->paint_id, meter->clock);
  g_clear_object (&meter->clock);
}

static int
frame_meter_cmp (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static inline double
frame_meter_percentile_ms (GArray *values,
                           double  p)
{
  guint i;

  if (values->len == 0)
    return 0;
  g_array_sort (values, frame_meter_cmp);
  i = MIN (values->len - 1, (guint) (values->len * p));
  return g_array_index (values, gint64, i) / 1000.0;
}

/* One JSON line: what the bench scripts read. */
static inline void
frame_meter_print (FrameMeter *meter,
                   const char *who,
                   guint       rows)
{
  guint slow = 0, stalled = 0;

  for (guint i = 0; i < meter->frames_us->len; i++)
    if (g_array_index (meter->frames_us, gint64, i) > 100 * 1000)
      slow++;
  for (guint i = 0; i < meter->stalls_us->len; i++)
    if (g_array_index (meter->stalls_us, gint64, i) > 100 * 1000)
      stalled++;
  g_print ("{\"peer\":\"%s\",\"rows\":%u,\"seconds\":%.2f,\"cpu_s\":%.2f,\"frames\":%u,\"frames_over_100ms\":%u,"
           "\"frame_p50_ms\":%.1f,\"frame_p99_ms\":%.1f,\"frame_max_ms\":%.1f,"
           "\"stalls_over_100ms\":%u,\"stall_p99_ms\":%.1f,\"stall_max_ms\":%.1f}\n",
           who, rows, (meter->end_us - meter->start_us) / 1e6, meter->cpu_s, meter->frames_us->len, slow,
           frame_meter_percentile_ms (meter->frames_us, 0.50),
           frame_meter_percentile_ms (meter->frames_us, 0.99),
           frame_meter_percentile_ms (meter->frames_us, 1.0),
           stalled,
           frame_meter_percentile_ms (meter->stalls_us, 0.99),
           frame_meter_percentile_ms (meter->stalls_us, 1.0));
  g_array_unref (meter->frames_us);
  g_array_unref (meter->stalls_us);
}
