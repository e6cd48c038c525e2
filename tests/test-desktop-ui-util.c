/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-ui-util.c: see test-desktop-ui-util.h. */
#define G_LOG_DOMAIN "test-desktop-ui"

#include <cairo.h>

#include "test-desktop-ui-util.h"

/* ------------------------------------------------------------ helpers --- */

GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* shown in a "timeout" screenshot when a wait fails */
GtkWidget *main_window;

void
wait_until_at (const char *file,
               int         line,
               const char *what,
               Condition   condition,
               gpointer    data)
{
  gint64 deadline = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          if (main_window != NULL)
            g_free (save_screenshot (main_window, "timeout"));
          g_error ("%s:%d: timed out waiting for %s", file, line, what);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Lets layout, styles and pending frames settle before a screenshot. */
void
settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
count_tick (GtkWidget     *widget,
            GdkFrameClock *clock,
            gpointer       data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
two_ticks (gpointer data)
{
  return *(guint *) data >= 2;
}

/* A tick callback makes the frame clock run; ticks come in a frame's update phase, before its
 * layout: after the second, the frame of the first (and its layout) is done. */
void
wait_for_frames (GtkWidget *widget)
{
  guint ticks = 0;
  guint id = gtk_widget_add_tick_callback (widget, count_tick, &ticks, NULL);

  wait_until ("two frames drawn", two_ticks, &ticks);
  gtk_widget_remove_tick_callback (widget, id);
}

/* Scrolls @widget's page until @widget is laid out in the middle of the view and stays there (a
 * page that fills its rows again, or a window given the focus back, may move it). A row just
 * made visible (the site's groups, once it loaded) is mapped before the window's next layout
 * gives it a place: until then it has no size and reads as at 0,0 — under load for seconds, and
 * a click there hits the header. Each look waits for frames drawn, not for a time. */
void
scroll_into_view (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = NULL;
  graphene_point_t shown, last = GRAPHENE_POINT_INIT (-1, -1);
  gint64 deadline = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;

  if (scrolled != NULL)
    adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  while (g_get_monotonic_time () < deadline)
    {
      gboolean inside;

      wait_for_frames (widget);
      if (gtk_widget_get_width (widget) <= 0 || gtk_widget_get_height (widget) <= 0)
        continue;
      if (scrolled == NULL)
        return;
      g_assert_true (gtk_widget_compute_point (widget, scrolled, &GRAPHENE_POINT_INIT (0, 0), &shown));
      inside = shown.y >= 0 && shown.y + gtk_widget_get_height (widget) <= gtk_widget_get_height (scrolled);
      if (inside && shown.y == last.y)
        return;
      last = shown;
      /* @shown is in the view's coordinates: the scroll is the value plus that */
      if (!inside)
        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + shown.y +
                                              gtk_widget_get_height (widget) / 2.0 -
                                              gtk_adjustment_get_page_size (adjustment) / 2.0);
    }
  if (main_window != NULL)
    g_free (save_screenshot (main_window, "timeout"));
  g_error ("%s is not laid out in view (%d×%d)", gtk_widget_get_name (widget),
           gtk_widget_get_width (widget), gtk_widget_get_height (widget));
}

char *
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("CONFAB_SCREENSHOTS");
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  gint64 deadline = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;
  int width, height;
  char *path;

  /* on a loaded machine the first frame of a new window or page may not be laid out or
   * painted yet: wait for it rather than fail */
  for (;;)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      if (width > 0 && height > 0)
        gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node != NULL || g_get_monotonic_time () > deadline)
        break;
      settle (50);
    }
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir != NULL ? dir : "screenshots", 0755);
  path = g_build_filename (dir != NULL ? dir : "screenshots", file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  return path;
}

/* A photo-like PNG: a sky, a sun and hills, so that a thumbnail is recognisable. */
static cairo_status_t
append_png (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
style_is_dark (gpointer data)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ()) == GPOINTER_TO_INT (data);
}

