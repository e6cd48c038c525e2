/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-team.h: what the site settings pages (team, FAQs, canned responses, audit
 * log, visitor data) need of the client beside confab-client-admin.h's JSON requests.
 *
 * - A download as raw bytes (a visitor's export, written to a file as the relay made it).
 * - The lists the relay pushes over /ws/agent after any change by anyone (live only, never
 *   cached): `canned`, `faqs` and `members` frames, each the whole list of one site as the
 *   matching GET answers it, come out as the signals "canned-changed", "faqs-changed" and
 *   "members-changed" (site_id, JsonArray, NULL when the relay found the list too long to push:
 *   read it over REST): call confab_client_ensure_list_signals() before
 *   connecting to them. (They are added to the class once it is whole: a ConfabClient that
 *   registers signals of these names itself keeps its own, and they are emitted once.)
 * - The presence of the other agents of the account's sites, as the relay last said it (after
 *   every sync it sends the presence of each one online), so that a page opened later shows it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

/* Makes sure ConfabClient has the signals above. */
void        confab_client_ensure_list_signals    (void);

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
