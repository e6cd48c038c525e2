/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-routing.c: issue 18 in the real app, against a real relay under Xvfb with fatal
 * criticals and real X input (xdotool): the inbox's Queue view (oldest first, the waiting time
 * ticking without the row being made again, a click opens it), the user's load ("1 of 1
 * chat"), the response target's badge on the row and in the chat header with its own sound,
 * and the Transfer dialog from the conversation's menu.
 *
 * The relay side of issue 18 is built on other branches at the same time (route: teams,
 * assignment, queue, transfer; sla: response targets). Each test drives the relay's routes
 * when it has them (GET …/teams answers, the site settings take first_response_seconds);
 * on a relay without them it gives the app the same fields as the relay would send them —
 * conversation objects and a site list with them, into the app's cache, as the client does
 * with the relay's frames — and says so in the log. */
#define G_LOG_DOMAIN "test-desktop-routing"

#include <string.h>

#include <gst/gst.h>

#include "confab-application.h"
#include "confab-cache.h"
#include "confab-client-routing.h"
#include "confab-conversation-row.h"
#include "confab-queue-view.h"
#include "confab-routing.h"
#include "confab-teams-page.h"
#include "confab-util.h"
#include "test-desktop-app-util.h"

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

/* Clicks @widget until @condition holds (a loaded machine may drop a click that lands while the
 * window is still being laid out), then waits for it as usual. */
static void
click_until_at (const char *file,
                int         line,
                const char *what,
                GtkWidget  *widget,
                Condition   condition,
                gpointer    data)
{
  for (guint attempt = 0; attempt < 4 && !condition (data); attempt++)
    {
      gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      click_middle (widget);
      while (!condition (data) && g_get_monotonic_time () < until)
        settle (50);
    }
  wait_until_at (file, line, what, condition, data);
}
#define click_until(what, widget, cond, data) click_until_at (__FILE__, __LINE__, (what), (widget), (cond), (data))

/* A mapped label saying @text under @root. */
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

/* A visible widget named @name (or, with a leading "=", a mapped label with that text) in
 * any window. */
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
      found = name[0] == '=' ? find_label (window, name + 1) : find_named (window, name);
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

/* ------------------------------------------------------------- relay --- */

static gboolean
relay_routes (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
  g_autoptr (TestResponse) probe = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  return probe->status == 200;
}

static guint
patch_site_settings (TestWorld  *world,
                     const char *settings)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings);
  g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  return response->status;
}

static char *
iso_in (gint64 ms_from_now)
{
  return confab_format_time (confab_now_ms () + ms_from_now);
}

/* The conversation as the cache has it, with @extra members (a JSON object's inside, routing
 * fields as the relay sends them) into the cache: what the client does with a frame. */
static void
give_fields (App        *app,
             const char *conversation_id,
             const char *extra)
{
  g_autoptr (ConfabConversation) c = confab_cache_get_conversation (cache_of (app), conversation_id);
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (c);
  json = g_strdup_printf ("{\"id\":\"%s\",\"site_id\":\"%s\",\"visitor_id\":\"%s\",\"status\":\"%s\",%s}",
                          confab_conversation_get_id (c), confab_conversation_get_site_id (c),
                          confab_conversation_get_visitor_id (c), confab_conversation_get_status (c),
                          extra);
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  if (confab_conversation_get_assignee_id (c) != NULL &&
      !json_object_has_member (json_node_get_object (node), "assignee"))
    {
      JsonObject *assignee = json_object_new ();

      json_object_set_string_member (assignee, "id", confab_conversation_get_assignee_id (c));
      json_object_set_string_member (assignee, "name", confab_conversation_get_assignee_name (c));
      json_object_set_object_member (json_node_get_object (node), "assignee", assignee);
    }
  g_assert_true (confab_cache_apply_conversation (cache_of (app), json_node_get_object (node), 0, &error));
  g_assert_no_error (error);
}

/* The site list as a routing relay sends it: the user's own limit on the site. */
static void
give_limit (App       *app,
            TestWorld *world,
            int        max_chats)
{
  g_autofree char *json = g_strdup_printf ("[{\"id\":\"%s\",\"name\":\"Site a\",\"role\":\"owner\","
                                           "\"max_chats\":%d}]", world->site_id, max_chats);
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_cache_replace_sites (cache_of (app), json_node_get_array (node), &error));
  g_assert_no_error (error);
}

/* -------------------------------------------------------------- views --- */

