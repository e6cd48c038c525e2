/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-util"

#include "confab-util.h"

#include <gio/gio.h>
#include <string.h>

gint64
confab_now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
confab_format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (unix_ms / 1000);

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          g_date_time_get_year (dt),
                          g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt),
                          g_date_time_get_second (dt),
                          (int) (unix_ms % 1000));
}

gboolean
confab_parse_time (const char *text,
                   gint64     *out_unix_ms)
{
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL)
    return FALSE;

  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return FALSE;

  *out_unix_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  return TRUE;
}

void
confab_random_bytes (guint8 *buf,
                     gsize   len)
{
  static GMutex lock;
  static GInputStream *urandom;
  gsize got = 0;

  /* GRand is not a CSPRNG; read the kernel's generator instead. Kept open for the process. */
  g_mutex_lock (&lock);
  if (urandom == NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_path ("/dev/urandom");
      urandom = G_INPUT_STREAM (g_file_read (file, NULL, NULL));
    }
  if (urandom == NULL ||
      !g_input_stream_read_all (urandom, buf, len, &got, NULL, NULL) ||
      got != len)
    g_error ("Cannot read /dev/urandom: refusing to make ids or tokens without it");
  g_mutex_unlock (&lock);
}

char *
confab_new_id (const char *prefix)
{
  static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  guint8 raw[13];
  guint bits = 0, n_bits = 0, next = 0;
  GString *id = g_string_new (prefix);

  confab_random_bytes (raw, sizeof raw);
  while (id->len < strlen (prefix) + 20)
    {
      if (n_bits < 5)
        {
          bits = (bits << 8) | raw[next++];
          n_bits += 8;
        }
      g_string_append_c (id, alphabet[(bits >> (n_bits - 5)) & 0x1f]);
      n_bits -= 5;
    }

  return g_string_free (id, FALSE);
}

char *
confab_random_token (gsize n_bytes)
{
  g_autofree guint8 *raw = g_malloc (n_bytes);
  g_autofree char *b64 = NULL;
  char *p;

  confab_random_bytes (raw, n_bytes);
  b64 = g_base64_encode (raw, n_bytes);

  /* base64url without padding: safe in URLs, headers and JSON */
  for (p = b64; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }

  return g_steal_pointer (&b64);
}

char *
confab_sha256_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

gboolean
confab_is_iana_zone_name (const char *name)
{
  gsize part_len = 0;

  if (name == NULL || !g_ascii_isalpha (name[0]) || strlen (name) > 64)
    return FALSE;

  for (const char *p = name; *p; p++)
    {
      if (*p == '/')
        {
          if (part_len == 0)
            return FALSE;
          part_len = 0;
        }
      else if (g_ascii_isalnum (*p) || *p == '_' || *p == '+' || *p == '-')
        part_len++;
      else
        return FALSE;
    }

  return part_len > 0;
}
