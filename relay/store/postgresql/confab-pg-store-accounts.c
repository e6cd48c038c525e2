/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-accounts.c: the PostgreSQL store's users, tokens, sites, members, blocks and
 * audit entries (the SQLite twins are in sqlite/confab-store-accounts.c and -data.c) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

/* --- users and tokens ----------------------------------------------------------------------- */

#define USER_COLUMNS "id, email, name, password_hash, created_at"

static ConfabUser *
read_user (PGresult *result,
           int       row)
{
  ConfabUser *user = g_new0 (ConfabUser, 1);

  user->id = pg_dup (result, row, 0);
  user->email = pg_dup (result, row, 1);
  user->name = pg_dup (result, row, 2);
  user->password_hash = pg_dup (result, row, 3);
  user->created_at = pg_integer (result, row, 4);
  return user;
}

ConfabUser *
pg_create_user (ConfabStore *store,
                const char  *email,
                const char  *name,
                const char  *password_hash,
                GError     **error)
{
  g_autofree char *id = confab_new_id ("usr_");
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) local_error = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (email != NULL && password_hash != NULL, NULL);

  pg_text (&params, id);
  pg_text (&params, email);
  pg_text (&params, name);
  pg_text (&params, password_hash);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO users (id, email, name, password_hash, created_at) "
                     "VALUES ($1, $2, $3, $4, $5) RETURNING " USER_COLUMNS, &params,
                     "Cannot create the user", &local_error);
  if (result == NULL)
    {
      /* Not the address itself: error messages end up in logs. */
      if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
        g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                     "A user with this e-mail address already exists");
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return read_user (result, 0);
}

ConfabUser *
pg_get_user (ConfabStore *store,
             const char  *user_id,
             GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", &params,
                    "Cannot read the user", error);
  if (result == NULL || !pg_found (result, "user", user_id, error))
    return NULL;
  return read_user (result, 0);
}

ConfabUser *
pg_get_user_by_email (ConfabStore *store,
                      const char  *email,
                      GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* lower (): the unique index users_email, SQLite's NOCASE */
  pg_text (&params, email);
  result = pg_exec (store, "SELECT " USER_COLUMNS " FROM users WHERE lower (email) = lower ($1)",
                    &params, "Cannot look up the user", error);
  if (result == NULL)
    return NULL;
  if (PQntuples (result) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No user with this e-mail address");
      return NULL;
    }
  return read_user (result, 0);
}

gboolean
pg_add_token (ConfabStore *store,
              const char  *token_hash,
              const char  *user_id,
              gint64       expires_at,
              GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, token_hash);
  pg_text (&params, user_id);
  pg_int (&params, confab_now_ms ());
  if (expires_at > 0)
    pg_int (&params, expires_at);
  else
    pg_text (&params, NULL);
  result = pg_write (store,
                     "INSERT INTO tokens (hash, user_id, created_at, expires_at) "
                     "VALUES ($1, $2, $3, $4)", &params, "Cannot store the token", error);
  return result != NULL;
}

char *
pg_lookup_token (ConfabStore *store,
                 const char  *token_hash,
                 gint64       now,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, token_hash);
  pg_int (&params, now);
  result = pg_exec (store,
                    "SELECT user_id FROM tokens WHERE hash = $1 AND revoked_at IS NULL "
                    "AND (expires_at IS NULL OR expires_at > $2)", &params,
                    "Cannot look up the token", error);
  if (result == NULL)
    return NULL;
  /* one answer for unknown, expired and revoked */
  if (PQntuples (result) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "The token is unknown, expired or revoked");
      return NULL;
    }
  return pg_dup (result, 0, 0);
}

gboolean
pg_revoke_token (ConfabStore *store,
                 const char  *token_hash,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, token_hash);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "UPDATE tokens SET revoked_at = coalesce (revoked_at, $2) WHERE hash = $1",
                    &params, "Cannot revoke the token", error);
  if (result == NULL)
    return FALSE;
  if (pg_changes (result) == 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND, "Unknown token");
      return FALSE;
    }
  return TRUE;
}

/* --- sites and memberships ------------------------------------------------------------------ */

#define SITE_COLUMNS "s.id, s.name, s.site_key, s.domains, s.settings, s.enabled, s.created_at"

char *
pg_strv_to_json (const char * const *strv)
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
pg_strv_from_json (const char *text)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (JsonNode) root = text != NULL ? json_from_string (text, NULL) : NULL;

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
read_site (PGresult *result,
           int       row)
{
  ConfabSite *site = g_new0 (ConfabSite, 1);

  site->id = pg_dup (result, row, 0);
  site->name = pg_dup (result, row, 1);
  site->site_key = pg_dup (result, row, 2);
  site->domains = pg_strv_from_json (PQgetvalue (result, row, 3));
  site->settings_json = pg_dup (result, row, 4);
  site->enabled = pg_boolean (result, row, 5);
  site->created_at = pg_integer (result, row, 6);
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
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  pg_text (&params, confab_role_to_string (role));
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO memberships (site_id, user_id, role, created_at) "
                     "VALUES ($1, $2, $3, $4) "
                     "ON CONFLICT (site_id, user_id) DO UPDATE SET role = excluded.role",
                     &params, "Cannot set the membership (do the site and the user exist?)",
                     error);
  return result != NULL;
}

