/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-device.h: browser, operating system and kind of device from a User-Agent string */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* Families ("Chrome", "Firefox", "Safari", "Edge", "Opera", "Samsung Internet", "Chromium";
   * "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"); static strings, NULL when unknown. */
  const char *browser;
  const char *os;
  /* "desktop", "mobile" or "tablet"; NULL without a User-Agent. */
  const char *type;
  /* The browser's major version ("126"), the system's version ("14", "17.5", "10.15.7", "10/11"
   * for Windows NT 10.0, which both say); empty when the User-Agent does not tell. */
  char        browser_version[16];
  char        os_version[16];
} ConfabDevice;

/* Fills @device from @user_agent (NULL = nothing known). A small table of the common families,
 * not a full parser: what is not recognised stays NULL. */
void confab_device_parse_full (const char   *user_agent,
                               ConfabDevice *device);

/* The families only; NULL when unknown. */
void confab_device_parse (const char  *user_agent,
                          const char **out_browser,
                          const char **out_os);

G_END_DECLS
