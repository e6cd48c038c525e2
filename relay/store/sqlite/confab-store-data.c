/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-data.c: the SQLite store's audit log, visitor data (search, export, delete),
 * retention and blocked visitors (see confab-store-data.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-data.h"
#include "confab-store-private.h"

/* --- the audit log -------------------------------------------------------------------------- */

void
confab_audit_record_free (ConfabAuditRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->actor_id);
  g_free (record->actor_name);
  g_free (record->action);
  g_free (record->target_type);
  g_free (record->target_id);
  g_free (record->target_name);
  g_free (record->details_json);
  g_free (record->ip_hash);
  g_free (record);
}

gboolean
confab_store_append_audit (ConfabStore            *store,
                           const ConfabAuditEntry *entry,
                           GError                **error)
{
  STORE_HANDOFF (store, append_audit, FALSE, error, entry, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && entry != NULL && entry->action != NULL, FALSE);

  stmt = store_prepare (store,
                        "INSERT INTO audit_log (at, user_id, site_id, action, detail, ip_hash, "
                        "actor_name, target_type, target_id, target_name) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, confab_now_ms ());
  store_bind_text (stmt, 2, entry->actor_id);
  store_bind_text (stmt, 3, entry->site_id);
  store_bind_text (stmt, 4, entry->action);
  store_bind_text (stmt, 5, entry->details_json);
  store_bind_text (stmt, 6, entry->ip_hash);
  store_bind_text (stmt, 7, entry->actor_name);
  store_bind_text (stmt, 8, entry->target_type);
  store_bind_text (stmt, 9, entry->target_id);
  store_bind_text (stmt, 10, entry->target_name);
  return store_step_done (store, stmt, "Cannot write the audit log", error);
}

static gpointer
read_audit (sqlite3_stmt *stmt)
{
  ConfabAuditRecord *record = g_new0 (ConfabAuditRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->at = sqlite3_column_int64 (stmt, 1);
  record->actor_id = store_column_dup (stmt, 2);
  record->actor_name = store_column_dup (stmt, 3);
  record->action = store_column_dup (stmt, 4);
  record->target_type = store_column_dup (stmt, 5);
  record->target_id = store_column_dup (stmt, 6);
  record->target_name = store_column_dup (stmt, 7);
  record->details_json = store_column_dup (stmt, 8);
  record->ip_hash = store_column_dup (stmt, 9);
  return record;
}

GPtrArray *
confab_store_list_site_audit (ConfabStore  *store,
                              const char   *site_id,
                              gint64        before_id,
                              guint         limit,
                              GError      **error)
{
  STORE_HANDOFF (store, list_site_audit, NULL, error, site_id, before_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT a.id, a.at, a.user_id, coalesce (u.name, a.actor_name), a.action, "
                        "a.target_type, a.target_id, a.target_name, a.detail, a.ip_hash "
                        "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
                        "WHERE a.site_id = ?1 AND (?2 <= 0 OR a.id < ?2) "
                        "ORDER BY a.id DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, before_id);
  sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
  return store_read_all (store, stmt, read_audit, (GDestroyNotify) confab_audit_record_free,
                         "Cannot list the audit log", error);
}

gboolean
confab_store_delete_site_audit (ConfabStore  *store,
                                const char   *site_id,
                                GError      **error)
{
  STORE_HANDOFF (store, delete_site_audit, FALSE, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM audit_log WHERE site_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  return store_step_done (store, stmt, "Cannot delete the site's audit log", error);
}

/* --- one visitor's data --------------------------------------------------------------------- */

/* "%text%" for LIKE … ESCAPE '\', with the text's own wildcards taken literally. */
static char *
like_pattern (const char *text)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

GPtrArray *
confab_store_search_visitors (ConfabStore  *store,
                              const char   *site_id,
                              const char   *query,
                              guint         limit,
                              GError      **error)
{
  STORE_HANDOFF (store, search_visitors, NULL, error, site_id, query, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *pattern = like_pattern (query != NULL ? query : "");

  g_return_val_if_fail (store != NULL && site_id != NULL, NULL);

  /* visitors_site (site_id, last_seen) walks the site newest first; the LIKEs filter on the
   * way, so a page costs what it skips, never more than the site's visitors */
  stmt = store_prepare (store,
                        "SELECT " VISITOR_COLUMNS " FROM visitors "
                        "WHERE site_id = ?1 AND (name LIKE ?2 ESCAPE '\\' OR "
                        "  email LIKE ?2 ESCAPE '\\' OR id LIKE ?2 ESCAPE '\\') "
                        "ORDER BY last_seen DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, pattern);
  sqlite3_bind_int64 (stmt, 3, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer (*) (sqlite3_stmt *)) store_read_visitor,
                         (GDestroyNotify) confab_visitor_free, "Cannot search the visitors", error);
}

static gpointer
read_page_view (sqlite3_stmt *stmt)
{
  ConfabPageView *view = g_new0 (ConfabPageView, 1);

  view->url = store_column_dup (stmt, 0);
  view->title = store_column_dup (stmt, 1);
  view->at = sqlite3_column_int64 (stmt, 2);
  view->left_at = sqlite3_column_int64 (stmt, 3);
  return view;
}

GPtrArray *
confab_store_list_visitor_pages (ConfabStore  *store,
                                 const char   *visitor_id,
                                 GError      **error)
{
  STORE_HANDOFF (store, list_visitor_pages, NULL, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT url, title, at, coalesce (left_at, 0) FROM page_views "
                        "WHERE visitor_id = ?1 ORDER BY at, id", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, visitor_id);
  return store_read_all (store, stmt, read_page_view, (GDestroyNotify) confab_page_view_free,
                         "Cannot list the visitor's pages", error);
}

static gpointer
read_text (sqlite3_stmt *stmt)
{
  return store_column_dup (stmt, 0);
}

static GPtrArray *
list_ids (ConfabStore *store,
          const char  *sql,
          const char  *id,
          const char  *what,
          GError     **error)
{
  g_autoptr (ConfabStmt) stmt = store_prepare (store, sql, error);

  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, id);
  return store_read_all (store, stmt, read_text, g_free, what, error);
}

GPtrArray *
confab_store_list_visitor_conversation_ids (ConfabStore  *store,
                                            const char   *visitor_id,
                                            GError      **error)
{
  STORE_HANDOFF (store, list_visitor_conversation_ids, NULL, error, visitor_id, error);

  return list_ids (store,
                   "SELECT id FROM conversations WHERE visitor_id = ?1 ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's conversations", error);
}

GPtrArray *
confab_store_list_visitor_offline_ids (ConfabStore  *store,
                                       const char   *visitor_id,
                                       GError      **error)
{
  STORE_HANDOFF (store, list_visitor_offline_ids, NULL, error, visitor_id, error);

  return list_ids (store,
                   "SELECT id FROM offline_messages WHERE visitor_id = ?1 ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's offline messages", error);
}

GPtrArray *
confab_store_list_visitor_upload_ids (ConfabStore  *store,
                                      const char   *visitor_id,
                                      GError      **error)
{
  STORE_HANDOFF (store, list_visitor_upload_ids, NULL, error, visitor_id, error);

  return list_ids (store,
                   "SELECT id FROM uploads WHERE visitor_id = ?1 OR conversation_id IN "
                   "  (SELECT id FROM conversations WHERE visitor_id = ?1) "
                   "ORDER BY created_at, id",
                   visitor_id, "Cannot list the visitor's uploads", error);
}

/* Of the files named in @candidates (SHA-256 hex, duplicates allowed), those no upload row
 * names any more. */
static GPtrArray *
unused_files (ConfabStore *store,
              GPtrArray   *candidates)
{
  GPtrArray *unused = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < candidates->len; i++)
    {
      const char *sha256 = g_ptr_array_index (candidates, i);

      if (g_hash_table_add (seen, (gpointer) sha256) &&
          !confab_store_upload_file_used (store, sha256))
        g_ptr_array_add (unused, g_strdup (sha256));
    }
  return unused;
}

gboolean
confab_store_set_event_visitor (ConfabStore  *store,
                                gint64        cursor,
                                const char   *visitor_id,
                                GError      **error)
{
  STORE_HANDOFF (store, set_event_visitor, FALSE, error, cursor, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE events SET visitor_id = ?2 WHERE cursor = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cursor);
  store_bind_text (stmt, 2, visitor_id);
  return store_step_done (store, stmt, "Cannot log the event", error);
}

gboolean
confab_store_delete_visitor (ConfabStore  *store,
                             const char   *visitor_id,
                             GPtrArray   **out_conversation_ids,
                             GPtrArray   **out_offline_ids,
                             GPtrArray   **out_unused_files,
                             GError      **error)
{
  STORE_HANDOFF (store, delete_visitor, FALSE, error, visitor_id, out_conversation_ids, out_offline_ids, out_unused_files, error);

  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GPtrArray) offline = NULL;
  g_autoptr (GPtrArray) files = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;

  ok = (conversations = confab_store_list_visitor_conversation_ids (store, visitor_id, error)) != NULL &&
       (offline = confab_store_list_visitor_offline_ids (store, visitor_id, error)) != NULL &&
       (files = list_ids (store,
                          "SELECT sha256 FROM uploads WHERE visitor_id = ?1 OR conversation_id IN "
                          "  (SELECT id FROM conversations WHERE visitor_id = ?1)",
                          visitor_id, "Cannot list the visitor's uploads", error)) != NULL;

  /* What the log says of the visitor outside their conversations (whose events go with them
   * by foreign key): their own events and those of their offline messages, which carry the
   * name, e-mail and text (confab_store_set_event_visitor(); migration 11 tagged the earlier
   * ones) — one lookup in events_visitor. */
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "DELETE FROM events WHERE visitor_id = ?1", error);

      ok = stmt != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, visitor_id);
          ok = store_step_done (store, stmt, "Cannot delete the visitor's events", error);
        }
    }
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "DELETE FROM offline_messages WHERE visitor_id = ?1",
                                                   error);
      ok = stmt != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, visitor_id);
          ok = store_step_done (store, stmt, "Cannot delete the visitor's offline messages", error);
        }
    }
  /* the rest goes by foreign key: page views, conversations with their messages, events,
   * ratings, FAQ votes and uploads, the visitor's own uploads */
  if (ok)
    {
      g_autoptr (ConfabStmt) stmt = store_prepare (store, "DELETE FROM visitors WHERE id = ?1", error);

      ok = stmt != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, visitor_id);
          ok = store_step_done (store, stmt, "Cannot delete the visitor", error) &&
               store_not_found_if_unchanged (store, "visitor", visitor_id, error);
        }
    }

  if (!store_finish (store, ok, error))
    return FALSE;

  if (out_conversation_ids != NULL)
    *out_conversation_ids = g_steal_pointer (&conversations);
  if (out_offline_ids != NULL)
    *out_offline_ids = g_steal_pointer (&offline);
  if (out_unused_files != NULL)
    *out_unused_files = unused_files (store, files);
  return TRUE;
}

