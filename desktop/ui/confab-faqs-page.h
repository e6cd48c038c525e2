/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-faqs-page.h: the site's FAQs: search, add, edit, delete, and "try a question": which FAQ
 * the bot would answer with, and its score against the site's threshold.
 *
 * A settings page of one site, for its owners and admins; it follows what the relay pushes. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_FAQS_PAGE (confab_faqs_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabFaqsPage, confab_faqs_page, CONFAB, FAQS_PAGE, AdwPreferencesPage)

GtkWidget *confab_faqs_page_new (ConfabClient *client,
                                 const char   *site_id);

G_END_DECLS
