/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-kb.c: the SQLite store's knowledge base articles with their full-text index
 * (see confab-store-kb.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-kb.h"
#include "confab-store-private.h"

#define ARTICLE_COLUMNS "a.id, a.site_id, a.slug, a.title, a.body, a.category, a.language, " \
                        "a.published, a.created_at, a.updated_at"

void
confab_article_free (ConfabArticle *article)
{
  if (article == NULL)
    return;
  g_free (article->id);
  g_free (article->site_id);
  g_free (article->slug);
  g_free (article->title);
  g_free (article->body);
  g_free (article->category);
  g_free (article->language);
  g_free (article);
}

static ConfabArticle *
read_article (sqlite3_stmt *stmt)
{
  ConfabArticle *article = g_new0 (ConfabArticle, 1);

  article->id = store_column_dup (stmt, 0);
  article->site_id = store_column_dup (stmt, 1);
  article->slug = store_column_dup (stmt, 2);
  article->title = store_column_dup (stmt, 3);
  article->body = store_column_dup (stmt, 4);
  article->category = store_column_dup (stmt, 5);
  article->language = store_column_dup (stmt, 6);
  article->published = sqlite3_column_int (stmt, 7) != 0;
  article->created_at = sqlite3_column_int64 (stmt, 8);
  article->updated_at = sqlite3_column_int64 (stmt, 9);
  return article;
}

/* A taken slug says so in words a user can act on. */
static void
set_article_error (ConfabStore *store,
                   GError     **error,
                   int          rc,
                   const char  *what)
{
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has an article with this slug");
  else
    store_set_sqlite_error (store, error, rc, what);
}

ConfabArticle *
confab_store_create_article (ConfabStore              *store,
                             const char               *site_id,
                             const ConfabArticleDraft *draft,
                             GError                  **error)
{
  STORE_HANDOFF (store, create_article, NULL, error, site_id, draft, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("art_");
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (draft->slug != NULL && draft->title != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO kb_articles (id, site_id, slug, title, body, category, language, "
                        "published, created_at, updated_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, draft->slug);
  store_bind_text (stmt, 4, draft->title);
  store_bind_text (stmt, 5, draft->body ? draft->body : "");
  store_bind_text (stmt, 6, draft->category ? draft->category : "");
  store_bind_text (stmt, 7, draft->language ? draft->language : "en");
  sqlite3_bind_int (stmt, 8, draft->published > 0 ? 1 : 0);
  sqlite3_bind_int64 (stmt, 9, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_article_error (store, error, rc, "Cannot store the article");
      return NULL;
    }

  return confab_store_get_article (store, id, error);
}

ConfabArticle *
confab_store_get_article (ConfabStore *store,
                          const char  *article_id,
                          GError     **error)
{
  STORE_HANDOFF (store, get_article, NULL, error, article_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " ARTICLE_COLUMNS " FROM kb_articles a WHERE a.id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, article_id);
  if (!store_step_row (store, stmt, "article", article_id, error))
    return NULL;
  return read_article (stmt);
}

ConfabArticle *
confab_store_get_article_by_slug (ConfabStore *store,
                                  const char  *site_id,
                                  const char  *slug,
                                  gboolean     published_only,
                                  GError     **error)
{
  STORE_HANDOFF (store, get_article_by_slug, NULL, error, site_id, slug, published_only, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " ARTICLE_COLUMNS " FROM kb_articles a "
                        "WHERE a.site_id = ?1 AND a.slug = ?2 AND (a.published OR NOT ?3)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, slug);
  sqlite3_bind_int (stmt, 3, published_only ? 1 : 0);
  if (!store_step_row (store, stmt, "article", slug, error))
    return NULL;
  return read_article (stmt);
}

GPtrArray *
confab_store_list_articles (ConfabStore *store,
                            const char  *site_id,
                            gboolean     published_only,
                            GError     **error)
{
  STORE_HANDOFF (store, list_articles, NULL, error, site_id, published_only, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " ARTICLE_COLUMNS " FROM kb_articles a "
                        "WHERE a.site_id = ?1 AND (a.published OR NOT ?2) "
                        "ORDER BY a.category, a.title, a.n", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int (stmt, 2, published_only ? 1 : 0);
  return store_read_all (store, stmt, (gpointer) read_article, (GDestroyNotify) confab_article_free,
                         "Cannot list the articles", error);
}

gboolean
confab_store_has_published_articles (ConfabStore *store,
                                     const char  *site_id,
                                     gboolean    *out_has,
                                     GError     **error)
{
  STORE_HANDOFF (store, has_published_articles, FALSE, error, site_id, out_has, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_has = FALSE;
  stmt = store_prepare (store,
                        "SELECT EXISTS (SELECT 1 FROM kb_articles WHERE site_id = ?1 AND published)",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, site_id);
  if (!store_step_row (store, stmt, "site", site_id, error))
    return FALSE;
  *out_has = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

ConfabArticle *
confab_store_update_article (ConfabStore              *store,
                             const char               *article_id,
                             const ConfabArticleDraft *draft,
                             GError                  **error)
{
  STORE_HANDOFF (store, update_article, NULL, error, article_id, draft, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE kb_articles SET slug = coalesce(?2, slug), title = coalesce(?3, title), "
                        "body = coalesce(?4, body), category = coalesce(?5, category), "
                        "language = coalesce(?6, language), "
                        "published = CASE WHEN ?7 < 0 THEN published ELSE ?7 END, "
                        "updated_at = ?8 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, article_id);
  store_bind_text (stmt, 2, draft->slug);
  store_bind_text (stmt, 3, draft->title);
  store_bind_text (stmt, 4, draft->body);
  store_bind_text (stmt, 5, draft->category);
  store_bind_text (stmt, 6, draft->language);
  sqlite3_bind_int (stmt, 7, draft->published < 0 ? -1 : draft->published > 0);
  sqlite3_bind_int64 (stmt, 8, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_article_error (store, error, rc, "Cannot update the article");
      return NULL;
    }
  if (!store_not_found_if_unchanged (store, "article", article_id, error))
    return NULL;

  return confab_store_get_article (store, article_id, error);
}

gboolean
confab_store_delete_article (ConfabStore *store,
                             const char  *article_id,
                             GError     **error)
{
  STORE_HANDOFF (store, delete_article, FALSE, error, article_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM kb_articles WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, article_id);
  return store_step_done (store, stmt, "Cannot delete the article", error) &&
         store_not_found_if_unchanged (store, "article", article_id, error);
}

GPtrArray *
confab_store_search_articles (ConfabStore *store,
                              const char  *site_id,
                              const char  *match,
                              gboolean     published_only,
                              guint        limit,
                              GError     **error)
{
  STORE_HANDOFF (store, search_articles, NULL, error, site_id, match, published_only, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (match != NULL, NULL);

  /* bm25 weights: title 5, body 1, category 2 */
  stmt = store_prepare (store,
                        "SELECT " ARTICLE_COLUMNS " FROM kb_articles_fts "
                        "JOIN kb_articles a ON a.n = kb_articles_fts.rowid "
                        "WHERE kb_articles_fts MATCH ?1 AND a.site_id = ?2 AND (a.published OR NOT ?3) "
                        "ORDER BY bm25(kb_articles_fts, 5.0, 1.0, 2.0), a.n LIMIT ?4", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, match);
  store_bind_text (stmt, 2, site_id);
  sqlite3_bind_int (stmt, 3, published_only ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer) read_article, (GDestroyNotify) confab_article_free,
                         "Cannot search the articles", error);
}
