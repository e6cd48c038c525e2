/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-data.c: the PostgreSQL store's audit pages, one visitor's data (search, export,
 * delete), retention and the deletion of a site (the SQLite twins are in sqlite/confab-store-data.c
 * and sqlite/confab-store-sites.c, whose comments say why each step is as it is) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

/* The first column of every row, as strings. */
static GPtrArray *
column_strings (PGresult *result)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (values, pg_dup (result, i, 0));
  return values;
}

static GPtrArray *
list_ids (ConfabStore  *store,
          const char   *sql,
          const char   *id,
          const char   *what,
          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  result = pg_exec (store, sql, &params, what, error);
  return result != NULL ? column_strings (result) : NULL;
}

/* Runs @sql with $1 = @id. */
static gboolean
run_id_sql (ConfabStore  *store,
            const char   *sql,
            const char   *id,
            const char   *what,
            gint64       *out_changes,
            GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  result = pg_exec (store, sql, &params, what, error);
  if (result != NULL && out_changes != NULL)
    *out_changes = pg_changes (result);
  return result != NULL;
}

static void
limit_param (PgParams *params,
             guint     limit)
{
  /* LIMIT NULL is no limit, as SQLite's -1 */
  if (limit > 0)
    pg_int (params, limit);
  else
    pg_text (params, NULL);
}

/* --- the audit log's pages ------------------------------------------------------------------ */

GPtrArray *
pg_list_site_audit (ConfabStore  *store,
                    const char   *site_id,
                    gint64        before_id,
                    guint         limit,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *records;
  PgParams params = { 0 };

  g_return_val_if_fail (site_id != NULL, NULL);

  pg_text (&params, site_id);
  pg_int (&params, before_id);
  limit_param (&params, limit);
  result = pg_exec (store,
                    "SELECT a.id, a.at, a.user_id, coalesce (u.name, a.actor_name), a.action, "
                    "a.target_type, a.target_id, a.target_name, a.detail, a.ip_hash "
                    "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
                    "WHERE a.site_id = $1 AND ($2::bigint <= 0 OR a.id < $2::bigint) "
                    "ORDER BY a.id DESC LIMIT $3::bigint", &params,
                    "Cannot list the audit log", error);
  if (result == NULL)
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_audit_record_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabAuditRecord *record = g_new0 (ConfabAuditRecord, 1);

      record->id = pg_integer (result, i, 0);
      record->at = pg_integer (result, i, 1);
      record->actor_id = pg_dup (result, i, 2);
      record->actor_name = pg_dup (result, i, 3);
      record->action = pg_dup (result, i, 4);
      record->target_type = pg_dup (result, i, 5);
      record->target_id = pg_dup (result, i, 6);
      record->target_name = pg_dup (result, i, 7);
      record->details_json = pg_dup (result, i, 8);
      record->ip_hash = pg_dup (result, i, 9);
      g_ptr_array_add (records, record);
    }
  return records;
}

gboolean
pg_delete_site_audit (ConfabStore  *store,
                      const char   *site_id,
                      GError      **error)
{
  g_return_val_if_fail (site_id != NULL, FALSE);

  return run_id_sql (store, "DELETE FROM audit_log WHERE site_id = $1", site_id,
                     "Cannot delete the site's audit log", NULL, error);
}

/* --- one visitor's data --------------------------------------------------------------------- */

