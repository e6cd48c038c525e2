/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-team.h: invited accounts, setup codes and passwords (confab-store-team.c).
 *
 * An account made by an invitation, or whose password an admin reset, has password_hash ""
 * (no password verifies against it) and a one-time setup code, of which only the SHA-256 is
 * stored. Using the code sets the password and deletes the code. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef struct {
  char       *user_id;
  char       *email;
  char       *name;
  ConfabRole  role;        /* on the listed site */
  char       *kind;        /* "invitation" or "reset" */
  char       *created_by;  /* user id; NULL when unknown */
  gint64      created_at;
  gint64      expires_at;
} ConfabInvitation;

void confab_invitation_free (ConfabInvitation *invitation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabInvitation, confab_invitation_free)

/* TRUE while the account has no password (invited, or reset and not set up again). */
gboolean     confab_user_is_pending            (const ConfabUser *user);

/* A new account for @email without a password, member of @site_id as @role, with the setup
 * code @code_hash: all or nothing. CONFAB_STORE_ERROR_EXISTS when the address is taken. */
ConfabUser  *confab_store_invite_user          (ConfabStore  *store,
                                                const char   *email,
                                                const char   *site_id,
                                                ConfabRole    role,
                                                const char   *code_hash,
                                                const char   *created_by,
                                                gint64        expires_at,
                                                GError      **error);
/* The account's setup code: its hash and expiry. FALSE (NOT_FOUND) when it has none. */
gboolean     confab_store_get_setup_code       (ConfabStore  *store,
                                                const char   *user_id,
                                                char        **out_code_hash,
                                                gint64       *out_expires_at,
                                                GError      **error);
/* Uses the code: deletes it when it is still @code_hash and valid at @now, sets the password
 * (and the name unless NULL), and revokes every token of the account. NOT_FOUND when the code
 * was used or replaced meanwhile. */
gboolean     confab_store_complete_setup       (ConfabStore  *store,
                                                const char   *user_id,
                                                const char   *code_hash,
                                                gint64        now,
                                                const char   *password_hash,
                                                const char   *name,
                                                GError      **error);
/* Removes the password, revokes every token and gives the account the new setup code of
 * @kind ("reset", or "invitation" for an account that never had a password). The revoked
 * tokens' hashes go to @out_revoked (char*), for closing their sockets. */
gboolean     confab_store_reset_password       (ConfabStore  *store,
                                                const char   *user_id,
                                                const char   *kind,
                                                const char   *site_id,
                                                const char   *code_hash,
                                                const char   *created_by,
                                                gint64        expires_at,
                                                GPtrArray   **out_revoked,
                                                GError      **error);
/* Sets the password and revokes every token of the account but @keep_token_hash; the
 * revoked hashes go to @out_revoked (char*). */
gboolean     confab_store_set_password         (ConfabStore  *store,
                                                const char   *user_id,
                                                const char   *password_hash,
                                                const char   *keep_token_hash,
                                                GPtrArray   **out_revoked,
                                                GError      **error);
gboolean     confab_store_set_user_name        (ConfabStore  *store,
                                                const char   *user_id,
                                                const char   *name,
                                                GError      **error);
/* Members of @site_id whose account has no password yet (ConfabInvitation*), oldest first. */
GPtrArray   *confab_store_list_invitations     (ConfabStore  *store,
                                                const char   *site_id,
                                                GError      **error);
/* Deletes the account when it never had a password and is a member of no site any more: an
 * invitation withdrawn leaves nothing behind. */
gboolean     confab_store_drop_unused_invitee  (ConfabStore  *store,
                                                const char   *user_id,
                                                GError      **error);

G_END_DECLS
