/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-geo.h: IP address → country, city and time zone, with libmaxminddb over .mmdb files */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the database knows about an address; any field may be NULL. */
typedef struct {
  char *country;       /* ISO 3166-1 alpha-2, upper case ("DE") */
  char *country_name;  /* English name, when the database has one (GeoLite2 does, DB-IP Lite does not) */
  char *city;
  char *timezone;      /* IANA ("Europe/Berlin"), when the database has one */
} ConfabGeoResult;

typedef struct _ConfabGeo ConfabGeo;

/* Opens every file of @paths (NULL-terminated); all must be valid MaxMind DB files. A lookup asks
 * them in order (e.g. an IPv4 and an IPv6 file) until one knows the address. */
ConfabGeo       *confab_geo_open            (const char * const *paths,
                                             GError            **error);
/* The relay's geolocation as configured: @configured (may be NULL or empty) or else the default
 * database, looked up in @data_dir/geo/ and then in what scripts/install-deps installed.
 * Never fails: without a usable database every lookup answers "unknown", and one line says why. */
ConfabGeo       *confab_geo_new_for_relay   (const char * const *configured,
                                             const char         *data_dir);
void             confab_geo_free            (ConfabGeo          *geo);
/* Whether any database is loaded. */
gboolean         confab_geo_available       (ConfabGeo          *geo);
/* What is loaded, for the log: "DBIP-City-Lite (2 files)"; NULL when nothing is. */
const char      *confab_geo_describe        (ConfabGeo          *geo);

/* NULL when unknown: @geo is NULL or empty, @ip is not a public address, or no database
 * knows it. Never an error: a visitor's location is a nicety. */
ConfabGeoResult *confab_geo_lookup          (ConfabGeo          *geo,
                                             const char         *ip);
/* FALSE for loopback, private (RFC 1918), CGNAT (100.64/10), link-local, unique-local (fc00::/7),
 * multicast, unspecified, documentation and other reserved ranges, and for non-addresses.
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. */
gboolean         confab_geo_is_public       (const char         *ip);

void             confab_geo_result_free     (ConfabGeoResult    *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabGeoResult, confab_geo_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabGeo, confab_geo_free)

G_END_DECLS
