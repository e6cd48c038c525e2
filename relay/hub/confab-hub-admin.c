/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-admin.c: site changes pushed to the team's sockets, sockets ended by a deleted
 * site or a rotated key, and assign-on-reply (see confab-hub-admin.h) */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-admin.h"
#include "confab-hub-private.h"
#include "confab-hub-cluster.h"

#include <string.h>

/* The agent sockets of @site_id that may still hear something, as a list of their own:
 * sending may close a slow one, which edits the index. */
static GPtrArray *
site_agents_snapshot (ConfabHub  *hub,
                      const char *site_id)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  GPtrArray *snapshot = g_ptr_array_new ();

  for (guint i = 0; agents && i < agents->len; i++)
    if (!((Client *) g_ptr_array_index (agents, i))->closing)
      g_ptr_array_add (snapshot, g_ptr_array_index (agents, i));
  return snapshot;
}

void
confab_hub_push_site (ConfabHub  *hub,
                      const char *site_id)
{
  g_autoptr (GPtrArray) agents = site_agents_snapshot (hub, site_id);
  g_autoptr (GHashTable) texts = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GError) error = NULL;

  if (agents->len == 0)
    return;

  site = confab_store_get_site (hub->relay->store, site_id, &error);
  if (site == NULL)
    {
      g_warning ("Cannot tell the team of a site change: %s", error->message);
      return;
    }

  /* one frame per user (it names their role), whatever the number of their sockets */
  texts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);
      const char *text = g_hash_table_lookup (texts, agent->user_id);

      if (text == NULL)
        {
          g_autoptr (JsonObject) frame = confab_frame_new ("site");
          char *built;

          site->role = confab_store_get_role (hub->relay->store, site_id, agent->user_id);
          if (site->role == CONFAB_ROLE_NONE)
            continue;
          {
            JsonObject *object = confab_site_to_json (site);

            confab_site_set_max_chats (hub->relay->store, object, site_id, agent->user_id);
            json_object_set_object_member (frame, "site", object);
          }
          built = confab_frame_to_string (frame);
          g_hash_table_insert (texts, agent->user_id, built);
          text = built;
        }
      client_send_text (agent, text);
    }
}

/* @frame's text, or null in place of its list when that would fill half of a socket's send
 * queue: every socket of the site would be closed as a slow reader (4008) at every change, so
 * those get null, "read it over REST". */
static char *
push_list_text (ConfabHub  *hub,
                JsonObject *frame,
                const char *type)
{
  char *text = confab_frame_to_string (frame);

  if (strlen (text) > hub->relay->config->send_queue_bytes / 2)
    {
      g_message ("The %s list of a site is too long to push (%zu bytes): sent as null",
                 type, strlen (text));
      json_object_set_null_member (frame, type);
      g_free (text);
      text = confab_frame_to_string (frame);
    }
  return text;
}

void
confab_hub_push_list (ConfabHub  *hub,
                      const char *site_id,
                      const char *type,
                      JsonArray  *list)
{
  g_autoptr (GPtrArray) agents = site_agents_snapshot (hub, site_id);
  g_autoptr (JsonObject) frame = confab_frame_new (type);
  g_autofree char *text = NULL;
  g_autofree char *agent_text = NULL;
  gboolean redact = strcmp (type, "members") == 0;

  json_object_set_string_member (frame, "site_id", site_id);
  json_object_set_array_member (frame, type, list);
  {
    g_autoptr (JsonObject) told = confab_frame_new ("push_list");

    json_object_set_string_member (told, "site_id", site_id);
    json_object_set_string_member (told, "list_type", type);
    json_object_set_array_member (told, "list", json_array_ref (list));
    hub_cluster_tell (hub, site_id, told);
  }
  if (agents->len == 0)
    return;

  text = push_list_text (hub, frame, type);
  /* Agents may not list the team over REST (GET …/members is for admins): they get its names,
   * roles and presence for assigning, never the members' e-mail addresses. */
  if (redact && !json_object_get_null_member (frame, type))
    {
      g_autoptr (JsonObject) copy = confab_frame_new (type);
      JsonArray *names = json_array_new ();

      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *member = json_array_get_object_element (list, i);
          JsonObject *shown = json_object_new ();
          g_autoptr (GList) keys = json_object_get_members (member);

          for (GList *l = keys; l != NULL; l = l->next)
            if (strcmp (l->data, "email") != 0)
              json_object_set_member (shown, l->data,
                                      json_node_copy (json_object_get_member (member, l->data)));
          json_array_add_object_element (names, shown);
        }
      json_object_set_string_member (copy, "site_id", site_id);
      json_object_set_array_member (copy, type, names);
      agent_text = push_list_text (hub, copy, type);
    }

  for (guint i = 0; i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);
      const char *sent = text;

      if (agent_text != NULL &&
          confab_store_get_role (hub->relay->store, site_id, agent->user_id) < CONFAB_ROLE_ADMIN)
        sent = agent_text;
      client_send_text (agent, sent);
    }
}

