/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-page.c: the Analytics view.
 *
 * One request for the period shown and one for the period of the same length before it (the
 * cards' changes), both GET /api/v1/sites/{id|all}/analytics, parsed in desktop/core into a
 * ConfabAnalytics that the charts (confab-chart.c) and the tables read. Nothing is cached:
 * the figures are the relay's, computed from its store, and the view says so when offline.
 * While the view is shown, new conversations reload it, batched (one reload 2 s after the
 * first of a burst); hidden, it only notes that it is stale and reloads when shown again. An
 * answer that failed is asked again when the client is back online. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <math.h>

#include "confab-analytics-assistant.h"
#include "confab-analytics-fetch.h"
#include "confab-analytics-engage.h"
#include "confab-analytics-page.h"
#include "confab-analytics-row.h"
#include "confab-analytics-table.h"
#include "confab-chart.h"
#include "confab-format.h"

#define REFRESH_DELAY_SECONDS 2
/* the relay's own limit (issue 11): a longer custom range is refused before it is asked */
#define MAX_RANGE_DAYS 400

enum {
  CARD_CONVERSATIONS,
  CARD_FIRST_RESPONSE,
  CARD_RESOLUTION,
  CARD_CSAT,
  CARD_BOT_SHARE,
  N_CARDS
};

struct _ConfabAnalyticsPage
{
  AdwBin               parent_instance;

  AdwHeaderBar        *header_bar;
  AdwWindowTitle      *title;
  GtkWidget           *sidebar_button;
  GtkDropDown         *site_dropdown;
  GtkStringList       *site_names;
  GtkDropDown         *range_dropdown;
  GtkMenuButton       *custom_button;
  GtkCalendar         *from_calendar;
  GtkCalendar         *to_calendar;
  GtkLabel            *custom_error;
  GtkStack            *stack;
  GtkSpinner          *spinner;
  AdwStatusPage       *error_page;
  GtkBox              *data_box;
  GtkFlowBox          *cards;

  GtkLabel            *card_value[N_CARDS];
  GtkLabel            *card_change[N_CARDS];
  GtkWidget           *charts[5];
  GListStore          *faq_rows;
  GListStore          *opener_rows;
  GListStore          *agent_rows;
  GtkWidget           *faq_card;
  GtkWidget           *opener_card;
  GtkWidget           *agent_card;
  GtkWidget           *engage_cards;  /* issue 16: goals and triggers */
  GtkWidget           *assistant_cards;

  ConfabAccount       *account;
  GPtrArray           *site_ids;      /* char*, [0] NULL: all sites */
  char                *site_id;
  ConfabAnalyticsRange range;
  GDate                custom_from;
  GDate                custom_to;
  gboolean             updating;      /* the pickers are being set from code */

  GCancellable        *cancellable;
  guint                generation;    /* of the last load: older answers are dropped */
  guint                n_loads;
  gboolean             stale;         /* to load when shown */
  guint                refresh_source;
  ConfabAnalytics     *analytics;     /* what the charts show (they borrow it) */
  ConfabAnalytics     *previous;      /* the period before; NULL when it could not be had */
  char                *loaded_today;  /* the day "today" was when the presets were loaded */
};

G_DEFINE_FINAL_TYPE (ConfabAnalyticsPage, confab_analytics_page, ADW_TYPE_BIN)

static ConfabClient *
client_of (ConfabAnalyticsPage *self)
{
  return self->account != NULL ? confab_account_get_client (self->account) : NULL;
}

static void
toast (ConfabAnalyticsPage *self,
       const char          *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

/* ------------------------------------------------------------ period --- */

static void
today (GDate *date)
{
  g_autoptr (GDateTime) now = g_date_time_new_now (confab_format_get_time_zone ());

  g_date_clear (date, 1);
  g_date_set_dmy (date, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
}

static void
current_dates (ConfabAnalyticsPage *self,
               GDate               *from,
               GDate               *to)
{
  GDate now;

  if (self->range == CONFAB_ANALYTICS_RANGE_CUSTOM && g_date_valid (&self->custom_from))
    {
      *from = self->custom_from;
      *to = self->custom_to;
      return;
    }
  today (&now);
  confab_analytics_range_dates (self->range == CONFAB_ANALYTICS_RANGE_CUSTOM
                                ? CONFAB_ANALYTICS_RANGE_7_DAYS : self->range, &now, from, to);
}

static char *
span_label (const GDate *from,
            const GDate *to)
{
  char a[64], b[64];

  if (g_date_compare (from, to) == 0)
    {
      g_date_strftime (a, sizeof a, _("%-d %b %Y"), from);
      return g_strdup (a);
    }
  g_date_strftime (a, sizeof a, g_date_get_year (from) == g_date_get_year (to) ? _("%-d %b")
                                                                               : _("%-d %b %Y"), from);
  g_date_strftime (b, sizeof b, _("%-d %b %Y"), to);
  /* Translators: a range of days, "30 Nov – 6 Dec 2026" */
  return g_strdup_printf (_("%s – %s"), a, b);
}

static const char *
range_name (ConfabAnalyticsRange range)
{
  switch (range)
    {
    case CONFAB_ANALYTICS_RANGE_TODAY: return _("Today");
    case CONFAB_ANALYTICS_RANGE_7_DAYS: return _("Last 7 Days");
    case CONFAB_ANALYTICS_RANGE_30_DAYS: return _("Last 30 Days");
    case CONFAB_ANALYTICS_RANGE_CUSTOM:
    default: return NULL;
    }
}

static void
update_title (ConfabAnalyticsPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->site_dropdown);
  const char *site = selected != GTK_INVALID_LIST_POSITION && selected < self->site_ids->len
                     ? gtk_string_list_get_string (self->site_names, selected) : NULL;
  GDate from, to;
  g_autofree char *span = NULL;
  g_autofree char *subtitle = NULL;

  current_dates (self, &from, &to);
  span = span_label (&from, &to);
  gtk_menu_button_set_label (self->custom_button, span);
  subtitle = g_strdup_printf ("%s · %s", site != NULL ? site : _("All Sites"),
                              range_name (self->range) != NULL ? range_name (self->range) : span);
  adw_window_title_set_subtitle (self->title, subtitle);
}

/* -------------------------------------------------------------- cards --- */

static GtkWidget *
card_new (ConfabAnalyticsPage *self,
          guint                index,
          const char          *title,
          const char          *name)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *value = gtk_label_new ("—");
  GtkWidget *change = gtk_label_new (NULL);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "analytics-card");
  gtk_widget_set_name (box, name);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_ellipsize (GTK_LABEL (heading), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (heading, "caption-heading");
  gtk_widget_add_css_class (heading, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_widget_add_css_class (value, "figure");
  gtk_label_set_xalign (GTK_LABEL (change), 0);
  gtk_label_set_wrap (GTK_LABEL (change), TRUE);
  /* five cards on a line of a usual window: the change wraps rather than widening them */
  gtk_label_set_max_width_chars (GTK_LABEL (change), 16);
  gtk_label_set_width_chars (GTK_LABEL (change), 12);
  gtk_widget_add_css_class (change, "caption");
  gtk_widget_add_css_class (change, "change");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), value);
  gtk_box_append (GTK_BOX (box), change);
  self->card_value[index] = GTK_LABEL (value);
  self->card_change[index] = GTK_LABEL (change);
  gtk_flow_box_append (self->cards, box);
  return box;
}

