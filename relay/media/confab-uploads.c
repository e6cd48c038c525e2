/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-uploads.c: image uploads, from the request's first header to the stored files.
 *
 * Memory. SoupServer would gather a request body in memory before any handler sees it. Here
 * an early handler (run when the headers are in) authenticates the uploader, checks the rate
 * limits and the declared Content-Length against the site's limit, turns the body's
 * accumulation off and writes each chunk to a temporary file as it arrives ("got-chunk"),
 * counting bytes so that a chunked body cannot go over the limit either. What a relay holds per
 * upload in flight is one read buffer; a refused body is read and thrown away (so that the
 * client gets its 413 instead of a reset), bounded in time by the request timeout.
 *
 * CPU. Decoding and re-encoding (up to 40 megapixels) runs on a pool of two worker threads while
 * the message is paused, so the main loop keeps serving chats; the store is only touched on the
 * main thread, before and after. Two at a time also bounds the decoded pixels in memory. */
#define G_LOG_DOMAIN "confab-uploads"

#include "confab-uploads.h"
#include "confab-files.h"
#include "confab-hub.h"
#include "confab-http.h"
#include "confab-api-keys.h"
#include "confab-image.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-data.h"
#include "confab-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define UPLOADS_PATH   CONFAB_UPLOADS_PATH
#define WORKER_THREADS 2
#define MAX_ID_CHARS   100
/* A body that keeps coming at this much per request timeout (64 KiB per 30 s by default, a
 * poor mobile link) is given more time; one that trickles slower is cut off like a stalled
 * request. */
#define PROGRESS_BYTES (64 * 1024)

struct _ConfabUploads
{
  ConfabRelay     *relay;
  char            *dir;           /* <data-dir>/uploads, or [uploads] dir (shared by relays) */
  char            *tmp_dir;       /* <data-dir>/uploads/tmp: bodies being received, local */
  /* The bytes live in the database (confab_store_put_upload_bytes ()): a PostgreSQL store and
   * no [uploads] dir, so that every relay of the database serves every upload. */
  gboolean         in_store;
  GThreadPool     *workers;
  GMainContext    *context;       /* where results go back to */
  ConfabRateLimit *per_uploader;  /* "user:ID" / "visitor:ID" */
  ConfabRateLimit *per_site;
};

/* Who is asking: an agent or a visitor, never both. */
typedef struct {
  ConfabUser    *user;
  ConfabVisitor *visitor;
} Caller;

static void
caller_clear (Caller *caller)
{
  g_clear_pointer (&caller->user, confab_user_free);
  g_clear_pointer (&caller->visitor, confab_visitor_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Caller, caller_clear)

/* A body on its way in; lives as long as its message (g_object_set_data_full), so whatever way
 * the request ends — answered, refused, the client gone mid-body — the file goes with it. */
typedef struct {
  ConfabRelay *relay;
  char        *tmp_path;     /* NULL once a worker owns the file */
  int          fd;
  guint64      received;
  guint64      unrewarded;   /* bytes since the request timeout was last re-armed */
  guint64      limit;
  gboolean     failed;       /* an error is answered; the rest of the body is thrown away */
  char        *site_id;
  char        *conversation_id;
  char        *visitor_id;
  char        *user_id;
  char        *name;         /* ?name=, cleaned (confab_file_clean_name()) */
  guint        allowed;      /* ConfabFileKind bits the site takes */
} Incoming;

#define INCOMING_KEY "confab-upload-incoming"

static void
incoming_free (Incoming *incoming)
{
  if (incoming->fd >= 0)
    close (incoming->fd);
  if (incoming->tmp_path != NULL)
    g_unlink (incoming->tmp_path);
  g_free (incoming->tmp_path);
  g_free (incoming->site_id);
  g_free (incoming->conversation_id);
  g_free (incoming->visitor_id);
  g_free (incoming->user_id);
  g_free (incoming->name);
  g_free (incoming);
}

/* --- responses ------------------------------------------------------------------------------ */

/* The widget uploads and downloads from the host page's origin with a bearer visitor token
 * (no cookies), so any origin may ask, as for the other widget endpoints. */
static void
set_cors_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (headers, "Vary", "Origin");
}

static void
not_found (SoupServerMessage *msg)
{
  confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
}

static void
unauthorized (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer");
  confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                     "Send an agent token or a visitor token as “Authorization: Bearer …”");
}