/* --- retention ------------------------------------------------------------------------------ */

GHashTable *
confab_store_list_retention_sites (ConfabStore  *store,
                                   GError      **error)
{
  STORE_HANDOFF (store, list_retention_sites, NULL, error, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GHashTable) sites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT id, json_extract (settings, '$.retention_days') FROM sites "
                        "WHERE json_valid (settings) "
                        "AND json_extract (settings, '$.retention_days') > 0", error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (sites, store_column_dup (stmt, 0),
                         GINT_TO_POINTER ((int) sqlite3_column_int64 (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the sites' retention");
      return NULL;
    }
  return g_steal_pointer (&sites);
}

/* Conversations a purge step considers: enough to fill its budget with short ones. */
#define PURGE_CANDIDATES 16

/* Deletes the first messages of @conversation_id, up to @count of them, with their events
 * (messages first: each names its event). */
static gboolean
purge_messages (ConfabStore  *store,
                const char   *conversation_id,
                gint64        count,
                GError      **error)
{
  g_autoptr (ConfabStmt) messages = NULL;
  g_autoptr (ConfabStmt) events = NULL;
  gint64 first = 0;

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store, "SELECT coalesce (min (seq), 0) FROM messages "
                                                 "WHERE conversation_id = ?1", error);
    if (stmt == NULL)
      return FALSE;
    store_bind_text (stmt, 1, conversation_id);
    if (sqlite3_step (stmt) != SQLITE_ROW)
      {
        store_set_sqlite_error (store, error, sqlite3_errcode (store->db), "Cannot purge a conversation");
        return FALSE;
      }
    first = sqlite3_column_int64 (stmt, 0);
  }

  messages = store_prepare (store, "DELETE FROM messages WHERE conversation_id = ?1 AND seq < ?2", error);
  if (messages == NULL)
    return FALSE;
  store_bind_text (messages, 1, conversation_id);
  sqlite3_bind_int64 (messages, 2, first + count);
  if (!store_step_done (store, messages, "Cannot purge a conversation's messages", error))
    return FALSE;

  events = store_prepare (store, "DELETE FROM events WHERE conversation_id = ?1 AND kind = '"
                          CONFAB_EVENT_MESSAGE "' AND seq < ?2", error);
  if (events == NULL)
    return FALSE;
  store_bind_text (events, 1, conversation_id);
  sqlite3_bind_int64 (events, 2, first + count);
  return store_step_done (store, events, "Cannot purge a conversation's messages", error);
}

