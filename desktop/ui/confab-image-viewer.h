/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-image-viewer.h: an image of a conversation at full size, with "Save As…". */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_IMAGE_VIEWER (confab_image_viewer_get_type ())
G_DECLARE_FINAL_TYPE (ConfabImageViewer, confab_image_viewer, CONFAB, IMAGE_VIEWER, AdwWindow)

GtkWidget *confab_image_viewer_new (GtkWindow     *parent,
                                    ConfabAccount *account,
                                    const char    *upload_id);
gboolean   confab_image_viewer_save_to (ConfabImageViewer  *self,
                                        GFile              *file,
                                        GError            **error);

G_END_DECLS
