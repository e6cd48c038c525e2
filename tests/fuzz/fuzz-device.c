/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-device.c: libFuzzer target for the User-Agent parser, fed any string a browser (or an
 * attacker) can put in the header or the hello's user_agent field. */
#define G_LOG_DOMAIN "fuzz-device"

#include "confab-device.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *user_agent = g_strndup ((const char *) data, size);
  ConfabDevice device;
  const char *browser, *os;

  confab_device_parse_full (user_agent, &device);
  /* the versions are fixed buffers: they must stay terminated */
  if (memchr (device.browser_version, '\0', sizeof device.browser_version) == NULL ||
      memchr (device.os_version, '\0', sizeof device.os_version) == NULL)
    abort ();
  /* they go into JSON for agents: only what json-glib can carry */
  if (!g_utf8_validate (device.browser_version, -1, NULL) ||
      !g_utf8_validate (device.os_version, -1, NULL))
    abort ();

  confab_device_parse (user_agent, &browser, &os);
  if (g_strcmp0 (browser, device.browser) != 0 || g_strcmp0 (os, device.os) != 0)
    abort ();

  return 0;
}
