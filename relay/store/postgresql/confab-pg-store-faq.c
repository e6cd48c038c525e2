/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-faq.c: the PostgreSQL store's FAQs with their search, the bot's feedback, and
 * the full-text queries that SQLite's FTS5 answers (the SQLite twin is sqlite/confab-store-faq.c).
 *
 * The callers build FTS5 queries: each word a "string" (a doubled " inside), joined by " OR "
 * (FAQs) or by spaces (all of them: message search), the last one perhaps with a * (a prefix).
 * pg_fts_query () turns exactly that into a tsquery: 'word' | 'word', 'word' & 'word':*.
 * FTS5's unicode61 folds case and diacritics; the indexed side here is
 * to_tsvector ('simple', confab_fold (text)) (schema v7) and the query words are folded the same
 * way in C, so "Café" finds "cafe" and the other way round, as with SQLite. FAQs (and articles)
 * stem as SQLite's porter does: 'english' over confab_fold () on both sides (schema v15).
 */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

/* --- FTS5 query → tsquery ------------------------------------------------------------------- */

/* Lower case without combining marks (NFD), as unicode61 remove_diacritics folds a word. */
static void
append_folded (GString    *out,
               const char *word,
               gssize      len)
{
  g_autofree char *decomposed = g_utf8_normalize (word, len, G_NORMALIZE_NFD);
  g_autoptr (GString) bare = g_string_new (NULL);
  g_autofree char *lower = NULL;

  for (const char *p = decomposed; p != NULL && *p; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (g_utf8_get_char (p)))
      g_string_append_unichar (bare, g_utf8_get_char (p));
  lower = g_utf8_strdown (bare->str, -1);
  g_string_append (out, lower);
}

char *
pg_fts_query (const char *match)
{
  g_autoptr (GString) query = g_string_new (NULL);
  const char *p = match;
  const char *op = " & ";

  if (match == NULL)
    return NULL;

  while (*p != '\0')
    {
      g_autoptr (GString) word = g_string_new (NULL);
      g_autoptr (GString) folded = g_string_new (NULL);

      while (*p == ' ')
        p++;
      if (g_str_has_prefix (p, "OR "))
        {
          op = " | ";
          p += 3;
          continue;
        }
      if (*p == '\0')
        break;
      if (*p != '"')
        return NULL;  /* not a query the relay builds */

      for (p++; *p != '\0'; p++)
        {
          if (*p == '"' && p[1] == '"')
            p++;
          else if (*p == '"')
            break;
          g_string_append_c (word, *p);
        }
      if (*p != '"')
        return NULL;
      p++;

      append_folded (folded, word->str, word->len);
      if (query->len > 0)
        g_string_append (query, op);
      /* a quoted lexeme: only ' and \ mean anything inside it; a word the parser splits
       * ("e-mail") becomes a phrase, as FTS5's tokenizer makes it one */
      g_string_append_c (query, '\'');
      for (const char *c = folded->str; *c; c++)
        {
          if (*c == '\'' || *c == '\\')
            g_string_append_c (query, '\\');
          g_string_append_c (query, *c);
        }
      g_string_append_c (query, '\'');
      if (*p == '*')
        {
          g_string_append (query, ":*");
          p++;
        }
    }

  if (query->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&query), FALSE);
}

/* --- FAQs ----------------------------------------------------------------------------------- */

#define FAQ_COLUMNS "f.id, f.site_id, f.question, f.answer, f.keywords, f.views, " \
                    "(SELECT count (*) FROM faq_feedback b WHERE b.faq_id = f.id AND b.helpful), " \
                    "(SELECT count (*) FROM faq_feedback b WHERE b.faq_id = f.id AND NOT b.helpful), " \
                    "f.created_at, f.updated_at, f.synonyms"

static ConfabFaq *
read_faq (PGresult *result,
          int       row)
{
  ConfabFaq *faq = g_new0 (ConfabFaq, 1);

  faq->id = pg_dup (result, row, 0);
  faq->site_id = pg_dup (result, row, 1);
  faq->question = pg_dup (result, row, 2);
  faq->answer = pg_dup (result, row, 3);
  faq->keywords = pg_strv_from_json (PQgetvalue (result, row, 4));
  faq->views = pg_integer (result, row, 5);
  faq->helpful = pg_integer (result, row, 6);
  faq->not_helpful = pg_integer (result, row, 7);
  faq->created_at = pg_integer (result, row, 8);
  faq->updated_at = pg_integer (result, row, 9);
  faq->synonyms = pg_strv_from_json (PQgetvalue (result, row, 10));
  return faq;
}

static GPtrArray *
read_faqs (PGresult *result)
{
  GPtrArray *faqs = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_faq_free);

  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (faqs, read_faq (result, i));
  return faqs;
}