static void
answer_image_error (SoupServerMessage *msg,
                    const GError      *error)
{
  if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED))
    confab_http_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                       error->message);
  else if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID))
    confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_image", error->message);
  else if (g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE))
    confab_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", error->message);
  else if (confab_store_error_is_transient (error))
    confab_http_gerror (msg, error); /* 503 with Retry-After: the same upload works later */
  else
    {
      g_warning ("Upload failed: %s", error->message);
      confab_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                         "The relay could not store this image");
    }
}

/* Answered at once and the connection closed: the rest of the body is never read. */
static void
too_large (ConfabRelay       *relay,
           SoupServerMessage *msg,
           guint64            limit)
{
  g_autofree char *size = g_format_size_full (limit, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *message = limit == 0
    ? g_strdup ("This site does not accept uploads")
    : g_strdup_printf ("The image is larger than this site accepts (%s)", size);

  confab_http_refuse_now (relay, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", message);
}

/* --- who is asking -------------------------------------------------------------------------- */

/* Agent tokens and visitor tokens ("cvt_…") share the bearer header; @query_token is the
 * ?visitor_token= of a download. FALSE after answering 401 (403 "blocked" for a blocked
 * visitor). */
static gboolean
identify (ConfabUploads     *uploads,
          SoupServerMessage *msg,
          const char        *query_token,
          Caller            *caller)
{
  ConfabRelay *relay = uploads->relay;
  const char *token = confab_http_bearer (msg);

  if (token == NULL)
    token = query_token;
  if (token == NULL)
    {
      unauthorized (msg);
      return FALSE;
    }

  if (g_str_has_prefix (token, "cvt_"))
    {
      g_autofree char *hash = confab_sha256_hex (token);

      caller->visitor = confab_store_get_visitor_by_token (relay->store, hash, NULL);
      if (caller->visitor == NULL)
        {
          unauthorized (msg);
          return FALSE;
        }
      /* a blocked visitor's token opens nothing more than their socket does */
      {
        g_autofree char *ip = confab_http_client_ip (relay, msg);
        g_autofree char *ip_hash = confab_relay_hash_ip (relay, ip);

        if (confab_store_is_blocked (relay->store, caller->visitor->site_id, caller->visitor->id, ip_hash))
          {
            confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "blocked", "This chat is not available.");
            return FALSE;
          }
      }
      return TRUE;
    }

  if (token == query_token)
    {
      /* agent tokens only ever travel in the header */
      unauthorized (msg);
      return FALSE;
    }
  /* a site's API key opens no upload (confab-api-keys.c) */
  if (confab_api_keys_is_key_request (msg))
    {
      confab_api_keys_refuse (relay, msg);
      return FALSE;
    }

  caller->user = confab_http_authenticate (relay, msg, NULL);
  return caller->user != NULL;
}

static guint64
site_upload_limit (const ConfabSite *site)
{
  g_autoptr (JsonObject) settings = NULL;
  gint64 value = CONFAB_UPLOAD_DEFAULT_MAX_BYTES;

  /* written by the API after validation; a broken one falls back to the default */
  if (site->settings_json != NULL)
    settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                         G_MAXSIZE, 64, NULL);
  if (settings != NULL &&
      !confab_json_get_int (settings, "upload_max_bytes", FALSE, CONFAB_UPLOAD_DEFAULT_MAX_BYTES,
                            &value, NULL))
    value = CONFAB_UPLOAD_DEFAULT_MAX_BYTES;

  return (guint64) MAX (value, 0);
}

