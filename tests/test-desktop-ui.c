/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-ui.c: the real app (ConfabApplication, in-process) against a real relay with data
 * in it, under Xvfb, with a real keyring (tests/run-with-keyring.sh). The harness plays the
 * visitors over the widget WebSocket. Widgets are found by their names, as a user finds them
 * by what they show; each step waits for what the user would see, then saves a screenshot
 * into $CONFAB_SCREENSHOTS (the build dir's tests/screenshots/). */
#define G_LOG_DOMAIN "test-desktop-ui"

#include <adwaita.h>
#include <cairo.h>

#include "confab-application.h"
#include "confab-client.h"
#include "confab-visitor-pane.h"
#include "relay-harness.h"

#define UI_TIMEOUT_MS 10000

/* ------------------------------------------------------------ helpers --- */

static GtkWidget *
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

typedef gboolean (*Condition) (gpointer data);

static char *save_screenshot (GtkWidget *widget, const char *name);
/* shown in a "timeout" screenshot when a wait fails */
static GtkWidget *main_window;

static void
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
#define wait_until(what, cond, data) wait_until_at (__FILE__, __LINE__, (what), (cond), (data))

/* Lets layout, styles and pending frames settle before a screenshot. */
static void
settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("CONFAB_SCREENSHOTS");
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  char *path;

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
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

static GBytes *
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
static TestWs *
visitor_new (TestRelay  *relay,
             const char *site_key,
             const char *url,
             const char *title,
             const char *timezone,
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
  test_ws_sendf (ws, "{'type':'hello','visitor_id':null,'visitor_token':null,"
                     "'page':{'url':'%s','title':'%s','referrer':''},"
                     "'locale':'en-GB','timezone':'%s'}", url, title, timezone);
  welcome = test_ws_wait_for (ws, "welcome", TEST_TIMEOUT_MS);
  if (out_token != NULL)
    *out_token = g_strdup (test_obj_string (welcome, "visitor_token"));
  test_ws_sendf (ws, "{'type':'page_view','url':'%s#details','title':'%s — details'}", url, title);
  test_visitor_say (ws, first, out_conversation_id);
  return ws;
}

typedef struct {
  GtkWidget  *root;
  const char *name;
} Named;

static gboolean
named_visible (gpointer data)
{
  Named *named = data;
  GtkWidget *widget = find_named (named->root, named->name);

  return widget != NULL && gtk_widget_get_mapped (widget);
}

static gboolean
list_has_items (gpointer data)
{
  Named *named = data;
  GtkWidget *view = find_named (named->root, named->name);
  GtkSelectionModel *model = view != NULL ? gtk_list_view_get_model (GTK_LIST_VIEW (view)) : NULL;

  return model != NULL && g_list_model_get_n_items (G_LIST_MODEL (model)) >= 4;
}

/* Any mapped thumbnail with its image: rows without one have a hidden picture too. */
static gboolean
has_loaded_thumbnail (GtkWidget *root)
{
  if (g_strcmp0 (gtk_widget_get_name (root), "message-thumbnail") == 0 &&
      gtk_widget_get_mapped (root) && gtk_picture_get_paintable (GTK_PICTURE (root)) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_loaded_thumbnail (child))
      return TRUE;
  return FALSE;
}

static gboolean
thumbnail_loaded (gpointer data)
{
  return has_loaded_thumbnail (data);
}

static gboolean
ghost_shown (gpointer data)
{
  GtkWidget *label = find_named (data, "ghost-text");

  return label != NULL && gtk_widget_get_child_visible (gtk_widget_get_parent (gtk_widget_get_parent (label))) &&
         g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), "Can I pay");
}

static gboolean
banner_offline (gpointer data)
{
  GtkWidget *banner = find_named (data, "offline-banner");

  return banner != NULL && gtk_revealer_get_child_revealed (GTK_REVEALER (banner)) &&
         gtk_widget_has_css_class (banner, "offline");
}

static gboolean
window_exists (gpointer data)
{
  return confab_application_get_window (data) != NULL;
}

static GtkWidget *
preferences_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_PREFERENCES_WINDOW (window) && gtk_widget_get_mapped (window))
        return window;
    }
  return NULL;
}

static gboolean
preferences_shown (gpointer data)
{
  return preferences_window () != NULL;
}

/* -------------------------------------------------------------- tests --- */

/* Sign in through the form, see the inbox with the image conversation and the visitor's
 * typing, answer from the composer (the visitor gets it), open the preferences, then lose the
 * relay and see the offline banner. */
