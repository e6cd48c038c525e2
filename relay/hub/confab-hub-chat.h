/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-chat.h: what REST changes of issue 14's objects tell the live sockets
 * (confab-hub-notes.c). */
#pragma once

#include "confab-hub.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Replaces the labels of @conversation_id (a conversation of @site_id) by @label_ids and tells
 * the site's agents with the usual persisted `conversation` frame. Returns the conversation;
 * NOT_FOUND when a label is not the site's (then nothing changed). */
ConfabConversation *confab_hub_set_conversation_labels (ConfabHub          *hub,
                                                        const char         *site_id,
                                                        const char         *conversation_id,
                                                        const char * const *label_ids,
                                                        GError            **error);

/* The users (ConfabUser*: id and name) connected to @site_id and present as "online", at
 * most @limit, each once. */
GPtrArray          *confab_hub_online_agents           (ConfabHub          *hub,
                                                        const char         *site_id,
                                                        guint               limit);

G_END_DECLS
