/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-device.h: browser and operating system from a User-Agent string */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills the common families ("Chrome", "Firefox", "Safari", "Edge", "Opera", "Samsung Internet";
 * "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"); NULL when unknown. Static strings. */
void confab_device_parse (const char  *user_agent,
                          const char **out_browser,
                          const char **out_os);

G_END_DECLS
