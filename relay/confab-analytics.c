/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics.c: the analytics figures (confab-analytics.h).
 *
 * Days are the calendar days of one time zone: each runs from its local midnight to the next
 * (GDateTime), so a day is as long as the zone says: 23 hours on the day clocks go forward, 25
 * on the day they go back, and the local hour on such a day comes from the offset at that
 * instant. Conversations count on the day they
 * started (their first response, resolution and rating too); messages on the day they were
 * sent. Percentiles are exact, by the nearest-rank method over every value of the range.
 */
#define G_LOG_DOMAIN "confab-analytics"

#include "confab-store-engage.h"
#include "confab-analytics.h"
#include "confab-store-assistant.h"
#include "confab-store-analytics.h"
#include "confab-store-targets.h"
#include "confab-util.h"

#include <math.h>
#include <string.h>

/* 1970-01-01 as g_date_get_julian() counts it */
#define UNIX_EPOCH_JULIAN 719163
#define SECONDS_PER_DAY   86400
#define TOP_N             10
/* A first message is grouped by at most this many characters of its normalised text. */
#define OPENER_MAX_CHARS  200

typedef struct {
  gint64  conversations;
  gint64  messages;
  GArray *first_response;   /* double seconds */
  GArray *resolution;
  gint64  csat_sum;
  gint64  csat_count;
  gint64  targets[2][2];    /* [first, next response][met, missed] */
} DayStats;

typedef struct {
  char   *id;
  char   *name;
  gint64  conversations;
  gint64  messages;
  GArray *first_response;
  gint64  csat_sum;
  gint64  csat_count;
} AgentStats;

struct _ConfabAnalytics
{
  GTimeZone  *zone;
  char       *zone_name;
  GDate       from;
  GDate       to;
  char       *caller_id;
  guint       n_days;
  gint64      from_day;        /* days since 1970-01-01 of @from */
  gint64     *day_starts;      /* n_days + 1 instants (Unix ms): day i is [day_starts[i], [i + 1]) */
  gboolean   *day_steady;      /* the zone's offset is the same all day long */
  gint64      from_ms;         /* the range in Unix ms: [from_ms, to_ms) */
  gint64      to_ms;
  gint64      bucket_ms;       /* message counting slot; divides every day start */

  GPtrArray  *sites;           /* ConfabSite* (copies of the fields used) */
  GHashTable *site_roles;      /* site id → GINT_TO_POINTER (ConfabRole) */

  gint64      conversations;
  gint64      messages[3];     /* visitor, agent, bot */
  gint64      visitors;
  gint64      offline_messages;
  ConfabEngageFigures engage;  /* goals and triggers (issue 16) */
  GArray     *first_response;
  GArray     *resolution;
  gint64      wait_unanswered;
  gint64      csat_count;
  gint64      csat_sum;
  gint64      csat_distribution[5];
  gint64      bot_answered;
  gint64      bot_handed;
  gint64      targets[2][2];   /* [first, next response][met, missed] (confab-store-targets.h) */
  ConfabAssistantCounts assistant; /* confab-store-assistant.h */
  DayStats   *days;
  gint64      hour_of_week[7][24];
  GHashTable *faq_hits;        /* FAQ id → gint64* */
  GHashTable *openers;         /* normalised text → gint64* */
  GHashTable *agents;          /* user id → AgentStats* (only rows the caller may see) */
  JsonArray  *top_faqs;
  GString    *scratch;         /* the current opener, normalised */

  GString    *conversations_csv;
};