typedef enum {
  CHANGE_NEUTRAL,
  CHANGE_HIGHER_BETTER,
  CHANGE_LOWER_BETTER,
} ChangeSense;

/* @text: the change in words, or NULL when the previous period had nothing to compare. */
static void
set_change (ConfabAnalyticsPage *self,
            guint                index,
            double               delta,
            const char          *text,
            ChangeSense          sense)
{
  GtkWidget *label = GTK_WIDGET (self->card_change[index]);
  gboolean better = sense == CHANGE_HIGHER_BETTER ? delta > 0 : delta < 0;

  gtk_widget_remove_css_class (label, "better");
  gtk_widget_remove_css_class (label, "worse");
  gtk_widget_remove_css_class (label, "dim-label");
  if (text == NULL || isnan (delta))
    {
      gtk_label_set_text (GTK_LABEL (label), self->previous != NULL ? _("Nothing to compare with")
                                                                     : _("Previous period unavailable"));
      gtk_widget_add_css_class (label, "dim-label");
      return;
    }
  gtk_label_set_text (GTK_LABEL (label), text);
  if (sense == CHANGE_NEUTRAL || delta == 0)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_add_css_class (label, better ? "better" : "worse");
}

/* "↑ 12% on the previous period" */
static char *
relative_text (double change)
{
  if (isnan (change))
    return NULL;
  if (fabs (change) < 0.005)
    return g_strdup (_("Same as the previous period"));
  /* Translators: the change of a figure; %s is an arrow, %.0f%% the percentage */
  return g_strdup_printf (_("%s %.0f%% on the previous period"), change > 0 ? "↑" : "↓",
                          fabs (change) * 100);
}

