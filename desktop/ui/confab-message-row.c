/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-message-row.c: a bubble (visitor on the left, the team on the right), the sender, the
 * time, the delivery state, an image thumbnail that opens the full image ("chat.view-image"). */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-assistant-sources.h"
#include "confab-avatar-textures.h"
#include "confab-cache-assistant.h"
#include "confab-cache-channels.h"
#include "confab-client-avatars.h"
#include "confab-format.h"
#include "confab-message-row.h"
#include "confab-timeline.h"

#define MAX_THUMB_SIDE 240

struct _ConfabMessageRow
{
  GtkWidget      parent_instance;

  GtkWidget     *day_label;
  GtkWidget     *bubble_box;
  GtkLabel      *timeline_label;
  GtkWidget     *bubble;
  GtkLabel      *sender_label;
  GtkLabel      *body_label;
  GtkLabel      *sources_label;
  GtkWidget     *image_button;
  GtkPicture    *picture;
  GtkLabel      *time_label;
  GtkImage      *state_icon;
  GtkWidget     *failed_box;
  GtkImage      *note_icon;
  GtkWidget     *file_button;
  GtkImage      *file_icon;
  GtkLabel      *file_name_label;
  GtkLabel      *file_info_label;
  AdwAvatar     *sender_avatar;
  GtkWidget     *waiting_box;
  GtkWidget     *delivery_box;
  GtkLabel      *delivery_label;

  ConfabMessage *message;
  ConfabAccount *account;
  gulong         avatar_handler;  /* the client's avatar-changed, while bound */
  GCancellable  *cancellable;
  char          *upload_id;
  char          *file_json;   /* a file card's attachment, for chat.save-file */
};

G_DEFINE_FINAL_TYPE (ConfabMessageRow, confab_message_row, GTK_TYPE_WIDGET)

static void
on_image_clicked (ConfabMessageRow *self)
{
  if (self->upload_id != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "chat.view-image", "s", self->upload_id);
}

/* "Save as…": never opened here, whatever it is */
static void
on_file_clicked (ConfabMessageRow *self)
{
  if (self->file_json != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "chat.save-file", "s", self->file_json);
}

static void
on_retry_clicked (ConfabMessageRow *self)
{
  if (self->message != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "chat.retry-message", "s",
                                confab_message_get_client_id (self->message));
}

static void
on_discard_clicked (ConfabMessageRow *self)
{
  if (self->message != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "chat.discard-message", "s",
                                confab_message_get_client_id (self->message));
}

/* a channel's platform refused it: the same message again (the relay retries it) */
static void
on_send_again_clicked (ConfabMessageRow *self)
{
  if (self->message != NULL && confab_message_get_seq (self->message) > 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "chat.send-again", "x",
                                confab_message_get_seq (self->message));
}

static void
confab_message_row_dispose (GObject *object)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  confab_message_row_unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_MESSAGE_ROW);
  /* the template's root box has no id: dispose_template leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (confab_message_row_parent_class)->dispose (object);
}

static void
confab_message_row_class_init (ConfabMessageRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_message_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, bubble_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, timeline_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, sources_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, image_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, picture);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, failed_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, note_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, file_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, file_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, file_name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, file_info_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, sender_avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, waiting_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, delivery_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, delivery_label);
  gtk_widget_class_bind_template_callback (widget_class, on_send_again_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_file_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_image_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_discard_clicked);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
confab_message_row_init (ConfabMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_message_row_new (void)
{
  return g_object_new (CONFAB_TYPE_MESSAGE_ROW, NULL);
}

static void
thumbnail_ready (GdkTexture *texture,
                 gpointer    user_data)
{
  ConfabMessageRow *self = user_data;

  if (texture != NULL)
    gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  else
    gtk_widget_set_tooltip_text (self->image_button, _("The image could not be loaded"));
}

/* The attachment's upload id and its thumbnail's size, scaled to fit MAX_THUMB_SIDE. */
static gboolean
parse_attachment (const char  *text,
                  char       **out_id,
                  int         *out_width,
                  int         *out_height)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  double width, height, scale;

  if (text == NULL || *text == '\0' || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "id") ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "kind", "image"), "image") != 0)
    return FALSE;
  *out_id = g_strdup (json_object_get_string_member_with_default (object, "id", ""));
  width = json_object_get_int_member_with_default (object, "width", MAX_THUMB_SIDE);
  height = json_object_get_int_member_with_default (object, "height", MAX_THUMB_SIDE * 3 / 4);
  if (width <= 0 || height <= 0)
    width = height = MAX_THUMB_SIDE;
  scale = MIN (1.0, MAX_THUMB_SIDE / MAX (width, height));
  *out_width = MAX (48, (int) (width * scale));
  *out_height = MAX (48, (int) (height * scale));
  return TRUE;
}

