/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation-row.c: avatar, visitor, last message, time, unread count, status. */
#define G_LOG_DOMAIN "confab-ui"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "confab-conversation-row.h"
#include "confab-format.h"

/* ------------------------------------------------------------ avatar --- */

/* The visitor's avatar, drawn: a disc in one of libadwaita's avatar colours with the initials
 * on it, one widget and one Pango layout. An AdwAvatar is a composite (gizmo, image, label) that
 * changes its CSS class for every name and re-measures its font: during a catch-up the list view
 * builds and binds rows by the hundred per frame, and each of those was a style change. The
 * colours and the choice of colour are AdwAvatar's (libadwaita 1.2, _avatar.scss), so the rows
 * look as before. */
#define AVATAR_SIZE 40
#define N_AVATAR_COLORS 14

static const char *const avatar_colors[N_AVATAR_COLORS][3] = {
  /* text, gradient top, gradient bottom */
  { "#cfe1f5", "#83b6ec", "#337fdc" },
  { "#caeaf2", "#7ad9f1", "#0f9ac8" },
  { "#cef8d8", "#8de6b1", "#29ae74" },
  { "#e6f9d7", "#b5e98a", "#6ab85b" },
  { "#f9f4e1", "#f8e359", "#d29d09" },
  { "#ffead1", "#ffcb62", "#d68400" },
  { "#ffe5c5", "#ffa95a", "#ed5b00" },
  { "#f8d2ce", "#f78773", "#e62d42" },
  { "#fac7de", "#e973ab", "#e33b6a" },
  { "#e7c2e8", "#cb78d4", "#9945b5" },
  { "#d5d2f5", "#9e91e8", "#7a59ca" },
  { "#f2eade", "#e3cf9c", "#b08952" },
  { "#e5d6ca", "#be916d", "#785336" },
  { "#d8d7d3", "#c0bfbc", "#6e6d71" },
};

#define CONFAB_TYPE_ROW_AVATAR (confab_row_avatar_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRowAvatar, confab_row_avatar, CONFAB, ROW_AVATAR, GtkWidget)

struct _ConfabRowAvatar
{
  GtkWidget    parent_instance;

  PangoLayout *layout;     /* the initials; NULL before the first name */
  guint        color;
};

G_DEFINE_FINAL_TYPE (ConfabRowAvatar, confab_row_avatar, GTK_TYPE_WIDGET)

static GdkRGBA avatar_rgba[N_AVATAR_COLORS][3];

static void
confab_row_avatar_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  *minimum = *natural = AVATAR_SIZE;
}

static void
confab_row_avatar_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  ConfabRowAvatar *self = CONFAB_ROW_AVATAR (widget);
  const GdkRGBA *rgba = avatar_rgba[self->color];
  float x = (gtk_widget_get_width (widget) - AVATAR_SIZE) / 2.f;
  float y = (gtk_widget_get_height (widget) - AVATAR_SIZE) / 2.f;
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (x, y, AVATAR_SIZE, AVATAR_SIZE);
  GskColorStop stops[2] = { { 0.f, rgba[1] }, { 1.f, rgba[2] } };
  GskRoundedRect disc;

  gsk_rounded_rect_init_from_rect (&disc, &bounds, AVATAR_SIZE / 2.f);
  gtk_snapshot_push_rounded_clip (snapshot, &disc);
  gtk_snapshot_append_linear_gradient (snapshot, &bounds, &GRAPHENE_POINT_INIT (x, y),
                                       &GRAPHENE_POINT_INIT (x, y + AVATAR_SIZE), stops, 2);
  gtk_snapshot_pop (snapshot);
  if (self->layout != NULL)
    {
      PangoRectangle ink, logical;

      pango_layout_get_pixel_extents (self->layout, &ink, &logical);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot,
                              &GRAPHENE_POINT_INIT (x + (AVATAR_SIZE - logical.width) / 2.f,
                                                    y + (AVATAR_SIZE - ink.height) / 2.f - ink.y));
      gtk_snapshot_append_layout (snapshot, self->layout, &rgba[0]);
      gtk_snapshot_restore (snapshot);
    }
}

static void
confab_row_avatar_dispose (GObject *object)
{
  g_clear_object (&CONFAB_ROW_AVATAR (object)->layout);
  G_OBJECT_CLASS (confab_row_avatar_parent_class)->dispose (object);
}

static void
confab_row_avatar_class_init (ConfabRowAvatarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_row_avatar_dispose;
  widget_class->measure = confab_row_avatar_measure;
  widget_class->snapshot = confab_row_avatar_snapshot;
  /* the row's accessible label says the name already */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PRESENTATION);
  gtk_widget_class_set_css_name (widget_class, "avatar");
  for (guint i = 0; i < N_AVATAR_COLORS; i++)
    for (guint k = 0; k < 3; k++)
      gdk_rgba_parse (&avatar_rgba[i][k], avatar_colors[i][k]);
}

static void
confab_row_avatar_init (ConfabRowAvatar *self)
{
}

/* The first letters of the first and the last word, upper case, as AdwAvatar shows them. */
static char *
initials_of (const char *name)
{
  g_auto (GStrv) words = g_strsplit_set (name, " \t\n", -1);
  GString *initials = g_string_new (NULL);
  const char *first = NULL, *last = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      {
        if (first == NULL)
          first = words[i];
        else
          last = words[i];
      }
  if (first != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (first)));
  if (last != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (last)));
  return g_string_free (initials, FALSE);
}

static void
confab_row_avatar_set_text (ConfabRowAvatar *self,
                            const char      *name)
{
  g_autofree char *initials = initials_of (name);

  if (self->layout == NULL)
    {
      g_autoptr (PangoAttrList) attrs = pango_attr_list_new ();

      self->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_attr_list_insert (attrs, pango_attr_size_new_absolute (15 * PANGO_SCALE));
      pango_layout_set_attributes (self->layout, attrs);
    }
  /* the colour AdwAvatar picks for the same text */
  self->color = name != NULL && *name != '\0' ? g_str_hash (name) % N_AVATAR_COLORS : 0;
  pango_layout_set_text (self->layout, initials, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* --------------------------------------------------------------- row --- */

struct _ConfabConversationRow
{
  GtkWidget  parent_instance;

  ConfabRowAvatar *avatar;
  GtkLabel  *name_label;
  GtkLabel  *time_label;
  GtkLabel  *preview_label;
  GtkLabel  *unread_label;
  GtkLabel  *status_label;

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
  g_type_ensure (CONFAB_TYPE_ROW_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, unread_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, status_label);
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
                         const char            *status)
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
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label->str, -1);
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

  confab_row_avatar_set_text (self->avatar, name);
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
  update_accessible_label (self, name, gtk_label_get_text (self->preview_label), count, status);
}

/* The conversation the row shows now (rows are recycled), NULL before the first bind. */
const char *
confab_conversation_row_get_conversation_id (ConfabConversationRow *self)
{
  return self->shown != NULL ? confab_conversation_get_id (self->shown) : NULL;
}
