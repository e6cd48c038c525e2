/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-engage.c: the PostgreSQL store's contacts, goals and triggers (issue 16; the
 * SQLite twin is sqlite/confab-store-engage.c) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-pg-store-engage.h"
#include "confab-util.h"

#define TRIGGER_COLUMNS "id, site_id, name, enabled, conditions, message, sender, ask_email, created_at"
#define SITES_IN "SELECT json_array_elements_text ($1::json)"
#define SEVEN_DAYS_MS (7 * 24 * 3600 * G_GINT64_CONSTANT (1000))

static double
pg_double (PGresult *result,
           int       row,
           int       column)
{
  if (PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtod (PQgetvalue (result, row, column), NULL);
}

/* --- contacts ------------------------------------------------------------------------------- */

ConfabContact *
pg_get_contact (ConfabStore  *store,
                const char   *visitor_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (ConfabContact) contact = g_new0 (ConfabContact, 1);
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  result = pg_exec (store,
                    "SELECT phone, notes, tags, asked_price, lead_score FROM visitor_contacts "
                    "WHERE visitor_id = $1", &params, "Cannot read the contact", error);
  if (result == NULL)
    return NULL;
  contact->visitor_id = g_strdup (visitor_id);
  if (PQntuples (result) > 0)
    {
      g_autofree char *tags = pg_dup (result, 0, 2);

      contact->phone = pg_dup (result, 0, 0);
      contact->notes = pg_dup (result, 0, 1);
      contact->tags = pg_strv_from_json (tags);
      contact->asked_price = pg_integer (result, 0, 3) != 0;
      contact->lead_score = pg_integer (result, 0, 4);
    }
  if (contact->tags == NULL)
    contact->tags = g_new0 (char *, 1);
  return g_steal_pointer (&contact);
}

gboolean
pg_put_contact (ConfabStore               *store,
                const char                *site_id,
                const char                *visitor_id,
                const ConfabContactChange *change,
                GError                   **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autofree char *tags = change->set_tags ? pg_strv_to_json (change->tags) : NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  pg_text (&params, site_id);
  pg_bool (&params, change->set_phone);
  pg_text (&params, change->phone);
  pg_bool (&params, change->set_notes);
  pg_text (&params, change->notes);
  pg_bool (&params, change->set_tags);
  pg_text (&params, tags);
  pg_int (&params, change->asked_price);
  pg_int (&params, change->lead_score);
  result = pg_write (store,
                     "INSERT INTO visitor_contacts AS c "
                     "  (visitor_id, site_id, phone, notes, tags, asked_price, lead_score) "
                     "VALUES ($1, $2, $4, $6, coalesce ($8, '[]'), greatest ($9::bigint, 0), "
                     "  greatest ($10::bigint, 0)) "
                     "ON CONFLICT (visitor_id) DO UPDATE SET "
                     "  phone = CASE WHEN $3::boolean THEN $4 ELSE c.phone END, "
                     "  notes = CASE WHEN $5::boolean THEN $6 ELSE c.notes END, "
                     "  tags = CASE WHEN $7::boolean THEN $8 ELSE c.tags END, "
                     "  asked_price = CASE WHEN $9::bigint >= 0 THEN $9::bigint ELSE c.asked_price END, "
                     "  lead_score = CASE WHEN $10::bigint >= 0 THEN $10::bigint ELSE c.lead_score END",
                     &params, "Cannot change the contact", error);
  return result != NULL;
}

static char *
like_pattern (const char *text)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

GPtrArray *
pg_search_visitors_by_score (ConfabStore  *store,
                             const char   *site_id,
                             const char   *query,
                             guint         limit,
                             GError      **error)
{
  g_autofree char *pattern = like_pattern (query != NULL ? query : "");
  g_autoptr (PGresult) result = NULL;
  g_autoptr (PGresult) rest = NULL;
  GPtrArray *visitors;
  PgParams params = { 0 };
  PgParams rest_params = { 0 };

  /* as SQLite's: the scored ones by visitor_contacts_score, then those who score 0 */
  pg_text (&params, site_id);
  pg_text (&params, pattern);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT " PG_VISITOR_COLUMNS " FROM ("
                    "  SELECT v.*, c.lead_score AS score_ FROM visitor_contacts c"
                    "  JOIN visitors v ON v.id = c.visitor_id"
                    "  WHERE c.site_id = $1 AND c.lead_score > 0 AND (v.name ILIKE $2 ESCAPE '\\' OR"
                    "    v.email ILIKE $2 ESCAPE '\\' OR v.id ILIKE $2 ESCAPE '\\')"
                    "  ORDER BY c.lead_score DESC, v.last_seen DESC, v.id LIMIT $3::bigint) s "
                    "ORDER BY score_ DESC, last_seen DESC, id",
                    &params, "Cannot search the visitors", error);
  if (result == NULL)
    return NULL;
  visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_visitor_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (visitors, pg_read_visitor (result, i));
  if (limit > 0 && visitors->len >= limit)
    return visitors;

  pg_text (&rest_params, site_id);
  pg_text (&rest_params, pattern);
  if (limit > 0)
    pg_int (&rest_params, limit - visitors->len);
  else
    pg_text (&rest_params, NULL);
  rest = pg_exec (store,
                  "SELECT " PG_VISITOR_COLUMNS " FROM visitors v "
                  "WHERE site_id = $1 AND (name ILIKE $2 ESCAPE '\\' OR "
                  "  email ILIKE $2 ESCAPE '\\' OR id ILIKE $2 ESCAPE '\\') "
                  "AND NOT EXISTS (SELECT 1 FROM visitor_contacts c "
                  "  WHERE c.visitor_id = v.id AND c.lead_score > 0) "
                  "ORDER BY last_seen DESC, id LIMIT $3::bigint",
                  &rest_params, "Cannot search the visitors", error);
  if (rest == NULL)
    {
      g_ptr_array_unref (visitors);
      return NULL;
    }
  for (int i = 0; i < PQntuples (rest); i++)
    g_ptr_array_add (visitors, pg_read_visitor (rest, i));
  return visitors;
}

/* --- goals ---------------------------------------------------------------------------------- */

gboolean
pg_add_goal (ConfabStore  *store,
             const char   *site_id,
             const char   *visitor_id,
             const char   *name,
             gboolean      has_value,
             double        value,
             gint64        at,
             GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  pg_text (&params, name);
  pg_text (&params, has_value ? g_ascii_dtostr (number, sizeof number, value) : NULL);
  pg_int (&params, at);
  result = pg_write (store,
                     "INSERT INTO visitor_goals (site_id, visitor_id, name, value, at) "
                     "VALUES ($1, $2, $3, $4::double precision, $5::bigint)",
                     &params, "Cannot record the goal", error);
  return result != NULL;
}

GPtrArray *
pg_list_goals (ConfabStore  *store,
               const char   *visitor_id,
               guint         limit,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *goals;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "SELECT name, value, at FROM visitor_goals WHERE visitor_id = $1 "
                    "ORDER BY at DESC, id DESC LIMIT $2::bigint", &params,
                    "Cannot list the goals", error);
  if (result == NULL)
    return NULL;
  goals = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_goal_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabGoal *goal = g_new0 (ConfabGoal, 1);

      goal->name = pg_dup (result, i, 0);
      goal->has_value = !PQgetisnull (result, i, 1);
      goal->value = pg_double (result, i, 1);
      goal->at = pg_integer (result, i, 2);
      g_ptr_array_add (goals, goal);
    }
  return goals;
}

