/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-device"

#include "confab-device.h"

#include <string.h>

typedef struct {
  const char *token;
  const char *name;
  const char *version_token;  /* where the version is, when not after @token */
} Family;

/* Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android says
 * "Linux", and every browser on iOS is Safari's engine with its own token (CriOS, FxiOS...). */
static const Family browsers[] = {
  { "Edg/", "Edge", NULL },
  { "EdgA/", "Edge", NULL },
  { "EdgiOS/", "Edge", NULL },
  { "OPR/", "Opera", NULL },
  { "OPT/", "Opera", NULL },
  { "SamsungBrowser/", "Samsung Internet", NULL },
  { "Firefox/", "Firefox", NULL },
  { "FxiOS/", "Firefox", NULL },
  { "CriOS/", "Chrome", NULL },
  { "Chromium/", "Chromium", NULL },
  { "Chrome/", "Chrome", NULL },
  { "Safari/", "Safari", "Version/" },
};

/* The version follows @token: "Android 14;", "iPhone OS 17_5 like", "Mac OS X 10_15_7)". */
static const Family systems[] = {
  { "iPhone", "iOS", "iPhone OS " },
  { "iPad", "iOS", "CPU OS " },
  { "iPod", "iOS", "iPhone OS " },
  { "Android", "Android", "Android " },
  { "CrOS", "ChromeOS", NULL },
  { "Windows", "Windows", "Windows NT " },
  { "Mac OS X", "macOS", "Mac OS X " },
  { "Macintosh", "macOS", "Mac OS X " },
  { "Linux", "Linux", NULL },
};

/* Copies the run of digits, dots and underscores (as dots) after @start into @out; only the
 * first number when @major_only. Empty when there is no digit right there. */
static void
copy_version (const char *start,
              gboolean    major_only,
              char       *out,
              gsize       size)
{
  gsize n = 0;

  out[0] = '\0';
  if (start == NULL || !g_ascii_isdigit (*start))
    return;

  for (; *start != '\0' && n + 1 < size; start++)
    {
      if (g_ascii_isdigit (*start))
        out[n++] = *start;
      else if ((*start == '.' || *start == '_') && !major_only && g_ascii_isdigit (start[1]))
        out[n++] = '.';
      else
        break;
    }
  out[n] = '\0';
}

static void
windows_version (const char *nt,
                 char       *out,
                 gsize       size)
{
  /* What "Windows NT x.y" means; 11 kept saying 10.0, so the two cannot be told apart. */
  static const struct { const char *nt, *name; } names[] = {
    { "10.0", "10/11" }, { "6.3", "8.1" }, { "6.2", "8" }, { "6.1", "7" },
  };
  char version[16];

  copy_version (nt, FALSE, version, sizeof version);
  out[0] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (version, names[i].nt) == 0)
      g_strlcpy (out, names[i].name, size);
}

static const char *
after (const char *user_agent,
       const char *token)
{
  const char *at = token ? strstr (user_agent, token) : NULL;

  return at ? at + strlen (token) : NULL;
}

void
confab_device_parse_full (const char   *user_agent,
                          ConfabDevice *device)
{
  memset (device, 0, sizeof *device);

  if (user_agent == NULL || *user_agent == '\0')
    return;

  for (guint i = 0; i < G_N_ELEMENTS (browsers); i++)
    if (strstr (user_agent, browsers[i].token) != NULL)
      {
        const char *version_token = browsers[i].version_token ? browsers[i].version_token
                                                               : browsers[i].token;

        device->browser = browsers[i].name;
        copy_version (after (user_agent, version_token), TRUE,
                      device->browser_version, sizeof device->browser_version);
        break;
      }

  for (guint i = 0; i < G_N_ELEMENTS (systems); i++)
    if (strstr (user_agent, systems[i].token) != NULL)
      {
        device->os = systems[i].name;
        if (strcmp (systems[i].name, "Windows") == 0)
          windows_version (after (user_agent, systems[i].version_token),
                           device->os_version, sizeof device->os_version);
        else
          copy_version (after (user_agent, systems[i].version_token), FALSE,
                        device->os_version, sizeof device->os_version);
        break;
      }

  /* Android tablets leave "Mobile" out; iPads say so (unless they ask for desktop sites, when
   * they say Macintosh and look like one to everybody). */
  if (strstr (user_agent, "iPad") != NULL || strstr (user_agent, "Tablet") != NULL ||
      (g_strcmp0 (device->os, "Android") == 0 && strstr (user_agent, "Mobile") == NULL))
    device->type = "tablet";
  else if (strstr (user_agent, "Mobi") != NULL || strstr (user_agent, "iPhone") != NULL ||
           strstr (user_agent, "iPod") != NULL)
    device->type = "mobile";
  else
    device->type = "desktop";
}

void
confab_device_parse (const char  *user_agent,
                     const char **out_browser,
                     const char **out_os)
{
  ConfabDevice device;

  confab_device_parse_full (user_agent, &device);
  *out_browser = device.browser;
  *out_os = device.os;
}
