/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-window.c: the main window.
 *
 * An AdwLeaflet of four panes (sites, conversations, chat, visitor) that folds to one pane at a
 * time in a narrow window. Everything shown comes from the account's cache, so the inbox is
 * painted before (and without) the network; the client's state only drives the banner. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-analytics-page.h"
#include "confab-chat-view.h"
#include "confab-conversation-list.h"
#include "confab-cache-channels.h"
#include "confab-conversation-row.h"
#include "confab-format.h"
#include "confab-offline-list.h"
#include "confab-offline-view.h"
#include "confab-client-chat.h"
#include "confab-label-filter.h"
#include "confab-queue-view.h"
#include "confab-routing.h"
#include "confab-search-results.h"
#include "confab-team-filter.h"
#include "confab-visitor-pane.h"
#include "confab-window.h"

#define IDLE_CHECK_SECONDS 30

struct _ConfabWindow
{
  AdwApplicationWindow    parent_instance;

  AdwToastOverlay        *toasts;
  GtkRevealer            *banner;
  GtkLabel               *banner_label;
  GtkSpinner             *banner_spinner;
  GtkButton              *banner_button;
  GtkStack               *main_stack;
  ConfabSignInPage       *sign_in_page;
  AdwFlap                *flap;
  AdwLeaflet             *leaflet;
  GtkWidget              *sidebar_pane;
  GtkWidget              *list_pane;
  GtkWidget              *visitor_separator;
  GtkListBox             *sites_list;
  AdwWindowTitle         *sidebar_title;
  GtkMenuButton          *primary_menu_button;
  GMenu                  *accounts_section;
  GtkMenuButton          *presence_button;
  GtkWidget              *list_back_button;
  GtkSearchEntry         *search_entry;
  GtkDropDown            *filter_dropdown;
  GtkDropDown            *sort_dropdown;
  ConfabLabelFilter      *label_filter;
  ConfabTeamFilter       *team_filter;
  ConfabQueueView        *queue_view;
  AdwViewStackPage       *queue_page;
  GtkLabel               *load_label;
  ConfabSearchResults    *search_results;
  AdwViewStack           *list_stack;
  GtkListView            *conversation_view;
  GtkStack               *conversation_stack;
  GtkListView            *visitor_view;
  GtkDropDown            *visitor_sort;
  GtkStack               *visitor_stack;
  ConfabChatView         *chat_view;
  GtkStack               *detail_stack;
  ConfabOfflineView      *offline_view;
  ConfabOfflineList      *offline_list;
  AdwViewStackPage       *offline_page;
  ConfabVisitorPane      *visitor_pane;
  GtkStack               *content_stack;
  GtkListBox             *views_list;
  ConfabAnalyticsPage    *analytics_page;

  ConfabSettings         *settings;
  ConfabAccount          *account;
  ConfabConversationList *conversations;
  GtkSingleSelection     *selection;
  GListStore             *visitors;
  char                   *site_id;       /* NULL: all sites */
  char                   *presence;
  gboolean                show_visitor_pane;
  gboolean                auto_away;
  gint64                  last_activity_us;
  guint                   idle_source;
  guint                   refresh_source;
  guint                   visitors_source;
  guint                   reselect_source;
  gboolean                list_at_start;   /* the newest (first) rows in view */
  gint64                  list_user_us;    /* the agent's last scroll or key in the list */
  guint                   list_pin_source;
  GdkFrameClock          *paced_clock;     /* weak: the clock whose frames pace the catch-up */
  gboolean                selecting;
};

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SHOW_VISITOR_PANE,
  PROP_PRESENCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const ConfabConversationFilter filters[] = {
  CONFAB_CONVERSATION_FILTER_ALL, CONFAB_CONVERSATION_FILTER_OPEN,
  CONFAB_CONVERSATION_FILTER_PENDING, CONFAB_CONVERSATION_FILTER_MINE,
  CONFAB_CONVERSATION_FILTER_UNASSIGNED, CONFAB_CONVERSATION_FILTER_RESOLVED,
};

static ConfabClient *
client_of (ConfabWindow *self)
{
  return self->account != NULL ? confab_account_get_client (self->account) : NULL;
}

static ConfabCache *
cache_of (ConfabWindow *self)
{
  return self->account != NULL ? confab_account_get_cache (self->account) : NULL;
}

void
confab_window_toast (ConfabWindow *self,
                     const char   *text)
{
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

/* -------------------------------------------------------------- title --- */

static void
update_title (ConfabWindow *self)
{
  guint unread = cache_of (self) != NULL ? confab_cache_count_unread (cache_of (self), NULL) : 0;
  g_autofree char *title = NULL;

  /* "Confab (3)": the count shows in the task bar and the window switcher */
  if (unread > 0)
    title = g_strdup_printf (_("Confab (%u)"), unread);
  else
    title = g_strdup (_("Confab"));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

/* -------------------------------------------------------------- sites --- */

static void
site_row_set_unread (GtkWidget *row,
                     guint      unread)
{
  GtkLabel *badge = g_object_get_data (G_OBJECT (row), "badge");
  g_autofree char *count = g_strdup_printf ("%u", unread);

  if (g_strcmp0 (gtk_label_get_text (badge), count) != 0)
    gtk_label_set_text (badge, count);
  gtk_widget_set_visible (GTK_WIDGET (badge), unread > 0);
}

static GtkWidget *
site_row_new (const char *site_id,
              const char *name,
              guint       unread,
              const char *icon)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *image = gtk_image_new_from_icon_name (icon);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  GtkWidget *badge = gtk_label_new (NULL);

  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  gtk_widget_add_css_class (badge, "unread-badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), badge);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "site-id", g_strdup (site_id), g_free);
  g_object_set_data_full (G_OBJECT (row), "site-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (row), "badge", badge);
  site_row_set_unread (row, unread);
  return row;
}

/* The rows shown, when they are these sites under these names: their counts set in place.
 * Rebuilt every 100 ms while events arrive, the sidebar's new rows were re-measured and
 * re-styled each time (bench/desktop-catchup.sh). */
static gboolean
update_site_rows (ConfabWindow *self,
                  guint         all_unread,
                  GListModel   *sites)
{
  GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->sites_list));
  guint n = g_list_model_get_n_items (sites);

  for (guint i = 0; i <= n; i++, row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr (ConfabSite) site = i > 0 ? g_list_model_get_item (sites, i - 1) : NULL;

      if (row == NULL ||
          g_strcmp0 (g_object_get_data (G_OBJECT (row), "site-id"),
                     site ? confab_site_get_id (site) : NULL) != 0 ||
          (site != NULL && g_strcmp0 (g_object_get_data (G_OBJECT (row), "site-name"),
                                      confab_site_get_name (site)) != 0))
        return FALSE;
    }
  if (row != NULL)
    return FALSE;

  row = gtk_widget_get_first_child (GTK_WIDGET (self->sites_list));
  site_row_set_unread (row, all_unread);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);

      row = gtk_widget_get_next_sibling (row);
      site_row_set_unread (row, confab_site_get_unread (site));
    }
  return TRUE;
}

static gboolean
analytics_shown (ConfabWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "analytics") == 0;
}

