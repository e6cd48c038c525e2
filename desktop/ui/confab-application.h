/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-application.h: the app: accounts (keyring, silent sign-in), the window, sounds and
 * notifications for what comes in. */
#pragma once

#include <adwaita.h>

#include "confab-settings.h"
#include "confab-sound-player.h"
#include "confab-window.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_APPLICATION (confab_application_get_type ())
G_DECLARE_FINAL_TYPE (ConfabApplication, confab_application, CONFAB, APPLICATION, AdwApplication)

ConfabApplication *confab_application_new          (const char        *application_id,
                                                    GApplicationFlags  flags);
ConfabSettings    *confab_application_get_settings (ConfabApplication *self);
/* NULL before the first activate. */
ConfabWindow      *confab_application_get_window   (ConfabApplication *self);
/* The alert sounds; NULL with CONFAB_NO_SOUND set. Tests give it a fake audio sink. */
ConfabSoundPlayer *confab_application_get_sound_player (ConfabApplication *self);

/* The notifications of notes in @conversation_id that mention the agent: done (it is read). */
void               confab_application_withdraw_mentions (ConfabApplication *self,
                                                         const char        *conversation_id);

G_END_DECLS
