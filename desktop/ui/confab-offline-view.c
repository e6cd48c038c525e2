/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-view.c: one offline message and its actions (see the header).
 *
 * Signals: "open-conversation" (conversation id) once "Start Conversation" has one — the
 * window opens it; "back" from the header's back button in a folded window. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-format.h"
#include "confab-offline-reply.h"
#include "confab-offline-view.h"

struct _ConfabOfflineView
{
  GtkWidget      parent_instance;

  GtkWidget     *box;
  GtkWidget     *back_button;
  AdwHeaderBar  *header;
  AdwWindowTitle *title;
  GtkStack      *stack;
  GtkLabel      *name_label;
  GtkLabel      *email_label;
  GtkLabel      *page_label;
  GtkLabel      *time_label;
  GtkLabel      *state_label;
  GtkLabel      *body_label;
  GtkButton     *start_button;
  GtkButton     *mail_button;
  GtkButton     *handled_button;
  GtkWidget     *reply;

  ConfabAccount *account;
  char          *id;
  GCancellable  *cancellable;
  gboolean       busy;
};

G_DEFINE_FINAL_TYPE (ConfabOfflineView, confab_offline_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_OPEN_CONVERSATION,
  SIGNAL_BACK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static ConfabClient *
client_of (ConfabOfflineView *self)
{
  return self->account != NULL ? confab_account_get_client (self->account) : NULL;
}

static ConfabOfflineMessage *
get_offline (ConfabOfflineView *self)
{
  if (self->account == NULL || self->id == NULL)
    return NULL;
  return confab_cache_get_offline_message (confab_account_get_cache (self->account), self->id);
}

static void
toast (ConfabOfflineView *self,
       const char        *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
update (ConfabOfflineView *self)
{
  g_autoptr (ConfabOfflineMessage) offline = get_offline (self);
  g_autofree char *name = NULL;
  g_autofree char *when = NULL;
  g_autofree char *state = NULL;
  const char *email, *page_title, *page_url;
  gboolean online, open;

  if (offline == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      adw_window_title_set_title (self->title, "");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "message");
  name = confab_format_visitor (confab_offline_message_get_name (offline),
                                confab_offline_message_get_visitor_id (offline));
  adw_window_title_set_title (self->title, name);
  adw_window_title_set_subtitle (self->title, _("Offline message"));
  gtk_label_set_text (self->name_label, name);
  email = confab_offline_message_get_email (offline);
  gtk_label_set_text (self->email_label, email != NULL && *email != '\0' ? email : _("No email given"));
  page_title = confab_offline_message_get_page_title (offline);
  page_url = confab_offline_message_get_page_url (offline);
  if (page_url != NULL && *page_url != '\0')
    {
      g_autofree char *page = page_title != NULL && *page_title != '\0'
                              ? g_strdup_printf (_("On “%s” (%s)"), page_title, page_url)
                              : g_strdup_printf (_("On %s"), page_url);
      gtk_label_set_text (self->page_label, page);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->page_label), page_url != NULL && *page_url != '\0');
  {
    g_autofree char *day = confab_format_day (confab_offline_message_get_created_at (offline));
    g_autofree char *clock = confab_format_clock (confab_offline_message_get_created_at (offline));

    when = g_strdup_printf (_("Left %s at %s"), day, clock);
  }
  gtk_label_set_text (self->time_label, when);

  open = confab_offline_message_is_open (offline);
  if (open)
    state = g_strdup (_("Waiting for an answer"));
  else
    {
      const char *by = confab_offline_message_get_handled_by_name (offline);
      g_autofree char *at = confab_format_time_short (confab_offline_message_get_handled_at (offline));

      state = by != NULL ? g_strdup_printf (_("Handled by %s · %s"), by, at)
                         : g_strdup_printf (_("Handled · %s"), at);
    }
  gtk_label_set_text (self->state_label, state);
  gtk_widget_set_css_classes (GTK_WIDGET (self->state_label),
                              (const char *[]) { "status-tag", open ? "pending" : "resolved", NULL });
  gtk_label_set_text (self->body_label, confab_offline_message_get_body (offline));
  confab_offline_reply_set (self->reply, client_of (self), self->id, email);

  online = client_of (self) != NULL && confab_client_get_state (client_of (self)) == CONFAB_CLIENT_ONLINE;
  gtk_button_set_label (self->handled_button, open ? _("Mark _Handled") : _("_Reopen"));
  gtk_button_set_label (self->start_button, confab_offline_message_get_conversation_id (offline) != NULL
                                            ? _("_Open Conversation") : _("_Start Conversation"));
  /* both need the relay; opening one made before does not */
  gtk_widget_set_sensitive (GTK_WIDGET (self->handled_button), online && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button),
                            !self->busy &&
                            (online || confab_offline_message_get_conversation_id (offline) != NULL) &&
                            (confab_offline_message_get_visitor_id (offline) != NULL ||
                             confab_offline_message_get_conversation_id (offline) != NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->handled_button),
                               online ? NULL : _("Needs the connection to the relay"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->mail_button), email != NULL && *email != '\0');
}

