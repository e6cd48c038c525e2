/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-analytics.c: the app's reading of the analytics answer (JSON → ConfabAnalytics)
 * from fixtures written from issue 11's shape (tests/data/analytics/), figure by figure; answers
 * of another shape refused with the field named; and the date arithmetic of the view (ranges,
 * the previous period, the request paths). No relay, no display. */
#define G_LOG_DOMAIN "test-desktop-analytics"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "confab-analytics.h"

static ConfabAnalytics *
load_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "analytics", name, NULL);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  ConfabAnalytics *analytics;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  analytics = confab_analytics_parse_data (data, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (analytics);
  return analytics;
}

static void
test_parse_week (void)
{
  g_autoptr (ConfabAnalytics) a = load_fixture ("week.json");
  const ConfabAnalyticsDay *day;
  const ConfabAnalyticsFaq *faq;
  const ConfabAnalyticsOpener *opener;
  const ConfabAnalyticsAgent *agent;

  g_assert_cmpstr (a->from, ==, "2026-11-30");
  g_assert_cmpstr (a->to, ==, "2026-12-06");
  g_assert_cmpstr (a->timezone, ==, "Europe/Paris");
  g_assert_cmpint (a->conversations, ==, 17);
  g_assert_cmpint (a->messages_visitor, ==, 60);
  g_assert_cmpint (a->messages_agent, ==, 50);
  g_assert_cmpint (a->messages_bot, ==, 8);
  g_assert_cmpint (a->visitors, ==, 15);
  g_assert_cmpint (a->offline_messages, ==, 2);
  g_assert_cmpfloat (a->first_response.p50, ==, 45);
  g_assert_cmpfloat (a->first_response.p90, ==, 300.5);
  g_assert_cmpint (a->first_response.count, ==, 14);
  g_assert_cmpfloat (a->resolution.p50, ==, 2400);
  g_assert_cmpfloat (a->resolution.p90, ==, 7200);
  g_assert_cmpint (a->resolution.count, ==, 11);
  g_assert_cmpint (a->wait_unanswered, ==, 2);
  g_assert_cmpfloat (a->csat_average, ==, 4.125);
  g_assert_cmpint (a->csat_count, ==, 8);
  g_assert_cmpint (a->csat_distribution[0], ==, 0);
  g_assert_cmpint (a->csat_distribution[1], ==, 1);
  g_assert_cmpint (a->csat_distribution[2], ==, 1);
  g_assert_cmpint (a->csat_distribution[3], ==, 2);
  g_assert_cmpint (a->csat_distribution[4], ==, 4);
  g_assert_cmpint (a->bot_answered, ==, 6);
  g_assert_cmpint (a->bot_handed_to_human, ==, 2);

  g_assert_cmpuint (a->per_day->len, ==, 7);
  day = &g_array_index (a->per_day, ConfabAnalyticsDay, 0);
  g_assert_cmpstr (day->date, ==, "2026-11-30");
  g_assert_cmpint (day->conversations, ==, 5);
  g_assert_cmpint (day->messages, ==, 40);
  g_assert_cmpfloat (day->first_response_p50, ==, 42.5);
  g_assert_cmpfloat (day->resolution_p50, ==, 1800);
  g_assert_cmpfloat (day->csat_average, ==, 4.5);
  day = &g_array_index (a->per_day, ConfabAnalyticsDay, 1);
  g_assert_cmpfloat (day->resolution_p50, ==, 2400.25);
  g_assert_true (isnan (day->csat_average));
  day = &g_array_index (a->per_day, ConfabAnalyticsDay, 2);
  g_assert_true (isnan (day->first_response_p50));
  g_assert_true (isnan (day->resolution_p50));
  day = &g_array_index (a->per_day, ConfabAnalyticsDay, 5);
  g_assert_cmpstr (day->date, ==, "2026-12-05");
  g_assert_cmpint (day->conversations, ==, 0);

  g_assert_cmpint (a->per_hour_of_week[0][9], ==, 3);
  g_assert_cmpint (a->per_hour_of_week[0][10], ==, 2);
  g_assert_cmpint (a->per_hour_of_week[1][14], ==, 5);
  g_assert_cmpint (a->per_hour_of_week[2][23], ==, 1);
  g_assert_cmpint (a->per_hour_of_week[3][0], ==, 1);
  g_assert_cmpint (a->per_hour_of_week[6][11], ==, 1);
  g_assert_cmpint (a->per_hour_of_week[6][12], ==, 0);
  g_assert_cmpint (confab_analytics_max_per_hour (a), ==, 5);
  g_assert_cmpint (confab_analytics_max_per_day (a), ==, 5);

  g_assert_cmpuint (a->top_faqs->len, ==, 2);
  faq = g_ptr_array_index (a->top_faqs, 0);
  g_assert_cmpstr (faq->faq_id, ==, "f1");
  g_assert_cmpstr (faq->question, ==, "Where is my order?");
  g_assert_cmpint (faq->hits, ==, 5);
  g_assert_cmpuint (a->top_first_messages->len, ==, 2);
  opener = g_ptr_array_index (a->top_first_messages, 1);
  g_assert_cmpstr (opener->text, ==, "where is my order");
  g_assert_cmpint (opener->count, ==, 3);
  g_assert_cmpuint (a->agents->len, ==, 2);
  agent = g_ptr_array_index (a->agents, 0);
  g_assert_cmpstr (agent->agent_id, ==, "u1");
  g_assert_cmpstr (agent->name, ==, "Alice Martin");
  g_assert_cmpint (agent->conversations, ==, 10);
  g_assert_cmpint (agent->messages, ==, 30);
  g_assert_cmpfloat (agent->first_response_p50, ==, 40);
  g_assert_cmpfloat (agent->csat_average, ==, 4.5);
  agent = g_ptr_array_index (a->agents, 1);
  g_assert_true (isnan (agent->first_response_p50));
  g_assert_true (isnan (agent->csat_average));

  g_assert_false (confab_analytics_is_empty (a));
  /* 8 bot answers of 58 */
  g_assert_cmpfloat_with_epsilon (confab_analytics_bot_share (a), 8.0 / 58.0, 1e-12);
}

