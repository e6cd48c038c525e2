/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-team-rules.c: issue 18's team rules editor (the Teams page's "Rules" group) in
 * the real app, against a real relay under Xvfb with fatal criticals and real X input
 * (xdotool): two rules made through the form (the team and the FAQ topic chosen from their
 * lists by pointer, the address and language typed), the second moved above the first, one
 * refused by the relay (its message shown in the form, nothing changed), one deleted; after
 * each step the relay's own `team_rules` setting is read back. Another admin's change comes in
 * by the relay's `site` frame. */
#define G_LOG_DOMAIN "test-desktop-team-rules"

#include <string.h>

#include "confab-application.h"
#include "confab-teams-page.h"
#include "test-desktop-app-util.h"

static void
click_middle (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

/* A visible widget named @name in any window. */
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

static GtkWidget *
wait_shown (const char *name)
{
  wait_until (name, shown_anywhere, (gpointer) name);
  settle (100);
  return find_anywhere (name);
}

static gboolean
shown_and_sensitive (gpointer data)
{
  GtkWidget *widget = find_anywhere (data);

  return widget != NULL && gtk_widget_is_sensitive (widget);
}

/* A button labelled @label (a dialog's response) under @root. */
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

/* The mapped row of a drop-down's open list at @position, or NULL. */
static GtkWidget *
list_item (GtkWidget *drop_down,
           guint      position)
{
  GtkWidget *popover = find_type (drop_down, GTK_TYPE_POPOVER);
  GtkWidget *list = popover != NULL && gtk_widget_get_mapped (popover) ? find_type (popover, GTK_TYPE_LIST_VIEW) : NULL;
  GtkWidget *item = list != NULL ? gtk_widget_get_first_child (list) : NULL;
  GdkSurface *surface = popover != NULL ? gtk_native_get_surface (GTK_NATIVE (popover)) : NULL;

  /* the popover's X window must be up for a click to land in it */
  if (surface == NULL || !gdk_surface_get_mapped (surface) || gdk_surface_get_width (surface) <= 1)
    return NULL;
  for (guint i = 0; item != NULL && i < position; i++)
    item = gtk_widget_get_next_sibling (item);
  return item != NULL && gtk_widget_get_mapped (item) && gtk_widget_get_height (item) > 0 ? item : NULL;
}

typedef struct {
  GtkWidget *drop_down;
  guint      position;
} Choice;

static gboolean
list_open (gpointer data)
{
  Choice *choice = data;

  return list_item (choice->drop_down, choice->position) != NULL;
}

static gboolean
chosen (gpointer data)
{
  Choice *choice = data;

  return gtk_drop_down_get_selected (GTK_DROP_DOWN (choice->drop_down)) == choice->position;
}

/* Opens @name's list in @dialog by pointer and clicks its row @position. */
static void
choose (GtkWidget  *dialog,
        const char *name,
        guint       position)
{
  Choice choice = { find_named (dialog, name), position };

  g_assert_nonnull (choice.drop_down);
  /* a loaded machine may drop the click that opens it: open it again until it is open */
  for (guint attempt = 0; attempt < 4 && !list_open (&choice); attempt++)
    {
      gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      click_middle (choice.drop_down);
      while (!list_open (&choice) && g_get_monotonic_time () < until)
        settle (50);
    }
  wait_until ("the drop-down's list", list_open, &choice);
  settle (200);
  click_middle (list_item (choice.drop_down, position));
  wait_until ("the row chosen", chosen, &choice);
}

static gboolean
is_gone (gpointer data)
{
  GtkWidget *widget = *(GtkWidget **) data;

  return widget == NULL || !gtk_widget_get_mapped (widget);
}

/* Clicks @dialog's @label response until the dialog goes (a click that lands while a list's
 * popover is closing may be lost on a loaded machine). */
static void
respond (GtkWidget  *dialog,
         const char *label)
{
  GtkWidget *watched = dialog;

  g_object_add_weak_pointer (G_OBJECT (watched), (gpointer *) &watched);
  for (guint attempt = 0; attempt < 4 && !is_gone (&watched); attempt++)
    {
      gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      click_middle (find_button (watched, label));
      while (!is_gone (&watched) && g_get_monotonic_time () < until)
        settle (50);
    }
  wait_until ("the dialog closed", is_gone, &watched);
  if (watched != NULL)
    g_object_remove_weak_pointer (G_OBJECT (watched), (gpointer *) &watched);
}

typedef struct {
  GtkWidget  *entry;
  const char *text;
} EntryText;

static gboolean
entry_says (gpointer data)
{
  EntryText *e = data;

  return g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (e->entry)), e->text) == 0;
}

