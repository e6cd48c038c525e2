/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-labels.h: what the views that show conversation labels share — their colours (only
 * "#rrggbb" as the relay stores them; anything else draws grey) and a small colour dot. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* @color as "#rrggbb" into @rgba; FALSE (and a neutral grey) for anything else. */
gboolean   confab_label_parse_color (const char *color,
                                     GdkRGBA    *rgba);

/* A 10 px dot of @color. */
GtkWidget *confab_label_dot_new     (const char *color);

G_END_DECLS
