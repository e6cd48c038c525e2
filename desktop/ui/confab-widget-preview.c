/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-widget-preview.c: see the header. Sizes follow the widget's own (a 56 px launcher, a
 * 360 px panel) scaled to the preview. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-widget-preview.h"

#define DEFAULT_COLOR "#1a73e8"

struct _ConfabWidgetPreview
{
  GtkWidget  parent_instance;

  char      *color;     /* "#rrggbb" */
  char      *position;
  char      *welcome;
  char      *title;
};

G_DEFINE_FINAL_TYPE (ConfabWidgetPreview, confab_widget_preview, GTK_TYPE_WIDGET)

static gboolean
valid_color (const char *color)
{
  if (color == NULL || strlen (color) != 7 || color[0] != '#')
    return FALSE;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (color[i]))
      return FALSE;
  return TRUE;
}

static void
rounded (cairo_t *cr,
         double   x,
         double   y,
         double   w,
         double   h,
         double   r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* The text in @width, at most @max_lines, in @rgba. Returns its height. */
static double
draw_text (GtkWidget     *widget,
           cairo_t       *cr,
           const char    *text,
           double         x,
           double         y,
           double         width,
           int            max_lines,
           double         size,
           gboolean       bold,
           const GdkRGBA *rgba)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  PangoFontDescription *font = pango_font_description_new ();
  int h = 0;

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_height (layout, -max_lines);
  gdk_cairo_set_source_rgba (cr, rgba);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_pixel_size (layout, NULL, &h);
  return h;
}

static void
confab_widget_preview_snapshot (GtkWidget   *widget,
                                GtkSnapshot *snapshot)
{
  ConfabWidgetPreview *self = CONFAB_WIDGET_PREVIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  gboolean left = g_strcmp0 (self->position, "bottom-left") == 0;
  GdkRGBA accent, white = { 1, 1, 1, 1 }, ink = { 0.13, 0.13, 0.15, 1 };
  GdkRGBA page = { 0.96, 0.96, 0.97, 1 }, line = { 0.85, 0.86, 0.88, 1 };
  double launcher = 44, margin = 14, panel_w, panel_h, px, py, text_h;
  const char *welcome = self->welcome != NULL && *self->welcome ? self->welcome
                        : _("Hi! How can we help?");
  cairo_t *cr;

  if (w < 120 || h < 120)
    return;
  gdk_rgba_parse (&accent, self->color);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));

  /* the host page: a light sheet with a few lines of "content" */
  rounded (cr, 0.5, 0.5, w - 1, h - 1, 10);
  gdk_cairo_set_source_rgba (cr, &page);
  cairo_fill_preserve (cr);
  gdk_cairo_set_source_rgba (cr, &line);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  for (int i = 0; i < 5; i++)
    {
      double lx = left ? w * 0.45 : 18;

      rounded (cr, lx, 22 + i * 18, (w * 0.5 - 18) * (i % 2 ? 0.7 : 1.0), 8, 4);
      cairo_fill (cr);
    }

  /* the launcher in its corner */
  {
    double cx = left ? margin + launcher / 2 : w - margin - launcher / 2;
    double cy = h - margin - launcher / 2;

    cairo_arc (cr, cx, cy, launcher / 2, 0, 2 * G_PI);
    gdk_cairo_set_source_rgba (cr, &accent);
    cairo_fill (cr);
    /* a speech bubble in it */
    gdk_cairo_set_source_rgba (cr, &white);
    rounded (cr, cx - 11, cy - 9, 22, 15, 5);
    cairo_fill (cr);
    cairo_move_to (cr, cx - 5, cy + 5);
    cairo_line_to (cr, cx - 8, cy + 11);
    cairo_line_to (cr, cx + 1, cy + 5);
    cairo_fill (cr);
  }

  /* the open panel above it: header in the colour, the welcome text as the first bubble */
  panel_w = MIN (240, w - 2 * margin);
  panel_h = MIN (200, h - launcher - 3 * margin);
  px = left ? margin : w - margin - panel_w;
  py = h - launcher - 2 * margin - panel_h;
  if (panel_h > 90)
    {
      double bubble_w = panel_w - 56;

      cairo_save (cr);
      rounded (cr, px, py, panel_w, panel_h, 12);
      cairo_clip (cr);
      gdk_cairo_set_source_rgba (cr, &white);
      cairo_paint (cr);
      gdk_cairo_set_source_rgba (cr, &accent);
      cairo_rectangle (cr, px, py, panel_w, 40);
      cairo_fill (cr);
      draw_text (widget, cr, self->title != NULL ? self->title : _("Chat with us"),
                 px + 14, py + 12, panel_w - 28, 1, 14, TRUE, &white);
      /* the welcome bubble: grey, from the team */
      cairo_save (cr);
      cairo_new_path (cr);
      text_h = draw_text (widget, cr, welcome, -10000, -10000, bubble_w - 20, 4, 12, FALSE, &ink);
      cairo_restore (cr);
      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { 0.93, 0.93, 0.95, 1 });
      rounded (cr, px + 12, py + 52, bubble_w, text_h + 16, 10);
      cairo_fill (cr);
      draw_text (widget, cr, welcome, px + 22, py + 60, bubble_w - 20, 4, 12, FALSE, &ink);
      /* the composer line */
      gdk_cairo_set_source_rgba (cr, &line);
      rounded (cr, px + 12, py + panel_h - 38, panel_w - 24, 26, 13);
      cairo_stroke (cr);
      cairo_restore (cr);
      rounded (cr, px + 0.5, py + 0.5, panel_w - 1, panel_h - 1, 12);
      gdk_cairo_set_source_rgba (cr, &line);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