static gboolean
has_focus (gpointer data)
{
  return (gtk_widget_get_state_flags (data) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0;
}

/* Clicks @name in @dialog until it has the keyboard focus (the click after a list closes may be
 * taken by the closing popover), selects what it holds and types @text over it. */
static void
type_into (GtkWidget  *dialog,
           const char *name,
           const char *text)
{
  GtkWidget *entry = find_named (dialog, name);
  EntryText typed;

  g_assert_nonnull (entry);
  for (guint attempt = 0; attempt < 4 && !has_focus (entry); attempt++)
    {
      gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      click_middle (entry);
      while (!has_focus (entry) && g_get_monotonic_time () < until)
        settle (50);
    }
  wait_until ("the entry focused", has_focus, entry);
  x_key ("ctrl+a");
  x_type_text (text);
  typed = (EntryText) { entry, text };
  wait_until ("the text typed", entry_says, &typed);
}

typedef struct {
  TestWorld  *world;
  const char *json;   /* the team_rules the relay should hold */
} Rules;

static gboolean
relay_rules_are (gpointer data)
{
  Rules *rules = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", rules->world->site_id);
  g_autoptr (TestResponse) site = test_http (rules->world->relay, "GET", path, rules->world->token, NULL, NULL);
  JsonNode *actual = test_obj_lookup (test_response_object (site), "settings.team_rules");
  g_autoptr (JsonNode) expected = json_from_string (rules->json, NULL);

  g_assert_nonnull (expected);

  if (actual == NULL)
    return JSON_NODE_HOLDS_ARRAY (expected) && json_array_get_length (json_node_get_array (expected)) == 0;
  return json_node_equal (actual, expected);
}

static char *
relay_rules_text (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr (TestResponse) site = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonNode *actual = test_obj_lookup (test_response_object (site), "settings.team_rules");

  return actual != NULL ? json_to_string (actual, FALSE) : g_strdup ("null");
}

typedef struct {
  const char *row;
  const char *title;
} RowTitle;

static gboolean
row_title_is (gpointer data)
{
  RowTitle *t = data;
  GtkWidget *row = find_anywhere (t->row);

  return row != NULL && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), t->title) == 0;
}

static gboolean
form_says_error (gpointer data)
{
  GtkWidget *dialog = find_anywhere ("team-rule-dialog");
  const char *body = dialog != NULL ? adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)) : NULL;

  return body != NULL && strstr (body, data) != NULL;
}

static char *
post (TestWorld  *world,
      const char *what,
      const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/%s", world->site_id, what);
  g_autoptr (TestResponse) created = test_http (world->relay, "POST", path, world->token, body, NULL);

  g_assert_cmpint (created->status, ==, 201);
  return g_strdup (test_obj_string (test_response_object (created), "id"));
}

static GtkWidget *
in_row (const char *row,
        const char *name)
{
  GtkWidget *found = find_named (wait_shown (row), name);

  g_assert_nonnull (found);
  return found;
}

/* The Rules group: made by real input, saved as the whole team_rules, reordered, refused,
 * deleted; the relay's setting read back after each step. */
