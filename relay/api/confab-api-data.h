/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-data.h: the site's data duties over REST (issue 10) — the audit log, finding,
 * exporting, deleting and blocking visitors (confab-api-data.c) — and the one call that writes
 * an audit entry. */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* Appends an audit entry of @site_id: @actor did @action ("member.added", "site.key_rotated"…)
 * to the target (@target_type NULL: none), with @details (may be NULL) and the keyed hash of
 * the address @msg came from (@msg NULL: none). @actor NULL: the relay itself. A failure is
 * logged, never answered: the action it records has happened. */
void     confab_audit                   (ConfabRelay       *relay,
                                         SoupServerMessage *msg,
                                         const ConfabUser  *actor,
                                         const char        *site_id,
                                         const char        *action,
                                         const char        *target_type,
                                         const char        *target_id,
                                         const char        *target_name,
                                         JsonObject        *details);

/* /sites/{id}/audit, /sites/{id}/visitors, /sites/{id}/blocks */
gboolean confab_api_data_is_site_resource (const char     *name);
void     confab_api_data_site_resource  (ConfabApiCall    *call,
                                         ConfabSite       *site,
                                         char            **rest);
/* /visitors/{id}/export (GET), /visitors/{id} (DELETE), /visitors/{id}/block (POST, DELETE):
 * @visitor is of a site of the caller's; @rest what follows its id. */
void     confab_api_visitor_data        (ConfabApiCall    *call,
                                         ConfabVisitor    *visitor,
                                         char            **rest);

/* DELETE /visitors/{id}/block of a visitor whose data was deleted: the block stays (on their
 * address) until lifted here. 404 when there is none on a site of the caller's. */
void     confab_api_unblock_deleted     (ConfabApiCall    *call,
                                         const char       *visitor_id);

G_END_DECLS