static gint64
floor_div (gint64 a,
           gint64 b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
agent_stats_free (AgentStats *agent)
{
  g_free (agent->id);
  g_free (agent->name);
  g_array_unref (agent->first_response);
  g_free (agent);
}

static GArray *
new_values (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

static gint64
day_start_ms (GTimeZone   *zone,
              const GDate *date)
{
  g_autoptr (GDateTime) midnight = g_date_time_new (zone, g_date_get_year (date),
                                                    g_date_get_month (date),
                                                    g_date_get_day (date), 0, 0, 0);

  return g_date_time_to_unix (midnight) * 1000;
}

/* The zone's offset from UTC at @unix_ms, in seconds. GLib finds it by a walk of every
 * transition of the zone, so it is asked once per day, and per time only on a day that has a
 * transition. */
static gint32
zone_offset (GTimeZone *zone,
             gint64     unix_ms)
{
  int interval = g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, floor_div (unix_ms, 1000));

  return g_time_zone_get_offset (zone, MAX (interval, 0));
}

ConfabAnalytics *
confab_analytics_new (GTimeZone   *zone,
                      const char  *zone_name,
                      const GDate *from,
                      const GDate *to,
                      const char  *caller_id)
{
  ConfabAnalytics *analytics = g_new0 (ConfabAnalytics, 1);
  GDate day;

  g_return_val_if_fail (g_date_compare (from, to) <= 0, NULL);

  analytics->zone = g_time_zone_ref (zone);
  analytics->zone_name = g_strdup (zone_name);
  analytics->from = *from;
  analytics->to = *to;
  analytics->caller_id = g_strdup (caller_id);
  analytics->n_days = g_date_days_between (from, to) + 1;
  g_return_val_if_fail (analytics->n_days <= CONFAB_ANALYTICS_MAX_DAYS, NULL);
  analytics->from_day = (gint64) g_date_get_julian (from) - UNIX_EPOCH_JULIAN;

  /* Messages are counted per slot of time in SQL, then each slot goes to its day: 15 minutes
   * when every day of the range starts on a quarter hour (every zone's offset has been a
   * multiple of 15 minutes for decades), else seconds. */
  analytics->bucket_ms = CONFAB_ANALYTICS_SLOT_MS;
  analytics->day_starts = g_new (gint64, analytics->n_days + 1);
  analytics->day_steady = g_new0 (gboolean, analytics->n_days);
  day = *from;
  for (guint i = 0; i <= analytics->n_days; i++)
    {
      analytics->day_starts[i] = day_start_ms (zone, &day);
      if (analytics->day_starts[i] % analytics->bucket_ms != 0)
        analytics->bucket_ms = 1000;
      g_date_add_days (&day, 1);
    }
  analytics->from_ms = analytics->day_starts[0];
  analytics->to_ms = analytics->day_starts[analytics->n_days];
  for (guint i = 0; i < analytics->n_days; i++)
    analytics->day_steady[i] = zone_offset (zone, analytics->day_starts[i]) ==
                               zone_offset (zone, analytics->day_starts[i + 1] - 1);

  analytics->sites = g_ptr_array_new_with_free_func (g_free);
  analytics->site_roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  analytics->first_response = new_values ();
  analytics->resolution = new_values ();
  analytics->days = g_new0 (DayStats, analytics->n_days);
  for (guint i = 0; i < analytics->n_days; i++)
    {
      analytics->days[i].first_response = new_values ();
      analytics->days[i].resolution = new_values ();
    }
  analytics->faq_hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  analytics->openers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  analytics->agents = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) agent_stats_free);
  analytics->top_faqs = json_array_new ();
  analytics->scratch = g_string_new (NULL);
  return analytics;
}

void
confab_analytics_free (ConfabAnalytics *analytics)
{
  if (analytics == NULL)
    return;
  g_time_zone_unref (analytics->zone);
  g_free (analytics->zone_name);
  g_free (analytics->caller_id);
  g_ptr_array_unref (analytics->sites);
  g_hash_table_unref (analytics->site_roles);
  g_array_unref (analytics->first_response);
  g_array_unref (analytics->resolution);
  for (guint i = 0; i < analytics->n_days; i++)
    {
      g_array_unref (analytics->days[i].first_response);
      g_array_unref (analytics->days[i].resolution);
    }
  g_free (analytics->days);
  g_free (analytics->day_starts);
  g_free (analytics->day_steady);
  g_hash_table_unref (analytics->faq_hits);
  g_hash_table_unref (analytics->openers);
  g_hash_table_unref (analytics->agents);
  json_array_unref (analytics->top_faqs);
  g_string_free (analytics->scratch, TRUE);
  g_free (analytics);
}

void
confab_analytics_add_site (ConfabAnalytics  *analytics,
                           const ConfabSite *site)
{
  g_ptr_array_add (analytics->sites, g_strdup (site->id));
  g_hash_table_replace (analytics->site_roles, g_strdup (site->id), GINT_TO_POINTER (site->role));
}

