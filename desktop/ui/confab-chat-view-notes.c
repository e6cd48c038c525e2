/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-notes.c: the composer's note mode (Ctrl+Shift+N): what is written goes to
 * the team as an internal note, never to the visitor; "@" completes the site's members, whom
 * the relay then notifies. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-chat-view-private.h"
#include "confab-client-chat.h"

#define MAX_MENTIONS_SHOWN 6

static gboolean
note_mode (ConfabChatView *self)
{
  return gtk_toggle_button_get_active (self->note_toggle);
}

static void
on_note_toggled (ConfabChatView *self)
{
  gboolean on = note_mode (self);

  if (on)
    {
      gtk_widget_add_css_class (self->composer_box, "note-mode");
      /* the visitor saw "typing…" for what is now a note: not any more */
      if (self->typing_sent && self->conversation_id != NULL &&
          confab_chat_view_client (self) != NULL)
        confab_client_send_typing (confab_chat_view_client (self), self->conversation_id, FALSE, NULL);
      self->typing_sent = FALSE;
      g_clear_handle_id (&self->typing_timeout, g_source_remove);
    }
  else
    gtk_widget_remove_css_class (self->composer_box, "note-mode");
  gtk_revealer_set_reveal_child (self->note_revealer, on);
  if (!on)
    gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button),
                               on ? _("Add Note (Enter)") : _("Send (Enter)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->composer), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  on ? _("Internal note") : _("Message"), -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
toggle_note_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);

  if (self->conversation_id != NULL)
    gtk_toggle_button_set_active (self->note_toggle, !note_mode (self));
}

gboolean
confab_chat_view_notes_send (ConfabChatView *self,
                             const char     *text)
{
  g_autoptr (GError) error = NULL;

  if (!confab_client_send_note (confab_chat_view_client (self), self->conversation_id, text, &error))
    {
      if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE))
        confab_chat_view_toast (self, _("Offline: notes can be added once the connection is back"));
      else
        confab_chat_view_report (self, error);
      return FALSE;
    }
  gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
  return TRUE;
}

/* ----------------------------------------------------------- mentions --- */

/* The "@word" that ends at the cursor: its start in the buffer and the word (NULL: none). */
static char *
mention_at_cursor (ConfabChatView *self,
                   GtkTextIter    *out_start)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter cursor, start;
  guint steps = 0;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  start = cursor;
  while (gtk_text_iter_backward_char (&start) && steps++ < 40)
    {
      gunichar c = gtk_text_iter_get_char (&start);

      if (c == '@')
        {
          GtkTextIter before = start;

          /* "a@b" is an e-mail address, not a mention */
          if (gtk_text_iter_backward_char (&before) && !g_unichar_isspace (gtk_text_iter_get_char (&before)))
            return NULL;
          *out_start = start;
          gtk_text_iter_forward_char (&start);
          return gtk_text_buffer_get_text (buffer, &start, &cursor, FALSE);
        }
      if (g_unichar_isspace (c))
        return NULL;
    }
  return NULL;
}

static const char *
member_name (JsonObject *member)
{
  return json_object_get_string_member_with_default (member, "name", NULL);
}

/* Whether @name or one of its words starts with @prefix, ignoring case. */
static gboolean
name_matches (const char *name,
              const char *prefix)
{
  g_autofree char *folded_name = g_utf8_casefold (name, -1);
  g_autofree char *folded_prefix = g_utf8_casefold (prefix, -1);
  g_auto (GStrv) words = g_strsplit (folded_name, " ", -1);

  if (g_str_has_prefix (folded_name, folded_prefix))
    return TRUE;
  for (guint i = 0; words[i] != NULL; i++)
    if (g_str_has_prefix (words[i], folded_prefix))
      return TRUE;
  return FALSE;
}

