/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub.h: live connections of visitors and agents, rooms, fan-out, presence, typing */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

ConfabHub *confab_hub_new               (ConfabRelay *relay);
void       confab_hub_free              (ConfabHub   *hub);

/* Closes every socket opened with this token (close code 4001): the token was revoked. */
void       confab_hub_revoke_token      (ConfabHub   *hub,
                                         const char  *token_hash);
/* Says goodbye to everyone (close code 1001) before the relay stops. */
void       confab_hub_close_all         (ConfabHub   *hub);
/* Agents of @site_id connected and "online". */
guint      confab_hub_agents_online     (ConfabHub   *hub,
                                         const char  *site_id);
/* The site's settings changed (domains, flags): reload what live connections cached. */
void       confab_hub_site_changed      (ConfabHub   *hub,
                                         const char  *site_id);

/* Close codes the relay uses besides RFC 6455's own. */
#define CONFAB_CLOSE_TOKEN_REVOKED 4001
/* The client stopped reading and its send queue filled up: reconnect and resume from the last
 * cursor / seq. (1013 "Try Again Later" would say the same, but libsoup 3.2 peers read it as a
 * protocol error.) */
#define CONFAB_CLOSE_SLOW_CONSUMER 4008

G_END_DECLS