confab_widget_preview_measure (GtkWidget      *widget,
                               GtkOrientation  orientation,
                               int             for_size,
                               int            *minimum,
                               int            *natural,
                               int            *minimum_baseline,
                               int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 280 : 300;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 300;
}

static void
confab_widget_preview_finalize (GObject *object)
{
  ConfabWidgetPreview *self = CONFAB_WIDGET_PREVIEW (object);

  g_free (self->color);
  g_free (self->position);
  g_free (self->welcome);
  g_free (self->title);
  G_OBJECT_CLASS (confab_widget_preview_parent_class)->finalize (object);
}

static void
confab_widget_preview_class_init (ConfabWidgetPreviewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = confab_widget_preview_finalize;
  widget_class->snapshot = confab_widget_preview_snapshot;
  widget_class->measure = confab_widget_preview_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
confab_widget_preview_init (ConfabWidgetPreview *self)
{
  self->color = g_strdup (DEFAULT_COLOR);
  self->position = g_strdup ("bottom-right");
  gtk_widget_set_name (GTK_WIDGET (self), "widget-preview");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Preview of the chat widget"), -1);
}

GtkWidget *
confab_widget_preview_new (void)
{
  return g_object_new (CONFAB_TYPE_WIDGET_PREVIEW, NULL);
}

static void
set_field (ConfabWidgetPreview  *self,
           char                **field,
           const char           *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
confab_widget_preview_set_color (ConfabWidgetPreview *self,
                                 const char          *color)
{
  g_autofree char *lower = NULL;

  g_return_if_fail (CONFAB_IS_WIDGET_PREVIEW (self));
  if (color == NULL || *color == '\0')
    color = DEFAULT_COLOR;
  if (!valid_color (color))
    return;
  lower = g_ascii_strdown (color, -1);
  set_field (self, &self->color, lower);
}

const char *
confab_widget_preview_get_color (ConfabWidgetPreview *self)
{
  g_return_val_if_fail (CONFAB_IS_WIDGET_PREVIEW (self), NULL);
  return self->color;
}

void
confab_widget_preview_set_position (ConfabWidgetPreview *self,
                                    const char          *position)
{
  g_return_if_fail (CONFAB_IS_WIDGET_PREVIEW (self));
  set_field (self, &self->position,
             g_strcmp0 (position, "bottom-left") == 0 ? "bottom-left" : "bottom-right");
}

const char *
confab_widget_preview_get_position (ConfabWidgetPreview *self)
{
  g_return_val_if_fail (CONFAB_IS_WIDGET_PREVIEW (self), NULL);
  return self->position;
}

void
confab_widget_preview_set_welcome (ConfabWidgetPreview *self,
                                   const char          *text)
{
  g_return_if_fail (CONFAB_IS_WIDGET_PREVIEW (self));
  set_field (self, &self->welcome, text);
}

const char *
confab_widget_preview_get_welcome (ConfabWidgetPreview *self)
{
  g_return_val_if_fail (CONFAB_IS_WIDGET_PREVIEW (self), NULL);
  return self->welcome;
}

void
confab_widget_preview_set_title (ConfabWidgetPreview *self,
                                 const char          *title)
{
  g_return_if_fail (CONFAB_IS_WIDGET_PREVIEW (self));
  set_field (self, &self->title, title);
}
