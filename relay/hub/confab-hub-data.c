/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-data.c: the live side of the site's data duties (issue 10). A deleted visitor or
 * a purged conversation disappears from the agents' views through a persisted event (an agent
 * that was offline learns it on resume, and the deleted events themselves are gone from the
 * log); a blocked visitor's connections are refused politely and for good. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-data.h"
#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-store-data.h"
#include "confab-uploads.h"

#include <errno.h>
#include <glib/gstdio.h>

#define BLOCKED_MESSAGE "This chat is not available."

/* The files of uploads no row names any more: wherever confab-uploads.c keeps them
 * (<data-dir>/uploads, a shared [uploads] dir, or the database). */
static void
remove_upload_files (ConfabHub *hub,
                     GPtrArray *sha256s)
{
  confab_uploads_remove_unused_files (hub->relay, sha256s);
}

static JsonArray *
strings_to_json (GPtrArray *strings)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strings != NULL && i < strings->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (strings, i));
  return array;
}

static void
close_client (Client     *client,
              gushort     code,
              const char *reason)
{
  if (client->closing)
    return;
  client->closing = TRUE;
  confab_websocket_close (client->ws, code, reason);
}

/* Takes the visitor's tabs out of the hub before they close, so that their closing announces
 * no departure (the visitor is gone, or must not be heard of again). */
static GPtrArray *
detach_tabs (ConfabHub  *hub,
             const char *visitor_id)
{
  GPtrArray *tabs = index_get (hub->visitor_tabs, visitor_id);
  GPtrArray *detached = g_ptr_array_new ();

  for (guint i = 0; tabs != NULL && i < tabs->len; i++)
    g_ptr_array_add (detached, g_ptr_array_index (tabs, i));
  for (guint i = 0; i < detached->len; i++)
    {
      Client *tab = g_ptr_array_index (detached, i);

      index_remove (hub->visitor_tabs, tab->visitor_id, tab);
      index_remove (hub->site_visitors, tab->site_id, tab);
      g_clear_pointer (&tab->visitor_id, g_free);
      g_clear_pointer (&tab->conversation_id, g_free);
    }
  g_hash_table_remove (hub->visitor_updates, visitor_id);
  return detached;
}