/* --- days --- */

/* The index of @unix_ms's day in the range, -1 outside it. */
static int
day_index (ConfabAnalytics *analytics,
           gint64           unix_ms)
{
  guint low = 0, high = analytics->n_days;

  if (unix_ms < analytics->from_ms || unix_ms >= analytics->to_ms)
    return -1;
  /* day_starts[low] <= unix_ms < day_starts[high] */
  while (high - low > 1)
    {
      guint middle = (low + high) / 2;

      if (analytics->day_starts[middle] <= unix_ms)
        low = middle;
      else
        high = middle;
    }
  return (int) low;
}

/* The local hour (0..23) of @unix_ms, in day @day of the range. */
static int
local_hour (ConfabAnalytics *analytics,
            int              day,
            gint64           unix_ms)
{
  gint64 local;

  if (analytics->day_steady[day])
    return (int) ((unix_ms - analytics->day_starts[day]) / 3600000);
  local = floor_div (unix_ms, 1000) + zone_offset (analytics->zone, unix_ms);
  return (int) ((local - floor_div (local, SECONDS_PER_DAY) * SECONDS_PER_DAY) / 3600);
}

/* --- people --- */

/* Whether the caller may see figures of @user_id on @site_id: their own always, anyone's on
 * sites they administer. */
static gboolean
may_see_agent (ConfabAnalytics *analytics,
               const char      *user_id,
               const char      *site_id)
{
  if (user_id == NULL)
    return FALSE;
  if (g_strcmp0 (user_id, analytics->caller_id) == 0)
    return TRUE;
  return GPOINTER_TO_INT (g_hash_table_lookup (analytics->site_roles, site_id)) >= CONFAB_ROLE_ADMIN;
}

static void
add_agent (ConfabAnalytics *analytics,
           const char      *user_id,
           const char      *name)
{
  AgentStats *agent;

  if (g_hash_table_contains (analytics->agents, user_id))
    return;
  agent = g_new0 (AgentStats, 1);
  agent->id = g_strdup (user_id);
  agent->name = g_strdup (name);
  agent->first_response = new_values ();
  g_hash_table_insert (analytics->agents, agent->id, agent);
}

/* The agent row of @user_id on @site_id, NULL when the caller may not see it or @user_id is no
 * longer a member (their work still counts in the site's figures). */
static AgentStats *
agent_row (ConfabAnalytics *analytics,
           const char      *user_id,
           const char      *site_id)
{
  if (!may_see_agent (analytics, user_id, site_id))
    return NULL;
  return g_hash_table_lookup (analytics->agents, user_id);
}

/* --- first messages --- */

/* Lower case, white space runs made one space, no white space or punctuation at the ends:
 * "  Hello,   where is my ORDER?? " → "hello, where is my order", into @out (emptied first;
 * empty when nothing is left). Runs for every conversation: ASCII, the usual case, takes no
 * allocation. */
static void
normalise_opener (const char *text,
                  GString    *out)
{
  g_autofree char *lower = NULL;
  gboolean space = FALSE;
  glong chars = 0;

  g_string_truncate (out, 0);
  if (text == NULL)
    return;
  for (const char *p = text; *p; p++)
    if ((guchar) *p >= 0x80)
      {
        if (!g_utf8_validate (text, -1, NULL))
          return;
        text = lower = g_utf8_strdown (text, -1);
        break;
      }

  for (const char *p = text; *p && chars < OPENER_MAX_CHARS; p = g_utf8_next_char (p))
    {
      gunichar c = (guchar) *p < 0x80 ? (gunichar) g_ascii_tolower (*p) : g_utf8_get_char (p);

      if (c < 0x80 ? g_ascii_isspace (c) : g_unichar_isspace (c))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        {
          g_string_append_c (out, ' ');
          chars++;
          space = FALSE;
        }
      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else
        g_string_append_unichar (out, c);
      chars++;
    }

  /* trailing punctuation (and the space before it): "order ?!" and "order" are one opener */
  while (out->len > 0)
    {
      char *last = g_utf8_find_prev_char (out->str, out->str + out->len);
      gunichar c = g_utf8_get_char (last);

      if (!g_unichar_ispunct (c) && !g_unichar_isspace (c))
        break;
      g_string_truncate (out, last - out->str);
    }
}

