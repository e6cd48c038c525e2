/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-timeline.c: timeline events in words (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-timeline.h"

static const char *
person_name (JsonObject *event,
             const char *member)
{
  JsonNode *node = json_object_get_member (event, member);
  JsonObject *person;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  person = json_node_get_object (node);
  return json_object_get_string_member_with_default (person, "name",
           json_object_get_string_member_with_default (person, "id", NULL));
}

static const char *
person_id (JsonObject *event,
           const char *member)
{
  JsonNode *node = json_object_get_member (event, member);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (node), "id", NULL);
}

/* "Resolved by Anna" or, when the visitor or the relay did it, @alone (a macro, so that the
 * format stays a literal the compiler checks) */
#define by(actor, with_actor, alone) \
  ((actor) != NULL ? g_strdup_printf ((with_actor), (actor)) : g_strdup (alone))

static char *
describe_rating (JsonObject *event)
{
  JsonNode *node = json_object_get_member (event, "rating");
  JsonObject *rating = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  gint64 score = rating != NULL ? json_object_get_int_member_with_default (rating, "score", 0) : 0;
  const char *comment = rating != NULL
                        ? json_object_get_string_member_with_default (rating, "comment", NULL) : NULL;

  if (score <= 0)
    return g_strdup (_("Rated by the visitor"));
  if (comment != NULL && *comment != '\0')
    /* translators: a rating and the visitor's comment, e.g. Rated 4/5 — “quick and helpful” */
    return g_strdup_printf (_("Rated %d/5 — “%s”"), (int) score, comment);
  return g_strdup_printf (_("Rated %d/5"), (int) score);
}

char *
confab_timeline_describe (const char *event_json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *event;
  const char *kind, *actor, *target;

  if (event_json == NULL || !json_parser_load_from_data (parser, event_json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return g_strdup (_("Changed"));
  event = json_node_get_object (json_parser_get_root (parser));
  kind = json_object_get_string_member_with_default (event, "kind", "");
  actor = person_name (event, "actor");
  target = person_name (event, "target");

  if (g_str_equal (kind, "assigned"))
    {
      if (actor != NULL && target != NULL &&
          g_strcmp0 (person_id (event, "actor"), person_id (event, "target")) == 0)
        return g_strdup_printf (_("%s took this"), actor);
      if (actor != NULL && target != NULL)
        return g_strdup_printf (_("%s assigned this to %s"), actor, target);
      return by (target, _("Assigned to %s"), _("Assigned"));
    }
  if (g_str_equal (kind, "transferred"))
    {
      const char *from = person_name (event, "from");

      if (actor != NULL && from != NULL && target != NULL)
        return g_strdup_printf (_("%s moved this from %s to %s"), actor, from, target);
      return by (target, _("Moved to %s"), _("Moved to someone else"));
    }
  if (g_str_equal (kind, "unassigned"))
    {
      if (actor != NULL && target != NULL && g_strcmp0 (actor, target) != 0)
        return g_strdup_printf (_("%s took this from %s"), actor, target);
      return by (actor, _("Unassigned by %s"), _("Unassigned"));
    }
  if (g_str_equal (kind, "pending"))
    return by (actor, _("Marked pending by %s"), _("Marked pending"));
  if (g_str_equal (kind, "resolved"))
    return by (actor, _("Resolved by %s"), _("Resolved"));
  if (g_str_equal (kind, "closed"))
    return by (actor, _("Closed by %s"), _("Closed"));
  if (g_str_equal (kind, "reopened"))
    return by (actor, _("Reopened by %s"), _("Reopened by the visitor"));
  if (g_str_equal (kind, "rated"))
    return describe_rating (event);
  return g_strdup (kind);
}
