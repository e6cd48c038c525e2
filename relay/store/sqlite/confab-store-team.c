/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-team.c: invited accounts, setup codes and passwords (see confab-store-team.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-team.h"

void
confab_invitation_free (ConfabInvitation *invitation)
{
  if (invitation == NULL)
    return;
  g_free (invitation->user_id);
  g_free (invitation->email);
  g_free (invitation->name);
  g_free (invitation->kind);
  g_free (invitation->created_by);
  g_free (invitation);
}

gboolean
confab_user_is_pending (const ConfabUser *user)
{
  return user->password_hash == NULL || user->password_hash[0] == '\0';
}

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
  g_autoptr (ConfabStmt) stmt = NULL;

  /* one code per account: a new one replaces the last, which stops working */
  stmt = store_prepare (store,
                        "INSERT OR REPLACE INTO setup_codes "
                        "(user_id, code_hash, kind, site_id, created_by, created_at, expires_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, user_id);
  store_bind_text (stmt, 2, code_hash);
  store_bind_text (stmt, 3, kind);
  store_bind_text (stmt, 4, site_id);
  store_bind_text (stmt, 5, created_by);
  sqlite3_bind_int64 (stmt, 6, confab_now_ms ());
  sqlite3_bind_int64 (stmt, 7, expires_at);
  return store_step_done (store, stmt, "Cannot store the setup code", error);
}

static gboolean
run_user_sql (ConfabStore *store,
              const char  *sql,
              const char  *user_id,
              const char  *text,
              const char  *what,
              GError     **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, user_id);
  if (text != NULL)
    store_bind_text (stmt, 2, text);
  return store_step_done (store, stmt, what, error);
}

/* Revokes the account's live tokens but @keep_hash (may be NULL), listing them in @revoked. */
static gboolean
revoke_tokens (ConfabStore *store,
               const char  *user_id,
               const char  *keep_hash,
               GPtrArray   *revoked,
               GError     **error)
{
  g_autoptr (ConfabStmt) select = NULL;
  int rc;

  select = store_prepare (store,
                          "SELECT hash FROM tokens WHERE user_id = ?1 AND revoked_at IS NULL "
                          "AND hash IS NOT coalesce(?2, '')", error);
  if (select == NULL)
    return FALSE;
  store_bind_text (select, 1, user_id);
  store_bind_text (select, 2, keep_hash);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    g_ptr_array_add (revoked, store_column_dup (select, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the tokens");
      return FALSE;
    }
  g_clear_pointer (&select, confab_stmt_release);

  {
    g_autoptr (ConfabStmt) update = NULL;

    update = store_prepare (store,
                            "UPDATE tokens SET revoked_at = ?3 WHERE user_id = ?1 "
                            "AND revoked_at IS NULL AND hash IS NOT coalesce(?2, '')", error);
    if (update == NULL)
      return FALSE;
    store_bind_text (update, 1, user_id);
    store_bind_text (update, 2, keep_hash);
    sqlite3_bind_int64 (update, 3, confab_now_ms ());
    return store_step_done (store, update, "Cannot revoke the tokens", error);
  }
}

ConfabUser *
confab_store_invite_user (ConfabStore  *store,
                          const char   *email,
                          const char   *site_id,
                          ConfabRole    role,
                          const char   *code_hash,
                          const char   *created_by,
                          gint64        expires_at,
                          GError      **error)
{
  STORE_HANDOFF (store, invite_user, NULL, error, email, site_id, role, code_hash, created_by, expires_at, error);

  g_autoptr (ConfabUser) user = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL, NULL);

  if (!confab_store_begin (store, error))
    return NULL;

  /* "" is no argon2id string: no password verifies against it */
  user = confab_store_create_user (store, email, NULL, "", error);
  ok = user != NULL &&
       confab_store_set_member (store, site_id, user->id, role, error) &&
       put_setup_code (store, user->id, "invitation", site_id, code_hash, created_by,
                       expires_at, error);
  if (!store_finish (store, ok, error))
    return NULL;
  return g_steal_pointer (&user);
}