ConfabSite *
pg_create_site (ConfabStore        *store,
                const char         *owner_id,
                const char         *name,
                const char * const *domains,
                GError            **error)
{
  g_autofree char *id = confab_new_id ("site_");
  g_autofree char *token = confab_random_token (18);
  g_autofree char *site_key = g_strconcat ("sk_", token, NULL);
  g_autofree char *domains_json = pg_strv_to_json (domains);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  gboolean ok;

  g_return_val_if_fail (owner_id != NULL && name != NULL, NULL);

  if (!confab_store_begin (store, error))
    return NULL;

  pg_text (&params, id);
  pg_text (&params, name);
  pg_text (&params, site_key);
  pg_text (&params, domains_json);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "INSERT INTO sites (id, name, site_key, domains, created_at) "
                    "VALUES ($1, $2, $3, $4, $5)", &params, "Cannot create the site", error);
  ok = result != NULL && upsert_member (store, id, owner_id, CONFAB_ROLE_OWNER, error);
  if (!pg_finish (store, ok, error))
    return NULL;

  return pg_get_site (store, id, error);
}

ConfabSite *
pg_get_site (ConfabStore *store,
             const char  *site_id,
             GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.id = $1", &params,
                    "Cannot read the site", error);
  if (result == NULL || !pg_found (result, "site", site_id, error))
    return NULL;
  return read_site (result, 0);
}

ConfabSite *
pg_get_site_by_key (ConfabStore *store,
                    const char  *site_key,
                    GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_key);
  result = pg_exec (store, "SELECT " SITE_COLUMNS " FROM sites s WHERE s.site_key = $1", &params,
                    "Cannot read the site", error);
  /* site keys are public: naming one in an error is fine */
  if (result == NULL || !pg_found (result, "site with key", site_key, error))
    return NULL;
  return read_site (result, 0);
}

GPtrArray *
pg_list_sites_for_user (ConfabStore *store,
                        const char  *user_id,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *sites;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  result = pg_exec (store,
                    "SELECT " SITE_COLUMNS ", m.role FROM memberships m "
                    "JOIN sites s ON s.id = m.site_id WHERE m.user_id = $1 "
                    "ORDER BY s.created_at, s.id", &params, "Cannot list the user's sites", error);
  if (result == NULL)
    return NULL;

  sites = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_site_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabSite *site = read_site (result, i);

      site->role = confab_role_from_string (PQgetvalue (result, i, 7));
      g_ptr_array_add (sites, site);
    }
  return sites;
}

ConfabSite *
pg_update_site (ConfabStore        *store,
                const char         *site_id,
                const char         *name,
                const char * const *domains,
                const char         *settings_json,
                int                 enabled,
                GError            **error)
{
  g_autofree char *domains_json = domains != NULL ? pg_strv_to_json (domains) : NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

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

  pg_text (&params, site_id);
  pg_text (&params, name);
  pg_text (&params, domains_json);
  pg_text (&params, settings_json);
  pg_int (&params, enabled < 0 ? -1 : enabled != 0);
  result = pg_exec (store,
                    "UPDATE sites SET name = coalesce ($2, name), "
                    "domains = coalesce ($3, domains), settings = coalesce ($4, settings), "
                    "enabled = CASE WHEN $5::int < 0 THEN enabled ELSE $5::int <> 0 END "
                    "WHERE id = $1 RETURNING id, name, site_key, domains, settings, enabled, created_at", &params,
                    "Cannot update the site", error);
  if (result == NULL || !pg_found (result, "site", site_id, error))
    return NULL;
  return read_site (result, 0);
}

ConfabSite *
pg_rotate_site_key (ConfabStore  *store,
                    const char   *site_id,
                    GError      **error)
{
  g_autofree char *token = confab_random_token (18);
  g_autofree char *site_key = g_strconcat ("sk_", token, NULL);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (site_id != NULL, NULL);

  pg_text (&params, site_id);
  pg_text (&params, site_key);
  result = pg_write (store,
                     "UPDATE sites SET site_key = $2 WHERE id = $1 "
                     "RETURNING id, name, site_key, domains, settings, enabled, created_at",
                     &params, "Cannot change the site key", error);
  if (result == NULL || !pg_found (result, "site", site_id, error))
    return NULL;
  return read_site (result, 0);
}

ConfabRole
pg_get_role (ConfabStore *store,
             const char  *site_id,
             const char  *user_id)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) error = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT role FROM memberships WHERE site_id = $1 AND user_id = $2",
                    &params, "Cannot read the membership", &error);
  if (result == NULL)
    {
      g_warning ("%s", error->message);
      return CONFAB_ROLE_NONE;
    }
  if (PQntuples (result) == 0)
    return CONFAB_ROLE_NONE;
  return confab_role_from_string (PQgetvalue (result, 0, 0));
}

