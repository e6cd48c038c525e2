/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ConfabSoundPlayer through real GStreamer: playbin decodes the real .oga files from the real
 * GResource (the test links confab_data_resources) into a fakesink. A pad probe on the sink
 * records every stream that reaches it: the URI playbin was playing, how many samples arrived
 * (which tells the three sounds apart by length), their peak (the volume) and whether it ended.
 * The sink does not sync to the clock unless a test says so: a sound then plays in a few ms. */
#define G_LOG_DOMAIN "test-sound-player"

#include <gst/gst.h>
#include <math.h>

#include "confab-sound-player.h"
#include "confab-data-resources.h"

typedef struct
{
  char *uri;
  int rate;
  guint64 samples;
  float peak;
  gboolean ended;
} Play;

typedef struct
{
  ConfabSoundPlayer *player;
  GstElement *sink_bin;
  GstElement *fakesink;

  GMutex lock; /* the probe runs on GStreamer's streaming thread */
  GPtrArray *plays;
} Fixture;

static void
play_free (gpointer data)
{
  Play *play = data;

  g_free (play->uri);
  g_free (play);
}

/* The URI of the playbin that holds @pad's element. */
static char *
playbin_uri_of (GstPad *pad)
{
  GstObject *object = gst_pad_get_parent (pad);

  while (object != NULL)
    {
      GstObject *parent;

      if (g_strcmp0 (G_OBJECT_TYPE_NAME (object), "GstPlayBin") == 0)
        {
          char *uri = NULL;

          g_object_get (object, "current-uri", &uri, NULL);
          gst_object_unref (object);
          return uri;
        }
      parent = gst_object_get_parent (object);
      gst_object_unref (object);
      object = parent;
    }
  return NULL;
}

static GstPadProbeReturn
on_sink_data (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Fixture *f = user_data;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&f->lock);
  Play *play = f->plays->len > 0 ? g_ptr_array_index (f->plays, f->plays->len - 1) : NULL;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      GstMapInfo map;

      g_assert_nonnull (play);
      if (gst_buffer_map (buffer, &map, GST_MAP_READ))
        {
          const float *samples = (const float *) map.data;
          gsize n = map.size / sizeof (float);

          for (gsize i = 0; i < n; i++)
            play->peak = MAX (play->peak, fabsf (samples[i]));
          play->samples += n;
          gst_buffer_unmap (buffer, &map);
        }
    }
  else
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

      switch (GST_EVENT_TYPE (event))
        {
        case GST_EVENT_STREAM_START:
          play = g_new0 (Play, 1);
          play->uri = playbin_uri_of (pad);
          g_ptr_array_add (f->plays, play);
          break;
        case GST_EVENT_CAPS:
          {
            GstCaps *caps = NULL;

            gst_event_parse_caps (event, &caps);
            g_assert_nonnull (play);
            gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &play->rate);
          }
          break;
        case GST_EVENT_EOS:
          g_assert_nonnull (play);
          play->ended = TRUE;
          break;
        default:
          break;
        }
    }

  return GST_PAD_PROBE_OK;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) pad = NULL;

  g_mutex_init (&f->lock);
  f->plays = g_ptr_array_new_with_free_func (play_free);

  /* Mono 32-bit float, so that the probe can count samples and measure the peak. */
  f->sink_bin = gst_parse_bin_from_description (
    "audioconvert ! audio/x-raw,format=F32LE,channels=1 ! fakesink name=sink sync=false",
    TRUE, &error);
  g_assert_no_error (error);
  gst_object_ref_sink (f->sink_bin);
  f->fakesink = gst_bin_get_by_name (GST_BIN (f->sink_bin), "sink");
  pad = gst_element_get_static_pad (f->fakesink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     on_sink_data, f, NULL);

  f->player = confab_sound_player_new ();
  confab_sound_player_set_audio_sink (f->player, f->sink_bin);
  confab_sound_player_set_volume (f->player, 1.0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->player);
  gst_clear_object (&f->fakesink);
  gst_clear_object (&f->sink_bin);
  g_ptr_array_unref (f->plays);
  g_mutex_clear (&f->lock);
}

