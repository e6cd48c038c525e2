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
#include "confab-assistant.h"
#include "confab-store-assistant.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-help.h"
#include "confab-config.h"
#include "confab-stem.h"

#include <math.h>
#include <string.h>

#define MAX_TERMS          32
#define MAX_TERM_CHARS     64
#define SEARCH_CANDIDATES  30
#define MAX_FAQ_ID_CHARS   100
#define ANSWER_ONLY_WEIGHT 0.25
#define QUESTION_ONLY_WEIGHT 0.75
/* a question word of an article's title counts 0.75: 50 is two of three words */
#define ARTICLE_LINK_MIN_SCORE 50

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
          gboolean ascii = TRUE;
          char *word;
          g_autofree char *raw = NULL;

          for (const char *c = start; ascii && c < p; c++)
            ascii = (guchar) *c < 0x80;
          /* most words are ASCII: nothing to decompose or compose, lower case is enough */
          word = ascii ? g_ascii_strdown (start, p - start) : normalise_word (start, p - start);
          raw = ascii ? g_strndup (start, p - start) : g_utf8_normalize (start, p - start, G_NORMALIZE_NFC);

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

/* --- matching --- */

/* Words that say nothing about what a visitor wants: English function words, greetings and
 * chat filler. A message of nothing else ("hi", "thanks", "I need help") matches no FAQ. */
static const char * const stop_words[] = {
  "a", "able", "about", "after", "again", "all", "also", "am", "an", "and", "another", "any",
  "anyone", "are",
  "as", "at", "be", "been", "before", "being", "but", "by", "bye", "can", "cannot", "could",
  "d", "did", "do", "does", "doesn", "doing", "don", "dont", "for", "from", "get", "getting",
  "go", "going", "good", "got", "great", "had", "has", "hasn", "have", "haven", "having",
  "hello", "help", "hey", "hi", "i", "if", "im", "in", "into", "is", "isn", "it", "its",
  "just", "know", "let", "like", "ll", "lol", "m", "may", "me", "might", "mine", "more",
  "morning", "much", "must", "my", "myself", "need", "no", "not", "now", "of", "ok", "okay",
  "on", "one", "or", "our", "ours", "possible", "please", "pls", "plz", "question", "re", "really", "s",
  "sa", "should", "so", "some", "someone", "something", "still", "sure", "t", "than",
  "thank", "thanks", "that", "the", "their", "them", "then", "there", "these", "they",
  "thing", "this", "those", "thx", "to", "too", "u", "until", "up", "us", "use", "ve", "very", "want",
  "was", "wasn", "we", "were", "will", "with", "would", "yes", "yet", "you", "your", "yours",
  NULL
};

/* Question words: they say how the visitor asks, not what about. A question phrase ("how
 * long", "when", "where") that the FAQ's question or synonyms use as well counts as one more
 * word the FAQ knows; one it does not use counts for nothing either way. */
static const char * const question_words[] = {
  "how", "hows", "what", "whats", "when", "whens", "where", "wheres", "which", "who", "whom",
  "whose", "why", NULL
};
/* the words after "how" that make a question phrase of it; "how do I" asks nothing yet */
static const char * const how_words[] = {
  "long", "much", "many", "soon", "fast", "quick", "quickly", "often", "far", NULL
};

#define TYPO_MIN_CHARS 5   /* shorter words are too easily another word with one typo */
#define TYPO_WEIGHT    0.8

static gboolean
in_list (const char * const *list,
         const char         *word)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (list[i], word) == 0)
      return TRUE;
  return FALSE;
}

/* in_list() for the stop words, which every word of a message and of an FAQ's question meets */
static gboolean
is_stop_word (const char *word)
{
  static GHashTable *set;

  if (g_once_init_enter (&set))
    {
      GHashTable *words = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; stop_words[i] != NULL; i++)
        g_hash_table_add (words, (gpointer) stop_words[i]);
      g_once_init_leave (&set, words);
    }
  return g_hash_table_contains (set, word);
}

