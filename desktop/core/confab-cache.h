/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache.h: the desktop app's offline copy of one relay account.
 *
 * One SQLite file per account (relay URL + email): sites, conversations, messages, visitors,
 * thumbnails, the last cursor and the outbox of messages written while offline. Everything the
 * inbox shows is read from here, so it is there at start before (and without) the network.
 *
 * All SQL runs on the thread that created the cache (the main thread in the app): the models
 * must answer GListModel.get_item() synchronously, and the measured costs (bench/README.md,
 * "desktop core") are far below a frame. Writes emit change signals that the models turn into
 * items-changed.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "confab-conversation.h"
#include "confab-message.h"
#include "confab-offline-message.h"
#include "confab-site.h"
#include "confab-visitor.h"

G_BEGIN_DECLS

#define CONFAB_CACHE_ERROR (confab_cache_error_quark ())

typedef enum {
  CONFAB_CACHE_ERROR_FAILED,     /* SQLite said no; the message says why */
  CONFAB_CACHE_ERROR_TOO_NEW,    /* written by a newer Confab: not touched */
  CONFAB_CACHE_ERROR_NOT_FOUND,  /* no such row */
  CONFAB_CACHE_ERROR_INVALID,    /* an event from the relay lacked what it must carry */
} ConfabCacheError;

GQuark confab_cache_error_quark (void);

/* The schema version this build writes (PRAGMA user_version). */
#define CONFAB_CACHE_SCHEMA_VERSION 7

#define CONFAB_TYPE_CACHE (confab_cache_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCache, confab_cache, CONFAB, CACHE, GObject)

/* $XDG_DATA_HOME/confab/accounts/<sha256 of url and email, 32 hex>/cache.db: one directory
 * per account, so that signing out of one can remove its cache alone. */
char          *confab_cache_default_path      (const char   *relay_url,
                                               const char   *email);

/* Opens (creating the file and its directory, mode 0700) and migrates. */
ConfabCache   *confab_cache_new               (const char   *path,
                                               GError      **error);
const char    *confab_cache_get_path          (ConfabCache  *self);

/* --- the account --- */

/* Key/value facts about the account: "relay_url", "email", "user_id", "user_name". */
char          *confab_cache_dup_meta          (ConfabCache  *self,
                                               const char   *key);
gboolean       confab_cache_set_meta          (ConfabCache  *self,
                                               const char   *key,
                                               const char   *value,
                                               GError      **error);
/* The cursor of the last event applied (0 before the first). */
gint64         confab_cache_get_cursor        (ConfabCache  *self);
/* For events the cache does not keep (ratings...): only moves the cursor forward. */
gboolean       confab_cache_set_cursor        (ConfabCache  *self,
                                               gint64        cursor,
                                               GError      **error);

/* --- events from the relay; each is applied with its cursor in one transaction --- */

/* The "sites" array of /api/v1/me: replaces the list. */
gboolean       confab_cache_replace_sites     (ConfabCache  *self,
                                               JsonArray    *sites,
                                               GError      **error);
/* A "conversation" object. */
gboolean       confab_cache_apply_conversation (ConfabCache *self,
                                               JsonObject   *conversation,
                                               gint64        cursor,
                                               GError      **error);
/* A "message" frame (conversation_id, seq, client_id, sender, body, attachment, created_at);
 * a frame with a client_id of the outbox updates that queued row instead of adding one. */
gboolean       confab_cache_apply_message     (ConfabCache  *self,
                                               JsonObject   *frame,
                                               gint64        cursor,
                                               GError      **error);
/* A "visitor" object of @site_id. */
gboolean       confab_cache_apply_visitor     (ConfabCache  *self,
                                               const char   *site_id,
                                               JsonObject   *visitor,
                                               gint64        cursor,
                                               GError      **error);
/* A visitor object read by REST (GET /api/v1/visitors/{id}): no cursor; an offline visitor
 * keeps the last-seen time the relay or the cache knows rather than "now". */
gboolean       confab_cache_apply_visitor_snapshot (ConfabCache *self,
                                               const char   *site_id,
                                               JsonObject   *visitor,
                                               GError      **error);
/* Marks the conversation read up to @seq locally (the relay confirms with a conversation
 * event). */
gboolean       confab_cache_mark_read         (ConfabCache  *self,
                                               const char   *conversation_id,
                                               gint64        seq,
                                               GError      **error);

/* --- reads --- */

/* Snapshots (new references), NULL when unknown. */
ConfabConversation *confab_cache_get_conversation (ConfabCache *self,
                                               const char   *conversation_id);
/* The message @seq of @conversation_id. */
ConfabMessage *confab_cache_get_message       (ConfabCache  *self,
                                               const char   *conversation_id,
                                               gint64        seq);
ConfabVisitor *confab_cache_get_visitor       (ConfabCache  *self,
                                               const char   *visitor_id);
/* The sites with their unread counts, by name: a new GListStore of ConfabSite. */
GListModel    *confab_cache_list_sites        (ConfabCache  *self);
/* Visitors of @site_id (all sites when NULL), online ones only when @online_only, most
 * recently seen first: a new GListStore of ConfabVisitor. */
GListModel    *confab_cache_list_visitors     (ConfabCache  *self,
                                               const char   *site_id,
                                               gboolean      online_only);
typedef enum {
  CONFAB_VISITOR_SORT_LAST_SEEN,
  CONFAB_VISITOR_SORT_LEAD_SCORE,   /* highest first (none last), then most recently seen */
} ConfabVisitorSort;
/* The same, in @sort's order. */
GListModel    *confab_cache_list_visitors_sorted (ConfabCache *self,
                                               const char   *site_id,
                                               gboolean      online_only,
                                               ConfabVisitorSort sort);
