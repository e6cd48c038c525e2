/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-format.c: times, names and states as the UI shows them. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-format.h"

#include <string.h>

/* The local zone, loaded once and checked again at most once a minute.
 *
 * g_time_zone_new_local() (so g_date_time_new_from_unix_local() and _new_now_local()) on
 * GLib < 2.76 throws its cache away whenever TZ is unset, and reads /etc/localtime again on
 * every call: an inbox of 10,000 rows spent its catch-up in fstatat(). A zone change (a laptop
 * carried across zones, timedatectl) shows within a minute, and a change of TZ at once: that
 * costs one load a minute and no main-loop source, which a file monitor on /etc/localtime
 * would need (and would miss TZ). */
#define ZONE_RECHECK_US (60 * G_USEC_PER_SEC)

static GTimeZone *zone;
static char      *zone_env;       /* TZ when the zone was loaded */
static gint64     zone_loaded_us; /* monotonic */
static guint      zone_serial;    /* bumped at each load */

/* Local midnight today and tomorrow, Unix s, for zone_serial (today_serial 0: not known) */
static gint64     today_s, tomorrow_s;
static guint      today_serial;

GTimeZone *
confab_format_get_time_zone (void)
{
  const char *env = g_getenv ("TZ");
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || g_strcmp0 (env, zone_env) != 0 || now - zone_loaded_us >= ZONE_RECHECK_US)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      g_free (zone_env);
      zone_env = g_strdup (env);
      zone = g_time_zone_new_local ();
      zone_loaded_us = now;
      zone_serial++;
    }
  return zone;
}

void
confab_format_reset_time_zone (void)
{
  g_clear_pointer (&zone, g_time_zone_unref);
}

static GDateTime *
local_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (unix_ms / 1000);

  if (utc == NULL)
    return g_date_time_new_from_unix_utc (0);
  return g_date_time_to_timezone (utc, confab_format_get_time_zone ());
}

gboolean
confab_format_same_day (gint64 a_ms,
                        gint64 b_ms)
{
  g_autoptr (GDateTime) a = local_time (a_ms);
  g_autoptr (GDateTime) b = local_time (b_ms);

  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

/* Whole local days between @unix_ms and now (0 today, 1 yesterday). Today's bounds are
 * worked out once a day (or zone), not for every row. */
static int
days_ago (gint64 unix_ms)
{
  GTimeZone *tz = confab_format_get_time_zone ();
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  gint64 span;

  if (today_serial != zone_serial || now_s < today_s || now_s >= tomorrow_s)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now (tz);
      g_autoptr (GDateTime) today = g_date_time_new (tz, g_date_time_get_year (now),
                                                     g_date_time_get_month (now),
                                                     g_date_time_get_day_of_month (now), 0, 0, 0);
      g_autoptr (GDateTime) tomorrow = g_date_time_add_days (today, 1);

      today_s = g_date_time_to_unix (today);
      tomorrow_s = g_date_time_to_unix (tomorrow);
      today_serial = zone_serial;
    }
  span = today_s * 1000 - unix_ms;
  if (span <= 0)
    return 0;
  return (int) (span / (G_TIME_SPAN_DAY / 1000)) + 1;
}

char *
confab_format_clock (gint64 unix_ms)
{
  g_autoptr (GDateTime) time = local_time (unix_ms);

  return g_date_time_format (time, "%H:%M");
}

char *
confab_format_time_short (gint64 unix_ms)
{
  g_autoptr (GDateTime) time = NULL;
  int days;

  if (unix_ms <= 0)
    return g_strdup ("");
  time = local_time (unix_ms);
  days = days_ago (unix_ms);
  if (days == 0)
    return g_date_time_format (time, "%H:%M");
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7)
    return g_date_time_format (time, "%a");
  if (days < 300)
    return g_date_time_format (time, "%e %b");
  return g_date_time_format (time, "%x");
}

char *
confab_format_day (gint64 unix_ms)
{
  g_autoptr (GDateTime) time = local_time (unix_ms);
  int days = days_ago (unix_ms);

  if (days == 0)
    return g_strdup (_("Today"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  return g_date_time_format (time, "%A %e %B %Y");
}

char *
confab_format_duration (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup_printf (_("%d s"), (int) MAX (seconds, 0));
  if (seconds < 3600)
    return g_strdup_printf (_("%d min"), (int) (seconds / 60));
  return g_strdup_printf (_("%d h %d min"), (int) (seconds / 3600), (int) (seconds % 3600 / 60));
}

char *
confab_format_visitor (const char *name,
                       const char *visitor_id)
{
  if (name != NULL && *name != '\0')
    return g_strdup (name);
  /* the end of the id tells two anonymous visitors apart */
  if (visitor_id != NULL && strlen (visitor_id) >= 4)
    return g_strdup_printf (_("Visitor %s"), visitor_id + strlen (visitor_id) - 4);
  return g_strdup (_("Visitor"));
}

const char *
confab_format_status (const char *status)
{
  if (g_strcmp0 (status, "open") == 0)
    return _("Open");
  if (g_strcmp0 (status, "pending") == 0)
    return _("Pending");
  if (g_strcmp0 (status, "resolved") == 0)
    return _("Resolved");
  if (g_strcmp0 (status, "closed") == 0)
    return _("Closed");
  return status != NULL ? status : "";
}

char *
confab_format_initials (const char *name)
{
  GString *initials = g_string_new (NULL);
  g_auto (GStrv) words = g_strsplit (name != NULL ? name : "", " ", -1);

  for (guint i = 0; words[i] != NULL && initials->len < 8; i++)
    if (*words[i] != '\0')
      g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (words[i])));
  return g_string_free (initials, FALSE);
}
