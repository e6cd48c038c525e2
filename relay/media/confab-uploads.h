/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-uploads.h: POST /api/v1/uploads and GET /api/v1/uploads/{id}[/thumb]
 *
 * Who uploads where. Agents send "Authorization: Bearer <token>" and ?conversation_id= of a
 * conversation of a site they belong to (required). Visitors send
 * "Authorization: Bearer <visitor_token>" and may leave conversation_id out: the upload then
 * goes into their current conversation, or — before their first message, when they have none —
 * it belongs to the visitor alone until the message that carries it creates the conversation
 * (confab_store_claim_upload(), called by the hub). A visitor's conversation_id must be theirs.
 *
 * Who downloads. Site members of the upload's site (bearer token), and the visitor of its
 * conversation (or its uploader) with "Authorization: Bearer <visitor_token>" or, because an
 * <img> cannot send headers, ?visitor_token=<visitor_token>. The header is preferred (the widget
 * can fetch() into a blob: URL): a token in a URL may end up in a proxy's access log. Unknown,
 * foreign and not-yet-visible ids all get the same 404.
 *
 * Files. <data-dir>/uploads/tmp/ holds request bodies while they arrive (removed when the
 * request ends, however it ends, and swept at start); <data-dir>/uploads/ab/cd/<sha256> the
 * re-encoded image and <sha256>.thumb its thumbnail, named by the image's SHA-256 so the same
 * picture is stored once. */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

/* Refused before decoding: 40 megapixels is 160 MB of RGBA while it is re-encoded. */
#define CONFAB_UPLOAD_MAX_PIXELS        40000000
/* The site setting "upload_max_bytes" overrides it (0 = the site takes no uploads). */
#define CONFAB_UPLOAD_DEFAULT_MAX_BYTES (10 * 1024 * 1024)
/* The largest "upload_max_bytes" a site may set: no upload body is read past it. */
#define CONFAB_UPLOAD_CEILING_BYTES     (100 * 1024 * 1024)

#define CONFAB_UPLOADS_PATH             "/api/v1/uploads"

typedef struct _ConfabUploads ConfabUploads;

/* Makes the directories, removes what a killed relay left in uploads/tmp and registers the
 * handlers on relay->server. */
ConfabUploads *confab_uploads_new  (ConfabRelay    *relay,
                                    GError        **error);
void           confab_uploads_free (ConfabUploads  *uploads);

/* After upload rows were deleted: removes the image and thumbnail files of @sha256s (char*)
 * that no row names any more (a file is shared by every upload of the same picture). */
void           confab_uploads_remove_unused_files (ConfabRelay *relay,
                                                   GPtrArray   *sha256s);

/* An image a channel brought (a Messenger or WhatsApp sender's picture, relay/meta/): the same
 * checks as an upload (magic bytes, the pixel limit, re-encoding without metadata, a thumbnail)
 * on a worker thread, stored as an upload of @visitor_id on @site_id that the message carrying
 * it claims (confab-uploads-import.c). The finish gives the upload's id. */
void           confab_uploads_import_image_async  (ConfabRelay         *relay,
                                                   const char          *site_id,
                                                   const char          *visitor_id,
                                                   GBytes              *bytes,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
char          *confab_uploads_import_image_finish (GAsyncResult        *result,
                                                   GError             **error);
/* Whether the relay keeps uploads (and agents' avatars) in the database: a store that can
 * (PostgreSQL) and no [uploads] dir. */
gboolean       confab_uploads_in_store     (ConfabRelay *relay);
/* Where the relay keeps them as files otherwise: [uploads] dir, else <data-dir>/uploads. */
char          *confab_uploads_files_dir    (ConfabRelay *relay);

/* The stored bytes of @upload (the image or file itself, not its thumbnail), wherever the
 * relay keeps them: for a channel that sends an agent's picture (relay/meta/). */
GBytes        *confab_uploads_read         (ConfabRelay         *relay,
                                            const ConfabUpload  *upload,
                                            GError             **error);

G_END_DECLS
