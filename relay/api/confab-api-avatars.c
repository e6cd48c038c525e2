/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-avatars.c: PUT/DELETE /api/v1/me/avatar and GET /api/v1/avatars/{user_id} —
 * agents' pictures (issue 14).
 *
 * An avatar goes through the upload checks (magic bytes, pixel limit, the decoder of the
 * sniffed type only, re-encoded: nothing of the sent file survives) and is stored as a
 * CONFAB_AVATAR_SIZE px PNG square in <data-dir>/avatars/<sha256>.png, apart from uploads so
 * that no upload's removal takes it. Decoding runs on a worker thread while the request
 * waits. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-chat.h"
#include "confab-avatars.h"
#include "confab-image.h"
#include "confab-json.h"
#include "confab-store-chat.h"
#include "confab-uploads.h"
#include "confab-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define MAX_AVATAR_PIXELS (20 * 1000 * 1000)

typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  char              *user_id;
  GBytes            *body;
  char              *dir;         /* NULL: the picture goes to the database */
  /* from the worker */
  char              *sha256;
  GBytes            *png;         /* for the database */
} AvatarJob;

static void
avatar_job_free (AvatarJob *job)
{
  g_clear_object (&job->msg);
  g_free (job->user_id);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_free (job->dir);
  g_free (job->sha256);
  g_clear_pointer (&job->png, g_bytes_unref);
  g_free (job);
}

/* <data-dir>/avatars, or avatars/ in a shared [uploads] dir (every relay serves every
 * picture); NULL when they are in the database with the uploads (confab-uploads.c). */
static char *
avatars_dir (ConfabRelay *relay)
{
  g_autofree char *shared = NULL;

  if (confab_uploads_in_store (relay))
    return NULL;
  if (relay->config->uploads_dir != NULL && *relay->config->uploads_dir != '\0')
    {
      shared = confab_uploads_files_dir (relay);
      return g_build_filename (shared, "avatars", NULL);
    }
  return g_build_filename (relay->config->data_dir, "avatars", NULL);
}

static char *
avatar_path (const char *dir,
             const char *sha256)
{
  g_autofree char *name = g_strconcat (sha256, ".png", NULL);

  return g_build_filename (dir, name, NULL);
}

/* The previous picture's file, unless another user has the same one. */
static void
remove_if_unused (ConfabRelay *relay,
                  const char  *sha256)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (sha256 == NULL || confab_store_avatar_in_use (relay->store, sha256))
    return;
  dir = avatars_dir (relay);
  if (dir == NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!confab_store_delete_upload_bytes (relay->store, sha256, &error))
        g_warning ("Cannot remove an avatar's bytes: %s", error->message);
      return;
    }
  path = avatar_path (dir, sha256);
  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
}

static void
make_avatar (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  AvatarJob *job = task_data;
  g_autoptr (GBytes) png = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (job->body, &len);

  png = confab_image_avatar (data, len, MAX_AVATAR_PIXELS, CONFAB_AVATAR_SIZE, &error);
  if (png == NULL)
    return g_task_return_error (task, error);

  job->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
  if (job->dir == NULL)
    {
      /* the main thread stores it with the user's row */
      job->png = g_steal_pointer (&png);
      return g_task_return_boolean (task, TRUE);
    }
  path = avatar_path (job->dir, job->sha256);
  if (g_mkdir_with_parents (job->dir, 0700) != 0)
    return g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                                    "Cannot create %s: %s", job->dir, g_strerror (errno));
  if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
      !g_file_set_contents_full (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    return g_task_return_error (task, error);
  g_task_return_boolean (task, TRUE);
}