/* Fills @incoming's site and conversation from ?conversation_id=; FALSE after answering. */
static gboolean
choose_conversation (ConfabUploads     *uploads,
                     SoupServerMessage *msg,
                     GHashTable        *query,
                     Caller            *caller,
                     Incoming          *incoming)
{
  ConfabStore *store = uploads->relay->store;
  const char *conversation_id = query ? g_hash_table_lookup (query, "conversation_id") : NULL;
  g_autoptr (ConfabConversation) conversation = NULL;

  if (conversation_id != NULL && *conversation_id == '\0')
    conversation_id = NULL;

  if (caller->user != NULL && conversation_id == NULL)
    {
      confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "missing_field",
                         "Say which conversation the image is for: ?conversation_id=");
      return FALSE;
    }

  if (conversation_id != NULL)
    {
      if (strlen (conversation_id) <= MAX_ID_CHARS)
        conversation = confab_store_get_conversation (store, conversation_id, NULL);
      /* unknown and foreign conversations look the same */
      if (conversation == NULL ||
          (caller->user != NULL &&
           confab_store_get_role (store, conversation->site_id, caller->user->id) == CONFAB_ROLE_NONE) ||
          (caller->visitor != NULL && g_strcmp0 (conversation->visitor_id, caller->visitor->id) != 0))
        {
          not_found (msg);
          return FALSE;
        }
    }
  else
    {
      g_autoptr (GError) error = NULL;

      conversation = confab_store_get_current_conversation (store, caller->visitor->id, &error);
      if (error != NULL)
        {
          confab_http_gerror (msg, error);
          return FALSE;
        }
    }

  if (conversation != NULL)
    {
      incoming->site_id = g_strdup (conversation->site_id);
      incoming->conversation_id = g_strdup (conversation->id);
    }
  else
    incoming->site_id = g_strdup (caller->visitor->site_id);

  if (caller->visitor != NULL)
    incoming->visitor_id = g_strdup (caller->visitor->id);
  else
    incoming->user_id = g_strdup (caller->user->id);

  return TRUE;
}

/* --- receiving ------------------------------------------------------------------------------ */

static void
discard_file (Incoming *incoming)
{
  if (incoming->fd >= 0)
    close (incoming->fd);
  incoming->fd = -1;
  if (incoming->tmp_path != NULL)
    g_unlink (incoming->tmp_path);
  g_clear_pointer (&incoming->tmp_path, g_free);
}

static void
got_chunk (SoupServerMessage *msg,
           GBytes            *chunk,
           gpointer           user_data)
{
  Incoming *incoming = user_data;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  if (incoming->failed)
    return;

  incoming->received += len;
  incoming->unrewarded += len;
  if (incoming->unrewarded >= PROGRESS_BYTES)
    {
      confab_http_rearm_request_timeout (incoming->relay, msg);
      incoming->unrewarded = 0;
    }
  if (incoming->received > incoming->limit)
    {
      incoming->failed = TRUE;
      discard_file (incoming);
      too_large (incoming->relay, msg, incoming->limit);
      return;
    }

  while (len > 0)
    {
      gssize written = write (incoming->fd, data, len);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        {
          int saved_errno = written < 0 ? errno : ENOSPC;

          g_warning ("Cannot write an upload to %s: %s", incoming->tmp_path,
                     g_strerror (saved_errno));
          incoming->failed = TRUE;
          discard_file (incoming);
          /* the rest of the body has nowhere to go: answered now, not after reading it */
          confab_http_refuse_now (incoming->relay, msg,
                                  saved_errno == ENOSPC ? SOUP_STATUS_INSUFFICIENT_STORAGE
                                                        : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                  "internal_error", "The relay could not store this image");
          return;
        }
      data += written;
      len -= written;
    }
}

/* Runs when the request headers are in, before the body is read: everything that can be
 * refused without the body is refused here, so that no byte of it is kept. */
