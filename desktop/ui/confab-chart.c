/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chart.c: one chart of the Analytics view (the drawing is in confab-chart-draw.c).
 *
 * No chart library exists for GTK 4 and a web view would be a browser for five pictures: the
 * charts are drawn with cairo into the widget's snapshot at its allocated size, so they scale
 * with the window. Colours are the style's (@accent_color, the text colour, a palette colour
 * for the second series, lighter in the dark style), read at each draw, so a switch to dark
 * repaints them. Each value drawn records its area: the tooltip (query-tooltip) says the
 * value under the pointer, and the accessible description says all of them in words. */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <math.h>

#include "confab-chart-private.h"

struct _ConfabChart
{
  GtkWidget              parent_instance;

  ConfabChartKind        kind;
  const ConfabAnalytics *analytics;   /* borrowed from the page */
  GArray                *hits;        /* ConfabChartHit, from the last snapshot */
  char                  *description;
  char                  *last_tooltip;
};

G_DEFINE_FINAL_TYPE (ConfabChart, confab_chart, GTK_TYPE_WIDGET)

static void
hit_clear (ConfabChartHit *hit)
{
  g_free (hit->text);
}

static gboolean
lookup_named (GtkWidget  *widget,
              const char *name,
              GdkRGBA    *color)
{
  /* GTK 4.8 has no other way to read a named colour; deprecated only from 4.10 */
  return gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color);
}

static void
read_colors (ConfabChart       *self,
             ConfabChartCanvas *canvas)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &canvas->fg);
  if (!lookup_named (widget, "accent_color", &canvas->accent))
    gdk_rgba_parse (&canvas->accent, dark ? "#78aeed" : "#1c71d8");
  /* purple beside blue keeps apart for the common colour blindnesses; the lighter shade is
   * the one that reads on a dark background */
  if (!lookup_named (widget, dark ? "purple_2" : "purple_3", &canvas->second))
    gdk_rgba_parse (&canvas->second, dark ? "#c061cb" : "#9141ac");
}

static void
confab_chart_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  ConfabChart *self = CONFAB_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  ConfabChartCanvas canvas = { 0 };
  cairo_t *cr;

  g_array_set_size (self->hits, 0);
  if (self->analytics == NULL || width <= 0 || height <= 0)
    return;
  canvas.widget = widget;
  canvas.width = width;
  canvas.height = height;
  canvas.hits = self->hits;
  read_colors (self, &canvas);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  canvas.cr = cr;
  confab_chart_draw (self->kind, self->analytics, &canvas);
  cairo_destroy (cr);
}

static gboolean
on_query_tooltip (ConfabChart *self,
                  int          x,
                  int          y,
                  gboolean     keyboard,
                  GtkTooltip  *tooltip)
{
  for (guint i = 0; i < self->hits->len; i++)
    {
      ConfabChartHit *hit = &g_array_index (self->hits, ConfabChartHit, i);

      if (graphene_rect_contains_point (&hit->area, &GRAPHENE_POINT_INIT (x, y)))
        {
          /* the area: moving to the next bar asks again, so the tooltip follows */
          GdkRectangle area = { (int) hit->area.origin.x, (int) hit->area.origin.y,
                                (int) ceil (hit->area.size.width), (int) ceil (hit->area.size.height) };

          gtk_tooltip_set_text (tooltip, hit->text);
          gtk_tooltip_set_tip_area (tooltip, &area);
          g_free (self->last_tooltip);
          self->last_tooltip = g_strdup (hit->text);
          return TRUE;
        }
    }
  return FALSE;
}

static void
confab_chart_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  ConfabChart *self = CONFAB_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = self->kind == CONFAB_CHART_HOURS ? 280 : 200;
      *natural = 480;
    }
  else
    {
      static const int heights[] = { 180, 250, 150, 190, 110 };

      *minimum = *natural = heights[self->kind];
    }
}

static void
on_style_changed (ConfabChart *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
confab_chart_finalize (GObject *object)
{
  ConfabChart *self = CONFAB_CHART (object);

  g_array_unref (self->hits);
  g_free (self->description);
  g_free (self->last_tooltip);
  G_OBJECT_CLASS (confab_chart_parent_class)->finalize (object);
}

static void
confab_chart_class_init (ConfabChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = confab_chart_finalize;
  widget_class->snapshot = confab_chart_snapshot;
  widget_class->measure = confab_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
confab_chart_init (ConfabChart *self)
{
  self->hits = g_array_new (FALSE, TRUE, sizeof (ConfabChartHit));
  g_array_set_clear_func (self->hits, (GDestroyNotify) hit_clear);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_style_changed), self, G_CONNECT_SWAPPED);
}

GtkWidget *
confab_chart_new (ConfabChartKind kind)
{
  ConfabChart *self = g_object_new (CONFAB_TYPE_CHART, NULL);

  self->kind = kind;
  return GTK_WIDGET (self);
}

ConfabChartKind
confab_chart_get_kind (ConfabChart *self)
{
  g_return_val_if_fail (CONFAB_IS_CHART (self), 0);
  return self->kind;
}

void
confab_chart_set_analytics (ConfabChart           *self,
                            const ConfabAnalytics *analytics)
{
  g_return_if_fail (CONFAB_IS_CHART (self));

  self->analytics = analytics;
  g_array_set_size (self->hits, 0);
  g_free (self->description);
  self->description = confab_chart_describe (self->kind, analytics);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->description, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
confab_chart_get_description (ConfabChart *self)
{
  g_return_val_if_fail (CONFAB_IS_CHART (self), NULL);
  return self->description;
}

gboolean
confab_chart_get_value_area (ConfabChart      *self,
                             guint             index,
                             graphene_rect_t  *area,
                             const char      **tooltip)
{
  ConfabChartHit *hit;

  g_return_val_if_fail (CONFAB_IS_CHART (self), FALSE);
  if (index >= self->hits->len)
    return FALSE;
  hit = &g_array_index (self->hits, ConfabChartHit, index);
  if (area != NULL)
    *area = hit->area;
  if (tooltip != NULL)
    *tooltip = hit->text;
  return TRUE;
}

const char *
confab_chart_get_last_tooltip (ConfabChart *self)
{
  g_return_val_if_fail (CONFAB_IS_CHART (self), NULL);
  return self->last_tooltip;
}
