/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-table.h: the tables of the Analytics view — a card with a heading and a
 * sortable GtkColumnView of ConfabAnalyticsRow, the caller's own row marked. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  CONFAB_ANALYTICS_COLUMN_LABEL,
  CONFAB_ANALYTICS_COLUMN_COUNT,
  CONFAB_ANALYTICS_COLUMN_MESSAGES,
  CONFAB_ANALYTICS_COLUMN_FIRST_RESPONSE,
  CONFAB_ANALYTICS_COLUMN_CSAT,
} ConfabAnalyticsColumn;

/* The card; the column view (no columns yet) in @out_view, its rows @store's, sorted by the
 * column the user chose (gtk_column_view_sort_by_column() for the first sort). */
GtkWidget           *confab_analytics_table_new        (const char            *heading,
                                                         const char            *name,
                                                         GListStore            *store,
                                                         GtkColumnView        **out_view);
/* A column showing @column of each row, sorted by the row's property @property. */
GtkColumnViewColumn *confab_analytics_table_add_column (GtkColumnView         *view,
                                                         const char            *title,
                                                         ConfabAnalyticsColumn  column,
                                                         const char            *property);

G_END_DECLS