static void
update_cards (ConfabAnalyticsPage *self)
{
  const ConfabAnalytics *a = self->analytics;
  const ConfabAnalytics *p = self->previous;
  double share = confab_analytics_bot_share (a);
  double change;
  g_autofree char *text = NULL;
  g_autofree char *value = NULL;

  value = g_strdup_printf ("%" G_GINT64_FORMAT, a->conversations);
  gtk_label_set_text (self->card_value[CARD_CONVERSATIONS], value);
  change = p != NULL ? confab_analytics_change ((double) a->conversations, (double) p->conversations) : NAN;
  text = relative_text (change);
  set_change (self, CARD_CONVERSATIONS, change, text, CHANGE_NEUTRAL);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, g_free);

  value = confab_chart_seconds (a->first_response.p50);
  gtk_label_set_text (self->card_value[CARD_FIRST_RESPONSE], value);
  change = p != NULL ? confab_analytics_change (a->first_response.p50, p->first_response.p50) : NAN;
  text = relative_text (change);
  set_change (self, CARD_FIRST_RESPONSE, change, text, CHANGE_LOWER_BETTER);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, g_free);

  value = confab_chart_seconds (a->resolution.p50);
  gtk_label_set_text (self->card_value[CARD_RESOLUTION], value);
  change = p != NULL ? confab_analytics_change (a->resolution.p50, p->resolution.p50) : NAN;
  text = relative_text (change);
  set_change (self, CARD_RESOLUTION, change, text, CHANGE_LOWER_BETTER);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, g_free);

  value = isnan (a->csat_average) ? g_strdup ("—") : g_strdup_printf (_("%.1f / 5"), a->csat_average);
  gtk_label_set_text (self->card_value[CARD_CSAT], value);
  /* a rating moves in points, not in percent */
  change = p != NULL && !isnan (a->csat_average) && !isnan (p->csat_average)
           ? a->csat_average - p->csat_average : NAN;
  if (!isnan (change))
    text = fabs (change) < 0.05 ? g_strdup (_("Same as the previous period"))
           /* Translators: the change of the average rating, "↑ 0.3 on the previous period" */
           : g_strdup_printf (_("%s %.1f on the previous period"), change > 0 ? "↑" : "↓", fabs (change));
  set_change (self, CARD_CSAT, change, text, CHANGE_HIGHER_BETTER);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, g_free);

  value = isnan (share) ? g_strdup ("—") : g_strdup_printf ("%.0f%%", share * 100);
  gtk_label_set_text (self->card_value[CARD_BOT_SHARE], value);
  change = p != NULL && !isnan (share) && !isnan (confab_analytics_bot_share (p))
           ? share - confab_analytics_bot_share (p) : NAN;
  if (!isnan (change))
    text = fabs (change) < 0.005 ? g_strdup (_("Same as the previous period"))
           /* Translators: the change of the bot's share, in percentage points */
           : g_strdup_printf (_("%s %.0f points on the previous period"), change > 0 ? "↑" : "↓",
                              fabs (change) * 100);
  set_change (self, CARD_BOT_SHARE, change, text, CHANGE_NEUTRAL);
  confab_analytics_assistant_update (self->assistant_cards, a, p);
}

/* ------------------------------------------------------------- tables --- */

static void
update_tables (ConfabAnalyticsPage *self)
{
  const ConfabAnalytics *a = self->analytics;
  const char *own_id = client_of (self) != NULL ? confab_client_get_user_id (client_of (self)) : NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < a->top_faqs->len; i++)
    {
      const ConfabAnalyticsFaq *faq = g_ptr_array_index (a->top_faqs, i);

      g_ptr_array_add (rows, confab_analytics_row_new (faq->question, faq->hits, 0, NAN, NAN, FALSE));
    }
  g_list_store_splice (self->faq_rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->faq_rows)),
                       rows->pdata, rows->len);
  gtk_widget_set_visible (self->faq_card, rows->len > 0);
  g_ptr_array_set_size (rows, 0);

  for (guint i = 0; i < a->top_first_messages->len; i++)
    {
      const ConfabAnalyticsOpener *opener = g_ptr_array_index (a->top_first_messages, i);

      g_ptr_array_add (rows, confab_analytics_row_new (opener->text, opener->count, 0, NAN, NAN, FALSE));
    }
  g_list_store_splice (self->opener_rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->opener_rows)),
                       rows->pdata, rows->len);
  gtk_widget_set_visible (self->opener_card, rows->len > 0);
  g_ptr_array_set_size (rows, 0);

  for (guint i = 0; i < a->agents->len; i++)
    {
      const ConfabAnalyticsAgent *agent = g_ptr_array_index (a->agents, i);

      g_ptr_array_add (rows, confab_analytics_row_new (agent->name != NULL ? agent->name : agent->agent_id,
                                                       agent->conversations, agent->messages,
                                                       agent->first_response_p50, agent->csat_average,
                                                       g_strcmp0 (agent->agent_id, own_id) == 0));
    }
  g_list_store_splice (self->agent_rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->agent_rows)),
                       rows->pdata, rows->len);
  gtk_widget_set_visible (self->agent_card, rows->len > 0);
}

