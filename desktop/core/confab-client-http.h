/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-http.h: the REST calls the desktop UI makes beside the agent WebSocket.
 *
 * Images: uploads (POST /api/v1/uploads?conversation_id=, raw body) and downloads of an upload
 * or its thumbnail (GET /api/v1/uploads/{id}[/thumb]), with the account's bearer token; the
 * thumbnails go into the cache so that they show offline. A message that carries an image is
 * sent live right after its upload (an upload needs the network anyway), with a client_id so
 * that the relay stores it once; it then arrives in the cache as any message does.
 *
 * Reads: any GET /api/v1/... that answers a JSON object (canned responses, a visitor).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

/* GET @path (e.g. "/api/v1/sites/ID/canned") with the token; the answer as a JSON object. */
void        confab_client_get_json_async         (ConfabClient        *self,
                                                  const char          *path,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject *confab_client_get_json_finish        (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* @method (POST, PATCH, PUT, DELETE) @path with @body (NULL: none) as JSON; the answer as a
 * JSON object (an empty one for 204). Errors as for GET: the relay's message. */
void        confab_client_request_json_async     (ConfabClient        *self,
                                                  const char          *method,
                                                  const char          *path,
                                                  JsonObject          *body,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject *confab_client_request_json_finish    (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* The image of @upload_id, its thumbnail when @thumbnail. Thumbnails come from the cache when
 * they are there and are put in it when fetched. */
void        confab_client_fetch_upload_async     (ConfabClient        *self,
                                                  const char          *upload_id,
                                                  gboolean             thumbnail,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes     *confab_client_fetch_upload_finish    (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Uploads @data (an image of type @mime) for @conversation_id; returns the upload object
 * ({"id","url","thumb_url","mime","width","height","size"}). */
void        confab_client_upload_async           (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  GBytes              *data,
                                                  const char          *mime,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject *confab_client_upload_finish          (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Sends a message with the uploaded image @attachment_id (and an optional @body) now; FALSE
 * with CONFAB_CLIENT_ERROR_OFFLINE when not online. */
gboolean    confab_client_send_attachment        (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  const char          *attachment_id,
                                                  const char          *body,
                                                  GError             **error);

G_END_DECLS
