/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation"

#include "confab-conversation.h"

struct _ConfabConversation
{
  GObject parent_instance;

  char *id;
  char *site_id;
  char *visitor_id;
  char *visitor_name;
  char *visitor_email;
  char *status;
  char *assignee_id;
  char *assignee_name;
  gint64 created_at;
  gint64 last_message_at;
  gint64 sort_at;
  gint64 last_seq;
  gint64 unread;
  gint64 agent_read_seq;
  gint64 visitor_read_seq;
  char *preview;
  int rating_score;         /* 1-5, 0: not rated */
  char *rating_comment;
  gint64 rated_at;
  char *labels;
  char *routing;
  JsonNode *labels_node;    /* labels parsed, when first asked for */
  gboolean labels_parsed;
};

G_DEFINE_FINAL_TYPE (ConfabConversation, confab_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SITE_ID,
  PROP_VISITOR_ID,
  PROP_VISITOR_NAME,
  PROP_VISITOR_EMAIL,
  PROP_STATUS,
  PROP_ASSIGNEE_ID,
  PROP_ASSIGNEE_NAME,
  PROP_CREATED_AT,
  PROP_LAST_MESSAGE_AT,
  PROP_SORT_AT,
  PROP_LAST_SEQ,
  PROP_UNREAD,
  PROP_AGENT_READ_SEQ,
  PROP_VISITOR_READ_SEQ,
  PROP_PREVIEW,
  PROP_RATING_SCORE,
  PROP_RATING_COMMENT,
  PROP_RATED_AT,
  PROP_LABELS,
  PROP_ROUTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set once by the cache that makes the object, never changed after. */
#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | \
                     G_PARAM_EXPLICIT_NOTIFY)

static void
confab_conversation_finalize (GObject *object)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  g_free (self->id);
  g_free (self->site_id);
  g_free (self->visitor_id);
  g_free (self->visitor_name);
  g_free (self->visitor_email);
  g_free (self->status);
  g_free (self->assignee_id);
  g_free (self->assignee_name);
  g_free (self->preview);
  g_free (self->rating_comment);
  g_free (self->labels);
  g_free (self->routing);
  g_clear_pointer (&self->labels_node, json_node_unref);

  G_OBJECT_CLASS (confab_conversation_parent_class)->finalize (object);
}