/* -------------------------------------------------------------- load --- */

static void
show_answer (ConfabAnalyticsPage *self,
             ConfabAnalytics     *analytics,
             ConfabAnalytics     *previous)
{
  ConfabAnalytics *old = self->analytics;

  /* the charts borrow it: the new one first, then the old one goes */
  self->analytics = analytics;
  for (guint i = 0; i < G_N_ELEMENTS (self->charts); i++)
    confab_chart_set_analytics (CONFAB_CHART (self->charts[i]), analytics);
  confab_analytics_free (old);
  g_clear_pointer (&self->previous, confab_analytics_free);
  self->previous = previous;
  update_cards (self);
  confab_analytics_engage_update (self->engage_cards, analytics);
  update_tables (self);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack,
                                    confab_analytics_is_empty (analytics) ? "empty" : "data");
}

static void
show_error (ConfabAnalyticsPage *self,
            const GError        *error)
{
  gtk_spinner_stop (self->spinner);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    adw_status_page_set_description (self->error_page,
                                     _("The relay cannot be reached. Analytics are computed by the relay, so they show once the connection is back."));
  else
    adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

typedef struct {
  ConfabAnalyticsPage *self;       /* a reference */
  guint                generation;
  guint                waiting;
  ConfabAnalytics     *current;
  ConfabAnalytics     *previous;
  GError              *error;
} Load;

static void
load_done (Load *load)
{
  ConfabAnalyticsPage *self = load->self;

  if (load->generation == self->generation)
    {
      if (load->current != NULL)
        show_answer (self, g_steal_pointer (&load->current), g_steal_pointer (&load->previous));
      else if (!g_error_matches (load->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, load->error);
    }
  g_clear_pointer (&load->current, confab_analytics_free);
  g_clear_pointer (&load->previous, confab_analytics_free);
  g_clear_error (&load->error);
  g_object_unref (load->self);
  g_free (load);
}

static void
on_current (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Load *load = user_data;

  load->current = confab_analytics_fetch_finish (CONFAB_CLIENT (source), result, &load->error);
  if (load->current == NULL)
    g_debug ("Analytics not loaded: %s", load->error->message);
  if (--load->waiting == 0)
    load_done (load);
}

static void
on_previous (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr (GError) error = NULL;

  /* without it the cards show no change; the figures themselves still show */
  load->previous = confab_analytics_fetch_finish (CONFAB_CLIENT (source), result, &error);
  if (--load->waiting == 0)
    load_done (load);
}

static void
load (ConfabAnalyticsPage *self,
      gboolean             quietly)
{
  GDate from, to, prev_from, prev_to, now;
  const char *tz;
  g_autofree char *path = NULL;
  g_autofree char *prev_path = NULL;
  Load *load;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (client_of (self) == NULL)
    return;
  self->stale = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  today (&now);
  g_free (self->loaded_today);
  self->loaded_today = confab_analytics_iso_date (&now);
  current_dates (self, &from, &to);
  confab_analytics_previous (&from, &to, &prev_from, &prev_to);
  /* the zone of the days for a site without working hours: the agent's own */
  tz = g_time_zone_get_identifier (confab_format_get_time_zone ());
  path = confab_analytics_path (self->site_id, &from, &to, tz, NULL);
  prev_path = confab_analytics_path (self->site_id, &prev_from, &prev_to, tz, NULL);
  update_title (self);

  self->generation++;
  self->n_loads++;
  load = g_new0 (Load, 1);
  load->self = g_object_ref (self);
  load->generation = self->generation;
  load->waiting = 2;
  /* a refresh of what is shown keeps it on screen until the new figures are there */
  if (!quietly || self->analytics == NULL)
    {
      gtk_spinner_start (self->spinner);
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }
  confab_analytics_fetch_async (client_of (self), path, self->cancellable, on_current, load);
  confab_analytics_fetch_async (client_of (self), prev_path, self->cancellable, on_previous, load);
}

/* Shown: now; hidden: when shown next. */
static void
load_when_shown (ConfabAnalyticsPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self, FALSE);
  else
    self->stale = TRUE;
}

static gboolean
refresh_cb (gpointer user_data)
{
  ConfabAnalyticsPage *self = user_data;

  self->refresh_source = 0;
  load (self, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_conversation_changed (ConfabAnalyticsPage *self,
                         gpointer             old,
                         gpointer             new)
{
  /* a new conversation (the others change with every message: the figures would reload all
   * day on a busy site); resolutions show on the next reload */
  if (old != NULL || new == NULL)
    return;
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add_seconds (REFRESH_DELAY_SECONDS, refresh_cb, self);
}

/* Back online after the relay could not be reached: what failed is asked again. */
static void
on_client_state (ConfabAnalyticsPage *self)
{
  if (client_of (self) != NULL && confab_client_get_state (client_of (self)) == CONFAB_CLIENT_ONLINE &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "error") == 0)
    load_when_shown (self);
}

static void
on_map (ConfabAnalyticsPage *self)
{
  GDate now;
  g_autofree char *day = NULL;

  today (&now);
  day = confab_analytics_iso_date (&now);
  /* "today" moved on since the last load: the presets mean other days now */
  if (self->stale || self->analytics == NULL || g_strcmp0 (day, self->loaded_today) != 0)
    load (self, self->analytics != NULL);
}

/* -------------------------------------------------------------- sites --- */

static gboolean
same_names (GtkStringList      *list,
            const char * const *names)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  for (guint i = 0; i < n; i++)
    if (names[i] == NULL || g_strcmp0 (gtk_string_list_get_string (list, i), names[i]) != 0)
      return FALSE;
  return names[n] == NULL;
}

static void
rebuild_sites (ConfabAnalyticsPage *self)
{
  g_autoptr (GListModel) sites = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint selected = 0;

  g_ptr_array_set_size (self->site_ids, 0);
  g_ptr_array_add (self->site_ids, NULL);
  g_ptr_array_add (names, (gpointer) _("All Sites"));
  if (self->account != NULL)
    sites = confab_cache_list_sites (confab_account_get_cache (self->account));
  for (guint i = 0; sites != NULL && i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);

      if (g_strcmp0 (confab_site_get_id (site), self->site_id) == 0)
        selected = self->site_ids->len;
      g_ptr_array_add (self->site_ids, g_strdup (confab_site_get_id (site)));
      /* the names live as long as the sites model, until the splice below copies them */
      g_ptr_array_add (names, (gpointer) confab_site_get_name (site));
    }
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  /* sites-changed comes with every membership or name event (a burst at sign-in): the
   * picker's list changes only when the names did, and so does its selection */
  if (!same_names (self->site_names, (const char * const *) names->pdata))
    gtk_string_list_splice (self->site_names, 0,
                            g_list_model_get_n_items (G_LIST_MODEL (self->site_names)),
                            (const char * const *) names->pdata);
  if (gtk_drop_down_get_selected (self->site_dropdown) != selected)
    gtk_drop_down_set_selected (self->site_dropdown, selected);
  self->updating = FALSE;
  /* the site shown was removed: all sites */
  if (selected == 0 && self->site_id != NULL)
    {
      g_clear_pointer (&self->site_id, g_free);
      load_when_shown (self);
    }
  update_title (self);
}

