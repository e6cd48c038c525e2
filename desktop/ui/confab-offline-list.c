/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-list.c: the offline messages as a list (see the header).
 *
 * A GListStore rebuilt from the cache on its offline-message-changed: the cache lists the 500
 * newest at most, and they change one by one. A click opens one: the "open-offline-message"
 * signal (its id); the window shows it beside the list. */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "confab-format.h"
#include "confab-offline-list.h"

struct _ConfabOfflineList
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkCheckButton     *all_check;
  GtkStack           *stack;
  GtkListView        *view;
  GListStore         *store;
  GtkSingleSelection *selection;
  ConfabAccount      *account;
  char               *site_id;
  guint               reload_source;
};

G_DEFINE_FINAL_TYPE (ConfabOfflineList, confab_offline_list, GTK_TYPE_WIDGET)

enum {
  SIGNAL_OPEN_OFFLINE_MESSAGE,
  SIGNAL_OPEN_COUNT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static ConfabCache *
cache_of (ConfabOfflineList *self)
{
  return self->account != NULL ? confab_account_get_cache (self->account) : NULL;
}

static void
reload (ConfabOfflineList *self)
{
  g_autoptr (GListModel) list = NULL;
  ConfabOfflineMessage *selected = gtk_single_selection_get_selected_item (self->selection);
  g_autofree char *selected_id = selected != NULL ? g_strdup (confab_offline_message_get_id (selected))
                                                  : NULL;
  guint n;

  if (cache_of (self) == NULL)
    {
      g_list_store_remove_all (self->store);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  list = confab_cache_list_offline_messages (cache_of (self), self->site_id,
                                             !gtk_check_button_get_active (self->all_check));
  n = g_list_model_get_n_items (list);
  {
    g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < n; i++)
      g_ptr_array_add (items, g_list_model_get_item (list, i));
    g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                         items->pdata, items->len);
  }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  if (selected_id != NULL)
    confab_offline_list_select (self, selected_id);
  g_signal_emit (self, signals[SIGNAL_OPEN_COUNT_CHANGED], 0);
}

static gboolean
reload_cb (gpointer user_data)
{
  ConfabOfflineList *self = user_data;

  self->reload_source = 0;
  reload (self);
  return G_SOURCE_REMOVE;
}

/* A burst (the first sync's list) reloads once. */
static void
queue_reload (ConfabOfflineList *self)
{
  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (50, reload_cb, self);
}

/* ---------------------------------------------------------------- rows --- */

static GtkWidget *
add_label (GtkWidget  *box,
           const char *name,
           const char *css)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  if (css != NULL)
    gtk_widget_add_css_class (label, css);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name, *state, *time;

  gtk_widget_set_name (row, "offline-row");
  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_box_append (GTK_BOX (row), top);
  name = add_label (top, "offline-name", NULL);
  gtk_widget_set_hexpand (name, TRUE);
  state = add_label (top, "offline-state", "status-tag");
  time = add_label (top, "offline-time", "dim-label");
  gtk_widget_add_css_class (time, "caption");
  add_label (row, "offline-email", "dim-label");
  add_label (row, "offline-page", "caption");
  add_label (row, "offline-body", "dim-label");
  g_object_set_data (G_OBJECT (row), "name", name);
  g_object_set_data (G_OBJECT (row), "state", state);
  g_object_set_data (G_OBJECT (row), "time", time);
  gtk_list_item_set_child (item, row);
}