/* An agent belongs to a handful of sites: a list box rebuilt from the cache is enough. */
static void
rebuild_sites (ConfabWindow *self)
{
  g_autoptr (GListModel) sites = NULL;
  GtkWidget *child;
  GtkListBoxRow *selected = NULL;
  guint all_unread;

  if (cache_of (self) == NULL)
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sites_list))) != NULL)
        gtk_list_box_remove (self->sites_list, child);
      return;
    }

  all_unread = confab_cache_count_unread (cache_of (self), NULL);
  sites = confab_cache_list_sites (cache_of (self));
  if (!update_site_rows (self, all_unread, sites))
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sites_list))) != NULL)
        gtk_list_box_remove (self->sites_list, child);
      child = site_row_new (NULL, _("All Sites"), all_unread, "confab-inbox-symbolic");
      gtk_widget_set_name (child, "all-sites");
      gtk_list_box_append (self->sites_list, child);
      for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
        {
          g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);

          gtk_list_box_append (self->sites_list,
                               site_row_new (confab_site_get_id (site), confab_site_get_name (site),
                                             confab_site_get_unread (site), "confab-globe-symbolic"));
        }
    }
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->sites_list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (self->site_id, g_object_get_data (G_OBJECT (child), "site-id")) == 0)
      selected = GTK_LIST_BOX_ROW (child);
  self->selecting = TRUE;
  /* the Analytics view is chosen under the sites: no site row stays selected beside it */
  gtk_list_box_select_row (self->sites_list, analytics_shown (self) ? NULL : selected);
  self->selecting = FALSE;
}

static void confab_window_routing_update (ConfabWindow *self);

static gboolean
refresh_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->refresh_source = 0;
  rebuild_sites (self);
  update_title (self);
  confab_window_routing_update (self);
  return G_SOURCE_REMOVE;
}

/* A burst of events (the backlog after a reconnect) rebuilds the counts once. */
static void
queue_refresh (ConfabWindow *self)
{
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (100, refresh_cb, self);
}

static void reload_visitors (ConfabWindow *self);

/* ---------------------------------------------------- offline messages --- */

/* The conversation or the offline message beside the list; in a folded window, in front. */
static void
show_detail (ConfabWindow *self,
             const char   *name)
{
  gtk_stack_set_visible_child_name (self->detail_stack, name);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->detail_stack));
}

static void
update_offline_count (ConfabWindow *self)
{
  guint open = confab_offline_list_get_open_count (self->offline_list);

  /* the tab says how many wait for an answer, like an unread count */
  adw_view_stack_page_set_badge_number (self->offline_page, open);
  adw_view_stack_page_set_needs_attention (self->offline_page, open > 0);
}

static void
on_offline_activated (ConfabWindow *self,
                      const char   *id)
{
  g_autoptr (ConfabOfflineMessage) offline = NULL;

  confab_offline_view_set_id (self->offline_view, id);
  show_detail (self, "offline");
  if (cache_of (self) != NULL &&
      (offline = confab_cache_get_offline_message (cache_of (self), id)) != NULL &&
      confab_offline_message_get_visitor_id (offline) != NULL)
    confab_visitor_pane_set_visitor_id (self->visitor_pane,
                                        confab_offline_message_get_visitor_id (offline), NULL);
}

static void
on_offline_open_conversation (ConfabWindow *self,
                              const char   *conversation_id)
{
  confab_window_open_conversation (self, conversation_id);
}

static void
on_offline_back (ConfabWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

void
confab_window_open_offline_message (ConfabWindow *self,
                                    const char   *id)
{
  /* from a notification while the Analytics view is shown: back to the inbox's side */
  gtk_list_box_unselect_all (self->views_list);
  gtk_stack_set_visible_child_name (self->content_stack, "inbox");
  adw_view_stack_set_visible_child_name (self->list_stack, "offline");
  confab_offline_list_select (self->offline_list, id);
  on_offline_activated (self, id);
}

static void
on_site_selected (ConfabWindow  *self,
                  GtkListBoxRow *row)
{
  const char *site_id;

  if (row == NULL || self->selecting)
    return;
  site_id = g_object_get_data (G_OBJECT (row), "site-id");
  /* a site chosen from the Analytics view: back to its inbox */
  gtk_list_box_unselect_all (self->views_list);
  gtk_stack_set_visible_child_name (self->content_stack, "inbox");
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  confab_conversation_list_set_site_id (self->conversations, site_id);
  confab_label_filter_set_site_id (self->label_filter, site_id);
  confab_team_filter_set_site_id (self->team_filter, site_id);
  confab_queue_view_set_site_id (self->queue_view, site_id);
  confab_offline_list_set_site_id (self->offline_list, site_id);
  update_offline_count (self);
  reload_visitors (self);
  /* the sites were a folded flap over the inbox: the inbox is what the agent wants now */
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

/* The Analytics view, under the sites: it opens on the site the inbox showed. */
static void
on_view_selected (ConfabWindow  *self,
                  GtkListBoxRow *row)
{
  if (row == NULL)
    return;
  confab_analytics_page_set_site_id (self->analytics_page, self->site_id);
  gtk_stack_set_visible_child_name (self->content_stack, "analytics");
  self->selecting = TRUE;
  gtk_list_box_unselect_all (self->sites_list);
  self->selecting = FALSE;
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

void
confab_window_show_analytics (ConfabWindow *self)
{
  gtk_list_box_select_row (self->views_list,
                           gtk_list_box_get_row_at_index (self->views_list, 0));
}

ConfabAnalyticsPage *
confab_window_get_analytics_page (ConfabWindow *self)
{
  return self->analytics_page;
}

/* ------------------------------------------------------ conversations --- */

static void
setup_conversation_row (GtkSignalListItemFactory *factory,
                        GtkListItem              *item)
{
  gtk_list_item_set_child (item, confab_conversation_row_new ());
}

static void
bind_conversation_row (GtkSignalListItemFactory *factory,
                       GtkListItem              *item,
                       ConfabWindow             *self)
{
  ConfabConversationRow *row = CONFAB_CONVERSATION_ROW (gtk_list_item_get_child (item));
  ConfabConversation *conversation = gtk_list_item_get_item (item);
  /* issue 15: e-mail, Messenger, WhatsApp (NULL: the website) */
  g_autofree char *channel = cache_of (self) != NULL && conversation != NULL
                             ? confab_cache_dup_channel (cache_of (self),
                                                         confab_conversation_get_id (conversation), NULL)
                             : NULL;

  confab_conversation_row_set_channel (row, channel);
  confab_conversation_row_set_conversation (row, conversation);
}

static void
show_conversation (ConfabWindow       *self,
                   ConfabConversation *conversation)
{
  gtk_stack_set_visible_child_name (self->detail_stack, "chat");
  const char *id = conversation != NULL ? confab_conversation_get_id (conversation) : NULL;

  confab_chat_view_set_conversation_id (self->chat_view, id);
  confab_visitor_pane_set_visitor_id (self->visitor_pane,
                                      conversation != NULL ? confab_conversation_get_visitor_id (conversation) : NULL,
                                      id);
}

static void
on_selection_changed (ConfabWindow *self)
{
  /* the list's pages are a cache: keep the item alive while the panes load */
  g_autoptr (ConfabConversation) conversation = NULL;

  if (gtk_single_selection_get_selected_item (self->selection) != NULL)
    conversation = g_object_ref (gtk_single_selection_get_selected_item (self->selection));

  /* a live update moves the selected row (remove + insert): same id, nothing to do */
  if (conversation == NULL ||
      g_strcmp0 (confab_conversation_get_id (conversation),
                 confab_chat_view_get_conversation_id (self->chat_view)) == 0)
    return;
  show_conversation (self, conversation);
}

static void on_conversation_activated (ConfabWindow *self, guint position);

/* A click (or tap) on a row in a folded window: the conversation's pane comes forward, also for
 * the conversation that was open already (the list's own click only selects, which opens it
 * beside the list in a wide window). */
static void
on_conversation_clicked (GtkGestureClick *gesture,
                         int              n_press,
                         double           x,
                         double           y,
                         ConfabWindow    *self)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->conversation_view), x, y, GTK_PICK_DEFAULT);
  GtkWidget *row = picked == NULL || CONFAB_IS_CONVERSATION_ROW (picked)
                   ? picked : gtk_widget_get_ancestor (picked, CONFAB_TYPE_CONVERSATION_ROW);
  const char *id;
  int position;

  if (row == NULL || !adw_leaflet_get_folded (self->leaflet) || self->conversations == NULL ||
      (id = confab_conversation_row_get_conversation_id (CONFAB_CONVERSATION_ROW (row))) == NULL ||
      (position = confab_conversation_list_find (self->conversations, id)) < 0)
    return;
  on_conversation_activated (self, (guint) position);
}