static void
on_site_changed (ConfabAnalyticsPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->site_dropdown);

  if (self->updating || selected == GTK_INVALID_LIST_POSITION || selected >= self->site_ids->len)
    return;
  confab_analytics_page_set_site_id (self, g_ptr_array_index (self->site_ids, selected));
}

/* ------------------------------------------------------------- period --- */

static void
set_calendar (GtkCalendar *calendar,
              const GDate *date)
{
  g_autoptr (GDateTime) dt = g_date_time_new_local (g_date_get_year (date), g_date_get_month (date),
                                                    g_date_get_day (date), 12, 0, 0);

  gtk_calendar_select_day (calendar, dt);
}

static void
calendar_date (GtkCalendar *calendar,
               GDate       *date)
{
  g_autoptr (GDateTime) dt = gtk_calendar_get_date (calendar);

  g_date_clear (date, 1);
  g_date_set_dmy (date, g_date_time_get_day_of_month (dt), g_date_time_get_month (dt),
                  g_date_time_get_year (dt));
}

static void
on_range_changed (ConfabAnalyticsPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->range_dropdown);

  if (self->updating || selected > CONFAB_ANALYTICS_RANGE_CUSTOM)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->custom_button), selected == CONFAB_ANALYTICS_RANGE_CUSTOM);
  if (selected == CONFAB_ANALYTICS_RANGE_CUSTOM)
    {
      GDate from, to;

      /* start from what is shown; the days are chosen in the popover, then "Show" */
      current_dates (self, &from, &to);
      set_calendar (self->from_calendar, &from);
      set_calendar (self->to_calendar, &to);
      gtk_widget_set_visible (GTK_WIDGET (self->custom_error), FALSE);
      gtk_menu_button_popup (self->custom_button);
      return;
    }
  confab_analytics_page_set_range (self, selected, NULL, NULL);
}