static gboolean
is_number (const char *word)
{
  for (const char *c = word; *c; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  return TRUE;
}

/* The words of a text, normalised, in order, with their stems. */
typedef struct {
  GPtrArray *words;
  GPtrArray *stems;
} WordList;

static gboolean
add_word (char       *word,
          const char *raw,
          gpointer    user_data)
{
  WordList *list = user_data;

  if (g_utf8_strlen (word, -1) > MAX_TERM_CHARS)
    {
      g_free (word);
      return TRUE;
    }
  g_ptr_array_add (list->stems, confab_stem (word));
  g_ptr_array_add (list->words, word);
  /* a visitor's message gives at most this many words to match; an FAQ's text is the
   * administrator's, bounded by the API */
  return TRUE;
}

static void
word_list_init (WordList   *list,
                const char *text)
{
  list->words = g_ptr_array_new_with_free_func (g_free);
  list->stems = g_ptr_array_new_with_free_func (g_free);
  for_each_word (text, add_word, list);
}

static void
word_list_clear (WordList *list)
{
  g_clear_pointer (&list->words, g_ptr_array_unref);
  g_clear_pointer (&list->stems, g_ptr_array_unref);
}

static void
add_stems (GHashTable *stems,
           GHashTable *words,
           const char *text)
{
  WordList list;

  word_list_init (&list, text);
  for (guint i = 0; i < list.stems->len; i++)
    {
      g_hash_table_add (stems, g_strdup (g_ptr_array_index (list.stems, i)));
      if (words != NULL)
        g_hash_table_add (words, g_strdup (g_ptr_array_index (list.words, i)));
    }
  word_list_clear (&list);
}

/* What a visitor wrote, ready to score against any FAQ. */
struct _ConfabFaqQuery {
  WordList  all;      /* every word, for phrases */
  GPtrArray *terms;   /* indices into all of the words that count (distinct stems) */
  char      *phrase;  /* the question phrase ("how long", "when"), or NULL */
};

void
confab_faq_query_free (ConfabFaqQuery *query)
{
  if (query == NULL)
    return;
  word_list_clear (&query->all);
  g_clear_pointer (&query->terms, g_ptr_array_unref);
  g_free (query->phrase);
  g_free (query);
}

ConfabFaqQuery *
confab_faq_query_new (const char *text)
{
  ConfabFaqQuery *query = g_new0 (ConfabFaqQuery, 1);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  word_list_init (&query->all, text);
  query->terms = g_ptr_array_new ();

  for (guint i = 0; i < query->all.words->len; i++)
    {
      const char *word = g_ptr_array_index (query->all.words, i);
      const char *stem = g_ptr_array_index (query->all.stems, i);

      if (in_list (question_words, word))
        {
          const char *next = i + 1 < query->all.words->len ?
                             g_ptr_array_index (query->all.words, i + 1) : NULL;

          /* the first question phrase is the question; "how long" takes its "long" along */
          if (query->phrase == NULL && strncmp (word, "how", 3) == 0 && next != NULL &&
              in_list (how_words, next))
            {
              query->phrase = g_strdup_printf ("how %s", next);
              i++;
            }
          else if (query->phrase == NULL &&
                   (g_str_has_prefix (word, "when") || g_str_has_prefix (word, "where")))
            query->phrase = g_strdup (g_str_has_prefix (word, "when") ? "when" : "where");
          continue;
        }
      if (is_stop_word (word) || is_number (word) || g_hash_table_contains (seen, stem))
        continue;
      if (query->terms->len >= MAX_TERMS)
        break;
      g_hash_table_add (seen, (gpointer) stem);
      g_ptr_array_add (query->terms, GUINT_TO_POINTER (i));
    }
  return query;
}

guint
confab_faq_query_n_terms (const ConfabFaqQuery *query)
{
  return query->terms->len;
}

/* Damerau-Levenshtein distance of at most one: one letter added, dropped, changed, or two
 * neighbours swapped ("shiping", "retrun", "refnd", "warrenty"). */
static gboolean
one_typo_apart (const char *a,
                const char *b)
{
  gsize la = strlen (a), lb = strlen (b), i = 0;

  if (la > lb + 1 || lb > la + 1)
    return FALSE;
  while (i < la && i < lb && a[i] == b[i])
    i++;
  if (i == la && i == lb)
    return FALSE; /* the same word is no typo */
  if (la == lb)
    return strcmp (a + i + 1, b + i + 1) == 0 ||
           (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && strcmp (a + i + 2, b + i + 2) == 0);
  if (la > lb)
    return strcmp (a + i + 1, b + i) == 0;
  return strcmp (a + i, b + i + 1) == 0;
}

static gboolean
typo_of_any (const char *word,
             GHashTable *words)
{
  GHashTableIter iter;
  gpointer known;

  if (g_utf8_strlen (word, -1) < TYPO_MIN_CHARS)
    return FALSE;
  g_hash_table_iter_init (&iter, words);
  while (g_hash_table_iter_next (&iter, &known, NULL))
    if (strlen (known) >= TYPO_MIN_CHARS - 1 && one_typo_apart (word, known))
      return TRUE;
  return FALSE;
}

/* Whether the stems of @phrase occur one after the other in the visitor's words from @at on. */
static gboolean
phrase_at (const WordList *all,
           guint           at,
           const WordList *phrase)
{
  if (at + phrase->stems->len > all->stems->len)
    return FALSE;
  for (guint k = 0; k < phrase->stems->len; k++)
    if (strcmp (g_ptr_array_index (all->stems, at + k), g_ptr_array_index (phrase->stems, k)) != 0)
      return FALSE;
  return TRUE;
}

/* What one FAQ knows, whatever the query: its words read once and kept (see faq_index_get()). */
typedef struct {
  gatomicrefcount  ref;
  char            *source;      /* what it was read from: question, answer, keywords, synonyms */
  GHashTable      *topic;       /* stems of the keywords and one-word synonyms */
  GHashTable      *topic_words; /* the same words unstemmed, for typos */
  GHashTable      *asked;       /* stems of the question */
  GHashTable      *asked_words;
  GHashTable      *answered;    /* stems of the answer */
  GPtrArray       *phrases;     /* WordList*: keywords and synonyms of two words or more */
  GPtrArray       *asking;      /* WordList*: the question and every synonym, for question phrases */
} FaqIndex;

#define FAQ_INDEX_CACHE_MAX 1024 /* a few MB with long answers; FAQs are read again after a reset */

static void
word_list_free (WordList *list)
{
  word_list_clear (list);
  g_free (list);
}

static WordList *
word_list_new (const char *text)
{
  WordList *list = g_new0 (WordList, 1);

  word_list_init (list, text);
  return list;
}

static void
faq_index_unref (FaqIndex *index)
{
  if (!g_atomic_ref_count_dec (&index->ref))
    return;
  g_free (index->source);
  g_hash_table_unref (index->topic);
  g_hash_table_unref (index->topic_words);
  g_hash_table_unref (index->asked);
  g_hash_table_unref (index->asked_words);
  g_hash_table_unref (index->answered);
  g_ptr_array_unref (index->phrases);
  g_ptr_array_unref (index->asking);
  g_free (index);
}

static char *
faq_source (const ConfabFaq *faq)
{
  g_autofree char *keywords = faq->keywords ? g_strjoinv ("\x1f", faq->keywords) : g_strdup ("");
  g_autofree char *synonyms = faq->synonyms ? g_strjoinv ("\x1f", faq->synonyms) : g_strdup ("");

  return g_strjoin ("\x1e", faq->question, faq->answer, keywords, synonyms, NULL);
}

/* A keyword or synonym of one word is one more word of the FAQ's; a longer one counts only
 * whole ("sign in", "money back": not every "sign" or "back"). */
static void
add_topic (FaqIndex  *index,
           char     **phrases)
{
  for (guint i = 0; phrases && phrases[i]; i++)
    {
      WordList *words = word_list_new (phrases[i]);

      if (words->words->len <= 1)
        {
          add_stems (index->topic, index->topic_words, phrases[i]);
          word_list_free (words);
        }
      else
        g_ptr_array_add (index->phrases, words);
    }
}

static FaqIndex *
faq_index_new (const ConfabFaq *faq,
               char            *source)
{
  FaqIndex *index = g_new0 (FaqIndex, 1);

  g_atomic_ref_count_init (&index->ref);
  index->source = source;
  index->topic = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->topic_words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->asked_words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->answered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->phrases = g_ptr_array_new_with_free_func ((GDestroyNotify) word_list_free);
  index->asking = g_ptr_array_new_with_free_func ((GDestroyNotify) word_list_free);

  add_stems (index->asked, index->asked_words, faq->question);
  add_topic (index, faq->keywords);
  add_topic (index, faq->synonyms);
  add_stems (index->answered, NULL, faq->answer);
  g_ptr_array_add (index->asking, word_list_new (faq->question));
  for (guint i = 0; faq->synonyms && faq->synonyms[i]; i++)
    g_ptr_array_add (index->asking, word_list_new (faq->synonyms[i]));
  return index;
}

/* The FAQ's index, read once per version of the FAQ: the bot reads every candidate FAQ for each
 * visitor message, and tokenising and stemming their texts each time was most of its cost. The
 * cache is keyed by id and checked against the texts themselves, so an edit is never missed. */
static FaqIndex *
faq_index_get (const ConfabFaq *faq)
{
  static GMutex lock;
  static GHashTable *cache;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);
  g_autofree char *source = faq_source (faq);
  FaqIndex *index;

  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) faq_index_unref);

  index = faq->id ? g_hash_table_lookup (cache, faq->id) : NULL;
  if (index != NULL && strcmp (index->source, source) == 0)
    {
      g_atomic_ref_count_inc (&index->ref);
      return index;
    }

  index = faq_index_new (faq, g_steal_pointer (&source));
  if (faq->id != NULL)
    {
      /* deleted FAQs leave their entries behind: start over now and then */
      if (g_hash_table_size (cache) >= FAQ_INDEX_CACHE_MAX)
        g_hash_table_remove_all (cache);
      g_atomic_ref_count_inc (&index->ref);
      g_hash_table_replace (cache, g_strdup (faq->id), index);
    }
  return index;
}

