/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-channel.c: a conversation that came by another channel than the website
 * (issue 15): the channel named in the header, and for WhatsApp its 24-hour customer-service
 * window over the composer — the time left, or, once it closed, why only a template may go and
 * a picker of the site's templates (GET …/channels/whatsapp) with a button that sends one.
 * "chat.send-again" sends a message the platform refused again: the same message, retried by
 * the relay. Messenger and WhatsApp take only some pictures: the attach button's chooser
 * offers those, and another file is refused over the composer before it is uploaded. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-cache-channels.h"
#include "confab-chat-view-private.h"
#include "confab-client-admin.h"
#include "confab-client-channels.h"
#include "confab-conversation-row.h"

typedef struct {
  GtkWidget     *bar;
  GtkLabel      *label;
  GtkLabel      *refusal;     /* a file this channel does not take, said before any upload */
  GtkWidget     *picker_box;
  GtkDropDown   *picker;
  GtkStringList *names;       /* "name (language)" */
  JsonArray     *templates;   /* of the site last asked */
  char          *site_id;     /* whose templates these are */
  guint          tick;        /* the time left, each minute */
  GCancellable  *cancellable;
} ChannelBar;

static void
channel_bar_free (ChannelBar *bar)
{
  g_clear_handle_id (&bar->tick, g_source_remove);
  g_cancellable_cancel (bar->cancellable);
  g_clear_object (&bar->cancellable);
  g_clear_pointer (&bar->templates, json_array_unref);
  g_free (bar->site_id);
  g_free (bar);
}

static ChannelBar *
bar_of (ConfabChatView *self)
{
  return g_object_get_data (G_OBJECT (self), "confab-channel-bar");
}

static void
templates_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  ChannelBar *bar = bar_of (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) settings = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *node = settings != NULL ? json_object_get_member (settings, "templates") : NULL;

  if (bar == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_pointer (&bar->templates, json_array_unref);
  gtk_string_list_splice (bar->names, 0, g_list_model_get_n_items (G_LIST_MODEL (bar->names)), NULL);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  bar->templates = json_array_ref (json_node_get_array (node));
  for (guint i = 0; i < json_array_get_length (bar->templates); i++)
    {
      JsonObject *t = json_array_get_object_element (bar->templates, i);
      g_autofree char *text = g_strdup_printf ("%s (%s)", confab_admin_string (t, "name"),
                                               confab_admin_string (t, "language"));

      gtk_string_list_append (bar->names, text);
    }
}

