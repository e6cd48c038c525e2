/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-queue-view.c: the queue of waiting conversations (see the header).
 *
 * A GListStore filled from the cache (confab_cache_list_queued: a queue is short, 1000 at
 * most) whenever a conversation that is or was queued changes; a list that reads the same is
 * left alone. The waiting times tick once a second by setting the text of the rows on screen
 * (kept in bound_rows), never by touching the model: a row is not rebuilt for its clock. */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "confab-format.h"
#include "confab-queue-view.h"
#include "confab-routing.h"

struct _ConfabQueueView
{
  GtkWidget           parent_instance;

  GtkStack           *stack;
  GtkListView        *view;
  GListStore         *store;
  GtkSingleSelection *selection;
  ConfabAccount      *account;
  char               *site_id;
  char               *team_id;
  GPtrArray          *bound_rows;   /* GtkWidget*: the rows on screen */
  guint               tick;
  guint               reload_source;
};

G_DEFINE_FINAL_TYPE (ConfabQueueView, confab_queue_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_OPEN_CONVERSATION,
  SIGNAL_COUNT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static ConfabCache *
cache_of (ConfabQueueView *self)
{
  return self->account != NULL ? confab_account_get_cache (self->account) : NULL;
}

char *
confab_queue_format_wait (gint64 queued_at,
                          gint64 now_ms)
{
  gint64 seconds = MAX (0, (now_ms - queued_at) / 1000);

  if (seconds >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds % 3600 / 60),
                            (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

/* ---------------------------------------------------------------- rows --- */

static void
update_wait (GtkWidget *row,
             gint64     now)
{
  GtkLabel *wait = g_object_get_data (G_OBJECT (row), "wait");
  gint64 queued_at = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "queued-at-s")) * G_GINT64_CONSTANT (1000);
  g_autofree char *text = NULL;

  if (queued_at <= 0)
    return;
  text = confab_queue_format_wait (queued_at, now);
  if (g_strcmp0 (gtk_label_get_text (wait), text) != 0)
    gtk_label_set_text (wait, text);
}

static gboolean
tick_cb (gpointer user_data)
{
  ConfabQueueView *self = user_data;
  gint64 now = g_get_real_time () / 1000;

  for (guint i = 0; i < self->bound_rows->len; i++)
    update_wait (g_ptr_array_index (self->bound_rows, i), now);
  return G_SOURCE_CONTINUE;
}

static GtkWidget *
label_with (const char *css_class,
            float       xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           ConfabQueueView          *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *position = label_with ("queue-position", 0.5);
  GtkWidget *name = label_with (NULL, 0);
  GtkWidget *detail = label_with ("dim-label", 0);
  GtkWidget *wait = label_with ("numeric", 1);

  gtk_widget_set_margin_top (row, 8);
  gtk_widget_set_margin_bottom (row, 8);
  gtk_widget_set_margin_start (row, 10);
  gtk_widget_set_margin_end (row, 10);
  gtk_widget_set_size_request (position, 32, -1);
  gtk_widget_add_css_class (position, "title-3");
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_add_css_class (wait, "title-4");
  gtk_widget_set_name (wait, "queue-wait");
  gtk_box_append (GTK_BOX (text), name);
  gtk_box_append (GTK_BOX (text), detail);
  gtk_box_append (GTK_BOX (row), position);
  gtk_box_append (GTK_BOX (row), text);
  gtk_box_append (GTK_BOX (row), wait);
  g_object_set_data (G_OBJECT (row), "position", position);
  g_object_set_data (G_OBJECT (row), "name", name);
  g_object_set_data (G_OBJECT (row), "detail", detail);
  g_object_set_data (G_OBJECT (row), "wait", wait);
  gtk_list_item_set_child (item, row);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          ConfabQueueView          *self)
{
  ConfabConversation *conversation = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  g_autoptr (ConfabRouting) routing = confab_routing_from_conversation (conversation);
  g_autofree char *name = confab_format_visitor (confab_conversation_get_visitor_name (conversation),
                                                 confab_conversation_get_visitor_id (conversation));
  g_autofree char *position = NULL;
  g_autofree char *accessible = NULL;
  const char *preview = confab_conversation_get_preview (conversation);
  g_autofree char *detail = NULL;
  guint place = gtk_list_item_get_position (item) + 1;

  /* the relay's place in its own queue (per team); else the place in this list */
  position = g_strdup_printf ("%d", routing->queue_position > 0 ? routing->queue_position : (int) place);
  if (routing->team_name != NULL)
    detail = g_strdup_printf (_("%s · %s"), routing->team_name,
                              preview != NULL && *preview != '\0' ? preview : _("No messages yet"));
  else
    detail = g_strdup (preview != NULL && *preview != '\0' ? preview : _("No messages yet"));
  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "position"), position);
  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "name"), name);
  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "detail"), detail);
  g_object_set_data (G_OBJECT (row), "queued-at-s", GSIZE_TO_POINTER ((gsize) (routing->queued_at / 1000)));
  g_object_set_data_full (G_OBJECT (row), "conversation-id",
                          g_strdup (confab_conversation_get_id (conversation)), g_free);
  update_wait (row, g_get_real_time () / 1000);
  /* Translators: a queued conversation for a screen reader: place, visitor, team or message */
  accessible = g_strdup_printf (_("Number %s, %s, %s"), position, name, detail);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_ptr_array_add (self->bound_rows, row);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            ConfabQueueView          *self)
{
  g_ptr_array_remove_fast (self->bound_rows, gtk_list_item_get_child (item));
}