static void
count_in (GHashTable *table,
          const char *key,
          gint64      n)
{
  gint64 *count = g_hash_table_lookup (table, key);

  if (count == NULL)
    {
      count = g_new0 (gint64, 1);
      g_hash_table_insert (table, g_strdup (key), count);
    }
  *count += n;
}

/* --- CSV --- */

void
confab_csv_append_cell (GString    *csv,
                        const char *text)
{
  gboolean formula, quote;

  if (text == NULL || *text == '\0')
    return;

  /* A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection") */
  formula = strchr ("=+-@\t\r", text[0]) != NULL;
  quote = formula || strpbrk (text, ",\"\r\n") != NULL;

  if (quote)
    g_string_append_c (csv, '"');
  if (formula)
    g_string_append_c (csv, '\'');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  if (quote)
    g_string_append_c (csv, '"');
}

static void
csv_append_number (GString *csv,
                   double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return;
  g_string_append (csv, g_ascii_formatd (buf, sizeof buf, "%.3f", value));
}

static void
csv_append_time (GString *csv,
                 gint64   unix_ms)
{
  g_autofree char *text = unix_ms >= 0 ? confab_format_time (unix_ms) : NULL;

  confab_csv_append_cell (csv, text);
}

typedef struct {
  const char *key;
  gint64      count;
} Ranked;

static int
compare_ranked (gconstpointer a,
                gconstpointer b)
{
  const Ranked *x = a, *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp (x->key, y->key);
}

/* The entries of @table (key → gint64*) by count, most first, ties by key. */
static GArray *
ranked (GHashTable *table)
{
  GArray *list = g_array_new (FALSE, FALSE, sizeof (Ranked));
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Ranked entry = { key, *(gint64 *) value };

      g_array_append_val (list, entry);
    }
  g_array_sort (list, compare_ranked);
  return list;
}

/* --- rows --- */

static gboolean
add_conversation (const ConfabAnalyticsConversation *row,
                  gpointer                           user_data)
{
  ConfabAnalytics *analytics = user_data;
  int day = day_index (analytics, row->created_at);
  int weekday, hour;
  gboolean resolved = g_strcmp0 (row->status, "resolved") == 0 || g_strcmp0 (row->status, "closed") == 0;
  double first_response = NAN, resolution = NAN;
  AgentStats *assignee = agent_row (analytics, row->assignee_id, row->site_id);

  if (day < 0)
    return TRUE;

  /* 1970-01-01 was a Thursday: Monday is 0 */
  weekday = (int) (((analytics->from_day + day + 3) % 7 + 7) % 7);
  hour = CLAMP (local_hour (analytics, day, row->created_at), 0, 23);
  analytics->conversations++;
  analytics->days[day].conversations++;
  analytics->hour_of_week[weekday][hour]++;
  if (assignee != NULL)
    assignee->conversations++;

  if (row->first_visitor_at >= 0 && row->first_reply_at >= 0)
    {
      AgentStats *replier = agent_row (analytics, row->first_reply_by, row->site_id);

      first_response = MAX (row->first_reply_at - row->first_visitor_at, 0) / 1000.0;
      g_array_append_val (analytics->first_response, first_response);
      g_array_append_val (analytics->days[day].first_response, first_response);
      if (replier != NULL)
        g_array_append_val (replier->first_response, first_response);
    }
  else if (row->first_visitor_at >= 0 && !resolved)
    analytics->wait_unanswered++;

  if (resolved && row->resolved_at >= 0)
    {
      resolution = MAX (row->resolved_at - row->created_at, 0) / 1000.0;
      g_array_append_val (analytics->resolution, resolution);
      g_array_append_val (analytics->days[day].resolution, resolution);
    }

  if (row->rating >= 1 && row->rating <= 5)
    {
      analytics->csat_count++;
      analytics->csat_sum += row->rating;
      analytics->csat_distribution[row->rating - 1]++;
      analytics->days[day].csat_count++;
      analytics->days[day].csat_sum += row->rating;
      if (assignee != NULL)
        {
          assignee->csat_count++;
          assignee->csat_sum += row->rating;
        }
    }

  if (row->bot_answered)
    {
      if (row->person_involved)
        analytics->bot_handed++;
      else
        analytics->bot_answered++;
    }

  normalise_opener (row->first_visitor_body, analytics->scratch);
  if (analytics->scratch->len > 0)
    count_in (analytics->openers, analytics->scratch->str, 1);

  if (analytics->conversations_csv != NULL)
    {
      GString *csv = analytics->conversations_csv;
      char rating[4];

      confab_csv_append_cell (csv, row->id);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->site_id);
      g_string_append_c (csv, ',');
      csv_append_time (csv, row->created_at);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->status);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->visitor_id);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->visitor_name);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->visitor_email);
      g_string_append_c (csv, ',');
      confab_csv_append_cell (csv, row->assignee_id);
      g_string_append_c (csv, ',');
      csv_append_number (csv, first_response);
      g_string_append_c (csv, ',');
      csv_append_number (csv, resolution);
      g_string_append_c (csv, ',');
      g_snprintf (rating, sizeof rating, "%d", row->rating);
      confab_csv_append_cell (csv, row->rating > 0 ? rating : NULL);
      g_string_append_c (csv, ',');
      g_string_append (csv, row->bot_answered ? "true" : "false");
      g_string_append (csv, "\r\n");
    }
  return TRUE;
}