/* --- triggers ------------------------------------------------------------------------------- */

static ConfabTrigger *
read_trigger (PGresult *result,
              int       row)
{
  ConfabTrigger *trigger = g_new0 (ConfabTrigger, 1);

  trigger->id = pg_dup (result, row, 0);
  trigger->site_id = pg_dup (result, row, 1);
  trigger->name = pg_dup (result, row, 2);
  trigger->enabled = pg_integer (result, row, 3) != 0;
  trigger->conditions_json = pg_dup (result, row, 4);
  trigger->message_json = pg_dup (result, row, 5);
  trigger->sender_json = pg_dup (result, row, 6);
  trigger->ask_email = pg_integer (result, row, 7) != 0;
  trigger->created_at = pg_integer (result, row, 8);
  return trigger;
}

ConfabTrigger *
pg_create_trigger (ConfabStore          *store,
                   const ConfabTrigger  *trigger,
                   GError              **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autofree char *id = confab_new_id ("trg_");
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, trigger->site_id);
  pg_text (&params, trigger->name);
  pg_int (&params, trigger->enabled ? 1 : 0);
  pg_text (&params, trigger->conditions_json);
  pg_text (&params, trigger->message_json);
  pg_text (&params, trigger->sender_json);
  pg_int (&params, trigger->ask_email ? 1 : 0);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO triggers (" TRIGGER_COLUMNS ") "
                     "VALUES ($1, $2, $3, $4::bigint, $5, $6, $7, $8::bigint, $9::bigint) "
                     "RETURNING " TRIGGER_COLUMNS, &params, "Cannot create the trigger", error);
  if (result == NULL || !pg_found (result, "trigger", id, error))
    return NULL;
  return read_trigger (result, 0);
}

ConfabTrigger *
pg_get_trigger (ConfabStore  *store,
                const char   *trigger_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, trigger_id);
  result = pg_exec (store, "SELECT " TRIGGER_COLUMNS " FROM triggers WHERE id = $1", &params,
                    "Cannot read the trigger", error);
  if (result == NULL || !pg_found (result, "trigger", trigger_id, error))
    return NULL;
  return read_trigger (result, 0);
}

