/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-routing.c: issue 18 in the cache (see the header). */
#define G_LOG_DOMAIN "confab-cache"

#include "confab-cache-private.h"
#include "confab-json.h"
#include "confab-routing.h"
#include "confab-util.h"

#define TEAMS_META_PREFIX "teams:"

ConfabTargetState
confab_target_state_from_string (const char *state)
{
  if (g_strcmp0 (state, "ok") == 0)
    return CONFAB_TARGET_OK;
  if (g_strcmp0 (state, "near") == 0)
    return CONFAB_TARGET_NEAR;
  if (g_strcmp0 (state, "missed") == 0)
    return CONFAB_TARGET_MISSED;
  return CONFAB_TARGET_NONE;
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
int_member (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

static JsonObject *
object_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

ConfabRouting *
confab_routing_parse (const char *json)
{
  ConfabRouting *routing = g_new0 (ConfabRouting, 1);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object, *team, *target;

  if (json == NULL || (root = json_from_string (json, NULL)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return routing;
  object = json_node_get_object (root);
  team = object_member (object, "team");
  if (team != NULL && string_member (team, "id") != NULL)
    {
      routing->team_id = g_strdup (string_member (team, "id"));
      routing->team_key = g_strdup (string_member (team, "key"));
      routing->team_name = g_strdup (string_member (team, "name"));
    }
  routing->queued_at = MAX (0, int_member (object, "queued_at"));
  routing->queue_position = (int) CLAMP (int_member (object, "queue_position"), 0, G_MAXINT);
  target = object_member (object, "target");
  if (target != NULL && string_member (target, "kind") != NULL)
    {
      routing->target_kind = g_strdup (string_member (target, "kind"));
      routing->target_due_at = int_member (target, "due_at");
      routing->target_state = confab_target_state_from_string (string_member (target, "state"));
    }
  return routing;
}

ConfabRouting *
confab_routing_from_conversation (ConfabConversation *conversation)
{
  return confab_routing_parse (conversation != NULL ? confab_conversation_get_routing (conversation)
                                                    : NULL);
}

/* The inbox binds a row (and its team filter reads the team) for every conversation it
 * shows; a JsonParser each time, for text that never changes on the object, was part of each
 * new row's cost during a catch-up (bench/desktop-catchup.sh). */
const ConfabRouting *
confab_routing_peek (ConfabConversation *conversation)
{
  static GQuark quark;
  ConfabRouting *routing;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION (conversation), NULL);

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("confab-routing-parsed");
  routing = g_object_get_qdata (G_OBJECT (conversation), quark);
  if (routing == NULL)
    {
      routing = confab_routing_from_conversation (conversation);
      g_object_set_qdata_full (G_OBJECT (conversation), quark, routing,
                               (GDestroyNotify) confab_routing_free);
    }
  return routing;
}

void
confab_routing_free (ConfabRouting *routing)
{
  if (routing == NULL)
    return;
  g_free (routing->team_id);
  g_free (routing->team_key);
  g_free (routing->team_name);
  g_free (routing->target_kind);
  g_free (routing);
}

ConfabTargetState
confab_routing_target_state_at (const ConfabRouting *routing,
                                gint64               now_ms)
{
  g_return_val_if_fail (routing != NULL, CONFAB_TARGET_NONE);

  if (routing->target_kind == NULL)
    return CONFAB_TARGET_NONE;
  if (routing->target_due_at > 0 && now_ms >= routing->target_due_at)
    return CONFAB_TARGET_MISSED;
  /* a running target the relay gave no known state: it is running, so not missed yet */
  return routing->target_state == CONFAB_TARGET_NONE ? CONFAB_TARGET_OK : routing->target_state;
}

/* --- the cache --- */

static char *
dup_stored_routing (ConfabCache *self,
                    const char  *conversation_id)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self,
    "SELECT routing FROM conversations WHERE id = ?1", NULL);
  char *json = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    json = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return json;
}

/* A relay time member as Unix ms: NULL for null, absent or unreadable. */
static JsonNode *
time_node (JsonObject *object,
           const char *member)
{
  const char *text = string_member (object, member);
  gint64 ms = 0;

  if (text == NULL || !confab_parse_time (text, &ms))
    return json_node_init_null (json_node_alloc ());
  return json_node_init_int (json_node_alloc (), ms);
}

gboolean
confab_cache_store_routing (ConfabCache  *self,
                            const char   *conversation_id,
                            JsonObject   *conversation,
                            GError      **error)
{
  static const char * const members[] = { "team", "queued_at", "queue_position", "target" };
  g_autofree char *stored = NULL;
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *routing;
  gboolean any = FALSE;
  sqlite3_stmt *stmt;

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    any |= json_object_has_member (conversation, members[i]);
  /* none of them: a relay without routing, or a frame that does not carry them */
  if (!any)
    return TRUE;

  stored = dup_stored_routing (self, conversation_id);
  if (stored == NULL || (root = json_from_string (stored, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_clear_pointer (&root, json_node_unref);
      root = json_node_init_object (json_node_alloc (), json_object_new ());
    }
  routing = json_node_get_object (root);

  if (json_object_has_member (conversation, "team"))
    {
      JsonObject *team = object_member (conversation, "team");

      if (team != NULL && string_member (team, "id") != NULL)
        {
          JsonObject *copy = json_object_new ();

          json_object_set_string_member (copy, "id", string_member (team, "id"));
          json_object_set_string_member (copy, "key", string_member (team, "key"));
          json_object_set_string_member (copy, "name", string_member (team, "name"));
          json_object_set_object_member (routing, "team", copy);
        }
      else
        json_object_set_null_member (routing, "team");
    }
  if (json_object_has_member (conversation, "queued_at"))
    json_object_set_member (routing, "queued_at", time_node (conversation, "queued_at"));
  if (json_object_has_member (conversation, "queue_position"))
    {
      gint64 position = int_member (conversation, "queue_position");

      if (position > 0)
        json_object_set_int_member (routing, "queue_position", position);
      else
        json_object_set_null_member (routing, "queue_position");
    }
  if (json_object_has_member (conversation, "target"))
    {
      JsonObject *target = object_member (conversation, "target");

      if (target != NULL && string_member (target, "kind") != NULL)
        {
          JsonObject *copy = json_object_new ();

          json_object_set_string_member (copy, "kind", string_member (target, "kind"));
          json_object_set_member (copy, "due_at", time_node (target, "due_at"));
          json_object_set_string_member (copy, "state", string_member (target, "state"));
          json_object_set_object_member (routing, "target", copy);
        }
      else
        json_object_set_null_member (routing, "target");
    }

  json = confab_json_node_to_string (root);
  if (g_strcmp0 (json, stored) == 0)
    return TRUE;
  stmt = confab_cache_prepare (self, "UPDATE conversations SET routing = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, json, -1, SQLITE_TRANSIENT);
  return confab_cache_step_done (self, stmt, error);
}

GListModel *
confab_cache_list_queued (ConfabCache *self,
                          const char  *site_id,
                          const char  *team_id)
{
  GListStore *store = g_list_store_new (CONFAB_TYPE_CONVERSATION);
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), G_LIST_MODEL (store));

  stmt = confab_cache_prepare (self,
    "SELECT " CONFAB_CACHE_CONVERSATION_COLUMNS " FROM " CONFAB_CACHE_CONVERSATION_FROM
    " WHERE c.routing IS NOT NULL AND c.status = 'open'"
    "  AND json_extract (c.routing, '$.queued_at') IS NOT NULL"
    "  AND (?1 IS NULL OR c.site_id = ?1)"
    "  AND (?2 IS NULL OR json_extract (c.routing, '$.team.id') = ?2)"
    " ORDER BY json_extract (c.routing, '$.queued_at'), c.id LIMIT 1000", NULL);
  if (stmt == NULL)
    return G_LIST_MODEL (store);
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_TRANSIENT);
  if (team_id != NULL)
    sqlite3_bind_text (stmt, 2, team_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (ConfabConversation) conversation = confab_cache_conversation_from_stmt (stmt);

      g_list_store_append (store, conversation);
    }
  sqlite3_reset (stmt);
  return G_LIST_MODEL (store);
}

guint
confab_cache_count_load (ConfabCache *self,
                         const char  *agent_id,
                         const char  *site_id)
{
  sqlite3_stmt *stmt;
  guint n = 0;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), 0);

  if (agent_id == NULL)
    return 0;
  stmt = confab_cache_prepare (self,
    "SELECT COUNT (*) FROM conversations WHERE assignee_id = ?1"
    " AND status IN ('open', 'pending') AND (?2 IS NULL OR site_id = ?2)"
    " AND site_id IN (SELECT id FROM sites)", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, agent_id, -1, SQLITE_TRANSIENT);
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 2, site_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

