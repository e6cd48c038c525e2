/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-charts.c: the Analytics view's charts fed the model of a fixture
 * (tests/data/analytics/week.json), drawn under Xvfb at several widths: one value area per
 * day, rating, hour or segment, inside the chart and growing with it; the tooltips and the
 * accessible descriptions say the fixture's figures; the bars are painted in the style's accent
 * colour, light and dark; an empty answer draws no value. */
#define G_LOG_DOMAIN "test-desktop-charts"

#include <adwaita.h>
#include <string.h>

#include "confab-chart.h"

static ConfabAnalytics *
load_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "analytics", name, NULL);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  ConfabAnalytics *analytics;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  analytics = confab_analytics_parse_data (data, len, &error);
  g_assert_no_error (error);
  return analytics;
}

static void
iterate_until_drawn (GtkWidget *chart,
                     int        width)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* drawn at the width asked: a value area exists and the allocation is that width */
  while (g_get_monotonic_time () < deadline)
    {
      graphene_rect_t area;

      g_main_context_iteration (NULL, FALSE);
      if (gtk_widget_get_width (chart) == width &&
          confab_chart_get_value_area (CONFAB_CHART (chart), 0, &area, NULL))
        return;
      g_usleep (2000);
    }
  g_error ("the chart was not drawn at %d px", width);
}

/* A window holding only @chart, @width wide. */
static GtkWidget *
show_chart (GtkWidget *chart,
            int        width)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), width, -1);
  gtk_window_set_child (GTK_WINDOW (window), chart);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static guint
n_values (GtkWidget *chart)
{
  guint n = 0;

  while (confab_chart_get_value_area (CONFAB_CHART (chart), n, NULL, NULL))
    n++;
  return n;
}

static const char *
tooltip_at (GtkWidget *chart,
            guint      index)
{
  const char *text = NULL;

  g_assert_true (confab_chart_get_value_area (CONFAB_CHART (chart), index, NULL, &text));
  return text;
}

static void
test_values (void)
{
  static const struct {
    ConfabChartKind kind;
    guint           values;
  } kinds[] = {
    { CONFAB_CHART_CONVERSATIONS, 7 },
    { CONFAB_CHART_TIMES, 7 },
    { CONFAB_CHART_CSAT, 5 },
    { CONFAB_CHART_HOURS, 7 * 24 },
    { CONFAB_CHART_BOT, 4 },
  };
  static const int widths[] = { 320, 640, 1100 };
  g_autoptr (ConfabAnalytics) a = load_fixture ("week.json");

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      double first_width = 0;

      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          GtkWidget *chart = confab_chart_new (kinds[k].kind);
          GtkWidget *window = show_chart (chart, widths[w]);
          graphene_rect_t bounds, area;

          confab_chart_set_analytics (CONFAB_CHART (chart), a);
          iterate_until_drawn (chart, widths[w]);
          g_assert_cmpuint (n_values (chart), ==, kinds[k].values);
          graphene_rect_init (&bounds, 0, 0, gtk_widget_get_width (chart), gtk_widget_get_height (chart));
          for (guint i = 0; i < kinds[k].values; i++)
            {
              g_assert_true (confab_chart_get_value_area (CONFAB_CHART (chart), i, &area, NULL));
              /* inside the chart, as the window sized it */
              g_assert_true (graphene_rect_contains_rect (&bounds, &area));
            }
          /* the first value's area grows with the chart (the bot's segment: its share) */
          g_assert_true (confab_chart_get_value_area (CONFAB_CHART (chart), 0, &area, NULL));
          g_assert_cmpfloat (area.size.width, >, first_width);
          first_width = area.size.width;
          gtk_window_destroy (GTK_WINDOW (window));
        }
    }
}

static GtkWidget *
drawn (ConfabChartKind        kind,
       const ConfabAnalytics *a,
       GtkWidget            **window)
{
  GtkWidget *chart = confab_chart_new (kind);

  *window = show_chart (chart, 800);
  confab_chart_set_analytics (CONFAB_CHART (chart), a);
  iterate_until_drawn (chart, 800);
  return chart;
}