static gboolean
add_messages (gint64      bucket,
              const char *sender_type,
              const char *sender_id,
              const char *site_id,
              gint64      count,
              gpointer    user_data)
{
  ConfabAnalytics *analytics = user_data;
  int day = day_index (analytics, bucket * analytics->bucket_ms);

  if (day < 0)
    return TRUE;
  if (sender_id != NULL && *sender_id == '\0')
    sender_id = NULL;

  analytics->days[day].messages += count;
  if (g_strcmp0 (sender_type, "visitor") == 0)
    analytics->messages[0] += count;
  else if (g_strcmp0 (sender_type, "agent") == 0)
    {
      AgentStats *agent = agent_row (analytics, sender_id, site_id);

      analytics->messages[1] += count;
      if (agent != NULL)
        agent->messages += count;
    }
  else if (g_strcmp0 (sender_type, "bot") == 0)
    {
      analytics->messages[2] += count;
      if (sender_id != NULL)
        count_in (analytics->faq_hits, sender_id, count);
    }
  return TRUE;
}

static gboolean
add_target (const char       *site_id,
            gint64            started_at,
            ConfabTargetKind  kind,
            gboolean          met,
            gpointer          user_data)
{
  ConfabAnalytics *analytics = user_data;
  int day = day_index (analytics, started_at);
  int k = kind == CONFAB_TARGET_NEXT_RESPONSE ? 1 : 0;

  if (day < 0 || kind == CONFAB_TARGET_NONE)
    return TRUE;
  analytics->targets[k][met ? 0 : 1]++;
  analytics->days[day].targets[k][met ? 0 : 1]++;
  return TRUE;
}

