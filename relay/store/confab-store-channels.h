/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-channels.h: what the store keeps for channels beyond the web widget (issue 15:
 * Messenger and WhatsApp, relay/meta/) — a site's settings per channel, the visitor that stands
 * for each sender, the platform ids already stored, the delivery state of agents' messages and
 * the outbox of what is still to be handed to a platform (sqlite/confab-store-channels.c).
 * Both stores: the PostgreSQL twins are in postgresql/confab-pg-store-channels.c. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_CHANNEL_WEB       "web"
#define CONFAB_CHANNEL_EMAIL     "email"
#define CONFAB_CHANNEL_MESSENGER "messenger"
#define CONFAB_CHANNEL_WHATSAPP  "whatsapp"

typedef struct {
  char     *site_id;
  char     *channel;
  gboolean  enabled;
  char     *config_json;   /* a JSON object: what GET shows */
  char     *secrets_json;  /* a JSON object: tokens and secrets, never shown */
  gint64    updated_at;
} ConfabChannelSettings;

void confab_channel_settings_free (ConfabChannelSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabChannelSettings, confab_channel_settings_free)

/* NOT_FOUND when the site has not connected the channel. */
ConfabChannelSettings *confab_store_get_channel_settings (ConfabStore *store,
                                                          const char  *site_id,
                                                          const char  *channel,
                                                          GError     **error);
/* Creates or replaces the row. */
gboolean     confab_store_put_channel_settings  (ConfabStore     *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 gboolean         enabled,
                                                 const char      *config_json,
                                                 const char      *secrets_json,
                                                 GError         **error);
/* NOT_FOUND when there was none. */
gboolean     confab_store_delete_channel_settings (ConfabStore   *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 GError         **error);

/* The visitor of @site_id that stands for @external_id on @channel, or NULL (no error) when
 * there is none yet. */
ConfabVisitor *confab_store_find_channel_contact (ConfabStore    *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 const char      *external_id,
                                                 GError         **error);
/* A new visitor of @site_id (channel @channel, named @name when not NULL, with a token nobody
 * knows: they never open a widget) standing for @external_id. */
ConfabVisitor *confab_store_add_channel_contact  (ConfabStore    *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 const char      *external_id,
                                                 const char      *name,
                                                 GError         **error);
/* The platform's id of the visitor on @channel; NOT_FOUND when they have none. */
char        *confab_store_get_channel_contact_id (ConfabStore    *store,
                                                 const char      *visitor_id,
                                                 const char      *channel,
                                                 GError         **error);

/* Records that the platform delivered @platform_id; EXISTS when it had before (a retry). */
gboolean     confab_store_mark_channel_seen     (ConfabStore     *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 const char      *platform_id,
                                                 gint64           now,
                                                 GError         **error);
/* Whether @platform_id was recorded (FALSE on errors too: the caller goes on, and the record
 * itself decides). */
gboolean     confab_store_channel_seen          (ConfabStore     *store,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 const char      *platform_id);
/* Forgets ids seen before @before_ms (platforms stop retrying after a day or so); returns how
 * many, -1 on error. */
gint64       confab_store_forget_channel_seen   (ConfabStore     *store,
                                                 gint64           before_ms,
                                                 GError         **error);

/* Sets the conversation's channel and reply window (0: none); returns it as it is now. */
ConfabConversation *confab_store_set_conversation_channel (ConfabStore *store,
                                                 const char      *conversation_id,
                                                 const char      *channel,
                                                 gint64           reply_window_ends_at,
                                                 GError         **error);

/* The delivery state of message @seq of @conversation_id; @platform_id NULL keeps the one it
 * has. NOT_FOUND. */
gboolean     confab_store_set_message_delivery  (ConfabStore     *store,
                                                 const char      *conversation_id,
                                                 gint64           seq,
                                                 const char      *status,
                                                 const char      *error_text,
                                                 const char      *platform_id,
                                                 GError         **error);
/* The message a platform knows as @platform_id, in a conversation of @site_id: its
 * conversation and seq, and its delivery status. NOT_FOUND. */
gboolean     confab_store_find_platform_message (ConfabStore     *store,
                                                 const char      *site_id,
                                                 const char      *platform_id,
                                                 char           **out_conversation_id,
                                                 gint64          *out_seq,
                                                 char           **out_status,
                                                 GError         **error);

typedef struct {
  char   *conversation_id;
  gint64  seq;
  char   *site_id;
  char   *channel;
  char   *request_json;    /* what the channel's sender needs, as it wrote it */
  gint64  attempts;
  gint64  next_attempt_at;
  gint64  created_at;
} ConfabOutboxItem;

void confab_outbox_item_free (ConfabOutboxItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabOutboxItem, confab_outbox_item_free)

gboolean     confab_store_add_outbox            (ConfabStore     *store,
                                                 const char      *conversation_id,
                                                 gint64           seq,
                                                 const char      *site_id,
                                                 const char      *channel,
                                                 const char      *request_json,
                                                 gint64           next_attempt_at,
                                                 GError         **error);
/* The items due at @now, oldest due first, at most @limit. Element type: ConfabOutboxItem*. */
GPtrArray   *confab_store_list_due_outbox       (ConfabStore     *store,
                                                 gint64           now,
                                                 guint            limit,
                                                 GError         **error);
/* When the next item is due (ms), 0 when the outbox is empty, -1 on error. */
gint64       confab_store_next_outbox_at        (ConfabStore     *store,
                                                 GError         **error);
gboolean     confab_store_retry_outbox          (ConfabStore     *store,
                                                 const char      *conversation_id,
                                                 gint64           seq,
                                                 gint64           attempts,
                                                 gint64           next_attempt_at,
                                                 GError         **error);
/* Takes @item for sending until @lease_until, unless another relay on the same database took it
 * first (its next_attempt_at is no longer the one read): *@out_claimed says which. */
gboolean     confab_store_claim_outbox          (ConfabStore            *store,
                                                 const ConfabOutboxItem *item,
                                                 gint64                  lease_until,
                                                 gboolean               *out_claimed,
                                                 GError                **error);
gboolean     confab_store_remove_outbox         (ConfabStore     *store,
                                                 const char      *conversation_id,
                                                 gint64           seq,
                                                 GError         **error);

G_END_DECLS
