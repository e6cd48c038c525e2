/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-routing.c: the SQLite store's teams, agents' limits and the queue (see
 * confab-store-routing.h). */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-routing.h"

#define TEAM_COLUMNS "t.id, t.site_id, t.key, t.name, t.assignment, t.first_response_seconds, " \
                     "t.next_response_seconds, t.created_at, " \
                     "(SELECT json_group_array (user_id) FROM " \
                     "  (SELECT user_id FROM team_members WHERE team_id = t.id ORDER BY user_id))"

void
confab_team_free (ConfabTeam *team)
{
  if (team == NULL)
    return;
  g_free (team->id);
  g_free (team->site_id);
  g_free (team->key);
  g_free (team->name);
  g_strfreev (team->member_ids);
  g_free (team->assignment);
  g_free (team);
}

void
confab_routing_clear (ConfabRouting *routing)
{
  g_clear_pointer (&routing->team_id, g_free);
  g_clear_pointer (&routing->team_key, g_free);
  g_clear_pointer (&routing->team_name, g_free);
  routing->queued_at = 0;
  routing->queue_position = 0;
}

void
confab_queued_free (ConfabQueued *queued)
{
  if (queued == NULL)
    return;
  g_free (queued->conversation_id);
  g_free (queued->visitor_id);
  g_free (queued->team_id);
  g_free (queued);
}

static gint64
column_int_or_null (sqlite3_stmt *stmt,
                    int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, column);
}

static void
bind_int_or_null (sqlite3_stmt *stmt,
                  int           index,
                  gint64        value)
{
  if (value < 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, value);
}

static ConfabTeam *
read_team (sqlite3_stmt *stmt)
{
  ConfabTeam *team = g_new0 (ConfabTeam, 1);
  g_autofree char *members = NULL;

  team->id = store_column_dup (stmt, 0);
  team->site_id = store_column_dup (stmt, 1);
  team->key = store_column_dup (stmt, 2);
  team->name = store_column_dup (stmt, 3);
  team->assignment = store_column_dup (stmt, 4);
  team->first_response_seconds = column_int_or_null (stmt, 5);
  team->next_response_seconds = column_int_or_null (stmt, 6);
  team->created_at = sqlite3_column_int64 (stmt, 7);
  members = store_column_dup (stmt, 8);
  team->member_ids = store_domains_from_json (members);
  return team;
}

static void
set_team_error (ConfabStore *store,
                GError     **error,
                int          rc,
                const char  *what)
{
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a team with this name or key");
  else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "A member of the team is not a user");
  else
    store_set_sqlite_error (store, error, rc, what);
}

static gboolean
set_team_members (ConfabStore        *store,
                  const char         *team_id,
                  const char * const *member_ids,
                  GError            **error)
{
  g_autoptr (ConfabStmt) clear = NULL;

  clear = store_prepare (store, "DELETE FROM team_members WHERE team_id = ?1", error);
  if (clear == NULL)
    return FALSE;
  store_bind_text (clear, 1, team_id);
  if (!store_step_done (store, clear, "Cannot change the team's members", error))
    return FALSE;

  for (guint i = 0; member_ids != NULL && member_ids[i] != NULL; i++)
    {
      g_autoptr (ConfabStmt) add = NULL;
      int rc;

      add = store_prepare (store, "INSERT OR IGNORE INTO team_members (team_id, user_id) "
                                  "VALUES (?1, ?2)", error);
      if (add == NULL)
        return FALSE;
      store_bind_text (add, 1, team_id);
      store_bind_text (add, 2, member_ids[i]);
      if ((rc = sqlite3_step (add)) != SQLITE_DONE)
        {
          set_team_error (store, error, rc, "Cannot change the team's members");
          return FALSE;
        }
    }
  return TRUE;
}

