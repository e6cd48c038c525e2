/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-faq.c: the FAQ bot.
 *
 * Matching has two steps. FTS5 (unicode61 remove_diacritics 2, bm25 with the question and the
 * keywords weighted above the answer) finds the candidates; then each gets a score from 0 to
 * 100 that a site's threshold can mean something against. Raw bm25 cannot be that score: its
 * IDF is clamped to almost nothing when a term is in half the documents or more, so on a site
 * with one or two FAQs every match scores about 1e-6, and on a large one the same question
 * scores differently as FAQs are added. The score is the share of the visitor's words the FAQ
 * knows instead, which reads the same on every site: 50 means "half of what you wrote".
 */
#define G_LOG_DOMAIN "confab-faq"

#include "confab-faq.h"
#include "confab-json.h"
#include "confab-objects.h"

#include <string.h>

#define MAX_TERMS          32
#define MAX_TERM_CHARS     64
#define SEARCH_CANDIDATES  10
#define MAX_FAQ_ID_CHARS   100
#define ANSWER_ONLY_WEIGHT 0.25

G_DEFINE_QUARK (confab-faq-error-quark, confab_faq_error)

const char *
confab_faq_error_code (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (error->domain == CONFAB_JSON_ERROR)
    return confab_json_error_code (error);
  if (g_error_matches (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NO_CONVERSATION))
    return "no_conversation";
  if (g_error_matches (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NOT_FOUND))
    return "not_found";
  return NULL;
}

void
confab_faq_match_free (ConfabFaqMatch *match)
{
  if (match == NULL)
    return;
  confab_faq_free (match->faq);
  g_free (match);
}

/* --- terms --- */

static gboolean
is_word_char (gunichar c)
{
  /* unicode61's token characters (L*, N*, Co), and combining marks so that a decomposed
   * "u" + U+0308 stays one word until the marks are dropped */
  return g_unichar_isalnum (c) || g_unichar_ismark (c) ||
         g_unichar_type (c) == G_UNICODE_PRIVATE_USE;
}

/* Lower case, diacritics removed: "Rückgabe" → "ruckgabe", "Préférence" → "preference". */
static char *
normalise_word (const char *word,
                gssize      len)
{
  g_autofree char *decomposed = g_utf8_normalize (word, len, G_NORMALIZE_NFD);
  g_autoptr (GString) bare = g_string_new (NULL);

  if (decomposed == NULL)
    return NULL;

  for (const char *p = decomposed; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_ismark (c))
        g_string_append_unichar (bare, c);
    }

  if (bare->len == 0)
    return NULL;
  return g_utf8_strdown (bare->str, -1);
}

/* Calls @func for each word of @text, normalised, and as written (NFC) in @raw, until it
 * returns FALSE. */
static void
for_each_word (const char *text,
               gboolean  (*func) (char *word, const char *raw, gpointer user_data),
               gpointer    user_data)
{
  const char *p = text;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return;

  while (*p)
    {
      const char *start;

      while (*p && !is_word_char (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p && is_word_char (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);

      if (p > start)
        {
          char *word = normalise_word (start, p - start);
          g_autofree char *raw = g_utf8_normalize (start, p - start, G_NORMALIZE_NFC);

          if (word != NULL && raw != NULL && !func (word, raw, user_data))
            return;
        }
    }
}

typedef struct {
  GHashTable *seen;
  GPtrArray  *terms;
  GPtrArray  *raw;
} TermCollector;

static gboolean
collect_term (char       *word,
              const char *raw,
              gpointer    user_data)
{
  TermCollector *collector = user_data;

  /* a "word" longer than any real one is noise, not something to search for */
  if (g_utf8_strlen (word, -1) > MAX_TERM_CHARS || g_hash_table_contains (collector->seen, word))
    {
      g_free (word);
      return TRUE;
    }

  g_hash_table_add (collector->seen, word);
  g_ptr_array_add (collector->terms, g_strdup (word));
  if (collector->raw != NULL)
    g_ptr_array_add (collector->raw, g_strdup (raw));
  return collector->terms->len < MAX_TERMS;
}

/* The distinct terms of @text, and the words as written for FTS5, which applies its own
 * folding to them (it keeps some letters whole that our NFD-based folding takes apart). */
static char **
collect_terms (const char   *text,
               char       ***out_raw)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) terms = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) raw = out_raw ? g_ptr_array_new_with_free_func (g_free) : NULL;
  TermCollector collector = { seen, terms, raw };

  for_each_word (text, collect_term, &collector);
  g_ptr_array_add (terms, NULL);
  if (out_raw != NULL)
    {
      g_ptr_array_add (raw, NULL);
      *out_raw = (char **) g_ptr_array_free (g_steal_pointer (&raw), FALSE);
    }
  return (char **) g_ptr_array_free (g_steal_pointer (&terms), FALSE);
}

char **
confab_faq_terms (const char *text)
{
  return collect_terms (text, NULL);
}

