/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-faqs-page.h: the site's FAQs: search, add, edit, delete, and "try a question": which FAQ
 * the bot would answer with, and its score against the site's threshold.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_FAQS_PAGE (confab_faqs_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabFaqsPage, confab_faqs_page, CONFAB, FAQS_PAGE, AdwPreferencesPage)

GtkWidget *confab_faqs_page_new (ConfabClient *client);

G_END_DECLS