static void
on_offline_message_changed (ConfabOfflineView    *self,
                            ConfabOfflineMessage *old,
                            ConfabOfflineMessage *now)
{
  if (now != NULL && g_strcmp0 (confab_offline_message_get_id (now), self->id) == 0)
    update (self);
}

/* ------------------------------------------------------------- actions --- */

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabOfflineView *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!confab_client_set_offline_message_status_finish (CONFAB_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      toast (self, error->message);
    }
  self->busy = FALSE;
  update (self);
}

static void
on_handled_clicked (ConfabOfflineView *self)
{
  g_autoptr (ConfabOfflineMessage) offline = get_offline (self);

  if (offline == NULL || self->busy)
    return;
  self->busy = TRUE;
  update (self);
  confab_client_set_offline_message_status_async (client_of (self), self->id,
                                                  confab_offline_message_is_open (offline),
                                                  self->cancellable, status_cb, self);
}

static void
conversation_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ConfabOfflineView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;

  conversation_id = confab_client_offline_message_conversation_finish (CONFAB_CLIENT (source),
                                                                       result, &error);
  if (conversation_id == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  update (self);
  if (conversation_id == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_OPEN_CONVERSATION], 0, conversation_id);
}

static void
on_start_clicked (ConfabOfflineView *self)
{
  g_autoptr (ConfabOfflineMessage) offline = get_offline (self);

  if (offline == NULL || self->busy)
    return;
  if (confab_offline_message_get_conversation_id (offline) != NULL &&
      confab_client_get_state (client_of (self)) != CONFAB_CLIENT_ONLINE)
    {
      g_signal_emit (self, signals[SIGNAL_OPEN_CONVERSATION], 0,
                     confab_offline_message_get_conversation_id (offline));
      return;
    }
  /* the relay answers the same conversation for one made before: one path for both */
  self->busy = TRUE;
  update (self);
  confab_client_offline_message_conversation_async (client_of (self), self->id, self->cancellable,
                                                    conversation_cb, self);
}

