/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-accounts.c: the SQLite store's users, tokens, sites and their members (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- users and tokens ----------------------------------------------------------------------- */

#define USER_COLUMNS "id, email, name, password_hash, created_at"

static ConfabUser *
read_user (sqlite3_stmt *stmt)
{
  ConfabUser *user = g_new0 (ConfabUser, 1);

  user->id = store_column_dup (stmt, 0);
  user->email = store_column_dup (stmt, 1);
  user->name = store_column_dup (stmt, 2);
  user->password_hash = store_column_dup (stmt, 3);
  user->created_at = sqlite3_column_int64 (stmt, 4);
  return user;
}

ConfabUser *
confab_store_create_user (ConfabStore *store,
                          const char  *email,
                          const char  *name,
                          const char  *password_hash,
                          GError     **error)
{
  STORE_HANDOFF (store, create_user, NULL, error, email, name, password_hash, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = NULL;
  gint64 now = confab_now_ms ();
  ConfabUser *user;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);
  g_return_val_if_fail (password_hash != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO users (id, email, name, password_hash, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return NULL;

  id = confab_new_id ("usr_");
  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, email);
  store_bind_text (stmt, 3, name);
  store_bind_text (stmt, 4, password_hash);
  sqlite3_bind_int64 (stmt, 5, now);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      /* Not the address itself: error messages end up in logs. */
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                   "A user with this e-mail address already exists");
      return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot create the user");
      return NULL;
    }

  user = g_new0 (ConfabUser, 1);
  user->id = g_steal_pointer (&id);
  user->email = g_strdup (email);
  user->name = g_strdup (name);
  user->password_hash = g_strdup (password_hash);
  user->created_at = now;
  return user;
}

ConfabUser *
confab_store_get_user (ConfabStore *store,
                       const char  *user_id,
                       GError     **error)
{
  STORE_HANDOFF (store, get_user, NULL, error, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, user_id);
  if (!store_step_row (store, stmt, "user", user_id, error))
    return NULL;

  return read_user (stmt);
}

ConfabUser *
confab_store_get_user_by_email (ConfabStore *store,
                                const char  *email,
                                GError     **error)
{
  STORE_HANDOFF (store, get_user_by_email, NULL, error, email, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  /* The column's NOCASE collation applies to the comparison, and lets it use the index. */
  stmt = store_prepare (store, "SELECT " USER_COLUMNS " FROM users WHERE email = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, email);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_user (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "No user with this e-mail address");
  else
    store_set_sqlite_error (store, error, rc, "Cannot look up the user");
  return NULL;
}

gboolean
confab_store_add_token (ConfabStore *store,
                        const char  *token_hash,
                        const char  *user_id,
                        gint64       expires_at,
                        GError     **error)
{
  STORE_HANDOFF (store, add_token, FALSE, error, token_hash, user_id, expires_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO tokens (hash, user_id, created_at, expires_at) "
                        "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, token_hash);
  store_bind_text (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, confab_now_ms ());
  if (expires_at > 0)
    sqlite3_bind_int64 (stmt, 4, expires_at);
  else
    sqlite3_bind_null (stmt, 4);

  return store_step_done (store, stmt, "Cannot store the token", error);
}

char *
confab_store_lookup_token (ConfabStore *store,
                           const char  *token_hash,
                           gint64       now,
                           GError     **error)
{
  STORE_HANDOFF (store, lookup_token, NULL, error, token_hash, now, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_at IS NULL "
                        "AND (expires_at IS NULL OR expires_at > ?2)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, token_hash);
  sqlite3_bind_int64 (stmt, 2, now);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return store_column_dup (stmt, 0);

  /* One answer for unknown, expired and revoked: a caller cannot tell them apart, nor can
   * whoever holds the token. */
  if (rc == SQLITE_DONE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                 "The token is unknown, expired or revoked");
  else
    store_set_sqlite_error (store, error, rc, "Cannot look up the token");
  return NULL;
}

gboolean
confab_store_revoke_token (ConfabStore *store,
                           const char  *token_hash,
                           GError     **error)
{
  STORE_HANDOFF (store, revoke_token, FALSE, error, token_hash, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  /* Revoking twice keeps the first time: it is what the audit trail needs. */
  stmt = store_prepare (store,
                        "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE hash = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, token_hash);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot revoke the token", error))
    return FALSE;

  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND, "Unknown token");
      return FALSE;
    }
  return TRUE;
}

/* --- sites and memberships ------------------------------------------------------------------ */

#define SITE_COLUMNS "s.id, s.name, s.site_key, s.domains, s.settings, s.enabled, s.created_at"

char *
store_strv_to_json (const char * const *strv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

char **
store_domains_from_json (const char *text)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  root = text != NULL ? json_from_string (text, NULL) : NULL;
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (node));
        }
    }

  return g_strv_builder_end (builder);
}

