/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sound"

#include "confab-sound-player.h"

#define DEFAULT_VOLUME 0.8
#define DEFAULT_REPEAT_INTERVAL_MS 4000
#define DEFAULT_REPEAT_LIMIT_MS (5 * 60 * 1000)

G_DEFINE_ENUM_TYPE (ConfabSoundEvent, confab_sound_event,
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_NEW_VISITOR, "new-visitor"),
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_NEW_CONVERSATION, "new-conversation"),
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_NEW_MESSAGE, "new-message"),
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_TARGET_NEAR, "target-near"))

G_DEFINE_ENUM_TYPE (ConfabSoundMode, confab_sound_mode,
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_OFF, "off"),
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_ONCE, "once"),
  G_DEFINE_ENUM_VALUE (CONFAB_SOUND_REPEAT, "repeat"))

typedef struct
{
  ConfabSoundEvent event;
  gint64 deadline; /* monotonic µs: the repeat gives up then */
} Repeat;

struct _ConfabSoundPlayer
{
  GObject parent_instance;

  GstElement *playbin;
  GstElement *audio_sink; /* NULL: playbin's default (autoaudiosink) */
  double volume;
  guint repeat_interval_ms;
  guint repeat_limit_ms;

  /* what plays now, -1 when nothing does */
  int current;

  GHashTable *repeats; /* key → Repeat */
  guint repeat_source;
};

G_DEFINE_FINAL_TYPE (ConfabSoundPlayer, confab_sound_player, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VOLUME,
  PROP_AUDIO_SINK,
  PROP_REPEAT_INTERVAL,
  PROP_REPEAT_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
confab_sound_event_get_uri (ConfabSoundEvent event)
{
  switch (event)
    {
    case CONFAB_SOUND_NEW_VISITOR:
      return "resource:///chat/confab/Confab/sounds/new-visitor.oga";
    case CONFAB_SOUND_NEW_CONVERSATION:
      return "resource:///chat/confab/Confab/sounds/new-conversation.oga";
    case CONFAB_SOUND_NEW_MESSAGE:
      return "resource:///chat/confab/Confab/sounds/new-message.oga";
    case CONFAB_SOUND_TARGET_NEAR:
      return "resource:///chat/confab/Confab/sounds/target-near.oga";
    default:
      g_return_val_if_reached (NULL);
    }
}

ConfabSoundMode
confab_sound_mode_from_string (const char *nick)
{
  if (g_strcmp0 (nick, "once") == 0)
    return CONFAB_SOUND_ONCE;
  if (g_strcmp0 (nick, "repeat") == 0)
    return CONFAB_SOUND_REPEAT;
  return CONFAB_SOUND_OFF;
}

/* Which sound wins when two meet: a waiting visitor (new conversation) matters most, a visitor
 * merely arriving least. */
static int
event_priority (ConfabSoundEvent event)
{
  switch (event)
    {
    case CONFAB_SOUND_TARGET_NEAR:
      /* a reply about to be late: it must not wait behind anything */
      return 3;
    case CONFAB_SOUND_NEW_CONVERSATION:
      return 2;
    case CONFAB_SOUND_NEW_MESSAGE:
      return 1;
    case CONFAB_SOUND_NEW_VISITOR:
    default:
      return 0;
    }
}

static gboolean
event_is_valid (ConfabSoundEvent event)
{
  return event == CONFAB_SOUND_NEW_VISITOR ||
         event == CONFAB_SOUND_NEW_CONVERSATION ||
         event == CONFAB_SOUND_NEW_MESSAGE ||
         event == CONFAB_SOUND_TARGET_NEAR;
}

static void
apply_volume (ConfabSoundPlayer *self)
{
  /* The setting is what a slider shows; playbin's volume is a linear factor. Cubic, as
   * GstStreamVolume and PulseAudio map it (without linking gstreamer-audio for one line): the
   * middle of the slider sounds like half as loud, not barely quieter. */
  if (self->playbin != NULL)
    g_object_set (self->playbin, "volume", self->volume * self->volume * self->volume, NULL);
}

static void
halt (ConfabSoundPlayer *self)
{
  /* NULL, not READY: the audio device is released between sounds, and the pipeline flushes its
   * bus, so a late EOS of this sound cannot end the next one. */
  if (self->playbin != NULL)
    gst_element_set_state (self->playbin, GST_STATE_NULL);
  self->current = -1;
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (user_data);

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_EOS:
      halt (self);
      break;

    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &error, &debug);
        /* Not a warning: no sound card (a server, a test) is no reason to bother anyone. */
        g_message ("Could not play a sound: %s", error->message);
        g_debug ("%s", debug ? debug : "");
        halt (self);
      }
      break;

    default:
      break;
    }

  return G_SOURCE_CONTINUE;
}

