/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-ui.c: the real app (ConfabApplication, in-process) against a real relay with data
 * in it, under Xvfb, with a real keyring (tests/run-with-keyring.sh). The harness plays the
 * visitors over the widget WebSocket. Widgets are found by their names, as a user finds them
 * by what they show; each step waits for what the user would see, then saves a screenshot
 * into $CONFAB_SCREENSHOTS (the build dir's tests/screenshots/). */
#define G_LOG_DOMAIN "test-desktop-ui"

#include "confab-client.h"
#include "confab-conversation-row.h"
#include "confab-format.h"
#include "confab-settings.h"
#include "confab-visitor-pane.h"
#include "test-desktop-ui-util.h"

/* ---------------------------------------------------------- conditions --- */

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


/* The "All Sites" row shows the cache's unread count (no badge at 0). */
static gboolean
all_sites_count_right (gpointer data)
{
  ConfabWindow *window = data;
  GtkWidget *row = find_named (GTK_WIDGET (window), "all-sites");
  ConfabCache *cache = confab_account_get_cache (confab_window_get_account (window));
  g_autofree char *count = g_strdup_printf ("%u", confab_cache_count_unread (cache, NULL));
  GtkWidget *box = row != NULL ? gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row)) : NULL;

  for (GtkWidget *child = box ? gtk_widget_get_first_child (box) : NULL; child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_has_css_class (child, "unread-badge"))
      return g_strcmp0 (count, "0") == 0 ? !gtk_widget_get_visible (child)
                                         : gtk_widget_get_visible (child) &&
                                           g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), count) == 0;
  return FALSE;
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

static gboolean
presence_icon_is (gpointer data)
{
  Named *named = data;  /* name: the icon */
  GtkWidget *button = find_named (named->root, "presence-button");

  return button != NULL &&
         g_strcmp0 (gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button)), named->name) == 0;
}

static gboolean
conversation_open (gpointer data)
{
  Named *named = data;  /* name: the conversation id */

  return g_strcmp0 (confab_window_get_conversation_id (CONFAB_WINDOW (named->root)), named->name) == 0;
}

/* Opens the conversation as a notification would, once the app has it: a visitor the test just
 * made may still be on its way from the relay, and the action does nothing for an unknown id. */
static gboolean
conversation_opened (gpointer data)
{
  Named *named = data;

  if (!conversation_open (named))
    gtk_widget_activate_action (named->root, "win.open-conversation", "s", named->name);
  return conversation_open (named);
}

static gboolean
history_shown (gpointer data)
{
  GtkWidget *row = find_named (data, "previous-conversation");

  return row != NULL && gtk_widget_get_mapped (row);
}

static gboolean
visitor_last_seen (gpointer data)
{
  GtkWidget *label = find_named (data, "visitor-presence");

  return label != NULL && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), "Last seen ");
}

/* The window's content width: the default size less the client-side shadow. */
typedef struct {
  GtkWidget *widget;
  int        min;
  int        max;
} Width;

static gboolean
width_within (gpointer data)
{
  Width *width = data;
  int now = gtk_widget_get_width (width->widget);

  return now >= width->min && now <= width->max;
}

static gboolean
style_dark (gpointer data)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ());
}

static gboolean
style_light (gpointer data)
{
  return !style_dark (data);
}

static void
assert_label (GtkWidget  *widget,
              const char *expected)
{
  g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                                  expected);

  if (mismatch != NULL)
    g_error ("%s: accessible label \"%s\", expected \"%s\"", G_OBJECT_TYPE_NAME (widget),
             mismatch, expected);
}

/* ------------------------------------------------------ accessibility --- */

/* Every button on screen that shows only an icon (or a picture) says what it does to the eye
 * (a tooltip) and to a screen reader (an accessible label). GTK's own parts (window controls,
 * spin buttons, the inside of a menu button) are GTK's; what is not mapped is not on screen. */
