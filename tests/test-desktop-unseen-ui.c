/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-unseen-ui.c: the real app (in-process, under Xvfb, real keyring) with real X
 * input against a real relay and scripted visitors — nothing a visitor sends goes unseen: an
 * offline message counted, opened, made a conversation the visitor finds on their next visit
 * and answered; a rated conversation with its badge, its rating in the visitor pane and its
 * timeline (assigned → resolved → rated) among the messages, in order. Every Gtk-CRITICAL or
 * warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-unseen-ui"

#include "confab-chat-view.h"
#include "confab-conversation-row.h"
#include "confab-offline-message.h"
#include "confab-offline-view.h"
#include "test-desktop-app-util.h"

typedef struct {
  App        *app;
  const char *name;
  const char *text;
} NamedText;

/* The label named @name (the first one found) says @text. */
static gboolean
label_says (gpointer data)
{
  NamedText *nt = data;
  GtkWidget *label = find_named (GTK_WIDGET (nt->app->window), nt->name);

  return label != NULL && gtk_widget_get_mapped (label) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), nt->text) == 0;
}

static AdwViewStackPage *
offline_page (App *app)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_type (GTK_WIDGET (app->window), ADW_TYPE_VIEW_STACK));
  GtkWidget *list = find_type (GTK_WIDGET (app->window), g_type_from_name ("ConfabOfflineList"));

  return adw_view_stack_get_page (stack, list);
}

static gboolean
badge_is (gpointer data)
{
  AppText *at = data;

  return adw_view_stack_page_get_badge_number (offline_page (at->app)) == (guint) atoi (at->text);
}