static void
test_words (void)
{
  g_autoptr (ConfabAnalytics) a = load_fixture ("week.json");
  GtkWidget *window = NULL;
  GtkWidget *chart;
  const char *text;

  chart = drawn (CONFAB_CHART_CONVERSATIONS, a, &window);
  g_assert_cmpstr (tooltip_at (chart, 0), ==, "Monday 30 November 2026: 5 conversations");
  g_assert_cmpstr (tooltip_at (chart, 2), ==, "Wednesday 2 December 2026: 1 conversation");
  text = confab_chart_get_description (CONFAB_CHART (chart));
  g_assert_nonnull (strstr (text, "17 conversations; busiest day Monday 30 November 2026 with 5."));
  g_assert_nonnull (strstr (text, "Sat 5 Dec: 0"));
  gtk_window_destroy (GTK_WINDOW (window));

  chart = drawn (CONFAB_CHART_TIMES, a, &window);
  g_assert_cmpstr (tooltip_at (chart, 1), ==, "Tuesday 1 December 2026\nFirst response: 1 min\nResolution: 40 min");
  g_assert_cmpstr (tooltip_at (chart, 2), ==, "Wednesday 2 December 2026\nFirst response: —\nResolution: —");
  g_assert_cmpstr (confab_chart_get_description (CONFAB_CHART (chart)), ==,
                   "First response: median 45 s, 90th percentile 5 min. Resolution: median 40 min, 90th percentile 2 h.");
  gtk_window_destroy (GTK_WINDOW (window));

  chart = drawn (CONFAB_CHART_CSAT, a, &window);
  g_assert_cmpstr (tooltip_at (chart, 0), ==, "5 stars: 4 ratings (50%)");
  g_assert_cmpstr (tooltip_at (chart, 4), ==, "1 stars: 0 ratings (0%)");
  g_assert_cmpstr (confab_chart_get_description (CONFAB_CHART (chart)), ==,
                   "8 ratings, average 4.1 of 5. 5 stars: 4; 4 stars: 2; 3 stars: 1; 2 stars: 1; 1 stars: 0;");
  gtk_window_destroy (GTK_WINDOW (window));

  chart = drawn (CONFAB_CHART_HOURS, a, &window);
  /* Tuesday (row 1) 14:00 */
  g_assert_cmpstr (tooltip_at (chart, 24 + 14), ==, "Tuesday 14:00–15:00: 5 conversations");
  g_assert_cmpstr (tooltip_at (chart, 2 * 24 + 23), ==, "Wednesday 23:00–00:00: 1 conversation");
  g_assert_cmpstr (confab_chart_get_description (CONFAB_CHART (chart)), ==,
                   "Busiest hour: Tuesday 14:00–15:00 with 5 conversations.");
  gtk_window_destroy (GTK_WINDOW (window));

  chart = drawn (CONFAB_CHART_BOT, a, &window);
  g_assert_cmpstr (tooltip_at (chart, 0), ==, "Bot: 8 (14%)");
  g_assert_cmpstr (tooltip_at (chart, 1), ==, "Agents: 50 (86%)");
  g_assert_cmpstr (tooltip_at (chart, 2), ==, "Answered: 6 (75%)");
  g_assert_cmpstr (tooltip_at (chart, 3), ==, "Handed to a person: 2 (25%)");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The colour of the pixel at (@x, @y) of @chart as drawn. */
static void
pixel_at (GtkWidget *chart,
          int        x,
          int        y,
          GdkRGBA   *color)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (chart);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (chart), height = gtk_widget_get_height (chart);
  g_autofree guchar *data = g_malloc (width * height * 4);
  guchar *p;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (chart)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, data, width * 4);
  /* Cairo's ARGB32, premultiplied; the bars are opaque */
  p = data + (y * width + x) * 4;
  color->blue = p[0] / 255.0;
  color->green = p[1] / 255.0;
  color->red = p[2] / 255.0;
  color->alpha = p[3] / 255.0;
}

static void
assert_accent (GtkWidget *chart)
{
  graphene_rect_t area;
  GdkRGBA pixel, accent;

  /* Monday's bar (5 of 5): its lower half is bar whatever the layout */
  g_assert_true (confab_chart_get_value_area (CONFAB_CHART (chart), 0, &area, NULL));
  pixel_at (chart, (int) (area.origin.x + area.size.width / 2),
            (int) (area.origin.y + area.size.height * 0.75), &pixel);
  g_assert_true (gtk_style_context_lookup_color (gtk_widget_get_style_context (chart), "accent_color",
                                                 &accent));
  g_test_message ("bar %.3f %.3f %.3f, accent %.3f %.3f %.3f", pixel.red, pixel.green, pixel.blue,
                  accent.red, accent.green, accent.blue);
  g_assert_cmpfloat_with_epsilon (pixel.red, accent.red, 2.0 / 255);
  g_assert_cmpfloat_with_epsilon (pixel.green, accent.green, 2.0 / 255);
  g_assert_cmpfloat_with_epsilon (pixel.blue, accent.blue, 2.0 / 255);
}

static void
test_colors (void)
{
  g_autoptr (ConfabAnalytics) a = load_fixture ("week.json");
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *window = NULL;
  GtkWidget *chart = drawn (CONFAB_CHART_CONVERSATIONS, a, &window);
  GdkRGBA light_accent, dark_accent;

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_main_context_iteration (NULL, FALSE);
  assert_accent (chart);
  gtk_style_context_lookup_color (gtk_widget_get_style_context (chart), "accent_color", &light_accent);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  while (!adw_style_manager_get_dark (style))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  assert_accent (chart);
  gtk_style_context_lookup_color (gtk_widget_get_style_context (chart), "accent_color", &dark_accent);
  /* libadwaita's accent is lighter in the dark style: the chart followed it */
  g_assert_false (gdk_rgba_equal (&light_accent, &dark_accent));
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_empty (void)
{
  g_autoptr (ConfabAnalytics) a = load_fixture ("empty.json");

  for (ConfabChartKind kind = CONFAB_CHART_CONVERSATIONS; kind <= CONFAB_CHART_BOT; kind++)
    {
      GtkWidget *chart = confab_chart_new (kind);
      GtkWidget *window = show_chart (chart, 500);
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      confab_chart_set_analytics (CONFAB_CHART (chart), a);
      while (gtk_widget_get_width (chart) != 500 && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      for (guint i = 0; i < 20; i++)
        g_main_context_iteration (NULL, FALSE);
      /* "No conversations in this period" and the like, no value to point at */
      g_assert_cmpuint (n_values (chart), ==, 0);
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  /* English day names and an English "5 conversations" */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  g_test_add_func ("/desktop/charts/values", test_values);
  g_test_add_func ("/desktop/charts/words", test_words);
  g_test_add_func ("/desktop/charts/colors", test_colors);
  g_test_add_func ("/desktop/charts/empty", test_empty);
  return g_test_run ();
}
