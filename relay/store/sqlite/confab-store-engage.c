/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-engage.c: the SQLite store's contacts, goals and triggers (see
 * confab-store-engage.h; the PostgreSQL twin is postgresql/confab-pg-store-engage.c) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-engage.h"
#include "confab-store-private.h"
#include "confab-util.h"

#define TRIGGER_COLUMNS "id, site_id, name, enabled, conditions, message, sender, ask_email, created_at"
#define SITES_IN "SELECT value FROM json_each (?1)"
#define SEVEN_DAYS_MS (7 * 24 * 3600 * G_GINT64_CONSTANT (1000))

void
confab_contact_free (ConfabContact *contact)
{
  if (contact == NULL)
    return;
  g_free (contact->visitor_id);
  g_free (contact->phone);
  g_free (contact->notes);
  g_strfreev (contact->tags);
  g_free (contact);
}

void
confab_goal_free (ConfabGoal *goal)
{
  if (goal == NULL)
    return;
  g_free (goal->name);
  g_free (goal);
}

void
confab_trigger_free (ConfabTrigger *trigger)
{
  if (trigger == NULL)
    return;
  g_free (trigger->id);
  g_free (trigger->site_id);
  g_free (trigger->name);
  g_free (trigger->conditions_json);
  g_free (trigger->message_json);
  g_free (trigger->sender_json);
  g_free (trigger);
}

/* --- contacts ------------------------------------------------------------------------------- */

ConfabContact *
confab_store_get_contact (ConfabStore  *store,
                          const char   *visitor_id,
                          GError      **error)
{
  STORE_HANDOFF (store, get_contact, NULL, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (ConfabContact) contact = g_new0 (ConfabContact, 1);
  int rc;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT phone, notes, tags, asked_price, lead_score FROM visitor_contacts "
                        "WHERE visitor_id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  contact->visitor_id = g_strdup (visitor_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      contact->phone = store_column_dup (stmt, 0);
      contact->notes = store_column_dup (stmt, 1);
      contact->tags = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 2));
      contact->asked_price = sqlite3_column_int (stmt, 3) != 0;
      contact->lead_score = sqlite3_column_int (stmt, 4);
    }
  else if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the contact");
      return NULL;
    }
  if (contact->tags == NULL)
    contact->tags = g_new0 (char *, 1);
  return g_steal_pointer (&contact);
}

gboolean
confab_store_put_contact (ConfabStore               *store,
                          const char                *site_id,
                          const char                *visitor_id,
                          const ConfabContactChange *change,
                          GError                   **error)
{
  STORE_HANDOFF (store, put_contact, FALSE, error, site_id, visitor_id, change, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *tags = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL && change != NULL, FALSE);

  if (change->set_tags)
    tags = store_strv_to_json (change->tags);
  stmt = store_prepare (store,
                        "INSERT INTO visitor_contacts "
                        "  (visitor_id, site_id, phone, notes, tags, asked_price, lead_score) "
                        "VALUES (?1, ?2, ?4, ?6, coalesce (?8, '[]'), max (?9, 0), max (?10, 0)) "
                        "ON CONFLICT (visitor_id) DO UPDATE SET "
                        "  phone = CASE WHEN ?3 THEN ?4 ELSE phone END, "
                        "  notes = CASE WHEN ?5 THEN ?6 ELSE notes END, "
                        "  tags = CASE WHEN ?7 THEN ?8 ELSE tags END, "
                        "  asked_price = CASE WHEN ?9 >= 0 THEN ?9 ELSE asked_price END, "
                        "  lead_score = CASE WHEN ?10 >= 0 THEN ?10 ELSE lead_score END", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, visitor_id);
  store_bind_text (stmt, 2, site_id);
  sqlite3_bind_int (stmt, 3, change->set_phone);
  store_bind_text (stmt, 4, change->phone);
  sqlite3_bind_int (stmt, 5, change->set_notes);
  store_bind_text (stmt, 6, change->notes);
  sqlite3_bind_int (stmt, 7, change->set_tags);
  store_bind_text (stmt, 8, tags);
  sqlite3_bind_int (stmt, 9, change->asked_price);
  sqlite3_bind_int (stmt, 10, change->lead_score);
  return store_step_done (store, stmt, "Cannot change the contact", error);
}

