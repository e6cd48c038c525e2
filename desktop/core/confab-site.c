/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-site"

#include "confab-site.h"

struct _ConfabSite
{
  GObject parent_instance;

  char *id;
  char *name;
  char *role;
  guint unread;
  int max_chats;
};

G_DEFINE_FINAL_TYPE (ConfabSite, confab_site, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_ROLE,
  PROP_UNREAD,
  PROP_MAX_CHATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set once by the cache that makes the object, never changed after. */
#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | \
                     G_PARAM_EXPLICIT_NOTIFY)

static void
confab_site_finalize (GObject *object)
{
  ConfabSite *self = CONFAB_SITE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->role);

  G_OBJECT_CLASS (confab_site_parent_class)->finalize (object);
}

static void
confab_site_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ConfabSite *self = CONFAB_SITE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;

    case PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;

    case PROP_MAX_CHATS:
      g_value_set_int (value, self->max_chats);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_site_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  ConfabSite *self = CONFAB_SITE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;

    case PROP_ROLE:
      self->role = g_value_dup_string (value);
      break;

    case PROP_UNREAD:
      self->unread = g_value_get_uint (value);
      break;

    case PROP_MAX_CHATS:
      self->max_chats = g_value_get_int (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_site_class_init (ConfabSiteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_site_finalize;
  object_class->get_property = confab_site_get_property;
  object_class->set_property = confab_site_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, "The site id",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The site name",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, "owner, admin or agent",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_UNREAD] =
    g_param_spec_uint ("unread", NULL, "Unread messages across its conversations",
                       0, G_MAXUINT, 0,
                       PARAM_FLAGS);
  properties[PROP_MAX_CHATS] =
    g_param_spec_int ("max-chats", NULL,
                      "The user's limit of chats at once here (0: unlimited; -1: the relay "
                      "does not say, it has no routing)",
                      -1, G_MAXINT, -1,
                      PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_site_init (ConfabSite *self)
{
}

const char *
confab_site_get_id (ConfabSite *self)
{
  g_return_val_if_fail (CONFAB_IS_SITE (self), NULL);

  return self->id;
}

const char *
confab_site_get_name (ConfabSite *self)
{
  g_return_val_if_fail (CONFAB_IS_SITE (self), NULL);

  return self->name;
}

const char *
confab_site_get_role (ConfabSite *self)
{
  g_return_val_if_fail (CONFAB_IS_SITE (self), NULL);

  return self->role;
}

guint
confab_site_get_unread (ConfabSite *self)
{
  g_return_val_if_fail (CONFAB_IS_SITE (self), 0);

  return self->unread;
}

int
confab_site_get_max_chats (ConfabSite *self)
{
  g_return_val_if_fail (CONFAB_IS_SITE (self), -1);

  return self->max_chats;
}
