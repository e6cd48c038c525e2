/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-api.h: what the REST API's callers with an API key (and agents without a socket)
 * change through the hub, so that everyone connected hears of it (confab-hub-api.c) */
#pragma once

#include "confab-hub.h"

G_BEGIN_DECLS

/* An agent's message posted over REST: appended to @draft->conversation_id (which must be set)
 * and sent to the visitor's tabs and the site's agents like one from an agent's socket.
 * Idempotent on (@draft->sender_type, @draft->sender_id, @draft->client_id): a second post of the
 * same client_id answers the message stored the first time, with *@out_duplicate TRUE, and tells
 * nobody again (CONFLICT when its content differs). @assignee_id (may be NULL) takes an
 * unassigned conversation on, as an agent's first reply does when the site says so. */
ConfabMessage *confab_hub_post_api_message     (ConfabHub                *hub,
                                                const ConfabMessageDraft *draft,
                                                const char               *assignee_id,
                                                const char               *assignee_name,
                                                gboolean                 *out_duplicate,
                                                GError                  **error);

/* The visitor's name and e-mail changed (PATCH /visitors/{id}): the site's agents get the
 * visitor again. */
void           confab_hub_visitor_changed       (ConfabHub                *hub,
                                                const char               *site_id,
                                                const char               *visitor_id);

G_END_DECLS
