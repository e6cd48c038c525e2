/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-app.c: the app's behaviour in use, each test its own real app (in-process, under
 * Xvfb, with a real keyring) against its own real relay: the window title, the keyboard
 * shortcuts, starting a conversation with a live visitor, images by drop and by paste, sounds
 * (through GStreamer into a fakesink) and notifications (a notification server played on the
 * test's private session bus) for live events, away after idle time, several accounts and
 * signing out of them. Working through the inbox is in test-desktop-inbox.c. */
#define G_LOG_DOMAIN "test-desktop-app"

#include <gst/gst.h>

#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-image-viewer.h"
#include "confab-secrets.h"
#include "confab-settings.h"
#include "test-desktop-app-util.h"

/* The window's motion controller sees the pointer move. */
static void
pointer_moves (App *app)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (app->window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_MOTION (controller))
        g_signal_emit_by_name (controller, "motion", 20.0, 20.0);
    }
}

/* ------------------------------------------------- title and shortcuts --- */

/* The title counts the unread messages; Ctrl+K searches and Enter opens the first match;
 * Ctrl+Page Down / Alt+Up go through the list; Ctrl+L focuses the composer; Ctrl+? shows the
 * shortcuts window. */
static void
test_title_and_shortcuts (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) ben = NULL;
  g_autoptr (TestWs) chloe = NULL;
  g_autoptr (TestWs) dev = NULL;
  g_autofree char *chloe_conversation = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  App app = { 0 };
  AppText at;
  GtkWidget *search;

  ben = visitor_new (world->relay, world->site_key, "https://shop.example/pricing", "Pricing",
                     "America/New_York", NULL, "Do you offer a discount for schools?", NULL, NULL);
  chloe = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop",
                       "Asia/Tokyo", NULL, "Where is my order #4411?", NULL, &chloe_conversation);
  dev = visitor_new (world->relay, world->site_key, "https://shop.example/help", "Help",
                     "Europe/London", NULL, "How long do refunds take?", NULL, NULL);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  /* before signing in: no account, no count */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (app.window)), ==, "Confab");
  sign_in (&app, world->relay, world->email, world->password);

  /* three waiting messages, then a fourth */
  at = (AppText) { &app, "Confab (3)" };
  wait_until ("the title with 3 unread", title_is, &at);
  test_ws_sendf (ben, "{'type':'message','client_id':'%s','body':'Hello?'}", test_client_id ());
  at = (AppText) { &app, "Confab (4)" };
  wait_until ("the title with 4 unread", title_is, &at);

  /* Ctrl+K: the search field; typing filters, Enter opens the first match */
  press (&app, GDK_KEY_k, GDK_CONTROL_MASK);
  at = (AppText) { &app, "search-entry" };
  wait_until ("the focus in the search field", focus_in, &at);
  search = find_named (GTK_WIDGET (app.window), "search-entry");
  gtk_editable_set_text (GTK_EDITABLE (search), "4411");
  at = (AppText) { &app, "1" };
  wait_until ("one match", has_n_conversations, &at);
  g_signal_emit_by_name (search, "activate");
  at = (AppText) { &app, chloe_conversation };
  wait_until ("Chloe's conversation", conversation_open, &at);
  at = (AppText) { &app, "composer" };
  wait_until ("the focus in the composer", focus_in, &at);
  /* opened and read: one unread message less (Chloe's) */
  at = (AppText) { &app, "Confab (3)" };
  wait_until ("the title with 3 unread", title_is, &at);

  /* next / previous through the whole list */
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  at = (AppText) { &app, "3" };
  wait_until ("the whole list", has_n_conversations, &at);
  first = conversation_id_at (&app, 0);
  second = conversation_id_at (&app, 1);
  confab_window_open_conversation (app.window, first);
  at = (AppText) { &app, first };
  wait_until ("the first conversation", conversation_open, &at);
  press (&app, GDK_KEY_Page_Down, GDK_CONTROL_MASK);
  at = (AppText) { &app, second };
  wait_until ("the next conversation (Ctrl+Page Down)", conversation_open, &at);
  press (&app, GDK_KEY_Up, GDK_ALT_MASK);
  at = (AppText) { &app, first };
  wait_until ("the previous conversation (Alt+Up)", conversation_open, &at);
  press (&app, GDK_KEY_Down, GDK_ALT_MASK);
  at = (AppText) { &app, second };
  wait_until ("the next conversation (Alt+Down)", conversation_open, &at);
  press (&app, GDK_KEY_Page_Up, GDK_CONTROL_MASK);
  at = (AppText) { &app, first };
  wait_until ("the previous conversation (Ctrl+Page Up)", conversation_open, &at);

  /* Ctrl+L from the search field back to the composer */
  press (&app, GDK_KEY_k, GDK_CONTROL_MASK);
  at = (AppText) { &app, "search-entry" };
  wait_until ("the focus in the search field", focus_in, &at);
  press (&app, GDK_KEY_l, GDK_CONTROL_MASK);
  at = (AppText) { &app, "composer" };
  wait_until ("the focus in the composer (Ctrl+L)", focus_in, &at);

  /* the shortcuts window (Ctrl+? is the application's accelerator for it) */
  {
    g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app.app),
                                                                   "win.show-help-overlay");
    GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (app.window));

    g_assert_nonnull (accels[0]);
    g_assert_cmpstr (accels[0], ==, "<Control>question");
    g_assert_nonnull (overlay);
    gtk_widget_activate_action (GTK_WIDGET (app.window), "win.show-help-overlay", NULL);
    wait_until ("the shortcuts window", (Condition) gtk_widget_get_mapped, overlay);
    settle (400);
    g_free (save_screenshot (GTK_WIDGET (overlay), "shortcuts"));
    gtk_window_close (GTK_WINDOW (overlay));
  }

  app_stop (&app);
}

