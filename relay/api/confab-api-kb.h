/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-kb.h: the knowledge base's REST routes (confab-api-kb.c) */
#pragma once

#include "confab-api-admin.h"
#include "confab-store-kb.h"

G_BEGIN_DECLS

/* /sites/{id}/articles: GET (members; ?q= searches, drafts included), POST (admins). */
void confab_api_site_articles   (ConfabApiCall     *call,
                                 ConfabSite        *site,
                                 char             **rest);
/* /articles/{id}: GET (members), PATCH and DELETE (admins). */
void confab_api_article         (ConfabApiCall     *call,
                                 const char        *article_id,
                                 char             **rest);
/* /widget/articles?site_key=…&q=…: public, published articles only. */
void confab_api_widget_articles (ConfabRelay       *relay,
                                 SoupServerMessage *msg,
                                 GHashTable        *query);

G_END_DECLS
