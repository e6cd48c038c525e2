/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sites.c: deleting a site, rotating its key (see confab-store-sites.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-sites.h"
#include "confab-store-team.h"

/* Every value of the first column of @stmt (bound to the site id as ?1), as strings. */
static GPtrArray *
collect_strings (ConfabStore  *store,
                 ConfabStmt   *stmt,
                 const char   *site_id,
                 const char   *what,
                 GError      **error)
{
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  int rc;

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

gboolean
confab_store_delete_site (ConfabStore  *store,
                          const char   *site_id,
                          GPtrArray   **out_files,
                          GPtrArray   **out_member_ids,
                          GError      **error)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) member_ids = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (site_id != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store, "SELECT DISTINCT sha256 FROM uploads "
                                                 "WHERE site_id = ?1", error);

    ok = stmt != NULL &&
         (files = collect_strings (store, stmt, site_id, "Cannot list the site's uploads", error)) != NULL;
  }
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "SELECT user_id FROM memberships "
                                                   "WHERE site_id = ?1", error);

      ok = stmt != NULL &&
           (member_ids = collect_strings (store, stmt, site_id, "Cannot list the site's members",
                                          error)) != NULL;
    }

  /* The foreign keys cascade from the site to everything of it (and the FAQs' triggers keep
   * their full-text index in step); the audit trail has no foreign keys, so that it outlives
   * users, and goes by hand. */
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "DELETE FROM sites WHERE id = ?1", error);

      ok = stmt != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, site_id);
          ok = store_step_done (store, stmt, "Cannot delete the site", error) &&
               store_not_found_if_unchanged (store, "site", site_id, error);
        }
    }
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "DELETE FROM audit_log WHERE site_id = ?1",
                                                   error);

      ok = stmt != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, site_id);
          ok = store_step_done (store, stmt, "Cannot delete the site's audit trail", error);
        }
    }
  /* an invitation to this site alone leaves no account behind, as when it is withdrawn */
  for (guint i = 0; ok && i < member_ids->len; i++)
    ok = confab_store_drop_unused_invitee (store, g_ptr_array_index (member_ids, i), error);

  if (!store_finish (store, ok, error))
    return FALSE;

  if (out_files != NULL)
    *out_files = g_steal_pointer (&files);
  if (out_member_ids != NULL)
    *out_member_ids = g_steal_pointer (&member_ids);
  return TRUE;
}

ConfabSite *
confab_store_rotate_site_key (ConfabStore  *store,
                              const char   *site_id,
                              GError      **error)
{
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
