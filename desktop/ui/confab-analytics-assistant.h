/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-assistant.h: the Analytics view's assistant cards (issue 16): its answers,
 * hand-offs to a person, "was this helpful" votes and failures (the FAQ bot answered instead),
 * shown only when the relay's answer has "assistant". */
#pragma once

#include <gtk/gtk.h>

#include "confab-analytics.h"

G_BEGIN_DECLS

/* A titled box of cards, hidden until updated with an answer that has the assistant's figures. */
GtkWidget *confab_analytics_assistant_new    (void);
/* Shows @a's figures (@previous: the period before, may be NULL) or hides the box when @a
 * has none. */
void       confab_analytics_assistant_update (GtkWidget             *box,
                                              const ConfabAnalytics *a,
                                              const ConfabAnalytics *previous);

G_END_DECLS
