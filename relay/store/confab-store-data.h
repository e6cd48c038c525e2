/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-data.h: what the store keeps for the site's data duties (issue 10) — the audit
 * log of settings, team, key and data actions; finding, exporting and deleting one visitor's
 * data; purging old conversations (retention); blocked visitors. SQL in confab-store-data.c. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* --- the audit log --- */

/* One entry to append. Everything but @action may be NULL: @site_id NULL is a relay-wide entry
 * (sign-ins), @actor_id NULL the relay itself (a retention purge), @target_type NULL no target. */
typedef struct {
  const char *site_id;
  const char *actor_id;
  const char *actor_name;
  const char *action;        /* dotted: "site.updated", "visitor.deleted", ... */
  const char *target_type;   /* "site", "member", "faq", "canned", "visitor" */
  const char *target_id;
  const char *target_name;
  const char *details_json;  /* a JSON object; NULL = {} */
  const char *ip_hash;       /* keyed hash of the caller's address, never the address */
} ConfabAuditEntry;

typedef struct {
  gint64  id;
  gint64  at;
  char   *actor_id;
  char   *actor_name;        /* the user's name now, or as it was when they are gone */
  char   *action;
  char   *target_type;
  char   *target_id;
  char   *target_name;
  char   *details_json;
  char   *ip_hash;
} ConfabAuditRecord;

void confab_audit_record_free (ConfabAuditRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabAuditRecord, confab_audit_record_free)

gboolean   confab_store_append_audit     (ConfabStore            *store,
                                          const ConfabAuditEntry *entry,
                                          GError                **error);
/* The site's entries, newest first, with id < @before_id (0: from the newest), at most
 * @limit. Element type: ConfabAuditRecord*. */
GPtrArray *confab_store_list_site_audit  (ConfabStore  *store,
                                          const char   *site_id,
                                          gint64        before_id,
                                          guint         limit,
                                          GError      **error);

/* A deleted site's audit log goes with it: the table has no foreign key (the relay-wide trail
 * must outlive what it names), so deleting a site calls this in the same transaction. */
gboolean   confab_store_delete_site_audit (ConfabStore *store,
                                          const char   *site_id,
                                          GError      **error);

/* --- one visitor's data --- */

/* The site's visitors whose name, e-mail or id contains @query (case-insensitive; empty: all),
 * most recently seen first. Element type: ConfabVisitor*. */
GPtrArray *confab_store_search_visitors  (ConfabStore  *store,
                                          const char   *site_id,
                                          const char   *query,
                                          guint         limit,
                                          GError      **error);
/* Every page view of this visitor alone (not of linked ones), oldest first.
 * Element type: ConfabPageView*. */
GPtrArray *confab_store_list_visitor_pages (ConfabStore *store,
                                          const char   *visitor_id,
                                          GError      **error);
/* Ids, oldest first, of this visitor's own conversations / offline messages / uploads (their
 * own and every upload in their conversations). Element type: char*. */
GPtrArray *confab_store_list_visitor_conversation_ids (ConfabStore *store,
                                          const char   *visitor_id,
                                          GError      **error);
GPtrArray *confab_store_list_visitor_offline_ids (ConfabStore *store,
                                          const char   *visitor_id,
                                          GError      **error);
GPtrArray *confab_store_list_visitor_upload_ids (ConfabStore *store,
                                          const char   *visitor_id,
                                          GError      **error);
/* Names @visitor_id as the visitor an event of the log is about (the events_visitor index), for
 * events that carry what the visitor said outside their conversations (offline messages). */
gboolean   confab_store_set_event_visitor (ConfabStore *store,
                                          gint64        cursor,
                                          const char   *visitor_id,
                                          GError      **error);
/* Deletes the visitor with their page views, conversations (messages, events, ratings, FAQ
 * votes), offline messages (and their events), uploads and the visitor's events. Out: the
 * deleted conversation and offline message ids, and the SHA-256 names of upload files no row
 * names any more (the caller removes those files). NOT_FOUND. */