/* "%text%" for LIKE … ESCAPE '\', with the text's own wildcards taken literally. */
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
pg_search_visitors (ConfabStore  *store,
                    const char   *site_id,
                    const char   *query,
                    guint         limit,
                    GError      **error)
{
  g_autofree char *pattern = like_pattern (query != NULL ? query : "");
  g_autoptr (PGresult) result = NULL;
  GPtrArray *visitors;
  PgParams params = { 0 };

  g_return_val_if_fail (site_id != NULL, NULL);

  pg_text (&params, site_id);
  pg_text (&params, pattern);
  limit_param (&params, limit);
  /* SQLite's LIKE ignores the case of ASCII letters: ILIKE does (of every letter) */
  result = pg_exec (store,
                    "SELECT " PG_VISITOR_COLUMNS " FROM visitors "
                    "WHERE site_id = $1 AND (name ILIKE $2 ESCAPE '\\' OR "
                    "  email ILIKE $2 ESCAPE '\\' OR id ILIKE $2 ESCAPE '\\') "
                    "ORDER BY last_seen DESC, id LIMIT $3::bigint", &params,
                    "Cannot search the visitors", error);
  if (result == NULL)
    return NULL;

  visitors = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_visitor_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (visitors, pg_read_visitor (result, i));
  return visitors;
}

GPtrArray *
pg_list_visitor_pages (ConfabStore  *store,
                       const char   *visitor_id,
                       GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *views;
  PgParams params = { 0 };

  g_return_val_if_fail (visitor_id != NULL, NULL);

  pg_text (&params, visitor_id);
  result = pg_exec (store,
                    "SELECT url, title, at, coalesce (left_at, 0) FROM page_views "
                    "WHERE visitor_id = $1 ORDER BY at, id", &params,
                    "Cannot list the visitor's pages", error);
  if (result == NULL)
    return NULL;

  views = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_page_view_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabPageView *view = g_new0 (ConfabPageView, 1);

      view->url = pg_dup (result, i, 0);
      view->title = pg_dup (result, i, 1);
      view->at = pg_integer (result, i, 2);
      view->left_at = pg_integer (result, i, 3);
      g_ptr_array_add (views, view);
    }
  return views;
}

GPtrArray *
pg_list_visitor_conversation_ids (ConfabStore  *store,
                                  const char   *visitor_id,
                                  GError      **error)
{
  return list_ids (store,
                   "SELECT id FROM conversations WHERE visitor_id = $1 ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's conversations", error);
}

GPtrArray *
pg_list_visitor_offline_ids (ConfabStore  *store,
                             const char   *visitor_id,
                             GError      **error)
{
  return list_ids (store,
                   "SELECT id FROM offline_messages WHERE visitor_id = $1 ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's offline messages", error);
}

GPtrArray *
pg_list_visitor_upload_ids (ConfabStore  *store,
                            const char   *visitor_id,
                            GError      **error)
{
  return list_ids (store,
                   "SELECT id FROM uploads WHERE visitor_id = $1 OR conversation_id IN "
                   "  (SELECT id FROM conversations WHERE visitor_id = $1) "
                   "ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's uploads", error);
}

/* Of the files named in @candidates (SHA-256 hex, duplicates allowed), those no upload row
 * names any more. */
static GPtrArray *
unused_files (ConfabStore *store,
              GPtrArray   *candidates)
{
  GPtrArray *unused = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < candidates->len; i++)
    {
      const char *sha256 = g_ptr_array_index (candidates, i);

      if (g_hash_table_add (seen, (gpointer) sha256) && !pg_upload_file_used (store, sha256))
        g_ptr_array_add (unused, g_strdup (sha256));
    }
  return unused;
}