gboolean
confab_hub_delete_visitor (ConfabHub   *hub,
                           const char  *visitor_id,
                           GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GPtrArray) offline = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (JsonObject) frame = NULL;

  if ((visitor = confab_store_get_visitor (store, visitor_id, error)) == NULL)
    return FALSE;

  if (!hub_begin (hub, error))
    return FALSE;
  if (!confab_store_delete_visitor (store, visitor->id, &conversations, &offline, &files, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  frame = confab_frame_new ("visitor_deleted");
  json_object_set_string_member (frame, "site_id", visitor->site_id);
  json_object_set_string_member (frame, "visitor_id", visitor->id);
  json_object_set_array_member (frame, "conversation_ids", strings_to_json (conversations));
  json_object_set_array_member (frame, "offline_message_ids", strings_to_json (offline));
  if (!persist_event (hub, visitor->site_id, "visitor_deleted", NULL, frame, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);

  /* only once the deletion is durable: a file is never missing for a row that stayed */
  remove_upload_files (hub, files);

  hub_close_deleted_visitor (hub, visitor->id);
  return TRUE;
}

void
hub_close_deleted_visitor (ConfabHub  *hub,
                           const char *visitor_id)
{
  g_autoptr (GPtrArray) tabs = NULL;

  /* A tab still open would go on writing to a visitor that is no more: it reconnects with
   * the old id and token, which are unknown now, and starts afresh as a new visitor. (On
   * other relays, the log's visitor_deleted event does the same: confab-hub-cluster.c.) */
  tabs = detach_tabs (hub, visitor_id);
  for (guint i = 0; i < tabs->len; i++)
    close_client (g_ptr_array_index (tabs, i), SOUP_WEBSOCKET_CLOSE_NORMAL, "visitor deleted");
}

gboolean
confab_hub_trim_visitor (ConfabHub   *hub,
                         const char  *visitor_id,
                         guint        max_rows,
                         gboolean    *out_more,
                         GError     **error)
{
  g_autoptr (GPtrArray) tabs = detach_tabs (hub, visitor_id);

  for (guint i = 0; i < tabs->len; i++)
    close_client (g_ptr_array_index (tabs, i), SOUP_WEBSOCKET_CLOSE_NORMAL, "visitor deleted");

  if (!hub_begin (hub, error))
    return FALSE;
  if (!confab_store_trim_visitor_messages (hub->relay->store, visitor_id, max_rows, out_more, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);
  return TRUE;
}

gint64
confab_hub_purge_conversations (ConfabHub   *hub,
                                const char  *site_id,
                                gint64       cutoff_ms,
                                guint        max_rows,
                                gboolean    *out_more,
                                GError     **error)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (JsonObject) frame = NULL;
  gint64 purged;

  if (!hub_begin (hub, error))
    return -1;
  purged = confab_store_purge_conversations (hub->relay->store, site_id, cutoff_ms, max_rows, out_more,
                                             &ids, &files, error);
  if (purged < 0)
    {
      hub_rollback (hub);
      return -1;
    }
  if (purged > 0)
    {
      frame = confab_frame_new ("conversations_purged");
      json_object_set_string_member (frame, "site_id", site_id);
      json_object_set_array_member (frame, "conversation_ids", strings_to_json (ids));
      if (!persist_event (hub, site_id, "conversations_purged", NULL, frame, error))
        {
          hub_rollback (hub);
          return -1;
        }
    }
  if (!hub_commit (hub, error))
    return -1;
  hub_flush (hub);
  remove_upload_files (hub, files);

  /* a purged conversation is nobody's current one any more */
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    {
      GPtrArray *tabs = index_get (hub->site_visitors, site_id);

      for (guint j = 0; tabs != NULL && j < tabs->len; j++)
        {
          Client *tab = g_ptr_array_index (tabs, j);

          if (g_strcmp0 (tab->conversation_id, g_ptr_array_index (ids, i)) == 0)
            g_clear_pointer (&tab->conversation_id, g_free);
        }
    }
  return purged;
}

void
hub_refuse_blocked (Client *client)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("error");

  json_object_set_string_member (frame, "code", "blocked");
  json_object_set_string_member (frame, "message", BLOCKED_MESSAGE);
  client_send (client, frame);
  close_client (client, CONFAB_CLOSE_BLOCKED, "blocked");
}

void
confab_hub_visitor_blocked (ConfabHub  *hub,
                            const char *site_id,
                            const char *visitor_id,
                            const char *ip_hash)
{
  g_autoptr (GPtrArray) refused = g_ptr_array_new ();
  GPtrArray *site_tabs = index_get (hub->site_visitors, site_id);

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("visitor_blocked");

    json_object_set_string_member (frame, "site_id", site_id);
    json_object_set_string_member (frame, "visitor_id", visitor_id);
    if (ip_hash != NULL)
      json_object_set_string_member (frame, "ip_hash", ip_hash);
    hub_cluster_tell (hub, site_id, frame);
  }

  for (guint i = 0; site_tabs != NULL && i < site_tabs->len; i++)
    {
      Client *tab = g_ptr_array_index (site_tabs, i);

      if (g_strcmp0 (tab->visitor_id, visitor_id) == 0 ||
          (ip_hash != NULL && g_strcmp0 (tab->ip_hash, ip_hash) == 0))
        g_ptr_array_add (refused, tab);
    }

  /* their departure is told as any other (the visitor stays, only blocked) */
  for (guint i = 0; i < refused->len; i++)
    hub_refuse_blocked (g_ptr_array_index (refused, i));
}
