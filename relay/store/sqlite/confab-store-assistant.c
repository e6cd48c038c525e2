/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-assistant.c: the SQLite store's assistant events (see confab-store-assistant.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-assistant.h"

gboolean
confab_store_add_assistant_event (ConfabStore  *store,
                                  const char   *site_id,
                                  const char   *conversation_id,
                                  const char   *kind,
                                  GError      **error)
{
  STORE_HANDOFF (store, add_assistant_event, FALSE, error, site_id, conversation_id, kind, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO assistant_events (site_id, conversation_id, kind, created_at) "
                        "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, conversation_id);
  store_bind_text (stmt, 3, kind);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot count the assistant's work", error);
}

gboolean
confab_store_add_assistant_handoff (ConfabStore  *store,
                                    const char   *conversation_id,
                                    gboolean     *out_added,
                                    GError      **error)
{
  STORE_HANDOFF (store, add_assistant_handoff, FALSE, error, conversation_id, out_added, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  *out_added = FALSE;
  stmt = store_prepare (store,
                        "INSERT INTO assistant_events (site_id, conversation_id, kind, created_at) "
                        "SELECT c.site_id, c.id, 'handoff', ?2 FROM conversations c WHERE c.id = ?1 "
                        "AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
                        "            AND m.assistant IS NOT NULL)", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot count the hand-off", error))
    return FALSE;
  *out_added = sqlite3_changes (store->db) > 0;
  return TRUE;
}

gboolean
confab_store_set_assistant_vote (ConfabStore  *store,
                                 const char   *conversation_id,
                                 gint64        seq,
                                 gboolean      helpful,
                                 GError      **error)
{
  STORE_HANDOFF (store, set_assistant_vote, FALSE, error, conversation_id, seq, helpful, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store,
                        "INSERT INTO assistant_events (site_id, conversation_id, seq, kind, helpful, "
                        "                              created_at) "
                        "SELECT c.site_id, c.id, m.seq, 'vote', ?3, ?4 FROM conversations c "
                        "JOIN messages m ON m.conversation_id = c.id AND m.seq = ?2 "
                        "WHERE c.id = ?1 AND m.assistant IS NOT NULL "
                        "ON CONFLICT (conversation_id, seq) WHERE kind = 'vote' "
                        "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_int (stmt, 3, helpful ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, confab_now_ms ());
  if (!store_step_done (store, stmt, "Cannot store the vote", error))
    return FALSE;
  return store_not_found_if_unchanged (store, "assistant answer", conversation_id, error);
}

gboolean
confab_store_assistant_counts (ConfabStore           *store,
                               const char            *site_id,
                               gint64                 from_ms,
                               gint64                 to_ms,
                               ConfabAssistantCounts *out_counts,
                               GError               **error)
{
  STORE_HANDOFF (store, assistant_counts, FALSE, error, site_id, from_ms, to_ms, out_counts, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  memset (out_counts, 0, sizeof *out_counts);
  stmt = store_prepare (store,
                        "SELECT coalesce (sum (kind = 'answer'), 0), coalesce (sum (kind = 'unknown'), 0), "
                        "coalesce (sum (kind = 'handoff'), 0), "
                        "coalesce (sum (kind = 'vote' AND helpful = 1), 0), "
                        "coalesce (sum (kind = 'vote' AND helpful = 0), 0), "
                        "coalesce (sum (kind = 'failure'), 0) FROM assistant_events "
                        "WHERE (?1 IS NULL OR site_id = ?1) AND created_at >= ?2 AND created_at < ?3",
                        error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, from_ms);
  sqlite3_bind_int64 (stmt, 3, to_ms);
  if (!store_step_row (store, stmt, "assistant counts", NULL, error))
    return FALSE;
  out_counts->answers = sqlite3_column_int64 (stmt, 0);
  out_counts->unknown = sqlite3_column_int64 (stmt, 1);
  out_counts->handoffs = sqlite3_column_int64 (stmt, 2);
  out_counts->helpful = sqlite3_column_int64 (stmt, 3);
  out_counts->unhelpful = sqlite3_column_int64 (stmt, 4);
  out_counts->failures = sqlite3_column_int64 (stmt, 5);
  return TRUE;
}

gboolean
confab_store_assistant_may_answer (ConfabStore  *store,
                                   const char   *conversation_id,
                                   gboolean     *out_may_answer,
                                   GError      **error)
{
  STORE_HANDOFF (store, assistant_may_answer, FALSE, error, conversation_id, out_may_answer, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  *out_may_answer = FALSE;
  stmt = store_prepare (store,
                        "SELECT c.assignee_id IS NULL AND c.first_agent_reply_at IS NULL "
                        "AND NOT EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id) "
                        "FROM conversations c WHERE c.id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, conversation_id);
  if (!store_step_row (store, stmt, "conversation", conversation_id, error))
    return FALSE;
  *out_may_answer = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

void
confab_embedding_free (ConfabEmbedding *embedding)
{
  if (embedding == NULL)
    return;
  g_free (embedding->kind);
  g_free (embedding->item_id);
  g_free (embedding->hash);
  g_clear_pointer (&embedding->vector, g_bytes_unref);
  g_free (embedding);
}

gboolean
confab_store_set_embedding (ConfabStore  *store,
                            const char   *site_id,
                            const char   *kind,
                            const char   *item_id,
                            const char   *hash,
                            GBytes       *vector,
                            GError      **error)
{
  STORE_HANDOFF (store, set_embedding, FALSE, error, site_id, kind, item_id, hash, vector, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  gsize size = 0;
  gconstpointer data = g_bytes_get_data (vector, &size);

  stmt = store_prepare (store,
                        "INSERT INTO embeddings (kind, item_id, site_id, hash, vector, updated_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (kind, item_id) DO UPDATE SET "
                        "site_id = excluded.site_id, hash = excluded.hash, vector = excluded.vector, "
                        "updated_at = excluded.updated_at", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, kind);
  store_bind_text (stmt, 2, item_id);
  store_bind_text (stmt, 3, site_id);
  store_bind_text (stmt, 4, hash);
  sqlite3_bind_blob (stmt, 5, data, (int) size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, confab_now_ms ());
  return store_step_done (store, stmt, "Cannot store the embedding", error);
}

GPtrArray *
confab_store_list_embeddings (ConfabStore  *store,
                              const char   *site_id,
                              GError      **error)
{
  STORE_HANDOFF (store, list_embeddings, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_embedding_free);
  int rc;

  stmt = store_prepare (store,
                        "SELECT kind, item_id, hash, vector FROM embeddings WHERE site_id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabEmbedding *embedding = g_new0 (ConfabEmbedding, 1);

      embedding->kind = store_column_dup (stmt, 0);
      embedding->item_id = store_column_dup (stmt, 1);
      embedding->hash = store_column_dup (stmt, 2);
      embedding->vector = g_bytes_new (sqlite3_column_blob (stmt, 3), sqlite3_column_bytes (stmt, 3));
      g_ptr_array_add (list, embedding);
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the embeddings");
      return NULL;
    }
  return g_steal_pointer (&list);
}