/* An icon for what the relay says the file is (its sniffed type, never its name). */
static const char *
file_icon_for (const char *mime)
{
  if (mime == NULL)
    return "text-x-generic-symbolic";
  if (g_str_has_prefix (mime, "image/"))
    return "image-x-generic-symbolic";
  if (g_str_equal (mime, "application/pdf"))
    return "x-office-document-symbolic";
  if (g_str_equal (mime, "application/zip"))
    return "package-x-generic-symbolic";
  if (strstr (mime, "spreadsheet") != NULL || g_str_has_prefix (mime, "text/csv"))
    return "x-office-spreadsheet-symbolic";
  if (strstr (mime, "presentation") != NULL)
    return "x-office-presentation-symbolic";
  if (strstr (mime, "document") != NULL || strstr (mime, "wordprocessing") != NULL)
    return "x-office-document-symbolic";
  return "text-x-generic-symbolic";
}

/* What the file is, for people: "PDF · 1.2 MB". */
static char *
file_info (const char *mime,
           gint64      size)
{
  g_autofree char *bytes = g_format_size (MAX (size, 0));
  g_autofree char *type = NULL;

  if (mime == NULL)
    type = g_strdup (_("File"));
  else if (g_str_equal (mime, "application/pdf"))
    type = g_strdup ("PDF");
  else if (g_str_has_prefix (mime, "image/"))
    type = g_strdup (_("Image"));
  else if (g_str_has_prefix (mime, "text/csv"))
    type = g_strdup ("CSV");
  else if (g_str_equal (mime, "application/zip"))
    type = g_strdup ("ZIP");
  else if (g_str_has_prefix (mime, "text/plain"))
    type = g_strdup (_("Text"));
  else if (strstr (mime, "spreadsheet") != NULL)
    type = g_strdup (_("Spreadsheet"));
  else if (strstr (mime, "presentation") != NULL)
    type = g_strdup (_("Presentation"));
  else if (strstr (mime, "document") != NULL || strstr (mime, "wordprocessing") != NULL)
    type = g_strdup (_("Document"));
  else
    type = g_strdup (_("File"));
  return g_strdup_printf ("%s · %s", type, bytes);
}

/* A file that is no image: a card with its name, type and size; "Save as…" on click. */
static void
bind_file (ConfabMessageRow *self,
           const char       *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  const char *name, *mime;
  g_autofree char *info = NULL;
  g_autofree char *tooltip = NULL;
  gboolean pending;

  if (text == NULL || *text == '\0' || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      (object = json_node_get_object (json_parser_get_root (parser))) == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "kind", NULL), "file") != 0 ||
      (json_object_get_string_member_with_default (object, "id", NULL) == NULL &&
       !json_object_get_boolean_member_with_default (object, "pending", FALSE)))
    {
      gtk_widget_set_visible (self->file_button, FALSE);
      return;
    }
  /* in the outbox (confab_client_send_file): not on the relay yet, nothing to save */
  pending = json_object_get_string_member_with_default (object, "id", NULL) == NULL;
  name = json_object_get_string_member_with_default (object, "name", NULL);
  mime = json_object_get_string_member_with_default (object, "mime", NULL);
  if (name == NULL || *name == '\0')
    name = _("File");
  info = file_info (mime, json_object_get_int_member_with_default (object, "size", 0));
  /* a click on a waiting card does nothing: its tooltip says why */
  self->file_json = pending ? NULL : g_strdup (text);
  gtk_image_set_from_icon_name (self->file_icon, file_icon_for (mime));
  gtk_label_set_text (self->file_name_label, name);
  gtk_label_set_text (self->file_info_label, info);
  /* Translators: %s is a file name */
  tooltip = pending ? g_strdup_printf (_("“%s” is sent when the connection is back"), name)
                    : g_strdup_printf (_("Save “%s” as…"), name);
  gtk_widget_set_tooltip_text (self->file_button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->file_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  gtk_widget_set_visible (self->file_button, TRUE);
}

