/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-row.h: a row of the Analytics view's tables (a question, an opener or an
 * agent), with its figures as properties so that the column view sorts by them. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_ANALYTICS_ROW (confab_analytics_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAnalyticsRow, confab_analytics_row, CONFAB, ANALYTICS_ROW, GObject)

/* @first_response and @csat: NAN when there is none (sorted after every figure). */
ConfabAnalyticsRow *confab_analytics_row_new                (const char *label,
                                                             gint64      count,
                                                             gint64      messages,
                                                             double      first_response,
                                                             double      csat,
                                                             gboolean    own);
const char         *confab_analytics_row_get_label          (ConfabAnalyticsRow *self);
gint64              confab_analytics_row_get_count          (ConfabAnalyticsRow *self);
gint64              confab_analytics_row_get_messages       (ConfabAnalyticsRow *self);
double              confab_analytics_row_get_first_response (ConfabAnalyticsRow *self);
double              confab_analytics_row_get_csat           (ConfabAnalyticsRow *self);
gboolean            confab_analytics_row_get_own            (ConfabAnalyticsRow *self);

G_END_DECLS
