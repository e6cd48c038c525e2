/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-routing.c: the PostgreSQL store's teams, agents' limits and the queue
 * (confab-store-routing.h), as the SQLite store's confab-store-routing.c does them.
 *
 * The routing decision: pg_route_pick () first takes pg_advisory_xact_lock () on the site
 * (hashtext ('confab-route:' || site_id)), held until the transaction — the hub's, around the
 * pick and the assignment — commits or rolls back, so that two relays on one database never
 * count an agent's chats and assign one at the same time for one site. */
#define G_LOG_DOMAIN "confab-store"

#include "confab-pg-store-routing.h"

#define TEAM_COLUMNS "t.id, t.site_id, t.key, t.name, t.assignment, t.first_response_seconds, " \
                     "t.next_response_seconds, t.created_at, " \
                     "(SELECT coalesce (json_agg (user_id ORDER BY user_id), '[]')::text " \
                     "  FROM team_members WHERE team_id = t.id)"

static gint64
int_or_null (PGresult *result,
             int       row,
             int       column)
{
  return PQgetisnull (result, row, column) ? -1 : pg_integer (result, row, column);
}

/* $n as a bigint or NULL (@value < 0); @buffer must outlive the statement */
static void
pg_int_or_null (PgParams *params,
                gint64    value)
{
  if (value < 0)
    pg_text (params, NULL);
  else
    pg_int (params, value);
}

static ConfabTeam *
read_team (PGresult *result,
           int       row)
{
  ConfabTeam *team = g_new0 (ConfabTeam, 1);
  g_autofree char *members = NULL;

  team->id = pg_dup (result, row, 0);
  team->site_id = pg_dup (result, row, 1);
  team->key = pg_dup (result, row, 2);
  team->name = pg_dup (result, row, 3);
  team->assignment = pg_dup (result, row, 4);
  team->first_response_seconds = int_or_null (result, row, 5);
  team->next_response_seconds = int_or_null (result, row, 6);
  team->created_at = pg_integer (result, row, 7);
  members = pg_dup (result, row, 8);
  team->member_ids = pg_strv_from_json (members);
  return team;
}

static void
team_error (GError  *local_error,
            GError **error)
{
  if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a team with this name or key");
  else
    g_propagate_error (error, g_error_copy (local_error));
}

static gboolean
set_team_members (ConfabStore        *store,
                  const char         *team_id,
                  const char * const *member_ids,
                  GError            **error)
{
  g_autoptr (PGresult) clear = NULL;
  PgParams params = { 0 };

  pg_text (&params, team_id);
  clear = pg_exec (store, "DELETE FROM team_members WHERE team_id = $1", &params,
                   "Cannot change the team's members", error);
  if (clear == NULL)
    return FALSE;
  for (guint i = 0; member_ids != NULL && member_ids[i] != NULL; i++)
    {
      g_autoptr (PGresult) add = NULL;
      PgParams member = { 0 };

      pg_text (&member, team_id);
      pg_text (&member, member_ids[i]);
      add = pg_exec (store, "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) "
                            "ON CONFLICT DO NOTHING", &member,
                     "Cannot change the team's members", error);
      if (add == NULL)
        return FALSE;
    }
  return TRUE;
}

ConfabTeam *
pg_create_team (ConfabStore            *store,
                const char             *site_id,
                const ConfabTeamDraft  *draft,
                GError                **error)
{
  g_autofree char *id = confab_new_id ("team_");
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  {
    g_autoptr (PGresult) result = NULL;
    PgParams params = { 0 };

    pg_text (&params, id);
    pg_text (&params, site_id);
    pg_text (&params, draft->key);
    pg_text (&params, draft->name);
    pg_text (&params, draft->assignment != NULL ? draft->assignment : "inherit");
    pg_int_or_null (&params, draft->set_first_response ? draft->first_response_seconds : -1);
    pg_int_or_null (&params, draft->set_next_response ? draft->next_response_seconds : -1);
    pg_int (&params, confab_now_ms ());
    result = pg_write (store,
                       "INSERT INTO teams (id, site_id, key, name, assignment, "
                       "first_response_seconds, next_response_seconds, created_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8)", &params,
                       "Cannot store the team", &local_error);
    ok = result != NULL;
    if (!ok)
      team_error (local_error, error);
  }
  ok = ok && set_team_members (store, id, draft->member_ids, error);
  if (!pg_finish (store, ok, error))
    return NULL;
  return pg_get_team (store, id, error);
}

ConfabTeam *
pg_get_team (ConfabStore  *store,
             const char   *team_id,
             GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, team_id);
  result = pg_exec (store, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.id = $1", &params,
                    "Cannot read the team", error);
  if (result == NULL || !pg_found (result, "team", team_id, error))
    return NULL;
  return read_team (result, 0);
}

