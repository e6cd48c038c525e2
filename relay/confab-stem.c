/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-stem.c: Porter's stemming algorithm (M.F. Porter, "An algorithm for suffix stripping",
 * 1980), the one FTS5's porter tokenizer implements. The FAQ bot stems the visitor's words and
 * the FAQs' words the same way the index does, so that its score and the index agree on which
 * words are one: "ship", "shipping", "shipped". */
#define G_LOG_DOMAIN "confab-faq"

#include "confab-stem.h"

#include <string.h>

typedef struct {
  char *b; /* the word, changed in place */
  int   k; /* offset of its last letter */
  int   j; /* a general offset into it */
} Stemmer;

static gboolean
is_consonant (const Stemmer *z,
              int            i)
{
  switch (z->b[i])
    {
    case 'a': case 'e': case 'i': case 'o': case 'u':
      return FALSE;
    case 'y':
      return i == 0 ? TRUE : !is_consonant (z, i - 1);
    default:
      return TRUE;
    }
}

/* m(), the number of consonant-vowel sequences between 0 and j: [C](VC)^m[V] */
static int
measure (const Stemmer *z)
{
  int n = 0, i = 0;

  for (;;)
    {
      if (i > z->j)
        return n;
      if (!is_consonant (z, i))
        break;
      i++;
    }
  i++;
  for (;;)
    {
      for (;;)
        {
          if (i > z->j)
            return n;
          if (is_consonant (z, i))
            break;
          i++;
        }
      i++;
      n++;
      for (;;)
        {
          if (i > z->j)
            return n;
          if (!is_consonant (z, i))
            break;
          i++;
        }
      i++;
    }
}

/* a vowel in 0..j */
static gboolean
vowel_in_stem (const Stemmer *z)
{
  for (int i = 0; i <= z->j; i++)
    if (!is_consonant (z, i))
      return TRUE;
  return FALSE;
}

/* j, j-1 are the same consonant */
static gboolean
double_consonant (const Stemmer *z,
                  int            j)
{
  if (j < 1 || z->b[j] != z->b[j - 1])
    return FALSE;
  return is_consonant (z, j);
}

/* i-2, i-1, i is consonant-vowel-consonant and the last is not w, x or y: "hop" (→ "hope") */
static gboolean
cvc (const Stemmer *z,
     int            i)
{
  if (i < 2 || !is_consonant (z, i) || is_consonant (z, i - 1) || !is_consonant (z, i - 2))
    return FALSE;
  return z->b[i] != 'w' && z->b[i] != 'x' && z->b[i] != 'y';
}

/* the word ends with @s; j is then the offset before it */
static gboolean
ends (Stemmer    *z,
      const char *s)
{
  int length = (int) strlen (s);

  if (length > z->k + 1 || memcmp (z->b + z->k - length + 1, s, length) != 0)
    return FALSE;
  z->j = z->k - length;
  return TRUE;
}

/* replaces j+1..k by @s */
static void
set_to (Stemmer    *z,
        const char *s)
{
  int length = (int) strlen (s);

  memcpy (z->b + z->j + 1, s, length);
  z->k = z->j + length;
}

static void
replace_if_measured (Stemmer    *z,
                     const char *s)
{
  if (measure (z) > 0)
    set_to (z, s);
}

/* plurals and -ed, -ing */
static void
step1ab (Stemmer *z)
{
  if (z->b[z->k] == 's')
    {
      if (ends (z, "sses"))
        z->k -= 2;
      else if (ends (z, "ies"))
        set_to (z, "i");
      else if (z->k >= 1 && z->b[z->k - 1] != 's')
        z->k--;
    }

  if (ends (z, "eed"))
    {
      if (measure (z) > 0)
        z->k--;
    }
  else if ((ends (z, "ed") || ends (z, "ing")) && vowel_in_stem (z))
    {
      z->k = z->j;
      if (ends (z, "at"))
        set_to (z, "ate");
      else if (ends (z, "bl"))
        set_to (z, "ble");
      else if (ends (z, "iz"))
        set_to (z, "ize");
      else if (double_consonant (z, z->k))
        {
          char c = z->b[z->k];

          if (c != 'l' && c != 's' && c != 'z')
            z->k--;
        }
      else
        {
          z->j = z->k;
          if (measure (z) == 1 && cvc (z, z->k))
            {
              z->j = z->k;
              set_to (z, "e");
            }
        }
    }
}

