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
#define CONFAB_FAQ_DEFAULT_THRESHOLD 50

/* The words of @text as FTS5 sees them with unicode61 remove_diacritics 2: runs of letters and
 * digits, lower-cased, without diacritics; distinct, in order, at most 32. */
char      **confab_faq_terms        (const char        *text);
/* An FTS5 query matching any of @terms, each quoted as an FTS5 string so that nothing of what
 * a visitor wrote is ever read as query syntax. NULL when @terms is empty. */
char       *confab_faq_match_query  (const char * const *terms);
/* How well @faq answers a visitor who wrote @terms, from 0 to 100: the share of the visitor's
 * words the FAQ knows, a word in the question or keywords counting fully, a word only in the
 * answer a quarter. */
int         confab_faq_score        (const char * const *terms,
                                     const ConfabFaq    *faq);

typedef struct {
  ConfabFaq *faq;
  int        score;
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

/* Who sent a visitor frame. */
typedef struct {
  const char *site_id;
  const char *visitor_id;
  const char *conversation_id; /* NULL before the first message */
} ConfabFaqVisitor;

/* TRUE when @type is a frame confab_faq_visitor_frame() handles. */
gboolean    confab_faq_is_visitor_frame (const char    *type);
/* Handles "talk_to_human" and "faq_feedback". *@out_reply is a frame for the sender, or NULL. */
gboolean    confab_faq_visitor_frame (ConfabRelay            *relay,
                                      const ConfabFaqVisitor *visitor,
                                      const char             *type,
                                      JsonObject             *frame,
                                      JsonObject            **out_reply,
                                      GError                **error);

G_END_DECLS
