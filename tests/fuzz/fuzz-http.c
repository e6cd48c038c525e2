/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-http.c: libFuzzer target for what the relay does itself with a request head.
 *
 * libsoup parses the head (soup_headers_parse_request, as SoupServer does); then each thing
 * our handlers take from it as raw client text: the path split into segments under every
 * prefix we route on, the query string decoded and its values read (times, statuses,
 * numbers), the X-Forwarded-For walk behind a trusted proxy, the bearer token, the body's
 * framing, Accept-Encoding, and the User-Agent a widget upgrade keeps. */
#define G_LOG_DOMAIN "fuzz-http"

#include "confab-device.h"
#include "confab-http.h"
#include "confab-store.h"
#include "confab-util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const prefixes[] = { "/api/v1", "/api/v1/uploads", "/ws", "/" };
static const char *const trusted[] = { "127.0.0.1", "::1", "10.0.0.1", NULL };

static void
check_segments (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_auto (GStrv) segments = confab_http_path_segments (path, prefixes[i]);

      if (segments == NULL)
        continue;
      /* a segment never holds the separator ("a//b" must not alias "a/b") */
      for (guint j = 0; segments[j]; j++)
        if (strchr (segments[j], '/') != NULL)
          abort ();
    }
}

static void
check_query (const char *query_text)
{
  g_autoptr (GHashTable) query = soup_form_decode (query_text);
  const char *value;
  gint64 time;
  ConfabConversationStatus status;

  if ((value = g_hash_table_lookup (query, "before")) != NULL)
    confab_parse_time (value, &time);
  if ((value = g_hash_table_lookup (query, "status")) != NULL)
    confab_status_from_string (value, &status);
  if ((value = g_hash_table_lookup (query, "limit")) != NULL)
    {
      char *end = NULL;
      g_ascii_strtoll (value, &end, 10);
      if (end == NULL)
        abort ();
    }
}

static void
check_forwarded (const char *forwarded)
{
  const char *peers[] = { "127.0.0.1", "192.0.2.7" };

  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    {
      g_autofree char *ip = confab_http_forwarded_ip (trusted, peers[i], forwarded);
      g_autoptr (GInetAddress) address = NULL;

      /* whatever the header says, the answer is an address: the peer or a parsed hop */
      if (ip == NULL || (address = g_inet_address_new_from_string (ip)) == NULL)
        abort ();
      /* an untrusted peer is never overridden */
      if (i == 1 && strcmp (ip, peers[i]) != 0)
        abort ();
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autoptr (GUri) base = g_uri_parse ("http://127.0.0.1:8080/", SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr (GUri) uri = NULL;
  SoupHTTPVersion version;
  const char *value;
  const char *token;

  if (soup_headers_parse_request ((const char *) data, size, headers, &method, &target,
                                  &version) != SOUP_STATUS_OK)
    return 0;

  /* SoupServer resolves the request target against the server's base URI */
  uri = g_uri_parse_relative (base, target, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri != NULL)
    {
      check_segments (g_uri_get_path (uri));
      if (g_uri_get_query (uri) != NULL)
        check_query (g_uri_get_query (uri));
    }

  check_forwarded (soup_message_headers_get_list (headers, "X-Forwarded-For"));

  value = soup_message_headers_get_one (headers, "Authorization");
  token = confab_http_parse_bearer (value);
  if (token != NULL && (*token == '\0' || *token == ' ' || token < value || token > value + strlen (value)))
    abort ();

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    soup_message_headers_get_content_length (headers);

  if ((value = soup_message_headers_get_list (headers, "Accept-Encoding")) != NULL)
    {
      GSList *unacceptable = NULL;
      GSList *acceptable = soup_header_parse_quality_list (value, &unacceptable);

      soup_header_free_list (acceptable);
      soup_header_free_list (unacceptable);
    }

  if ((value = soup_message_headers_get_one (headers, "User-Agent")) != NULL &&
      g_utf8_validate (value, -1, NULL))
    {
      ConfabDevice device;
      confab_device_parse_full (value, &device);
    }

  return 0;
}
