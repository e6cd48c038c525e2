/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-service.h: telling the service manager (systemd's sd_notify) how the relay is doing.
 *
 * Each call is a no-op when the relay was not started by a service manager that asked for
 * notifications ($NOTIFY_SOCKET unset), or when built without libsystemd.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* READY=1 (and a STATUS line): call once the relay is listening. When the manager wants a
 * watchdog ($WATCHDOG_USEC, for this process), starts a main-loop timer that sends
 * WATCHDOG=1 every half interval: a loop that stops turning stops the pings. */
void confab_service_ready    (const char *status);
/* STOPPING=1: call when a stop was asked for. */
void confab_service_stopping (void);

G_END_DECLS
