/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-sites.c: the settings area of the real app (in-process, under Xvfb, with a real
 * keyring) against a real relay, driven by real X input (xdotool): an owner renames a site and
 * changes its colour and welcome text (the relay stores them; the drawn preview follows the
 * typing before anything is saved), a bad domain is refused inline; an agent sees no admin page;
 * an invited agent's first sign-in with a setup code; changing one's password. Every
 * Gtk-CRITICAL or warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-sites"

#include "confab-admin-window.h"
#include "confab-client.h"
#include "confab-sign-in-page.h"
#include "confab-sites-page.h"
#include "confab-widget-preview.h"
#include "test-desktop-app-util.h"

/* Types @text with real key events into the window with the X input focus. */
static void
x_type (const char *text)
{
  const char *argv[] = { "xdotool", "type", "--delay", "30", "--", text, NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  settle (100);
}

typedef struct {
  GtkWidget  *root;
  const char *name;
  const char *text;
} Typed;

static gboolean
has_focus_within (gpointer data)
{
  return (gtk_widget_get_state_flags (data) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0;
}

/* Brings @name into view (its page scrolls to the focus), clicks it, and once it has the focus
 * (keys typed before would go to whatever had it) selects its text. */
static GtkWidget *
x_edit (GtkWidget  *root,
        const char *name)
{
  Named named = { root, name };
  GtkWidget *widget;
  g_autofree char *what = g_strdup_printf ("the focus in %s", name);

  wait_until (name, named_visible, &named);
  widget = find_named (root, name);
  scroll_into_view (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
  wait_until (what, has_focus_within, widget);
  x_key ("ctrl+a");
  return widget;
}

static gboolean
has_text (gpointer data)
{
  Typed *t = data;

  return g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (find_named (t->root, t->name))), t->text) == 0;
}

/* Replaces the text of the entry row @name by typing @text; a key lost by a loaded X server is
 * typed again once. */
static void
type_into (GtkWidget  *root,
           const char *name,
           const char *text)
{
  Typed typed = { root, name, text };

  for (int attempt = 0; attempt < 2; attempt++)
    {
      x_edit (root, name);
      x_key ("BackSpace");
      if (*text != '\0')
        x_type (text);
      settle (100);
      if (has_text (&typed))
        return;
    }
  wait_until (name, has_text, &typed);
}

/* Brings @name into view and clicks its middle. */
static void
x_click_widget (GtkWidget  *root,
                const char *name)
{
  Named named = { root, name };
  GtkWidget *widget;

  wait_until (name, named_visible, &named);
  widget = find_named (root, name);
  scroll_into_view (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static ConfabAdminWindow *
admin_window (App *app)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app->app)); l != NULL; l = l->next)
    if (CONFAB_IS_ADMIN_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gboolean
admin_shown (gpointer data)
{
  ConfabAdminWindow *window = admin_window (data);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* Opens the settings area with its shortcut, typed. */
static ConfabAdminWindow *
open_settings (App *app)
{
  ConfabAdminWindow *window;

  x_focus (GTK_WINDOW (app->window));
  x_key ("ctrl+alt+comma");
  wait_until ("the settings area", admin_shown, app);
  window = admin_window (app);
  main_window = GTK_WIDGET (window);  /* what a timeout's screenshot shows */
  x_focus (GTK_WINDOW (window));
  return window;
}

static ConfabSitesPage *
sites_page (ConfabAdminWindow *window)
{
  return CONFAB_SITES_PAGE (find_named (GTK_WIDGET (window), "sites-page"));
}

static gboolean
site_loaded (gpointer data)
{
  return confab_sites_page_get_site (sites_page (data)) != NULL;
}

typedef struct {
  TestWorld  *world;
  const char *path;   /* in the site object, e.g. "settings.color" */
  const char *value;
} Stored;

static gboolean
relay_has (gpointer data)
{
  Stored *s = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", s->world->site_id);
  g_autoptr (TestResponse) response = test_http (s->world->relay, "GET", path, s->world->token, NULL,
                                                 NULL);
  JsonObject *site = test_response_object (response);
  JsonNode *node = test_obj_lookup (site, s->path);

  /* an array of strings: joined with ", " */
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr (GString) joined = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_string_append_printf (joined, "%s%s", i > 0 ? ", " : "",
                                json_array_get_string_element (array, i));
      return g_strcmp0 (joined->str, s->value) == 0;
    }
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return g_strcmp0 (json_node_get_boolean (node) ? "true" : "false", s->value) == 0;
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         g_strcmp0 (json_node_get_string (node), s->value) == 0;
}

typedef struct {
  ConfabWidgetPreview *preview;
  const char          *color;
  const char          *welcome;
} Preview;

static gboolean
preview_is (gpointer data)
{
  Preview *p = data;

  return (p->color == NULL || g_strcmp0 (confab_widget_preview_get_color (p->preview), p->color) == 0) &&
         (p->welcome == NULL || g_strcmp0 (confab_widget_preview_get_welcome (p->preview), p->welcome) == 0);
}

/* The colour the preview paints at the middle of its launcher (bottom right), as 0xRRGGBB. */
static guint32
launcher_pixel (ConfabWidgetPreview *preview)
{
  GtkWidget *widget = GTK_WIDGET (preview);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  gsize stride = (gsize) width * 4;
  guchar *p;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  /* the launcher: 44 px, 14 px from the corner; a point of it left of the speech bubble */
  p = pixels + (gsize) (height - 14 - 22) * stride + (gsize) (width - 14 - 22 - 16) * 4;
  /* GDK_MEMORY_DEFAULT is B8G8R8A8 premultiplied; the launcher is opaque */
  return ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static gboolean
label_shows (gpointer data)
{
  Named *named = data;
  GtkWidget *label = find_named (named->root, named->name);

  return label != NULL && gtk_widget_get_mapped (label) &&
         *gtk_label_get_text (GTK_LABEL (label)) != '\0';
}

static gboolean
widget_hidden (gpointer data)
{
  Named *named = data;
  GtkWidget *widget = find_named (named->root, named->name);

  return widget != NULL && !gtk_widget_get_visible (widget);
}

typedef struct {
  GdkClipboard *clipboard;
  char         *text;
  gboolean      done;
} Clipboard;

static void
clipboard_read (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Clipboard *clip = data;

  clip->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  clip->done = TRUE;
}

static gboolean
clipboard_done (gpointer data)
{
  return ((Clipboard *) data)->done;
}

/* ------------------------------------------------------------ sites --- */

static void
test_sites_page (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  App app = { 0 };
  ConfabAdminWindow *window;
  ConfabWidgetPreview *preview;
  GtkWidget *root;
  Stored stored;
  Preview expected;
  Named named;

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  window = open_settings (&app);
  root = GTK_WIDGET (window);
  wait_until ("the site loaded", site_loaded, window);
  g_assert_cmpstr (confab_admin_window_get_site_id (window), ==, world->site_id);
  g_assert_cmpstr (confab_admin_window_get_role (root), ==, "owner");
  preview = CONFAB_WIDGET_PREVIEW (find_named (root, "widget-preview"));

  /* rename: typed, applied with Enter, stored by the relay */
  x_edit (root, "site-name");
  x_type ("Acme Shop");
  x_key ("Return");
  stored = (Stored) { world, "name", "Acme Shop" };
  wait_until ("the new name on the relay", relay_has, &stored);

  /* the colour: the preview follows the typing before anything is saved... */
  x_edit (root, "setting-color");
  x_type ("#e01b24");
  expected = (Preview) { preview, "#e01b24", NULL };
  wait_until ("the preview in the new colour", preview_is, &expected);
  settle (200);
  g_assert_cmphex (launcher_pixel (preview), ==, 0xe01b24);
  stored = (Stored) { world, "settings.color", "#e01b24" };
  g_assert_false (relay_has (&stored));
  /* ...and Enter stores it */
  x_key ("Return");
  wait_until ("the new colour on the relay", relay_has, &stored);

  /* the welcome text likewise */
  x_edit (root, "setting-welcome_message");
  x_type ("Hello from Acme");
  expected = (Preview) { preview, NULL, "Hello from Acme" };
  wait_until ("the preview with the welcome text", preview_is, &expected);
  x_key ("Return");
  stored = (Stored) { world, "settings.welcome_message", "Hello from Acme" };
  wait_until ("the welcome text on the relay", relay_has, &stored);

  /* a domain the relay refuses: its reason beside the list, the list unchanged */
  x_edit (root, "domain-entry");
  x_type ("not a domain!");
  x_key ("Return");
  named = (Named) { root, "domain-error" };
  wait_until ("the relay's refusal beside the domains", label_shows, &named);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                     confab_sites_page_get_site (sites_page (window)), "domains")), ==, 0);
  /* a wildcard it takes */
  x_edit (root, "domain-entry");
  x_type ("*.acme.example");
  x_key ("Return");
  stored = (Stored) { world, "domains", "*.acme.example" };
  wait_until ("the domain on the relay", relay_has, &stored);

  /* the site list in the window's picker follows the new name */
  {
    GtkDropDown *picker = GTK_DROP_DOWN (find_named (root, "site-picker"));
    GListModel *names = gtk_drop_down_get_model (picker);

    g_assert_cmpuint (g_list_model_get_n_items (names), ==, 1);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 0), ==, "Acme Shop");
  }

  /* a behaviour switch, clicked: typing previews are on until a site turns them off */
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (find_named (root, "setting-typing_preview"))));
  x_click_widget (root, "setting-typing_preview");
  stored = (Stored) { world, "settings.typing_preview", "false" };
  wait_until ("typing previews off, on the relay", relay_has, &stored);

  /* working hours: on (office hours in the user's zone to start from), a range that is not one
   * refused beside them, two ranges on a Monday stored */
  x_click_widget (root, "hours-switch");
  stored = (Stored) { world, "settings.working_hours.days.tue", "09:00-17:00" };
  wait_until ("working hours on the relay", relay_has, &stored);
  type_into (root, "hours-mon", "9 to 5");
  x_key ("Return");
  named = (Named) { root, "hours-error" };
  wait_until ("the bad range refused beside the hours", label_shows, &named);
  type_into (root, "hours-mon", "08:30-12:00, 13:00-17:30");
  x_key ("Return");
  stored = (Stored) { world, "settings.working_hours.days.mon", "08:30-12:00, 13:00-17:30" };
  wait_until ("Monday's two ranges on the relay", relay_has, &stored);
  /* the relay has them before the app has its answer: the refusal goes once that comes */
  named = (Named) { root, "hours-error" };
  wait_until ("the refusal beside the hours gone", widget_hidden, &named);

  /* Copy puts the embed snippet with the site's key on the clipboard */
  x_click_widget (root, "copy-snippet");
  {
    g_autofree char *snippet = g_strdup_printf ("<script async src=\"%s/widget.js\" data-site-key=\"%s\"></script>",
                                                test_relay_base_url (world->relay), world->site_key);
    Clipboard clip = { gtk_widget_get_clipboard (root), NULL, FALSE };

    gdk_clipboard_read_text_async (clip.clipboard, NULL, clipboard_read, &clip);
    wait_until ("the clipboard read", clipboard_done, &clip);
    g_assert_cmpstr (clip.text, ==, snippet);
    g_free (clip.text);
  }

  /* a site made elsewhere (over REST) reaches the open app by the relay's sites frame: the picker
   * appears with both */
  {
    g_autoptr (TestResponse) made = test_http (world->relay, "POST", "/api/v1/sites", world->token,
                                               "{\"name\":\"Acme Outlet\"}", NULL);
    Named picker = { root, "site-picker" };

    g_assert_cmpuint (made->status, ==, 201);
    wait_until ("the site picker with the new site", named_visible, &picker);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (
                        GTK_DROP_DOWN (find_named (root, "site-picker")))), ==, 2);
    /* the page still shows the site being edited */
    g_assert_cmpstr (confab_admin_window_get_site_id (window), ==, world->site_id);
  }

  /* the screenshot shows the look with its preview */
  gtk_root_set_focus (GTK_ROOT (window), NULL);
  {
    GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (preview), GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
    graphene_point_t at;

    g_assert_true (gtk_widget_compute_point (GTK_WIDGET (preview), scrolled,
                                             &GRAPHENE_POINT_INIT (0, 0), &at));
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + at.y - 250);
  }
  settle (500);
  g_free (save_screenshot (root, "settings-sites"));
  app_stop (&app);
}

