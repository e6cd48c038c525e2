/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-faq.c: the SQLite store's FAQ entries with their full-text index, and canned responses (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- FAQs ----------------------------------------------------------------------------------- */

#define FAQ_COLUMNS "f.id, f.site_id, f.question, f.answer, f.keywords, f.views, " \
                    "(SELECT count(*) FROM faq_feedback b WHERE b.faq_id = f.id AND b.helpful), " \
                    "(SELECT count(*) FROM faq_feedback b WHERE b.faq_id = f.id AND NOT b.helpful), " \
                    "f.created_at, f.updated_at, f.synonyms"

void
confab_faq_free (ConfabFaq *faq)
{
  if (faq == NULL)
    return;
  g_free (faq->id);
  g_free (faq->site_id);
  g_free (faq->question);
  g_free (faq->answer);
  g_strfreev (faq->keywords);
  g_strfreev (faq->synonyms);
  g_free (faq);
}

static ConfabFaq *
read_faq (sqlite3_stmt *stmt)
{
  ConfabFaq *faq = g_new0 (ConfabFaq, 1);

  faq->id = store_column_dup (stmt, 0);
  faq->site_id = store_column_dup (stmt, 1);
  faq->question = store_column_dup (stmt, 2);
  faq->answer = store_column_dup (stmt, 3);
  faq->keywords = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 4));
  faq->views = sqlite3_column_int64 (stmt, 5);
  faq->helpful = sqlite3_column_int64 (stmt, 6);
  faq->not_helpful = sqlite3_column_int64 (stmt, 7);
  faq->created_at = sqlite3_column_int64 (stmt, 8);
  faq->updated_at = sqlite3_column_int64 (stmt, 9);
  faq->synonyms = store_domains_from_json ((const char *) sqlite3_column_text (stmt, 10));
  return faq;
}