/* What one FAQ knows, read for one query. */
typedef struct {
  FaqIndex   *index;
  gboolean   *covered;     /* per word of the query: inside a keyword or synonym phrase found whole */
  gboolean    asks_alike;  /* the FAQ asks with the query's question phrase */
} FaqVocab;

/* Whether @list has the words of @wanted one after the other. */
static gboolean
has_words (const WordList     *list,
           const char * const *wanted)
{
  guint n = g_strv_length ((char **) wanted);

  for (guint at = 0; at + n <= list->words->len; at++)
    {
      guint k = 0;

      while (k < n && strcmp (g_ptr_array_index (list->words, at + k), wanted[k]) == 0)
        k++;
      if (k == n)
        return TRUE;
    }
  return FALSE;
}

static void
faq_vocab_init (FaqVocab             *vocab,
                const ConfabFaqQuery *query,
                const ConfabFaq      *faq)
{
  FaqIndex *index = faq_index_get (faq);

  vocab->index = index;
  vocab->covered = g_new0 (gboolean, query->all.words->len + 1);
  vocab->asks_alike = FALSE;

  for (guint i = 0; i < index->phrases->len; i++)
    {
      const WordList *phrase = g_ptr_array_index (index->phrases, i);

      for (guint at = 0; at < query->all.stems->len; at++)
        if (phrase_at (&query->all, at, phrase))
          for (guint k = 0; k < phrase->stems->len; k++)
            vocab->covered[at + k] = TRUE;
    }

  if (query->phrase != NULL)
    {
      /* the question phrases are lower-case ASCII words: "how long", "when" */
      g_auto (GStrv) wanted = g_strsplit (query->phrase, " ", -1);

      for (guint i = 0; !vocab->asks_alike && i < index->asking->len; i++)
        vocab->asks_alike = has_words (g_ptr_array_index (index->asking, i), (const char * const *) wanted);
    }
}

