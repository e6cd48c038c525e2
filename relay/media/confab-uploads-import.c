/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-uploads-import.c: pictures that come by another way than POST /uploads — a Messenger
 * or WhatsApp sender's — through the same checks and into the same content-addressed files, or
 * into the database, as POST /uploads puts them */
#define G_LOG_DOMAIN "confab-uploads"

#include "confab-uploads.h"
#include "confab-hub.h"
#include "confab-image.h"
#include "confab-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  ConfabRelay *relay;
  char        *site_id;
  char        *visitor_id;
  GBytes      *bytes;
  char        *dir;            /* <data-dir>/uploads, or [uploads] dir (shared by relays) */
  /* the bytes go into the database, as POST /uploads puts them (confab_uploads_in_store ()) */
  gboolean     in_store;
  /* from the worker */
  ConfabImage *image;
  char        *sha256;
  char        *image_path;
  char        *thumb_path;
  gboolean     created_image;
  gboolean     created_thumb;
} Import;

static void
import_free (Import *import)
{
  g_free (import->site_id);
  g_free (import->visitor_id);
  g_bytes_unref (import->bytes);
  g_free (import->dir);
  g_clear_pointer (&import->image, confab_image_free);
  g_free (import->sha256);
  g_free (import->image_path);
  g_free (import->thumb_path);
  g_free (import);
}

static gboolean
write_if_absent (const char  *path,
                 GBytes      *bytes,
                 gboolean    *out_created,
                 GError     **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  *out_created = FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE; /* the same picture, stored before */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  *out_created = TRUE;
  return TRUE;
}

/* On a worker thread: the pixels and the files, never the store. */
static void
import_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Import *import = task_data;
  g_autofree char *dir = NULL;
  GError *error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (import->bytes, &len);

  import->image = confab_image_process (data, len, CONFAB_UPLOAD_MAX_PIXELS, &error);
  if (import->image == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  import->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, import->image->image);
  if (import->in_store)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  dir = g_strdup_printf ("%s/%.2s/%.2s", import->dir, import->sha256, import->sha256 + 2);
  import->image_path = g_build_filename (dir, import->sha256, NULL);
  import->thumb_path = g_strconcat (import->image_path, ".thumb", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return;
    }
  if (!write_if_absent (import->image_path, import->image->image, &import->created_image, &error) ||
      !write_if_absent (import->thumb_path, import->image->thumb, &import->created_thumb, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Files this import made that no row names. */
static void
remove_new_files (Import *import)
{
  if (import->sha256 == NULL || confab_store_upload_file_used (import->relay->store, import->sha256))
    return;
  if (import->created_image)
    g_unlink (import->image_path);
  if (import->created_thumb)
    g_unlink (import->thumb_path);
}

static void
import_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Import *import = g_task_get_task_data (G_TASK (result));
  g_autoptr (ConfabUpload) upload = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      remove_new_files (import);
      g_task_return_error (task, error);
      return;
    }

  upload = g_new0 (ConfabUpload, 1);
  upload->id = confab_new_id ("upl_");
  upload->site_id = g_strdup (import->site_id);
  upload->visitor_id = g_strdup (import->visitor_id);
  upload->sha256 = g_strdup (import->sha256);
  upload->kind = g_strdup ("image");
  upload->mime = g_strdup (confab_image_type_mime (import->image->type));
  upload->width = import->image->width;
  upload->height = import->image->height;
  upload->size = g_bytes_get_size (import->image->image);
  upload->thumb_width = import->image->thumb_width;
  upload->thumb_height = import->image->thumb_height;
  upload->thumb_size = g_bytes_get_size (import->image->thumb);
  upload->created_at = confab_now_ms ();

  confab_hub_sync (import->relay->hub);
  if (import->in_store)
    {
      ConfabStore *store = import->relay->store;

      /* the bytes and the row in one transaction: a row never names bytes that are not there */
      if (!confab_store_begin (store, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (!confab_store_put_upload_bytes (store, upload->sha256, import->image->image,
                                          import->image->thumb, &error) ||
          !confab_store_add_upload (store, upload, &error) ||
          !confab_store_commit (store, &error))
        {
          confab_store_rollback (store);
          g_task_return_error (task, error);
          return;
        }
    }
  else if (!confab_store_add_upload (import->relay->store, upload, &error))
    {
      remove_new_files (import);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_strdup (upload->id), g_free);
}

void
confab_uploads_import_image_async (ConfabRelay         *relay,
                                   const char          *site_id,
                                   const char          *visitor_id,
                                   GBytes              *bytes,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GTask) worker = NULL;
  Import *import = g_new0 (Import, 1);

  g_task_set_source_tag (task, confab_uploads_import_image_async);
  import->relay = relay;
  import->site_id = g_strdup (site_id);
  import->visitor_id = g_strdup (visitor_id);
  import->bytes = g_bytes_ref (bytes);
  import->dir = confab_uploads_files_dir (relay);
  import->in_store = confab_uploads_in_store (relay);

  worker = g_task_new (NULL, cancellable, import_done, task);
  g_task_set_task_data (worker, import, (GDestroyNotify) import_free);
  g_task_run_in_thread (worker, import_in_thread);
}

char *
confab_uploads_import_image_finish (GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
