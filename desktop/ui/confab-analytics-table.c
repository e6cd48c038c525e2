/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-table.c: the Analytics view's tables (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <math.h>

#include "confab-analytics-row.h"
#include "confab-analytics-table.h"
#include "confab-chart.h"

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  column)
{
  GtkWidget *label = gtk_label_new (NULL);

  if (GPOINTER_TO_INT (column) == CONFAB_ANALYTICS_COLUMN_LABEL)
    {
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
    }
  else
    {
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_widget_add_css_class (label, "numeric");
    }
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  column)
{
  ConfabAnalyticsRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  g_autofree char *text = NULL;

  switch (GPOINTER_TO_INT (column))
    {
    case CONFAB_ANALYTICS_COLUMN_LABEL:
      /* Translators: the caller's own row in the agents' table */
      text = confab_analytics_row_get_own (row)
             ? g_strdup_printf (_("%s (You)"), confab_analytics_row_get_label (row))
             : g_strdup (confab_analytics_row_get_label (row));
      gtk_widget_set_tooltip_text (label, confab_analytics_row_get_label (row));
      break;
    case CONFAB_ANALYTICS_COLUMN_COUNT:
      text = g_strdup_printf ("%" G_GINT64_FORMAT, confab_analytics_row_get_count (row));
      break;
    case CONFAB_ANALYTICS_COLUMN_MESSAGES:
      text = g_strdup_printf ("%" G_GINT64_FORMAT, confab_analytics_row_get_messages (row));
      break;
    case CONFAB_ANALYTICS_COLUMN_FIRST_RESPONSE:
      text = confab_chart_seconds (confab_analytics_row_get_first_response (row));
      break;
    case CONFAB_ANALYTICS_COLUMN_CSAT:
      text = isnan (confab_analytics_row_get_csat (row))
             ? g_strdup ("—") : g_strdup_printf ("%.1f", confab_analytics_row_get_csat (row));
      break;
    default:
      g_assert_not_reached ();
    }
  gtk_label_set_text (GTK_LABEL (label), text);
  /* GTK 4.8's column view has no row factory: the own row is marked cell by cell */
  if (confab_analytics_row_get_own (row))
    gtk_widget_add_css_class (label, "own-row");
  else
    gtk_widget_remove_css_class (label, "own-row");
}

GtkColumnViewColumn *
confab_analytics_table_add_column (GtkColumnView         *view,
                                   const char            *title,
                                   ConfabAnalyticsColumn  column,
                                   const char            *property)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkColumnViewColumn) result = NULL;
  GtkExpression *expression = gtk_property_expression_new (CONFAB_TYPE_ANALYTICS_ROW, NULL, property);
  g_autoptr (GtkSorter) sorter = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (column));
  result = gtk_column_view_column_new (title, g_object_ref (factory));
  sorter = column == CONFAB_ANALYTICS_COLUMN_LABEL ? GTK_SORTER (gtk_string_sorter_new (expression))
                                  : GTK_SORTER (gtk_numeric_sorter_new (expression));
  gtk_column_view_column_set_sorter (result, sorter);
  gtk_column_view_column_set_expand (result, column == CONFAB_ANALYTICS_COLUMN_LABEL);
  gtk_column_view_append_column (view, result);
  return result;
}

/* A card with a heading and a sortable table of @store (the columns come after). */
GtkWidget *
confab_analytics_table_new (const char     *heading,
                            const char     *name,
                            GListStore     *store,
                            GtkColumnView **out_view)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (heading);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkColumnView *view = GTK_COLUMN_VIEW (gtk_column_view_new (NULL));
  GtkSortListModel *sorted;
  g_autoptr (GtkSelectionModel) selection = NULL;

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "chart-card");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_name (GTK_WIDGET (view), name);
  gtk_widget_add_css_class (GTK_WIDGET (view), "analytics-table");
  gtk_column_view_set_show_row_separators (view, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, heading, -1);
  sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (store)),
                                    g_object_ref (gtk_column_view_get_sorter (view)));
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (sorted)));
  gtk_column_view_set_model (view, selection);
  /* sideways only, in a narrow window; the page scrolls the rows (a top 10, a team): a
   * scrolled list inside the scrolled page would take the wheel from it */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (view));
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), scroller);
  *out_view = view;
  return box;
}
