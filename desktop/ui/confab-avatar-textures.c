/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatar-textures.c: the agents' pictures as textures (see the header): each URL loaded
 * once — the rows that ask while it loads wait for the same load — and kept for the run, on the
 * account's client; the bytes come from confab-client-avatars.c (the cache directory, else the
 * relay). */
#define G_LOG_DOMAIN "confab-ui"

#include "confab-avatar-textures.h"
#include "confab-client-avatars.h"

typedef struct {
  GHashTable *textures;  /* URL → GdkTexture: a team's worth */
  GHashTable *pending;   /* URL → GPtrArray of Waiter: loads under way */
} Avatars;

typedef struct {
  GCancellable         *cancellable;
  ConfabTextureCallback callback;
  gpointer              user_data;
} Waiter;

typedef struct {
  ConfabClient  *client;
  char          *url;
} Load;

static void
waiter_free (Waiter *waiter)
{
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
}

static void
avatars_free (Avatars *avatars)
{
  g_hash_table_unref (avatars->textures);
  g_hash_table_unref (avatars->pending);
  g_free (avatars);
}

static Avatars *
avatars_of (ConfabClient *self)
{
  GQuark quark = g_quark_from_static_string ("confab-avatar-textures");
  Avatars *avatars = g_object_get_qdata (G_OBJECT (self), quark);

  if (avatars == NULL)
    {
      avatars = g_new0 (Avatars, 1);
      avatars->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
      avatars->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) g_ptr_array_unref);
      g_object_set_qdata_full (G_OBJECT (self), quark, avatars, (GDestroyNotify) avatars_free);
    }
  return avatars;
}

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Load *load = user_data;
  Avatars *avatars = avatars_of (load->client);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_fetch_avatar_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GPtrArray) waiters = NULL;
  gpointer key = NULL, value = NULL;

  if (bytes != NULL)
    texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture != NULL)
    g_hash_table_replace (avatars->textures, g_strdup (load->url), g_object_ref (texture));
  else
    g_debug ("No avatar picture: %s", error->message);
  if (g_hash_table_steal_extended (avatars->pending, load->url, &key, &value))
    {
      g_free (key);
      waiters = value;
    }
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (waiters, i);

      /* a row that was unbound meanwhile cancelled its wait */
      if (waiter->cancellable == NULL || !g_cancellable_is_cancelled (waiter->cancellable))
        waiter->callback (texture, waiter->user_data);
    }
  g_object_unref (load->client);
  g_free (load->url);
  g_free (load);
}

void
confab_avatar_textures_load (ConfabClient         *client,
                             const char           *user_id,
                             GCancellable         *cancellable,
                             ConfabTextureCallback callback,
                             gpointer              user_data)
{
  Avatars *avatars = avatars_of (client);
  g_autofree char *url = confab_client_dup_avatar_url (client, user_id);
  GdkTexture *texture;
  GPtrArray *waiters;
  Waiter *waiter;
  Load *load;

  if (url == NULL)
    {
      callback (NULL, user_data);
      return;
    }
  if ((texture = g_hash_table_lookup (avatars->textures, url)) != NULL)
    {
      callback (texture, user_data);
      return;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  waiter->callback = callback;
  waiter->user_data = user_data;
  if ((waiters = g_hash_table_lookup (avatars->pending, url)) != NULL)
    {
      g_ptr_array_add (waiters, waiter);
      return;
    }
  waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
  g_ptr_array_add (waiters, waiter);
  g_hash_table_insert (avatars->pending, g_strdup (url), waiters);
  load = g_new0 (Load, 1);
  load->client = g_object_ref (client);
  load->url = g_steal_pointer (&url);
  confab_client_fetch_avatar_async (client, load->url, NULL, fetched_cb, load);
}
