/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-data.h: what the site's data duties (issue 10) do to live connections — deleting a
 * visitor's data, purging old conversations, blocking a visitor (confab-hub-data.c) */
#pragma once

#include "confab-hub.h"

G_BEGIN_DECLS

/* The visitor is blocked: their hello is refused with error "blocked" and this close code, and
 * the widget does not reconnect. */
#define CONFAB_CLOSE_BLOCKED 4011

/* Deletes the visitor and all their data (confab_store_delete_visitor()) and tells the site's
 * agents with a persisted "visitor_deleted" event; the visitor's open tabs are closed (1000:
 * they reconnect as a new visitor) and upload files no row names are removed from disk.
 * NOT_FOUND. */
gboolean confab_hub_delete_visitor      (ConfabHub   *hub,
                                         const char  *visitor_id,
                                         GError     **error);
/* One slice of a long history before confab_hub_delete_visitor() (confab_store_trim_visitor_
 * messages(), as one unit of the hub's batch); the visitor's tabs are closed first, so that
 * nothing is added meanwhile. */
gboolean confab_hub_trim_visitor        (ConfabHub   *hub,
                                         const char  *visitor_id,
                                         guint        max_rows,
                                         gboolean    *out_more,
                                         GError     **error);
/* Purges about @max_rows rows' worth of @site_id's resolved/closed conversations older than
 * @cutoff_ms (confab_store_purge_conversations()) and tells the site's agents with a persisted
 * "conversations_purged" event; their upload files are removed. *@out_more: whether any is
 * left. Returns how many conversations went, -1 on error. */
gint64   confab_hub_purge_conversations (ConfabHub   *hub,
                                         const char  *site_id,
                                         gint64       cutoff_ms,
                                         guint        max_rows,
                                         gboolean    *out_more,
                                         GError     **error);
/* Closes (4011, after an error "blocked") the open tabs of @visitor_id and every visitor
 * connection of @site_id from the address hash @ip_hash (may be NULL). */
void     confab_hub_visitor_blocked     (ConfabHub   *hub,
                                         const char  *site_id,
                                         const char  *visitor_id,
                                         const char  *ip_hash);
G_END_DECLS