/* ------------------------------------------------- start a conversation --- */

static GtkWidget *
find_start_button (GtkWidget  *root,
                   const char *visitor_id)
{
  GVariant *target;

  if (g_strcmp0 (gtk_widget_get_name (root), "start-conversation") == 0 &&
      gtk_widget_get_mapped (root) &&
      (target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (root))) != NULL &&
      g_strcmp0 (g_variant_get_string (target, NULL), visitor_id) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_start_button (child, visitor_id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
start_button_shown (gpointer data)
{
  Named *named = data;  /* name: the visitor id */

  return find_start_button (named->root, named->name) != NULL;
}

static AdwMessageDialog *
message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

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

/* The button labelled @label under @root. */
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

static gboolean
dialog_gone (gpointer data)
{
  return message_dialog () == NULL;
}

/* The live visitors list, a visitor who has not written: the agent writes first from the
 * dialog, the visitor's page gets the message, the new conversation opens. */
static void
test_start_conversation (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) farid = test_ws_widget (world->relay, world->site_key);
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autofree char *farid_id = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  App app = { 0 };
  AppText at;
  Named named;

  welcome = test_visitor_hello (farid, NULL, NULL, "https://shop.example/teapots");
  farid_id = g_strdup (test_obj_string (welcome, "visitor_id"));

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);

  /* the visitors tab lists Farid with a "start a conversation" button */
  adw_view_stack_set_visible_child_name (
    ADW_VIEW_STACK (gtk_widget_get_ancestor (find_named (GTK_WIDGET (app.window), "visitor-list"),
                                             ADW_TYPE_VIEW_STACK)), "visitors");
  named = (Named) { GTK_WIDGET (app.window), farid_id };
  wait_until ("Farid in the live visitors", start_button_shown, &named);
  settle (400);
  g_free (save_screenshot (GTK_WIDGET (app.window), "live-visitors"));
  g_signal_emit_by_name (find_start_button (GTK_WIDGET (app.window), farid_id), "clicked");
  wait_until ("the first-message dialog", dialog_shown, NULL);
  dialog = message_dialog ();
  entry = adw_message_dialog_get_extra_child (dialog);

  /* nothing to send yet; blank is nothing either */
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "send"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "   ");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "send"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello! Looking for a teapot?");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "send"));
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (dialog), "start-conversation"));
  g_signal_emit_by_name (find_button (GTK_WIDGET (dialog), "_Send"), "clicked");
  wait_until ("the dialog closed", dialog_gone, NULL);

  frame = test_ws_wait_for_match (farid, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "body"), ==, "Hello! Looking for a teapot?");
  at = (AppText) { &app, test_obj_string (frame, "conversation_id") };
  wait_until ("the new conversation open", conversation_open, &at);

  /* offline, the relay cannot know the visitor is still there: no dialog, a toast */
  test_relay_stop (world->relay);
  wait_until ("offline", is_offline, &app);
  gtk_widget_activate_action (GTK_WIDGET (app.window), "visitors.start-conversation", "s", farid_id);
  settle (300);
  g_assert_null (message_dialog ());
  app_stop (&app);
}