gint64
confab_store_purge_conversations (ConfabStore  *store,
                                  const char   *site_id,
                                  gint64        cutoff_ms,
                                  guint         max_rows,
                                  gboolean     *out_more,
                                  GPtrArray   **out_conversation_ids,
                                  GPtrArray   **out_unused_files,
                                  GError      **error)
{
  STORE_HANDOFF (store, purge_conversations, -1, error, site_id, cutoff_ms, max_rows, out_more, out_conversation_ids, out_unused_files, error);

  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 budget = MAX (max_rows, 1);
  gboolean ok = TRUE, more = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL && site_id != NULL, -1);

  if (!confab_store_begin (store, error))
    return -1;

  /* conversations_site_activity finds the candidates by last message; a timeline event since
   * (resolved yesterday, last written to a year ago) is activity too. A few at a time: each
   * costs a count of its messages, and a batch takes only what fits its budget. */
  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                                 "SELECT c.id, (SELECT count (*) FROM messages m "
                                                 "  WHERE m.conversation_id = c.id) "
                                                 "FROM conversations c "
                                                 "WHERE c.site_id = ?1 AND c.last_message_at < ?2 "
                                                 "AND c.status IN ('resolved', 'closed') "
                                                 "AND coalesce ((SELECT max (e.created_at) FROM events e "
                                                 "  WHERE e.conversation_id = c.id AND e.kind = '"
                                                 CONFAB_EVENT_TIMELINE "'), 0) < ?2 "
                                                 "ORDER BY c.last_message_at LIMIT ?3", error);
    ok = stmt != NULL;
    if (ok)
      {
        store_bind_text (stmt, 1, site_id);
        sqlite3_bind_int64 (stmt, 2, cutoff_ms);
        sqlite3_bind_int64 (stmt, 3, PURGE_CANDIDATES);
        while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
          {
            gint64 size = sqlite3_column_int64 (stmt, 1);

            g_ptr_array_add (candidates, store_column_dup (stmt, 0));
            g_array_append_val (sizes, size);
          }
        if (rc != SQLITE_DONE)
          {
            store_set_sqlite_error (store, error, rc, "Cannot find the conversations to purge");
            ok = FALSE;
          }
      }
  }

  /* Each conversation costs its messages (and one for itself) of the budget. One too long for
   * what is left goes in slices of its oldest messages, one slice per call, and then whole:
   * no call deletes much more than @max_rows rows, whatever a conversation's length. */
  for (guint i = 0; ok && i < candidates->len; i++)
    {
      const char *id = g_ptr_array_index (candidates, i);
      gint64 size = g_array_index (sizes, gint64, i);
      g_autoptr (GPtrArray) shas = NULL;
      g_autoptr (ConfabStmt) stmt = NULL;

      if (size + 1 > budget)
        {
          more = TRUE;
          if (ids->len == 0)
            ok = purge_messages (store, id, budget, error);
          break;
        }
      budget -= size + 1;

      ok = (shas = list_ids (store, "SELECT sha256 FROM uploads WHERE conversation_id = ?1",
                             id, "Cannot list the conversation's uploads", error)) != NULL;
      for (guint j = 0; ok && j < shas->len; j++)
        g_ptr_array_add (files, g_strdup (g_ptr_array_index (shas, j)));
      /* the rest goes by foreign key: messages, events, rating, votes, uploads */
      if (ok)
        ok = (stmt = store_prepare (store, "DELETE FROM conversations WHERE id = ?1", error)) != NULL;
      if (ok)
        {
          store_bind_text (stmt, 1, id);
          ok = store_step_done (store, stmt, "Cannot purge a conversation", error);
        }
      g_ptr_array_add (ids, g_strdup (id));
    }

  if (!store_finish (store, ok, error))
    return -1;

  if (out_more != NULL)
    *out_more = more || candidates->len == PURGE_CANDIDATES;
  if (out_unused_files != NULL)
    *out_unused_files = unused_files (store, files);
  if (out_conversation_ids != NULL)
    *out_conversation_ids = g_ptr_array_ref (ids);
  return ids->len;
}

