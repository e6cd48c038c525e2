/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-backend.h: how one ConfabStore speaks to another database than SQLite.
 *
 * confab-store*.h stay the one interface the hub, api and auth code see. A store opened by
 * another backend (postgresql/confab-pg-store.c) carries a table of that backend's functions;
 * every public function of the SQLite files hands off to it on its first line (STORE_HANDOFF
 * in sqlite/confab-store-private.h), so the SQLite code stays as it is and a function added
 * there needs one line more and its entry here, which every backend fills (a NULL entry fails
 * test-store-postgresql's /store/postgresql/every-function-ported).
 *
 * Each entry has the public function's signature, without its "confab_store_" prefix.
 */
#pragma once

#include "confab-store.h"
#include "confab-store-assistant.h"
#include "confab-store-analytics.h"
#include "confab-store-batch.h"
#include "confab-store-channels.h"
#include "confab-store-chat.h"
#include "confab-store-data.h"
#include "confab-store-hooks.h"
#include "confab-store-email.h"
#include "confab-store-engage.h"
#include "confab-store-kb.h"
#include "confab-store-sites.h"
#include "confab-store-team.h"
#include "confab-store-targets.h"
#include "confab-store-routing.h"

G_BEGIN_DECLS

typedef struct _ConfabStoreFuncs ConfabStoreFuncs;

struct _ConfabStoreFuncs
{
  const char *name;   /* "PostgreSQL", for errors and logs */
  ConfabUser *(*create_user) (ConfabStore *store, const char *email, const char *name, const char *password_hash, GError **error);
  ConfabUser *(*get_user) (ConfabStore *store, const char *user_id, GError **error);
  ConfabUser *(*get_user_by_email) (ConfabStore *store, const char *email, GError **error);
  gboolean (*add_token) (ConfabStore *store, const char *token_hash, const char *user_id, gint64 expires_at, GError **error);
  char *(*lookup_token) (ConfabStore *store, const char *token_hash, gint64 now, GError **error);
  gboolean (*revoke_token) (ConfabStore *store, const char *token_hash, GError **error);
  ConfabSite *(*create_site) (ConfabStore *store, const char *owner_id, const char *name, const char * const *domains, GError **error);
  ConfabSite *(*get_site) (ConfabStore *store, const char *site_id, GError **error);
  ConfabSite *(*get_site_by_key) (ConfabStore *store, const char *site_key, GError **error);
  GPtrArray *(*list_sites_for_user) (ConfabStore *store, const char *user_id, GError **error);
  ConfabSite *(*update_site) (ConfabStore *store, const char *site_id, const char *name, const char * const *domains, const char *settings_json, int enabled, GError **error);
  ConfabRole (*get_role) (ConfabStore *store, const char *site_id, const char *user_id);
  gboolean (*set_member) (ConfabStore *store, const char *site_id, const char *user_id, ConfabRole role, GError **error);
  GPtrArray *(*list_members) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*change_member) (ConfabStore *store, const char *site_id, const char *user_id, ConfabRole role, GError **error);
  char *(*analytics_reader_path) (ConfabStore *store);
  gboolean (*analytics_conversations) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, gboolean with_visitors, ConfabAnalyticsConversationFunc func, gpointer user_data, GError **error);
  gboolean (*analytics_messages) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, gint64 bucket_ms, ConfabAnalyticsMessagesFunc func, gpointer user_data, GError **error);
  gint64 (*analytics_visitors) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, GError **error);
  gint64 (*analytics_offline) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, GError **error);
  char *(*analytics_faq_question) (ConfabStore *store, const char *faq_id);
  ConfabConversation *(*get_conversation) (ConfabStore *store, const char *conversation_id, GError **error);
  ConfabConversation *(*get_current_conversation) (ConfabStore *store, const char *visitor_id, GError **error);
  GPtrArray *(*list_conversations) (ConfabStore *store, const char *site_id, const ConfabConversationStatus *status, gint64 before_ms, guint limit, GError **error);
  GPtrArray *(*list_visitor_conversations) (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
  ConfabConversation *(*set_status) (ConfabStore *store, const char *conversation_id, ConfabConversationStatus status, GError **error);
  ConfabConversation *(*set_assignee) (ConfabStore *store, const char *conversation_id, const char *assignee_id, GError **error);
  ConfabConversation *(*mark_read) (ConfabStore *store, const char *conversation_id, ConfabSenderType reader, gint64 seq, GError **error);
  ConfabConversation *(*create_conversation) (ConfabStore *store, const char *site_id, const char *visitor_id, GError **error);
  gboolean (*append_message) (ConfabStore *store, const ConfabMessageDraft *draft, ConfabMessage **out_message, ConfabConversation **out_conversation, gboolean *out_conversation_changed, ConfabAppendResult *out_result, GError **error);
  gboolean (*append_batch) (ConfabStore *store, ConfabBatchItem *items, guint n_items, GError **error);
  ConfabMessage *(*find_message) (ConfabStore *store, ConfabSenderType sender_type, const char *sender_id, const char *client_id, GError **error);
  GPtrArray *(*list_messages) (ConfabStore *store, const char *conversation_id, gint64 after_seq, guint limit, GError **error);
  gint64 (*add_event) (ConfabStore *store, const char *site_id, const char *kind, const char *conversation_id, const char *payload_json, GError **error);
  GPtrArray *(*list_events) (ConfabStore *store, const char * const *site_ids, gint64 after_cursor, guint limit, GError **error);
  gint64 (*last_cursor) (ConfabStore *store);
  gboolean (*append_audit) (ConfabStore *store, const ConfabAuditEntry *entry, GError **error);
  GPtrArray *(*list_site_audit) (ConfabStore *store, const char *site_id, gint64 before_id, guint limit, GError **error);
  gboolean (*delete_site_audit) (ConfabStore *store, const char *site_id, GError **error);
  GPtrArray *(*search_visitors) (ConfabStore *store, const char *site_id, const char *query, guint limit, GError **error);
  GPtrArray *(*list_visitor_pages) (ConfabStore *store, const char *visitor_id, GError **error);
  GPtrArray *(*list_visitor_conversation_ids) (ConfabStore *store, const char *visitor_id, GError **error);
  GPtrArray *(*list_visitor_offline_ids) (ConfabStore *store, const char *visitor_id, GError **error);
  GPtrArray *(*list_visitor_upload_ids) (ConfabStore *store, const char *visitor_id, GError **error);
  gboolean (*set_event_visitor) (ConfabStore *store, gint64 cursor, const char *visitor_id, GError **error);
  gboolean (*delete_visitor) (ConfabStore *store, const char *visitor_id, GPtrArray **out_conversation_ids, GPtrArray **out_offline_ids, GPtrArray **out_unused_files, GError **error);
  GHashTable *(*list_retention_sites) (ConfabStore *store, GError **error);
  gint64 (*purge_conversations) (ConfabStore *store, const char *site_id, gint64 cutoff_ms, guint max_rows, gboolean *out_more, GPtrArray **out_conversation_ids, GPtrArray **out_unused_files, GError **error);
  gint64 (*count_visitor_messages) (ConfabStore *store, const char *visitor_id, GError **error);
  gboolean (*trim_visitor_messages) (ConfabStore *store, const char *visitor_id, guint max_rows, gboolean *out_more, GError **error);
  ConfabBlock *(*block_visitor) (ConfabStore *store, const char *site_id, const char *visitor_id, const char *reason, const char *user_id, GError **error);
  gboolean (*unblock_visitor) (ConfabStore *store, const char *site_id, const char *visitor_id, GError **error);
  char *(*get_block_site) (ConfabStore *store, const char *visitor_id, GError **error);
  GPtrArray *(*list_blocks) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*is_blocked) (ConfabStore *store, const char *site_id, const char *visitor_id, const char *ip_hash);
  ConfabFaq *(*create_faq) (ConfabStore *store, const char *site_id, const char *question, const char *answer, const char * const *keywords, GError **error);
  ConfabFaq *(*get_faq) (ConfabStore *store, const char *faq_id, GError **error);
  GPtrArray *(*list_faqs) (ConfabStore *store, const char *site_id, GError **error);
  ConfabFaq *(*update_faq) (ConfabStore *store, const char *faq_id, const char *question, const char *answer, const char * const *keywords, GError **error);
  gboolean (*delete_faq) (ConfabStore *store, const char *faq_id, GError **error);
  gboolean (*set_faq_synonyms) (ConfabStore *store, const char *faq_id, const char * const *synonyms, GError **error);
  GPtrArray *(*search_faqs) (ConfabStore *store, const char *site_id, const char *match, guint limit, GError **error);
  gboolean (*count_faq_view) (ConfabStore *store, const char *faq_id, GError **error);
  gboolean (*bot_may_answer) (ConfabStore *store, const char *conversation_id, gboolean *out_may_answer, GError **error);
  gboolean (*faq_answered_in) (ConfabStore *store, const char *conversation_id, const char *faq_id, gboolean *out_answered, GError **error);
  gboolean (*set_faq_feedback) (ConfabStore *store, const char *conversation_id, const char *faq_id, gboolean helpful, GError **error);
  gboolean (*request_human) (ConfabStore *store, const char *conversation_id, gboolean *out_new, GError **error);
  ConfabCanned *(*create_canned) (ConfabStore *store, const char *site_id, const char *shortcut, const char *body, GError **error);
  ConfabCanned *(*get_canned) (ConfabStore *store, const char *canned_id, GError **error);
  GPtrArray *(*list_canned) (ConfabStore *store, const char *site_id, GError **error);
  ConfabCanned *(*update_canned) (ConfabStore *store, const char *canned_id, const char *shortcut, const char *body, GError **error);
  gboolean (*delete_canned) (ConfabStore *store, const char *canned_id, GError **error);
  gboolean (*set_rating) (ConfabStore *store, const char *conversation_id, int score, const char *comment, GError **error);
  gboolean (*get_rating) (ConfabStore *store, const char *conversation_id, int *out_score, char **out_comment, GError **error);
  char *(*add_offline_message) (ConfabStore *store, const char *site_id, const char *visitor_id, const char *name, const char *email, const char *body, GError **error);
  GPtrArray *(*list_offline_messages) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*audit) (ConfabStore *store, const char *user_id, const char *site_id, const char *action, const char *detail_json, const char *ip_hash, GError **error);
  GPtrArray *(*list_audit) (ConfabStore *store, const char *site_id, guint limit, GError **error);
  gboolean (*retire_site) (ConfabStore *store, const char *site_id, GPtrArray **out_member_ids, GError **error);
  gboolean (*delete_site_step) (ConfabStore *store, const char *site_id, guint limit, gint64 budget_us, GPtrArray *files, gboolean *out_done, GError **error);
  GPtrArray *(*list_retired_sites) (ConfabStore *store, GError **error);
  ConfabSite *(*rotate_site_key) (ConfabStore *store, const char *site_id, GError **error);
  void (*close) (ConfabStore *store);
  int (*schema_version) (ConfabStore *store);
  void (*set_busy_timeout) (ConfabStore *store, int ms);
  gboolean (*quick_check) (ConfabStore *store, guint max_ms, GError **error);
  gint64 (*total_changes) (ConfabStore *store);
  gboolean (*check_writable) (ConfabStore *store, GError **error);
  gboolean (*begin) (ConfabStore *store, GError **error);
  gboolean (*commit) (ConfabStore *store, GError **error);
  void (*rollback) (ConfabStore *store);
  ConfabUser *(*invite_user) (ConfabStore *store, const char *email, const char *site_id, ConfabRole role, const char *code_hash, const char *created_by, gint64 expires_at, GError **error);
  gboolean (*get_setup_code) (ConfabStore *store, const char *user_id, char **out_code_hash, gint64 *out_expires_at, GError **error);
  gboolean (*complete_setup) (ConfabStore *store, const char *user_id, const char *code_hash, gint64 now, const char *password_hash, const char *name, GError **error);
  gboolean (*reset_password) (ConfabStore *store, const char *user_id, const char *kind, const char *site_id, const char *code_hash, const char *created_by, gint64 expires_at, GPtrArray **out_revoked, GError **error);
  gboolean (*set_password) (ConfabStore *store, const char *user_id, const char *password_hash, const char *keep_token_hash, GPtrArray **out_revoked, GError **error);
  gboolean (*set_user_name) (ConfabStore *store, const char *user_id, const char *name, GError **error);
  GPtrArray *(*list_invitations) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*drop_unused_invitee) (ConfabStore *store, const char *user_id, GError **error);
  ConfabOfflineMessage *(*get_offline_message) (ConfabStore *store, const char *offline_id, GError **error);
  GPtrArray *(*list_offline_messages_page) (ConfabStore *store, const char *site_id, const char *status, const char *before_id, guint limit, GError **error);
  gint64 (*count_open_offline_messages) (ConfabStore *store, const char *site_id, GError **error);
  ConfabOfflineMessage *(*set_offline_message_status) (ConfabStore *store, const char *offline_id, gboolean handled, const char *user_id, GError **error);
  gboolean (*set_offline_message_conversation) (ConfabStore *store, const char *offline_id, const char *conversation_id, GError **error);
  gboolean (*get_conversation_rating) (ConfabStore *store, const char *conversation_id, gboolean *out_found, int *out_score, char **out_comment, gint64 *out_rated_at, GError **error);
  GPtrArray *(*list_timeline) (ConfabStore *store, const char *conversation_id, GError **error);
  gboolean (*add_upload) (ConfabStore *store, const ConfabUpload *upload, GError **error);
  ConfabUpload *(*get_upload) (ConfabStore *store, const char *upload_id, GError **error);
  gboolean (*upload_file_used) (ConfabStore *store, const char *sha256);
  gboolean (*claim_upload) (ConfabStore *store, const char *upload_id, const char *conversation_id, const char *visitor_id, GError **error);
  ConfabVisitor *(*get_visitor_by_token) (ConfabStore *store, const char *token_hash, GError **error);
  ConfabVisitor *(*create_visitor) (ConfabStore *store, const char *site_id, const char *token_hash, const ConfabVisitorInfo *info, GError **error);
  ConfabVisitor *(*get_visitor) (ConfabStore *store, const char *visitor_id, GError **error);
  ConfabVisitor *(*touch_visitor) (ConfabStore *store, const char *visitor_id, const ConfabVisitorInfo *info, gboolean new_visit, GError **error);
  gboolean (*add_page_view) (ConfabStore *store, const char *visitor_id, const char *url, const char *title, gint64 at, GError **error);
  gint64 (*add_visitor_event) (ConfabStore *store, const char *site_id, const char *visitor_id, const char *payload_json, GError **error);
  gint64 (*add_rating_event) (ConfabStore *store, const char *site_id, const char *conversation_id, const char *payload_json, GError **error);
  gboolean (*close_page_views) (ConfabStore *store, const char *visitor_id, gint64 at, GError **error);
  GPtrArray *(*list_page_views) (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
  gboolean (*set_visitor_consent) (ConfabStore *store, const char *visitor_id, gint64 at, GError **error);
  gint64 (*get_visitor_consent) (ConfabStore *store, const char *visitor_id, GError **error);
  gboolean (*set_visitor_context) (ConfabStore *store, const char *visitor_id, const ConfabVisitorContext *context, GError **error);
  ConfabVisitor *(*find_visitor_by_fingerprint) (ConfabStore *store, const char *site_id, const char *fingerprint, GError **error);
  ConfabVisitor *(*link_visitor) (ConfabStore *store, const char *visitor_id, const char *previous_id, GError **error);
  /* issue 15: API keys, webhooks and their deliveries (confab-store-hooks.h) */
  ConfabApiKey *(*create_api_key) (ConfabStore *store, const char *site_id, const char *name, const char * const *scopes, const char *key_hash, const char *prefix, const char *created_by, GError **error);
  ConfabApiKey *(*get_api_key) (ConfabStore *store, const char *key_id, GError **error);
  ConfabApiKey *(*lookup_api_key) (ConfabStore *store, const char *key_hash, GError **error);
  GPtrArray *(*list_api_keys) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*revoke_api_key) (ConfabStore *store, const char *key_id, GError **error);
  gboolean (*touch_api_key) (ConfabStore *store, const char *key_id, gint64 now_ms, GError **error);
  ConfabWebhook *(*create_webhook) (ConfabStore *store, const char *site_id, const char *url, const char * const *events, const char *secret, gboolean enabled, GError **error);
  ConfabWebhook *(*get_webhook) (ConfabStore *store, const char *webhook_id, GError **error);
  GPtrArray *(*list_webhooks) (ConfabStore *store, const char *site_id, GError **error);
  ConfabWebhook *(*update_webhook) (ConfabStore *store, const char *webhook_id, const char *url, const char * const *events, int enabled, GError **error);
  gboolean (*delete_webhook) (ConfabStore *store, const char *webhook_id, GError **error);
  GPtrArray *(*list_due_deliveries) (ConfabStore *store, gint64 now_ms, guint limit, GError **error);
  gint64 (*next_delivery_at) (ConfabStore *store, GError **error);
  GPtrArray *(*list_deliveries) (ConfabStore *store, const char *webhook_id, guint limit, GError **error);
  gboolean (*claim_delivery) (ConfabStore *store, const char *delivery_id, gint64 due_at, gint64 lease_until, GError **error);
  gboolean (*set_delivery_payload) (ConfabStore *store, const char *delivery_id, const char *payload, GError **error);
  gboolean (*record_attempt) (ConfabStore *store, const char *delivery_id, ConfabDeliveryStatus status, gint64 response_status, const char *error_text, gint64 next_attempt_at, gint64 delivered_at, GError **error);
  gint64 (*purge_deliveries) (ConfabStore *store, gint64 before_ms, GError **error);
  ConfabVisitor *(*set_visitor_contact) (ConfabStore *store, const char *visitor_id, gboolean set_name, const char *name, gboolean set_email, const char *email, GError **error);
  /* the knowledge base (issue 16) */
  ConfabArticle *(*create_article) (ConfabStore *store, const char *site_id, const ConfabArticleDraft *draft, GError **error);
  ConfabArticle *(*get_article) (ConfabStore *store, const char *article_id, GError **error);
  ConfabArticle *(*get_article_by_slug) (ConfabStore *store, const char *site_id, const char *slug, gboolean published_only, GError **error);
  GPtrArray *(*list_articles) (ConfabStore *store, const char *site_id, gboolean published_only, GError **error);
  gboolean (*has_published_articles) (ConfabStore *store, const char *site_id, gboolean *out_has, GError **error);
  ConfabArticle *(*update_article) (ConfabStore *store, const char *article_id, const ConfabArticleDraft *draft, GError **error);
  gboolean (*delete_article) (ConfabStore *store, const char *article_id, GError **error);
  GPtrArray *(*search_articles) (ConfabStore *store, const char *site_id, const char *match, gboolean published_only, guint limit, GError **error);
  ConfabNote *(*add_note) (ConfabStore *store, const char *conversation_id, const char *author_id, const char *author_name, const char *client_id, const char *body, const char *mentions_json, gboolean *out_duplicate, GError **error);
  GPtrArray *(*list_notes) (ConfabStore *store, const char *conversation_id, GError **error);
  ConfabLabel *(*create_label) (ConfabStore *store, const char *site_id, const char *name, const char *color, GError **error);
  ConfabLabel *(*get_label) (ConfabStore *store, const char *label_id, GError **error);
  GPtrArray *(*list_labels) (ConfabStore *store, const char *site_id, GError **error);
  ConfabLabel *(*update_label) (ConfabStore *store, const char *label_id, const char *name, const char *color, GError **error);
  gboolean (*delete_label) (ConfabStore *store, const char *label_id, GError **error);
  GPtrArray *(*list_conversation_labels) (ConfabStore *store, const char *conversation_id, GError **error);
  gboolean (*set_conversation_labels) (ConfabStore *store, const char *site_id, const char *conversation_id, const char * const *label_ids, GError **error);
  GPtrArray *(*list_labelled_conversations) (ConfabStore *store, const char *site_id, const char *label_id, const ConfabConversationStatus *status, gint64 before_ms, guint limit, GError **error);
  GPtrArray *(*search_messages) (ConfabStore *store, const char *user_id, const char *site_id, const char *match, gint64 before_cursor, guint limit, GError **error);
  gboolean (*set_avatar) (ConfabStore *store, const char *user_id, const char *sha256, GError **error);
  char *(*get_avatar) (ConfabStore *store, const char *user_id, GError **error);
  gboolean (*avatar_in_use) (ConfabStore *store, const char *sha256);
  GPtrArray *(*list_recent_answerers) (ConfabStore *store, const char *site_id, guint limit, GError **error);
  GArray *(*recent_first_responses) (ConfabStore *store, const char *site_id, guint limit, GError **error);
  gboolean (*can_hold_upload_bytes) (ConfabStore *store);
  gboolean (*put_upload_bytes) (ConfabStore *store, const char *sha256, GBytes *data, GBytes *thumb, GError **error);
  GBytes *(*get_upload_bytes) (ConfabStore *store, const char *sha256, gboolean thumb, GError **error);
  gboolean (*delete_upload_bytes) (ConfabStore *store, const char *sha256, GError **error);
  /* pgmail, issue 13: e-mail — the queue, offline replies, notifications, mailboxes, threads
   * (confab-store-email.h) */
  char *(*queue_mail) (ConfabStore *store, const char *site_id, const char *kind, const char *conversation_id, gint64 seq, const char *to_address, const char *message_id, const char *message, GError **error);
  ConfabMail *(*get_mail) (ConfabStore *store, const char *mail_id, GError **error);
  GPtrArray *(*due_mails) (ConfabStore *store, gint64 now_ms, guint limit, GError **error);
  gint64 (*next_mail_due) (ConfabStore *store, GError **error);
  gboolean (*retry_mails_now) (ConfabStore *store, gint64 now_ms, GError **error);
  gboolean (*mail_sent) (ConfabStore *store, const char *mail_id, gint64 now_ms, GError **error);
  gboolean (*mail_failed) (ConfabStore *store, const char *mail_id, const char *reason, gint64 next_attempt_at, GError **error);
  ConfabOfflineReply *(*add_offline_reply) (ConfabStore *store, const char *offline_message_id, const char *author_id, const char *author_name, const char *body, const char *mail_id, GError **error);
  GPtrArray *(*list_offline_replies) (ConfabStore *store, const char *offline_message_id, GError **error);
  int (*get_email_notifications) (ConfabStore *store, const char *user_id, GError **error);
  gboolean (*set_email_notifications) (ConfabStore *store, const char *user_id, gboolean enabled, GError **error);
  GStrv (*list_notified_members) (ConfabStore *store, const char *site_id, GError **error);
  ConfabEmailChannel *(*get_email_channel) (ConfabStore *store, const char *site_id, GError **error);
  GPtrArray *(*list_email_channels) (ConfabStore *store, GError **error);
  gboolean (*put_email_channel) (ConfabStore *store, const ConfabEmailChannel *channel, GError **error);
  gboolean (*delete_email_channel) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*email_channel_polled) (ConfabStore *store, const char *site_id, gint64 at_ms, const char *last_error, GError **error);
  gboolean (*add_mail_thread) (ConfabStore *store, const char *message_id, const char *conversation_id, GError **error);
  char *(*find_mail_thread) (ConfabStore *store, const char *message_id, GError **error);
  GStrv (*list_mail_thread) (ConfabStore *store, const char *conversation_id, guint limit, GError **error);
  /* pgkb: Messenger and WhatsApp (issue 15, confab-store-channels.h) */
  ConfabChannelSettings *(*get_channel_settings) (ConfabStore *store, const char *site_id, const char *channel, GError **error);
  gboolean (*put_channel_settings) (ConfabStore *store, const char *site_id, const char *channel, gboolean enabled, const char *config_json, const char *secrets_json, GError **error);
  gboolean (*delete_channel_settings) (ConfabStore *store, const char *site_id, const char *channel, GError **error);
  ConfabVisitor *(*find_channel_contact) (ConfabStore *store, const char *site_id, const char *channel, const char *external_id, GError **error);
  ConfabVisitor *(*add_channel_contact) (ConfabStore *store, const char *site_id, const char *channel, const char *external_id, const char *name, GError **error);
  char *(*get_channel_contact_id) (ConfabStore *store, const char *visitor_id, const char *channel, GError **error);
  gboolean (*mark_channel_seen) (ConfabStore *store, const char *site_id, const char *channel, const char *platform_id, gint64 now, GError **error);
  gboolean (*channel_seen) (ConfabStore *store, const char *site_id, const char *channel, const char *platform_id);
  gint64 (*forget_channel_seen) (ConfabStore *store, gint64 before_ms, GError **error);
  ConfabConversation *(*set_conversation_channel) (ConfabStore *store, const char *conversation_id, const char *channel, gint64 reply_window_ends_at, GError **error);
  gboolean (*set_message_delivery) (ConfabStore *store, const char *conversation_id, gint64 seq, const char *status, const char *error_text, const char *platform_id, GError **error);
  gboolean (*find_platform_message) (ConfabStore *store, const char *site_id, const char *platform_id, char **out_conversation_id, gint64 *out_seq, char **out_status, GError **error);
  gboolean (*add_outbox) (ConfabStore *store, const char *conversation_id, gint64 seq, const char *site_id, const char *channel, const char *request_json, gint64 next_attempt_at, GError **error);
  GPtrArray *(*list_due_outbox) (ConfabStore *store, gint64 now, guint limit, GError **error);
  gint64 (*next_outbox_at) (ConfabStore *store, GError **error);
  gboolean (*retry_outbox) (ConfabStore *store, const char *conversation_id, gint64 seq, gint64 attempts, gint64 next_attempt_at, GError **error);
  gboolean (*claim_outbox) (ConfabStore *store, const ConfabOutboxItem *item, gint64 lease_until, gboolean *out_claimed, GError **error);
  gboolean (*remove_outbox) (ConfabStore *store, const char *conversation_id, gint64 seq, GError **error);
  GPtrArray *(*advance_targets) (ConfabStore *store, gint64 now_ms, GError **error);
  gint64 (*next_target_at) (ConfabStore *store, GError **error);
  gboolean (*analytics_targets) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, ConfabAnalyticsTargetFunc func, gpointer user_data, GError **error);
  /* route, issue 18: teams, limits and the queue (confab-store-routing.h) */
  ConfabTeam *(*create_team) (ConfabStore *store, const char *site_id, const ConfabTeamDraft *draft, GError **error);
  ConfabTeam *(*get_team) (ConfabStore *store, const char *team_id, GError **error);
  ConfabTeam *(*get_team_by_key) (ConfabStore *store, const char *site_id, const char *key, GError **error);
  GPtrArray *(*list_teams) (ConfabStore *store, const char *site_id, GError **error);
  ConfabTeam *(*update_team) (ConfabStore *store, const char *team_id, const ConfabTeamDraft *draft, GError **error);
  gboolean (*delete_team) (ConfabStore *store, const char *team_id, GError **error);
  gint64 (*get_max_chats) (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
  gboolean (*set_max_chats) (ConfabStore *store, const char *site_id, const char *user_id, gint64 max_chats, GError **error);
  char **(*list_member_teams) (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
  gboolean (*get_routing) (ConfabStore *store, const char *conversation_id, ConfabRouting *out, GError **error);
  gboolean (*set_conversation_team) (ConfabStore *store, const char *conversation_id, const char *team_id, GError **error);
  gboolean (*enqueue) (ConfabStore *store, const char *conversation_id, gboolean at_head, GError **error);
  gboolean (*dequeue) (ConfabStore *store, const char *conversation_id, GError **error);
  GPtrArray *(*list_queue) (ConfabStore *store, const char *site_id, GError **error);
  char *(*route_pick) (ConfabStore *store, const char *site_id, const char *team_id, const char *mode, const char *candidates_json, GError **error);
  ConfabConversation *(*route_assign) (ConfabStore *store, const char *conversation_id, const char *user_id, GError **error);
  gboolean (*record_handling) (ConfabStore *store, const char *conversation_id, GError **error);
  gint64 (*median_handling) (ConfabStore *store, const char *site_id, const char *team_id, GError **error);
  GPtrArray *(*list_assigned_open) (ConfabStore *store, const char *site_id, const char *user_id, GError **error);
  GPtrArray *(*list_assignees) (ConfabStore *store, const char *site_id, GError **error);
  GPtrArray *(*list_assigned_sites) (ConfabStore *store, const char *after_site_id, guint limit, GError **error);
  /* engage: contacts, goals, triggers (issue 16, confab-store-engage.h) */
  ConfabContact *(*get_contact) (ConfabStore *store, const char *visitor_id, GError **error);
  gboolean (*put_contact) (ConfabStore *store, const char *site_id, const char *visitor_id, const ConfabContactChange *change, GError **error);
  GPtrArray *(*search_visitors_by_score) (ConfabStore *store, const char *site_id, const char *query, guint limit, GError **error);
  gboolean (*add_goal) (ConfabStore *store, const char *site_id, const char *visitor_id, const char *name, gboolean has_value, double value, gint64 at, GError **error);
  GPtrArray *(*list_goals) (ConfabStore *store, const char *visitor_id, guint limit, GError **error);
  ConfabTrigger *(*create_trigger) (ConfabStore *store, const ConfabTrigger *trigger, GError **error);
  ConfabTrigger *(*get_trigger) (ConfabStore *store, const char *trigger_id, GError **error);
  GPtrArray *(*list_triggers) (ConfabStore *store, const char *site_id, GError **error);
  ConfabTrigger *(*update_trigger) (ConfabStore *store, const ConfabTrigger *trigger, GError **error);
  gboolean (*delete_trigger) (ConfabStore *store, const char *trigger_id, GError **error);
  gboolean (*add_trigger_fire) (ConfabStore *store, const char *site_id, const char *trigger_id, const char *visitor_id, gint64 visit, gint64 at, gboolean *out_added, GError **error);
  char *(*claim_trigger_fire) (ConfabStore *store, const char *visitor_id, gint64 visit, const char *conversation_id, GError **error);
  gboolean (*analytics_engage) (ConfabStore *store, const char *sites_json, gint64 from_ms, gint64 to_ms, ConfabEngageFigures *out, GError **error);
  /* the assistant (confab-store-assistant.h) */
  gboolean (*add_assistant_event) (ConfabStore *store, const char *site_id, const char *conversation_id, const char *kind, GError **error);
  gboolean (*add_assistant_handoff) (ConfabStore *store, const char *conversation_id, gboolean *out_added, GError **error);
  gboolean (*set_assistant_vote) (ConfabStore *store, const char *conversation_id, gint64 seq, gboolean helpful, GError **error);
  gboolean (*assistant_may_answer) (ConfabStore *store, const char *conversation_id, gboolean *out_may_answer, GError **error);
  gboolean (*set_embedding) (ConfabStore *store, const char *site_id, const char *kind, const char *item_id, const char *hash, GBytes *vector, GError **error);
  GPtrArray *(*list_embeddings) (ConfabStore *store, const char *site_id, GError **error);
  gboolean (*assistant_counts) (ConfabStore *store, const char *site_id, gint64 from_ms, gint64 to_ms, ConfabAssistantCounts *out_counts, GError **error);
};

/* A store of @backend: confab_store_close () calls backend->close, then frees the store.
 * @data is the backend's own state (confab_store_get_backend_data ()). */
ConfabStore *confab_store_new_for_backend  (const ConfabStoreFuncs *backend,
                                            gpointer                  data);
gpointer     confab_store_get_backend_data (ConfabStore              *store);
/* NULL for SQLite. */
const ConfabStoreFuncs *confab_store_get_backend (ConfabStore *store);

G_END_DECLS
