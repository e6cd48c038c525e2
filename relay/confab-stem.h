/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-stem.h: Porter's English stemmer, as FTS5's "porter" tokenizer applies it */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The stem of @word (lower case, as confab_faq_terms() gives it), newly allocated: "shipping"
 * and "shipped" → "ship", "returns" → "return". Words with anything but ASCII letters, and words
 * of up to two letters, stay as they are, as in FTS5. */
char *confab_stem (const char *word);

G_END_DECLS
