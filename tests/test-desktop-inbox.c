/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-inbox.c: working through the inbox in the real app (in-process, under Xvfb, with a
 * real keyring) against a real relay: the list's filters and orders, Enter and Shift+Enter in
 * the composer, canned responses, and the full-size image viewer with its "Save As…". */
#define G_LOG_DOMAIN "test-desktop-app"

#include <gst/gst.h>

#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-image-viewer.h"
#include "confab-secrets.h"
#include "confab-settings.h"
#include "test-desktop-app-util.h"

/* ---------------------------------------------------- filters and sort --- */

/* The ids the conversation list shows, in order, joined by ",". */
static char *
shown_ids (App *app)
{
  g_autoptr (GString) ids = g_string_new (NULL);

  for (guint i = 0; i < n_conversations (app); i++)
    {
      g_autofree char *id = conversation_id_at (app, i);

      g_string_append_printf (ids, "%s%s", i > 0 ? "," : "", id);
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static gboolean
shows (gpointer data)
{
  AppText *at = data;
  g_autofree char *ids = shown_ids (at->app);

  return g_strcmp0 (ids, at->text) == 0;
}

/* Picks entry @index of the drop-down named @name, as a click in its popover would. */
static void
choose (App        *app,
        const char *name,
        guint       index)
{
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_named (GTK_WIDGET (app->window), name)), index);
  settle (50);
}

static void
expect_shown (App        *app,
              const char *what,
              const char *first,
              ...)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) ids = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *shown = NULL;
  AppText at;
  va_list args;

  va_start (args, first);
  for (const char *id = first; id != NULL; id = va_arg (args, const char *))
    g_strv_builder_add (builder, id);
  va_end (args);
  ids = g_strv_builder_end (builder);
  expected = g_strjoinv (",", ids);
  at = (AppText) { app, expected };
  if (!shows (&at))
    settle (300);
  shown = shown_ids (app);
  if (g_strcmp0 (shown, expected) != 0)
    g_error ("%s: the list shows [%s], expected [%s]", what, shown, expected);
}

/* An agent frame changing @conversation_id, and the relay's answer to it. */
static void
agent_change (TestWs     *agent,
              const char *frame)
{
  g_autoptr (JsonObject) answer = NULL;

  test_ws_send (agent, frame);
  answer = test_ws_wait_for (agent, "conversation", TEST_TIMEOUT_MS);
}

/* Four conversations set up over the relay — Anna's open and mine, Ben's pending, Chloé's
 * resolved, Dan's open and nobody's — and each filter of the drop-down shows exactly its
 * own, newest message first or, sorted by waiting time, oldest first. */
