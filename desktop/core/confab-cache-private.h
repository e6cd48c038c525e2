/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-cache-private.h: what the cache's own files and the list models share. */
#pragma once

#include <sqlite3.h>

#include "confab-cache.h"

G_BEGIN_DECLS

/* A sent message's sort key is its seq * 1024: the keys between two messages are for the
 * timeline events that happened between them. Queued messages sort after every sent one, in
 * the order they were written. */
#define CONFAB_CACHE_SEQ_SORT_SHIFT 10
#define CONFAB_CACHE_SEQ_SORT_KEY(seq) ((gint64) (seq) << CONFAB_CACHE_SEQ_SORT_SHIFT)
#define CONFAB_CACHE_QUEUED_SORT_BASE (G_GINT64_CONSTANT (1) << 52)

/* The columns confab_cache_conversation_from_stmt() reads, and the FROM clause they need. */
#define CONFAB_CACHE_CONVERSATION_COLUMNS \
  "c.id, c.site_id, c.visitor_id, v.name, v.email, c.status, c.assignee_id, c.assignee_name, " \
  "c.created_at, c.last_message_at, c.last_seq, c.unread, c.agent_read_seq, " \
  "c.visitor_read_seq, c.preview, c.sort_at, c.rating_score, c.rating_comment, c.rated_at, " \
  "c.labels, c.routing"
#define CONFAB_CACHE_CONVERSATION_FROM \
  "conversations c LEFT JOIN visitors v ON v.id = c.visitor_id"

#define CONFAB_CACHE_MESSAGE_COLUMNS \
  "conversation_id, seq, client_id, sender_type, sender_id, sender_name, body, attachment, " \
  "created_at, state, local_id, sort_key, event"

enum {
  CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED,
  CONFAB_CACHE_SIGNAL_MESSAGE_CHANGED,
  CONFAB_CACHE_SIGNAL_SITES_CHANGED,
  CONFAB_CACHE_SIGNAL_VISITOR_CHANGED,
  CONFAB_CACHE_SIGNAL_OUTBOX_CHANGED,
  CONFAB_CACHE_SIGNAL_BATCH_ENDED,
  CONFAB_CACHE_SIGNAL_OFFLINE_MESSAGE_CHANGED,
  CONFAB_CACHE_N_SIGNALS
};

extern guint confab_cache_signals[CONFAB_CACHE_N_SIGNALS];

/* A prepared statement for @sql (a string literal: the pointer is the key), reset and with
 * its bindings cleared; owned by the cache. NULL with @error set when SQLite refuses it. */
sqlite3_stmt       *confab_cache_prepare            (ConfabCache   *self,
                                                     const char    *sql,
                                                     GError       **error);
/* Runs @stmt to completion; FALSE with @error on failure. */
gboolean            confab_cache_step_done          (ConfabCache   *self,
                                                     sqlite3_stmt  *stmt,
                                                     GError       **error);
gboolean            confab_cache_exec               (ConfabCache   *self,
                                                     const char    *sql,
                                                     GError       **error);
gboolean            confab_cache_begin              (ConfabCache   *self,
                                                     GError       **error);
gboolean            confab_cache_commit             (ConfabCache   *self,
                                                     GError       **error);
void                confab_cache_rollback           (ConfabCache   *self);
/* Moves the stored cursor to @cursor when it is higher (inside the caller's transaction). */
gboolean            confab_cache_store_cursor       (ConfabCache   *self,
                                                     gint64         cursor,
                                                     GError       **error);
/* A conversation object's "labels" (when it has them) into its row, inside the caller's
 * transaction (confab-cache-unseen.c). */
gboolean            confab_cache_store_labels       (ConfabCache   *self,
                                                     const char    *conversation_id,
                                                     JsonObject    *conversation,
                                                     GError       **error);
/* The handle, for the list models' own statements (same thread only). */
sqlite3            *confab_cache_get_db             (ConfabCache   *self);
void                confab_cache_set_sqlite_error   (ConfabCache   *self,
                                                     GError       **error,
                                                     const char    *what);

ConfabConversation *confab_cache_conversation_from_stmt (sqlite3_stmt *stmt);
ConfabMessage      *confab_cache_message_from_stmt  (sqlite3_stmt  *stmt);
ConfabMessage      *confab_cache_get_message_by_client_id (ConfabCache *self,
                                                     const char    *client_id);
ConfabMessage      *confab_cache_get_message_by_seq (ConfabCache   *self,
                                                     const char    *conversation_id,
                                                     gint64         seq);

/* The position key of a message: its seq when sent, after every seq while queued. */
gint64              confab_cache_message_sort_key   (ConfabMessage *message);
/* The position key of a conversation: its stored sort_at (the latest of its creation and last
 * message times), exactly as the list queries order by it. */
gint64              confab_cache_conversation_sort_at (ConfabConversation *conversation);

/* The cache's signals go out in the order the changes were written, one at a time: a change
 * written by a handler while another is announced waits until every handler has had that
 * one. The list models place a row by the cache's other rows, so they must hear of changes
 * in order, each with the row as it was right after its own write. */
typedef struct {
  guint    signal;   /* CONFAB_CACHE_SIGNAL_* */
  GObject *old;      /* (nullable) */
  GObject *now;      /* (nullable) */
} ConfabCacheChange;

/* Queues a signal (@old and @now as the signal takes them: both, only @now for
 * visitor-changed, neither for sites-changed / outbox-changed)... */
void                confab_cache_queue_change       (ConfabCache   *self,
                                                     guint          signal,
                                                     gpointer       old,
                                                     gpointer       now);
/* ...and emits the queue, unless an emission is under way (which then does). */
void                confab_cache_announce           (ConfabCache   *self);
/* ConfabCacheChange*: written, not announced yet, oldest first. */
GQueue             *confab_cache_get_pending_changes (ConfabCache  *self);

/* A batch: many changes in a row (a slice of a catch-up), in one transaction. The list models
 * may stop following row by row inside it and catch up once at its end ("batch-ended", in
 * order after the batch's changes). FALSE from end: the transaction was rolled back by a failed
 * write inside (the changes announced are not stored; "batch-ended" still goes out, so that
 * the lists read the table again). */
gboolean            confab_cache_batch_begin        (ConfabCache   *self,
                                                     GError       **error);
gboolean            confab_cache_batch_end          (ConfabCache   *self,
                                                     GError       **error);
gboolean            confab_cache_in_batch           (ConfabCache   *self);
/* More batches of a catch-up follow this one at once: the list models may stay behind past
 * this batch's end and catch up at a later one (each catching up costs the list view a fixed
 * price whatever it covers: bench/desktop-catchup.sh). Set before confab_cache_batch_end().
 * Unset outside a batch, "batch-ended" goes out again so that the lists that stayed behind
 * catch up now. */
void                confab_cache_set_batch_held     (ConfabCache   *self,
                                                     gboolean       held);
gboolean            confab_cache_get_batch_held     (ConfabCache   *self);

G_END_DECLS