gboolean
confab_store_get_setup_code (ConfabStore  *store,
                             const char   *user_id,
                             char        **out_code_hash,
                             gint64       *out_expires_at,
                             GError      **error)
{
  STORE_HANDOFF (store, get_setup_code, FALSE, error, user_id, out_code_hash, out_expires_at, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "SELECT code_hash, expires_at FROM setup_codes WHERE user_id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, user_id);
  if (!store_step_row (store, stmt, "setup code of user", user_id, error))
    return FALSE;

  *out_code_hash = store_column_dup (stmt, 0);
  *out_expires_at = sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

gboolean
confab_store_complete_setup (ConfabStore  *store,
                             const char   *user_id,
                             const char   *code_hash,
                             gint64        now,
                             const char   *password_hash,
                             const char   *name,
                             GError      **error)
{
  STORE_HANDOFF (store, complete_setup, FALSE, error, user_id, code_hash, now, password_hash, name, error);

  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  /* The delete is the check: of two sign-ins racing with one code, one deletes it. */
  {
    g_autoptr (ConfabStmt) stmt = NULL;

    stmt = store_prepare (store,
                          "DELETE FROM setup_codes WHERE user_id = ?1 AND code_hash = ?2 "
                          "AND expires_at > ?3", error);
    ok = stmt != NULL;
    if (ok)
      {
        store_bind_text (stmt, 1, user_id);
        store_bind_text (stmt, 2, code_hash);
        sqlite3_bind_int64 (stmt, 3, now);
        ok = store_step_done (store, stmt, "Cannot use the setup code", error) &&
             store_not_found_if_unchanged (store, "setup code of user", user_id, error);
      }
  }

  ok = ok && run_user_sql (store, "UPDATE users SET password_hash = ?2 WHERE id = ?1", user_id,
                           password_hash, "Cannot set the password", error);
  if (ok && name != NULL)
    ok = run_user_sql (store, "UPDATE users SET name = ?2 WHERE id = ?1", user_id, name,
                       "Cannot set the name", error);
  ok = ok && revoke_tokens (store, user_id, NULL, revoked, error);
  return store_finish (store, ok, error);
}

gboolean
confab_store_reset_password (ConfabStore  *store,
                             const char   *user_id,
                             const char   *kind,
                             const char   *site_id,
                             const char   *code_hash,
                             const char   *created_by,
                             gint64        expires_at,
                             GPtrArray   **out_revoked,
                             GError      **error)
{
  STORE_HANDOFF (store, reset_password, FALSE, error, user_id, kind, site_id, code_hash, created_by, expires_at, out_revoked, error);

  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = put_setup_code (store, user_id, kind, site_id, code_hash, created_by, expires_at, error);
  ok = ok && run_user_sql (store, "UPDATE users SET password_hash = '' WHERE id = ?1", user_id,
                           NULL, "Cannot reset the password", error) &&
       store_not_found_if_unchanged (store, "user", user_id, error);
  ok = ok && revoke_tokens (store, user_id, NULL, revoked, error);
  if (!store_finish (store, ok, error))
    return FALSE;

  if (out_revoked != NULL)
    *out_revoked = g_steal_pointer (&revoked);
  return TRUE;
}

gboolean
confab_store_set_password (ConfabStore  *store,
                           const char   *user_id,
                           const char   *password_hash,
                           const char   *keep_token_hash,
                           GPtrArray   **out_revoked,
                           GError      **error)
{
  STORE_HANDOFF (store, set_password, FALSE, error, user_id, password_hash, keep_token_hash, out_revoked, error);

  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = run_user_sql (store, "UPDATE users SET password_hash = ?2 WHERE id = ?1", user_id,
                     password_hash, "Cannot set the password", error) &&
       store_not_found_if_unchanged (store, "user", user_id, error) &&
       run_user_sql (store, "DELETE FROM setup_codes WHERE user_id = ?1", user_id, NULL,
                     "Cannot set the password", error) &&
       revoke_tokens (store, user_id, keep_token_hash, revoked, error);
  if (!store_finish (store, ok, error))
    return FALSE;

  if (out_revoked != NULL)
    *out_revoked = g_steal_pointer (&revoked);
  return TRUE;
}

gboolean
confab_store_set_user_name (ConfabStore  *store,
                            const char   *user_id,
                            const char   *name,
                            GError      **error)
{
  STORE_HANDOFF (store, set_user_name, FALSE, error, user_id, name, error);

  g_return_val_if_fail (store != NULL, FALSE);

  return run_user_sql (store, "UPDATE users SET name = ?2 WHERE id = ?1", user_id, name,
                       "Cannot set the name", error) &&
         store_not_found_if_unchanged (store, "user", user_id, error);
}

static ConfabInvitation *
read_invitation (sqlite3_stmt *stmt)
{
  ConfabInvitation *invitation = g_new0 (ConfabInvitation, 1);

  invitation->user_id = store_column_dup (stmt, 0);
  invitation->email = store_column_dup (stmt, 1);
  invitation->name = store_column_dup (stmt, 2);
  invitation->role = confab_role_from_string ((const char *) sqlite3_column_text (stmt, 3));
  invitation->kind = store_column_dup (stmt, 4);
  invitation->created_by = store_column_dup (stmt, 5);
  invitation->created_at = sqlite3_column_int64 (stmt, 6);
  invitation->expires_at = sqlite3_column_int64 (stmt, 7);
  return invitation;
}

GPtrArray *
confab_store_list_invitations (ConfabStore  *store,
                               const char   *site_id,
                               GError      **error)
{
  STORE_HANDOFF (store, list_invitations, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT u.id, u.email, u.name, m.role, coalesce(c.kind, 'invitation'), "
                        "c.created_by, coalesce(c.created_at, m.created_at), "
                        "coalesce(c.expires_at, 0) FROM memberships m "
                        "JOIN users u ON u.id = m.user_id "
                        "LEFT JOIN setup_codes c ON c.user_id = u.id "
                        "WHERE m.site_id = ?1 AND u.password_hash = '' "
                        "ORDER BY m.created_at, u.email", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_invitation,
                         (GDestroyNotify) confab_invitation_free, "Cannot list the invitations",
                         error);
}

gboolean
confab_store_drop_unused_invitee (ConfabStore  *store,
                                  const char   *user_id,
                                  GError      **error)
{
  STORE_HANDOFF (store, drop_unused_invitee, FALSE, error, user_id, error);

  g_return_val_if_fail (store != NULL, FALSE);

  return run_user_sql (store,
                       "DELETE FROM users WHERE id = ?1 AND password_hash = '' "
                       "AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = ?1) "
                       "AND EXISTS (SELECT 1 FROM setup_codes WHERE user_id = ?1 "
                       "AND kind = 'invitation')",
                       user_id, NULL, "Cannot delete the unused account", error);
}