gboolean
confab_cache_has_routing (ConfabCache *self,
                          const char  *site_id)
{
  sqlite3_stmt *stmt;
  gboolean has = FALSE;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);

  stmt = confab_cache_prepare (self,
    "SELECT 1 FROM sites WHERE max_chats IS NOT NULL AND (?1 IS NULL OR id = ?1) LIMIT 1", NULL);
  if (stmt == NULL)
    return FALSE;
  if (site_id != NULL)
    sqlite3_bind_text (stmt, 1, site_id, -1, SQLITE_TRANSIENT);
  has = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return has;
}

gboolean
confab_cache_set_teams (ConfabCache  *self,
                        const char   *site_id,
                        JsonArray    *teams,
                        GError      **error)
{
  g_autofree char *key = NULL;
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), FALSE);
  g_return_val_if_fail (site_id != NULL && teams != NULL, FALSE);

  key = g_strconcat (TEAMS_META_PREFIX, site_id, NULL);
  node = json_node_init_array (json_node_alloc (), teams);
  json = confab_json_node_to_string (node);
  return confab_cache_set_meta (self, key, json, error);
}

JsonArray *
confab_cache_dup_teams (ConfabCache *self,
                        const char  *site_id)
{
  g_autofree char *key = NULL;
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);

  if (site_id == NULL)
    return NULL;
  key = g_strconcat (TEAMS_META_PREFIX, site_id, NULL);
  json = confab_cache_dup_meta (self, key);
  if (json == NULL || (node = json_from_string (json, NULL)) == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_array_ref (json_node_get_array (node));
}