/* Clicks the middle of @widget. */
static void
click (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static void
collect_type (GtkWidget  *root,
              const char *type_name,
              GPtrArray  *found)
{
  if (g_strcmp0 (G_OBJECT_TYPE_NAME (root), type_name) == 0)
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_type (child, type_name, found);
}

/* The view switcher's button of the Offline tab (Inbox, Offline, Visitors). */
static GtkWidget *
offline_tab (App *app)
{
  GtkWidget *switcher = find_type (GTK_WIDGET (app->window), ADW_TYPE_VIEW_SWITCHER);
  g_autoptr (GPtrArray) buttons = g_ptr_array_new ();

  g_assert_nonnull (switcher);
  collect_type (switcher, "AdwViewSwitcherButton", buttons);
  /* (then issue 18's Queue, hidden on a relay without routing) */
  g_assert_cmpuint (buttons->len, >=, 3);
  return buttons->pdata[1];
}

static gboolean
detail_shows_offline (gpointer data)
{
  App *app = data;
  GtkWidget *view = find_type (GTK_WIDGET (app->window), CONFAB_TYPE_OFFLINE_VIEW);

  return view != NULL && gtk_widget_get_mapped (view);
}

/* ------------------------------------------------------ offline message --- */

static void
test_offline_message (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (TestWs) back = NULL;
  g_autoptr (JsonObject) left = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (ConfabOfflineMessage) offline = NULL;
  g_autofree char *mailto = NULL;
  g_autofree char *conversation_id = NULL;
  const char *body = "Do you ship to Norway? Please write back.";
  GtkWidget *row, *composer;
  App app = { 0 };
  AppText at;
  NamedText nt;

  /* nobody online: the visitor leaves a message from the pricing page */
  test_ws_sendf (world->visitor, "{'type':'page_view','url':'https://shop.example/pricing',"
                                 "'title':'Pricing'}");
  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Ann','email':'ann@b.test',"
                                 "'body':'%s'}", body);
  left = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  x_focus (GTK_WINDOW (app.window));

  /* the Offline tab counts it */
  at = (AppText) { &app, "1" };
  wait_until ("one open offline message on the tab", badge_is, &at);

  click (offline_tab (&app));
  nt = (NamedText) { &app, "offline-name", "Ann" };
  wait_until ("Ann's row in the offline list", label_says, &nt);
  nt = (NamedText) { &app, "offline-email", "ann@b.test" };
  g_assert_true (label_says (&nt));
  nt = (NamedText) { &app, "offline-page", "Pricing" };
  g_assert_true (label_says (&nt));
  row = find_named (GTK_WIDGET (app.window), "offline-row");
  click (row);
  wait_until ("the offline message open", detail_shows_offline, &app);
  nt = (NamedText) { &app, "offline-view-body", body };
  wait_until ("the message in full", label_says, &nt);
  nt = (NamedText) { &app, "offline-view-state", "Waiting for an answer" };
  g_assert_true (label_says (&nt));
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "offline-message"));

  /* reply by e-mail: to the visitor, a subject, their words quoted */
  offline = confab_cache_get_offline_message (confab_client_get_cache (client_of (&app)),
                                              test_obj_string (left, "id"));
  mailto = confab_offline_view_build_mailto (offline, "Site a");
  g_assert_true (g_str_has_prefix (mailto, "mailto:ann@b.test?subject=Re%3A%20your%20message%20on%20Site%20a&body="));
  g_assert_nonnull (strstr (mailto, "%3E%20Do%20you%20ship%20to%20Norway%3F%20Please%20write%20back."));

  /* handled and reopened by a click, the count follows */
  click (find_named (GTK_WIDGET (app.window), "offline-handled"));
  at = (AppText) { &app, "0" };
  wait_until ("no open offline message", badge_is, &at);
  click (find_named (GTK_WIDGET (app.window), "offline-handled"));
  at = (AppText) { &app, "1" };
  wait_until ("open again", badge_is, &at);

  /* a conversation made of it: open in the chat, assigned to the agent, handled */
  click (find_named (GTK_WIDGET (app.window), "offline-start"));
  g_clear_object (&offline);
  {
    gint64 end = g_get_monotonic_time () + (gint64) UI_TIMEOUT_MS * 1000;

    while (confab_window_get_conversation_id (app.window) == NULL)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, TRUE);
      }
  }
  conversation_id = g_strdup (confab_window_get_conversation_id (app.window));
  at = (AppText) { &app, "0" };
  wait_until ("handled by the conversation", badge_is, &at);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (find_type (GTK_WIDGET (app.window),
                                                               CONFAB_TYPE_CHAT_VIEW))));

  /* the visitor's next visit: the conversation is theirs, with their message */
  back = test_ws_widget (world->relay, world->site_key);
  test_ws_ignore (back, "agents_online", NULL);
  welcome = test_visitor_hello (back, world->visitor_id, world->visitor_token, "https://shop.example/");
  g_assert_cmpstr (test_obj_string (welcome, "conversation.id"), ==, conversation_id);
  test_ws_send (back, "{\"type\":\"resume\",\"after_seq\":0}");
  first = test_ws_wait_for (back, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (first, "body"), ==, body);

  /* and the agent's answer, typed in the composer, reaches them */
  composer = find_named (GTK_WIDGET (app.window), "composer");
  g_assert_nonnull (composer);
  click (composer);
  x_key ("shift+y");
  x_key ("e");
  x_key ("s");
  x_key ("period");
  x_key ("Return");
  answer = test_ws_wait_for (back, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (answer, "body"), ==, "Yes.");
  g_assert_cmpint (test_obj_int (answer, "seq"), ==, 2);

  app_stop (&app);
}

/* ------------------------------------------------------ rated, timeline --- */

typedef struct {
  App        *app;
  const char *texts[4];   /* the timeline rows expected, top to bottom, each a prefix */
} Timeline;

static void
collect_timeline (GtkWidget *root,
                  GPtrArray *rows)
{
  if (g_strcmp0 (gtk_widget_get_name (root), "timeline-row") == 0 && gtk_widget_get_mapped (root))
    g_ptr_array_add (rows, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_timeline (child, rows);
}

static int
by_y (gconstpointer a,
      gconstpointer b)
{
  GtkWidget *wa = *(GtkWidget **) a, *wb = *(GtkWidget **) b;
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (wa));
  graphene_point_t pa = GRAPHENE_POINT_INIT (0, 0), pb = GRAPHENE_POINT_INIT (0, 0);

  g_assert_true (gtk_widget_compute_point (wa, root, &GRAPHENE_POINT_INIT (0, 0), &pa));
  g_assert_true (gtk_widget_compute_point (wb, root, &GRAPHENE_POINT_INIT (0, 0), &pb));
  return pa.y < pb.y ? -1 : pa.y > pb.y;
}

