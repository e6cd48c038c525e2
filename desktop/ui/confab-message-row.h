/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-message-row.h: one message bubble, with its day separator when it opens a day. */
#pragma once

#include <gtk/gtk.h>

#include "confab-account.h"
#include "confab-message.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_ROW (confab_message_row_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessageRow, confab_message_row, CONFAB, MESSAGE_ROW, GtkWidget)

GtkWidget *confab_message_row_new          (void);
/* @previous: the message above (NULL for the first), for the day separator. */
void       confab_message_row_bind         (ConfabMessageRow *self,
                                            ConfabAccount    *account,
                                            ConfabMessage    *message,
                                            ConfabMessage    *previous,
                                            gint64            visitor_read_seq);
/* The visitor read up to @seq: "Sent" may become "Read". */
void       confab_message_row_set_read_seq (ConfabMessageRow *self,
                                            gint64            visitor_read_seq);
void       confab_message_row_unbind       (ConfabMessageRow *self);

G_END_DECLS
