/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-assistant.h: what the assistant did (issue 16), per site — answers, "I don't
 * know"s, failures, hand-offs to a person, and the visitors' votes on its answers — for the
 * analytics (sqlite/confab-store-assistant.c, postgresql/confab-pg-store-assistant.c). The
 * answers themselves are messages with their "assistant" column set (confab-store.h). */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* Kinds of confab_store_add_assistant_event(). */
#define CONFAB_ASSISTANT_EVENT_ANSWER  "answer"   /* the model answered */
#define CONFAB_ASSISTANT_EVENT_UNKNOWN "unknown"  /* nothing retrieved: "I don't know" */
#define CONFAB_ASSISTANT_EVENT_FAILURE "failure"  /* the model failed: the FAQ bot answered */
#define CONFAB_ASSISTANT_EVENT_HANDOFF "handoff"  /* a visitor the assistant answered asked for a person */

typedef struct _ConfabAssistantCounts {
  gint64 answers;
  gint64 unknown;
  gint64 handoffs;
  gint64 helpful;
  gint64 unhelpful;
  gint64 failures;
} ConfabAssistantCounts;

gboolean confab_store_add_assistant_event (ConfabStore           *store,
                                           const char            *site_id,
                                           const char            *conversation_id,
                                           const char            *kind,
                                           GError               **error);
/* A handoff event when the assistant answered in the conversation before; *@out_added says
 * whether it did. */
gboolean confab_store_add_assistant_handoff (ConfabStore         *store,
                                           const char            *conversation_id,
                                           gboolean              *out_added,
                                           GError               **error);
/* The visitor's vote on the assistant's answer @seq (a later vote replaces it). NOT_FOUND when
 * the message is no assistant answer of the conversation. */
gboolean confab_store_set_assistant_vote  (ConfabStore           *store,
                                           const char            *conversation_id,
                                           gint64                 seq,
                                           gboolean               helpful,
                                           GError               **error);
/* TRUE in *@out_may_answer while nobody of the team has the conversation or wrote in it and
 * the visitor did not ask for a person. NOT_FOUND. */
gboolean confab_store_assistant_may_answer (ConfabStore          *store,
                                           const char            *conversation_id,
                                           gboolean              *out_may_answer,
                                           GError               **error);
/* Counts of @site_id (NULL: every site) in [@from_ms, @to_ms). */
gboolean confab_store_assistant_counts    (ConfabStore           *store,
                                           const char            *site_id,
                                           gint64                 from_ms,
                                           gint64                 to_ms,
                                           ConfabAssistantCounts *out_counts,
                                           GError               **error);

/* --- embeddings ([assistant] embeddings-url) --- */
typedef struct {
  char   *kind;     /* "faq" or "article" */
  char   *item_id;
  char   *hash;     /* of the model and the text the vector is of */
  GBytes *vector;   /* float32, little-endian */
} ConfabEmbedding;

void       confab_embedding_free           (ConfabEmbedding *embedding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabEmbedding, confab_embedding_free)

/* Stores (or replaces) the vector of FAQ or article @item_id of @site_id. */
gboolean   confab_store_set_embedding      (ConfabStore           *store,
                                           const char            *site_id,
                                           const char            *kind,
                                           const char            *item_id,
                                           const char            *hash,
                                           GBytes                *vector,
                                           GError               **error);
/* The site's vectors, of items that may be gone or changed since (compare the hash).
 * Element type: ConfabEmbedding*. */
GPtrArray *confab_store_list_embeddings    (ConfabStore           *store,
                                           const char            *site_id,
                                           GError               **error);

G_END_DECLS