/* ------------------------------------------- push, key, deletion --- */

static AdwMessageDialog *
message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_mapped (window))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return message_dialog () != NULL;
}

static gboolean
no_dialog (gpointer data)
{
  return message_dialog () == NULL;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
x_click_middle (GtkWidget *widget)
{
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static gboolean
has_toast (GtkWidget *root)
{
  if (g_strcmp0 (gtk_widget_get_css_name (root), "toast") == 0 && gtk_widget_get_mapped (root))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_toast (child))
      return TRUE;
  return FALSE;
}

static gboolean
no_toast (gpointer data)
{
  return !has_toast (data);
}

/* Clicks @name (brought into view) and waits for the confirmation it opens. */
static AdwMessageDialog *
open_confirmation (GtkWidget  *root,
                   const char *name)
{
  Named named = { root, name };
  GtkWidget *button;
  AdwMessageDialog *dialog;

  wait_until (name, named_visible, &named);
  button = find_named (root, name);
  /* the window has the focus back from a dialog before, as a window manager gives it */
  x_focus (GTK_WINDOW (gtk_widget_get_root (button)));
  scroll_into_view (button);
  /* a toast of the change before may lie over the bottom of the page: as a person would, wait
   * for it to go */
  wait_until ("no toast over the page", no_toast, gtk_widget_get_root (button));
  x_click_middle (button);
  wait_until ("the confirmation", dialog_shown, NULL);
  dialog = message_dialog ();
  x_focus (GTK_WINDOW (dialog));
  return dialog;
}

static gboolean
entry_is (gpointer data)
{
  Typed *t = data;
  GtkWidget *entry = find_named (t->root, t->name);

  return entry != NULL && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), t->text) == 0;
}

