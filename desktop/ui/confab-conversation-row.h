/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation-row.h: one conversation in the inbox list. */
#pragma once

#include <gtk/gtk.h>

#include "confab-conversation.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_ROW (confab_conversation_row_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, CONFAB, CONVERSATION_ROW, GtkWidget)

GtkWidget *confab_conversation_row_new              (void);
void       confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                                     ConfabConversation    *conversation);
const char *confab_conversation_row_get_conversation_id (ConfabConversationRow *self);
/* The conversation's channel (issue 15): "email", "messenger", "whatsapp" get a badge on the
 * avatar; NULL (the website) none. */
void        confab_conversation_row_set_channel         (ConfabConversationRow *self,
                                                         const char            *channel);
const char *confab_conversation_row_get_channel         (ConfabConversationRow *self);
/* The icon and the name of a channel ("E-mail"); NULL for the website or an unknown one. */
const char *confab_channel_icon_name                    (const char            *channel);
const char *confab_channel_title                        (const char            *channel);
/* The visitor's rating the row shows (1–5), 0 when it shows none. */
int         confab_conversation_row_get_rating          (ConfabConversationRow *self);

/* Issue 18: the target badge the row shows (a ConfabTargetState: CONFAB_TARGET_NEAR or
 * CONFAB_TARGET_MISSED; CONFAB_TARGET_NONE when it shows none) and the team tag (NULL: none). */
int         confab_conversation_row_get_target_state    (ConfabConversationRow *self);
const char *confab_conversation_row_get_team_name       (ConfabConversationRow *self);

/* How many label chips the row draws (at most 3, then one "+N"). */
guint       confab_conversation_row_get_n_labels (ConfabConversationRow *self);

G_END_DECLS
