/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-routing.c: issue 18 in the conversation pane — the response target's badge
 * in the header (near: warning, missed: error, with the time it is due), the team in the
 * subtitle, and "Transfer…" in the conversation's menu: a dialog to hand the conversation to a
 * team or an agent with a note. The transfer is live only, as assigning is: the action is off
 * while the app is offline or the relay has no routing. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-chat-view-private.h"
#include "confab-client-routing.h"
#include "confab-format.h"
#include "confab-routing.h"

typedef struct {
  GtkWidget    *badge;       /* the target's badge in the header */
  guint         tick;        /* keeps the badge's time true while a target runs */
  GCancellable *cancellable;
} RoutingBits;

static void
routing_bits_free (RoutingBits *bits)
{
  g_clear_handle_id (&bits->tick, g_source_remove);
  g_cancellable_cancel (bits->cancellable);
  g_clear_object (&bits->cancellable);
  g_free (bits);
}

static RoutingBits *
bits_of (ConfabChatView *self)
{
  return g_object_get_data (G_OBJECT (self), "confab-routing-bits");
}

static ConfabCache *
cache_of (ConfabChatView *self)
{
  return self->account != NULL ? confab_account_get_cache (self->account) : NULL;
}

static gboolean
can_transfer (ConfabChatView *self)
{
  ConfabClient *client = confab_chat_view_client (self);
  ConfabCache *cache = cache_of (self);
  const char *status;

  if (client == NULL || cache == NULL || self->conversation == NULL ||
      confab_client_get_state (client) != CONFAB_CLIENT_ONLINE)
    return FALSE;
  status = confab_conversation_get_status (self->conversation);
  return confab_cache_has_routing (cache, confab_conversation_get_site_id (self->conversation)) &&
         (g_strcmp0 (status, "open") == 0 || g_strcmp0 (status, "pending") == 0);
}

static gboolean
tick_cb (gpointer user_data)
{
  confab_chat_view_routing_update (user_data);
  return G_SOURCE_CONTINUE;
}

/* "in 3 min" / "5 min ago" for a due time. */
static char *
due_text (gint64 due_at,
          gint64 now)
{
  gint64 minutes = ((due_at > now ? due_at - now : now - due_at) + 59999) / 60000;

  if (due_at > now)
    /* Translators: when a response is due */
    return g_strdup_printf (_("Reply due in %" G_GINT64_FORMAT " min"), MAX (minutes, 1));
  /* Translators: how long ago a response was due */
  return g_strdup_printf (_("Reply overdue by %" G_GINT64_FORMAT " min"), MAX (minutes, 1));
}

void
confab_chat_view_routing_update (ConfabChatView *self)
{
  RoutingBits *bits = bits_of (self);
  g_autoptr (ConfabRouting) routing = NULL;
  ConfabTargetState state;
  gint64 now = g_get_real_time () / 1000;

  /* a tick after dispose: the template's children are gone */
  if (bits == NULL || self->title == NULL)
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.transfer", can_transfer (self));
  routing = confab_routing_from_conversation (self->conversation);
  if (routing->team_name != NULL && self->conversation != NULL)
    {
      const char *subtitle = adw_window_title_get_subtitle (self->title);

      if (subtitle != NULL && !g_str_has_suffix (subtitle, routing->team_name))
        {
          g_autofree char *text = g_strdup_printf (_("%s · %s"), subtitle, routing->team_name);

          adw_window_title_set_subtitle (self->title, text);
        }
    }

  state = confab_routing_target_state_at (routing, now);
  gtk_widget_remove_css_class (bits->badge, "warning");
  gtk_widget_remove_css_class (bits->badge, "error");
  gtk_widget_set_visible (bits->badge, state == CONFAB_TARGET_NEAR || state == CONFAB_TARGET_MISSED);
  if (state == CONFAB_TARGET_NEAR || state == CONFAB_TARGET_MISSED)
    {
      g_autofree char *text = due_text (routing->target_due_at, now);

      gtk_label_set_text (GTK_LABEL (bits->badge), text);
      gtk_widget_add_css_class (bits->badge, state == CONFAB_TARGET_NEAR ? "warning" : "error");
      gtk_widget_set_tooltip_text (bits->badge,
                                   g_strcmp0 (routing->target_kind, "first_response") == 0
                                   ? _("First response target") : _("Next response target"));
    }
  /* while a target runs, the minutes go down (and "near" turns "missed" at the due time) */
  if (state != CONFAB_TARGET_NONE && state != CONFAB_TARGET_MISSED && bits->tick == 0)
    bits->tick = g_timeout_add_seconds (15, tick_cb, self);
  else if ((state == CONFAB_TARGET_NONE || state == CONFAB_TARGET_MISSED) && bits->tick != 0)
    g_clear_handle_id (&bits->tick, g_source_remove);
}