/* ------------------------------------------------------------- images --- */

/* An image dropped as a file on the conversation, and one pasted (a screenshot in the
 * clipboard) into the composer, both reach the visitor as images; a file that is not an image
 * is refused and nothing is sent. */
static void
test_images (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) anna = NULL;
  g_autoptr (GBytes) picture = make_picture ();
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *png_path = NULL;
  g_autofree char *text_path = NULL;
  g_autoptr (GFile) png_file = NULL;
  g_autoptr (GFile) text_file = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkDropTarget *target;
  GtkWidget *composer;
  App app = { 0 };
  AppText at;

  anna = visitor_new (world->relay, world->site_key, "https://shop.example/checkout", "Checkout",
                      "Europe/Berlin", NULL, "The parcel arrived damaged.", NULL, &conversation);
  png_path = g_build_filename (test_relay_tmp_dir (world->relay), "photo.png", NULL);
  g_assert_true (g_file_set_contents (png_path, g_bytes_get_data (picture, NULL),
                                      g_bytes_get_size (picture), NULL));
  /* bytes of no type a site can take (a text file now goes as a file card: test-desktop-chat) */
  text_path = g_build_filename (test_relay_tmp_dir (world->relay), "blob.bin", NULL);
  g_assert_true (g_file_set_contents (text_path, "\x7f" "ELF\x02\x01\x01\x00\xff\xfe\x00\x01", 12, NULL));
  png_file = g_file_new_for_path (png_path);
  text_file = g_file_new_for_path (text_path);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  confab_window_open_conversation (app.window, conversation);
  at = (AppText) { &app, conversation };
  wait_until ("Anna's conversation", conversation_open, &at);
  target = drop_target_of (find_type (GTK_WIDGET (app.window), g_type_from_name ("ConfabChatView")));
  g_assert_nonnull (target);

  /* dropped: neither an image nor a document → refused, nothing sent */
  g_assert_true (drop_files (target, text_file));
  test_ws_expect_none (anna, "message", 800);

  /* dropped: the photo */
  g_assert_true (drop_files (target, png_file));
  expect_agent_image (anna);

  /* pasted: an image in the clipboard goes as an image, the composer stays empty */
  texture = gdk_texture_new_from_bytes (picture, &error);
  g_assert_no_error (error);
  composer = find_named (GTK_WIDGET (app.window), "composer");
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (composer), texture);
  g_signal_emit_by_name (composer, "paste-clipboard");
  expect_agent_image (anna);
  settle (100);
  {
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
    GtkTextIter start, end;
    g_autofree char *text = NULL;

    gtk_text_buffer_get_bounds (buffer, &start, &end);
    text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_cmpstr (text, ==, "");
  }

  /* pasted text stays text */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (composer), "order #4411");
  g_signal_emit_by_name (composer, "paste-clipboard");
  test_ws_expect_none (anna, "message", 500);
  app_stop (&app);
}

/* ----------------------------------------------------- idle → away --- */

static gboolean
window_presence_is (gpointer data)
{
  AppText *at = data;
  g_autofree char *presence = NULL;

  g_object_get (at->app->window, "presence", &presence, NULL);
  return g_strcmp0 (presence, at->text) == 0;
}

/* After away-after-minutes without activity "online" turns "away" for the team (a teammate's
 * socket sees it), activity turns it back; "busy" stays busy. */
