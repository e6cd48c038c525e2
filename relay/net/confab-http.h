/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-http.h: JSON responses, errors, bodies and authentication for HTTP handlers */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "confab-relay.h"

G_BEGIN_DECLS

/* Answers with @node (an object or array) serialised. Takes no ownership. */
void         confab_http_json           (SoupServerMessage *msg,
                                         guint              status,
                                         JsonNode          *node);
void         confab_http_json_object    (SoupServerMessage *msg,
                                         guint              status,
                                         JsonObject        *object);
/* {"error":{"code":@code,"message":@message}} with @status. */
void         confab_http_error          (SoupServerMessage *msg,
                                         guint              status,
                                         const char        *code,
                                         const char        *message);
/* 429 with Retry-After (whole seconds, at least 1). */
void         confab_http_rate_limited   (SoupServerMessage *msg,
                                         guint              retry_after_ms);
/* Answers a JSON/store error with the right status: CONFAB_JSON_ERROR → 400/413,
 * CONFAB_STORE_ERROR_NOT_FOUND → 404, EXISTS/CONFLICT → 409, else 500 (logged). */
void         confab_http_gerror         (SoupServerMessage *msg,
                                         const GError      *error);

/* The request body as a JSON object, size/UTF-8/depth-checked first. On NULL the error
 * response has been set. */
JsonObject  *confab_http_read_object    (ConfabRelay       *relay,
                                         SoupServerMessage *msg);

/* The client's IP: the peer, or the last untrusted hop of X-Forwarded-For when the peer is
 * a configured proxy. */
char        *confab_http_client_ip      (ConfabRelay       *relay,
                                         SoupServerMessage *msg);

/* The user behind "Authorization: Bearer …", or NULL after answering 401. The token's
 * SHA-256 is returned in @out_token_hash when asked for. */
ConfabUser  *confab_http_authenticate   (ConfabRelay       *relay,
                                         SoupServerMessage *msg,
                                         char             **out_token_hash);

/* The bearer token of the request, or NULL. */
const char  *confab_http_bearer         (SoupServerMessage *msg);

/* The string cores of the two above, for the fuzzer (tests/fuzz/fuzz-http.c): the token in an
 * Authorization header's value (a pointer into it), and the client's address given the peer's
 * and an X-Forwarded-For list (newly allocated; NULL only when @peer is). */
const char  *confab_http_parse_bearer   (const char        *header);
char        *confab_http_forwarded_ip   (const char * const *trusted_proxies,
                                         const char        *peer,
                                         const char        *forwarded);

/* Splits "/api/v1/sites/ID/conversations" after @prefix into segments; NULL when the path
 * does not start with @prefix. Empty segments are kept, so "a//b" does not alias "a/b". */
char       **confab_http_path_segments  (const char        *path,
                                         const char        *prefix);

/* Gives a request whose body is still arriving another request timeout: uploads call it as
 * their body makes progress, so that a slow link is not cut off while a stalled one still is. */
void         confab_http_rearm_request_timeout (ConfabRelay       *relay,
                                                SoupServerMessage *msg);

/* Answers {"error":{"code","message"}} with @status on the request's socket at once, without
 * reading the rest of its body, and closes the connection (confab-http-body.c). For a body
 * refused while it arrives; a handler answers as usual otherwise. */
void         confab_http_refuse_now     (ConfabRelay       *relay,
                                         SoupServerMessage *msg,
                                         guint              status,
                                         const char        *code,
                                         const char        *message);
/* Every request body is counted against its endpoint's limit before anything else looks at
 * the request: [http] max-body-bytes for JSON, the upload ceiling for uploads, a few bytes for
 * the rest. A Content-Length over it (or not a number) is refused at the headers, a chunked
 * body as soon as it passes it. */
void         confab_http_body_guard_install (ConfabRelay   *relay);
void         confab_http_body_guard_remove  (ConfabRelay   *relay);

/* Registers the REST API (confab-api.c). */
void         confab_api_register        (ConfabRelay       *relay);

G_END_DECLS
