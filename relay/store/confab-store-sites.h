/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-sites.h: deleting a site with everything of it, and rotating its key
 * (confab-store-sites.c).
 *
 * A site is deleted in two stages, so that a big one never holds the main loop for seconds: it
 * is first retired in one short transaction — nobody is its member any more, it is disabled and
 * its key is replaced by the marker "deleted:<id>", so that no key, REST call or socket reaches
 * it — and its rows then go in small steps, each a transaction of its own. A relay stopped in
 * between finds the retired sites at its next start and goes on. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* Retires @site_id: its memberships, its audit trail and accounts only invited to it go, it is
 * disabled and marked. *@out_member_ids gets the ids of its members before (char*). NOT_FOUND
 * when there is no such site, or it is retired already. */
gboolean     confab_store_retire_site       (ConfabStore  *store,
                                             const char   *site_id,
                                             GPtrArray   **out_member_ids,
                                             GError      **error);
/* One step of removing a retired site: at most @limit of its conversations (with their
 * messages, events, ratings and uploads), else its uploads and at most @limit of its visitors,
 * else the site row with what is left (FAQs, canned responses, offline messages, the remaining
 * events); no further row once @budget_us has passed (at least one goes). Appends the SHA-256
 * names of the upload files whose rows went to @files (another site may still use one:
 * confab_store_upload_file_used()). *@out_done once the site is gone. */
gboolean     confab_store_delete_site_step  (ConfabStore  *store,
                                             const char   *site_id,
                                             guint         limit,
                                             gint64        budget_us,
                                             GPtrArray    *files,
                                             gboolean     *out_done,
                                             GError      **error);
/* The ids of retired sites not removed yet (char*). */
GPtrArray   *confab_store_list_retired_sites (ConfabStore *store,
                                             GError     **error);
/* A new site key for @site_id; the old one matches no site from then on. The site as it is
 * now (role unset). NOT_FOUND. */
ConfabSite  *confab_store_rotate_site_key   (ConfabStore  *store,
                                             const char   *site_id,
                                             GError      **error);

G_END_DECLS