static guint
count_ended (Fixture *f)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&f->lock);
  guint n = 0;

  for (guint i = 0; i < f->plays->len; i++)
    n += ((Play *) g_ptr_array_index (f->plays, i))->ended;
  return n;
}

static guint
count_started (Fixture *f)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&f->lock);

  return f->plays->len;
}

/* Runs the main loop (the player's bus watch and repeat timer live there) for @ms. */
static void
spin (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

static void
wait_for_ended (Fixture *f,
                guint    n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* The sink sees the end first, the player a main loop turn later: until then, a sound
   * asked for is one that meets the last. */
  while (count_ended (f) < n || confab_sound_player_is_playing (f->player))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("waited 10 s for %u sounds, %u played", n, count_ended (f));
      spin (5);
    }
}

static Play *
nth_play (Fixture *f,
          guint    i)
{
  g_assert_cmpuint (i, <, f->plays->len);
  return g_ptr_array_index (f->plays, i);
}

static void
test_event_sounds (Fixture       *f,
                   gconstpointer  data)
{
  /* the lengths data/sounds/make-sounds.sh gives them */
  static const struct {
    ConfabSoundEvent event;
    const char *file;
    double seconds;
  } cases[] = {
    { CONFAB_SOUND_NEW_VISITOR, "/sounds/new-visitor.oga", 0.45 },
    { CONFAB_SOUND_NEW_CONVERSATION, "/sounds/new-conversation.oga", 0.80 },
    { CONFAB_SOUND_NEW_MESSAGE, "/sounds/new-message.oga", 0.40 },
    { CONFAB_SOUND_TARGET_NEAR, "/sounds/target-near.oga", 0.90 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Play *play;

      confab_sound_player_play (f->player, cases[i].event, CONFAB_SOUND_ONCE, NULL);
      wait_for_ended (f, i + 1);

      play = nth_play (f, i);
      g_assert_cmpstr (play->uri, ==, confab_sound_event_get_uri (cases[i].event));
      g_assert_true (g_str_has_prefix (play->uri, "resource:///chat/confab/Confab/"));
      g_assert_true (g_str_has_suffix (play->uri, cases[i].file));
      /* The decoded sound itself arrived, whole: its length identifies it. */
      g_assert_cmpint (play->rate, >, 0);
      g_assert_cmpfloat_with_epsilon ((double) play->samples / play->rate, cases[i].seconds, 0.01);
      g_assert_cmpfloat (play->peak, >, 0.3);
    }

  spin (100);
  g_assert_cmpuint (count_started (f), ==, G_N_ELEMENTS (cases));
}

static void
test_once (Fixture       *f,
           gconstpointer  data)
{
  confab_sound_player_set_repeat_interval (f->player, 30);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, "c1");
  wait_for_ended (f, 1);
  g_assert_false (confab_sound_player_is_repeating (f->player, "c1"));

  /* ten intervals later, still once */
  spin (300);
  g_assert_cmpuint (count_started (f), ==, 1);
}

static void
test_off (Fixture       *f,
          gconstpointer  data)
{
  confab_sound_player_set_repeat_interval (f->player, 30);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_VISITOR, CONFAB_SOUND_OFF, NULL);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_OFF, "c1");
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_OFF, "c1");
  g_assert_false (confab_sound_player_is_repeating (f->player, "c1"));

  spin (300);
  g_assert_cmpuint (count_started (f), ==, 0);

  /* the sink works: the same player plays when asked to */
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_VISITOR, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 1);
}

static void
test_repeat_until_answered (Fixture       *f,
                            gconstpointer  data)
{
  guint n;

  confab_sound_player_set_repeat_interval (f->player, 50);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_REPEAT, "c1");
  g_assert_true (confab_sound_player_is_repeating (f->player, "c1"));
  g_assert_false (confab_sound_player_is_repeating (f->player, "c2"));

  wait_for_ended (f, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (nth_play (f, i)->uri, ==,
                     confab_sound_event_get_uri (CONFAB_SOUND_NEW_CONVERSATION));

  /* another conversation being answered changes nothing */
  confab_sound_player_answered (f->player, "c2");
  confab_sound_player_answered (f->player, NULL);
  n = count_ended (f);
  wait_for_ended (f, n + 2);

  confab_sound_player_answered (f->player, "c1");
  g_assert_false (confab_sound_player_is_repeating (f->player, "c1"));
  spin (60); /* one already on its way may finish */
  n = count_started (f);
  spin (400);
  g_assert_cmpuint (count_started (f), ==, n);
}

