/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-leads.c: the lead score of a visitor who sits on a page kept current (issue 16).
 *
 * The score counts minutes on the site (confab-engage.c), which grow while the visitor does
 * nothing at all; scored only when something happened (a page view, a message, a goal), it
 * stood still for such a visitor, in the visitor list and in its order (sort=lead_score reads
 * the stored score). Here each visitor with a tab on this relay is scored again when the next
 * whole minute of their time on site is due, until the score counts no more time (ten minutes):
 * at most ten looks per visit, a changed score stored and told to the agents. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-leads.h"
#include "confab-hub-private.h"
#include "confab-engage.h"
#include "confab-targets.h"

/* How often due visitors are looked for: the score moves by whole minutes */
#define LEADS_TICK_MS    (15 * 1000)
/* The score counts time on site up to this much (confab_lead_score ()) */
#define LEADS_TIME_CAP_S (10 * 60)

struct _HubLeads
{
  GHashTable *due;      /* visitor id → gint64* (confab_clock_now_ms () time; G_MAXINT64: never) */
  guint       tick;
};

static gboolean
on_tick (gpointer user_data)
{
  confab_hub_refresh_lead_scores (user_data);
  return G_SOURCE_CONTINUE;
}

void
hub_leads_init (ConfabHub *hub)
{
  hub->leads = g_new0 (HubLeads, 1);
  hub->leads->due = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  hub->leads->tick = g_timeout_add (LEADS_TICK_MS, on_tick, hub);
}

void
hub_leads_free (ConfabHub *hub)
{
  if (hub->leads == NULL)
    return;
  g_clear_handle_id (&hub->leads->tick, g_source_remove);
  g_hash_table_unref (hub->leads->due);
  g_clear_pointer (&hub->leads, g_free);
}

void
confab_hub_refresh_lead_scores (ConfabHub *hub)
{
  HubLeads *leads = hub->leads;
  ConfabStore *store = hub->relay->store;
  gint64 now = confab_clock_now_ms ();
  g_autoptr (GPtrArray) visitor_ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  if (leads == NULL)
    return;

  /* visitors whose last tab here closed: their time stopped (and a new visit starts afresh) */
  g_hash_table_iter_init (&iter, leads->due);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (index_get (hub->visitor_tabs, key) == NULL)
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, hub->visitor_tabs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 *due = g_hash_table_lookup (leads->due, key);

      if (((GPtrArray *) value)->len > 0 && (due == NULL || *due <= now))
        g_ptr_array_add (visitor_ids, g_strdup (key));
    }

  for (guint i = 0; i < visitor_ids->len; i++)
    {
      const char *visitor_id = g_ptr_array_index (visitor_ids, i);
      g_autoptr (ConfabVisitor) visitor = NULL;
      g_autoptr (GError) error = NULL;
      gboolean changed = FALSE;
      gint64 seconds = 0;
      gint64 *next = g_new (gint64, 1);

      visitor = confab_store_get_visitor (store, visitor_id, &error);
      if (visitor == NULL ||
          !confab_engage_refresh_lead_score (store, visitor, TRUE, &changed, &seconds, &error))
        {
          /* looked at again on the next tick */
          if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
            g_warning ("Cannot score visitor %s again: %s", visitor_id, error->message);
          g_free (next);
          continue;
        }
      if (changed)
        visitor_changed (hub, visitor->site_id, visitor->id);
      /* the next whole minute on the site, while minutes still count */
      *next = seconds >= LEADS_TIME_CAP_S ? G_MAXINT64 : now + (60 - seconds % 60) * 1000;
      g_hash_table_replace (leads->due, g_strdup (visitor_id), next);
    }
}
