/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-extras.c: the PostgreSQL store's upload rows, canned responses and blocked
 * visitors (the SQLite twins are in sqlite/confab-store-uploads.c, -faq.c and -data.c). The
 * upload files themselves stay in the relay's <data-dir>/uploads for now: one relay, or a
 * shared directory. */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"

/* --- upload rows ---------------------------------------------------------------------------- */

gboolean
pg_add_upload (ConfabStore        *store,
               const ConfabUpload *upload,
               GError            **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (upload != NULL && upload->id != NULL, FALSE);

  pg_text (&params, upload->id);
  pg_text (&params, upload->site_id);
  pg_text (&params, upload->conversation_id);
  pg_text (&params, upload->visitor_id);
  pg_text (&params, upload->user_id);
  pg_text (&params, upload->sha256);
  pg_text (&params, upload->mime);
  pg_int (&params, upload->width);
  pg_int (&params, upload->height);
  pg_int (&params, upload->size);
  pg_int (&params, upload->thumb_width);
  pg_int (&params, upload->thumb_height);
  pg_int (&params, upload->thumb_size);
  pg_int (&params, upload->created_at);
  pg_text (&params, upload->kind != NULL ? upload->kind : "image");
  pg_text (&params, upload->name);
  result = pg_write (store,
                     "INSERT INTO uploads (id, site_id, conversation_id, visitor_id, user_id, "
                     "sha256, mime, width, height, size, thumb_width, thumb_height, thumb_size, "
                     "created_at, kind, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                     "$11, $12, $13, $14, $15, $16)",
                     &params, "Cannot store the upload", error);
  return result != NULL;
}

gboolean
pg_upload_file_used (ConfabStore *store,
                     const char  *sha256)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, sha256);
  result = pg_exec (store, "SELECT 1 FROM uploads WHERE sha256 = $1 LIMIT 1", &params,
                    "Cannot look for the upload's file", NULL);
  /* when in doubt, a file is in use: never delete what a row may name */
  return result == NULL || PQntuples (result) > 0;
}

gboolean
pg_claim_upload (ConfabStore *store,
                 const char  *upload_id,
                 const char  *conversation_id,
                 const char  *visitor_id,
                 GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, upload_id);
  pg_text (&params, conversation_id);
  pg_text (&params, visitor_id);
  result = pg_exec (store,
                    "UPDATE uploads SET conversation_id = $2 WHERE id = $1 AND "
                    "(conversation_id = $2 OR (conversation_id IS NULL AND $3::text IS NOT NULL AND "
                    "visitor_id = $3 AND site_id = "
                    "(SELECT site_id FROM conversations WHERE id = $2 AND visitor_id = $3)))",
                    &params, "Cannot attach the upload", error);
  return result != NULL && pg_found (result, "attachment", upload_id, error);
}

/* --- upload bytes -------------------------------------------------------------------------- */

/* bytea, not large objects: an upload is at most [limits] max-upload-bytes (a few MB), read
 * whole to be sent whole; a bytea row is written in the same transaction as its upload row,
 * goes with an ordinary DELETE, is copied by pg_dump and replicated like any row, and needs no
 * lo_unlink or vacuumlo for the orphans large objects leave. The column is STORAGE EXTERNAL
 * (schema v8): images and office files are compressed already, TOAST need not try again. */

gboolean
pg_can_hold_upload_bytes (ConfabStore *store)
{
  return TRUE;
}

gboolean
pg_put_upload_bytes (ConfabStore  *store,
                     const char   *sha256,
                     GBytes       *data,
                     GBytes       *thumb,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (sha256 != NULL && data != NULL, FALSE);

  pg_text (&params, sha256);
  pg_binary (&params, data);
  if (thumb != NULL)
    pg_binary (&params, thumb);
  else
    pg_text (&params, NULL);
  result = pg_exec (store,
                    "INSERT INTO upload_blobs (sha256, data, thumb) "
                    "VALUES ($1, $2, coalesce ($3::bytea, ''::bytea)) "
                    "ON CONFLICT (sha256) DO NOTHING", &params,
                    "Cannot store the upload's bytes", error);
  return result != NULL;
}

