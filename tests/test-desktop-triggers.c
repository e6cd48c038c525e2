/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-triggers.c: the Triggers page of the site settings (issue 16) in the real app
 * (in-process, under Xvfb, real keyring) against a real relay, driven by real X input (xdotool):
 *
 * - unsupported: a relay without triggers (404 for the list) gets a page that says so and
 *   offers nothing to add; the editor itself (opened by its action) lists the site's agents
 *   and the assistant as senders (screenshot of the filled editor);
 * - crud (needs the relay's /api/v1/sites/{id}/triggers; skipped without it): a trigger typed
 *   in the editor is on the relay with its conditions, message, sender and ask_email; its row
 *   comes with the pushed `triggers` frame; the switch disables it; an edit and a delete
 *   (confirmed) reach the relay.
 *
 * Every Gtk-CRITICAL or warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-triggers"

#include "confab-triggers-page.h"
#include "test-desktop-app-util.h"

/* ------------------------------------------------------------ helpers --- */

static GtkWindow *
open_settings (App       *app,
               GtkWidget *page)
{
  GtkWidget *window = adw_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app->window));
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 760);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  main_window = window;
  x_focus (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static GtkWidget *
find_anywhere (const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);
      GtkWidget *found;

      if (!gtk_widget_get_visible (window))
        continue;
      found = find_named (window, name);
      if (found != NULL && gtk_widget_get_mapped (found))
        return found;
    }
  return NULL;
}

static gboolean
shown_anywhere (gpointer data)
{
  return find_anywhere (data) != NULL;
}

static gboolean
gone_everywhere (gpointer data)
{
  return find_anywhere (data) == NULL;
}

static GtkWidget *
wait_shown (const char *name)
{
  wait_until (name, shown_anywhere, (gpointer) name);
  settle (100);
  return find_anywhere (name);
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
click_middle (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

typedef struct {
  GtkWidget  *widget;
  const char *text;
} Typed;

static char *
text_of (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (widget)));
}

static gboolean
has_text (gpointer data)
{
  Typed *t = data;
  g_autofree char *text = text_of (t->widget);

  return g_strcmp0 (text, t->text) == 0;
}

/* Clicks @widget, clears it and types @text. */
static void
type_over (GtkWidget  *widget,
           const char *text)
{
  Typed t = { widget, text };

  /* a spin button's middle may be its "−": its text is at the start */
  if (GTK_IS_SPIN_BUTTON (widget))
    x_click (widget, 12, gtk_widget_get_height (widget) / 2.0);
  else
    click_middle (widget);
  x_key ("ctrl+a");
  x_key ("BackSpace");
  if (*text != '\0')
    x_type_text (text);
  wait_until ("the typed text", has_text, &t);
}

static void
respond (const char *dialog_name,
         const char *label)
{
  GtkWidget *dialog = wait_shown (dialog_name);
  GtkWidget *button = find_button (dialog, label);

  g_assert_nonnull (button);
  x_focus (GTK_WINDOW (dialog));
  click_middle (button);
}

static void
start_app (App       *app,
           TestWorld *world)
{
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
}

/* Adds an agent named @name to the world's site; returns their user id. */
static char *
add_agent (TestWorld  *world,
           const char *email,
           const char *name)
{
  g_autoptr (JsonObject) user = test_relay_create_user (world->relay, email, "password one", name);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
  g_autofree char *body = test_json ("{'email':'%s','role':'agent'}", email);
  g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (user, "id"));
}

static gboolean
relay_has_triggers (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/triggers", world->site_id);
  g_autoptr (TestResponse) probe = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  return probe->status == 200;
}

static gboolean
description_says (gpointer data)
{
  Typed *t = data;
  const char *description = adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (t->widget));

  return description != NULL && strstr (description, t->text) != NULL;
}

static gboolean
is_active_check (gpointer data)
{
  return gtk_check_button_get_active (GTK_CHECK_BUTTON (data));
}

/* The editor, filled in as a person would: the pricing page after 20 s, from a search engine,
 * returning visitors, on their 2nd view; Noor sends it and asks for an e-mail. */