gboolean
pg_delete_visitor (ConfabStore  *store,
                   const char   *visitor_id,
                   GPtrArray   **out_conversation_ids,
                   GPtrArray   **out_offline_ids,
                   GPtrArray   **out_unused_files,
                   GError      **error)
{
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GPtrArray) offline = NULL;
  g_autoptr (GPtrArray) files = NULL;
  gint64 deleted = 0;
  gboolean ok;

  g_return_val_if_fail (visitor_id != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = (conversations = pg_list_visitor_conversation_ids (store, visitor_id, error)) != NULL &&
       (offline = pg_list_visitor_offline_ids (store, visitor_id, error)) != NULL &&
       (files = list_ids (store,
                          "SELECT sha256 FROM uploads WHERE visitor_id = $1 OR conversation_id IN "
                          "  (SELECT id FROM conversations WHERE visitor_id = $1)",
                          visitor_id, "Cannot list the visitor's uploads", error)) != NULL;
  /* their own events and their offline messages' (the rest goes by foreign key) */
  ok = ok && run_id_sql (store, "DELETE FROM events WHERE visitor_id = $1", visitor_id,
                         "Cannot delete the visitor's events", NULL, error);
  ok = ok && run_id_sql (store, "DELETE FROM offline_messages WHERE visitor_id = $1", visitor_id,
                         "Cannot delete the visitor's offline messages", NULL, error);
  ok = ok && run_id_sql (store, "DELETE FROM visitors WHERE id = $1", visitor_id,
                         "Cannot delete the visitor", &deleted, error);
  if (ok && deleted == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No visitor “%s”", visitor_id);
      ok = FALSE;
    }

  if (!pg_finish (store, ok, error))
    return FALSE;

  if (out_conversation_ids != NULL)
    *out_conversation_ids = g_steal_pointer (&conversations);
  if (out_offline_ids != NULL)
    *out_offline_ids = g_steal_pointer (&offline);
  if (out_unused_files != NULL)
    *out_unused_files = unused_files (store, files);
  return TRUE;
}

/* --- retention ------------------------------------------------------------------------------ */

#define PURGE_CANDIDATES 16

/* Deletes the first @count messages of @conversation_id with their events (messages first:
 * each names its event). */
static gboolean
purge_messages (ConfabStore  *store,
                const char   *conversation_id,
                gint64        count,
                GError      **error)
{
  g_autoptr (PGresult) first = NULL;
  g_autoptr (PGresult) messages = NULL;
  g_autoptr (PGresult) events = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  first = pg_exec (store, "SELECT coalesce (min (seq), 0) FROM messages WHERE conversation_id = $1",
                   &params, "Cannot purge a conversation", error);
  if (first == NULL)
    return FALSE;
  pg_int (&params, pg_integer (first, 0, 0) + count);
  messages = pg_exec (store, "DELETE FROM messages WHERE conversation_id = $1 AND seq < $2::bigint",
                      &params, "Cannot purge a conversation's messages", error);
  if (messages == NULL)
    return FALSE;
  events = pg_exec (store, "DELETE FROM events WHERE conversation_id = $1 AND kind = '"
                    CONFAB_EVENT_MESSAGE "' AND seq < $2::bigint", &params,
                    "Cannot purge a conversation's messages", error);
  return events != NULL;
}

gint64
pg_purge_conversations (ConfabStore  *store,
                        const char   *site_id,
                        gint64        cutoff_ms,
                        guint         max_rows,
                        gboolean     *out_more,
                        GPtrArray   **out_conversation_ids,
                        GPtrArray   **out_unused_files,
                        GError      **error)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (PGresult) candidates = NULL;
  gint64 budget = MAX (max_rows, 1);
  gboolean ok, more = FALSE;
  int n_candidates = 0;

  g_return_val_if_fail (site_id != NULL, -1);

  if (!confab_store_begin (store, error))
    return -1;

  {
    PgParams params = { 0 };

    pg_text (&params, site_id);
    pg_int (&params, cutoff_ms);
    pg_int (&params, PURGE_CANDIDATES);
    candidates = pg_exec (store,
                          "SELECT c.id, (SELECT count (*) FROM messages m "
                          "  WHERE m.conversation_id = c.id) "
                          "FROM conversations c "
                          "WHERE c.site_id = $1 AND c.last_message_at < $2::bigint "
                          "AND c.status IN ('resolved', 'closed') "
                          "AND coalesce ((SELECT max (e.created_at) FROM events e "
                          "  WHERE e.conversation_id = c.id AND e.kind = '"
                          CONFAB_EVENT_TIMELINE "'), 0) < $2::bigint "
                          "ORDER BY c.last_message_at, c.id LIMIT $3::bigint", &params,
                          "Cannot find the conversations to purge", error);
    ok = candidates != NULL;
    if (ok)
      n_candidates = PQntuples (candidates);
  }

  for (int i = 0; ok && i < n_candidates; i++)
    {
      const char *id = PQgetvalue (candidates, i, 0);
      gint64 size = pg_integer (candidates, i, 1);
      g_autoptr (GPtrArray) shas = NULL;

      if (size + 1 > budget)
        {
          more = TRUE;
          if (ids->len == 0)
            ok = purge_messages (store, id, budget, error);
          break;
        }
      budget -= size + 1;

      ok = (shas = list_ids (store, "SELECT sha256 FROM uploads WHERE conversation_id = $1", id,
                             "Cannot list the conversation's uploads", error)) != NULL;
      for (guint j = 0; ok && j < shas->len; j++)
        g_ptr_array_add (files, g_strdup (g_ptr_array_index (shas, j)));
      ok = ok && run_id_sql (store, "DELETE FROM conversations WHERE id = $1", id,
                             "Cannot purge a conversation", NULL, error);
      g_ptr_array_add (ids, g_strdup (id));
    }

  if (!pg_finish (store, ok, error))
    return -1;

  if (out_more != NULL)
    *out_more = more || n_candidates == PURGE_CANDIDATES;
  if (out_unused_files != NULL)
    *out_unused_files = unused_files (store, files);
  if (out_conversation_ids != NULL)
    *out_conversation_ids = g_ptr_array_ref (ids);
  return ids->len;
}