static void
on_conversation_activated (ConfabWindow *self,
                           guint         position)
{
  gtk_single_selection_set_selected (self->selection, position);
  on_selection_changed (self);
  show_detail (self, "chat");
}

/* A change moves the row as remove + insert of a new snapshot, which GtkSingleSelection takes
 * for another item: once the list settled, select the open conversation again where it went. */
static gboolean
reselect_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;
  const char *open_id = confab_chat_view_get_conversation_id (self->chat_view);
  ConfabConversation *selected;
  int position;

  self->reselect_source = 0;
  if (self->conversations == NULL || open_id == NULL)
    return G_SOURCE_REMOVE;
  selected = gtk_single_selection_get_selected_item (self->selection);
  if (selected != NULL && g_strcmp0 (confab_conversation_get_id (selected), open_id) == 0)
    return G_SOURCE_REMOVE;
  position = confab_conversation_list_find (self->conversations, open_id);
  gtk_single_selection_set_selected (self->selection,
                                     position >= 0 ? (guint) position : GTK_INVALID_LIST_POSITION);
  return G_SOURCE_REMOVE;
}

/* The inbox keeps its first rows (the newest) in view while rows arrive above them, as after
 * a catch-up, unless the agent scrolled down: GtkListView keeps the row it shows instead. */
#define LIST_USER_US (400 * G_TIME_SPAN_MILLISECOND)

static GtkAdjustment *
list_adjustment (ConfabWindow *self)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->conversation_view));
}

static gboolean
list_pin_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->list_pin_source = 0;
  /* The list's own scroll-to-item, not the adjustment: a value set before the rows that just
   * came were measured made GTK 4.8 warn "GtkListView failed to scroll to given position"
   * (seen with 20 conversations in a catch-up). Not on screen (the Analytics view in its
   * place): pinned when shown again (map). */
  if (self->list_at_start && self->conversations != NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) > 0 &&
      gtk_widget_get_mapped (GTK_WIDGET (self->conversation_view)))
    gtk_widget_activate_action (GTK_WIDGET (self->conversation_view), "list.scroll-to-item", "u", 0);
  return G_SOURCE_REMOVE;
}

static void
pin_list_to_start (ConfabWindow *self)
{
  /* not from the list's own layout, where values set are ignored; before the next frame */
  if (self->list_pin_source == 0)
    self->list_pin_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, list_pin_cb, self, NULL);
}

static void
on_list_user (ConfabWindow *self)
{
  self->list_user_us = g_get_monotonic_time ();
}

static gboolean
on_list_wheel (GtkEventControllerScroll *controller,
               double                    dx,
               double                    dy,
               ConfabWindow             *self)
{
  on_list_user (self);
  return FALSE;
}

static gboolean
on_list_key (GtkEventControllerKey *controller,
             guint                  keyval,
             guint                  keycode,
             GdkModifierType        state,
             ConfabWindow          *self)
{
  on_list_user (self);
  return FALSE;
}

static void
on_list_value_changed (ConfabWindow *self)
{
  double value = gtk_adjustment_get_value (list_adjustment (self));

  if (value < 1)
    self->list_at_start = TRUE;
  else if (g_get_monotonic_time () - self->list_user_us < LIST_USER_US)
    self->list_at_start = FALSE;
  else if (self->list_at_start)
    pin_list_to_start (self);
}

static void
update_conversation_empty (ConfabWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));

  if (self->list_at_start)
    pin_list_to_start (self);

  /* nothing here for a search: the relay has every conversation, the cache the recent ones */
  {
    const char *search = confab_conversation_list_get_search (self->conversations);
    gboolean ask_relay = n == 0 && search != NULL && *search != '\0';

    confab_search_results_search (self->search_results, ask_relay ? search : NULL, self->site_id);
    gtk_stack_set_visible_child_name (self->conversation_stack,
                                      n > 0 ? "list" : ask_relay ? "relay" : "empty");
  }
  if (self->reselect_source == 0)
    self->reselect_source = g_idle_add (reselect_cb, self);
}

static void
on_filter_changed (ConfabWindow *self)
{
  guint index = gtk_drop_down_get_selected (self->filter_dropdown);

  if (index < G_N_ELEMENTS (filters))
    confab_conversation_list_set_filter (self->conversations, filters[index]);
}

static void
on_label_filter_changed (ConfabWindow *self)
{
  if (self->conversations != NULL)
    confab_conversation_list_set_label_id (self->conversations,
                                           confab_label_filter_get_label_id (self->label_filter));
}

static void
on_team_filter_changed (ConfabWindow *self)
{
  const char *team_id = confab_team_filter_get_team_id (self->team_filter);

  if (self->conversations != NULL)
    confab_conversation_list_set_team_id (self->conversations, team_id);
  confab_queue_view_set_team_id (self->queue_view, team_id);
}

static void
on_queue_open_conversation (ConfabWindow *self,
                            const char   *conversation_id)
{
  confab_window_open_conversation (self, conversation_id);
}

/* Issue 18, when the relay routes (it says the user's limit then; an older relay does not and
 * none of this shows): the Queue tab with its count, the user's load under the sites. */
static void
confab_window_routing_update (ConfabWindow *self)
{
  ConfabCache *cache = cache_of (self);
  gboolean routing = cache != NULL && confab_cache_has_routing (cache, self->site_id);
  guint queued = confab_queue_view_get_n_items (self->queue_view);
  g_autoptr (GListModel) sites = NULL;
  gint64 limit = 0;
  gboolean unlimited = FALSE;
  guint load;
  g_autofree char *text = NULL;

  /* always on a routing site (the view switcher is clamped to three tabs' width, so the
   * sites stay beside the inbox on a 1360 px window) */
  adw_view_stack_page_set_visible (self->queue_page, routing);
  adw_view_stack_page_set_badge_number (self->queue_page, queued);
  adw_view_stack_page_set_needs_attention (self->queue_page, routing && queued > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->load_label), routing);
  if (!routing)
    return;
  load = confab_cache_count_load (cache, confab_client_get_user_id (client_of (self)), self->site_id);
  /* "All sites": the limits of the routing sites added up, unless one has none */
  sites = confab_cache_list_sites (cache);
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);
      int max = confab_site_get_max_chats (site);

      if (max < 0 || (self->site_id != NULL && g_strcmp0 (self->site_id, confab_site_get_id (site)) != 0))
        continue;
      if (max == 0)
        unlimited = TRUE;
      limit += max;
    }
  if (unlimited || limit == 0)
    text = g_strdup_printf (ngettext ("%u chat", "%u chats", load), load);
  else
    /* Translators: the user's load: chats now of the most they take at once */
    text = g_strdup_printf (ngettext ("%u of %u chat", "%u of %u chats", (gulong) limit), load, (guint) limit);
  gtk_label_set_text (self->load_label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->load_label), "warning");
  if (!unlimited && limit > 0 && load >= limit)
    gtk_widget_add_css_class (GTK_WIDGET (self->load_label), "warning");
}