gboolean   confab_store_delete_visitor   (ConfabStore  *store,
                                          const char   *visitor_id,
                                          GPtrArray   **out_conversation_ids,
                                          GPtrArray   **out_offline_ids,
                                          GPtrArray   **out_unused_files,
                                          GError      **error);

/* Messages in the visitor's own conversations; -1 on error. */
gint64     confab_store_count_visitor_messages (ConfabStore *store,
                                          const char   *visitor_id,
                                          GError      **error);
/* Deletes up to @max_rows of the oldest messages (with their events) of one of the visitor's
 * conversations: a long history goes in slices before the visitor is deleted in one short
 * transaction. *@out_more: FALSE once a call found no message of theirs left. */
gboolean   confab_store_trim_visitor_messages (ConfabStore *store,
                                          const char   *visitor_id,
                                          guint         max_rows,
                                          gboolean     *out_more,
                                          GError      **error);

/* --- retention --- */

/* Sites with a retention: site id → days (GINT_TO_POINTER), for those whose settings'
 * "retention_days" is above 0. */
GHashTable *confab_store_list_retention_sites (ConfabStore *store,
                                          GError      **error);
/* Purges @site_id's resolved or closed conversations whose last activity (last message, or
 * last timeline event) is before @cutoff_ms, oldest first, with their messages, events,
 * ratings and uploads — deleting about @max_rows rows at most: a conversation too long for
 * that loses its oldest messages now and goes whole in a later call. *@out_more: whether any
 * is left. Out: the purged conversations' ids, and the upload files no row names any more.
 * Returns how many conversations went, -1 on error. */
gint64     confab_store_purge_conversations (ConfabStore *store,
                                          const char   *site_id,
                                          gint64        cutoff_ms,
                                          guint         max_rows,
                                          gboolean     *out_more,
                                          GPtrArray   **out_conversation_ids,
                                          GPtrArray   **out_unused_files,
                                          GError      **error);

/* --- blocked visitors --- */

typedef struct {
  char   *site_id;
  char   *visitor_id;
  char   *name;              /* the visitor's, NULL once deleted */
  char   *email;
  char   *ip_hash;
  char   *reason;
  gint64  blocked_at;
  char   *blocked_by;        /* user id, NULL once that account is gone */
  char   *blocked_by_name;
} ConfabBlock;

void confab_block_free (ConfabBlock *block);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabBlock, confab_block_free)

/* Blocks @visitor_id (of @site_id) and the address hash it was last seen from; blocking again
 * replaces the reason, takes their latest address and keeps the first time. */
ConfabBlock *confab_store_block_visitor  (ConfabStore  *store,
                                          const char   *site_id,
                                          const char   *visitor_id,
                                          const char   *reason,
                                          const char   *user_id,
                                          GError      **error);
/* NOT_FOUND when the visitor was not blocked. */
gboolean     confab_store_unblock_visitor (ConfabStore *store,
                                          const char   *site_id,
                                          const char   *visitor_id,
                                          GError      **error);
/* The site of the block of @visitor_id (deleted or not), or NULL (no error) when none. */
char        *confab_store_get_block_site (ConfabStore  *store,
                                          const char   *visitor_id,
                                          GError      **error);
/* Newest first. Element type: ConfabBlock*. */
GPtrArray   *confab_store_list_blocks    (ConfabStore  *store,
                                          const char   *site_id,
                                          GError      **error);
/* Whether @visitor_id (may be NULL) or @ip_hash (may be NULL) is blocked on @site_id; FALSE
 * also on a store error (logged): a failing store must not lock visitors out. */
gboolean     confab_store_is_blocked     (ConfabStore  *store,
                                          const char   *site_id,
                                          const char   *visitor_id,
                                          const char   *ip_hash);

G_END_DECLS
