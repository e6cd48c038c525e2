/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-uploads.c: the SQLite store's image uploads (see confab-store.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

/* --- image uploads -------------------------------------------------------------------------- */

void
confab_upload_free (ConfabUpload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  g_free (upload->site_id);
  g_free (upload->conversation_id);
  g_free (upload->visitor_id);
  g_free (upload->user_id);
  g_free (upload->sha256);
  g_free (upload->mime);
  g_free (upload->kind);
  g_free (upload->name);
  g_free (upload);
}

#define UPLOAD_COLUMNS "id, site_id, conversation_id, visitor_id, user_id, sha256, mime, " \
                       "width, height, size, thumb_width, thumb_height, thumb_size, created_at, kind, name"

static ConfabUpload *
read_upload (sqlite3_stmt *stmt)
{
  ConfabUpload *upload = g_new0 (ConfabUpload, 1);

  upload->id = store_column_dup (stmt, 0);
  upload->site_id = store_column_dup (stmt, 1);
  upload->conversation_id = store_column_dup (stmt, 2);
  upload->visitor_id = store_column_dup (stmt, 3);
  upload->user_id = store_column_dup (stmt, 4);
  upload->sha256 = store_column_dup (stmt, 5);
  upload->mime = store_column_dup (stmt, 6);
  upload->width = sqlite3_column_int64 (stmt, 7);
  upload->height = sqlite3_column_int64 (stmt, 8);
  upload->size = sqlite3_column_int64 (stmt, 9);
  upload->thumb_width = sqlite3_column_int64 (stmt, 10);
  upload->thumb_height = sqlite3_column_int64 (stmt, 11);
  upload->thumb_size = sqlite3_column_int64 (stmt, 12);
  upload->created_at = sqlite3_column_int64 (stmt, 13);
  upload->kind = store_column_dup (stmt, 14);
  upload->name = store_column_dup (stmt, 15);
  return upload;
}

gboolean
confab_store_add_upload (ConfabStore        *store,
                         const ConfabUpload *upload,
                         GError            **error)
{
  STORE_HANDOFF (store, add_upload, FALSE, error, upload, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL && upload != NULL && upload->id != NULL, FALSE);

  stmt = store_prepare (store, "INSERT INTO uploads (" UPLOAD_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, upload->id);
  store_bind_text (stmt, 2, upload->site_id);
  store_bind_text (stmt, 3, upload->conversation_id);
  store_bind_text (stmt, 4, upload->visitor_id);
  store_bind_text (stmt, 5, upload->user_id);
  store_bind_text (stmt, 6, upload->sha256);
  store_bind_text (stmt, 7, upload->mime);
  sqlite3_bind_int64 (stmt, 8, upload->width);
  sqlite3_bind_int64 (stmt, 9, upload->height);
  sqlite3_bind_int64 (stmt, 10, upload->size);
  sqlite3_bind_int64 (stmt, 11, upload->thumb_width);
  sqlite3_bind_int64 (stmt, 12, upload->thumb_height);
  sqlite3_bind_int64 (stmt, 13, upload->thumb_size);
  sqlite3_bind_int64 (stmt, 14, upload->created_at);
  store_bind_text (stmt, 15, upload->kind != NULL ? upload->kind : "image");
  store_bind_text (stmt, 16, upload->name);

  return store_step_done (store, stmt, "Cannot store the upload", error);
}

ConfabUpload *
confab_store_get_upload (ConfabStore *store,
                         const char  *upload_id,
                         GError     **error)
{
  STORE_HANDOFF (store, get_upload, NULL, error, upload_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " UPLOAD_COLUMNS " FROM uploads WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, upload_id);
  if (!store_step_row (store, stmt, "upload", upload_id, error))
    return NULL;

  return read_upload (stmt);
}

gboolean
confab_store_upload_file_used (ConfabStore *store,
                               const char  *sha256)
{
  STORE_HANDOFF (store, upload_file_used, FALSE, NULL, sha256);

  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = store_prepare (store, "SELECT 1 FROM uploads WHERE sha256 = ?1 LIMIT 1", NULL);
  if (stmt == NULL)
    return TRUE; /* when in doubt, a file is in use: never delete what a row may name */

  store_bind_text (stmt, 1, sha256);
  return sqlite3_step (stmt) != SQLITE_DONE;
}

/* SQLite's uploads are files in <data-dir>/uploads (relay/media/confab-uploads.c). */
gboolean
confab_store_can_hold_upload_bytes (ConfabStore *store)
{
  STORE_HANDOFF (store, can_hold_upload_bytes, FALSE, NULL);

  return FALSE;
}

static void
set_no_bytes (GError **error)
{
  g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                       "The SQLite store keeps uploads as files, not in the database");
}

gboolean
confab_store_put_upload_bytes (ConfabStore  *store,
                               const char   *sha256,
                               GBytes       *data,
                               GBytes       *thumb,
                               GError      **error)
{
  STORE_HANDOFF (store, put_upload_bytes, FALSE, error, sha256, data, thumb, error);

  set_no_bytes (error);
  return FALSE;
}

GBytes *
confab_store_get_upload_bytes (ConfabStore  *store,
                               const char   *sha256,
                               gboolean      thumb,
                               GError      **error)
{
  STORE_HANDOFF (store, get_upload_bytes, NULL, error, sha256, thumb, error);

  set_no_bytes (error);
  return NULL;
}

gboolean
confab_store_delete_upload_bytes (ConfabStore  *store,
                                  const char   *sha256,
                                  GError      **error)
{
  STORE_HANDOFF (store, delete_upload_bytes, FALSE, error, sha256, error);

  set_no_bytes (error);
  return FALSE;
}

gboolean
confab_store_claim_upload (ConfabStore *store,
                           const char  *upload_id,
                           const char  *conversation_id,
                           const char  *visitor_id,
                           GError     **error)
{
  STORE_HANDOFF (store, claim_upload, FALSE, error, upload_id, conversation_id, visitor_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  /* SQLite counts a row the WHERE matched as changed even when the value stays the same. */
  stmt = store_prepare (store,
                        "UPDATE uploads SET conversation_id = ?2 WHERE id = ?1 AND "
                        "(conversation_id = ?2 OR (conversation_id IS NULL AND ?3 IS NOT NULL AND "
                        "visitor_id = ?3 AND site_id = "
                        "(SELECT site_id FROM conversations WHERE id = ?2 AND visitor_id = ?3)))",
                        error);
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, upload_id);
  store_bind_text (stmt, 2, conversation_id);
  store_bind_text (stmt, 3, visitor_id);
  return store_step_done (store, stmt, "Cannot attach the upload", error) &&
         store_not_found_if_unchanged (store, "attachment", upload_id, error);
}

ConfabVisitor *
confab_store_get_visitor_by_token (ConfabStore *store,
                                   const char  *token_hash,
                                   GError     **error)
{
  STORE_HANDOFF (store, get_visitor_by_token, NULL, error, token_hash, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " VISITOR_COLUMNS " FROM visitors WHERE token_hash = ?1",
                        error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, token_hash);
  if (!store_step_row (store, stmt, "visitor", "(by token)", error))
    return NULL;

  return store_read_visitor (stmt);
}

ConfabMessage *
store_with_attachment (ConfabStore   *store,
                 ConfabMessage *message)
{
  if (message != NULL && message->attachment_id != NULL && message->attachment == NULL)
    message->attachment = confab_store_get_upload (store, message->attachment_id, NULL);

  return message;
}