static void
on_sort_changed (ConfabWindow *self)
{
  confab_conversation_list_set_sort (self->conversations,
                                     gtk_drop_down_get_selected (self->sort_dropdown) == 1
                                     ? CONFAB_CONVERSATION_SORT_WAITING_LONGEST
                                     : CONFAB_CONVERSATION_SORT_NEWEST);
}

static void
on_search_changed (ConfabWindow *self)
{
  confab_conversation_list_set_search (self->conversations,
                                       gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

typedef struct {
  ConfabWindow *self;
  char         *conversation_id;
  gint64        seq;
} FoundOpen;

static void
found_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  FoundOpen *open = user_data;
  g_autoptr (GError) error = NULL;

  if (!confab_client_fetch_found_finish (CONFAB_CLIENT (source), result, &error))
    confab_window_toast (open->self, error->message);
  else
    {
      /* the search found nothing here: the whole inbox again, the conversation in it */
      gtk_editable_set_text (GTK_EDITABLE (open->self->search_entry), "");
      confab_window_open_conversation (open->self, open->conversation_id);
      confab_chat_view_show_seq (open->self->chat_view, open->seq);
    }
  g_object_unref (open->self);
  g_free (open->conversation_id);
  g_free (open);
}

/* A result of the relay's search: its conversation (and the messages around the found one)
 * into the cache first, then open at that message. */
static void
on_search_result (ConfabWindow *self,
                  const char   *conversation_id,
                  gint64        seq)
{
  FoundOpen *open = g_new0 (FoundOpen, 1);

  if (client_of (self) == NULL)
    {
      g_free (open);
      return;
    }
  open->self = g_object_ref (self);
  open->conversation_id = g_strdup (conversation_id);
  open->seq = seq;
  confab_client_fetch_found_async (client_of (self), conversation_id, seq, NULL, found_cb, open);
}

static void
on_search_activated (ConfabWindow *self)
{
  /* Ctrl+K, type, Enter: the first match opens */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) > 0)
    {
      on_conversation_activated (self, 0);
      confab_chat_view_focus_composer (self->chat_view);
    }
}

/* ----------------------------------------------------------- visitors --- */

static void
setup_visitor_row (GtkSignalListItemFactory *factory,
                   GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *avatar = adw_avatar_new (36, NULL, TRUE);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *page = gtk_label_new (NULL);
  GtkWidget *ghost = gtk_label_new (NULL);
  GtkWidget *button = gtk_button_new_from_icon_name ("chat-message-new-symbolic");
  GtkWidget *score = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 10);
  gtk_widget_set_margin_end (box, 10);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (page), 0);
  gtk_label_set_ellipsize (GTK_LABEL (page), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (page, "dim-label");
  gtk_widget_add_css_class (page, "caption");
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (text), name);
  gtk_box_append (GTK_BOX (text), page);
  /* what they type before they send it (confab_client_get_typing_preview) */
  gtk_label_set_xalign (GTK_LABEL (ghost), 0);
  gtk_label_set_ellipsize (GTK_LABEL (ghost), PANGO_ELLIPSIZE_START);
  gtk_widget_set_name (ghost, "visitor-row-ghost");
  gtk_widget_add_css_class (ghost, "ghost-text");
  gtk_widget_add_css_class (ghost, "caption");
  gtk_widget_set_visible (ghost, FALSE);
  gtk_box_append (GTK_BOX (text), ghost);
  /* issue 16: the lead score, when the relay gives one */
  gtk_widget_set_name (score, "visitor-row-score");
  gtk_widget_set_valign (score, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (score, "numeric");
  gtk_widget_add_css_class (score, "dim-label");
  gtk_widget_set_tooltip_text (score, _("Lead score"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_name (button, "start-conversation");
  gtk_widget_set_tooltip_text (button, _("Start a Conversation"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Start a Conversation"), -1);
  gtk_box_append (GTK_BOX (box), avatar);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), score);
  gtk_box_append (GTK_BOX (box), button);
  g_object_set_data (G_OBJECT (item), "score", score);
  g_object_set_data (G_OBJECT (item), "avatar", avatar);
  g_object_set_data (G_OBJECT (item), "name", name);
  g_object_set_data (G_OBJECT (item), "page", page);
  g_object_set_data (G_OBJECT (item), "ghost", ghost);
  g_object_set_data (G_OBJECT (item), "start", button);
  gtk_list_item_set_child (item, box);
}

static void
bind_visitor_row (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  ConfabWindow             *self)
{
  ConfabVisitor *v = gtk_list_item_get_item (item);
  g_autofree char *name = confab_format_visitor (confab_visitor_get_name (v), confab_visitor_get_id (v));
  g_autofree char *where = NULL;
  const char *country = confab_visitor_get_country (v);
  const char *title = confab_visitor_get_page_title (v);
  const char *url = confab_visitor_get_page_url (v);
  const char *page = title != NULL && *title != '\0' ? title : url != NULL ? url : "";

  where = country != NULL && *country != '\0' ? g_strdup_printf ("%s · %s", country, page) : g_strdup (page);
  adw_avatar_set_text (g_object_get_data (G_OBJECT (item), "avatar"), name);
  gtk_label_set_text (g_object_get_data (G_OBJECT (item), "name"), name);
  gtk_label_set_text (g_object_get_data (G_OBJECT (item), "page"), where);
  {
    const char *typing = client_of (self) != NULL
                         ? confab_client_get_typing_preview (client_of (self), confab_visitor_get_id (v))
                         : NULL;
    GtkWidget *ghost = g_object_get_data (G_OBJECT (item), "ghost");

    gtk_label_set_text (GTK_LABEL (ghost), typing != NULL ? typing : "");
    gtk_widget_set_visible (ghost, typing != NULL);
  }
  {
    GtkWidget *score = g_object_get_data (G_OBJECT (item), "score");
    g_autofree char *text = g_strdup_printf ("%d", (int) confab_visitor_get_lead_score (v));

    gtk_label_set_text (GTK_LABEL (score), text);
    gtk_widget_set_visible (score, confab_visitor_get_lead_score (v) >= 0);
  }
  /* the target first: the action takes the visitor id, and a button without one warns */
  gtk_actionable_set_action_target (g_object_get_data (G_OBJECT (item), "start"), "s",
                                    confab_visitor_get_id (v));
  gtk_actionable_set_action_name (g_object_get_data (G_OBJECT (item), "start"),
                                  "visitors.start-conversation");
}

/* The relay answered the first message: the conversation (new, or the one the visitor had) is
 * in the cache by now; open it to go on. */
static void
start_conversation_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (ConfabWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;

  conversation_id = confab_client_start_conversation_finish (CONFAB_CLIENT (source), result, &error);
  if (conversation_id != NULL)
    confab_window_open_conversation (self, conversation_id);
  else if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_VISITOR_OFFLINE))
    confab_window_toast (self, _("The visitor has left the site"));
  else if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE))
    confab_window_toast (self, _("Not connected: the conversation was not started"));
  else
    {
      /* Translators: %s is the relay's reason */
      g_autofree char *text = g_strdup_printf (_("Could not start the conversation: %s"),
                                               error->message);
      confab_window_toast (self, text);
    }
}

static void
on_first_message_changed (GtkEditable      *entry,
                          AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "send", *text != '\0');
}

