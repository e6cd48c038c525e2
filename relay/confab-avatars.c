/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatars.c: agents' avatar URLs, cached per user (see confab-avatars.h) */
#define G_LOG_DOMAIN "confab-avatars"

#include "confab-avatars.h"
#include "confab-store-chat.h"

static ConfabStore *avatar_store;
static GHashTable  *avatar_hashes;   /* user id → sha256, "" for none */

void
confab_avatars_set_store (ConfabStore *store)
{
  avatar_store = store;
  g_clear_pointer (&avatar_hashes, g_hash_table_unref);
  if (store != NULL)
    avatar_hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

char *
confab_avatar_url (const char *user_id)
{
  const char *sha256;

  if (avatar_store == NULL || user_id == NULL)
    return NULL;

  sha256 = g_hash_table_lookup (avatar_hashes, user_id);
  if (sha256 == NULL)
    {
      g_autoptr (GError) error = NULL;
      char *stored = confab_store_get_avatar (avatar_store, user_id, &error);

      if (error != NULL)
        {
          /* not cached: the next call asks again */
          g_warning ("Cannot read the avatar of %s: %s", user_id, error->message);
          return NULL;
        }
      sha256 = stored != NULL ? stored : g_strdup ("");
      g_hash_table_insert (avatar_hashes, g_strdup (user_id), (char *) sha256);
    }
  if (*sha256 == '\0')
    return NULL;
  return g_strdup_printf (CONFAB_AVATARS_PATH "/%s?v=%.16s", user_id, sha256);
}

void
confab_avatars_changed (const char *user_id,
                        const char *sha256)
{
  if (avatar_hashes != NULL)
    g_hash_table_insert (avatar_hashes, g_strdup (user_id), g_strdup (sha256 ? sha256 : ""));
}
