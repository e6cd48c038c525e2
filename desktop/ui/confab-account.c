/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-account.c: one account's cache, client, thumbnails and canned responses. */
#define G_LOG_DOMAIN "confab-ui"

#include "confab-account.h"
#include "confab-client-http.h"

/* Thumbnails kept as textures: what a few screens of a chat show; the rest is in SQLite. */
#define MAX_TEXTURES 128

struct _ConfabAccount
{
  GObject       parent_instance;

  char         *relay_url;
  char         *email;
  ConfabCache  *cache;
  ConfabClient *client;
  GHashTable   *textures;   /* upload id → GdkTexture */
  GQueue        texture_order;
  GHashTable   *canned;     /* site id → JsonArray (NULL value: being fetched) */
};

G_DEFINE_FINAL_TYPE (ConfabAccount, confab_account, G_TYPE_OBJECT)

/* NULL values stand for "being fetched" */
static void
canned_free (gpointer array)
{
  if (array != NULL)
    json_array_unref (array);
}

static void
confab_account_finalize (GObject *object)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  if (self->client != NULL)
    confab_client_stop (self->client);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_hash_table_unref (self->textures);
  g_queue_clear_full (&self->texture_order, g_free);
  g_hash_table_unref (self->canned);
  g_free (self->relay_url);
  g_free (self->email);
  G_OBJECT_CLASS (confab_account_parent_class)->finalize (object);
}

static void
confab_account_class_init (ConfabAccountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_account_finalize;
}

static void
confab_account_init (ConfabAccount *self)
{
  self->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->canned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, canned_free);
}

/* An admin changed the site's canned responses: the relay pushes the whole list, so the
 * composer has the new ones at the next "/" without a restart. */
static void
on_canned_changed (ConfabAccount *self,
                   const char    *site_id,
                   JsonArray     *canned)
{
  if (site_id != NULL && canned != NULL)
    g_hash_table_replace (self->canned, g_strdup (site_id), json_array_ref (canned));
}

ConfabAccount *
confab_account_new (const char  *relay_url,
                    const char  *email,
                    GError     **error)
{
  g_autoptr (ConfabAccount) self = g_object_new (CONFAB_TYPE_ACCOUNT, NULL);
  g_autofree char *path = confab_cache_default_path (relay_url, email);

  self->relay_url = g_strdup (relay_url);
  self->email = g_strdup (email);
  self->cache = confab_cache_new (path, error);
  if (self->cache == NULL)
    return NULL;
  confab_cache_set_meta (self->cache, "relay_url", relay_url, NULL);
  confab_cache_set_meta (self->cache, "email", email, NULL);
  self->client = confab_client_new (self->cache, relay_url);
  g_signal_connect_object (self->client, "canned-changed", G_CALLBACK (on_canned_changed), self,
                           G_CONNECT_SWAPPED);
  return g_steal_pointer (&self);
}

const char *
confab_account_get_relay_url (ConfabAccount *self)
{
  return self->relay_url;
}

const char *
confab_account_get_email (ConfabAccount *self)
{
  return self->email;
}

ConfabCache *
confab_account_get_cache (ConfabAccount *self)
{
  return self->cache;
}

ConfabClient *
confab_account_get_client (ConfabAccount *self)
{
  return self->client;
}

char *
confab_account_dup_key (ConfabAccount *self)
{
  return g_strdup_printf ("%s\n%s", self->relay_url, self->email);
}

/* ----------------------------------------------------------- thumbnails --- */

typedef struct {
  ConfabAccount        *self;
  char                 *upload_id;
  ConfabTextureCallback callback;
  gpointer              user_data;
} Load;

static void
remember_texture (ConfabAccount *self,
                  const char    *upload_id,
                  GdkTexture    *texture)
{
  if (g_hash_table_contains (self->textures, upload_id))
    return;
  g_hash_table_insert (self->textures, g_strdup (upload_id), g_object_ref (texture));
  g_queue_push_tail (&self->texture_order, g_strdup (upload_id));
  while (g_queue_get_length (&self->texture_order) > MAX_TEXTURES)
    {
      g_autofree char *oldest = g_queue_pop_head (&self->texture_order);
      g_hash_table_remove (self->textures, oldest);
    }
}

static void
thumbnail_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_fetch_upload_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (GdkTexture) texture = NULL;

  if (bytes != NULL)
    texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture != NULL)
    remember_texture (load->self, load->upload_id, texture);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("No thumbnail for an image: %s", error->message);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    load->callback (texture, load->user_data);
  g_object_unref (load->self);
  g_free (load->upload_id);
  g_free (load);
}

void
confab_account_load_thumbnail (ConfabAccount        *self,
                               const char           *upload_id,
                               GCancellable         *cancellable,
                               ConfabTextureCallback callback,
                               gpointer              user_data)
{
  GdkTexture *texture = g_hash_table_lookup (self->textures, upload_id);
  Load *load;

  if (texture != NULL)
    {
      callback (texture, user_data);
      return;
    }
  load = g_new0 (Load, 1);
  load->self = g_object_ref (self);
  load->upload_id = g_strdup (upload_id);
  load->callback = callback;
  load->user_data = user_data;
  confab_client_fetch_upload_async (self->client, upload_id, TRUE, cancellable, thumbnail_cb, load);
}

/* --------------------------------------------------------------- canned --- */

typedef struct {
  ConfabAccount *self;
  char          *site_id;
} Canned;

static void
canned_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Canned *canned = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *list = answer != NULL ? json_object_get_member (answer, "canned") : NULL;

  if (list != NULL && JSON_NODE_HOLDS_ARRAY (list))
    g_hash_table_replace (canned->self->canned, g_strdup (canned->site_id),
                          json_array_ref (json_node_get_array (list)));
  else
    {
      /* fetched again next time it is asked for */
      g_hash_table_remove (canned->self->canned, canned->site_id);
      if (error != NULL)
        g_message ("No canned responses: %s", error->message);
    }
  g_object_unref (canned->self);
  g_free (canned->site_id);
  g_free (canned);
}

JsonArray *
confab_account_get_canned (ConfabAccount *self,
                           const char    *site_id)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Canned *canned;

  if (site_id == NULL)
    return NULL;
  if (g_hash_table_contains (self->canned, site_id))
    return g_hash_table_lookup (self->canned, site_id);
  if (confab_client_get_state (self->client) != CONFAB_CLIENT_ONLINE)
    return NULL;

  g_hash_table_insert (self->canned, g_strdup (site_id), NULL);
  escaped = g_uri_escape_string (site_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/sites/%s/canned", escaped);
  canned = g_new0 (Canned, 1);
  canned->self = g_object_ref (self);
  canned->site_id = g_strdup (site_id);
  confab_client_get_json_async (self->client, path, NULL, canned_cb, canned);
  return NULL;
}