static void
on_first_message_response (AdwMessageDialog *dialog,
                           const char       *response,
                           ConfabWindow     *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *visitor_id = g_object_get_data (G_OBJECT (dialog), "visitor-id");

  if (g_strcmp0 (response, "send") != 0 || client_of (self) == NULL)
    return;
  confab_client_start_conversation_async (client_of (self), visitor_id,
                                          gtk_editable_get_text (entry), NULL,
                                          start_conversation_cb, g_object_ref (self));
}

/* The visitor list's "start conversation": asks for the first message, which the agent sends
 * (it reaches the visitor's page at once), then opens the conversation. */
static void
start_conversation_action (GtkWidget  *widget,
                           const char *name,
                           GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  const char *visitor_id = g_variant_get_string (parameter, NULL);
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autofree char *who = NULL;
  g_autofree char *body = NULL;
  GtkWidget *entry;
  AdwMessageDialog *dialog;

  /* only the relay knows whether the visitor is still there */
  if (client_of (self) == NULL || confab_client_get_state (client_of (self)) != CONFAB_CLIENT_ONLINE)
    {
      confab_window_toast (self, _("Not connected: a conversation can be started once online"));
      return;
    }

  visitor = cache_of (self) != NULL ? confab_cache_get_visitor (cache_of (self), visitor_id) : NULL;
  who = confab_format_visitor (visitor != NULL ? confab_visitor_get_name (visitor) : NULL, visitor_id);
  /* Translators: %s is the visitor's name (or "Visitor 1a2b") */
  body = g_strdup_printf (_("Write the first message to %s. It appears on the page they are on."), who);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Start a Conversation"), body));
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), 4000);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Message"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("First message"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "send", _("_Send"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "send", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "send", FALSE);
  adw_message_dialog_set_default_response (dialog, "send");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "visitor-id", g_strdup (visitor_id), g_free);
  g_signal_connect (entry, "changed", G_CALLBACK (on_first_message_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_first_message_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
on_visitor_activated (ConfabWindow *self,
                      guint         position)
{
  g_autoptr (ConfabVisitor) v = g_list_model_get_item (G_LIST_MODEL (self->visitors), position);

  if (v == NULL)
    return;
  confab_visitor_pane_set_visitor_id (self->visitor_pane, confab_visitor_get_id (v), NULL);
  g_object_set (self, "show-visitor-pane", TRUE, NULL);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->visitor_pane));
}

/* A visitor types (before or after their first message): their row shows it. */
static void
on_visitor_typing (ConfabWindow *self,
                   const char   *site_id,
                   const char   *conversation_id,
                   const char   *visitor_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->visitors));

  for (guint i = 0; visitor_id != NULL && i < n; i++)
    {
      g_autoptr (ConfabVisitor) v = g_list_model_get_item (G_LIST_MODEL (self->visitors), i);

      if (g_strcmp0 (confab_visitor_get_id (v), visitor_id) == 0)
        {
          /* the same item again: the row is bound anew */
          g_list_store_splice (self->visitors, i, 1, (gpointer *) &v, 1);
          return;
        }
    }
}

static void
reload_visitors (ConfabWindow *self)
{
  g_autoptr (GListModel) now = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean scored = FALSE;
  guint n;

  if (cache_of (self) == NULL)
    {
      g_list_store_remove_all (self->visitors);
      return;
    }
  now = confab_cache_list_visitors_sorted (cache_of (self), self->site_id, TRUE,
                                          gtk_drop_down_get_selected (self->visitor_sort) == 1
                                          ? CONFAB_VISITOR_SORT_LEAD_SCORE
                                          : CONFAB_VISITOR_SORT_LAST_SEEN);
  n = g_list_model_get_n_items (now);
  adw_view_stack_page_set_badge_number (adw_view_stack_get_page (self->list_stack,
                                                                GTK_WIDGET (self->visitor_stack)), n);
  /* Hidden: the count only. Replacing the rows rebuilds every row widget the list keeps, and
   * during a catch-up of thousands of visitors that took most of the main loop
   * (bench/desktop-catchup.sh); the rows load when the page is shown (notify::visible-child). */
  if (adw_view_stack_get_visible_child (self->list_stack) != GTK_WIDGET (self->visitor_stack))
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->visitors)) > 0)
        g_list_store_remove_all (self->visitors);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      ConfabVisitor *v = g_list_model_get_item (now, i);

      scored = scored || confab_visitor_get_lead_score (v) >= 0;
      g_ptr_array_add (items, v);
    }
  /* a relay without lead scores: nothing to sort by */
  gtk_widget_set_visible (GTK_WIDGET (self->visitor_sort),
                          scored || gtk_drop_down_get_selected (self->visitor_sort) != 0);
  g_list_store_splice (self->visitors, 0, g_list_model_get_n_items (G_LIST_MODEL (self->visitors)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->visitor_stack, n > 0 ? "list" : "empty");
}

static void
on_visitor_sort_changed (ConfabWindow *self)
{
  /* the template sets the model before init has made the list */
  if (self->visitors != NULL)
    reload_visitors (self);
}

static gboolean
visitors_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->visitors_source = 0;
  reload_visitors (self);
  return G_SOURCE_REMOVE;
}

static void
on_visitor_changed (ConfabWindow *self)
{
  if (self->visitors_source == 0)
    self->visitors_source = g_timeout_add (200, visitors_cb, self);
}

/* ------------------------------------------------------- client state --- */

static void update_presence_button (ConfabWindow *self);

static void
on_client_state (ConfabWindow *self)
{
  ConfabClientState state = client_of (self) != NULL ? confab_client_get_state (client_of (self))
                                                     : CONFAB_CLIENT_ONLINE;
  gboolean offline = state == CONFAB_CLIENT_OFFLINE;
  gboolean connecting = state == CONFAB_CLIENT_CONNECTING || state == CONFAB_CLIENT_SYNCING;

  if (offline)
    gtk_label_set_text (self->banner_label,
                        _("Offline — showing what was saved. Messages you write are sent when the connection is back."));
  else if (state == CONFAB_CLIENT_SYNCING)
    gtk_label_set_text (self->banner_label, _("Catching up with the relay…"));
  else if (connecting)
    gtk_label_set_text (self->banner_label, _("Connecting to the relay…"));
  gtk_widget_set_visible (GTK_WIDGET (self->banner_button), offline);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_spinner), connecting);
  gtk_spinner_set_spinning (self->banner_spinner, connecting);
  gtk_revealer_set_reveal_child (self->banner, offline || connecting);
  if (offline)
    gtk_widget_add_css_class (GTK_WIDGET (self->banner), "offline");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->banner), "offline");
  update_presence_button (self);
}

static void
on_relay_error (ConfabWindow *self,
                const char   *code,
                const char   *message)
{
  if (message != NULL && *message != '\0')
    confab_window_toast (self, message);
}

/* ----------------------------------------------------------- presence --- */

/* The dot says what the team sees: the chosen presence only while connected; offline or
 * (re)connecting the team sees nobody, so a grey ring, whatever was chosen. */