static ConfabQueueView *
queue_view (App *app)
{
  return CONFAB_QUEUE_VIEW (find_type (GTK_WIDGET (app->window), CONFAB_TYPE_QUEUE_VIEW));
}

static AdwViewStackPage *
queue_page (App *app)
{
  GtkWidget *view = GTK_WIDGET (queue_view (app));
  AdwViewStack *stack = ADW_VIEW_STACK (gtk_widget_get_ancestor (view, ADW_TYPE_VIEW_STACK));

  return adw_view_stack_get_page (stack, view);
}

static gboolean
queue_tab_shown (gpointer data)
{
  AdwViewStackPage *page = queue_page (data);

  return adw_view_stack_page_get_visible (page) && adw_view_stack_page_get_badge_number (page) >= 1;
}

/* Condition: the Queue tab shows with nobody waiting (a routing site), and the window has laid
 * out the four tabs. */
static gboolean
queue_tab_empty_shown (gpointer data)
{
  App *app = data;
  AdwViewStackPage *page = queue_page (app);
  GtkWidget *switcher = find_type (GTK_WIDGET (app->window), ADW_TYPE_VIEW_SWITCHER);
  GtkWidget *label = find_label (switcher, "Queue");

  return adw_view_stack_page_get_visible (page) && adw_view_stack_page_get_badge_number (page) == 0 &&
         label != NULL && gtk_widget_get_mapped (label);
}

static gboolean
queue_has_one (gpointer data)
{
  return confab_queue_view_get_n_items (queue_view (data)) == 1;
}

typedef struct {
  App        *app;
  const char *text;
} Says;

static gboolean
load_says (gpointer data)
{
  Says *s = data;
  GtkWidget *label = find_named (GTK_WIDGET (s->app->window), "load-label");

  return label != NULL && gtk_widget_get_visible (label) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), s->text) == 0;
}

typedef struct {
  App        *app;
  const char *id;
  GtkLabel   *label;
  char       *text;
} Tick;

static gboolean
wait_label_shown (gpointer data)
{
  Tick *t = data;

  t->label = confab_queue_view_get_wait_label (queue_view (t->app), t->id);
  return t->label != NULL && gtk_widget_get_mapped (GTK_WIDGET (t->label));
}

static gboolean
wait_ticked (gpointer data)
{
  Tick *t = data;

  return g_strcmp0 (gtk_label_get_text (t->label), t->text) != 0;
}

static gboolean
is_open (gpointer data)
{
  AppText *at = data;

  return conversation_open (at);
}

/* The queue's tab in the view switcher (Inbox, Offline, Visitors, Queue). */
static GtkWidget *
queue_tab (App *app)
{
  GtkWidget *switcher = find_type (GTK_WIDGET (app->window), ADW_TYPE_VIEW_SWITCHER);

  g_assert_nonnull (switcher);
  return find_label (switcher, "Queue");
}

/* ----------------------------------------------------------- the queue --- */

/* Two visitors, the user takes one chat at most: the first is the user's, the second waits.
 * The Queue tab shows with a count, the load says "1 of 1 chat", the row's waiting time ticks
 * each second in the same label (no new row), and a click on it opens the conversation. */
