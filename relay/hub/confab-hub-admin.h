/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-admin.h: what the hub does when an admin changes a site (confab-hub-admin.c):
 * the live `site`, `canned`, `faqs` and `members` frames every connected member of the site
 * gets, and the sockets a deleted site or a rotated key ends. None of these frames is
 * persisted: an app that connects later reads the same from the REST API. */
#pragma once

#include "confab-hub.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The site key was rotated: open visitor sockets of the site close with 4010 (the widget must
 * not reconnect with the old key). */
#define CONFAB_CLOSE_SITE_KEY_ROTATED 4010

/* {"type":"site","site":SITE} to every agent socket of the site, SITE as GET
 * /api/v1/sites/{id} answers it with the receiving user's role. */
void       confab_hub_push_site         (ConfabHub   *hub,
                                         const char  *site_id);
/* {"type":@type,"site_id":@site_id,@type:@list} to every agent socket of the site; @list is
 * the whole list as the matching GET answers it (taken). A list longer than half of
 * [websocket] send-queue-bytes goes as null: the apps read it over REST. */
void       confab_hub_push_list         (ConfabHub   *hub,
                                         const char  *site_id,
                                         const char  *type,
                                         JsonArray   *list);
/* The site's key changed: its visitor sockets close (4010), members hear of the new key. */
void       confab_hub_site_key_rotated  (ConfabHub   *hub,
                                         const char  *site_id);
/* @site_id is gone from the store: its visitor sockets close (1008) without a word to the
 * store, and the sockets of @member_ids (its members before, char*) get a `sites` frame
 * without it and hear nothing of it any more. */
void       confab_hub_site_deleted      (ConfabHub   *hub,
                                         const char  *site_id,
                                         GPtrArray   *member_ids);

/* Whether a page of @origin may talk to @site: any when the site lists no domains; else a
 * host listed ("example.com", any port), a subdomain of a "*.example.com" (not the bare
 * domain), or a host on the port a pattern names ("example.com:8443"). NULL never. */
gboolean   confab_hub_origin_allowed    (const ConfabSite *site,
                                         const char       *origin);

G_END_DECLS