gint64
pg_count_visitor_messages (ConfabStore  *store,
                           const char   *visitor_id,
                           GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, visitor_id);
  result = pg_exec (store, "SELECT count (*) FROM messages WHERE conversation_id IN "
                    "(SELECT id FROM conversations WHERE visitor_id = $1)", &params,
                    "Cannot count the visitor's messages", error);
  return result != NULL ? pg_integer (result, 0, 0) : -1;
}

gboolean
pg_trim_visitor_messages (ConfabStore  *store,
                          const char   *visitor_id,
                          guint         max_rows,
                          gboolean     *out_more,
                          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autofree char *conversation_id = NULL;
  PgParams params = { 0 };
  gboolean ok;

  g_return_val_if_fail (visitor_id != NULL, FALSE);

  pg_text (&params, visitor_id);
  result = pg_exec (store,
                    "SELECT c.id FROM conversations c WHERE c.visitor_id = $1 "
                    "AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id) "
                    "LIMIT 1", &params, "Cannot find the visitor's messages", error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    conversation_id = pg_dup (result, 0, 0);

  if (!confab_store_begin (store, error))
    return FALSE;
  ok = conversation_id == NULL || purge_messages (store, conversation_id, MAX (max_rows, 1), error);
  if (!pg_finish (store, ok, error))
    return FALSE;

  *out_more = conversation_id != NULL;
  return TRUE;
}

/* --- deleting a site ------------------------------------------------------------------------ */

gboolean
pg_retire_site (ConfabStore  *store,
                const char   *site_id,
                GPtrArray   **out_member_ids,
                GError      **error)
{
  g_autoptr (GPtrArray) member_ids = NULL;
  gint64 retired = 0;
  gboolean ok;

  g_return_val_if_fail (site_id != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = (member_ids = list_ids (store, "SELECT user_id FROM memberships WHERE site_id = $1",
                               site_id, "Cannot list the site's members", error)) != NULL;
  /* the marker is no key (keys start with "sk_") and unique like one */
  ok = ok && run_id_sql (store, "UPDATE sites SET enabled = false, site_key = 'deleted:' || id "
                         "WHERE id = $1 AND site_key NOT LIKE 'deleted:%'", site_id,
                         "Cannot retire the site", &retired, error);
  if (ok && retired == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No site “%s”", site_id);
      ok = FALSE;
    }
  ok = ok && run_id_sql (store, "DELETE FROM memberships WHERE site_id = $1", site_id,
                         "Cannot remove the site's members", NULL, error);
  ok = ok && run_id_sql (store, "DELETE FROM audit_log WHERE site_id = $1", site_id,
                         "Cannot delete the site's audit trail", NULL, error);
  for (guint i = 0; ok && i < member_ids->len; i++)
    ok = pg_drop_unused_invitee (store, g_ptr_array_index (member_ids, i), error);

  if (!pg_finish (store, ok, error))
    return FALSE;

  if (out_member_ids != NULL)
    *out_member_ids = g_steal_pointer (&member_ids);
  return TRUE;
}

static gboolean
collect_files (ConfabStore  *store,
               const char   *sql,
               const char   *id,
               GPtrArray    *files,
               GError      **error)
{
  g_autoptr (GPtrArray) found = list_ids (store, sql, id, "Cannot list the site's uploads", error);

  if (found == NULL)
    return FALSE;
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (found, i)));
  return TRUE;
}

