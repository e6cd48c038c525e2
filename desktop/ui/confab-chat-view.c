/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view.c: the conversation pane.
 *
 * Messages are a GtkListView over the core's windowed ConfabMessageList: rows are recycled and
 * only the pages on screen are loaded, so a conversation of 100,000 messages scrolls like a
 * short one. A row needs the message above it for the day separator; that is one more
 * get_item() on the same (loaded) page. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-application.h"
#include "confab-chat-view-private.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-conversation-list.h"
#include "confab-format.h"
#include "confab-image-viewer.h"
#include "confab-message-list.h"
#include "confab-message-row.h"

/* Stop telling the visitor we type after this long without a key. */
#define TYPING_IDLE_MS     4000
#define MAX_CANNED_SHOWN   8
#define MAX_UPLOAD_BYTES   (20 * 1024 * 1024)


G_DEFINE_FINAL_TYPE (ConfabChatView, confab_chat_view, GTK_TYPE_WIDGET)

static ConfabClient *
client_of (ConfabChatView *self)
{
  return self->account != NULL ? confab_account_get_client (self->account) : NULL;
}

static void
toast (ConfabChatView *self,
       const char     *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

static void
report (ConfabChatView *self,
        GError         *error)
{
  if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE))
    toast (self, _("Offline: try again when the connection is back"));
  else
    toast (self, error->message);
}

ConfabClient *
confab_chat_view_client (ConfabChatView *self)
{
  return client_of (self);
}

void
confab_chat_view_toast (ConfabChatView *self,
                        const char     *text)
{
  toast (self, text);
}

void
confab_chat_view_report (ConfabChatView *self,
                         GError         *error)
{
  report (self, error);
}

/* ------------------------------------------------------------- typing --- */

static void
stop_typing (ConfabChatView *self)
{
  g_clear_handle_id (&self->typing_timeout, g_source_remove);
  if (self->typing_sent && self->conversation_id != NULL && client_of (self) != NULL)
    confab_client_send_typing (client_of (self), self->conversation_id, FALSE, NULL);
  self->typing_sent = FALSE;
}

static gboolean
typing_idle_cb (gpointer user_data)
{
  ConfabChatView *self = user_data;

  self->typing_timeout = 0;
  stop_typing (self);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------- messages --- */

/* To the last message: the list's anchor on it, then the adjustment's end (rows laid out later
 * move it; notify::upper comes back here while the view sticks to the bottom). */
static gboolean
pin_cb (gpointer user_data)
{
  ConfabChatView *self = user_data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint n = self->messages != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->messages)) : 0;

  self->pin_source = 0;
  if (n == 0 || !self->stick_to_bottom)
    return G_SOURCE_REMOVE;
  self->pinning = TRUE;
  gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u", n - 1);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  self->pinning = FALSE;
  return G_SOURCE_REMOVE;
}

/* Not at once: the list sees a new row after our items-changed handler, and it ignores values
 * set while it lays itself out (notify::upper), so the move waits for both, still before the
 * next frame is laid out (the frame clock's priority is lower than this one). */
static void
pin_to_bottom (ConfabChatView *self)
{
  if (self->pin_source == 0)
    self->pin_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, pin_cb, self, NULL);
}

static void
scroll_to_end (ConfabChatView *self)
{
  pin_to_bottom (self);
}

static void
stick_to_bottom (ConfabChatView *self)
{
  self->stick_to_bottom = TRUE;
  gtk_widget_set_visible (self->new_messages_pill, FALSE);
  scroll_to_end (self);
}

static void
on_pill_clicked (ConfabChatView *self)
{
  stick_to_bottom (self);
}

static void
mark_read (ConfabChatView *self)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->conversation_id == NULL || self->account == NULL)
    return;
  /* read means seen: not while the window is in the background */
  if (root == NULL || !gtk_window_is_active (GTK_WINDOW (root)))
    return;
  /* the notes that named the agent here are seen too */
  if (CONFAB_IS_APPLICATION (gtk_window_get_application (GTK_WINDOW (root))))
    confab_application_withdraw_mentions (CONFAB_APPLICATION (gtk_window_get_application (GTK_WINDOW (root))),
                                          self->conversation_id);
  conversation = confab_cache_get_conversation (confab_account_get_cache (self->account),
                                                self->conversation_id);
  if (conversation != NULL && confab_conversation_get_unread (conversation) > 0)
    confab_client_mark_read (client_of (self), self->conversation_id,
                             confab_conversation_get_last_seq (conversation), NULL);
}