static void
ensure_playbin (ConfabSoundPlayer *self)
{
  g_autoptr (GstBus) bus = NULL;

  if (self->playbin != NULL)
    return;

  self->playbin = gst_element_factory_make ("playbin", "confab-sound");
  if (self->playbin == NULL)
    {
      g_message ("Could not play sounds: GStreamer's playbin is missing (gst-plugins-base)");
      return;
    }
  gst_object_ref_sink (self->playbin);
  /* Audio only: no video or subtitle sinks get made for an .oga. soft-volume: playbin puts a
   * volume element before the sink, so the volume is ours alone, not the sink's stream volume
   * (which PulseAudio would remember and show in the mixer as the whole app's). */
  gst_util_set_object_arg (G_OBJECT (self->playbin), "flags", "audio+soft-volume");
  if (self->audio_sink != NULL)
    g_object_set (self->playbin, "audio-sink", self->audio_sink, NULL);
  apply_volume (self);

  bus = gst_element_get_bus (self->playbin);
  gst_bus_add_watch (bus, on_bus_message, self);
}

static void
start (ConfabSoundPlayer *self,
       ConfabSoundEvent   event,
       gboolean           interrupt)
{
  if (self->volume <= 0.0)
    return;

  if (!interrupt && self->current >= 0 &&
      event_priority (event) <= event_priority ((ConfabSoundEvent) self->current))
    return;

  ensure_playbin (self);
  if (self->playbin == NULL)
    return;

  halt (self);
  g_object_set (self->playbin, "uri", confab_sound_event_get_uri (event), NULL);
  apply_volume (self);
  if (gst_element_set_state (self->playbin, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      /* The error itself comes on the bus (no audio device...). */
      g_debug ("The sound pipeline did not start");
      return;
    }
  self->current = event;
}

static void
stop_repeating (ConfabSoundPlayer *self)
{
  g_clear_handle_id (&self->repeat_source, g_source_remove);
}

static gboolean
on_repeat_tick (gpointer user_data)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (user_data);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Repeat *repeat;
  int loudest = -1;

  g_hash_table_iter_init (&iter, self->repeats);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &repeat))
    {
      if (now >= repeat->deadline)
        {
          g_hash_table_iter_remove (&iter);
          continue;
        }
      if (loudest < 0 || event_priority (repeat->event) > event_priority (loudest))
        loudest = repeat->event;
    }

  if (loudest < 0)
    {
      self->repeat_source = 0;
      return G_SOURCE_REMOVE;
    }

  /* Many conversations waiting ring once per interval, not once each. */
  start (self, (ConfabSoundEvent) loudest, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
ensure_repeating (ConfabSoundPlayer *self)
{
  if (self->repeat_source == 0)
    self->repeat_source = g_timeout_add (self->repeat_interval_ms, on_repeat_tick, self);
}

void
confab_sound_player_play (ConfabSoundPlayer *self,
                          ConfabSoundEvent   event,
                          ConfabSoundMode    mode,
                          const char        *key)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));
  g_return_if_fail (event_is_valid (event));

  if (mode == CONFAB_SOUND_OFF)
    return;

  if (mode == CONFAB_SOUND_REPEAT && key != NULL)
    {
      Repeat *repeat = g_new0 (Repeat, 1);

      /* A new message in a conversation that already rings keeps it ringing for the whole
       * limit again: the visitor is still there. */
      repeat->event = event;
      repeat->deadline = g_get_monotonic_time () + (gint64) self->repeat_limit_ms * 1000;
      g_hash_table_replace (self->repeats, g_strdup (key), repeat);
      ensure_repeating (self);
    }
  /* REPEAT without a key plays once: nothing could ever answer it. */

  start (self, event, FALSE);
}

void
confab_sound_player_answered (ConfabSoundPlayer *self,
                              const char        *key)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));

  if (key == NULL)
    return;

  g_hash_table_remove (self->repeats, key);
  if (g_hash_table_size (self->repeats) == 0)
    stop_repeating (self);
}

gboolean
confab_sound_player_is_playing (ConfabSoundPlayer *self)
{
  g_return_val_if_fail (CONFAB_IS_SOUND_PLAYER (self), FALSE);

  return self->current >= 0;
}

gboolean
confab_sound_player_is_repeating (ConfabSoundPlayer *self,
                                  const char        *key)
{
  Repeat *repeat;

  g_return_val_if_fail (CONFAB_IS_SOUND_PLAYER (self), FALSE);

  if (key == NULL)
    return FALSE;

  repeat = g_hash_table_lookup (self->repeats, key);
  return repeat != NULL && g_get_monotonic_time () < repeat->deadline;
}

void
confab_sound_player_stop (ConfabSoundPlayer *self)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));

  g_hash_table_remove_all (self->repeats);
  stop_repeating (self);
  halt (self);
}

void
confab_sound_player_test (ConfabSoundPlayer *self,
                          ConfabSoundEvent   event)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));
  g_return_if_fail (event_is_valid (event));

  start (self, event, TRUE);
}