static void
fill_editor (const char *sender_name)
{
  GtkWidget *dialog = wait_shown ("trigger-dialog");
  GtkDropDown *sender;
  GListModel *senders;

  x_focus (GTK_WINDOW (dialog));
  type_over (find_named (dialog, "trigger-name"), "Pricing help");
  type_over (find_named (dialog, "trigger-url"), "/pricing*");
  type_over (find_named (dialog, "trigger-seconds"), "20");
  type_over (find_named (dialog, "trigger-referrer"), "*google.*");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_named (dialog, "trigger-returning")), 2);
  type_over (find_named (dialog, "trigger-page-views"), "2");
  type_over (find_named (dialog, "trigger-message"),
             "Comparing plans? I can help you pick the right one.");
  /* the senders: the assistant first, then the site's agents by name */
  sender = GTK_DROP_DOWN (find_named (dialog, "trigger-sender"));
  senders = gtk_drop_down_get_model (sender);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (senders), 0), ==, "The assistant");
  for (guint i = 1; i < g_list_model_get_n_items (senders); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (senders), i), sender_name) == 0)
      gtk_drop_down_set_selected (sender, i);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (senders),
                                               gtk_drop_down_get_selected (sender)), ==, sender_name);
  /* below the fold of the editor's scroller: focused first, it scrolls into view */
  gtk_widget_grab_focus (find_named (dialog, "trigger-ask-email"));
  settle (300);
  click_middle (find_named (dialog, "trigger-ask-email"));
  wait_until ("ask for an e-mail ticked", is_active_check, find_named (dialog, "trigger-ask-email"));
}

/* -------------------------------------------------------- unsupported --- */

static void
test_unsupported (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *noor_id = NULL;
  GtkWindow *prefs;
  GtkWidget *page;
  Typed t;
  App app = { 0 };

  if (relay_has_triggers (world))
    {
      test_harness_skip ("the relay has triggers: /desktop/triggers/crud tests the page with them");
      return;
    }
  noor_id = add_agent (world, "noor@example.com", "Noor Haddad");
  start_app (&app, world);
  page = confab_triggers_page_new (client_of (&app));
  g_object_set (page, "site-id", world->site_id, NULL);
  prefs = open_settings (&app, page);
  t = (Typed) { find_named (page, "triggers-group"), "This relay has no triggers" };
  wait_until ("the page saying so", description_says, &t);
  g_assert_false (gtk_widget_get_visible (find_named (page, "triggers-add-button")));

  /* the editor as it will be with a relay that has them: the senders from the site's members */
  settle (300);
  gtk_widget_activate_action (page, "triggers.add", NULL);
  fill_editor ("Noor Haddad");
  settle (400);
  g_free (save_screenshot (find_anywhere ("trigger-dialog"), "settings-trigger-editor"));
  respond ("trigger-dialog", "_Cancel");
  wait_until ("the editor closed", gone_everywhere, "trigger-dialog");

  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* --------------------------------------------------------------- crud --- */

typedef struct {
  TestWorld  *world;
  const char *name;
  const char *check;   /* NULL: the trigger must be gone; else a member to compare */
  const char *value;   /* that member as JSON */
} Trigger;

static JsonObject *
relay_trigger (TestWorld  *world,
               const char *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/triggers", world->site_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *list = test_obj_array (test_response_object (response), "triggers");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *trigger = json_array_get_object_element (list, i);

      if (g_strcmp0 (test_obj_string (trigger, "name"), name) == 0)
        return json_object_ref (trigger);
    }
  return NULL;
}

static gboolean
relay_trigger_is (gpointer data)
{
  Trigger *t = data;
  g_autoptr (JsonObject) trigger = relay_trigger (t->world, t->name);
  g_autoptr (JsonNode) expected = NULL;

  if (t->check == NULL)
    return trigger == NULL;
  if (trigger == NULL || !json_object_has_member (trigger, t->check))
    return FALSE;
  /* as JSON values: the order of an object's members is the relay's */
  expected = json_from_string (t->value, NULL);
  return expected != NULL && json_node_equal (expected, json_object_get_member (trigger, t->check));
}

/* Condition: the row @data is no longer in a window. */
static gboolean
row_gone (gpointer data)
{
  return gtk_widget_get_root (data) == NULL;
}