/* Opened at a message (a search result): the view leaves the bottom for it. */
void
confab_chat_view_show_seq (ConfabChatView *self,
                           gint64          seq)
{
  int position;

  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));

  if (self->messages == NULL || (position = confab_message_list_find_seq (self->messages, seq)) < 0)
    return;
  self->stick_to_bottom = FALSE;
  g_clear_handle_id (&self->pin_source, g_source_remove);
  gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u",
                              (guint) position);
}

void
confab_chat_view_mark_read (ConfabChatView *self)
{
  mark_read (self);
}

static void
on_items_changed (ConfabChatView *self,
                  guint           position,
                  guint           removed,
                  guint           added)
{
  if (added > 0 && self->stick_to_bottom)
    scroll_to_end (self);
  else if (added > 0 && position + added == g_list_model_get_n_items (G_LIST_MODEL (self->messages)))
    /* the agent reads further up: the view stays, the pill says there is more below */
    gtk_widget_set_visible (self->new_messages_pill, TRUE);
  mark_read (self);
}

/* Whether the view follows new messages is the agent's choice, made by scrolling: away from
 * the bottom leaves it, back down to it sticks again. The list moves the view by itself too:
 * while rows arrive it keeps the row it shows (its anchor), so the adjustment's end moves away
 * from a value that did not change. Reading "not at the bottom" from such a move as the
 * agent's wish is what left a burst at its 13th message; a view that sticks goes back down. */
#define USER_SCROLL_US (400 * G_TIME_SPAN_MILLISECOND)

static void
on_vadjustment_changed (ConfabChatView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  double value = gtk_adjustment_get_value (adj);
  gboolean by_user = g_get_monotonic_time () - self->user_scroll_us < USER_SCROLL_US;

  if (self->pinning || self->messages == NULL)
    return;
  if (value + gtk_adjustment_get_page_size (adj) >= gtk_adjustment_get_upper (adj) - 48)
    {
      self->stick_to_bottom = TRUE;
      gtk_widget_set_visible (self->new_messages_pill, FALSE);
    }
  else if (by_user)
    self->stick_to_bottom = FALSE;
  else if (self->stick_to_bottom)
    pin_to_bottom (self);
}

static void
on_user_scroll (ConfabChatView *self)
{
  self->user_scroll_us = g_get_monotonic_time ();
}

static gboolean
on_wheel (GtkEventControllerScroll *controller,
          double                    dx,
          double                    dy,
          ConfabChatView           *self)
{
  on_user_scroll (self);
  return FALSE;
}

static void
on_vadjustment_bounds (ConfabChatView *self)
{
  if (self->stick_to_bottom && self->messages != NULL)
    pin_to_bottom (self);
}

/* Home, End, Page Up and Page Down in the messages, at the first press: the list view's own
 * bindings move a keyboard cursor that does not exist until a row had the focus. */
static gboolean
on_messages_key (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 ConfabChatView        *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  double page = gtk_adjustment_get_page_size (adj);

  /* any key among the messages (arrows move a row into view too) is the agent's own move */
  on_user_scroll (self);
  if (self->messages == NULL || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)))
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      self->stick_to_bottom = FALSE;
      gtk_widget_activate_action (GTK_WIDGET (self->message_view), "list.scroll-to-item", "u", 0);
      gtk_adjustment_set_value (adj, 0);
      return TRUE;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      stick_to_bottom (self);
      return TRUE;
    case GDK_KEY_Page_Up:
    case GDK_KEY_KP_Page_Up:
      gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - page * 0.9);
      return TRUE;
    case GDK_KEY_Page_Down:
    case GDK_KEY_KP_Page_Down:
      gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + page * 0.9);
      return TRUE;
    default:
      return FALSE;
    }
}

/* A click among the messages gives them the keyboard, for the keys above. */
static void
on_messages_pressed (ConfabChatView *self)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->scroller)))
    gtk_widget_grab_focus (GTK_WIDGET (self->message_view));
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           ConfabChatView           *self)
{
  gtk_list_item_set_child (item, confab_message_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          ConfabChatView           *self)
{
  ConfabMessageRow *row = CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item));
  guint position = gtk_list_item_get_position (item);
  g_autoptr (ConfabMessage) previous = NULL;

  if (position > 0)
    previous = g_list_model_get_item (G_LIST_MODEL (self->messages), position - 1);
  confab_message_row_bind (row, self->account, gtk_list_item_get_item (item), previous,
                           self->visitor_read_seq);
  g_ptr_array_add (self->bound_rows, row);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            ConfabChatView           *self)
{
  ConfabMessageRow *row = CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item));

  confab_message_row_unbind (row);
  g_ptr_array_remove_fast (self->bound_rows, row);
}

/* ------------------------------------------------------------- header --- */