gint64
confab_store_count_visitor_messages (ConfabStore  *store,
                                     const char   *visitor_id,
                                     GError      **error)
{
  STORE_HANDOFF (store, count_visitor_messages, -1, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, -1);

  stmt = store_prepare (store, "SELECT count (*) FROM messages WHERE conversation_id IN "
                        "(SELECT id FROM conversations WHERE visitor_id = ?1)", error);
  if (stmt == NULL)
    return -1;
  store_bind_text (stmt, 1, visitor_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, sqlite3_errcode (store->db), "Cannot count the visitor's messages");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_store_trim_visitor_messages (ConfabStore  *store,
                                    const char   *visitor_id,
                                    guint         max_rows,
                                    gboolean     *out_more,
                                    GError      **error)
{
  STORE_HANDOFF (store, trim_visitor_messages, FALSE, error, visitor_id, max_rows, out_more, error);

  g_autofree char *conversation_id = NULL;
  gboolean ok;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, FALSE);

  {
    g_autoptr (ConfabStmt) stmt = store_prepare (store,
                                                 "SELECT c.id FROM conversations c WHERE c.visitor_id = ?1 "
                                                 "AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id) "
                                                 "LIMIT 1", error);
    int rc;

    if (stmt == NULL)
      return FALSE;
    store_bind_text (stmt, 1, visitor_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      conversation_id = store_column_dup (stmt, 0);
    else if (rc != SQLITE_DONE)
      {
        store_set_sqlite_error (store, error, rc, "Cannot find the visitor's messages");
        return FALSE;
      }
  }

  if (!confab_store_begin (store, error))
    return FALSE;
  ok = conversation_id == NULL || purge_messages (store, conversation_id, MAX (max_rows, 1), error);
  if (!store_finish (store, ok, error))
    return FALSE;

  /* a call that found nothing to trim says so; the one before it may have taken the last */
  *out_more = conversation_id != NULL;
  return TRUE;
}

/* --- blocked visitors ----------------------------------------------------------------------- */

void
confab_block_free (ConfabBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->site_id);
  g_free (block->visitor_id);
  g_free (block->name);
  g_free (block->email);
  g_free (block->ip_hash);
  g_free (block->reason);
  g_free (block->blocked_by);
  g_free (block->blocked_by_name);
  g_free (block);
}

