/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-chat.h: what everyday chat adds to ConfabClient (issue 14).
 *
 * - Typing previews before the first message: the relay's `typing_preview` frames without a
 *   conversation (a visitor typing in a widget they opened) come out of "typing-preview" with a
 *   NULL conversation id; the last text of each visitor is kept until it is cleared (or the
 *   connection ends), for a view opened while they type: confab_client_get_typing_preview().
 * - Internal notes: confab_client_send_note() sends one (live only); `note` frames go into the
 *   cache as rows among the messages (confab_cache_apply_note()) and out of the "note" signal
 *   (ConfabMessage *row, gboolean mentions_me: the signed-in user is in its mentions and did
 *   not write it); confab_client_fetch_notes_async() reads a conversation's notes by REST.
 * - Labels: the pushed `labels` frame (the site's whole list) as "labels-changed" (site_id,
 *   JsonArray).
 * - Knowledge base articles (issue 16): the pushed `articles` frame (the site's whole list, as
 *   GET /api/v1/sites/{id}/articles) as "articles-changed" (site_id, JsonArray).
 * - Raw bodies: a file upload with its name, and any other request with a body of bytes (the
 *   avatar).
 *
 * Call confab_client_ensure_chat_signals() before connecting to the signals.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

void        confab_client_ensure_chat_signals    (void);

/* The text @visitor_id is typing now (NULL when nothing): live only. */
const char *confab_client_get_typing_preview     (ConfabClient        *self,
                                                  const char          *visitor_id);

/* Sends an internal note (1–10000 characters) to the team; FALSE with
 * CONFAB_CLIENT_ERROR_OFFLINE when not connected. It shows once the relay sends it back. */
gboolean    confab_client_send_note              (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  const char          *body,
                                                  GError             **error);

/* GET /api/v1/conversations/ID/notes into the cache. */
void        confab_client_fetch_notes_async      (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    confab_client_fetch_notes_finish     (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* @method @path with @data (of type @mime) as the body; the answer as a JSON object (an empty
 * one for 204), errors with the relay's message. */
void        confab_client_send_bytes_async       (ConfabClient        *self,
                                                  const char          *method,
                                                  const char          *path,
                                                  GBytes              *data,
                                                  const char          *mime,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject *confab_client_send_bytes_finish      (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* The path of an upload of a file called @name (its base name is sent) for @conversation_id. */
char       *confab_client_upload_path            (const char          *conversation_id,
                                                  const char          *name);

/* GET /api/v1/search?q=…[&site_id=…][&before=…]: the path (@q taken literally). */
char       *confab_client_search_path            (const char          *q,
                                                  const char          *site_id,
                                                  const char          *before);

/* A search result's conversation into the cache, with its messages from a little before @seq
 * on (GET /api/v1/conversations/ID and …/messages): what the cache lacks, so that it opens at
 * the found message. */
void        confab_client_fetch_found_async      (ConfabClient        *self,
                                                  const char          *conversation_id,
                                                  gint64               seq,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    confab_client_fetch_found_finish     (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Whether @labels_json (a conversation's labels, JSON text) holds the label @label_id. */
gboolean    confab_labels_contain                (const char          *labels_json,
                                                  const char          *label_id);

G_END_DECLS
