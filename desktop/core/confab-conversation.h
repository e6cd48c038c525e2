/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation.h: A conversation as the inbox shows it: one row of the conversation list.
 *
 * Immutable: the cache makes a new object for every change, so a row that
 * shows one never sees it change under it. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION (confab_conversation_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConversation, confab_conversation, CONFAB, CONVERSATION, GObject)

const char        *confab_conversation_get_id (ConfabConversation *self);
const char        *confab_conversation_get_site_id (ConfabConversation *self);
const char        *confab_conversation_get_visitor_id (ConfabConversation *self);
const char        *confab_conversation_get_visitor_name (ConfabConversation *self);
const char        *confab_conversation_get_visitor_email (ConfabConversation *self);
const char        *confab_conversation_get_status (ConfabConversation *self);
const char        *confab_conversation_get_assignee_id (ConfabConversation *self);
const char        *confab_conversation_get_assignee_name (ConfabConversation *self);
gint64             confab_conversation_get_created_at (ConfabConversation *self);
gint64             confab_conversation_get_last_message_at (ConfabConversation *self);
/* The inbox's order key as the cache stored it: the latest of creation and last message. */
gint64             confab_conversation_get_sort_at (ConfabConversation *self);
gint64             confab_conversation_get_last_seq (ConfabConversation *self);
gint64             confab_conversation_get_unread (ConfabConversation *self);
gint64             confab_conversation_get_agent_read_seq (ConfabConversation *self);
gint64             confab_conversation_get_visitor_read_seq (ConfabConversation *self);
const char        *confab_conversation_get_preview (ConfabConversation *self);
/* The visitor's rating: 1-5, 0 when not rated; the comment may be NULL. */
int                confab_conversation_get_rating_score (ConfabConversation *self);
const char        *confab_conversation_get_rating_comment (ConfabConversation *self);
gint64             confab_conversation_get_rated_at (ConfabConversation *self);
/* JSON text: [{"id","name","color"}], NULL when none were heard of */
const char        *confab_conversation_get_labels (ConfabConversation *self);
/* The labels' JSON parsed, once per object (NULL: none, or not an array). */
JsonArray         *confab_conversation_peek_labels (ConfabConversation *self);
/* JSON text: issue 18's team, queue place and response target (read it with
 * confab_routing_from_conversation()), NULL when none were heard of */
const char        *confab_conversation_get_routing (ConfabConversation *self);
/* Do @a and @b hold the same values, every property alike? */
gboolean           confab_conversation_equal (ConfabConversation *a,
                                              ConfabConversation *b);

G_END_DECLS