static gboolean
timeline_shown (gpointer data)
{
  Timeline *t = data;
  GtkWidget *chat = find_type (GTK_WIDGET (t->app->window), CONFAB_TYPE_CHAT_VIEW);
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  guint n = 0;

  while (n < G_N_ELEMENTS (t->texts) && t->texts[n] != NULL)
    n++;
  collect_timeline (chat, rows);
  if (rows->len != n)
    return FALSE;
  g_ptr_array_sort (rows, by_y);
  for (guint i = 0; i < n; i++)
    if (!g_str_has_prefix (gtk_label_get_text (GTK_LABEL (rows->pdata[i])), t->texts[i]))
      return FALSE;
  return TRUE;
}

static gboolean
chat_has_rows (gpointer data)
{
  AppText *at = data;
  GtkWidget *chat = find_type (GTK_WIDGET (at->app->window), CONFAB_TYPE_CHAT_VIEW);
  GtkWidget *list = find_type (chat, GTK_TYPE_LIST_VIEW);
  GListModel *model = list != NULL ? G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list))) : NULL;

  return model != NULL && g_list_model_get_n_items (model) >= (guint) atoi (at->text);
}

/* The chat holds @n rows (messages and timeline rows). */
static gboolean
wait_for_rows (App  *app,
               guint n)
{
  g_autofree char *count = g_strdup_printf ("%u", n);
  AppText at = { app, count };

  wait_until ("the chat's rows", chat_has_rows, &at);
  return TRUE;
}

static gboolean
row_shown (gpointer data)
{
  AppText *at = data;

  return conversation_row (at->app, at->text) != NULL;
}

static gboolean
badge_shown (gpointer data)
{
  AppText *at = data;
  GtkWidget *row = conversation_row (at->app, at->text);

  /* the row draws its badge ("★ 4") itself, beside the status tag */
  return row != NULL && gtk_widget_get_mapped (row) &&
         confab_conversation_row_get_rating (CONFAB_CONVERSATION_ROW (row)) == 4;
}

static gboolean
pane_rating_shown (gpointer data)
{
  App *app = data;
  GtkWidget *row = find_named (GTK_WIDGET (app->window), "visitor-rating");

  return row != NULL && gtk_widget_get_mapped (row) &&
         g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "quick and helpful") == 0;
}

static gboolean
popover_shown (gpointer data)
{
  GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (data));

  return popover != NULL && gtk_widget_get_mapped (popover);
}

static gboolean
popover_hidden (gpointer data)
{
  return !popover_shown (data);
}

/* Opens the conversation's actions menu with a click; its item that reads @label, NULL when
 * the menu does not offer it. */
static GtkWidget *
menu_item (App        *app,
           const char *label)
{
  GtkWidget *button = find_named (GTK_WIDGET (app->window), "conversation-actions");
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  GtkWidget *popover;

  if (!popover_shown (button))
    {
      click (button);
      wait_until ("the actions menu", popover_shown, button);
      settle (100);
    }
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  collect_type (popover, "GtkModelButton", items);
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *text = NULL;

      g_object_get (items->pdata[i], "text", &text, NULL);
      if (g_strcmp0 (text, label) == 0 && gtk_widget_get_mapped (items->pdata[i]))
        return items->pdata[i];
    }
  return NULL;
}

static void
close_menu (App *app)
{
  GtkWidget *button = find_named (GTK_WIDGET (app->window), "conversation-actions");

  x_key ("Escape");
  wait_until ("the actions menu closed", popover_hidden, button);
}