static void
update_header (ConfabChatView *self)
{
  g_autofree char *name = NULL;
  g_autofree char *subtitle = NULL;
  ConfabConversation *c = self->conversation;
  const char *assignee;
  GtkWidget *root;

  if (c == NULL)
    {
      adw_window_title_set_title (self->title, "");
      adw_window_title_set_subtitle (self->title, "");
      return;
    }
  name = confab_format_visitor (confab_conversation_get_visitor_name (c),
                                confab_conversation_get_visitor_id (c));
  assignee = confab_conversation_get_assignee_name (c);
  if (confab_conversation_get_assignee_id (c) == NULL)
    subtitle = g_strdup_printf (_("%s · Unassigned"), confab_format_status (confab_conversation_get_status (c)));
  else
    subtitle = g_strdup_printf (_("%s · %s"), confab_format_status (confab_conversation_get_status (c)),
                                assignee != NULL ? assignee : _("Assigned"));
  adw_window_title_set_title (self->title, name);
  adw_window_title_set_subtitle (self->title, subtitle);
  confab_chat_view_labels_update (self);
  confab_chat_view_channel_update (self);
  confab_chat_view_routing_update (self);

  root = GTK_WIDGET (self);
  gtk_widget_action_set_enabled (root, "chat.reopen",
                                 g_strcmp0 (confab_conversation_get_status (c), "resolved") == 0 ||
                                 g_strcmp0 (confab_conversation_get_status (c), "closed") == 0 ||
                                 g_strcmp0 (confab_conversation_get_status (c), "pending") == 0);
  gtk_widget_action_set_enabled (root, "chat.resolve",
                                 g_strcmp0 (confab_conversation_get_status (c), "resolved") != 0);
  gtk_widget_action_set_enabled (root, "chat.pending",
                                 g_strcmp0 (confab_conversation_get_status (c), "pending") != 0);
  gtk_widget_action_set_enabled (root, "chat.assign-nobody",
                                 confab_conversation_get_assignee_id (c) != NULL);
  gtk_widget_action_set_enabled (root, "chat.assign-me",
                                 g_strcmp0 (confab_conversation_get_assignee_id (c),
                                            confab_client_get_user_id (client_of (self))) != 0);
}

static void
set_read_seq (ConfabChatView *self,
              gint64          seq)
{
  if (seq <= self->visitor_read_seq)
    return;
  self->visitor_read_seq = seq;
  for (guint i = 0; i < self->bound_rows->len; i++)
    confab_message_row_set_read_seq (g_ptr_array_index (self->bound_rows, i), seq);
}

static void
on_conversation_changed (ConfabChatView     *self,
                         ConfabConversation *old,
                         ConfabConversation *now)
{
  if (now == NULL || g_strcmp0 (confab_conversation_get_id (now), self->conversation_id) != 0)
    return;
  g_set_object (&self->conversation, now);
  set_read_seq (self, confab_conversation_get_visitor_read_seq (now));
  update_header (self);
}

static void
on_read (ConfabChatView *self,
         const char     *conversation_id,
         const char     *reader,
         gint64          seq)
{
  if (g_strcmp0 (conversation_id, self->conversation_id) == 0 && g_strcmp0 (reader, "visitor") == 0)
    set_read_seq (self, seq);
}

static void
on_typing_preview (ConfabChatView *self,
                   const char     *site_id,
                   const char     *conversation_id,
                   const char     *visitor_id,
                   const char     *text,
                   gboolean        active)
{
  gboolean show;

  /* a preview without a conversation is the visitor's pane's and the visitors list's */
  if (conversation_id == NULL || g_strcmp0 (conversation_id, self->conversation_id) != 0)
    return;
  show = active && text != NULL && *text != '\0';
  if (show)
    gtk_label_set_text (self->ghost_label, text);
  gtk_revealer_set_reveal_child (self->ghost_revealer, show);
  if (show && self->stick_to_bottom)
    scroll_to_end (self);
}

static void fetch_timeline (ConfabChatView *self);
static void on_canned_changed (ConfabChatView *self, const char *site_id);

static void
on_client_state (ConfabChatView *self)
{
  ConfabClientState state = confab_client_get_state (client_of (self));

  gtk_widget_set_visible (GTK_WIDGET (self->offline_hint), state != CONFAB_CLIENT_ONLINE);
  if (state != CONFAB_CLIENT_ONLINE)
    gtk_revealer_set_reveal_child (self->ghost_revealer, FALSE);
  else
    fetch_timeline (self);
}

/* --------------------------------------------------------- assignees --- */

