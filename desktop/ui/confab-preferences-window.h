/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-preferences-window.h: sounds, notifications, away time; bound to ConfabSettings. */
#pragma once

#include <adwaita.h>

#include "confab-settings.h"
#include "confab-sound-player.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PREFERENCES_WINDOW (confab_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPreferencesWindow, confab_preferences_window, CONFAB, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *confab_preferences_window_new (GtkWindow         *parent,
                                          ConfabSettings    *settings,
                                          ConfabSoundPlayer *player);

G_END_DECLS