static void
upload_early (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  ConfabUploads *uploads = user_data;
  ConfabRelay *relay = uploads->relay;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  g_auto (Caller) caller = { NULL, NULL };
  g_autoptr (ConfabSite) site = NULL;
  g_autofree char *uploader_key = NULL;
  g_autofree char *template = NULL;
  Incoming *incoming;
  SoupEncoding encoding;
  gint64 now_mono = confab_rate_limit_now_ms ();
  guint retry = 0;

  if (strcmp (path, UPLOADS_PATH) != 0 || strcmp (soup_server_message_get_method (msg), "POST") != 0)
    return;

  /* Whatever happens next, the body never piles up in memory. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  set_cors_headers (msg);

  if (!identify (uploads, msg, NULL, &caller))
    return;

  incoming = g_new0 (Incoming, 1);
  incoming->relay = relay;
  incoming->fd = -1;
  g_object_set_data_full (G_OBJECT (msg), INCOMING_KEY, incoming, (GDestroyNotify) incoming_free);
  incoming->failed = TRUE; /* until the file is open */

  if (!choose_conversation (uploads, msg, query, &caller, incoming))
    return;

  uploader_key = caller.user ? g_strconcat ("user:", caller.user->id, NULL)
                             : g_strconcat ("visitor:", caller.visitor->id, NULL);
  if (!confab_rate_limit_take (uploads->per_uploader, uploader_key, now_mono, &retry) ||
      !confab_rate_limit_take (uploads->per_site, incoming->site_id, now_mono, &retry))
    return confab_http_rate_limited (msg, retry);

  site = confab_store_get_site (relay->store, incoming->site_id, NULL);
  if (site == NULL)
    return not_found (msg);
  incoming->limit = site_upload_limit (site);
  incoming->allowed = confab_file_kinds_allowed (site->settings_json);

  {
    const char *name = query ? g_hash_table_lookup (query, "name") : NULL;

    if (name != NULL && *name != '\0' && (incoming->name = confab_file_clean_name (name)) == NULL)
      return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value",
                                "“name” must be a file name of 1 to 255 bytes");
  }

  encoding = soup_message_headers_get_encoding (request_headers);
  if (encoding == SOUP_ENCODING_NONE ||
      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
       soup_message_headers_get_content_length (request_headers) == 0))
    return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_image",
                              "The request has no body: send the image's bytes");
  if (incoming->limit == 0 ||
      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
       (guint64) soup_message_headers_get_content_length (request_headers) > incoming->limit))
    return too_large (incoming->relay, msg, incoming->limit);

  template = g_build_filename (uploads->tmp_dir, "upload-XXXXXX", NULL);
  incoming->fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);
  if (incoming->fd < 0)
    {
      g_warning ("Cannot make a temporary file in %s: %s", uploads->tmp_dir, g_strerror (errno));
      return confab_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                                "The relay could not store this image");
    }
  incoming->tmp_path = g_steal_pointer (&template);
  incoming->failed = FALSE;

  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk), incoming);
}

/* --- processing ----------------------------------------------------------------------------- */

typedef struct {
  ConfabUploads     *uploads;
  SoupServerMessage *msg;
  /* for the worker */
  char              *tmp_path;
  char              *name;
  guint              allowed;
  /* from the worker */
  ConfabImage       *image;       /* NULL for a file */
  const char        *file_mime;   /* a file's (static) */
  gint64             file_size;
  GBytes            *file_bytes;  /* a file's, when they go to the store */
  char              *sha256;
  char              *image_path;
  char              *thumb_path;
  gboolean           created_image;
  gboolean           created_thumb;
  GError            *error;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->msg);
  if (job->tmp_path != NULL)
    g_unlink (job->tmp_path);
  g_free (job->tmp_path);
  g_clear_pointer (&job->image, confab_image_free);
  g_clear_pointer (&job->file_bytes, g_bytes_unref);
  g_free (job->name);
  g_free (job->sha256);
  g_free (job->image_path);
  g_free (job->thumb_path);
  g_clear_error (&job->error);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

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

  /* written beside it and renamed: a reader never sees half a file */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  *out_created = TRUE;
  return TRUE;
}

static gboolean job_done (gpointer user_data);

/* Whether the bytes are (or begin like) an image of ours: a broken one is still an image, and
 * gets the image's error, never a second life as a file. */
static gboolean
is_image (Job         *job,
          GMappedFile *mapped)
{
  g_autoptr (GError) error = NULL;
  guint width = 0, height = 0;

  confab_image_sniff ((const guint8 *) g_mapped_file_get_contents (mapped),
                      g_mapped_file_get_length (mapped), &width, &height, &error);
  return error == NULL || !g_error_matches (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED);
}

/* A file beyond images: its kind from its bytes (confab-files.c), one the site takes, stored
 * as it came (the relay never opens it), content-addressed like images, without a thumbnail. */