#define BLOCK_SELECT "SELECT b.site_id, b.visitor_id, v.name, v.email, b.ip_hash, b.reason, " \
                     "b.blocked_at, b.blocked_by, u.name FROM visitor_blocks b " \
                     "LEFT JOIN visitors v ON v.id = b.visitor_id " \
                     "LEFT JOIN users u ON u.id = b.blocked_by "

static gpointer
read_block (sqlite3_stmt *stmt)
{
  ConfabBlock *block = g_new0 (ConfabBlock, 1);

  block->site_id = store_column_dup (stmt, 0);
  block->visitor_id = store_column_dup (stmt, 1);
  block->name = store_column_dup (stmt, 2);
  block->email = store_column_dup (stmt, 3);
  block->ip_hash = store_column_dup (stmt, 4);
  block->reason = store_column_dup (stmt, 5);
  block->blocked_at = sqlite3_column_int64 (stmt, 6);
  block->blocked_by = store_column_dup (stmt, 7);
  block->blocked_by_name = store_column_dup (stmt, 8);
  return block;
}

ConfabBlock *
confab_store_block_visitor (ConfabStore  *store,
                            const char   *site_id,
                            const char   *visitor_id,
                            const char   *reason,
                            const char   *user_id,
                            GError      **error)
{
  STORE_HANDOFF (store, block_visitor, NULL, error, site_id, visitor_id, reason, user_id, error);

  g_autoptr (ConfabStmt) insert = NULL;
  g_autoptr (ConfabStmt) select = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && site_id != NULL && visitor_id != NULL, NULL);

  insert = store_prepare (store,
                          "INSERT INTO visitor_blocks (site_id, visitor_id, ip_hash, reason, "
                          "blocked_at, blocked_by) VALUES (?1, ?2, "
                          "(SELECT ip_hash FROM visitors WHERE id = ?2), ?3, ?4, ?5) "
                          "ON CONFLICT (site_id, visitor_id) DO UPDATE SET reason = excluded.reason, "
                          "ip_hash = coalesce (excluded.ip_hash, ip_hash)", error);
  if (insert == NULL)
    return NULL;
  store_bind_text (insert, 1, site_id);
  store_bind_text (insert, 2, visitor_id);
  store_bind_text (insert, 3, reason);
  sqlite3_bind_int64 (insert, 4, confab_now_ms ());
  store_bind_text (insert, 5, user_id);
  if (!store_step_done (store, insert, "Cannot block the visitor", error))
    return NULL;

  select = store_prepare (store, BLOCK_SELECT "WHERE b.site_id = ?1 AND b.visitor_id = ?2", error);
  if (select == NULL)
    return NULL;
  store_bind_text (select, 1, site_id);
  store_bind_text (select, 2, visitor_id);
  if ((rc = sqlite3_step (select)) == SQLITE_ROW)
    return read_block (select);
  store_set_sqlite_error (store, error, rc, "Cannot read the block");
  return NULL;
}

