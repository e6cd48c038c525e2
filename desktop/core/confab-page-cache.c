/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-page-cache"

#include "confab-page-cache.h"

typedef struct {
  guint      index;
  GPtrArray *rows;
} Page;

struct _ConfabPageCache
{
  ConfabPageLoadFunc load;
  gpointer           user_data;
  GQueue             pages;   /* Page*, most recently used first; at most CONFAB_PAGE_COUNT */
};

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->rows);
  g_free (page);
}

ConfabPageCache *
confab_page_cache_new (ConfabPageLoadFunc load,
                       gpointer           user_data)
{
  ConfabPageCache *cache = g_new0 (ConfabPageCache, 1);

  cache->load = load;
  cache->user_data = user_data;
  g_queue_init (&cache->pages);
  return cache;
}

void
confab_page_cache_clear (ConfabPageCache *cache)
{
  g_queue_clear_full (&cache->pages, (GDestroyNotify) page_free);
}

void
confab_page_cache_free (ConfabPageCache *cache)
{
  confab_page_cache_clear (cache);
  g_free (cache);
}

gpointer
confab_page_cache_get (ConfabPageCache *cache,
                       guint            position)
{
  guint index = position / CONFAB_PAGE_SIZE;
  guint offset = position % CONFAB_PAGE_SIZE;
  Page *page = NULL;

  /* A list of 8 is searched faster than any hash table is maintained. */
  for (GList *l = cache->pages.head; l; l = l->next)
    if (((Page *) l->data)->index == index)
      {
        page = l->data;
        if (l != cache->pages.head)
          {
            g_queue_unlink (&cache->pages, l);
            g_queue_push_head_link (&cache->pages, l);
          }
        break;
      }

  if (page == NULL)
    {
      GPtrArray *rows = cache->load (index, cache->user_data);

      if (rows == NULL)
        return NULL;
      page = g_new0 (Page, 1);
      page->index = index;
      page->rows = rows;
      g_queue_push_head (&cache->pages, page);
      while (cache->pages.length > CONFAB_PAGE_COUNT)
        page_free (g_queue_pop_tail (&cache->pages));
    }

  if (offset >= page->rows->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (page->rows, offset));
}

GPtrArray *
confab_page_cache_peek (ConfabPageCache *cache,
                        guint            page)
{
  for (GList *l = cache->pages.head; l; l = l->next)
    if (((Page *) l->data)->index == page)
      return ((Page *) l->data)->rows;
  return NULL;
}

void
confab_page_cache_invalidate_from (ConfabPageCache *cache,
                                   guint            position)
{
  guint index = position / CONFAB_PAGE_SIZE;
  GList *l = cache->pages.head;

  while (l != NULL)
    {
      GList *next = l->next;
      Page *page = l->data;

      if (page->index >= index)
        {
          g_queue_delete_link (&cache->pages, l);
          page_free (page);
        }
      l = next;
    }
}

guint
confab_page_cache_n_loaded (ConfabPageCache *cache)
{
  guint n = 0;

  for (GList *l = cache->pages.head; l; l = l->next)
    n += ((Page *) l->data)->rows->len;
  return n;
}
