/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-input.c: the real app (in-process, under Xvfb, with a real keyring) driven by
 * real X input — xdotool's XTEST pointer and key events, not emitted signals — against a real
 * relay with conversations made by scripted visitors: hovering the inbox opens nothing, a burst
 * keeps the chat at the bottom (or shows the "new messages" pill), the conversation shortcuts,
 * reading from an unfocused window or a notification, one notification per event, and the first
 * screen at the default size. Every Gtk-CRITICAL or warning fails the test (g_test_init makes
 * them fatal), so these runs also prove the app logs none while the open conversation changes. */
#define G_LOG_DOMAIN "test-desktop-input"

#include "confab-chat-view.h"
#include "confab-client.h"
#include "confab-settings.h"
#include "test-desktop-app-util.h"

typedef struct {
  TestRelay  *relay;
  const char *token;
  const char *conversation_id;
} Unread;

static gboolean
relay_read (gpointer data)
{
  Unread *u = data;

  return relay_unread (u->relay, u->token, u->conversation_id) == 0;
}

typedef struct {
  App        *app;
  const char *conversation_id;
} RowOf;

static gboolean
row_shown (gpointer data)
{
  RowOf *r = data;

  return conversation_row (r->app, r->conversation_id) != NULL;
}

/* Clicks the middle of @conversation_id's row. */
static void
click_row (App        *app,
           const char *conversation_id)
{
  RowOf r = { app, conversation_id };
  GtkWidget *row;

  wait_until ("the conversation's row", row_shown, &r);
  row = conversation_row (app, conversation_id);
  x_click (row, gtk_widget_get_width (row) / 2.0, gtk_widget_get_height (row) / 2.0);
}

/* A world with @n visitors who each wrote a message; the app signed in and focused. */
static TestWs **
start_with_visitors (TestWorld *world,
                     App       *app,
                     guint      n,
                     char     **ids)
{
  static const char *names[] = { "Ada", "Ben", "Cleo", "Dan", "Eve", "Finn" };
  TestWs **visitors = g_new0 (TestWs *, n + 1);
  g_autofree char *count = g_strdup_printf ("%u", n);
  AppText at;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (names));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = g_strdup_printf ("https://shop.example/%s", names[i]);
      g_autofree char *first = g_strdup_printf ("Hello, this is %s", names[i]);

      visitors[i] = visitor_new (world->relay, world->site_key, url, names[i], "Europe/Paris", NULL,
                                 first, NULL, &ids[i]);
    }
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
  at = (AppText) { app, count };
  wait_until ("every conversation listed", has_n_conversations, &at);
  x_focus (GTK_WINDOW (app->window));
  return visitors;
}

static void
free_visitors (TestWs **visitors)
{
  for (guint i = 0; visitors[i] != NULL; i++)
    test_ws_free (visitors[i]);
  g_free (visitors);
}

/* ------------------------------------------------------------- hover --- */

/* The pointer moving over the inbox opens nothing and reads nothing; a click opens (and reads)
 * the conversation under it, and so does Enter on a row. */
