/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-markdown.h: the knowledge base's Markdown as safe HTML */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* HTML for @markdown: headings (one level down: the page's title is the <h1>), paragraphs,
 * emphasis, lists, block quotes, rules, code spans and fenced code, links. Safe by
 * construction: every character of the text is escaped, HTML in the Markdown is shown as text,
 * links are kept only for http:, https: and mailto: (the text alone otherwise), images become
 * their alt text, and the only tags and attributes are the renderer's own. */
char *confab_markdown_to_html (const char *markdown);

/* Appends @text (@len bytes, -1: up to its NUL) escaped for HTML text and attribute values. */
void  confab_html_escape_append (GString    *out,
                                 const char *text,
                                 gssize      len);

/* TRUE for a link target the renderer keeps: http://, https:// or mailto:, without spaces or
 * control characters. */
gboolean confab_markdown_link_allowed (const char *url);

G_END_DECLS
