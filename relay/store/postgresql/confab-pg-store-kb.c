/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-kb.c: the PostgreSQL store's knowledge base articles with their search, and
 * the FAQs' synonyms (issue 16; the SQLite twins are sqlite/confab-store-kb.c and
 * sqlite/confab-store-faq.c).
 *
 * kb_articles.search is SQLite's kb_articles_fts: a generated tsvector (schema v15: 'english'
 * over confab_fold (), as FTS5's porter unicode61 remove_diacritics 2 stems and folds), title
 * weighted A, category B, body C.
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-store-kb.h"

#define ARTICLE_COLUMNS "a.id, a.site_id, a.slug, a.title, a.body, a.category, a.language, " \
                        "a.published, a.created_at, a.updated_at"

static ConfabArticle *
read_article (PGresult *result,
              int       row)
{
  ConfabArticle *article = g_new0 (ConfabArticle, 1);

  article->id = pg_dup (result, row, 0);
  article->site_id = pg_dup (result, row, 1);
  article->slug = pg_dup (result, row, 2);
  article->title = pg_dup (result, row, 3);
  article->body = pg_dup (result, row, 4);
  article->category = pg_dup (result, row, 5);
  article->language = pg_dup (result, row, 6);
  article->published = pg_boolean (result, row, 7);
  article->created_at = pg_integer (result, row, 8);
  article->updated_at = pg_integer (result, row, 9);
  return article;
}

static GPtrArray *
read_articles (PGresult *result)
{
  GPtrArray *articles = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_article_free);

  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (articles, read_article (result, i));
  return articles;
}

/* A taken slug says so in the words SQLite's store uses: the API shows them to the user. */
static void
article_error (GError **error)
{
  if (error != NULL && g_error_matches (*error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    {
      g_clear_error (error);
      g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                           "This site already has an article with this slug");
    }
}

ConfabArticle *
pg_get_article (ConfabStore *store,
                const char  *article_id,
                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, article_id);
  result = pg_exec (store, "SELECT " ARTICLE_COLUMNS " FROM kb_articles a WHERE a.id = $1",
                    &params, "Cannot read the article", error);
  if (result == NULL || !pg_found (result, "article", article_id, error))
    return NULL;
  return read_article (result, 0);
}

ConfabArticle *
pg_create_article (ConfabStore              *store,
                   const char               *site_id,
                   const ConfabArticleDraft *draft,
                   GError                  **error)
{
  g_autofree char *id = confab_new_id ("art_");
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (draft->slug != NULL && draft->title != NULL, NULL);

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, draft->slug);
  pg_text (&params, draft->title);
  pg_text (&params, draft->body ? draft->body : "");
  pg_text (&params, draft->category ? draft->category : "");
  pg_text (&params, draft->language ? draft->language : "en");
  pg_bool (&params, draft->published > 0);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO kb_articles (id, site_id, slug, title, body, category, language, "
                     "published, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)", &params,
                     "Cannot store the article", error);
  if (result == NULL)
    {
      article_error (error);
      return NULL;
    }
  return pg_get_article (store, id, error);
}

ConfabArticle *
pg_get_article_by_slug (ConfabStore *store,
                        const char  *site_id,
                        const char  *slug,
                        gboolean     published_only,
                        GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, slug);
  pg_bool (&params, published_only);
  result = pg_exec (store,
                    "SELECT " ARTICLE_COLUMNS " FROM kb_articles a "
                    "WHERE a.site_id = $1 AND a.slug = $2 AND (a.published OR NOT $3)",
                    &params, "Cannot read the article", error);
  if (result == NULL || !pg_found (result, "article", slug, error))
    return NULL;
  return read_article (result, 0);
}