static ConfabSite *
read_site (sqlite3_stmt *stmt)
{
  ConfabSite *site = g_new0 (ConfabSite, 1);

  site->id = store_column_dup (stmt, 0);
  site->name = store_column_dup (stmt, 1);
  site->site_key = store_column_dup (stmt, 2);
  site->domains = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 3));
  site->settings_json = store_column_dup (stmt, 4);
  site->enabled = sqlite3_column_int (stmt, 5) != 0;
  site->created_at = sqlite3_column_int64 (stmt, 6);
  site->role = CONFAB_ROLE_NONE;
  return site;
}

static gboolean
upsert_member (ConfabStore *store,
               const char  *site_id,
               const char  *user_id,
               ConfabRole   role,
               GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO memberships (site_id, user_id, role, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (site_id, user_id) DO UPDATE SET role = excluded.role",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  store_bind_text (stmt, 3, confab_role_to_string (role));
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot set the membership (do the site and the user exist?)",
                    error);
}

ConfabSite *
confab_store_create_site (ConfabStore         *store,
                          const char          *owner_id,
                          const char          *name,
                          const char * const  *domains,
                          GError             **error)
{
  STORE_HANDOFF (store, create_site, NULL, error, owner_id, name, domains, error);

  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *site_key = NULL;
  g_autofree char *domains_json = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (owner_id != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  id = confab_new_id ("site_");
  token = confab_random_token (18);
  site_key = g_strconcat ("sk_", token, NULL);
  domains_json = store_strv_to_json (domains);

  if (!confab_store_begin (store, error))
    return NULL;

  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "INSERT INTO sites (id, name, site_key, domains, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)", error);
    ok = stmt != NULL;
    if (ok)
      {
        store_bind_text (stmt, 1, id);
        store_bind_text (stmt, 2, name);
        store_bind_text (stmt, 3, site_key);
        store_bind_text (stmt, 4, domains_json);
        sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
        ok = store_step_done (store, stmt, "Cannot create the site", error);
      }
  }

  ok = ok && upsert_member (store, id, owner_id, CONFAB_ROLE_OWNER, error);
  if (!store_finish (store, ok, error))
    return NULL;

  return confab_store_get_site (store, id, error);
}

ConfabSite *
confab_store_get_site (ConfabStore *store,
                       const char  *site_id,
                       GError     **error)
{
  STORE_HANDOFF (store, get_site, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  ConfabSite *site;

  g_return_val_if_fail (store != NULL, NULL);

  site = store_site_cache_lookup (store, site_id);
  if (site != NULL)
    return site;

  stmt = store_prepare (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  if (!store_step_row (store, stmt, "site", site_id, error))
    return NULL;

  site = read_site (stmt);
  store_site_cache_add (store, site);
  return site;
}

ConfabSite *
confab_store_get_site_by_key (ConfabStore *store,
                              const char  *site_key,
                              GError     **error)
{
  STORE_HANDOFF (store, get_site_by_key, NULL, error, site_key, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.site_key = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  /* Site keys are public (they are in every page's HTML), so naming one in an error is fine. */
  store_bind_text (stmt, 1, site_key);
  if (!store_step_row (store, stmt, "site with key", site_key, error))
    return NULL;

  return read_site (stmt);
}

GPtrArray *
confab_store_list_sites_for_user (ConfabStore *store,
                                  const char  *user_id,
                                  GError     **error)
{
  STORE_HANDOFF (store, list_sites_for_user, NULL, error, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " SITE_COLUMNS ", m.role FROM memberships m "
                        "JOIN sites s ON s.id = m.site_id WHERE m.user_id = ?1 "
                        "ORDER BY s.created_at, s.rowid", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, user_id);
  sites = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_site_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabSite *site = read_site (stmt);

      site->role = confab_role_from_string ((const char *) sqlite3_column_text (stmt, 7));
      g_ptr_array_add (sites, site);
    }

  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the user's sites");
      return NULL;
    }
  return g_steal_pointer (&sites);
}

ConfabSite *
confab_store_update_site (ConfabStore         *store,
                          const char          *site_id,
                          const char          *name,
                          const char * const  *domains,
                          const char          *settings_json,
                          int                  enabled,
                          GError             **error)
{
  STORE_HANDOFF (store, update_site, NULL, error, site_id, name, domains, settings_json, enabled, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *domains_json = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  if (settings_json != NULL)
    {
      g_autoptr (JsonNode) root = json_from_string (settings_json, NULL);

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                       "The settings of site %s must be a JSON object", site_id);
          return NULL;
        }
    }

  stmt = store_prepare (store,
                        "UPDATE sites SET name = coalesce(?2, name), "
                        "domains = coalesce(?3, domains), settings = coalesce(?4, settings), "
                        "enabled = CASE WHEN ?5 < 0 THEN enabled ELSE ?5 END WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  if (domains != NULL)
    domains_json = store_strv_to_json (domains);

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, name);
  store_bind_text (stmt, 3, domains_json);
  store_bind_text (stmt, 4, settings_json);
  sqlite3_bind_int (stmt, 5, enabled < 0 ? -1 : enabled != 0);
  if (!store_step_done (store, stmt, "Cannot update the site", error) ||
      !store_not_found_if_unchanged (store, "site", site_id, error))
    return NULL;

  return confab_store_get_site (store, site_id, error);
}

