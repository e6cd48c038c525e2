/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-sites.c: DELETE /sites/{id} and POST /sites/{id}/key — the two site actions
 * that end live connections */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-sites.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-sites.h"
#include "confab-uploads.h"

void
confab_api_site_delete (ConfabApiCall *call,
                        ConfabSite    *site)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) member_ids = NULL;
  g_autoptr (GError) error = NULL;

  if (site->role != CONFAB_ROLE_OWNER)
    return confab_api_forbidden (call, "Only the site's owners can delete it");

  if (!confab_store_delete_site (call->relay->store, site->id, &files, &member_ids, &error))
    return confab_http_gerror (call->msg, error);

  /* Its audit trail went with it (nobody could read it any more); the relay's log keeps that
   * it happened, and who did it. */
  g_message ("Site %s deleted by user %s", site->id, call->user->id);

  confab_hub_site_deleted (call->relay->hub, site->id, member_ids);
  confab_uploads_remove_unused_files (call->relay, files);
  confab_api_no_content (call);
}

static void
site_rotate_key (ConfabApiCall *call,
                 ConfabSite    *site)
{
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_api_require_admin (call, site->role))
    return;

  updated = confab_store_rotate_site_key (call->relay->store, site->id, &error);
  if (updated == NULL)
    return confab_http_gerror (call->msg, error);
  updated->role = site->role;

  /* the keys themselves stay out of the trail: the new one is in the answer, the old is void */
  confab_api_audit (call, site->id, "site.key_rotated", "site", site->id, updated->name, NULL);
  confab_hub_site_key_rotated (call->relay->hub, site->id);

  answer = confab_site_to_json (updated);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_site_key (ConfabApiCall  *call,
                     ConfabSite     *site,
                     char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");
  site_rotate_key (call, site);
}
