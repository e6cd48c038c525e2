/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics.c: the analytics answer as a plain model (see the header). */
#define G_LOG_DOMAIN "confab-analytics"

#include "confab-analytics.h"
#include "confab-json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A year of days, 7 × 24 hours and a few top-N lists: far below this. */
#define MAX_ANSWER_BYTES (4 * 1024 * 1024)
#define MAX_ANSWER_DEPTH 8

G_DEFINE_QUARK (confab-analytics-error-quark, confab_analytics_error)

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID, message);
  return FALSE;
}

/* The node of @field; NULL (and TRUE) when absent or null and not @required. */
static gboolean
lookup (JsonObject  *object,
        const char  *where,
        const char  *field,
        gboolean     required,
        JsonNode   **out,
        GError     **error)
{
  JsonNode *node = json_object_get_member (object, field);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return invalid (error, "The analytics answer has no “%s%s”", where, field);
      return TRUE;
    }
  *out = node;
  return TRUE;
}

static gboolean
node_number (JsonNode *node,
             double   *out)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;
  return isfinite (*out);
}

/* A count: a whole number >= 0 (a double with no fraction passes: JavaScript writes 3.0 as 3
 * but other encoders may not). Absent and not @required: 0. */
static gboolean
get_count (JsonObject  *object,
           const char  *where,
           const char  *field,
           gboolean     required,
           gint64      *out,
           GError     **error)
{
  JsonNode *node;
  double value;

  *out = 0;
  if (!lookup (object, where, field, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!node_number (node, &value) || value < 0 || value != floor (value) || value > 1e15)
    return invalid (error, "“%s%s” must be a whole number of at least 0", where, field);
  *out = (gint64) value;
  return TRUE;
}

/* Seconds or an average: a number >= 0, NAN when absent or null. */
static gboolean
get_measure (JsonObject  *object,
             const char  *where,
             const char  *field,
             double      *out,
             GError     **error)
{
  JsonNode *node;

  *out = NAN;
  if (!lookup (object, where, field, FALSE, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!node_number (node, out) || *out < 0)
    {
      *out = NAN;
      return invalid (error, "“%s%s” must be a number of at least 0 or null", where, field);
    }
  return TRUE;
}

/* A string; @id: or a number (an id the relay may send as one). */
static gboolean
get_string (JsonObject  *object,
            const char  *where,
            const char  *field,
            gboolean     required,
            gboolean     id,
            char       **out,
            GError     **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, where, field, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    *out = g_strdup (json_node_get_string (node));
  else if (id && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  else
    return invalid (error, "“%s%s” must be a string", where, field);
  return TRUE;
}

static gboolean
get_text (JsonObject  *object,
          const char  *where,
          const char  *field,
          gboolean     required,
          char       **out,
          GError     **error)
{
  return get_string (object, where, field, required, FALSE, out, error);
}

static gboolean
get_id (JsonObject  *object,
        const char  *where,
        const char  *field,
        gboolean     required,
        char       **out,
        GError     **error)
{
  return get_string (object, where, field, required, TRUE, out, error);
}

static gboolean
get_object (JsonObject   *object,
            const char   *field,
            gboolean      required,
            JsonObject  **out,
            GError      **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, "", field, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "“%s” must be an object", field);
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_array (JsonObject  *object,
           const char  *field,
           gboolean     required,
           JsonArray  **out,
           GError     **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, "", field, required, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "“%s” must be an array", field);
  *out = json_node_get_array (node);
  return TRUE;
}

static JsonObject *
element_object (JsonArray   *array,
                const char  *field,
                guint        i,
                GError     **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, "“%s[%u]” must be an object", field, i);
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
parse_times (JsonObject            *object,
             const char            *field,
             ConfabAnalyticsTimes  *times,
             GError               **error)
{
  JsonObject *inner;
  g_autofree char *where = g_strconcat (field, ".", NULL);

  times->p50 = times->p90 = NAN;
  times->count = 0;
  if (!get_object (object, field, FALSE, &inner, error))
    return FALSE;
  if (inner == NULL)
    return TRUE;
  return get_measure (inner, where, "p50", &times->p50, error) &&
         get_measure (inner, where, "p90", &times->p90, error) &&
         get_count (inner, where, "count", FALSE, &times->count, error);
}

static void
day_clear (ConfabAnalyticsDay *day)
{
  g_free (day->date);
}

static void
faq_free (ConfabAnalyticsFaq *faq)
{
  g_free (faq->faq_id);
  g_free (faq->question);
  g_free (faq);
}

static void
opener_free (ConfabAnalyticsOpener *opener)
{
  g_free (opener->text);
  g_free (opener);
}

static void
agent_free (ConfabAnalyticsAgent *agent)
{
  g_free (agent->agent_id);
  g_free (agent->name);
  g_free (agent);
}

static ConfabAnalytics *
analytics_new (void)
{
  ConfabAnalytics *self = g_new0 (ConfabAnalytics, 1);

  self->per_day = g_array_new (FALSE, TRUE, sizeof (ConfabAnalyticsDay));
  g_array_set_clear_func (self->per_day, (GDestroyNotify) day_clear);
  self->top_faqs = g_ptr_array_new_with_free_func ((GDestroyNotify) faq_free);
  self->top_first_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) opener_free);
  self->agents = g_ptr_array_new_with_free_func ((GDestroyNotify) agent_free);
  self->first_response.p50 = self->first_response.p90 = NAN;
  self->resolution.p50 = self->resolution.p90 = NAN;
  self->csat_average = NAN;
  return self;
}