char *
confab_faq_match_query (const char * const *terms)
{
  g_autoptr (GString) query = g_string_new (NULL);

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      if (query->len > 0)
        g_string_append (query, " OR ");

      /* An FTS5 string: inside "…" only a doubled " means anything, so no word can become
       * an operator (NEAR, AND, *, ^, -, column filters) whatever it contains. */
      g_string_append_c (query, '"');
      for (const char *c = terms[i]; *c; c++)
        {
          if (*c == '"')
            g_string_append_c (query, '"');
          g_string_append_c (query, *c);
        }
      g_string_append_c (query, '"');
    }

  if (query->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&query), FALSE);
}

static gboolean
add_to_set (char       *word,
            const char *raw,
            gpointer    user_data)
{
  g_hash_table_add (user_data, word);
  return TRUE;
}

int
confab_faq_score (const char * const *terms,
                  const ConfabFaq    *faq)
{
  g_autoptr (GHashTable) asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) answered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_terms = terms ? g_strv_length ((char **) terms) : 0;
  double sum = 0;

  if (n_terms == 0)
    return 0;

  for_each_word (faq->question, add_to_set, asked);
  for (guint i = 0; faq->keywords && faq->keywords[i]; i++)
    for_each_word (faq->keywords[i], add_to_set, asked);
  for_each_word (faq->answer, add_to_set, answered);

  for (guint i = 0; i < n_terms; i++)
    {
      if (g_hash_table_contains (asked, terms[i]))
        sum += 1.0;
      else if (g_hash_table_contains (answered, terms[i]))
        sum += ANSWER_ONLY_WEIGHT;
    }

  return (int) (100.0 * sum / n_terms + 0.5);
}

static int
compare_matches (gconstpointer a,
                 gconstpointer b)
{
  const ConfabFaqMatch *first = *(ConfabFaqMatch * const *) a;
  const ConfabFaqMatch *second = *(ConfabFaqMatch * const *) b;

  return second->score - first->score;
}

GPtrArray *
confab_faq_search (ConfabStore *store,
                   const char  *site_id,
                   const char  *text,
                   guint        limit,
                   GError     **error)
{
  g_auto (GStrv) raw = NULL;
  g_auto (GStrv) terms = collect_terms (text, &raw);
  g_autofree char *match = confab_faq_match_query ((const char * const *) raw);
  g_autoptr (GPtrArray) candidates = NULL;
  g_autoptr (GPtrArray) matches = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_faq_match_free);

  if (match == NULL)
    return g_steal_pointer (&matches);

  candidates = confab_store_search_faqs (store, site_id, match, MAX (limit, SEARCH_CANDIDATES), error);
  if (candidates == NULL)
    return NULL;

  for (guint i = 0; i < candidates->len; i++)
    {
      ConfabFaqMatch *entry = g_new0 (ConfabFaqMatch, 1);

      entry->faq = g_ptr_array_steal_index (candidates, i--);
      entry->score = confab_faq_score ((const char * const *) terms, entry->faq);
      g_ptr_array_add (matches, entry);
    }

  /* stable (since GLib 2.32): among equal scores bm25's order stays */
  g_ptr_array_sort (matches, compare_matches);
  if (limit > 0 && matches->len > limit)
    g_ptr_array_set_size (matches, limit);
  return g_steal_pointer (&matches);
}

/* --- the bot --- */

/* The site's FAQ settings: "faq_auto_answer" (default true) and "faq_threshold" (0..100). */
static void
read_settings (const ConfabSite *site,
               gboolean         *out_enabled,
               int              *out_threshold)
{
  g_autoptr (JsonObject) settings = NULL;
  JsonNode *node;

  *out_enabled = TRUE;
  *out_threshold = CONFAB_FAQ_DEFAULT_THRESHOLD;
  if (site->settings_json == NULL)
    return;

  settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                       G_MAXSIZE, 32, NULL);
  if (settings == NULL)
    return;

  node = json_object_get_member (settings, "faq_auto_answer");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    *out_enabled = json_node_get_boolean (node);

  node = json_object_get_member (settings, "faq_threshold");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    *out_threshold = (int) CLAMP (json_node_get_int (node), 0, 100);
}

static gboolean
count_view (ConfabStore  *store,
            gpointer      user_data,
            GError      **error)
{
  return confab_store_count_faq_view (store, user_data, error);
}

