/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-team.h: first sign-in with a setup code, one's own name and password, password
 * resets and pending invitations (confab-api-team.c). */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* The answer of a successful sign-in: a new token and the user (200). */
void     confab_api_answer_login        (ConfabRelay       *relay,
                                         SoupServerMessage *msg,
                                         ConfabUser        *user);
/* POST /api/v1/auth/setup (no token). */
void     confab_api_auth_setup          (ConfabRelay       *relay,
                                         SoupServerMessage *msg);
/* PATCH /api/v1/me */
void     confab_api_me_patch            (ConfabApiCall     *call);
/* POST /api/v1/me/password; @token_hash: the caller's, which stays valid. */
void     confab_api_me_password         (ConfabApiCall     *call,
                                         const char        *token_hash);
/* POST /api/v1/sites/{id}/members/{user_id}/reset, the caller being an admin or owner. */
void     confab_api_member_reset        (ConfabApiCall     *call,
                                         ConfabSite        *site,
                                         const char        *user_id);
/* GET /api/v1/sites/{id}/invitations */
void     confab_api_site_invitations    (ConfabApiCall     *call,
                                         ConfabSite        *site,
                                         char             **rest);
/* A new setup code for @user_id: the code (to show once) and its hash; the expiry in ms. */
char    *confab_api_new_setup_code      (ConfabRelay       *relay,
                                         char             **out_hash,
                                         gint64            *out_expires_at);

G_END_DECLS
