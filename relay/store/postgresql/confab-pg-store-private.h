/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-private.h: what the files of the PostgreSQL store share.
 *
 * confab-pg-store.c holds the connection, the transactions, the error mapping and the helpers
 * below; confab-pg-store-<part>.c implement the functions of confab-store*.h, each under the
 * name of its entry in ConfabStoreFuncs (confab-store-backend.h) with the prefix pg_.
 */
#pragma once

#include "confab-store.h"
#include "confab-store-backend.h"
#include "confab-store-channels.h"
#include "confab-store-chat.h"
#include "confab-pg-store.h"
#include "confab-util.h"

#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <string.h>

G_BEGIN_DECLS

#define PG_MAX_PARAMS 24

/* The text parameters of one statement; numbers are formatted into the struct itself. */
typedef struct {
  const char *values[PG_MAX_PARAMS];
  char        numbers[PG_MAX_PARAMS][24];
  int         n;
  /* set by pg_binary () only: the lengths and formats of the values (1 = binary) */
  int         lengths[PG_MAX_PARAMS];
  int         formats[PG_MAX_PARAMS];
  gboolean    binary;
} PgParams;

void      pg_text     (PgParams    *params,
                       const char  *text);
void      pg_int      (PgParams    *params,
                       gint64       value);
void      pg_bool     (PgParams    *params,
                       gboolean     value);