ConfabTeam *
pg_get_team_by_key (ConfabStore  *store,
                    const char   *site_id,
                    const char   *key,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, key);
  result = pg_exec (store, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.site_id = $1 AND t.key = $2",
                    &params, "Cannot read the team", error);
  if (result == NULL || !pg_found (result, "team", key, error))
    return NULL;
  return read_team (result, 0);
}

GPtrArray *
pg_list_teams (ConfabStore  *store,
               const char   *site_id,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *teams;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " TEAM_COLUMNS " FROM teams t WHERE t.site_id = $1 "
                    "ORDER BY lower (t.name), t.id", &params, "Cannot list the teams", error);
  if (result == NULL)
    return NULL;
  teams = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_team_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (teams, read_team (result, i));
  return teams;
}

ConfabTeam *
pg_update_team (ConfabStore            *store,
                const char             *team_id,
                const ConfabTeamDraft  *draft,
                GError                **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  {
    g_autoptr (PGresult) result = NULL;
    PgParams params = { 0 };

    pg_text (&params, team_id);
    pg_text (&params, draft->name);
    pg_text (&params, draft->key);
    pg_text (&params, draft->assignment);
    pg_bool (&params, draft->set_first_response);
    pg_int_or_null (&params, draft->first_response_seconds);
    pg_bool (&params, draft->set_next_response);
    pg_int_or_null (&params, draft->next_response_seconds);
    result = pg_write (store,
                       "UPDATE teams SET name = coalesce ($2, name), key = coalesce ($3, key), "
                       "assignment = coalesce ($4, assignment), "
                       "first_response_seconds = CASE WHEN $5::boolean THEN $6::bigint ELSE first_response_seconds END, "
                       "next_response_seconds = CASE WHEN $7::boolean THEN $8::bigint ELSE next_response_seconds END "
                       "WHERE id = $1", &params, "Cannot change the team", &local_error);
    ok = result != NULL;
    if (!ok)
      team_error (local_error, error);
    else
      ok = pg_found (result, "team", team_id, error);
  }
  if (ok && draft->member_ids != NULL)
    ok = set_team_members (store, team_id, draft->member_ids, error);
  if (!pg_finish (store, ok, error))
    return NULL;
  return pg_get_team (store, team_id, error);
}

gboolean
pg_delete_team (ConfabStore  *store,
                const char   *team_id,
                GError      **error)
{
  g_autoptr (PGresult) clear = NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  gboolean ok;

  if (!confab_store_begin (store, error))
    return FALSE;
  pg_text (&params, team_id);
  clear = pg_exec (store, "UPDATE conversations SET team_id = NULL WHERE team_id = $1", &params,
                   "Cannot delete the team", error);
  ok = clear != NULL;
  if (ok)
    {
      result = pg_exec (store, "DELETE FROM teams WHERE id = $1", &params, "Cannot delete the team",
                        error);
      ok = result != NULL && pg_found (result, "team", team_id, error);
    }
  return pg_finish (store, ok, error);
}

gint64
pg_get_max_chats (ConfabStore  *store,
                  const char   *site_id,
                  const char   *user_id,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT max_chats FROM memberships WHERE site_id = $1 AND user_id = $2",
                    &params, "Cannot read the member's limit", error);
  if (result == NULL || !pg_found (result, "member", user_id, error))
    return -1;
  return pg_integer (result, 0, 0);
}

gboolean
pg_set_max_chats (ConfabStore  *store,
                  const char   *site_id,
                  const char   *user_id,
                  gint64        max_chats,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  pg_int (&params, max_chats);
  result = pg_exec (store, "UPDATE memberships SET max_chats = $3 WHERE site_id = $1 AND user_id = $2",
                    &params, "Cannot change the member's limit", error);
  return result != NULL && pg_found (result, "member", user_id, error);
}

char **
pg_list_member_teams (ConfabStore  *store,
                      const char   *site_id,
                      const char   *user_id,
                      GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT t.id FROM teams t JOIN team_members m ON m.team_id = t.id "
                    "WHERE t.site_id = $1 AND m.user_id = $2 ORDER BY t.id", &params,
                    "Cannot list the member's teams", error);
  if (result == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (result); i++)
    g_strv_builder_add (ids, PQgetvalue (result, i, 0));
  return g_strv_builder_end (ids);
}

