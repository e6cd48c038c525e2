/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message"

#include "confab-message.h"

struct _ConfabMessage
{
  GObject parent_instance;

  char *conversation_id;
  gint64 seq;
  char *client_id;
  char *sender_type;
  char *sender_id;
  char *sender_name;
  char *body;
  char *attachment;
  gint64 created_at;
  ConfabMessageState state;
  gint64 local_id;
  gint64 sort_key;
  char *event;
};

G_DEFINE_FINAL_TYPE (ConfabMessage, confab_message, G_TYPE_OBJECT)

GType
confab_message_state_get_type (void)
{
  static gsize type_id = 0;
  static const GEnumValue values[] = {
    { CONFAB_MESSAGE_QUEUED, "CONFAB_MESSAGE_QUEUED", "queued" },
    { CONFAB_MESSAGE_SENT, "CONFAB_MESSAGE_SENT", "sent" },
    { CONFAB_MESSAGE_FAILED, "CONFAB_MESSAGE_FAILED", "failed" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static ("ConfabMessageState", values));

  return type_id;
}

enum {
  PROP_0,
  PROP_CONVERSATION_ID,
  PROP_SEQ,
  PROP_CLIENT_ID,
  PROP_SENDER_TYPE,
  PROP_SENDER_ID,
  PROP_SENDER_NAME,
  PROP_BODY,
  PROP_ATTACHMENT,
  PROP_CREATED_AT,
  PROP_STATE,
  PROP_LOCAL_ID,
  PROP_SORT_KEY,
  PROP_EVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set once by the cache that makes the object, never changed after. */
#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | \
                     G_PARAM_EXPLICIT_NOTIFY)

static void
confab_message_finalize (GObject *object)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  g_free (self->conversation_id);
  g_free (self->client_id);
  g_free (self->sender_type);
  g_free (self->sender_id);
  g_free (self->sender_name);
  g_free (self->body);
  g_free (self->attachment);
  g_free (self->event);

  G_OBJECT_CLASS (confab_message_parent_class)->finalize (object);
}

static void
confab_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;

    case PROP_SEQ:
      g_value_set_int64 (value, self->seq);
      break;

    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;

    case PROP_SENDER_TYPE:
      g_value_set_string (value, self->sender_type);
      break;

    case PROP_SENDER_ID:
      g_value_set_string (value, self->sender_id);
      break;

    case PROP_SENDER_NAME:
      g_value_set_string (value, self->sender_name);
      break;

    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;

    case PROP_ATTACHMENT:
      g_value_set_string (value, self->attachment);
      break;

    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_LOCAL_ID:
      g_value_set_int64 (value, self->local_id);
      break;

    case PROP_SORT_KEY:
      g_value_set_int64 (value, self->sort_key);
      break;

    case PROP_EVENT:
      g_value_set_string (value, self->event);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION_ID:
      self->conversation_id = g_value_dup_string (value);
      break;

    case PROP_SEQ:
      self->seq = g_value_get_int64 (value);
      break;

    case PROP_CLIENT_ID:
      self->client_id = g_value_dup_string (value);
      break;

    case PROP_SENDER_TYPE:
      self->sender_type = g_value_dup_string (value);
      break;

    case PROP_SENDER_ID:
      self->sender_id = g_value_dup_string (value);
      break;

    case PROP_SENDER_NAME:
      self->sender_name = g_value_dup_string (value);
      break;

    case PROP_BODY:
      self->body = g_value_dup_string (value);
      break;

    case PROP_ATTACHMENT:
      self->attachment = g_value_dup_string (value);
      break;

    case PROP_CREATED_AT:
      self->created_at = g_value_get_int64 (value);
      break;

    case PROP_STATE:
      self->state = g_value_get_enum (value);
      break;

    case PROP_LOCAL_ID:
      self->local_id = g_value_get_int64 (value);
      break;

    case PROP_SORT_KEY:
      self->sort_key = g_value_get_int64 (value);
      break;

    case PROP_EVENT:
      self->event = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_class_init (ConfabMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_message_finalize;
  object_class->get_property = confab_message_get_property;
  object_class->set_property = confab_message_set_property;

  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", NULL, "Its conversation",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SEQ] =
    g_param_spec_int64 ("seq", NULL, "Per-conversation sequence number; 0 while queued",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, "The sender's client_id, when known",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SENDER_TYPE] =
    g_param_spec_string ("sender-type", NULL, "visitor, agent, bot or system",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SENDER_ID] =
    g_param_spec_string ("sender-id", NULL, "The sending agent's id",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SENDER_NAME] =
    g_param_spec_string ("sender-name", NULL, "The sender's display name",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_BODY] =
    g_param_spec_string ("body", NULL, "The text",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ATTACHMENT] =
    g_param_spec_string ("attachment", NULL, "The attachment object as JSON, or NULL",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, "Creation time, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "Delivery state",
                       CONFAB_TYPE_MESSAGE_STATE, CONFAB_MESSAGE_SENT,
                       PARAM_FLAGS);
  properties[PROP_LOCAL_ID] =
    g_param_spec_int64 ("local-id", NULL, "The cache row id: orders queued messages among themselves",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_SORT_KEY] =
    g_param_spec_int64 ("sort-key", NULL, "Its place in the conversation (the cache's order)",
                        G_MININT64, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_EVENT] =
    g_param_spec_string ("event", NULL,
                         "A timeline row (sender-type \"timeline\"): the event as JSON text",
                         NULL,
                         PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_init (ConfabMessage *self)
{
}

const char *
confab_message_get_conversation_id (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->conversation_id;
}

gint64
confab_message_get_seq (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->seq;
}

const char *
confab_message_get_client_id (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->client_id;
}

const char *
confab_message_get_sender_type (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->sender_type;
}

const char *
confab_message_get_sender_id (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->sender_id;
}

const char *
confab_message_get_sender_name (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->sender_name;
}

const char *
confab_message_get_body (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->body;
}

const char *
confab_message_get_attachment (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->attachment;
}

gint64
confab_message_get_created_at (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->created_at;
}

ConfabMessageState
confab_message_get_state (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), CONFAB_MESSAGE_SENT);

  return self->state;
}

gint64
confab_message_get_local_id (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->local_id;
}

gint64
confab_message_get_sort_key (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  return self->sort_key;
}

const char *
confab_message_get_event (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->event;
}

gboolean
confab_message_is_timeline (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), FALSE);

  return g_strcmp0 (self->sender_type, "timeline") == 0;
}

gboolean
confab_message_is_note (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), FALSE);

  return g_strcmp0 (self->sender_type, "note") == 0;
}
