/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sound-player.h: the alert sounds (new visitor, new conversation, new message, a
 * response target about to be missed).
 *
 * GStreamer's playbin plays resource:///chat/confab/Confab/sounds/<name>.oga, so the program
 * must link the data resource (meson: `confab_data_resources` in the executable's sources).
 * One sound at a time: a sound that comes while a more important one plays is dropped (the
 * agent is being alerted already), and so is the same sound again (a burst of ten messages
 * rings once).
 *
 * CONFAB_SOUND_REPEAT with a key (a conversation id) plays at once, then again every
 * `repeat-interval` until confab_sound_player_answered() with that key, or `repeat-limit`
 * after the last play request for that key. */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  CONFAB_SOUND_NEW_VISITOR,
  CONFAB_SOUND_NEW_CONVERSATION,
  CONFAB_SOUND_NEW_MESSAGE,
  CONFAB_SOUND_TARGET_NEAR,      /* issue 18: a response target turned "near" */
} ConfabSoundEvent;

/* The nicks are the GSettings choices of the sound-* keys: "off", "once", "repeat". */
typedef enum {
  CONFAB_SOUND_OFF,
  CONFAB_SOUND_ONCE,
  CONFAB_SOUND_REPEAT,
} ConfabSoundMode;

#define CONFAB_TYPE_SOUND_EVENT (confab_sound_event_get_type ())
GType confab_sound_event_get_type (void);
#define CONFAB_TYPE_SOUND_MODE (confab_sound_mode_get_type ())
GType confab_sound_mode_get_type (void);

#define CONFAB_TYPE_SOUND_PLAYER (confab_sound_player_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSoundPlayer, confab_sound_player, CONFAB, SOUND_PLAYER, GObject)

/* Initialises GStreamer if the program has not. */
ConfabSoundPlayer *confab_sound_player_new                 (void);

void               confab_sound_player_play                (ConfabSoundPlayer *self,
                                                            ConfabSoundEvent   event,
                                                            ConfabSoundMode    mode,
                                                            const char        *key);
/* Stops the repeating of @key (the agent answered or opened the conversation). */
void               confab_sound_player_answered            (ConfabSoundPlayer *self,
                                                            const char        *key);
/* Stops everything: the sound playing and every repeat (sign out, quit). */
void               confab_sound_player_stop                (ConfabSoundPlayer *self);
/* The preferences' test button: plays @event once now, whatever plays or is set. */
void               confab_sound_player_test                (ConfabSoundPlayer *self,
                                                            ConfabSoundEvent   event);
gboolean           confab_sound_player_is_repeating        (ConfabSoundPlayer *self,
                                                            const char        *key);
/* A sound is playing (until its end is seen on the main loop). */
gboolean           confab_sound_player_is_playing          (ConfabSoundPlayer *self);

/* 0 (silent: nothing plays) to 1, as a slider shows it: cubic, like the system mixer. */
void               confab_sound_player_set_volume          (ConfabSoundPlayer *self,
                                                            double             volume);
double             confab_sound_player_get_volume          (ConfabSoundPlayer *self);
/* NULL: GStreamer's automatic choice (PulseAudio, PipeWire, ALSA). Tests pass a fakesink. */
void               confab_sound_player_set_audio_sink      (ConfabSoundPlayer *self,
                                                            GstElement        *sink);
void               confab_sound_player_set_repeat_interval (ConfabSoundPlayer *self,
                                                            guint              interval_ms);
void               confab_sound_player_set_repeat_limit    (ConfabSoundPlayer *self,
                                                            guint              limit_ms);

/* resource:///chat/confab/Confab/sounds/… of @event. */
const char        *confab_sound_event_get_uri              (ConfabSoundEvent   event);
/* A sound-* GSettings value to a mode; NULL or anything unknown is CONFAB_SOUND_OFF. */
ConfabSoundMode    confab_sound_mode_from_string           (const char        *nick);

G_END_DECLS
