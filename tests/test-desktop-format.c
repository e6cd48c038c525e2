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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/desktop/format/zone-cached", test_zone_cached);
  g_test_add_func ("/desktop/format/zone-follows-tz", test_zone_follows_tz);
  return g_test_run ();
}
