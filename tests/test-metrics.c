/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-metrics.c: who may read /metrics — the allow list against peer addresses, IPv4-mapped
 * IPv6 peers of a relay listening on [::] included (the integration test covers IPv4 peers). */
#define G_LOG_DOMAIN "test-metrics"

#include "confab-config.h"
#include "confab-metrics.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
allowed (const ConfabConfig *config,
         const char         *peer)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (peer);

  g_assert_nonnull (address);
  return confab_metrics_peer_allowed (config, address);
}

static void
test_default_loopback (void)
{
  g_autoptr (ConfabConfig) config = confab_config_new ();

  g_assert_true (allowed (config, "127.0.0.1"));
  g_assert_true (allowed (config, "127.9.8.7"));
  g_assert_true (allowed (config, "::1"));
  /* an IPv4 loopback peer of a socket listening on [::] */
  g_assert_true (allowed (config, "::ffff:127.0.0.1"));

  g_assert_false (allowed (config, "10.0.0.1"));
  g_assert_false (allowed (config, "192.168.1.10"));
  g_assert_false (allowed (config, "::ffff:203.0.113.9"));
  g_assert_false (allowed (config, "2001:db8::1"));
  g_assert_false (allowed (config, "::"));
  g_assert_false (confab_metrics_peer_allowed (config, NULL));
}

static void
test_allow_list (void)
{
  g_autoptr (ConfabConfig) config = confab_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("confab-metrics-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, "[metrics]\nallow=10.1.0.0/16; 2001:db8::7 ;\n",
                                      -1, &error));
  g_assert_true (confab_config_load (config, path, &error));
  g_assert_no_error (error);

  g_assert_true (allowed (config, "10.1.200.3"));
  g_assert_true (allowed (config, "::ffff:10.1.0.1"));
  g_assert_true (allowed (config, "2001:db8::7"));
  /* the list replaces the default */
  g_assert_false (allowed (config, "127.0.0.1"));
  g_assert_false (allowed (config, "10.2.0.1"));
  g_assert_false (allowed (config, "2001:db8::8"));

  /* anything that is not an address or a range is refused when the file is read */
  g_assert_true (g_file_set_contents (path, "[metrics]\nallow=prometheus.internal\n", -1, &error));
  g_assert_false (confab_config_load (config, path, &error));
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "prometheus.internal"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "[metrics]\nenabled=maybe\n", -1, &error));
  g_assert_false (confab_config_load (config, path, &error));
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/metrics/allow/default-loopback", test_default_loopback);
  g_test_add_func ("/relay/metrics/allow/list", test_allow_list);

  return g_test_run ();
}