static void
test_rated_timeline (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *took = NULL;
  g_autofree char *resolved = NULL;
  App app = { 0 };
  AppText at;
  Timeline t = { &app, { NULL } };
  GtkWidget *chat;

  test_visitor_say (world->visitor, "Hello, my order did not arrive", &conversation_id);
  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation listed", row_shown, &at);
  x_focus (GTK_WINDOW (app.window));
  click (conversation_row (&app, conversation_id));
  wait_until ("the conversation open", conversation_open, &at);
  chat = find_type (GTK_WIDGET (app.window), CONFAB_TYPE_CHAT_VIEW);

  /* nobody assigned: the menu offers "Assign to Me", not "Unassign"; a click assigns */
  g_assert_null (menu_item (&app, "Unassign"));
  click (menu_item (&app, "Assign to Me"));
  wait_until ("the actions menu closed", popover_hidden,
              find_named (GTK_WIDGET (app.window), "conversation-actions"));
  took = g_strdup_printf ("%s took this", confab_client_get_user_name (client_of (&app)));
  t.texts[0] = took;
  wait_until ("the assignment in the chat", timeline_shown, &t);
  /* assigned to this agent: "Unassign" offered, "Assign to Me" not */
  g_assert_nonnull (menu_item (&app, "Unassign"));
  g_assert_null (menu_item (&app, "Assign to Me"));
  close_menu (&app);

  /* an answer, the visitor's thanks, then resolved */
  {
    g_autoptr (ConfabMessage) sent = NULL;
    g_autoptr (JsonObject) reached = NULL;
    g_autoptr (GError) error = NULL;

    sent = confab_client_send_message (client_of (&app), conversation_id,
                                       "So sorry! It left our warehouse today: it arrives on Friday.",
                                       &error);
    g_assert_no_error (error);
    reached = test_ws_wait_for (world->visitor, "message", TEST_TIMEOUT_MS);
    test_visitor_say (world->visitor, "Great, thank you!", NULL);
  }
  t.texts[1] = NULL;
  g_assert_true (wait_for_rows (&app, 4));
  g_assert_true (gtk_widget_activate_action (chat, "chat.resolve", NULL));
  resolved = g_strdup_printf ("Resolved by %s", confab_client_get_user_name (client_of (&app)));
  t.texts[1] = resolved;
  wait_until ("the resolution in the chat", timeline_shown, &t);
  test_ws_sendf (world->visitor, "{'type':'rate','score':4,'comment':'quick and helpful'}");
  t.texts[2] = "Rated 4/5 — “quick and helpful”";
  wait_until ("the rating in the chat", timeline_shown, &t);

  /* the badge on the row, the rating with its comment in the visitor pane */
  wait_until ("the rating badge on the row", badge_shown, &at);
  wait_until ("the rating in the visitor pane", pane_rating_shown, &app);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "conversation-timeline"));

  /* reopened by the agent: a fourth row, below the others */
  g_assert_true (gtk_widget_activate_action (chat, "chat.reopen", NULL));
  t.texts[3] = "Reopened by";
  wait_until ("the reopening in the chat", timeline_shown, &t);

  app_stop (&app);
}

/* --------------------------------------------------------------- alert --- */

typedef struct {
  NotificationServer *server;
  const char         *id;
} Shown;