static void
faq_vocab_clear (FaqVocab *vocab)
{
  g_clear_pointer (&vocab->index, faq_index_unref);
  g_clear_pointer (&vocab->covered, g_free);
}

/* Whether the FAQ's question, keywords or synonyms have the query's word @at. */
static gboolean
vocab_knows (const FaqVocab       *vocab,
             const ConfabFaqQuery *query,
             guint                 at)
{
  const char *stem = g_ptr_array_index (query->all.stems, at);

  return vocab->covered[at] || g_hash_table_contains (vocab->index->topic, stem) ||
         g_hash_table_contains (vocab->index->asked, stem);
}

/* How much of the query's word @at the FAQ knows, 0 to 1. */
static double
vocab_credit (const FaqVocab       *vocab,
              const ConfabFaqQuery *query,
              guint                 at)
{
  const char *stem = g_ptr_array_index (query->all.stems, at);
  const char *word = g_ptr_array_index (query->all.words, at);

  if (vocab->covered[at] || g_hash_table_contains (vocab->index->topic, stem) ||
      g_hash_table_contains (vocab->index->topic_words, word))
    return 1.0;
  if (g_hash_table_contains (vocab->index->asked, stem) || g_hash_table_contains (vocab->index->asked_words, word))
    return QUESTION_ONLY_WEIGHT;
  if (typo_of_any (word, vocab->index->topic_words) || typo_of_any (word, vocab->index->asked_words))
    return TYPO_WEIGHT;
  if (g_hash_table_contains (vocab->index->answered, stem))
    return ANSWER_ONLY_WEIGHT;
  return 0;
}