static gboolean
check_custom (ConfabAnalyticsPage *self,
              GDate               *from,
              GDate               *to)
{
  GDate now;
  const char *problem = NULL;

  calendar_date (self->from_calendar, from);
  calendar_date (self->to_calendar, to);
  today (&now);
  if (g_date_compare (from, to) > 0)
    problem = _("The first day is after the last day.");
  else if (g_date_days_between (from, to) + 1 > MAX_RANGE_DAYS)
    problem = _("Choose at most 400 days.");
  else if (g_date_compare (from, &now) > 0)
    problem = _("The first day is in the future.");
  gtk_label_set_text (self->custom_error, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->custom_error), problem != NULL);
  gtk_widget_set_sensitive (gtk_widget_get_next_sibling (GTK_WIDGET (self->custom_error)),
                            problem == NULL);
  return problem == NULL;
}

static void
on_custom_day (ConfabAnalyticsPage *self)
{
  GDate from, to;

  check_custom (self, &from, &to);
}

static void
on_custom_apply (ConfabAnalyticsPage *self)
{
  GDate from, to;

  if (!check_custom (self, &from, &to))
    return;
  gtk_menu_button_popdown (self->custom_button);
  confab_analytics_page_set_range (self, CONFAB_ANALYTICS_RANGE_CUSTOM, &from, &to);
}

/* ------------------------------------------------------------- export --- */

typedef struct {
  ConfabAnalyticsPage *self;
  GFile               *file;
} Export;

static void
export_free (Export *export)
{
  g_object_unref (export->self);
  g_object_unref (export->file);
  g_free (export);
}

static void
on_export_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Export *export = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_file_get_basename (export->file);
  g_autofree char *text = NULL;

  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    /* Translators: %s is the file name */
    text = g_strdup_printf (_("Saved “%s”"), name);
  else
    text = g_strdup_printf (_("Could not save “%s”: %s"), name, error->message);
  toast (export->self, text);
  export_free (export);
}

static void
on_export_fetched (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Export *export = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) csv = confab_analytics_fetch_csv_finish (CONFAB_CLIENT (source), result, &error);

  if (csv == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not export: %s"), error->message);

      toast (export->self, text);
      export_free (export);
      return;
    }
  g_file_replace_contents_bytes_async (export->file, csv, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                       on_export_written, export);
}

void
confab_analytics_page_export (ConfabAnalyticsPage *self,
                              const char          *kind,
                              GFile               *file)
{
  GDate from, to;
  g_autofree char *path = NULL;
  Export *export;

  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  if (client_of (self) == NULL)
    return;
  current_dates (self, &from, &to);
  path = confab_analytics_path (self->site_id, &from, &to,
                                g_time_zone_get_identifier (confab_format_get_time_zone ()), kind);
  export = g_new0 (Export, 1);
  export->self = g_object_ref (self);
  export->file = g_object_ref (file);
  confab_analytics_fetch_csv_async (client_of (self), path, NULL, on_export_fetched, export);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  ConfabAnalyticsPage *self = user_data;
  const char *kind = g_object_get_data (G_OBJECT (chooser), "kind");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        confab_analytics_page_export (self, kind, file);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabAnalyticsPage *self = CONFAB_ANALYTICS_PAGE (widget);
  const char *kind = g_variant_get_string (parameter, NULL);
  GtkFileChooserNative *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *from_text = NULL;
  g_autofree char *to_text = NULL;
  g_autofree char *name = NULL;
  GDate from, to;

  if (g_strcmp0 (kind, "daily") != 0 && g_strcmp0 (kind, "conversations") != 0)
    return;
  current_dates (self, &from, &to);
  from_text = confab_analytics_iso_date (&from);
  to_text = confab_analytics_iso_date (&to);
  /* Translators: the suggested file name of an export: kind, first day, last day */
  name = g_strdup_printf (_("confab-%s-%s-%s.csv"), g_str_equal (kind, "daily") ? _("daily") : _("conversations"),
                          from_text, to_text);
  chooser = gtk_file_chooser_native_new (_("Export as CSV"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_set_name (filter, _("CSV Files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_set_data_full (G_OBJECT (chooser), "kind", g_strdup (kind), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  load (CONFAB_ANALYTICS_PAGE (widget), FALSE);
}

/* ------------------------------------------------------------- public --- */

void
confab_analytics_page_set_account (ConfabAnalyticsPage *self,
                                   ConfabAccount       *account)
{
  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));

  if (self->account == account)
    return;
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
    }
  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_set_object (&self->account, account);
  g_clear_pointer (&self->site_id, g_free);
  /* another account's figures must not show a moment under this one's name */
  for (guint i = 0; i < G_N_ELEMENTS (self->charts); i++)
    confab_chart_set_analytics (CONFAB_CHART (self->charts[i]), NULL);
  g_clear_pointer (&self->analytics, confab_analytics_free);
  g_clear_pointer (&self->previous, confab_analytics_free);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  if (account != NULL)
    {
      g_signal_connect_object (confab_account_get_cache (account), "sites-changed",
                               G_CALLBACK (rebuild_sites), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_cache (account), "conversation-changed",
                               G_CALLBACK (on_conversation_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_client (account), "notify::state",
                               G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
    }
  rebuild_sites (self);
  load_when_shown (self);
}

void
confab_analytics_page_set_site_id (ConfabAnalyticsPage *self,
                                   const char          *site_id)
{
  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));

  if (g_strcmp0 (site_id, self->site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  self->updating = TRUE;
  for (guint i = 0; i < self->site_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->site_ids, i), site_id) == 0)
      gtk_drop_down_set_selected (self->site_dropdown, i);
  self->updating = FALSE;
  load_when_shown (self);
}

const char *
confab_analytics_page_get_site_id (ConfabAnalyticsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ANALYTICS_PAGE (self), NULL);
  return self->site_id;
}

