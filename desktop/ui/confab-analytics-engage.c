/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-engage.c: the goals and triggers cards (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-analytics-engage.h"

/* One figure of a card: the number over what it counts. */
static GtkLabel *
add_figure (GtkGrid    *grid,
            int         column,
            const char *caption,
            const char *name)
{
  GtkWidget *value = gtk_label_new ("—");
  GtkWidget *label = gtk_label_new (caption);

  gtk_widget_set_name (value, name);
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_widget_add_css_class (value, "figure");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 14);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_grid_attach (grid, value, column, 1, 1, 1);
  gtk_grid_attach (grid, label, column, 2, 1, 1);
  return GTK_LABEL (value);
}

static GtkWidget *
card_new (GtkWidget  *cards,
          const char *title,
          const char *name,
          GtkGrid   **grid)
{
  GtkWidget *card = gtk_grid_new ();
  GtkWidget *heading = gtk_label_new (title);

  gtk_widget_set_name (card, name);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "analytics-card");
  gtk_grid_set_column_spacing (GTK_GRID (card), 24);
  gtk_grid_set_row_spacing (GTK_GRID (card), 2);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "caption-heading");
  gtk_widget_add_css_class (heading, "dim-label");
  gtk_grid_attach (GTK_GRID (card), heading, 0, 0, 4, 1);
  gtk_flow_box_append (GTK_FLOW_BOX (cards), card);
  *grid = GTK_GRID (card);
  return card;
}

GtkWidget *
confab_analytics_engage_new (void)
{
  GtkWidget *cards = gtk_flow_box_new ();
  GtkGrid *goals, *triggers;

  gtk_widget_set_name (cards, "engage-cards");
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (cards), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (cards), 2);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (cards), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (cards), 12);
  g_object_set_data (G_OBJECT (cards), "goals-card",
                     card_new (cards, _("Goals"), "card-goals", &goals));
  g_object_set_data (G_OBJECT (cards), "goals-count",
                     add_figure (goals, 0, _("reached"), "goals-count"));
  g_object_set_data (G_OBJECT (cards), "goals-value",
                     add_figure (goals, 1, _("total value"), "goals-value"));
  g_object_set_data (G_OBJECT (cards), "goals-visitors",
                     add_figure (goals, 2, _("visitors"), "goals-visitors"));
  g_object_set_data (G_OBJECT (cards), "goals-after",
                     add_figure (goals, 3, _("within 7 days of a conversation"), "goals-after"));
  g_object_set_data (G_OBJECT (cards), "triggers-card",
                     card_new (cards, _("Triggers"), "card-triggers", &triggers));
  g_object_set_data (G_OBJECT (cards), "triggers-fired",
                     add_figure (triggers, 0, _("greetings sent"), "triggers-fired"));
  g_object_set_data (G_OBJECT (cards), "triggers-conversations",
                     add_figure (triggers, 1, _("conversations they started"),
                                 "triggers-conversations"));
  gtk_widget_set_visible (cards, FALSE);
  return cards;
}

static void
set_count (GtkWidget  *cards,
           const char *key,
           gint64      count)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, count);

  gtk_label_set_text (g_object_get_data (G_OBJECT (cards), key), text);
}

void
confab_analytics_engage_update (GtkWidget             *cards,
                                const ConfabAnalytics *analytics)
{
  gboolean goals = analytics != NULL && analytics->has_goals;
  gboolean triggers = analytics != NULL && analytics->has_triggers;
  GtkWidget *goals_card = g_object_get_data (G_OBJECT (cards), "goals-card");
  GtkWidget *triggers_card = g_object_get_data (G_OBJECT (cards), "triggers-card");

  /* the flow box's child is the card's parent: hiding that leaves no gap */
  gtk_widget_set_visible (gtk_widget_get_parent (goals_card), goals);
  gtk_widget_set_visible (gtk_widget_get_parent (triggers_card), triggers);
  gtk_widget_set_visible (cards, goals || triggers);
  if (goals)
    {
      char value[G_ASCII_DTOSTR_BUF_SIZE];

      set_count (cards, "goals-count", analytics->goals_count);
      g_ascii_formatd (value, sizeof value, "%.2f", analytics->goals_value);
      gtk_label_set_text (g_object_get_data (G_OBJECT (cards), "goals-value"), value);
      set_count (cards, "goals-visitors", analytics->goals_visitors);
      set_count (cards, "goals-after", analytics->goals_after_conversation);
    }
  if (triggers)
    {
      set_count (cards, "triggers-fired", analytics->triggers_fired);
      set_count (cards, "triggers-conversations", analytics->triggers_conversations);
    }
}
