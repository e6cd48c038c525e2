/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-auth.h: password hashes and bearer tokens */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Once, before any other call: initialises libsodium. */
gboolean  confab_auth_init              (GError     **error);

/* argon2id (libsodium crypto_pwhash_str, interactive limits). NULL with @error on failure. */
char     *confab_auth_hash_password     (const char  *password,
                                         GError     **error);
gboolean  confab_auth_verify_password   (const char  *hash,
                                         const char  *password);
/* Spends the same time as a real verification, so that unknown accounts answer no faster. */
void      confab_auth_verify_dummy      (const char  *password);

/* A new bearer token ("cft_" + 43 characters); store only confab_sha256_hex() of it. */
char     *confab_auth_new_token         (void);
/* A new visitor token ("cvt_" + 43 characters). */
char     *confab_auth_new_visitor_token (void);

/* Passwords shorter than this are refused when accounts are made. */
#define CONFAB_AUTH_MIN_PASSWORD_LENGTH 8

/* The name visitors see for a person who gave none (admin create-user without --name, a first
 * sign-in with a setup code without "name"). */
#define CONFAB_DEFAULT_AGENT_NAME "Support"

G_END_DECLS
