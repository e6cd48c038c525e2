/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-format.c: times, names and states as the UI shows them. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-format.h"

#include <string.h>

static GDateTime *
local_time (gint64 unix_ms)
{
  return g_date_time_new_from_unix_local (unix_ms / 1000);
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

/* Whole local days between @unix_ms and now (0 today, 1 yesterday). */
static int
days_ago (gint64 unix_ms)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) then = local_time (unix_ms);
  g_autoptr (GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                       g_date_time_get_month (now),
                                                       g_date_time_get_day_of_month (now), 0, 0, 0);
  GTimeSpan span = g_date_time_difference (today, then);

  if (span <= 0)
    return 0;
  return (int) (span / G_TIME_SPAN_DAY) + 1;
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
