/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-settings.c: preferences as properties bound to GSettings (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include "confab-settings.h"

#include <string.h>

struct _ConfabSettings
{
  GObject    parent_instance;

  GSettings *settings;
  int        window_width;
  int        window_height;
  gboolean   window_maximized;
  char      *sound_new_visitor;
  char      *sound_new_conversation;
  char      *sound_new_message;
  char      *sound_target_near;
  double     sound_volume;
  gboolean   notifications;
  int        away_after_minutes;
  char      *presence;
  GPtrArray *accounts;  /* "relay\nemail", used without a schema */
};

G_DEFINE_FINAL_TYPE (ConfabSettings, confab_settings, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WINDOW_WIDTH,
  PROP_WINDOW_HEIGHT,
  PROP_WINDOW_MAXIMIZED,
  PROP_SOUND_NEW_VISITOR,
  PROP_SOUND_NEW_CONVERSATION,
  PROP_SOUND_NEW_MESSAGE,
  PROP_SOUND_TARGET_NEAR,
  PROP_SOUND_VOLUME,
  PROP_NOTIFICATIONS,
  PROP_AWAY_AFTER_MINUTES,
  PROP_PRESENCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* property name == GSettings key */
static const int bound[] = {
  PROP_WINDOW_WIDTH, PROP_WINDOW_HEIGHT, PROP_WINDOW_MAXIMIZED, PROP_SOUND_NEW_VISITOR,
  PROP_SOUND_NEW_CONVERSATION, PROP_SOUND_NEW_MESSAGE, PROP_SOUND_VOLUME, PROP_NOTIFICATIONS,
  PROP_AWAY_AFTER_MINUTES, PROP_PRESENCE, PROP_SOUND_TARGET_NEAR,
};

static void
set_string (char       **field,
            const char  *value,
            const char  *fallback)
{
  g_free (*field);
  *field = g_strdup (value != NULL ? value : fallback);
}

static void
confab_settings_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabSettings *self = CONFAB_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_WINDOW_WIDTH: g_value_set_int (value, self->window_width); break;
    case PROP_WINDOW_HEIGHT: g_value_set_int (value, self->window_height); break;
    case PROP_WINDOW_MAXIMIZED: g_value_set_boolean (value, self->window_maximized); break;
    case PROP_SOUND_NEW_VISITOR: g_value_set_string (value, self->sound_new_visitor); break;
    case PROP_SOUND_NEW_CONVERSATION: g_value_set_string (value, self->sound_new_conversation); break;
    case PROP_SOUND_NEW_MESSAGE: g_value_set_string (value, self->sound_new_message); break;
    case PROP_SOUND_TARGET_NEAR: g_value_set_string (value, self->sound_target_near); break;
    case PROP_SOUND_VOLUME: g_value_set_double (value, self->sound_volume); break;
    case PROP_NOTIFICATIONS: g_value_set_boolean (value, self->notifications); break;
    case PROP_AWAY_AFTER_MINUTES: g_value_set_int (value, self->away_after_minutes); break;
    case PROP_PRESENCE: g_value_set_string (value, self->presence); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_settings_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabSettings *self = CONFAB_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_WINDOW_WIDTH: self->window_width = g_value_get_int (value); break;
    case PROP_WINDOW_HEIGHT: self->window_height = g_value_get_int (value); break;
    case PROP_WINDOW_MAXIMIZED: self->window_maximized = g_value_get_boolean (value); break;
    case PROP_SOUND_NEW_VISITOR: set_string (&self->sound_new_visitor, g_value_get_string (value), "once"); break;
    case PROP_SOUND_NEW_CONVERSATION: set_string (&self->sound_new_conversation, g_value_get_string (value), "repeat"); break;
    case PROP_SOUND_NEW_MESSAGE: set_string (&self->sound_new_message, g_value_get_string (value), "once"); break;
    case PROP_SOUND_TARGET_NEAR: set_string (&self->sound_target_near, g_value_get_string (value), "once"); break;
    case PROP_SOUND_VOLUME: self->sound_volume = g_value_get_double (value); break;
    case PROP_NOTIFICATIONS: self->notifications = g_value_get_boolean (value); break;
    case PROP_AWAY_AFTER_MINUTES: self->away_after_minutes = g_value_get_int (value); break;
    case PROP_PRESENCE: set_string (&self->presence, g_value_get_string (value), "online"); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_settings_constructed (GObject *object)
{
  ConfabSettings *self = CONFAB_SETTINGS (object);
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  G_OBJECT_CLASS (confab_settings_parent_class)->constructed (object);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, CONFAB_APP_ID, TRUE);
  if (schema == NULL)
    {
      g_message ("The GSettings schema %s is not installed: preferences are not kept",
                 CONFAB_APP_ID);
      return;
    }
  self->settings = g_settings_new_full (schema, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (bound); i++)
    {
      const char *name = g_param_spec_get_name (properties[bound[i]]);

      if (g_settings_schema_has_key (schema, name))
        g_settings_bind (self->settings, name, self, name, G_SETTINGS_BIND_DEFAULT);
    }
}

static void
confab_settings_finalize (GObject *object)
{
  ConfabSettings *self = CONFAB_SETTINGS (object);

  g_clear_object (&self->settings);
  g_free (self->sound_new_visitor);
  g_free (self->sound_new_conversation);
  g_free (self->sound_new_message);
  g_free (self->sound_target_near);
  g_free (self->presence);
  g_ptr_array_unref (self->accounts);
  G_OBJECT_CLASS (confab_settings_parent_class)->finalize (object);
}

static void
confab_settings_class_init (ConfabSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags;

  object_class->get_property = confab_settings_get_property;
  object_class->set_property = confab_settings_set_property;
  object_class->constructed = confab_settings_constructed;
  object_class->finalize = confab_settings_finalize;

  flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  properties[PROP_WINDOW_WIDTH] = g_param_spec_int ("window-width", NULL, NULL, -1, G_MAXINT, 1100, flags);
  properties[PROP_WINDOW_HEIGHT] = g_param_spec_int ("window-height", NULL, NULL, -1, G_MAXINT, 720, flags);
  properties[PROP_WINDOW_MAXIMIZED] = g_param_spec_boolean ("window-maximized", NULL, NULL, FALSE, flags);
  properties[PROP_SOUND_NEW_VISITOR] = g_param_spec_string ("sound-new-visitor", NULL, NULL, "once", flags);
  properties[PROP_SOUND_NEW_CONVERSATION] = g_param_spec_string ("sound-new-conversation", NULL, NULL, "repeat", flags);
  properties[PROP_SOUND_NEW_MESSAGE] = g_param_spec_string ("sound-new-message", NULL, NULL, "once", flags);
  properties[PROP_SOUND_TARGET_NEAR] = g_param_spec_string ("sound-target-near", NULL, NULL, "once", flags);
  properties[PROP_SOUND_VOLUME] = g_param_spec_double ("sound-volume", NULL, NULL, 0.0, 1.0, 0.8, flags);
  properties[PROP_NOTIFICATIONS] = g_param_spec_boolean ("notifications", NULL, NULL, TRUE, flags);
  properties[PROP_AWAY_AFTER_MINUTES] = g_param_spec_int ("away-after-minutes", NULL, NULL, 1, 240, 5, flags);
  properties[PROP_PRESENCE] = g_param_spec_string ("presence", NULL, NULL, "online", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_settings_init (ConfabSettings *self)
{
  self->window_width = 1100;
  self->window_height = 720;
  self->sound_new_visitor = g_strdup ("once");
  self->sound_new_conversation = g_strdup ("repeat");
  self->sound_new_message = g_strdup ("once");
  self->sound_volume = 0.8;
  self->notifications = TRUE;
  self->away_after_minutes = 5;
  self->presence = g_strdup ("online");
  self->accounts = g_ptr_array_new_with_free_func (g_free);
}

ConfabSettings *
confab_settings_new (void)
{
  return g_object_new (CONFAB_TYPE_SETTINGS, NULL);
}

GSettings *
confab_settings_get_gsettings (ConfabSettings *self)
{
  g_return_val_if_fail (CONFAB_IS_SETTINGS (self), NULL);
  return self->settings;
}

GStrv
confab_settings_dup_accounts (ConfabSettings *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CONFAB_IS_SETTINGS (self), NULL);

  if (self->settings != NULL)
    {
      g_autoptr (GVariant) value = g_settings_get_value (self->settings, "accounts");
      GVariantIter iter;
      const char *relay, *email;

      g_variant_iter_init (&iter, value);
      while (g_variant_iter_next (&iter, "(&s&s)", &relay, &email))
        {
          g_autofree char *entry = g_strdup_printf ("%s\n%s", relay, email);

          g_strv_builder_add (builder, entry);
        }
    }
  else
    {
      for (guint i = 0; i < self->accounts->len; i++)
        g_strv_builder_add (builder, g_ptr_array_index (self->accounts, i));
    }
  return g_strv_builder_end (builder);
}

static void
write_accounts (ConfabSettings *self,
                GStrv           accounts)
{
  GVariantBuilder builder;

  if (self->settings == NULL)
    {
      g_ptr_array_set_size (self->accounts, 0);
      for (guint i = 0; accounts[i] != NULL; i++)
        g_ptr_array_add (self->accounts, g_strdup (accounts[i]));
      return;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; accounts[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (accounts[i], "\n", 2);

      if (parts[0] != NULL && parts[1] != NULL)
        g_variant_builder_add (&builder, "(ss)", parts[0], parts[1]);
    }
  g_settings_set_value (self->settings, "accounts", g_variant_builder_end (&builder));
}

void
confab_settings_add_account (ConfabSettings *self,
                             const char     *relay_url,
                             const char     *email)
{
  g_auto (GStrv) old = confab_settings_dup_accounts (self);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *entry = g_strdup_printf ("%s\n%s", relay_url, email);
  g_auto (GStrv) accounts = NULL;

  /* the active account first: the next start opens it */
  g_strv_builder_add (builder, entry);
  for (guint i = 0; old[i] != NULL; i++)
    if (strcmp (old[i], entry) != 0)
      g_strv_builder_add (builder, old[i]);
  accounts = g_strv_builder_end (builder);
  write_accounts (self, accounts);
}

void
confab_settings_remove_account (ConfabSettings *self,
                                const char     *relay_url,
                                const char     *email)
{
  g_auto (GStrv) old = confab_settings_dup_accounts (self);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *entry = g_strdup_printf ("%s\n%s", relay_url, email);
  g_auto (GStrv) accounts = NULL;

  for (guint i = 0; old[i] != NULL; i++)
    if (strcmp (old[i], entry) != 0)
      g_strv_builder_add (builder, old[i]);
  accounts = g_strv_builder_end (builder);
  write_accounts (self, accounts);
}

const char *
confab_settings_get_sound_mode (ConfabSettings *self,
                                const char     *key)
{
  g_return_val_if_fail (CONFAB_IS_SETTINGS (self), "off");

  if (g_strcmp0 (key, "sound-new-visitor") == 0)
    return self->sound_new_visitor;
  if (g_strcmp0 (key, "sound-new-conversation") == 0)
    return self->sound_new_conversation;
  if (g_strcmp0 (key, "sound-new-message") == 0)
    return self->sound_new_message;
  if (g_strcmp0 (key, "sound-target-near") == 0)
    return self->sound_target_near;
  return "off";
}

double
confab_settings_get_sound_volume (ConfabSettings *self)
{
  return self->sound_volume;
}

gboolean
confab_settings_get_notifications (ConfabSettings *self)
{
  return self->notifications;
}

int
confab_settings_get_away_after_minutes (ConfabSettings *self)
{
  return self->away_after_minutes;
}