/* ----------------------------------------------------------- transfer --- */

typedef struct {
  ConfabChatView *self;          /* strong */
  char           *conversation_id;
  char           *site_id;
  GtkDropDown    *target;
  GtkStringList  *names;
  GPtrArray      *kinds;         /* "team" or "agent", one per name */
  GPtrArray      *ids;
  GtkTextView    *note;
  GtkWidget      *dialog;
  GCancellable   *cancellable;
} Transfer;

static void
transfer_free (Transfer *transfer)
{
  g_cancellable_cancel (transfer->cancellable);
  g_clear_object (&transfer->cancellable);
  g_clear_object (&transfer->self);
  g_free (transfer->conversation_id);
  g_free (transfer->site_id);
  g_ptr_array_unref (transfer->kinds);
  g_ptr_array_unref (transfer->ids);
  g_free (transfer);
}

static void
fill_targets (Transfer *transfer)
{
  ConfabCache *cache = cache_of (transfer->self);
  g_autoptr (JsonArray) teams = cache != NULL ? confab_cache_dup_teams (cache, transfer->site_id) : NULL;
  JsonArray *members = transfer->self->members;
  const char *me = confab_client_get_user_id (confab_chat_view_client (transfer->self));
  g_autoptr (ConfabRouting) routing = confab_routing_from_conversation (transfer->self->conversation);
  const char *assignee = transfer->self->conversation != NULL
                         ? confab_conversation_get_assignee_id (transfer->self->conversation) : NULL;

  gtk_string_list_splice (transfer->names, 0, g_list_model_get_n_items (G_LIST_MODEL (transfer->names)), NULL);
  g_ptr_array_set_size (transfer->kinds, 0);
  g_ptr_array_set_size (transfer->ids, 0);
  for (guint i = 0; teams != NULL && i < json_array_get_length (teams); i++)
    {
      JsonObject *team = json_array_get_object_element (teams, i);
      const char *id = team != NULL ? confab_admin_string (team, "id") : NULL;
      g_autofree char *text = NULL;

      if (id == NULL || g_strcmp0 (id, routing->team_id) == 0)
        continue;
      /* Translators: a transfer's target */
      text = g_strdup_printf (_("Team: %s"), confab_admin_string (team, "name"));
      gtk_string_list_append (transfer->names, text);
      g_ptr_array_add (transfer->kinds, g_strdup ("team"));
      g_ptr_array_add (transfer->ids, g_strdup (id));
    }
  for (guint i = 0; members != NULL && i < json_array_get_length (members); i++)
    {
      JsonObject *member = json_array_get_object_element (members, i);
      const char *id = member != NULL ? confab_admin_string (member, "id") : NULL;
      g_autofree char *text = NULL;

      if (id == NULL || g_strcmp0 (id, me) == 0 || g_strcmp0 (id, assignee) == 0)
        continue;
      /* Translators: a transfer's target */
      text = g_strdup_printf (_("Agent: %s"), confab_admin_string (member, "name"));
      gtk_string_list_append (transfer->names, text);
      g_ptr_array_add (transfer->kinds, g_strdup ("agent"));
      g_ptr_array_add (transfer->ids, g_strdup (id));
    }
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (transfer->dialog), "transfer",
                                           transfer->ids->len > 0);
}

