/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-device"

#include "confab-device.h"

#include <string.h>

typedef struct {
  const char *token;
  const char *name;
} Family;

/* Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android says "Linux". */
static const Family browsers[] = {
  { "Edg/", "Edge" },
  { "EdgA/", "Edge" },
  { "OPR/", "Opera" },
  { "SamsungBrowser/", "Samsung Internet" },
  { "Firefox/", "Firefox" },
  { "FxiOS/", "Firefox" },
  { "CriOS/", "Chrome" },
  { "Chromium/", "Chromium" },
  { "Chrome/", "Chrome" },
  { "Safari/", "Safari" },
};

static const Family systems[] = {
  { "iPhone", "iOS" },
  { "iPad", "iOS" },
  { "Android", "Android" },
  { "CrOS", "ChromeOS" },
  { "Windows", "Windows" },
  { "Mac OS X", "macOS" },
  { "Macintosh", "macOS" },
  { "Linux", "Linux" },
};

void
confab_device_parse (const char  *user_agent,
                     const char **out_browser,
                     const char **out_os)
{
  *out_browser = NULL;
  *out_os = NULL;

  if (user_agent == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (browsers); i++)
    if (strstr (user_agent, browsers[i].token) != NULL)
      {
        *out_browser = browsers[i].name;
        break;
      }

  for (guint i = 0; i < G_N_ELEMENTS (systems); i++)
    if (strstr (user_agent, systems[i].token) != NULL)
      {
        *out_os = systems[i].name;
        break;
      }
}