/* The score; @weights: per term of the query, how much it says (NULL: all 1). */
static int
vocab_score (const FaqVocab       *vocab,
             const ConfabFaqQuery *query,
             const double         *weights)
{
  double sum = 0, count = 0;

  if (query->terms->len == 0)
    return 0;

  for (guint i = 0; i < query->terms->len; i++)
    {
      guint at = GPOINTER_TO_UINT (g_ptr_array_index (query->terms, i));
      double weight = weights ? weights[i] : 1.0;

      sum += weight * vocab_credit (vocab, query, at);
      count += weight;
    }
  if (vocab->asks_alike)
    {
      sum += 1.0;
      count += 1.0;
    }
  return (int) (100.0 * sum / count + 0.5);
}

/* The share of the FAQ's question the visitor's words cover: among equal scores the FAQ
 * whose question is more what the visitor wrote goes first. */
static double
question_coverage (const FaqVocab       *vocab,
                   const ConfabFaqQuery *query)
{
  g_autoptr (GHashTable) stems = g_hash_table_new (g_str_hash, g_str_equal);
  guint asked = 0, found = 0;
  GHashTableIter iter;
  gpointer stem;

  for (guint i = 0; i < query->all.stems->len; i++)
    g_hash_table_add (stems, g_ptr_array_index (query->all.stems, i));
  g_hash_table_iter_init (&iter, vocab->index->asked);
  while (g_hash_table_iter_next (&iter, &stem, NULL))
    {
      if (is_stop_word (stem) || in_list (question_words, stem))
        continue;
      asked++;
      if (g_hash_table_contains (stems, stem))
        found++;
    }
  return asked ? (double) found / asked : 0;
}

int
confab_faq_query_score (const ConfabFaqQuery *query,
                        const ConfabFaq      *faq)
{
  FaqVocab vocab;
  int score;

  faq_vocab_init (&vocab, query, faq);
  score = vocab_score (&vocab, query, NULL);
  faq_vocab_clear (&vocab);
  return score;
}

int
confab_faq_score (const char * const *terms,
                  const ConfabFaq    *faq)
{
  g_autofree char *text = terms ? g_strjoinv (" ", (char **) terms) : NULL;
  g_autoptr (ConfabFaqQuery) query = confab_faq_query_new (text);

  return confab_faq_query_score (query, faq);
}

/* The FTS5 query for the candidates: every word that counts, and for the longer ones the
 * first three letters as a prefix too, so that a typo after them still finds its FAQ. */
char *
confab_faq_query_fts_match (const ConfabFaqQuery *query)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *match = NULL;
  g_autoptr (GString) prefixes = g_string_new (NULL);

  for (guint i = 0; i < query->terms->len; i++)
    {
      guint at = GPOINTER_TO_UINT (g_ptr_array_index (query->terms, i));
      const char *word = g_ptr_array_index (query->all.words, at);

      g_ptr_array_add (words, g_strdup (word));
      if (g_utf8_strlen (word, -1) >= TYPO_MIN_CHARS)
        {
          g_autofree char *prefix = g_utf8_substring (word, 0, 3);

          /* letters and digits only (a term): nothing in it to quote */
          g_string_append_printf (prefixes, " OR \"%s\"*", prefix);
        }
    }
  g_ptr_array_add (words, NULL);

  match = confab_faq_match_query ((const char * const *) words->pdata);
  if (match == NULL)
    return NULL;
  return g_strconcat (match, prefixes->str, NULL);
}

