/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-help.h: the knowledge base's public side — the help centre pages /help/{site_key}
 * and /help/{site_key}/{slug}, served as plain HTML (no script), and the search they and the
 * widget share */
#pragma once

#include "confab-relay.h"
#include "confab-store-kb.h"

G_BEGIN_DECLS

/* Registers /help. */
void        confab_help_register   (ConfabRelay  *relay);

/* The site's articles matching @text, best first (FTS5, porter stems, title above body);
 * only published ones when @published_only. An empty array when no word of @text counts.
 * Element type: ConfabArticle*. */
GPtrArray  *confab_kb_search       (ConfabStore  *store,
                                    const char   *site_id,
                                    const char   *text,
                                    gboolean      published_only,
                                    guint         limit,
                                    GError      **error);

/* A slug made of @title: lower-case ASCII letters and digits joined by "-", at most 80
 * characters; "article" when nothing is left. */
char       *confab_kb_slugify      (const char   *title);
/* 1 to 100 of a-z, 0-9 and "-". */
gboolean    confab_kb_slug_valid   (const char   *slug);

/* The first @max_chars characters of @article's body as plain text (Markdown marks dropped). */
char       *confab_kb_excerpt      (const ConfabArticle *article,
                                    guint                max_chars);

/* Takes one of the per-address budget of public knowledge base requests (help pages and the
 * widget's search); FALSE and *@retry_after_ms when it is spent. */
gboolean    confab_kb_take_public_request (ConfabRelay       *relay,
                                           SoupServerMessage *msg,
                                           guint             *retry_after_ms);

G_END_DECLS
