/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-analytics-view.c: the Analytics view of the real app (in-process, under Xvfb,
 * real X pointer input) against a real relay with a generated history: conversations made
 * through the real visitor and agent sockets (assignments, replies, resolutions, ratings, FAQ
 * bot answers), then spread over the last 14 days in the relay's store while it is stopped (the
 * relay stamps what it stores with its own clock; what it derives for analytics moves with
 * them). The view opened from its row under the sites shows the relay's figures (the cards,
 * the change on the 7 days before, the charts' descriptions, the agents' table with the
 * caller's row marked), a bar's tooltip under the pointer, light and dark; a reload when a
 * conversation arrives; the CSV export; a table sorted by a click on its header; another site
 * and a period with nothing in them (the empty state); custom days from the calendars; the
 * relay gone and back (the error page); a narrow window. Any Gtk-CRITICAL or warning fails
 * the test. */
#define G_LOG_DOMAIN "test-desktop-analytics-view"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "confab-analytics-row.h"
#include "confab-chart.h"
#include "test-desktop-app-util.h"

#define DAY_MS  (G_GINT64_CONSTANT (86400000))
#define HOUR_MS (G_GINT64_CONSTANT (3600000))

/* Conversations per day, [0] today … [6] six days ago (the 7 days shown), then the 7 before. */
static const guint per_day[14] = { 2, 3, 1, 4, 0, 2, 3,   1, 0, 2, 0, 1, 0, 1 };

static const char *openers[] = {
  "Where is my order?", "Hello", "Do you ship to Canada?", "Hello", "Can I change my address?",
};

typedef struct {
  char   *conversation_id;
  guint   days_ago;
  guint   hour;
  gint64  reply_ms;      /* the agent's first reply after the visitor's first message; 0: none */
  gint64  resolve_ms;    /* resolved after the start; 0: not resolved */
} Planned;

static void
planned_clear (Planned *p)
{
  g_free (p->conversation_id);
}

static gint64
midnight_utc_ms (guint days_ago)
{
  gint64 now = g_get_real_time () / 1000;

  return now - now % DAY_MS - (gint64) days_ago * DAY_MS;
}

