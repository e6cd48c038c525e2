/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-message-list.h: the messages of one conversation as a GListModel of ConfabMessage.
 *
 * Ordered by seq, queued (outbox) messages last in the order they were written. Windowed: only
 * the pages around the positions asked for are loaded (ConfabPageCache), so a conversation of
 * 100,000 messages costs what is on screen. Follows the cache live: items-changed for each
 * message added, acknowledged, failed or discarded. */
#pragma once

#include <gio/gio.h>

#include "confab-cache.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_LIST (confab_message_list_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessageList, confab_message_list, CONFAB, MESSAGE_LIST, GObject)

ConfabMessageList *confab_message_list_new                (ConfabCache       *cache,
                                                           const char        *conversation_id);
const char        *confab_message_list_get_conversation_id (ConfabMessageList *self);
/* Rows held in memory right now (for the benchmark and the tests). */
guint              confab_message_list_get_n_loaded       (ConfabMessageList *self);

/* The position of the message @seq in the list, -1 when it is not in the cache. */
int                confab_message_list_find_seq           (ConfabMessageList *self,
                                                           gint64             seq);

G_END_DECLS