static void
test_filters_and_sort (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) anna = NULL, ben = NULL, chloe = NULL, dan = NULL;
  g_autoptr (TestWs) agent = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  g_autofree char *frame = NULL;
  App app = { 0 };
  AppText at;

  anna = visitor_new (world->relay, world->site_key, "https://shop.example/a", "A", "Europe/Berlin",
                      NULL, "Where is my order?", NULL, &a);
  test_sleep_ms (20);
  ben = visitor_new (world->relay, world->site_key, "https://shop.example/b", "B", "Europe/Paris",
                     NULL, "Do you ship to Norway?", NULL, &b);
  test_sleep_ms (20);
  chloe = visitor_new (world->relay, world->site_key, "https://shop.example/c", "C", "Europe/Rome",
                       NULL, "Thanks, all good now.", NULL, &c);
  test_sleep_ms (20);
  dan = visitor_new (world->relay, world->site_key, "https://shop.example/d", "D", "Europe/Oslo",
                     NULL, "Is the blue one in stock?", NULL, &d);

  agent = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (agent, 0, NULL);
  frame = test_json ("{'type':'assign','conversation_id':'%s','agent_id':'%s'}", a, world->user_id);
  agent_change (agent, frame);
  g_clear_pointer (&frame, g_free);
  frame = test_json ("{'type':'set_status','conversation_id':'%s','status':'pending'}", b);
  agent_change (agent, frame);
  g_clear_pointer (&frame, g_free);
  frame = test_json ("{'type':'set_status','conversation_id':'%s','status':'resolved'}", c);
  agent_change (agent, frame);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, "4" };
  wait_until ("the four conversations", has_n_conversations, &at);

  expect_shown (&app, "all, newest first", d, c, b, a, NULL);
  choose (&app, "filter-dropdown", 1);
  expect_shown (&app, "open", d, a, NULL);
  choose (&app, "filter-dropdown", 2);
  expect_shown (&app, "pending", b, NULL);
  choose (&app, "filter-dropdown", 3);
  expect_shown (&app, "mine", a, NULL);
  choose (&app, "filter-dropdown", 4);
  expect_shown (&app, "unassigned", d, b, NULL);
  choose (&app, "filter-dropdown", 5);
  expect_shown (&app, "resolved", c, NULL);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "filter-resolved"));

  /* waiting longest: the oldest last message first */
  choose (&app, "filter-dropdown", 4);
  choose (&app, "sort-dropdown", 1);
  expect_shown (&app, "unassigned, waiting longest", b, d, NULL);
  choose (&app, "filter-dropdown", 0);
  expect_shown (&app, "all, waiting longest", a, b, c, d, NULL);

  /* a live change moves a conversation between filters: Dan's resolved leaves "open" */
  choose (&app, "filter-dropdown", 1);
  choose (&app, "sort-dropdown", 0);
  g_clear_pointer (&frame, g_free);
  frame = test_json ("{'type':'set_status','conversation_id':'%s','status':'resolved'}", d);
  agent_change (agent, frame);
  at = (AppText) { &app, a };
  wait_until ("only Anna's open", shows, &at);
  app_stop (&app);
}

/* ----------------------------------------------------------- composer --- */

/* Delivers @keyval + @state to @widget's key controllers the way GTK does: the capture phase
 * first, then its own; returns whether one of them handled it. */
static gboolean
send_key (GtkWidget       *widget,
          guint            keyval,
          GdkModifierType  state)
{
  const GtkPropagationPhase phases[] = { GTK_PHASE_CAPTURE, GTK_PHASE_TARGET, GTK_PHASE_BUBBLE };
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint p = 0; p < G_N_ELEMENTS (phases); p++)
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);
        gboolean handled = FALSE;

        if (!GTK_IS_EVENT_CONTROLLER_KEY (controller) ||
            gtk_event_controller_get_propagation_phase (controller) != phases[p])
          continue;
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
        if (handled)
          {
            settle (50);
            return TRUE;
          }
      }
  return FALSE;
}

static char *
composer_text (GtkWidget *composer)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* Types @text at the end of the composer. */
static void
type_text (GtkWidget  *composer,
           const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
  gtk_text_buffer_insert_at_cursor (buffer, text, -1);
  settle (50);
}

/* Shift+Enter breaks the line and sends nothing; Enter sends the whole text, both lines, and
 * empties the composer; Enter on an empty composer sends nothing. */