static void
exec_sql (sqlite3    *db,
          const char *sql,
          gint64      a,
          gint64      b,
          const char *id)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, a);
  sqlite3_bind_int64 (stmt, 2, b);
  sqlite3_bind_text (stmt, 3, id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

static gint64
created_at (sqlite3    *db,
            const char *conversation_id)
{
  sqlite3_stmt *stmt = NULL;
  gint64 at;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT created_at FROM conversations WHERE id = ?",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  at = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return at;
}

/* Moves every row of each conversation to its planned day and hour (the relay's times are
 * Unix ms), the agent's messages @reply_ms and the timeline @resolve_ms after the start, and
 * what the store derives from them for analytics with them. */
static void
spread_history (TestRelay *relay,
                GArray    *plan)
{
  g_autofree char *path = g_build_filename (test_relay_data_dir (relay), "confab.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  exec_sql (db, "BEGIN", 0, 0, NULL);
  for (guint i = 0; i < plan->len; i++)
    {
      Planned *p = &g_array_index (plan, Planned, i);
      gint64 then = midnight_utc_ms (p->days_ago) + p->hour * HOUR_MS + (gint64) i * 61000;
      gint64 delta = then - created_at (db, p->conversation_id);

      exec_sql (db, "UPDATE conversations SET created_at = created_at + ?1, "
                    "last_message_at = last_message_at + ?1 + ?2 WHERE id = ?3",
                delta, p->reply_ms, p->conversation_id);
      exec_sql (db, "UPDATE messages SET created_at = created_at + ?1 + "
                    "(CASE WHEN sender_type = 'agent' THEN ?2 ELSE 0 END) WHERE conversation_id = ?3",
                delta, p->reply_ms, p->conversation_id);
      exec_sql (db, "UPDATE events SET created_at = created_at + ?1 + "
                    "(CASE WHEN kind = 'timeline' THEN ?2 ELSE 0 END) WHERE conversation_id = ?3",
                delta, p->resolve_ms, p->conversation_id);
      exec_sql (db, "UPDATE ratings SET created_at = created_at + ?1 + ?2 WHERE conversation_id = ?3",
                delta, p->resolve_ms, p->conversation_id);
      /* what the store keeps for analytics as rows are written (schema 11's triggers) */
      exec_sql (db, "UPDATE conversations SET first_visitor_at = first_visitor_at + ?1, "
                    "first_reply_at = first_reply_at + ?1 + ?2 WHERE id = ?3",
                delta, p->reply_ms, p->conversation_id);
      exec_sql (db, "UPDATE conversations SET resolved_at = resolved_at + ?1 + ?2 WHERE id = ?3",
                delta, p->resolve_ms, p->conversation_id);
    }
  exec_sql (db, "DELETE FROM message_counts", 0, 0, NULL);
  exec_sql (db, "INSERT INTO message_counts (site_id, slot, sender_type, sender_id, count) "
                "SELECT c.site_id, m.created_at / 900000, m.sender_type, "
                "CASE WHEN m.sender_type = 'visitor' THEN '' ELSE coalesce (m.sender_id, '') END, count (*) "
                "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.sender_type IN ('visitor', 'agent', 'bot') GROUP BY 1, 2, 3, 4", 0, 0, NULL);
  exec_sql (db, "COMMIT", 0, 0, NULL);
  sqlite3_close (db);
}

static void
add_faq (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autoptr (TestResponse) response =
    test_http (world->relay, "POST", path, world->token,
               "{\"question\":\"Where is my order?\",\"answer\":\"Your tracking link is in the "
               "confirmation e-mail.\",\"keywords\":[\"order\",\"tracking\",\"where\"]}", NULL);

  test_assert_http_status (response, 201);
}

/* The history: visitors who write, an agent who answers most of them after a while and
 * resolves some, ratings; returns the plan (days, delays) as it was made. */
static GArray *
make_history (TestWorld *world)
{
  GArray *plan = g_array_new (FALSE, TRUE, sizeof (Planned));
  guint n = 0;

  g_array_set_clear_func (plan, (GDestroyNotify) planned_clear);
  add_faq (world);
  for (guint day = 0; day < G_N_ELEMENTS (per_day); day++)
    for (guint k = 0; k < per_day[day]; k++, n++)
      {
        g_autofree char *url = g_strdup_printf ("https://shop.example/p/%u", n);
        const char *first = openers[n % G_N_ELEMENTS (openers)];
        Planned p = { NULL, day, 8 + (n * 5) % 12, 0, 0 };
        g_autoptr (TestWs) visitor = NULL;
        gboolean bot_only = g_str_equal (first, "Where is my order?") && n % 2 == 0;

        visitor = visitor_new (world->relay, world->site_key, url, "Shop", "Europe/Paris", NULL,
                               first, NULL, &p.conversation_id);
        if (!bot_only)
          {
            /* 40 s … 9 min: the line has some shape */
            p.reply_ms = (40 + (gint64) ((n * 97) % 500)) * 1000;
            test_ws_sendf (world->agent, "{'type':'assign','conversation_id':'%s','agent_id':'%s'}",
                           p.conversation_id, world->user_id);
            test_agent_say (world->agent, p.conversation_id, "Hello! Let me look.");
          }
        if (n % 3 != 2 && !bot_only)
          {
            g_autoptr (JsonObject) rated = NULL;

            p.resolve_ms = (15 * 60 + (gint64) ((n * 631) % 5400)) * 1000;
            test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                           p.conversation_id);
            test_ws_sendf (visitor, "{'type':'rate','score':%u}", 5 - (n % 4 == 3 ? 2 : n % 2));
            rated = test_ws_wait_for (visitor, "rated", TEST_TIMEOUT_MS);
          }
        g_array_append_val (plan, p);
      }
  return plan;
}

/* ------------------------------------------------------------ conditions --- */

typedef struct {
  App        *app;
  const char *state;
} PageState;

static ConfabAnalyticsPage *
page_of (App *app)
{
  return confab_window_get_analytics_page (app->window);
}

static gboolean
page_in_state (gpointer data)
{
  PageState *s = data;

  return g_strcmp0 (confab_analytics_page_get_state (page_of (s->app)), s->state) == 0;
}

/* Shown, and the stack's crossfade over (a screenshot mid-way shows it faded). */
static gboolean
page_settled (gpointer data)
{
  PageState *s = data;
  GtkWidget *stack = find_named (GTK_WIDGET (s->app->window), "analytics-stack");

  return page_in_state (data) && !gtk_stack_get_transition_running (GTK_STACK (stack));
}

/* The sites unfolded beside the view and done sliding in. */
static gboolean
sidebar_settled (gpointer data)
{
  AdwFlap *flap = ADW_FLAP (find_type (GTK_WIDGET (((App *) data)->window), ADW_TYPE_FLAP));

  return !adw_flap_get_folded (flap) && adw_flap_get_reveal_progress (flap) >= 1.0 &&
         gtk_widget_get_mapped (find_named (GTK_WIDGET (((App *) data)->window), "all-sites"));
}

static gboolean
sidebar_folded (gpointer data)
{
  AdwFlap *flap = ADW_FLAP (find_type (GTK_WIDGET (((App *) data)->window), ADW_TYPE_FLAP));

  return adw_flap_get_folded (flap) && adw_flap_get_reveal_progress (flap) <= 0.0;
}

/* The page has left "loading" (the error page's text is logged). */
static gboolean
page_answered (gpointer data)
{
  App *app = data;
  const char *state = confab_analytics_page_get_state (page_of (app));

  if (g_strcmp0 (state, "error") == 0)
    g_test_message ("error page: %s", adw_status_page_get_description (
      ADW_STATUS_PAGE (find_named (GTK_WIDGET (app->window), "analytics-error"))));
  return g_strcmp0 (state, "loading") != 0;
}

static gboolean
label_is (gpointer data)
{
  Named *n = data;     /* root: a label; name: the text */

  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (n->root)), n->name) == 0;
}

