/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-util.h: ids, clocks and time formatting shared by the relay and the desktop app */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Wall clock in milliseconds since the Unix epoch: every stored time uses it. */
gint64  confab_now_ms             (void);

/* "2026-11-22T02:00:53.123Z" */
char   *confab_format_time        (gint64       unix_ms);
/* Parses RFC 3339 (any offset); FALSE when it is not one. */
gboolean confab_parse_time        (const char  *text,
                                   gint64      *out_unix_ms);

/* An opaque id: @prefix, then 20 characters of Crockford base32 from 100 random bits. */
char   *confab_new_id             (const char  *prefix);

/* @n_bytes random bytes as unpadded base64url: tokens and keys. */
char   *confab_random_token       (gsize        n_bytes);

/* Lower-case hex SHA-256 of @text: how tokens are stored. */
char   *confab_sha256_hex         (const char  *text);

/* Whether @name looks like an IANA time zone name ("Europe/Berlin",
 * "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5"): a letter first, then [A-Za-z0-9_+-] in
 * non-empty /-separated parts, at most 64 bytes. g_time_zone_new_identifier() also takes file
 * paths and opens them ("/dev/zero", "../../etc/passwd", ":/path"): a name from the network
 * must pass this first. Says nothing of whether the zone exists. */
gboolean confab_is_iana_zone_name (const char  *name);

/* Fills @buf with cryptographically secure random bytes. */
void    confab_random_bytes       (guint8      *buf,
                                   gsize        len);

G_END_DECLS
