/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-channels.h: ConfabClient and issue 15's channels. Every conversation object's
 * "channel" and "reply_window_ends_at", every message's "delivery" and each `delivery` frame go
 * into the cache (confab-cache-channels.h); the rows read them from there.
 *
 * WhatsApp outside its 24-hour window takes only a template: confab_client_send_template()
 * sends one (live only, not through the outbox: the window may have opened or closed again by
 * the time an outbox would send it); a plain message there is refused `reply_window_closed`,
 * which fails the outbox entry for good (the row offers Discard). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

/* confab-client.c: TRUE when @frame (a `delivery` frame) was handled whole. */
gboolean confab_client_channels_handle_frame (ConfabClient  *self,
                                              const char    *type,
                                              JsonObject    *frame,
                                              gint64         cursor);

/* The template @name in @language into @conversation_id, shown as @body. */
gboolean confab_client_send_template         (ConfabClient  *self,
                                              const char    *conversation_id,
                                              const char    *name,
                                              const char    *language,
                                              const char    *body,
                                              GError       **error);

G_END_DECLS