typedef struct {
  ConfabChart *chart;
  const char  *text;
} Tip;

static GtkWidget *
tooltip_window (GtkWidget *root)
{
  GType type = g_type_from_name ("GtkTooltipWindow");

  if (type == 0)
    return NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
      return child;
  return NULL;
}

/* GTK asked the chart for the tooltip at the pointer and shows it. */
static gboolean
tooltip_shown (gpointer data)
{
  Tip *t = data;
  GtkWidget *window = tooltip_window (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (t->chart))));

  return g_strcmp0 (confab_chart_get_last_tooltip (t->chart), t->text) == 0 &&
         window != NULL && gtk_widget_get_mapped (window);
}

static gboolean
bars_drawn (gpointer data)
{
  return confab_chart_get_value_area (CONFAB_CHART (data), 6, NULL, NULL);
}

static gboolean
has_loads (gpointer data)
{
  App *app = ((AppText *) data)->app;

  return confab_analytics_page_get_n_loads (page_of (app)) >= (guint) atoi (((AppText *) data)->text);
}

static gboolean
file_has_text (gpointer data)
{
  const char *path = data;
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && text[0] != '\0';
}

static gboolean
is_dark (gpointer data)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ()) == GPOINTER_TO_INT (data);
}

static GtkLabel *
card_value (App        *app,
            const char *card)
{
  GtkWidget *box = find_named (GTK_WIDGET (app->window), card);

  g_assert_nonnull (box);
  /* heading, figure, change */
  return GTK_LABEL (gtk_widget_get_next_sibling (gtk_widget_get_first_child (box)));
}

static GtkLabel *
card_change (App        *app,
             const char *card)
{
  return GTK_LABEL (gtk_widget_get_next_sibling (GTK_WIDGET (card_value (app, card))));
}

static double
luminance (GtkWidget *widget)
{
  GdkRGBA c;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &c);
  return 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue;
}