void
confab_analytics_free (ConfabAnalytics *self)
{
  if (self == NULL)
    return;
  g_free (self->from);
  g_free (self->to);
  g_free (self->timezone);
  g_array_unref (self->per_day);
  g_ptr_array_unref (self->top_faqs);
  g_ptr_array_unref (self->top_first_messages);
  g_ptr_array_unref (self->agents);
  g_free (self);
}

static gboolean
parse_per_day (ConfabAnalytics  *self,
               JsonArray        *array,
               GError          **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = element_object (array, "per_day", i, error);
      g_autofree char *where = g_strdup_printf ("per_day[%u].", i);
      ConfabAnalyticsDay day = { 0 };
      GDate date;

      if (o == NULL)
        return FALSE;
      if (!get_text (o, where, "date", TRUE, &day.date, error) ||
          !get_count (o, where, "conversations", FALSE, &day.conversations, error) ||
          !get_count (o, where, "messages", FALSE, &day.messages, error) ||
          !get_measure (o, where, "first_response_p50", &day.first_response_p50, error) ||
          !get_measure (o, where, "resolution_p50", &day.resolution_p50, error) ||
          !get_measure (o, where, "csat_average", &day.csat_average, error))
        {
          g_free (day.date);
          return FALSE;
        }
      g_array_append_val (self->per_day, day);
      if (!confab_analytics_parse_date (day.date, &date))
        return invalid (error, "“per_day[%u].date” must be a day as YYYY-MM-DD", i);
    }
  return TRUE;
}

static gboolean
parse_per_hour (ConfabAnalytics  *self,
                JsonArray        *array,
                GError          **error)
{
  if (json_array_get_length (array) != 7)
    return invalid (error, "“per_hour_of_week” must have 7 days, not %u",
                    json_array_get_length (array));
  for (guint d = 0; d < 7; d++)
    {
      JsonNode *node = json_array_get_element (array, d);
      JsonArray *hours;

      if (!JSON_NODE_HOLDS_ARRAY (node) ||
          json_array_get_length (hours = json_node_get_array (node)) != 24)
        return invalid (error, "“per_hour_of_week[%u]” must be an array of 24 counts", d);
      for (guint h = 0; h < 24; h++)
        {
          double value;

          if (!node_number (json_array_get_element (hours, h), &value) || value < 0 ||
              value != floor (value))
            return invalid (error, "“per_hour_of_week[%u][%u]” must be a whole number of at least 0",
                            d, h);
          self->per_hour_of_week[d][h] = (gint64) value;
        }
    }
  return TRUE;
}