GPtrArray *
pg_list_articles (ConfabStore *store,
                  const char  *site_id,
                  gboolean     published_only,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_bool (&params, published_only);
  /* COLLATE "C": SQLite's BINARY order, whatever the database's locale */
  result = pg_exec (store,
                    "SELECT " ARTICLE_COLUMNS " FROM kb_articles a "
                    "WHERE a.site_id = $1 AND (a.published OR NOT $2) "
                    "ORDER BY a.category COLLATE \"C\", a.title COLLATE \"C\", a.n",
                    &params, "Cannot list the articles", error);
  return result != NULL ? read_articles (result) : NULL;
}

gboolean
pg_has_published_articles (ConfabStore *store,
                           const char  *site_id,
                           gboolean    *out_has,
                           GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_has = FALSE;
  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT EXISTS (SELECT 1 FROM kb_articles WHERE site_id = $1 AND published)",
                    &params, "Cannot read the articles", error);
  if (result == NULL)
    return FALSE;
  *out_has = pg_boolean (result, 0, 0);
  return TRUE;
}

ConfabArticle *
pg_update_article (ConfabStore              *store,
                   const char               *article_id,
                   const ConfabArticleDraft *draft,
                   GError                  **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, article_id);
  pg_text (&params, draft->slug);
  pg_text (&params, draft->title);
  pg_text (&params, draft->body);
  pg_text (&params, draft->category);
  pg_text (&params, draft->language);
  if (draft->published < 0)
    pg_text (&params, NULL);
  else
    pg_bool (&params, draft->published > 0);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "UPDATE kb_articles SET slug = coalesce ($2, slug), "
                     "title = coalesce ($3, title), body = coalesce ($4, body), "
                     "category = coalesce ($5, category), language = coalesce ($6, language), "
                     "published = coalesce ($7::boolean, published), updated_at = $8 "
                     "WHERE id = $1", &params, "Cannot update the article", error);
  if (result == NULL)
    {
      article_error (error);
      return NULL;
    }
  if (!pg_found (result, "article", article_id, error))
    return NULL;
  return pg_get_article (store, article_id, error);
}

gboolean
pg_delete_article (ConfabStore *store,
                   const char  *article_id,
                   GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, article_id);
  result = pg_exec (store, "DELETE FROM kb_articles WHERE id = $1", &params,
                    "Cannot delete the article", error);
  return result != NULL && pg_found (result, "article", article_id, error);
}

GPtrArray *
pg_search_articles (ConfabStore *store,
                    const char  *site_id,
                    const char  *match,
                    gboolean     published_only,
                    guint        limit,
                    GError     **error)
{
  g_autofree char *query = pg_fts_query (match);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (match != NULL, NULL);

  if (query == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot search the articles: not a search query");
      return NULL;
    }

  pg_text (&params, query);
  pg_text (&params, site_id);
  pg_bool (&params, published_only);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  /* FTS5's bm25 weights title 5, category 2, body 1 in the same proportions over the labels
   * (title A 1.0, category B 0.4, body C 0.2), normalised by the length as for the FAQs; the
   * query's words stemmed by the same configuration as the indexed text (confab_english: 'english' without stop words, schema v16) */
  result = pg_exec (store,
                    "SELECT " ARTICLE_COLUMNS " FROM kb_articles a, to_tsquery ('confab_english', $1) q "
                    "WHERE a.site_id = $2 AND a.search @@ q AND (a.published OR NOT $3) "
                    "ORDER BY ts_rank ('{0.1, 0.2, 0.4, 1.0}', a.search, q, 1) DESC, a.n "
                    "LIMIT $4::bigint", &params, "Cannot search the articles", error);
  return result != NULL ? read_articles (result) : NULL;
}

gboolean
pg_set_faq_synonyms (ConfabStore        *store,
                     const char         *faq_id,
                     const char * const *synonyms,
                     GError            **error)
{
  const char * const none[] = { NULL };
  g_autofree char *synonyms_json = pg_strv_to_json (synonyms ? synonyms : none);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  pg_text (&params, synonyms_json);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store, "UPDATE faqs SET synonyms = $2, updated_at = $3 WHERE id = $1",
                    &params, "Cannot store the FAQ's synonyms", error);
  return result != NULL && pg_found (result, "FAQ", faq_id, error);
}
