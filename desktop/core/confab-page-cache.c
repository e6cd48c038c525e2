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

GPtrArray *
confab_page_cache_dup_prefix (ConfabPageCache *cache)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint index = 0;; index++)
    {
      GPtrArray *page = confab_page_cache_peek (cache, index);

      if (page == NULL)
        break;
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (rows, g_object_ref (page->pdata[i]));
      if (page->len < CONFAB_PAGE_SIZE)
        break;
    }
  return rows;
}

void
confab_page_cache_set_prefix (ConfabPageCache *cache,
                              GPtrArray       *rows,
                              gboolean         whole)
{
  confab_page_cache_clear (cache);
  for (guint index = 0; index < CONFAB_PAGE_COUNT; index++)
    {
      guint first = index * CONFAB_PAGE_SIZE;
      guint len = MIN (CONFAB_PAGE_SIZE, rows->len - MIN (first, rows->len));
      Page *page;

      if (len == 0 && !(whole && index == 0))
        break;
      if (len < CONFAB_PAGE_SIZE && !whole)
        break;
      page = g_new0 (Page, 1);
      page->index = index;
      page->rows = g_ptr_array_new_full (len, g_object_unref);
      for (guint i = 0; i < len; i++)
        g_ptr_array_add (page->rows, g_object_ref (rows->pdata[first + i]));
      /* the first rows are the ones used last: a list view shows them now */
      g_queue_push_tail (&cache->pages, page);
      if (len < CONFAB_PAGE_SIZE)
        break;
    }
}