static void
process_file (Job         *job,
              GMappedFile *mapped)
{
  const guint8 *data = (const guint8 *) g_mapped_file_get_contents (mapped);
  gsize len = g_mapped_file_get_length (mapped);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  ConfabFileKind kind;

  kind = confab_file_sniff (data, len, job->name, &job->file_mime, &error);
  if (kind == 0)
    {
      g_set_error_literal (&job->error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                           error->message);
      return;
    }
  if ((job->allowed & kind) == 0)
    {
      g_set_error (&job->error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                   "This site does not take %s files", confab_file_kind_to_string (kind));
      return;
    }

  bytes = g_mapped_file_get_bytes (mapped);
  job->file_size = len;
  job->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  if (job->uploads->in_store)
    {
      /* the main thread writes them to the database with the upload's row */
      job->file_bytes = g_steal_pointer (&bytes);
      return;
    }
  dir = g_strdup_printf ("%s/%.2s/%.2s", job->uploads->dir, job->sha256, job->sha256 + 2);
  job->image_path = g_build_filename (dir, job->sha256, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (&job->error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", dir, g_strerror (errno));
      return;
    }
  write_if_absent (job->image_path, bytes, &job->created_image, &job->error);
}

/* The name a file without one is sent back under: "file" and its type's extension. */
static const char *
default_file_name (const char *mime)
{
  if (g_str_has_prefix (mime, "application/pdf"))
    return "file.pdf";
  if (g_str_has_prefix (mime, "text/csv"))
    return "file.csv";
  if (g_str_has_prefix (mime, "text/"))
    return "file.txt";
  if (strstr (mime, "wordprocessingml") != NULL)
    return "file.docx";
  if (strstr (mime, "spreadsheetml") != NULL)
    return "file.xlsx";
  if (strstr (mime, "presentationml") != NULL)
    return "file.pptx";
  if (strstr (mime, "opendocument.text") != NULL)
    return "file.odt";
  if (strstr (mime, "opendocument.spreadsheet") != NULL)
    return "file.ods";
  if (strstr (mime, "opendocument.presentation") != NULL)
    return "file.odp";
  return "file.zip";
}

/* On a worker thread: touches the files and the pixels, never the store or the message. */
static void
process_job (gpointer data,
             gpointer user_data)
{
  Job *job = data;
  ConfabUploads *uploads = job->uploads;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autofree char *dir = NULL;

  mapped = g_mapped_file_new (job->tmp_path, FALSE, &job->error);
  /* the mapping keeps the bytes; the name can go now, so not even a crash leaves it */
  g_unlink (job->tmp_path);
  g_clear_pointer (&job->tmp_path, g_free);
  if (mapped == NULL)
    goto done;

  if (!is_image (job, mapped))
    {
      process_file (job, mapped);
      goto done;
    }
  if ((job->allowed & CONFAB_FILE_IMAGE) == 0)
    {
      g_set_error_literal (&job->error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                           "This site does not take images");
      goto done;
    }

  job->image = confab_image_process ((const guint8 *) g_mapped_file_get_contents (mapped),
                                     g_mapped_file_get_length (mapped),
                                     CONFAB_UPLOAD_MAX_PIXELS, &job->error);
  if (job->image == NULL)
    goto done;

  job->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, job->image->image);
  if (uploads->in_store)
    goto done;  /* job->image keeps the bytes for the main thread */
  dir = g_strdup_printf ("%s/%.2s/%.2s", uploads->dir, job->sha256, job->sha256 + 2);
  job->image_path = g_build_filename (dir, job->sha256, NULL);
  job->thumb_path = g_strconcat (job->image_path, ".thumb", NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (&job->error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", dir, g_strerror (errno));
      goto done;
    }
  if (!write_if_absent (job->image_path, job->image->image, &job->created_image, &job->error) ||
      !write_if_absent (job->thumb_path, job->image->thumb, &job->created_thumb, &job->error))
    goto done;

done:
  g_main_context_invoke (uploads->context, job_done, job);
}

/* Back on the main thread: removes files this job made that no row names. */
static void
remove_new_files (Job *job)
{
  ConfabStore *store = job->uploads->relay->store;

  if (job->uploads->in_store || job->sha256 == NULL ||
      confab_store_upload_file_used (store, job->sha256))
    return;
  if (job->created_image)
    g_unlink (job->image_path);
  if (job->created_thumb)
    g_unlink (job->thumb_path);
}

/* The bytes and the row in one transaction: a row never names bytes that are not there. */
static gboolean
add_with_bytes (ConfabStore         *store,
                const ConfabUpload  *upload,
                GBytes              *data,
                GBytes              *thumb,
                GError             **error)
{
  if (!confab_store_begin (store, error))
    return FALSE;
  if (!confab_store_put_upload_bytes (store, upload->sha256, data, thumb, error) ||
      !confab_store_add_upload (store, upload, error) ||
      !confab_store_commit (store, error))
    {
      confab_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_done (gpointer user_data)
{
  g_autoptr (Job) job = user_data;
  SoupServerMessage *msg = job->msg;
  Incoming *incoming = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  g_autoptr (ConfabUpload) upload = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;

  set_cors_headers (msg);

  if (job->error == NULL && incoming == NULL)
    g_set_error_literal (&job->error, G_IO_ERROR, G_IO_ERROR_FAILED, "The request state is gone");

  if (job->error != NULL)
    {
      remove_new_files (job);
      answer_image_error (msg, job->error);
      soup_server_message_unpause (msg);
      return G_SOURCE_REMOVE;
    }

  upload = g_new0 (ConfabUpload, 1);
  upload->id = confab_new_id ("upl_");
  upload->site_id = g_strdup (incoming->site_id);
  upload->conversation_id = g_strdup (incoming->conversation_id);
  upload->visitor_id = g_strdup (incoming->visitor_id);
  upload->user_id = g_strdup (incoming->user_id);
  upload->sha256 = g_strdup (job->sha256);
  if (job->image != NULL)
    {
      upload->kind = g_strdup ("image");
      upload->name = g_strdup (incoming->name);
      upload->mime = g_strdup (confab_image_type_mime (job->image->type));
      upload->width = job->image->width;
      upload->height = job->image->height;
      upload->size = g_bytes_get_size (job->image->image);
      upload->thumb_width = job->image->thumb_width;
      upload->thumb_height = job->image->thumb_height;
      upload->thumb_size = g_bytes_get_size (job->image->thumb);
    }
  else
    {
      upload->kind = g_strdup ("file");
      upload->name = g_strdup (incoming->name != NULL ? incoming->name : default_file_name (job->file_mime));
      upload->mime = g_strdup (job->file_mime);
      upload->size = job->file_size;
    }
  upload->created_at = confab_now_ms ();

  /* stored on its own, outside the hub's open batch: the 201 below promises it is durable */
  confab_hub_sync (job->uploads->relay->hub);
  if (job->uploads->in_store
      ? !add_with_bytes (job->uploads->relay->store, upload,
                         job->image != NULL ? job->image->image : job->file_bytes,
                         job->image != NULL ? job->image->thumb : NULL, &error)
      : !confab_store_add_upload (job->uploads->relay->store, upload, &error))
    {
      remove_new_files (job);
      confab_http_gerror (msg, error);
    }
  else
    {
      g_debug ("Stored upload %s (%s, %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT ")",
               upload->id, upload->mime, upload->width, upload->height);
      answer = confab_upload_to_json (upload);
      confab_http_json_object (msg, SOUP_STATUS_CREATED, answer);
    }

  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* The whole body is in the temporary file (the early handler refused everything else). */
static void
upload_post (ConfabUploads     *uploads,
             SoupServerMessage *msg)
{
  Incoming *incoming = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  Job *job;

  if (incoming == NULL || incoming->failed || incoming->tmp_path == NULL)
    return confab_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                              "The relay could not store this image");

  close (incoming->fd);
  incoming->fd = -1;

  if (incoming->received == 0)
    {
      discard_file (incoming);
      return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_image",
                                "The request has no body: send the image's bytes");
    }

  job = g_new0 (Job, 1);
  job->uploads = uploads;
  job->msg = g_object_ref (msg);
  job->tmp_path = g_steal_pointer (&incoming->tmp_path);
  job->name = g_strdup (incoming->name);
  job->allowed = incoming->allowed;

  soup_server_message_pause (msg);
  g_thread_pool_push (uploads->workers, job, NULL);
}

/* --- serving -------------------------------------------------------------------------------- */

/* Site members see every upload of their site; a visitor what is in their conversation and
 * what they uploaded themselves. */
static gboolean
may_read (ConfabUploads      *uploads,
          Caller             *caller,
          const ConfabUpload *upload)
{
  ConfabStore *store = uploads->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;

  if (caller->user != NULL)
    return confab_store_get_role (store, upload->site_id, caller->user->id) != CONFAB_ROLE_NONE;

  if (g_strcmp0 (upload->visitor_id, caller->visitor->id) == 0)
    return TRUE;
  if (upload->conversation_id == NULL)
    return FALSE;
  conversation = confab_store_get_conversation (store, upload->conversation_id, NULL);
  return conversation != NULL && g_strcmp0 (conversation->visitor_id, caller->visitor->id) == 0;
}

static void
upload_get (ConfabUploads     *uploads,
            SoupServerMessage *msg,
            GHashTable        *query,
            const char        *id,
            gboolean           thumb)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *query_token = query ? g_hash_table_lookup (query, "visitor_token") : NULL;
  g_auto (Caller) caller = { NULL, NULL };
  g_autoptr (ConfabUpload) upload = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;

  if (!identify (uploads, msg, query_token, &caller))
    return;

  if (strlen (id) <= MAX_ID_CHARS)
    upload = confab_store_get_upload (uploads->relay->store, id, NULL);
  if (upload == NULL || !may_read (uploads, &caller, upload))
    return not_found (msg);
  /* a file has no thumbnail */
  if (thumb && g_strcmp0 (upload->kind, "file") == 0)
    return not_found (msg);

  if (uploads->in_store)
    {
      bytes = confab_store_get_upload_bytes (uploads->relay->store, upload->sha256, thumb, &error);
      if (bytes == NULL)
        {
          if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
            return confab_http_gerror (msg, error);
          g_warning ("Upload %s has no bytes in the database", upload->id);
          return not_found (msg);
        }
    }
  else
    {
      path = g_strdup_printf ("%s/%.2s/%.2s/%s%s", uploads->dir, upload->sha256, upload->sha256 + 2,
                              upload->sha256, thumb ? ".thumb" : "");
      mapped = g_mapped_file_new (path, FALSE, &error);
      if (mapped == NULL)
        {
          g_warning ("Upload %s has no file: %s", upload->id, error->message);
          return not_found (msg);
        }
      bytes = g_mapped_file_get_bytes (mapped);
    }

  /* Never rendered as anything but the image it is, never a document that runs scripts,
   * never re-fetched: an id's bytes do not change. */
  soup_message_headers_replace (headers, "Content-Type", upload->mime);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'none'; sandbox");
  soup_message_headers_replace (headers, "Cache-Control", "private, max-age=31536000, immutable");
  soup_message_headers_replace (headers, "Cross-Origin-Resource-Policy", "cross-origin");
  if (g_strcmp0 (upload->kind, "file") == 0)
    {
      /* a download, never a page: whatever it holds is not rendered by the relay's origin */
      g_autofree char *escaped = g_uri_escape_string (upload->name ? upload->name : "file", NULL, FALSE);
      g_autofree char *disposition = g_strdup_printf ("attachment; filename*=UTF-8''%s", escaped);

      soup_message_headers_replace (headers, "Content-Disposition", disposition);
    }
  else
    soup_message_headers_replace (headers, "Content-Disposition", "inline");
  etag = g_strdup_printf ("\"%.32s%s\"", upload->sha256, thumb ? "t" : "");
  soup_message_headers_replace (headers, "ETag", etag);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

static void
handle_uploads (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ConfabUploads *uploads = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) segments = confab_http_path_segments (path, UPLOADS_PATH);
  gboolean collection = segments != NULL && segments[0] == NULL;
  gboolean item = segments != NULL && segments[0] != NULL && *segments[0] != '\0' &&
                  (segments[1] == NULL ||
                   (strcmp (segments[1], "thumb") == 0 && segments[2] == NULL));

  set_cors_headers (msg);

  if (!collection && !item)
    return not_found (msg);

  if (strcmp (method, "OPTIONS") == 0)
    {
      soup_message_headers_replace (headers, "Access-Control-Allow-Methods",
                                    collection ? "POST" : "GET");
      soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", "86400");
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (collection && strcmp (method, "POST") == 0)
    return upload_post (uploads, msg);
  if (item && (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0))
    return upload_get (uploads, msg, query, segments[0], segments[1] != NULL);

  soup_message_headers_replace (headers, "Allow", collection ? "POST, OPTIONS" : "GET, HEAD, OPTIONS");
  confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     "This method is not allowed here");
}

