/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-settings.h: the app's preferences as properties, bound to GSettings.
 *
 * One object (as in Chatty) so that the UI binds widgets to properties and the tests set them
 * without a schema or a dconf. Backed by the chat.confab.Confab schema when it is installed;
 * without it (a build tree without data/) the properties keep their defaults in memory. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONFAB_APP_ID "chat.confab.Confab"

#define CONFAB_TYPE_SETTINGS (confab_settings_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSettings, confab_settings, CONFAB, SETTINGS, GObject)

ConfabSettings *confab_settings_new               (void);
/* NULL when the schema is not installed. */
GSettings      *confab_settings_get_gsettings     (ConfabSettings *self);

/* "relay\nemail" for each account, the active one first. */
GStrv           confab_settings_dup_accounts      (ConfabSettings *self);
void            confab_settings_add_account       (ConfabSettings *self,
                                                   const char     *relay_url,
                                                   const char     *email);
void            confab_settings_remove_account    (ConfabSettings *self,
                                                   const char     *relay_url,
                                                   const char     *email);

/* "off", "once" or "repeat" for "sound-new-visitor", "sound-new-conversation",
 * "sound-new-message". */
const char     *confab_settings_get_sound_mode    (ConfabSettings *self,
                                                   const char     *key);
double          confab_settings_get_sound_volume  (ConfabSettings *self);
gboolean        confab_settings_get_notifications (ConfabSettings *self);
int             confab_settings_get_away_after_minutes (ConfabSettings *self);

G_END_DECLS
