/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chart-draw.c: the charts of the Analytics view, drawn with cairo into the widget's
 * snapshot. Every size comes from the allocation (the charts scale with the window), every
 * colour from the style (see confab-chart.c); each drawn value records its area and tooltip. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <math.h>

#include "confab-chart-private.h"

#define LABEL_GAP 6.0

/* --------------------------------------------------------------- words --- */

char *
confab_chart_seconds (double seconds)
{
  gint64 s;

  if (isnan (seconds))
    return g_strdup ("—");
  s = MAX (llround (seconds), 0);
  /* Translators: durations on the analytics charts and cards */
  if (s < 60)
    return g_strdup_printf (_("%d s"), (int) s);
  if (s < 3600)
    return g_strdup_printf (_("%d min"), (int) (s / 60));
  if (s < 86400)
    return s % 3600 / 60 == 0 ? g_strdup_printf (_("%d h"), (int) (s / 3600))
                              : g_strdup_printf (_("%d h %d min"), (int) (s / 3600), (int) (s % 3600 / 60));
  return s % 86400 / 3600 == 0 ? g_strdup_printf (_("%d d"), (int) (s / 86400))
                               : g_strdup_printf (_("%d d %d h"), (int) (s / 86400), (int) (s % 86400 / 3600));
}

char *
confab_chart_day_label (const char *date,
                        gboolean    long_form)
{
  GDate d;
  char text[128];

  if (!confab_analytics_parse_date (date, &d))
    return g_strdup (date != NULL ? date : "");
  /* Translators: strftime formats of a day on the charts' axis and in their tooltips */
  if (g_date_strftime (text, sizeof text, long_form ? _("%A %-d %B %Y") : _("%a %-d %b"), &d) == 0)
    return g_strdup (date);
  return g_strdup (text);
}

char *
confab_chart_weekday (guint    day,
                      gboolean abbreviated)
{
  GDate d;
  char text[64];

  /* 1 January 2024 was a Monday */
  g_date_clear (&d, 1);
  g_date_set_dmy (&d, 1 + (day % 7), G_DATE_JANUARY, 2024);
  g_date_strftime (text, sizeof text, abbreviated ? "%a" : "%A", &d);
  return g_strdup (text);
}

static char *
count_text (gint64 n)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, n);
}

/* ------------------------------------------------------------- helpers --- */