static void
test_crud (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (JsonObject) trigger = NULL;
  g_autofree char *noor_id = NULL;
  g_autofree char *sender = NULL;
  GtkWindow *prefs;
  GtkWidget *page, *row, *toggle, *dialog;
  Trigger t;
  App app = { 0 };

  if (!relay_has_triggers (world))
    {
      test_harness_skip ("the relay has no triggers yet (issue 16's relay side, engage)");
      return;
    }
  noor_id = add_agent (world, "noor@example.com", "Noor Haddad");
  start_app (&app, world);
  page = confab_triggers_page_new (client_of (&app));
  g_object_set (page, "site-id", world->site_id, NULL);
  prefs = open_settings (&app, page);

  click_middle (wait_shown ("triggers-add-button"));
  fill_editor ("Noor Haddad");
  settle (300);
  g_free (save_screenshot (find_anywhere ("trigger-dialog"), "settings-trigger-editor"));
  respond ("trigger-dialog", "_Save");
  t = (Trigger) { world, "Pricing help", "conditions",
                  "{\"url\":\"/pricing*\",\"seconds_on_page\":20,\"referrer\":\"*google.*\","
                  "\"returning\":true,\"page_views\":2}" };
  wait_until ("the trigger on the relay", relay_trigger_is, &t);
  trigger = relay_trigger (world, "Pricing help");
  g_assert_cmpstr (test_obj_string (trigger, "message"), ==,
                   "Comparing plans? I can help you pick the right one.");
  g_assert_true (json_object_get_boolean_member (trigger, "ask_email"));
  g_assert_true (json_object_get_boolean_member (trigger, "enabled"));
  sender = json_to_string (json_object_get_member (trigger, "sender"), FALSE);
  g_assert_nonnull (strstr (sender, noor_id));
  g_assert_nonnull (strstr (sender, "\"agent\""));

  /* its row, from the pushed frame; the screenshot of the list */
  row = wait_shown ("trigger-Pricing help");
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (prefs), "settings-triggers"));
  save_dark_and_narrow (GTK_WINDOW (prefs), "settings-triggers");

  /* the switch: disabled on the relay */
  x_focus (prefs);
  toggle = find_named (row, "trigger-enabled-switch");
  g_object_ref (row);
  click_middle (toggle);
  t = (Trigger) { world, "Pricing help", "enabled", "false" };
  wait_until ("disabled on the relay", relay_trigger_is, &t);
  /* the relay's triggers frame makes the rows again: a click on the old row's button while
   * that happens hits nothing */
  wait_until ("the row made again", row_gone, row);
  g_object_unref (row);

  /* an edit: the assistant sends it, on any page */
  row = wait_shown ("trigger-Pricing help");
  wait_for_frames (row);
  click_middle (find_named (row, "trigger-edit"));
  dialog = wait_shown ("trigger-dialog");
  x_focus (GTK_WINDOW (dialog));
  {
    Typed typed = { find_named (dialog, "trigger-url"), "/pricing*" };

    g_assert_true (has_text (&typed));
  }
  type_over (find_named (dialog, "trigger-url"), "");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_named (dialog, "trigger-sender")), 0);
  respond ("trigger-dialog", "_Save");
  t = (Trigger) { world, "Pricing help", "sender", "{\"type\":\"assistant\"}" };
  wait_until ("the edit on the relay", relay_trigger_is, &t);
  t = (Trigger) { world, "Pricing help", "conditions",
                  "{\"url\":null,\"seconds_on_page\":20,\"referrer\":\"*google.*\","
                  "\"returning\":true,\"page_views\":2}" };
  wait_until ("any page on the relay", relay_trigger_is, &t);

  /* delete, confirmed */
  click_middle (find_named (wait_shown ("trigger-Pricing help"), "trigger-delete"));
  respond ("confirm-dialog", "_Delete");
  t = (Trigger) { world, "Pricing help", NULL, NULL };
  wait_until ("the trigger gone from the relay", relay_trigger_is, &t);
  wait_until ("its row gone", gone_everywhere, "trigger-Pricing help");

  gtk_window_destroy (prefs);
  app_stop (&app);
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
  test_harness_add ("/desktop/triggers/unsupported", test_unsupported);
  test_harness_add ("/desktop/triggers/crud", test_crud);
  return g_test_run ();
}