typedef struct {
  GtkWidget *window;
  int        width;
} Width;

static gboolean
width_is (gpointer data)
{
  Width *w = data;

  return gtk_widget_get_width (w->window) == w->width;
}

/* The first widget under @widget whose allocation reaches past @right (in @window's
 * coordinates), as a sentence, or NULL: a label or row the narrow window clips (scrolled content
 * too: it scrolls down, not across). */
static char *
find_misfit (GtkWidget  *window,
             GtkWidget  *widget,
             double      right,
             const char *name)
{
  graphene_rect_t bounds;

  /* an overlay scrollbar's trough may reach a few pixels into the border */
  if (!gtk_widget_get_mapped (widget) || GTK_IS_POPOVER (widget) || GTK_IS_SCROLLBAR (widget))
    return NULL;
  /* a pixel over: the header bar's, drawn over the window's border */
  if (gtk_widget_compute_bounds (widget, window, &bounds) && bounds.size.width > 0 &&
      (bounds.origin.x < -1.5 || bounds.origin.x + bounds.size.width > right + 1.5))
    return g_strdup_printf ("%s: %s (%s) reaches past the %.0f px window: %.0f to %.0f", name,
                            gtk_widget_get_name (widget), G_OBJECT_TYPE_NAME (widget), right,
                            bounds.origin.x, bounds.origin.x + bounds.size.width);
  /* a label made to wrap whose text needs more lines than it may have at this width: the
   * narrow window cut what it says off behind "…" (a single-line preview may ellipsize, that
   * is its design) */
  if (GTK_IS_LABEL (widget) && gtk_label_get_wrap (GTK_LABEL (widget)) &&
      gtk_label_get_lines (GTK_LABEL (widget)) > 0 &&
      gtk_label_get_ellipsize (GTK_LABEL (widget)) != PANGO_ELLIPSIZE_NONE)
    {
      g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, gtk_label_get_text (GTK_LABEL (widget)));

      pango_layout_set_width (layout, gtk_widget_get_width (widget) * PANGO_SCALE);
      pango_layout_set_wrap (layout, gtk_label_get_wrap_mode (GTK_LABEL (widget)));
      if (pango_layout_get_line_count (layout) > gtk_label_get_lines (GTK_LABEL (widget)))
        return g_strdup_printf ("%s: the label “%s” is cut short (%d lines of %d)", name,
                                gtk_label_get_text (GTK_LABEL (widget)),
                                gtk_label_get_lines (GTK_LABEL (widget)),
                                pango_layout_get_line_count (layout));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      char *misfit = find_misfit (window, child, right, name);

      if (misfit != NULL)
        return misfit;
    }
  return NULL;
}

typedef struct {
  GtkWidget  *window;
  const char *name;
  char       *misfit;  /* the last look's, for the failure message */
} Fits;

/* Everything inside the 360 px window. Asked again on each frame until it holds: a leaflet that
 * folds slides its pages over in an animation, which under load outlasts a couple of frames. */
static gboolean
fits_narrow (gpointer data)
{
  Fits *fits = data;

  g_clear_pointer (&fits->misfit, g_free);
  /* the window's own bounds hold its resize border; its children are the content */
  for (GtkWidget *child = gtk_widget_get_first_child (fits->window); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if ((fits->misfit = find_misfit (fits->window, child, 360, fits->name)) != NULL)
      return FALSE;
  return TRUE;
}

static gboolean
wider_than_narrow (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (data)) > 360;
}