static void
test_parse_empty (void)
{
  g_autoptr (ConfabAnalytics) a = load_fixture ("empty.json");

  g_assert_true (confab_analytics_is_empty (a));
  g_assert_true (isnan (a->first_response.p50));
  g_assert_true (isnan (a->first_response.p90));
  g_assert_true (isnan (a->resolution.p50));
  g_assert_true (isnan (a->csat_average));
  g_assert_true (isnan (confab_analytics_bot_share (a)));
  g_assert_cmpuint (a->per_day->len, ==, 1);
  /* a relay that sends no per-day resolution: NAN, not 0 (0 would draw a line at 0 s) */
  g_assert_true (isnan (g_array_index (a->per_day, ConfabAnalyticsDay, 0).resolution_p50));
  g_assert_cmpint (confab_analytics_max_per_hour (a), ==, 0);
  g_assert_cmpint (confab_analytics_max_per_day (a), ==, 0);
  g_assert_cmpuint (a->agents->len, ==, 0);
}

/* One change to the week's answer (a jq-like path and a JSON value) must be refused with an
 * error that names @field. */
typedef struct {
  const char *path;     /* "a.b" or "a[3]" or "a[1][2]" */
  const char *value;    /* JSON, or NULL to remove the member */
  const char *field;    /* what the message must name */
} Bad;

static JsonNode *
node_at (JsonNode   *root,
         const char *path,
         char      **last)
{
  g_auto (GStrv) parts = g_strsplit_set (path, ".[", -1);
  JsonNode *node = root;
  guint n = g_strv_length (parts);

  for (guint i = 0; i + 1 < n; i++)
    {
      if (*parts[i] == '\0')
        continue;
      if (g_str_has_suffix (parts[i], "]"))
        node = json_array_get_element (json_node_get_array (node), atoi (parts[i]));
      else
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      g_assert_nonnull (node);
    }
  *last = g_strdup (parts[n - 1]);
  return node;
}