/* ------------------------------------------------------------- avatar --- */

static void
avatar_ready (GdkTexture *texture,
              gpointer    user_data)
{
  ConfabMessageRow *self = user_data;

  adw_avatar_set_custom_image (self->sender_avatar, texture != NULL ? GDK_PAINTABLE (texture) : NULL);
}

static void
load_avatar (ConfabMessageRow *self)
{
  const char *sender_id = confab_message_get_sender_id (self->message);

  adw_avatar_set_custom_image (self->sender_avatar, NULL);
  if (self->account != NULL && sender_id != NULL)
    confab_avatar_textures_load (confab_account_get_client (self->account), sender_id, self->cancellable, avatar_ready, self);
}

/* a new picture (or none any more) of someone this row shows */
static void
on_avatar_changed (ConfabMessageRow *self,
                   const char       *user_id)
{
  if (self->message != NULL && gtk_widget_get_visible (GTK_WIDGET (self->sender_avatar)) &&
      g_strcmp0 (user_id, confab_message_get_sender_id (self->message)) == 0)
    load_avatar (self);
}

/* Agents' messages (and notes) get their author's face, the initials until it is known. */
static void
bind_avatar (ConfabMessageRow *self,
             const char       *sender_type,
             const char       *sender_name)
{
  gboolean agent = g_strcmp0 (sender_type, "agent") == 0 || confab_message_is_note (self->message);

  gtk_widget_set_visible (GTK_WIDGET (self->sender_avatar), agent);
  /* the name over the bubble, not over the face beside it */
  gtk_widget_set_margin_end (gtk_widget_get_parent (GTK_WIDGET (self->sender_label)), agent ? 40 : 6);
  if (!agent)
    return;
  adw_avatar_set_text (self->sender_avatar, sender_name != NULL && *sender_name != '\0' ? sender_name : "?");
  if (self->account != NULL && self->avatar_handler == 0)
    {
      confab_client_ensure_avatar_signals ();
      self->avatar_handler = g_signal_connect_object (confab_account_get_client (self->account),
                                                      "avatar-changed",
                                                      G_CALLBACK (on_avatar_changed), self,
                                                      G_CONNECT_SWAPPED);
    }
  load_avatar (self);
}

/* The assistant's answers say so over the bubble ("Assistant", or "Ava · Assistant" when the
 * site named it), with the sources it cited under the words. */
static void
bind_assistant (ConfabMessageRow *self,
                ConfabMessage    *message,
                const char       *sender_name)
{
  g_autoptr (JsonArray) sources = NULL;
  g_autofree char *markup = NULL;

  if (self->account != NULL && g_strcmp0 (confab_message_get_sender_type (message), "bot") == 0)
    sources = confab_cache_dup_sources (confab_account_get_cache (self->account),
                                        confab_message_get_conversation_id (message),
                                        confab_message_get_seq (message));
  if (sources != NULL)
    {
      /* the relay's default name is the English word */
      g_autofree char *label = sender_name != NULL && *sender_name != '\0' &&
                               g_strcmp0 (sender_name, "Assistant") != 0 &&
                               g_strcmp0 (sender_name, _("Assistant")) != 0
        /* Translators: %s is the name a site gave its AI assistant */
        ? g_strdup_printf (_("%s · Assistant"), sender_name) : g_strdup (_("Assistant"));

      gtk_label_set_text (self->sender_label, label);
      markup = confab_assistant_sources_markup (sources, confab_client_get_relay_url (
                                                  confab_account_get_client (self->account)));
    }
  gtk_label_set_markup (self->sources_label, markup != NULL ? markup : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sources_label), markup != NULL);
}