static void
test_repeat_two_keys (Fixture       *f,
                      gconstpointer  data)
{
  guint n;

  confab_sound_player_set_repeat_interval (f->player, 50);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_REPEAT, "c1");
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_REPEAT, "c2");
  wait_for_ended (f, 3);

  /* Both wait: the interval rings the more urgent one, once, not once per conversation. */
  spin (60);
  n = count_started (f);
  spin (250);
  g_assert_cmpuint (count_started (f) - n, <=, 6);
  g_assert_cmpstr (nth_play (f, f->plays->len - 1)->uri, ==,
                   confab_sound_event_get_uri (CONFAB_SOUND_NEW_CONVERSATION));

  /* c2 answered: c1 keeps ringing, with its own sound */
  confab_sound_player_answered (f->player, "c2");
  g_assert_true (confab_sound_player_is_repeating (f->player, "c1"));
  spin (60);
  n = count_ended (f);
  wait_for_ended (f, n + 2);
  g_assert_cmpstr (nth_play (f, f->plays->len - 1)->uri, ==,
                   confab_sound_event_get_uri (CONFAB_SOUND_NEW_MESSAGE));

  confab_sound_player_answered (f->player, "c1");
  spin (60);
  n = count_started (f);
  spin (300);
  g_assert_cmpuint (count_started (f), ==, n);
}

static void
test_repeat_limit (Fixture       *f,
                   gconstpointer  data)
{
  guint n;

  confab_sound_player_set_repeat_interval (f->player, 40);
  confab_sound_player_set_repeat_limit (f->player, 300);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_REPEAT, "c1");
  wait_for_ended (f, 2);

  /* nobody answers: it gives up after the limit by itself */
  spin (600);
  g_assert_false (confab_sound_player_is_repeating (f->player, "c1"));
  n = count_started (f);
  g_assert_cmpuint (n, <=, 1 + 300 / 40 + 1);
  spin (300);
  g_assert_cmpuint (count_started (f), ==, n);
}

static void
test_repeat_without_key (Fixture       *f,
                         gconstpointer  data)
{
  confab_sound_player_set_repeat_interval (f->player, 30);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_REPEAT, NULL);
  wait_for_ended (f, 1);
  spin (300);
  g_assert_cmpuint (count_started (f), ==, 1);
}

static void
test_stop (Fixture       *f,
           gconstpointer  data)
{
  guint n;

  confab_sound_player_set_repeat_interval (f->player, 40);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_REPEAT, "c1");
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_REPEAT, "c2");
  wait_for_ended (f, 2);

  confab_sound_player_stop (f->player);
  g_assert_false (confab_sound_player_is_repeating (f->player, "c1"));
  g_assert_false (confab_sound_player_is_repeating (f->player, "c2"));
  n = count_started (f);
  spin (300);
  g_assert_cmpuint (count_started (f), ==, n);
}

static void
test_volume (Fixture       *f,
             gconstpointer  data)
{
  float full, half;

  g_assert_cmpfloat (confab_sound_player_get_volume (f->player), ==, 1.0);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 1);
  full = nth_play (f, 0)->peak;

  /* half-way on the slider is 0.5³ in amplitude */
  g_object_set (f->player, "volume", 0.5, NULL);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 2);
  half = nth_play (f, 1)->peak;
  g_assert_cmpfloat (full, >, 0.3);
  g_assert_cmpfloat_with_epsilon (half / full, 0.125, 0.005);

  /* out of range is clamped */
  confab_sound_player_set_volume (f->player, 7.0);
  g_assert_cmpfloat (confab_sound_player_get_volume (f->player), ==, 1.0);

  /* silent: nothing plays at all */
  confab_sound_player_set_volume (f->player, 0.0);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  confab_sound_player_test (f->player, CONFAB_SOUND_NEW_VISITOR);
  spin (200);
  g_assert_cmpuint (count_started (f), ==, 2);
}

