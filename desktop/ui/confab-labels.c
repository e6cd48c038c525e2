/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-labels.c: label colours and dots (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include "confab-labels.h"

#define DOT_SIZE 10

gboolean
confab_label_parse_color (const char *color,
                          GdkRGBA    *rgba)
{
  gboolean valid = color != NULL && strlen (color) == 7 && color[0] == '#';

  for (guint i = 1; valid && i < 7; i++)
    valid = g_ascii_isxdigit (color[i]);
  if (!valid || !gdk_rgba_parse (rgba, color))
    {
      *rgba = (GdkRGBA) { 0.6, 0.6, 0.6, 1.0 };
      return FALSE;
    }
  return TRUE;
}

static void
draw_dot (GtkDrawingArea *area,
          cairo_t        *cr,
          int             width,
          int             height,
          gpointer        user_data)
{
  GdkRGBA *rgba = user_data;

  gdk_cairo_set_source_rgba (cr, rgba);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

GtkWidget *
confab_label_dot_new (const char *color)
{
  GtkWidget *dot = gtk_drawing_area_new ();
  GdkRGBA *rgba = g_new (GdkRGBA, 1);

  confab_label_parse_color (color, rgba);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (dot), DOT_SIZE);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (dot), DOT_SIZE);
  gtk_widget_set_valign (dot, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (dot), draw_dot, rgba, g_free);
  return dot;
}