static void
update_state (ConfabMessageRow *self,
              gint64            visitor_read_seq)
{
  ConfabMessage *message = self->message;
  gboolean mine = g_strcmp0 (confab_message_get_sender_type (message), "visitor") != 0 &&
                  !confab_message_is_note (message);
  ConfabMessageState state = confab_message_get_state (message);
  const char *icon = NULL, *tooltip = NULL;
  g_autofree char *delivery = NULL;
  g_autofree char *delivery_error = NULL;

  gtk_widget_set_visible (self->failed_box, state == CONFAB_MESSAGE_FAILED);
  if (self->account != NULL && state == CONFAB_MESSAGE_SENT && mine)
    delivery = confab_cache_dup_delivery (confab_account_get_cache (self->account),
                                          confab_message_get_conversation_id (message),
                                          confab_message_get_seq (message), &delivery_error);
  gtk_widget_set_visible (self->delivery_box, g_strcmp0 (delivery, "failed") == 0);
  if (g_strcmp0 (delivery, "failed") == 0)
    {
      /* Translators: %s is what Messenger, WhatsApp or the mail server answered */
      g_autofree char *why = g_strdup_printf (_("Not delivered: %s"),
                                              delivery_error != NULL ? delivery_error : _("the platform refused it"));

      gtk_label_set_text (self->delivery_label, why);
    }
  /* a file in the outbox may take long (uploaded when the relay is back): it can be cancelled */
  gtk_widget_set_visible (self->waiting_box, state == CONFAB_MESSAGE_QUEUED &&
                                             confab_message_get_attachment (message) != NULL);
  if (!mine)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_icon), FALSE);
      return;
    }
  switch (state)
    {
    case CONFAB_MESSAGE_QUEUED:
      icon = "confab-clock-symbolic";
      tooltip = _("Queued: sent when the connection is back");
      break;
    case CONFAB_MESSAGE_FAILED:
      icon = "dialog-error-symbolic";
      tooltip = _("Not delivered");
      break;
    case CONFAB_MESSAGE_SENT:
    default:
      if (delivery != NULL && g_strcmp0 (delivery, "read") != 0)
        {
          /* a channel carried it (issue 15): what its platform said */
          if (g_str_equal (delivery, "failed"))
            {
              icon = "dialog-error-symbolic";
              tooltip = _("Not delivered");
            }
          else if (g_str_equal (delivery, "pending"))
            {
              icon = "confab-clock-symbolic";
              tooltip = _("Being sent");
            }
          else
            {
              icon = "confab-sent-symbolic";
              tooltip = g_str_equal (delivery, "delivered") ? _("Delivered") : _("Sent");
            }
        }
      else if (confab_message_get_seq (message) <= visitor_read_seq || g_strcmp0 (delivery, "read") == 0)
        {
          icon = "confab-read-symbolic";
          tooltip = _("Read");
        }
      else
        {
          icon = "confab-sent-symbolic";
          tooltip = _("Sent");
        }
    }
  gtk_image_set_from_icon_name (self->state_icon, icon);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), TRUE);
}