static void
check_icon_buttons (GtkWidget *root,
                    guint     *checked)
{
  const char *what = NULL;

  if (!gtk_widget_get_mapped (root) || GTK_IS_WINDOW_CONTROLS (root) || GTK_IS_SPIN_BUTTON (root))
    return;
  if (GTK_IS_MENU_BUTTON (root))
    {
      if (gtk_menu_button_get_label (GTK_MENU_BUTTON (root)) == NULL)
        what = gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (root));
    }
  else if (GTK_IS_BUTTON (root) && gtk_button_get_label (GTK_BUTTON (root)) == NULL)
    {
      GtkWidget *child = gtk_button_get_child (GTK_BUTTON (root));

      if (gtk_button_get_icon_name (GTK_BUTTON (root)) != NULL)
        what = gtk_button_get_icon_name (GTK_BUTTON (root));
      else if (GTK_IS_IMAGE (child) || GTK_IS_PICTURE (child))
        what = G_OBJECT_TYPE_NAME (child);
    }
  if (what != NULL)
    {
      if (gtk_widget_get_tooltip_text (root) == NULL)
        g_error ("the %s button (%s) has no tooltip", what, G_OBJECT_TYPE_NAME (root));
      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL))
        g_error ("the %s button (%s, \"%s\") has no accessible label", what,
                 G_OBJECT_TYPE_NAME (root), gtk_widget_get_tooltip_text (root));
      (*checked)++;
    }
  if (GTK_IS_MENU_BUTTON (root))
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_icon_buttons (child, checked);
}