/* A bytea parameter sent as it is (not as hex text); @bytes must outlive the statement. */
void      pg_binary   (PgParams    *params,
                       GBytes      *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* Runs @sql (a string literal: its address names the prepared statement) with @params. A result
 * that is tuples or a command, else NULL with @error mapped to ConfabStoreError: unique
 * violation EXISTS, foreign key NOT_FOUND, lock timeout and deadlock BUSY, disk full FULL, a
 * lost connection UNAVAILABLE. */
PGresult *pg_exec     (ConfabStore    *store,
                       const char     *sql,
                       const PgParams *params,
                       const char     *what,
                       GError        **error);
/* pg_exec () for a write that may fail on a constraint: inside an open transaction it runs in
 * a savepoint of its own, so that its failure leaves the caller's transaction usable (as a
 * failed statement does in SQLite) instead of aborting it. */
PGresult *pg_write    (ConfabStore    *store,
                       const char     *sql,
                       const PgParams *params,
                       const char     *what,
                       GError        **error);

/* One transaction in one flight (libpq's pipeline mode): BEGIN, @n statements (@sql[i], string
 * literals, with @params[i]), COMMIT and one sync, sent together and answered together: one
 * round trip for all of them instead of one each. Outside any confab_store_begin () level only.
 * TRUE with @results[i] (tuples or a command; PQclear them) once committed; FALSE with @error
 * mapped as pg_exec () does and nothing committed when any statement failed (the others were
 * not run) or the connection was lost. */
gboolean  pg_exec_flight (ConfabStore        *store,
                          const char * const *sql,
                          const PgParams     *params,
                          guint               n,
                          PGresult          **results,
                          const char         *what,
                          GError            **error);

/* Rows a write changed. */
gint64    pg_changes  (PGresult       *result);
/* FALSE with NOT_FOUND "No @what “@id”" when @result changed or returned no row. */
gboolean  pg_found    (PGresult       *result,
                       const char     *what,
                       const char     *id,
                       GError        **error);

char     *pg_dup      (PGresult       *result,
                       int             row,
                       int             column);
gint64    pg_integer    (PGresult       *result,
                       int             row,
                       int             column);
gboolean  pg_boolean  (PGresult       *result,
                       int             row,
                       int             column);

/* Ends a level begun with confab_store_begin (): commits when @ok, else rolls back. */
gboolean  pg_finish   (ConfabStore    *store,
                       gboolean        ok,
                       GError        **error);

ConfabSenderType pg_sender_from_string (const char *text);

/* A JSON array of strings, and back (sites' domains, FAQs' keywords). */
char         *pg_strv_to_json         (const char * const *strv);
char        **pg_strv_from_json       (const char *text);

#define PG_VISITOR_COLUMNS "id, site_id, token_hash, name, email, locale, timezone, browser, os, " \
                           "country, city, fingerprint, first_seen, last_seen, visits, " \
                           "country_name, geo_timezone, browser_version, os_version, device_type, " \
                           "linked_to, channel"
/* A visitor from PG_VISITOR_COLUMNS at @row. */
ConfabVisitor *pg_read_visitor        (PGresult *result, int row);

/* The FTS5 query the relay builds (confab_faq_match_query (), the search API's) as a tsquery
 * for to_tsquery ('simple', …), its words folded as confab_fold () folds the indexed text;
 * NULL for anything else. */
char         *pg_fts_query            (const char *match);

/* CONFAB_PG_READER_PREFIX and the store's connection string. */
char         *pg_store_url            (ConfabStore *store);

/* confab-pg-store-accounts.c */
ConfabUser   *pg_create_user          (ConfabStore *store, const char *email, const char *name, const char *password_hash, GError **error);
ConfabUser   *pg_get_user             (ConfabStore *store, const char *user_id, GError **error);
ConfabUser   *pg_get_user_by_email    (ConfabStore *store, const char *email, GError **error);
gboolean      pg_add_token            (ConfabStore *store, const char *token_hash, const char *user_id, gint64 expires_at, GError **error);
char         *pg_lookup_token         (ConfabStore *store, const char *token_hash, gint64 now, GError **error);
gboolean      pg_revoke_token         (ConfabStore *store, const char *token_hash, GError **error);
ConfabSite   *pg_create_site          (ConfabStore *store, const char *owner_id, const char *name, const char * const *domains, GError **error);
ConfabSite   *pg_get_site             (ConfabStore *store, const char *site_id, GError **error);
ConfabSite   *pg_get_site_by_key      (ConfabStore *store, const char *site_key, GError **error);
GPtrArray    *pg_list_sites_for_user  (ConfabStore *store, const char *user_id, GError **error);
ConfabSite   *pg_update_site          (ConfabStore *store, const char *site_id, const char *name, const char * const *domains, const char *settings_json, int enabled, GError **error);
ConfabSite   *pg_rotate_site_key      (ConfabStore *store, const char *site_id, GError **error);
ConfabRole    pg_get_role             (ConfabStore *store, const char *site_id, const char *user_id);
gboolean      pg_set_member           (ConfabStore *store, const char *site_id, const char *user_id, ConfabRole role, GError **error);
GPtrArray    *pg_list_members         (ConfabStore *store, const char *site_id, GError **error);
gboolean      pg_change_member        (ConfabStore *store, const char *site_id, const char *user_id, ConfabRole role, GError **error);
gboolean      pg_is_blocked           (ConfabStore *store, const char *site_id, const char *visitor_id, const char *ip_hash);
gboolean      pg_audit                (ConfabStore *store, const char *user_id, const char *site_id, const char *action, const char *detail_json, const char *ip_hash, GError **error);
gboolean      pg_append_audit         (ConfabStore *store, const ConfabAuditEntry *entry, GError **error);

/* confab-pg-store-chat.c */
ConfabVisitor *pg_create_visitor      (ConfabStore *store, const char *site_id, const char *token_hash, const ConfabVisitorInfo *info, GError **error);
ConfabVisitor *pg_get_visitor         (ConfabStore *store, const char *visitor_id, GError **error);
ConfabVisitor *pg_get_visitor_by_token (ConfabStore *store, const char *token_hash, GError **error);
ConfabVisitor *pg_touch_visitor       (ConfabStore *store, const char *visitor_id, const ConfabVisitorInfo *info, gboolean new_visit, GError **error);
gboolean      pg_add_page_view        (ConfabStore *store, const char *visitor_id, const char *url, const char *title, gint64 at, GError **error);
gboolean      pg_close_page_views     (ConfabStore *store, const char *visitor_id, gint64 at, GError **error);
GPtrArray    *pg_list_page_views      (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
gint64        pg_add_visitor_event    (ConfabStore *store, const char *site_id, const char *visitor_id, const char *payload_json, GError **error);
gint64        pg_add_rating_event     (ConfabStore *store, const char *site_id, const char *conversation_id, const char *payload_json, GError **error);
gboolean      pg_set_visitor_consent  (ConfabStore *store, const char *visitor_id, gint64 at, GError **error);
gint64        pg_get_visitor_consent  (ConfabStore *store, const char *visitor_id, GError **error);
gboolean      pg_set_visitor_context  (ConfabStore *store, const char *visitor_id, const ConfabVisitorContext *context, GError **error);
ConfabVisitor *pg_find_visitor_by_fingerprint (ConfabStore *store, const char *site_id, const char *fingerprint, GError **error);
ConfabVisitor *pg_link_visitor        (ConfabStore *store, const char *visitor_id, const char *previous_id, GError **error);
GPtrArray    *pg_list_visitor_conversations (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
ConfabConversation *pg_get_conversation (ConfabStore *store, const char *conversation_id, GError **error);
ConfabConversation *pg_get_current_conversation (ConfabStore *store, const char *visitor_id, GError **error);
ConfabConversation *pg_create_conversation (ConfabStore *store, const char *site_id, const char *visitor_id, GError **error);
GPtrArray    *pg_list_conversations   (ConfabStore *store, const char *site_id, const ConfabConversationStatus *status, gint64 before_ms, guint limit, GError **error);
ConfabConversation *pg_set_status     (ConfabStore *store, const char *conversation_id, ConfabConversationStatus status, GError **error);
ConfabConversation *pg_set_assignee   (ConfabStore *store, const char *conversation_id, const char *assignee_id, GError **error);
ConfabConversation *pg_mark_read      (ConfabStore *store, const char *conversation_id, ConfabSenderType reader, gint64 seq, GError **error);
gboolean      pg_append_message       (ConfabStore *store, const ConfabMessageDraft *draft, ConfabMessage **out_message, ConfabConversation **out_conversation, gboolean *out_conversation_changed, ConfabAppendResult *out_result, GError **error);
gboolean      pg_append_batch         (ConfabStore *store, ConfabBatchItem *items, guint n_items, GError **error);
ConfabMessage *pg_find_message        (ConfabStore *store, ConfabSenderType sender_type, const char *sender_id, const char *client_id, GError **error);
GPtrArray    *pg_list_messages        (ConfabStore *store, const char *conversation_id, gint64 after_seq, guint limit, GError **error);
gint64        pg_add_event            (ConfabStore *store, const char *site_id, const char *kind, const char *conversation_id, const char *payload_json, GError **error);
GPtrArray    *pg_list_events          (ConfabStore *store, const char * const *site_ids, gint64 after_cursor, guint limit, GError **error);
gint64        pg_last_cursor          (ConfabStore *store);
ConfabUpload *pg_get_upload           (ConfabStore *store, const char *upload_id, GError **error);
GPtrArray    *pg_list_timeline        (ConfabStore *store, const char *conversation_id, GError **error);

/* confab-pg-store-team.c */
ConfabUser   *pg_invite_user          (ConfabStore *store, const char *email, const char *site_id, ConfabRole role, const char *code_hash, const char *created_by, gint64 expires_at, GError **error);
gboolean      pg_get_setup_code       (ConfabStore *store, const char *user_id, char **out_code_hash, gint64 *out_expires_at, GError **error);
gboolean      pg_complete_setup       (ConfabStore *store, const char *user_id, const char *code_hash, gint64 now, const char *password_hash, const char *name, GError **error);
gboolean      pg_reset_password       (ConfabStore *store, const char *user_id, const char *kind, const char *site_id, const char *code_hash, const char *created_by, gint64 expires_at, GPtrArray **out_revoked, GError **error);
gboolean      pg_set_password         (ConfabStore *store, const char *user_id, const char *password_hash, const char *keep_token_hash, GPtrArray **out_revoked, GError **error);
gboolean      pg_set_user_name        (ConfabStore *store, const char *user_id, const char *name, GError **error);
GPtrArray    *pg_list_invitations     (ConfabStore *store, const char *site_id, GError **error);
gboolean      pg_drop_unused_invitee  (ConfabStore *store, const char *user_id, GError **error);

/* confab-pg-store-extras.c */
gboolean      pg_add_upload           (ConfabStore *store, const ConfabUpload *upload, GError **error);
gboolean      pg_upload_file_used     (ConfabStore *store, const char *sha256);
gboolean      pg_can_hold_upload_bytes (ConfabStore *store);
gboolean      pg_put_upload_bytes     (ConfabStore *store, const char *sha256, GBytes *data, GBytes *thumb, GError **error);
GBytes       *pg_get_upload_bytes     (ConfabStore *store, const char *sha256, gboolean thumb, GError **error);
gboolean      pg_delete_upload_bytes  (ConfabStore *store, const char *sha256, GError **error);
gboolean      pg_claim_upload         (ConfabStore *store, const char *upload_id, const char *conversation_id, const char *visitor_id, GError **error);
ConfabCanned *pg_create_canned        (ConfabStore *store, const char *site_id, const char *shortcut, const char *body, GError **error);
ConfabCanned *pg_get_canned           (ConfabStore *store, const char *canned_id, GError **error);
GPtrArray    *pg_list_canned          (ConfabStore *store, const char *site_id, GError **error);
ConfabCanned *pg_update_canned        (ConfabStore *store, const char *canned_id, const char *shortcut, const char *body, GError **error);
gboolean      pg_delete_canned        (ConfabStore *store, const char *canned_id, GError **error);
ConfabBlock  *pg_block_visitor        (ConfabStore *store, const char *site_id, const char *visitor_id, const char *reason, const char *user_id, GError **error);
gboolean      pg_unblock_visitor      (ConfabStore *store, const char *site_id, const char *visitor_id, GError **error);
char         *pg_get_block_site       (ConfabStore *store, const char *visitor_id, GError **error);
GPtrArray    *pg_list_blocks          (ConfabStore *store, const char *site_id, GError **error);

/* confab-pg-store-feedback.c */
gboolean      pg_set_rating           (ConfabStore *store, const char *conversation_id, int score, const char *comment, GError **error);
gboolean      pg_get_rating           (ConfabStore *store, const char *conversation_id, int *out_score, char **out_comment, GError **error);
gboolean      pg_get_conversation_rating (ConfabStore *store, const char *conversation_id, gboolean *out_found, int *out_score, char **out_comment, gint64 *out_rated_at, GError **error);
char         *pg_add_offline_message  (ConfabStore *store, const char *site_id, const char *visitor_id, const char *name, const char *email, const char *body, GError **error);
ConfabOfflineMessage *pg_get_offline_message (ConfabStore *store, const char *offline_id, GError **error);
GPtrArray    *pg_list_offline_messages_page (ConfabStore *store, const char *site_id, const char *status, const char *before_id, guint limit, GError **error);
gint64        pg_count_open_offline_messages (ConfabStore *store, const char *site_id, GError **error);
ConfabOfflineMessage *pg_set_offline_message_status (ConfabStore *store, const char *offline_id, gboolean handled, const char *user_id, GError **error);
gboolean      pg_set_offline_message_conversation (ConfabStore *store, const char *offline_id, const char *conversation_id, GError **error);
GPtrArray    *pg_list_offline_messages (ConfabStore *store, const char *site_id, GError **error);
GPtrArray    *pg_list_audit           (ConfabStore *store, const char *site_id, guint limit, GError **error);
gboolean      pg_set_event_visitor    (ConfabStore *store, gint64 cursor, const char *visitor_id, GError **error);
gboolean      pg_bot_may_answer       (ConfabStore *store, const char *conversation_id, gboolean *out_may_answer, GError **error);
gboolean      pg_request_human        (ConfabStore *store, const char *conversation_id, gboolean *out_new, GError **error);
GHashTable   *pg_list_retention_sites (ConfabStore *store, GError **error);
GPtrArray    *pg_list_retired_sites   (ConfabStore *store, GError **error);

/* confab-pg-store-data.c */
GPtrArray    *pg_list_site_audit      (ConfabStore *store, const char *site_id, gint64 before_id, guint limit, GError **error);
gboolean      pg_delete_site_audit    (ConfabStore *store, const char *site_id, GError **error);
GPtrArray    *pg_search_visitors      (ConfabStore *store, const char *site_id, const char *query, guint limit, GError **error);
GPtrArray    *pg_list_visitor_pages   (ConfabStore *store, const char *visitor_id, GError **error);
GPtrArray    *pg_list_visitor_conversation_ids (ConfabStore *store, const char *visitor_id, GError **error);
GPtrArray    *pg_list_visitor_offline_ids (ConfabStore *store, const char *visitor_id, GError **error);
GPtrArray    *pg_list_visitor_upload_ids (ConfabStore *store, const char *visitor_id, GError **error);
gboolean      pg_delete_visitor       (ConfabStore *store, const char *visitor_id, GPtrArray **out_conversation_ids, GPtrArray **out_offline_ids, GPtrArray **out_unused_files, GError **error);
gint64        pg_purge_conversations  (ConfabStore *store, const char *site_id, gint64 cutoff_ms, guint max_rows, gboolean *out_more, GPtrArray **out_conversation_ids, GPtrArray **out_unused_files, GError **error);
gint64        pg_count_visitor_messages (ConfabStore *store, const char *visitor_id, GError **error);
gboolean      pg_trim_visitor_messages (ConfabStore *store, const char *visitor_id, guint max_rows, gboolean *out_more, GError **error);
gboolean      pg_retire_site          (ConfabStore *store, const char *site_id, GPtrArray **out_member_ids, GError **error);
gboolean      pg_delete_site_step     (ConfabStore *store, const char *site_id, guint limit, gint64 budget_us, GPtrArray *files, gboolean *out_done, GError **error);

/* confab-pg-store-faq.c */
ConfabFaq    *pg_create_faq           (ConfabStore *store, const char *site_id, const char *question, const char *answer, const char * const *keywords, GError **error);
ConfabFaq    *pg_get_faq              (ConfabStore *store, const char *faq_id, GError **error);
GPtrArray    *pg_list_faqs            (ConfabStore *store, const char *site_id, GError **error);
ConfabFaq    *pg_update_faq           (ConfabStore *store, const char *faq_id, const char *question, const char *answer, const char * const *keywords, GError **error);
gboolean      pg_delete_faq           (ConfabStore *store, const char *faq_id, GError **error);
GPtrArray    *pg_search_faqs          (ConfabStore *store, const char *site_id, const char *match, guint limit, GError **error);
gboolean      pg_count_faq_view       (ConfabStore *store, const char *faq_id, GError **error);
gboolean      pg_faq_answered_in      (ConfabStore *store, const char *conversation_id, const char *faq_id, gboolean *out_answered, GError **error);
gboolean      pg_set_faq_feedback     (ConfabStore *store, const char *conversation_id, const char *faq_id, gboolean helpful, GError **error);
char         *pg_analytics_faq_question (ConfabStore *store, const char *faq_id);

/* confab-pg-store-kb.c (pgkb: the knowledge base and the FAQs' synonyms) */
ConfabArticle *pg_create_article      (ConfabStore *store, const char *site_id, const ConfabArticleDraft *draft, GError **error);
ConfabArticle *pg_get_article         (ConfabStore *store, const char *article_id, GError **error);
ConfabArticle *pg_get_article_by_slug (ConfabStore *store, const char *site_id, const char *slug, gboolean published_only, GError **error);
GPtrArray    *pg_list_articles        (ConfabStore *store, const char *site_id, gboolean published_only, GError **error);
gboolean      pg_has_published_articles (ConfabStore *store, const char *site_id, gboolean *out_has, GError **error);
ConfabArticle *pg_update_article      (ConfabStore *store, const char *article_id, const ConfabArticleDraft *draft, GError **error);
gboolean      pg_delete_article       (ConfabStore *store, const char *article_id, GError **error);
GPtrArray    *pg_search_articles      (ConfabStore *store, const char *site_id, const char *match, gboolean published_only, guint limit, GError **error);
gboolean      pg_set_faq_synonyms     (ConfabStore *store, const char *faq_id, const char * const *synonyms, GError **error);

/* confab-pg-store-channels.c (pgkb: Messenger and WhatsApp) */
ConfabChannelSettings * pg_get_channel_settings (ConfabStore *store, const char *site_id, const char *channel, GError **error);
gboolean pg_put_channel_settings (ConfabStore *store, const char *site_id, const char *channel, gboolean enabled, const char *config_json, const char *secrets_json, GError **error);
gboolean pg_delete_channel_settings (ConfabStore *store, const char *site_id, const char *channel, GError **error);
ConfabVisitor * pg_find_channel_contact (ConfabStore *store, const char *site_id, const char *channel, const char *external_id, GError **error);
ConfabVisitor * pg_add_channel_contact (ConfabStore *store, const char *site_id, const char *channel, const char *external_id, const char *name, GError **error);
char * pg_get_channel_contact_id (ConfabStore *store, const char *visitor_id, const char *channel, GError **error);
gboolean pg_mark_channel_seen (ConfabStore *store, const char *site_id, const char *channel, const char *platform_id, gint64 now, GError **error);
gboolean pg_channel_seen (ConfabStore *store, const char *site_id, const char *channel, const char *platform_id);
gint64 pg_forget_channel_seen (ConfabStore *store, gint64 before_ms, GError **error);
ConfabConversation * pg_set_conversation_channel (ConfabStore *store, const char *conversation_id, const char *channel, gint64 reply_window_ends_at, GError **error);
gboolean pg_set_message_delivery (ConfabStore *store, const char *conversation_id, gint64 seq, const char *status, const char *error_text, const char *platform_id, GError **error);
gboolean pg_find_platform_message (ConfabStore *store, const char *site_id, const char *platform_id, char **out_conversation_id, gint64 *out_seq, char **out_status, GError **error);
gboolean pg_add_outbox (ConfabStore *store, const char *conversation_id, gint64 seq, const char *site_id, const char *channel, const char *request_json, gint64 next_attempt_at, GError **error);
GPtrArray * pg_list_due_outbox (ConfabStore *store, gint64 now, guint limit, GError **error);
gint64 pg_next_outbox_at (ConfabStore *store, GError **error);
gboolean pg_retry_outbox (ConfabStore *store, const char *conversation_id, gint64 seq, gint64 attempts, gint64 next_attempt_at, GError **error);
gboolean pg_claim_outbox (ConfabStore *store, const ConfabOutboxItem *item, gint64 lease_until, gboolean *out_claimed, GError **error);
gboolean pg_remove_outbox (ConfabStore *store, const char *conversation_id, gint64 seq, GError **error);

/* confab-pg-store-targets.c: response-time targets; the first inside the caller's transaction
 * (sqlite/confab-store-private.h's store_targets_on_message () says what it does; pg_set_status ()
 * stops a target itself) */
/* @site_settings: the site's settings, read with the message (append_new_message ()) */
gboolean pg_targets_on_message (ConfabStore *store, ConfabConversation *conversation, ConfabSenderType sender_type, const char *site_settings, gint64 now, gboolean *changed, GError **error);
GPtrArray *pg_advance_targets (ConfabStore *store, gint64 now_ms, GError **error);
gint64 pg_next_target_at (ConfabStore *store, GError **error);
gboolean pg_analytics_targets (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, ConfabAnalyticsTargetFunc func, gpointer user_data, GError **error);

/* confab-pg-store-analytics.c */
char         *pg_analytics_reader_path (ConfabStore *store);
gboolean      pg_analytics_conversations (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, gboolean with_visitors, ConfabAnalyticsConversationFunc func, gpointer user_data, GError **error);
gboolean      pg_analytics_messages   (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, gint64 bucket_ms, ConfabAnalyticsMessagesFunc func, gpointer user_data, GError **error);
gint64        pg_analytics_visitors   (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, GError **error);
gint64        pg_analytics_offline    (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, GError **error);

/* confab-pg-store-everyday.c */
ConfabNote   *pg_add_note             (ConfabStore *store, const char *conversation_id, const char *author_id, const char *author_name, const char *client_id, const char *body, const char *mentions_json, gboolean *out_duplicate, GError **error);
GPtrArray    *pg_list_notes           (ConfabStore *store, const char *conversation_id, GError **error);
ConfabLabel  *pg_create_label         (ConfabStore *store, const char *site_id, const char *name, const char *color, GError **error);
ConfabLabel  *pg_get_label            (ConfabStore *store, const char *label_id, GError **error);
GPtrArray    *pg_list_labels          (ConfabStore *store, const char *site_id, GError **error);
ConfabLabel  *pg_update_label         (ConfabStore *store, const char *label_id, const char *name, const char *color, GError **error);
gboolean      pg_delete_label         (ConfabStore *store, const char *label_id, GError **error);
GPtrArray    *pg_list_conversation_labels (ConfabStore *store, const char *conversation_id, GError **error);
gboolean      pg_set_conversation_labels (ConfabStore *store, const char *site_id, const char *conversation_id, const char * const *label_ids, GError **error);
GPtrArray    *pg_list_labelled_conversations (ConfabStore *store, const char *site_id, const char *label_id, const ConfabConversationStatus *status, gint64 before_ms, guint limit, GError **error);
GPtrArray    *pg_search_messages      (ConfabStore *store, const char *user_id, const char *site_id, const char *match, gint64 before_cursor, guint limit, GError **error);
gboolean      pg_set_avatar           (ConfabStore *store, const char *user_id, const char *sha256, GError **error);
char         *pg_get_avatar           (ConfabStore *store, const char *user_id, GError **error);
gboolean      pg_avatar_in_use        (ConfabStore *store, const char *sha256);
GPtrArray    *pg_list_recent_answerers (ConfabStore *store, const char *site_id, guint limit, GError **error);
GArray       *pg_recent_first_responses (ConfabStore *store, const char *site_id, guint limit, GError **error);

/* confab-pg-store-assistant.c */
gboolean      pg_add_assistant_event  (ConfabStore *store, const char *site_id, const char *conversation_id, const char *kind, GError **error);
gboolean      pg_add_assistant_handoff (ConfabStore *store, const char *conversation_id, gboolean *out_added, GError **error);
gboolean      pg_set_assistant_vote   (ConfabStore *store, const char *conversation_id, gint64 seq, gboolean helpful, GError **error);
gboolean      pg_assistant_may_answer (ConfabStore *store, const char *conversation_id, gboolean *out_may_answer, GError **error);
gboolean      pg_set_embedding        (ConfabStore *store, const char *site_id, const char *kind, const char *item_id, const char *hash, GBytes *vector, GError **error);
GPtrArray    *pg_list_embeddings      (ConfabStore *store, const char *site_id, GError **error);
gboolean      pg_assistant_counts     (ConfabStore *store, const char *site_id, gint64 from_ms, gint64 to_ms, ConfabAssistantCounts *out_counts, GError **error);

G_END_DECLS
