/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-preferences-window.c: every row is bound to a ConfabSettings property, so what is
 * changed here is in GSettings at once (no "apply"). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-preferences-window.h"

struct _ConfabPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow         *visitor_row;
  AdwComboRow         *conversation_row;
  AdwComboRow         *message_row;
  AdwComboRow         *target_row;
  GtkScale            *volume_scale;
  GtkSwitch           *notifications_switch;
  GtkSpinButton       *away_spin;

  ConfabSettings      *settings;
  ConfabSoundPlayer   *player;
};

G_DEFINE_FINAL_TYPE (ConfabPreferencesWindow, confab_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *modes[] = { "off", "once", "repeat" };

static gboolean
mode_to_index (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  const char *mode = g_value_get_string (from);

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_strcmp0 (mode, modes[i]) == 0)
      {
        g_value_set_uint (to, i);
        return TRUE;
      }
  g_value_set_uint (to, 0);
  return TRUE;
}

static gboolean
index_to_mode (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  guint index = g_value_get_uint (from);

  if (index >= G_N_ELEMENTS (modes))
    return FALSE;
  g_value_set_string (to, modes[index]);
  return TRUE;
}

static void
bind_mode (ConfabPreferencesWindow *self,
           const char              *key,
           AdwComboRow             *row)
{
  g_object_bind_property_full (self->settings, key, row, "selected",
                               G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                               mode_to_index, index_to_mode, NULL, NULL);
}

static void
test_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (widget);
  const char *which = g_variant_get_string (parameter, NULL);
  ConfabSoundEvent event = g_str_equal (which, "visitor") ? CONFAB_SOUND_NEW_VISITOR
                           : g_str_equal (which, "conversation") ? CONFAB_SOUND_NEW_CONVERSATION
                           : g_str_equal (which, "target") ? CONFAB_SOUND_TARGET_NEAR
                           : CONFAB_SOUND_NEW_MESSAGE;

  if (self->player != NULL)
    confab_sound_player_test (self->player, event);
}

static void
confab_preferences_window_dispose (GObject *object)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->player);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (confab_preferences_window_parent_class)->dispose (object);
}

static void
confab_preferences_window_class_init (ConfabPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, visitor_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, conversation_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, message_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, target_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, volume_scale);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, away_spin);
  gtk_widget_class_install_action (widget_class, "prefs.test-sound", "s", test_action);
}

static void
confab_preferences_window_init (ConfabPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_preferences_window_new (GtkWindow         *parent,
                               ConfabSettings    *settings,
                               ConfabSoundPlayer *player)
{
  ConfabPreferencesWindow *self = g_object_new (CONFAB_TYPE_PREFERENCES_WINDOW,
                                                "transient-for", parent,
                                                NULL);

  self->settings = g_object_ref (settings);
  self->player = player != NULL ? g_object_ref (player) : NULL;
  bind_mode (self, "sound-new-visitor", self->visitor_row);
  bind_mode (self, "sound-new-conversation", self->conversation_row);
  bind_mode (self, "sound-new-message", self->message_row);
  bind_mode (self, "sound-target-near", self->target_row);
  g_object_bind_property (settings, "sound-volume",
                          gtk_range_get_adjustment (GTK_RANGE (self->volume_scale)), "value",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (settings, "notifications", self->notifications_switch, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (settings, "away-after-minutes",
                          gtk_spin_button_get_adjustment (self->away_spin), "value",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  return GTK_WIDGET (self);
}