static void
test_parse_bad (void)
{
  static const Bad bad[] = {
    { "conversations", NULL, "conversations" },
    { "conversations", "\"17\"", "conversations" },
    { "conversations", "-1", "conversations" },
    { "conversations", "2.5", "conversations" },
    { "from", NULL, "from" },
    { "from", "7", "from" },
    { "to", "\"6 Dec\"", "to" },
    { "agents[0].agent_id", "42", NULL },                    /* a numeric id: accepted */
    { "messages", NULL, "messages" },
    { "messages", "[]", "messages" },
    { "messages.agent", "true", "messages.agent" },
    { "first_response_seconds.p50", "\"fast\"", "first_response_seconds.p50" },
    { "resolution_seconds.p90", "-3", "resolution_seconds.p90" },
    { "csat.average", "7", "csat.average" },
    { "csat.distribution.5", "-2", "csat.distribution.5" },
    { "bot.answered", "{}", "bot.answered" },
    { "per_day", NULL, "per_day" },
    { "per_day", "{}", "per_day" },
    { "per_day[2]", "3", "per_day[2]" },
    { "per_day[1].date", "\"yesterday\"", "per_day[1].date" },
    { "per_day[1].date", "\"2026-02-30\"", "per_day[1].date" },
    { "per_day[3].conversations", "null", NULL },            /* null count: 0, accepted */
    { "per_day[3].first_response_p50", "\"1 min\"", "per_day[3].first_response_p50" },
    { "per_hour_of_week", NULL, "per_hour_of_week" },
    { "per_hour_of_week[6]", "[1, 2, 3]", "per_hour_of_week[6]" },
    { "per_hour_of_week[3][4]", "-1", "per_hour_of_week[3][4]" },
    { "top_faqs[0].question", NULL, "top_faqs[0].question" },
    { "top_faqs[1].hits", "\"many\"", "top_faqs[1].hits" },
    { "top_first_messages[0]", "\"hello\"", "top_first_messages[0]" },
    { "agents[1].agent_id", NULL, "agents[1].agent_id" },
    { "agents[0].csat_average", "[]", "agents[0].csat_average" },
    { "agents", "3", "agents" },
  };
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "analytics", "week.json", NULL);
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) root = json_from_string (data, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (ConfabAnalytics) a = NULL;
      g_autofree char *last = NULL;
      g_autofree char *text = NULL;
      JsonNode *parent = node_at (root, bad[i].path, &last);

      if (JSON_NODE_HOLDS_ARRAY (parent))
        {
          JsonArray *array = json_node_get_array (parent);
          guint index = (guint) atoi (last);

          g_assert_nonnull (bad[i].value);
          /* replace element @index */
          {
            g_autoptr (JsonArray) copy = json_array_new ();

            for (guint k = 0; k < json_array_get_length (array); k++)
              json_array_add_element (copy, k == index ? json_from_string (bad[i].value, NULL)
                                                       : json_node_copy (json_array_get_element (array, k)));
            json_node_set_array (parent, copy);
          }
        }
      else if (bad[i].value == NULL)
        json_object_remove_member (json_node_get_object (parent), last);
      else
        json_object_set_member (json_node_get_object (parent), last,
                                json_from_string (bad[i].value, NULL));

      text = json_to_string (root, FALSE);
      a = confab_analytics_parse_data (text, strlen (text), &error);
      if (bad[i].field == NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (a);
          continue;
        }
      g_test_message ("%s = %s: %s", bad[i].path, bad[i].value ? bad[i].value : "(removed)",
                      error != NULL ? error->message : "(accepted)");
      g_assert_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID);
      g_assert_null (a);
      g_assert_nonnull (strstr (error->message, bad[i].field));
    }
}