static char *
relay_site_key (TestWorld  *world,
                const char *site_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", site_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  return g_strdup (test_obj_string (test_response_object (response), "site_key"));
}

typedef struct {
  TestWorld  *world;
  const char *site_id;
  const char *not_key;   /* gone: another key than this */
} KeyOf;

static gboolean
relay_key_changed (gpointer data)
{
  KeyOf *k = data;
  g_autofree char *key = relay_site_key (k->world, k->site_id);

  return g_strcmp0 (key, k->not_key) != 0;
}

static gboolean
relay_site_gone (gpointer data)
{
  KeyOf *k = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", k->site_id);
  g_autoptr (TestResponse) response = test_http (k->world->relay, "GET", path, k->world->token,
                                                 NULL, NULL);

  return response->status == 404;
}

typedef struct {
  ConfabAdminWindow *window;
  const char        *site_id;
} Picked;

static gboolean
picked_another (gpointer data)
{
  Picked *p = data;

  return g_strcmp0 (confab_admin_window_get_site_id (p->window), p->site_id) != 0 &&
         confab_sites_page_get_site (sites_page (p->window)) == NULL;
}

/* Another app (here: REST) changes the site: the open page shows it at once (the relay's site
 * frame); the key rotated behind a confirmation (the old key refused); the site deleted behind a
 * confirmation that asks for its name. Needs the relay side of issue 10 (see main()). */
