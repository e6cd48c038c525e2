/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-site.h: A site the signed-in agent belongs to, with its unread count.
 *
 * Immutable: the cache makes a new object for every change, so a row that
 * shows one never sees it change under it. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_SITE (confab_site_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSite, confab_site, CONFAB, SITE, GObject)

const char        *confab_site_get_id (ConfabSite *self);
const char        *confab_site_get_name (ConfabSite *self);
const char        *confab_site_get_role (ConfabSite *self);
guint              confab_site_get_unread (ConfabSite *self);
/* The user's own limit of chats at once on this site (issue 18): 0 unlimited, -1 when the relay
 * does not say (one without routing). */
int                confab_site_get_max_chats (ConfabSite *self);

G_END_DECLS
