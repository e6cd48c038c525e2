/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-targets.c: what both stores share about response-time targets
 * (confab-store-targets.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-targets.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char * const kind_names[] = { NULL, "first_response", "next_response" };
static const char * const state_names[] = { "ok", "near", "missed" };

const char *
confab_target_kind_to_string (ConfabTargetKind kind)
{
  return (guint) kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : NULL;
}

ConfabTargetKind
confab_target_kind_from_string (const char *text)
{
  for (guint i = 1; text != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (strcmp (text, kind_names[i]) == 0)
      return i;
  return CONFAB_TARGET_NONE;
}

const char *
confab_target_state_to_string (ConfabTargetState state)
{
  return (guint) state < G_N_ELEMENTS (state_names) ? state_names[state] : "ok";
}

ConfabTargetState
confab_target_state_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (state_names); i++)
    if (strcmp (text, state_names[i]) == 0)
      return i;
  return CONFAB_TARGET_OK;
}

gint64
confab_target_seconds (const char       *site_settings_json,
                       gint64            team_first,
                       gint64            team_next,
                       ConfabTargetKind  kind)
{
  g_autoptr (JsonNode) root = NULL;
  const char *key;
  JsonNode *value;
  gint64 team = kind == CONFAB_TARGET_FIRST_RESPONSE ? team_first : team_next;

  if (kind == CONFAB_TARGET_NONE)
    return 0;
  if (team >= 0)
    return team;
  if (site_settings_json == NULL)
    return 0;

  /* the settings were validated when they were written (0..86400) */
  root = json_from_string (site_settings_json, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  key = kind == CONFAB_TARGET_FIRST_RESPONSE ? "first_response_seconds" : "next_response_seconds";
  value = json_object_get_member (json_node_get_object (root), key);
  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
      json_node_get_value_type (value) != G_TYPE_INT64)
    return 0;
  return MAX (json_node_get_int (value), 0);
}

gint64
confab_target_near_at (gint64 started_at,
                       gint64 due_at)
{
  return started_at + (due_at - started_at) * CONFAB_TARGET_NEAR_PERMILLE / 1000;
}