static void
test_push_rotate_delete (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *old_key = NULL;
  App app = { 0 };
  ConfabAdminWindow *window;
  AdwMessageDialog *dialog;
  GtkWidget *root;
  KeyOf key_of;
  Typed shows;

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  window = open_settings (&app);
  root = GTK_WIDGET (window);
  wait_until ("the site loaded", site_loaded, window);

  /* a change made elsewhere shows in the open page and its preview */
  {
    g_autoptr (TestResponse) patched = test_http (world->relay, "PATCH", path, world->token,
                                                  "{\"settings\":{\"welcome_message\":\"Pushed hello\"}}",
                                                  NULL);

    g_assert_cmpuint (patched->status, ==, 200);
  }
  shows = (Typed) { root, "setting-welcome_message", "Pushed hello" };
  wait_until ("the pushed welcome text in the page", entry_is, &shows);
  g_assert_cmpstr (confab_widget_preview_get_welcome (CONFAB_WIDGET_PREVIEW (find_named (root, "widget-preview"))),
                   ==, "Pushed hello");

  /* rotate, confirmed */
  old_key = relay_site_key (world, world->site_id);
  dialog = open_confirmation (root, "rotate-key");
  x_click_middle (find_button (GTK_WIDGET (dialog), "_Rotate Key"));
  key_of = (KeyOf) { world, world->site_id, old_key };
  wait_until ("a new key on the relay", relay_key_changed, &key_of);
  {
    g_autofree char *new_key = relay_site_key (world, world->site_id);
    g_autofree char *config = g_strdup_printf ("/api/v1/widget/config?site_key=%s", old_key);
    g_autoptr (TestResponse) refused = test_http (world->relay, "GET", config, NULL, NULL, NULL);
    GtkWidget *label = find_named (root, "snippet");

    g_assert_cmpuint (refused->status, ==, 404);
    x_focus (GTK_WINDOW (window));
    for (gint64 end = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;
         strstr (gtk_label_get_text (GTK_LABEL (label)), new_key) == NULL &&
         g_get_monotonic_time () < end;)
      settle (50);
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), new_key));
  }

  /* delete: the button stays off until the name is typed */
  wait_until ("the rotation's dialog gone", no_dialog, NULL);
  dialog = open_confirmation (root, "delete-site");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "delete"));
  {
    GtkWidget *entry = find_named (GTK_WIDGET (dialog), "delete-site-entry");
    const char *name = test_obj_string (confab_sites_page_get_site (sites_page (window)), "name");

    x_click_middle (entry);
    x_type (name);
    shows = (Typed) { GTK_WIDGET (dialog), "delete-site-entry", name };
    wait_until ("the name typed", entry_is, &shows);
  }
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "delete"));
  x_click_middle (find_button (GTK_WIDGET (dialog), "_Delete Site"));
  key_of = (KeyOf) { world, world->site_id, NULL };
  wait_until ("the site gone from the relay", relay_site_gone, &key_of);
  {
    Picked picked = { window, world->site_id };

    /* it was the user's only site: nothing left to administer */
    wait_until ("the site gone from the settings", picked_another, &picked);
  }

  app_stop (&app);
}