static void
test_parse_not_json (void)
{
  static const char *bodies[] = { "", "[]", "{\"from\":", "<html>Bad gateway</html>", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ConfabAnalytics) a = confab_analytics_parse_data (bodies[i], strlen (bodies[i]),
                                                                   &error);

      g_assert_null (a);
      g_assert_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID);
    }
}

static void
test_ranges (void)
{
  GDate today, from, to, pfrom, pto;
  g_autofree char *f = NULL;
  g_autofree char *t = NULL;
  g_autofree char *pf = NULL;
  g_autofree char *pt = NULL;

  g_assert_true (confab_analytics_parse_date ("2026-03-02", &today));

  confab_analytics_range_dates (CONFAB_ANALYTICS_RANGE_TODAY, &today, &from, &to);
  g_assert_cmpint (g_date_compare (&from, &today), ==, 0);
  g_assert_cmpint (g_date_compare (&to, &today), ==, 0);
  confab_analytics_previous (&from, &to, &pfrom, &pto);
  pf = confab_analytics_iso_date (&pfrom);
  pt = confab_analytics_iso_date (&pto);
  g_assert_cmpstr (pf, ==, "2026-03-01");
  g_assert_cmpstr (pt, ==, "2026-03-01");
  g_clear_pointer (&pf, g_free);
  g_clear_pointer (&pt, g_free);

  /* across the end of February */
  confab_analytics_range_dates (CONFAB_ANALYTICS_RANGE_7_DAYS, &today, &from, &to);
  f = confab_analytics_iso_date (&from);
  t = confab_analytics_iso_date (&to);
  g_assert_cmpstr (f, ==, "2026-02-24");
  g_assert_cmpstr (t, ==, "2026-03-02");
  confab_analytics_previous (&from, &to, &pfrom, &pto);
  pf = confab_analytics_iso_date (&pfrom);
  pt = confab_analytics_iso_date (&pto);
  g_assert_cmpstr (pf, ==, "2026-02-17");
  g_assert_cmpstr (pt, ==, "2026-02-23");
  g_clear_pointer (&f, g_free);
  g_clear_pointer (&t, g_free);
  g_clear_pointer (&pf, g_free);
  g_clear_pointer (&pt, g_free);

  /* across a new year, 30 days */
  g_assert_true (confab_analytics_parse_date ("2027-01-10", &today));
  confab_analytics_range_dates (CONFAB_ANALYTICS_RANGE_30_DAYS, &today, &from, &to);
  f = confab_analytics_iso_date (&from);
  g_assert_cmpstr (f, ==, "2026-12-12");
  g_assert_cmpint (g_date_days_between (&from, &to), ==, 29);
  confab_analytics_previous (&from, &to, &pfrom, &pto);
  pf = confab_analytics_iso_date (&pfrom);
  pt = confab_analytics_iso_date (&pto);
  g_assert_cmpstr (pf, ==, "2026-11-12");
  g_assert_cmpstr (pt, ==, "2026-12-11");

  g_assert_false (confab_analytics_parse_date ("2026-13-01", &today));
  g_assert_false (confab_analytics_parse_date ("2026-1-01", &today));
  g_assert_false (confab_analytics_parse_date ("2026-01-01x", &today));
  g_assert_false (confab_analytics_parse_date (NULL, &today));
  g_assert_true (confab_analytics_parse_date ("2024-02-29", &today));
}