ConfabRole
confab_store_get_role (ConfabStore *store,
                       const char  *site_id,
                       const char  *user_id)
{
  STORE_HANDOFF (store, get_role, CONFAB_ROLE_NONE, NULL, site_id, user_id);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (store != NULL, CONFAB_ROLE_NONE);

  stmt = store_prepare (store,
                        "SELECT role FROM memberships WHERE site_id = ?1 AND user_id = ?2",
                        &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return CONFAB_ROLE_NONE;
    }

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return CONFAB_ROLE_NONE;

  return confab_role_from_string ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
confab_store_set_member (ConfabStore *store,
                         const char  *site_id,
                         const char  *user_id,
                         ConfabRole   role,
                         GError     **error)
{
  STORE_HANDOFF (store, set_member, FALSE, error, site_id, user_id, role, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  if (role != CONFAB_ROLE_NONE)
    return upsert_member (store, site_id, user_id, role, error);

  /* Removing someone who is not a member is not an error: the result is what was asked. */
  stmt = store_prepare (store, "DELETE FROM memberships WHERE site_id = ?1 AND user_id = ?2",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, user_id);
  return store_step_done (store, stmt, "Cannot remove the membership", error);
}

/* --- members of a site ---------------------------------------------------------------------- */

void
confab_member_free (ConfabMember *member)
{
  if (member == NULL)
    return;
  g_free (member->user_id);
  g_free (member->email);
  g_free (member->name);
  g_free (member);
}

static ConfabMember *
read_member (sqlite3_stmt *stmt)
{
  ConfabMember *member = g_new0 (ConfabMember, 1);

  member->user_id = store_column_dup (stmt, 0);
  member->email = store_column_dup (stmt, 1);
  member->name = store_column_dup (stmt, 2);
  member->role = confab_role_from_string ((const char *) sqlite3_column_text (stmt, 3));
  member->since = sqlite3_column_int64 (stmt, 4);
  member->pending = sqlite3_column_int (stmt, 5) != 0;
  return member;
}

GPtrArray *
confab_store_list_members (ConfabStore *store,
                           const char  *site_id,
                           GError     **error)
{
  STORE_HANDOFF (store, list_members, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT u.id, u.email, u.name, m.role, m.created_at, u.password_hash = '' "
                        "FROM memberships m "
                        "JOIN users u ON u.id = m.user_id WHERE m.site_id = ?1 "
                        "ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, "
                        "m.created_at, u.email", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_member, (GDestroyNotify) confab_member_free,
                   "Cannot list the members", error);
}

gboolean
confab_store_change_member (ConfabStore *store,
                            const char  *site_id,
                            const char  *user_id,
                            ConfabRole   role,
                            GError     **error)
{
  STORE_HANDOFF (store, change_member, FALSE, error, site_id, user_id, role, error);

  g_autoptr (ConfabStmt) count = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  /* The check and the change in one transaction: two admins demoting the last two owners at
   * once (or the admin CLI beside the relay) must not leave a site nobody can administer. */
  if (!confab_store_begin (store, error))
    return FALSE;

  ok = confab_store_set_member (store, site_id, user_id, role, error);
  if (ok)
    {
      count = store_prepare (store,
                             "SELECT count(*) FROM memberships WHERE site_id = ?1 AND role = 'owner'",
                             error);
      ok = count != NULL;
    }
  if (ok)
    {
      store_bind_text (count, 1, site_id);
      ok = store_step_row (store, count, "site", site_id, error);
      if (ok && sqlite3_column_int64 (count, 0) == 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                       "A site must keep at least one owner");
          ok = FALSE;
        }
    }
  g_clear_pointer (&count, confab_stmt_release);

  return store_finish (store, ok, error);
}