static gboolean
parse_lists (ConfabAnalytics  *self,
             JsonObject       *object,
             GError          **error)
{
  JsonArray *array;

  if (!get_array (object, "top_faqs", FALSE, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = element_object (array, "top_faqs", i, error);
      g_autofree char *where = g_strdup_printf ("top_faqs[%u].", i);
      ConfabAnalyticsFaq *faq;

      if (o == NULL)
        return FALSE;
      faq = g_new0 (ConfabAnalyticsFaq, 1);
      g_ptr_array_add (self->top_faqs, faq);
      if (!get_id (o, where, "faq_id", FALSE, &faq->faq_id, error) ||
          !get_text (o, where, "question", TRUE, &faq->question, error) ||
          !get_count (o, where, "hits", TRUE, &faq->hits, error))
        return FALSE;
    }

  if (!get_array (object, "top_first_messages", FALSE, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = element_object (array, "top_first_messages", i, error);
      g_autofree char *where = g_strdup_printf ("top_first_messages[%u].", i);
      ConfabAnalyticsOpener *opener;

      if (o == NULL)
        return FALSE;
      opener = g_new0 (ConfabAnalyticsOpener, 1);
      g_ptr_array_add (self->top_first_messages, opener);
      if (!get_text (o, where, "text", TRUE, &opener->text, error) ||
          !get_count (o, where, "count", TRUE, &opener->count, error))
        return FALSE;
    }

  if (!get_array (object, "agents", FALSE, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = element_object (array, "agents", i, error);
      g_autofree char *where = g_strdup_printf ("agents[%u].", i);
      ConfabAnalyticsAgent *agent;

      if (o == NULL)
        return FALSE;
      agent = g_new0 (ConfabAnalyticsAgent, 1);
      g_ptr_array_add (self->agents, agent);
      if (!get_id (o, where, "agent_id", TRUE, &agent->agent_id, error) ||
          !get_text (o, where, "name", FALSE, &agent->name, error) ||
          !get_count (o, where, "conversations", FALSE, &agent->conversations, error) ||
          !get_count (o, where, "messages", FALSE, &agent->messages, error) ||
          !get_measure (o, where, "first_response_p50", &agent->first_response_p50, error) ||
          !get_measure (o, where, "csat_average", &agent->csat_average, error))
        return FALSE;
    }
  return TRUE;
}

ConfabAnalytics *
confab_analytics_parse (JsonObject  *object,
                        GError     **error)
{
  g_autoptr (ConfabAnalytics) self = analytics_new ();
  JsonObject *inner;
  JsonArray *array;
  GDate date;

  g_return_val_if_fail (object != NULL, NULL);

  /* what every chart needs is required; the rest defaults to "nothing" when absent, so that
   * an older relay's answer still shows, but a wrong type is always an error */
  if (!get_text (object, "", "from", TRUE, &self->from, error) ||
      !get_text (object, "", "to", TRUE, &self->to, error) ||
      !get_text (object, "", "timezone", FALSE, &self->timezone, error) ||
      !get_count (object, "", "conversations", TRUE, &self->conversations, error) ||
      !get_count (object, "", "visitors", FALSE, &self->visitors, error) ||
      !get_count (object, "", "offline_messages", FALSE, &self->offline_messages, error) ||
      !get_count (object, "", "wait_unanswered", FALSE, &self->wait_unanswered, error))
    return NULL;

  if (!confab_analytics_parse_date (self->from, &date) ||
      !confab_analytics_parse_date (self->to, &date))
    {
      invalid (error, "“%s” must be a day as YYYY-MM-DD",
               confab_analytics_parse_date (self->from, &date) ? "to" : "from");
      return NULL;
    }

  if (!get_object (object, "messages", TRUE, &inner, error) ||
      !get_count (inner, "messages.", "visitor", FALSE, &self->messages_visitor, error) ||
      !get_count (inner, "messages.", "agent", FALSE, &self->messages_agent, error) ||
      !get_count (inner, "messages.", "bot", FALSE, &self->messages_bot, error))
    return NULL;

  if (!parse_times (object, "first_response_seconds", &self->first_response, error) ||
      !parse_times (object, "resolution_seconds", &self->resolution, error))
    return NULL;

  if (!get_object (object, "csat", FALSE, &inner, error))
    return NULL;
  if (inner != NULL)
    {
      JsonObject *distribution;

      if (!get_measure (inner, "csat.", "average", &self->csat_average, error) ||
          !get_count (inner, "csat.", "count", FALSE, &self->csat_count, error) ||
          !get_object (inner, "distribution", FALSE, &distribution, error))
        return NULL;
      for (guint i = 0; distribution != NULL && i < 5; i++)
        {
          char key[2] = { (char) ('1' + i), '\0' };

          if (!get_count (distribution, "csat.distribution.", key, FALSE,
                          &self->csat_distribution[i], error))
            return NULL;
        }
      if (!isnan (self->csat_average) && self->csat_average > 5)
        {
          invalid (error, "“csat.average” must be between 1 and 5");
          return NULL;
        }
    }

  if (!get_object (object, "bot", FALSE, &inner, error))
    return NULL;
  if (inner != NULL &&
      (!get_count (inner, "bot.", "answered", FALSE, &self->bot_answered, error) ||
       !get_count (inner, "bot.", "handed_to_human", FALSE, &self->bot_handed_to_human, error)))
    return NULL;

  if (!get_object (object, "assistant", FALSE, &inner, error))
    return NULL;
  self->has_assistant = inner != NULL;
  if (inner != NULL &&
      (!get_count (inner, "assistant.", "answers", FALSE, &self->assistant_answers, error) ||
       !get_count (inner, "assistant.", "handoffs", FALSE, &self->assistant_handoffs, error) ||
       !get_count (inner, "assistant.", "helpful", FALSE, &self->assistant_helpful, error) ||
       !get_count (inner, "assistant.", "unhelpful", FALSE, &self->assistant_unhelpful, error) ||
       !get_count (inner, "assistant.", "failures", FALSE, &self->assistant_failures, error)))
    return NULL;

  if (!get_array (object, "per_day", TRUE, &array, error) ||
      !parse_per_day (self, array, error))
    return NULL;
  if (!get_array (object, "per_hour_of_week", TRUE, &array, error) ||
      !parse_per_hour (self, array, error))
    return NULL;
  if (!parse_lists (self, object, error) ||
      !confab_analytics_parse_engage (self, object, error))
    return NULL;
  return g_steal_pointer (&self);
}

ConfabAnalytics *
confab_analytics_parse_data (const char  *data,
                             gsize        len,
                             GError     **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) json_error = NULL;

  object = confab_json_parse_object (data, len, MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, &json_error);
  if (object == NULL)
    {
      invalid (error, "The analytics answer is not a JSON object: %s", json_error->message);
      return NULL;
    }
  return confab_analytics_parse (object, error);
}

/* -------------------------------------------------------------- figures --- */

gboolean
confab_analytics_is_empty (const ConfabAnalytics *self)
{
  return self->conversations == 0 && self->messages_visitor == 0 && self->messages_agent == 0 &&
         self->messages_bot == 0 && self->csat_count == 0 && self->offline_messages == 0;
}

double
confab_analytics_bot_share (const ConfabAnalytics *self)
{
  gint64 answers = self->messages_agent + self->messages_bot;

  return answers > 0 ? (double) self->messages_bot / (double) answers : NAN;
}

gint64
confab_analytics_max_per_day (const ConfabAnalytics *self)
{
  gint64 max = 0;

  for (guint i = 0; i < self->per_day->len; i++)
    max = MAX (max, g_array_index (self->per_day, ConfabAnalyticsDay, i).conversations);
  return max;
}

gint64
confab_analytics_max_per_hour (const ConfabAnalytics *self)
{
  gint64 max = 0;

  for (guint d = 0; d < 7; d++)
    for (guint h = 0; h < 24; h++)
      max = MAX (max, self->per_hour_of_week[d][h]);
  return max;
}

double
confab_analytics_change (double now,
                         double before)
{
  if (isnan (now) || isnan (before) || before == 0)
    return NAN;
  return (now - before) / before;
}

/* ---------------------------------------------------------------- dates --- */

void
confab_analytics_range_dates (ConfabAnalyticsRange  range,
                              const GDate          *today,
                              GDate                *from,
                              GDate                *to)
{
  guint days = range == CONFAB_ANALYTICS_RANGE_30_DAYS ? 30
               : range == CONFAB_ANALYTICS_RANGE_7_DAYS ? 7 : 1;

  g_return_if_fail (g_date_valid (today));
  g_return_if_fail (range != CONFAB_ANALYTICS_RANGE_CUSTOM);

  *to = *today;
  *from = *today;
  /* "7 days" is today and the six before it: today's figures are what one looks for */
  g_date_subtract_days (from, days - 1);
}

void
confab_analytics_previous (const GDate *from,
                           const GDate *to,
                           GDate       *prev_from,
                           GDate       *prev_to)
{
  gint days = g_date_days_between (from, to) + 1;

  g_return_if_fail (days >= 1);
  *prev_to = *from;
  g_date_subtract_days (prev_to, 1);
  *prev_from = *prev_to;
  g_date_subtract_days (prev_from, days - 1);
}

char *
confab_analytics_iso_date (const GDate *date)
{
  return g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                          g_date_get_day (date));
}

gboolean
confab_analytics_parse_date (const char *text,
                             GDate      *date)
{
  unsigned y, m, d;
  char end;

  g_date_clear (date, 1);
  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-' ||
      sscanf (text, "%4u-%2u-%2u%c", &y, &m, &d, &end) != 3)
    return FALSE;
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

static gboolean
is_iana_zone (const char *tz)
{
  /* "Europe/Paris", "America/Argentina/Buenos_Aires": not "/etc/localtime", ":Local", "UTC+2" */
  if (tz == NULL || !g_ascii_isalpha (tz[0]) || strchr (tz, '/') == NULL || strstr (tz, "..") != NULL)
    return FALSE;
  for (const char *p = tz; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/_-+", *p) == NULL)
      return FALSE;
  return TRUE;
}

char *
confab_analytics_path (const char  *site_id,
                       const GDate *from,
                       const GDate *to,
                       const char  *tz,
                       const char  *csv_kind)
{
  g_autofree char *id = g_uri_escape_string (site_id != NULL ? site_id : "all", NULL, FALSE);
  g_autofree char *from_text = confab_analytics_iso_date (from);
  g_autofree char *to_text = confab_analytics_iso_date (to);
  GString *path = g_string_new ("/api/v1/sites/");

  g_string_append_printf (path, "%s/%s?", id, csv_kind != NULL ? "analytics.csv" : "analytics");
  if (csv_kind != NULL)
    {
      g_autofree char *kind = g_uri_escape_string (csv_kind, NULL, FALSE);

      g_string_append_printf (path, "kind=%s&", kind);
    }
  g_string_append_printf (path, "from=%s&to=%s", from_text, to_text);
  if (is_iana_zone (tz))
    {
      g_autofree char *zone = g_uri_escape_string (tz, NULL, FALSE);

      g_string_append_printf (path, "&tz=%s", zone);
    }
  return g_string_free (path, FALSE);
}
