/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-routing.h: ConfabClient and issue 18's routing.
 *
 * - Conversations' team, queue place and response target come with every conversation object
 *   into the cache (confab-routing.h); the user's own limit per site with the site list.
 * - A site's teams: the pushed `teams` frame (after any change by anyone) and GET
 *   /api/v1/sites/{id}/teams (confab_client_fetch_teams_async) both go into the cache and come
 *   out as the signal "teams-changed" (site_id, JsonArray): call
 *   confab_client_ensure_routing_signals() before connecting to it.
 * - Transfer to a team or an agent with a note: live only, like assign and set_status (an
 *   offline app disables it rather than queueing it: by the time it would be sent the
 *   conversation may have moved on). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

void        confab_client_ensure_routing_signals (void);

/* confab-client.c: TRUE when @frame (a `teams` frame) was handled whole. */
gboolean    confab_client_routing_handle_frame   (ConfabClient        *self,
                                                  const char          *type,
                                                  JsonObject          *frame);

/* GET the site's teams into the cache (and "teams-changed"); the array, or an error with the
 * relay's code in @code (`not_found` from a relay without teams). */
void        confab_client_fetch_teams_async      (ConfabClient        *self,
                                                  const char          *site_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonArray  *confab_client_fetch_teams_finish     (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  char               **code,
                                                  GError             **error);

/* The `transfer` frame: exactly one of @to_agent_id and @to_team_id; @note may be NULL (at most
 * 1000 characters). OFFLINE error when not connected. */
gboolean    confab_client_transfer               (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  const char          *to_agent_id,
                                                  const char          *to_team_id,
                                                  const char          *note,
                                                  GError             **error);

G_END_DECLS