gboolean
confab_store_unblock_visitor (ConfabStore  *store,
                              const char   *site_id,
                              const char   *visitor_id,
                              GError      **error)
{
  STORE_HANDOFF (store, unblock_visitor, FALSE, error, site_id, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL && visitor_id != NULL, FALSE);

  stmt = store_prepare (store, "DELETE FROM visitor_blocks WHERE site_id = ?1 AND visitor_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, visitor_id);
  return store_step_done (store, stmt, "Cannot unblock the visitor", error) &&
         store_not_found_if_unchanged (store, "block", visitor_id, error);
}

char *
confab_store_get_block_site (ConfabStore  *store,
                             const char   *visitor_id,
                             GError      **error)
{
  STORE_HANDOFF (store, get_block_site, NULL, error, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && visitor_id != NULL, NULL);

  /* visitor ids are the relay's own, unique across sites */
  stmt = store_prepare (store, "SELECT site_id FROM visitor_blocks WHERE visitor_id = ?1 LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, visitor_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return store_column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot look up the block");
  return NULL;
}

GPtrArray *
confab_store_list_blocks (ConfabStore  *store,
                          const char   *site_id,
                          GError      **error)
{
  STORE_HANDOFF (store, list_blocks, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && site_id != NULL, NULL);

  stmt = store_prepare (store, BLOCK_SELECT "WHERE b.site_id = ?1 ORDER BY b.blocked_at DESC", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, read_block, (GDestroyNotify) confab_block_free,
                         "Cannot list the blocked visitors", error);
}

gboolean
confab_store_is_blocked (ConfabStore *store,
                         const char  *site_id,
                         const char  *visitor_id,
                         const char  *ip_hash)
{
  STORE_HANDOFF (store, is_blocked, FALSE, NULL, site_id, visitor_id, ip_hash);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && site_id != NULL, FALSE);

  /* two index lookups: the primary key, visitor_blocks_ip */
  stmt = store_prepare (store,
                        "SELECT EXISTS (SELECT 1 FROM visitor_blocks WHERE site_id = ?1 AND visitor_id = ?2) "
                        "OR EXISTS (SELECT 1 FROM visitor_blocks WHERE site_id = ?1 AND ip_hash = ?3)",
                        &error);
  if (stmt == NULL)
    {
      g_warning ("Cannot check for a block: %s", error->message);
      return FALSE;
    }
  store_bind_text (stmt, 1, site_id);
  store_bind_text (stmt, 2, visitor_id);
  store_bind_text (stmt, 3, ip_hash);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int (stmt, 0) != 0;
  g_warning ("Cannot check for a block: %s", sqlite3_errstr (rc));
  return FALSE;
}