/* With a sink that plays in real time: what happens when sounds meet. */
static void
test_overlap (Fixture       *f,
              gconstpointer  data)
{
  g_object_set (f->fakesink, "sync", TRUE, NULL);

  /* A message while a new conversation rings: dropped; the same sound again: once. */
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_ONCE, NULL);
  spin (100);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 1);
  spin (200);
  g_assert_cmpuint (count_started (f), ==, 1);
  g_assert_cmpstr (nth_play (f, 0)->uri, ==,
                   confab_sound_event_get_uri (CONFAB_SOUND_NEW_CONVERSATION));

  /* A more urgent one cuts a less urgent one short. */
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_VISITOR, CONFAB_SOUND_ONCE, NULL);
  spin (100);
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 2);
  spin (100);
  g_assert_cmpuint (count_started (f), ==, 3);
  g_assert_false (nth_play (f, 1)->ended);
  g_assert_cmpstr (nth_play (f, 2)->uri, ==,
                   confab_sound_event_get_uri (CONFAB_SOUND_NEW_CONVERSATION));

  /* The test button always plays, even over a more urgent sound. */
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_ONCE, NULL);
  spin (100);
  confab_sound_player_test (f->player, CONFAB_SOUND_NEW_VISITOR);
  wait_for_ended (f, 3);
  g_assert_cmpuint (count_started (f), ==, 5);
  g_assert_cmpstr (nth_play (f, 4)->uri, ==, confab_sound_event_get_uri (CONFAB_SOUND_NEW_VISITOR));
  g_assert_true (nth_play (f, 4)->ended);
}

/* A sound that cannot be played (here: its resource is gone) is logged, not fatal, and the
 * next one plays. */
static void
test_missing_sound (Fixture       *f,
                    gconstpointer  data)
{
  g_resources_unregister (confab_data_get_resource ());
  g_test_expect_message ("confab-sound", G_LOG_LEVEL_MESSAGE, "Could not play a sound:*");
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  spin (300);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (count_ended (f), ==, 0);

  g_resources_register (confab_data_get_resource ());
  confab_sound_player_play (f->player, CONFAB_SOUND_NEW_MESSAGE, CONFAB_SOUND_ONCE, NULL);
  wait_for_ended (f, 1);
}

static void
test_mode_from_string (void)
{
  g_assert_cmpint (confab_sound_mode_from_string ("off"), ==, CONFAB_SOUND_OFF);
  g_assert_cmpint (confab_sound_mode_from_string ("once"), ==, CONFAB_SOUND_ONCE);
  g_assert_cmpint (confab_sound_mode_from_string ("repeat"), ==, CONFAB_SOUND_REPEAT);
  g_assert_cmpint (confab_sound_mode_from_string ("loud"), ==, CONFAB_SOUND_OFF);
  g_assert_cmpint (confab_sound_mode_from_string (NULL), ==, CONFAB_SOUND_OFF);
  /* the enum's nicks are the settings' choices, for g_settings_bind_with_mapping */
  {
    g_autoptr (GEnumClass) modes = g_type_class_ref (CONFAB_TYPE_SOUND_MODE);

    g_assert_cmpstr (g_enum_get_value (modes, CONFAB_SOUND_REPEAT)->value_nick, ==, "repeat");
  }
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/desktop/sound/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("event-sounds", test_event_sounds);
  ADD ("once", test_once);
  ADD ("off", test_off);
  ADD ("repeat-until-answered", test_repeat_until_answered);
  ADD ("repeat-two-keys", test_repeat_two_keys);
  ADD ("repeat-limit", test_repeat_limit);
  ADD ("repeat-without-key", test_repeat_without_key);
  ADD ("stop", test_stop);
  ADD ("volume", test_volume);
  ADD ("overlap", test_overlap);
  ADD ("missing-sound", test_missing_sound);
#undef ADD
  g_test_add_func ("/desktop/sound/mode-from-string", test_mode_from_string);

  return g_test_run ();
}