/* Clicks the header of @title in the column view named @table (scrolled into view). */
static void
sort_by_header (App        *app,
                const char *table,
                const char *title)
{
  GtkWidget *view = find_named (GTK_WIDGET (app->window), table);
  GtkWidget *clamp = gtk_widget_get_ancestor (view, ADW_TYPE_CLAMP);
  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (clamp, GTK_TYPE_SCROLLED_WINDOW));
  GType title_type = g_type_from_name ("GtkColumnViewTitle");
  GtkWidget *header = NULL;
  graphene_point_t at;

  g_assert_true (gtk_widget_compute_point (view, clamp, &GRAPHENE_POINT_INIT (0, 0), &at));
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scroller), at.y - 80);
  settle (300);
  g_assert_cmpuint (title_type, !=, 0);
  for (GtkWidget *w = find_type (view, title_type); w != NULL; w = gtk_widget_get_next_sibling (w))
    {
      GtkWidget *label = find_type (w, GTK_TYPE_LABEL);

      if (label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), title) == 0)
        header = w;
    }
  g_assert_nonnull (header);
  x_click (header, gtk_widget_get_width (header) / 2.0, gtk_widget_get_height (header) / 2.0);
}

static void
select_day (App        *app,
            const char *calendar,
            int         year,
            int         month,
            int         day)
{
  g_autoptr (GDateTime) date = g_date_time_new_utc (year, month, day, 12, 0, 0);

  gtk_calendar_select_day (GTK_CALENDAR (find_named (GTK_WIDGET (app->window), calendar)), date);
}

/* The X window of @data's popover is mapped (its widgets may be before it). */
static gboolean
surface_shown (gpointer data)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (data));

  return gtk_widget_get_mapped (data) && surface != NULL && gdk_surface_get_mapped (surface) &&
         gdk_surface_get_width (surface) > 1;
}

static gboolean
narrower_than (gpointer data)
{
  Named *n = data;

  return gtk_widget_get_width (n->root) <= GPOINTER_TO_INT (n->name);
}

/* ------------------------------------------------------------------ test --- */