static void
collect_conversation_rows (GtkWidget *root,
                           GPtrArray *rows)
{
  if (CONFAB_IS_CONVERSATION_ROW (root))
    g_ptr_array_add (rows, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_conversation_rows (child, rows);
}

/* Each conversation row reads as who, the last message and how many are unread. */
static void
check_conversation_rows (GtkWidget *window)
{
  GtkWidget *view = find_named (window, "conversation-list");
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view)));
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  guint n = g_list_model_get_n_items (model);
  guint matched = 0;

  collect_conversation_rows (view, rows);
  g_assert_cmpuint (rows->len, >=, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabConversation) c = g_list_model_get_item (model, i);
      g_autofree char *name = confab_format_visitor (confab_conversation_get_visitor_name (c),
                                                     confab_conversation_get_visitor_id (c));
      const char *preview = confab_conversation_get_preview (c);
      gint64 unread = confab_conversation_get_unread (c);
      g_autofree char *expected = NULL;

      g_assert_cmpint (unread, >, 0);
      expected = g_strdup_printf ("%s, %s, %" G_GINT64_FORMAT " unread message%s", name,
                                  preview != NULL && *preview != '\0' ? preview : "Sent an image",
                                  unread, unread == 1 ? "" : "s");
      for (guint j = 0; j < rows->len; j++)
        {
          g_autofree char *mismatch =
            gtk_test_accessible_check_property (g_ptr_array_index (rows, j),
                                                GTK_ACCESSIBLE_PROPERTY_LABEL, expected);

          if (mismatch == NULL)
            {
              matched++;
              break;
            }
        }
    }
  g_assert_cmpuint (matched, ==, n);
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
  g_autoptr (TestResponse) patched = NULL;
  g_autoptr (TestWs) eve = NULL;
  g_autoptr (TestWs) eve_again = NULL;
  g_autofree char *eve_first = NULL;
  g_autofree char *eve_second = NULL;
  g_autofree char *site_path = NULL;
  Width width;
  guint checked = 0;
  JsonObject *answer;  /* owned by the response */
  g_autofree char *anna_token = NULL;
  g_autofree char *anna_conversation = NULL;
  g_autofree char *path = NULL;
  g_autofree char *data_home = NULL;
  ConfabWindow *window;
  GtkWidget *widget;
  GtkWidget *all_sites;
  Named named;

  /* a browser that comes back with its storage cleared is linked to its first visitor */
  site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  patched = test_http (world->relay, "PATCH", site_path, world->token,
                       "{\"settings\":{\"fingerprint\":true}}", NULL);
  test_assert_http_status (patched, 200);

  /* the data: four visitors, one of them with a picture */
  anna = visitor_new (world->relay, world->site_key, "https://shop.example/checkout",
                      "Checkout — Example Shop", "Europe/Berlin", NULL,
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
                     "Pricing — Example Shop", "America/New_York", NULL,
                     "Do you offer a discount for schools?", NULL, NULL);
  chloe = visitor_new (world->relay, world->site_key, "https://shop.example/",
                       "Example Shop", "Asia/Tokyo", NULL, "Where is my order #4411?", NULL, NULL);
  dev = visitor_new (world->relay, world->site_key, "https://shop.example/help/returns",
                     "Returns — Example Shop", "Europe/London", NULL,
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
  named = (Named) { GTK_WIDGET (window), "confab-online" };
  wait_until ("the presence dot online", presence_icon_is, &named);
  assert_label (find_named (GTK_WIDGET (window), "presence-button"), "Your Status: Online");
  settle (400);
  path = save_screenshot (GTK_WIDGET (window), "inbox");
  g_clear_pointer (&path, g_free);
  check_conversation_rows (GTK_WIDGET (window));

  /* the conversation with the picture, and Anna typing */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-conversation", "s", anna_conversation);
  wait_until ("the thumbnail", thumbnail_loaded, window);
  test_ws_sendf (anna, "{'type':'typing','preview':'Can I pay for the replacement by card'}");
  wait_until ("the ghost text", ghost_shown, window);
  settle (600);
  path = save_screenshot (GTK_WIDGET (window), "conversation");
  g_clear_pointer (&path, g_free);
  check_icon_buttons (GTK_WIDGET (window), &checked);
  g_assert_cmpuint (checked, >=, 7);

  widget = find_named (GTK_WIDGET (window), "visitor-pane");
  g_assert_nonnull (widget);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (window), "visitor-name"))), !=, "");
  path = save_screenshot (gtk_widget_get_ancestor (widget, CONFAB_TYPE_VISITOR_PANE), "visitor-pane");
  g_clear_pointer (&path, g_free);

  /* the same in the dark style */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  wait_until ("the dark style", style_dark, NULL);
  settle (600);
  path = save_screenshot (GTK_WIDGET (window), "conversation-dark");
  g_clear_pointer (&path, g_free);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  wait_until ("the light style", style_light, NULL);
  settle (600);

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

  /* a narrow window: the leaflet folds to the conversation, with a way back */
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 800);
  width = (Width) { GTK_WIDGET (window), 360, 420 };
  wait_until ("the narrow window", width_within, &width);
  named = (Named) { GTK_WIDGET (window), "chat-back-button" };
  wait_until ("the folded chat", named_visible, &named);
  settle (600);  /* the fold's transition */
  g_assert_false (gtk_widget_get_mapped (find_named (GTK_WIDGET (window), "conversation-list")));
  g_assert_false (gtk_widget_get_mapped (find_named (GTK_WIDGET (window), "visitor-name")));
  checked = 0;
  check_icon_buttons (GTK_WIDGET (window), &checked);
  g_assert_cmpuint (checked, >=, 5);
  path = save_screenshot (GTK_WIDGET (window), "narrow");
  g_clear_pointer (&path, g_free);
  gtk_window_set_default_size (GTK_WINDOW (window), 1360, 820);
  width = (Width) { GTK_WIDGET (window), 1300, 1360 };
  wait_until ("the wide window", width_within, &width);
  named = (Named) { GTK_WIDGET (window), "conversation-list" };
  wait_until ("the unfolded inbox", named_visible, &named);

  /* the preferences */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  wait_until ("the preferences", preferences_shown, NULL);
  settle (400);
  path = save_screenshot (preferences_window (), "preferences");
  g_clear_pointer (&path, g_free);
  {
    /* the spin button allows what the schema allows, no less */
    GtkWidget *spin = find_named (preferences_window (), "away-spin");
    GSettings *gsettings = confab_settings_get_gsettings (confab_application_get_settings (app));
    g_autoptr (GSettingsSchema) schema = NULL;
    g_autoptr (GSettingsSchemaKey) key = NULL;
    g_autoptr (GVariant) range = NULL;
    g_autoptr (GVariant) limits = NULL;
    const char *type;
    int lower, upper;

    g_assert_nonnull (spin);
    g_object_get (gsettings, "settings-schema", &schema, NULL);
    key = g_settings_schema_get_key (schema, "away-after-minutes");
    range = g_settings_schema_key_get_range (key);
    g_variant_get (range, "(&sv)", &type, &limits);
    g_assert_cmpstr (type, ==, "range");
    g_variant_get (limits, "(ii)", &lower, &upper);
    g_assert_cmpint (lower, ==, 1);
    g_assert_cmpfloat (gtk_adjustment_get_lower (gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (spin))), ==, lower);
    g_assert_cmpfloat (gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (spin))), ==, upper);
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 0);
    g_assert_cmpint (g_settings_get_int (gsettings, "away-after-minutes"), ==, 1);
    checked = 0;
    check_icon_buttons (preferences_window (), &checked);
    g_assert_cmpuint (checked, >=, 3);
  }
  gtk_window_destroy (GTK_WINDOW (preferences_window ()));
  /* no notification server on the test's bus: GIO would warn (fatal here) on each live one
   * from now on (the preferences screenshot shows the default, on) */
  g_object_set (confab_application_get_settings (app), "notifications", FALSE, NULL);

  /* the sidebar's rows stay through new conversations, their counts set in place (rebuilt on
   * every refresh, they were re-measured every 100 ms of a catch-up) */
  all_sites = find_named (GTK_WIDGET (window), "all-sites");
  g_object_add_weak_pointer (G_OBJECT (all_sites), (gpointer *) &all_sites);

  /* Eve comes back with her storage cleared: a new visitor to the widget, linked by the relay.
   * Her first conversation is another visitor's in the cache; the pane asks the relay and lists
   * it, and it opens from there. */
  eve = visitor_new (world->relay, world->site_key, "https://shop.example/teapots", "Teapots — Example Shop",
                     "Europe/Paris", "fp-eve-0123456789abcdef", "Is the blue teapot in stock?", NULL,
                     &eve_first);
  eve_again = visitor_new (world->relay, world->site_key, "https://shop.example/teapots/blue",
                           "Blue Teapot — Example Shop", "Europe/Paris", "fp-eve-0123456789abcdef",
                           "Any news on the blue teapot?", NULL, &eve_second);
  named = (Named) { GTK_WIDGET (window), eve_second };
  wait_until ("Eve's second conversation", conversation_opened, &named);
  wait_until ("the unread count in the sidebar", all_sites_count_right, window);
  g_assert_true (all_sites == find_named (GTK_WIDGET (window), "all-sites"));
  g_object_remove_weak_pointer (G_OBJECT (all_sites), (gpointer *) &all_sites);
  wait_until ("the previous conversations", history_shown, window);
  widget = find_named (GTK_WIDGET (window), "previous-conversation");
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget)), NULL),
                   ==, eve_first);
  g_signal_emit_by_name (widget, "activate");
  named = (Named) { GTK_WIDGET (window), eve_first };
  wait_until ("Eve's first conversation", conversation_open, &named);
  named = (Named) { GTK_WIDGET (window), "visitor-name" };
  wait_until ("the visitor pane", named_visible, &named);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (GTK_WIDGET (window), "visitor-presence"))),
                   ==, "Online now");
  /* and from there, the other way back: kept for offline */
  wait_until ("the previous conversations", history_shown, window);
  widget = find_named (GTK_WIDGET (window), "previous-conversation");
  g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget)), NULL),
                   ==, eve_second);

  /* the relay goes away: the banner says so, the inbox stays */
  test_relay_stop (world->relay);
  wait_until ("the offline banner", banner_offline, window);
  /* offline, nobody is "online now", the agent included */
  wait_until ("\"Last seen\" in the visitor pane", visitor_last_seen, window);
  named = (Named) { GTK_WIDGET (window), "confab-offline" };
  wait_until ("the presence dot offline", presence_icon_is, &named);
  assert_label (find_named (GTK_WIDGET (window), "presence-button"), "Your Status: Offline");
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