static void
confab_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

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

    case PROP_VISITOR_NAME:
      g_value_set_string (value, self->visitor_name);
      break;

    case PROP_VISITOR_EMAIL:
      g_value_set_string (value, self->visitor_email);
      break;

    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;

    case PROP_ASSIGNEE_ID:
      g_value_set_string (value, self->assignee_id);
      break;

    case PROP_ASSIGNEE_NAME:
      g_value_set_string (value, self->assignee_name);
      break;

    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;

    case PROP_LAST_MESSAGE_AT:
      g_value_set_int64 (value, self->last_message_at);
      break;

    case PROP_SORT_AT:
      g_value_set_int64 (value, self->sort_at);
      break;

    case PROP_LAST_SEQ:
      g_value_set_int64 (value, self->last_seq);
      break;

    case PROP_UNREAD:
      g_value_set_int64 (value, self->unread);
      break;

    case PROP_AGENT_READ_SEQ:
      g_value_set_int64 (value, self->agent_read_seq);
      break;

    case PROP_VISITOR_READ_SEQ:
      g_value_set_int64 (value, self->visitor_read_seq);
      break;

    case PROP_PREVIEW:
      g_value_set_string (value, self->preview);
      break;

    case PROP_RATING_SCORE:
      g_value_set_int (value, self->rating_score);
      break;

    case PROP_RATING_COMMENT:
      g_value_set_string (value, self->rating_comment);
      break;

    case PROP_RATED_AT:
      g_value_set_int64 (value, self->rated_at);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels);
      break;

    case PROP_ROUTING:
      g_value_set_string (value, self->routing);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

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

    case PROP_VISITOR_NAME:
      self->visitor_name = g_value_dup_string (value);
      break;

    case PROP_VISITOR_EMAIL:
      self->visitor_email = g_value_dup_string (value);
      break;

    case PROP_STATUS:
      self->status = g_value_dup_string (value);
      break;

    case PROP_ASSIGNEE_ID:
      self->assignee_id = g_value_dup_string (value);
      break;

    case PROP_ASSIGNEE_NAME:
      self->assignee_name = g_value_dup_string (value);
      break;

    case PROP_CREATED_AT:
      self->created_at = g_value_get_int64 (value);
      break;

    case PROP_LAST_MESSAGE_AT:
      self->last_message_at = g_value_get_int64 (value);
      break;

    case PROP_SORT_AT:
      self->sort_at = g_value_get_int64 (value);
      break;

    case PROP_LAST_SEQ:
      self->last_seq = g_value_get_int64 (value);
      break;

    case PROP_UNREAD:
      self->unread = g_value_get_int64 (value);
      break;

    case PROP_AGENT_READ_SEQ:
      self->agent_read_seq = g_value_get_int64 (value);
      break;

    case PROP_VISITOR_READ_SEQ:
      self->visitor_read_seq = g_value_get_int64 (value);
      break;

    case PROP_PREVIEW:
      self->preview = g_value_dup_string (value);
      break;

    case PROP_RATING_SCORE:
      self->rating_score = g_value_get_int (value);
      break;

    case PROP_RATING_COMMENT:
      self->rating_comment = g_value_dup_string (value);
      break;

    case PROP_RATED_AT:
      self->rated_at = g_value_get_int64 (value);
      break;
    case PROP_LABELS:
      self->labels = g_value_dup_string (value);
      break;

    case PROP_ROUTING:
      self->routing = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_class_init (ConfabConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_conversation_finalize;
  object_class->get_property = confab_conversation_get_property;
  object_class->set_property = confab_conversation_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, "The conversation id",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, "Its site",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_VISITOR_ID] =
    g_param_spec_string ("visitor-id", NULL, "Its visitor",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_VISITOR_NAME] =
    g_param_spec_string ("visitor-name", NULL, "The visitor's name, when given",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_VISITOR_EMAIL] =
    g_param_spec_string ("visitor-email", NULL, "The visitor's email, when given",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, "open, pending, resolved or closed",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ASSIGNEE_ID] =
    g_param_spec_string ("assignee-id", NULL, "The assigned agent, or NULL",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ASSIGNEE_NAME] =
    g_param_spec_string ("assignee-name", NULL, "The assigned agent's name",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, "Creation time, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_LAST_MESSAGE_AT] =
    g_param_spec_int64 ("last-message-at", NULL, "Time of the last message, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_SORT_AT] =
    g_param_spec_int64 ("sort-at", NULL, "The time the inbox sorts it by, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_LAST_SEQ] =
    g_param_spec_int64 ("last-seq", NULL, "seq of the last message",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_UNREAD] =
    g_param_spec_int64 ("unread", NULL, "Messages the agents have not read",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_AGENT_READ_SEQ] =
    g_param_spec_int64 ("agent-read-seq", NULL, "Last seq read by an agent",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_VISITOR_READ_SEQ] =
    g_param_spec_int64 ("visitor-read-seq", NULL, "Last seq read by the visitor",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_PREVIEW] =
    g_param_spec_string ("preview", NULL, "The start of the last message",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_RATING_SCORE] =
    g_param_spec_int ("rating-score", NULL, "The visitor's rating, 1-5; 0 when not rated",
                      0, 5, 0,
                      PARAM_FLAGS);
  properties[PROP_RATING_COMMENT] =
    g_param_spec_string ("rating-comment", NULL, "The visitor's comment with the rating",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_RATED_AT] =
    g_param_spec_int64 ("rated-at", NULL, "When it was rated (Unix ms; 0: not rated)",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_LABELS] =
    g_param_spec_string ("labels", NULL,
                         "Its labels as JSON text ([{\"id\",\"name\",\"color\"}]; NULL: none)",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ROUTING] =
    g_param_spec_string ("routing", NULL,
                         "Its team, queue place and response target as JSON text "
                         "(confab-routing.h; NULL: none heard of)",
                         NULL,
                         PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_init (ConfabConversation *self)
{
}

const char *
confab_conversation_get_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->id;
}

const char *
confab_conversation_get_site_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->site_id;
}

const char *
confab_conversation_get_visitor_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->visitor_id;
}

const char *
confab_conversation_get_visitor_name (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->visitor_name;
}

const char *
confab_conversation_get_visitor_email (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->visitor_email;
}

const char *
confab_conversation_get_status (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->status;
}

const char *
confab_conversation_get_assignee_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->assignee_id;
}

