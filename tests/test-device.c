/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-device.c: browser, system and device type from real User-Agent strings */
#include "confab-device.h"

#include <string.h>

typedef struct {
  const char *user_agent;
  const char *browser;
  const char *browser_version;
  const char *os;
  const char *os_version;
  const char *type;
} Case;

/* Strings as the browsers send them (2024), one per family and platform. */
static const Case cases[] = {
  /* Chrome */
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Chrome", "126", "Windows", "10/11", "desktop" },
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Chrome", "126", "macOS", "10.15.7", "desktop" },
  { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Chrome", "126", "Linux", "", "desktop" },
  { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
    "Chrome", "126", "Android", "10", "mobile" },
  { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.153 Mobile/15E148 Safari/604.1",
    "Chrome", "126", "iOS", "17.5", "mobile" },
  { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Chrome", "126", "ChromeOS", "", "desktop" },
  /* Android tablet: no "Mobile" */
  { "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Chrome", "125", "Android", "13", "tablet" },
  /* Firefox */
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Firefox", "127", "Windows", "10/11", "desktop" },
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Firefox", "127", "macOS", "14.5", "desktop" },
  { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Firefox", "127", "Linux", "", "desktop" },
  { "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    "Firefox", "127", "Android", "14", "mobile" },
  { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
    "Firefox", "127", "iOS", "17.5.1", "mobile" },
  /* Safari */
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Safari", "17", "macOS", "10.15.7", "desktop" },
  { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Safari", "17", "iOS", "17.5", "mobile" },
  { "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Safari", "16", "iOS", "16.6", "tablet" },
  /* Edge */
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Edge", "126", "Windows", "10/11", "desktop" },
  { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Edge", "126", "macOS", "10.15.7", "desktop" },
  { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 EdgA/126.0.2592.80",
    "Edge", "126", "Android", "10", "mobile" },
  { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/126.2592.86 Mobile/15E148 Safari/605.1.15",
    "Edge", "126", "iOS", "17.5", "mobile" },
  /* Opera */
  { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
    "Opera", "111", "Windows", "10/11", "desktop" },
  { "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.5.4342.79003",
    "Opera", "82", "Android", "10", "mobile" },
  { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
    "Opera", "111", "Linux", "", "desktop" },
  /* Samsung Internet */
  { "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "Samsung Internet", "25", "Android", "14", "mobile" },
  /* Older Windows */
  { "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Chrome", "109", "Windows", "7", "desktop" },
};

static void
test_real_user_agents (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ConfabDevice device;

      g_test_message ("%s", cases[i].user_agent);
      confab_device_parse_full (cases[i].user_agent, &device);
      g_assert_cmpstr (device.browser, ==, cases[i].browser);
      g_assert_cmpstr (device.browser_version, ==, cases[i].browser_version);
      g_assert_cmpstr (device.os, ==, cases[i].os);
      g_assert_cmpstr (device.os_version, ==, cases[i].os_version);
      g_assert_cmpstr (device.type, ==, cases[i].type);
    }
}

static void
test_unknown (void)
{
  ConfabDevice device;
  const char *browser = "x", *os = "x";
  char long_version[200];

  confab_device_parse_full (NULL, &device);
  g_assert_null (device.browser);
  g_assert_null (device.os);
  g_assert_null (device.type);
  g_assert_cmpstr (device.browser_version, ==, "");

  confab_device_parse_full ("", &device);
  g_assert_null (device.browser);
  g_assert_null (device.type);

  confab_device_parse_full ("curl/8.1.2", &device);
  g_assert_null (device.browser);
  g_assert_null (device.os);
  g_assert_cmpstr (device.type, ==, "desktop");

  /* A token with no version after it, and a version longer than the buffer */
  confab_device_parse_full ("Firefox/ Windows NT x", &device);
  g_assert_cmpstr (device.browser, ==, "Firefox");
  g_assert_cmpstr (device.browser_version, ==, "");
  g_assert_cmpstr (device.os_version, ==, "");

  memset (long_version, '9', sizeof long_version - 1);
  long_version[sizeof long_version - 1] = '\0';
  {
    g_autofree char *ua = g_strconcat ("Chrome/", long_version, " Android ", long_version, NULL);

    confab_device_parse_full (ua, &device);
    g_assert_cmpstr (device.browser, ==, "Chrome");
    g_assert_cmpuint (strlen (device.browser_version), ==, sizeof device.browser_version - 1);
    g_assert_cmpuint (strlen (device.os_version), ==, sizeof device.os_version - 1);
  }

  /* The families-only call agrees */
  confab_device_parse (cases[0].user_agent, &browser, &os);
  g_assert_cmpstr (browser, ==, "Chrome");
  g_assert_cmpstr (os, ==, "Windows");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/device/real-user-agents", test_real_user_agents);
  g_test_add_func ("/relay/device/unknown", test_unknown);

  return g_test_run ();
}
