/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sites.c: deleting a site, rotating its key (see confab-store-sites.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-sites.h"
#include "confab-store-team.h"

/* Every value of the first column of @stmt (bound to @site_id as ?1 unless NULL), as strings. */
static GPtrArray *
collect_strings (ConfabStore  *store,
                 ConfabStmt   *stmt,
                 const char   *site_id,
                 const char   *what,
                 GError      **error)
{
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (site_id != NULL)
    store_bind_text (stmt, 1, site_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (values, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, what);
      return NULL;
    }
  return g_steal_pointer (&values);
}

/* Runs @sql with ?1 = @site_id; FALSE with @error set when it fails. */
static gboolean
run_site_sql (ConfabStore  *store,
              const char   *sql,
              const char   *site_id,
              const char   *what,
              GError      **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  return store_step_done (store, stmt, what, error);
}

gboolean
confab_store_retire_site (ConfabStore  *store,
                          const char   *site_id,
                          GPtrArray   **out_member_ids,
                          GError      **error)
{
  STORE_HANDOFF (store, retire_site, FALSE, error, site_id, out_member_ids, error);

  g_autoptr (GPtrArray) member_ids = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (site_id != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store, "SELECT user_id FROM memberships "
                                                 "WHERE site_id = ?1", error);

    ok = stmt != NULL &&
         (member_ids = collect_strings (store, stmt, site_id, "Cannot list the site's members",
                                        error)) != NULL;
  }
  /* the marker is no key (keys start with "sk_") and unique like one */
  ok = ok && run_site_sql (store, "UPDATE sites SET enabled = 0, site_key = 'deleted:' || id "
                           "WHERE id = ?1 AND site_key NOT LIKE 'deleted:%'", site_id,
                           "Cannot retire the site", error) &&
       store_not_found_if_unchanged (store, "site", site_id, error);
  ok = ok && run_site_sql (store, "DELETE FROM memberships WHERE site_id = ?1", site_id,
                           "Cannot remove the site's members", error);
  /* The audit trail has no foreign keys, so that it outlives users; a deleted site's goes
   * with it (nobody could read it any more). */
  ok = ok && run_site_sql (store, "DELETE FROM audit_log WHERE site_id = ?1", site_id,
                           "Cannot delete the site's audit trail", error);
  /* an invitation to this site alone leaves no account behind, as when it is withdrawn */
  for (guint i = 0; ok && i < member_ids->len; i++)
    ok = confab_store_drop_unused_invitee (store, g_ptr_array_index (member_ids, i), error);

  if (!store_finish (store, ok, error))
    return FALSE;

  if (out_member_ids != NULL)
    *out_member_ids = g_steal_pointer (&member_ids);
  return TRUE;
}

/* Appends the upload files of the rows @stmt (bound here to @id as ?1) selects to @files. */
static gboolean
collect_files (ConfabStore  *store,
               const char   *sql,
               const char   *id,
               GPtrArray    *files,
               GError      **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);
  g_autoptr (GPtrArray) found = NULL;

  if (stmt == NULL ||
      (found = collect_strings (store, stmt, id, "Cannot list the site's uploads", error)) == NULL)
    return FALSE;
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (found, i)));
  return TRUE;
}

/* Deletes at most @limit rows (conversations or visitors) of the site, one by one by id, and
 * no more once @deadline (monotonic µs) has passed; *@out_deleted says how many went. A row's
 * cascade costs what its child tables' indexes make it cost: the deadline keeps a step short
 * either way. */
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
  g_autoptr (GPtrArray) ids = NULL;

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store, select_sql, error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 2, limit);
    if ((ids = collect_strings (store, stmt, site_id, "Cannot list the site's rows", error)) == NULL)
      return FALSE;
  }

  *out_deleted = 0;
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (i > 0 && g_get_monotonic_time () > deadline)
        break;
      if ((files_sql != NULL && !collect_files (store, files_sql, id, files, error)) ||
          !run_site_sql (store, delete_sql, id, "Cannot delete the site's rows", error))
        return FALSE;
      (*out_deleted)++;
    }
  return TRUE;
}

gboolean
confab_store_delete_site_step (ConfabStore  *store,
                               const char   *site_id,
                               guint         limit,
                               gint64        budget_us,
                               GPtrArray    *files,
                               gboolean     *out_done,
                               GError      **error)
{
  STORE_HANDOFF (store, delete_site_step, FALSE, error, site_id, limit, budget_us, files, out_done, error);

  gint64 deadline = g_get_monotonic_time () + budget_us;
  guint deleted = 0;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (site_id != NULL, FALSE);

  *out_done = FALSE;
  if (!confab_store_begin (store, error))
    return FALSE;

  ok = delete_some (store,
                    "SELECT id FROM conversations WHERE site_id = ?1 LIMIT ?2",
                    "SELECT sha256 FROM uploads WHERE conversation_id = ?1",
                    "DELETE FROM conversations WHERE id = ?1",
                    site_id, limit, deadline, files, &deleted, error);
  /* the uploads no conversation holds (a visitor's before their first message) go before
   * their visitors, whose cascade would take the rows without their files */
  if (ok && deleted == 0)
    ok = collect_files (store, "SELECT DISTINCT sha256 FROM uploads WHERE site_id = ?1",
                        site_id, files, error) &&
         run_site_sql (store, "DELETE FROM uploads WHERE site_id = ?1", site_id,
                       "Cannot delete the site's uploads", error) &&
         delete_some (store,
                      "SELECT id FROM visitors WHERE site_id = ?1 LIMIT ?2",
                      NULL,
                      "DELETE FROM visitors WHERE id = ?1",
                      site_id, limit, deadline, files, &deleted, error);
  /* what is left (FAQs, canned responses, offline messages, visitor events) goes with the row */
  if (ok && deleted == 0)
    {
      ok = run_site_sql (store, "DELETE FROM sites WHERE id = ?1 AND site_key LIKE 'deleted:%'",
                         site_id, "Cannot delete the site", error);
      *out_done = ok;
    }

  if (!store_finish (store, ok, error))
    {
      *out_done = FALSE;
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
confab_store_list_retired_sites (ConfabStore  *store,
                                 GError      **error)
{
  STORE_HANDOFF (store, list_retired_sites, NULL, error, error);

  g_autoptr (ConfabStmt) stmt = store_prepare (store, "SELECT id FROM sites "
                                               "WHERE site_key LIKE 'deleted:%'", error);

  if (stmt == NULL)
    return NULL;
  return collect_strings (store, stmt, NULL, "Cannot list the sites being deleted", error);
}

ConfabSite *
confab_store_rotate_site_key (ConfabStore  *store,
                              const char   *site_id,
                              GError      **error)
{
  STORE_HANDOFF (store, rotate_site_key, NULL, error, site_id, error);

  g_autofree char *token = confab_random_token (18);
  g_autofree char *site_key = g_strconcat ("sk_", token, NULL);
  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (site_id != NULL, NULL);

  stmt = store_prepare (store, "UPDATE sites SET site_key = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, site_key);
  if (!store_step_done (store, stmt, "Cannot change the site key", error) ||
      !store_not_found_if_unchanged (store, "site", site_id, error))
    return NULL;

  return confab_store_get_site (store, site_id, error);
}