const char *
confab_conversation_get_assignee_name (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->assignee_name;
}

gint64
confab_conversation_get_created_at (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->created_at;
}

gint64
confab_conversation_get_last_message_at (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->last_message_at;
}

gint64
confab_conversation_get_sort_at (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->sort_at;
}

gint64
confab_conversation_get_last_seq (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->last_seq;
}

gint64
confab_conversation_get_unread (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->unread;
}

gint64
confab_conversation_get_agent_read_seq (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->agent_read_seq;
}

gint64
confab_conversation_get_visitor_read_seq (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->visitor_read_seq;
}

const char *
confab_conversation_get_preview (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->preview;
}

int
confab_conversation_get_rating_score (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->rating_score;
}

const char *
confab_conversation_get_rating_comment (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->rating_comment;
}

gint64
confab_conversation_get_rated_at (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);

  return self->rated_at;
}

const char *
confab_conversation_get_routing (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->routing;
}

const char *
confab_conversation_get_labels (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  return self->labels;
}

/* The inbox binds a row for every conversation that comes into view, and each read its
 * labels with a JsonParser of its own: the object is immutable, so they are parsed once. */
JsonArray *
confab_conversation_peek_labels (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  if (!self->labels_parsed)
    {
      self->labels_parsed = TRUE;
      /* "[]", the most common, needs no parser */
      if (self->labels != NULL && g_strcmp0 (self->labels, "[]") != 0)
        {
          self->labels_node = json_from_string (self->labels, NULL);
          if (self->labels_node != NULL && !JSON_NODE_HOLDS_ARRAY (self->labels_node))
            g_clear_pointer (&self->labels_node, json_node_unref);
        }
    }
  return self->labels_node != NULL ? json_node_get_array (self->labels_node) : NULL;
}

gboolean
confab_conversation_equal (ConfabConversation *a,
                           ConfabConversation *b)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (a), FALSE);
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (b), FALSE);

  return a == b ||
         (g_strcmp0 (a->id, b->id) == 0 &&
          g_strcmp0 (a->site_id, b->site_id) == 0 &&
          g_strcmp0 (a->visitor_id, b->visitor_id) == 0 &&
          g_strcmp0 (a->visitor_name, b->visitor_name) == 0 &&
          g_strcmp0 (a->visitor_email, b->visitor_email) == 0 &&
          g_strcmp0 (a->status, b->status) == 0 &&
          g_strcmp0 (a->assignee_id, b->assignee_id) == 0 &&
          g_strcmp0 (a->assignee_name, b->assignee_name) == 0 &&
          a->created_at == b->created_at &&
          a->last_message_at == b->last_message_at &&
          a->sort_at == b->sort_at &&
          a->last_seq == b->last_seq &&
          a->unread == b->unread &&
          a->agent_read_seq == b->agent_read_seq &&
          a->visitor_read_seq == b->visitor_read_seq &&
          g_strcmp0 (a->preview, b->preview) == 0 &&
          a->rating_score == b->rating_score &&
          g_strcmp0 (a->rating_comment, b->rating_comment) == 0 &&
          a->rated_at == b->rated_at &&
          g_strcmp0 (a->labels, b->labels) == 0 &&
          g_strcmp0 (a->routing, b->routing) == 0);
}