static char *
sites_to_json (GPtrArray *sites)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < sites->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (sites, i));
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
confab_analytics_compute (ConfabAnalytics  *analytics,
                          ConfabStore      *store,
                          GString          *conversations_csv,
                          GError          **error)
{
  g_autofree char *sites_json = sites_to_json (analytics->sites);

  /* The rows the caller may see: everyone on sites they administer, themselves elsewhere */
  for (guint i = 0; i < analytics->sites->len; i++)
    {
      const char *site_id = g_ptr_array_index (analytics->sites, i);
      g_autoptr (GPtrArray) members = confab_store_list_members (store, site_id, error);

      if (members == NULL)
        return FALSE;
      for (guint j = 0; j < members->len; j++)
        {
          ConfabMember *member = g_ptr_array_index (members, j);

          if (may_see_agent (analytics, member->user_id, site_id))
            add_agent (analytics, member->user_id, member->name);
        }
    }

  analytics->conversations_csv = conversations_csv;
  if (conversations_csv != NULL)
    g_string_append (conversations_csv,
                     "id,site_id,started_at,status,visitor_id,visitor_name,visitor_email,"
                     "assignee_id,first_response_seconds,resolution_seconds,rating,bot_answered\r\n");

  if (!confab_store_analytics_conversations (store, sites_json, analytics->from_ms,
                                             analytics->to_ms, conversations_csv != NULL,
                                             add_conversation, analytics, error) ||
      !confab_store_analytics_messages (store, sites_json, analytics->from_ms, analytics->to_ms,
                                        analytics->bucket_ms, add_messages, analytics, error) ||
      !confab_store_analytics_targets (store, sites_json, analytics->from_ms, analytics->to_ms,
                                       add_target, analytics, error))
    return FALSE;
  analytics->conversations_csv = NULL;

  {
    g_autoptr (GArray) faqs = ranked (analytics->faq_hits);

    for (guint i = 0; i < faqs->len && json_array_get_length (analytics->top_faqs) < TOP_N; i++)
      {
        Ranked *entry = &g_array_index (faqs, Ranked, i);
        g_autofree char *question = confab_store_analytics_faq_question (store, entry->key);
        JsonObject *object;

        /* a deleted FAQ has no question to show; its answers still count as bot messages */
        if (question == NULL)
          continue;
        object = json_object_new ();
        json_object_set_string_member (object, "faq_id", entry->key);
        json_object_set_string_member (object, "question", question);
        json_object_set_int_member (object, "hits", entry->count);
        json_array_add_object_element (analytics->top_faqs, object);
      }
  }

  for (guint i = 0; i < analytics->sites->len; i++)
    {
      ConfabAssistantCounts counts;

      if (!confab_store_assistant_counts (store, g_ptr_array_index (analytics->sites, i),
                                          analytics->from_ms, analytics->to_ms, &counts, error))
        return FALSE;
      analytics->assistant.answers += counts.answers;
      analytics->assistant.unknown += counts.unknown;
      analytics->assistant.handoffs += counts.handoffs;
      analytics->assistant.helpful += counts.helpful;
      analytics->assistant.unhelpful += counts.unhelpful;
      analytics->assistant.failures += counts.failures;
    }

  analytics->visitors = confab_store_analytics_visitors (store, sites_json, analytics->from_ms,
                                                         analytics->to_ms, error);
  if (analytics->visitors < 0)
    return FALSE;
  analytics->offline_messages = confab_store_analytics_offline (store, sites_json,
                                                                analytics->from_ms,
                                                                analytics->to_ms, error);
  return analytics->offline_messages >= 0 &&
         confab_store_analytics_engage (store, sites_json, analytics->from_ms, analytics->to_ms,
                                        &analytics->engage, error);
}

/* --- answers --- */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
confab_analytics_percentile (GArray *values,
                             double  p)
{
  gsize rank;

  if (values->len == 0)
    return NAN;
  /* asked for p50 and then p90: sort once */
  for (guint i = 1; i < values->len; i++)
    if (g_array_index (values, double, i - 1) > g_array_index (values, double, i))
      {
        g_array_sort (values, compare_doubles);
        break;
      }
  /* nearest rank: ceil (p / 100 × n), 1-based; the epsilon keeps 0.5 × 10 at 5 */
  rank = (gsize) ceil (p / 100.0 * values->len - 1e-9);
  rank = CLAMP (rank, 1, values->len);
  return g_array_index (values, double, rank - 1);
}

static void
set_number_or_null (JsonObject *object,
                    const char *member,
                    double      value)
{
  if (isnan (value))
    json_object_set_null_member (object, member);
  else
    json_object_set_double_member (object, member, value);
}

static double
average (gint64 sum,
         gint64 count)
{
  return count > 0 ? (double) sum / count : NAN;
}

static JsonObject *
times_json (GArray *values)
{
  JsonObject *object = json_object_new ();

  set_number_or_null (object, "p50", confab_analytics_percentile (values, 50));
  set_number_or_null (object, "p90", confab_analytics_percentile (values, 90));
  json_object_set_int_member (object, "count", values->len);
  return object;
}

static int
compare_agents (gconstpointer a,
                gconstpointer b)
{
  const AgentStats *x = *(AgentStats * const *) a, *y = *(AgentStats * const *) b;
  int by_name;

  if (x->conversations != y->conversations)
    return x->conversations > y->conversations ? -1 : 1;
  if ((by_name = g_strcmp0 (x->name, y->name)) != 0)
    return by_name;
  return strcmp (x->id, y->id);
}