static void
test_enter_sends (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) emil = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *text = NULL;
  GtkWidget *composer;
  App app = { 0 };
  AppText at;

  emil = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Vienna",
                      NULL, "Can I change my address?", NULL, &conversation);
  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  confab_window_open_conversation (app.window, conversation);
  at = (AppText) { &app, conversation };
  wait_until ("Emil's conversation", conversation_open, &at);
  composer = find_named (GTK_WIDGET (app.window), "composer");
  gtk_widget_grab_focus (composer);

  type_text (composer, "Sure, which one?");
  g_assert_true (send_key (composer, GDK_KEY_Return, GDK_SHIFT_MASK));
  type_text (composer, "The new street, please.");
  text = composer_text (composer);
  g_assert_cmpstr (text, ==, "Sure, which one?\nThe new street, please.");
  test_ws_expect_none (emil, "message", 300);

  g_assert_true (send_key (composer, GDK_KEY_Return, 0));
  frame = test_ws_wait_for_match (emil, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "body"), ==, "Sure, which one?\nThe new street, please.");
  g_clear_pointer (&text, g_free);
  text = composer_text (composer);
  g_assert_cmpstr (text, ==, "");

  /* the keypad's Enter sends too; an empty composer sends nothing */
  type_text (composer, "Done.");
  g_assert_true (send_key (composer, GDK_KEY_KP_Enter, 0));
  g_clear_pointer (&frame, json_object_unref);
  frame = test_ws_wait_for_match (emil, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "body"), ==, "Done.");
  send_key (composer, GDK_KEY_Return, 0);
  test_ws_expect_none (emil, "message", 500);
  app_stop (&app);
}

/* ------------------------------------------------------------- canned --- */

typedef struct {
  App        *app;
  const char *site_id;
} AppSite;

static gboolean
canned_loaded (gpointer data)
{
  AppSite *as = data;

  return confab_account_get_canned (confab_window_get_account (as->app->window), as->site_id) != NULL;
}

static guint
n_rows (GtkWidget *list)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += GTK_IS_LIST_BOX_ROW (child);
  return n;
}

/* A canned response made over HTTP: "/" and the start of its shortcut in the composer list it
 * (and not the other), Enter picks it into the composer, a second Enter sends it; a "/" that
 * matches nothing lists nothing. */
static void
test_canned (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) fay = NULL;
  g_autoptr (TestResponse) made = NULL;
  g_autoptr (TestResponse) other = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autofree char *path = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *text = NULL;
  GtkWidget *composer, *list;
  App app = { 0 };
  AppText at;
  AppSite as;

  path = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  made = test_http (world->relay, "POST", path, world->token,
                    "{\"shortcut\":\"refund\",\"body\":\"Your refund is on its way — 3 to 5 days.\"}",
                    NULL);
  test_assert_http_status (made, 201);
  other = test_http (world->relay, "POST", path, world->token,
                     "{\"shortcut\":\"hours\",\"body\":\"We are here 9 to 5.\"}", NULL);
  test_assert_http_status (other, 201);
  fay = visitor_new (world->relay, world->site_key, "https://shop.example/returns", "Returns",
                     "Europe/Lisbon", NULL, "Where is my refund?", NULL, &conversation);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  confab_window_open_conversation (app.window, conversation);
  at = (AppText) { &app, conversation };
  wait_until ("Fay's conversation", conversation_open, &at);
  as = (AppSite) { &app, world->site_id };
  wait_until ("the canned responses", canned_loaded, &as);
  composer = find_named (GTK_WIDGET (app.window), "composer");
  list = find_named (GTK_WIDGET (app.window), "canned-list");
  gtk_widget_grab_focus (composer);

  /* nothing matches "/x" */
  type_text (composer, "/x");
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_ancestor (list, GTK_TYPE_REVEALER))));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer)), "", -1);

  type_text (composer, "/re");
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_ancestor (list, GTK_TYPE_REVEALER))));
  g_assert_cmpuint (n_rows (list), ==, 1);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "canned"));
  g_assert_true (send_key (composer, GDK_KEY_Return, 0));
  text = composer_text (composer);
  g_assert_cmpstr (text, ==, "Your refund is on its way — 3 to 5 days.");
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (gtk_widget_get_ancestor (list, GTK_TYPE_REVEALER))));
  test_ws_expect_none (fay, "message", 300);

  g_assert_true (send_key (composer, GDK_KEY_Return, 0));
  frame = test_ws_wait_for_match (fay, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "body"), ==, "Your refund is on its way — 3 to 5 days.");
  app_stop (&app);
}

/* -------------------------------------------------------- image viewer --- */

