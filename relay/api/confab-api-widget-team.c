/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-widget-team.c: the widget config's "team" — who is there, how soon they usually
 * answer, when they are back (issue 14) */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-chat.h"
#include "confab-avatars.h"
#include "confab-hub-chat.h"
#include "confab-json.h"
#include "confab-store-chat.h"
#include "confab-util.h"

#include <stdlib.h>
#include <string.h>

#define TEAM_AGENTS         3    /* names in the header */
#define RESPONSE_SAMPLE     50   /* the site's last answered conversations */
#define RESPONSE_MINIMUM    5    /* fewer: no "usually replies within" */
#define DAYS_AHEAD          8

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* The median first response of the site's last RESPONSE_SAMPLE answered conversations, in
 * seconds; -1 under RESPONSE_MINIMUM of them (a figure of two chats would mislead). */
static gint64
reply_time_seconds (ConfabStore *store,
                    const char  *site_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) times = confab_store_recent_first_responses (store, site_id, RESPONSE_SAMPLE, &error);
  gint64 median;

  if (times == NULL)
    {
      g_warning ("Cannot read the first responses of %s: %s", site_id, error->message);
      return -1;
    }
  if (times->len < RESPONSE_MINIMUM)
    return -1;
  g_array_sort (times, compare_gint64);
  median = times->len % 2 == 1
           ? g_array_index (times, gint64, times->len / 2)
           : (g_array_index (times, gint64, times->len / 2 - 1) + g_array_index (times, gint64, times->len / 2)) / 2;
  return (median + 500) / 1000;
}

/* Minutes of the day from "HH:MM". */
static int
minutes_of (const char *hhmm)
{
  return atoi (hhmm) * 60 + atoi (hhmm + 3);
}

/* When the site's working hours next begin (ms), 0 while they are on now, or when the site
 * has none (validated when written: confab-api.c). */
static gint64
back_at (const ConfabSite *site,
         gint64            now_ms)
{
  static const char * const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
  g_autoptr (JsonObject) settings = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (GDateTime) now = NULL;
  JsonObject *hours, *by_day;
  JsonNode *node;

  if (site->settings_json == NULL ||
      (settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                            G_MAXSIZE, 64, NULL)) == NULL ||
      (node = json_object_get_member (settings, "working_hours")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  hours = json_node_get_object (node);
  if (!json_object_has_member (hours, "timezone") || !json_object_has_member (hours, "days") ||
      !confab_is_iana_zone_name (json_object_get_string_member (hours, "timezone")) ||
      (zone = g_time_zone_new_identifier (json_object_get_string_member (hours, "timezone"))) == NULL)
    return 0;
  by_day = json_object_get_object_member (hours, "days");
  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (now_ms / 1000);
    now = g_date_time_to_timezone (utc, zone);
  }

  for (int ahead = 0; ahead < DAYS_AHEAD; ahead++)
    {
      g_autoptr (GDateTime) day = g_date_time_add_days (now, ahead);
      g_autoptr (GDateTime) midnight = g_date_time_new (zone, g_date_time_get_year (day),
                                                        g_date_time_get_month (day),
                                                        g_date_time_get_day_of_month (day), 0, 0, 0);
      const char *name = days[g_date_time_get_day_of_week (day) - 1];
      int now_minutes = g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now);
      gint64 earliest = 0;
      JsonArray *ranges;

      if (midnight == NULL || !json_object_has_member (by_day, name) ||
          !JSON_NODE_HOLDS_ARRAY (json_object_get_member (by_day, name)))
        continue;
      ranges = json_object_get_array_member (by_day, name);
      for (guint i = 0; i < json_array_get_length (ranges); i++)
        {
          const char *range = json_array_get_string_element (ranges, i);
          int start, end;

          if (range == NULL || strlen (range) != 11)
            continue;
          start = minutes_of (range);
          end = minutes_of (range + 6);
          if (ahead == 0 && now_minutes >= start && now_minutes < end)
            return 0;    /* on now */
          if (ahead == 0 && start <= now_minutes)
            continue;    /* over for today */
          {
            g_autoptr (GDateTime) begins = g_date_time_add_minutes (midnight, start);
            gint64 at = g_date_time_to_unix (begins) * 1000;

            if (earliest == 0 || at < earliest)
              earliest = at;
          }
        }
      if (earliest > 0)
        return earliest;
    }
  return 0;
}

gint64
confab_site_back_at (const ConfabSite *site,
                     gint64            now_ms)
{
  return back_at (site, now_ms);
}

JsonObject *
confab_widget_team (ConfabRelay      *relay,
                    const ConfabSite *site)
{
  JsonObject *team = json_object_new ();
  JsonArray *agents = json_array_new ();
  g_autoptr (GPtrArray) users = confab_hub_online_agents (relay->hub, site->id, TEAM_AGENTS);
  gboolean online = users->len > 0;
  gint64 reply = reply_time_seconds (relay->store, site->id);
  gint64 back = online ? 0 : back_at (site, confab_now_ms ());

  /* nobody online: the last ones who answered */
  if (!online)
    {
      g_autoptr (GError) error = NULL;
      GPtrArray *answered = confab_store_list_recent_answerers (relay->store, site->id, TEAM_AGENTS,
                                                                &error);
      if (answered == NULL)
        g_warning ("Cannot list who answered on %s: %s", site->id, error->message);
      else
        {
          g_ptr_array_unref (users);
          users = answered;
        }
    }

  for (guint i = 0; i < users->len; i++)
    {
      ConfabUser *user = g_ptr_array_index (users, i);
      JsonObject *agent = json_object_new ();
      g_autofree char *avatar_url = confab_avatar_url (user->id);

      if (user->name != NULL)
        json_object_set_string_member (agent, "name", user->name);
      else
        json_object_set_null_member (agent, "name");
      if (avatar_url != NULL)
        json_object_set_string_member (agent, "avatar_url", avatar_url);
      else
        json_object_set_null_member (agent, "avatar_url");
      json_array_add_object_element (agents, agent);
    }

  json_object_set_array_member (team, "agents", agents);
  json_object_set_boolean_member (team, "online", online);
  if (reply >= 0)
    json_object_set_int_member (team, "reply_time_seconds", reply);
  else
    json_object_set_null_member (team, "reply_time_seconds");
  if (back > 0)
    {
      g_autofree char *text = confab_format_time (back);
      json_object_set_string_member (team, "back_at", text);
    }
  else
    json_object_set_null_member (team, "back_at");
  return team;
}