static void
update_presence_button (ConfabWindow *self)
{
  ConfabClientState state = client_of (self) != NULL ? confab_client_get_state (client_of (self))
                                                     : CONFAB_CLIENT_SIGNED_OUT;
  g_autofree char *label = NULL;
  const char *icon, *shown;

  if (state == CONFAB_CLIENT_ONLINE)
    {
      if (g_strcmp0 (self->presence, "away") == 0)
        icon = "confab-away", shown = _("Away");
      else if (g_strcmp0 (self->presence, "busy") == 0)
        icon = "confab-busy", shown = _("Busy");
      else
        icon = "confab-online", shown = _("Online");
    }
  else if (state == CONFAB_CLIENT_CONNECTING || state == CONFAB_CLIENT_SYNCING)
    icon = "confab-offline", shown = _("Connecting…");
  else
    icon = "confab-offline", shown = _("Offline");

  /* Translators: the presence button; %s is "Online", "Away", "Busy", "Offline"... */
  label = g_strdup_printf (_("Your Status: %s"), shown);
  gtk_menu_button_set_icon_name (self->presence_button, icon);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->presence_button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->presence_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
set_presence (ConfabWindow *self,
              const char   *presence)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (presence, self->presence) == 0)
    return;
  g_free (self->presence);
  self->presence = g_strdup (presence);
  update_presence_button (self);
  /* kept by the client and sent again after every reconnect: offline is fine */
  if (client_of (self) != NULL && !confab_client_set_presence (client_of (self), presence, &error) &&
      !g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE))
    g_message ("Presence not sent: %s", error->message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENCE]);
}

static void
on_activity (ConfabWindow *self)
{
  self->last_activity_us = g_get_monotonic_time ();
  if (self->auto_away)
    {
      self->auto_away = FALSE;
      set_presence (self, "online");
    }
}

gboolean
confab_window_check_idle (ConfabWindow *self,
                          gint64        now_us)
{
  int minutes = confab_settings_get_away_after_minutes (self->settings);
  gint64 idle_us = now_us - self->last_activity_us;

  /* only "online" turns into "away" by itself: "busy" was chosen */
  if (minutes > 0 && g_strcmp0 (self->presence, "online") == 0 &&
      idle_us >= (gint64) minutes * 60 * G_USEC_PER_SEC)
    {
      set_presence (self, "away");
      self->auto_away = TRUE;
    }
  return self->auto_away;
}

static gboolean
idle_check_cb (gpointer user_data)
{
  confab_window_check_idle (CONFAB_WINDOW (user_data), g_get_monotonic_time ());
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ actions --- */

static void
move_selection (ConfabWindow *self,
                int           delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));
  const char *open_id = confab_chat_view_get_conversation_id (self->chat_view);
  int current, next;

  if (n == 0)
    return;
  on_list_user (self);
  /* from the open conversation, not the selection: a live update moves its row as remove +
   * insert, and until reselect_cb runs the selection is empty */
  current = open_id != NULL ? confab_conversation_list_find (self->conversations, open_id) : -1;
  if (current < 0 && gtk_single_selection_get_selected (self->selection) != GTK_INVALID_LIST_POSITION)
    current = (int) gtk_single_selection_get_selected (self->selection);
  next = current < 0 ? 0 : current + delta;
  next = CLAMP (next, 0, (int) n - 1);
  gtk_single_selection_set_selected (self->selection, next);
  gtk_widget_activate_action (GTK_WIDGET (self->conversation_view), "list.scroll-to-item", "u", next);
  on_selection_changed (self);
}

static void
navigate_action (GtkWidget  *widget,
                 const char *name,
                 GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (g_str_equal (name, "win.next-conversation"))
    move_selection (self, 1);
  else if (g_str_equal (name, "win.previous-conversation"))
    move_selection (self, -1);
  else if (g_str_equal (name, "win.back") && analytics_shown (self))
    {
      /* the inbox's panes are not on screen: "back" is to the sites */
      if (adw_flap_get_folded (self->flap))
        adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
    }
  else if (g_str_equal (name, "win.back"))
    {
      /* back through the folded panes, then to the sites folded away beside the inbox */
      if (adw_leaflet_get_folded (self->leaflet) &&
          adw_leaflet_get_visible_child (self->leaflet) != self->list_pane)
        adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
      else if (adw_flap_get_folded (self->flap))
        adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
    }
  else if (g_str_equal (name, "win.search"))
    {
      adw_view_stack_set_visible_child_name (self->list_stack, "conversations");
      adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
    }
  else if (g_str_equal (name, "win.focus-composer"))
    {
      show_detail (self, "chat");
      confab_chat_view_focus_composer (self->chat_view);
    }
  else if (g_str_equal (name, "win.reconnect") && client_of (self) != NULL)
    confab_client_reconnect_now (client_of (self));
}

static void
open_conversation_action (GtkWidget  *widget,
                          const char *name,
                          GVariant   *parameter)
{
  confab_window_open_conversation (CONFAB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* "/" focuses the composer, unless one is typing in a text field already. */
static gboolean
on_window_key (GtkEventControllerKey *controller,
               guint                  keyval,
               guint                  keycode,
               GdkModifierType        state,
               ConfabWindow          *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  on_activity (self);
  if (keyval == GDK_KEY_slash && !(state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) &&
      (focus == NULL || (!GTK_IS_TEXT_VIEW (focus) && !GTK_IS_EDITABLE (focus) &&
                         !GTK_IS_TEXT (focus))) &&
      confab_chat_view_get_conversation_id (self->chat_view) != NULL)
    {
      confab_chat_view_focus_composer (self->chat_view);
      return TRUE;
    }
  return FALSE;
}

static void
on_active_changed (ConfabWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    confab_chat_view_mark_read (self->chat_view);
}

static void
on_folded (ConfabWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);

  confab_chat_view_set_folded (self->chat_view, folded, !self->show_visitor_pane);
  confab_offline_view_set_folded (self->offline_view, folded);
  confab_visitor_pane_set_folded (self->visitor_pane, folded);
  /* the sites are reached from the inbox's header once they folded away: "back" to them in a
   * one-pane window, a sidebar beside the inbox otherwise */
  gtk_widget_set_visible (self->list_back_button, adw_flap_get_folded (self->flap));
  confab_analytics_page_set_folded (self->analytics_page, adw_flap_get_folded (self->flap));
  gtk_button_set_icon_name (GTK_BUTTON (self->list_back_button),
                            folded ? "go-previous-symbolic" : "sidebar-show-symbolic");
}

static void
update_visitor_pane (ConfabWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->visitor_pane), self->show_visitor_pane);
  gtk_widget_set_visible (self->visitor_separator, self->show_visitor_pane);
  on_folded (self);
  if (self->show_visitor_pane && adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->visitor_pane));
}

/* ------------------------------------------------------------- public --- */

static void
on_after_paint (ConfabWindow *self)
{
  if (client_of (self) != NULL)
    confab_client_frame_painted (client_of (self));
}

/* The client's catch-up takes one slice per frame of this window (confab_client_set_frame_pacer):
 * a frame is asked for, and its after-paint lets the next slice go. No frame clock (not
 * realized): no pacing. */
static gboolean
request_frame (gpointer user_data)
{
  ConfabWindow *self = user_data;
  GdkFrameClock *clock = gtk_widget_get_mapped (GTK_WIDGET (self))
                         ? gtk_widget_get_frame_clock (GTK_WIDGET (self)) : NULL;

  if (clock == NULL)
    return FALSE;
  if (clock != self->paced_clock)
    {
      if (self->paced_clock != NULL)
        g_signal_handlers_disconnect_by_func (self->paced_clock, on_after_paint, self);
      g_set_weak_pointer (&self->paced_clock, clock);
      g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_after_paint), self,
                               G_CONNECT_SWAPPED);
    }
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_AFTER_PAINT);
  return TRUE;
}

static void
disconnect_account (ConfabWindow *self)
{
  if (self->account == NULL)
    return;
  confab_client_set_frame_pacer (client_of (self), NULL, NULL);
  g_signal_handlers_disconnect_by_data (cache_of (self), self);
  g_signal_handlers_disconnect_by_data (client_of (self), self);
}