static void
avatar_made (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AvatarJob *job = g_task_get_task_data (G_TASK (result));
  SoupServerMessage *msg = job->msg;
  g_autoptr (GError) error = NULL;
  g_autofree char *previous = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED))
        confab_http_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                           error->message);
      else if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID))
        confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_image", error->message);
      else if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE))
        confab_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", error->message);
      else
        {
          g_warning ("Avatar failed: %s", error->message);
          confab_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                             "The relay could not store this picture");
        }
      soup_server_message_unpause (msg);
      return;
    }

  previous = confab_store_get_avatar (job->relay->store, job->user_id, NULL);
  if ((job->png != NULL &&
       !confab_store_put_upload_bytes (job->relay->store, job->sha256, job->png, NULL, &error)) ||
      !confab_store_set_avatar (job->relay->store, job->user_id, job->sha256, &error))
    {
      remove_if_unused (job->relay, job->sha256);
      confab_http_gerror (msg, error);
    }
  else
    {
      g_autoptr (JsonObject) answer = json_object_new ();
      g_autofree char *url = NULL;

      confab_avatars_changed (job->user_id, job->sha256);
      if (g_strcmp0 (previous, job->sha256) != 0)
        remove_if_unused (job->relay, previous);
      url = confab_avatar_url (job->user_id);
      json_object_set_string_member (answer, "avatar_url", url);
      confab_http_json_object (msg, SOUP_STATUS_OK, answer);
    }
  soup_server_message_unpause (msg);
}

void
confab_api_me_avatar (ConfabApiCall *call)
{
  if (confab_api_method_is (call, "PUT"))
    {
      SoupMessageBody *request_body = soup_server_message_get_request_body (call->msg);
      g_autoptr (GBytes) body = soup_message_body_flatten (request_body);
      g_autoptr (GTask) task = NULL;
      AvatarJob *job;

      if (g_bytes_get_size (body) == 0)
        return confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_image",
                                  "The request has no body: send the picture's bytes");

      job = g_new0 (AvatarJob, 1);
      job->relay = call->relay;
      job->msg = g_object_ref (call->msg);
      job->user_id = g_strdup (call->user->id);
      job->body = g_steal_pointer (&body);
      job->dir = avatars_dir (call->relay);

      task = g_task_new (NULL, NULL, avatar_made, NULL);
      g_task_set_source_tag (task, confab_api_me_avatar);
      g_task_set_task_data (task, job, (GDestroyNotify) avatar_job_free);
      soup_server_message_pause (call->msg);
      g_task_run_in_thread (task, make_avatar);
      return;
    }

  if (confab_api_method_is (call, "DELETE"))
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *previous = confab_store_get_avatar (call->relay->store, call->user->id, NULL);

      if (!confab_store_set_avatar (call->relay->store, call->user->id, NULL, &error))
        return confab_http_gerror (call->msg, error);
      confab_avatars_changed (call->user->id, NULL);
      remove_if_unused (call->relay, previous);
      return confab_api_no_content (call);
    }

  confab_api_method_not_allowed (call, "PUT, DELETE");
}

/* Public: the widget shows the team's faces to visitors. */
void
confab_api_avatar (ConfabRelay       *relay,
                   SoupServerMessage *msg,
                   const char        *user_id)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *sha256 = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "This method is not allowed here");
    }

  if (strlen (user_id) <= 100)
    sha256 = confab_store_get_avatar (relay->store, user_id, NULL);
  if (sha256 == NULL)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "This user has no avatar");

  dir = avatars_dir (relay);
  if (dir == NULL)
    {
      g_autoptr (GError) error = NULL;

      bytes = confab_store_get_upload_bytes (relay->store, sha256, FALSE, &error);
      if (bytes == NULL && !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_http_gerror (msg, error);
    }
  else
    {
      path = avatar_path (dir, sha256);
      mapped = g_mapped_file_new (path, FALSE, NULL);
      if (mapped != NULL)
        bytes = g_mapped_file_get_bytes (mapped);
    }
  if (bytes == NULL)
    {
      g_warning ("The avatar of %s has no file", user_id);
      return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "This user has no avatar");
    }

  etag = g_strdup_printf ("\"%.32s\"", sha256);
  soup_message_headers_replace (headers, "Content-Type", "image/png");
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'none'; sandbox");
  soup_message_headers_replace (headers, "Cross-Origin-Resource-Policy", "cross-origin");
  /* the URLs the relay hands out carry the hash (?v=): a new picture is a new URL */
  soup_message_headers_replace (headers, "Cache-Control", "public, max-age=86400");
  soup_message_headers_replace (headers, "ETag", etag);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}