static void
test_analytics_view (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr (GArray) plan = make_history (world);
  g_autofree char *answer_path = NULL;
  g_autoptr (TestResponse) answer = NULL;
  JsonObject *expected;
  App app = { 0 };
  PageState state = { &app, "data" };
  GtkWidget *row, *bars, *agents;
  graphene_rect_t today_bar;
  const char *today_tip = NULL;
  g_autofree char *week = NULL;
  g_autofree char *csv_path = NULL;
  g_autoptr (GFile) csv_file = NULL;
  g_autofree char *csv = NULL;
  g_autoptr (TestWs) late = NULL;
  g_autoptr (TestWs) later = NULL;
  g_autoptr (JsonObject) site_b = NULL;
  GtkWidget *widget;
  GListModel *agent_rows;
  gboolean own_found = FALSE;
  double light_fg;
  guint loads;
  Named n;
  Tip tip;
  AppText at;
  guint in_week = 0, in_previous = 0;

  for (guint d = 0; d < 7; d++)
    {
      in_week += per_day[d];
      in_previous += per_day[7 + d];
    }

  /* the history over the last 14 days, then the relay again on the same port */
  test_relay_stop (world->relay);
  spread_history (world->relay, plan);
  site_b = test_relay_create_site (world->relay, world->email, "Site b", NULL);
  test_relay_start_same_port (world->relay);

  /* what the relay answers for the 7 days: the view must show these figures */
  {
    GDate today_date, f, t;
    g_autofree char *fs = NULL;
    g_autofree char *ts = NULL;
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

    g_date_clear (&today_date, 1);
    g_date_set_dmy (&today_date, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                    g_date_time_get_year (now));
    confab_analytics_range_dates (CONFAB_ANALYTICS_RANGE_7_DAYS, &today_date, &f, &t);
    fs = confab_analytics_iso_date (&f);
    ts = confab_analytics_iso_date (&t);
    answer_path = g_strdup_printf ("/api/v1/sites/%s/analytics?from=%s&to=%s", world->site_id, fs, ts);
  }
  answer = test_http (world->relay, "GET", answer_path, world->token, NULL, NULL);
  test_assert_http_status (answer, 200);
  expected = test_response_object (answer);
  g_assert_cmpint (test_obj_int (expected, "conversations"), ==, in_week);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  at = (AppText) { &app, "20" };
  wait_until ("every conversation listed", has_n_conversations, &at);
  x_focus (GTK_WINDOW (app.window));

  /* the view, from its row under the sites, with the pointer */
  row = find_named (GTK_WIDGET (app.window), "analytics-row");
  g_assert_nonnull (row);
  x_click (row, gtk_widget_get_width (row) / 2.0, gtk_widget_get_height (row) / 2.0);
  wait_until ("the analytics with data", page_settled, &state);
  g_assert_cmpstr (confab_analytics_page_get_analytics (page_of (&app))->from, ==,
                   test_obj_string (expected, "from"));

  /* the cards: the relay's figures, and the change on the 7 days before */
  week = g_strdup_printf ("%u", in_week);
  g_assert_cmpstr (gtk_label_get_text (card_value (&app, "card-conversations")), ==, week);
  {
    g_autofree char *change = g_strdup_printf ("↑ %.0f%% on the previous period",
                                               100.0 * ((double) in_week - in_previous) / in_previous);

    g_assert_cmpstr (gtk_label_get_text (card_change (&app, "card-conversations")), ==, change);
  }
  {
    g_autofree char *first = confab_chart_seconds (test_obj_number (expected, "first_response_seconds.p50"));
    g_autofree char *csat = g_strdup_printf ("%.1f / 5", test_obj_number (expected, "csat.average"));

    g_assert_cmpstr (gtk_label_get_text (card_value (&app, "card-first-response")), ==, first);
    g_assert_cmpstr (gtk_label_get_text (card_value (&app, "card-csat")), ==, csat);
  }

  /* issue 16's goals and triggers: cards with the relay's figures, none from a relay without */
  {
    GtkWidget *engage = find_named (GTK_WIDGET (app.window), "engage-cards");

    g_assert_nonnull (engage);
    if (json_object_has_member (expected, "goals"))
      {
        g_autofree char *goals = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  (gint64) test_obj_number (expected, "goals.count"));
        g_autofree char *fired = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  (gint64) test_obj_number (expected, "triggers.fired"));

        g_assert_true (gtk_widget_get_visible (engage));
        g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (engage, "goals-count"))), ==, goals);
        g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_named (engage, "triggers-fired"))), ==, fired);
      }
    else
      g_assert_false (gtk_widget_get_visible (engage));
  }

  /* the bars: one a day, described with the figures */
  bars = find_named (GTK_WIDGET (app.window), "chart-conversations");
  g_assert_true (CONFAB_IS_CHART (bars));
  {
    g_autofree char *total = g_strdup_printf ("%u conversations", in_week);

    g_assert_nonnull (strstr (confab_chart_get_description (CONFAB_CHART (bars)), total));
  }
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (bars)), ==, GTK_ACCESSIBLE_ROLE_IMG);

  /* hovering today's bar (the last, oldest first) shows its tooltip */
  wait_until ("the bars drawn", bars_drawn, bars);
  g_assert_true (confab_chart_get_value_area (CONFAB_CHART (bars), 6, &today_bar, &today_tip));
  {
    g_autofree char *count = g_strdup_printf (": %u conversations", per_day[0]);

    g_assert_nonnull (strstr (today_tip, count));
  }
  tip = (Tip) { CONFAB_CHART (bars), today_tip };
  /* the cards above the charts (issue 16's) may have pushed it out of view */
  scroll_into_view (bars);
  x_move (bars, today_bar.origin.x + today_bar.size.width / 2, today_bar.origin.y + today_bar.size.height - 4);
  wait_until ("today's tooltip", tooltip_shown, &tip);
  g_free (save_screenshot (GTK_WIDGET (app.window), "analytics"));
  /* every chart and table, beyond the window's height */
  g_free (save_screenshot (gtk_widget_get_ancestor (bars, ADW_TYPE_CLAMP), "analytics-all"));
  x_move (row, 4, 4);

  /* the agents' table: the caller's own row is marked */
  agents = find_named (GTK_WIDGET (app.window), "agents-table");
  agent_rows = G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (agents)));
  g_assert_cmpuint (g_list_model_get_n_items (agent_rows), >=, 1);
  for (guint i = 0; i < g_list_model_get_n_items (agent_rows); i++)
    {
      g_autoptr (ConfabAnalyticsRow) r = g_list_model_get_item (agent_rows, i);

      own_found |= confab_analytics_row_get_own (r);
    }
  g_assert_true (own_found);

  /* dark: the charts' colours follow */
  light_fg = luminance (bars);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  wait_until ("the dark style", is_dark, GINT_TO_POINTER (TRUE));
  settle (300);
  g_assert_cmpfloat (luminance (bars), >, light_fg + 0.3);
  g_free (save_screenshot (GTK_WIDGET (app.window), "analytics-dark"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  wait_until ("the light style", is_dark, GINT_TO_POINTER (FALSE));

  /* new conversations while the view is open: the figures reload by themselves, once for a
   * burst (the two visitors arrive well within the 2 s the view waits) */
  loads = confab_analytics_page_get_n_loads (page_of (&app));
  late = visitor_new (world->relay, world->site_key, "https://shop.example/late", "Shop",
                      "Europe/Paris", NULL, "One more question", NULL, NULL);
  later = visitor_new (world->relay, world->site_key, "https://shop.example/later", "Shop",
                       "Europe/Paris", NULL, "Thanks, one more thing", NULL, NULL);
  {
    g_autofree char *more = g_strdup_printf ("%u", loads + 1);
    g_autofree char *week_more = g_strdup_printf ("%u", in_week + 2);

    at = (AppText) { &app, more };
    wait_until ("a reload after the new conversations", has_loads, &at);
    n = (Named) { GTK_WIDGET (card_value (&app, "card-conversations")), week_more };
    wait_until ("both new conversations counted", label_is, &n);
    g_assert_cmpuint (confab_analytics_page_get_n_loads (page_of (&app)), ==, loads + 1);
  }

  /* the export: the relay's CSV of the days shown, into the file chosen */
  csv_path = g_build_filename (test_relay_tmp_dir (world->relay), "daily.csv", NULL);
  csv_file = g_file_new_for_path (csv_path);
  confab_analytics_page_export (page_of (&app), "daily", csv_file);
  wait_until ("the CSV written", file_has_text, csv_path);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "date,conversations,"));
  {
    g_auto (GStrv) lines = g_strsplit (g_strstrip (csv), "\r\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 7);
  }

  /* the first messages' table sorted by its text with a click on its header */
  sort_by_header (&app, "openers-table", "Message");
  {
    GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (
      GTK_COLUMN_VIEW (find_named (GTK_WIDGET (app.window), "openers-table"))));
    g_autoptr (ConfabAnalyticsRow) first = g_list_model_get_item (rows, 0);
    g_autoptr (ConfabAnalyticsRow) last = g_list_model_get_item (rows, g_list_model_get_n_items (rows) - 1);

    g_assert_cmpstr (confab_analytics_row_get_label (first), ==, "can i change my address");
    g_assert_cmpstr (confab_analytics_row_get_label (last), ==, "where is my order");
  }

  /* another site, with nothing on it: the empty state */
  widget = find_named (GTK_WIDGET (app.window), "analytics-site");
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (widget))), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (GTK_DROP_DOWN (widget))), 2),
                   ==, "Site b");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (widget), 2);
  g_assert_cmpstr (confab_analytics_page_get_site_id (page_of (&app)), ==, test_obj_string (site_b, "id"));
  state.state = "empty";
  wait_until ("the other site, empty", page_settled, &state);
  n = (Named) { GTK_WIDGET (app.window), "analytics-empty" };
  wait_until ("the empty page shown", named_visible, &n);
  g_free (save_screenshot (GTK_WIDGET (app.window), "analytics-empty"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (widget), 0);
  state.state = "data";
  wait_until ("all sites again", page_settled, &state);

  /* custom days from the calendars: the wrong way round is refused in the popover, then shown */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_named (GTK_WIDGET (app.window), "analytics-range")),
                              CONFAB_ANALYTICS_RANGE_CUSTOM);
  n = (Named) { GTK_WIDGET (app.window), "analytics-from" };
  wait_until ("the calendars", named_visible, &n);
  select_day (&app, "analytics-from", 2025, 1, 12);
  select_day (&app, "analytics-to", 2025, 1, 6);
  widget = find_named (GTK_WIDGET (app.window), "analytics-custom-apply");
  g_assert_false (gtk_widget_get_sensitive (widget));
  select_day (&app, "analytics-from", 2025, 1, 6);
  select_day (&app, "analytics-to", 2025, 1, 12);
  g_assert_true (gtk_widget_get_sensitive (widget));
  wait_until ("the popover on screen", surface_shown, widget);
  /* as Enter on it would: an X click into the popover under Xvfb (no window manager) was
   * lost now and then */
  g_assert_true (gtk_widget_activate (widget));
  state.state = "empty";
  wait_until ("the empty days", page_settled, &state);
  g_assert_cmpstr (confab_analytics_page_get_analytics (page_of (&app))->from, ==, "2025-01-06");
  g_assert_cmpstr (confab_analytics_page_get_analytics (page_of (&app))->to, ==, "2025-01-12");

  /* the relay gone: a refresh says so, and one after it is back shows the figures again */
  test_relay_stop (world->relay);
  widget = find_named (GTK_WIDGET (app.window), "analytics-refresh");
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
  state.state = "error";
  wait_until ("the error page", page_settled, &state);
  g_assert_nonnull (strstr (adw_status_page_get_description (
    ADW_STATUS_PAGE (find_named (GTK_WIDGET (app.window), "analytics-error"))), "cannot be reached"));
  /* back: the view asks again by itself once the app is online */
  test_relay_start_same_port (world->relay);
  wait_until ("the app online again", is_online, &app);
  wait_until ("the answer", page_answered, &app);
  g_assert_cmpstr (confab_analytics_page_get_state (page_of (&app)), ==, "empty");

  /* a narrow window: the figures fit in it, the sites fold away behind a button */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_named (GTK_WIDGET (app.window), "analytics-range")),
                              CONFAB_ANALYTICS_RANGE_7_DAYS);
  state.state = "data";
  wait_until ("the 7 days again", page_settled, &state);
  gtk_window_set_default_size (GTK_WINDOW (app.window), 420, 800);
  n = (Named) { GTK_WIDGET (app.window), (const char *) GINT_TO_POINTER (440) };
  wait_until ("the narrow window", narrower_than, &n);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (page_of (&app))), <=, 440);
  g_assert_cmpint (gtk_widget_get_width (bars), <=, 440);
  wait_until ("the sites folded away", sidebar_folded, &app);
  n = (Named) { GTK_WIDGET (page_of (&app)), "analytics-sidebar" };
  g_assert_true (named_visible (&n));
  g_free (save_screenshot (GTK_WIDGET (app.window), "analytics-narrow"));
  gtk_window_set_default_size (GTK_WINDOW (app.window), 1360, 820);
  wait_until ("the sites beside it again", sidebar_settled, &app);

  /* a site in the sidebar: back to the inbox */
  row = find_named (GTK_WIDGET (app.window), "all-sites");
  x_click (row, gtk_widget_get_width (row) / 2.0, gtk_widget_get_height (row) / 2.0);
  n = (Named) { GTK_WIDGET (app.window), "conversation-list" };
  wait_until ("the inbox again", named_visible, &n);

  app_stop (&app);
}

int
main (int   argc,
      char *argv[])
{
  /* days in UTC on both sides: the app sends no zone, the relay counts in UTC */
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  test_harness_init (&argc, &argv);
  test_harness_add ("/desktop/analytics/view", test_analytics_view);
  return g_test_run ();
}
