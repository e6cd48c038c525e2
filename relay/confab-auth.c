/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-auth"

#include "confab-auth.h"
#include "confab-util.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

static char *dummy_hash;

gboolean
confab_auth_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "libsodium could not be initialised");
      return FALSE;
    }

  return TRUE;
}

char *
confab_auth_hash_password (const char  *password,
                           GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (hash, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                           "Not enough memory to hash the password");
      return NULL;
    }

  return g_strdup (hash);
}

gboolean
confab_auth_verify_password (const char *hash,
                             const char *password)
{
  if (hash == NULL || password == NULL)
    return FALSE;

  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

void
confab_auth_verify_dummy (const char *password)
{
  if (dummy_hash == NULL)
    {
      g_autofree char *random = confab_random_token (16);
      dummy_hash = confab_auth_hash_password (random, NULL);
    }

  (void) confab_auth_verify_password (dummy_hash, password);
}

char *
confab_auth_new_token (void)
{
  g_autofree char *random = confab_random_token (32);

  return g_strconcat ("cft_", random, NULL);
}

char *
confab_auth_new_visitor_token (void)
{
  g_autofree char *random = confab_random_token (32);

  return g_strconcat ("cvt_", random, NULL);
}
