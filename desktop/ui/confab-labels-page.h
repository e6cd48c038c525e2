/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-labels-page.h: the site's labels: add, edit, delete (name and colour); agents put them
 * on conversations (the conversation header's picker) and filter the inbox by them.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_LABELS_PAGE (confab_labels_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabLabelsPage, confab_labels_page, CONFAB, LABELS_PAGE, AdwPreferencesPage)

GtkWidget *confab_labels_page_new (ConfabClient *client);

G_END_DECLS
