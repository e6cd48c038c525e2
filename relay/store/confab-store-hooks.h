/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-hooks.h: a site's API keys and outgoing webhooks, and the webhooks' delivery log
 * (sqlite/confab-store-hooks.c).
 *
 * Deliveries are not written by C code: triggers of the schema (migration 15) add one row per
 * enabled webhook of the site that wants the event, in the same statement — so in the same
 * transaction — as the row that caused it (a conversation, a message, a resolution, a rating).
 * What is rolled back sends nothing; what is committed is never lost, whichever writer (the
 * hub's group commit, its writer thread, the admin CLI) made it. confab-webhooks.c sends them. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef struct {
  char   *id;
  char   *site_id;
  char   *name;
  char  **scopes;          /* "conversations:read", "messages:write", "contacts:write" */
  char   *prefix;          /* the first characters of the key, to tell keys apart in a list */
  char   *created_by;      /* user id; NULL once the user is gone */
  char   *created_by_name; /* the user's name now */
  gint64  created_at;
  gint64  last_used_at;    /* 0: never */
  gint64  revoked_at;      /* 0: in force */
} ConfabApiKey;

void          confab_api_key_free            (ConfabApiKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabApiKey, confab_api_key_free)

/* Stores a key by the SHA-256 hex of its text (the text itself is never stored). */
ConfabApiKey *confab_store_create_api_key    (ConfabStore         *store,
                                              const char          *site_id,
                                              const char          *name,
                                              const char * const  *scopes,
                                              const char          *key_hash,
                                              const char          *prefix,
                                              const char          *created_by,
                                              GError             **error);
/* Revoked keys too (revoked_at set); NOT_FOUND when there is none. */
ConfabApiKey *confab_store_get_api_key       (ConfabStore         *store,
                                              const char          *key_id,
                                              GError             **error);
/* The key in force with this hash; NOT_FOUND when unknown or revoked. */
ConfabApiKey *confab_store_lookup_api_key    (ConfabStore         *store,
                                              const char          *key_hash,
                                              GError             **error);
/* The site's keys in force, oldest first (ConfabApiKey*). */
GPtrArray    *confab_store_list_api_keys     (ConfabStore         *store,
                                              const char          *site_id,
                                              GError             **error);
/* NOT_FOUND when unknown or already revoked. */
gboolean      confab_store_revoke_api_key    (ConfabStore         *store,
                                              const char          *key_id,
                                              GError             **error);
gboolean      confab_store_touch_api_key     (ConfabStore         *store,
                                              const char          *key_id,
                                              gint64               now_ms,
                                              GError             **error);

typedef struct {
  char     *id;
  char     *site_id;
  char     *url;
  char    **events;        /* "conversation.created", "conversation.resolved", ... */
  char     *secret;        /* the HMAC key: never leaves the relay after creation */
  gboolean  enabled;
  gint64    created_at;
} ConfabWebhook;

void           confab_webhook_free            (ConfabWebhook *webhook);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabWebhook, confab_webhook_free)

ConfabWebhook *confab_store_create_webhook    (ConfabStore         *store,
                                               const char          *site_id,
                                               const char          *url,
                                               const char * const  *events,
                                               const char          *secret,
                                               gboolean             enabled,
                                               GError             **error);
ConfabWebhook *confab_store_get_webhook       (ConfabStore         *store,
                                               const char          *webhook_id,
                                               GError             **error);
/* Oldest first (ConfabWebhook*). */
GPtrArray     *confab_store_list_webhooks     (ConfabStore         *store,
                                               const char          *site_id,
                                               GError             **error);
/* NULL @url / @events and @enabled < 0 keep what is stored. */
ConfabWebhook *confab_store_update_webhook    (ConfabStore         *store,
                                               const char          *webhook_id,
                                               const char          *url,
                                               const char * const  *events,
                                               int                  enabled,
                                               GError             **error);
/* Its deliveries go with it. */
gboolean       confab_store_delete_webhook    (ConfabStore         *store,
                                               const char          *webhook_id,
                                               GError             **error);

typedef enum {
  CONFAB_DELIVERY_PENDING,
  CONFAB_DELIVERY_DELIVERED,
  CONFAB_DELIVERY_FAILED,
} ConfabDeliveryStatus;

const char *confab_delivery_status_to_string (ConfabDeliveryStatus status);

typedef struct {
  char                 *id;
  char                 *webhook_id;
  char                 *site_id;
  char                 *event;
  char                 *conversation_id; /* what it is about */
  gint64                seq;             /* message.created: the message's seq */
  char                 *payload;         /* the JSON sent, once made (first attempt); else NULL */
  ConfabDeliveryStatus  status;
  gint64                attempts;
  gint64                response_status; /* 0: no HTTP answer */
  char                 *error;
  gint64                created_at;
  gint64                next_attempt_at; /* 0 once delivered or failed */
  gint64                delivered_at;    /* 0: not (yet) */
} ConfabDelivery;

void            confab_delivery_free              (ConfabDelivery *delivery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabDelivery, confab_delivery_free)

/* Pending deliveries due at @now_ms, the most overdue first, at most @limit. */
GPtrArray      *confab_store_list_due_deliveries  (ConfabStore    *store,
                                                   gint64          now_ms,
                                                   guint           limit,
                                                   GError        **error);
/* The earliest next_attempt_at of a pending delivery; 0 when there is none. */
gint64          confab_store_next_delivery_at     (ConfabStore    *store,
                                                   GError        **error);
/* A webhook's deliveries, newest first. */
GPtrArray      *confab_store_list_deliveries      (ConfabStore    *store,
                                                   const char     *webhook_id,
                                                   guint           limit,
                                                   GError        **error);
/* Takes a due delivery for one attempt: moves its next_attempt_at from @due_at to @lease_until,
 * so that another relay of the same database (or this one after a crash, once the lease is
 * over) does not send it meanwhile. FALSE when another took it first (or it is no longer
 * pending), without @error. */
gboolean        confab_store_claim_delivery       (ConfabStore    *store,
                                                   const char     *delivery_id,
                                                   gint64          due_at,
                                                   gint64          lease_until,
                                                   GError        **error);
gboolean        confab_store_set_delivery_payload (ConfabStore    *store,
                                                   const char     *delivery_id,
                                                   const char     *payload,
                                                   GError        **error);
/* An attempt's outcome: @status, one more attempt, the answer's status (0: none), @error (may be
 * NULL), when to try again (pending only) and when it was delivered (delivered only). */
gboolean        confab_store_record_attempt       (ConfabStore         *store,
                                                   const char          *delivery_id,
                                                   ConfabDeliveryStatus status,
                                                   gint64               response_status,
                                                   const char          *error_text,
                                                   gint64               next_attempt_at,
                                                   gint64               delivered_at,
                                                   GError             **error);
/* Forgets finished deliveries made before @before_ms; returns how many. */
gint64          confab_store_purge_deliveries     (ConfabStore    *store,
                                                   gint64          before_ms,
                                                   GError        **error);

/* PATCH /visitors/{id}: sets the name when @set_name and the e-mail when @set_email (NULL clears
 * it); the visitor as stored now. NOT_FOUND when there is none. */
ConfabVisitor  *confab_store_set_visitor_contact  (ConfabStore    *store,
                                                   const char     *visitor_id,
                                                   gboolean        set_name,
                                                   const char     *name,
                                                   gboolean        set_email,
                                                   const char     *email,
                                                   GError        **error);

G_END_DECLS
