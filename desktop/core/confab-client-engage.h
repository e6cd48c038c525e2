/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-engage.h: issue 16's proactive engagement on the client: the relay's pushed
 * `triggers` frame becomes the client's "triggers-changed" signal.
 *
 *   "triggers-changed" (const char *site_id, JsonArray *triggers): the site's triggers after
 *   any change (docs/http-api.md, Triggers); the settings page shows them without asking. */
#pragma once

#include "confab-client.h"

G_BEGIN_DECLS

/* Makes sure the signal exists (before a page connects to it). */
void confab_client_ensure_engage_signals (void);

G_END_DECLS