static void
test_queue_view (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) ann = NULL;
  g_autoptr (TestWs) bo = NULL;
  g_autofree char *ann_conversation = NULL;
  g_autofree char *bo_conversation = NULL;
  gboolean routes = relay_routes (world);
  Says load;
  Tick tick = { 0 };
  AppText open;
  App app = { 0 };

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  if (routes)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members/%s", world->site_id, world->user_id);
      g_autoptr (TestResponse) limit = test_http (world->relay, "PATCH", path, world->token,
                                                  "{\"max_chats\":1}", NULL);

      g_assert_cmpint (limit->status, ==, 200);
      g_assert_cmpint (patch_site_settings (world, "{\"assignment\":\"round_robin\"}"), ==, 200);
    }
  else
    g_test_message ("the relay has no routing yet (route branch): the app gets the fields in its cache");

  if (routes)
    {
      AdwFlap *flap = ADW_FLAP (find_type (GTK_WIDGET (app.window), ADW_TYPE_FLAP));

      /* the Queue tab of a routing site before anyone waits, and its four tabs leave the sites
       * beside the inbox on the 1360 px window (a fourth tab of the view switcher's width
       * folded them away) */
      wait_until ("the Queue tab with nobody waiting", queue_tab_empty_shown, &app);
      wait_for_frames (GTK_WIDGET (app.window));
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (app.window)), <=, 1360);
      g_assert_false (adw_flap_get_folded (flap));
      g_assert_true (adw_flap_get_reveal_flap (flap));
      g_assert_true (gtk_widget_get_mapped (find_named (GTK_WIDGET (app.window), "sites-list")));
    }

  ann = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Berlin",
                     NULL, "Is the blue one in stock?", NULL, &ann_conversation);
  /* later in the queue than Ann's would be */
  test_sleep_ms (50);
  bo = visitor_new (world->relay, world->site_key, "https://shop.example/returns", "Returns",
                    "Europe/Paris", NULL, "How do I send it back?", NULL, &bo_conversation);
  if (!routes)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *queued_at = iso_in (-65 * 1000);
      g_autofree char *fields = g_strdup_printf ("\"queued_at\":\"%s\",\"queue_position\":1,"
                                                 "\"team\":{\"id\":\"team_1\",\"key\":\"returns\","
                                                 "\"name\":\"Returns\"}", queued_at);
      AppText two = { &app, "2" };

      wait_until ("both conversations in the app", has_n_conversations, &two);
      /* Ann's is the user's (a real assign on the relay), Bo's waits */
      g_assert_true (confab_client_assign (client_of (&app), ann_conversation,
                                           confab_client_get_user_id (client_of (&app)), &error));
      g_assert_no_error (error);
      give_fields (&app, bo_conversation, fields);
      give_limit (&app, world, 1);
    }

  wait_until ("the Queue tab with its count", queue_tab_shown, &app);
  wait_until ("one queued conversation", queue_has_one, &app);
  load = (Says) { &app, "1 of 1 chat" };
  wait_until ("the load", load_says, &load);

  x_focus (GTK_WINDOW (app.window));
  settle (200);
  tick = (Tick) { &app, bo_conversation, NULL, NULL };
  click_until ("Bo's row with its waiting time", gtk_widget_get_ancestor (queue_tab (&app), GTK_TYPE_BUTTON),
               wait_label_shown, &tick);
  tick.text = g_strdup (gtk_label_get_text (tick.label));
  g_assert_true (strchr (tick.text, ':') != NULL);
  {
    GtkLabel *before = tick.label;

    wait_until ("the waiting time ticking", wait_ticked, &tick);
    /* the same label: the clock is no rebuild */
    g_assert_true (confab_queue_view_get_wait_label (queue_view (&app), bo_conversation) == before);
  }
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "queue-view"));
  save_dark_and_narrow (GTK_WINDOW (app.window), "queue-view");

  click_middle (gtk_widget_get_parent (GTK_WIDGET (tick.label)));
  open = (AppText) { &app, bo_conversation };
  wait_until ("Bo's conversation open", is_open, &open);

  g_free (tick.text);
  app_stop (&app);
}

/* --------------------------------------------------------- target badge --- */

typedef struct {
  GMutex     lock;
  GPtrArray *sounds;
} Sounds;

static GstPadProbeReturn
on_sink_event (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  Sounds *sounds = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_STREAM_START)
    return GST_PAD_PROBE_OK;
  for (GstObject *object = gst_pad_get_parent (pad); object != NULL;)
    {
      GstObject *parent;

      if (g_strcmp0 (G_OBJECT_TYPE_NAME (object), "GstPlayBin") == 0)
        {
          char *uri = NULL;

          g_object_get (object, "current-uri", &uri, NULL);
          g_mutex_lock (&sounds->lock);
          g_ptr_array_add (sounds->sounds, uri);
          g_mutex_unlock (&sounds->lock);
          gst_object_unref (object);
          break;
        }
      parent = gst_object_get_parent (object);
      gst_object_unref (object);
      object = parent;
    }
  return GST_PAD_PROBE_OK;
}

static gboolean
target_sound_played (gpointer data)
{
  Sounds *sounds = data;
  gboolean found = FALSE;

  g_mutex_lock (&sounds->lock);
  for (guint i = 0; i < sounds->sounds->len; i++)
    found |= g_str_has_suffix (g_ptr_array_index (sounds->sounds, i), "/target-near.oga");
  g_mutex_unlock (&sounds->lock);
  return found;
}

