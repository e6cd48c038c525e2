/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-backup.c: a consistent copy of the live database (`confab-relay admin backup`) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* How long one backup waits for a lock another process holds (a relay's commit takes a few ms;
 * a WAL reader never waits for writers, but the first read needs the shared-memory index). */
#define BACKUP_BUSY_TIMEOUT_MS 10000

static gboolean
fsync_path (const char  *path,
            gboolean     directory,
            GError     **error)
{
  int fd = open (path, (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  int saved_errno;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Cannot sync %s: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* SQLite's online backup API, every page in one step: one read transaction, so the copy is the
 * database as of one commit, while relays keep writing (a WAL reader holds no writer up). The
 * copy is written beside @path and renamed into place once complete and on disk: @path is
 * either the old file or the whole new one, never half of one. */
gboolean
confab_store_backup (ConfabStore  *store,
                     const char   *path,
                     GError      **error)
{
  g_autofree char *partial = NULL;
  g_autofree char *dir = NULL;
  sqlite3 *copy = NULL;
  sqlite3_backup *backup;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  partial = g_strdup_printf ("%s.partial-%d", path, (int) getpid ());
  g_unlink (partial);

  rc = sqlite3_open_v2 (partial, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot create %s: %s", partial,
                   copy != NULL ? sqlite3_errmsg (copy) : sqlite3_errstr (rc));
      goto failed;
    }
  /* it holds what the database holds: only its owner may read it */
  g_chmod (partial, 0600);

  sqlite3_busy_timeout (store->db, BACKUP_BUSY_TIMEOUT_MS);
  backup = sqlite3_backup_init (copy, "main", store->db, "main");
  if (backup == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot start the backup: %s", sqlite3_errmsg (copy));
      goto failed;
    }
  rc = sqlite3_backup_step (backup, -1);
  sqlite3_backup_finish (backup);
  sqlite3_busy_timeout (store->db, store->busy_timeout_ms);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, CONFAB_STORE_ERROR,
                   rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? CONFAB_STORE_ERROR_BUSY
                                                            : CONFAB_STORE_ERROR_FAILED,
                   "The backup did not complete: %s", sqlite3_errstr (rc));
      goto failed;
    }

  /* one self-contained file: no -wal beside it to lose in a copy */
  if (sqlite3_exec (copy, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot finish the backup: %s", sqlite3_errmsg (copy));
      goto failed;
    }
  sqlite3_close (copy);
  copy = NULL;

  dir = g_path_get_dirname (path);
  if (!fsync_path (partial, FALSE, error))
    goto failed;
  if (g_rename (partial, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Cannot write %s: %s",
                   path, g_strerror (saved_errno));
      goto failed;
    }
  return fsync_path (dir, TRUE, error);

failed:
  if (copy != NULL)
    sqlite3_close (copy);
  g_unlink (partial);
  return FALSE;
}