/* Visitor sockets of @site_id, before and after their hello. */
static GPtrArray *
site_visitor_sockets (ConfabHub  *hub,
                      const char *site_id)
{
  GPtrArray *sockets = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_VISITOR && !client->closing &&
          g_strcmp0 (client->site_id, site_id) == 0)
        g_ptr_array_add (sockets, client);
    }
  return sockets;
}

void
confab_hub_site_key_rotated (ConfabHub  *hub,
                             const char *site_id)
{
  g_autoptr (GPtrArray) visitors = site_visitor_sockets (hub, site_id);

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("site_key_rotated");

    json_object_set_string_member (frame, "site_id", site_id);
    hub_cluster_tell (hub, NULL, frame);
  }

  /* The visitors themselves stay stored: their departure is recorded as for any other. The
   * widget reads 4010 as "stop": its page still carries the old key. */
  for (guint i = 0; i < visitors->len; i++)
    client_close (g_ptr_array_index (visitors, i), CONFAB_CLOSE_SITE_KEY_ROTATED, "site key rotated");

  confab_hub_push_site (hub, site_id);
}

void
confab_hub_site_deleted (ConfabHub  *hub,
                         const char *site_id,
                         GPtrArray  *member_ids)
{
  g_autoptr (GPtrArray) visitors = site_visitor_sockets (hub, site_id);

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("site_deleted");
    JsonArray *ids = json_array_new ();

    for (guint i = 0; member_ids && i < member_ids->len; i++)
      json_array_add_string_element (ids, g_ptr_array_index (member_ids, i));
    json_object_set_string_member (frame, "site_id", site_id);
    json_object_set_array_member (frame, "member_ids", ids);
    hub_cluster_tell (hub, NULL, frame);
  }

  /* Their visitors are gone from the store: the sockets leave the hub's indexes now, so that
   * closing them records no departure (and warns of no lost event) for a visitor that is not
   * there any more. */
  for (guint i = 0; i < visitors->len; i++)
    {
      Client *visitor = g_ptr_array_index (visitors, i);

      if (visitor->visitor_id != NULL)
        {
          index_remove (hub->visitor_tabs, visitor->visitor_id, visitor);
          index_remove (hub->site_visitors, visitor->site_id, visitor);
          g_clear_pointer (&visitor->visitor_id, g_free);
        }
      g_clear_pointer (&visitor->conversation_id, g_free);
      g_clear_pointer (&visitor->pending_preview, g_free);
      g_clear_handle_id (&visitor->preview_source, g_source_remove);
      client_close (visitor, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "site deleted");
    }
  visitor_updates_drop_site (hub, site_id);

  /* its members' sockets move out of its room and get their `sites` frame without it */
  for (guint i = 0; member_ids && i < member_ids->len; i++)
    confab_hub_memberships_changed (hub, g_ptr_array_index (member_ids, i));
  g_hash_table_remove (hub->site_online, site_id);
}

/* --- assign on reply --- */

gboolean
assign_on_reply (Client              *client,
                 ConfabConversation **conversation,
                 GError             **error)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabConversation) updated = NULL;

  /* Only the first reply of an unassigned conversation reads the site: every later message
   * costs this comparison. */
  if (client->kind != CLIENT_AGENT || (*conversation)->assignee_id != NULL)
    return TRUE;

  site = confab_store_get_site (store, (*conversation)->site_id, error);
  if (site == NULL)
    return FALSE;
  if (!settings_flag (site, "assign_on_reply", TRUE))
    return TRUE;

  updated = confab_store_set_assignee (store, (*conversation)->id, client->user_id, error);
  if (updated == NULL || !announce_conversation (client->hub, updated, error) ||
      !record_conversation_change (client->hub, *conversation, updated, client->user_id,
                                   client->user_name, error))
    return FALSE;

  confab_conversation_free (*conversation);
  *conversation = g_steal_pointer (&updated);
  return TRUE;
}