static void
test_away_after_idle (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr (JsonObject) frame = NULL;
  App app = { 0 };
  AppText at;
  gint64 now;

  app_start (&app, world->relay, FALSE);
  g_object_set (confab_application_get_settings (app.app), "away-after-minutes", 2, NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);

  /* the last activity now: signing in may take more than a second on a loaded machine */
  pointer_moves (&app);
  now = g_get_monotonic_time ();
  g_assert_false (confab_window_check_idle (app.window, now + 119 * G_USEC_PER_SEC));
  at = (AppText) { &app, "online" };
  g_assert_true (window_presence_is (&at));
  /* the teammate saw the app come online, and nothing since */
  frame = test_ws_wait_for_match (world->agent, "presence", "status", "online", TEST_TIMEOUT_MS);
  g_clear_pointer (&frame, json_object_unref);
  test_ws_expect_none (world->agent, "presence", 300);

  g_assert_true (confab_window_check_idle (app.window, now + 121 * G_USEC_PER_SEC));
  at = (AppText) { &app, "away" };
  g_assert_true (window_presence_is (&at));
  frame = test_ws_wait_for_match (world->agent, "presence", "status", "away", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (frame, "agent_id"), ==, world->user_id);
  g_clear_pointer (&frame, json_object_unref);

  /* the pointer moves: back online */
  pointer_moves (&app);
  at = (AppText) { &app, "online" };
  g_assert_true (window_presence_is (&at));
  frame = test_ws_wait_for_match (world->agent, "presence", "status", "online", TEST_TIMEOUT_MS);
  g_clear_pointer (&frame, json_object_unref);

  /* chosen "busy" is not overridden by idleness */
  g_object_set (app.window, "presence", "busy", NULL);
  frame = test_ws_wait_for_match (world->agent, "presence", "status", "busy", TEST_TIMEOUT_MS);
  g_clear_pointer (&frame, json_object_unref);
  g_assert_false (confab_window_check_idle (app.window, g_get_monotonic_time () + (gint64) 3600 * G_USEC_PER_SEC));
  at = (AppText) { &app, "busy" };
  g_assert_true (window_presence_is (&at));
  test_ws_expect_none (world->agent, "presence", 300);
  app_stop (&app);
}

/* ------------------------------------------------- sounds, notifications --- */

/* The notification server GLib talks to when org.gtk.Notifications is on the session bus (the
 * test's private one): it records what the app shows and withdraws. */
typedef struct {
  NotificationServer notifications;
  GMutex             lock;      /* the sink probe runs on GStreamer's thread */
  GPtrArray         *sounds;    /* char* URI of each sound that reached the sink */
} Alerts;

static GstPadProbeReturn
on_sink_event (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  Alerts *alerts = user_data;
  GstObject *object;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_STREAM_START)
    return GST_PAD_PROBE_OK;
  /* the playbin that holds the sink says what it plays */
  for (object = gst_pad_get_parent (pad); object != NULL;)
    {
      GstObject *parent;

      if (g_strcmp0 (G_OBJECT_TYPE_NAME (object), "GstPlayBin") == 0)
        {
          char *uri = NULL;

          g_object_get (object, "current-uri", &uri, NULL);
          g_mutex_lock (&alerts->lock);
          g_ptr_array_add (alerts->sounds, uri);
          g_mutex_unlock (&alerts->lock);
          gst_object_unref (object);
          break;
        }
      parent = gst_object_get_parent (object);
      gst_object_unref (object);
      object = parent;
    }
  return GST_PAD_PROBE_OK;
}

/* How many times the sound @name ("new-message"...) played so far. */
static guint
played (Alerts     *alerts,
        const char *name)
{
  g_autofree char *suffix = g_strconcat ("/", name, ".oga", NULL);
  guint n = 0;

  g_mutex_lock (&alerts->lock);
  for (guint i = 0; i < alerts->sounds->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (alerts->sounds, i), suffix))
      n++;
  g_mutex_unlock (&alerts->lock);
  return n;
}

typedef struct {
  Alerts     *alerts;
  const char *name;
  guint       at_least;
} Played;

static gboolean
played_at_least (gpointer data)
{
  Played *p = data;

  return played (p->alerts, p->name) >= p->at_least;
}

/* The notification shown with @id, NULL when none. */
static GVariant *
notification (Alerts     *alerts,
              const char *id)
{
  for (guint i = alerts->notifications.added->len; i > 0; i--)
    {
      GVariant *call = g_ptr_array_index (alerts->notifications.added, i - 1);
      const char *call_id = NULL;

      g_variant_get (call, "(&s&s@a{sv})", NULL, &call_id, NULL);
      if (g_strcmp0 (call_id, id) == 0)
        return g_variant_get_child_value (call, 2);
    }
  return NULL;
}

typedef struct {
  Alerts     *alerts;
  const char *id;
} AlertId;

static gboolean
notified (gpointer data)
{
  AlertId *a = data;
  g_autoptr (GVariant) n = notification (a->alerts, a->id);

  return n != NULL;
}

