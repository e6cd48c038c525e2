/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-clock.c: the relay's test clock (see relay-clock.h) */

#include "relay-clock.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

struct _TestClock
{
  char  *dir;
  char  *path;
  gint64 offset_ms;
};

TestClock *
test_clock_new (void)
{
  TestClock *clock = g_new0 (TestClock, 1);

  clock->dir = g_dir_make_tmp ("confab-clock-XXXXXX", NULL);
  g_assert_nonnull (clock->dir);
  clock->path = g_build_filename (clock->dir, "clock", NULL);
  g_assert_true (g_file_set_contents (clock->path, "0", -1, NULL));
  return clock;
}

void
test_clock_free (TestClock *clock)
{
  if (clock == NULL)
    return;
  g_unlink (clock->path);
  g_rmdir (clock->dir);
  g_free (clock->path);
  g_free (clock->dir);
  g_free (clock);
}

TestWorld *
test_world_new_on_clock (TestClock      *clock,
                         const char     *extra_config,
                         TestWorldFlags  flags)
{
  TestWorld *world;

  g_setenv ("CONFAB_TEST_CLOCK", clock->path, TRUE);
  world = test_world_new (extra_config, flags);
  g_unsetenv ("CONFAB_TEST_CLOCK");
  return world;
}

void
test_relay_start_on_clock (TestRelay *relay,
                           TestClock *clock)
{
  g_setenv ("CONFAB_TEST_CLOCK", clock->path, TRUE);
  test_relay_start (relay);
  g_unsetenv ("CONFAB_TEST_CLOCK");
}

void
test_clock_advance (TestClock *clock,
                    TestRelay *relay,
                    gint64     ms)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  gint64 deadline = g_get_monotonic_time ()
    + (gint64) TEST_TIMEOUT_MS * test_timeout_multiplier () * 1000;

  clock->offset_ms += ms;
  text = g_strdup_printf ("%" G_GINT64_FORMAT, clock->offset_ms);
  g_assert_true (g_file_set_contents (clock->path, text, -1, NULL));
  if (relay == NULL || !test_relay_is_running (relay))
    return;

  /* the relay logs this once it has read the file (confab-targets.c) */
  line = g_strdup_printf ("Test clock at +%s ms", text);
  test_relay_send_signal (relay, SIGUSR2);
  for (;;)
    {
      g_autofree char *err = test_relay_get_stderr (relay);

      if (strstr (err, line) != NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the relay never logged “%s”; stderr:\n%s", line, err);
      test_sleep_ms (10);
    }
}
