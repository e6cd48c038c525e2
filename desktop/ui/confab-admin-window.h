/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-window.h: the settings area (app.site-settings, Ctrl+Alt+comma): the account,
 * the sites and, for a site the user is owner or admin of, its administration pages.
 *
 * The shape of a page (how another engineer adds one, in one line of pages[] in
 * confab-admin-window.c):
 *
 *   - an AdwPreferencesPage subclass in its own files (desktop/ui/confab-<x>-page.[ch]), with
 *     its "title" and "icon-name" set (the window's view switcher shows them);
 *   - made by `GtkWidget *confab_<x>_page_new (ConfabClient *client)`;
 *   - a read-write string property "site-id": the site the picker at the top of the window
 *     shows. The window sets it after adding the page, and again whenever the picker moves to
 *     another site (only then); the page loads that site's data then (REST through ConfabClient,
 *     confab-client-admin.h); NULL while no site is picked (set once at the start too).
 *   - errors from the relay: confab_admin_window_toast (page, text), or inline.
 *
 * Admin pages show only while the picked site is one the user is owner or admin of; the picker
 * lists exactly those sites, so an agent-only user sees the Account and Sites pages alone (the
 * Sites page then offers to create a site, which anyone signed in may do). Owner-only actions
 * inside a page ask confab_admin_window_get_role().
 */
#pragma once

#include <adwaita.h>

#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ADMIN_WINDOW (confab_admin_window_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAdminWindow, confab_admin_window, CONFAB, ADMIN_WINDOW, AdwWindow)

GtkWidget  *confab_admin_window_new       (GtkWindow    *parent,
                                           ConfabClient *client);
ConfabClient *confab_admin_window_get_client (ConfabAdminWindow *self);
/* The site the picker shows (NULL: none the user administers). */
const char *confab_admin_window_get_site_id (ConfabAdminWindow *self);
void        confab_admin_window_set_site_id (ConfabAdminWindow *self,
                                             const char        *site_id);
/* Shows the page whose AdwViewStack name is @name: its type name ("ConfabSitesPage"). */
void        confab_admin_window_show_page (ConfabAdminWindow *self,
                                           const char        *name);

/* From any widget inside the window: the user's role on the picked site ("owner", "admin",
 * "agent") or NULL; a toast over the window. Both do nothing outside a ConfabAdminWindow. */
const char *confab_admin_window_get_role  (GtkWidget    *inside);
void        confab_admin_window_toast     (GtkWidget    *inside,
                                           const char   *text);

G_END_DECLS