ConfabTeam *
confab_store_create_team (ConfabStore            *store,
                          const char             *site_id,
                          const ConfabTeamDraft  *draft,
                          GError                **error)
{
  STORE_HANDOFF (store, create_team, NULL, error, site_id, draft, error);

  g_autofree char *id = confab_new_id ("team_");
  gboolean ok;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (draft->name != NULL && draft->key != NULL, NULL);

  if (!confab_store_begin (store, error))
    return NULL;
  {
    g_autoptr (ConfabStmt) stmt = NULL;
    int rc;

    stmt = store_prepare (store,
                          "INSERT INTO teams (id, site_id, key, name, assignment, "
                          "first_response_seconds, next_response_seconds, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
    ok = stmt != NULL;
    if (ok)
      {
        store_bind_text (stmt, 1, id);
        store_bind_text (stmt, 2, site_id);
        store_bind_text (stmt, 3, draft->key);
        store_bind_text (stmt, 4, draft->name);
        store_bind_text (stmt, 5, draft->assignment != NULL ? draft->assignment : "inherit");
        bind_int_or_null (stmt, 6, draft->set_first_response ? draft->first_response_seconds : -1);
        bind_int_or_null (stmt, 7, draft->set_next_response ? draft->next_response_seconds : -1);
        sqlite3_bind_int64 (stmt, 8, confab_now_ms ());
        if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
          {
            set_team_error (store, error, rc, "Cannot store the team");
            ok = FALSE;
          }
      }
  }
  ok = ok && set_team_members (store, id, draft->member_ids, error);
  if (!store_finish (store, ok, error))
    return NULL;
  return confab_store_get_team (store, id, error);
}

ConfabTeam *
confab_store_get_team (ConfabStore  *store,
                       const char   *team_id,
                       GError      **error)
{
  STORE_HANDOFF (store, get_team, NULL, error, team_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, team_id);
  if (!store_step_row (store, stmt, "team", team_id, error))
    return NULL;
  return read_team (stmt);
}

ConfabTeam *
confab_store_get_team_by_key (ConfabStore  *store,
                              const char   *site_id,
                              const char   *key,
                              GError      **error)
{
  STORE_HANDOFF (store, get_team_by_key, NULL, error, site_id, key, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " TEAM_COLUMNS " FROM teams t "
                               "WHERE t.site_id = ?1 AND t.key = ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, key);
  if (!store_step_row (store, stmt, "team", key, error))
    return NULL;
  return read_team (stmt);
}

GPtrArray *
confab_store_list_teams (ConfabStore  *store,
                         const char   *site_id,
                         GError      **error)
{
  STORE_HANDOFF (store, list_teams, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.site_id = ?1 "
                               "ORDER BY lower (t.name), t.id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_team, (GDestroyNotify) confab_team_free,
                         "Cannot list the teams", error);
}

ConfabTeam *
confab_store_update_team (ConfabStore            *store,
                          const char             *team_id,
                          const ConfabTeamDraft  *draft,
                          GError                **error)
{
  STORE_HANDOFF (store, update_team, NULL, error, team_id, draft, error);

  gboolean ok;

  g_return_val_if_fail (store != NULL, NULL);

  if (!confab_store_begin (store, error))
    return NULL;
  {
    g_autoptr (ConfabStmt) stmt = NULL;
    int rc;

    stmt = store_prepare (store,
                          "UPDATE teams SET name = coalesce (?2, name), key = coalesce (?3, key), "
                          "assignment = coalesce (?4, assignment), "
                          "first_response_seconds = CASE WHEN ?5 THEN ?6 ELSE first_response_seconds END, "
                          "next_response_seconds = CASE WHEN ?7 THEN ?8 ELSE next_response_seconds END "
                          "WHERE id = ?1", error);
    ok = stmt != NULL;
    if (ok)
      {
        store_bind_text (stmt, 1, team_id);
        store_bind_text (stmt, 2, draft->name);
        store_bind_text (stmt, 3, draft->key);
        store_bind_text (stmt, 4, draft->assignment);
        sqlite3_bind_int (stmt, 5, draft->set_first_response);
        bind_int_or_null (stmt, 6, draft->first_response_seconds);
        sqlite3_bind_int (stmt, 7, draft->set_next_response);
        bind_int_or_null (stmt, 8, draft->next_response_seconds);
        if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
          {
            set_team_error (store, error, rc, "Cannot change the team");
            ok = FALSE;
          }
        else
          ok = store_not_found_if_unchanged (store, "team", team_id, error);
      }
  }
  if (ok && draft->member_ids != NULL)
    ok = set_team_members (store, team_id, draft->member_ids, error);
  if (!store_finish (store, ok, error))
    return NULL;
  return confab_store_get_team (store, team_id, error);
}

gboolean
confab_store_delete_team (ConfabStore  *store,
                          const char   *team_id,
                          GError      **error)
{
  STORE_HANDOFF (store, delete_team, FALSE, error, team_id, error);

  g_autoptr (ConfabStmt) clear = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;
  /* the queued ones keep their queue_order: in the site's queue they stand where they came */
  clear = store_prepare (store, "UPDATE conversations SET team_id = NULL WHERE team_id = ?1", error);
  ok = clear != NULL;
  if (ok)
    {
      store_bind_text (clear, 1, team_id);
      ok = store_step_done (store, clear, "Cannot delete the team", error);
    }
  if (ok)
    {
      stmt = store_prepare (store, "DELETE FROM teams WHERE id = ?1", error);
      ok = stmt != NULL;
    }
  if (ok)
    {
      store_bind_text (stmt, 1, team_id);
      ok = store_step_done (store, stmt, "Cannot delete the team", error) &&
           store_not_found_if_unchanged (store, "team", team_id, error);
    }
  return store_finish (store, ok, error);
}

gint64
confab_store_get_max_chats (ConfabStore  *store,
                            const char   *site_id,
                            const char   *user_id,
                            GError      **error)
{
  STORE_HANDOFF (store, get_max_chats, -1, error, site_id, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "SELECT max_chats FROM memberships WHERE site_id = ?1 AND user_id = ?2",
                        error);
  if (stmt == NULL)
    return -1;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  if (!store_step_row (store, stmt, "member", user_id, error))
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_set_max_chats (ConfabStore  *store,
                            const char   *site_id,
                            const char   *user_id,
                            gint64        max_chats,
                            GError      **error)
{
  STORE_HANDOFF (store, set_max_chats, FALSE, error, site_id, user_id, max_chats, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "UPDATE memberships SET max_chats = ?3 "
                               "WHERE site_id = ?1 AND user_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, max_chats);
  return store_step_done (store, stmt, "Cannot change the member's limit", error) &&
         store_not_found_if_unchanged (store, "member", user_id, error);
}

char **
confab_store_list_member_teams (ConfabStore  *store,
                                const char   *site_id,
                                const char   *user_id,
                                GError      **error)
{
  STORE_HANDOFF (store, list_member_teams, NULL, error, site_id, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  int rc;

  stmt = store_prepare (store, "SELECT t.id FROM teams t JOIN team_members m ON m.team_id = t.id "
                               "WHERE t.site_id = ?1 AND m.user_id = ?2 ORDER BY t.id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the member's teams");
      return NULL;
    }
  return g_strv_builder_end (ids);
}

gboolean
confab_store_get_routing (ConfabStore    *store,
                          const char     *conversation_id,
                          ConfabRouting  *out,
                          GError        **error)
{
  STORE_HANDOFF (store, get_routing, FALSE, error, conversation_id, out, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  confab_routing_clear (out);
  /* the position: the conversations of the same queue before it (conversations_queue) */
  stmt = store_prepare (store,
                        "SELECT c.team_id, t.key, t.name, c.queued_at, "
                        "  CASE WHEN c.queue_order IS NULL THEN 0 ELSE "
                        "  (SELECT count (*) FROM conversations q WHERE q.site_id = c.site_id "
                        "   AND q.queue_order IS NOT NULL AND q.team_id IS c.team_id "
                        "   AND (q.queue_order < c.queue_order "
                        "        OR (q.queue_order = c.queue_order AND q.id <= c.id))) END "
                        "FROM conversations c LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  if (!store_step_row (store, stmt, "conversation", conversation_id, error))
    return FALSE;
  out->team_id = store_column_dup (stmt, 0);
  out->team_key = store_column_dup (stmt, 1);
  out->team_name = store_column_dup (stmt, 2);
  out->queued_at = sqlite3_column_int64 (stmt, 3);
  out->queue_position = sqlite3_column_int64 (stmt, 4);
  return TRUE;
}

gboolean
confab_store_set_conversation_team (ConfabStore  *store,
                                    const char   *conversation_id,
                                    const char   *team_id,
                                    GError      **error)
{
  STORE_HANDOFF (store, set_conversation_team, FALSE, error, conversation_id, team_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "UPDATE conversations SET team_id = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, team_id);
  return store_step_done (store, stmt, "Cannot change the conversation's team", error) &&
         store_not_found_if_unchanged (store, "conversation", conversation_id, error);
}

gboolean
confab_store_enqueue (ConfabStore  *store,
                      const char   *conversation_id,
                      gboolean      at_head,
                      GError      **error)
{
  STORE_HANDOFF (store, enqueue, FALSE, error, conversation_id, at_head, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  /* arrival: the time, so that the order survives restarts and needs no counter; the head:
   * before the queue's first (in its own team's queue or the site's) */
  if (at_head)
    stmt = store_prepare (store,
                          "UPDATE conversations SET queued_at = ?2, queue_order = "
                          "  coalesce ((SELECT min (q.queue_order) FROM conversations q "
                          "   WHERE q.site_id = conversations.site_id AND q.queue_order IS NOT NULL), ?2) - 1 "
                          "WHERE id = ?1 AND queue_order IS NULL", error);
  else
    stmt = store_prepare (store,
                          "UPDATE conversations SET queued_at = ?2, queue_order = ?2 "
                          "WHERE id = ?1 AND queue_order IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot queue the conversation", error);
}

gboolean
confab_store_dequeue (ConfabStore  *store,
                      const char   *conversation_id,
                      GError      **error)
{
  STORE_HANDOFF (store, dequeue, FALSE, error, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "UPDATE conversations SET queued_at = NULL, queue_order = NULL "
                               "WHERE id = ?1 AND queue_order IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  return store_step_done (store, stmt, "Cannot take the conversation out of the queue", error);
}

static ConfabQueued *
read_queued (sqlite3_stmt *stmt)
{
  ConfabQueued *queued = g_new0 (ConfabQueued, 1);

  queued->conversation_id = store_column_dup (stmt, 0);
  queued->visitor_id = store_column_dup (stmt, 1);
  queued->team_id = store_column_dup (stmt, 2);
  queued->queued_at = sqlite3_column_int64 (stmt, 3);
  return queued;
}

GPtrArray *
confab_store_list_queue (ConfabStore  *store,
                         const char   *site_id,
                         GError      **error)
{
  STORE_HANDOFF (store, list_queue, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "SELECT id, visitor_id, team_id, queued_at FROM conversations "
                               "WHERE site_id = ?1 AND queue_order IS NOT NULL "
                               "ORDER BY queue_order, id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_queued, (GDestroyNotify) confab_queued_free,
                         "Cannot list the queue", error);
}

char *
confab_store_route_pick (ConfabStore  *store,
                         const char   *site_id,
                         const char   *team_id,
                         const char   *mode,
                         const char   *candidates_json,
                         GError      **error)
{
  STORE_HANDOFF (store, route_pick, NULL, error, site_id, team_id, mode, candidates_json, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  /* the load: an index range of conversations_assignee per candidate */
  stmt = store_prepare (store,
                        "SELECT user_id FROM ("
                        "  SELECT m.user_id, m.max_chats, m.routed_at, "
                        "    (SELECT count (*) FROM conversations c WHERE c.assignee_id = m.user_id "
                        "     AND c.site_id = m.site_id AND c.status IN ('open', 'pending')) AS load "
                        "  FROM memberships m JOIN json_each (?2) j ON j.value = m.user_id "
                        "  WHERE m.site_id = ?1 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM team_members t "
                        "    WHERE t.team_id = ?3 AND t.user_id = m.user_id))) "
                        "WHERE max_chats = 0 OR load < max_chats "
                        "ORDER BY CASE WHEN ?4 = 'least_busy' THEN load ELSE 0 END, routed_at, user_id "
                        "LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, candidates_json);
  store_bind_text (stmt, 3, team_id);
  store_bind_text (stmt, 4, mode);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return store_column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot choose an agent");
  return NULL;
}

ConfabConversation *
confab_store_route_assign (ConfabStore  *store,
                           const char   *conversation_id,
                           const char   *user_id,
                           GError      **error)
{
  STORE_HANDOFF (store, route_assign, NULL, error, conversation_id, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (ConfabStmt) member = NULL;
  gint64 now = confab_now_ms ();
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  stmt = store_prepare (store, "UPDATE conversations SET assignee_id = ?2, assigned_at = ?3, "
                               "queued_at = NULL, queue_order = NULL WHERE id = ?1", error);
  ok = stmt != NULL;
  if (ok)
    {
      store_bind_text (stmt, 1, conversation_id);
      store_bind_text (stmt, 2, user_id);
      sqlite3_bind_int64 (stmt, 3, now);
      ok = store_step_done (store, stmt, "Cannot assign the conversation", error) &&
           store_not_found_if_unchanged (store, "conversation", conversation_id, error);
    }
  if (ok)
    {
      /* max (): two in one millisecond still go round */
      member = store_prepare (store, "UPDATE memberships SET routed_at = max (?3, routed_at + 1) "
                                     "WHERE user_id = ?2 AND site_id = "
                                     "  (SELECT site_id FROM conversations WHERE id = ?1)", error);
      ok = member != NULL;
    }
  if (ok)
    {
      store_bind_text (member, 1, conversation_id);
      store_bind_text (member, 2, user_id);
      sqlite3_bind_int64 (member, 3, now);
      ok = store_step_done (store, member, "Cannot assign the conversation", error);
    }
  if (!store_finish (store, ok, error))
    return NULL;
  return confab_store_get_conversation (store, conversation_id, error);
}

gboolean
confab_store_record_handling (ConfabStore  *store,
                              const char   *conversation_id,
                              GError      **error)
{
  STORE_HANDOFF (store, record_handling, FALSE, error, conversation_id, error);

  g_autoptr (ConfabStmt) insert = NULL;
  g_autoptr (ConfabStmt) clear = NULL;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return FALSE;
  insert = store_prepare (store, "INSERT INTO handling_times (site_id, team_id, ms, at) "
                                 "SELECT site_id, team_id, max (0, ?2 - assigned_at), ?2 "
                                 "FROM conversations WHERE id = ?1 AND assigned_at IS NOT NULL", error);
  ok = insert != NULL;
  if (ok)
    {
      store_bind_text (insert, 1, conversation_id);
      sqlite3_bind_int64 (insert, 2, confab_now_ms ());
      ok = store_step_done (store, insert, "Cannot keep the handling time", error);
    }
  if (ok)
    {
      clear = store_prepare (store, "UPDATE conversations SET assigned_at = NULL, queued_at = NULL, "
                                    "queue_order = NULL WHERE id = ?1", error);
      ok = clear != NULL;
    }
  if (ok)
    {
      store_bind_text (clear, 1, conversation_id);
      ok = store_step_done (store, clear, "Cannot keep the handling time", error);
    }
  return store_finish (store, ok, error);
}

gint64
confab_store_median_handling (ConfabStore  *store,
                              const char   *site_id,
                              const char   *team_id,
                              GError      **error)
{
  STORE_HANDOFF (store, median_handling, -1, error, site_id, team_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  stmt = store_prepare (store, "SELECT ms FROM handling_times WHERE site_id = ?1 AND team_id IS ?2 "
                               "ORDER BY id DESC LIMIT 50", error);
  if (stmt == NULL)
    return -1;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, team_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 ms = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (values, ms);
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the handling times");
      return -1;
    }
  return confab_median_ms ((gint64 *) (gpointer) values->data, values->len);
}

GPtrArray *
confab_store_list_assigned_open (ConfabStore  *store,
                                 const char   *site_id,
                                 const char   *user_id,
                                 GError      **error)
{
  STORE_HANDOFF (store, list_assigned_open, NULL, error, site_id, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = store_prepare (store, "SELECT id FROM conversations WHERE assignee_id = ?2 AND site_id = ?1 "
                               "AND status IN ('open', 'pending') ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the agent's conversations");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

GPtrArray *
confab_store_list_assignees (ConfabStore  *store,
                             const char   *site_id,
                             GError      **error)
{
  STORE_HANDOFF (store, list_assignees, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = store_prepare (store, "SELECT DISTINCT assignee_id FROM conversations WHERE site_id = ?1 "
                               "AND assignee_id IS NOT NULL AND status IN ('open', 'pending') "
                               "ORDER BY assignee_id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the site's assignees");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

GPtrArray *
confab_store_list_assigned_sites (ConfabStore  *store,
                                  const char   *after_site_id,
                                  guint         limit,
                                  GError      **error)
{
  STORE_HANDOFF (store, list_assigned_sites, NULL, error, after_site_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  /* conversations_assignee: the assigned rows only, their status in the index */
  stmt = store_prepare (store, "SELECT DISTINCT site_id FROM conversations "
                               "WHERE assignee_id IS NOT NULL AND status IN ('open', 'pending') "
                               "AND site_id > ?1 ORDER BY site_id LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, after_site_id != NULL ? after_site_id : "");
  sqlite3_bind_int64 (stmt, 2, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the sites with assigned conversations");
      return NULL;
    }
  return g_steal_pointer (&ids);
}
