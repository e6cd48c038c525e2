/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-engage.c: issue 16's parts of the analytics answer, goals and triggers
 * (docs/http-api.md, Analytics). A relay without them sends neither: has_goals and
 * has_triggers stay FALSE and the view shows no card for them. */
#define G_LOG_DOMAIN "confab-analytics"

#include "confab-analytics.h"

static gboolean
invalid (GError    **error,
         const char *member)
{
  g_set_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID,
               "“%s” must be a number of at least 0", member);
  return FALSE;
}

static gboolean
get_number (JsonObject  *object,
            const char  *member,
            const char  *path,
            double      *out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE) ||
      json_node_get_double (node) < 0)
    return invalid (error, path);
  *out = json_node_get_double (node);
  return TRUE;
}

static gboolean
get_count (JsonObject  *object,
           const char  *member,
           const char  *path,
           gint64      *out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return invalid (error, path);
  *out = json_node_get_int (node);
  return TRUE;
}

/* An object member, or NULL when absent; FALSE when it is there but not an object. */
static gboolean
get_part (JsonObject  *object,
          const char  *member,
          JsonObject **out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID,
                   "“%s” must be an object", member);
      return FALSE;
    }
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
confab_analytics_parse_engage (ConfabAnalytics  *self,
                               JsonObject       *object,
                               GError          **error)
{
  JsonObject *goals, *triggers;

  if (!get_part (object, "goals", &goals, error) ||
      !get_part (object, "triggers", &triggers, error))
    return FALSE;
  if (goals != NULL)
    {
      if (!get_count (goals, "count", "goals.count", &self->goals_count, error) ||
          !get_number (goals, "value", "goals.value", &self->goals_value, error) ||
          !get_count (goals, "visitors", "goals.visitors", &self->goals_visitors, error) ||
          !get_count (goals, "after_conversation", "goals.after_conversation",
                      &self->goals_after_conversation, error))
        return FALSE;
      self->has_goals = TRUE;
    }
  if (triggers != NULL)
    {
      if (!get_count (triggers, "fired", "triggers.fired", &self->triggers_fired, error) ||
          !get_count (triggers, "conversations", "triggers.conversations",
                      &self->triggers_conversations, error))
        return FALSE;
      self->has_triggers = TRUE;
    }
  return TRUE;
}
