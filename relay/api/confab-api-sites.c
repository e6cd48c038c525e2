/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-sites.c: DELETE /sites/{id} and POST /sites/{id}/key — the two site actions
 * that end live connections */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-sites.h"
#include "confab-hub.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-sites.h"
#include "confab-uploads.h"

/* A removal step deletes at most STEP_ROWS rows (conversations, then visitors) and starts no
 * further one after STEP_BUDGET_US; one step every STEP_INTERVAL_MS leaves the loop to everyone
 * else. */
#define STEP_ROWS        100
#define STEP_BUDGET_US   (20 * 1000)
#define STEP_INTERVAL_MS 10
#define BUSY_RETRY_MS    1000

typedef struct {
  ConfabRelay *relay;
  char        *site_id;
} Removal;

static void
removal_free (gpointer data)
{
  Removal *removal = data;

  g_free (removal->site_id);
  g_free (removal);
}

static void schedule_removal (ConfabRelay *relay,
                              const char  *site_id,
                              guint        delay_ms);

/* One step of removing a retired site's rows, in a transaction of its own. */
static gboolean
removal_step (gpointer user_data)
{
  Removal *removal = user_data;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gboolean done = FALSE;

  /* what the hub has open goes first: a step is never part of its batch */
  confab_hub_sync (removal->relay->hub);
  if (!confab_store_delete_site_step (removal->relay->store, removal->site_id, STEP_ROWS,
                                      STEP_BUDGET_US, files, &done, &error))
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        schedule_removal (removal->relay, removal->site_id, BUSY_RETRY_MS);
      else
        g_warning ("Cannot finish removing site %s (the next start goes on): %s",
                   removal->site_id, error->message);
      return G_SOURCE_REMOVE;
    }

  confab_uploads_remove_unused_files (removal->relay, files);
  if (done)
    {
      g_message ("Site %s removed", removal->site_id);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
schedule_removal (ConfabRelay *relay,
                  const char  *site_id,
                  guint        delay_ms)
{
  Removal *removal = g_new0 (Removal, 1);

  removal->relay = relay;
  removal->site_id = g_strdup (site_id);
  g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (delay_ms, STEP_INTERVAL_MS), removal_step, removal,
                      removal_free);
}

void
confab_api_sites_resume_removals (ConfabRelay *relay)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) retired = confab_store_list_retired_sites (relay->store, &error);

  if (retired == NULL)
    {
      g_warning ("Cannot look for deleted sites to remove: %s", error->message);
      return;
    }
  for (guint i = 0; i < retired->len; i++)
    {
      g_message ("Removing what is left of deleted site %s", (char *) g_ptr_array_index (retired, i));
      schedule_removal (relay, g_ptr_array_index (retired, i), 0);
    }
}

void
confab_api_site_delete (ConfabApiCall *call,
                        ConfabSite    *site)
{
  g_autoptr (GPtrArray) member_ids = NULL;
  g_autoptr (GError) error = NULL;

  if (site->role != CONFAB_ROLE_OWNER)
    return confab_api_forbidden (call, "Only the site's owners can delete it");

  /* Gone for everyone at once; its rows follow in steps (confab-store-sites.h). */
  if (!confab_store_retire_site (call->relay->store, site->id, &member_ids, &error))
    return confab_http_gerror (call->msg, error);

  /* Its audit trail went with it (nobody could read it any more); the relay's log keeps that
   * it happened, and who did it. */
  g_message ("Site %s deleted by user %s", site->id, call->user->id);

  confab_hub_site_deleted (call->relay->hub, site->id, member_ids);
  schedule_removal (call->relay, site->id, 0);
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
