/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-audit-page.h: the site's audit log, newest first, a page more as it is scrolled to the end.
 *
 * A page of the settings area (confab-admin-window.h): made with the client, told the site the
 * picker shows through its "site-id" property (NULL: none), for owners and admins of that site. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AUDIT_PAGE (confab_audit_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAuditPage, confab_audit_page, CONFAB, AUDIT_PAGE, AdwPreferencesPage)

GtkWidget *confab_audit_page_new      (ConfabClient *client);
/* An entry of GET /sites/{id}/audit as the sentence the page shows ("Ana made bo@… admin"). */
char      *confab_audit_page_describe (JsonObject   *entry);

G_END_DECLS