static gboolean
withdrawn (gpointer data)
{
  AlertId *a = data;

  for (guint i = 0; i < a->alerts->notifications.removed->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a->alerts->notifications.removed, i), a->id) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  ConfabSoundPlayer *player;
  const char        *key;
} Ringing;

static gboolean
not_ringing (gpointer data)
{
  Ringing *r = data;

  return !confab_sound_player_is_repeating (r->player, r->key);
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  g_variant_lookup (dict, key, "&s", &value);
  return value;
}

/* Live events ring and notify (the backlog at sign-in does not): a new visitor rings once, a
 * message rings until answered, a new conversation too. Notifications only while the window
 * is not focused; the notification's action opens the conversation, and looking at it withdraws
 * the notification and stops the ringing; so does answering. */
static void
test_alerts (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) ben = NULL;
  g_autoptr (TestWs) gus = NULL;
  g_autoptr (TestWs) hana = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GVariant) shown = NULL;
  g_autoptr (GVariant) target = NULL;
  g_autofree char *ben_conversation = NULL;
  g_autofree char *hana_conversation = NULL;
  Alerts alerts = { { 0 }, { 0 }, g_ptr_array_new_with_free_func (g_free) };
  ConfabSoundPlayer *player;
  GstElement *sink;
  g_autoptr (GstPad) pad = NULL;
  GtkWidget *elsewhere;
  guint before;
  App app = { 0 };
  AppText at;
  AlertId alert;
  Played p;
  Ringing ringing;

  notification_server_start (&alerts.notifications);

  ben = visitor_new (world->relay, world->site_key, "https://shop.example/pricing", "Pricing",
                     "America/New_York", NULL, "Do you offer a discount for schools?", NULL,
                     &ben_conversation);

  app_start (&app, world->relay, TRUE);
  player = confab_application_get_sound_player (app.app);
  g_assert_nonnull (player);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_assert_nonnull (sink);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, &alerts, NULL);
  confab_sound_player_set_audio_sink (player, sink);
  confab_sound_player_set_repeat_interval (player, 300);
  g_object_set (confab_application_get_settings (app.app), "notifications", TRUE,
                "sound-new-message", "repeat", NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  wait_until ("the window focused", is_active, app.window);

  /* Ben's message came before: the backlog is quiet */
  settle (500);
  g_assert_cmpuint (alerts.sounds->len, ==, 0);
  g_assert_cmpuint (alerts.notifications.added->len, ==, 0);

  /* a new visitor on the site: rings once */
  gus = test_ws_widget (world->relay, world->site_key);
  welcome = test_visitor_hello (gus, NULL, NULL, "https://shop.example/");
  p = (Played) { &alerts, "new-visitor", 1 };
  wait_until ("the new-visitor sound", played_at_least, &p);

  /* the window focused, Ben writes in a conversation not on screen: it rings (and goes on),
   * no notification */
  test_ws_sendf (ben, "{'type':'message','client_id':'%s','body':'Hello?'}", test_client_id ());
  p = (Played) { &alerts, "new-message", 2 };
  wait_until ("the new-message sound, repeated", played_at_least, &p);
  g_assert_true (confab_sound_player_is_repeating (player, ben_conversation));
  g_assert_cmpuint (alerts.notifications.added->len, ==, 0);

  /* the agent is in another window: Ben's next message is notified, with its action */
  elsewhere = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (elsewhere));
  wait_until ("the app window unfocused", is_not_active, app.window);
  test_ws_sendf (ben, "{'type':'message','client_id':'%s','body':'Is anyone there?'}", test_client_id ());
  alert = (AlertId) { &alerts, ben_conversation };
  wait_until ("Ben's notification", notified, &alert);
  shown = notification (&alerts, ben_conversation);
  g_assert_true (g_str_has_prefix (lookup_string (shown, "title"), "New message from "));
  g_assert_cmpstr (lookup_string (shown, "body"), ==, "Is anyone there?");
  g_assert_cmpstr (lookup_string (shown, "default-action"), ==, "app.open-conversation");
  target = g_variant_lookup_value (shown, "default-action-target", G_VARIANT_TYPE_STRING);
  g_assert_nonnull (target);
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, ben_conversation);

  /* a new conversation meanwhile: its own sound and notification */
  hana = visitor_new (world->relay, world->site_key, "https://shop.example/teapots", "Teapots",
                      "Europe/Paris", NULL, "Is the blue teapot in stock?", NULL, &hana_conversation);
  p = (Played) { &alerts, "new-conversation", 1 };
  wait_until ("the new-conversation sound", played_at_least, &p);
  alert = (AlertId) { &alerts, hana_conversation };
  wait_until ("Hana's notification", notified, &alert);
  g_clear_pointer (&shown, g_variant_unref);
  shown = notification (&alerts, hana_conversation);
  /* one notification per conversation: the first message's replaces "New conversation" */
  g_assert_true (g_str_equal (lookup_string (shown, "title"), "New conversation") ||
                 g_str_has_prefix (lookup_string (shown, "title"), "New message from "));
  g_assert_cmpstr (lookup_string (shown, "default-action"), ==, "app.open-conversation");
  g_assert_true (confab_sound_player_is_repeating (player, hana_conversation));

  /* the notification's action, as the notification server runs it: Ben's conversation opens,
   * its notification goes, it stops ringing */
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "open-conversation", target);
  at = (AppText) { &app, ben_conversation };
  wait_until ("Ben's conversation", conversation_open, &at);
  wait_until ("the app window focused", is_active, app.window);
  alert = (AlertId) { &alerts, ben_conversation };
  wait_until ("Ben's notification withdrawn", withdrawn, &alert);
  ringing = (Ringing) { player, ben_conversation };
  wait_until ("Ben's conversation quiet", not_ringing, &ringing);
  g_assert_true (confab_sound_player_is_repeating (player, hana_conversation));

  /* answering Hana stops hers */
  confab_window_open_conversation (app.window, hana_conversation);
  at = (AppText) { &app, hana_conversation };
  wait_until ("Hana's conversation", conversation_open, &at);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_named (GTK_WIDGET (app.window), "composer"))),
                            "Yes, it is!", -1);
  g_assert_true (gtk_widget_activate_action (find_named (GTK_WIDGET (app.window), "composer"), "chat.send", NULL));
  frame = test_ws_wait_for_match (hana, "message", "sender.type", "agent", TEST_TIMEOUT_MS);
  ringing = (Ringing) { player, hana_conversation };
  wait_until ("Hana's conversation quiet", not_ringing, &ringing);

  /* all answered: silence; and a message in the conversation on screen does not ring */
  settle (400);
  before = alerts.sounds->len;
  test_ws_sendf (hana, "{'type':'message','client_id':'%s','body':'Great, thanks'}", test_client_id ());
  settle (1200);
  g_assert_cmpuint (alerts.sounds->len, ==, before);

  gtk_window_destroy (GTK_WINDOW (elsewhere));
  app_stop (&app);
  notification_server_stop (&alerts.notifications);
  g_ptr_array_unref (alerts.sounds);
}