void
confab_analytics_page_set_range (ConfabAnalyticsPage  *self,
                                 ConfabAnalyticsRange  range,
                                 const GDate          *from,
                                 const GDate          *to)
{
  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));
  g_return_if_fail (range != CONFAB_ANALYTICS_RANGE_CUSTOM || (from != NULL && to != NULL));

  self->range = range;
  if (range == CONFAB_ANALYTICS_RANGE_CUSTOM)
    {
      self->custom_from = *from;
      self->custom_to = *to;
    }
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->range_dropdown, range);
  self->updating = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->custom_button), range == CONFAB_ANALYTICS_RANGE_CUSTOM);
  load_when_shown (self);
}

void
confab_analytics_page_set_folded (ConfabAnalyticsPage *self,
                                  gboolean             folded)
{
  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));

  gtk_widget_set_visible (self->sidebar_button, folded);
  adw_header_bar_set_show_start_title_buttons (self->header_bar, folded);
}

void
confab_analytics_page_reload (ConfabAnalyticsPage *self)
{
  g_return_if_fail (CONFAB_IS_ANALYTICS_PAGE (self));
  load (self, TRUE);
}

const char *
confab_analytics_page_get_state (ConfabAnalyticsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ANALYTICS_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const ConfabAnalytics *
confab_analytics_page_get_analytics (ConfabAnalyticsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ANALYTICS_PAGE (self), NULL);
  return self->analytics;
}

guint
confab_analytics_page_get_n_loads (ConfabAnalyticsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ANALYTICS_PAGE (self), 0);
  return self->n_loads;
}

/* ------------------------------------------------------------- object --- */

static GtkWidget *
chart_card_new (ConfabAnalyticsPage *self,
                ConfabChartKind      kind,
                const char          *heading,
                const char          *name)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);
  GtkWidget *label = gtk_label_new (heading);
  GtkWidget *chart = confab_chart_new (kind);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "chart-card");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_name (chart, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_LABEL, heading, -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), chart);
  self->charts[kind] = chart;
  return box;
}

static void
confab_analytics_page_dispose (GObject *object)
{
  ConfabAnalyticsPage *self = CONFAB_ANALYTICS_PAGE (object);

  /* an answer already on its way is dropped: the charts go with the template */
  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
    }
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_ANALYTICS_PAGE);
  G_OBJECT_CLASS (confab_analytics_page_parent_class)->dispose (object);
}

static void
confab_analytics_page_finalize (GObject *object)
{
  ConfabAnalyticsPage *self = CONFAB_ANALYTICS_PAGE (object);

  /* the charts went with the template: nothing borrows these any more */
  g_clear_pointer (&self->analytics, confab_analytics_free);
  g_clear_pointer (&self->previous, confab_analytics_free);
  g_clear_object (&self->faq_rows);
  g_clear_object (&self->opener_rows);
  g_clear_object (&self->agent_rows);
  g_ptr_array_unref (self->site_ids);
  g_free (self->site_id);
  g_free (self->loaded_today);
  G_OBJECT_CLASS (confab_analytics_page_parent_class)->finalize (object);
}

static void
confab_analytics_page_class_init (ConfabAnalyticsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_analytics_page_dispose;
  object_class->finalize = confab_analytics_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-analytics-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, title);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, site_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, site_names);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, custom_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, custom_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, data_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnalyticsPage, cards);
  gtk_widget_class_bind_template_callback (widget_class, on_site_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_range_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_custom_day);
  gtk_widget_class_bind_template_callback (widget_class, on_custom_apply);
  gtk_widget_class_install_action (widget_class, "analytics.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "analytics.export", "s", export_action);
}