static void
test_team_rules (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *faq_id = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *swapped = NULL;
  g_autofree char *after_delete = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  GtkWidget *window, *page, *dialog;
  Rules rules = { world, NULL };
  RowTitle title;
  App app = { 0 };

  g_free (post (world, "teams", "{\"name\":\"Billing\"}"));
  g_free (post (world, "teams", "{\"name\":\"Sales\"}"));
  g_free (post (world, "faqs", "{\"question\":\"Can I get a refund?\",\"answer\":\"Within 30 days.\"}"));
  faq_id = post (world, "faqs", "{\"question\":\"Where is my invoice?\",\"answer\":\"Under Account.\"}");
  one = g_strdup_printf ("[{\"team\":\"billing\",\"url\":\"https://shop.example/billing/*\",\"language\":\"de\","
                         "\"faq_id\":\"%s\"}]", faq_id);
  two = g_strdup_printf ("[{\"team\":\"billing\",\"url\":\"https://shop.example/billing/*\",\"language\":\"de\","
                         "\"faq_id\":\"%s\"},{\"team\":\"sales\",\"url\":\"*/pricing*\"}]", faq_id);
  swapped = g_strdup_printf ("[{\"team\":\"sales\",\"url\":\"*/pricing*\"},{\"team\":\"billing\","
                             "\"url\":\"https://shop.example/billing/*\",\"language\":\"de\",\"faq_id\":\"%s\"}]",
                             faq_id);
  after_delete = g_strdup_printf ("[{\"team\":\"billing\",\"url\":\"https://shop.example/billing/*\","
                                  "\"language\":\"de\",\"faq_id\":\"%s\"}]", faq_id);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  page = confab_teams_page_new (client_of (&app));
  g_object_set (page, "site-id", world->site_id, NULL);
  window = adw_preferences_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app.window));
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 960);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  main_window = window;
  x_focus (GTK_WINDOW (window));

  /* the first rule: Billing (the first team) for German visitors on billing pages asking
   * about invoices */
  wait_until ("Add Rule usable (the teams known)", shown_and_sensitive, "team-rules-add-button");
  wait_shown ("team-billing");
  click_middle (find_anywhere ("team-rules-add-button"));
  dialog = wait_shown ("team-rule-dialog");
  x_focus (GTK_WINDOW (dialog));
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (find_named (dialog, "rule-team"))), ==, 0);
  type_into (dialog, "rule-url", "https://shop.example/billing/*");
  type_into (dialog, "rule-language", "de");
  /* the topics: "Any topic", then the site's FAQs in the relay's order */
  choose (dialog, "rule-faq", 2);
  respond (dialog, "_Save");
  rules.json = one;
  wait_until ("the first rule on the relay", relay_rules_are, &rules);
  title = (RowTitle) { "team-rule-0", "Billing" };
  wait_until ("the first rule's row", row_title_is, &title);

  /* the second: Sales on pricing pages, saved with Return */
  wait_until ("Add Rule usable again", shown_and_sensitive, "team-rules-add-button");
  click_middle (find_anywhere ("team-rules-add-button"));
  dialog = wait_shown ("team-rule-dialog");
  x_focus (GTK_WINDOW (dialog));
  choose (dialog, "rule-team", 1);
  type_into (dialog, "rule-url", "*/pricing*");
  x_key ("Return");
  rules.json = two;
  wait_until ("both rules on the relay", relay_rules_are, &rules);
  title = (RowTitle) { "team-rule-1", "Sales" };
  wait_until ("the second rule's row", row_title_is, &title);
  x_focus (GTK_WINDOW (window));
  g_assert_false (gtk_widget_get_sensitive (in_row ("team-rule-0", "team-rule-up")));
  g_assert_false (gtk_widget_get_sensitive (in_row ("team-rule-1", "team-rule-down")));

  /* Sales first: the whole list goes out in its new order */
  click_middle (in_row ("team-rule-1", "team-rule-up"));
  rules.json = swapped;
  wait_until ("the rules swapped on the relay", relay_rules_are, &rules);
  title = (RowTitle) { "team-rule-0", "Sales" };
  wait_until ("Sales's rule first", row_title_is, &title);
  title = (RowTitle) { "team-rule-1", "Billing" };
  wait_until ("Billing's rule second", row_title_is, &title);
  settle (400);
  g_free (save_screenshot (window, "settings-team-rules"));
  save_dark_and_narrow (GTK_WINDOW (window), "settings-team-rules");

  /* a language the relay refuses: its message in the form, the list as it was */
  before = relay_rules_text (world);
  click_middle (in_row ("team-rule-1", "team-rule-edit"));
  dialog = wait_shown ("team-rule-dialog");
  x_focus (GTK_WINDOW (dialog));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (dialog, "rule-language"))), ==, "de");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (find_named (dialog, "rule-faq"))), ==, 2);
  type_into (dialog, "rule-language", "not a language!");
  click_middle (find_button (dialog, "_Save"));
  wait_until ("the relay's refusal in the form", form_says_error, "team_rules");
  dialog = find_anywhere ("team-rule-dialog");
  /* what was typed is kept for another try */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (dialog, "rule-language"))), ==,
                   "not a language!");
  after = relay_rules_text (world);
  g_assert_cmpstr (after, ==, before);
  x_focus (GTK_WINDOW (dialog));
  respond (dialog, "_Cancel");
  g_assert_null (find_anywhere ("team-rule-dialog"));
  rules.json = swapped;
  g_assert_true (relay_rules_are (&rules));

  /* deleting asks first */
  x_focus (GTK_WINDOW (window));
  click_middle (in_row ("team-rule-0", "team-rule-delete"));
  dialog = wait_shown ("confirm-dialog");
  x_focus (GTK_WINDOW (dialog));
  respond (dialog, "_Delete");
  rules.json = after_delete;
  wait_until ("the rule deleted on the relay", relay_rules_are, &rules);
  title = (RowTitle) { "team-rule-0", "Billing" };
  wait_until ("Billing's rule alone", row_title_is, &title);
  g_assert_null (find_anywhere ("team-rule-1"));

  /* another admin's change reaches the list by the relay's site frame */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autoptr (TestResponse) patched = test_http (world->relay, "PATCH", path, world->token,
                                                  "{\"settings\":{\"team_rules\":[{\"team\":\"sales\"},"
                                                  "{\"team\":\"gone\",\"language\":\"fr\"}]}}", NULL);

    g_assert_cmpint (patched->status, ==, 200);
  }
  title = (RowTitle) { "team-rule-0", "Sales" };
  wait_until ("another admin's first rule", row_title_is, &title);
  /* a rule naming a team that is not there shows its key and says it never matches */
  title = (RowTitle) { "team-rule-1", "gone" };
  wait_until ("the rule of a team that is not there", row_title_is, &title);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (find_anywhere ("team-rule-1"))),
                            "No such team"));

  gtk_window_destroy (GTK_WINDOW (window));
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

  test_harness_add ("/desktop/team-rules/editor", test_team_rules);

  return g_test_run ();
}
