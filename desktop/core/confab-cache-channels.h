/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-channels.h: what issue 15 adds to a conversation and a message, kept beside
 * them (tables of their own, cache schema 4) so that the inbox's rows and the apply path stay as
 * they are: a conversation's channel ("email", "messenger", "whatsapp"; web ones have no row)
 * with WhatsApp's reply window, and the delivery state of an agent message sent by a channel. */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-cache.h"

G_BEGIN_DECLS

/* The "channel" and "reply_window_ends_at" of a conversation object; writes only a change. */
gboolean confab_cache_note_channel   (ConfabCache  *self,
                                      JsonObject   *conversation,
                                      GError      **error);
/* A message's "delivery" ({"status","error"}), from a message or a delivery frame; emits
 * message-changed for it when it is in the cache. */
gboolean confab_cache_note_delivery  (ConfabCache  *self,
                                      const char   *conversation_id,
                                      gint64        seq,
                                      JsonObject   *delivery,
                                      GError      **error);
/* The conversation's channel (NULL: the website) and, for WhatsApp, when its reply window
 * closes (Unix ms; 0 when unknown). */
char    *confab_cache_dup_channel    (ConfabCache  *self,
                                      const char   *conversation_id,
                                      gint64       *out_window_ends_at);
/* The message's delivery status (NULL: none, a web message) and the platform's error. */
char    *confab_cache_dup_delivery   (ConfabCache  *self,
                                      const char   *conversation_id,
                                      gint64        seq,
                                      char        **out_error);

G_END_DECLS