/* The notification @id was shown; its title "Ann left a message". */
static gboolean
notified (gpointer data)
{
  Shown *shown = data;

  for (guint i = 0; i < shown->server->added->len; i++)
    {
      GVariant *call = g_ptr_array_index (shown->server->added, i);
      g_autoptr (GVariant) content = NULL;
      const char *call_id = NULL, *title = NULL;

      g_variant_get (call, "(&s&s@a{sv})", NULL, &call_id, &content);
      if (g_strcmp0 (call_id, shown->id) == 0 &&
          g_variant_lookup (content, "title", "&s", &title) &&
          g_strcmp0 (title, "Ann left a message") == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
offline_view_shows (gpointer data)
{
  AppText *at = data;
  GtkWidget *view = find_type (GTK_WIDGET (at->app->window), CONFAB_TYPE_OFFLINE_VIEW);

  return view != NULL && gtk_widget_get_mapped (view) &&
         g_strcmp0 (confab_offline_view_get_id (CONFAB_OFFLINE_VIEW (view)), at->text) == 0;
}

/* A message left while the agent works in another window: a notification, whose action opens
 * it in the Offline tab. */
static void
test_offline_alert (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) left = NULL;
  NotificationServer alerts;
  GtkWidget *elsewhere;
  App app = { 0 };
  AppText at;
  Shown shown;

  notification_server_start (&alerts);
  app_start (&app, world->relay, FALSE);
  g_object_set (confab_application_get_settings (app.app), "notifications", TRUE, NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  wait_until ("online", is_online, &app);
  x_focus (GTK_WINDOW (app.window));

  elsewhere = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (elsewhere), 120, 80);
  gtk_window_present (GTK_WINDOW (elsewhere));
  wait_until ("the other window", is_mapped, elsewhere);
  x_move_window (GTK_WINDOW (elsewhere), 1440, 880);
  x_focus (GTK_WINDOW (elsewhere));
  wait_until ("the app window unfocused", is_not_active, app.window);

  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Ann','email':'ann@b.test',"
                                 "'body':'Call me back, please'}");
  left = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
  shown = (Shown) { &alerts, test_obj_string (left, "id") };
  wait_until ("Ann's notification", notified, &shown);

  g_action_group_activate_action (G_ACTION_GROUP (app.app), "open-offline-message",
                                  g_variant_new_string (shown.id));
  at = (AppText) { &app, shown.id };
  wait_until ("the offline message open", offline_view_shows, &at);

  gtk_window_destroy (GTK_WINDOW (elsewhere));
  app_stop (&app);
  notification_server_stop (&alerts);
}

/* -------------------------------------------------------- pushed canned --- */

static gboolean
canned_listed (gpointer data)
{
  App *app = data;
  GtkWidget *list = find_named (GTK_WIDGET (app->window), "canned-list");
  GtkWidget *row = list != NULL ? gtk_widget_get_first_child (list) : NULL;
  GtkWidget *label = row != NULL ? gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row)) : NULL;

  return label != NULL && GTK_IS_LABEL (label) && gtk_widget_get_mapped (label) &&
         strstr (gtk_label_get_text (GTK_LABEL (label)), "/ship") != NULL;
}

static gboolean
composer_says (gpointer data)
{
  AppText *at = data;
  GtkWidget *composer = find_named (GTK_WIDGET (at->app->window), "composer");
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  return g_strcmp0 (text, at->text) == 0;
}

/* Whether docs/websocket.md, the reference of this tree's relay, has the pushed `canned`
 * frame. */
static gboolean docs_say (const char *file, const char *text);

static gboolean
relay_documents_canned_frames (void)
{
  return docs_say ("websocket.md", "| `canned` |");
}

/* Someone else adds a canned response while the agent has the "/" list open: the relay pushes
 * the site's list, the list shows it at once, and it goes into the composer — no restart. */
