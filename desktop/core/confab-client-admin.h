/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-admin.h: what the settings pages (team, FAQs, canned responses, audit log,
 * visitor data) need of the client beside the inbox.
 *
 * - REST writes and reads with the account's token: POST/PATCH/DELETE with a JSON body, the
 *   answer as a JSON object (NULL for 204 No Content), or as raw bytes (a visitor's export,
 *   written to a file as the relay made it).
 * - The lists the relay pushes over /ws/agent after any change by anyone (live only, never
 *   cached): `canned`, `faqs` and `members` frames, each the whole list of one site as the
 *   matching GET answers it, come out as the signals "canned-changed", "faqs-changed" and
 *   "members-changed" (site_id, JsonArray).
 * - The presence of the other agents of the account's sites, as the relay last said it (after
 *   every sync it sends the presence of each one online), so that a page opened later shows it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

/* @method (POST, PATCH, DELETE, GET) on @path with @body (may be NULL: no body). Errors as
 * confab_client_get_json_async: CONFAB_CLIENT_ERROR_UNAUTHORIZED on 401, _RELAY with the
 * relay's own message for every other refusal. */
void        confab_client_request_async          (ConfabClient        *self,
                                                  const char          *method,
                                                  const char          *path,
                                                  JsonObject          *body,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* The answer's object; NULL without @error set for an answer without a body (204). */
JsonObject *confab_client_request_finish         (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* GET @path, the body as it came (at most 64 MiB): for exports written to a file. */
void        confab_client_download_async         (ConfabClient        *self,
                                                  const char          *path,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes     *confab_client_download_finish        (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* online, away, busy or offline: what the relay last said of @agent_id (this account's own
 * presence for its own id); offline when it said nothing since the last sync. */
const char *confab_client_get_agent_presence     (ConfabClient        *self,
                                                  const char          *agent_id);

/* The signed-in account's role on @site_id (owner, admin, agent), from the cached site list;
 * NULL when it is not a member. Free it. */
char       *confab_client_dup_site_role          (ConfabClient        *self,
                                                  const char          *site_id);

G_END_DECLS
