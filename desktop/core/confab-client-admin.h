/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-admin.h: the REST calls of the settings area (sites, the account, team pages...)
 * and the first sign-in with a setup code.
 *
 * One generic call, confab_client_request_async(), for every JSON endpoint: the settings pages
 * build the paths and bodies themselves (docs/http-api.md), and get the relay's error code as
 * well as its message, so that a refusal can be shown where it belongs (a domain that is not
 * valid beside the domains list, a weak password beside the password).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

/* @method ("GET", "POST", "PATCH", "DELETE") @path (e.g. "/api/v1/sites/ID") with the account's
 * token and @body (NULL: none) as JSON. */
void        confab_client_request_async  (ConfabClient        *self,
                                          const char          *method,
                                          const char          *path,
                                          JsonObject          *body,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* The answer's JSON object (an empty one for 204 No Content), or NULL with @error: the relay's
 * message in CONFAB_CLIENT_ERROR_RELAY (its error code in @code when not NULL),
 * CONFAB_CLIENT_ERROR_UNAUTHORIZED for a 401 of a signed-in client, or a network error. */
JsonObject *confab_client_request_finish (ConfabClient        *self,
                                          GAsyncResult        *result,
                                          char               **code,
                                          GError             **error);

/* The first sign-in of an invited (or reset) account: POST /api/v1/auth/setup with the code an
 * admin gave, the password chosen now and, optionally, a name. Completes as
 * confab_client_sign_in_async() does (token, user id and name set; start the client then).
 * Errors: CONFAB_CLIENT_ERROR_RELAY with @code "invalid_setup_code", "setup_code_expired",
 * "weak_password", "rate_limited"... */
void        confab_client_setup_async    (ConfabClient        *self,
                                          const char          *email,
                                          const char          *setup_code,
                                          const char          *password,
                                          const char          *name,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    confab_client_setup_finish   (ConfabClient        *self,
                                          GAsyncResult        *result,
                                          char               **code,
                                          GError             **error);

/* The user's new name (after PATCH /api/v1/me answered it): the client and its cache keep it. */
void        confab_client_set_user_name  (ConfabClient        *self,
                                          const char          *name);

/* A site object the relay answered (a PATCH, a new key) or pushed (a "site" frame, then the
 * client's "site-updated" signal): its name and role into the cache's site list. */
gboolean    confab_client_apply_site     (ConfabClient        *self,
                                          JsonObject          *site,
                                          GError             **error);

G_END_DECLS
