/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-notes.c: the SQLite store's internal notes (see confab-store-chat.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-chat.h"

#define NOTE_COLUMNS "id, conversation_id, author_id, author_name, client_id, body, mentions, created_at"

void
confab_note_free (ConfabNote *note)
{
  if (note == NULL)
    return;
  g_free (note->id);
  g_free (note->conversation_id);
  g_free (note->author_id);
  g_free (note->author_name);
  g_free (note->client_id);
  g_free (note->body);
  g_free (note->mentions_json);
  g_free (note);
}

static ConfabNote *
read_note (sqlite3_stmt *stmt)
{
  ConfabNote *note = g_new0 (ConfabNote, 1);

  note->id = store_column_dup (stmt, 0);
  note->conversation_id = store_column_dup (stmt, 1);
  note->author_id = store_column_dup (stmt, 2);
  note->author_name = store_column_dup (stmt, 3);
  note->client_id = store_column_dup (stmt, 4);
  note->body = store_column_dup (stmt, 5);
  note->mentions_json = store_column_dup (stmt, 6);
  note->created_at = sqlite3_column_int64 (stmt, 7);
  return note;
}

static ConfabNote *
find_note (ConfabStore  *store,
           const char   *author_id,
           const char   *client_id,
           GError      **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = store_prepare (store,
                        "SELECT " NOTE_COLUMNS " FROM notes WHERE author_id = ?1 AND client_id = ?2",
                        error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, author_id);
  store_bind_text (stmt, 2, client_id);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    return read_note (stmt);
  if (rc != SQLITE_DONE)
    store_set_sqlite_error (store, error, rc, "Cannot read the note");
  return NULL;
}

ConfabNote *
confab_store_add_note (ConfabStore  *store,
                       const char   *conversation_id,
                       const char   *author_id,
                       const char   *author_name,
                       const char   *client_id,
                       const char   *body,
                       const char   *mentions_json,
                       gboolean     *out_duplicate,
                       GError      **error)
{
  STORE_HANDOFF (store, add_note, NULL, error, conversation_id, author_id, author_name, client_id, body, mentions_json, out_duplicate, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (ConfabNote) earlier = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *id = confab_new_id ("note_");
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  *out_duplicate = FALSE;

  /* a note sent again after a lost ack is the same note */
  earlier = find_note (store, author_id, client_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (earlier != NULL)
    {
      if (g_strcmp0 (earlier->body, body) != 0 ||
          g_strcmp0 (earlier->conversation_id, conversation_id) != 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                       "“client_id” was used for another note");
          return NULL;
        }
      *out_duplicate = TRUE;
      return g_steal_pointer (&earlier);
    }

  stmt = store_prepare (store,
                        "INSERT INTO notes (id, conversation_id, author_id, author_name, client_id, "
                        "body, mentions, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                        "RETURNING " NOTE_COLUMNS, error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, conversation_id);
  store_bind_text (stmt, 3, author_id);
  store_bind_text (stmt, 4, author_name);
  store_bind_text (stmt, 5, client_id);
  store_bind_text (stmt, 6, body);
  store_bind_text (stmt, 7, mentions_json != NULL ? mentions_json : "[]");
  sqlite3_bind_int64 (stmt, 8, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      store_set_sqlite_error (store, error, rc, "Cannot store the note");
      return NULL;
    }
  {
    ConfabNote *note = read_note (stmt);

    /* RETURNING's statement is done only when stepped to its end */
    sqlite3_step (stmt);
    return note;
  }
}

GPtrArray *
confab_store_list_notes (ConfabStore  *store,
                         const char   *conversation_id,
                         GError      **error)
{
  STORE_HANDOFF (store, list_notes, NULL, error, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " NOTE_COLUMNS " FROM notes WHERE conversation_id = ?1 "
                        "ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, conversation_id);
  return store_read_all (store, stmt, (gpointer) read_note, (GDestroyNotify) confab_note_free,
                         "Cannot list the notes", error);
}
