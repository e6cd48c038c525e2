/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-assistant.c: see the header. The cards look like the view's top ones
 * (the "analytics-card" style): a heading, the figure, a line that explains it. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <math.h>

#include "confab-analytics-assistant.h"

enum {
  FIGURE_ANSWERS,
  FIGURE_HANDOFFS,
  FIGURE_HELPFUL,
  FIGURE_UNHELPFUL,
  FIGURE_FAILURES,
  N_FIGURES
};

static const struct {
  const char *name;
  const char *title;
} figures[N_FIGURES] = {
  { "assistant-answers", N_("Answers") },
  { "assistant-handoffs", N_("Handed to a Person") },
  { "assistant-helpful", N_("Helpful") },
  { "assistant-unhelpful", N_("Not Helpful") },
  { "assistant-failures", N_("Failures") },
};

GtkWidget *
confab_analytics_assistant_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Assistant"));
  GtkWidget *cards = gtk_flow_box_new ();

  gtk_widget_set_name (box, "assistant-cards");
  gtk_widget_set_visible (box, FALSE);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (cards), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (cards), TRUE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (cards), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (cards), N_FIGURES);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (cards), 12);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (cards), 12);
  for (guint i = 0; i < N_FIGURES; i++)
    {
      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title = gtk_label_new (_(figures[i].title));
      GtkWidget *value = gtk_label_new ("—");
      GtkWidget *detail = gtk_label_new (NULL);

      gtk_widget_add_css_class (card, "card");
      gtk_widget_add_css_class (card, "analytics-card");
      gtk_widget_set_name (card, figures[i].name);
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (title, "caption-heading");
      gtk_widget_add_css_class (title, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (value), 0);
      gtk_widget_add_css_class (value, "figure");
      gtk_label_set_xalign (GTK_LABEL (detail), 0);
      gtk_label_set_wrap (GTK_LABEL (detail), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (detail), 16);
      gtk_label_set_width_chars (GTK_LABEL (detail), 12);
      gtk_widget_add_css_class (detail, "caption");
      gtk_widget_add_css_class (detail, "dim-label");
      gtk_box_append (GTK_BOX (card), title);
      gtk_box_append (GTK_BOX (card), value);
      gtk_box_append (GTK_BOX (card), detail);
      g_object_set_data (G_OBJECT (box), figures[i].name, value);
      g_object_set_data (G_OBJECT (value), "detail", detail);
      gtk_flow_box_append (GTK_FLOW_BOX (cards), card);
    }
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), cards);
  return box;
}

static void
set_figure (GtkWidget  *box,
            guint       index,
            gint64      count,
            const char *detail)
{
  GtkLabel *value = g_object_get_data (G_OBJECT (box), figures[index].name);
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, count);

  gtk_label_set_text (value, text);
  gtk_label_set_text (g_object_get_data (G_OBJECT (value), "detail"), detail != NULL ? detail : "");
}

/* @part of @whole in percent, rounded; -1 without a whole */
static int
percent (gint64 part,
         gint64 whole)
{
  return whole > 0 ? (int) round (100.0 * (double) part / (double) whole) : -1;
}

void
confab_analytics_assistant_update (GtkWidget             *box,
                                   const ConfabAnalytics *a,
                                   const ConfabAnalytics *previous)
{
  g_autofree char *answers = NULL, *handoffs = NULL, *helpful = NULL, *unhelpful = NULL;
  gint64 votes;

  gtk_widget_set_visible (box, a != NULL && a->has_assistant);
  if (a == NULL || !a->has_assistant)
    return;
  votes = a->assistant_helpful + a->assistant_unhelpful;
  if (previous != NULL && previous->has_assistant)
    /* Translators: the assistant's answers in the period before the one shown */
    answers = g_strdup_printf (_("%" G_GINT64_FORMAT " in the previous period"), previous->assistant_answers);
  if (percent (a->assistant_handoffs, a->assistant_answers) >= 0)
    /* Translators: %d%% is a percentage */
    handoffs = g_strdup_printf (_("%d%% of its answers"), percent (a->assistant_handoffs, a->assistant_answers));
  if (votes > 0)
    {
      /* Translators: %d%% is a percentage of the "was this helpful" votes */
      helpful = g_strdup_printf (_("%d%% of the votes"), percent (a->assistant_helpful, votes));
      unhelpful = g_strdup_printf (_("%d%% of the votes"), percent (a->assistant_unhelpful, votes));
    }
  set_figure (box, FIGURE_ANSWERS, a->assistant_answers, answers);
  set_figure (box, FIGURE_HANDOFFS, a->assistant_handoffs, handoffs);
  set_figure (box, FIGURE_HELPFUL, a->assistant_helpful, helpful != NULL ? helpful : _("No votes yet"));
  set_figure (box, FIGURE_UNHELPFUL, a->assistant_unhelpful, unhelpful);
  set_figure (box, FIGURE_FAILURES, a->assistant_failures,
              _("The FAQ bot answered instead"));
}
