/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-secrets.c: ConfabSecrets through a real Secret Service. Run by
 * tests/run-with-keyring.sh, which gives it a private D-Bus session and gnome-keyring. */
#define G_LOG_DOMAIN "test-desktop-secrets"

#include <libsecret/secret.h>

#include "confab-secrets.h"

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static char *
lookup (const char *relay,
        const char *email)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  char *token;

  confab_secrets_lookup_async (relay, email, NULL, keep_result, &result);
  token = confab_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  return token;
}

static void
store (const char *relay,
       const char *email,
       const char *token)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  confab_secrets_store_async (relay, email, token, NULL, keep_result, &result);
  g_assert_true (confab_secrets_store_finish (wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
clear (const char *relay,
       const char *email)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  confab_secrets_clear_async (relay, email, NULL, keep_result, &result);
  g_assert_true (confab_secrets_clear_finish (wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
test_round_trip (void)
{
  g_autofree char *none = lookup ("http://127.0.0.1:8080", "ann@a.test");
  g_autofree char *first = NULL;
  g_autofree char *replaced = NULL;
  g_autofree char *other = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *kept = NULL;
  g_auto (GStrv) accounts = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (none);

  store ("http://127.0.0.1:8080", "ann@a.test", "token-one");
  first = lookup ("http://127.0.0.1:8080", "ann@a.test");
  g_assert_cmpstr (first, ==, "token-one");

  /* same account: replaced, not added */
  store ("http://127.0.0.1:8080", "ann@a.test", "token-two");
  replaced = lookup ("http://127.0.0.1:8080", "ann@a.test");
  g_assert_cmpstr (replaced, ==, "token-two");

  /* several accounts: told apart by relay and email */
  store ("https://chat.example.org", "ann@a.test", "token-three");
  other = lookup ("https://chat.example.org", "ann@a.test");
  g_assert_cmpstr (other, ==, "token-three");

  confab_secrets_list_async (NULL, keep_result, &result);
  accounts = confab_secrets_list_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (accounts), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) accounts,
                                  "http://127.0.0.1:8080\nann@a.test"));
  g_assert_true (g_strv_contains ((const char * const *) accounts,
                                  "https://chat.example.org\nann@a.test"));

  /* sign out removes that account's token only */
  clear ("http://127.0.0.1:8080", "ann@a.test");
  gone = lookup ("http://127.0.0.1:8080", "ann@a.test");
  g_assert_null (gone);
  kept = lookup ("https://chat.example.org", "ann@a.test");
  g_assert_cmpstr (kept, ==, "token-three");

  /* clearing what is not there is not an error */
  clear ("http://127.0.0.1:8080", "ann@a.test");
}

static gboolean
has_default_keyring (void)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gboolean has;

  confab_secrets_has_default_keyring_async (NULL, keep_result, &result);
  has = confab_secrets_has_default_keyring_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  return has;
}

/* The app explains the keyring prompt before the first store when there is no default
 * keyring (issue 14): the test's login keyring is the default; without the alias (a desktop
 * that never made one) there is none. */
static void
test_default_keyring (void)
{
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_LOAD_COLLECTIONS, NULL, NULL);
  g_autoptr (SecretCollection) login = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (service);
  g_assert_true (has_default_keyring ());
  login = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE,
                                            NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (login);

  g_assert_true (secret_service_set_alias_sync (service, SECRET_COLLECTION_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (has_default_keyring ());

  /* back as it was */
  g_assert_true (secret_service_set_alias_sync (service, SECRET_COLLECTION_DEFAULT, login, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (has_default_keyring ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/secrets/round-trip", test_round_trip);
  g_test_add_func ("/desktop/secrets/default-keyring", test_default_keyring);
  return g_test_run ();
}
