/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-visitor-pane.h: who the visitor of the open conversation is, where, on what, and what
 * they looked at. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_VISITOR_PANE (confab_visitor_pane_get_type ())
G_DECLARE_FINAL_TYPE (ConfabVisitorPane, confab_visitor_pane, CONFAB, VISITOR_PANE, GtkWidget)

void confab_visitor_pane_set_account    (ConfabVisitorPane *self,
                                         ConfabAccount     *account);
/* NULL: nobody. @conversation_id is left out of "previous conversations". */
void confab_visitor_pane_set_visitor_id (ConfabVisitorPane *self,
                                         const char        *visitor_id,
                                         const char        *conversation_id);

void confab_visitor_pane_set_folded     (ConfabVisitorPane *self,
                                         gboolean           folded);

G_END_DECLS
