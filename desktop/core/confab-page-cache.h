/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-page-cache.h: the windowed loading behind the list models.
 *
 * A list asks for one position at a time (GListModel.get_item()); this loads the page around it
 * through a callback and keeps the few pages used last, so that a 100,000-row list costs the
 * rows on screen and a little around them, never the whole history. Not a GObject: a part of
 * the models, private to desktop/core. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_PAGE_SIZE  64
#define CONFAB_PAGE_COUNT 8   /* pages kept: 512 rows, more than any screen shows */

/* Loads the rows [@page * CONFAB_PAGE_SIZE, ... + CONFAB_PAGE_SIZE) (fewer at the end) as
 * GObjects, in order; NULL on failure. */
typedef GPtrArray *(*ConfabPageLoadFunc) (guint    page,
                                          gpointer user_data);

typedef struct _ConfabPageCache ConfabPageCache;

ConfabPageCache *confab_page_cache_new            (ConfabPageLoadFunc load,
                                                   gpointer           user_data);
void             confab_page_cache_free           (ConfabPageCache   *cache);
/* A new reference to the row at @position, or NULL when it could not be loaded. */
gpointer         confab_page_cache_get            (ConfabPageCache   *cache,
                                                   guint              position);
/* Forgets the pages from the one holding @position on (rows there moved). */
void             confab_page_cache_invalidate_from (ConfabPageCache  *cache,
                                                   guint              position);
/* The rows of page @page when it is loaded (no load, no LRU change), else NULL. */
GPtrArray       *confab_page_cache_peek           (ConfabPageCache   *cache,
                                                   guint              page);
/* The rows of the pages loaded from the first one on, up to the first page missing or short
 * (the list's end), in order: a new array holding new references. */
GPtrArray       *confab_page_cache_dup_prefix     (ConfabPageCache   *cache);
/* Forgets every page and holds @rows as the list's first rows instead: as pages of
 * CONFAB_PAGE_SIZE, the last short one only when @whole (@rows are the whole list). */
void             confab_page_cache_set_prefix     (ConfabPageCache   *cache,
                                                   GPtrArray         *rows,
                                                   gboolean           whole);
void             confab_page_cache_clear          (ConfabPageCache   *cache);
guint            confab_page_cache_n_loaded       (ConfabPageCache   *cache);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPageCache, confab_page_cache_free)

G_END_DECLS