GPtrArray *
confab_store_search_visitors_by_score (ConfabStore  *store,
                                       const char   *site_id,
                                       const char   *query,
                                       guint         limit,
                                       GError      **error)
{
  STORE_HANDOFF (store, search_visitors_by_score, NULL, error, site_id, query, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (ConfabStmt) rest = NULL;
  g_autoptr (GPtrArray) scored = NULL;
  g_autoptr (GPtrArray) unscored = NULL;
  GString *pattern = g_string_new ("%");
  g_autofree char *like = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL, NULL);

  for (const char *p = query != NULL ? query : ""; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  like = g_string_free (pattern, FALSE);

  /* The scored visitors walk visitor_contacts_score (site_id, lead_score) from the top, each
   * score's visitors by last_seen; then, while the page is not full, those who score 0 (or have
   * no contact yet) walk visitors_site newest first: a page costs what it skips. */
  stmt = store_prepare (store,
                        "SELECT " VISITOR_COLUMNS " FROM ("
                        "  SELECT v.*, c.lead_score AS score_ FROM visitor_contacts c"
                        "  JOIN visitors v ON v.id = c.visitor_id"
                        "  WHERE c.site_id = ?1 AND c.lead_score > 0 AND (v.name LIKE ?2 ESCAPE '\\' OR"
                        "    v.email LIKE ?2 ESCAPE '\\' OR v.id LIKE ?2 ESCAPE '\\')"
                        "  ORDER BY c.lead_score DESC, v.last_seen DESC, v.id LIMIT ?3) "
                        "ORDER BY score_ DESC, last_seen DESC, id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, like);
  sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
  scored = store_read_all (store, stmt, (gpointer (*) (sqlite3_stmt *)) store_read_visitor,
                           (GDestroyNotify) confab_visitor_free, "Cannot search the visitors", error);
  if (scored == NULL || (limit > 0 && scored->len >= limit))
    return g_steal_pointer (&scored);

  rest = store_prepare (store,
                        "SELECT " VISITOR_COLUMNS " FROM visitors v "
                        "WHERE site_id = ?1 AND (name LIKE ?2 ESCAPE '\\' OR "
                        "  email LIKE ?2 ESCAPE '\\' OR id LIKE ?2 ESCAPE '\\') "
                        "AND NOT EXISTS (SELECT 1 FROM visitor_contacts c "
                        "  WHERE c.visitor_id = v.id AND c.lead_score > 0) "
                        "ORDER BY last_seen DESC, id LIMIT ?3", error);
  if (rest == NULL)
    return NULL;
  store_bind_text (rest, 1, site_id);
  store_bind_text (rest, 2, like);
  sqlite3_bind_int64 (rest, 3, limit > 0 ? (gint64) (limit - scored->len) : -1);
  unscored = store_read_all (store, rest, (gpointer (*) (sqlite3_stmt *)) store_read_visitor,
                             (GDestroyNotify) confab_visitor_free, "Cannot search the visitors", error);
  if (unscored == NULL)
    return NULL;
  g_ptr_array_extend_and_steal (scored, g_steal_pointer (&unscored));
  return g_steal_pointer (&scored);
}

/* --- goals ---------------------------------------------------------------------------------- */

gboolean
confab_store_add_goal (ConfabStore  *store,
                       const char   *site_id,
                       const char   *visitor_id,
                       const char   *name,
                       gboolean      has_value,
                       double        value,
                       gint64        at,
                       GError      **error)
{
  STORE_HANDOFF (store, add_goal, FALSE, error, site_id, visitor_id, name, has_value, value, at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL && name != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO visitor_goals (site_id, visitor_id, name, value, at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, visitor_id);
  store_bind_text (stmt, 3, name);
  if (has_value)
    sqlite3_bind_double (stmt, 4, value);
  else
    sqlite3_bind_null (stmt, 4);
  sqlite3_bind_int64 (stmt, 5, at);
  return store_step_done (store, stmt, "Cannot record the goal", error);
}

static gpointer
read_goal (sqlite3_stmt *stmt)
{
  ConfabGoal *goal = g_new0 (ConfabGoal, 1);

  goal->name = store_column_dup (stmt, 0);
  goal->has_value = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
  goal->value = sqlite3_column_double (stmt, 1);
  goal->at = sqlite3_column_int64 (stmt, 2);
  return goal;
}

GPtrArray *
confab_store_list_goals (ConfabStore  *store,
                         const char   *visitor_id,
                         guint         limit,
                         GError      **error)
{
  STORE_HANDOFF (store, list_goals, NULL, error, visitor_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT name, value, at FROM visitor_goals WHERE visitor_id = ?1 "
                        "ORDER BY at DESC, id DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  return store_read_all (store, stmt, read_goal, (GDestroyNotify) confab_goal_free,
                         "Cannot list the goals", error);
}

/* --- triggers ------------------------------------------------------------------------------- */

static gpointer
read_trigger (sqlite3_stmt *stmt)
{
  ConfabTrigger *trigger = g_new0 (ConfabTrigger, 1);

  trigger->id = store_column_dup (stmt, 0);
  trigger->site_id = store_column_dup (stmt, 1);
  trigger->name = store_column_dup (stmt, 2);
  trigger->enabled = sqlite3_column_int (stmt, 3) != 0;
  trigger->conditions_json = store_column_dup (stmt, 4);
  trigger->message_json = store_column_dup (stmt, 5);
  trigger->sender_json = store_column_dup (stmt, 6);
  trigger->ask_email = sqlite3_column_int (stmt, 7) != 0;
  trigger->created_at = sqlite3_column_int64 (stmt, 8);
  return trigger;
}

ConfabTrigger *
confab_store_create_trigger (ConfabStore          *store,
                             const ConfabTrigger  *trigger,
                             GError              **error)
{
  STORE_HANDOFF (store, create_trigger, NULL, error, trigger, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("trg_");

  g_return_val_if_fail (store != NULL && trigger != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO triggers (" TRIGGER_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, trigger->site_id);
  store_bind_text (stmt, 3, trigger->name);
  sqlite3_bind_int (stmt, 4, trigger->enabled);
  store_bind_text (stmt, 5, trigger->conditions_json);
  store_bind_text (stmt, 6, trigger->message_json);
  store_bind_text (stmt, 7, trigger->sender_json);
  sqlite3_bind_int (stmt, 8, trigger->ask_email);
  sqlite3_bind_int64 (stmt, 9, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot create the trigger", error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_trigger (store, id, error);
}

ConfabTrigger *
confab_store_get_trigger (ConfabStore  *store,
                          const char   *trigger_id,
                          GError      **error)
{
  STORE_HANDOFF (store, get_trigger, NULL, error, trigger_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " TRIGGER_COLUMNS " FROM triggers WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, trigger_id);
  if (!store_step_row (store, stmt, "Cannot read the trigger", trigger_id, error))
    return NULL;
  return read_trigger (stmt);
}

GPtrArray *
confab_store_list_triggers (ConfabStore  *store,
                            const char   *site_id,
                            GError      **error)
{
  STORE_HANDOFF (store, list_triggers, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " TRIGGER_COLUMNS " FROM triggers WHERE site_id = ?1 "
                        "ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, read_trigger, (GDestroyNotify) confab_trigger_free,
                         "Cannot list the triggers", error);
}

ConfabTrigger *
confab_store_update_trigger (ConfabStore          *store,
                             const ConfabTrigger  *trigger,
                             GError              **error)
{
  STORE_HANDOFF (store, update_trigger, NULL, error, trigger, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && trigger != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE triggers SET name = ?2, enabled = ?3, conditions = ?4, "
                        "message = ?5, sender = ?6, ask_email = ?7 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, trigger->id);
  store_bind_text (stmt, 2, trigger->name);
  sqlite3_bind_int (stmt, 3, trigger->enabled);
  store_bind_text (stmt, 4, trigger->conditions_json);
  store_bind_text (stmt, 5, trigger->message_json);
  store_bind_text (stmt, 6, trigger->sender_json);
  sqlite3_bind_int (stmt, 7, trigger->ask_email);
  if (!store_step_done (store, stmt, "Cannot change the trigger", error) ||
      !store_not_found_if_unchanged (store, "trigger", trigger->id, error))
    return NULL;
  g_clear_pointer (&stmt, confab_stmt_release);
  return confab_store_get_trigger (store, trigger->id, error);
}

gboolean
confab_store_delete_trigger (ConfabStore  *store,
                             const char   *trigger_id,
                             GError      **error)
{
  STORE_HANDOFF (store, delete_trigger, FALSE, error, trigger_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM triggers WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, trigger_id);
  return store_step_done (store, stmt, "Cannot delete the trigger", error) &&
         store_not_found_if_unchanged (store, "trigger", trigger_id, error);
}

gboolean
confab_store_add_trigger_fire (ConfabStore  *store,
                               const char   *site_id,
                               const char   *trigger_id,
                               const char   *visitor_id,
                               gint64        visit,
                               gint64        at,
                               gboolean     *out_added,
                               GError      **error)
{
  STORE_HANDOFF (store, add_trigger_fire, FALSE, error, site_id, trigger_id, visitor_id, visit, at,
                 out_added, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO trigger_fires (site_id, trigger_id, visitor_id, visit, at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, trigger_id);
  store_bind_text (stmt, 3, visitor_id);
  sqlite3_bind_int64 (stmt, 4, visit);
  sqlite3_bind_int64 (stmt, 5, at);
  if (!store_step_done (store, stmt, "Cannot record the greeting", error))
    return FALSE;
  *out_added = sqlite3_changes (store->db) > 0;
  return TRUE;
}

char *
confab_store_claim_trigger_fire (ConfabStore  *store,
                                 const char   *visitor_id,
                                 gint64        visit,
                                 const char   *conversation_id,
                                 GError      **error)
{
  STORE_HANDOFF (store, claim_trigger_fire, NULL, error, visitor_id, visit, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  char *trigger_id;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE trigger_fires SET conversation_id = ?3 WHERE id = "
                        "(SELECT max (id) FROM trigger_fires WHERE visitor_id = ?1 "
                        " AND visit = ?2 AND conversation_id IS NULL) RETURNING trigger_id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  sqlite3_bind_int64 (stmt, 2, visit);
  store_bind_text (stmt, 3, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot record the greeting's conversation");
      return NULL;
    }
  trigger_id = store_column_dup (stmt, 0);
  /* RETURNING's statement is done only once stepped to its end */
  sqlite3_step (stmt);
  return trigger_id;
}

/* --- analytics ------------------------------------------------------------------------------ */

gboolean
confab_store_analytics_engage (ConfabStore          *store,
                               const char           *sites_json,
                               gint64                from_ms,
                               gint64                to_ms,
                               ConfabEngageFigures  *out,
                               GError              **error)
{
  STORE_HANDOFF (store, analytics_engage, FALSE, error, sites_json, from_ms, to_ms, out, error);

  g_autoptr (ConfabStmt) goals = NULL;
  g_autoptr (ConfabStmt) fires = NULL;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  /* visitor_goals_site (site_id, at) and trigger_fires_site (site_id, at) bound both */
  goals = store_prepare (store,
    "SELECT count (*), total (g.value), count (DISTINCT g.visitor_id),"
    " sum (EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = g.visitor_id"
    "   AND c.created_at <= g.at AND c.created_at >= g.at - ?4))"
    " FROM visitor_goals g WHERE g.site_id IN (" SITES_IN ") AND g.at >= ?2 AND g.at < ?3", error);
  if (goals == NULL)
    return FALSE;
  store_bind_text (goals, 1, sites_json);
  sqlite3_bind_int64 (goals, 2, from_ms);
  sqlite3_bind_int64 (goals, 3, to_ms);
  sqlite3_bind_int64 (goals, 4, SEVEN_DAYS_MS);
  if (!store_step_row (store, goals, "Cannot count the goals", NULL, error))
    return FALSE;
  out->goals = sqlite3_column_int64 (goals, 0);
  out->goals_value = sqlite3_column_double (goals, 1);
  out->goal_visitors = sqlite3_column_int64 (goals, 2);
  out->goals_after_conversation = sqlite3_column_int64 (goals, 3);

  fires = store_prepare (store,
    "SELECT count (*), count (conversation_id) FROM trigger_fires"
    " WHERE site_id IN (" SITES_IN ") AND at >= ?2 AND at < ?3", error);
  if (fires == NULL)
    return FALSE;
  store_bind_text (fires, 1, sites_json);
  sqlite3_bind_int64 (fires, 2, from_ms);
  sqlite3_bind_int64 (fires, 3, to_ms);
  if (!store_step_row (store, fires, "Cannot count the greetings", NULL, error))
    return FALSE;
  out->triggers_fired = sqlite3_column_int64 (fires, 0);
  out->trigger_conversations = sqlite3_column_int64 (fires, 1);
  return TRUE;
}