static void
collect_rows (GtkWidget *root,
              GPtrArray *rows)
{
  if (CONFAB_IS_CONVERSATION_ROW (root))
    g_ptr_array_add (rows, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static ConfabConversationRow *
row_of (App        *app,
        const char *conversation_id)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();

  collect_rows (find_named (GTK_WIDGET (app->window), "conversation-list"), rows);
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (confab_conversation_row_get_conversation_id (rows->pdata[i]), conversation_id) == 0)
      return rows->pdata[i];
  return NULL;
}

typedef struct {
  App               *app;
  const char        *id;
  ConfabTargetState  state;
} Badge;

static gboolean
row_badge_is (gpointer data)
{
  Badge *b = data;
  ConfabConversationRow *row = row_of (b->app, b->id);

  return row != NULL && confab_conversation_row_get_target_state (row) == (int) b->state;
}

static gboolean
header_badge_is (gpointer data)
{
  Badge *b = data;
  GtkWidget *badge = find_named (GTK_WIDGET (b->app->window), "chat-target-badge");

  return badge != NULL && gtk_widget_get_mapped (badge) &&
         gtk_widget_has_css_class (badge, b->state == CONFAB_TARGET_NEAR ? "warning" : "error");
}

/* A first response target runs on a new conversation: when it turns near, the row and the
 * chat's header show a warning badge and the target sound plays (once); missed, both show an
 * error badge. */
static void
test_target_badge (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) cy = NULL;
  g_autofree char *conversation = NULL;
  Sounds sounds = { .sounds = g_ptr_array_new_with_free_func (g_free) };
  ConfabSoundPlayer *player;
  GstElement *sink;
  g_autoptr (GstPad) pad = NULL;
  gboolean targets;
  Badge badge;
  AppText open, one;
  App app = { 0 };

  g_mutex_init (&sounds.lock);
  /* a relay with targets takes the setting (10 s: near at 8 s, missed at 10 s) */
  targets = patch_site_settings (world, "{\"first_response_seconds\":10}") == 200;
  if (targets)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
      g_autoptr (TestResponse) site = test_http (world->relay, "GET", path, world->token, NULL, NULL);

      targets = test_obj_has (test_response_object (site), "settings.first_response_seconds");
    }
  if (!targets)
    g_test_message ("the relay has no response targets yet (sla branch): the app gets them in its cache");

  app_start (&app, world->relay, TRUE);
  player = confab_application_get_sound_player (app.app);
  g_assert_nonnull (player);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_assert_nonnull (sink);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, &sounds, NULL);
  confab_sound_player_set_audio_sink (player, sink);
  g_object_set (confab_application_get_settings (app.app), "sound-new-conversation", "off",
                "sound-new-message", "off", "sound-new-visitor", "off", NULL);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);

  cy = visitor_new (world->relay, world->site_key, "https://shop.example/", "Shop", "Europe/Rome",
                    NULL, "My order never came", NULL, &conversation);
  one = (AppText) { &app, "1" };
  wait_until ("the conversation in the app", has_n_conversations, &one);
  confab_window_open_conversation (app.window, conversation);
  open = (AppText) { &app, conversation };
  wait_until ("the conversation open", is_open, &open);

  if (!targets)
    {
      g_autofree char *due = iso_in (60 * 1000);
      g_autofree char *ok = g_strdup_printf ("\"target\":{\"kind\":\"first_response\",\"due_at\":\"%s\","
                                             "\"state\":\"ok\"}", due);
      g_autofree char *near = g_strdup_printf ("\"target\":{\"kind\":\"first_response\",\"due_at\":\"%s\","
                                               "\"state\":\"near\"}", due);

      give_fields (&app, conversation, ok);
      settle (200);
      g_assert_false (target_sound_played (&sounds));
      give_fields (&app, conversation, near);
    }
  badge = (Badge) { &app, conversation, CONFAB_TARGET_NEAR };
  wait_until ("the row's warning badge", row_badge_is, &badge);
  wait_until ("the header's warning badge", header_badge_is, &badge);
  wait_until ("the target sound", target_sound_played, &sounds);
  settle (200);
  g_free (save_screenshot (GTK_WIDGET (app.window), "target-near"));

  if (!targets)
    {
      g_autofree char *due = iso_in (-5 * 1000);
      g_autofree char *missed = g_strdup_printf ("\"target\":{\"kind\":\"first_response\",\"due_at\":\"%s\","
                                                 "\"state\":\"missed\"}", due);

      give_fields (&app, conversation, missed);
    }
  badge.state = CONFAB_TARGET_MISSED;
  wait_until ("the row's error badge", row_badge_is, &badge);
  wait_until ("the header's error badge", header_badge_is, &badge);

  app_stop (&app);
  g_ptr_array_unref (sounds.sounds);
  g_mutex_clear (&sounds.lock);
}

