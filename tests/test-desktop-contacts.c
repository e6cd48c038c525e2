/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-contacts.c: issue 16's contacts in the real app (in-process, under Xvfb, real
 * keyring) against a real relay, driven by real X input (xdotool):
 *
 * - cache: the desktop cache keeps a visitor's phone, notes, tags, lead score and goals, keeps
 *   them when a visitor event comes without them, and lists visitors by lead score;
 * - migrate: a cache of the schema before migrates with its visitors;
 * - without-contacts: against a relay that sends no lead score the pane and the visitor list
 *   show nothing of it; what the cache then holds (a relay answer in the documented shape) is
 *   shown in the pane: the lead score, the fields and the goals (screenshot);
 * - edit (needs the relay's PATCH /api/v1/visitors/{id}; skipped without it): phone, tags and
 *   notes typed in the pane reach the relay, an e-mail the relay refuses shows its reason under
 *   the fields and stays typed;
 * - sort (needs lead scores from the relay; skipped without them): the visitor list by lead
 *   score and by last seen.
 *
 * Every Gtk-CRITICAL or warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-contacts"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "confab-visitor-pane.h"
#include "test-desktop-app-util.h"

/* ------------------------------------------------------------ helpers --- */

static ConfabCache *
cache_of (App *app)
{
  return confab_client_get_cache (client_of (app));
}

static void
click_middle (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
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
  if (GTK_IS_LABEL (widget))
    return g_strdup (gtk_label_get_text (GTK_LABEL (widget)));
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (widget)));
}

static gboolean
shows (gpointer data)
{
  Typed *t = data;
  g_autofree char *text = text_of (t->widget);

  return g_strcmp0 (text, t->text) == 0;
}

/* The keyboard focus is @data or inside it. */
static gboolean
focus_within (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (data));

  return focus != NULL && (focus == data || gtk_widget_is_ancestor (focus, data));
}

/* Clicks @widget until it has the keyboard focus (the composer takes it when a conversation
 * opens, a moment after), selects what it holds and types @text over it. */
static void
focus_field (GtkWidget *widget)
{
  for (int i = 0; i < 5 && !focus_within (widget); i++)
    {
      click_middle (widget);
      settle (200);
    }
  wait_until ("the field focused", focus_within, widget);
}

static void
type_over (GtkWidget  *widget,
           const char *text)
{
  Typed t = { widget, text };

  focus_field (widget);
  x_key ("ctrl+a");
  x_key ("BackSpace");
  if (*text != '\0')
    x_type_text (text);
  wait_until ("the typed text", shows, &t);
}

/* The visitor pane's child named @name. */
static GtkWidget *
in_pane (App        *app,
         const char *name)
{
  GtkWidget *pane = find_type (GTK_WIDGET (app->window), CONFAB_TYPE_VISITOR_PANE);

  g_assert_nonnull (pane);
  return find_named (pane, name);
}