static void
test_hover_opens_nothing (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  char *ids[4] = { NULL };
  App app = { 0 };
  TestWs **visitors = start_with_visitors (world, &app, 3, ids);
  GtkWidget *list = find_named (GTK_WIDGET (app.window), "conversation-list");
  AppText at;
  Unread u;

  g_assert_null (confab_window_get_conversation_id (app.window));
  /* across every row, slowly, and back */
  for (int y = 2; y < gtk_widget_get_height (list); y += 9)
    x_move (list, gtk_widget_get_width (list) / 2.0, y);
  for (int y = gtk_widget_get_height (list) - 2; y > 0; y -= 17)
    x_move (list, 40, y);
  settle (500);
  g_assert_null (confab_window_get_conversation_id (app.window));
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (relay_unread (world->relay, world->token, ids[i]), ==, 1);

  /* a click opens the row under the pointer and reads it */
  click_row (&app, ids[1]);
  at = (AppText) { &app, ids[1] };
  wait_until ("the clicked conversation open", conversation_open, &at);
  u = (Unread) { world->relay, world->token, ids[1] };
  wait_until ("the clicked conversation read on the relay", relay_read, &u);
  /* hovering another row now changes nothing either */
  {
    GtkWidget *row = conversation_row (&app, ids[2]);

    g_assert_nonnull (row);
    x_move (row, 30, gtk_widget_get_height (row) / 2.0);
    x_move (row, 60, gtk_widget_get_height (row) / 2.0 + 3);
  }
  settle (500);
  g_assert_cmpstr (confab_window_get_conversation_id (app.window), ==, ids[1]);
  g_assert_cmpint (relay_unread (world->relay, world->token, ids[2]), ==, 1);
  g_assert_cmpint (relay_unread (world->relay, world->token, ids[0]), ==, 1);

  app_stop (&app);
  free_visitors (visitors);
  for (guint i = 0; i < 3; i++)
    g_free (ids[i]);
}

/* ------------------------------------------------------------- bursts --- */

/* A mapped label saying @text under @root, NULL when none. */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  App        *app;
  const char *text;   /* a message body */
  guint       n;      /* messages in the open conversation */
} Shown;

static GtkWidget *
message_list (App *app)
{
  return find_named (GTK_WIDGET (app->window), "message-list");
}

static GtkAdjustment *
chat_adjustment (App *app)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (message_list (app)));
}

static guint
n_messages (App *app)
{
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (message_list (app)))));
}

static gboolean
has_n_messages (gpointer data)
{
  Shown *s = data;

  return n_messages (s->app) == s->n;
}

/* The message @text is wholly inside the chat's visible area. */
static gboolean
message_in_view (gpointer data)
{
  Shown *s = data;
  GtkWidget *list = message_list (s->app);
  GtkWidget *label = find_label (list, s->text);
  graphene_rect_t bounds;

  /* laid out (a row just made has no size yet), and wholly inside */
  if (label == NULL || !gtk_widget_compute_bounds (label, list, &bounds) || bounds.size.height < 1)
    return FALSE;
  return bounds.origin.y >= -1 && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list) + 1;
}

static gboolean
at_bottom (gpointer data)
{
  GtkAdjustment *adj = chat_adjustment (data);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
         gtk_adjustment_get_upper (adj) - 1;
}

static gboolean
at_top (gpointer data)
{
  return gtk_adjustment_get_value (chat_adjustment (data)) < 1;
}

static gboolean
pill_shown (gpointer data)
{
  Named named = { GTK_WIDGET (((App *) data)->window), "new-messages-pill" };

  return named_visible (&named);
}

static gboolean
pill_hidden (gpointer data)
{
  return !pill_shown (data);
}

/* @n messages @gap_ms apart, each "@prefix N", while the app runs. */
static void
burst (TestWs     *visitor,
       const char *prefix,
       guint       first,
       guint       n,
       guint       gap_ms)
{
  for (guint i = first; i < first + n; i++)
    {
      test_ws_sendf (visitor, "{'type':'message','client_id':'%s','body':'%s %u'}", test_client_id (),
                     prefix, i);
      settle (gap_ms);
    }
}

/* 60 messages 15 ms apart leave the last in view; scrolled up, the view stays where the agent
 * put it and a "new messages" pill shows, which goes to the bottom when clicked. */