/* ------------------------------------------------------------- transfer --- */

typedef struct {
  char *code;
} RelayError;

static void
on_relay_error (ConfabClient *client,
                const char   *code,
                const char   *message,
                const char   *ref,
                RelayError   *e)
{
  g_free (e->code);
  e->code = g_strdup (code);
}

static gboolean
relay_answered (gpointer data)
{
  return ((RelayError *) data)->code != NULL;
}

typedef struct {
  TestWorld  *world;
  const char *conversation_id;
  const char *team_id;
} Transferred;

static gboolean
relay_has_team (gpointer data)
{
  Transferred *t = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", t->conversation_id);
  g_autoptr (TestResponse) response = test_http (t->world->relay, "GET", path, t->world->token, NULL, NULL);
  JsonObject *object = test_response_object (response);
  JsonNode *id = test_obj_lookup (object, "team.id");

  if (id == NULL)
    id = test_obj_lookup (object, "conversation.team.id");
  return id != NULL && g_strcmp0 (json_node_get_string (id), t->team_id) == 0;
}

/* The conversation's menu has "Transfer…" (a routing relay, online): the dialog lists the
 * site's teams, takes a note, and sends the transfer. With the route branch the relay gives the
 * conversation the team; without it the relay answers the frame (unknown_type), which shows it
 * went out. */
static void
test_transfer (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) dee = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *team_id = NULL;
  gboolean routes = relay_routes (world);
  RelayError relay_error = { 0 };
  GtkWidget *dialog, *note, *item;
  AppText open, one;
  App app = { 0 };

  if (routes)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
      g_autoptr (TestResponse) created = test_http (world->relay, "POST", path, world->token,
                                                    "{\"name\":\"Billing\"}", NULL);

      g_assert_cmpint (created->status, ==, 201);
      team_id = g_strdup (test_obj_string (test_response_object (created), "id"));
    }
  else
    {
      g_test_message ("the relay has no teams yet (route branch): the app gets them in its cache");
      team_id = g_strdup ("team_billing");
    }

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  g_signal_connect (client_of (&app), "relay-error", G_CALLBACK (on_relay_error), &relay_error);
  dee = visitor_new (world->relay, world->site_key, "https://shop.example/invoice", "Invoice",
                     "Europe/Madrid", NULL, "I was charged twice", NULL, &conversation);
  one = (AppText) { &app, "1" };
  wait_until ("the conversation in the app", has_n_conversations, &one);
  if (!routes)
    {
      g_autofree char *teams_json = g_strdup_printf ("[{\"id\":\"%s\",\"site_id\":\"%s\",\"key\":\"billing\","
                                                     "\"name\":\"Billing\",\"member_ids\":[],"
                                                     "\"assignment\":\"inherit\",\"first_response_seconds\":null,"
                                                     "\"next_response_seconds\":null}]",
                                                     team_id, world->site_id);
      g_autoptr (JsonNode) teams = json_from_string (teams_json, NULL);
      g_autoptr (GError) error = NULL;

      give_limit (&app, world, 0);
      g_assert_true (confab_cache_set_teams (cache_of (&app), world->site_id,
                                             json_node_get_array (teams), &error));
      g_assert_no_error (error);
    }
  confab_window_open_conversation (app.window, conversation);
  open = (AppText) { &app, conversation };
  wait_until ("the conversation open", is_open, &open);
  settle (200);

  x_focus (GTK_WINDOW (app.window));
  click_until ("the menu's Transfer…", wait_shown ("conversation-actions"), shown_anywhere, "=Transfer…");
  item = wait_shown ("=Transfer…");
  click_until ("the transfer dialog", item, shown_anywhere, "transfer-dialog");
  dialog = wait_shown ("transfer-dialog");
  x_focus (GTK_WINDOW (dialog));
  {
    GtkDropDown *target = GTK_DROP_DOWN (find_named (dialog, "transfer-target"));
    GtkStringObject *first = NULL;

    g_assert_nonnull (target);
    first = gtk_drop_down_get_selected_item (target);
    g_assert_nonnull (first);
    g_assert_cmpstr (gtk_string_object_get_string (first), ==, "Team: Billing");
  }
  note = find_named (dialog, "transfer-note");
  click_middle (note);
  x_type_text ("Charged twice, needs a refund");
  settle (300);
  g_free (save_screenshot (dialog, "transfer-dialog"));
  click_middle (find_button (dialog, "_Transfer"));
  wait_until ("the dialog closed", gone_everywhere, "transfer-dialog");

  if (routes)
    {
      Transferred t = { world, conversation, team_id };

      wait_until ("the conversation in the team, on the relay", relay_has_team, &t);
    }
  else
    {
      wait_until ("the relay's answer to the transfer frame", relay_answered, &relay_error);
      g_assert_cmpstr (relay_error.code, ==, "unknown_type");
    }
  g_free (relay_error.code);
  app_stop (&app);
}