static void
mention_activated (ConfabChatView *self,
                   GtkListBoxRow  *row)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  const char *name = g_object_get_data (G_OBJECT (row), "name");
  g_autofree char *word = NULL;
  g_autofree char *mention = NULL;
  GtkTextIter start, cursor;

  if (name == NULL || (word = mention_at_cursor (self, &start)) == NULL)
    return;
  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  mention = g_strdup_printf ("@%s ", name);
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &cursor);
  gtk_text_buffer_insert (buffer, &start, mention, -1);
  gtk_text_buffer_end_user_action (buffer);
  gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
confab_chat_view_notes_text_changed (ConfabChatView *self,
                                     const char     *text)
{
  g_autofree char *word = NULL;
  GtkTextIter start;
  GtkWidget *child;
  guint shown = 0;

  if (!note_mode (self) || self->members == NULL ||
      (word = mention_at_cursor (self, &start)) == NULL)
    {
      gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
      return;
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->mention_list))) != NULL)
    gtk_list_box_remove (self->mention_list, child);
  for (guint i = 0; i < json_array_get_length (self->members) && shown < MAX_MENTIONS_SHOWN; i++)
    {
      JsonNode *node = json_array_get_element (self->members, i);
      const char *name;
      GtkWidget *row, *box, *avatar, *label;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          (name = member_name (json_node_get_object (node))) == NULL || *name == '\0' ||
          !name_matches (name, word))
        continue;
      box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      avatar = adw_avatar_new (24, name, TRUE);
      label = gtk_label_new (name);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (box), avatar);
      gtk_box_append (GTK_BOX (box), label);
      row = gtk_list_box_row_new ();
      gtk_widget_set_name (row, "mention-row");
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data_full (G_OBJECT (row), "name", g_strdup (name), g_free);
      gtk_list_box_append (self->mention_list, row);
      shown++;
    }
  if (shown == 0)
    {
      gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
      return;
    }
  gtk_list_box_select_row (self->mention_list, gtk_list_box_get_row_at_index (self->mention_list, 0));
  gtk_revealer_set_reveal_child (self->mention_revealer, TRUE);
}

gboolean
confab_chat_view_notes_key (ConfabChatView  *self,
                            guint            keyval,
                            GdkModifierType  state)
{
  GtkListBoxRow *row;

  if (!gtk_revealer_get_reveal_child (self->mention_revealer))
    return FALSE;
  row = gtk_list_box_get_selected_row (self->mention_list);
  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_Up:
      {
        int index = row != NULL ? gtk_list_box_row_get_index (row) : -1;
        GtkListBoxRow *next = gtk_list_box_get_row_at_index (self->mention_list,
                                                             index + (keyval == GDK_KEY_Down ? 1 : -1));

        if (next != NULL)
          gtk_list_box_select_row (self->mention_list, next);
        return TRUE;
      }
    case GDK_KEY_Escape:
      gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
      return TRUE;
    case GDK_KEY_Tab:
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
      if (row == NULL || (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)))
        return FALSE;
      mention_activated (self, row);
      return TRUE;
    default:
      return FALSE;
    }
}

/* --------------------------------------------------------------- open --- */

static void
notes_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* the notes come through the message list; an older relay has none to give */
  if (!confab_client_fetch_notes_finish (CONFAB_CLIENT (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No notes for a conversation: %s", error->message);
}

void
confab_chat_view_notes_opened (ConfabChatView *self)
{
  ConfabClient *client = confab_chat_view_client (self);

  /* a new conversation starts as a reply to the visitor */
  gtk_toggle_button_set_active (self->note_toggle, FALSE);
  gtk_revealer_set_reveal_child (self->mention_revealer, FALSE);
  /* notes written before this cache was there (the stream brings the ones after) */
  if (self->conversation_id != NULL && client != NULL &&
      confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    confab_client_fetch_notes_async (client, self->conversation_id, self->cancellable,
                                     notes_cb, NULL);
}

void
confab_chat_view_notes_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_note_toggled);
  gtk_widget_class_bind_template_callback (widget_class, mention_activated);
  gtk_widget_class_install_action (widget_class, "chat.toggle-note", NULL, toggle_note_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.toggle-note", NULL);
}