static void
test_burst_sticks_to_bottom (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  char *ids[2] = { NULL };
  App app = { 0 };
  TestWs **visitors = start_with_visitors (world, &app, 1, ids);
  AppText at = { &app, ids[0] };
  Shown shown;
  double value;

  click_row (&app, ids[0]);
  wait_until ("the conversation open", conversation_open, &at);
  shown = (Shown) { &app, "Hello, this is Ada", 1 };
  wait_until ("the first message", has_n_messages, &shown);

  burst (visitors[0], "Burst message", 1, 60, 15);
  shown = (Shown) { &app, "Burst message 60", 61 };
  wait_until ("the whole burst in the chat", has_n_messages, &shown);
  wait_until ("the burst's last message in view", message_in_view, &shown);
  wait_until ("the chat at its bottom", at_bottom, &app);
  g_assert_false (pill_shown (&app));
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-burst-bottom"));

  /* the agent scrolls up to read: new messages neither move the view nor go unseen */
  x_scroll (message_list (&app), -8);
  settle (300);
  g_assert_false (at_bottom (&app));
  value = gtk_adjustment_get_value (chat_adjustment (&app));
  burst (visitors[0], "Later message", 1, 10, 15);
  shown = (Shown) { &app, "Later message 10", 71 };
  wait_until ("the later messages in the chat", has_n_messages, &shown);
  wait_until ("the new-messages pill", pill_shown, &app);
  settle (300);
  g_assert_cmpfloat (ABS (gtk_adjustment_get_value (chat_adjustment (&app)) - value), <, 1);
  g_assert_false (message_in_view (&shown));
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-burst-pill"));

  /* the pill goes to the newest and hides */
  {
    GtkWidget *pill = find_named (GTK_WIDGET (app.window), "new-messages-pill");

    x_click (pill, gtk_widget_get_width (pill) / 2.0, gtk_widget_get_height (pill) / 2.0);
  }
  wait_until ("the newest message in view", message_in_view, &shown);
  wait_until ("the pill gone", pill_hidden, &app);
  /* and the view follows again */
  burst (visitors[0], "Last message", 1, 5, 15);
  shown = (Shown) { &app, "Last message 5", 76 };
  wait_until ("the last messages in the chat", has_n_messages, &shown);
  wait_until ("the last message in view", message_in_view, &shown);

  app_stop (&app);
  free_visitors (visitors);
  g_free (ids[0]);
}

/* ------------------------------------------------------ inbox's start --- */

static GtkAdjustment *
list_adjustment (App *app)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (find_named (GTK_WIDGET (app->window),
                                                                     "conversation-list")));
}

static gboolean
list_at_start (gpointer data)
{
  return gtk_adjustment_get_value (list_adjustment (data)) < 1;
}

typedef struct {
  App        *app;
  GPtrArray  *visitors;   /* TestWs */
  GPtrArray  *ids;        /* char*, oldest first */
} Arrivals;

/* @n new visitors, each with a conversation, while the app runs. */
static void
arrive (TestWorld *world,
        Arrivals  *a,
        guint      n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *first = g_strdup_printf ("Question number %u", a->ids->len + 1);
      char *id = NULL;

      g_ptr_array_add (a->visitors, visitor_new (world->relay, world->site_key, "https://shop.example/",
                                                 "Shop", "Europe/Paris", NULL, first, NULL, &id));
      g_ptr_array_add (a->ids, id);
      settle (5);
    }
}

/* Rows arriving above keep the newest conversations in view (the list's start), unless the
 * agent scrolled down: then the rows they look at stay. */
static void
test_inbox_keeps_newest (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  char *ids[4] = { NULL };
  App app = { 0 };
  TestWs **visitors = start_with_visitors (world, &app, 3, ids);
  Arrivals a = { &app, g_ptr_array_new_with_free_func ((GDestroyNotify) test_ws_free),
                 g_ptr_array_new_with_free_func (g_free) };
  RowOf newest;
  AppText at;
  double value;

  arrive (world, &a, 30);
  at = (AppText) { &app, "33" };
  wait_until ("33 conversations", has_n_conversations, &at);
  newest = (RowOf) { &app, g_ptr_array_index (a.ids, a.ids->len - 1) };
  wait_until ("the newest conversation in view", row_shown, &newest);
  wait_until ("the inbox at its start", list_at_start, &app);
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-inbox-newest"));

  /* the agent scrolls down: arrivals above do not take the view back up */
  x_scroll (find_named (GTK_WIDGET (app.window), "conversation-list"), 6);
  settle (400);
  value = gtk_adjustment_get_value (list_adjustment (&app));
  g_assert_cmpfloat (value, >, 1);
  arrive (world, &a, 3);
  at = (AppText) { &app, "36" };
  wait_until ("36 conversations", has_n_conversations, &at);
  settle (400);
  g_assert_false (list_at_start (&app));
  newest = (RowOf) { &app, g_ptr_array_index (a.ids, a.ids->len - 1) };
  g_assert_false (row_shown (&newest));

  app_stop (&app);
  free_visitors (visitors);
  for (guint i = 0; i < 3; i++)
    g_free (ids[i]);
  g_ptr_array_unref (a.visitors);
  g_ptr_array_unref (a.ids);
}

