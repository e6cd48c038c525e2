/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-format.c: the UI's time formatting keeps the local zone loaded (no file access
 * per row: a 10,000-row catch-up spent its time re-reading /etc/localtime) and still follows a
 * change of zone. */
#define G_LOG_DOMAIN "test-desktop-format"

#include "confab-format.h"

/* 2024-03-12 03:30 UTC: 12:30 in Tokyo, 23:30 the day before in New York */
#define AT_MS G_GINT64_CONSTANT (1710214200000)

static void
test_zone_cached (void)
{
  GTimeZone *zone;

  g_unsetenv ("TZ");
  confab_format_reset_time_zone ();
  zone = confab_format_get_time_zone ();
  g_assert_nonnull (zone);
  /* a screenful of rows many times over: the same zone object, never loaded again */
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *text = confab_format_time_short (AT_MS + (gint64) i * 60000);

      g_assert_nonnull (text);
      g_assert_true (confab_format_get_time_zone () == zone);
    }
}

static void
test_zone_follows_tz (void)
{
  g_autofree char *tokyo = NULL;
  g_autofree char *new_york = NULL;
  g_autofree char *utc = NULL;

  g_setenv ("TZ", "Asia/Tokyo", TRUE);
  tokyo = confab_format_clock (AT_MS);
  g_assert_cmpstr (tokyo, ==, "12:30");

  /* changed while the app runs: the next row shows it */
  g_setenv ("TZ", "America/New_York", TRUE);
  new_york = confab_format_clock (AT_MS);
  g_assert_cmpstr (new_york, ==, "23:30");
  g_assert_false (confab_format_same_day (AT_MS, AT_MS + 3 * G_GINT64_CONSTANT (3600000)));

  g_setenv ("TZ", "UTC", TRUE);
  utc = confab_format_clock (AT_MS);
  g_assert_cmpstr (utc, ==, "03:30");
  g_assert_true (confab_format_same_day (AT_MS, AT_MS + 3 * G_GINT64_CONSTANT (3600000)));
}

/* Today, yesterday and further back, around local midnight, in two zones. */
static void
test_days (void)
{
  static const char * const zones[] = { "UTC", "Pacific/Auckland", "America/Los_Angeles" };

  for (guint z = 0; z < G_N_ELEMENTS (zones); z++)
    {
      g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (zones[z]);
      g_autoptr (GDateTime) now = NULL;
      g_autoptr (GDateTime) midnight = NULL;
      gint64 midnight_ms;
      g_autofree char *today = NULL;
      g_autofree char *just_before = NULL;
      g_autofree char *two_days = NULL;
      g_autofree char *clock = NULL;

      g_setenv ("TZ", zones[z], TRUE);
      now = g_date_time_new_now (tz);
      midnight = g_date_time_new (tz, g_date_time_get_year (now), g_date_time_get_month (now),
                                  g_date_time_get_day_of_month (now), 0, 0, 0);
      midnight_ms = g_date_time_to_unix (midnight) * 1000;

      today = confab_format_time_short (midnight_ms);
      g_assert_cmpstr (today, ==, "00:00");
      just_before = confab_format_time_short (midnight_ms - 1000);
      g_assert_cmpstr (just_before, ==, "Yesterday");
      two_days = confab_format_day (midnight_ms - 24 * G_GINT64_CONSTANT (3600000) - 1000);
      g_assert_cmpstr (two_days, !=, "Yesterday");
      g_assert_cmpstr (two_days, !=, "Today");
      clock = confab_format_clock (midnight_ms + 90 * 60000);
      g_assert_cmpstr (clock, ==, "01:30");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/desktop/format/zone-cached", test_zone_cached);
  g_test_add_func ("/desktop/format/zone-follows-tz", test_zone_follows_tz);
  g_test_add_func ("/desktop/format/days", test_days);
  return g_test_run ();
}
