/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatar-row.h: the account's picture in the settings area — the avatar (the image the
 * user chose, else their initials, drawn), "Choose…" (an image: PUT /api/v1/me/avatar, the relay
 * makes it a 256 px square) and "Remove" (DELETE). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

GtkWidget *confab_avatar_row_new      (ConfabClient *client);
/* The file chooser's answer: @file (an image) becomes the account's picture. */
void       confab_avatar_row_set_file (GtkWidget    *row,
                                       GFile        *file);

G_END_DECLS