static void
test_paths (void)
{
  GDate from, to;
  g_autofree char *site = NULL;
  g_autofree char *all = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *odd = NULL;

  g_assert_true (confab_analytics_parse_date ("2026-11-30", &from));
  g_assert_true (confab_analytics_parse_date ("2026-12-06", &to));
  site = confab_analytics_path ("s1", &from, &to, "America/Argentina/Buenos_Aires", NULL);
  g_assert_cmpstr (site, ==, "/api/v1/sites/s1/analytics?from=2026-11-30&to=2026-12-06"
                             "&tz=America%2FArgentina%2FBuenos_Aires");
  all = confab_analytics_path (NULL, &from, &to, "/etc/localtime", NULL);
  g_assert_cmpstr (all, ==, "/api/v1/sites/all/analytics?from=2026-11-30&to=2026-12-06");
  csv = confab_analytics_path ("s1", &from, &to, "UTC", "conversations");
  g_assert_cmpstr (csv, ==, "/api/v1/sites/s1/analytics.csv?kind=conversations"
                            "&from=2026-11-30&to=2026-12-06");
  /* an id is a path segment: whatever it holds stays in it */
  odd = confab_analytics_path ("a/b?c", &from, &to, "Europe/../../etc", NULL);
  g_assert_cmpstr (odd, ==, "/api/v1/sites/a%2Fb%3Fc/analytics?from=2026-11-30&to=2026-12-06");
}

static void
test_change (void)
{
  g_assert_cmpfloat_with_epsilon (confab_analytics_change (12, 10), 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (confab_analytics_change (5, 10), -0.5, 1e-12);
  g_assert_true (isnan (confab_analytics_change (5, 0)));
  g_assert_true (isnan (confab_analytics_change (NAN, 3)));
  g_assert_true (isnan (confab_analytics_change (3, NAN)));
}

/* Issue 16's goals and triggers: absent in an older relay's answer (no card), read when there,
 * refused when of another shape. */
static void
test_parse_engage (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "analytics", "week.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAnalytics) before = NULL;
  g_autoptr (ConfabAnalytics) after = NULL;
  g_autoptr (ConfabAnalytics) bad = NULL;
  g_autoptr (JsonObject) goals = json_object_new ();
  g_autoptr (JsonObject) triggers = json_object_new ();
  JsonObject *root;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  before = confab_analytics_parse (root, &error);
  g_assert_no_error (error);
  g_assert_false (before->has_goals);
  g_assert_false (before->has_triggers);

  json_object_set_int_member (goals, "count", 14);
  json_object_set_double_member (goals, "value", 698.6);
  json_object_set_int_member (goals, "visitors", 9);
  json_object_set_int_member (goals, "after_conversation", 4);
  json_object_set_object_member (root, "goals", json_object_ref (goals));
  json_object_set_int_member (triggers, "fired", 120);
  json_object_set_int_member (triggers, "conversations", 17);
  json_object_set_object_member (root, "triggers", json_object_ref (triggers));
  after = confab_analytics_parse (root, &error);
  g_assert_no_error (error);
  g_assert_true (after->has_goals);
  g_assert_cmpint (after->goals_count, ==, 14);
  g_assert_cmpfloat_with_epsilon (after->goals_value, 698.6, 1e-9);
  g_assert_cmpint (after->goals_visitors, ==, 9);
  g_assert_cmpint (after->goals_after_conversation, ==, 4);
  g_assert_true (after->has_triggers);
  g_assert_cmpint (after->triggers_fired, ==, 120);
  g_assert_cmpint (after->triggers_conversations, ==, 17);

  /* a count that is not one: refused, the field named */
  json_object_set_string_member (triggers, "fired", "many");
  bad = confab_analytics_parse (root, &error);
  g_assert_null (bad);
  g_assert_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "triggers.fired"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/analytics/parse-week", test_parse_week);
  g_test_add_func ("/desktop/analytics/parse-empty", test_parse_empty);
  g_test_add_func ("/desktop/analytics/parse-bad", test_parse_bad);
  g_test_add_func ("/desktop/analytics/parse-not-json", test_parse_not_json);
  g_test_add_func ("/desktop/analytics/ranges", test_ranges);
  g_test_add_func ("/desktop/analytics/paths", test_paths);
  g_test_add_func ("/desktop/analytics/change", test_change);
  g_test_add_func ("/desktop/analytics/parse-engage", test_parse_engage);
  return g_test_run ();
}