void
confab_message_row_bind (ConfabMessageRow *self,
                         ConfabAccount    *account,
                         ConfabMessage    *message,
                         ConfabMessage    *previous,
                         gint64            visitor_read_seq)
{
  const char *sender_type = confab_message_get_sender_type (message);
  const char *body = confab_message_get_body (message);
  const char *sender_name = confab_message_get_sender_name (message);
  gint64 created_at = confab_message_get_created_at (message);
  gboolean visitor = g_strcmp0 (sender_type, "visitor") == 0;
  gboolean system = g_strcmp0 (sender_type, "system") == 0;
  gboolean note = confab_message_is_note (message);
  g_autofree char *clock = confab_format_clock (created_at);
  g_autofree char *upload_id = NULL;
  int width = 0, height = 0;

  confab_message_row_unbind (self);
  self->message = g_object_ref (message);
  self->account = account != NULL ? g_object_ref (account) : NULL;
  /* the thumbnail's and the avatar's loads: cancelled when the row shows another message */
  self->cancellable = g_cancellable_new ();

  if (previous == NULL || !confab_format_same_day (confab_message_get_created_at (previous), created_at))
    {
      g_autofree char *day = confab_format_day (created_at);

      gtk_label_set_text (GTK_LABEL (self->day_label), day);
      gtk_widget_set_visible (self->day_label, TRUE);
    }
  else
    gtk_widget_set_visible (self->day_label, FALSE);

  /* what happened to the conversation: a quiet line between the bubbles */
  gtk_widget_set_visible (self->bubble_box, !confab_message_is_timeline (message));
  gtk_widget_set_visible (GTK_WIDGET (self->timeline_label), confab_message_is_timeline (message));
  if (confab_message_is_timeline (message))
    {
      g_autofree char *text = confab_timeline_describe (confab_message_get_event (message));
      g_autofree char *line = g_strdup_printf (_("%s · %s"), text, clock);

      gtk_label_set_text (self->timeline_label, line);
      return;
    }

  gtk_widget_set_halign (self->bubble_box, system ? GTK_ALIGN_CENTER
                                                  : visitor ? GTK_ALIGN_START : GTK_ALIGN_END);
  /* the bubble and the face beside it keep to their side when a wide line sits under them */
  gtk_widget_set_halign (gtk_widget_get_parent (self->bubble),
                         system ? GTK_ALIGN_CENTER : visitor ? GTK_ALIGN_START : GTK_ALIGN_END);
  gtk_widget_set_css_classes (self->bubble,
                              (const char *[]) { "bubble",
                                                 note ? "note" : visitor ? "incoming" : system ? "system" : "outgoing",
                                                 g_strcmp0 (sender_type, "bot") == 0 ? "bot" : NULL,
                                                 NULL });

  /* the visitor is named in the header already; who of the team answered is worth saying */
  if (note)
    {
      /* Translators: %s is the name of the agent who wrote the internal note */
      g_autofree char *who = g_strdup_printf (_("Note by %s · only the team sees it"),
                                              sender_name != NULL && *sender_name != '\0'
                                              ? sender_name : _("a teammate"));

      gtk_label_set_text (self->sender_label, who);
    }
  else
    gtk_label_set_text (self->sender_label, sender_name != NULL && *sender_name != '\0'
                                            ? sender_name
                                            : g_strcmp0 (sender_type, "bot") == 0 ? _("Bot") : _("You"));
  gtk_widget_set_visible (GTK_WIDGET (self->sender_label), !visitor && !system);
  bind_assistant (self, message, sender_name);
  gtk_widget_set_visible (GTK_WIDGET (self->note_icon), note);
  bind_avatar (self, sender_type, sender_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->bubble), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  note ? _("Internal note") : "", -1);

  gtk_label_set_text (self->body_label, body != NULL ? body : "");
  gtk_widget_set_visible (GTK_WIDGET (self->body_label), body != NULL && *body != '\0');
  gtk_label_set_text (self->time_label, clock);

  if (parse_attachment (confab_message_get_attachment (message), &upload_id, &width, &height))
    {
      self->upload_id = g_steal_pointer (&upload_id);
      gtk_widget_set_size_request (GTK_WIDGET (self->picture), width, height);
      gtk_picture_set_paintable (self->picture, NULL);
      gtk_widget_set_visible (self->image_button, TRUE);
      confab_account_load_thumbnail (account, self->upload_id, self->cancellable,
                                     thumbnail_ready, self);
    }
  else
    gtk_widget_set_visible (self->image_button, FALSE);
  bind_file (self, confab_message_get_attachment (message));

  update_state (self, visitor_read_seq);
}

void
confab_message_row_set_read_seq (ConfabMessageRow *self,
                                 gint64            visitor_read_seq)
{
  if (self->message != NULL && !confab_message_is_timeline (self->message))
    update_state (self, visitor_read_seq);
}

void
confab_message_row_unbind (ConfabMessageRow *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->avatar_handler != 0 && self->account != NULL)
    g_signal_handler_disconnect (confab_account_get_client (self->account), self->avatar_handler);
  self->avatar_handler = 0;
  g_clear_object (&self->account);
  g_clear_object (&self->message);
  g_clear_pointer (&self->upload_id, g_free);
  g_clear_pointer (&self->file_json, g_free);
}