/* ------------------------------------------------------------ teams page --- */

static gboolean
group_says_no_routing (gpointer data)
{
  GtkWidget *group = find_anywhere ("teams-group");
  const char *text = group != NULL ? adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)) : NULL;

  return text != NULL && strstr (text, "does not route") != NULL;
}

static gboolean
team_row_shown (gpointer data)
{
  return find_anywhere ("team-billing") != NULL;
}

/* The Teams page: a team added through its form shows as a row; opened, its assignment,
 * targets and members (the route branch's relay). On an older relay the page says the relay does
 * not route and shows no routing settings and no Add button; a teams frame's list (as a routing
 * relay pushes it) then shows them, each team's row opening on its assignment and members. */
static void
test_teams_page (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *teams_json = NULL;
  g_autoptr (JsonNode) teams = NULL;
  GtkWidget *window, *page, *dialog;
  App app = { 0 };

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  teams_json = g_strdup_printf ("[{\"id\":\"team_b\",\"site_id\":\"%s\",\"key\":\"billing\",\"name\":\"Billing\","
                                "\"member_ids\":[\"%s\"],\"assignment\":\"least_busy\",\"first_response_seconds\":120,"
                                "\"next_response_seconds\":null,\"created_at\":\"2026-12-07T10:00:00Z\"},"
                                "{\"id\":\"team_s\",\"site_id\":\"%s\",\"key\":\"sales\",\"name\":\"Sales\","
                                "\"member_ids\":[],\"assignment\":\"inherit\",\"first_response_seconds\":null,"
                                "\"next_response_seconds\":null,\"created_at\":\"2026-12-07T10:00:00Z\"}]",
                                world->site_id, world->user_id, world->site_id);
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
  if (!relay_routes (world))
    {
      /* an older relay: the page says so and offers nothing to change */
      wait_until ("the page saying the relay does not route", group_says_no_routing, NULL);
      g_assert_null (find_anywhere ("routing-group"));
      g_assert_null (find_anywhere ("teams-add-button"));
      /* a teams frame as a routing relay pushes it: the page shows routing and the teams */
      g_test_message ("the relay has no teams yet (route branch): the page gets a teams frame's list");
      teams = json_from_string (teams_json, NULL);
      g_signal_emit_by_name (client_of (&app), "teams-changed", world->site_id, json_node_get_array (teams));
      wait_shown ("routing-group");
      wait_shown ("teams-add-button");
      wait_until ("the team's row", team_row_shown, NULL);
      g_assert_nonnull (find_anywhere ("team-sales"));
      click_until ("the team opened", find_anywhere ("team-billing"), shown_anywhere, "team-assignment");
      g_assert_nonnull (find_anywhere ("team-member-check"));
      g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (find_anywhere ("team-member-check"))));
      settle (400);
      g_free (save_screenshot (window, "settings-teams"));
      gtk_window_destroy (GTK_WINDOW (window));
      app_stop (&app);
      return;
    }
  click_middle (wait_shown ("teams-add-button"));
  dialog = wait_shown ("edit-dialog");
  click_middle (find_named (dialog, "team-name-entry"));
  x_type_text ("Billing");
  settle (200);
  x_key ("Return");
  wait_until ("the team's row", team_row_shown, NULL);
  click_middle (find_anywhere ("team-billing"));
  settle (400);
  g_free (save_screenshot (window, "settings-teams"));
  save_dark_and_narrow (GTK_WINDOW (window), "settings-teams");
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
  gst_init (&argc, &argv);
  test_harness_init (&argc, &argv);

  test_harness_add ("/desktop/routing/queue-view", test_queue_view);
  test_harness_add ("/desktop/routing/target-badge", test_target_badge);
  test_harness_add ("/desktop/routing/transfer", test_transfer);
  test_harness_add ("/desktop/routing/teams-page", test_teams_page);

  return g_test_run ();
}