/* ------------------------------------------------------------ agent --- */

static gboolean
is_page (const char *name,
         const char *allowed[])
{
  for (guint i = 0; allowed[i] != NULL; i++)
    if (g_strcmp0 (name, allowed[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
owner_picked (gpointer data)
{
  ConfabAdminWindow *window = data;

  return g_strcmp0 (confab_admin_window_get_role (GTK_WIDGET (window)), "owner") == 0;
}

static void
test_agent_sees_no_admin_pages (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (JsonObject) user = test_relay_create_user (world->relay, "agnes@example.com",
                                                        "agnes-password", "Agnes");
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autoptr (TestResponse) added = test_http (world->relay, "POST", path, world->token,
                                              "{\"email\":\"agnes@example.com\",\"role\":\"agent\"}", NULL);
  const char *every_role[] = { "ConfabSitesPage", "ConfabAccountPage", NULL };
  App app = { 0 };
  ConfabAdminWindow *window;
  GtkWidget *root;
  GtkSelectionModel *pages;
  guint shown = 0;

  g_assert_cmpuint (added->status, ==, 201);
  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, "agnes@example.com", "agnes-password");
  window = open_settings (&app);
  root = GTK_WIDGET (window);
  settle (500);

  /* no site to administer: no picker, no site's settings, and of the pages only those for
   * every role (whatever admin pages the window has) */
  g_assert_null (confab_admin_window_get_site_id (window));
  g_assert_null (confab_sites_page_get_site (sites_page (window)));
  g_assert_false (gtk_widget_get_visible (find_named (root, "site-picker")));
  g_assert_false (gtk_widget_get_mapped (find_named (root, "site-name")));
  pages = adw_view_stack_get_pages (ADW_VIEW_STACK (gtk_widget_get_ancestor (GTK_WIDGET (sites_page (window)),
                                                                              ADW_TYPE_VIEW_STACK)));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pages)); i++)
    {
      g_autoptr (AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);

      if (!adw_view_stack_page_get_visible (page))
        continue;
      shown++;
      g_assert_true (is_page (adw_view_stack_page_get_name (page), every_role));
    }
  g_object_unref (pages);
  g_assert_cmpuint (shown, ==, 2);
  /* anyone may make a site: the agent does, from the Sites page, and owns it */
  x_click_widget (root, "new-site-button");
  wait_until ("the new site's dialog", dialog_shown, NULL);
  {
    AdwMessageDialog *dialog = message_dialog ();
    GtkWidget *name;

    x_focus (GTK_WINDOW (dialog));
    name = find_named (GTK_WIDGET (dialog), "new-site-name");
    /* a dialog just shown: its entry placed first, and typed into once it has the focus */
    scroll_into_view (name);
    x_click (name, gtk_widget_get_width (name) / 2.0, gtk_widget_get_height (name) / 2.0);
    wait_until ("the focus in the new site's name", has_focus_within, name);
    x_type ("Agnes Blog");
    {
      Typed typed = { GTK_WIDGET (dialog), "new-site-name", "Agnes Blog" };

      wait_until ("the name typed", has_text, &typed);
    }
    x_click_middle (find_button (GTK_WIDGET (dialog), "C_reate"));
  }
  wait_until ("the new site loaded", site_loaded, window);
  g_assert_cmpstr (test_obj_string (confab_sites_page_get_site (sites_page (window)), "name"), ==,
                   "Agnes Blog");
  g_assert_cmpstr (test_obj_string (confab_sites_page_get_site (sites_page (window)), "role"), ==,
                   "owner");
  /* the relay's sites frame names her its owner: the site is in the picker, picked */
  wait_until ("the new site picked as the agent's own", owner_picked, window);

  app_stop (&app);
}

