/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-faq.h: the FAQ bot — matching a visitor's words against the site's FAQs, answering
 * before a person has joined, and the visitor's "talk to a person" and "was this helpful" */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-hub.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_FAQ_ERROR (confab_faq_error_quark ())

typedef enum {
  CONFAB_FAQ_ERROR_NO_CONVERSATION, /* the visitor has none yet */
  CONFAB_FAQ_ERROR_NOT_FOUND,       /* no such FAQ answer in the visitor's conversation */
  CONFAB_FAQ_ERROR_ALREADY_ASKED,   /* internal: talk_to_human had been sent before */
} ConfabFaqError;

GQuark      confab_faq_error_quark  (void);

/* The protocol's error code for an error of confab_faq_visitor_frame() the visitor caused, or
 * NULL for a failure of the relay (the store). */
const char *confab_faq_error_code   (const GError *error);

/* Defaults of the site settings "faq_auto_answer" and "faq_threshold". */
#define CONFAB_FAQ_DEFAULT_THRESHOLD 40

/* The words of @text as FTS5 sees them with unicode61 remove_diacritics 2: runs of letters and
 * digits, lower-cased, without diacritics; distinct, in order, at most 32. */
char      **confab_faq_terms        (const char        *text);
/* An FTS5 query matching any of @terms, each quoted as an FTS5 string so that nothing of what
 * a visitor wrote is ever read as query syntax. NULL when @terms is empty. */
char       *confab_faq_match_query  (const char * const *terms);
/* What a visitor wrote, read for matching: its words stemmed (Porter, as FTS5's porter
 * tokenizer), without stop words, question words and numbers, and its question phrase ("how
 * long", "how much", "when", "where"). */
typedef struct _ConfabFaqQuery ConfabFaqQuery;

ConfabFaqQuery *confab_faq_query_new   (const char           *text);
void        confab_faq_query_free      (ConfabFaqQuery       *query);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFaqQuery, confab_faq_query_free)
/* An FTS5 query (words quoted) for what @query asks: any of its words, and for words of five
 * letters or more their first three as a prefix (typos); NULL when no word counts. */
char       *confab_faq_query_fts_match (const ConfabFaqQuery *query);
/* The words that count; 0 for small talk ("hi", "thanks", "I need help"). */
guint       confab_faq_query_n_terms   (const ConfabFaqQuery *query);
/* How well @faq answers @query, from 0 to 100: the share of the visitor's words the FAQ knows.
 * A word whose stem is in the question, the keywords or a one-word synonym counts 1, as does
 * one inside a longer synonym found whole in the message; one a typo away from such a word
 * (five letters or more) 0.8; one only in the answer 0.25. A question phrase the FAQ's question
 * or synonyms ask with too counts as one more word known. docs/http-api.md ("How the score is
 * computed") says the same for administrators. */
int         confab_faq_query_score     (const ConfabFaqQuery *query,
                                        const ConfabFaq      *faq);
/* confab_faq_query_score() for the words @terms. */
int         confab_faq_score        (const char * const *terms,
                                     const ConfabFaq    *faq);

typedef struct {
  ConfabFaq *faq;
  int        score;
  double     coverage; /* the share of the FAQ's question the visitor wrote: breaks ties */
} ConfabFaqMatch;

void        confab_faq_match_free   (ConfabFaqMatch    *match);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFaqMatch, confab_faq_match_free)

/* The site's FAQs matching @text, best score first (bm25 breaks ties). Element type:
 * ConfabFaqMatch*. */
GPtrArray  *confab_faq_search       (ConfabStore       *store,
                                     const char        *site_id,
                                     const char        *text,
                                     guint              limit,
                                     GError           **error);

/* A visitor's message was stored and fanned out: answer it from the FAQs when the site wants
 * that, nobody of the team has joined, and an FAQ matches at least the site's threshold. */
void        confab_faq_after_visitor_message (ConfabRelay              *relay,
                                     const ConfabConversation *conversation,
                                     const ConfabMessage      *message);

/* The FAQ bot's answer to @message, without the assistant (its fallback, confab-assistant.c). */
void        confab_faq_answer       (ConfabRelay              *relay,
                                     const ConfabConversation *conversation,
                                     const ConfabMessage      *message);

/* Who sent a visitor frame. */
typedef struct {
  const char *site_id;
  const char *visitor_id;
  const char *conversation_id; /* NULL before the first message */
} ConfabFaqVisitor;

/* TRUE when @type is a frame confab_faq_visitor_frame() handles. */
gboolean    confab_faq_is_visitor_frame (const char    *type);
/* Handles "talk_to_human" and "faq_feedback" ("faq_id" of an FAQ answer, or "seq" of an
 * assistant's answer). *@out_reply is a frame for the sender, or NULL. */
gboolean    confab_faq_visitor_frame (ConfabRelay            *relay,
                                      const ConfabFaqVisitor *visitor,
                                      const char             *type,
                                      JsonObject             *frame,
                                      JsonObject            **out_reply,
                                      GError                **error);

G_END_DECLS