/* --- life cycle ----------------------------------------------------------------------------- */

/* Bodies of requests a killed relay was receiving. */
static void
sweep_tmp (const char *tmp_dir)
{
  g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

      if (g_unlink (path) != 0)
        g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
    }
}

/* [uploads] dir, else <data-dir>/uploads */
static char *
uploads_dir (ConfabRelay *relay)
{
  const char *shared = relay->config->uploads_dir;

  if (shared != NULL && *shared != '\0')
    return g_strdup (shared);
  return g_build_filename (relay->config->data_dir, "uploads", NULL);
}

char *
confab_uploads_files_dir (ConfabRelay *relay)
{
  return uploads_dir (relay);
}

gboolean
confab_uploads_in_store (ConfabRelay *relay)
{
  const char *shared = relay->config->uploads_dir;

  return (shared == NULL || *shared == '\0') && confab_store_can_hold_upload_bytes (relay->store);
}

GBytes *
confab_uploads_read (ConfabRelay         *relay,
                     const ConfabUpload  *upload,
                     GError             **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GMappedFile) mapped = NULL;

  if (confab_uploads_in_store (relay))
    return confab_store_get_upload_bytes (relay->store, upload->sha256, FALSE, error);
  dir = uploads_dir (relay);
  path = g_strdup_printf ("%s/%.2s/%.2s/%s", dir, upload->sha256, upload->sha256 + 2,
                          upload->sha256);
  mapped = g_mapped_file_new (path, FALSE, error);
  return mapped != NULL ? g_mapped_file_get_bytes (mapped) : NULL;
}

