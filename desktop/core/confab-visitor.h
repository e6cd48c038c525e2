/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-visitor.h: A visitor of a site, as the last visitor event described them.
 *
 * Immutable: the cache makes a new object for every change, so a row that
 * shows one never sees it change under it. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_VISITOR (confab_visitor_get_type ())
G_DECLARE_FINAL_TYPE (ConfabVisitor, confab_visitor, CONFAB, VISITOR, GObject)

const char        *confab_visitor_get_id (ConfabVisitor *self);
const char        *confab_visitor_get_site_id (ConfabVisitor *self);
gboolean           confab_visitor_get_online (ConfabVisitor *self);
const char        *confab_visitor_get_name (ConfabVisitor *self);
const char        *confab_visitor_get_email (ConfabVisitor *self);
const char        *confab_visitor_get_country (ConfabVisitor *self);
const char        *confab_visitor_get_city (ConfabVisitor *self);
const char        *confab_visitor_get_timezone (ConfabVisitor *self);
const char        *confab_visitor_get_locale (ConfabVisitor *self);
const char        *confab_visitor_get_browser (ConfabVisitor *self);
const char        *confab_visitor_get_os (ConfabVisitor *self);
const char        *confab_visitor_get_page_url (ConfabVisitor *self);
const char        *confab_visitor_get_page_title (ConfabVisitor *self);
const char        *confab_visitor_get_journey (ConfabVisitor *self);
gint64             confab_visitor_get_first_seen (ConfabVisitor *self);
gint64             confab_visitor_get_last_seen (ConfabVisitor *self);
gint64             confab_visitor_get_visits (ConfabVisitor *self);
/* Issue 16's contact details: NULL (and a lead score of -1) when the relay sent none. */
const char        *confab_visitor_get_phone (ConfabVisitor *self);
const char        *confab_visitor_get_notes (ConfabVisitor *self);
const char        *confab_visitor_get_tags (ConfabVisitor *self);
char             **confab_visitor_dup_tags (ConfabVisitor *self);
gint64             confab_visitor_get_lead_score (ConfabVisitor *self);
const char        *confab_visitor_get_goals (ConfabVisitor *self);

G_END_DECLS
