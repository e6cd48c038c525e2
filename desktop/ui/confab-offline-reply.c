/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-reply.c: see the header. A plain box that keeps its state on itself. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-http.h"
#include "confab-format.h"
#include "confab-offline-reply.h"

typedef struct {
  ConfabClient *client;
  char         *id;
  GCancellable *cancellable;
  GtkTextView  *text;
  GtkWidget    *send;
  GtkLabel     *status;
  GtkWidget    *replies;   /* a box of labels, oldest first */
} Reply;

static void
reply_free (Reply *reply)
{
  g_cancellable_cancel (reply->cancellable);
  g_clear_object (&reply->cancellable);
  g_clear_object (&reply->client);
  g_free (reply->id);
  g_free (reply);
}

static Reply *
state_of (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "confab-offline-reply");
}

static char *
text_of (Reply *reply)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (reply->text);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
clear_replies (Reply *reply)
{
  for (GtkWidget *child; (child = gtk_widget_get_first_child (reply->replies)) != NULL;)
    gtk_box_remove (GTK_BOX (reply->replies), child);
}

/* "Ann Lee · 12 Mar 2026, 14:05 · sent" and the body */
static void
add_reply (Reply      *reply,
           JsonObject *object)
{
  JsonObject *author = confab_admin_object (object, "author");
  JsonObject *delivery = confab_admin_object (object, "delivery");
  const char *status = confab_admin_string (delivery, "status");
  const char *error = confab_admin_string (delivery, "error");
  g_autofree char *when = confab_admin_format_time (confab_admin_string (object, "sent_at"));
  g_autofree char *line = g_strdup_printf ("%s · %s%s%s",
                                           confab_admin_string (author, "name") != NULL
                                           ? confab_admin_string (author, "name") : _("You"),
                                           when,
                                           status != NULL ? " · " : "",
                                           g_strcmp0 (status, "failed") == 0 ? _("not delivered")
                                           : g_strcmp0 (status, "pending") == 0 ? _("sending")
                                           : status != NULL ? _("sent") : "");
  GtkWidget *head = gtk_label_new (line);
  GtkWidget *body = gtk_label_new (confab_admin_string (object, "body"));

  gtk_widget_set_name (body, "offline-reply-sent");
  gtk_label_set_xalign (GTK_LABEL (head), 0);
  gtk_widget_add_css_class (head, "caption");
  gtk_widget_add_css_class (head, "dim-label");
  gtk_widget_set_margin_top (head, 12);
  gtk_label_set_xalign (GTK_LABEL (body), 0);
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_selectable (GTK_LABEL (body), TRUE);
  gtk_box_append (GTK_BOX (reply->replies), head);
  gtk_box_append (GTK_BOX (reply->replies), body);
  if (g_strcmp0 (status, "failed") == 0 && error != NULL)
    {
      GtkWidget *why = gtk_label_new (error);

      gtk_label_set_xalign (GTK_LABEL (why), 0);
      gtk_label_set_wrap (GTK_LABEL (why), TRUE);
      gtk_widget_add_css_class (why, "error");
      gtk_widget_add_css_class (why, "caption");
      gtk_box_append (GTK_BOX (reply->replies), why);
    }
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  Reply *reply = state_of (widget);
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) sent = confab_client_request_finish (CONFAB_CLIENT (source), result, &code, &error);

  if (reply == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (reply->send, TRUE);
  if (sent == NULL)
    {
      gtk_label_set_text (reply->status, g_strcmp0 (code, "email_unavailable") == 0
                                         ? _("This relay sends no e-mail: ask its administrator to set it up.")
                                         : error->message);
      gtk_widget_add_css_class (GTK_WIDGET (reply->status), "error");
      gtk_widget_set_visible (GTK_WIDGET (reply->status), TRUE);
      return;
    }
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (reply->text), "", -1);
  gtk_widget_remove_css_class (GTK_WIDGET (reply->status), "error");
  gtk_label_set_text (reply->status, _("Handed to the relay, which mails it"));
  gtk_widget_set_visible (GTK_WIDGET (reply->status), TRUE);
  add_reply (reply, sent);
}

