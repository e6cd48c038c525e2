/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-team.c: the PostgreSQL store's invited accounts, setup codes and passwords
 * (the SQLite twin is sqlite/confab-store-team.c) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

static gboolean
put_setup_code (ConfabStore *store,
                const char  *user_id,
                const char  *kind,
                const char  *site_id,
                const char  *code_hash,
                const char  *created_by,
                gint64       expires_at,
                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* one code per account: a new one replaces the last, which stops working */
  pg_text (&params, user_id);
  pg_text (&params, code_hash);
  pg_text (&params, kind);
  pg_text (&params, site_id);
  pg_text (&params, created_by);
  pg_int (&params, confab_now_ms ());
  pg_int (&params, expires_at);
  result = pg_exec (store,
                    "INSERT INTO setup_codes (user_id, code_hash, kind, site_id, created_by, "
                    "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    "ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, "
                    "kind = excluded.kind, site_id = excluded.site_id, "
                    "created_by = excluded.created_by, created_at = excluded.created_at, "
                    "expires_at = excluded.expires_at", &params,
                    "Cannot store the setup code", error);
  return result != NULL;
}

/* Runs @sql with $1 = @user_id and, when not NULL, $2 = @text; FALSE with NOT_FOUND "user" when
 * @must_change and no row changed. */
static gboolean
run_user_sql (ConfabStore *store,
              const char  *sql,
              const char  *user_id,
              const char  *text,
              gboolean     must_change,
              const char  *what,
              GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  if (text != NULL)
    pg_text (&params, text);
  result = pg_exec (store, sql, &params, what, error);
  return result != NULL && (!must_change || pg_found (result, "user", user_id, error));
}

/* Revokes the account's live tokens but @keep_hash (may be NULL), listing them in @revoked. */
static gboolean
revoke_tokens (ConfabStore *store,
               const char  *user_id,
               const char  *keep_hash,
               GPtrArray   *revoked,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  pg_text (&params, keep_hash);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "UPDATE tokens SET revoked_at = $3 WHERE user_id = $1 "
                    "AND revoked_at IS NULL AND hash <> coalesce ($2, '') RETURNING hash",
                    &params, "Cannot revoke the tokens", error);
  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (revoked, pg_dup (result, i, 0));
  return TRUE;
}

ConfabUser *
pg_invite_user (ConfabStore  *store,
                const char   *email,
                const char   *site_id,
                ConfabRole    role,
                const char   *code_hash,
                const char   *created_by,
                gint64        expires_at,
                GError      **error)
{
  g_autoptr (ConfabUser) user = NULL;
  gboolean ok;

  if (!confab_store_begin (store, error))
    return NULL;
  /* "" is no argon2id string: no password verifies against it */
  user = pg_create_user (store, email, NULL, "", error);
  ok = user != NULL &&
       pg_set_member (store, site_id, user->id, role, error) &&
       put_setup_code (store, user->id, "invitation", site_id, code_hash, created_by,
                       expires_at, error);
  if (!pg_finish (store, ok, error))
    return NULL;
  return g_steal_pointer (&user);
}

gboolean
pg_get_setup_code (ConfabStore  *store,
                   const char   *user_id,
                   char        **out_code_hash,
                   gint64       *out_expires_at,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT code_hash, expires_at FROM setup_codes WHERE user_id = $1",
                    &params, "Cannot read the setup code", error);
  if (result == NULL || !pg_found (result, "setup code of user", user_id, error))
    return FALSE;
  *out_code_hash = pg_dup (result, 0, 0);
  *out_expires_at = pg_integer (result, 0, 1);
  return TRUE;
}

gboolean
pg_complete_setup (ConfabStore  *store,
                   const char   *user_id,
                   const char   *code_hash,
                   gint64        now,
                   const char   *password_hash,
                   const char   *name,
                   GError      **error)
{
  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (PGresult) used = NULL;
  PgParams params = { 0 };
  gboolean ok;

  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  /* the delete is the check: of two sign-ins racing with one code (on two relays), one
   * deletes it, the other waits for the row and then finds it gone */
  pg_text (&params, user_id);
  pg_text (&params, code_hash);
  pg_int (&params, now);
  used = pg_exec (store,
                  "DELETE FROM setup_codes WHERE user_id = $1 AND code_hash = $2 "
                  "AND expires_at > $3", &params, "Cannot use the setup code", error);
  ok = used != NULL && pg_found (used, "setup code of user", user_id, error);
  ok = ok && run_user_sql (store, "UPDATE users SET password_hash = $2 WHERE id = $1", user_id,
                           password_hash, FALSE, "Cannot set the password", error);
  if (ok && name != NULL)
    ok = run_user_sql (store, "UPDATE users SET name = $2 WHERE id = $1", user_id, name, FALSE,
                       "Cannot set the name", error);
  ok = ok && revoke_tokens (store, user_id, NULL, revoked, error);
  return pg_finish (store, ok, error);
}