void
save_dark_and_narrow (GtkWindow  *window,
                      const char *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  AdwColorScheme scheme = adw_style_manager_get_color_scheme (style);
  g_autofree char *dark = g_strconcat (name, "-dark", NULL);
  g_autofree char *narrow = g_strconcat (name, "-narrow", NULL);
  Width w = { GTK_WIDGET (window), 360 };
  int width, height;

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  wait_until ("the dark style", style_is_dark, GINT_TO_POINTER (TRUE));
  wait_for_frames (GTK_WIDGET (window));
  g_free (save_screenshot (GTK_WIDGET (window), dark));
  adw_style_manager_set_color_scheme (style, scheme);
  wait_until ("the light style again", style_is_dark, GINT_TO_POINTER (FALSE));

  gtk_window_get_default_size (window, &width, &height);
  /* none set: the size it has */
  if (width <= 360 || height <= 0)
    {
      width = gtk_widget_get_width (GTK_WIDGET (window));
      height = gtk_widget_get_height (GTK_WIDGET (window));
    }
  gtk_window_set_default_size (window, 360, height);
  wait_until ("the window 360 px wide", width_is, &w);
  wait_for_frames (GTK_WIDGET (window));
  {
    Fits fits = { GTK_WIDGET (window), narrow, NULL };
    gint64 deadline = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;

    while (!fits_narrow (&fits))
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("%s", fits.misfit);
        wait_for_frames (GTK_WIDGET (window));
      }
  }
  g_free (save_screenshot (GTK_WIDGET (window), narrow));
  gtk_window_set_default_size (window, width, height);
  wait_until ("the window wide again", wider_than_narrow, window);
  wait_for_frames (GTK_WIDGET (window));
}

GBytes *
make_picture (void)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 640, 420);
  cairo_t *cr = cairo_create (surface);
  cairo_pattern_t *sky = cairo_pattern_create_linear (0, 0, 0, 420);
  GByteArray *png = g_byte_array_new ();

  cairo_pattern_add_color_stop_rgb (sky, 0, 0.21, 0.52, 0.89);
  cairo_pattern_add_color_stop_rgb (sky, 1, 0.6, 0.76, 0.95);
  cairo_set_source (cr, sky);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0.97, 0.83, 0.18);
  cairo_arc (cr, 480, 110, 56, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0.18, 0.62, 0.33);
  cairo_move_to (cr, 0, 420);
  cairo_curve_to (cr, 120, 220, 300, 260, 420, 330);
  cairo_curve_to (cr, 520, 380, 600, 300, 640, 310);
  cairo_line_to (cr, 640, 420);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_pattern_destroy (sky);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

/* A visitor on @url who says @first; returns the socket (welcome consumed). */
TestWs *
visitor_new (TestRelay  *relay,
             const char *site_key,
             const char *url,
             const char *title,
             const char *timezone,
             const char *fingerprint,
             const char *first,
             char      **out_token,
             char      **out_conversation_id)
{
  const char *headers[] = {
    "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", NULL
  };
  TestWs *ws = test_ws_try_widget_with_headers (relay, site_key, headers, NULL);
  g_autoptr (JsonObject) welcome = NULL;

  g_assert_nonnull (ws);
  if (fingerprint != NULL)
    test_ws_sendf (ws, "{'type':'hello','visitor_id':null,'visitor_token':null,"
                       "'page':{'url':'%s','title':'%s','referrer':''},"
                       "'locale':'en-GB','timezone':'%s','fingerprint':'%s'}",
                   url, title, timezone, fingerprint);
  else
    test_ws_sendf (ws, "{'type':'hello','visitor_id':null,'visitor_token':null,"
                       "'page':{'url':'%s','title':'%s','referrer':''},"
                       "'locale':'en-GB','timezone':'%s'}", url, title, timezone);
  welcome = test_ws_wait_for (ws, "welcome", TEST_TIMEOUT_MS);
  if (out_token != NULL)
    *out_token = g_strdup (test_obj_string (welcome, "visitor_token"));
  test_ws_sendf (ws, "{'type':'page_view','url':'%s#details','title':'%s — details'}", url, title);
  if (first != NULL)
    test_visitor_say (ws, first, out_conversation_id);
  return ws;
}

gboolean
named_visible (gpointer data)
{
  Named *named = data;
  GtkWidget *widget = find_named (named->root, named->name);

  return widget != NULL && gtk_widget_get_mapped (widget);
}

gboolean
window_exists (gpointer data)
{
  return confab_application_get_window (data) != NULL;
}
