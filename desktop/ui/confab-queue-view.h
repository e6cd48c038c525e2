/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-queue-view.h: the inbox's "Queue" (issue 18) — the conversations waiting for a free
 * agent, oldest in the queue first, each with its place, team and waiting time (ticking every
 * second without rebuilding the rows). Activating one emits "open-conversation" (its id);
 * "count-changed" says that confab_queue_view_get_n_items() changed. */
#pragma once

#include <gtk/gtk.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_QUEUE_VIEW (confab_queue_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabQueueView, confab_queue_view, CONFAB, QUEUE_VIEW, GtkWidget)

GtkWidget *confab_queue_view_new         (void);
void       confab_queue_view_set_account (ConfabQueueView *self,
                                          ConfabAccount   *account);
/* NULL: every site / any team. */
void       confab_queue_view_set_site_id (ConfabQueueView *self,
                                          const char      *site_id);
void       confab_queue_view_set_team_id (ConfabQueueView *self,
                                          const char      *team_id);
guint      confab_queue_view_get_n_items (ConfabQueueView *self);
/* "2:05": how long @queued_at (Unix ms) is ago at @now_ms; hours when it is that long. */
char      *confab_queue_format_wait      (gint64           queued_at,
                                          gint64           now_ms);
/* The label with the waiting time of @conversation_id's row on screen (NULL: none). */
GtkLabel  *confab_queue_view_get_wait_label (ConfabQueueView *self,
                                             const char      *conversation_id);

G_END_DECLS
