/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-assistant.h: what issue 16's assistant adds to a message, kept beside it (a
 * table of its own, cache schema 5) so that the message rows and the apply path stay as they
 * are: that a bot message is the assistant's ("assistant": true) and the sources it cited
 * ([{"title","url"}], url null for a FAQ). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-cache.h"

G_BEGIN_DECLS

/* A message object's "assistant" and "sources", inside the caller's transaction (the apply of
 * the message itself); a message that is not the assistant's leaves no row. */
gboolean   confab_cache_note_assistant  (ConfabCache  *self,
                                         JsonObject   *message,
                                         GError      **error);
/* The sources of the assistant's message @seq (an empty array when it cited none), or NULL
 * when that message is not the assistant's. */
JsonArray *confab_cache_dup_sources     (ConfabCache  *self,
                                         const char   *conversation_id,
                                         gint64        seq);

G_END_DECLS