GPtrArray *
pg_list_triggers (ConfabStore  *store,
                  const char   *site_id,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *triggers;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT " TRIGGER_COLUMNS " FROM triggers WHERE site_id = $1 "
                    "ORDER BY created_at, id", &params, "Cannot list the triggers", error);
  if (result == NULL)
    return NULL;
  triggers = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_trigger_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (triggers, read_trigger (result, i));
  return triggers;
}

ConfabTrigger *
pg_update_trigger (ConfabStore          *store,
                   const ConfabTrigger  *trigger,
                   GError              **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, trigger->id);
  pg_text (&params, trigger->name);
  pg_int (&params, trigger->enabled ? 1 : 0);
  pg_text (&params, trigger->conditions_json);
  pg_text (&params, trigger->message_json);
  pg_text (&params, trigger->sender_json);
  pg_int (&params, trigger->ask_email ? 1 : 0);
  result = pg_write (store,
                     "UPDATE triggers SET name = $2, enabled = $3::bigint, conditions = $4, "
                     "message = $5, sender = $6, ask_email = $7::bigint WHERE id = $1 "
                     "RETURNING " TRIGGER_COLUMNS, &params, "Cannot change the trigger", error);
  if (result == NULL || !pg_found (result, "trigger", trigger->id, error))
    return NULL;
  return read_trigger (result, 0);
}

gboolean
pg_delete_trigger (ConfabStore  *store,
                   const char   *trigger_id,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, trigger_id);
  result = pg_exec (store, "DELETE FROM triggers WHERE id = $1", &params,
                    "Cannot delete the trigger", error);
  return result != NULL && pg_found (result, "trigger", trigger_id, error);
}

gboolean
pg_add_trigger_fire (ConfabStore  *store,
                     const char   *site_id,
                     const char   *trigger_id,
                     const char   *visitor_id,
                     gint64        visit,
                     gint64        at,
                     gboolean     *out_added,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, trigger_id);
  pg_text (&params, visitor_id);
  pg_int (&params, visit);
  pg_int (&params, at);
  result = pg_write (store,
                     "INSERT INTO trigger_fires (site_id, trigger_id, visitor_id, visit, at) "
                     "VALUES ($1, $2, $3, $4::bigint, $5::bigint) ON CONFLICT DO NOTHING",
                     &params, "Cannot record the greeting", error);
  if (result == NULL)
    return FALSE;
  *out_added = pg_changes (result) > 0;
  return TRUE;
}

char *
pg_claim_trigger_fire (ConfabStore  *store,
                       const char   *visitor_id,
                       gint64        visit,
                       const char   *conversation_id,
                       GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  pg_int (&params, visit);
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "UPDATE trigger_fires SET conversation_id = $3 WHERE id = "
                    "(SELECT max (id) FROM trigger_fires WHERE visitor_id = $1 "
                    " AND visit = $2::bigint AND conversation_id IS NULL) RETURNING trigger_id",
                    &params, "Cannot record the greeting's conversation", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}

/* --- analytics ------------------------------------------------------------------------------ */

gboolean
pg_analytics_engage (ConfabStore          *store,
                     const char           *sites_json,
                     gint64                from_ms,
                     gint64                to_ms,
                     ConfabEngageFigures  *out,
                     GError              **error)
{
  g_autoptr (PGresult) goals = NULL;
  g_autoptr (PGresult) fires = NULL;
  PgParams params = { 0 };
  PgParams fire_params = { 0 };

  memset (out, 0, sizeof *out);
  pg_text (&params, sites_json);
  pg_int (&params, from_ms);
  pg_int (&params, to_ms);
  pg_int (&params, SEVEN_DAYS_MS);
  goals = pg_exec (store,
    "SELECT count (*), coalesce (sum (g.value), 0), count (DISTINCT g.visitor_id),"
    " count (*) FILTER (WHERE EXISTS (SELECT 1 FROM conversations c"
    "   WHERE c.visitor_id = g.visitor_id AND c.created_at <= g.at"
    "   AND c.created_at >= g.at - $4::bigint))"
    " FROM visitor_goals g WHERE g.site_id IN (" SITES_IN ")"
    " AND g.at >= $2::bigint AND g.at < $3::bigint", &params, "Cannot count the goals", error);
  if (goals == NULL)
    return FALSE;
  out->goals = pg_integer (goals, 0, 0);
  out->goals_value = pg_double (goals, 0, 1);
  out->goal_visitors = pg_integer (goals, 0, 2);
  out->goals_after_conversation = pg_integer (goals, 0, 3);

  pg_text (&fire_params, sites_json);
  pg_int (&fire_params, from_ms);
  pg_int (&fire_params, to_ms);
  fires = pg_exec (store,
    "SELECT count (*), count (conversation_id) FROM trigger_fires"
    " WHERE site_id IN (" SITES_IN ") AND at >= $2::bigint AND at < $3::bigint",
    &fire_params, "Cannot count the greetings", error);
  if (fires == NULL)
    return FALSE;
  out->triggers_fired = pg_integer (fires, 0, 0);
  out->trigger_conversations = pg_integer (fires, 0, 1);
  return TRUE;
}
