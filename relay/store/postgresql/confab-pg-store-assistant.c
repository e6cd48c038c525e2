/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-assistant.c: the PostgreSQL store's assistant events, as
 * sqlite/confab-store-assistant.c (see confab-store-assistant.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-pg-store-private.h"
#include "confab-store-assistant.h"

gboolean
pg_add_assistant_event (ConfabStore  *store,
                        const char   *site_id,
                        const char   *conversation_id,
                        const char   *kind,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, conversation_id);
  pg_text (&params, kind);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "INSERT INTO assistant_events (site_id, conversation_id, kind, created_at) "
                    "VALUES ($1, $2, $3, $4)", &params, "Cannot count the assistant's work", error);
  return result != NULL;
}

gboolean
pg_add_assistant_handoff (ConfabStore  *store,
                          const char   *conversation_id,
                          gboolean     *out_added,
                          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_added = FALSE;
  pg_text (&params, conversation_id);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "INSERT INTO assistant_events (site_id, conversation_id, kind, created_at) "
                    "SELECT c.site_id, c.id, 'handoff', $2 FROM conversations c WHERE c.id = $1 "
                    "AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
                    "            AND m.assistant IS NOT NULL)", &params,
                    "Cannot count the hand-off", error);
  if (result == NULL)
    return FALSE;
  *out_added = pg_changes (result) > 0;
  return TRUE;
}

gboolean
pg_set_assistant_vote (ConfabStore  *store,
                       const char   *conversation_id,
                       gint64        seq,
                       gboolean      helpful,
                       GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  pg_int (&params, seq);
  pg_int (&params, helpful ? 1 : 0);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO assistant_events (site_id, conversation_id, seq, kind, helpful, "
                     "                              created_at) "
                     "SELECT c.site_id, c.id, m.seq, 'vote', $3, $4 FROM conversations c "
                     "JOIN messages m ON m.conversation_id = c.id AND m.seq = $2 "
                     "WHERE c.id = $1 AND m.assistant IS NOT NULL "
                     "ON CONFLICT (conversation_id, seq) WHERE kind = 'vote' "
                     "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                     &params, "Cannot store the vote", error);
  return result != NULL && pg_found (result, "assistant answer", conversation_id, error);
}

gboolean
pg_assistant_counts (ConfabStore           *store,
                     const char            *site_id,
                     gint64                 from_ms,
                     gint64                 to_ms,
                     ConfabAssistantCounts *out_counts,
                     GError               **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  memset (out_counts, 0, sizeof *out_counts);
  pg_text (&params, site_id);
  pg_int (&params, from_ms);
  pg_int (&params, to_ms);
  result = pg_exec (store,
                    "SELECT count (*) FILTER (WHERE kind = 'answer'), "
                    "count (*) FILTER (WHERE kind = 'unknown'), "
                    "count (*) FILTER (WHERE kind = 'handoff'), "
                    "count (*) FILTER (WHERE kind = 'vote' AND helpful = 1), "
                    "count (*) FILTER (WHERE kind = 'vote' AND helpful = 0), "
                    "count (*) FILTER (WHERE kind = 'failure') FROM assistant_events "
                    "WHERE ($1::text IS NULL OR site_id = $1) AND created_at >= $2 AND created_at < $3",
                    &params, "Cannot count the assistant's work", error);
  if (result == NULL)
    return FALSE;
  out_counts->answers = pg_integer (result, 0, 0);
  out_counts->unknown = pg_integer (result, 0, 1);
  out_counts->handoffs = pg_integer (result, 0, 2);
  out_counts->helpful = pg_integer (result, 0, 3);
  out_counts->unhelpful = pg_integer (result, 0, 4);
  out_counts->failures = pg_integer (result, 0, 5);
  return TRUE;
}

gboolean
pg_assistant_may_answer (ConfabStore  *store,
                         const char   *conversation_id,
                         gboolean     *out_may_answer,
                         GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  *out_may_answer = FALSE;
  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT c.assignee_id IS NULL AND c.first_agent_reply_at IS NULL "
                    "AND NOT EXISTS (SELECT 1 FROM human_requests h WHERE h.conversation_id = c.id) "
                    "FROM conversations c WHERE c.id = $1", &params,
                    "Cannot ask whether the assistant may answer", error);
  if (result == NULL || !pg_found (result, "conversation", conversation_id, error))
    return FALSE;
  *out_may_answer = pg_boolean (result, 0, 0);
  return TRUE;
}

gboolean
pg_set_embedding (ConfabStore  *store,
                  const char   *site_id,
                  const char   *kind,
                  const char   *item_id,
                  const char   *hash,
                  GBytes       *vector,
                  GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, kind);
  pg_text (&params, item_id);
  pg_text (&params, site_id);
  pg_text (&params, hash);
  pg_binary (&params, vector);
  pg_int (&params, confab_now_ms ());
  result = pg_exec (store,
                    "INSERT INTO embeddings (kind, item_id, site_id, hash, vector, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5::bytea, $6) ON CONFLICT (kind, item_id) DO UPDATE SET "
                    "site_id = excluded.site_id, hash = excluded.hash, vector = excluded.vector, "
                    "updated_at = excluded.updated_at", &params, "Cannot store the embedding", error);
  return result != NULL;
}

GPtrArray *
pg_list_embeddings (ConfabStore  *store,
                    const char   *site_id,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_embedding_free);
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT kind, item_id, hash, vector FROM embeddings WHERE site_id = $1",
                    &params, "Cannot read the embeddings", error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    {
      ConfabEmbedding *embedding = g_new0 (ConfabEmbedding, 1);

      embedding->kind = pg_dup (result, row, 0);
      embedding->item_id = pg_dup (result, row, 1);
      embedding->hash = pg_dup (result, row, 2);
      {
        size_t length = 0;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 3), &length);

        embedding->vector = g_bytes_new (bytes, bytes ? length : 0);
        PQfreemem (bytes);
      }
      g_ptr_array_add (list, embedding);
    }
  return g_steal_pointer (&list);
}