static void
load_css (GtkWidget *widget)
{
  static GtkCssProvider *provider;

  if (provider != NULL)
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/chat/confab/Confab/confab-analytics.css");
  gtk_style_context_add_provider_for_display (gtk_widget_get_display (widget),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
confab_analytics_page_init (ConfabAnalyticsPage *self)
{
  GtkColumnView *view;
  GtkColumnViewColumn *sort_by;
  GtkWidget *row;

  gtk_widget_init_template (GTK_WIDGET (self));
  load_css (GTK_WIDGET (self));
  self->site_ids = g_ptr_array_new_with_free_func (g_free);
  self->range = CONFAB_ANALYTICS_RANGE_7_DAYS;
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->range_dropdown, self->range);
  self->updating = FALSE;
  g_date_clear (&self->custom_from, 1);
  g_date_clear (&self->custom_to, 1);

  card_new (self, CARD_CONVERSATIONS, _("Conversations"), "card-conversations");
  card_new (self, CARD_FIRST_RESPONSE, _("First Response"), "card-first-response");
  card_new (self, CARD_RESOLUTION, _("Resolution"), "card-resolution");
  card_new (self, CARD_CSAT, _("Satisfaction"), "card-csat");
  card_new (self, CARD_BOT_SHARE, _("Answered by the Bot"), "card-bot-share");

  gtk_box_append (self->data_box, chart_card_new (self, CONFAB_CHART_CONVERSATIONS,
                                                  _("Conversations per Day"), "chart-conversations"));
  gtk_box_append (self->data_box, chart_card_new (self, CONFAB_CHART_TIMES,
                                                  _("Response Times per Day"), "chart-times"));
  /* side by side in a wide window, one under the other in a narrow one */
  row = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (row), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (row), TRUE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (row), 2);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (row), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (row), 12);
  gtk_flow_box_append (GTK_FLOW_BOX (row), chart_card_new (self, CONFAB_CHART_CSAT,
                                                           _("Ratings"), "chart-csat"));
  gtk_flow_box_append (GTK_FLOW_BOX (row), chart_card_new (self, CONFAB_CHART_BOT,
                                                           _("Bot and Agents"), "chart-bot"));
  gtk_box_append (self->data_box, row);
  self->engage_cards = confab_analytics_engage_new ();
  gtk_box_append (self->data_box, self->engage_cards);
  gtk_box_append (self->data_box, chart_card_new (self, CONFAB_CHART_HOURS,
                                                  _("Busiest Hours"), "chart-hours"));
  self->assistant_cards = confab_analytics_assistant_new ();
  gtk_box_append (self->data_box, self->assistant_cards);

  self->agent_rows = g_list_store_new (CONFAB_TYPE_ANALYTICS_ROW);
  self->agent_card = confab_analytics_table_new (_("Agents"), "agents-table", self->agent_rows, &view);
  confab_analytics_table_add_column (view, _("Agent"), CONFAB_ANALYTICS_COLUMN_LABEL, "label");
  sort_by = confab_analytics_table_add_column (view, _("Conversations"), CONFAB_ANALYTICS_COLUMN_COUNT, "count");
  confab_analytics_table_add_column (view, _("Messages"), CONFAB_ANALYTICS_COLUMN_MESSAGES, "messages");
  confab_analytics_table_add_column (view, _("First Response"), CONFAB_ANALYTICS_COLUMN_FIRST_RESPONSE, "first-response");
  confab_analytics_table_add_column (view, _("Rating"), CONFAB_ANALYTICS_COLUMN_CSAT, "csat");
  gtk_column_view_sort_by_column (view, sort_by, GTK_SORT_DESCENDING);
  gtk_box_append (self->data_box, self->agent_card);

  self->faq_rows = g_list_store_new (CONFAB_TYPE_ANALYTICS_ROW);
  self->faq_card = confab_analytics_table_new (_("Top Questions Answered by the Bot"), "faqs-table",
                                   self->faq_rows, &view);
  confab_analytics_table_add_column (view, _("Question"), CONFAB_ANALYTICS_COLUMN_LABEL, "label");
  sort_by = confab_analytics_table_add_column (view, _("Answers"), CONFAB_ANALYTICS_COLUMN_COUNT, "count");
  gtk_column_view_sort_by_column (view, sort_by, GTK_SORT_DESCENDING);
  gtk_box_append (self->data_box, self->faq_card);

  self->opener_rows = g_list_store_new (CONFAB_TYPE_ANALYTICS_ROW);
  self->opener_card = confab_analytics_table_new (_("Most Frequent First Messages"), "openers-table",
                                      self->opener_rows, &view);
  confab_analytics_table_add_column (view, _("Message"), CONFAB_ANALYTICS_COLUMN_LABEL, "label");
  sort_by = confab_analytics_table_add_column (view, _("Conversations"), CONFAB_ANALYTICS_COLUMN_COUNT, "count");
  gtk_column_view_sort_by_column (view, sort_by, GTK_SORT_DESCENDING);
  gtk_box_append (self->data_box, self->opener_card);

  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
  rebuild_sites (self);
}