static int
compare_matches (gconstpointer a,
                 gconstpointer b)
{
  const ConfabFaqMatch *first = *(ConfabFaqMatch * const *) a;
  const ConfabFaqMatch *second = *(ConfabFaqMatch * const *) b;

  if (first->score != second->score)
    return second->score - first->score;
  return (second->coverage > first->coverage) - (second->coverage < first->coverage);
}

GPtrArray *
confab_faq_search (ConfabStore *store,
                   const char  *site_id,
                   const char  *text,
                   guint        limit,
                   GError     **error)
{
  g_autoptr (ConfabFaqQuery) query = confab_faq_query_new (text);
  g_autofree char *match = confab_faq_query_fts_match (query);
  g_autoptr (GPtrArray) candidates = NULL;
  g_autoptr (GPtrArray) matches = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_faq_match_free);
  g_autofree double *weights = NULL;
  FaqVocab *vocabs;

  if (match == NULL)
    return g_steal_pointer (&matches);

  candidates = confab_store_search_faqs (store, site_id, match, MAX (limit, SEARCH_CANDIDATES), error);
  if (candidates == NULL)
    return NULL;

  /* A word many of the site's FAQs know tells them apart less: it weighs 1/sqrt(n) for n
   * FAQs, a word no FAQ knows 1. Every FAQ with one of the words is a candidate (unless
   * there are more than SEARCH_CANDIDATES), so n counts among them. */
  vocabs = g_new0 (FaqVocab, candidates->len);
  weights = g_new0 (double, query->terms->len + 1);
  for (guint i = 0; i < candidates->len; i++)
    faq_vocab_init (&vocabs[i], query, g_ptr_array_index (candidates, i));
  for (guint t = 0; t < query->terms->len; t++)
    {
      guint at = GPOINTER_TO_UINT (g_ptr_array_index (query->terms, t));
      guint known = 0;

      for (guint i = 0; i < candidates->len; i++)
        if (vocab_knows (&vocabs[i], query, at))
          known++;
      weights[t] = 1.0 / sqrt (MAX (known, 1));
    }

  for (guint i = 0; i < candidates->len; i++)
    {
      ConfabFaqMatch *entry = g_new0 (ConfabFaqMatch, 1);

      entry->faq = g_steal_pointer (&candidates->pdata[i]);
      entry->score = vocab_score (&vocabs[i], query, weights);
      entry->coverage = question_coverage (&vocabs[i], query);
      faq_vocab_clear (&vocabs[i]);
      g_ptr_array_add (matches, entry);
    }
  g_free (vocabs);

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

/* The FAQ's answer with "Read more: TITLE — URL" when [help] public-url is set and a published
 * article's title knows at least half of the FAQ question's words; NULL for the answer alone. */
static char *
answer_with_article (ConfabRelay      *relay,
                     const ConfabSite *site,
                     const ConfabFaq  *faq)
{
  g_autoptr (GPtrArray) articles = NULL;
  g_autoptr (ConfabFaqQuery) query = NULL;
  g_autoptr (GError) error = NULL;
  ConfabArticle *article;
  ConfabFaq as_faq = { 0 };

  if (relay->config->help_public_url == NULL)
    return NULL;
  articles = confab_kb_search (relay->store, site->id, faq->question, TRUE, 1, &error);
  if (articles == NULL)
    {
      g_warning ("No article link in the FAQ answer: %s", error->message);
      return NULL;
    }
  if (articles->len == 0)
    return NULL;

  /* bm25's best is not always about the same thing: the title must know the question */
  article = g_ptr_array_index (articles, 0);
  query = confab_faq_query_new (faq->question);
  as_faq.question = article->title;
  as_faq.answer = article->body;
  if (confab_faq_query_score (query, &as_faq) < ARTICLE_LINK_MIN_SCORE)
    return NULL;

  return g_strdup_printf ("%s\n\nRead more: %s — %s/help/%s/%s", faq->answer, article->title,
                          relay->config->help_public_url, site->site_key, article->slug);
}