ConfabUploads *
confab_uploads_new (ConfabRelay  *relay,
                    GError      **error)
{
  ConfabUploads *uploads = g_new0 (ConfabUploads, 1);

  uploads->relay = relay;
  uploads->tmp_dir = g_build_filename (relay->config->data_dir, "uploads", "tmp", NULL);
  uploads->dir = uploads_dir (relay);
  uploads->in_store = confab_uploads_in_store (relay);
  g_info ("Uploads are kept %s%s", uploads->in_store ? "in the database" : "in ",
          uploads->in_store ? "" : uploads->dir);

  if (g_mkdir_with_parents (uploads->tmp_dir, 0700) != 0 ||
      (!uploads->in_store && g_mkdir_with_parents (uploads->dir, 0700) != 0))
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create the uploads directory %s: %s", uploads->tmp_dir, g_strerror (errno));
      confab_uploads_free (uploads);
      return NULL;
    }
  sweep_tmp (uploads->tmp_dir);

  uploads->context = g_main_context_ref_thread_default ();
  uploads->workers = g_thread_pool_new (process_job, uploads, WORKER_THREADS, FALSE, NULL);
  uploads->per_uploader = confab_rate_limit_new (relay->config->uploads_per_minute, 60 * 1000);
  uploads->per_site = confab_rate_limit_new (relay->config->uploads_per_minute_per_site, 60 * 1000);

  soup_server_add_early_handler (relay->server, UPLOADS_PATH, upload_early, uploads, NULL);
  soup_server_add_handler (relay->server, UPLOADS_PATH, handle_uploads, uploads, NULL);

  return uploads;
}

