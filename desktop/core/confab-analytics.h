/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics.h: the relay's analytics answer as a plain model, and the date arithmetic
 * of the Analytics view (ranges, the previous period, the request paths).
 *
 * GET /api/v1/sites/{id|all}/analytics?from=&to=[&tz=] (docs/http-api.md) is parsed once into
 * a ConfabAnalytics: the charts and tables read numbers, not JSON. A percentile or average the
 * relay sends as null (no data in the range) is NAN here. UI-free: the tests feed it fixtures.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CONFAB_ANALYTICS_ERROR (confab_analytics_error_quark ())

typedef enum {
  CONFAB_ANALYTICS_ERROR_INVALID, /* the answer does not have the documented shape */
} ConfabAnalyticsError;

GQuark confab_analytics_error_quark (void);

typedef struct {
  char   *date;                 /* YYYY-MM-DD, a calendar day in the site's zone */
  gint64  conversations;
  gint64  messages;
  double  first_response_p50;   /* seconds; NAN: no first response that day */
  double  resolution_p50;       /* seconds; NAN: none resolved (or not sent by the relay) */
  double  csat_average;         /* 1..5; NAN: no rating */
} ConfabAnalyticsDay;

typedef struct {
  char   *faq_id;
  char   *question;
  gint64  hits;
} ConfabAnalyticsFaq;

typedef struct {
  char   *text;
  gint64  count;
} ConfabAnalyticsOpener;

typedef struct {
  char   *agent_id;
  char   *name;
  gint64  conversations;
  gint64  messages;
  double  first_response_p50;   /* NAN: none */
  double  csat_average;         /* NAN: none */
} ConfabAnalyticsAgent;

typedef struct {
  double  p50;                  /* NAN when count is 0 */
  double  p90;
  gint64  count;
} ConfabAnalyticsTimes;

typedef struct {
  char                 *from;
  char                 *to;
  char                 *timezone;
  gint64                conversations;
  gint64                messages_visitor;
  gint64                messages_agent;
  gint64                messages_bot;
  gint64                visitors;
  gint64                offline_messages;
  ConfabAnalyticsTimes  first_response;
  ConfabAnalyticsTimes  resolution;
  gint64                wait_unanswered;
  double                csat_average;      /* NAN: no rating */
  gint64                csat_count;
  gint64                csat_distribution[5]; /* [0] = 1 star … [4] = 5 stars */
  gint64                bot_answered;
  gint64                bot_handed_to_human;
  /* issue 16's assistant: has_assistant when the answer has "assistant" (a relay with it) */
  gboolean              has_assistant;
  gint64                assistant_answers;
  gint64                assistant_handoffs;
  gint64                assistant_helpful;
  gint64                assistant_unhelpful;
  gint64                assistant_failures;
  GArray               *per_day;           /* ConfabAnalyticsDay, oldest first */
  gint64                per_hour_of_week[7][24]; /* [0] = Monday, hours in the site's zone */
  GPtrArray            *top_faqs;          /* ConfabAnalyticsFaq* */
  GPtrArray            *top_first_messages; /* ConfabAnalyticsOpener* */
  GPtrArray            *agents;            /* ConfabAnalyticsAgent* */
  /* issue 16 (confab-analytics-engage.c); has_*: FALSE when the relay sent none */
  gboolean              has_goals;
  gint64                goals_count;
  double                goals_value;
  gint64                goals_visitors;
  gint64                goals_after_conversation;
  gboolean              has_triggers;
  gint64                triggers_fired;
  gint64                triggers_conversations;
} ConfabAnalytics;

/* NULL with CONFAB_ANALYTICS_ERROR_INVALID (the message names the field) when a field the
 * issue lists is missing or of another type, a count is negative, or per_hour_of_week is not
 * 7 × 24. Fields the relay adds later are ignored. */
ConfabAnalytics *confab_analytics_parse        (JsonObject            *object,
                                                GError               **error);
/* The same from the body of the answer (size and depth checked first). */
ConfabAnalytics *confab_analytics_parse_data   (const char            *data,
                                                gsize                  len,
                                                GError               **error);
void             confab_analytics_free         (ConfabAnalytics       *self);
/* The "goals" and "triggers" parts into @self (called by confab_analytics_parse). */
gboolean         confab_analytics_parse_engage (ConfabAnalytics       *self,
                                                JsonObject            *object,
                                                GError               **error);

/* Nothing happened in the range: no conversation, message, rating or offline message. */
gboolean         confab_analytics_is_empty     (const ConfabAnalytics *self);
/* Of the answers visitors got (agent + bot messages), the bot's share, 0..1; NAN if none. */
double           confab_analytics_bot_share    (const ConfabAnalytics *self);
/* The highest per-day conversation count, the busiest hour's count. */
gint64           confab_analytics_max_per_day  (const ConfabAnalytics *self);
gint64           confab_analytics_max_per_hour (const ConfabAnalytics *self);

/* (now - before) / before; NAN when either is NAN or before is 0. */
double           confab_analytics_change       (double                 now,
                                                double                 before);

typedef enum {
  CONFAB_ANALYTICS_RANGE_TODAY,
  CONFAB_ANALYTICS_RANGE_7_DAYS,
  CONFAB_ANALYTICS_RANGE_30_DAYS,
  CONFAB_ANALYTICS_RANGE_CUSTOM,
} ConfabAnalyticsRange;

/* The first and last day (inclusive) of @range ending @today; not for CUSTOM. */
void             confab_analytics_range_dates  (ConfabAnalyticsRange   range,
                                                const GDate           *today,
                                                GDate                 *from,
                                                GDate                 *to);
/* The period of the same length just before [from, to]. */
void             confab_analytics_previous     (const GDate           *from,
                                                const GDate           *to,
                                                GDate                 *prev_from,
                                                GDate                 *prev_to);
/* "2026-12-07" */
char            *confab_analytics_iso_date     (const GDate           *date);
/* Parses "YYYY-MM-DD" into @date; FALSE when it is not a valid day. */
gboolean         confab_analytics_parse_date   (const char            *text,
                                                GDate                 *date);

/* "/api/v1/sites/ID/analytics?from=…&to=…&tz=…" (@site_id NULL: "all"); @csv_kind
 * ("daily", "conversations") asks for analytics.csv instead. @tz is sent only when it is an
 * IANA name ("Europe/Paris"), the zone the relay uses for a site without working hours. */
char            *confab_analytics_path         (const char            *site_id,
                                                const GDate           *from,
                                                const GDate           *to,
                                                const char            *tz,
                                                const char            *csv_kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabAnalytics, confab_analytics_free)

G_END_DECLS