static void
members_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabChatView *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *members = answer != NULL ? json_object_get_member (answer, "members") : NULL;
  const char *me;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_menu_remove_all (self->assign_section);
  if (members == NULL || !JSON_NODE_HOLDS_ARRAY (members))
    return;
  g_clear_pointer (&self->members, json_array_unref);
  self->members = json_array_ref (json_node_get_array (members));  /* only site admins may list the team: "me" and "nobody" still work */
  me = confab_client_get_user_id (client_of (self));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (members)) && i < 50; i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (members), i);
      JsonObject *member;
      const char *id, *name;
      g_autofree char *label = NULL;
      g_autofree char *action = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      member = json_node_get_object (node);
      id = json_object_get_string_member_with_default (member, "user_id",
             json_object_get_string_member_with_default (member, "id", NULL));
      name = json_object_get_string_member_with_default (member, "name",
               json_object_get_string_member_with_default (member, "email", NULL));
      if (id == NULL || name == NULL || g_strcmp0 (id, me) == 0)
        continue;
      label = g_strdup_printf (_("Assign to %s"), name);
      action = g_strdup_printf ("chat.assign-to('%s')", id);
      g_menu_append (self->assign_section, label, action);
    }
}

static void
fetch_members (ConfabChatView *self)
{
  g_autofree char *path = NULL;
  const char *site_id;

  g_menu_remove_all (self->assign_section);
  if (self->conversation == NULL ||
      confab_client_get_state (client_of (self)) != CONFAB_CLIENT_ONLINE)
    return;
  site_id = confab_conversation_get_site_id (self->conversation);
  path = g_strdup_printf ("/api/v1/sites/%s/members", site_id);
  confab_client_get_json_async (client_of (self), path, self->cancellable, members_cb, self);
}

/* ----------------------------------------------------------- timeline --- */