/* Conversations of @visitor_id, newest first: a new GListStore of ConfabConversation. */
GListModel    *confab_cache_list_visitor_conversations (ConfabCache *self,
                                               const char   *visitor_id);
/* Total unread of @site_id (all sites when NULL). */
guint          confab_cache_count_unread      (ConfabCache  *self,
                                               const char   *site_id);

/* --- the outbox --- */

/* Queues a message: a new client_id (UUID), a QUEUED row in the conversation's messages and
 * an outbox entry, both on disk before this returns. */
ConfabMessage *confab_cache_outbox_add        (ConfabCache  *self,
                                               const char   *conversation_id,
                                               const char   *body,
                                               GError      **error);
/* The same with an attachment (JSON text) on its row: a file waiting to be uploaded
 * (confab_client_send_file), @body "" when it has no words. */
ConfabMessage *confab_cache_outbox_add_full   (ConfabCache  *self,
                                               const char   *conversation_id,
                                               const char   *body,
                                               const char   *attachment,
                                               GError      **error);
/* The queued row's attachment now (the file uploaded: its upload id noted). */
gboolean       confab_cache_outbox_set_attachment (ConfabCache *self,
                                               const char   *client_id,
                                               const char   *attachment,
                                               GError      **error);
/* QUEUED entries in the order they were written (ConfabMessage*, owned by the array). */
GPtrArray     *confab_cache_outbox_list       (ConfabCache  *self);
/* Every entry, failed ones too. */
guint          confab_cache_outbox_length     (ConfabCache  *self);
/* The relay acknowledged @client_id as @seq: the entry goes, the message is SENT. */
gboolean       confab_cache_outbox_acked      (ConfabCache  *self,
                                               const char   *client_id,
                                               const char   *conversation_id,
                                               gint64        seq,
                                               GError      **error);
/* The relay refused it for good (@code from its error frame): FAILED, kept until discarded. */
gboolean       confab_cache_outbox_failed     (ConfabCache  *self,
                                               const char   *client_id,
                                               const char   *code,
                                               GError      **error);
/* A FAILED entry back to QUEUED (the user asked to try again). */
gboolean       confab_cache_outbox_retry      (ConfabCache  *self,
                                               const char   *client_id,
                                               GError      **error);
/* Removes an entry that was never acknowledged, and its message. */
gboolean       confab_cache_outbox_discard    (ConfabCache  *self,
                                               const char   *client_id,
                                               GError      **error);

/* --- thumbnails --- */

gboolean       confab_cache_put_thumbnail     (ConfabCache  *self,
                                               const char   *upload_id,
                                               const char   *mime,
                                               GBytes       *data,
                                               GError      **error);
/* NULL when not cached. */
GBytes        *confab_cache_get_thumbnail     (ConfabCache  *self,
                                               const char   *upload_id,
                                               char        **out_mime);

/* --- what visitors send besides messages (confab-cache-unseen.c) --- */

/* An "offline_message" object: @cursor > 0 for an event; 0 for a REST list (adds only what
 * the cache lacks: the list may be older than the events applied meanwhile); -1 for the
 * relay's answer to a change (replaces). Emits "offline-message-changed" (old or NULL, now). */
gboolean       confab_cache_apply_offline_message (ConfabCache *self,
                                               JsonObject   *offline,
                                               gint64        cursor,
                                               GError      **error);
ConfabOfflineMessage *confab_cache_get_offline_message (ConfabCache *self,
                                               const char   *id);
/* Of @site_id (every site when NULL), open ones only when @open_only, newest first (the 500
 * newest at most): a new GListStore of ConfabOfflineMessage. */
GListModel    *confab_cache_list_offline_messages (ConfabCache *self,
                                               const char   *site_id,
                                               gboolean      open_only);
guint          confab_cache_count_open_offline_messages (ConfabCache *self,
                                               const char   *site_id);
/* A "rating" object ({"score","comment","rated_at"}) of a conversation. */
gboolean       confab_cache_apply_rating      (ConfabCache  *self,
                                               const char   *conversation_id,
                                               JsonObject   *rating,
                                               gint64        cursor,
                                               GError      **error);
/* A timeline event ({"kind","actor","target","at",...}) with its own cursor @event_cursor
 * (kept once whichever way it came); @cursor moves the stream's cursor (0 for REST). It
 * becomes a row among the conversation's messages, after the last one sent at or before it. */
gboolean       confab_cache_apply_timeline_event (ConfabCache *self,
                                               const char   *conversation_id,
                                               JsonObject   *event,
                                               gint64        event_cursor,
                                               gint64        cursor,
                                               GError      **error);
/* An internal note (NOTE: {"id","conversation_id","author":{"id","name"},"body","mentions",
 * "created_at"}), from the `note` frame (@cursor) or GET …/notes (0). It becomes a row among
 * the conversation's messages (sender type "note", client id "note:ID", the note as its event),
 * after the last one sent at or before it; kept once whichever way it came. */
gboolean       confab_cache_apply_note        (ConfabCache  *self,
                                               JsonObject   *note,
                                               gint64        cursor,
                                               GError      **error);
/* Whether the conversation's whole timeline was fetched (GET …/timeline) once: from then on
 * the events keep it whole. */
gboolean       confab_cache_get_timeline_fetched (ConfabCache *self,
                                               const char   *conversation_id);
gboolean       confab_cache_set_timeline_fetched (ConfabCache *self,
                                               const char   *conversation_id,
                                               GError      **error);
/* One site object (a pushed "site" frame): its name and role; emits "sites-changed". */
gboolean       confab_cache_update_site       (ConfabCache  *self,
                                               JsonObject   *site,
                                               GError      **error);

G_END_DECLS