ConfabFaq *
confab_store_create_faq (ConfabStore         *store,
                         const char          *site_id,
                         const char          *question,
                         const char          *answer,
                         const char * const  *keywords,
                         GError             **error)
{
  STORE_HANDOFF (store, create_faq, NULL, error, site_id, question, answer, keywords, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("faq_");
  g_autofree char *keywords_json = store_strv_to_json (keywords);
  gint64 now = confab_now_ms ();

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO faqs (id, site_id, question, answer, keywords, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, question);
  store_bind_text (stmt, 4, answer);
  store_bind_text (stmt, 5, keywords_json);
  sqlite3_bind_int64 (stmt, 6, now);
  if (!store_step_done (store, stmt, "Cannot store the FAQ", error))
    return NULL;

  return confab_store_get_faq (store, id, error);
}

ConfabFaq *
confab_store_get_faq (ConfabStore *store,
                      const char  *faq_id,
                      GError     **error)
{
  STORE_HANDOFF (store, get_faq, NULL, error, faq_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, faq_id);
  if (!store_step_row (store, stmt, "FAQ", faq_id, error))
    return NULL;
  return read_faq (stmt);
}

GPtrArray *
confab_store_list_faqs (ConfabStore *store,
                        const char  *site_id,
                        GError     **error)
{
  STORE_HANDOFF (store, list_faqs, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " FAQ_COLUMNS " FROM faqs f WHERE f.site_id = ?1 "
                        "ORDER BY f.created_at, f.n", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_faq, (GDestroyNotify) confab_faq_free,
                   "Cannot list the FAQs", error);
}

ConfabFaq *
confab_store_update_faq (ConfabStore         *store,
                         const char          *faq_id,
                         const char          *question,
                         const char          *answer,
                         const char * const  *keywords,
                         GError             **error)
{
  STORE_HANDOFF (store, update_faq, NULL, error, faq_id, question, answer, keywords, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *keywords_json = keywords ? store_strv_to_json (keywords) : NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE faqs SET question = coalesce(?2, question), "
                        "answer = coalesce(?3, answer), keywords = coalesce(?4, keywords), "
                        "updated_at = ?5 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, faq_id);
  store_bind_text (stmt, 2, question);
  store_bind_text (stmt, 3, answer);
  store_bind_text (stmt, 4, keywords_json);
  sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot update the FAQ", error) ||
      !store_not_found_if_unchanged (store, "FAQ", faq_id, error))
    return NULL;

  return confab_store_get_faq (store, faq_id, error);
}

gboolean
confab_store_set_faq_synonyms (ConfabStore        *store,
                               const char         *faq_id,
                               const char * const *synonyms,
                               GError            **error)
{
  STORE_HANDOFF (store, set_faq_synonyms, FALSE, error, faq_id, synonyms, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  const char * const none[] = { NULL };
  g_autofree char *synonyms_json = store_strv_to_json (synonyms ? synonyms : none);

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE faqs SET synonyms = ?2, updated_at = ?3 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, faq_id);
  store_bind_text (stmt, 2, synonyms_json);
  sqlite3_bind_int64 (stmt, 3, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot store the FAQ's synonyms", error) &&
         store_not_found_if_unchanged (store, "FAQ", faq_id, error);
}

gboolean
confab_store_delete_faq (ConfabStore *store,
                         const char  *faq_id,
                         GError     **error)
{
  STORE_HANDOFF (store, delete_faq, FALSE, error, faq_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM faqs WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, faq_id);
  return store_step_done (store, stmt, "Cannot delete the FAQ", error) &&
         store_not_found_if_unchanged (store, "FAQ", faq_id, error);
}

GPtrArray *
confab_store_search_faqs (ConfabStore *store,
                          const char  *site_id,
                          const char  *match,
                          guint        limit,
                          GError     **error)
{
  STORE_HANDOFF (store, search_faqs, NULL, error, site_id, match, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (match != NULL, NULL);

  /* bm25 weights: question 4, answer 1, keywords 3, synonyms 3 — visitors ask what the
   * questions say; confab-faq.c scores the candidates */
  stmt = store_prepare (store,
                        "SELECT " FAQ_COLUMNS " FROM faqs_fts JOIN faqs f ON f.n = faqs_fts.rowid "
                        "WHERE faqs_fts MATCH ?1 AND f.site_id = ?2 "
                        "ORDER BY bm25(faqs_fts, 4.0, 1.0, 3.0, 3.0), f.n LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, match);
  store_bind_text (stmt, 2, site_id);
  sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer) read_faq, (GDestroyNotify) confab_faq_free,
                   "Cannot search the FAQs", error);
}

gboolean
confab_store_count_faq_view (ConfabStore *store,
                             const char  *faq_id,
                             GError     **error)
{
  STORE_HANDOFF (store, count_faq_view, FALSE, error, faq_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE faqs SET views = views + 1 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, faq_id);
  return store_step_done (store, stmt, "Cannot count the FAQ view", error) &&
         store_not_found_if_unchanged (store, "FAQ", faq_id, error);
}

/* One boolean from a query whose first column is one. */
static gboolean
query_bool (ConfabStore  *store,
            sqlite3_stmt *stmt,
            const char   *what,
            gboolean     *out_value,
            GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, what);
      return FALSE;
    }
  *out_value = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

gboolean
confab_store_bot_may_answer (ConfabStore *store,
                             const char  *conversation_id,
                             gboolean    *out_may_answer,
                             GError     **error)
{
  STORE_HANDOFF (store, bot_may_answer, FALSE, error, conversation_id, out_may_answer, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_may_answer = FALSE;
  stmt = store_prepare (store,
                        /* first_agent_reply_at, not a look among the messages: no index
                         * serves that, and it walked the whole conversation (issue 12) */
                        "SELECT c.assignee_id IS NULL AND c.first_agent_reply_at IS NULL "
                        "AND NOT EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id) "
                        "AND EXISTS (SELECT 1 FROM faqs f WHERE f.site_id = c.site_id) "
                        "FROM conversations c WHERE c.id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  if (!store_step_row (store, stmt, "conversation", conversation_id, error))
    return FALSE;
  *out_may_answer = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

gboolean
confab_store_faq_answered_in (ConfabStore *store,
                              const char  *conversation_id,
                              const char  *faq_id,
                              gboolean    *out_answered,
                              GError     **error)
{
  STORE_HANDOFF (store, faq_answered_in, FALSE, error, conversation_id, faq_id, out_answered, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_answered = FALSE;
  stmt = store_prepare (store,
                        /* INDEXED BY: without statistics the planner prefers the primary
                         * key, which walks the whole conversation */
                        "SELECT EXISTS (SELECT 1 FROM messages INDEXED BY messages_bot_answers "
                        "WHERE conversation_id = ?1 AND sender_id = ?2 AND client_id IS NULL "
                        "AND sender_type = 'bot')",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, faq_id);
  return query_bool (store, stmt, "Cannot look for the FAQ answer", out_answered, error);
}

gboolean
confab_store_set_faq_feedback (ConfabStore *store,
                               const char  *conversation_id,
                               const char  *faq_id,
                               gboolean     helpful,
                               GError     **error)
{
  STORE_HANDOFF (store, set_faq_feedback, FALSE, error, conversation_id, faq_id, helpful, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO faq_feedback (conversation_id, faq_id, helpful, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conversation_id, faq_id) "
                        "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  store_bind_text (stmt, 2, faq_id);
  sqlite3_bind_int (stmt, 3, helpful ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot store the FAQ feedback", error);
}

gboolean
confab_store_request_human (ConfabStore *store,
                            const char  *conversation_id,
                            gboolean    *out_new,
                            GError     **error)
{
  STORE_HANDOFF (store, request_human, FALSE, error, conversation_id, out_new, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  *out_new = FALSE;
  stmt = store_prepare (store,
                        "INSERT INTO human_requests (conversation_id, created_at) VALUES (?1, ?2) "
                        "ON CONFLICT (conversation_id) DO NOTHING", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot record the request for a person", error))
    return FALSE;
  *out_new = sqlite3_changes (store->db) > 0;
  return TRUE;
}

/* --- canned responses ----------------------------------------------------------------------- */

#define CANNED_COLUMNS "id, site_id, shortcut, body, created_at, updated_at"

void
confab_canned_free (ConfabCanned *canned)
{
  if (canned == NULL)
    return;
  g_free (canned->id);
  g_free (canned->site_id);
  g_free (canned->shortcut);
  g_free (canned->body);
  g_free (canned);
}

static ConfabCanned *
read_canned (sqlite3_stmt *stmt)
{
  ConfabCanned *canned = g_new0 (ConfabCanned, 1);

  canned->id = store_column_dup (stmt, 0);
  canned->site_id = store_column_dup (stmt, 1);
  canned->shortcut = store_column_dup (stmt, 2);
  canned->body = store_column_dup (stmt, 3);
  canned->created_at = sqlite3_column_int64 (stmt, 4);
  canned->updated_at = sqlite3_column_int64 (stmt, 5);
  return canned;
}

/* A taken shortcut says so in words a user can act on. */
static void
set_canned_error (ConfabStore *store,
                  GError     **error,
                  int          rc,
                  const char  *what)
{
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a canned response with this shortcut");
  else
    store_set_sqlite_error (store, error, rc, what);
}

ConfabCanned *
confab_store_create_canned (ConfabStore *store,
                            const char  *site_id,
                            const char  *shortcut,
                            const char  *body,
                            GError     **error)
{
  STORE_HANDOFF (store, create_canned, NULL, error, site_id, shortcut, body, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("can_");
  gint64 now = confab_now_ms ();
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO canned_responses (id, site_id, shortcut, body, created_at, "
                        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, shortcut);
  store_bind_text (stmt, 4, body);
  sqlite3_bind_int64 (stmt, 5, now);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_canned_error (store, error, rc, "Cannot store the canned response");
      return NULL;
    }

  return confab_store_get_canned (store, id, error);
}

ConfabCanned *
confab_store_get_canned (ConfabStore *store,
                         const char  *canned_id,
                         GError     **error)
{
  STORE_HANDOFF (store, get_canned, NULL, error, canned_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, canned_id);
  if (!store_step_row (store, stmt, "canned response", canned_id, error))
    return NULL;
  return read_canned (stmt);
}

GPtrArray *
confab_store_list_canned (ConfabStore *store,
                          const char  *site_id,
                          GError     **error)
{
  STORE_HANDOFF (store, list_canned, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE site_id = ?1 "
                        "ORDER BY shortcut", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_canned, (GDestroyNotify) confab_canned_free,
                   "Cannot list the canned responses", error);
}

ConfabCanned *
confab_store_update_canned (ConfabStore *store,
                            const char  *canned_id,
                            const char  *shortcut,
                            const char  *body,
                            GError     **error)
{
  STORE_HANDOFF (store, update_canned, NULL, error, canned_id, shortcut, body, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE canned_responses SET shortcut = coalesce(?2, shortcut), "
                        "body = coalesce(?3, body), updated_at = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, canned_id);
  store_bind_text (stmt, 2, shortcut);
  store_bind_text (stmt, 3, body);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_canned_error (store, error, rc, "Cannot update the canned response");
      return NULL;
    }
  if (!store_not_found_if_unchanged (store, "canned response", canned_id, error))
    return NULL;

  return confab_store_get_canned (store, canned_id, error);
}

gboolean
confab_store_delete_canned (ConfabStore *store,
                            const char  *canned_id,
                            GError     **error)
{
  STORE_HANDOFF (store, delete_canned, FALSE, error, canned_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM canned_responses WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, canned_id);
  return store_step_done (store, stmt, "Cannot delete the canned response", error) &&
         store_not_found_if_unchanged (store, "canned response", canned_id, error);
}