gboolean
pg_get_routing (ConfabStore    *store,
                const char     *conversation_id,
                ConfabRouting  *out,
                GError        **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  confab_routing_clear (out);
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT c.team_id, t.key, t.name, c.queued_at, "
                    "  CASE WHEN c.queue_order IS NULL THEN 0 ELSE "
                    "  (SELECT count (*) FROM conversations q WHERE q.site_id = c.site_id "
                    "   AND q.queue_order IS NOT NULL AND q.team_id IS NOT DISTINCT FROM c.team_id "
                    "   AND (q.queue_order, q.id) <= (c.queue_order, c.id)) END "
                    "FROM conversations c LEFT JOIN teams t ON t.id = c.team_id WHERE c.id = $1",
                    &params, "Cannot read the conversation's routing", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return FALSE;
  out->team_id = pg_dup (result, 0, 0);
  out->team_key = pg_dup (result, 0, 1);
  out->team_name = pg_dup (result, 0, 2);
  out->queued_at = pg_integer (result, 0, 3);
  out->queue_position = pg_integer (result, 0, 4);
  return TRUE;
}

gboolean
pg_set_conversation_team (ConfabStore  *store,
                          const char   *conversation_id,
                          const char   *team_id,
                          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_text (&params, team_id);
  result = pg_write (store, "UPDATE conversations SET team_id = $2 WHERE id = $1", &params,
                     "Cannot change the conversation's team", error);
  return result != NULL && pg_found (result, "conversation", conversation_id, error);
}

gboolean
pg_enqueue (ConfabStore  *store,
            const char   *conversation_id,
            gboolean      at_head,
            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, confab_now_ms ());
  if (at_head)
    result = pg_exec (store,
                      "UPDATE conversations c SET queued_at = $2, queue_order = "
                      "  coalesce ((SELECT min (q.queue_order) FROM conversations q "
                      "   WHERE q.site_id = c.site_id AND q.queue_order IS NOT NULL), $2) - 1 "
                      "WHERE id = $1 AND queue_order IS NULL", &params,
                      "Cannot queue the conversation", error);
  else
    result = pg_exec (store,
                      "UPDATE conversations SET queued_at = $2, queue_order = $2 "
                      "WHERE id = $1 AND queue_order IS NULL", &params,
                      "Cannot queue the conversation", error);
  return result != NULL;
}

gboolean
pg_dequeue (ConfabStore  *store,
            const char   *conversation_id,
            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  result = pg_exec (store, "UPDATE conversations SET queued_at = NULL, queue_order = NULL "
                    "WHERE id = $1 AND queue_order IS NOT NULL", &params,
                    "Cannot take the conversation out of the queue", error);
  return result != NULL;
}

GPtrArray *
pg_list_queue (ConfabStore  *store,
               const char   *site_id,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *queue;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT id, visitor_id, team_id, queued_at FROM conversations "
                    "WHERE site_id = $1 AND queue_order IS NOT NULL ORDER BY queue_order, id",
                    &params, "Cannot list the queue", error);
  if (result == NULL)
    return NULL;
  queue = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_queued_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabQueued *queued = g_new0 (ConfabQueued, 1);

      queued->conversation_id = pg_dup (result, i, 0);
      queued->visitor_id = pg_dup (result, i, 1);
      queued->team_id = pg_dup (result, i, 2);
      queued->queued_at = pg_integer (result, i, 3);
      g_ptr_array_add (queue, queued);
    }
  return queue;
}

char *
pg_route_pick (ConfabStore  *store,
               const char   *site_id,
               const char   *team_id,
               const char   *mode,
               const char   *candidates_json,
               GError      **error)
{
  g_autoptr (PGresult) lock = NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams site = { 0 };
  PgParams params = { 0 };

  /* the decision for this site is this transaction's until it ends (see the top) */
  pg_text (&site, site_id);
  lock = pg_exec (store, "SELECT pg_advisory_xact_lock (hashtext ('confab-route:' || $1))", &site,
                  "Cannot lock the site's queue", error);
  if (lock == NULL)
    return NULL;

  pg_text (&params, site_id);
  pg_text (&params, candidates_json);
  pg_text (&params, team_id);
  pg_text (&params, mode);
  result = pg_exec (store,
                    "SELECT user_id FROM ("
                    "  SELECT m.user_id, m.max_chats, m.routed_at, "
                    "    (SELECT count (*) FROM conversations c WHERE c.assignee_id = m.user_id "
                    "     AND c.site_id = m.site_id AND c.status IN ('open', 'pending')) AS load "
                    "  FROM memberships m "
                    "  WHERE m.site_id = $1 AND m.user_id IN (SELECT json_array_elements_text ($2::json)) "
                    "  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM team_members t "
                    "    WHERE t.team_id = $3 AND t.user_id = m.user_id))) x "
                    "WHERE max_chats = 0 OR load < max_chats "
                    "ORDER BY CASE WHEN $4 = 'least_busy' THEN load ELSE 0 END, routed_at, user_id "
                    "LIMIT 1", &params, "Cannot choose an agent", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}

ConfabConversation *
pg_route_assign (ConfabStore  *store,
                 const char   *conversation_id,
                 const char   *user_id,
                 GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (PGresult) member = NULL;
  PgParams params = { 0 };
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  pg_text (&params, conversation_id);
  pg_text (&params, user_id);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store, "UPDATE conversations SET assignee_id = $2, assigned_at = $3, "
                    "queued_at = NULL, queue_order = NULL WHERE id = $1", &params,
                    "Cannot assign the conversation", error);
  ok = result != NULL && pg_found (result, "conversation", conversation_id, error);
  if (ok)
    {
      member = pg_exec (store, "UPDATE memberships SET routed_at = greatest ($3, routed_at + 1) "
                        "WHERE user_id = $2 AND site_id = "
                        "  (SELECT site_id FROM conversations WHERE id = $1)", &params,
                        "Cannot assign the conversation", error);
      ok = member != NULL;
    }
  if (!pg_finish (store, ok, error))
    return NULL;
  return pg_get_conversation (store, conversation_id, error);
}

