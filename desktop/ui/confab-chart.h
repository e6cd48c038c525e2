/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chart.h: one chart of the Analytics view, drawn by the app (GtkSnapshot + cairo). */
#pragma once

#include <gtk/gtk.h>

#include "confab-analytics.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_CHART_CONVERSATIONS, /* bars: conversations per day */
  CONFAB_CHART_TIMES,         /* lines: first response and resolution p50 per day */
  CONFAB_CHART_CSAT,          /* bars: ratings 5 … 1 */
  CONFAB_CHART_HOURS,         /* heat map: conversations started, 7 days × 24 hours */
  CONFAB_CHART_BOT,           /* stacked bars: bot vs agents */
} ConfabChartKind;

#define CONFAB_TYPE_CHART (confab_chart_get_type ())

G_DECLARE_FINAL_TYPE (ConfabChart, confab_chart, CONFAB, CHART, GtkWidget)

GtkWidget  *confab_chart_new                (ConfabChartKind        kind);
/* @analytics is borrowed: the owner sets another (or NULL) before freeing it. */
void        confab_chart_set_analytics      (ConfabChart           *self,
                                             const ConfabAnalytics *analytics);
ConfabChartKind confab_chart_get_kind       (ConfabChart           *self);
/* The accessible description (the figures in words), for the tests too. */
const char *confab_chart_get_description    (ConfabChart           *self);
/* Where the chart's n-th value is drawn (a bar, a day of a line, a rating, an hour, a
 * segment), in the chart's coordinates; FALSE when there is no such value or it was not
 * drawn yet. With the text its tooltip shows there. */
gboolean    confab_chart_get_value_area     (ConfabChart           *self,
                                             guint                  index,
                                             graphene_rect_t       *area,
                                             const char           **tooltip);
/* "42 s", "3 min", "1 h 5 min"; "—" for NAN (no figure). */
char       *confab_chart_seconds            (double                 seconds);
/* The text of the last tooltip GTK asked the chart for (NULL if none yet). */
const char *confab_chart_get_last_tooltip   (ConfabChart           *self);

G_END_DECLS