gboolean
pg_set_member (ConfabStore *store,
               const char  *site_id,
               const char  *user_id,
               ConfabRole   role,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  if (role != CONFAB_ROLE_NONE)
    return upsert_member (store, site_id, user_id, role, error);

  /* removing someone who is not a member is what was asked: no error */
  pg_text (&params, site_id);
  pg_text (&params, user_id);
  result = pg_exec (store, "DELETE FROM memberships WHERE site_id = $1 AND user_id = $2",
                    &params, "Cannot remove the membership", error);
  return result != NULL;
}

static ConfabMember *
read_member (PGresult *result,
             int       row)
{
  ConfabMember *member = g_new0 (ConfabMember, 1);

  member->user_id = pg_dup (result, row, 0);
  member->email = pg_dup (result, row, 1);
  member->name = pg_dup (result, row, 2);
  member->role = confab_role_from_string (PQgetvalue (result, row, 3));
  member->since = pg_integer (result, row, 4);
  member->pending = pg_boolean (result, row, 5);
  return member;
}

GPtrArray *
pg_list_members (ConfabStore *store,
                 const char  *site_id,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *members;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT u.id, u.email, u.name, m.role, m.created_at, u.password_hash = '' "
                    "FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.site_id = $1 "
                    "ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, "
                    "m.created_at, u.email", &params, "Cannot list the members", error);
  if (result == NULL)
    return NULL;

  members = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_member_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (members, read_member (result, i));
  return members;
}

gboolean
pg_change_member (ConfabStore *store,
                  const char  *site_id,
                  const char  *user_id,
                  ConfabRole   role,
                  GError     **error)
{
  g_autoptr (PGresult) owners = NULL;
  PgParams params = { 0 };
  gboolean ok;

  /* The check and the change in one transaction, the site's row locked first: two admins
   * demoting the last two owners at once, on two relays, must not leave a site without one. */
  if (!confab_store_begin (store, error))
    return FALSE;

  pg_text (&params, site_id);
  owners = pg_exec (store, "SELECT id FROM sites WHERE id = $1 FOR UPDATE", &params,
                    "Cannot lock the site", error);
  ok = owners != NULL && pg_found (owners, "site", site_id, error);
  g_clear_pointer (&owners, PQclear);
  ok = ok && pg_set_member (store, site_id, user_id, role, error);
  if (ok)
    {
      owners = pg_exec (store,
                        "SELECT count (*) FROM memberships WHERE site_id = $1 AND role = 'owner'",
                        &params, "Cannot count the owners", error);
      ok = owners != NULL;
      if (ok && pg_integer (owners, 0, 0) == 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                       "A site must keep at least one owner");
          ok = FALSE;
        }
    }

  return pg_finish (store, ok, error);
}

/* --- blocks and the audit log --------------------------------------------------------------- */

gboolean
pg_is_blocked (ConfabStore *store,
               const char  *site_id,
               const char  *visitor_id,
               const char  *ip_hash)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) error = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  pg_text (&params, ip_hash);
  result = pg_exec (store,
                    "SELECT EXISTS (SELECT 1 FROM visitor_blocks WHERE site_id = $1 AND visitor_id = $2) "
                    "OR EXISTS (SELECT 1 FROM visitor_blocks WHERE site_id = $1 AND ip_hash = $3)",
                    &params, "Cannot check for a block", &error);
  if (result == NULL)
    {
      g_warning ("%s", error->message);
      return FALSE;
    }
  return pg_boolean (result, 0, 0);
}

gboolean
pg_audit (ConfabStore *store,
          const char  *user_id,
          const char  *site_id,
          const char  *action,
          const char  *detail_json,
          const char  *ip_hash,
          GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_int (&params, confab_now_ms ());
  pg_text (&params, user_id);
  pg_text (&params, site_id);
  pg_text (&params, action);
  pg_text (&params, detail_json);
  pg_text (&params, ip_hash);
  result = pg_exec (store,
                    "INSERT INTO audit_log (at, user_id, site_id, action, detail, ip_hash) "
                    "VALUES ($1, $2, $3, $4, $5, $6)", &params, "Cannot write the audit log", error);
  return result != NULL;
}

gboolean
pg_append_audit (ConfabStore            *store,
                 const ConfabAuditEntry *entry,
                 GError                **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_int (&params, confab_now_ms ());
  pg_text (&params, entry->actor_id);
  pg_text (&params, entry->site_id);
  pg_text (&params, entry->action);
  pg_text (&params, entry->details_json);
  pg_text (&params, entry->ip_hash);
  pg_text (&params, entry->actor_name);
  pg_text (&params, entry->target_type);
  pg_text (&params, entry->target_id);
  pg_text (&params, entry->target_name);
  result = pg_exec (store,
                    "INSERT INTO audit_log (at, user_id, site_id, action, detail, ip_hash, "
                    "actor_name, target_type, target_id, target_name) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", &params,
                    "Cannot write the audit log", error);
  return result != NULL;
}