/* ---------------------------------------------------------- shortcuts --- */

static gboolean
focus_in_composer (gpointer data)
{
  AppText at = { data, "composer" };

  return focus_in (&at);
}

/* Ctrl+Page Down / Ctrl+Page Up go to the next / previous conversation from the list and from
 * the composer; Home and End in the chat go to its first and last message at the first press. */
static void
test_shortcuts (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  char *ids[4] = { NULL };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  App app = { 0 };
  TestWs **visitors = NULL;
  GtkWidget *composer;
  AppText at;
  Shown shown;

  /* the first conversation long enough to scroll */
  visitors = start_with_visitors (world, &app, 3, ids);
  first = conversation_id_at (&app, 0);
  second = conversation_id_at (&app, 1);
  third = conversation_id_at (&app, 2);

  /* from the list */
  click_row (&app, first);
  at = (AppText) { &app, first };
  wait_until ("the first conversation", conversation_open, &at);
  /* the pointer resting on the visitor pane, which every change of conversation rebuilds */
  {
    Named named = { GTK_WIDGET (app.window), "visitor-name" };

    wait_until ("the visitor pane", named_visible, &named);
    x_move (find_named (GTK_WIDGET (app.window), "visitor-name"), 4, 4);
  }
  x_key ("ctrl+Next");
  at = (AppText) { &app, second };
  wait_until ("Ctrl+Page Down: the second conversation", conversation_open, &at);
  x_key ("ctrl+Next");
  at = (AppText) { &app, third };
  wait_until ("Ctrl+Page Down: the third conversation", conversation_open, &at);
  x_key ("ctrl+Prior");
  at = (AppText) { &app, second };
  wait_until ("Ctrl+Page Up: the second conversation", conversation_open, &at);

  /* from the composer, which keeps the focus */
  composer = find_named (GTK_WIDGET (app.window), "composer");
  x_click (composer, 20, gtk_widget_get_height (composer) / 2.0);
  wait_until ("the composer focused", focus_in_composer, &app);
  x_key ("ctrl+Prior");
  at = (AppText) { &app, first };
  wait_until ("Ctrl+Page Up from the composer: the first conversation", conversation_open, &at);
  x_key ("ctrl+Next");
  at = (AppText) { &app, second };
  wait_until ("Ctrl+Page Down from the composer: the second conversation", conversation_open, &at);

  /* Home and End in a long chat, at the first press */
  for (guint i = 0; visitors[i] != NULL; i++)
    if (g_strcmp0 (ids[i], second) == 0)
      burst (visitors[i], "Line", 1, 40, 5);
  shown = (Shown) { &app, "Line 40", 41 };
  wait_until ("the long chat", has_n_messages, &shown);
  wait_until ("the chat at its end", message_in_view, &shown);
  {
    GtkWidget *list = message_list (&app);

    x_click (list, gtk_widget_get_width (list) / 2.0, gtk_widget_get_height (list) / 2.0);
  }
  x_key ("Home");
  wait_until ("Home: the chat's first message", at_top, &app);
  x_key ("End");
  wait_until ("End: the chat's last message", message_in_view, &shown);
  g_assert_cmpstr (confab_window_get_conversation_id (app.window), ==, second);

  app_stop (&app);
  free_visitors (visitors);
  for (guint i = 0; i < 3; i++)
    g_free (ids[i]);
}