static void
test_pushed_canned (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr (TestResponse) created = NULL;
  g_autoptr (JsonObject) pushed = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  const char *body = "We ship to Norway within three days.";
  App app = { 0 };
  AppText at;

  test_visitor_say (world->visitor, "Do you ship to Norway?", &conversation_id);
  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation listed", row_shown, &at);
  x_focus (GTK_WINDOW (app.window));
  click (conversation_row (&app, conversation_id));
  wait_until ("the conversation open", conversation_open, &at);
  click (find_named (GTK_WIDGET (app.window), "composer"));
  x_key ("slash");
  at = (AppText) { &app, "/" };
  wait_until ("the composer's /", composer_says, &at);
  settle (300);
  g_assert_false (canned_listed (&app));

  /* another session of the site's admins adds one */
  path = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
  {
    g_autofree char *json = g_strdup_printf ("{\"shortcut\":\"ship\",\"body\":\"%s\"}", body);

    created = test_http (world->relay, "POST", path, world->token, json, NULL);
  }
  g_assert_cmpuint (created->status, ==, 201);
  pushed = test_ws_find (world->agent, "canned", 3000);
  if (pushed == NULL && !relay_documents_canned_frames ())
    {
      /* A tree whose relay does not push these lists yet (the relay side of issue 10 came on
       * another branch): nothing to follow. Once docs/websocket.md has the frame, the relay
       * must send it and the app must follow it. */
      g_test_message ("this relay does not push canned lists over /ws/agent: not tested");
      app_stop (&app);
      return;
    }
  g_assert_nonnull (pushed);

  wait_until ("the new canned response in the open list", canned_listed, &app);
  x_key ("s");
  wait_until ("still listed for /s", canned_listed, &app);
  x_key ("Return");
  at = (AppText) { &app, body };
  wait_until ("the canned response in the composer", composer_says, &at);

  app_stop (&app);
}

/* ------------------------------------------------------- assign on reply --- */

static gboolean
chat_subtitle_is (gpointer data)
{
  AppText *at = data;
  GtkWidget *chat = find_type (GTK_WIDGET (at->app->window), CONFAB_TYPE_CHAT_VIEW);
  GtkWidget *title = find_type (chat, ADW_TYPE_WINDOW_TITLE);

  return title != NULL &&
         g_strcmp0 (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (title)), at->text) == 0;
}

static gboolean
docs_say (const char *file,
          const char *text)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", file, NULL);
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return strstr (contents, text) != NULL;
}

/* The agent answers an unassigned conversation: the relay assigns it to them (the site
 * setting assign_on_reply, on by default), and the app follows its events — the header names
 * them, the timeline says it, the menu offers Unassign. */
static void
test_assign_on_reply (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *took = NULL;
  g_autofree char *subtitle = NULL;
  App app = { 0 };
  AppText at;
  Timeline t = { &app, { NULL } };

  test_visitor_say (world->visitor, "Is anyone there?", &conversation_id);
  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation listed", row_shown, &at);
  x_focus (GTK_WINDOW (app.window));
  click (conversation_row (&app, conversation_id));
  wait_until ("the conversation open", conversation_open, &at);
  at = (AppText) { &app, "Open · Unassigned" };
  wait_until ("unassigned in the header", chat_subtitle_is, &at);
  g_assert_null (menu_item (&app, "Unassign"));
  close_menu (&app);

  click (find_named (GTK_WIDGET (app.window), "composer"));
  x_key ("shift+h");
  x_key ("i");
  x_key ("Return");
  answer = test_ws_wait_for (world->visitor, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (answer, "body"), ==, "Hi");

  if (!docs_say ("http-api.md", "| `assign_on_reply` |"))
    {
      /* a relay from before assign-on-reply (it came on another branch of issue 10) */
      g_test_message ("this relay does not assign on reply: not tested");
      app_stop (&app);
      return;
    }
  subtitle = g_strdup_printf ("Open · %s", confab_client_get_user_name (client_of (&app)));
  at = (AppText) { &app, subtitle };
  wait_until ("the replier in the header", chat_subtitle_is, &at);
  took = g_strdup_printf ("%s took this", confab_client_get_user_name (client_of (&app)));
  t.texts[0] = took;
  wait_until ("the assignment in the chat", timeline_shown, &t);
  g_assert_nonnull (menu_item (&app, "Unassign"));
  close_menu (&app);

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
  test_harness_add ("/desktop/unseen-ui/offline-message", test_offline_message);
  test_harness_add ("/desktop/unseen-ui/rated-timeline", test_rated_timeline);
  test_harness_add ("/desktop/unseen-ui/offline-alert", test_offline_alert);
  test_harness_add ("/desktop/unseen-ui/pushed-canned", test_pushed_canned);
  test_harness_add ("/desktop/unseen-ui/assign-on-reply", test_assign_on_reply);

  return g_test_run ();
}
