/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics.h: the figures of GET /api/v1/sites/{id}/analytics (confab-api-analytics.c),
 * aggregated from the rows of confab-store-analytics.h over calendar days in one time zone. */
#pragma once

#include "confab-store.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* At most this many days in one range. */
#define CONFAB_ANALYTICS_MAX_DAYS 400

typedef struct _ConfabAnalytics ConfabAnalytics;

/* The days @from to @to (inclusive, @from <= @to, at most CONFAB_ANALYTICS_MAX_DAYS of them)
 * in @zone, named @zone_name; @caller_id is the user asking. */
ConfabAnalytics *confab_analytics_new        (GTimeZone         *zone,
                                              const char        *zone_name,
                                              const GDate       *from,
                                              const GDate       *to,
                                              const char        *caller_id);
void             confab_analytics_free       (ConfabAnalytics   *analytics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabAnalytics, confab_analytics_free)

/* Adds a site to aggregate, @site->role being the caller's role on it: an agent sees the
 * site's figures and only their own row in "agents". */
void             confab_analytics_add_site   (ConfabAnalytics   *analytics,
                                              const ConfabSite  *site);

/* Reads the store and computes every figure. When @conversations_csv is not NULL, the
 * conversation list is appended to it as CSV rows (with a header line). */
gboolean         confab_analytics_compute    (ConfabAnalytics   *analytics,
                                              ConfabStore       *store,
                                              GString           *conversations_csv,
                                              GError           **error);

/* The answer of the endpoint; @scope is the site id or "all". */
JsonObject      *confab_analytics_to_json    (ConfabAnalytics   *analytics,
                                              const char        *scope);
/* The daily figures as CSV, a header line first. */
char            *confab_analytics_daily_csv  (ConfabAnalytics   *analytics);

/* Appends @text as one CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF;
 * prefixed with ' when it starts with = + - @ (or a tab or CR), so that a spreadsheet does not
 * take a visitor's name for a formula. NULL is an empty cell. */
void             confab_csv_append_cell      (GString           *csv,
                                              const char        *text);

/* Percentile @p (0 < @p <= 100) of @values by the nearest-rank method: the smallest value with
 * at least @p % of the values at or below it. Sorts @values. NAN when it is empty. */
double           confab_analytics_percentile (GArray            *values,
                                              double             p);

G_END_DECLS