/* ----------------------------------------------------------- accounts --- */

typedef struct {
  gboolean  done;
  char     *token;
} Lookup;

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr (GError) error = NULL;

  lookup->token = confab_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  lookup->done = TRUE;
}

static gboolean
lookup_done (gpointer data)
{
  return ((Lookup *) data)->done;
}

/* The token in the keyring for @relay + @email, NULL when none. */
static char *
keyring_token (TestRelay  *relay,
               const char *email)
{
  Lookup lookup = { FALSE, NULL };

  confab_secrets_lookup_async (test_relay_base_url (relay), email, NULL, lookup_cb, &lookup);
  wait_until ("the keyring", lookup_done, &lookup);
  return lookup.token;
}

typedef struct {
  TestRelay  *relay;
  const char *email;
} Keyring;

static gboolean
keyring_empty (gpointer data)
{
  Keyring *k = data;
  g_autofree char *token = keyring_token (k->relay, k->email);

  return token == NULL;
}

static gboolean
keyring_has (gpointer data)
{
  Keyring *k = data;
  g_autofree char *token = keyring_token (k->relay, k->email);

  return token != NULL;
}

typedef struct {
  App       *app;
  TestRelay *relay;
} OnRelay;

static gboolean
online_on (gpointer data)
{
  OnRelay *on = data;
  ConfabAccount *account = confab_window_get_account (on->app->window);

  return account != NULL && is_online (on->app) &&
         g_strcmp0 (confab_account_get_relay_url (account), test_relay_base_url (on->relay)) == 0;
}