void
confab_uploads_free (ConfabUploads *uploads)
{
  if (uploads == NULL)
    return;

  /* lets the running decodes finish; their results are never delivered */
  if (uploads->workers != NULL)
    g_thread_pool_free (uploads->workers, TRUE, TRUE);
  g_clear_pointer (&uploads->context, g_main_context_unref);
  g_clear_pointer (&uploads->per_uploader, confab_rate_limit_free);
  g_clear_pointer (&uploads->per_site, confab_rate_limit_free);
  g_free (uploads->dir);
  g_free (uploads->tmp_dir);
  g_free (uploads);
}

void
confab_uploads_remove_unused_files (ConfabRelay *relay,
                                    GPtrArray   *sha256s)
{
  g_autofree char *dir = uploads_dir (relay);
  gboolean in_store = relay->uploads != NULL && relay->uploads->in_store;

  for (guint i = 0; sha256s && i < sha256s->len; i++)
    {
      const char *sha256 = g_ptr_array_index (sha256s, i);
      g_autofree char *image_path = NULL;
      g_autofree char *thumb_path = NULL;
      gboolean hex = strlen (sha256) == 64;

      for (const char *c = sha256; hex && *c; c++)
        hex = g_ascii_isxdigit (*c);
      if (!hex || confab_store_upload_file_used (relay->store, sha256))
        continue;
      if (in_store)
        {
          g_autoptr (GError) error = NULL;

          if (!confab_store_delete_upload_bytes (relay->store, sha256, &error))
            g_warning ("Cannot remove an upload's bytes: %s", error->message);
          continue;
        }

      image_path = g_strdup_printf ("%s/%.2s/%.2s/%s", dir, sha256, sha256 + 2, sha256);
      thumb_path = g_strconcat (image_path, ".thumb", NULL);
      if (g_unlink (image_path) != 0 && errno != ENOENT)
        g_warning ("Cannot remove an upload's file: %s", g_strerror (errno));
      if (g_unlink (thumb_path) != 0 && errno != ENOENT)
        g_warning ("Cannot remove an upload's thumbnail: %s", g_strerror (errno));
    }
}
