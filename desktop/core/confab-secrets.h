/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-secrets.h: session tokens in the keyring (libsecret, the Secret Service).
 *
 * One item per account, schema "chat.confab.Confab.Token" with the attributes "relay" (the
 * relay URL) and "email". Nothing secret is ever written anywhere else. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Saves (or replaces) the token of @relay_url + @email. */
void      confab_secrets_store_async    (const char          *relay_url,
                                         const char          *email,
                                         const char          *token,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean  confab_secrets_store_finish   (GAsyncResult        *result,
                                         GError             **error);
/* The token, or NULL without error when there is none (first start, signed out). */
void      confab_secrets_lookup_async   (const char          *relay_url,
                                         const char          *email,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
char     *confab_secrets_lookup_finish  (GAsyncResult        *result,
                                         GError             **error);
/* Removes it (sign out); TRUE also when there was none. */
void      confab_secrets_clear_async    (const char          *relay_url,
                                         const char          *email,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean  confab_secrets_clear_finish   (GAsyncResult        *result,
                                         GError             **error);
/* The accounts with a saved token, as "relay\nemail" strings (for "next start signs in
 * silently" with several accounts). */
void      confab_secrets_list_async     (GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GStrv     confab_secrets_list_finish    (GAsyncResult        *result,
                                         GError             **error);

/* Whether the Secret Service has a default keyring: without one (a first start outside a
 * GNOME session), the first store makes the desktop ask the user to choose a password for a
 * new keyring — the app says why first. FALSE with @error when there is no Secret Service. */
void      confab_secrets_has_default_keyring_async  (GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean  confab_secrets_has_default_keyring_finish (GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
