/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatar-textures.h: the agents' pictures as textures for the rows that show them (the
 * conversation's messages, the team page): memory, then the app's cache directory, then the
 * relay (confab-client-avatars.h); each picture loaded once per run and client. */
#pragma once

#include "confab-account.h"

G_BEGIN_DECLS

/* The picture of the agent @user_id; the callback gets NULL — draw the initials — when they
 * have none or it could not be had (at once when that is known). It is not called once
 * @cancellable is cancelled. */
void confab_avatar_textures_load (ConfabClient         *client,
                                  const char           *user_id,
                                  GCancellable         *cancellable,
                                  ConfabTextureCallback callback,
                                  gpointer              user_data);

G_END_DECLS