/* ------------------------------------------------------- first screen --- */

static gboolean
window_gone (gpointer data)
{
  return confab_application_get_window (data) == NULL;
}

typedef struct {
  GtkWidget *widget;
  int        width;
  int        height;
} Size;

static gboolean
has_size (gpointer data)
{
  Size *s = data;

  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (s->widget));

  /* the X window's size; the widget's is less its client-side decorations' margins */
  return surface != NULL && gdk_surface_get_width (surface) == s->width &&
         gdk_surface_get_height (surface) == s->height;
}

/* The inbox (list and conversation) is visible at the default size, light and dark; a narrow
 * window still shows the list; the size is remembered across a restart, also after Ctrl+Q. */
static void
test_first_screen (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) ada = NULL;
  g_autoptr (TestWs) ben = NULL;
  g_autofree char *ada_id = NULL;
  g_autofree char *ben_id = NULL;
  GtkWidget *list, *chat;
  App app = { 0 };
  AppText at;
  Size size;
  int width = 0, height = 0;

  ada = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Paris",
                     NULL, "Do you ship to Norway?", NULL, &ada_id);
  ben = visitor_new (world->relay, world->site_key, "https://shop.example/cart", "Cart",
                     "Europe/Berlin", NULL, "My cart is empty after login", NULL, &ben_id);
  app_start (&app, world->relay, FALSE);
  /* the schema's defaults, as on a first start */
  g_object_set (confab_application_get_settings (app.app), "window-width", 1100,
                "window-height", 720, NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, "2" };
  wait_until ("both conversations", has_n_conversations, &at);
  x_focus (GTK_WINDOW (app.window));
  size = (Size) { GTK_WIDGET (app.window), 1100, 720 };
  wait_until ("the window at 1100×720", has_size, &size);
  settle (300);

  list = find_named (GTK_WIDGET (app.window), "conversation-list");
  chat = GTK_WIDGET (find_type (GTK_WIDGET (app.window), CONFAB_TYPE_CHAT_VIEW));
  g_assert_true (gtk_widget_get_mapped (list));
  g_assert_cmpint (gtk_widget_get_width (list), >=, 300);
  g_assert_true (gtk_widget_get_mapped (chat));
  g_assert_cmpint (gtk_widget_get_width (chat), >=, 360);
  g_assert_nonnull (conversation_row (&app, ada_id));
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-first-screen"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-first-screen-dark"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* narrow: one pane, the inbox */
  x_resize (GTK_WINDOW (app.window), 560, 720);
  size = (Size) { GTK_WIDGET (app.window), 560, 720 };
  wait_until ("the window at 560×720", has_size, &size);
  settle (300);
  g_assert_true (gtk_widget_get_mapped (list));
  g_assert_nonnull (conversation_row (&app, ada_id));
  g_free (save_screenshot (GTK_WIDGET (app.window), "input-narrow"));
  /* a click opens the conversation in the one pane, whose back button goes back to the list */
  click_row (&app, ben_id);
  at = (AppText) { &app, ben_id };
  wait_until ("Ben's conversation", conversation_open, &at);
  settle (300);
  g_assert_true (gtk_widget_get_mapped (chat));
  g_assert_false (gtk_widget_get_mapped (list));

  /* a size the agent chose, then Ctrl+Q */
  x_resize (GTK_WINDOW (app.window), 1240, 760);
  size = (Size) { GTK_WIDGET (app.window), 1240, 760 };
  wait_until ("the window at 1240×760", has_size, &size);
  settle (200);
  x_key ("ctrl+q");
  wait_until ("the app quit", window_gone, app.app);
  app.window = NULL;
  main_window = NULL;
  g_object_get (confab_application_get_settings (app.app), "window-width", &width,
                "window-height", &height, NULL);
  g_assert_cmpint (width, ==, 1240);
  g_assert_cmpint (height, ==, 760);
  g_clear_object (&app.app);

  /* the next start: that size (the settings backend lives as long as the process; the first
   * app's D-Bus object path is still taken, hence another id) */
  app.app = confab_application_new ("chat.confab.Confab.Test2", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app.app), NULL, NULL));
  app_activate (&app);
  size = (Size) { GTK_WIDGET (app.window), 1240, 760 };
  wait_until ("the window at the remembered 1240×760", has_size, &size);
  app_stop (&app);
}

