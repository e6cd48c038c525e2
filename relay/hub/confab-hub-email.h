/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-email.h: what issue 15's e-mail needs of the hub (confab-hub-email.c) */
#pragma once

#include "confab-hub.h"

G_BEGIN_DECLS

/* A conversation made outside the hub (of a mail that came in): the site's agents hear of it
 * as of one a visitor started, before its first message. */
gboolean confab_hub_announce_conversation (ConfabHub   *hub,
                                           const char  *conversation_id,
                                           GError     **error);

G_END_DECLS