static gboolean
count_view (ConfabStore  *store,
            gpointer      user_data,
            GError      **error)
{
  return confab_store_count_faq_view (store, user_data, error);
}

/* Issue 18: a team_rules entry with "faq_id" gives a new conversation the team of the FAQ its
 * visitor's first message matched (above the bot's threshold, whether the bot, the assistant
 * or nobody answers it); confab_hub_route_faq_matched () decides. Sites without such a rule
 * pay only a look at their settings. */
static void
route_by_faq (ConfabRelay              *relay,
              const ConfabConversation *conversation,
              const ConfabMessage      *message)
{
  ConfabStore *store = relay->store;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) error = NULL;
  ConfabFaqMatch *best;
  gboolean enabled;
  int threshold;

  site = confab_store_get_site (store, conversation->site_id, NULL);
  if (site == NULL || site->settings_json == NULL || strstr (site->settings_json, "\"faq_id\"") == NULL)
    return;
  read_settings (site, &enabled, &threshold);
  matches = confab_faq_search (store, site->id, message->body, 1, &error);
  if (matches == NULL)
    goto failed;
  if (matches->len == 0)
    return;
  best = g_ptr_array_index (matches, 0);
  if (best->score < threshold || best->score == 0)
    return;
  if (!confab_hub_route_faq_matched (relay->hub, conversation->id, message->seq, best->faq->id,
                                     &error))
    goto failed;
  return;

failed:
  g_warning ("Routing by FAQ skipped in conversation %s: %s", conversation->id, error->message);
}

void
confab_faq_after_visitor_message (ConfabRelay              *relay,
                                  const ConfabConversation *conversation,
                                  const ConfabMessage      *message)
{
  if (message->body == NULL || message->sender_type != CONFAB_SENDER_VISITOR ||
      conversation->assignee_id != NULL || conversation->first_agent_reply_at != 0)
    return;

  /* a site with the assistant on: it answers, and calls confab_faq_answer() when it fails */
  if (!confab_assistant_after_visitor_message (relay->assistant, conversation, message))
    confab_faq_answer (relay, conversation, message);
  /* after the answer: the visitor hears it before the team's agents take over */
  route_by_faq (relay, conversation, message);
}

void
confab_faq_answer (ConfabRelay              *relay,
                   const ConfabConversation *conversation,
                   const ConfabMessage      *message)
{
  ConfabStore *store = relay->store;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autofree char *bot_name = NULL;
  g_autofree char *body = NULL;
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
  body = answer_with_article (relay, site, best->faq);
  draft.body = body ? body : best->faq->answer;
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
  if (note != NULL)
    {
      gboolean added = FALSE;

      /* a hand-off from the assistant, when it had answered here (analytics) */
      if (!confab_store_add_assistant_handoff (relay->store, visitor->conversation_id, &added, &local_error))
        g_warning ("Hand-off not counted: %s", local_error->message);
      confab_assistant_human_requested (relay->assistant, visitor->conversation_id);
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
  gint64 seq = 0;

  /* an assistant's answer is voted on by its seq */
  if (!json_object_has_member (frame, "faq_id") && json_object_has_member (frame, "seq"))
    {
      if (!confab_json_get_int (frame, "seq", TRUE, 0, &seq, error) ||
          !confab_json_get_bool (frame, "helpful", TRUE, FALSE, &helpful, error))
        return FALSE;
      if (!confab_store_set_assistant_vote (store, visitor->conversation_id, seq, helpful, error))
        {
          if (g_error_matches (*error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
            {
              g_clear_error (error);
              g_set_error_literal (error, CONFAB_FAQ_ERROR, CONFAB_FAQ_ERROR_NOT_FOUND,
                                   "No answer of the assistant with this seq in your conversation");
            }
          return FALSE;
        }
      *out_reply = confab_frame_new ("faq_feedback_recorded");
      json_object_set_int_member (*out_reply, "seq", seq);
      json_object_set_boolean_member (*out_reply, "helpful", helpful);
      return TRUE;
    }

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