static void
on_send (GtkWidget *widget)
{
  Reply *reply = state_of (widget);
  g_autofree char *text = text_of (reply);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;

  if (reply->id == NULL || *g_strstrip (text) == '\0')
    return;
  json_object_set_string_member (body, "body", text);
  path = confab_admin_path ("offline-messages", reply->id, "reply");
  gtk_widget_set_sensitive (reply->send, FALSE);
  confab_client_request_async (reply->client, "POST", path, body, reply->cancellable, sent_cb,
                               g_object_ref (widget));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  Reply *reply = state_of (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) offline = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *replies = offline != NULL ? json_object_get_member (offline, "replies") : NULL;

  if (reply == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      replies == NULL || !JSON_NODE_HOLDS_ARRAY (replies))
    return;
  clear_replies (reply);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (replies)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (replies), i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        add_reply (reply, json_node_get_object (node));
    }
}

static void
on_changed (GtkTextBuffer *buffer,
            GtkWidget     *widget)
{
  Reply *reply = state_of (widget);
  g_autofree char *text = text_of (reply);

  gtk_widget_set_sensitive (reply->send, *g_strstrip (text) != '\0');
}

GtkWidget *
confab_offline_reply_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Answer Here, Sent by E-mail"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *text = gtk_text_view_new ();
  GtkWidget *send = gtk_button_new_with_mnemonic (_("_Send Reply"));
  GtkWidget *status = gtk_label_new (NULL);
  GtkWidget *replies = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  Reply *reply = g_new0 (Reply, 1);

  reply->text = GTK_TEXT_VIEW (text);
  reply->send = send;
  reply->status = GTK_LABEL (status);
  reply->replies = replies;
  g_object_set_data_full (G_OBJECT (box), "confab-offline-reply", reply, (GDestroyNotify) reply_free);
  gtk_widget_set_name (box, "offline-reply");
  gtk_widget_set_margin_top (box, 24);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), replies);
  gtk_widget_set_name (text, "offline-reply-text");
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (text), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (text), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (text), 8);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (text), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (text), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (text), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Your reply, sent by e-mail"), -1);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (text)), "changed",
                           G_CALLBACK (on_changed), box, 0);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), text);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 100);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_widget_set_margin_top (scrolled, 6);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_label_set_xalign (GTK_LABEL (status), 0);
  gtk_label_set_wrap (GTK_LABEL (status), TRUE);
  gtk_widget_set_name (status, "offline-reply-status");
  gtk_widget_add_css_class (status, "caption");
  gtk_widget_set_visible (status, FALSE);
  gtk_box_append (GTK_BOX (box), status);
  gtk_widget_set_name (send, "offline-reply-send");
  gtk_widget_set_halign (send, GTK_ALIGN_END);
  gtk_widget_add_css_class (send, "suggested-action");
  gtk_widget_set_sensitive (send, FALSE);
  g_signal_connect_swapped (send, "clicked", G_CALLBACK (on_send), box);
  gtk_box_append (GTK_BOX (box), send);
  gtk_widget_set_visible (box, FALSE);
  return box;
}

void
confab_offline_reply_set (GtkWidget    *widget,
                          ConfabClient *client,
                          const char   *id,
                          const char   *email)
{
  Reply *reply = state_of (widget);
  g_autofree char *path = NULL;

  if (g_strcmp0 (reply->id, id) == 0 && reply->client == client)
    return;
  g_cancellable_cancel (reply->cancellable);
  g_clear_object (&reply->cancellable);
  reply->cancellable = g_cancellable_new ();
  g_set_object (&reply->client, client);
  g_free (reply->id);
  reply->id = g_strdup (id);
  clear_replies (reply);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (reply->text), "", -1);
  gtk_widget_set_visible (GTK_WIDGET (reply->status), FALSE);
  /* the relay mails it to the address the visitor left: none, no box */
  gtk_widget_set_visible (widget, client != NULL && id != NULL && email != NULL && *email != '\0');
  if (client == NULL || id == NULL)
    return;
  path = confab_admin_path ("offline-messages", id, NULL);
  confab_client_get_json_async (client, path, reply->cancellable, loaded_cb, g_object_ref (widget));
}