char *
confab_offline_view_build_mailto (ConfabOfflineMessage *offline,
                                  const char           *site_name)
{
  const char *email = confab_offline_message_get_email (offline);
  const char *body = confab_offline_message_get_body (offline);
  g_autofree char *name = confab_format_visitor (confab_offline_message_get_name (offline),
                                                 confab_offline_message_get_visitor_id (offline));
  g_autofree char *subject = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  g_autofree char *escaped_to = NULL;
  g_autofree char *escaped_subject = NULL;
  g_autofree char *escaped_body = NULL;

  if (email == NULL || *email == '\0')
    return NULL;
  subject = site_name != NULL ? g_strdup_printf (_("Re: your message on %s"), site_name)
                              : g_strdup (_("Re: your message"));
  g_string_append_printf (text, _("Hello %s,"), name);
  g_string_append (text, "\n\n\n\n");
  g_string_append (text, _("You wrote:"));
  g_string_append_c (text, '\n');
  lines = g_strsplit (body != NULL ? body : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append_printf (text, "> %s\n", lines[i]);
  /* RFC 6068: every part percent-encoded, line breaks as %0D%0A */
  escaped_to = g_uri_escape_string (email, "@", FALSE);
  escaped_subject = g_uri_escape_string (subject, NULL, FALSE);
  {
    g_autofree char *crlf = NULL;
    g_auto (GStrv) parts = g_strsplit (text->str, "\n", -1);

    crlf = g_strjoinv ("\r\n", parts);
    escaped_body = g_uri_escape_string (crlf, NULL, FALSE);
  }
  return g_strdup_printf ("mailto:%s?subject=%s&body=%s", escaped_to, escaped_subject, escaped_body);
}

static void
on_mail_clicked (ConfabOfflineView *self)
{
  g_autoptr (ConfabOfflineMessage) offline = get_offline (self);
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GListModel) sites = NULL;
  g_autofree char *uri = NULL;

  if (offline == NULL)
    return;
  sites = confab_cache_list_sites (confab_account_get_cache (self->account));
  for (guint i = 0; i < g_list_model_get_n_items (sites) && site == NULL; i++)
    {
      g_autoptr (ConfabSite) candidate = g_list_model_get_item (sites, i);

      if (g_strcmp0 (confab_site_get_id (candidate), confab_offline_message_get_site_id (offline)) == 0)
        site = g_steal_pointer (&candidate);
    }
  uri = confab_offline_view_build_mailto (offline, site != NULL ? confab_site_get_name (site) : NULL);
  if (uri == NULL)
    return;
  /* the user's mail client (GtkUriLauncher is GTK 4.10: gtk_show_uri on 4.8) */
  g_object_set_data_full (G_OBJECT (self), "last-mailto", g_strdup (uri), g_free);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), uri, GDK_CURRENT_TIME);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
on_back_clicked (ConfabOfflineView *self)
{
  g_signal_emit (self, signals[SIGNAL_BACK], 0);
}

/* -------------------------------------------------------------- public --- */

GtkWidget *
confab_offline_view_new (void)
{
  return g_object_new (CONFAB_TYPE_OFFLINE_VIEW, NULL);
}

void
confab_offline_view_set_account (ConfabOfflineView *self,
                                 ConfabAccount     *account)
{
  if (self->account == account)
    return;
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
    }
  g_set_object (&self->account, account);
  confab_offline_view_set_id (self, NULL);
  if (account == NULL)
    return;
  g_signal_connect_object (confab_account_get_cache (account), "offline-message-changed",
                           G_CALLBACK (on_offline_message_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "notify::state",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);
}

void
confab_offline_view_set_id (ConfabOfflineView *self,
                            const char        *id)
{
  if (g_strcmp0 (self->id, id) != 0)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      self->busy = FALSE;
      g_free (self->id);
      self->id = g_strdup (id);
    }
  update (self);
}

const char *
confab_offline_view_get_id (ConfabOfflineView *self)
{
  return self->id;
}

void
confab_offline_view_set_folded (ConfabOfflineView *self,
                                gboolean           folded)
{
  gtk_widget_set_visible (self->back_button, folded);
  /* the window's buttons belong to the right-most pane: the visitor's, unless folded */
  adw_header_bar_set_show_end_title_buttons (self->header, folded);
}

/* -------------------------------------------------------------- object --- */

static void
confab_offline_view_dispose (GObject *object)
{
  ConfabOfflineView *self = CONFAB_OFFLINE_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
    }
  g_clear_object (&self->account);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (confab_offline_view_parent_class)->dispose (object);
}

static void
confab_offline_view_finalize (GObject *object)
{
  g_free (CONFAB_OFFLINE_VIEW (object)->id);
  G_OBJECT_CLASS (confab_offline_view_parent_class)->finalize (object);
}

static void
confab_offline_view_class_init (ConfabOfflineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_offline_view_dispose;
  object_class->finalize = confab_offline_view_finalize;

  signals[SIGNAL_OPEN_CONVERSATION] =
    g_signal_new ("open-conversation", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_BACK] =
    g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "offlineview");
}

