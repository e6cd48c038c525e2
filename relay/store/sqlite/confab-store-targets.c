/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-targets.c: the SQLite store's response-time targets (see confab-store-targets.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-targets.h"

/* A site's own targets, in seconds (0: none). */
typedef struct {
  gint64 first_response;
  gint64 next_response;
} SiteTargets;

/* The site's targets from its settings, parsed once and kept in store->site_targets: they were
 * read with three JSON parses of the settings per visitor message (issue 12). Not from the site
 * cache: the hub's writer thread stores visitors' messages through a store of its own, whose
 * update hook never sees the main loop's changes to a site. So besides everything that forgets
 * the site cache (a change to a site on this connection, a rollback, the cluster's word), the
 * targets are forgotten whenever PRAGMA data_version says another connection committed since
 * they were read — at most once per transaction of the writer's, which holds the lock. */
static gboolean
site_targets (ConfabStore  *store,
              const char   *site_id,
              SiteTargets  *out,
              GError      **error)
{
  g_autoptr (ConfabStmt) version = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  const SiteTargets *cached;
  gint64 data_version;
  int rc;

  version = store_prepare (store, "PRAGMA data_version", error);
  if (version == NULL)
    return FALSE;
  rc = sqlite3_step (version);
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the site's response-time targets");
      return FALSE;
    }
  data_version = sqlite3_column_int64 (version, 0);
  if (data_version != store->site_targets_version)
    {
      g_hash_table_remove_all (store->site_targets);
      store->site_targets_version = data_version;
    }

  cached = g_hash_table_lookup (store->site_targets, site_id);
  if (cached != NULL)
    {
      *out = *cached;
      return TRUE;
    }

  stmt = store_prepare (store,
                        "SELECT "
                        " CASE WHEN json_type (settings, '$.first_response_seconds') = 'integer' "
                        " THEN max (json_extract (settings, '$.first_response_seconds'), 0) "
                        " ELSE 0 END, "
                        " CASE WHEN json_type (settings, '$.next_response_seconds') = 'integer' "
                        " THEN max (json_extract (settings, '$.next_response_seconds'), 0) "
                        " ELSE 0 END "
                        "FROM sites WHERE id = ?1 AND json_valid (settings)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the site's response-time targets");
      return FALSE;
    }
  out->first_response = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  out->next_response = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
  g_hash_table_replace (store->site_targets, g_strdup (site_id), g_memdup2 (out, sizeof *out));
  return TRUE;
}

/* The seconds of a target of @kind in @conversation: the team's own value when it has one (0:
 * none for that team), else the site's. */
static gboolean
target_seconds (ConfabStore         *store,
                ConfabConversation  *conversation,
                ConfabTargetKind     kind,
                gint64              *out_seconds,
                GError             **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  SiteTargets site;
  int rc;

  stmt = store_prepare (store,
                        "SELECT CASE WHEN ?2 THEN t.first_response_seconds "
                        " ELSE t.next_response_seconds END "
                        "FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation->id);
  sqlite3_bind_int (stmt, 2, kind == CONFAB_TARGET_FIRST_RESPONSE);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the team's response-time targets");
      return FALSE;
    }
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      *out_seconds = sqlite3_column_int64 (stmt, 0);
      return TRUE;
    }

  if (!site_targets (store, conversation->site_id, &site, error))
    return FALSE;
  *out_seconds = kind == CONFAB_TARGET_FIRST_RESPONSE ? site.first_response : site.next_response;
  return TRUE;
}

/* Ends the target running in @conversation_id, if any: met when an agent answered in time,
 * missed when its due time had come, else stopped (resolved in time). */
static gboolean
end_target (ConfabStore  *store,
            const char   *conversation_id,
            gboolean      answered,
            gint64        now,
            GError      **error)
{
  g_autoptr (ConfabStmt) history = NULL;
  g_autoptr (ConfabStmt) running = NULL;

  history = store_prepare (store,
                           "UPDATE response_targets SET ended_at = ?2, outcome = "
                           "  CASE WHEN outcome = 'missed' OR due_at <= ?2 THEN 'missed' "
                           "       WHEN ?3 THEN 'met' ELSE 'stopped' END "
                           "WHERE conversation_id = ?1 AND ended_at IS NULL", error);
  if (history == NULL)
    return FALSE;
  store_bind_text (history, 1, conversation_id);
  sqlite3_bind_int64 (history, 2, now);
  sqlite3_bind_int (history, 3, answered ? 1 : 0);
  if (!store_step_done (store, history, "Cannot end the response-time target", error))
    return FALSE;

  running = store_prepare (store,
                           "UPDATE conversations SET target_kind = NULL, target_due_at = NULL, "
                           "target_state = NULL, target_next_at = NULL "
                           "WHERE id = ?1 AND target_kind IS NOT NULL", error);
  if (running == NULL)
    return FALSE;
  store_bind_text (running, 1, conversation_id);
  return store_step_done (store, running, "Cannot end the response-time target", error);
}