void
confab_window_set_account (ConfabWindow  *self,
                           ConfabAccount *account)
{
  if (self->account == account)
    return;
  disconnect_account (self);
  confab_chat_view_set_account (self->chat_view, account);
  confab_visitor_pane_set_account (self->visitor_pane, account);
  confab_offline_view_set_account (self->offline_view, account);
  confab_offline_list_set_account (self->offline_list, account);
  gtk_stack_set_visible_child_name (self->detail_stack, "chat");
  update_offline_count (self);
  confab_analytics_page_set_account (self->analytics_page, account);
  confab_label_filter_set_account (self->label_filter, account);
  confab_team_filter_set_account (self->team_filter, account);
  confab_queue_view_set_account (self->queue_view, account);
  confab_search_results_set_account (self->search_results, account);
  gtk_single_selection_set_model (self->selection, NULL);
  if (self->conversations != NULL)
    g_signal_handlers_disconnect_by_data (self->conversations, self);
  g_clear_object (&self->conversations);
  g_clear_pointer (&self->site_id, g_free);
  g_set_object (&self->account, account);

  if (account == NULL)
    {
      rebuild_sites (self);
      reload_visitors (self);
      update_title (self);
      on_client_state (self);
      confab_window_show_sign_in (self, FALSE);
      return;
    }

  /* the inbox from the cache at once, before any network */
  self->conversations = confab_conversation_list_new (cache_of (self));
  confab_conversation_list_set_agent_id (self->conversations, confab_client_get_user_id (client_of (self)));
  on_filter_changed (self);
  on_sort_changed (self);
  on_label_filter_changed (self);
  on_team_filter_changed (self);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->conversations));
  g_signal_connect_swapped (self->conversations, "items-changed",
                            G_CALLBACK (update_conversation_empty), self);
  update_conversation_empty (self);

  g_signal_connect_object (cache_of (self), "sites-changed", G_CALLBACK (queue_refresh), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache_of (self), "conversation-changed", G_CALLBACK (queue_refresh), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache_of (self), "visitor-changed", G_CALLBACK (on_visitor_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client_of (self), "notify::state", G_CALLBACK (on_client_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client_of (self), "relay-error", G_CALLBACK (on_relay_error), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client_of (self), "typing-preview", G_CALLBACK (on_visitor_typing), self,
                           G_CONNECT_SWAPPED);
  adw_window_title_set_subtitle (self->sidebar_title, confab_account_get_email (account));
  rebuild_sites (self);
  reload_visitors (self);
  update_title (self);
  on_client_state (self);
  confab_client_set_presence (client_of (self), self->presence, NULL);
  confab_client_set_frame_pacer (client_of (self), request_frame, self);
  confab_window_show_inbox (self);
}

ConfabAccount *
confab_window_get_account (ConfabWindow *self)
{
  return self->account;
}

ConfabSignInPage *
confab_window_show_sign_in (ConfabWindow *self,
                            gboolean      can_cancel)
{
  confab_sign_in_page_set_can_cancel (self->sign_in_page, can_cancel);
  confab_sign_in_page_set_error (self->sign_in_page, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "sign-in");
  gtk_revealer_set_reveal_child (self->banner, FALSE);
  return self->sign_in_page;
}

void
confab_window_show_inbox (ConfabWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, "inbox");
  on_client_state (self);
}

void
confab_window_open_conversation (ConfabWindow *self,
                                 const char   *conversation_id)
{
  int position;

  if (self->conversations == NULL || conversation_id == NULL)
    return;
  position = confab_conversation_list_find (self->conversations, conversation_id);
  if (position < 0)
    {
      /* not in this view: widen it to every site and every state */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      gtk_drop_down_set_selected (self->filter_dropdown, 0);
      g_clear_pointer (&self->site_id, g_free);
      confab_conversation_list_set_site_id (self->conversations, NULL);
      confab_conversation_list_set_search (self->conversations, NULL);
      confab_label_filter_set_site_id (self->label_filter, NULL);
      confab_label_filter_set_label_id (self->label_filter, NULL);
      rebuild_sites (self);
      position = confab_conversation_list_find (self->conversations, conversation_id);
    }
  if (position < 0)
    return;
  if (analytics_shown (self))
    {
      gtk_list_box_unselect_all (self->views_list);
      gtk_stack_set_visible_child_name (self->content_stack, "inbox");
      rebuild_sites (self);
    }
  adw_view_stack_set_visible_child_name (self->list_stack, "conversations");
  on_list_user (self);
  gtk_widget_activate_action (GTK_WIDGET (self->conversation_view), "list.scroll-to-item", "u", position);
  on_conversation_activated (self, position);
  /* from a notification or the visitor pane's history: to answer it; the row that was
   * clicked is gone with the pane's rebuild */
  confab_chat_view_focus_composer (self->chat_view);
}

void
confab_window_set_accounts (ConfabWindow *self,
                            GStrv         accounts)
{
  g_menu_remove_all (self->accounts_section);
  for (guint i = 0; accounts != NULL && accounts[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (accounts[i], "\n", 2);
      g_autofree char *label = NULL;
      g_autoptr (GMenuItem) item = NULL;

      if (parts[0] == NULL || parts[1] == NULL)
        continue;
      label = g_strdup_printf ("%s (%s)", parts[1], parts[0]);
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target (item, "app.switch-account", "s", accounts[i]);
      g_menu_append_item (self->accounts_section, item);
    }
}

const char *
confab_window_get_conversation_id (ConfabWindow *self)
{
  return confab_chat_view_get_conversation_id (self->chat_view);
}

/* ------------------------------------------------------------- object --- */

static void
confab_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SHOW_VISITOR_PANE: g_value_set_boolean (value, self->show_visitor_pane); break;
    case PROP_PRESENCE: g_value_set_string (value, self->presence); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SHOW_VISITOR_PANE:
      if (self->show_visitor_pane != g_value_get_boolean (value))
        {
          self->show_visitor_pane = g_value_get_boolean (value);
          update_visitor_pane (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PRESENCE:
      self->auto_away = FALSE;
      set_presence (self, g_value_get_string (value) != NULL ? g_value_get_string (value) : "online");
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_dispose (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->visitors_source, g_source_remove);
  g_clear_handle_id (&self->reselect_source, g_source_remove);
  g_clear_handle_id (&self->list_pin_source, g_source_remove);
  disconnect_account (self);
  if (self->paced_clock != NULL)
    g_signal_handlers_disconnect_by_func (self->paced_clock, on_after_paint, self);
  g_clear_weak_pointer (&self->paced_clock);
  g_clear_object (&self->account);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversations);
  g_clear_object (&self->visitors);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_WINDOW);
  G_OBJECT_CLASS (confab_window_parent_class)->dispose (object);
}

static void
confab_window_finalize (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  g_free (self->site_id);
  g_free (self->presence);
  G_OBJECT_CLASS (confab_window_parent_class)->finalize (object);
}