ConfabFaq *
pg_get_faq (ConfabStore *store,
            const char  *faq_id,
            GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  result = pg_exec (store, "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.id = $1", &params,
                    "Cannot read the FAQ", error);
  if (result == NULL || !pg_found (result, "FAQ", faq_id, error))
    return NULL;
  return read_faq (result, 0);
}

ConfabFaq *
pg_create_faq (ConfabStore         *store,
               const char          *site_id,
               const char          *question,
               const char          *answer,
               const char * const  *keywords,
               GError             **error)
{
  g_autofree char *id = confab_new_id ("faq_");
  g_autofree char *keywords_json = pg_strv_to_json (keywords);
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, question);
  pg_text (&params, answer);
  pg_text (&params, keywords_json);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO faqs (id, site_id, question, answer, keywords, created_at, "
                     "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)", &params,
                     "Cannot store the FAQ", error);
  if (result == NULL)
    return NULL;
  return pg_get_faq (store, id, error);
}

GPtrArray *
pg_list_faqs (ConfabStore *store,
              const char  *site_id,
              GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.site_id = $1 "
                    "ORDER BY f.created_at, f.n", &params, "Cannot list the FAQs", error);
  return result != NULL ? read_faqs (result) : NULL;
}

ConfabFaq *
pg_update_faq (ConfabStore         *store,
               const char          *faq_id,
               const char          *question,
               const char          *answer,
               const char * const  *keywords,
               GError             **error)
{
  g_autofree char *keywords_json = keywords != NULL ? pg_strv_to_json (keywords) : NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  pg_text (&params, question);
  pg_text (&params, answer);
  pg_text (&params, keywords_json);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "UPDATE faqs SET question = coalesce ($2, question), "
                     "answer = coalesce ($3, answer), keywords = coalesce ($4, keywords), "
                     "updated_at = $5 WHERE id = $1", &params, "Cannot update the FAQ", error);
  if (result == NULL || !pg_found (result, "FAQ", faq_id, error))
    return NULL;
  return pg_get_faq (store, faq_id, error);
}

gboolean
pg_delete_faq (ConfabStore *store,
               const char  *faq_id,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  result = pg_exec (store, "DELETE FROM faqs WHERE id = $1", &params, "Cannot delete the FAQ",
                    error);
  return result != NULL && pg_found (result, "FAQ", faq_id, error);
}

GPtrArray *
pg_search_faqs (ConfabStore *store,
                const char  *site_id,
                const char  *match,
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
                   "Cannot search the FAQs: not a search query");
      return NULL;
    }

  pg_text (&params, query);
  pg_text (&params, site_id);
  if (limit > 0)
    pg_int (&params, limit);
  else
    pg_text (&params, NULL);
  /* FTS5's bm25 with weights question 4, keywords 3, answer 1: the same proportions as the
   * weights of the labels (question A 1.0, keywords B 0.75, answer C 0.25), and normalisation 1
   * (divided by 1 + log of the entry's length) for bm25's preference of short entries */
  result = pg_exec (store,
                    "SELECT " FAQ_COLUMNS " FROM faqs f, to_tsquery ('confab_english', $1) q "
                    "WHERE f.site_id = $2 AND f.search @@ q "
                    "ORDER BY ts_rank ('{0.1, 0.25, 0.75, 1.0}', f.search, q, 1) DESC, f.n "
                    "LIMIT $3::bigint", &params, "Cannot search the FAQs", error);
  return result != NULL ? read_faqs (result) : NULL;
}

gboolean
pg_count_faq_view (ConfabStore *store,
                   const char  *faq_id,
                   GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  result = pg_exec (store, "UPDATE faqs SET views = views + 1 WHERE id = $1", &params,
                    "Cannot count the FAQ view", error);
  return result != NULL && pg_found (result, "FAQ", faq_id, error);
}

gboolean
pg_faq_answered_in (ConfabStore *store,
                    const char  *conversation_id,
                    const char  *faq_id,
                    gboolean    *out_answered,
                    GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_answered = FALSE;
  pg_text (&params, conversation_id);
  pg_text (&params, faq_id);
  result = pg_exec (store,
                    "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 "
                    "AND sender_id = $2 AND client_id IS NULL AND sender_type = 'bot')",
                    &params, "Cannot look for the FAQ answer", error);
  if (result == NULL)
    return FALSE;
  *out_answered = pg_boolean (result, 0, 0);
  return TRUE;
}

gboolean
pg_set_faq_feedback (ConfabStore *store,
                     const char  *conversation_id,
                     const char  *faq_id,
                     gboolean     helpful,
                     GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_text (&params, faq_id);
  pg_bool (&params, helpful);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO faq_feedback (conversation_id, faq_id, helpful, created_at) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, faq_id) "
                     "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                     &params, "Cannot store the FAQ feedback", error);
  return result != NULL;
}

char *
pg_analytics_faq_question (ConfabStore *store,
                           const char  *faq_id)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, faq_id);
  result = pg_exec (store, "SELECT question FROM faqs WHERE id = $1", &params,
                    "Cannot read the FAQ", NULL);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}