static void
timeline_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* the rows come through the message list; a failure leaves the messages alone */
  if (!confab_client_fetch_timeline_finish (CONFAB_CLIENT (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("No timeline for a conversation: %s", error->message);
}

/* A conversation from before this cache knew timelines: its history once, by REST; the
 * events keep it whole from then on. */
static void
fetch_timeline (ConfabChatView *self)
{
  if (self->conversation == NULL ||
      confab_client_get_state (client_of (self)) != CONFAB_CLIENT_ONLINE ||
      confab_cache_get_timeline_fetched (confab_account_get_cache (self->account),
                                         self->conversation_id))
    return;
  confab_client_fetch_timeline_async (client_of (self), self->conversation_id, self->cancellable,
                                      timeline_cb, NULL);
}

/* A member added, renamed or removed by an admin: the "Assign to" list follows. */
static void
on_members_changed (ConfabChatView *self,
                    const char     *site_id)
{
  if (self->conversation != NULL &&
      g_strcmp0 (site_id, confab_conversation_get_site_id (self->conversation)) == 0)
    fetch_members (self);
}

/* ------------------------------------------------------------- public --- */

void
confab_chat_view_set_account (ConfabChatView *self,
                              ConfabAccount  *account)
{
  if (self->account == account)
    return;
  confab_chat_view_set_conversation_id (self, NULL);
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
    }
  g_set_object (&self->account, account);
  if (account == NULL)
    return;
  g_signal_connect_object (confab_account_get_cache (account), "conversation-changed",
                           G_CALLBACK (on_conversation_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "read",
                           G_CALLBACK (on_read), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "typing-preview",
                           G_CALLBACK (on_typing_preview), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "notify::state",
                           G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "members-changed",
                           G_CALLBACK (on_members_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "canned-changed",
                           G_CALLBACK (on_canned_changed), self, G_CONNECT_SWAPPED);
  confab_chat_view_labels_connect (self, account);
  confab_chat_view_assist_connect (self, account);
  confab_chat_view_routing_connect (self, account);
  on_client_state (self);
}

void
confab_chat_view_set_conversation_id (ConfabChatView *self,
                                      const char     *conversation_id)
{
  if (g_strcmp0 (conversation_id, self->conversation_id) == 0)
    return;
  stop_typing (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  gtk_revealer_set_reveal_child (self->ghost_revealer, FALSE);
  gtk_revealer_set_reveal_child (self->canned_revealer, FALSE);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), "", -1);
  if (self->messages != NULL)
    g_signal_handlers_disconnect_by_data (self->messages, self);
  gtk_no_selection_set_model (self->selection, NULL);
  g_clear_object (&self->messages);
  g_clear_object (&self->conversation);
  g_clear_pointer (&self->conversation_id, g_free);
  g_clear_pointer (&self->members, json_array_unref);
  self->visitor_read_seq = 0;

  if (conversation_id == NULL || self->account == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      update_header (self);
      confab_chat_view_notes_opened (self);
      confab_chat_view_labels_opened (self);
      confab_chat_view_assist_opened (self);
      return;
    }
  self->conversation_id = g_strdup (conversation_id);
  self->conversation = confab_cache_get_conversation (confab_account_get_cache (self->account),
                                                      conversation_id);
  if (self->conversation != NULL)
    self->visitor_read_seq = confab_conversation_get_visitor_read_seq (self->conversation);
  self->messages = confab_message_list_new (confab_account_get_cache (self->account), conversation_id);
  g_signal_connect_swapped (self->messages, "items-changed", G_CALLBACK (on_items_changed), self);
  gtk_no_selection_set_model (self->selection, G_LIST_MODEL (self->messages));
  gtk_stack_set_visible_child_name (self->stack, "chat");
  stick_to_bottom (self);
  update_header (self);
  mark_read (self);
  fetch_members (self);
  fetch_timeline (self);
  confab_chat_view_notes_opened (self);
  confab_chat_view_labels_opened (self);
  confab_chat_view_assist_opened (self);
  /* the visitor already typing (their first message, or the next one): shown at once */
  if (self->conversation != NULL)
    {
      const char *typing = confab_client_get_typing_preview (client_of (self),
                             confab_conversation_get_visitor_id (self->conversation));

      if (typing != NULL)
        on_typing_preview (self, NULL, conversation_id, NULL, typing, TRUE);
    }
  if (self->conversation != NULL)
    confab_account_get_canned (self->account, confab_conversation_get_site_id (self->conversation));
}

const char *
confab_chat_view_get_conversation_id (ConfabChatView *self)
{
  return self->conversation_id;
}

void
confab_chat_view_set_folded (ConfabChatView *self,
                             gboolean        folded,
                             gboolean        last_pane)
{
  gtk_widget_set_visible (self->back_button, folded);
  /* the window's buttons belong to the right-most pane */
  adw_header_bar_set_show_end_title_buttons (self->header, folded || last_pane);
}

void
confab_chat_view_focus_composer (ConfabChatView *self)
{
  if (self->conversation_id != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

/* ------------------------------------------------------------ sending --- */

static void
send_text (ConfabChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) message = NULL;

  if (self->conversation_id == NULL)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    return;
  /* the note mode: to the team only (live), never to the visitor */
  if (gtk_toggle_button_get_active (self->note_toggle))
    {
      if (confab_chat_view_notes_send (self, text))
        {
          gtk_text_buffer_set_text (buffer, "", -1);
          stick_to_bottom (self);
        }
      return;
    }
  /* queued on disk at once, sent now or after the reconnect */
  message = confab_client_send_message (client_of (self), self->conversation_id, text, &error);
  if (message == NULL)
    {
      report (self, error);
      return;
    }
  stop_typing (self);
  gtk_text_buffer_set_text (buffer, "", -1);
  stick_to_bottom (self);
}

/* An image, through the outbox as files are (confab-chat-view-files.c): @file names it (NULL:
 * pasted, "image.png"). */
static void
send_bytes (ConfabChatView *self,
            GBytes         *bytes,
            const char     *mime,
            GFile          *file)
{
  g_autoptr (GFile) pasted = NULL;

  if (self->conversation_id == NULL)
    return;
  if (g_bytes_get_size (bytes) > MAX_UPLOAD_BYTES)
    {
      toast (self, _("This image is too large to send"));
      return;
    }
  if (mime == NULL || !g_str_has_prefix (mime, "image/"))
    {
      toast (self, _("Only images can be sent"));
      return;
    }
  if (file == NULL)
    file = pasted = g_file_new_for_path ("image.png");
  confab_chat_view_send_file_bytes (self, bytes, mime, file);
}

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autofree char *type = NULL;
  g_autofree char *mime = NULL;

  if (bytes == NULL)
    {
      toast (self, error->message);
      return;
    }
  type = g_content_type_guess (NULL, g_bytes_get_data (bytes, NULL),
                               MIN (g_bytes_get_size (bytes), 4096), NULL);
  mime = g_content_type_get_mime_type (type);
  /* Messenger and WhatsApp take only some pictures: refused here, not after the upload */
  if (!confab_chat_view_channel_file_allowed (self, mime))
    return;
  /* anything else goes as a file (the relay sniffs it and says whether the site takes it) */
  if (mime == NULL || !g_str_has_prefix (mime, "image/"))
    {
      confab_chat_view_send_file_bytes (self, bytes, mime, G_FILE (source));
      return;
    }
  send_bytes (self, bytes, mime, G_FILE (source));
}

void
confab_chat_view_send_file (ConfabChatView *self,
                            GFile          *file)
{
  g_file_load_bytes_async (file, NULL, file_loaded_cb, g_object_ref (self));
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     ConfabChatView  *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        confab_chat_view_send_file (self, file);
    }
  g_object_unref (chooser);
}

static void
attach_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  const char * const *images = confab_chat_view_channel_image_types (self);

  if (images != NULL)
    {
      /* Messenger and WhatsApp: only the pictures they take (the relay refuses the rest) */
      chooser = gtk_file_chooser_native_new (_("Send an Image"), GTK_WINDOW (root),
                                             GTK_FILE_CHOOSER_ACTION_OPEN, _("_Send"), NULL);
      gtk_file_filter_set_name (filter, _("Images"));
      for (const char * const *m = images; *m != NULL; m++)
        gtk_file_filter_add_mime_type (filter, *m);
    }
  else
    {
      chooser = gtk_file_chooser_native_new (_("Send an Image or a File"), GTK_WINDOW (root),
                                             GTK_FILE_CHOOSER_ACTION_OPEN, _("_Send"), NULL);
      /* what a site may take: images, PDF, text, CSV, office documents, zip */
      gtk_file_filter_set_name (filter, _("Images and Documents"));
      for (const char * const *m = (const char * const[]) {
             "image/*", "application/pdf", "text/plain", "text/csv",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "application/vnd.oasis.opendocument.text",
             "application/vnd.oasis.opendocument.spreadsheet",
             "application/vnd.oasis.opendocument.presentation", "application/zip", NULL };
           *m != NULL; m++)
        gtk_file_filter_add_mime_type (filter, *m);
    }
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
on_drop (GtkDropTarget  *target,
         const GValue   *value,
         double          x,
         double          y,
         ConfabChatView *self)
{
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        confab_chat_view_send_file (self, l->data);
      return TRUE;
    }
  return FALSE;
}

