/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-widget-preview.h: a drawn mock of a site's chat widget on a page — the launcher in the
 * site's colour in its corner, the open panel with the welcome text — that follows the settings
 * as they are typed. Drawn by the app (cairo), not the real widget. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_WIDGET_PREVIEW (confab_widget_preview_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWidgetPreview, confab_widget_preview, CONFAB, WIDGET_PREVIEW, GtkWidget)

GtkWidget  *confab_widget_preview_new          (void);
/* "#rrggbb"; anything else keeps the colour shown. */
void        confab_widget_preview_set_color    (ConfabWidgetPreview *self,
                                                const char          *color);
const char *confab_widget_preview_get_color    (ConfabWidgetPreview *self);
/* "bottom-right" or "bottom-left". */
void        confab_widget_preview_set_position (ConfabWidgetPreview *self,
                                                const char          *position);
const char *confab_widget_preview_get_position (ConfabWidgetPreview *self);
void        confab_widget_preview_set_welcome  (ConfabWidgetPreview *self,
                                                const char          *text);
const char *confab_widget_preview_get_welcome  (ConfabWidgetPreview *self);
void        confab_widget_preview_set_title    (ConfabWidgetPreview *self,
                                                const char          *title);

G_END_DECLS