void
confab_sound_player_set_volume (ConfabSoundPlayer *self,
                                double             volume)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));

  volume = CLAMP (volume, 0.0, 1.0);
  if (volume == self->volume)
    return;

  self->volume = volume;
  if (volume <= 0.0)
    halt (self);
  else
    apply_volume (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME]);
}

double
confab_sound_player_get_volume (ConfabSoundPlayer *self)
{
  g_return_val_if_fail (CONFAB_IS_SOUND_PLAYER (self), 0.0);

  return self->volume;
}

void
confab_sound_player_set_audio_sink (ConfabSoundPlayer *self,
                                    GstElement        *sink)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));
  g_return_if_fail (sink == NULL || GST_IS_ELEMENT (sink));

  if (sink == self->audio_sink)
    return;

  halt (self);
  if (sink != NULL)
    gst_object_ref_sink (sink);
  g_clear_object (&self->audio_sink);
  self->audio_sink = sink;
  /* playbin takes a new sink only when it is idle, which it now is. */
  if (self->playbin != NULL)
    g_object_set (self->playbin, "audio-sink", sink, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_SINK]);
}

void
confab_sound_player_set_repeat_interval (ConfabSoundPlayer *self,
                                         guint              interval_ms)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));
  g_return_if_fail (interval_ms > 0);

  if (interval_ms == self->repeat_interval_ms)
    return;

  self->repeat_interval_ms = interval_ms;
  if (self->repeat_source != 0)
    {
      stop_repeating (self);
      ensure_repeating (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPEAT_INTERVAL]);
}

void
confab_sound_player_set_repeat_limit (ConfabSoundPlayer *self,
                                      guint              limit_ms)
{
  g_return_if_fail (CONFAB_IS_SOUND_PLAYER (self));

  if (limit_ms == self->repeat_limit_ms)
    return;

  /* Applies to the repeats that start from now on. */
  self->repeat_limit_ms = limit_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPEAT_LIMIT]);
}

ConfabSoundPlayer *
confab_sound_player_new (void)
{
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  return g_object_new (CONFAB_TYPE_SOUND_PLAYER, NULL);
}

static void
confab_sound_player_dispose (GObject *object)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (object);

  stop_repeating (self);
  if (self->playbin != NULL)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (self->playbin);

      gst_bus_remove_watch (bus);
      gst_element_set_state (self->playbin, GST_STATE_NULL);
      gst_clear_object (&self->playbin);
    }
  gst_clear_object (&self->audio_sink);

  G_OBJECT_CLASS (confab_sound_player_parent_class)->dispose (object);
}

static void
confab_sound_player_finalize (GObject *object)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (object);

  g_hash_table_unref (self->repeats);

  G_OBJECT_CLASS (confab_sound_player_parent_class)->finalize (object);
}

static void
confab_sound_player_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (object);

  switch (prop_id)
    {
    case PROP_VOLUME:
      g_value_set_double (value, self->volume);
      break;
    case PROP_AUDIO_SINK:
      g_value_set_object (value, self->audio_sink);
      break;
    case PROP_REPEAT_INTERVAL:
      g_value_set_uint (value, self->repeat_interval_ms);
      break;
    case PROP_REPEAT_LIMIT:
      g_value_set_uint (value, self->repeat_limit_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sound_player_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabSoundPlayer *self = CONFAB_SOUND_PLAYER (object);

  switch (prop_id)
    {
    case PROP_VOLUME:
      confab_sound_player_set_volume (self, g_value_get_double (value));
      break;
    case PROP_AUDIO_SINK:
      confab_sound_player_set_audio_sink (self, g_value_get_object (value));
      break;
    case PROP_REPEAT_INTERVAL:
      confab_sound_player_set_repeat_interval (self, g_value_get_uint (value));
      break;
    case PROP_REPEAT_LIMIT:
      confab_sound_player_set_repeat_limit (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sound_player_class_init (ConfabSoundPlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_sound_player_dispose;
  object_class->finalize = confab_sound_player_finalize;
  object_class->get_property = confab_sound_player_get_property;
  object_class->set_property = confab_sound_player_set_property;

  /* Bind it to the sound-volume setting. */
  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, 0.0, 1.0, DEFAULT_VOLUME,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_AUDIO_SINK] =
    g_param_spec_object ("audio-sink", NULL, NULL, GST_TYPE_ELEMENT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REPEAT_INTERVAL] =
    g_param_spec_uint ("repeat-interval", NULL, NULL, 1, G_MAXUINT, DEFAULT_REPEAT_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REPEAT_LIMIT] =
    g_param_spec_uint ("repeat-limit", NULL, NULL, 0, G_MAXUINT, DEFAULT_REPEAT_LIMIT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_sound_player_init (ConfabSoundPlayer *self)
{
  self->volume = DEFAULT_VOLUME;
  self->repeat_interval_ms = DEFAULT_REPEAT_INTERVAL_MS;
  self->repeat_limit_ms = DEFAULT_REPEAT_LIMIT_MS;
  self->current = -1;
  self->repeats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
