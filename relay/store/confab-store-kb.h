/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-kb.h: the knowledge base — a site's help articles (issue 16) */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef struct {
  char     *id;
  char     *site_id;
  char     *slug;       /* unique per site: the help centre's /help/{site_key}/{slug} */
  char     *title;
  char     *body;       /* Markdown */
  char     *category;   /* "" for none */
  char     *language;   /* a BCP 47 tag */
  gboolean  published;  /* drafts are the team's only */
  gint64    created_at;
  gint64    updated_at;
} ConfabArticle;

void confab_article_free (ConfabArticle *article);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabArticle, confab_article_free)

/* What a create or an update sets: NULL strings (and published < 0) leave a field as it is. */
typedef struct {
  const char *slug;
  const char *title;
  const char *body;
  const char *category;
  const char *language;
  int         published; /* 0, 1, or -1 for unchanged */
} ConfabArticleDraft;

/* EXISTS: the site has an article with this slug. */
ConfabArticle *confab_store_create_article     (ConfabStore              *store,
                                                const char               *site_id,
                                                const ConfabArticleDraft *draft,
                                                GError                  **error);
ConfabArticle *confab_store_get_article        (ConfabStore              *store,
                                                const char               *article_id,
                                                GError                  **error); /* NOT_FOUND */
/* NOT_FOUND also for a draft when @published_only. */
ConfabArticle *confab_store_get_article_by_slug (ConfabStore             *store,
                                                const char               *site_id,
                                                const char               *slug,
                                                gboolean                  published_only,
                                                GError                  **error);
/* By category, then title. Element type: ConfabArticle*. */
GPtrArray     *confab_store_list_articles      (ConfabStore              *store,
                                                const char               *site_id,
                                                gboolean                  published_only,
                                                GError                  **error);
/* Whether the site has a published article: one index lookup (the widget config asks). */
gboolean       confab_store_has_published_articles (ConfabStore          *store,
                                                const char               *site_id,
                                                gboolean                 *out_has,
                                                GError                  **error);
/* NOT_FOUND, EXISTS (slug taken). */
ConfabArticle *confab_store_update_article     (ConfabStore              *store,
                                                const char               *article_id,
                                                const ConfabArticleDraft *draft,
                                                GError                  **error);
gboolean       confab_store_delete_article     (ConfabStore              *store,
                                                const char               *article_id,
                                                GError                  **error); /* NOT_FOUND */
/* The site's articles matching the FTS5 query @match (built by the caller from quoted terms
 * only), best bm25 first, the title weighted above the category and body. */
GPtrArray     *confab_store_search_articles    (ConfabStore              *store,
                                                const char               *site_id,
                                                const char               *match,
                                                gboolean                  published_only,
                                                guint                     limit,
                                                GError                  **error);

G_END_DECLS
