/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sites.h: deleting a site with everything of it, and rotating its key
 * (confab-store-sites.c). */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* Deletes @site_id and, in the same transaction, every row of it: members, visitors and their
 * page views, conversations, messages, events, ratings, offline messages, FAQs, canned
 * responses, upload rows and its audit trail. Accounts it leaves without any site that were only
 * invited to it go too. *@out_files gets the SHA-256 names of its uploads' files (char*; another
 * site may still use a file: confab_store_upload_file_used()), *@out_member_ids the ids of its
 * members (char*). NOT_FOUND when there is no such site. */
gboolean     confab_store_delete_site     (ConfabStore  *store,
                                           const char   *site_id,
                                           GPtrArray   **out_files,
                                           GPtrArray   **out_member_ids,
                                           GError      **error);
/* A new site key for @site_id; the old one matches no site from then on. The site as it is
 * now (role unset). NOT_FOUND. */
ConfabSite  *confab_store_rotate_site_key (ConfabStore  *store,
                                           const char   *site_id,
                                           GError      **error);

G_END_DECLS
