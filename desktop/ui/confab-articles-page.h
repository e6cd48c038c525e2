/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-articles-page.h: the site's knowledge base (issue 16): help articles written in
 * Markdown, listed with their category, language and state (draft or published); new and edit
 * in an editor window (a monospace Markdown text and a preview of what the relay rendered),
 * publish and unpublish, delete, and a link to the article on the site's public help centre.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site.
 * The list follows the relay's `articles` frames ("articles-changed"). */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ARTICLES_PAGE (confab_articles_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabArticlesPage, confab_articles_page, CONFAB, ARTICLES_PAGE, AdwPreferencesPage)

GtkWidget *confab_articles_page_new     (ConfabClient *client);

/* The relay's article HTML (its own small tag set: headings, paragraphs, emphasis, code, lists,
 * quotes, rules, links; every text escaped) as Pango markup for a GtkLabel; NULL when it is not
 * that (the caller shows the plain text instead). */
char      *confab_articles_html_to_markup (const char *html);

G_END_DECLS
