/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-analytics.c: GET /api/v1/sites/{id|all}/analytics and .../analytics.csv.
 *
 * Any member of a site may read its figures (an agent sees only their own row of "agents");
 * "all" aggregates every site the caller belongs to. The range is whole calendar days in the
 * site's working-hours zone, else the tz parameter's, else UTC.
 */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-analytics.h"
#include "confab-analytics.h"
#include "confab-store-analytics.h"
#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

/* The days a range has when from is not given: today and the 29 before. */
#define DEFAULT_DAYS 30

gboolean
confab_api_analytics_is_resource (const char *name)
{
  return g_strcmp0 (name, "analytics") == 0 || g_strcmp0 (name, "analytics.csv") == 0;
}

static const char *
query_param (ConfabApiCall *call,
             const char    *name)
{
  const char *value = call->query ? g_hash_table_lookup (call->query, name) : NULL;

  return value != NULL && *value != '\0' ? value : NULL;
}

/* YYYY-MM-DD, a real day of the years 1970 to 9998 (the day after a range's end must be one
 * GDateTime can hold) */
static gboolean
parse_date (const char *text,
            GDate      *out_date)
{
  guint year, month, day;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;

  year = g_ascii_strtoull (text, NULL, 10);
  month = g_ascii_strtoull (text + 5, NULL, 10);
  day = g_ascii_strtoull (text + 8, NULL, 10);
  if (year < 1970 || year > 9998 || !g_date_valid_dmy (day, month, year))
    return FALSE;
  g_date_clear (out_date, 1);
  g_date_set_dmy (out_date, day, month, year);
  return TRUE;
}

/* The zone named @name, NULL when GLib does not know it (or it is not a zone name at all:
 * g_time_zone_new_identifier() would open a path) */
static GTimeZone *
zone_new (const char *name)
{
  if (!confab_is_iana_zone_name (name))
    return NULL;
  return g_time_zone_new_identifier (name);
}

/* The site's working_hours.timezone, NULL when it has none */
static char *
site_zone_name (const ConfabSite *site)
{
  g_autoptr (JsonObject) settings = NULL;
  JsonNode *node;

  if (site->settings_json == NULL)
    return NULL;
  settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                       G_MAXSIZE, 32, NULL);
  if (settings == NULL || (node = json_object_get_member (settings, "working_hours")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  node = json_object_get_member (json_node_get_object (node), "timezone");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* The sites of the request: {id} when it is one of the caller's, or all of theirs; NULL after
 * answering 404. */
static GPtrArray *
scope_sites (ConfabApiCall *call,
             const char    *scope)
{
  ConfabStore *store = call->relay->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  ConfabSite *site;

  if (strcmp (scope, "all") == 0)
    {
      sites = confab_store_list_sites_for_user (store, call->user->id, &error);
      if (sites == NULL)
        confab_http_gerror (call->msg, error);
      return g_steal_pointer (&sites);
    }

  /* unknown and foreign sites look the same */
  site = confab_store_get_site (store, scope, NULL);
  if (site == NULL || (site->role = confab_api_role (call, site->id)) == CONFAB_ROLE_NONE)
    {
      confab_site_free (site);
      confab_api_not_found (call);
      return NULL;
    }
  sites = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_site_free);
  g_ptr_array_add (sites, site);
  return g_steal_pointer (&sites);
}

/* --- the work, off the main loop --- */

/* A year of a busy site takes the relay a third of a second of CPU (bench/analytics): on the
 * main loop that would hold up every live message meanwhile. The figures are computed on a
 * worker thread over a read-only connection of its own; the request waits, paused. */
#define WORKER_THREADS 2
/* requests computing or waiting for a worker; more get 503 overloaded */
#define MAX_JOBS       16

typedef struct {
  SoupServerMessage *msg;
  char              *db_path;      /* what the worker opens */
  ConfabAnalytics   *analytics;
  char              *scope;
  char              *kind;         /* NULL: the JSON answer */
  char              *disposition;
  JsonObject        *answer;
  char              *text;         /* the CSV */
  GError            *error;
} Job;

static GThreadPool  *workers;
static GMainContext *main_context;
static guint         n_jobs;

static void
job_free (Job *job)
{
  g_object_unref (job->msg);
  confab_analytics_free (job->analytics);
  g_free (job->scope);
  g_free (job->kind);
  g_free (job->disposition);
  g_free (job->db_path);
  g_clear_pointer (&job->answer, json_object_unref);
  g_free (job->text);
  g_clear_error (&job->error);
  g_free (job);
}

/* On a worker, or on the main loop for a store with no file to open twice */
static void
compute (Job         *job,
         ConfabStore *store)
{
  g_autoptr (GString) conversations = NULL;

  if (g_strcmp0 (job->kind, "conversations") == 0)
    conversations = g_string_new (NULL);
  if (!confab_analytics_compute (job->analytics, store, conversations, &job->error))
    return;
  if (job->kind == NULL)
    job->answer = confab_analytics_to_json (job->analytics, job->scope);
  else if (conversations != NULL)
    job->text = g_string_free (g_steal_pointer (&conversations), FALSE);
  else
    job->text = confab_analytics_daily_csv (job->analytics);
}

static void
answer (Job *job)
{
  SoupServerMessage *msg = job->msg;
  gsize len;

  if (job->error != NULL)
    return confab_http_gerror (msg, job->error);
  if (job->answer != NULL)
    return confab_http_json_object (msg, SOUP_STATUS_OK, job->answer);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Disposition", job->disposition);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  len = strlen (job->text);
  soup_server_message_set_response (msg, "text/csv; charset=utf-8; header=present",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&job->text), len);
}

