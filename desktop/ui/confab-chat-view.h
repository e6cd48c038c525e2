/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view.h: one conversation: its messages, the visitor's typing, the composer and
 * the conversation's actions (assign, pending, resolve, reopen). */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHAT_VIEW (confab_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabChatView, confab_chat_view, CONFAB, CHAT_VIEW, GtkWidget)

void        confab_chat_view_set_account          (ConfabChatView *self,
                                                   ConfabAccount  *account);
/* NULL: nothing selected (an empty state shows). */
void        confab_chat_view_set_conversation_id  (ConfabChatView *self,
                                                   const char     *conversation_id);
const char *confab_chat_view_get_conversation_id  (ConfabChatView *self);
/* In a narrow window: a back button to the list. */
void        confab_chat_view_set_folded           (ConfabChatView *self,
                                                   gboolean        folded,
                                                   gboolean        last_pane);
void        confab_chat_view_focus_composer       (ConfabChatView *self);
/* Tells the relay the open conversation was read, when the window has the focus. */
void        confab_chat_view_mark_read            (ConfabChatView *self);
/* Queues the image of @file for the open conversation (file chooser, drop). */
void        confab_chat_view_send_file            (ConfabChatView *self,
                                                   GFile          *file);

/* Scrolls to the message @seq of the open conversation (a search result) and stops following
 * new messages until the agent scrolls back down. */
void        confab_chat_view_show_seq (ConfabChatView *self,
                                       gint64          seq);

G_END_DECLS