JsonObject *
confab_analytics_to_json (ConfabAnalytics *analytics,
                          const char      *scope)
{
  JsonObject *answer = json_object_new ();
  JsonObject *object;
  JsonArray *array;
  char date[16];

  json_object_set_string_member (answer, "site_id", scope);
  g_date_strftime (date, sizeof date, "%Y-%m-%d", &analytics->from);
  json_object_set_string_member (answer, "from", date);
  g_date_strftime (date, sizeof date, "%Y-%m-%d", &analytics->to);
  json_object_set_string_member (answer, "to", date);
  json_object_set_string_member (answer, "timezone", analytics->zone_name);
  json_object_set_int_member (answer, "conversations", analytics->conversations);

  object = json_object_new ();
  json_object_set_int_member (object, "visitor", analytics->messages[0]);
  json_object_set_int_member (object, "agent", analytics->messages[1]);
  json_object_set_int_member (object, "bot", analytics->messages[2]);
  json_object_set_object_member (answer, "messages", object);

  json_object_set_int_member (answer, "visitors", analytics->visitors);
  json_object_set_int_member (answer, "offline_messages", analytics->offline_messages);
  /* issue 16: goals reached (after_conversation: within 7 days after a conversation of the
   * visitor's) and the triggers' greetings (conversations: those the visitor answered) */
  object = json_object_new ();
  json_object_set_int_member (object, "count", analytics->engage.goals);
  json_object_set_double_member (object, "value", analytics->engage.goals_value);
  json_object_set_int_member (object, "visitors", analytics->engage.goal_visitors);
  json_object_set_int_member (object, "after_conversation", analytics->engage.goals_after_conversation);
  json_object_set_object_member (answer, "goals", object);
  object = json_object_new ();
  json_object_set_int_member (object, "fired", analytics->engage.triggers_fired);
  json_object_set_int_member (object, "conversations", analytics->engage.trigger_conversations);
  json_object_set_object_member (answer, "triggers", object);
  json_object_set_object_member (answer, "first_response_seconds", times_json (analytics->first_response));
  json_object_set_object_member (answer, "resolution_seconds", times_json (analytics->resolution));
  json_object_set_int_member (answer, "wait_unanswered", analytics->wait_unanswered);

  object = json_object_new ();
  set_number_or_null (object, "average", average (analytics->csat_sum, analytics->csat_count));
  json_object_set_int_member (object, "count", analytics->csat_count);
  {
    JsonObject *distribution = json_object_new ();

    for (int i = 0; i < 5; i++)
      {
        char score[2] = { '1' + i, '\0' };

        json_object_set_int_member (distribution, score, analytics->csat_distribution[i]);
      }
    json_object_set_object_member (object, "distribution", distribution);
  }
  json_object_set_object_member (answer, "csat", object);

  object = json_object_new ();
  json_object_set_int_member (object, "answered", analytics->bot_answered);
  json_object_set_int_member (object, "handed_to_human", analytics->bot_handed);
  json_object_set_object_member (answer, "bot", object);

  /* response-time targets started in the range, met or missed */
  object = json_object_new ();
  for (int k = 0; k < 2; k++)
    {
      JsonObject *counts = json_object_new ();

      json_object_set_int_member (counts, "met", analytics->targets[k][0]);
      json_object_set_int_member (counts, "missed", analytics->targets[k][1]);
      json_object_set_object_member (object, k == 0 ? "first_response" : "next_response", counts);
    }
  json_object_set_object_member (answer, "targets", object);
  /* the assistant (issue 16): its answers from the model, "I don't know"s, visitors who then
   * asked for a person, their votes, and the model's failures (the FAQ bot answered) */
  object = json_object_new ();
  json_object_set_int_member (object, "answers", analytics->assistant.answers);
  json_object_set_int_member (object, "unknown", analytics->assistant.unknown);
  json_object_set_int_member (object, "handoffs", analytics->assistant.handoffs);
  json_object_set_int_member (object, "helpful", analytics->assistant.helpful);
  json_object_set_int_member (object, "unhelpful", analytics->assistant.unhelpful);
  json_object_set_int_member (object, "failures", analytics->assistant.failures);
  json_object_set_object_member (answer, "assistant", object);

  array = json_array_new ();
  {
    GDate day = analytics->from;

    for (guint i = 0; i < analytics->n_days; i++, g_date_add_days (&day, 1))
      {
        DayStats *stats = &analytics->days[i];

        object = json_object_new ();
        g_date_strftime (date, sizeof date, "%Y-%m-%d", &day);
        json_object_set_string_member (object, "date", date);
        json_object_set_int_member (object, "conversations", stats->conversations);
        json_object_set_int_member (object, "messages", stats->messages);
        set_number_or_null (object, "first_response_p50",
                            confab_analytics_percentile (stats->first_response, 50));
        set_number_or_null (object, "resolution_p50",
                            confab_analytics_percentile (stats->resolution, 50));
        set_number_or_null (object, "csat_average", average (stats->csat_sum, stats->csat_count));
        json_object_set_int_member (object, "targets_met", stats->targets[0][0] + stats->targets[1][0]);
        json_object_set_int_member (object, "targets_missed", stats->targets[0][1] + stats->targets[1][1]);
        json_array_add_object_element (array, object);
      }
  }
  json_object_set_array_member (answer, "per_day", array);

  array = json_array_new ();
  for (int d = 0; d < 7; d++)
    {
      JsonArray *hours = json_array_new ();

      for (int h = 0; h < 24; h++)
        json_array_add_int_element (hours, analytics->hour_of_week[d][h]);
      json_array_add_array_element (array, hours);
    }
  json_object_set_array_member (answer, "per_hour_of_week", array);

  json_object_set_array_member (answer, "top_faqs", json_array_ref (analytics->top_faqs));

  array = json_array_new ();
  {
    g_autoptr (GArray) openers = ranked (analytics->openers);

    for (guint i = 0; i < openers->len && i < TOP_N; i++)
      {
        Ranked *entry = &g_array_index (openers, Ranked, i);

        object = json_object_new ();
        json_object_set_string_member (object, "text", entry->key);
        json_object_set_int_member (object, "count", entry->count);
        json_array_add_object_element (array, object);
      }
  }
  json_object_set_array_member (answer, "top_first_messages", array);

  array = json_array_new ();
  {
    g_autoptr (GPtrArray) agents = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, analytics->agents);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (agents, value);
    g_ptr_array_sort (agents, compare_agents);
    for (guint i = 0; i < agents->len; i++)
      {
        AgentStats *agent = g_ptr_array_index (agents, i);

        object = json_object_new ();
        json_object_set_string_member (object, "agent_id", agent->id);
        if (agent->name != NULL)
          json_object_set_string_member (object, "name", agent->name);
        else
          json_object_set_null_member (object, "name");
        json_object_set_int_member (object, "conversations", agent->conversations);
        json_object_set_int_member (object, "messages", agent->messages);
        set_number_or_null (object, "first_response_p50",
                            confab_analytics_percentile (agent->first_response, 50));
        set_number_or_null (object, "csat_average", average (agent->csat_sum, agent->csat_count));
        json_array_add_object_element (array, object);
      }
  }
  json_object_set_array_member (answer, "agents", array);

  return answer;
}

char *
confab_analytics_daily_csv (ConfabAnalytics *analytics)
{
  GString *csv = g_string_new ("date,conversations,messages,first_response_p50,resolution_p50,"
                               "csat_average,first_response_met,first_response_missed,"
                               "next_response_met,next_response_missed\r\n");
  GDate day = analytics->from;

  for (guint i = 0; i < analytics->n_days; i++, g_date_add_days (&day, 1))
    {
      DayStats *stats = &analytics->days[i];
      char date[16];

      g_date_strftime (date, sizeof date, "%Y-%m-%d", &day);
      g_string_append_printf (csv, "%s,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",", date,
                              stats->conversations, stats->messages);
      csv_append_number (csv, confab_analytics_percentile (stats->first_response, 50));
      g_string_append_c (csv, ',');
      csv_append_number (csv, confab_analytics_percentile (stats->resolution, 50));
      g_string_append_c (csv, ',');
      csv_append_number (csv, average (stats->csat_sum, stats->csat_count));
      g_string_append_printf (csv, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                              ",%" G_GINT64_FORMAT "\r\n", stats->targets[0][0], stats->targets[0][1],
                              stats->targets[1][0], stats->targets[1][1]);
    }
  return g_string_free (csv, FALSE);
}