GBytes *
pg_get_upload_bytes (ConfabStore  *store,
                     const char   *sha256,
                     gboolean      thumb,
                     GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };
  unsigned char *bytes;
  size_t len = 0;
  GBytes *copy;

  pg_text (&params, sha256);
  if (thumb)
    result = pg_exec (store, "SELECT thumb FROM upload_blobs WHERE sha256 = $1", &params,
                      "Cannot read the upload's bytes", error);
  else
    result = pg_exec (store, "SELECT data FROM upload_blobs WHERE sha256 = $1", &params,
                      "Cannot read the upload's bytes", error);
  if (result == NULL || !pg_found (result, "upload file", sha256, error))
    return NULL;

  bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 0), &len);
  if (bytes == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot read the upload's bytes: out of memory");
      return NULL;
    }
  copy = g_bytes_new (bytes, len);
  PQfreemem (bytes);
  return copy;
}

gboolean
pg_delete_upload_bytes (ConfabStore  *store,
                        const char   *sha256,
                        GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, sha256);
  /* agents' avatars keep their pictures here too (confab-api-avatars.c) */
  result = pg_exec (store, "DELETE FROM upload_blobs WHERE sha256 = $1 AND NOT EXISTS "
                    "(SELECT 1 FROM uploads WHERE sha256 = $1) AND NOT EXISTS "
                    "(SELECT 1 FROM users WHERE avatar_sha256 = $1)", &params,
                    "Cannot delete the upload's bytes", error);
  return result != NULL;
}

/* --- canned responses ----------------------------------------------------------------------- */

#define CANNED_COLUMNS "id, site_id, shortcut, body, created_at, updated_at"

static ConfabCanned *
read_canned (PGresult *result,
             int       row)
{
  ConfabCanned *canned = g_new0 (ConfabCanned, 1);

  canned->id = pg_dup (result, row, 0);
  canned->site_id = pg_dup (result, row, 1);
  canned->shortcut = pg_dup (result, row, 2);
  canned->body = pg_dup (result, row, 3);
  canned->created_at = pg_integer (result, row, 4);
  canned->updated_at = pg_integer (result, row, 5);
  return canned;
}

/* A taken shortcut says so in words a user can act on. */
static void
canned_error (GError  *local_error,
              GError **error)
{
  if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a canned response with this shortcut");
  else
    g_propagate_error (error, g_error_copy (local_error));
}

ConfabCanned *
pg_create_canned (ConfabStore *store,
                  const char  *site_id,
                  const char  *shortcut,
                  const char  *body,
                  GError     **error)
{
  g_autofree char *id = confab_new_id ("can_");
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) local_error = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, shortcut);
  pg_text (&params, body);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO canned_responses (id, site_id, shortcut, body, created_at, "
                     "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING " CANNED_COLUMNS,
                     &params, "Cannot store the canned response", &local_error);
  if (result == NULL)
    {
      canned_error (local_error, error);
      return NULL;
    }
  return read_canned (result, 0);
}

ConfabCanned *
pg_get_canned (ConfabStore *store,
               const char  *canned_id,
               GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, canned_id);
  result = pg_exec (store, "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE id = $1",
                    &params, "Cannot read the canned response", error);
  if (result == NULL || !pg_found (result, "canned response", canned_id, error))
    return NULL;
  return read_canned (result, 0);
}

GPtrArray *
pg_list_canned (ConfabStore *store,
                const char  *site_id,
                GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  /* COLLATE "C": byte order, as SQLite's BINARY sorts the shortcuts */
  pg_text (&params, site_id);
  result = pg_exec (store,
                    "SELECT " CANNED_COLUMNS " FROM canned_responses WHERE site_id = $1 "
                    "ORDER BY shortcut COLLATE \"C\"", &params,
                    "Cannot list the canned responses", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_canned_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_canned (result, i));
  return list;
}

ConfabCanned *
pg_update_canned (ConfabStore *store,
                  const char  *canned_id,
                  const char  *shortcut,
                  const char  *body,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GError) local_error = NULL;
  PgParams params = { 0 };

  pg_text (&params, canned_id);
  pg_text (&params, shortcut);
  pg_text (&params, body);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "UPDATE canned_responses SET shortcut = coalesce ($2, shortcut), "
                     "body = coalesce ($3, body), updated_at = $4 WHERE id = $1 "
                     "RETURNING " CANNED_COLUMNS, &params, "Cannot update the canned response",
                     &local_error);
  if (result == NULL)
    {
      canned_error (local_error, error);
      return NULL;
    }
  if (!pg_found (result, "canned response", canned_id, error))
    return NULL;
  return read_canned (result, 0);
}