gboolean
pg_record_handling (ConfabStore  *store,
                    const char   *conversation_id,
                    GError      **error)
{
  g_autoptr (PGresult) insert = NULL;
  g_autoptr (PGresult) clear = NULL;
  PgParams params = { 0 };
  gboolean ok;

  if (!confab_store_begin (store, error))
    return FALSE;
  pg_text (&params, conversation_id);
  pg_int (&params, confab_now_ms ());
  insert = pg_exec (store, "INSERT INTO handling_times (site_id, team_id, ms, at) "
                    "SELECT site_id, team_id, greatest (0, $2 - assigned_at), $2 "
                    "FROM conversations WHERE id = $1 AND assigned_at IS NOT NULL", &params,
                    "Cannot keep the handling time", error);
  ok = insert != NULL;
  if (ok)
    {
      clear = pg_exec (store, "UPDATE conversations SET assigned_at = NULL, queued_at = NULL, "
                       "queue_order = NULL WHERE id = $1 AND $2::bigint IS NOT NULL", &params,
                       "Cannot keep the handling time", error);
      ok = clear != NULL;
    }
  return pg_finish (store, ok, error);
}

gint64
pg_median_handling (ConfabStore  *store,
                    const char   *site_id,
                    const char   *team_id,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, team_id);
  result = pg_exec (store, "SELECT ms FROM handling_times WHERE site_id = $1 "
                    "AND team_id IS NOT DISTINCT FROM $2::text ORDER BY id DESC LIMIT 50", &params,
                    "Cannot read the handling times", error);
  if (result == NULL)
    return -1;
  for (int i = 0; i < PQntuples (result); i++)
    {
      gint64 ms = pg_integer (result, i, 0);
      g_array_append_val (values, ms);
    }
  return confab_median_ms ((gint64 *) (gpointer) values->data, values->len);
}

GPtrArray *
pg_list_assigned_open (ConfabStore  *store,
                       const char   *site_id,
                       const char   *user_id,
                       GError      **error)
{
  g_autoptr (PGresult) lock = NULL;
  g_autoptr (PGresult) result = NULL;
  GPtrArray *ids;
  PgParams site = { 0 };
  PgParams params = { 0 };

  /* taking an absent agent's chats back is a routing decision too (see the top): a relay that
   * waited for the lock finds them gone */
  pg_text (&site, site_id);
  lock = pg_exec (store, "SELECT pg_advisory_xact_lock (hashtext ('confab-route:' || $1))", &site,
                  "Cannot lock the site's queue", error);
  if (lock == NULL)
    return NULL;

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT id FROM conversations WHERE site_id = $1 AND assignee_id = $2 "
                    "AND status IN ('open', 'pending') ORDER BY created_at, id", &params,
                    "Cannot list the agent's conversations", error);
  if (result == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}

GPtrArray *
pg_list_assignees (ConfabStore  *store,
                   const char   *site_id,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *ids;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT DISTINCT assignee_id FROM conversations WHERE site_id = $1 "
                    "AND assignee_id IS NOT NULL AND status IN ('open', 'pending') "
                    "ORDER BY assignee_id", &params, "Cannot list the site's assignees", error);
  if (result == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}

GPtrArray *
pg_list_assigned_sites (ConfabStore  *store,
                        const char   *after_site_id,
                        guint         limit,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *ids;
  PgParams params = { 0 };

  pg_text (&params, after_site_id != NULL ? after_site_id : "");
  pg_int (&params, limit);
  result = pg_exec (store, "SELECT DISTINCT site_id FROM conversations "
                    "WHERE assignee_id IS NOT NULL AND status IN ('open', 'pending') "
                    "AND site_id > $1 ORDER BY site_id LIMIT $2", &params,
                    "Cannot list the sites with assigned conversations", error);
  if (result == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}