static GtkLabel *
new_label (GtkWidget  *box,
           const char *name,
           const char *css)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css != NULL)
    gtk_widget_add_css_class (label, css);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static GtkButton *
new_button (GtkWidget  *box,
            const char *name,
            const char *css,
            GCallback   callback,
            gpointer    data)
{
  GtkWidget *button = gtk_button_new_with_mnemonic ("");

  gtk_widget_set_name (button, name);
  gtk_widget_add_css_class (button, "pill");
  if (css != NULL)
    gtk_widget_add_css_class (button, css);
  g_signal_connect_swapped (button, "clicked", callback, data);
  gtk_flow_box_append (GTK_FLOW_BOX (box), button);
  /* the button takes the focus, not the flow box's cell around it */
  gtk_widget_set_focusable (gtk_widget_get_parent (button), FALSE);
  return GTK_BUTTON (button);
}

static void
confab_offline_view_init (ConfabOfflineView *self)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  /* a flow box: the three buttons side by side, or wrapped in a narrow pane (in one row they
   * would make the pane too wide to sit beside the list) */
  GtkWidget *buttons = gtk_flow_box_new ();
  GtkWidget *empty = adw_status_page_new ();

  self->cancellable = g_cancellable_new ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->header = ADW_HEADER_BAR (adw_header_bar_new ());
  self->title = ADW_WINDOW_TITLE (adw_window_title_new ("", NULL));
  adw_header_bar_set_title_widget (self->header, GTK_WIDGET (self->title));
  adw_header_bar_set_show_end_title_buttons (self->header, FALSE);
  self->back_button = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (self->back_button, _("Back"));
  gtk_widget_set_visible (self->back_button, FALSE);
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (on_back_clicked), self);
  adw_header_bar_pack_start (self->header, self->back_button);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->header));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->stack));

  gtk_widget_set_margin_top (content, 24);
  gtk_widget_set_margin_bottom (content, 24);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  self->name_label = new_label (content, "offline-view-name", "title-2");
  self->email_label = new_label (content, "offline-view-email", NULL);
  gtk_label_set_selectable (self->email_label, TRUE);
  /* selectable for copying, but not a stop for Tab (nor selected whole when the view opens) */
  gtk_widget_set_can_focus (GTK_WIDGET (self->email_label), FALSE);
  self->page_label = new_label (content, "offline-view-page", "dim-label");
  self->time_label = new_label (content, "offline-view-time", "dim-label");
  self->state_label = new_label (content, "offline-view-state", "status-tag");
  gtk_widget_set_halign (GTK_WIDGET (self->state_label), GTK_ALIGN_START);
  gtk_widget_set_margin_top (GTK_WIDGET (self->state_label), 6);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_set_margin_top (card, 12);
  self->body_label = new_label (card, "offline-view-body", NULL);
  gtk_label_set_selectable (self->body_label, TRUE);
  gtk_widget_set_can_focus (GTK_WIDGET (self->body_label), FALSE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->body_label), 18);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->body_label), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (self->body_label), 18);
  gtk_widget_set_margin_end (GTK_WIDGET (self->body_label), 18);
  gtk_box_append (GTK_BOX (content), card);

  gtk_widget_set_margin_top (buttons, 18);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (buttons), GTK_SELECTION_NONE);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (buttons), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (buttons), 12);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (buttons), 1);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (buttons), 3);
  self->start_button = new_button (buttons, "offline-start", "suggested-action",
                                   G_CALLBACK (on_start_clicked), self);
  self->mail_button = new_button (buttons, "offline-mail", NULL, G_CALLBACK (on_mail_clicked), self);
  gtk_button_set_label (self->mail_button, _("Reply by _E-mail"));
  self->handled_button = new_button (buttons, "offline-handled", NULL,
                                     G_CALLBACK (on_handled_clicked), self);
  gtk_box_append (GTK_BOX (content), buttons);
  self->reply = confab_offline_reply_new ();
  gtk_box_append (GTK_BOX (content), self->reply);

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_stack_add_named (self->stack, scroller, "message");

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "mail-unread-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("No Message Open"));
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_set_visible_child_name (self->stack, "empty");
}
