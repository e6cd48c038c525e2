/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-offline-message"

#include "confab-offline-message.h"

struct _ConfabOfflineMessage
{
  GObject parent_instance;
  char *id;
  char *site_id;
  char *visitor_id;
  char *name;
  char *email;
  char *body;
  char *page_url;
  char *page_title;
  gint64 created_at;
  char *status;
  char *handled_by_id;
  char *handled_by_name;
  gint64 handled_at;
  char *conversation_id;
};

G_DEFINE_FINAL_TYPE (ConfabOfflineMessage, confab_offline_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SITE_ID,
  PROP_VISITOR_ID,
  PROP_NAME,
  PROP_EMAIL,
  PROP_BODY,
  PROP_PAGE_URL,
  PROP_PAGE_TITLE,
  PROP_CREATED_AT,
  PROP_STATUS,
  PROP_HANDLED_BY_ID,
  PROP_HANDLED_BY_NAME,
  PROP_HANDLED_AT,
  PROP_CONVERSATION_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set once by the cache that makes the object, never changed after. */
#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | \
                     G_PARAM_EXPLICIT_NOTIFY)

static void
confab_offline_message_finalize (GObject *object)
{
  ConfabOfflineMessage *self = CONFAB_OFFLINE_MESSAGE (object);

  g_free (self->id);
  g_free (self->site_id);
  g_free (self->visitor_id);
  g_free (self->name);
  g_free (self->email);
  g_free (self->body);
  g_free (self->page_url);
  g_free (self->page_title);
  g_free (self->status);
  g_free (self->handled_by_id);
  g_free (self->handled_by_name);
  g_free (self->conversation_id);

  G_OBJECT_CLASS (confab_offline_message_parent_class)->finalize (object);
}

static void
confab_offline_message_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  ConfabOfflineMessage *self = CONFAB_OFFLINE_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_SITE_ID:
      g_value_set_string (value, self->site_id);
      break;

    case PROP_VISITOR_ID:
      g_value_set_string (value, self->visitor_id);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;

    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;

    case PROP_PAGE_URL:
      g_value_set_string (value, self->page_url);
      break;

    case PROP_PAGE_TITLE:
      g_value_set_string (value, self->page_title);
      break;

    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;

    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;

    case PROP_HANDLED_BY_ID:
      g_value_set_string (value, self->handled_by_id);
      break;

    case PROP_HANDLED_BY_NAME:
      g_value_set_string (value, self->handled_by_name);
      break;

    case PROP_HANDLED_AT:
      g_value_set_int64 (value, self->handled_at);
      break;

    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_offline_message_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  ConfabOfflineMessage *self = CONFAB_OFFLINE_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_SITE_ID:
      self->site_id = g_value_dup_string (value);
      break;

    case PROP_VISITOR_ID:
      self->visitor_id = g_value_dup_string (value);
      break;

    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;

    case PROP_EMAIL:
      self->email = g_value_dup_string (value);
      break;

    case PROP_BODY:
      self->body = g_value_dup_string (value);
      break;

    case PROP_PAGE_URL:
      self->page_url = g_value_dup_string (value);
      break;

    case PROP_PAGE_TITLE:
      self->page_title = g_value_dup_string (value);
      break;

    case PROP_CREATED_AT:
      self->created_at = g_value_get_int64 (value);
      break;

    case PROP_STATUS:
      self->status = g_value_dup_string (value);
      break;

    case PROP_HANDLED_BY_ID:
      self->handled_by_id = g_value_dup_string (value);
      break;

    case PROP_HANDLED_BY_NAME:
      self->handled_by_name = g_value_dup_string (value);
      break;

    case PROP_HANDLED_AT:
      self->handled_at = g_value_get_int64 (value);
      break;

    case PROP_CONVERSATION_ID:
      self->conversation_id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_offline_message_class_init (ConfabOfflineMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_offline_message_finalize;
  object_class->get_property = confab_offline_message_get_property;
  object_class->set_property = confab_offline_message_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, "Its id",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, "The site it was left on",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_VISITOR_ID] =
    g_param_spec_string ("visitor-id", NULL, "The visitor (NULL once deleted)",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "The name the visitor gave",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_EMAIL] =
    g_param_spec_string ("email", NULL, "The e-mail the visitor gave",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_BODY] =
    g_param_spec_string ("body", NULL, "What they wrote",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_PAGE_URL] =
    g_param_spec_string ("page-url", NULL, "The page they were on",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_PAGE_TITLE] =
    g_param_spec_string ("page-title", NULL, "That page's title",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, "When it was left, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, "open or handled",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_HANDLED_BY_ID] =
    g_param_spec_string ("handled-by-id", NULL, "Who marked it handled",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_HANDLED_BY_NAME] =
    g_param_spec_string ("handled-by-name", NULL, "Their name",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_HANDLED_AT] =
    g_param_spec_int64 ("handled-at", NULL, "When, Unix ms (0 while open)",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", NULL, "The conversation made of it, if any",
                         NULL,
                         PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_offline_message_init (ConfabOfflineMessage *self)
{
}

const char *
confab_offline_message_get_id (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->id;
}

const char *
confab_offline_message_get_site_id (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->site_id;
}

const char *
confab_offline_message_get_visitor_id (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->visitor_id;
}

const char *
confab_offline_message_get_name (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->name;
}

const char *
confab_offline_message_get_email (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->email;
}

const char *
confab_offline_message_get_body (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->body;
}

const char *
confab_offline_message_get_page_url (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->page_url;
}

const char *
confab_offline_message_get_page_title (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->page_title;
}

gint64
confab_offline_message_get_created_at (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), 0);

  return self->created_at;
}

const char *
confab_offline_message_get_status (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->status;
}

const char *
confab_offline_message_get_handled_by_id (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->handled_by_id;
}

const char *
confab_offline_message_get_handled_by_name (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->handled_by_name;
}

gint64
confab_offline_message_get_handled_at (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), 0);

  return self->handled_at;
}

const char *
confab_offline_message_get_conversation_id (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), NULL);

  return self->conversation_id;
}

gboolean
confab_offline_message_is_open (ConfabOfflineMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_OFFLINE_MESSAGE (self), FALSE);

  return g_strcmp0 (self->status, "handled") != 0;
}