static void
texture_pasted_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  g_autoptr (GBytes) png = NULL;

  if (texture == NULL)
    return;
  png = gdk_texture_save_to_png_bytes (texture);
  send_bytes (self, png, "image/png", NULL);
}

static void
on_paste (ConfabChatView *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self->composer));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  /* text pastes as text; an image (a screenshot) is sent as one */
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) &&
      !gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    {
      g_signal_stop_emission_by_name (self->composer, "paste-clipboard");
      gdk_clipboard_read_texture_async (clipboard, NULL, texture_pasted_cb, g_object_ref (self));
    }
}

/* ------------------------------------------------------------- canned --- */

static void
canned_activated (ConfabChatView *self,
                  GtkListBoxRow  *row)
{
  const char *body = g_object_get_data (G_OBJECT (row), "body");

  if (body == NULL)
    return;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), body, -1);
  gtk_revealer_set_reveal_child (self->canned_revealer, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

/* "/" at the start of the composer lists the canned responses whose shortcut starts with what
 * follows it. */
static void
update_canned (ConfabChatView *self,
               const char     *text)
{
  JsonArray *canned;
  GtkWidget *child;
  guint shown = 0;

  if (text[0] != '/' || strchr (text, ' ') != NULL || strchr (text, '\n') != NULL ||
      self->conversation == NULL ||
      (canned = confab_account_get_canned (self->account,
                                           confab_conversation_get_site_id (self->conversation))) == NULL)
    {
      gtk_revealer_set_reveal_child (self->canned_revealer, FALSE);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->canned_list))) != NULL)
    gtk_list_box_remove (self->canned_list, child);
  for (guint i = 0; i < json_array_get_length (canned) && shown < MAX_CANNED_SHOWN; i++)
    {
      JsonNode *node = json_array_get_element (canned, i);
      const char *shortcut, *body;
      GtkWidget *row, *label;
      g_autofree char *markup = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      shortcut = json_object_get_string_member_with_default (json_node_get_object (node), "shortcut", "");
      body = json_object_get_string_member_with_default (json_node_get_object (node), "body", "");
      if (!g_str_has_prefix (shortcut, text + 1))
        continue;
      markup = g_markup_printf_escaped ("<b>/%s</b>  <span alpha=\"60%%\">%s</span>", shortcut, body);
      label = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (label), markup);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
      row = gtk_list_box_row_new ();
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data_full (G_OBJECT (row), "body", g_strdup (body), g_free);
      gtk_list_box_append (self->canned_list, row);
      shown++;
    }
  if (shown == 0)
    {
      gtk_revealer_set_reveal_child (self->canned_revealer, FALSE);
      return;
    }
  gtk_list_box_select_row (self->canned_list, gtk_list_box_get_row_at_index (self->canned_list, 0));
  gtk_revealer_set_reveal_child (self->canned_revealer, TRUE);
}

/* Another admin's new canned response: a "/" list open now shows it at once (the account
 * took the pushed list before this handler runs). */
static void
on_canned_changed (ConfabChatView *self,
                   const char     *site_id)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  if (self->conversation == NULL ||
      g_strcmp0 (site_id, confab_conversation_get_site_id (self->conversation)) != 0)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  update_canned (self, text);
}