static gboolean
start_target (ConfabStore         *store,
              ConfabConversation  *conversation,
              ConfabTargetKind     kind,
              gint64               seconds,
              gint64               now,
              GError             **error)
{
  g_autoptr (ConfabStmt) history = NULL;
  g_autoptr (ConfabStmt) running = NULL;
  gint64 due = now + seconds * 1000;

  history = store_prepare (store,
                           "INSERT INTO response_targets (site_id, conversation_id, kind, "
                           "started_at, due_at) VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (history == NULL)
    return FALSE;
  store_bind_text (history, 1, conversation->site_id);
  store_bind_text (history, 2, conversation->id);
  store_bind_text (history, 3, confab_target_kind_to_string (kind));
  sqlite3_bind_int64 (history, 4, now);
  sqlite3_bind_int64 (history, 5, due);
  if (!store_step_done (store, history, "Cannot start the response-time target", error))
    return FALSE;

  running = store_prepare (store,
                           "UPDATE conversations SET target_kind = ?2, target_due_at = ?3, "
                           "target_state = 'ok', target_next_at = ?4 WHERE id = ?1", error);
  if (running == NULL)
    return FALSE;
  store_bind_text (running, 1, conversation->id);
  store_bind_text (running, 2, confab_target_kind_to_string (kind));
  sqlite3_bind_int64 (running, 3, due);
  sqlite3_bind_int64 (running, 4, confab_target_near_at (now, due));
  if (!store_step_done (store, running, "Cannot start the response-time target", error))
    return FALSE;

  conversation->target_kind = kind;
  conversation->target_due_at = due;
  conversation->target_state = CONFAB_TARGET_OK;
  return TRUE;
}

gboolean
store_targets_on_message (ConfabStore         *store,
                          ConfabConversation  *conversation,
                          ConfabSenderType     sender_type,
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

  /* the ball passes to the agents: before any agent message the first response, after one
   * the next response (the visitor writes again after an answer, or after a resolve) */
  if (sender_type == CONFAB_SENDER_VISITOR && conversation->target_kind == CONFAB_TARGET_NONE &&
      (conversation->status == CONFAB_STATUS_OPEN || conversation->status == CONFAB_STATUS_PENDING))
    {
      ConfabTargetKind kind = conversation->first_agent_reply_at > 0 ? CONFAB_TARGET_NEXT_RESPONSE
                                                                     : CONFAB_TARGET_FIRST_RESPONSE;
      gint64 seconds = 0;

      if (!target_seconds (store, conversation, kind, &seconds, error))
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

gboolean
store_targets_stop (ConfabStore  *store,
                    const char   *conversation_id,
                    gint64        now,
                    GError      **error)
{
  return end_target (store, conversation_id, FALSE, now, error);
}

GPtrArray *
confab_store_advance_targets (ConfabStore  *store,
                              gint64        now_ms,
                              GError      **error)
{
  STORE_HANDOFF (store, advance_targets, NULL, error, now_ms, error);

  g_autoptr (ConfabStmt) running = NULL;
  g_autoptr (ConfabStmt) history = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = TRUE;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (!confab_store_begin (store, error))
    return NULL;

  running = store_prepare (store,
                           "UPDATE conversations SET "
                           "target_state = CASE WHEN target_due_at <= ?1 THEN 'missed' ELSE 'near' END, "
                           "target_next_at = CASE WHEN target_due_at <= ?1 THEN NULL ELSE target_due_at END "
                           "WHERE target_next_at <= ?1 RETURNING id", error);
  ok = running != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (running, 1, now_ms);
      while ((rc = sqlite3_step (running)) == SQLITE_ROW)
        g_ptr_array_add (ids, store_column_dup (running, 0));
      if (rc != SQLITE_DONE)
        {
          store_set_sqlite_error (store, error, rc, "Cannot advance the response-time targets");
          ok = FALSE;
        }
    }

  /* missed once is missed for analytics, however late the answer */
  if (ok && ids->len > 0)
    {
      history = store_prepare (store,
                               "UPDATE response_targets SET outcome = 'missed' "
                               "WHERE conversation_id IN (SELECT value FROM json_each (?1)) "
                               "AND ended_at IS NULL AND due_at <= ?2", error);
      ok = history != NULL;
      if (ok)
        {
          g_autoptr (JsonArray) list = json_array_new ();
          g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
          g_autofree char *text = NULL;

          for (guint i = 0; i < ids->len; i++)
            json_array_add_string_element (list, g_ptr_array_index (ids, i));
          json_node_set_array (node, list);
          text = json_to_string (node, FALSE);
          store_bind_text (history, 1, text);
          sqlite3_bind_int64 (history, 2, now_ms);
          ok = store_step_done (store, history, "Cannot mark the missed targets", error);
        }
    }

  if (!store_finish (store, ok, error))
    return NULL;
  return g_steal_pointer (&ids);
}

gint64
confab_store_next_target_at (ConfabStore  *store,
                             GError      **error)
{
  STORE_HANDOFF (store, next_target_at, -1, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_prepare (store, "SELECT min (target_next_at) FROM conversations "
                               "WHERE target_next_at IS NOT NULL", error);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the next response-time target");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_analytics_targets (ConfabStore                *store,
                                const char                 *sites_json,
                                gint64                      from_ms,
                                gint64                      to_ms,
                                ConfabAnalyticsTargetFunc   func,
                                gpointer                    user_data,
                                GError                    **error)
{
  STORE_HANDOFF (store, analytics_targets, FALSE, error, sites_json, from_ms, to_ms, func, user_data, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);

  /* a running target past its due time is missed already, announced or not */
  stmt = store_prepare (store,
                        "SELECT site_id, started_at, kind, outcome = 'met' FROM response_targets "
                        "WHERE site_id IN (SELECT value FROM json_each (?1)) "
                        "AND started_at >= ?2 AND started_at < ?3 "
                        "AND (outcome IN ('met', 'missed') OR (ended_at IS NULL AND due_at <= ?4)) "
                        "ORDER BY started_at", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, sites_json);
  sqlite3_bind_int64 (stmt, 2, from_ms);
  sqlite3_bind_int64 (stmt, 3, to_ms);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (!func ((const char *) sqlite3_column_text (stmt, 0), sqlite3_column_int64 (stmt, 1),
               confab_target_kind_from_string ((const char *) sqlite3_column_text (stmt, 2)),
               sqlite3_column_int (stmt, 3) != 0, user_data))
      return TRUE;
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot count the response-time targets");
      return FALSE;
    }
  return TRUE;
}