/* The relay's visitor (GET /api/v1/visitors/{id}). */
static JsonObject *
relay_visitor (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

/* The relay has issue 16's contacts: its visitors carry a lead score. */
static gboolean
relay_has_contacts (TestWorld *world)
{
  g_autoptr (JsonObject) visitor = relay_visitor (world);

  return json_object_has_member (visitor, "lead_score");
}

typedef struct {
  TestWorld  *world;
  const char *member;
  const char *value;   /* the member as JSON, e.g. "\"+49 30 1234\"" or "[\"vip\",\"b2b\"]" */
} Member;

static gboolean
relay_member_is (gpointer data)
{
  Member *m = data;
  g_autoptr (JsonObject) visitor = relay_visitor (m->world);
  JsonNode *node = json_object_get_member (visitor, m->member);
  g_autofree char *json = node != NULL ? json_to_string (node, FALSE) : NULL;

  return g_strcmp0 (json, m->value) == 0;
}

/* Signed in as the owner, the visitor's conversation open with the visitor pane shown. */
static void
open_visitor (App        *app,
              TestWorld  *world,
              const char *conversation_id)
{
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
  g_object_set (confab_application_get_settings (app->app), "window-width", 1500,
                "window-height", 900, NULL);
  x_focus (GTK_WINDOW (app->window));
  wait_until ("the conversation", has_n_conversations, (&(AppText) { app, "1" }));
  gtk_widget_activate_action (GTK_WIDGET (app->window), "win.open-conversation", "s", conversation_id);
  g_object_set (app->window, "show-visitor-pane", TRUE, NULL);
  wait_until ("the visitor pane", is_mapped, in_pane (app, "visitor-name"));
}

/* -------------------------------------------------------------- cache --- */

static JsonObject *
parse_object (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_cache (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-contacts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
  g_autoptr (JsonObject) ann = NULL;
  g_autoptr (JsonObject) ann_again = NULL;
  g_autoptr (JsonObject) bo = NULL;
  g_autoptr (JsonObject) cy = NULL;
  g_autoptr (ConfabVisitor) v = NULL;
  g_autoptr (GListModel) by_score = NULL;
  g_autoptr (GListModel) by_seen = NULL;
  g_auto (GStrv) tags = NULL;

  g_assert_no_error (error);
  ann = parse_object ("{\"id\":\"vis_ann\",\"name\":\"Ann\",\"email\":\"ann@example.com\","
                      "\"phone\":\"+49 30 1234\",\"notes\":\"Wants a quote\","
                      "\"tags\":[\"vip\",\"b2b\"],\"lead_score\":72,"
                      "\"goals\":[{\"name\":\"purchase\",\"value\":49.9,"
                      "\"at\":\"2026-12-01T10:00:00.000Z\"}],"
                      "\"last_seen\":\"2036-12-01T10:00:00.000Z\"}");
  g_assert_true (confab_cache_apply_visitor (cache, "site_1", ann, 1, &error));
  g_assert_no_error (error);
  v = confab_cache_get_visitor (cache, "vis_ann");
  g_assert_cmpstr (confab_visitor_get_phone (v), ==, "+49 30 1234");
  g_assert_cmpstr (confab_visitor_get_notes (v), ==, "Wants a quote");
  tags = confab_visitor_dup_tags (v);
  g_assert_cmpuint (g_strv_length (tags), ==, 2);
  g_assert_cmpstr (tags[0], ==, "vip");
  g_assert_cmpstr (tags[1], ==, "b2b");
  g_assert_cmpint (confab_visitor_get_lead_score (v), ==, 72);
  g_assert_nonnull (strstr (confab_visitor_get_goals (v), "purchase"));
  g_clear_object (&v);

  /* a visitor event without the contact members (a page view): what was known stays */
  ann_again = parse_object ("{\"id\":\"vis_ann\",\"name\":\"Ann\",\"page\":{\"url\":\"https://a.test/x\"},"
                            "\"last_seen\":\"2036-12-01T10:00:00.000Z\"}");
  g_assert_true (confab_cache_apply_visitor (cache, "site_1", ann_again, 2, &error));
  v = confab_cache_get_visitor (cache, "vis_ann");
  g_assert_cmpstr (confab_visitor_get_phone (v), ==, "+49 30 1234");
  g_assert_cmpint (confab_visitor_get_lead_score (v), ==, 72);
  g_assert_cmpstr (confab_visitor_get_page_url (v), ==, "https://a.test/x");
  g_clear_object (&v);

  /* a relay without contacts: no lead score (-1), no phone; null clears */
  bo = parse_object ("{\"id\":\"vis_bo\",\"online\":true}");
  g_assert_true (confab_cache_apply_visitor (cache, "site_1", bo, 3, &error));
  v = confab_cache_get_visitor (cache, "vis_bo");
  g_assert_cmpint (confab_visitor_get_lead_score (v), ==, -1);
  g_assert_null (confab_visitor_get_phone (v));
  g_clear_object (&v);
  cy = parse_object ("{\"id\":\"vis_cy\",\"phone\":null,\"lead_score\":90,\"tags\":[]}");
  g_assert_true (confab_cache_apply_visitor (cache, "site_1", cy, 4, &error));

  /* by lead score: Cy 90, Ann 72, Bo none; by last seen: the newest first (Ann's event is
   * dated ahead of now, the others were seen now) */
  by_score = confab_cache_list_visitors_sorted (cache, "site_1", FALSE, CONFAB_VISITOR_SORT_LEAD_SCORE);
  g_assert_cmpuint (g_list_model_get_n_items (by_score), ==, 3);
  {
    g_autoptr (ConfabVisitor) first = g_list_model_get_item (by_score, 0);
    g_autoptr (ConfabVisitor) second = g_list_model_get_item (by_score, 1);
    g_autoptr (ConfabVisitor) third = g_list_model_get_item (by_score, 2);

    g_assert_cmpstr (confab_visitor_get_id (first), ==, "vis_cy");
    g_assert_cmpstr (confab_visitor_get_id (second), ==, "vis_ann");
    g_assert_cmpstr (confab_visitor_get_id (third), ==, "vis_bo");
  }
  by_seen = confab_cache_list_visitors_sorted (cache, "site_1", FALSE, CONFAB_VISITOR_SORT_LAST_SEEN);
  {
    g_autoptr (ConfabVisitor) newest = g_list_model_get_item (by_seen, 0);

    g_assert_cmpstr (confab_visitor_get_id (newest), ==, "vis_ann");
  }
  g_clear_object (&cache);
  for (const char * const *suffix = (const char * const[]) { "", "-wal", "-shm", NULL };
       *suffix != NULL; suffix++)
    {
      g_autofree char *file = g_strconcat (path, *suffix, NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

/* A cache of the schema before the contacts: made by this build, then the contact columns
 * dropped (SQLite ≥ 3.35) and the version put back, with a visitor in it; opened again, it
 * migrates and keeps the visitor. The contacts' migration must be the newest one (the version
 * put back is the one before it). */
static void
test_migrate (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-contacts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *downgrade = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
  g_autoptr (ConfabVisitor) v = NULL;
  g_autoptr (JsonObject) snapshot = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_clear_object (&cache);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  downgrade = g_strdup_printf ("ALTER TABLE visitors DROP COLUMN phone;"
                               "ALTER TABLE visitors DROP COLUMN notes;"
                               "ALTER TABLE visitors DROP COLUMN tags;"
                               "ALTER TABLE visitors DROP COLUMN lead_score;"
                               "ALTER TABLE visitors DROP COLUMN goals;"
                               "INSERT INTO visitors (id, site_id, name, email, last_seen, visits)"
                               " VALUES ('vis_old', 'site_1', 'Olga', 'olga@example.com', 1, 3);"
                               "PRAGMA user_version = %d;", CONFAB_CACHE_SCHEMA_VERSION - 1);
  g_assert_cmpint (sqlite3_exec (db, downgrade, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  cache = confab_cache_new (path, &error);
  g_assert_no_error (error);
  v = confab_cache_get_visitor (cache, "vis_old");
  g_assert_nonnull (v);
  g_assert_cmpstr (confab_visitor_get_name (v), ==, "Olga");
  g_assert_cmpint (confab_visitor_get_visits (v), ==, 3);
  /* known before the relay had contacts: no lead score, nothing to show */
  g_assert_cmpint (confab_visitor_get_lead_score (v), ==, -1);
  g_assert_null (confab_visitor_get_phone (v));
  g_clear_object (&v);
  snapshot = parse_object ("{\"id\":\"vis_old\",\"name\":\"Olga\",\"phone\":\"+1 555 0100\","
                           "\"lead_score\":40}");
  g_assert_true (confab_cache_apply_visitor_snapshot (cache, "site_1", snapshot, &error));
  g_assert_no_error (error);
  v = confab_cache_get_visitor (cache, "vis_old");
  g_assert_cmpstr (confab_visitor_get_phone (v), ==, "+1 555 0100");
  g_assert_cmpint (confab_visitor_get_lead_score (v), ==, 40);

  g_clear_object (&cache);
  for (const char * const *suffix = (const char * const[]) { "", "-wal", "-shm", NULL };
       *suffix != NULL; suffix++)
    {
      g_autofree char *file = g_strconcat (path, *suffix, NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

/* --------------------------------------------------- without contacts --- */

static gboolean
goals_shown (gpointer data)
{
  GtkWidget *group = data;

  return gtk_widget_get_mapped (group) && find_named (group, "visitor-goal") != NULL;
}

static void
test_without_contacts (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (JsonObject) snapshot = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *contact;
  App app = { 0 };

  test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://shop.example/pricing',"
                                 "'title':'Pricing — Example Shop'}");
  test_visitor_say (world->visitor, "How much is the team plan for 12 people?", &conversation_id);
  open_visitor (&app, world, conversation_id);

  contact = in_pane (&app, "contact-group");
  g_assert_nonnull (contact);
  if (relay_has_contacts (world))
    {
      /* the merged relay: the lead score is what it says */
      g_autoptr (JsonObject) visitor = relay_visitor (world);
      g_autofree char *score = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                json_object_get_int_member (visitor, "lead_score"));
      Typed t = { in_pane (&app, "lead-score"), score };

      wait_until ("the lead score", shows, &t);
    }
  else
    {
      /* nothing to show nor to save: the contact part stays hidden, the list has no sort */
      settle (300);
      g_assert_false (gtk_widget_get_mapped (contact));
      g_assert_false (gtk_widget_get_visible (find_named (GTK_WIDGET (app.window), "visitor-sort")));
    }

  /* what the cache holds is what the pane shows: a relay answer in the documented shape */
  answer = g_strdup_printf ("{\"id\":\"%s\",\"site_id\":\"%s\",\"online\":true,\"name\":\"Maya Lindqvist\","
                            "\"email\":\"maya@lindqvist.example\",\"phone\":\"+46 8 123 45 67\","
                            "\"notes\":\"Evaluating the team plan for 12 seats; decision by Friday.\","
                            "\"tags\":[\"team-plan\",\"sweden\"],\"lead_score\":78,"
                            "\"goals\":[{\"name\":\"trial_started\",\"value\":null,"
                            "\"at\":\"2026-12-07T09:12:00.000Z\"},{\"name\":\"pricing_calculator\","
                            "\"value\":588,\"at\":\"2026-12-07T09:20:00.000Z\"}],"
                            "\"geo\":{\"country\":\"SE\",\"city\":\"Stockholm\"},"
                            "\"timezone\":\"Europe/Stockholm\","
                            "\"device\":{\"browser\":\"Firefox\",\"os\":\"Linux\"},"
                            "\"page\":{\"url\":\"https://shop.example/pricing\","
                            "\"title\":\"Pricing — Example Shop\"}}",
                            world->visitor_id, world->site_id);
  snapshot = parse_object (answer);
  g_assert_true (confab_cache_apply_visitor_snapshot (cache_of (&app), world->site_id, snapshot, &error));
  g_assert_no_error (error);
  wait_until ("the contact part", is_mapped, contact);
  {
    Typed t = { in_pane (&app, "lead-score"), "78" };

    wait_until ("the lead score", shows, &t);
    t = (Typed) { in_pane (&app, "contact-phone"), "+46 8 123 45 67" };
    g_assert_true (shows (&t));
    t = (Typed) { in_pane (&app, "contact-tags"), "team-plan, sweden" };
    g_assert_true (shows (&t));
    t = (Typed) { in_pane (&app, "contact-notes"),
                  "Evaluating the team plan for 12 seats; decision by Friday." };
    g_assert_true (shows (&t));
  }
  wait_until ("the goals", goals_shown, in_pane (&app, "goals-group"));
  settle (500);
  g_free (save_screenshot (find_type (GTK_WIDGET (app.window), CONFAB_TYPE_VISITOR_PANE),
                           "visitor-pane-contact"));
  app_stop (&app);
}

/* --------------------------------------------------------------- edit --- */

static gboolean
error_shown (gpointer data)
{
  GtkWidget *label = data;

  return gtk_widget_get_mapped (label) && *gtk_label_get_text (GTK_LABEL (label)) != '\0';
}

static gboolean
error_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static void
test_edit (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *conversation_id = NULL;
  GtkWidget *contact, *error;
  Member m;
  App app = { 0 };

  if (!relay_has_contacts (world))
    {
      test_harness_skip ("the relay has no contacts yet (issue 16's relay side, engage)");
      return;
    }
  test_visitor_say (world->visitor, "Hello, can somebody call me back?", &conversation_id);
  open_visitor (&app, world, conversation_id);
  contact = in_pane (&app, "contact-group");
  wait_until ("the contact part", is_mapped, contact);
  error = in_pane (&app, "contact-error");

  /* the phone: typed, Enter saves it */
  type_over (in_pane (&app, "contact-phone"), "+44 20 7946 0958");
  x_key ("Return");
  m = (Member) { world, "phone", "\"+44 20 7946 0958\"" };
  wait_until ("the phone on the relay", relay_member_is, &m);

  /* tags, comma-separated */
  type_over (in_pane (&app, "contact-tags"), "vip, callback");
  x_key ("Return");
  m = (Member) { world, "tags", "[\"vip\",\"callback\"]" };
  wait_until ("the tags on the relay", relay_member_is, &m);

  /* an e-mail the relay refuses: its reason, and the typed text stays */
  type_over (in_pane (&app, "contact-email"), "not an address");
  x_key ("Return");
  wait_until ("the relay's reason", error_shown, error);
  {
    Typed t = { in_pane (&app, "contact-email"), "not an address" };

    g_assert_true (shows (&t));
  }
  type_over (in_pane (&app, "contact-email"), "sam@callback.example");
  x_key ("Return");
  m = (Member) { world, "email", "\"sam@callback.example\"" };
  wait_until ("the e-mail on the relay", relay_member_is, &m);
  wait_until ("the reason gone", error_hidden, error);

  /* notes: typed, saved with their button */
  focus_field (in_pane (&app, "contact-notes"));
  x_type_text ("Call after 3pm UK time.");
  {
    Typed t = { in_pane (&app, "contact-notes"), "Call after 3pm UK time." };

    wait_until ("the notes typed", shows, &t);
  }
  click_middle (in_pane (&app, "contact-notes-save"));
  m = (Member) { world, "notes", "\"Call after 3pm UK time.\"" };
  wait_until ("the notes on the relay", relay_member_is, &m);

  /* the e-mail known counts in the lead score: the pane follows the relay */
  {
    g_autoptr (JsonObject) visitor = relay_visitor (world);
    g_autofree char *score = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              json_object_get_int_member (visitor, "lead_score"));
    Typed t = { in_pane (&app, "lead-score"), score };

    wait_until ("the lead score", shows, &t);
  }
  app_stop (&app);
}

/* --------------------------------------------------------------- sort --- */

typedef struct {
  App        *app;
  const char *name;
} First;

/* The visitor list's first row is named @name. */
static gboolean
first_row_is (gpointer data)
{
  First *f = data;
  GtkWidget *list = find_named (GTK_WIDGET (f->app->window), "visitor-list");
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));
  g_autoptr (ConfabVisitor) v = g_list_model_get_n_items (model) > 0
                                ? g_list_model_get_item (model, 0) : NULL;

  return v != NULL && g_strcmp0 (confab_visitor_get_name (v), f->name) == 0;
}

static void
test_sort (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (TestWs) lena = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  GtkWidget *sort;
  App app = { 0 };
  First f;

  if (!relay_has_contacts (world))
    {
      test_harness_skip ("the relay has no lead scores yet (issue 16's relay side, engage)");
      return;
    }
  /* the world's visitor: an e-mail known (+10) and several pages (+3 each) */
  path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  {
    g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", path, world->token,
                                                   "{\"name\":\"Hot Lead\",\"email\":\"hot@lead.example\"}",
                                                   NULL);

    test_assert_http_status (response, 200);
  }
  for (int i = 0; i < 4; i++)
    test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://shop.example/p%d','title':'P%d'}",
                   i, i);
  test_visitor_say (world->visitor, "What does the team plan cost?", &conversation_id);
  /* then a new visitor, seen last, on one page */
  lena = visitor_new (world->relay, world->site_key, "https://shop.example/", "Example Shop",
                      "Europe/Berlin", NULL, NULL, NULL, NULL);
  open_visitor (&app, world, conversation_id);

  /* the Visitors tab */
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (find_type (GTK_WIDGET (app.window),
                                                                    ADW_TYPE_VIEW_STACK)), "visitors");
  sort = find_named (GTK_WIDGET (app.window), "visitor-sort");
  wait_until ("the sort", is_mapped, sort);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (sort), 1);
  f = (First) { &app, "Hot Lead" };
  wait_until ("the best lead first", first_row_is, &f);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (sort), 0);
  wait_until ("the newest first", first_row_is, (&(First) { &app, NULL }));
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
  test_harness_add ("/desktop/contacts/cache", test_cache);
  test_harness_add ("/desktop/contacts/migrate", test_migrate);
  test_harness_add ("/desktop/contacts/without-contacts", test_without_contacts);
  test_harness_add ("/desktop/contacts/edit", test_edit);
  test_harness_add ("/desktop/contacts/sort", test_sort);
  return g_test_run ();
}