/* ------------------------------------------------------------ setup --- */

static gboolean
error_says (gpointer data)
{
  AppText *at = data;
  GtkWidget *label = find_named (GTK_WIDGET (at->app->window), "sign-in-error");

  return label != NULL && gtk_widget_get_visible (label) &&
         strstr (gtk_label_get_text (GTK_LABEL (label)), at->text) != NULL;
}


static void
test_setup_code (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autoptr (TestResponse) invited = test_http (world->relay, "POST", path, world->token,
                                                "{\"email\":\"nina@example.com\",\"role\":\"agent\"}", NULL);
  g_autofree char *code = NULL;
  App app = { 0 };
  GtkWidget *root;
  AppText at;

  g_assert_cmpuint (invited->status, ==, 201);
  code = g_strdup (test_obj_string (test_response_object (invited), "setup_code"));

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  root = GTK_WIDGET (app.window);
  wait_until ("the sign-in page", sign_in_shown, &app);
  x_focus (GTK_WINDOW (app.window));
  /* the page just shown: the button clicked once it is laid out */
  x_click_widget (root, "setup-mode-button");
  /* the relay address is filled in already (CONFAB_RELAY_URL, as for a packaged app's default) */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (root, "relay-entry"))), ==,
                   test_relay_base_url (world->relay));
  type_into (root, "email-entry", "nina@example.com");
  type_into (root, "setup-code-entry", "csc_notthecodeatall1234");
  type_into (root, "setup-name-entry", "Nina");
  type_into (root, "setup-password-entry", "short");
  type_into (root, "setup-repeat-entry", "short");
  x_key ("Return");
  at = (AppText) { &app, "at least 8 characters" };
  main_window = root;
  wait_until ("a password too short refused", error_says, &at);

  type_into (root, "setup-password-entry", "nina-password-1");
  type_into (root, "setup-repeat-entry", "nina-password-1");
  x_key ("Return");
  at = (AppText) { &app, "not valid" };
  wait_until ("a wrong code refused", error_says, &at);
  g_free (save_screenshot (root, "sign-in-setup-code"));

  type_into (root, "setup-code-entry", code);
  x_key ("Return");
  wait_until ("the inbox, online", is_online, &app);
  g_assert_cmpstr (confab_client_get_user_name (client_of (&app)), ==, "Nina");
  /* the password chosen is hers from now on, and the code is spent */
  g_free (test_relay_login (world->relay, "nina@example.com", "nina-password-1"));
  {
    g_autofree char *again = g_strdup_printf ("{\"email\":\"nina@example.com\",\"setup_code\":\"%s\","
                                              "\"password\":\"another-password\"}", code);
    g_autoptr (TestResponse) reused = test_http (world->relay, "POST", "/api/v1/auth/setup", NULL,
                                                 again, NULL);

    g_assert_cmpuint (reused->status, ==, 401);
  }

  app_stop (&app);
}

