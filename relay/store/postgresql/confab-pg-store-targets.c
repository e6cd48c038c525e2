/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-targets.c: the PostgreSQL store's response-time targets (the SQLite twins are
 * in sqlite/confab-store-targets.c; see confab-store-targets.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-pg-store-private.h"
#include "confab-store-targets.h"

/* The seconds of a target of @kind in @conversation: its team's own value when the team has one
 * (0: none for that team), else the site's, from the settings the message's statement read
 * (@site_settings). The team is read only when a target starts, not for every message. */
static gboolean
target_seconds (ConfabStore         *store,
                ConfabConversation  *conversation,
                const char          *site_settings,
                ConfabTargetKind     kind,
                gint64              *out_seconds,
                GError             **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  gint64 team_first = -1, team_next = -1;

  pg_text (&params, conversation->id);
  result = pg_exec (store,
                    "SELECT coalesce (t.first_response_seconds, -1), "
                    "coalesce (t.next_response_seconds, -1) "
                    "FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = $1",
                    &params, "Cannot read the team's response-time targets", error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    {
      team_first = pg_integer (result, 0, 0);
      team_next = pg_integer (result, 0, 1);
    }
  *out_seconds = confab_target_seconds (site_settings, team_first, team_next, kind);
  return TRUE;
}

static gboolean
end_target (ConfabStore  *store,
            const char   *conversation_id,
            gboolean      answered,
            gint64        now,
            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, now);
  pg_bool (&params, answered);
  result = pg_exec (store,
                    "WITH h AS (UPDATE response_targets SET ended_at = $2, outcome = "
                    "  CASE WHEN outcome = 'missed' OR due_at <= $2 THEN 'missed' "
                    "       WHEN $3::boolean THEN 'met' ELSE 'stopped' END "
                    "  WHERE conversation_id = $1 AND ended_at IS NULL) "
                    "UPDATE conversations SET target_kind = NULL, target_due_at = NULL, "
                    "target_state = NULL, target_next_at = NULL "
                    "WHERE id = $1 AND target_kind IS NOT NULL", &params,
                    "Cannot end the response-time target", error);
  return result != NULL;
}

static gboolean
start_target (ConfabStore         *store,
              ConfabConversation  *conversation,
              ConfabTargetKind     kind,
              gint64               seconds,
              gint64               now,
              GError             **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  gint64 due = now + seconds * 1000;

  pg_text (&params, conversation->site_id);
  pg_text (&params, conversation->id);
  pg_text (&params, confab_target_kind_to_string (kind));
  pg_int (&params, now);
  pg_int (&params, due);
  pg_int (&params, confab_target_near_at (now, due));
  result = pg_exec (store,
                    "WITH h AS (INSERT INTO response_targets (site_id, conversation_id, kind, "
                    "  started_at, due_at) VALUES ($1, $2, $3, $4, $5)) "
                    "UPDATE conversations SET target_kind = $3, target_due_at = $5, "
                    "target_state = 'ok', target_next_at = $6 WHERE id = $2", &params,
                    "Cannot start the response-time target", error);
  if (result == NULL)
    return FALSE;

  conversation->target_kind = kind;
  conversation->target_due_at = due;
  conversation->target_state = CONFAB_TARGET_OK;
  return TRUE;
}

gboolean
pg_targets_on_message (ConfabStore         *store,
                       ConfabConversation  *conversation,
                       ConfabSenderType     sender_type,
                       const char          *site_settings,
                       gint64               now,
                       gboolean            *changed,
                       GError             **error)
{
  if (sender_type == CONFAB_SENDER_AGENT && conversation->target_kind != CONFAB_TARGET_NONE)
    {
      if (!end_target (store, conversation->id, TRUE, now, error))
        return FALSE;
      conversation->target_kind = CONFAB_TARGET_NONE;
      conversation->target_due_at = 0;
      conversation->target_state = CONFAB_TARGET_OK;
      *changed = TRUE;
      return TRUE;
    }

  if (sender_type == CONFAB_SENDER_VISITOR && conversation->target_kind == CONFAB_TARGET_NONE &&
      (conversation->status == CONFAB_STATUS_OPEN || conversation->status == CONFAB_STATUS_PENDING))
    {
      ConfabTargetKind kind = conversation->first_agent_reply_at > 0 ? CONFAB_TARGET_NEXT_RESPONSE
                                                                     : CONFAB_TARGET_FIRST_RESPONSE;
      gint64 seconds = 0;

      if (!target_seconds (store, conversation, site_settings, kind, &seconds, error))
        return FALSE;
      if (seconds > 0)
        {
          if (!start_target (store, conversation, kind, seconds, now, error))
            return FALSE;
          *changed = TRUE;
        }
    }
  return TRUE;
}

GPtrArray *
pg_advance_targets (ConfabStore  *store,
                    gint64        now_ms,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  GPtrArray *ids;

  /* FOR UPDATE SKIP LOCKED: two relays on one database never announce one mark twice */
  pg_int (&params, now_ms);
  result = pg_exec (store,
                    "WITH due AS (SELECT id FROM conversations WHERE target_next_at <= $1 "
                    "  FOR UPDATE SKIP LOCKED), "
                    "c AS (UPDATE conversations SET "
                    "  target_state = CASE WHEN target_due_at <= $1 THEN 'missed' ELSE 'near' END, "
                    "  target_next_at = CASE WHEN target_due_at <= $1 THEN NULL ELSE target_due_at END "
                    "  WHERE id IN (SELECT id FROM due) RETURNING id), "
                    "h AS (UPDATE response_targets SET outcome = 'missed' "
                    "  WHERE conversation_id IN (SELECT id FROM c) AND ended_at IS NULL "
                    "  AND due_at <= $1) "
                    "SELECT id FROM c", &params,
                    "Cannot advance the response-time targets", error);
  if (result == NULL)
    return NULL;

  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}

gint64
pg_next_target_at (ConfabStore  *store,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;

  result = pg_exec (store, "SELECT coalesce (min (target_next_at), 0) FROM conversations "
                           "WHERE target_next_at IS NOT NULL", NULL,
                    "Cannot read the next response-time target", error);
  return result != NULL ? pg_integer (result, 0, 0) : -1;
}

gboolean
pg_analytics_targets (ConfabStore                *store,
                      const char                 *sites_json,
                      gint64                      from_ms,
                      gint64                      to_ms,
                      ConfabAnalyticsTargetFunc   func,
                      gpointer                    user_data,
                      GError                    **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, sites_json);
  pg_int (&params, from_ms);
  pg_int (&params, to_ms);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "SELECT site_id, started_at, kind, outcome = 'met' FROM response_targets "
                    "WHERE site_id IN (SELECT json_array_elements_text ($1::json)) "
                    "AND started_at >= $2::bigint AND started_at < $3::bigint "
                    "AND (outcome IN ('met', 'missed') OR (ended_at IS NULL AND due_at <= $4::bigint)) "
                    "ORDER BY started_at", &params,
                    "Cannot count the response-time targets", error);
  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    if (!func (PQgetvalue (result, i, 0), pg_integer (result, i, 1),
               confab_target_kind_from_string (PQgetvalue (result, i, 2)),
               pg_boolean (result, i, 3), user_data))
      break;
  return TRUE;
}