static PangoLayout *
layout_new (ConfabChartCanvas *c,
            const char        *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (c->widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();

  /* the axis and legend: smaller than the page's text, as in GNOME Usage and Settings */
  pango_attr_list_insert (attrs, pango_attr_scale_new (0.83));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

static double
text_width (ConfabChartCanvas *c,
            const char        *text)
{
  g_autoptr (PangoLayout) layout = layout_new (c, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  return w;
}

static double
text_height (ConfabChartCanvas *c)
{
  g_autoptr (PangoLayout) layout = layout_new (c, "0");
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  return h;
}

/* Text at (x, y), aligned by @xalign / @yalign (0 left/top … 1 right/bottom). */
static void
draw_text (ConfabChartCanvas *c,
           const char        *text,
           double             x,
           double             y,
           double             xalign,
           double             yalign,
           double             alpha)
{
  g_autoptr (PangoLayout) layout = layout_new (c, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (c->cr, round (x - w * xalign), round (y - h * yalign));
  cairo_set_source_rgba (c->cr, c->fg.red, c->fg.green, c->fg.blue, c->fg.alpha * alpha);
  pango_cairo_show_layout (c->cr, layout);
}

/* A line of text from (x, y) that ends in "…" rather than past the chart's right edge. */
static void
draw_text_clipped (ConfabChartCanvas *c,
                   const char        *text,
                   double             x,
                   double             y,
                   double             alpha)
{
  g_autoptr (PangoLayout) layout = layout_new (c, text);

  pango_layout_set_width (layout, (int) MAX (c->width - x, 1) * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  cairo_move_to (c->cr, round (x), round (y));
  cairo_set_source_rgba (c->cr, c->fg.red, c->fg.green, c->fg.blue, c->fg.alpha * alpha);
  pango_cairo_show_layout (c->cr, layout);
}

static void
set_color (ConfabChartCanvas *c,
           const GdkRGBA     *color,
           double             alpha)
{
  cairo_set_source_rgba (c->cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static void
hit (ConfabChartCanvas *c,
     double             x,
     double             y,
     double             w,
     double             h,
     char              *text)
{
  ConfabChartHit entry;

  graphene_rect_init (&entry.area, x, y, MAX (w, 1), MAX (h, 1));
  entry.text = text;
  g_array_append_val (c->hits, entry);
}

/* A bar with its top (or, when @horizontal, its end) corners rounded. */
static void
bar_path (cairo_t  *cr,
          double    x,
          double    y,
          double    w,
          double    h,
          gboolean  horizontal)
{
  double r = MIN (3.0, MIN (w, h) / 2);

  if (horizontal)
    {
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + w - r, y);
      cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
      cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
      cairo_line_to (cr, x, y + h);
    }
  else
    {
      cairo_move_to (cr, x, y + h);
      cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
      cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
      cairo_line_to (cr, x + w, y + h);
    }
  cairo_close_path (cr);
}

static void
empty_message (ConfabChartCanvas *c,
               const char        *text)
{
  draw_text (c, text, c->width / 2, c->height / 2, 0.5, 0.5, 0.55);
}

/* The smallest of 2, 4, 6, 8, 10 × 10^k that is >= @v: an axis whose half line is a whole
 * number too. */
static double
nice_count (double v)
{
  static const double steps[] = { 2, 4, 6, 8, 10 };
  double p = 1;

  while (p * 10 < v)
    p *= 10;
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (v <= steps[i] * p)
      return steps[i] * p;
  return 10 * p;
}

/* The same on a clock's steps, so that the half line is a round duration too. */
static double
nice_seconds (double v)
{
  static const double steps[] = { 10, 20, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 4 * 3600,
                                  8 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 7 * 24 * 3600 };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (v <= steps[i])
      return steps[i];
  return ceil (v / (7 * 24 * 3600)) * 7 * 24 * 3600;
}

typedef char *(*AxisLabel) (double value);

static char *
axis_count (double value)
{
  return value == floor (value) ? g_strdup_printf ("%.0f", value) : g_strdup_printf ("%.1f", value);
}

static char *
axis_seconds (double value)
{
  return confab_chart_seconds (value);
}

/* The width of the labels of an axis up to @top_value, and the gap after them. */
static double
axis_width (ConfabChartCanvas *c,
            double             top_value,
            AxisLabel          label)
{
  double left = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = label (top_value * i / 2);

      left = MAX (left, text_width (c, text));
    }
  return left + LABEL_GAP;
}

/* Horizontal lines at 0, ½ and @top_value between @bottom and @top, labelled left of @left. */
static void
grid (ConfabChartCanvas *c,
      double             top_value,
      AxisLabel          label,
      double             top,
      double             bottom,
      double             left)
{
  cairo_set_line_width (c->cr, 1);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = label (top_value * i / 2);
      double y = round (bottom - (bottom - top) * i / 2) + 0.5;

      set_color (c, &c->fg, i == 0 ? 0.3 : 0.12);
      cairo_move_to (c->cr, left, y);
      cairo_line_to (c->cr, c->width, y);
      cairo_stroke (c->cr);
      draw_text (c, text, left - LABEL_GAP, y, 1, 0.5, 0.7);
    }
}

/* Day labels under the slots, as many as fit without touching. */
static void
day_axis (ConfabChartCanvas     *c,
          const ConfabAnalytics *a,
          double                 left,
          double                 slot,
          double                 y)
{
  guint n = a->per_day->len;
  double widest = 0;
  guint step;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *label = confab_chart_day_label (g_array_index (a->per_day, ConfabAnalyticsDay, i).date,
                                                       FALSE);

      widest = MAX (widest, text_width (c, label));
    }
  step = (guint) ceil ((widest + 2 * LABEL_GAP) / MAX (slot, 1));
  step = MAX (step, 1);
  for (guint i = 0; i < n; i += step)
    {
      g_autofree char *label = confab_chart_day_label (g_array_index (a->per_day, ConfabAnalyticsDay, i).date,
                                                       FALSE);

      draw_text (c, label, left + slot * (i + 0.5), y, 0.5, 0, 0.7);
    }
}

/* ------------------------------------------------------- per day: bars --- */

static void
draw_conversations (ConfabChartCanvas     *c,
                    const ConfabAnalytics *a)
{
  guint n = a->per_day->len;
  double line = text_height (c);
  double top = line / 2, bottom = c->height - line - LABEL_GAP;
  double top_value = nice_count ((double) confab_analytics_max_per_day (a));
  double left, slot, bar;

  if (n == 0 || confab_analytics_max_per_day (a) == 0)
    {
      empty_message (c, _("No conversations in this period"));
      return;
    }
  left = axis_width (c, top_value, axis_count);
  grid (c, top_value, axis_count, top, bottom, left);
  slot = (c->width - left) / n;
  bar = MIN (slot * 0.66, 56);
  for (guint i = 0; i < n; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
      double h = (bottom - top) * (double) day->conversations / top_value;
      double x = left + slot * i + (slot - bar) / 2;
      g_autofree char *label = confab_chart_day_label (day->date, TRUE);

      if (day->conversations > 0)
        {
          set_color (c, &c->accent, 1);
          bar_path (c->cr, x, bottom - h, bar, h, FALSE);
          cairo_fill (c->cr);
        }
      /* the whole column: a day with few conversations is still easy to point at */
      hit (c, left + slot * i, top, slot, bottom - top,
           /* Translators: a chart's tooltip: "Monday 30 November 2026: 5 conversations" */
           g_strdup_printf (ngettext ("%s: %d conversation", "%s: %d conversations",
                                      (gulong) day->conversations),
                            label, (int) day->conversations));
    }
  day_axis (c, a, left, slot, bottom + LABEL_GAP);
}

/* ------------------------------------------------------ per day: lines --- */

static void
legend (ConfabChartCanvas *c,
        double             x,
        double             y,
        const GdkRGBA     *color,
        const char        *text,
        double            *end)
{
  double size = 10;

  set_color (c, color, 1);
  cairo_rectangle (c->cr, x, y + 2, size, size);
  cairo_fill (c->cr);
  draw_text (c, text, x + size + 5, y + 2 + size / 2, 0, 0.5, 0.85);
  *end = x + size + 5 + text_width (c, text) + 16;
}

static void
draw_series (ConfabChartCanvas     *c,
             const ConfabAnalytics *a,
             gsize                  offset,
             const GdkRGBA         *color,
             double                 left,
             double                 slot,
             double                 top,
             double                 bottom,
             double                 top_value)
{
  gboolean drawing = FALSE;

  cairo_set_line_width (c->cr, 2);
  cairo_set_line_join (c->cr, CAIRO_LINE_JOIN_ROUND);
  set_color (c, color, 1);
  for (guint i = 0; i < a->per_day->len; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
      double v = G_STRUCT_MEMBER (double, day, offset);
      double x = left + slot * (i + 0.5);

      /* a day without a value breaks the line: nothing is not zero */
      if (isnan (v))
        {
          drawing = FALSE;
          continue;
        }
      if (drawing)
        cairo_line_to (c->cr, x, bottom - (bottom - top) * v / top_value);
      else
        cairo_move_to (c->cr, x, bottom - (bottom - top) * v / top_value);
      drawing = TRUE;
    }
  cairo_stroke (c->cr);
  for (guint i = 0; i < a->per_day->len; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
      double v = G_STRUCT_MEMBER (double, day, offset);

      if (isnan (v))
        continue;
      cairo_arc (c->cr, left + slot * (i + 0.5), bottom - (bottom - top) * v / top_value, 3.5, 0,
                 2 * G_PI);
      cairo_fill (c->cr);
    }
}

/* One series in its own band, with its own axis: first responses take minutes and
 * resolutions hours, and on one axis the first would lie flat on the floor. */
static void
times_band (ConfabChartCanvas     *c,
            const ConfabAnalytics *a,
            gsize                  offset,
            const GdkRGBA         *color,
            const char            *title,
            double                 top,
            double                 bottom,
            double                 left)
{
  double max = 0, end, slot = (c->width - left) / MAX (a->per_day->len, 1);
  double line = text_height (c);

  for (guint i = 0; i < a->per_day->len; i++)
    {
      double v = G_STRUCT_MEMBER (double, &g_array_index (a->per_day, ConfabAnalyticsDay, i), offset);

      if (!isnan (v))
        max = MAX (max, v);
    }
  legend (c, left, top, color, title, &end);
  top += line + 10;
  if (max <= 0)
    {
      draw_text (c, _("None in this period"), left + (c->width - left) / 2, (top + bottom) / 2, 0.5,
                 0.5, 0.55);
      return;
    }
  grid (c, nice_seconds (max), axis_seconds, top, bottom, left);
  draw_series (c, a, offset, color, left, slot, top, bottom, nice_seconds (max));
}

static void
draw_times (ConfabChartCanvas     *c,
            const ConfabAnalytics *a)
{
  guint n = a->per_day->len;
  double line = text_height (c);
  double bottom = c->height - line - LABEL_GAP, middle = bottom / 2, left = 0, slot;
  gboolean any = FALSE;

  for (guint i = 0; i < n; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);

      any |= !isnan (day->first_response_p50) || !isnan (day->resolution_p50);
    }
  if (n == 0 || !any)
    {
      empty_message (c, _("No replies in this period"));
      return;
    }
  /* both bands on the same left edge: the widest label of either axis */
  for (guint i = 0; i < n; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
      double v[2] = { day->first_response_p50, day->resolution_p50 };

      for (guint k = 0; k < 2; k++)
        if (!isnan (v[k]))
          {
            g_autofree char *label = confab_chart_seconds (nice_seconds (v[k]));

            left = MAX (left, text_width (c, label));
          }
    }
  left += LABEL_GAP;
  times_band (c, a, G_STRUCT_OFFSET (ConfabAnalyticsDay, first_response_p50), &c->accent,
              _("First response (median)"), 0, middle - 10, left);
  times_band (c, a, G_STRUCT_OFFSET (ConfabAnalyticsDay, resolution_p50), &c->second,
              _("Resolution (median)"), middle + 6, bottom, left);
  slot = (c->width - left) / n;
  for (guint i = 0; i < n; i++)
    {
      const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
      g_autofree char *label = confab_chart_day_label (day->date, TRUE);
      g_autofree char *first = confab_chart_seconds (day->first_response_p50);
      g_autofree char *resolution = confab_chart_seconds (day->resolution_p50);

      hit (c, left + slot * i, 0, slot, bottom,
           /* Translators: a chart's tooltip: the day, then the two medians */
           g_strdup_printf (_("%s\nFirst response: %s\nResolution: %s"), label, first, resolution));
    }
  day_axis (c, a, left, slot, bottom + LABEL_GAP);
}

/* -------------------------------------------------------------- CSAT --- */

static void
draw_csat (ConfabChartCanvas     *c,
           const ConfabAnalytics *a)
{
  gint64 max = 0, total = 0;
  double left = 0, right = 0, row, bar;

  for (guint i = 0; i < 5; i++)
    {
      max = MAX (max, a->csat_distribution[i]);
      total += a->csat_distribution[i];
    }
  if (total == 0)
    {
      empty_message (c, _("No ratings in this period"));
      return;
    }
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *label = g_strdup_printf ("%u ★", i + 1);
      g_autofree char *count = count_text (a->csat_distribution[i]);

      left = MAX (left, text_width (c, label));
      right = MAX (right, text_width (c, count));
    }
  left += LABEL_GAP * 2;
  right += LABEL_GAP * 2;
  row = c->height / 5;
  bar = MIN (row * 0.62, 22);
  /* 5 stars on top: the good news first, as the stores show ratings */
  for (guint r = 0; r < 5; r++)
    {
      guint stars = 5 - r;
      gint64 n = a->csat_distribution[stars - 1];
      double y = row * r + (row - bar) / 2;
      double w = (c->width - left - right) * (double) n / (double) max;
      g_autofree char *label = g_strdup_printf ("%u ★", stars);
      g_autofree char *count = count_text (n);

      draw_text (c, label, left - LABEL_GAP * 2, y + bar / 2, 1, 0.5, 0.85);
      set_color (c, &c->fg, 0.06);
      bar_path (c->cr, left, y, c->width - left - right, bar, TRUE);
      cairo_fill (c->cr);
      if (n > 0)
        {
          set_color (c, &c->accent, 0.45 + 0.11 * stars);
          bar_path (c->cr, left, y, w, bar, TRUE);
          cairo_fill (c->cr);
        }
      draw_text (c, count, c->width - right + LABEL_GAP, y + bar / 2, 0, 0.5, 0.85);
      hit (c, 0, row * r, c->width, row,
           /* Translators: a chart's tooltip: "5 stars: 4 ratings (50%)" */
           g_strdup_printf (ngettext ("%u stars: %d rating (%.0f%%)", "%u stars: %d ratings (%.0f%%)",
                                      (gulong) n),
                            stars, (int) n, 100.0 * (double) n / (double) total));
    }
}

/* ---------------------------------------------------------- heat map --- */

static void
draw_hours (ConfabChartCanvas     *c,
            const ConfabAnalytics *a)
{
  gint64 max = confab_analytics_max_per_hour (a);
  double line = text_height (c);
  double left = 0, cell_w, cell_h, gap = 2, bottom = c->height - line - LABEL_GAP;
  guint hour_step;

  if (max == 0)
    {
      empty_message (c, _("No conversations in this period"));
      return;
    }
  for (guint d = 0; d < 7; d++)
    {
      g_autofree char *day = confab_chart_weekday (d, TRUE);

      left = MAX (left, text_width (c, day));
    }
  left += LABEL_GAP * 2;
  cell_w = (c->width - left) / 24;
  cell_h = bottom / 7;
  for (guint d = 0; d < 7; d++)
    {
      g_autofree char *day = confab_chart_weekday (d, TRUE);
      g_autofree char *day_long = confab_chart_weekday (d, FALSE);

      draw_text (c, day, left - LABEL_GAP * 2, cell_h * (d + 0.5), 1, 0.5, 0.7);
      for (guint h = 0; h < 24; h++)
        {
          gint64 n = a->per_hour_of_week[d][h];
          double x = left + cell_w * h, y = cell_h * d;

          if (n > 0)
            set_color (c, &c->accent, 0.18 + 0.82 * (double) n / (double) max);
          else
            set_color (c, &c->fg, 0.05);
          cairo_rectangle (c->cr, x + gap / 2, y + gap / 2, cell_w - gap, cell_h - gap);
          cairo_fill (c->cr);
          hit (c, x, y, cell_w, cell_h,
               /* Translators: a tooltip of the busiest-hours chart: "Tuesday 14:00–15:00: 5 conversations" */
               g_strdup_printf (ngettext ("%s %02u:00–%02u:00: %d conversation",
                                          "%s %02u:00–%02u:00: %d conversations", (gulong) n),
                                day_long, h, (h + 1) % 24, (int) n));
        }
    }
  /* every 3 hours if the labels keep apart, else 6 or 12 */
  hour_step = 3;
  while (hour_step < 12 && cell_w * hour_step < text_width (c, "00:00") + 2 * LABEL_GAP)
    hour_step *= 2;
  for (guint h = 0; h < 24; h += hour_step)
    {
      g_autofree char *label = g_strdup_printf ("%02u:00", h);

      draw_text (c, label, left + cell_w * h, bottom + LABEL_GAP, 0, 0, 0.7);
    }
}

/* -------------------------------------------------------- bot / human --- */

static void
split_row (ConfabChartCanvas *c,
           double             y,
           double             height,
           const char        *title,
           gint64             first,
           const char        *first_name,
           gint64             second,
           const char        *second_name)
{
  double line = text_height (c);
  double bar = MIN (height - line - 6, 22);
  gint64 total = first + second;
  double w1 = total > 0 ? c->width * (double) first / (double) total : 0;
  g_autofree char *summary = NULL;

  if (total == 0)
    {
      /* Translators: a row of the bot chart with nothing in it: "Answers: none" */
      summary = g_strdup_printf (_("%s: none"), title);
      draw_text_clipped (c, summary, 0, y, 0.7);
      return;
    }
  /* Translators: "Answers — Bot 8 (14%) · Agents 50 (86%)" */
  summary = g_strdup_printf (_("%s — %s %d (%.0f%%) · %s %d (%.0f%%)"),
                             title, first_name, (int) first, 100.0 * (double) first / (double) total,
                             second_name, (int) second, 100.0 * (double) second / (double) total);
  draw_text_clipped (c, summary, 0, y, 0.85);
  y += line + 6;
  set_color (c, &c->accent, 1);
  cairo_rectangle (c->cr, 0, y, w1, bar);
  cairo_fill (c->cr);
  set_color (c, &c->second, 1);
  cairo_rectangle (c->cr, w1, y, c->width - w1, bar);
  cairo_fill (c->cr);
  hit (c, 0, y, w1, bar,
       g_strdup_printf ("%s: %" G_GINT64_FORMAT " (%.0f%%)", first_name, first,
                        100.0 * (double) first / (double) total));
  hit (c, w1, y, c->width - w1, bar,
       g_strdup_printf ("%s: %" G_GINT64_FORMAT " (%.0f%%)", second_name, second,
                        100.0 * (double) second / (double) total));
}

static void
draw_bot (ConfabChartCanvas     *c,
          const ConfabAnalytics *a)
{
  if (a->messages_agent + a->messages_bot == 0 && a->bot_answered + a->bot_handed_to_human == 0)
    {
      empty_message (c, _("No answers in this period"));
      return;
    }
  split_row (c, 0, c->height / 2, _("Answers"), a->messages_bot, _("Bot"), a->messages_agent,
             _("Agents"));
  split_row (c, c->height / 2, c->height / 2, _("FAQ bot"), a->bot_answered, _("Answered"),
             a->bot_handed_to_human, _("Handed to a person"));
}

void
confab_chart_draw (ConfabChartKind        kind,
                   const ConfabAnalytics *analytics,
                   ConfabChartCanvas     *canvas)
{
  switch (kind)
    {
    case CONFAB_CHART_CONVERSATIONS: draw_conversations (canvas, analytics); break;
    case CONFAB_CHART_TIMES: draw_times (canvas, analytics); break;
    case CONFAB_CHART_CSAT: draw_csat (canvas, analytics); break;
    case CONFAB_CHART_HOURS: draw_hours (canvas, analytics); break;
    case CONFAB_CHART_BOT: draw_bot (canvas, analytics); break;
    default: g_assert_not_reached ();
    }
}

/* -------------------------------------------------------- description --- */

static char *
describe_conversations (const ConfabAnalytics *a)
{
  GString *text = g_string_new (NULL);
  guint busiest = 0;

  if (a->per_day->len == 0)
    return g_string_free (text, FALSE);
  for (guint i = 1; i < a->per_day->len; i++)
    if (g_array_index (a->per_day, ConfabAnalyticsDay, i).conversations >
        g_array_index (a->per_day, ConfabAnalyticsDay, busiest).conversations)
      busiest = i;
  {
    const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, busiest);
    g_autofree char *label = confab_chart_day_label (day->date, TRUE);

    /* Translators: the accessible summary of the bars: total, then the busiest day */
    g_string_append_printf (text, _("%d conversations; busiest day %s with %d."),
                            (int) a->conversations, label, (int) day->conversations);
  }
  /* a month of days still reads in a few seconds; a longer range keeps the summary */
  if (a->per_day->len <= 31)
    for (guint i = 0; i < a->per_day->len; i++)
      {
        const ConfabAnalyticsDay *day = &g_array_index (a->per_day, ConfabAnalyticsDay, i);
        g_autofree char *label = confab_chart_day_label (day->date, FALSE);

        g_string_append_printf (text, "%s%s: %" G_GINT64_FORMAT, i == 0 ? " " : ", ", label,
                                day->conversations);
      }
  return g_string_free (text, FALSE);
}

