/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation-row.c: avatar, visitor, last message, time, unread count, status. */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "confab-conversation-row.h"
#include "confab-format.h"

struct _ConfabConversationRow
{
  GtkWidget  parent_instance;

  AdwAvatar *avatar;
  GtkLabel  *name_label;
  GtkLabel  *time_label;
  GtkLabel  *preview_label;
  GtkLabel  *unread_label;
  GtkLabel  *status_label;
  GtkLabel  *rating_label;

  ConfabConversation *shown;   /* what the labels say now */
};

G_DEFINE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, GTK_TYPE_WIDGET)

static void
confab_conversation_row_dispose (GObject *object)
{
  g_clear_object (&CONFAB_CONVERSATION_ROW (object)->shown);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_CONVERSATION_ROW);
  /* the template's root box has no id: dispose_template leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (confab_conversation_row_parent_class)->dispose (object);
}

static void
confab_conversation_row_class_init (ConfabConversationRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_conversation_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, unread_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, rating_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
}

static void
confab_conversation_row_init (ConfabConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* What a screen reader says for the row: GTK 4.8's list items cannot carry a label of their
 * own (GtkListItem:accessible-label is 4.12), so the row says it all in one, in reading order. */
static void
update_accessible_label (ConfabConversationRow *self,
                         const char            *name,
                         const char            *preview,
                         gint64                 unread,
                         const char            *status,
                         int                    rating)
{
  g_autoptr (GString) label = g_string_new (name);

  g_string_append_printf (label, ", %s", preview);
  if (unread > 0)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, ngettext ("%u unread message", "%u unread messages", (gulong) unread),
                              (guint) unread);
    }
  if (status != NULL && g_strcmp0 (status, "open") != 0)
    g_string_append_printf (label, ", %s", confab_format_status (status));
  if (rating > 0)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, _("rated %d out of 5"), rating);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label->str, -1);
}

/* "★ 4": the visitor's rating at a glance; a low one stands out. */
static void
update_rating (ConfabConversationRow *self,
               int                    score)
{
  g_autofree char *text = NULL;
  g_autofree char *tooltip = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->rating_label), score > 0);
  if (score <= 0)
    return;
  text = g_strdup_printf ("★ %d", score);
  tooltip = g_strdup_printf (_("Rated %d out of 5"), score);
  gtk_label_set_text (self->rating_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->rating_label), tooltip);
  if (score <= 2)
    gtk_widget_add_css_class (GTK_WIDGET (self->rating_label), "low");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->rating_label), "low");
}

GtkWidget *
confab_conversation_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_ROW, NULL);
}

/* Does @a read as @b on screen (apart from its time, which "now" changes)? */
static gboolean
reads_the_same (ConfabConversation *a,
                ConfabConversation *b)
{
  if (a == b)
    return TRUE;
  return a != NULL && b != NULL &&
         g_strcmp0 (confab_conversation_get_visitor_name (a), confab_conversation_get_visitor_name (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_visitor_id (a), confab_conversation_get_visitor_id (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_preview (a), confab_conversation_get_preview (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_status (a), confab_conversation_get_status (b)) == 0 &&
         confab_conversation_get_unread (a) == confab_conversation_get_unread (b) &&
         confab_conversation_get_rating_score (a) == confab_conversation_get_rating_score (b) &&
         (confab_conversation_get_last_seq (a) > 0) == (confab_conversation_get_last_seq (b) > 0);
}

void
confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                          ConfabConversation    *conversation)
{
  g_autofree char *name = NULL;
  g_autofree char *time = NULL;
  g_autofree char *unread = NULL;
  const char *status, *preview;
  gint64 count;

  if (conversation == NULL)
    return;
  time = confab_format_time_short (confab_conversation_get_last_message_at (conversation));
  gtk_label_set_text (self->time_label, time);
  /* A list view binds a row again for every change around it (a catch-up: thousands of times
   * for rows that read the same); setting labels, CSS classes and the accessible label anew
   * each time was most of the catch-up's cost (perf, bench/desktop-catchup.sh). */
  if (reads_the_same (self->shown, conversation))
    {
      g_set_object (&self->shown, conversation);
      return;
    }
  g_set_object (&self->shown, conversation);
  name = confab_format_visitor (confab_conversation_get_visitor_name (conversation),
                                confab_conversation_get_visitor_id (conversation));
  count = confab_conversation_get_unread (conversation);
  status = confab_conversation_get_status (conversation);
  preview = confab_conversation_get_preview (conversation);

  adw_avatar_set_text (self->avatar, name);
  gtk_label_set_text (self->name_label, name);
  if (preview != NULL && *preview != '\0')
    gtk_label_set_text (self->preview_label, preview);
  else
    /* a message without text is an image */
    gtk_label_set_text (self->preview_label, confab_conversation_get_last_seq (conversation) > 0
                                             ? _("Sent an image") : _("No messages yet"));
  unread = g_strdup_printf ("%" G_GINT64_FORMAT, count);
  gtk_label_set_text (self->unread_label, unread);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), count > 0);
  if (count > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "heading");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_label), "heading");
  /* open is the usual case: only the others are worth a tag */
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), g_strcmp0 (status, "open") != 0);
  gtk_label_set_text (self->status_label, confab_format_status (status));
  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label),
                              (const char *[]) { "status-tag", status != NULL ? status : "open", NULL });
  update_rating (self, confab_conversation_get_rating_score (conversation));
  update_accessible_label (self, name, gtk_label_get_text (self->preview_label), count, status,
                           confab_conversation_get_rating_score (conversation));
}

/* The conversation the row shows now (rows are recycled), NULL before the first bind. */
const char *
confab_conversation_row_get_conversation_id (ConfabConversationRow *self)
{
  return self->shown != NULL ? confab_conversation_get_id (self->shown) : NULL;
}
