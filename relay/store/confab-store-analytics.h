/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-analytics.h: the rows the analytics endpoint (confab-analytics.c) aggregates,
 * read straight from the store. Every query takes the sites as a JSON array of ids and a range
 * of Unix milliseconds [@from_ms, @to_ms); each row goes to a callback, so a year of a busy
 * site is never held in memory at once. Strings in a row live until the callback returns. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* The slots of message_counts: a quarter hour, which lies within one day in every zone whose
 * offset is a multiple of 15 minutes (all of them, for dates since the 1970s). */
#define CONFAB_ANALYTICS_SLOT_MS (15 * 60 * 1000)

/* The file a second connection to @store's database would open (newly allocated), NULL when
 * it has none (":memory:"). */
char        *confab_store_analytics_reader_path (ConfabStore  *store);
/* A second, read-only connection to the database at @path (from the above), for a worker
 * thread: the analytics queries of a long range then never hold up the main loop (WAL lets it
 * read while the relay writes). Close it with confab_store_close() on the thread that used it. */
ConfabStore *confab_store_analytics_open_reader (const char   *path,
                                                 GError      **error);

/* A conversation started in the range. Times are Unix ms; -1 when there is none. */
typedef struct {
  const char *id;
  const char *site_id;
  const char *visitor_id;
  const char *visitor_name;        /* NULL when not given or not asked for */
  const char *visitor_email;
  const char *status;
  const char *assignee_id;         /* NULL when unassigned */
  gint64      created_at;
  gint64      first_visitor_at;    /* the visitor's first message */
  const char *first_visitor_body;  /* its first 1000 characters; NULL for an image */
  gint64      first_reply_at;      /* the first agent message after it */
  const char *first_reply_by;      /* that agent's user id */
  gint64      resolved_at;         /* the latest "resolved"/"closed" timeline event */
  int         rating;              /* 1..5; 0 when not rated */
  gboolean    bot_answered;        /* the FAQ bot answered in it */
  gboolean    person_involved;     /* the visitor asked for a person, or an agent wrote */
} ConfabAnalyticsConversation;

typedef gboolean (*ConfabAnalyticsConversationFunc) (const ConfabAnalyticsConversation *row,
                                                     gpointer                           user_data);

/* Conversations of @sites_json created in [@from_ms, @to_ms), oldest first; the visitor's
 * name and e-mail only @with_visitors. */
gboolean confab_store_analytics_conversations (ConfabStore                     *store,
                                               const char                      *sites_json,
                                               gint64                           from_ms,
                                               gint64                           to_ms,
                                               gboolean                         with_visitors,
                                               ConfabAnalyticsConversationFunc  func,
                                               gpointer                         user_data,
                                               GError                         **error);

/* Messages sent in the range, counted per @bucket_ms-long slot of time (slot start =
 * bucket × @bucket_ms; from message_counts when that is CONFAB_ANALYTICS_SLOT_MS and the range
 * starts and ends on slots, else from the messages themselves), sender type ("visitor", "agent",
 * "bot"), sender (the agent's user id, the bot's FAQ id; NULL or "" for visitors) and site (NULL
 * but for agents, or any). One slot, type and sender may come in several rows: add them up. */
typedef gboolean (*ConfabAnalyticsMessagesFunc) (gint64      bucket,
                                                 const char *sender_type,
                                                 const char *sender_id,
                                                 const char *site_id,
                                                 gint64      count,
                                                 gpointer    user_data);

gboolean confab_store_analytics_messages      (ConfabStore                 *store,
                                               const char                  *sites_json,
                                               gint64                       from_ms,
                                               gint64                       to_ms,
                                               gint64                       bucket_ms,
                                               ConfabAnalyticsMessagesFunc  func,
                                               gpointer                     user_data,
                                               GError                     **error);

/* Distinct visitors seen in the range: first or last seen in it, or with a page view or a
 * message of theirs in it. -1 on error. */
gint64   confab_store_analytics_visitors      (ConfabStore  *store,
                                               const char   *sites_json,
                                               gint64        from_ms,
                                               gint64        to_ms,
                                               GError      **error);

/* Offline messages left in the range. -1 on error. */
gint64   confab_store_analytics_offline       (ConfabStore  *store,
                                               const char   *sites_json,
                                               gint64        from_ms,
                                               gint64        to_ms,
                                               GError      **error);

/* The question of FAQ @faq_id (newly allocated), NULL when it is gone. */
char    *confab_store_analytics_faq_question  (ConfabStore  *store,
                                               const char   *faq_id);

G_END_DECLS