static gboolean
job_done (gpointer user_data)
{
  Job *job = user_data;

  n_jobs--;
  answer (job);
  soup_server_message_unpause (job->msg);
  job_free (job);
  return G_SOURCE_REMOVE;
}

/* Each worker keeps its connection: SQLite's page cache and the prepared statements stay warm
 * from one request to the next (a new connection per request cost half again as much CPU).
 * Between queries it holds no transaction, so it never stops a checkpoint. */
static GPrivate worker_reader = G_PRIVATE_INIT ((GDestroyNotify) confab_store_close);

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  ConfabStore *reader = g_private_get (&worker_reader);

  if (reader == NULL)
    {
      reader = confab_store_analytics_open_reader (job->db_path, &job->error);
      g_private_set (&worker_reader, reader);
    }
  if (reader != NULL)
    compute (job, reader);
  g_main_context_invoke (main_context, job_done, job);
}

static void
start_job (ConfabRelay *relay,
           Job         *job)
{
  g_autoptr (GError) error = NULL;

  /* a store in memory (tests of the store alone) has no second connection: answer here */
  job->db_path = confab_store_analytics_reader_path (relay->store);
  if (job->db_path == NULL)
    {
      compute (job, relay->store);
      answer (job);
      return job_free (job);
    }

  if (n_jobs >= MAX_JOBS)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (job->msg),
                                    "Retry-After", "1");
      confab_http_error (job->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "overloaded",
                         "Too many analytics requests are being answered; try again in a second");
      return job_free (job);
    }

  if (workers == NULL)
    {
      main_context = g_main_context_ref_thread_default ();
      workers = g_thread_pool_new (run_job, NULL, WORKER_THREADS, FALSE, &error);
      g_assert_no_error (error);
    }

  n_jobs++;
  soup_server_message_pause (job->msg);
  g_thread_pool_push (workers, job, NULL);
}

void
confab_api_analytics (ConfabApiCall  *call,
                      const char     *scope,
                      const char     *resource,
                      char          **rest)
{
  const char *from_text = query_param (call, "from");
  const char *to_text = query_param (call, "to");
  const char *tz_text = query_param (call, "tz");
  const char *kind = query_param (call, "kind");
  gboolean csv = strcmp (resource, "analytics.csv") == 0;
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (ConfabAnalytics) analytics = NULL;
  g_autofree char *zone_name = NULL;
  char from_date[16], to_date[16];
  GDate from, to;
  Job *job;

  if (rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  if ((sites = scope_sites (call, scope)) == NULL)
    return;

  /* Every parameter is checked, even one the site's own zone makes moot */
  if (tz_text != NULL && (zone = zone_new (tz_text)) == NULL)
    return confab_api_bad_value (call, "“tz” is not a time zone this relay knows; use an IANA "
                                       "name such as “Europe/Berlin” or “UTC”");
  if (from_text != NULL && !parse_date (from_text, &from))
    return confab_api_bad_value (call, "“from” must be a day as YYYY-MM-DD from 1970 to 9998, e.g. 2026-11-01");
  if (to_text != NULL && !parse_date (to_text, &to))
    return confab_api_bad_value (call, "“to” must be a day as YYYY-MM-DD from 1970 to 9998, e.g. 2026-11-30");
  if (csv && kind == NULL)
    kind = "daily";
  if (csv && strcmp (kind, "daily") != 0 && strcmp (kind, "conversations") != 0)
    return confab_api_bad_value (call, "“kind” must be daily or conversations");

  if (sites->len == 1 && strcmp (scope, "all") != 0)
    {
      zone_name = site_zone_name (g_ptr_array_index (sites, 0));
      if (zone_name != NULL)
        {
          g_autoptr (GTimeZone) site_zone = zone_new (zone_name);

          if (site_zone != NULL)
            {
              g_clear_pointer (&zone, g_time_zone_unref);
              zone = g_steal_pointer (&site_zone);
            }
          else
            g_clear_pointer (&zone_name, g_free);
        }
    }
  if (zone_name == NULL && zone != NULL)
    zone_name = g_strdup (tz_text);
  if (zone == NULL)
    {
      zone = g_time_zone_new_utc ();
      zone_name = g_strdup ("UTC");
    }

  if (to_text == NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now (zone);

      g_date_clear (&to, 1);
      g_date_set_dmy (&to, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                      g_date_time_get_year (now));
    }
  if (from_text == NULL)
    {
      from = to;
      g_date_subtract_days (&from, DEFAULT_DAYS - 1);
    }

  if (g_date_compare (&from, &to) > 0)
    return confab_api_bad_value (call, "“from” is after “to”: the range is from one day to "
                                       "another, both included");
  if (g_date_days_between (&from, &to) + 1 > CONFAB_ANALYTICS_MAX_DAYS)
    return confab_api_bad_value (call, "The range is longer than 400 days; ask for a shorter one");

  analytics = confab_analytics_new (zone, zone_name, &from, &to, call->user->id);
  for (guint i = 0; i < sites->len; i++)
    confab_analytics_add_site (analytics, g_ptr_array_index (sites, i));

  job = g_new0 (Job, 1);
  job->msg = g_object_ref (call->msg);
  job->analytics = g_steal_pointer (&analytics);
  job->scope = g_strdup (scope);
  job->kind = csv ? g_strdup (kind) : NULL;
  g_date_strftime (from_date, sizeof from_date, "%Y-%m-%d", &from);
  g_date_strftime (to_date, sizeof to_date, "%Y-%m-%d", &to);
  /* the scope is a site id or "all": letters, digits, _ and - only */
  if (csv)
    job->disposition = g_strdup_printf ("attachment; filename=\"confab-%s-%s-%s-to-%s.csv\"",
                                        kind, scope, from_date, to_date);
  start_job (call->relay, job);
}
