/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-labels.c: the conversation's labels in its header — a popover with a check
 * for each of the site's labels (GET /api/v1/sites/{id}/labels, then the pushed `labels`
 * frames); a tick puts the whole set (PUT /api/v1/conversations/{id}/labels), and the
 * conversation frame that follows brings it back into the cache and the inbox. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-chat-view-private.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-labels.h"

static void fill_picker (ConfabChatView *self);

static const char *
site_of (ConfabChatView *self)
{
  return self->conversation != NULL ? confab_conversation_get_site_id (self->conversation) : NULL;
}

static void
put_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_json_finish (CONFAB_CLIENT (source), result,
                                                                     &error);

  if (answer == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        confab_chat_view_report (self, error);
      /* the ticks go back to what the conversation has */
      fill_picker (self);
    }
}

static void
on_label_toggled (GtkCheckButton *check,
                  ConfabChatView *self)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonArray) ids = NULL;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;

  if (self->filling_labels || self->conversation_id == NULL)
    return;
  ids = json_array_new ();
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->labels_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *id = g_object_get_data (G_OBJECT (child), "label-id");

      if (id != NULL && GTK_IS_CHECK_BUTTON (child) &&
          gtk_check_button_get_active (GTK_CHECK_BUTTON (child)))
        json_array_add_string_element (ids, id);
    }
  body = json_object_new ();
  json_object_set_array_member (body, "label_ids", g_steal_pointer (&ids));
  escaped = g_uri_escape_string (self->conversation_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/conversations/%s/labels", escaped);
  confab_client_request_json_async (confab_chat_view_client (self), "PUT", path, body,
                                    self->cancellable, put_cb, g_object_ref (self));
}

static void
fill_picker (ConfabChatView *self)
{
  const char *labels = self->conversation != NULL ? confab_conversation_get_labels (self->conversation)
                                                  : NULL;
  GtkWidget *child;
  guint n = self->site_labels != NULL ? json_array_get_length (self->site_labels) : 0;

  self->filling_labels = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->labels_box))) != NULL)
    gtk_box_remove (self->labels_box, child);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (self->site_labels, i);
      JsonObject *label;
      const char *id, *name;
      GtkWidget *check, *box, *dot, *text;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      label = json_node_get_object (node);
      id = json_object_get_string_member_with_default (label, "id", NULL);
      name = json_object_get_string_member_with_default (label, "name", NULL);
      if (id == NULL || name == NULL)
        continue;
      check = gtk_check_button_new ();
      box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      dot = confab_label_dot_new (json_object_get_string_member_with_default (label, "color", NULL));
      text = gtk_label_new (name);
      gtk_box_append (GTK_BOX (box), dot);
      gtk_box_append (GTK_BOX (box), text);
      gtk_check_button_set_child (GTK_CHECK_BUTTON (check), box);
      gtk_widget_set_name (check, "label-check");
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      g_object_set_data_full (G_OBJECT (check), "label-id", g_strdup (id), g_free);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), confab_labels_contain (labels, id));
      g_signal_connect (check, "toggled", G_CALLBACK (on_label_toggled), self);
      gtk_box_append (self->labels_box, check);
    }
  if (n == 0)
    {
      GtkWidget *empty = gtk_label_new (self->site_labels != NULL
                                        ? _("This site has no labels yet: an admin adds them in the site settings.")
                                        : _("Labels show once the connection is back."));

      gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (empty), 30);
      gtk_widget_add_css_class (empty, "dim-label");
      gtk_box_append (self->labels_box, empty);
    }
  self->filling_labels = FALSE;
}

/* The conversation changed: only the ticks follow, the checks stay (one may be under the
 * pointer, or the one being clicked). */
void
confab_chat_view_labels_update (ConfabChatView *self)
{
  const char *labels = self->conversation != NULL ? confab_conversation_get_labels (self->conversation)
                                                  : NULL;

  self->filling_labels = TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->labels_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *id = g_object_get_data (G_OBJECT (child), "label-id");

      if (id != NULL && GTK_IS_CHECK_BUTTON (child))
        gtk_check_button_set_active (GTK_CHECK_BUTTON (child), confab_labels_contain (labels, id));
    }
  self->filling_labels = FALSE;
}

static void
labels_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabChatView *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *labels;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (answer == NULL)
    {
      g_debug ("No labels for the site: %s", error->message);
      return;
    }
  labels = json_object_get_member (answer, "labels");
  if (labels == NULL || !JSON_NODE_HOLDS_ARRAY (labels))
    return;
  g_clear_pointer (&self->site_labels, json_array_unref);
  self->site_labels = json_array_ref (json_node_get_array (labels));
  fill_picker (self);
}

void
confab_chat_view_labels_opened (ConfabChatView *self)
{
  ConfabClient *client = confab_chat_view_client (self);
  g_autofree char *path = NULL;

  g_clear_pointer (&self->site_labels, json_array_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->labels_button), self->conversation_id != NULL);
  fill_picker (self);
  if (site_of (self) == NULL || client == NULL ||
      confab_client_get_state (client) != CONFAB_CLIENT_ONLINE)
    return;
  path = g_strdup_printf ("/api/v1/sites/%s/labels", site_of (self));
  confab_client_get_json_async (client, path, self->cancellable, labels_cb, self);
}

/* An admin changed the site's labels: the picker shows them at once. */
static void
on_labels_changed (ConfabChatView *self,
                   const char     *site_id,
                   JsonArray      *labels)
{
  if (g_strcmp0 (site_id, site_of (self)) != 0 || labels == NULL)
    return;
  g_clear_pointer (&self->site_labels, json_array_unref);
  self->site_labels = json_array_ref (labels);
  fill_picker (self);
}

void
confab_chat_view_labels_connect (ConfabChatView *self,
                                 ConfabAccount  *account)
{
  confab_client_ensure_chat_signals ();
  g_signal_connect_object (confab_account_get_client (account), "labels-changed",
                           G_CALLBACK (on_labels_changed), self, G_CONNECT_SWAPPED);
}

void
confab_chat_view_labels_class_init (GtkWidgetClass *widget_class)
{
}