/* ------------------------------------------- unfocused, notifications --- */

typedef NotificationServer Alerts;

/* How many times a notification with @id was shown; the last one's content in @out_last. */
static guint
times_notified (Alerts     *alerts,
                const char *id,
                GVariant  **out_last)
{
  guint n = 0;

  for (guint i = 0; i < alerts->added->len; i++)
    {
      GVariant *call = g_ptr_array_index (alerts->added, i);
      const char *call_id = NULL;

      g_variant_get (call, "(&s&s@a{sv})", NULL, &call_id, NULL);
      if (g_strcmp0 (call_id, id) == 0)
        {
          n++;
          if (out_last != NULL)
            {
              g_clear_pointer (out_last, g_variant_unref);
              *out_last = g_variant_get_child_value (call, 2);
            }
        }
    }
  return n;
}

typedef struct {
  Alerts     *alerts;
  const char *id;
  guint       times;   /* 0 counts as 1 */
} AlertId;

static gboolean
notified (gpointer data)
{
  AlertId *a = data;

  return times_notified (a->alerts, a->id, NULL) >= MAX (a->times, 1);
}

/* Withdrawn @times times (at least once). */
static gboolean
withdrawn (gpointer data)
{
  AlertId *a = data;
  guint n = 0;

  for (guint i = 0; i < a->alerts->removed->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a->alerts->removed, i), a->id) == 0)
      n++;
  return n >= MAX (a->times, 1);
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  g_variant_lookup (dict, key, "&s", &value);
  return value;
}

/* One notification per event (a new conversation with its first message is one), withdrawn
 * when the conversation is read; a conversation opened by a click while another window has the
 * focus, or from its notification, is read once the window has the focus. */