static void
on_buffer_changed (ConfabChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), *text != '\0');
  update_canned (self, text);
  confab_chat_view_notes_text_changed (self, text);

  /* a note is the team's: the visitor is not told anyone types */
  if (*text == '\0' || self->conversation_id == NULL ||
      gtk_toggle_button_get_active (self->note_toggle))
    {
      stop_typing (self);
      return;
    }
  /* typing: live only; offline it is simply not sent */
  if (!self->typing_sent && client_of (self) != NULL)
    self->typing_sent = confab_client_send_typing (client_of (self), self->conversation_id, TRUE, NULL);
  g_clear_handle_id (&self->typing_timeout, g_source_remove);
  self->typing_timeout = g_timeout_add (TYPING_IDLE_MS, typing_idle_cb, self);
}

static gboolean
on_composer_key (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 ConfabChatView        *self)
{
  gboolean canned_open = gtk_revealer_get_reveal_child (self->canned_revealer);

  if (confab_chat_view_notes_key (self, keyval, state))
    return TRUE;
  if (canned_open && (keyval == GDK_KEY_Down || keyval == GDK_KEY_Up))
    {
      GtkListBoxRow *row = gtk_list_box_get_selected_row (self->canned_list);
      int index = row != NULL ? gtk_list_box_row_get_index (row) : -1;
      GtkListBoxRow *next = gtk_list_box_get_row_at_index (self->canned_list,
                                                           index + (keyval == GDK_KEY_Down ? 1 : -1));
      if (next != NULL)
        gtk_list_box_select_row (self->canned_list, next);
      return TRUE;
    }
  if (canned_open && keyval == GDK_KEY_Escape)
    {
      gtk_revealer_set_reveal_child (self->canned_revealer, FALSE);
      return TRUE;
    }
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) &&
      !(state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)))
    {
      GtkListBoxRow *row = canned_open ? gtk_list_box_get_selected_row (self->canned_list) : NULL;

      if (row != NULL)
        canned_activated (self, row);
      else
        send_text (self);
      return TRUE;  /* Shift+Enter falls through: a new line */
    }
  return FALSE;
}

/* ------------------------------------------------------------ actions --- */

static void
send_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  send_text (CONFAB_CHAT_VIEW (widget));
}

static void
assign_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  g_autoptr (GError) error = NULL;
  const char *agent_id = NULL;

  if (self->conversation_id == NULL)
    return;
  if (g_str_equal (name, "chat.assign-me"))
    agent_id = confab_client_get_user_id (client_of (self));
  else if (g_str_equal (name, "chat.assign-to"))
    agent_id = g_variant_get_string (parameter, NULL);
  if (!confab_client_assign (client_of (self), self->conversation_id, agent_id, &error))
    report (self, error);
}

static void
status_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  g_autoptr (GError) error = NULL;
  const char *status = g_str_equal (name, "chat.resolve") ? "resolved"
                       : g_str_equal (name, "chat.pending") ? "pending" : "open";

  if (self->conversation_id == NULL)
    return;
  if (!confab_client_set_status (client_of (self), self->conversation_id, status, &error))
    report (self, error);
}

static void
message_action (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  g_autoptr (GError) error = NULL;
  const char *client_id = g_variant_get_string (parameter, NULL);
  gboolean ok;

  if (g_str_equal (name, "chat.retry-message"))
    ok = confab_client_retry_message (client_of (self), client_id, &error);
  else
    ok = confab_client_discard_message (client_of (self), client_id, &error);
  if (!ok)
    toast (self, error->message);
}

static void
view_image_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  GtkWidget *viewer;

  if (self->account == NULL)
    return;
  viewer = confab_image_viewer_new (GTK_WINDOW (gtk_widget_get_root (widget)), self->account,
                                    g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (viewer));
}

