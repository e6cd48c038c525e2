/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-service.c: sd_notify READY, WATCHDOG and STOPPING for systemd's Type=notify */
#define G_LOG_DOMAIN "confab-service"

#include "confab-service.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

static guint watchdog_source;

#ifdef HAVE_LIBSYSTEMD
/* From the main loop on purpose: the ping proves that the loop turns, which is what every
 * connection of the relay depends on. A thread of its own would keep pinging a hung relay. */
static gboolean
watchdog_ping (gpointer user_data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}
#endif

void
confab_service_ready (const char *status)
{
#ifdef HAVE_LIBSYSTEMD
  guint64 usec = 0;
  int r;

  r = sd_notifyf (0, "READY=1\nSTATUS=%s", status ? status : "Running");
  if (r < 0)
    g_warning ("Could not tell the service manager that the relay is ready: %s",
               g_strerror (-r));

  /* > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID, if set, is this process */
  if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0 && watchdog_source == 0)
    {
      guint interval_ms = MAX (1, (guint) MIN (usec / 2000, G_MAXUINT));

      watchdog_source = g_timeout_add_full (G_PRIORITY_HIGH, interval_ms, watchdog_ping,
                                            NULL, NULL);
      g_source_set_name_by_id (watchdog_source, "[confab] service watchdog");
      g_message ("Watchdog: telling the service manager every %u ms", interval_ms);
    }
#else
  (void) status;
#endif
}

/* The watchdog keeps pinging while the relay says goodbye: the loop still turns until it
 * quits, and the process ends right after. */
void
confab_service_stopping (void)
{
#ifdef HAVE_LIBSYSTEMD
  sd_notify (0, "STOPPING=1");
#endif
}