/* The shown thumbnail under @root (every message row has one, most of them hidden). */
static GtkWidget *
find_thumbnail (GtkWidget *root)
{
  if (g_strcmp0 (gtk_widget_get_name (root), "message-thumbnail") == 0 &&
      gtk_widget_get_mapped (root) && gtk_picture_get_paintable (GTK_PICTURE (root)) != NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_thumbnail (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
thumbnail_loaded (gpointer data)
{
  return find_thumbnail (GTK_WIDGET (((App *) data)->window)) != NULL;
}

static ConfabImageViewer *
image_viewer (void)
{
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (CONFAB_IS_IMAGE_VIEWER (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
full_image_shown (gpointer data)
{
  ConfabImageViewer *viewer = image_viewer ();
  GtkWidget *stack = viewer != NULL ? find_type (GTK_WIDGET (viewer), GTK_TYPE_STACK) : NULL;

  return stack != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (stack)), "image") == 0;
}

/* A click on an image's thumbnail opens the viewer with the full-size image; "Save As…" writes
 * it as a valid image file. */
static void
test_image_viewer (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) gus = NULL;
  g_autoptr (GBytes) picture = make_picture ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) png_file = NULL;
  g_autoptr (GFile) saved_file = NULL;
  g_autoptr (GdkTexture) saved = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *png_path = NULL;
  g_autofree char *saved_path = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  ConfabImageViewer *viewer;
  GdkPaintable *full;
  App app = { 0 };
  AppText at;

  gus = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Dublin",
                     NULL, "What does it look like?", NULL, &conversation);
  png_path = g_build_filename (test_relay_tmp_dir (world->relay), "teapot.png", NULL);
  g_assert_true (g_file_set_contents (png_path, g_bytes_get_data (picture, NULL),
                                      g_bytes_get_size (picture), NULL));
  png_file = g_file_new_for_path (png_path);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  confab_window_open_conversation (app.window, conversation);
  at = (AppText) { &app, conversation };
  wait_until ("Gus's conversation", conversation_open, &at);
  g_assert_true (drop_files (drop_target_of (find_type (GTK_WIDGET (app.window),
                                                        g_type_from_name ("ConfabChatView"))),
                             png_file));
  expect_agent_image (gus);
  wait_until ("the thumbnail", thumbnail_loaded, &app);
  g_assert_null (image_viewer ());

  g_signal_emit_by_name (gtk_widget_get_ancestor (find_thumbnail (GTK_WIDGET (app.window)), GTK_TYPE_BUTTON), "clicked");
  wait_until ("the full image in the viewer", full_image_shown, NULL);
  viewer = image_viewer ();
  full = gtk_picture_get_paintable (GTK_PICTURE (find_type (GTK_WIDGET (viewer), GTK_TYPE_PICTURE)));
  g_assert_nonnull (full);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (full), ==, 640);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (full), ==, 420);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (viewer), "image-viewer"));

  saved_path = g_build_filename (test_relay_tmp_dir (world->relay), "saved.png", NULL);
  saved_file = g_file_new_for_path (saved_path);
  g_assert_true (confab_image_viewer_save_to (viewer, saved_file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (saved_path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 8);
  g_assert_true (memcmp (contents, "\x89PNG\r\n\x1a\n", 8) == 0 ||
                 memcmp (contents, "\xff\xd8\xff", 3) == 0);
  saved = gdk_texture_new_from_file (saved_file, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (saved), ==, 640);
  g_assert_cmpint (gdk_texture_get_height (saved), ==, 420);

  gtk_window_close (GTK_WINDOW (viewer));
  settle (200);
  g_assert_null (image_viewer ());
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
  test_harness_init (&argc, &argv);
  test_harness_add ("/desktop/inbox/filters-and-sort", test_filters_and_sort);
  test_harness_add ("/desktop/inbox/enter-sends", test_enter_sends);
  test_harness_add ("/desktop/inbox/canned", test_canned);
  test_harness_add ("/desktop/inbox/image-viewer", test_image_viewer);
  return g_test_run ();
}