static char *
describe_times (const ConfabAnalytics *a)
{
  g_autofree char *first = confab_chart_seconds (a->first_response.p50);
  g_autofree char *first90 = confab_chart_seconds (a->first_response.p90);
  g_autofree char *resolution = confab_chart_seconds (a->resolution.p50);
  g_autofree char *resolution90 = confab_chart_seconds (a->resolution.p90);

  /* Translators: the accessible summary of the response-time lines */
  return g_strdup_printf (_("First response: median %s, 90th percentile %s. Resolution: median %s, 90th percentile %s."),
                          first, first90, resolution, resolution90);
}

static char *
describe_csat (const ConfabAnalytics *a)
{
  GString *text = g_string_new (NULL);

  if (a->csat_count == 0)
    {
      g_string_append (text, _("No ratings in this period"));
      return g_string_free (text, FALSE);
    }
  /* Translators: "8 ratings, average 4.1 of 5." */
  g_string_append_printf (text, _("%d ratings, average %.1f of 5."), (int) a->csat_count,
                          a->csat_average);
  for (guint stars = 5; stars >= 1; stars--)
    /* Translators: a part of the ratings' description: " 5 stars: 4" */
    g_string_append_printf (text, _(" %u stars: %d;"), stars, (int) a->csat_distribution[stars - 1]);
  return g_string_free (text, FALSE);
}