static void
test_app_screenshots (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (ConfabApplication) app = NULL;
  g_autoptr (TestWs) anna = NULL;
  g_autoptr (TestWs) ben = NULL;
  g_autoptr (TestWs) chloe = NULL;
  g_autoptr (TestWs) dev = NULL;
  g_autoptr (GBytes) picture = make_picture ();
  g_autoptr (TestResponse) uploaded = NULL;
  JsonObject *answer;  /* owned by the response */
  g_autofree char *anna_token = NULL;
  g_autofree char *anna_conversation = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data_home = NULL;
  ConfabWindow *window;
  GtkWidget *widget;
  Named named;

  /* the data: four visitors, one of them with a picture */
  anna = visitor_new (world->relay, world->site_key, "https://shop.example/checkout",
                      "Checkout — Example Shop", "Europe/Berlin",
                      "Hello! My parcel arrived damaged, here is a photo.", &anna_token,
                      &anna_conversation);
  uploaded = test_http_bytes (world->relay, "POST", "/api/v1/uploads", anna_token, picture,
                              "image/png", NULL);
  test_assert_http_status (uploaded, 201);
  answer = test_response_object (uploaded);
  {
    g_autofree char *client_id = test_client_id ();

    test_ws_sendf (anna, "{'type':'message','client_id':'%s','attachment_id':'%s'}",
                   client_id, test_obj_string (answer, "id"));
    json_object_unref (test_ws_wait_for (anna, "ack", TEST_TIMEOUT_MS));
  }
  ben = visitor_new (world->relay, world->site_key, "https://shop.example/pricing",
                     "Pricing — Example Shop", "America/New_York",
                     "Do you offer a discount for schools?", NULL, NULL);
  chloe = visitor_new (world->relay, world->site_key, "https://shop.example/",
                       "Example Shop", "Asia/Tokyo", "Where is my order #4411?", NULL, NULL);
  dev = visitor_new (world->relay, world->site_key, "https://shop.example/help/returns",
                     "Returns — Example Shop", "Europe/London",
                     "How long do refunds take?", NULL, NULL);

  /* the app, in-process, with its data under the test's scratch dir */
  data_home = g_build_filename (test_relay_tmp_dir (world->relay), "xdg-data", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("CONFAB_RELAY_URL", test_relay_base_url (world->relay), TRUE);
  g_setenv ("CONFAB_NO_SOUND", "1", TRUE);
  adw_init ();
  app = confab_application_new ("chat.confab.Confab.Test", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_object_set (confab_application_get_settings (app), "window-width", 1360, "window-height", 820, NULL);
  g_application_activate (G_APPLICATION (app));
  wait_until ("the window", window_exists, app);
  window = confab_application_get_window (app);
  main_window = GTK_WIDGET (window);

  /* sign in through the form: the relay address is pre-filled from CONFAB_RELAY_URL */
  named = (Named) { GTK_WIDGET (window), "sign-in-button" };
  wait_until ("the sign-in page", named_visible, &named);
  widget = find_named (GTK_WIDGET (window), "relay-entry");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (widget)), ==, test_relay_base_url (world->relay));
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (window), "email-entry")), world->email);
  gtk_editable_set_text (GTK_EDITABLE (find_named (GTK_WIDGET (window), "password-entry")), world->password);
  g_signal_emit_by_name (find_named (GTK_WIDGET (window), "sign-in-button"), "clicked");

  /* the inbox fills from the backlog */
  named = (Named) { GTK_WIDGET (window), "conversation-list" };
  wait_until ("the inbox", named_visible, &named);
  wait_until ("four conversations", list_has_items, &named);
  settle (400);
  path = save_screenshot (GTK_WIDGET (window), "inbox");
  g_clear_pointer (&path, g_free);

  /* the conversation with the picture, and Anna typing */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-conversation", "s", anna_conversation);
  wait_until ("the thumbnail", thumbnail_loaded, window);
  test_ws_sendf (anna, "{'type':'typing','preview':'Can I pay for the replacement by card'}");
  wait_until ("the ghost text", ghost_shown, window);
  settle (600);
  path = save_screenshot (GTK_WIDGET (window), "conversation");
  g_clear_pointer (&path, g_free);
  widget = find_named (GTK_WIDGET (window), "visitor-pane");
  g_assert_nonnull (widget);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (window), "visitor-name"))), !=, "");
  path = save_screenshot (gtk_widget_get_ancestor (widget, CONFAB_TYPE_VISITOR_PANE), "visitor-pane");
  g_clear_pointer (&path, g_free);

  /* the agent answers from the composer: Enter sends, the visitor receives it */
  widget = find_named (GTK_WIDGET (window), "composer");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget)),
                            "Sorry about that! A replacement is on its way.", -1);
  g_assert_true (gtk_widget_activate_action (widget, "chat.send", NULL));
  {
    g_autoptr (JsonObject) frame = test_ws_wait_for_match (anna, "message", "sender.type", "agent",
                                                           TEST_TIMEOUT_MS);

    g_assert_cmpstr (test_obj_string (frame, "body"), ==, "Sorry about that! A replacement is on its way.");
  }

  /* the preferences */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  wait_until ("the preferences", preferences_shown, NULL);
  settle (400);
  path = save_screenshot (preferences_window (), "preferences");
  g_clear_pointer (&path, g_free);
  gtk_window_destroy (GTK_WINDOW (preferences_window ()));

  /* the relay goes away: the banner says so, the inbox stays */
  test_relay_stop (world->relay);
  wait_until ("the offline banner", banner_offline, window);
  settle (600);
  path = save_screenshot (GTK_WIDGET (window), "offline");
  g_clear_pointer (&path, g_free);
  named = (Named) { GTK_WIDGET (window), "conversation-list" };
  g_assert_true (list_has_items (&named));

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
}

int
main (int   argc,
      char *argv[])
{
  /* hermetic: no portals, no a11y bus, settings in memory (STYLE.md, Tests) */
  /* GDK_DEBUG=no-portals is GTK 4.10+; 4.8 (Debian 12) reads GTK_USE_PORTAL */
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  test_harness_init (&argc, &argv);
  test_harness_add ("/desktop/ui/app-screenshots", test_app_screenshots);
  return g_test_run ();
}