static void
teams_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Transfer *transfer = user_data;
  g_autoptr (JsonArray) teams = NULL;
  g_autoptr (GError) error = NULL;

  teams = confab_client_fetch_teams_finish (CONFAB_CLIENT (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* the dialog may be gone: its Transfer is freed with it, after cancelling this */
  fill_targets (transfer);
}

static void
on_transfer_response (AdwMessageDialog *dialog,
                      const char       *response,
                      Transfer         *transfer)
{
  guint selected = gtk_drop_down_get_selected (transfer->target);
  g_autoptr (GError) error = NULL;
  g_autofree char *note = NULL;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  const char *kind, *id;

  if (g_strcmp0 (response, "transfer") != 0 || selected >= transfer->ids->len)
    return;
  kind = g_ptr_array_index (transfer->kinds, selected);
  id = g_ptr_array_index (transfer->ids, selected);
  buffer = gtk_text_view_get_buffer (transfer->note);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  note = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (!confab_client_transfer (confab_chat_view_client (transfer->self), transfer->conversation_id,
                               g_str_equal (kind, "agent") ? id : NULL,
                               g_str_equal (kind, "team") ? id : NULL,
                               *note != '\0' ? note : NULL, &error))
    confab_chat_view_report (transfer->self, error);
}

static void
transfer_action (GtkWidget  *widget,
                 const char *name,
                 GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  Transfer *transfer;
  GtkWidget *box, *scroller, *hint;

  if (self->conversation == NULL || !can_transfer (self))
    return;
  transfer = g_new0 (Transfer, 1);
  transfer->self = g_object_ref (self);
  transfer->conversation_id = g_strdup (self->conversation_id);
  transfer->site_id = g_strdup (confab_conversation_get_site_id (self->conversation));
  transfer->kinds = g_ptr_array_new_with_free_func (g_free);
  transfer->ids = g_ptr_array_new_with_free_func (g_free);
  transfer->cancellable = g_cancellable_new ();

  transfer->dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                             _("Transfer Conversation"),
                                             _("The team or agent gets it with your note, which "
                                               "only the team sees."));
  gtk_widget_set_name (transfer->dialog, "transfer-dialog");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  transfer->names = gtk_string_list_new (NULL);
  transfer->target = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (transfer->names), NULL));
  gtk_widget_set_name (GTK_WIDGET (transfer->target), "transfer-target");
  gtk_accessible_update_property (GTK_ACCESSIBLE (transfer->target), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Transfer to"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (transfer->target));
  hint = gtk_label_new (_("Note (optional)"));
  gtk_label_set_xalign (GTK_LABEL (hint), 0);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_box_append (GTK_BOX (box), hint);
  transfer->note = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_widget_set_name (GTK_WIDGET (transfer->note), "transfer-note");
  gtk_text_view_set_wrap_mode (transfer->note, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (transfer->note, 6);
  gtk_text_view_set_bottom_margin (transfer->note, 6);
  gtk_text_view_set_left_margin (transfer->note, 6);
  gtk_text_view_set_right_margin (transfer->note, 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (transfer->note), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Note"), -1);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 80);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (transfer->note));
  gtk_widget_add_css_class (scroller, "card");
  gtk_box_append (GTK_BOX (box), scroller);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (transfer->dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (transfer->dialog),
                                    "cancel", _("_Cancel"),
                                    "transfer", _("_Transfer"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (transfer->dialog), "transfer",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (transfer->dialog), "transfer");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (transfer->dialog), "cancel");
  g_signal_connect (transfer->dialog, "response", G_CALLBACK (on_transfer_response), transfer);
  g_object_set_data_full (G_OBJECT (transfer->dialog), "confab-transfer", transfer,
                          (GDestroyNotify) transfer_free);
  fill_targets (transfer);
  /* the teams as they are now (the cache's may be old or missing) */
  confab_client_fetch_teams_async (confab_chat_view_client (self), transfer->site_id,
                                   transfer->cancellable, teams_cb, transfer);
  gtk_window_present (GTK_WINDOW (transfer->dialog));
}

void
confab_chat_view_routing_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.transfer", NULL, transfer_action);
}

static void
on_state_changed (ConfabChatView *self)
{
  confab_chat_view_routing_update (self);
}

/* The badge in the header, "Transfer…" in the menu (after the menu is made). */
void
confab_chat_view_routing_init (ConfabChatView *self)
{
  RoutingBits *bits = g_new0 (RoutingBits, 1);
  GMenuModel *menu = gtk_menu_button_get_menu_model (self->actions_button);
  g_autoptr (GMenu) section = g_menu_new ();
  g_autoptr (GMenuItem) item = g_menu_item_new (_("_Transfer…"), "chat.transfer");

  bits->cancellable = g_cancellable_new ();
  bits->badge = gtk_label_new (NULL);
  gtk_widget_set_name (bits->badge, "chat-target-badge");
  gtk_widget_add_css_class (bits->badge, "target-badge");
  gtk_widget_set_valign (bits->badge, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (bits->badge, FALSE);
  adw_header_bar_pack_end (self->header, bits->badge);
  g_object_set_data_full (G_OBJECT (self), "confab-routing-bits", bits,
                          (GDestroyNotify) routing_bits_free);

  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (section, item);
  if (G_IS_MENU (menu))
    g_menu_append_section (G_MENU (menu), NULL, G_MENU_MODEL (section));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.transfer", FALSE);
}

/* The account's client: the action follows its state (offline: no transfer). */
void
confab_chat_view_routing_connect (ConfabChatView *self,
                                  ConfabAccount  *account)
{
  RoutingBits *bits = bits_of (self);

  if (bits == NULL || account == NULL)
    return;
  g_signal_connect_object (confab_account_get_client (account), "notify::state",
                           G_CALLBACK (on_state_changed), self, G_CONNECT_SWAPPED);
}