gboolean
pg_reset_password (ConfabStore  *store,
                   const char   *user_id,
                   const char   *kind,
                   const char   *site_id,
                   const char   *code_hash,
                   const char   *created_by,
                   gint64        expires_at,
                   GPtrArray   **out_revoked,
                   GError      **error)
{
  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  if (!confab_store_begin (store, error))
    return FALSE;
  ok = put_setup_code (store, user_id, kind, site_id, code_hash, created_by, expires_at, error) &&
       run_user_sql (store, "UPDATE users SET password_hash = '' WHERE id = $1", user_id, NULL,
                     TRUE, "Cannot reset the password", error) &&
       revoke_tokens (store, user_id, NULL, revoked, error);
  if (!pg_finish (store, ok, error))
    return FALSE;
  if (out_revoked != NULL)
    *out_revoked = g_steal_pointer (&revoked);
  return TRUE;
}

gboolean
pg_set_password (ConfabStore  *store,
                 const char   *user_id,
                 const char   *password_hash,
                 const char   *keep_token_hash,
                 GPtrArray   **out_revoked,
                 GError      **error)
{
  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;
  ok = run_user_sql (store, "UPDATE users SET password_hash = $2 WHERE id = $1", user_id,
                     password_hash, TRUE, "Cannot set the password", error) &&
       run_user_sql (store, "DELETE FROM setup_codes WHERE user_id = $1", user_id, NULL, FALSE,
                     "Cannot set the password", error) &&
       revoke_tokens (store, user_id, keep_token_hash, revoked, error);
  if (!pg_finish (store, ok, error))
    return FALSE;
  if (out_revoked != NULL)
    *out_revoked = g_steal_pointer (&revoked);
  return TRUE;
}

gboolean
pg_set_user_name (ConfabStore  *store,
                  const char   *user_id,
                  const char   *name,
                  GError      **error)
{
  return run_user_sql (store, "UPDATE users SET name = $2 WHERE id = $1", user_id, name, TRUE,
                       "Cannot set the name", error);
}

GPtrArray *
pg_list_invitations (ConfabStore  *store,
                     const char   *site_id,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT u.id, u.email, u.name, m.role, coalesce (c.kind, 'invitation'), "
                    "c.created_by, coalesce (c.created_at, m.created_at), "
                    "coalesce (c.expires_at, 0) FROM memberships m "
                    "JOIN users u ON u.id = m.user_id "
                    "LEFT JOIN setup_codes c ON c.user_id = u.id "
                    "WHERE m.site_id = $1 AND u.password_hash = '' "
                    "ORDER BY m.created_at, u.email", &params, "Cannot list the invitations",
                    error);
  if (result == NULL)
    return NULL;

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_invitation_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabInvitation *invitation = g_new0 (ConfabInvitation, 1);

      invitation->user_id = pg_dup (result, i, 0);
      invitation->email = pg_dup (result, i, 1);
      invitation->name = pg_dup (result, i, 2);
      invitation->role = confab_role_from_string (PQgetvalue (result, i, 3));
      invitation->kind = pg_dup (result, i, 4);
      invitation->created_by = pg_dup (result, i, 5);
      invitation->created_at = pg_integer (result, i, 6);
      invitation->expires_at = pg_integer (result, i, 7);
      g_ptr_array_add (list, invitation);
    }
  return list;
}

gboolean
pg_drop_unused_invitee (ConfabStore  *store,
                        const char   *user_id,
                        GError      **error)
{
  return run_user_sql (store,
                       "DELETE FROM users WHERE id = $1 AND password_hash = '' "
                       "AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1) "
                       "AND EXISTS (SELECT 1 FROM setup_codes WHERE user_id = $1 "
                       "AND kind = 'invitation')",
                       user_id, NULL, FALSE, "Cannot delete the unused account", error);
}