/* At most @limit rows of the site, one by one, none once @deadline (monotonic µs) has passed. */
static gboolean
delete_some (ConfabStore  *store,
             const char   *select_sql,
             const char   *files_sql,
             const char   *delete_sql,
             const char   *site_id,
             guint         limit,
             gint64        deadline,
             GPtrArray    *files,
             guint        *out_deleted,
             GError      **error)
{
  g_autoptr (PGresult) rows = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_int (&params, limit);
  rows = pg_exec (store, select_sql, &params, "Cannot list the site's rows", error);
  if (rows == NULL)
    return FALSE;

  *out_deleted = 0;
  for (int i = 0; i < PQntuples (rows); i++)
    {
      const char *id = PQgetvalue (rows, i, 0);

      if (i > 0 && g_get_monotonic_time () > deadline)
        break;
      if ((files_sql != NULL && !collect_files (store, files_sql, id, files, error)) ||
          !run_id_sql (store, delete_sql, id, "Cannot delete the site's rows", NULL, error))
        return FALSE;
      (*out_deleted)++;
    }
  return TRUE;
}

gboolean
pg_delete_site_step (ConfabStore  *store,
                     const char   *site_id,
                     guint         limit,
                     gint64        budget_us,
                     GPtrArray    *files,
                     gboolean     *out_done,
                     GError      **error)
{
  gint64 deadline = g_get_monotonic_time () + budget_us;
  guint deleted = 0;
  gboolean ok;

  g_return_val_if_fail (site_id != NULL, FALSE);

  *out_done = FALSE;
  if (!confab_store_begin (store, error))
    return FALSE;

  ok = delete_some (store,
                    "SELECT id FROM conversations WHERE site_id = $1 LIMIT $2::bigint",
                    "SELECT sha256 FROM uploads WHERE conversation_id = $1",
                    "DELETE FROM conversations WHERE id = $1",
                    site_id, limit, deadline, files, &deleted, error);
  if (ok && deleted == 0)
    ok = collect_files (store, "SELECT DISTINCT sha256 FROM uploads WHERE site_id = $1",
                        site_id, files, error) &&
         run_id_sql (store, "DELETE FROM uploads WHERE site_id = $1", site_id,
                     "Cannot delete the site's uploads", NULL, error) &&
         delete_some (store,
                      "SELECT id FROM visitors WHERE site_id = $1 LIMIT $2::bigint",
                      NULL,
                      "DELETE FROM visitors WHERE id = $1",
                      site_id, limit, deadline, files, &deleted, error);
  if (ok && deleted == 0)
    {
      /* a visitor's events outlive the visitor's row (no foreign key): the site's go with it
       * by its own cascade */
      ok = run_id_sql (store, "DELETE FROM sites WHERE id = $1 AND site_key LIKE 'deleted:%'",
                       site_id, "Cannot delete the site", NULL, error);
      *out_done = ok;
    }

  if (!pg_finish (store, ok, error))
    {
      *out_done = FALSE;
      return FALSE;
    }
  return TRUE;
}