/* --------------------------------------------------------- password --- */

static gboolean
password_error_says (gpointer data)
{
  Named *named = data;
  GtkWidget *label = find_named (named->root, "password-error");

  return label != NULL && gtk_widget_get_mapped (label) &&
         strstr (gtk_label_get_text (GTK_LABEL (label)), named->name) != NULL;
}

typedef struct {
  TestRelay  *relay;
  const char *email;
  const char *password;
} Login;

static gboolean
login_works (gpointer data)
{
  Login *l = data;
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", l->email, l->password);
  g_autoptr (TestResponse) response = test_http (l->relay, "POST", "/api/v1/auth/login", NULL, body, NULL);

  return response->status == 200;
}

static gboolean
user_named (gpointer data)
{
  AppText *at = data;

  return g_strcmp0 (confab_client_get_user_name (client_of (at->app)), at->text) == 0;
}

typedef struct {
  TestRelay  *relay;
  const char *token;
  const char *name;
} Me;

static gboolean
relay_user_named (gpointer data)
{
  Me *me = data;
  g_autoptr (TestResponse) response = test_http (me->relay, "GET", "/api/v1/me", me->token, NULL, NULL);

  return g_strcmp0 (test_obj_string (test_response_object (response), "user.name"), me->name) == 0;
}

static void
test_change_password (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  App app = { 0 };
  ConfabAdminWindow *window;
  GtkWidget *root;
  Named named;
  Login login;

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  window = open_settings (&app);
  root = GTK_WIDGET (window);
  confab_admin_window_show_page (window, "ConfabAccountPage");

  /* a wrong current password: said beside the fields, nothing changed */
  type_into (root, "current-password", "not-my-password");
  type_into (root, "new-password", "a-new-password-1");
  type_into (root, "repeat-password", "a-new-password-1");
  x_key ("Return");
  named = (Named) { root, "not right" };
  wait_until ("the wrong current password refused", password_error_says, &named);
  login = (Login) { world->relay, world->email, world->password };
  g_assert_true (login_works (&login));

  type_into (root, "current-password", world->password);
  type_into (root, "repeat-password", "a-new-password-1");
  x_key ("Return");
  login = (Login) { world->relay, world->email, "a-new-password-1" };
  wait_until ("the new password works", login_works, &login);
  login = (Login) { world->relay, world->email, world->password };
  g_assert_false (login_works (&login));
  /* this app stays signed in */
  settle (500);
  g_assert_true (is_online (&app));

  /* and the name */
  x_edit (root, "account-name");
  x_type ("Olivia Owner");
  x_key ("Return");
  {
    AppText at = { &app, "Olivia Owner" };

    /* the test's own token went with the password change: ask with the app's */
    Me me = { world->relay, confab_client_get_token (client_of (&app)), "Olivia Owner" };

    wait_until ("the new name in the app", user_named, &at);
    wait_until ("the new name on the relay", relay_user_named, &me);
  }
  app_stop (&app);
}

static void
skip_push_rotate_delete (void)
{
  g_test_skip ("the relay of this tree has no key rotation, site deletion or site frames yet "
               "(issue 10's relay side: docs/http-api.md documents POST /api/v1/sites/{id}/key "
               "once it has)");
}

/* The relay of this source tree rotates keys: check-docs holds docs/http-api.md to the routes
 * the relay serves, so its documentation says. */
static gboolean
relay_rotates_keys (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "docs", "http-api.md", NULL);
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) &&
         strstr (text, "### `POST /api/v1/sites/{id}/key`") != NULL;
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
  test_harness_add ("/desktop/sites/sites-page", test_sites_page);
  test_harness_add ("/desktop/sites/agent-sees-no-admin-pages", test_agent_sees_no_admin_pages);
  test_harness_add ("/desktop/sites/setup-code", test_setup_code);
  test_harness_add ("/desktop/sites/change-password", test_change_password);
  if (relay_rotates_keys ())
    test_harness_add ("/desktop/sites/push-rotate-delete", test_push_rotate_delete);
  else
    g_test_add_func ("/desktop/sites/push-rotate-delete", skip_push_rotate_delete);
  return g_test_run ();
}
