/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-visitor-contact.h: the visitor pane's contact part (issue 16): name, e-mail, phone,
 * tags and notes edited in place and saved to the relay (PATCH /api/v1/visitors/{id}) with its
 * refusals shown beside them; the lead score and the last goals.
 *
 * Hidden for a visitor the relay sent without a lead score: a relay without contacts. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"
#include "confab-visitor.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_VISITOR_CONTACT (confab_visitor_contact_get_type ())
G_DECLARE_FINAL_TYPE (ConfabVisitorContact, confab_visitor_contact, CONFAB, VISITOR_CONTACT, AdwBin)

void confab_visitor_contact_set_account (ConfabVisitorContact *self,
                                         ConfabAccount        *account);
/* The visitor as the cache has them now (NULL: nobody). What the agent is typing in a field
 * stays; the fields they did not touch follow the visitor. */
void confab_visitor_contact_set_visitor (ConfabVisitorContact *self,
                                         ConfabVisitor        *visitor);

G_END_DECLS