typedef struct {
  TestRelay  *relay;
  const char *token;
} Revoked;

static gboolean
token_revoked (gpointer data)
{
  Revoked *r = data;
  g_autoptr (TestResponse) me = test_http (r->relay, "GET", "/api/v1/me", r->token, NULL, NULL);

  return me->status == 401;
}

static guint
n_accounts (App *app)
{
  g_auto (GStrv) accounts = confab_settings_dup_accounts (confab_application_get_settings (app->app));

  return g_strv_length (accounts);
}

/* Two accounts on two relays: the second added from the menu, switching back signs in
 * silently from the keyring, signing out of one revokes its token, removes it from the
 * keyring and goes on with the other; signing out of the last shows the sign-in page. */
static void
test_accounts (void)
{
  g_autoptr (TestWorld) one = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWorld) two = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) kai = NULL;
  g_autofree char *key_one = NULL;
  g_autofree char *token_one = NULL;
  g_autofree char *token_two = NULL;
  App app = { 0 };
  AppText at;
  OnRelay on;
  Keyring keyring;
  Revoked revoked;

  kai = visitor_new (two->relay, two->site_key, "https://other.example/", "Other", "Europe/Rome",
                     NULL, "Hello from the other site", NULL, NULL);

  app_start (&app, one->relay, FALSE);
  app_activate (&app);
  sign_in (&app, one->relay, one->email, one->password);
  keyring = (Keyring) { one->relay, one->email };
  wait_until ("the first token in the keyring", keyring_has, &keyring);
  token_one = g_strdup (confab_client_get_token (client_of (&app)));

  /* the second account, from the primary menu's "Add Account" */
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "add-account", NULL);
  sign_in (&app, two->relay, two->email, two->password);
  on = (OnRelay) { &app, two->relay };
  wait_until ("the second account online", online_on, &on);
  at = (AppText) { &app, "1" };
  wait_until ("the second relay's conversation", has_n_conversations, &at);
  g_assert_cmpuint (n_accounts (&app), ==, 2);
  keyring = (Keyring) { two->relay, two->email };
  wait_until ("the second token in the keyring", keyring_has, &keyring);
  token_two = g_strdup (confab_client_get_token (client_of (&app)));

  /* back to the first: no form, the keyring's token */
  key_one = g_strdup_printf ("%s\n%s", test_relay_base_url (one->relay), one->email);
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "switch-account", g_variant_new_string (key_one));
  on = (OnRelay) { &app, one->relay };
  wait_until ("the first account online again", online_on, &on);
  at = (AppText) { &app, "0" };
  wait_until ("the first relay's (empty) inbox", has_n_conversations, &at);

  /* sign out of the first: revoked, gone from the keyring, the second goes on */
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "sign-out", NULL);
  keyring = (Keyring) { one->relay, one->email };
  wait_until ("the first token out of the keyring", keyring_empty, &keyring);
  revoked = (Revoked) { one->relay, token_one };
  wait_until ("the first token revoked", token_revoked, &revoked);
  on = (OnRelay) { &app, two->relay };
  wait_until ("the second account online", online_on, &on);
  g_assert_cmpuint (n_accounts (&app), ==, 1);
  keyring = (Keyring) { two->relay, two->email };
  g_assert_true (keyring_has (&keyring));

  /* and of the last one: the sign-in page */
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "sign-out", NULL);
  wait_until ("the sign-in page", sign_in_shown, &app);
  wait_until ("the second token out of the keyring", keyring_empty, &keyring);
  revoked = (Revoked) { two->relay, token_two };
  wait_until ("the second token revoked", token_revoked, &revoked);
  g_assert_cmpuint (n_accounts (&app), ==, 0);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (app.window)), ==, "Confab");
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
  test_harness_add ("/desktop/app/title-and-shortcuts", test_title_and_shortcuts);
  test_harness_add ("/desktop/app/start-conversation", test_start_conversation);
  test_harness_add ("/desktop/app/images", test_images);
  test_harness_add ("/desktop/app/away-after-idle", test_away_after_idle);
  test_harness_add ("/desktop/app/alerts", test_alerts);
  test_harness_add ("/desktop/app/accounts", test_accounts);
  return g_test_run ();
}