/* terminal y → i when there is another vowel in the stem */
static void
step1c (Stemmer *z)
{
  if (ends (z, "y") && vowel_in_stem (z))
    z->b[z->k] = 'i';
}

typedef struct {
  const char *suffix;
  const char *replacement;
} Rule;

static void
apply_rules (Stemmer    *z,
             const Rule *rules)
{
  for (const Rule *rule = rules; rule->suffix != NULL; rule++)
    if (ends (z, rule->suffix))
      {
        replace_if_measured (z, rule->replacement);
        return;
      }
}

/* double suffixes to single ones: -ization → -ize */
static const Rule step2_rules[] = {
  { "ational", "ate" }, { "tional", "tion" }, { "enci", "ence" }, { "anci", "ance" },
  { "izer", "ize" }, { "bli", "ble" }, { "alli", "al" }, { "entli", "ent" }, { "eli", "e" },
  { "ousli", "ous" }, { "ization", "ize" }, { "ation", "ate" }, { "ator", "ate" },
  { "alism", "al" }, { "iveness", "ive" }, { "fulness", "ful" }, { "ousness", "ous" },
  { "aliti", "al" }, { "iviti", "ive" }, { "biliti", "ble" }, { "logi", "log" },
  { NULL, NULL }
};

/* -ic-, -full, -ness */
static const Rule step3_rules[] = {
  { "icate", "ic" }, { "ative", "" }, { "alize", "al" }, { "iciti", "ic" }, { "ical", "ic" },
  { "ful", "" }, { "ness", "" },
  { NULL, NULL }
};

/* -ant, -ence etc. in context <c>vcvc<v> */
static void
step4 (Stemmer *z)
{
  static const char * const suffixes[] = {
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
    "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", NULL
  };

  for (guint i = 0; suffixes[i] != NULL; i++)
    {
      if (!ends (z, suffixes[i]))
        continue;
      /* -ion only after s or t; the longest match decides, as in the original */
      if (strcmp (suffixes[i], "ion") == 0 && !(z->j >= 0 && (z->b[z->j] == 's' || z->b[z->j] == 't')))
        return;
      if (measure (z) > 1)
        z->k = z->j;
      return;
    }
}

/* a final -e, and -ll → -l, in longer words */
static void
step5 (Stemmer *z)
{
  z->j = z->k;
  if (z->b[z->k] == 'e')
    {
      int m = measure (z);

      if (m > 1 || (m == 1 && !cvc (z, z->k - 1)))
        z->k--;
    }
  if (z->b[z->k] == 'l' && double_consonant (z, z->k) && measure (z) > 1)
    z->k--;
}

char *
confab_stem (const char *word)
{
  Stemmer z;
  char *copy;
  gsize length;

  g_return_val_if_fail (word != NULL, NULL);

  length = strlen (word);
  for (gsize i = 0; i < length; i++)
    if (word[i] < 'a' || word[i] > 'z')
      return g_strdup (word);
  if (length <= 2)
    return g_strdup (word);

  copy = g_strdup (word);
  z.b = copy;
  z.k = (int) length - 1;
  z.j = 0;

  step1ab (&z);
  if (z.k > 0)
    {
      step1c (&z);
      apply_rules (&z, step2_rules);
      apply_rules (&z, step3_rules);
      step4 (&z);
      step5 (&z);
    }
  copy[z.k + 1] = '\0';
  return copy;
}