gboolean
pg_delete_canned (ConfabStore *store,
                  const char  *canned_id,
                  GError     **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, canned_id);
  result = pg_exec (store, "DELETE FROM canned_responses WHERE id = $1", &params,
                    "Cannot delete the canned response", error);
  return result != NULL && pg_found (result, "canned response", canned_id, error);
}

/* --- blocked visitors ----------------------------------------------------------------------- */

#define BLOCK_SELECT "SELECT b.site_id, b.visitor_id, v.name, v.email, b.ip_hash, b.reason, " \
                     "b.blocked_at, b.blocked_by, u.name FROM visitor_blocks b " \
                     "LEFT JOIN visitors v ON v.id = b.visitor_id " \
                     "LEFT JOIN users u ON u.id = b.blocked_by "

static ConfabBlock *
read_block (PGresult *result,
            int       row)
{
  ConfabBlock *block = g_new0 (ConfabBlock, 1);

  block->site_id = pg_dup (result, row, 0);
  block->visitor_id = pg_dup (result, row, 1);
  block->name = pg_dup (result, row, 2);
  block->email = pg_dup (result, row, 3);
  block->ip_hash = pg_dup (result, row, 4);
  block->reason = pg_dup (result, row, 5);
  block->blocked_at = pg_integer (result, row, 6);
  block->blocked_by = pg_dup (result, row, 7);
  block->blocked_by_name = pg_dup (result, row, 8);
  return block;
}

ConfabBlock *
pg_block_visitor (ConfabStore  *store,
                  const char   *site_id,
                  const char   *visitor_id,
                  const char   *reason,
                  const char   *user_id,
                  GError      **error)
{
  g_autoptr (PGresult) inserted = NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  g_return_val_if_fail (site_id != NULL && visitor_id != NULL, NULL);

  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  pg_text (&params, reason);
  pg_int (&params, confab_now_ms ());
  pg_text (&params, user_id);
  inserted = pg_write (store,
                       "INSERT INTO visitor_blocks (site_id, visitor_id, ip_hash, reason, "
                       "blocked_at, blocked_by) VALUES ($1, $2, "
                       "(SELECT ip_hash FROM visitors WHERE id = $2), $3, $4, $5) "
                       "ON CONFLICT (site_id, visitor_id) DO UPDATE SET reason = excluded.reason, "
                       "ip_hash = coalesce (excluded.ip_hash, visitor_blocks.ip_hash)", &params,
                       "Cannot block the visitor", error);
  if (inserted == NULL)
    return NULL;

  memset (&params, 0, sizeof params);
  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  result = pg_exec (store, BLOCK_SELECT "WHERE b.site_id = $1 AND b.visitor_id = $2", &params,
                    "Cannot read the block", error);
  if (result == NULL || !pg_found (result, "block", visitor_id, error))
    return NULL;
  return read_block (result, 0);
}

gboolean
pg_unblock_visitor (ConfabStore  *store,
                    const char   *site_id,
                    const char   *visitor_id,
                    GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  pg_text (&params, visitor_id);
  result = pg_exec (store, "DELETE FROM visitor_blocks WHERE site_id = $1 AND visitor_id = $2",
                    &params, "Cannot unblock the visitor", error);
  return result != NULL && pg_found (result, "block", visitor_id, error);
}

char *
pg_get_block_site (ConfabStore  *store,
                   const char   *visitor_id,
                   GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  /* visitor ids are the relay's own, unique across sites */
  pg_text (&params, visitor_id);
  result = pg_exec (store, "SELECT site_id FROM visitor_blocks WHERE visitor_id = $1 LIMIT 1",
                    &params, "Cannot look up the block", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}

GPtrArray *
pg_list_blocks (ConfabStore  *store,
                const char   *site_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *list;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, BLOCK_SELECT "WHERE b.site_id = $1 ORDER BY b.blocked_at DESC", &params,
                    "Cannot list the blocked visitors", error);
  if (result == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_block_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (list, read_block (result, i));
  return list;
}