/* The bar for the conversation shown now; the header's subtitle gets the channel first. */
void
confab_chat_view_channel_update (ConfabChatView *self)
{
  ChannelBar *bar = bar_of (self);
  ConfabCache *cache = self->account != NULL ? confab_account_get_cache (self->account) : NULL;
  g_autofree char *channel = NULL;
  gint64 ends_at = 0, left;

  /* a tick after dispose: the template's children are gone */
  if (bar == NULL || self->title == NULL)
    return;
  if (cache != NULL && self->conversation_id != NULL)
    channel = confab_cache_dup_channel (cache, self->conversation_id, &ends_at);
  /* the refusal was about a file for the conversation it was dropped on */
  if (g_strcmp0 (g_object_get_data (G_OBJECT (bar->refusal), "conversation-id"), self->conversation_id) != 0)
    gtk_widget_set_visible (GTK_WIDGET (bar->refusal), FALSE);
  if (confab_channel_title (channel) != NULL && self->conversation != NULL)
    {
      g_autofree char *subtitle = g_strdup_printf (_("%s · %s"), confab_channel_title (channel),
                                                   adw_window_title_get_subtitle (self->title));

      if (!g_str_has_prefix (adw_window_title_get_subtitle (self->title), confab_channel_title (channel)))
        adw_window_title_set_subtitle (self->title, subtitle);
    }
  gtk_widget_set_visible (bar->bar, g_strcmp0 (channel, "whatsapp") == 0 && ends_at > 0);
  if (g_strcmp0 (channel, "whatsapp") != 0 || ends_at <= 0)
    return;
  left = ends_at - g_get_real_time () / 1000;
  if (left > 0)
    {
      gint64 minutes = (left + 59999) / 60000;
      g_autofree char *text = minutes >= 60
        /* Translators: WhatsApp's customer-service window */
        ? g_strdup_printf (_("WhatsApp: %" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min left to reply freely"),
                           minutes / 60, minutes % 60)
        : g_strdup_printf (_("WhatsApp: %" G_GINT64_FORMAT " min left to reply freely"), minutes);

      gtk_label_set_text (bar->label, text);
      gtk_widget_remove_css_class (GTK_WIDGET (bar->label), "warning");
      gtk_widget_set_visible (bar->picker_box, FALSE);
      return;
    }
  gtk_label_set_text (bar->label,
                      _("WhatsApp's 24-hour window closed: the customer wrote more than a day ago, "
                        "so only a template message may be sent until they write again."));
  gtk_widget_add_css_class (GTK_WIDGET (bar->label), "warning");
  gtk_widget_set_visible (bar->picker_box, TRUE);
  if (self->conversation != NULL &&
      g_strcmp0 (bar->site_id, confab_conversation_get_site_id (self->conversation)) != 0)
    {
      g_autofree char *path = NULL;

      g_free (bar->site_id);
      bar->site_id = g_strdup (confab_conversation_get_site_id (self->conversation));
      path = confab_admin_path ("sites", bar->site_id, "channels/whatsapp");
      confab_client_request_async (confab_chat_view_client (self), "GET", path, NULL,
                                   bar->cancellable, templates_cb, g_object_ref (self));
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  confab_chat_view_channel_update (user_data);
  return G_SOURCE_CONTINUE;
}

static void
send_template_clicked (ConfabChatView *self)
{
  ChannelBar *bar = bar_of (self);
  guint selected = gtk_drop_down_get_selected (bar->picker);
  g_autoptr (GError) error = NULL;
  JsonObject *t;

  if (bar->templates == NULL || selected >= json_array_get_length (bar->templates) ||
      self->conversation_id == NULL)
    {
      confab_chat_view_toast (self, _("This site has no WhatsApp templates: add them in Settings, Channels"));
      return;
    }
  t = json_array_get_object_element (bar->templates, selected);
  if (!confab_client_send_template (confab_chat_view_client (self), self->conversation_id,
                                    confab_admin_string (t, "name"), confab_admin_string (t, "language"),
                                    NULL, &error))
    confab_chat_view_report (self, error);
}

static void
retried_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result,
                                                                NULL, &error);

  /* on success the relay's "delivery" frame moves the row to pending, then sent or failed */
  if (answer == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    confab_chat_view_report (self, error);
}

/* the same stored message again (POST …/messages/{seq}/retry): no second copy in the chat */
static void
send_again_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  ChannelBar *bar = bar_of (self);
  g_autofree char *path = NULL;

  if (self->conversation_id == NULL || bar == NULL)
    return;
  path = g_strdup_printf ("/api/v1/conversations/%s/messages/%" G_GINT64_FORMAT "/retry",
                          self->conversation_id, g_variant_get_int64 (parameter));
  confab_client_request_async (confab_chat_view_client (self), "POST", path, NULL,
                               bar->cancellable, retried_cb, g_object_ref (self));
}

/* The channel of the conversation shown now (NULL: the website), as the cache knows it. */
static char *
channel_of (ConfabChatView *self)
{
  ConfabCache *cache = self->account != NULL ? confab_account_get_cache (self->account) : NULL;
  gint64 ends_at = 0;

  if (cache == NULL || self->conversation_id == NULL)
    return NULL;
  return confab_cache_dup_channel (cache, self->conversation_id, &ends_at);
}

const char * const *
confab_chat_view_channel_image_types (ConfabChatView *self)
{
  /* what the relay sends on (confab_meta_queue_reply ()); it refuses anything else */
  static const char * const messenger[] = { "image/jpeg", "image/png", "image/gif", NULL };
  static const char * const whatsapp[] = { "image/jpeg", "image/png", NULL };
  g_autofree char *channel = channel_of (self);

  if (g_strcmp0 (channel, "messenger") == 0)
    return messenger;
  if (g_strcmp0 (channel, "whatsapp") == 0)
    return whatsapp;
  return NULL;
}

