/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-engage.h: the Analytics view's cards for issue 16's goals (reached, their
 * value, by how many visitors, how many after a conversation) and triggers (greetings sent,
 * conversations they started). A card shows only when the relay sent its part. */
#pragma once

#include <gtk/gtk.h>

#include "confab-analytics.h"

G_BEGIN_DECLS

/* A row of the two cards, hidden until confab_analytics_engage_update() has something. */
GtkWidget *confab_analytics_engage_new    (void);
void       confab_analytics_engage_update (GtkWidget             *cards,
                                           const ConfabAnalytics *analytics);

G_END_DECLS
