/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-site-cache.c: the store's read-through cache of site rows, forgotten on any change to the sites table */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* Reading a site (and parsing its settings) once per message showed up in profiles (issue 12),
 * and sites change rarely. Every write to the sites table through this connection forgets the
 * whole cache (SQLite's update hook, so a new UPDATE or DELETE elsewhere in the store cannot
 * forget to), and so does every rollback (the cache may hold a row read inside the transaction
 * that was undone). The admin CLI only ever adds sites, which a cache keyed by id cannot hold
 * stale; but another relay on the same database changes them too, unseen by this connection's
 * hook: it says so on the Redis bus, and the hub calls confab_store_forget_cached_sites(). */

static ConfabSite *
site_copy (const ConfabSite *site)
{
  ConfabSite *copy = g_new0 (ConfabSite, 1);

  copy->id = g_strdup (site->id);
  copy->name = g_strdup (site->name);
  copy->site_key = g_strdup (site->site_key);
  copy->domains = g_strdupv (site->domains);
  copy->settings_json = g_strdup (site->settings_json);
  copy->enabled = site->enabled;
  copy->created_at = site->created_at;
  copy->role = site->role;
  return copy;
}

static void
on_row_changed (gpointer       user_data,
                int            operation,
                const char    *database,
                const char    *table,
                sqlite3_int64  rowid)
{
  if (strcmp (table, "sites") == 0)
    store_forget_sites (user_data);
}

void
store_site_cache_init (ConfabStore *store)
{
  store->sites = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) confab_site_free);
  store->site_targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_update_hook (store->db, on_row_changed, store);
}

void
store_site_cache_clear (ConfabStore *store)
{
  if (store->sites == NULL)
    return;
  if (store->db != NULL)
    sqlite3_update_hook (store->db, NULL, NULL);
  g_clear_pointer (&store->sites, g_hash_table_unref);
  g_clear_pointer (&store->site_targets, g_hash_table_unref);
}

/* The one invalidation: called for every change to a site row, and after a rollback. */
void
store_forget_sites (ConfabStore *store)
{
  if (store->sites != NULL)
    g_hash_table_remove_all (store->sites);
  if (store->site_targets != NULL)
    g_hash_table_remove_all (store->site_targets);
}

void
confab_store_forget_cached_sites (ConfabStore *store)
{
  g_return_if_fail (store != NULL);
  store_forget_sites (store);
}

/* A copy of the cached site, or NULL when it is not cached. */
ConfabSite *
store_site_cache_lookup (ConfabStore *store,
                         const char  *site_id)
{
  const ConfabSite *site;

  if (store->sites == NULL || site_id == NULL)
    return NULL;
  site = g_hash_table_lookup (store->sites, site_id);
  return site != NULL ? site_copy (site) : NULL;
}

void
store_site_cache_add (ConfabStore      *store,
                      const ConfabSite *site)
{
  ConfabSite *copy;

  if (store->sites == NULL)
    return;
  copy = site_copy (site);
  copy->role = CONFAB_ROLE_NONE;
  g_hash_table_replace (store->sites, copy->id, copy);
}