gboolean
confab_chat_view_channel_file_allowed (ConfabChatView *self,
                                       const char     *mime)
{
  const char * const *types = confab_chat_view_channel_image_types (self);
  g_autofree char *channel = NULL;
  const char *text;

  if (types == NULL || (mime != NULL && g_strv_contains (types, mime)))
    {
      gtk_widget_set_visible (GTK_WIDGET (bar_of (self)->refusal), FALSE);
      return TRUE;
    }
  /* the relay's words (confab_meta_queue_reply ()), before anything is uploaded */
  channel = channel_of (self);
  text = g_strcmp0 (channel, "whatsapp") == 0
    ? _("Only pictures (JPEG or PNG) can be sent to WhatsApp from Confab: share a file as a link instead")
    : _("Only pictures (JPEG, PNG or GIF) can be sent to Messenger from Confab: share a file as a link instead");
  gtk_label_set_text (bar_of (self)->refusal, text);
  g_object_set_data_full (G_OBJECT (bar_of (self)->refusal), "conversation-id",
                          g_strdup (self->conversation_id), g_free);
  gtk_widget_set_visible (GTK_WIDGET (bar_of (self)->refusal), TRUE);
  return FALSE;
}

void
confab_chat_view_channel_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.send-again", "x", send_again_action);
}

/* Puts the bar over the composer. */
void
confab_chat_view_channel_init (ConfabChatView *self)
{
  ChannelBar *bar = g_new0 (ChannelBar, 1);
  GtkWidget *send = gtk_button_new_with_mnemonic (_("Send _Template"));

  bar->cancellable = g_cancellable_new ();
  bar->bar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_name (bar->bar, "reply-window");
  gtk_widget_set_margin_start (bar->bar, 12);
  gtk_widget_set_margin_end (bar->bar, 12);
  gtk_widget_set_margin_top (bar->bar, 6);
  bar->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (bar->label), "reply-window-label");
  gtk_label_set_wrap (bar->label, TRUE);
  gtk_label_set_xalign (bar->label, 0);
  gtk_label_set_max_width_chars (bar->label, 24);
  gtk_widget_add_css_class (GTK_WIDGET (bar->label), "caption");
  gtk_box_append (GTK_BOX (bar->bar), GTK_WIDGET (bar->label));
  bar->picker_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  bar->names = gtk_string_list_new (NULL);
  bar->picker = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (bar->names), NULL));
  gtk_widget_set_name (GTK_WIDGET (bar->picker), "template-picker");
  gtk_widget_set_hexpand (GTK_WIDGET (bar->picker), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (bar->picker), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("WhatsApp template"), -1);
  gtk_widget_set_name (send, "template-send");
  g_signal_connect_swapped (send, "clicked", G_CALLBACK (send_template_clicked), self);
  gtk_box_append (GTK_BOX (bar->picker_box), GTK_WIDGET (bar->picker));
  gtk_box_append (GTK_BOX (bar->picker_box), send);
  gtk_box_append (GTK_BOX (bar->bar), bar->picker_box);
  gtk_widget_set_visible (bar->bar, FALSE);
  gtk_widget_insert_before (bar->bar, gtk_widget_get_parent (self->composer_box), self->composer_box);
  bar->refusal = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (bar->refusal), "attach-refusal");
  gtk_label_set_wrap (bar->refusal, TRUE);
  gtk_label_set_xalign (bar->refusal, 0);
  gtk_label_set_max_width_chars (bar->refusal, 24);
  gtk_widget_set_margin_start (GTK_WIDGET (bar->refusal), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (bar->refusal), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (bar->refusal), 6);
  gtk_widget_add_css_class (GTK_WIDGET (bar->refusal), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (bar->refusal), "error");
  gtk_widget_set_visible (GTK_WIDGET (bar->refusal), FALSE);
  gtk_widget_insert_before (GTK_WIDGET (bar->refusal), gtk_widget_get_parent (self->composer_box),
                            self->composer_box);
  g_object_set_data_full (G_OBJECT (self), "confab-channel-bar", bar, (GDestroyNotify) channel_bar_free);
  bar->tick = g_timeout_add_seconds (60, tick_cb, self);
}