static GtkLabel *
row_label (GtkWidget  *row,
           const char *key)
{
  GtkWidget *child;

  if (g_object_get_data (G_OBJECT (row), key) != NULL)
    return g_object_get_data (G_OBJECT (row), key);
  for (child = gtk_widget_get_first_child (row); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (gtk_widget_get_name (child), key) == 0)
      return GTK_LABEL (child);
  return NULL;
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  ConfabOfflineMessage *offline = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  g_autofree char *name = confab_format_visitor (confab_offline_message_get_name (offline),
                                                 confab_offline_message_get_visitor_id (offline));
  g_autofree char *time = confab_format_time_short (confab_offline_message_get_created_at (offline));
  g_autofree char *body = g_strdup (confab_offline_message_get_body (offline));
  g_autofree char *accessible = NULL;
  const char *email = confab_offline_message_get_email (offline);
  const char *page = confab_offline_message_get_page_title (offline);
  gboolean open = confab_offline_message_is_open (offline);
  GtkLabel *state = row_label (row, "state");

  if (page == NULL || *page == '\0')
    page = confab_offline_message_get_page_url (offline);
  /* one line of the message: its line breaks would only be cut */
  if (body != NULL)
    g_strdelimit (body, "\r\n\t", ' ');
  gtk_label_set_text (row_label (row, "name"), name);
  gtk_label_set_text (row_label (row, "time"), time);
  gtk_label_set_text (row_label (row, "offline-email"), email != NULL ? email : _("No email given"));
  gtk_label_set_text (row_label (row, "offline-page"), page != NULL ? page : "");
  gtk_widget_set_visible (GTK_WIDGET (row_label (row, "offline-page")), page != NULL && *page != '\0');
  gtk_label_set_text (row_label (row, "offline-body"), body != NULL ? body : "");
  gtk_label_set_text (state, open ? _("Open") : _("Handled"));
  gtk_widget_set_css_classes (GTK_WIDGET (state),
                              (const char *[]) { "status-tag", open ? "pending" : "resolved", NULL });
  if (open)
    gtk_widget_add_css_class (GTK_WIDGET (row_label (row, "name")), "heading");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row_label (row, "name")), "heading");
  accessible = g_strdup_printf ("%s, %s, %s, %s", name, open ? _("open") : _("handled"), time,
                                body != NULL ? body : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
on_activate (ConfabOfflineList *self,
             guint              position)
{
  g_autoptr (ConfabOfflineMessage) offline = g_list_model_get_item (G_LIST_MODEL (self->store), position);

  if (offline == NULL)
    return;
  gtk_single_selection_set_selected (self->selection, position);
  g_signal_emit (self, signals[SIGNAL_OPEN_OFFLINE_MESSAGE], 0, confab_offline_message_get_id (offline));
}

/* -------------------------------------------------------------- public --- */

GtkWidget *
confab_offline_list_new (void)
{
  return g_object_new (CONFAB_TYPE_OFFLINE_LIST, NULL);
}

void
confab_offline_list_set_account (ConfabOfflineList *self,
                                 ConfabAccount     *account)
{
  if (self->account == account)
    return;
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
  g_set_object (&self->account, account);
  g_clear_pointer (&self->site_id, g_free);
  if (account != NULL)
    {
      g_signal_connect_object (confab_account_get_cache (account), "offline-message-changed",
                               G_CALLBACK (queue_reload), self, G_CONNECT_SWAPPED);
      /* a site gone (or joined) takes its messages with it */
      g_signal_connect_object (confab_account_get_cache (account), "sites-changed",
                               G_CALLBACK (queue_reload), self, G_CONNECT_SWAPPED);
    }
  reload (self);
}

void
confab_offline_list_set_site_id (ConfabOfflineList *self,
                                 const char        *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  reload (self);
}

guint
confab_offline_list_get_open_count (ConfabOfflineList *self)
{
  if (cache_of (self) == NULL)
    return 0;
  return confab_cache_count_open_offline_messages (cache_of (self), self->site_id);
}

gboolean
confab_offline_list_select (ConfabOfflineList *self,
                            const char        *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabOfflineMessage) offline = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (confab_offline_message_get_id (offline), id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  return FALSE;
}

/* -------------------------------------------------------------- object --- */

static void
confab_offline_list_dispose (GObject *object)
{
  ConfabOfflineList *self = CONFAB_OFFLINE_LIST (object);

  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
  g_clear_object (&self->account);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (confab_offline_list_parent_class)->dispose (object);
}

static void
confab_offline_list_finalize (GObject *object)
{
  g_free (CONFAB_OFFLINE_LIST (object)->site_id);
  G_OBJECT_CLASS (confab_offline_list_parent_class)->finalize (object);
}

static void
confab_offline_list_class_init (ConfabOfflineListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_offline_list_dispose;
  object_class->finalize = confab_offline_list_finalize;

  /* the id of the offline message clicked */
  signals[SIGNAL_OPEN_OFFLINE_MESSAGE] =
    g_signal_new ("open-offline-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* the list was read again: the open count may have changed */
  signals[SIGNAL_OPEN_COUNT_CHANGED] =
    g_signal_new ("open-count-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "offlinelist");
}

static void
confab_offline_list_init (ConfabOfflineList *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *empty = adw_status_page_new ();

  self->store = g_list_store_new (CONFAB_TYPE_OFFLINE_MESSAGE);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  self->all_check = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("Show _handled ones too")));
  gtk_widget_set_name (GTK_WIDGET (self->all_check), "offline-show-all");
  gtk_widget_set_margin_start (GTK_WIDGET (self->all_check), 8);
  gtk_widget_set_margin_top (GTK_WIDGET (self->all_check), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->all_check), 6);
  g_signal_connect_swapped (self->all_check, "toggled", G_CALLBACK (reload), self);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->all_check));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->stack));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  self->view = GTK_LIST_VIEW (gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)),
                                                 g_object_ref (factory)));
  gtk_widget_set_name (GTK_WIDGET (self->view), "offline-list");
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "navigation-sidebar");
  gtk_list_view_set_single_click_activate (self->view, TRUE);
  g_signal_connect_swapped (self->view, "activate", G_CALLBACK (on_activate), self);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->view));
  gtk_stack_add_named (self->stack, scroller, "list");

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "mail-unread-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("No Offline Messages"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("What visitors leave while nobody is online shows here."));
  gtk_widget_add_css_class (empty, "compact");
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_set_visible_child_name (self->stack, "empty");
}
