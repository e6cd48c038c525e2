/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-http.c: the helpers every HTTP route uses — JSON answers and errors, reading bodies,
 * client addresses behind proxies, bearer tokens, path segments. The server object that wires
 * the routes lives in confab-relay.c. */
#define G_LOG_DOMAIN "confab-http"

#include "confab-http.h"
#include "confab-json.h"
#include "confab-metrics.h"
#include "confab-util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* JSON bodies are small; anything deeper than this is not a request a client of ours makes. */
#define MAX_JSON_DEPTH 32

/* Retry-After of a 503 for a store that is busy or full, in seconds. */
#define STORE_RETRY_AFTER_S "1"

/* --- responses --- */

void
confab_http_json (SoupServerMessage *msg,
                  guint              status,
                  JsonNode          *node)
{
  char *text = confab_json_node_to_string (node);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

void
confab_http_json_object (SoupServerMessage *msg,
                         guint              status,
                         JsonObject        *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);

  confab_http_json (msg, status, node);
}

void
confab_http_error (SoupServerMessage *msg,
                   guint              status,
                   const char        *code,
                   const char        *message)
{
  g_autoptr (JsonObject) root = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  json_object_set_object_member (root, "error", error);
  confab_http_json_object (msg, status, root);
}

void
confab_http_rate_limited (SoupServerMessage *msg,
                          guint              retry_after_ms)
{
  g_autofree char *seconds = g_strdup_printf ("%u", MAX (1, (retry_after_ms + 999) / 1000));

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", seconds);
  confab_http_error (msg, 429, "rate_limited",
                     "Too many requests; try again later");
}

void
confab_http_gerror (SoupServerMessage *msg,
                    const GError      *error)
{
  if (error->domain == CONFAB_JSON_ERROR)
    {
      guint status = error->code == CONFAB_JSON_ERROR_TOO_LARGE
                     ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST;
      confab_http_error (msg, status, confab_json_error_code (error), error->message);
    }
  else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
  else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    confab_http_error (msg, SOUP_STATUS_CONFLICT, "already_exists", error->message);
  else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
    confab_http_error (msg, SOUP_STATUS_CONFLICT, "conflict", error->message);
  else if (confab_store_error_is_transient (error))
    {
      /* Nothing was stored; the same request will work once the lock or the space is back. */
      confab_metrics_inc (CONFAB_METRIC_STORE_ERRORS);
      g_warning ("Request refused for now: %s", error->message);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", STORE_RETRY_AFTER_S);
      confab_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "store_unavailable",
                         g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY)
                         ? "The database is busy; try again shortly"
                         : g_error_matches (error, CONFAB_STORE_ERROR,
                                            CONFAB_STORE_ERROR_UNAVAILABLE)
                         ? "The database cannot be reached; try again shortly"
                         : "The relay's disk is full; try again later");
    }
  else
    {
      confab_metrics_inc (CONFAB_METRIC_STORE_ERRORS);
      g_warning ("Request failed: %s", error->message);
      confab_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                         "The relay could not complete this request");
    }
}

JsonObject *
confab_http_read_object (ConfabRelay       *relay,
                         SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *object;
  gsize len;
  const char *data;

  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_json",
                         "The request needs a JSON object as its body");
      return NULL;
    }

  object = confab_json_parse_object (data, len, relay->config->max_body_bytes, MAX_JSON_DEPTH, &error);
  if (object == NULL)
    confab_http_gerror (msg, error);

  return object;
}

char *
confab_http_forwarded_ip (const char * const *trusted_proxies,
                          const char         *peer,
                          const char         *forwarded)
{
  g_auto (GStrv) hops = NULL;

  if (peer == NULL || !g_strv_contains (trusted_proxies, peer) || forwarded == NULL)
    return g_strdup (peer);

  /* The right-most hop was added by our own proxy; walk left past every trusted proxy. */
  hops = g_strsplit (forwarded, ",", -1);
  for (int i = g_strv_length (hops) - 1; i >= 0; i--)
    {
      g_autoptr (GInetAddress) parsed = NULL;
      char *hop = g_strstrip (hops[i]);

      if (g_strv_contains (trusted_proxies, hop))
        continue;
      parsed = g_inet_address_new_from_string (hop);
      if (parsed == NULL)
        break;
      return g_strdup (hop);
    }

  return g_strdup (peer);
}

char *
confab_http_client_ip (ConfabRelay       *relay,
                       SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autofree char *peer = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    peer = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

  return confab_http_forwarded_ip ((const char * const *) relay->config->trusted_proxies, peer,
                                   soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                                  "X-Forwarded-For"));
}

const char *
confab_http_parse_bearer (const char *header)
{
  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;

  header += 7;
  while (*header == ' ')
    header++;

  return *header ? header : NULL;
}

const char *
confab_http_bearer (SoupServerMessage *msg)
{
  return confab_http_parse_bearer (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                 "Authorization"));
}

ConfabUser *
confab_http_authenticate (ConfabRelay        *relay,
                          SoupServerMessage  *msg,
                          char              **out_token_hash)
{
  const char *token = confab_http_bearer (msg);
  g_autofree char *hash = NULL;
  g_autofree char *user_id = NULL;
  g_autoptr (GError) error = NULL;
  ConfabUser *user = NULL;

  if (token != NULL)
    {
      hash = confab_sha256_hex (token);
      user_id = confab_store_lookup_token (relay->store, hash, confab_now_ms (), &error);
      if (user_id != NULL)
        user = confab_store_get_user (relay->store, user_id, &error);
    }

  /* A store that cannot answer says so (503 when it passes): a 401 would tell the client its
   * token is bad, and clients drop their sign-in on a 401. */
  if (user == NULL && error != NULL &&
      !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    {
      confab_http_gerror (msg, error);
      return NULL;
    }

  if (user == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                         "Sign in first: the token is missing, expired or revoked");
      return NULL;
    }

  if (out_token_hash != NULL)
    *out_token_hash = g_steal_pointer (&hash);

  return user;
}

char **
confab_http_path_segments (const char *path,
                           const char *prefix)
{
  gsize prefix_len = strlen (prefix);

  if (strncmp (path, prefix, prefix_len) != 0)
    return NULL;

  path += prefix_len;
  if (*path == '/')
    path++;
  if (*path == '\0')
    return g_new0 (char *, 1);

  return g_strsplit (path, "/", -1);
}