/* -------------------------------------------------------------- reload --- */

static gboolean
same_list (ConfabQueueView *self,
           GListModel      *list)
{
  guint n = g_list_model_get_n_items (list);

  if (n != g_list_model_get_n_items (G_LIST_MODEL (self->store)))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabConversation) a = g_list_model_get_item (list, i);
      g_autoptr (ConfabConversation) b = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (!confab_conversation_equal (a, b))
        return FALSE;
    }
  return TRUE;
}

static void
reload (ConfabQueueView *self)
{
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (cache_of (self) == NULL)
    {
      g_list_store_remove_all (self->store);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  list = confab_cache_list_queued (cache_of (self), self->site_id, self->team_id);
  n = g_list_model_get_n_items (list);
  if (!same_list (self, list))
    {
      guint before = g_list_model_get_n_items (G_LIST_MODEL (self->store));

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (items, g_list_model_get_item (list, i));
      g_list_store_splice (self->store, 0, before, items->pdata, items->len);
      /* the tab's count: the window may have looked before this idle ran */
      if (before != n)
        g_signal_emit (self, signals[SIGNAL_COUNT_CHANGED], 0);
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  if (n > 0 && self->tick == 0)
    self->tick = g_timeout_add_seconds (1, tick_cb, self);
  else if (n == 0)
    g_clear_handle_id (&self->tick, g_source_remove);
}

static gboolean
reload_cb (gpointer user_data)
{
  ConfabQueueView *self = user_data;

  self->reload_source = 0;
  reload (self);
  return G_SOURCE_REMOVE;
}

static gboolean
is_queued (ConfabConversation *conversation)
{
  g_autoptr (ConfabRouting) routing = NULL;

  if (conversation == NULL)
    return FALSE;
  routing = confab_routing_from_conversation (conversation);
  return routing->queued_at > 0;
}

/* Only a change into, out of or inside the queue reads it again, once per main-loop turn (a
 * catch-up brings hundreds). */
static void
on_conversation_changed (ConfabQueueView    *self,
                         ConfabConversation *old,
                         ConfabConversation *now)
{
  if (!is_queued (old) && !is_queued (now))
    return;
  if (self->reload_source == 0)
    self->reload_source = g_idle_add (reload_cb, self);
}

static void
on_activate (ConfabQueueView *self,
             guint            position)
{
  g_autoptr (ConfabConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->store), position);

  if (conversation != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN_CONVERSATION], 0, confab_conversation_get_id (conversation));
}