void
confab_faq_after_visitor_message (ConfabRelay              *relay,
                                  const ConfabConversation *conversation,
                                  const ConfabMessage      *message)
{
  ConfabStore *store = relay->store;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autofree char *bot_name = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabFaqMatch *best;
  gboolean enabled, may_answer, answered;
  int threshold;

  if (message->body == NULL || message->sender_type != CONFAB_SENDER_VISITOR)
    return;

  /* Once an agent has the conversation or wrote in it the bot keeps quiet for good: the
   * conversation says so without a query, and a long chat costs no more than a short one. */
  if (conversation->assignee_id != NULL || conversation->first_agent_reply_at != 0)
    return;

  /* the cheap no (a site without FAQs, a visitor who asked for a person) before the site's
   * settings and the full-text search */
  if (!confab_store_bot_may_answer (store, conversation->id, &may_answer, &error))
    goto failed;
  if (!may_answer)
    return;

  site = confab_store_get_site (store, conversation->site_id, &error);
  if (site == NULL)
    goto failed;
  read_settings (site, &enabled, &threshold);
  if (!enabled)
    return;

  matches = confab_faq_search (store, site->id, message->body, 1, &error);
  if (matches == NULL)
    goto failed;
  if (matches->len == 0)
    return;
  best = g_ptr_array_index (matches, 0);
  if (best->score < threshold || best->score == 0)
    return;

  /* The visitor has this answer above already; asking again means it did not help. */
  if (!confab_store_faq_answered_in (store, conversation->id, best->faq->id, &answered, &error))
    goto failed;
  if (answered)
    return;

  bot_name = g_strdup_printf ("%s assistant", site->name);
  draft.conversation_id = conversation->id;
  draft.sender_type = CONFAB_SENDER_BOT;
  draft.sender_id = best->faq->id;
  draft.sender_name = bot_name;
  draft.body = best->faq->answer;
  answer = confab_hub_post_message (relay->hub, &draft, NULL, count_view, best->faq->id, &error);
  if (answer == NULL)
    goto failed;

  g_debug ("Answered from FAQ %s (score %d, threshold %d) in conversation %s",
           best->faq->id, best->score, threshold, conversation->id);
  return;

failed:
  /* The visitor's message is stored and delivered; only the bot's answer is missing. */
  g_warning ("FAQ answer skipped in conversation %s: %s", conversation->id, error->message);
}

/* --- visitor frames --- */

gboolean
confab_faq_is_visitor_frame (const char *type)
{
  return g_strcmp0 (type, "talk_to_human") == 0 || g_strcmp0 (type, "faq_feedback") == 0;
}

static gboolean
request_human (ConfabStore  *store,
               gpointer      user_data,
               GError      **error)
{
  gboolean new_request = FALSE;

  if (!confab_store_request_human (store, user_data, &new_request, error))
    return FALSE;
  if (!new_request)
    {
      /* asked before: the team knows already, nothing more to store or say */
      g_set_error_literal (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_ALREADY_ASKED, "already asked");
      return FALSE;
    }
  return TRUE;
}

static gboolean
talk_to_human (ConfabRelay             *relay,
               const ConfabFaqVisitor  *visitor,
               GError                 **error)
{
  g_autoptr (ConfabMessage) note = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabConversationStatus open = CONFAB_STATUS_OPEN;
  ConfabMessageDraft draft = { 0 };

  draft.conversation_id = visitor->conversation_id;
  draft.sender_type = CONFAB_SENDER_SYSTEM;
  draft.body = "The visitor asked for a person";

  note = confab_hub_post_message (relay->hub, &draft, &open, request_human,
                                  (gpointer) visitor->conversation_id, &local_error);
  if (note == NULL && !g_error_matches (local_error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_ALREADY_ASKED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
faq_feedback (ConfabRelay             *relay,
              const ConfabFaqVisitor  *visitor,
              JsonObject              *frame,
              JsonObject             **out_reply,
              GError                 **error)
{
  ConfabStore *store = relay->store;
  const char *faq_id = NULL;
  gboolean helpful = FALSE, answered = FALSE;

  if (!confab_json_get_string (frame, "faq_id", TRUE, &faq_id, error) ||
      !confab_json_get_bool (frame, "helpful", TRUE, FALSE, &helpful, error))
    return FALSE;
  if (confab_utf8_length (faq_id) > MAX_FAQ_ID_CHARS)
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_BAD_VALUE,
                           "“faq_id” is too long");
      return FALSE;
    }

  if (!confab_store_faq_answered_in (store, visitor->conversation_id, faq_id, &answered, error))
    return FALSE;
  if (!answered)
    {
      /* the same answer for FAQs of other sites, deleted ones and made-up ids */
      g_set_error_literal (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NOT_FOUND,
                           "No answer from this FAQ in your conversation");
      return FALSE;
    }

  if (!confab_store_set_faq_feedback (store, visitor->conversation_id, faq_id, helpful, error))
    {
      if (g_error_matches (*error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        {
          /* deleted since it answered */
          g_clear_error (error);
          g_set_error_literal (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NOT_FOUND,
                               "No answer from this FAQ in your conversation");
        }
      return FALSE;
    }

  *out_reply = confab_frame_new ("faq_feedback_recorded");
  json_object_set_string_member (*out_reply, "faq_id", faq_id);
  json_object_set_boolean_member (*out_reply, "helpful", helpful);
  return TRUE;
}

gboolean
confab_faq_visitor_frame (ConfabRelay             *relay,
                          const ConfabFaqVisitor  *visitor,
                          const char              *type,
                          JsonObject              *frame,
                          JsonObject             **out_reply,
                          GError                 **error)
{
  *out_reply = NULL;

  if (visitor->conversation_id == NULL)
    {
      g_set_error_literal (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NO_CONVERSATION,
                           "There is no conversation yet");
      return FALSE;
    }

  if (strcmp (type, "talk_to_human") == 0)
    return talk_to_human (relay, visitor, error);
  if (strcmp (type, "faq_feedback") == 0)
    return faq_feedback (relay, visitor, frame, out_reply, error);

  g_return_val_if_reached (FALSE);
}
