/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-retention.c: purges what a site keeps no longer. A run lists the sites with a
 * retention, then purges one batch of one site per main-loop turn (at low priority, so that
 * live traffic goes first; about CONFAB_RETENTION_BATCH messages each) until none is left;
 * each site's purge ends with one audit entry "retention.purged" with the count. Runs start
 * when the relay does and every 24 hours. */
#define G_LOG_DOMAIN "confab-retention"

#include "confab-retention.h"
#include "confab-api-data.h"
#include "confab-hub-data.h"
#include "confab-store-data.h"
#include "confab-util.h"

#define RUN_INTERVAL_S   (24 * 60 * 60)
/* After a failed batch (another process holds the database's lock, a full disk) */
#define RETRY_INTERVAL_S 60
#define DAY_MS           (24 * 60 * 60 * (gint64) 1000)

struct _ConfabRetention
{
  ConfabRelay *relay;
  guint        first;       /* the run at start */
  guint        daily;       /* the 24-hour timer */
  guint        step;        /* the batch source of a run in progress */
  GQueue       sites;       /* char* site ids still to purge in this run */
  GHashTable  *days;        /* site id → retention in days, for this run */
  gint64       started_ms;  /* the run's "now": every batch of it uses the same cutoff */
  gint64       purged;      /* of the site at the head of @sites, so far */
  guint        batches;     /* of that site, and the time they took (µs) */
  gint64       busy_us;
  gint64       slowest_us;
};

static gboolean run_step (gpointer user_data);

static void
finish_site (ConfabRetention *retention)
{
  g_autofree char *site_id = g_queue_pop_head (&retention->sites);

  if (retention->purged > 0)
    {
      g_autoptr (JsonObject) details = json_object_new ();

      json_object_set_int_member (details, "conversations", retention->purged);
      json_object_set_int_member (details, "retention_days",
                                  GPOINTER_TO_INT (g_hash_table_lookup (retention->days, site_id)));
      confab_audit (retention->relay, NULL, NULL, site_id, "retention.purged", NULL, NULL, NULL,
                    details);
      g_message ("Retention purged %" G_GINT64_FORMAT " conversation(s) of site %s in %u "
                 "batch(es): %" G_GINT64_FORMAT " ms in all, the slowest %" G_GINT64_FORMAT " ms",
                 retention->purged, site_id, retention->batches, retention->busy_us / 1000,
                 retention->slowest_us / 1000);
    }
  retention->purged = 0;
  retention->batches = 0;
  retention->busy_us = retention->slowest_us = 0;
}

static gboolean
run_step (gpointer user_data)
{
  ConfabRetention *retention = user_data;
  g_autoptr (GError) error = NULL;
  const char *site_id = g_queue_peek_head (&retention->sites);
  gint64 days, purged, started;
  gboolean more = FALSE;

  if (site_id == NULL)
    {
      retention->step = 0;
      g_clear_pointer (&retention->days, g_hash_table_unref);
      return G_SOURCE_REMOVE;
    }

  days = GPOINTER_TO_INT (g_hash_table_lookup (retention->days, site_id));
  started = g_get_monotonic_time ();
  purged = confab_hub_purge_conversations (retention->relay->hub, site_id,
                                           retention->started_ms - days * DAY_MS,
                                           CONFAB_RETENTION_BATCH, &more, &error);
  started = g_get_monotonic_time () - started;
  if (purged < 0)
    {
      /* the site may have been deleted meanwhile; anything else is tried again later */
      g_warning ("Retention purge of site %s failed, retrying in %d s: %s", site_id,
                 RETRY_INTERVAL_S, error->message);
      retention->step = g_timeout_add_seconds_full (G_PRIORITY_LOW, RETRY_INTERVAL_S, run_step,
                                                    retention, NULL);
      return G_SOURCE_REMOVE;
    }

  retention->purged += purged;
  retention->batches++;
  retention->busy_us += started;
  retention->slowest_us = MAX (retention->slowest_us, started);
  if (!more)
    finish_site (retention);
  return G_SOURCE_CONTINUE;
}

static gboolean
run_start (gpointer user_data)
{
  ConfabRetention *retention = user_data;
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  /* a run still going (a huge backlog) goes on; the next one starts a day later */
  if (retention->step != 0)
    return G_SOURCE_CONTINUE;

  retention->days = confab_store_list_retention_sites (retention->relay->store, &error);
  if (retention->days == NULL)
    {
      g_warning ("Cannot start the retention purge: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  retention->started_ms = confab_now_ms ();
  g_hash_table_iter_init (&iter, retention->days);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_queue_push_tail (&retention->sites, g_strdup (key));
  retention->step = g_idle_add_full (G_PRIORITY_LOW, run_step, retention, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
first_run (gpointer user_data)
{
  ConfabRetention *retention = user_data;

  retention->first = 0;
  run_start (retention);
  return G_SOURCE_REMOVE;
}

ConfabRetention *
confab_retention_new (ConfabRelay *relay)
{
  ConfabRetention *retention = g_new0 (ConfabRetention, 1);

  retention->relay = relay;
  g_queue_init (&retention->sites);
  /* once the main loop runs, then daily */
  retention->first = g_idle_add_full (G_PRIORITY_LOW, first_run, retention, NULL);
  retention->daily = g_timeout_add_seconds (RUN_INTERVAL_S, run_start, retention);
  return retention;
}

void
confab_retention_free (ConfabRetention *retention)
{
  if (retention == NULL)
    return;
  g_clear_handle_id (&retention->first, g_source_remove);
  g_clear_handle_id (&retention->daily, g_source_remove);
  g_clear_handle_id (&retention->step, g_source_remove);
  g_queue_clear_full (&retention->sites, g_free);
  g_clear_pointer (&retention->days, g_hash_table_unref);
  g_free (retention);
}