/* -------------------------------------------------------------- public --- */

GtkWidget *
confab_queue_view_new (void)
{
  return g_object_new (CONFAB_TYPE_QUEUE_VIEW, NULL);
}

void
confab_queue_view_set_account (ConfabQueueView *self,
                               ConfabAccount   *account)
{
  g_return_if_fail (CONFAB_IS_QUEUE_VIEW (self));

  if (self->account == account)
    return;
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
  g_set_object (&self->account, account);
  if (account != NULL)
    {
      g_signal_connect_swapped (confab_account_get_cache (account), "conversation-changed",
                                G_CALLBACK (on_conversation_changed), self);
      g_signal_connect_swapped (confab_account_get_cache (account), "batch-ended",
                                G_CALLBACK (reload), self);
    }
  reload (self);
}

void
confab_queue_view_set_site_id (ConfabQueueView *self,
                               const char      *site_id)
{
  g_return_if_fail (CONFAB_IS_QUEUE_VIEW (self));

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  reload (self);
}

void
confab_queue_view_set_team_id (ConfabQueueView *self,
                               const char      *team_id)
{
  g_return_if_fail (CONFAB_IS_QUEUE_VIEW (self));

  if (g_strcmp0 (self->team_id, team_id) == 0)
    return;
  g_free (self->team_id);
  self->team_id = g_strdup (team_id);
  reload (self);
}

guint
confab_queue_view_get_n_items (ConfabQueueView *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

GtkLabel *
confab_queue_view_get_wait_label (ConfabQueueView *self,
                                  const char      *conversation_id)
{
  for (guint i = 0; i < self->bound_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->bound_rows, i);

      if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "conversation-id"), conversation_id) == 0)
        return g_object_get_data (G_OBJECT (row), "wait");
    }
  return NULL;
}

static void
confab_queue_view_dispose (GObject *object)
{
  ConfabQueueView *self = CONFAB_QUEUE_VIEW (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
  g_clear_object (&self->account);
  if (self->stack != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->stack));
  self->stack = NULL;
  g_clear_object (&self->selection);
  g_clear_pointer (&self->bound_rows, g_ptr_array_unref);
  g_clear_pointer (&self->site_id, g_free);
  g_clear_pointer (&self->team_id, g_free);
  G_OBJECT_CLASS (confab_queue_view_parent_class)->dispose (object);
}

static void
confab_queue_view_class_init (ConfabQueueViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_queue_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  /* how many wait changed (the tab's badge) */
  signals[SIGNAL_COUNT_CHANGED] =
    g_signal_new ("count-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_OPEN_CONVERSATION] =
    g_signal_new ("open-conversation", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
confab_queue_view_init (ConfabQueueView *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *empty = adw_status_page_new ();

  self->bound_rows = g_ptr_array_new ();
  self->store = g_list_store_new (CONFAB_TYPE_CONVERSATION);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->store));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  self->view = GTK_LIST_VIEW (gtk_list_view_new (g_object_ref (GTK_SELECTION_MODEL (self->selection)),
                                                 g_object_ref (factory)));
  gtk_widget_set_name (GTK_WIDGET (self->view), "queue-list");
  gtk_list_view_set_single_click_activate (self->view, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "navigation-sidebar");
  g_signal_connect_swapped (self->view, "activate", G_CALLBACK (on_activate), self);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->view));

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "confab-inbox-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Nobody Waiting"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Conversations waiting for a free agent show here, oldest first."));
  gtk_widget_add_css_class (empty, "compact");

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, scroller, "list");
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_set_visible_child_name (self->stack, "empty");
  gtk_widget_set_parent (GTK_WIDGET (self->stack), GTK_WIDGET (self));
}