static void
confab_chat_view_dispose (GObject *object)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  confab_chat_view_set_account (self, NULL);
  g_clear_handle_id (&self->typing_timeout, g_source_remove);
  g_clear_handle_id (&self->pin_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->selection);
  g_clear_object (&self->assign_section);
  g_clear_pointer (&self->members, json_array_unref);
  g_clear_pointer (&self->site_labels, json_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_CHAT_VIEW);
  /* the template's root box has no id: dispose_template leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (confab_chat_view_parent_class)->dispose (object);
}

static void
confab_chat_view_finalize (GObject *object)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  g_ptr_array_unref (self->bound_rows);
  G_OBJECT_CLASS (confab_chat_view_parent_class)->finalize (object);
}

static void
confab_chat_view_class_init (ConfabChatViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_chat_view_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_chat_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/chat/confab/Confab/confab-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, back_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, header);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, title);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, actions_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, message_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, ghost_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, ghost_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, composer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, canned_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, canned_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, offline_hint);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, new_messages_pill);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, labels_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, labels_popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, labels_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, composer_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, note_toggle);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, note_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, mention_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, mention_list);
  gtk_widget_class_bind_template_callback (widget_class, on_pill_clicked);
  gtk_widget_class_bind_template_callback (widget_class, canned_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_paste);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "chat.assign-me", NULL, assign_action);
  gtk_widget_class_install_action (widget_class, "chat.assign-nobody", NULL, assign_action);
  gtk_widget_class_install_action (widget_class, "chat.assign-to", "s", assign_action);
  gtk_widget_class_install_action (widget_class, "chat.pending", NULL, status_action);
  gtk_widget_class_install_action (widget_class, "chat.resolve", NULL, status_action);
  gtk_widget_class_install_action (widget_class, "chat.reopen", NULL, status_action);
  gtk_widget_class_install_action (widget_class, "chat.retry-message", "s", message_action);
  gtk_widget_class_install_action (widget_class, "chat.discard-message", "s", message_action);
  gtk_widget_class_install_action (widget_class, "chat.view-image", "s", view_image_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.resolve", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.assign-me", NULL);
  confab_chat_view_notes_class_init (widget_class);
  confab_chat_view_labels_class_init (widget_class);
  confab_chat_view_files_class_init (widget_class);
  confab_chat_view_channel_class_init (widget_class);
  confab_chat_view_assist_class_init (widget_class);
  confab_chat_view_routing_class_init (widget_class);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_chat_view_init (ConfabChatView *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkEventController *scroll_keys = gtk_event_controller_key_new ();
  GtkGesture *messages_click = gtk_gesture_click_new ();
  GtkEventController *wheel = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
                                                               GTK_EVENT_CONTROLLER_SCROLL_KINETIC);
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) mine = g_menu_new ();
  g_autoptr (GMenu) status = g_menu_new ();

  self->bound_rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_chat_view_channel_init (self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  self->selection = gtk_no_selection_new (NULL);
  gtk_list_view_set_factory (self->message_view, factory);
  gtk_list_view_set_model (self->message_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                            G_CALLBACK (on_vadjustment_changed), self);
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (self->scroller), "notify::upper",
                            G_CALLBACK (on_vadjustment_bounds), self);
  g_signal_connect_swapped (gtk_scrolled_window_get_vadjustment (self->scroller), "notify::page-size",
                            G_CALLBACK (on_vadjustment_bounds), self);
  gtk_event_controller_set_propagation_phase (scroll_keys, GTK_PHASE_CAPTURE);
  g_signal_connect (scroll_keys, "key-pressed", G_CALLBACK (on_messages_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), scroll_keys);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (messages_click), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (messages_click, "pressed", G_CALLBACK (on_messages_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), GTK_EVENT_CONTROLLER (messages_click));
  /* what the agent scrolls with: the wheel or touchpad (and its deceleration), a finger, the
   * scroll bar */
  gtk_event_controller_set_propagation_phase (wheel, GTK_PHASE_CAPTURE);
  g_signal_connect (wheel, "scroll", G_CALLBACK (on_wheel), self);
  g_signal_connect_swapped (wheel, "decelerate", G_CALLBACK (on_user_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), wheel);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (drag), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (drag, "drag-begin", G_CALLBACK (on_user_scroll), self);
  g_signal_connect_swapped (drag, "drag-update", G_CALLBACK (on_user_scroll), self);
  g_signal_connect_swapped (drag, "drag-end", G_CALLBACK (on_user_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), GTK_EVENT_CONTROLLER (drag));

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_composer_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), keys);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->composer), "changed",
                            G_CALLBACK (on_buffer_changed), self);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  /* offered only when they would change something: "Unassign" when someone is assigned */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (i == 0 ? _("Assign to _Me") : _("_Unassign"),
                                                    i == 0 ? "chat.assign-me" : "chat.assign-nobody");

      g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
      g_menu_append_item (mine, item);
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (mine));
  self->assign_section = g_menu_new ();
  g_menu_append_section (menu, NULL, G_MENU_MODEL (self->assign_section));
  g_menu_append (status, _("Mark as _Pending"), "chat.pending");
  g_menu_append (status, _("_Resolve"), "chat.resolve");
  g_menu_append (status, _("Re_open"), "chat.reopen");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (status));
  confab_chat_view_assist_init (self, menu);
  gtk_menu_button_set_menu_model (self->actions_button, G_MENU_MODEL (menu));
  confab_chat_view_routing_init (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), FALSE);
}