static void
confab_window_class_init (ConfabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_window_get_property;
  object_class->set_property = confab_window_set_property;
  object_class->dispose = confab_window_dispose;
  object_class->finalize = confab_window_finalize;

  properties[PROP_SHOW_VISITOR_PANE] =
    g_param_spec_boolean ("show-visitor-pane", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PRESENCE] =
    g_param_spec_string ("presence", NULL, NULL, "online",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CONFAB_TYPE_SIGN_IN_PAGE);
  g_type_ensure (CONFAB_TYPE_CHAT_VIEW);
  g_type_ensure (CONFAB_TYPE_VISITOR_PANE);
  g_type_ensure (CONFAB_TYPE_LABEL_FILTER);
  g_type_ensure (CONFAB_TYPE_TEAM_FILTER);
  g_type_ensure (CONFAB_TYPE_QUEUE_VIEW);
  g_type_ensure (CONFAB_TYPE_SEARCH_RESULTS);
  g_type_ensure (CONFAB_TYPE_OFFLINE_LIST);
  g_type_ensure (CONFAB_TYPE_OFFLINE_VIEW);
  g_type_ensure (CONFAB_TYPE_ANALYTICS_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/chat/confab/Confab/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, visitor_separator);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sites_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, accounts_section);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, presence_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, list_back_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, label_filter);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, team_filter);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, queue_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, queue_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, load_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_results);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, visitor_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, visitor_sort);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, visitor_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, offline_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, offline_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, offline_page);
  gtk_widget_class_bind_template_callback (widget_class, on_offline_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_offline_open_conversation);
  gtk_widget_class_bind_template_callback (widget_class, on_offline_back);
  gtk_widget_class_bind_template_callback (widget_class, update_offline_count);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, visitor_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, views_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, analytics_page);
  gtk_widget_class_bind_template_callback (widget_class, on_site_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_view_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_conversation_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_visitor_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_visitor_sort_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sort_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_label_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_team_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_queue_open_conversation);
  gtk_widget_class_bind_template_callback (widget_class, confab_window_routing_update);
  gtk_widget_class_bind_template_callback (widget_class, on_search_result);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_folded);

  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.focus-composer", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL, navigate_action);
  gtk_widget_class_install_action (widget_class, "win.open-conversation", "s", open_conversation_action);
  gtk_widget_class_install_action (widget_class, "visitors.start-conversation", "s",
                                   start_conversation_action);
  gtk_widget_class_install_property_action (widget_class, "win.visitor-pane", "show-visitor-pane");
  gtk_widget_class_install_property_action (widget_class, "win.presence", "presence");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.focus-composer", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "win.visitor-pane", NULL);
}

static void
confab_window_init (ConfabWindow *self)
{
  g_autoptr (GtkListItemFactory) conversation_factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkListItemFactory) visitor_factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *row_click = gtk_gesture_click_new ();
  GtkEventController *list_wheel = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
                                                                    GTK_EVENT_CONTROLLER_SCROLL_KINETIC);
  GtkEventController *list_keys = gtk_event_controller_key_new ();
  GtkGesture *list_drag = gtk_gesture_drag_new ();
  GtkEventController *navigation = gtk_shortcut_controller_new ();
  static const struct {
    guint           keyval;
    GdkModifierType mods;
    const char     *action;
  } navigation_keys[] = {
    { GDK_KEY_Page_Down, GDK_CONTROL_MASK, "win.next-conversation" },
    { GDK_KEY_Page_Up, GDK_CONTROL_MASK, "win.previous-conversation" },
    { GDK_KEY_Down, GDK_ALT_MASK, "win.next-conversation" },
    { GDK_KEY_Up, GDK_ALT_MASK, "win.previous-conversation" },
  };

  self->presence = g_strdup ("online");
  self->show_visitor_pane = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (conversation_factory, "setup", G_CALLBACK (setup_conversation_row), NULL);
  g_signal_connect (conversation_factory, "bind", G_CALLBACK (bind_conversation_row), self);
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self);
  gtk_list_view_set_factory (self->conversation_view, conversation_factory);
  gtk_list_view_set_model (self->conversation_view, GTK_SELECTION_MODEL (self->selection));

  self->visitors = g_list_store_new (CONFAB_TYPE_VISITOR);
  g_signal_connect (visitor_factory, "setup", G_CALLBACK (setup_visitor_row), NULL);
  g_signal_connect (visitor_factory, "bind", G_CALLBACK (bind_visitor_row), self);
  gtk_list_view_set_factory (self->visitor_view, visitor_factory);
  gtk_list_view_set_model (self->visitor_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->visitors)))));
  g_signal_connect_swapped (self->list_stack, "notify::visible-child", G_CALLBACK (reload_visitors), self);

  /* activity for "away after idle": keys anywhere, the pointer moving, clicks */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_window_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (on_activity), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (on_activity), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  /* Ctrl+Page Down/Up go between conversations wherever the focus is: in the capture phase,
   * before the list, the scrolled windows and the composer take those keys for themselves */
  gtk_event_controller_set_propagation_phase (navigation, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (navigation_keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (navigation),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (navigation_keys[i].keyval,
                                                                                    navigation_keys[i].mods),
                                                            gtk_named_action_new (navigation_keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), navigation);
  /* in the capture phase: the row's own click gesture claims the click */
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (row_click), GTK_PHASE_CAPTURE);
  g_signal_connect (row_click, "released", G_CALLBACK (on_conversation_clicked), self);
  g_signal_connect_swapped (row_click, "pressed", G_CALLBACK (on_list_user), self);
  gtk_widget_add_controller (GTK_WIDGET (self->conversation_view), GTK_EVENT_CONTROLLER (row_click));
  /* the agent's own scrolling of the inbox: wheel, touchpad, finger or scroll bar, keys */
  self->list_at_start = TRUE;
  gtk_event_controller_set_propagation_phase (list_wheel, GTK_PHASE_CAPTURE);
  g_signal_connect (list_wheel, "scroll", G_CALLBACK (on_list_wheel), self);
  g_signal_connect_swapped (list_wheel, "decelerate", G_CALLBACK (on_list_user), self);
  gtk_widget_add_controller (gtk_widget_get_parent (GTK_WIDGET (self->conversation_view)), list_wheel);
  gtk_event_controller_set_propagation_phase (list_keys, GTK_PHASE_CAPTURE);
  g_signal_connect (list_keys, "key-pressed", G_CALLBACK (on_list_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->conversation_view), list_keys);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (list_drag), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (list_drag, "drag-update", G_CALLBACK (on_list_user), self);
  gtk_widget_add_controller (gtk_widget_get_parent (GTK_WIDGET (self->conversation_view)),
                             GTK_EVENT_CONTROLLER (list_drag));
  g_signal_connect_swapped (list_adjustment (self), "value-changed", G_CALLBACK (on_list_value_changed), self);
  g_signal_connect_swapped (self->conversation_view, "map", G_CALLBACK (update_conversation_empty), self);
  /* read means seen: what opened while the window was in the background (a click that also
   * raised it, a notification's action) is read once the window has the focus */
  g_signal_connect_swapped (self, "notify::is-active", G_CALLBACK (on_active_changed), self);

  self->last_activity_us = g_get_monotonic_time ();
  self->idle_source = g_timeout_add_seconds (IDLE_CHECK_SECONDS, idle_check_cb, self);

  on_folded (self);
  update_title (self);
}

ConfabWindow *
confab_window_new (AdwApplication *application,
                   ConfabSettings *settings)
{
  ConfabWindow *self = g_object_new (CONFAB_TYPE_WINDOW, "application", application, NULL);

  self->settings = g_object_ref (settings);
  g_object_bind_property (settings, "window-width", self, "default-width", G_BINDING_SYNC_CREATE);
  g_object_bind_property (settings, "window-height", self, "default-height", G_BINDING_SYNC_CREATE);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (settings), "presence"))
    {
      g_autofree char *presence = NULL;

      g_object_get (settings, "presence", &presence, NULL);
      g_object_set (self, "presence", presence, NULL);
      g_object_bind_property (self, "presence", settings, "presence", G_BINDING_DEFAULT);
    }
  return self;
}