static void
test_unfocused_and_notifications (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  Alerts alerts;
  g_autoptr (TestWs) ada = NULL;
  g_autoptr (TestWs) hana = NULL;
  g_autoptr (GVariant) shown = NULL;
  g_autofree char *ada_id = NULL;
  g_autofree char *hana_id = NULL;
  GtkWidget *elsewhere;
  App app = { 0 };
  AppText at;
  AlertId alert;
  Unread u;

  notification_server_start (&alerts);

  ada = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Paris",
                     NULL, "Hello", NULL, &ada_id);
  app_start (&app, world->relay, FALSE);
  g_object_set (confab_application_get_settings (app.app), "notifications", TRUE, NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, "1" };
  wait_until ("Ada's conversation", has_n_conversations, &at);
  x_focus (GTK_WINDOW (app.window));

  /* the agent is in another window, beside the app's */
  elsewhere = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (elsewhere), 120, 80);
  gtk_window_present (GTK_WINDOW (elsewhere));
  wait_until ("the other window", is_mapped, elsewhere);
  x_move_window (GTK_WINDOW (elsewhere), 1440, 880);
  x_focus (GTK_WINDOW (elsewhere));
  wait_until ("the app window unfocused", is_not_active, app.window);

  /* a new conversation: one notification, with the visitor's first words */
  hana = visitor_new (world->relay, world->site_key, "https://shop.example/teapots", "Teapots",
                      "Europe/Paris", NULL, "Is the blue teapot in stock?", NULL, &hana_id);
  alert = (AlertId) { &alerts, hana_id };
  wait_until ("Hana's notification", notified, &alert);
  /* Ada writes again: one notification */
  test_ws_sendf (ada, "{'type':'message','client_id':'%s','body':'Anyone there?'}", test_client_id ());
  alert = (AlertId) { &alerts, ada_id };
  wait_until ("Ada's notification", notified, &alert);
  settle (1500);
  g_assert_cmpuint (times_notified (&alerts, hana_id, &shown), ==, 1);
  g_assert_cmpstr (lookup_string (shown, "body"), ==, "Is the blue teapot in stock?");
  g_assert_cmpstr (lookup_string (shown, "default-action"), ==, "app.open-conversation");
  g_assert_cmpuint (times_notified (&alerts, ada_id, &shown), ==, 1);
  g_assert_cmpstr (lookup_string (shown, "body"), ==, "Anyone there?");
  g_assert_cmpuint (alerts.added->len, ==, 2);

  /* a click on Ada's row while the other window has the focus: it opens, and it is read once
   * the window has the focus, which a window manager gives it on that click */
  click_row (&app, ada_id);
  at = (AppText) { &app, ada_id };
  wait_until ("Ada's conversation open", conversation_open, &at);
  g_assert_false (gtk_window_is_active (GTK_WINDOW (app.window)));
  g_assert_cmpint (relay_unread (world->relay, world->token, ada_id), >, 0);
  x_focus (GTK_WINDOW (app.window));
  u = (Unread) { world->relay, world->token, ada_id };
  wait_until ("Ada's conversation read on the relay", relay_read, &u);
  alert = (AlertId) { &alerts, ada_id };
  wait_until ("Ada's notification withdrawn", withdrawn, &alert);

  /* Hana's notification's action, as the notification server runs it, from the other window */
  x_focus (GTK_WINDOW (elsewhere));
  wait_until ("the app window unfocused", is_not_active, app.window);
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "open-conversation",
                                  g_variant_new_string (hana_id));
  at = (AppText) { &app, hana_id };
  wait_until ("Hana's conversation open", conversation_open, &at);
  /* the app asked to be raised; the window manager (here: xdotool) gives it the focus */
  x_focus (GTK_WINDOW (app.window));
  u = (Unread) { world->relay, world->token, hana_id };
  wait_until ("Hana's conversation read on the relay", relay_read, &u);
  alert = (AlertId) { &alerts, hana_id };
  wait_until ("Hana's notification withdrawn", withdrawn, &alert);
  g_assert_cmpuint (alerts.added->len, ==, 2);

  /* read on another of the agent's devices: the notification goes too */
  x_focus (GTK_WINDOW (elsewhere));
  wait_until ("the app window unfocused", is_not_active, app.window);
  test_ws_sendf (ada, "{'type':'message','client_id':'%s','body':'Still there?'}", test_client_id ());
  alert = (AlertId) { &alerts, ada_id, 2 };
  wait_until ("Ada's second notification", notified, &alert);
  {
    g_autoptr (TestWs) phone = test_ws_agent (world->relay, world->token);
    g_autoptr (JsonObject) synced = NULL;

    test_agent_subscribe (phone, 0, NULL);
    test_ws_sendf (phone, "{'type':'read','conversation_id':'%s','seq':%" G_GINT64_FORMAT "}", ada_id,
                   (gint64) 3);
    wait_until ("Ada's second notification withdrawn", withdrawn, &alert);
  }
  g_assert_cmpuint (alerts.added->len, ==, 3);

  gtk_window_destroy (GTK_WINDOW (elsewhere));
  app_stop (&app);
  notification_server_stop (&alerts);
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
  test_harness_add ("/desktop/input/hover-opens-nothing", test_hover_opens_nothing);
  test_harness_add ("/desktop/input/burst-sticks-to-bottom", test_burst_sticks_to_bottom);
  test_harness_add ("/desktop/input/inbox-keeps-newest", test_inbox_keeps_newest);
  test_harness_add ("/desktop/input/shortcuts", test_shortcuts);
  test_harness_add ("/desktop/input/unfocused-and-notifications", test_unfocused_and_notifications);
  test_harness_add ("/desktop/input/first-screen", test_first_screen);
  return g_test_run ();
}
