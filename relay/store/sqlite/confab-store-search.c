/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-search.c: the SQLite store's search over message bodies, agents' avatars and
 * what the widget's team header says of the team (see confab-store-chat.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-chat.h"

/* --- search ------------------------------------------------------------------------------- */

void
confab_search_hit_free (ConfabSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->conversation_id);
  g_free (hit->site_id);
  g_free (hit->sender_name);
  g_free (hit->body);
  g_free (hit);
}

static ConfabSearchHit *
read_hit (sqlite3_stmt *stmt)
{
  ConfabSearchHit *hit = g_new0 (ConfabSearchHit, 1);

  hit->conversation_id = store_column_dup (stmt, 0);
  hit->site_id = store_column_dup (stmt, 1);
  hit->seq = sqlite3_column_int64 (stmt, 2);
  hit->cursor = sqlite3_column_int64 (stmt, 3);
  hit->sender_type = store_sender_from_string ((const char *) sqlite3_column_text (stmt, 4));
  hit->sender_name = store_column_dup (stmt, 5);
  hit->body = store_column_dup (stmt, 6);
  hit->created_at = sqlite3_column_int64 (stmt, 7);
  return hit;
}

GPtrArray *
confab_store_search_messages (ConfabStore  *store,
                              const char   *user_id,
                              const char   *site_id,
                              const char   *match,
                              gint64        before_cursor,
                              guint         limit,
                              GError      **error)
{
  STORE_HANDOFF (store, search_messages, NULL, error, user_id, site_id, match, before_cursor, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  /* Newest first by the index's own rowid (the message's cursor): FTS5 walks its matches in
   * rowid order, so a page costs the matches it skips, not a sort of them all. */
  stmt = store_prepare (store,
                        "SELECT m.conversation_id, c.site_id, m.seq, m.cursor, m.sender_type, "
                        "m.sender_name, m.body, m.created_at "
                        "FROM messages_fts f "
                        "JOIN messages m ON m.cursor = f.rowid "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE messages_fts MATCH ?1 AND (?4 <= 0 OR f.rowid < ?4) "
                        "AND c.site_id IN (SELECT site_id FROM memberships WHERE user_id = ?2) "
                        "AND (?3 IS NULL OR c.site_id = ?3) "
                        "ORDER BY f.rowid DESC LIMIT ?5", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, match);
  store_bind_text (stmt, 2, user_id);
  store_bind_text (stmt, 3, site_id);
  sqlite3_bind_int64 (stmt, 4, before_cursor);
  sqlite3_bind_int64 (stmt, 5, store_sql_limit (limit));
  return store_read_all (store, stmt, (gpointer) read_hit, (GDestroyNotify) confab_search_hit_free,
                         "Cannot search the messages", error);
}

/* --- avatars ------------------------------------------------------------------------------ */

gboolean
confab_store_set_avatar (ConfabStore  *store,
                         const char   *user_id,
                         const char   *sha256,
                         GError      **error)
{
  STORE_HANDOFF (store, set_avatar, FALSE, error, user_id, sha256, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = store_prepare (store, "UPDATE users SET avatar_sha256 = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, user_id);
  store_bind_text (stmt, 2, sha256);
  return store_step_done (store, stmt, "Cannot store the avatar", error) &&
         store_not_found_if_unchanged (store, "user", user_id, error);
}

char *
confab_store_get_avatar (ConfabStore  *store,
                         const char   *user_id,
                         GError      **error)
{
  STORE_HANDOFF (store, get_avatar, NULL, error, user_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT avatar_sha256 FROM users WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, user_id);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    return store_column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot read the avatar");
  return NULL;
}

gboolean
confab_store_avatar_in_use (ConfabStore *store,
                            const char  *sha256)
{
  STORE_HANDOFF (store, avatar_in_use, TRUE, NULL, sha256);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, TRUE);

  stmt = store_prepare (store, "SELECT 1 FROM users WHERE avatar_sha256 = ?1 LIMIT 1", NULL);
  if (stmt == NULL)
    return TRUE;  /* when in doubt, the file stays */
  store_bind_text (stmt, 1, sha256);
  return sqlite3_step (stmt) != SQLITE_DONE;
}

/* --- the team header ---------------------------------------------------------------------- */

/* How many of the site's latest conversations the header looks at (who answered, how soon). */
#define RECENT_CONVERSATIONS 500

GPtrArray *
confab_store_list_recent_answerers (ConfabStore  *store,
                                    const char   *site_id,
                                    guint         limit,
                                    GError      **error)
{
  STORE_HANDOFF (store, list_recent_answerers, NULL, error, site_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_user_free);
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  /* the latest conversations by the (site_id, created_at) index: bounded whatever the site's age */
  stmt = store_prepare (store,
                        "SELECT u.id, u.email, u.name, max (c.first_reply_at) AS latest "
                        "FROM (SELECT first_reply_by, first_reply_at FROM conversations "
                        "      WHERE site_id = ?1 ORDER BY created_at DESC LIMIT ?3) c "
                        "JOIN users u ON u.id = c.first_reply_by "
                        "JOIN memberships ms ON ms.site_id = ?1 AND ms.user_id = u.id "
                        "GROUP BY u.id ORDER BY latest DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  sqlite3_bind_int64 (stmt, 3, RECENT_CONVERSATIONS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabUser *user = g_new0 (ConfabUser, 1);

      user->id = store_column_dup (stmt, 0);
      user->email = store_column_dup (stmt, 1);
      user->name = store_column_dup (stmt, 2);
      g_ptr_array_add (users, user);
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list who answered");
      return NULL;
    }
  return g_steal_pointer (&users);
}

GArray *
confab_store_recent_first_responses (ConfabStore  *store,
                                     const char   *site_id,
                                     guint         limit,
                                     GError      **error)
{
  STORE_HANDOFF (store, recent_first_responses, NULL, error, site_id, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  /* among the latest conversations only: the widget's public config asks this, and a site
   * whose conversations mostly go unanswered must not make it walk all of them */
  stmt = store_prepare (store,
                        "SELECT first_reply_at - first_visitor_at FROM "
                        "(SELECT first_reply_at, first_visitor_at FROM conversations "
                        " WHERE site_id = ?1 ORDER BY created_at DESC LIMIT ?3) "
                        "WHERE first_reply_at IS NOT NULL AND first_visitor_at IS NOT NULL "
                        "LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  sqlite3_bind_int64 (stmt, 2, store_sql_limit (limit));
  sqlite3_bind_int64 (stmt, 3, RECENT_CONVERSATIONS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 ms = MAX (0, sqlite3_column_int64 (stmt, 0));

      g_array_append_val (times, ms);
    }
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot read the first responses");
      return NULL;
    }
  return g_steal_pointer (&times);
}