static char *
describe_hours (const ConfabAnalytics *a)
{
  gint64 max = confab_analytics_max_per_hour (a);

  if (max == 0)
    return g_strdup (_("No conversations in this period"));
  for (guint d = 0; d < 7; d++)
    for (guint h = 0; h < 24; h++)
      if (a->per_hour_of_week[d][h] == max)
        {
          g_autofree char *day = confab_chart_weekday (d, FALSE);

          /* Translators: the accessible summary of the heat map */
          return g_strdup_printf (_("Busiest hour: %s %02u:00–%02u:00 with %d conversations."),
                                  day, h, (h + 1) % 24, (int) max);
        }
  g_assert_not_reached ();
}

static char *
describe_bot (const ConfabAnalytics *a)
{
  /* Translators: the accessible summary of the bot chart */
  return g_strdup_printf (_("Answers: bot %d, agents %d. FAQ bot: answered %d, handed to a person %d."),
                          (int) a->messages_bot, (int) a->messages_agent, (int) a->bot_answered,
                          (int) a->bot_handed_to_human);
}

char *
confab_chart_describe (ConfabChartKind        kind,
                       const ConfabAnalytics *analytics)
{
  if (analytics == NULL)
    return g_strdup ("");
  switch (kind)
    {
    case CONFAB_CHART_CONVERSATIONS: return describe_conversations (analytics);
    case CONFAB_CHART_TIMES: return describe_times (analytics);
    case CONFAB_CHART_CSAT: return describe_csat (analytics);
    case CONFAB_CHART_HOURS: return describe_hours (analytics);
    case CONFAB_CHART_BOT: return describe_bot (analytics);
    default: g_assert_not_reached ();
    }
}
