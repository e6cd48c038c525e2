/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-cluster.c: the hub on several relays. After each group commit the other relays hear
 * on the Redis bus that the log grew; each reads the log from its own cursor and delivers what it
 * finds to its clients as if it had been made here. Live-only frames (typing, read receipts,
 * presence) and the changes admins make travel on the bus as they are. relay/cluster/README.md
 * has the whole plan. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-cluster.h"
#include "confab-hub-admin.h"
#include "confab-hub-data.h"
#include "confab-hub-private.h"
#include "confab-bus.h"
#include "confab-presence.h"
#include "confab-store-routing.h"

/* One read of the log per dirty turn reads at most this many events; a full page reads again. */
#define CATCH_UP_PAGE      500
/* Presence entries live this long after their relay last refreshed them (it does so every
 * third of it): the agents of a relay that died are gone from the others within it. */
#define PRESENCE_TTL_MS    15000
#define PRESENCE_REFRESH_MS (PRESENCE_TTL_MS / 3)

/* An agent's status on one other relay, and when this relay learnt it: a presence list from
 * Redis asked for before then is older news. */
typedef struct {
  char   *status;      /* NULL: it left that relay */
  gint64  at;          /* monotonic µs */
} NodeStatus;

/* An agent of a site connected to other relays. */
typedef struct {
  char       *name;
  GHashTable *nodes;   /* relay's node name → NodeStatus* */
} RemoteAgent;

static void
node_status_free (NodeStatus *node)
{
  g_free (node->status);
  g_free (node);
}

static void
set_node_status (GHashTable *nodes,
                 const char *node,
                 const char *status,
                 gint64      at)
{
  NodeStatus *entry = g_new0 (NodeStatus, 1);

  entry->status = g_strdup (status);
  entry->at = at;
  g_hash_table_replace (nodes, g_strdup (node), entry);
}

struct _HubCluster
{
  ConfabHub      *hub;
  ConfabBus      *bus;
  ConfabPresence *presence;
  GHashTable     *sites;          /* site id → GUINT local clients: the channels heard */
  /* Every event of the sites heard up to this cursor went to the local clients (or was
   * theirs already): the log is read from here. */
  gint64          log_cursor;
  gint64          heard_cursor;   /* the highest cursor another relay said it committed */
  gboolean        reread;         /* the link was lost or frames were missed: read anyway */
  guint           catch_up_idle;
  gboolean        applying;       /* a frame from another relay is being applied */
  GHashTable     *remote;         /* site id → (agent id → RemoteAgent*): agents elsewhere */
  guint           refresh_id;
  GCancellable   *cancellable;
  gboolean        ever_connected;
  char           *unwatched_after; /* the sweep of sites without clients: the page's start */
};

static RemoteAgent *
remote_agent_new (const char *name)
{
  RemoteAgent *agent = g_new0 (RemoteAgent, 1);

  agent->name = g_strdup (name != NULL ? name : "");
  agent->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) node_status_free);
  return agent;
}

static void
remote_agent_free (RemoteAgent *agent)
{
  g_free (agent->name);
  g_hash_table_unref (agent->nodes);
  g_free (agent);
}

static void list_presence (HubCluster *cluster,
                           const char *site_id,
                           gboolean    unwatched);

/* The array at @field, or NULL when absent or of another type. */
static JsonArray *
get_array (JsonObject *frame,
           const char *field)
{
  JsonNode *node = json_object_get_member (frame, field);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static HubCluster *
cluster_of (ConfabHub *hub)
{
  return hub->cluster;
}

/* --- reading the log --- */

/* A foreign event for the local clients: agents of the site that are live and had not read it
 * in their own backlog; the visitor's tabs for messages and conversation changes. */
static void
deliver_event (HubCluster  *cluster,
               ConfabEvent *event)
{
  ConfabHub *hub = cluster->hub;
  ConfabStore *store = hub->relay->store;
  GPtrArray *agents = index_get (hub->site_agents, event->site_id);
  gboolean to_visitor;

  /* issue 18: a conversation another relay changed may have freed a slot or moved a queue this
   * relay's visitors wait in: drain here too (the decision is under the store's lock, so two
   * relays draining at once give nothing twice), and note the queue_position agents heard, so
   * that this relay does not announce the same move again */
  if (strcmp (event->kind, CONFAB_EVENT_CONVERSATION) == 0)
    {
      g_autoptr (JsonObject) logged = event_agent_frame (hub, event);
      JsonObject *object = NULL;
      const char *conversation_id = NULL;

      if (confab_json_get_object (logged, "conversation", FALSE, &object, NULL) && object != NULL &&
          confab_json_get_string (object, "id", FALSE, &conversation_id, NULL) &&
          conversation_id != NULL)
        hub_route_heard (hub, event->site_id, conversation_id, logged);
      hub_route_later (hub, event->site_id);
    }

  if (agents != NULL)
    {
      g_autoptr (JsonObject) frame = event_agent_frame (hub, event);
      g_autofree char *text = confab_frame_to_string (frame);
      g_autoptr (GPtrArray) snapshot = g_ptr_array_copy (agents, NULL, NULL);

      for (guint i = 0; i < snapshot->len; i++)
        {
          Client *agent = g_ptr_array_index (snapshot, i);

          if (agent->subscribed && !agent->syncing && event->cursor > agent->sync_cursor)
            client_send_text (agent, text);
        }
    }

  /* a visitor deleted on another relay: its tabs here close as they would there */
  if (strcmp (event->kind, "visitor_deleted") == 0 && event->payload_json != NULL)
    {
      g_autoptr (JsonObject) logged = confab_json_parse_object (event->payload_json,
                                                                strlen (event->payload_json),
                                                                G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
      const char *visitor_id = NULL;

      if (logged != NULL && confab_json_get_string (logged, "visitor_id", FALSE, &visitor_id, NULL) &&
          visitor_id != NULL)
        hub_close_deleted_visitor (hub, visitor_id);
      return;
    }

  to_visitor = event->message != NULL ||
               strcmp (event->kind, CONFAB_EVENT_CONVERSATION) == 0;
  if (to_visitor && index_get (hub->site_visitors, event->site_id) != NULL)
    {
      const char *conversation_id = event->message != NULL ? event->message->conversation_id
                                                           : NULL;
      g_autoptr (ConfabConversation) conversation = NULL;
      g_autoptr (JsonObject) frame = NULL;
      GPtrArray *tabs;

      if (conversation_id == NULL)
        {
          g_autoptr (JsonObject) logged = event_agent_frame (hub, event);
          JsonObject *object = NULL;

          if (confab_json_get_object (logged, "conversation", FALSE, &object, NULL) && object != NULL)
            confab_json_get_string (object, "id", FALSE, &conversation_id, NULL);
          if (conversation_id != NULL)
            conversation = confab_store_get_conversation (store, conversation_id, NULL);
        }
      else
        conversation = confab_store_get_conversation (store, conversation_id, NULL);
      if (conversation == NULL)
        return;
      tabs = index_get (hub->visitor_tabs, conversation->visitor_id);
      if (tabs == NULL)
        return;

      if (event->message != NULL)
        frame = message_frame (event->message, event->site_id, CONFAB_AUDIENCE_VISITOR);
      else
        {
          frame = confab_frame_new ("conversation");
          json_object_set_object_member (frame, "conversation",
                                         confab_conversation_to_json (store, conversation,
                                                                      CONFAB_AUDIENCE_VISITOR));
        }

      /* the tabs type, read and rate in the conversation they hear of now (an agent elsewhere
       * may have started it) */
      if (conversation->status != CONFAB_STATUS_RESOLVED || event->message != NULL)
        for (guint i = 0; i < tabs->len; i++)
          {
            Client *tab = g_ptr_array_index (tabs, i);

            g_free (tab->conversation_id);
            tab->conversation_id = g_strdup (conversation->id);
          }
      fanout_visitor (hub, conversation->visitor_id, frame);
    }
}

/* Delivers the events of the heard sites after log_cursor and below @before (0: all there
 * are). The batch must be committed: what it holds is not the others'. */
static void
catch_up (HubCluster *cluster,
          gint64      before)
{
  ConfabHub *hub = cluster->hub;
  g_autoptr (GPtrArray) site_ids = NULL;
  GHashTableIter iter;
  gpointer site_id;

  cluster->reread = FALSE;
  if (g_hash_table_size (cluster->sites) == 0)
    {
      if (before > 0)
        cluster->log_cursor = MAX (cluster->log_cursor, before - 1);
      return;
    }

  site_ids = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, cluster->sites);
  while (g_hash_table_iter_next (&iter, &site_id, NULL))
    g_ptr_array_add (site_ids, site_id);
  g_ptr_array_add (site_ids, NULL);

  for (;;)
    {
      g_autoptr (GPtrArray) events = NULL;
      g_autoptr (GError) error = NULL;

      events = confab_store_list_events (hub->relay->store, (const char * const *) site_ids->pdata,
                                         cluster->log_cursor, CATCH_UP_PAGE, &error);
      if (events == NULL)
        {
          /* read again with the next frame or commit: the cursor stays where it was */
          g_warning ("Cannot read what other relays logged: %s", error->message);
          cluster->reread = TRUE;
          return;
        }

      for (guint i = 0; i < events->len; i++)
        {
          ConfabEvent *event = g_ptr_array_index (events, i);

          if (before > 0 && event->cursor >= before)
            {
              cluster->log_cursor = MAX (cluster->log_cursor, before - 1);
              return;
            }
          deliver_event (cluster, event);
          cluster->log_cursor = event->cursor;
        }

      if (events->len < CATCH_UP_PAGE)
        break;
    }

  if (before > 0)
    cluster->log_cursor = MAX (cluster->log_cursor, before - 1);
}

static gboolean
on_catch_up (gpointer user_data)
{
  HubCluster *cluster = user_data;
  ConfabHub *hub = cluster->hub;

  cluster->catch_up_idle = 0;
  /* the open batch first: its commit reads what came before it, and then it is not mistaken
   * for the others' */
  hub_settle_batch (hub);
  if (hub->tx_depth > 0 || hub->batch_open)
    {
      cluster->catch_up_idle = g_idle_add (on_catch_up, cluster);
      return G_SOURCE_REMOVE;
    }
  if (cluster->reread || cluster->heard_cursor > cluster->log_cursor)
    {
      confab_websocket_cork ();
      catch_up (cluster, 0);
      confab_websocket_uncork ();
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_catch_up (HubCluster *cluster)
{
  if (cluster->catch_up_idle == 0)
    cluster->catch_up_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_catch_up, cluster, NULL);
}

void
hub_cluster_batch_committed (ConfabHub *hub,
                             GPtrArray *sending)
{
  HubCluster *cluster = cluster_of (hub);
  g_autoptr (GHashTable) site_cursors = NULL;
  gint64 lowest = 0, highest = 0;
  GHashTableIter iter;
  gpointer site_id, cursor;

  if (cluster == NULL)
    return;

  site_cursors = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < sending->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (sending, i);
      gpointer known;

      if (outgoing->cursor <= 0 || outgoing->site_id == NULL)
        continue;
      if (lowest == 0 || outgoing->cursor < lowest)
        lowest = outgoing->cursor;
      highest = MAX (highest, outgoing->cursor);
      known = g_hash_table_lookup (site_cursors, outgoing->site_id);
      if ((gsize) outgoing->cursor > GPOINTER_TO_SIZE (known))
        g_hash_table_insert (site_cursors, outgoing->site_id, GSIZE_TO_POINTER (outgoing->cursor));
    }

  /* What other relays committed before this batch goes out before it: a client that has
   * cursor N never lacks one below N. */
  if (lowest > 0 && (lowest > cluster->log_cursor + 1 || cluster->reread))
    catch_up (cluster, lowest);
  cluster->log_cursor = MAX (cluster->log_cursor, highest);

  g_hash_table_iter_init (&iter, site_cursors);
  while (g_hash_table_iter_next (&iter, &site_id, &cursor))
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"log\",\"cursor\":%" G_GSIZE_FORMAT "}",
                                               GPOINTER_TO_SIZE (cursor));

      confab_bus_publish (cluster->bus, site_id, json);
    }
}

/* --- sites heard --- */

void
hub_cluster_site_joined (ConfabHub  *hub,
                         const char *site_id)
{
  HubCluster *cluster = cluster_of (hub);
  guint count;

  if (cluster == NULL || site_id == NULL)
    return;

  count = GPOINTER_TO_UINT (g_hash_table_lookup (cluster->sites, site_id));
  g_hash_table_replace (cluster->sites, g_strdup (site_id), GUINT_TO_POINTER (count + 1));
  if (count == 0)
    {
      confab_bus_subscribe_site (cluster->bus, site_id);
      /* who of the team is on the other relays, for agents_online and presence */
      if (confab_bus_is_connected (cluster->bus))
        list_presence (cluster, site_id, FALSE);
    }
}

void
hub_cluster_site_left (ConfabHub  *hub,
                       const char *site_id)
{
  HubCluster *cluster = cluster_of (hub);
  guint count;

  if (cluster == NULL || site_id == NULL)
    return;

  count = GPOINTER_TO_UINT (g_hash_table_lookup (cluster->sites, site_id));
  if (count > 1)
    {
      g_hash_table_replace (cluster->sites, g_strdup (site_id), GUINT_TO_POINTER (count - 1));
      return;
    }
  if (count == 1)
    {
      g_hash_table_remove (cluster->sites, site_id);
      g_hash_table_remove (cluster->remote, site_id);
      confab_bus_unsubscribe_site (cluster->bus, site_id);
    }
}

/* --- telling the others --- */

void
hub_cluster_tell (ConfabHub  *hub,
                  const char *site_id,
                  JsonObject *frame)
{
  HubCluster *cluster = cluster_of (hub);
  g_autofree char *json = NULL;

  if (cluster == NULL || cluster->applying)
    return;
  json = confab_frame_to_string (frame);
  confab_bus_publish (cluster->bus, site_id, json);
}

void
hub_cluster_fanout_agents (ConfabHub  *hub,
                           const char *site_id,
                           const char *text)
{
  HubCluster *cluster = cluster_of (hub);

  fanout_agents (hub, site_id, text);
  if (cluster != NULL && !cluster->applying)
    {
      g_autoptr (JsonObject) frame = confab_frame_new ("agents");

      json_object_set_string_member (frame, "site_id", site_id);
      json_object_set_string_member (frame, "text", text);
      hub_cluster_tell (hub, site_id, frame);
    }
}

void
hub_cluster_fanout_visitor (ConfabHub  *hub,
                            const char *site_id,
                            const char *visitor_id,
                            JsonObject *frame)
{
  HubCluster *cluster = cluster_of (hub);
  g_autofree char *text = confab_frame_to_string (frame);

  fanout_visitor_text (hub, visitor_id, text);
  if (cluster != NULL && !cluster->applying)
    {
      g_autoptr (JsonObject) envelope = confab_frame_new ("visitor");

      json_object_set_string_member (envelope, "visitor_id", visitor_id);
      json_object_set_string_member (envelope, "text", text);
      hub_cluster_tell (hub, site_id, envelope);
    }
}

void
confab_hub_send_to_visitor_elsewhere (ConfabHub  *hub,
                                      const char *site_id,
                                      const char *visitor_id,
                                      JsonObject *frame)
{
  HubCluster *cluster = cluster_of (hub);
  g_autoptr (JsonObject) envelope = NULL;
  g_autofree char *text = NULL;

  if (cluster == NULL || cluster->applying)
    return;
  /* the same envelope as hub_cluster_fanout_visitor()'s: apply_frame() hands it to the tabs */
  text = confab_frame_to_string (frame);
  envelope = confab_frame_new ("visitor");
  json_object_set_string_member (envelope, "visitor_id", visitor_id);
  json_object_set_string_member (envelope, "text", text);
  hub_cluster_tell (hub, site_id, envelope);
}

/* --- presence --- */

/* An agent is "online" when any of its sockets anywhere is, else "away" when any is, else gone. */
static const char *
merge_status (const char *a,
              const char *b)
{
  if (g_strcmp0 (a, "online") == 0 || g_strcmp0 (b, "online") == 0)
    return "online";
  return a != NULL ? a : b;
}

static GHashTable *
remote_site (HubCluster *cluster,
             const char *site_id,
             gboolean    create)
{
  GHashTable *agents = g_hash_table_lookup (cluster->remote, site_id);

  if (agents == NULL && create)
    {
      agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) remote_agent_free);
      g_hash_table_insert (cluster->remote, g_strdup (site_id), agents);
    }
  return agents;
}

/* @agent's status over the relays that have it: NULL when none has. */
static const char *
remote_status (RemoteAgent *agent)
{
  GHashTableIter iter;
  gpointer node;
  const char *merged = NULL;

  if (agent == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, agent->nodes);
  while (g_hash_table_iter_next (&iter, NULL, &node))
    merged = merge_status (merged, ((NodeStatus *) node)->status);
  return merged;
}

/* @user_id's status on this relay (any of its sockets), NULL when it has none here. */
static const char *
local_status (ConfabHub  *hub,
              const char *user_id)
{
  GHashTableIter iter;
  gpointer key;
  const char *merged = NULL;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && !client->closing &&
          g_strcmp0 (client->user_id, user_id) == 0)
        merged = merge_status (merged, client->presence);
    }
  return merged;
}

/* What the team should see of @user_id in @site_id: its sockets here and elsewhere together. */
static const char *
team_status (HubCluster *cluster,
             const char *site_id,
             const char *user_id)
{
  GHashTable *agents = remote_site (cluster, site_id, FALSE);
  const char *merged = local_status (cluster->hub, user_id);

  merged = merge_status (merged, remote_status (agents ? g_hash_table_lookup (agents, user_id) : NULL));
  return merged != NULL ? merged : "offline";
}

const char *
hub_cluster_team_status (ConfabHub  *hub,
                         const char *site_id,
                         const char *user_id)
{
  HubCluster *cluster = cluster_of (hub);

  return cluster != NULL ? team_status (cluster, site_id, user_id) : NULL;
}

const char *
hub_cluster_effective_status (ConfabHub  *hub,
                              const char *user_id,
                              const char *status)
{
  HubCluster *cluster = cluster_of (hub);
  GHashTableIter iter;
  gpointer agents;
  const char *merged;

  if (cluster == NULL)
    return status;

  merged = g_strcmp0 (status, "offline") == 0 ? NULL : status;
  g_hash_table_iter_init (&iter, cluster->remote);
  while (g_hash_table_iter_next (&iter, NULL, &agents))
    merged = merge_status (merged, remote_status (g_hash_table_lookup (agents, user_id)));
  return merged != NULL ? merged : "offline";
}

void
hub_cluster_presence (ConfabHub  *hub,
                      const char *user_id,
                      const char *name,
                      GPtrArray  *site_ids,
                      const char *status)
{
  HubCluster *cluster = cluster_of (hub);
  g_autoptr (JsonObject) frame = NULL;
  JsonArray *sites;

  if (cluster == NULL || cluster->applying)
    return;

  /* this relay's own view of the agent: the others merge it with theirs */
  frame = confab_frame_new ("presence");
  json_object_set_string_member (frame, "agent_id", user_id);
  json_object_set_string_member (frame, "name", name != NULL ? name : "");
  json_object_set_string_member (frame, "status", status);
  sites = json_array_new ();
  for (guint i = 0; i < site_ids->len; i++)
    {
      const char *site_id = g_ptr_array_index (site_ids, i);

      json_array_add_string_element (sites, site_id);
      if (strcmp (status, "offline") == 0)
        confab_presence_remove (cluster->presence, site_id, user_id);
      else
        confab_presence_set (cluster->presence, site_id, user_id, status);
    }
  json_object_set_array_member (frame, "site_ids", sites);
  hub_cluster_tell (hub, NULL, frame);
}

void
hub_cluster_add_remote_online (ConfabHub  *hub,
                               const char *site_id,
                               GHashTable *users)
{
  HubCluster *cluster = cluster_of (hub);
  GHashTable *agents;
  GHashTableIter iter;
  gpointer agent_id, value;

  if (cluster == NULL || (agents = remote_site (cluster, site_id, FALSE)) == NULL)
    return;

  g_hash_table_iter_init (&iter, agents);
  while (g_hash_table_iter_next (&iter, &agent_id, &value))
    if (g_strcmp0 (remote_status (value), "online") == 0)
      g_hash_table_add (users, agent_id);
}

void
hub_cluster_send_team_presence (ConfabHub  *hub,
                                gpointer    client_pointer,
                                GHashTable *seen)
{
  HubCluster *cluster = cluster_of (hub);
  Client *client = client_pointer;

  if (cluster == NULL)
    return;

  for (guint i = 0; i < client->site_ids->len; i++)
    {
      const char *site_id = g_ptr_array_index (client->site_ids, i);
      GHashTable *agents = remote_site (cluster, site_id, FALSE);
      GHashTableIter iter;
      gpointer agent_id, value;

      if (agents == NULL)
        continue;
      g_hash_table_iter_init (&iter, agents);
      while (g_hash_table_iter_next (&iter, &agent_id, &value))
        {
          RemoteAgent *agent = value;
          g_autoptr (JsonObject) presence = NULL;

          if (g_strcmp0 (agent_id, client->user_id) == 0 || g_hash_table_contains (seen, agent_id) ||
              remote_status (agent) == NULL)
            continue;
          g_hash_table_add (seen, agent_id);
          presence = confab_frame_new ("presence");
          json_object_set_string_member (presence, "agent_id", agent_id);
          json_object_set_string_member (presence, "name", agent->name);
          json_object_set_string_member (presence, "status", team_status (cluster, site_id, agent_id));
          client_send (client, presence);
        }
    }
}

/* Tells the live agents of @site_id (once each, but @user_id's own sockets) that @user_id is
 * @status now. */
static void
tell_site_agents (ConfabHub  *hub,
                  const char *site_id,
                  const char *user_id,
                  const char *name,
                  const char *status,
                  GHashTable *told)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GPtrArray) snapshot = agents ? g_ptr_array_copy (agents, NULL, NULL) : NULL;
  g_autoptr (JsonObject) frame = confab_frame_new ("presence");
  g_autofree char *text = NULL;

  json_object_set_string_member (frame, "agent_id", user_id);
  json_object_set_string_member (frame, "name", name != NULL ? name : "");
  json_object_set_string_member (frame, "status", status);
  text = confab_frame_to_string (frame);

  for (guint j = 0; snapshot && j < snapshot->len; j++)
    {
      Client *other = g_ptr_array_index (snapshot, j);

      if (g_strcmp0 (other->user_id, user_id) == 0 || g_hash_table_contains (told, other) ||
          !other->subscribed || other->syncing)
        continue;
      g_hash_table_add (told, other);
      client_send_text (other, text);
    }
}

static void
apply_presence (HubCluster *cluster,
                const char *node,
                JsonObject *frame)
{
  ConfabHub *hub = cluster->hub;
  const char *agent_id = NULL, *name = NULL, *status = NULL;
  JsonArray *site_ids = NULL;
  g_autoptr (GHashTable) told = g_hash_table_new (NULL, NULL);

  if (!confab_json_get_string (frame, "agent_id", TRUE, &agent_id, NULL) ||
      !confab_json_get_string (frame, "name", TRUE, &name, NULL) ||
      !confab_json_get_string (frame, "status", TRUE, &status, NULL) ||
      (site_ids = get_array (frame, "site_ids")) == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (site_ids); i++)
    {
      const char *site_id = json_array_get_string_element (site_ids, i);
      GHashTable *agents;
      RemoteAgent *agent;

      if (site_id == NULL || !g_hash_table_contains (cluster->sites, site_id))
        continue;
      agents = remote_site (cluster, site_id, TRUE);
      agent = g_hash_table_lookup (agents, agent_id);
      if (agent == NULL)
        {
          agent = remote_agent_new (name);
          g_hash_table_insert (agents, g_strdup (agent_id), agent);
        }
      g_free (agent->name);
      agent->name = g_strdup (name);
      /* "offline" stays as a mark until a newer presence list agrees: a list asked for before
       * it must not bring the agent back */
      set_node_status (agent->nodes, node, strcmp (status, "offline") == 0 ? NULL : status,
                       g_get_monotonic_time ());

      /* the agent's status over every relay: "offline" from one relay while it is still
       * connected to another is no news */
      tell_site_agents (hub, site_id, agent_id, name, team_status (cluster, site_id, agent_id), told);
      hub_fanout_agents_online (hub, site_id);
      /* issue 18: an agent online on another relay is a candidate here too; whether away there
       * long enough to take their chats back is for the sweep */
      hub_route_presence_changed (hub, site_id, agent_id);
    }
}

typedef struct {
  HubCluster *cluster;
  char       *site_id;
  gint64      asked_at;
  gboolean    unwatched;  /* a site without clients here, listed for the sweep only */
} Listing;

/* A site nobody here is connected to, with chats assigned: Redis' list is the truth about who
 * of its agents is online anywhere, held just for the sweep (team_status () reads it) and
 * forgotten after, so that no site without clients stays in cluster->remote. */
static void
sweep_unwatched_site (HubCluster *cluster,
                      const char *site_id,
                      GPtrArray  *entries,
                      gint64      asked_at)
{
  const char *own = confab_bus_get_node_name (cluster->bus);
  GHashTable *agents = remote_site (cluster, site_id, TRUE);

  for (guint i = 0; i < entries->len; i++)
    {
      ConfabPresenceEntry *entry = g_ptr_array_index (entries, i);
      RemoteAgent *agent;

      if (g_strcmp0 (entry->node, own) == 0)
        continue;
      agent = g_hash_table_lookup (agents, entry->agent_id);
      if (agent == NULL)
        {
          agent = remote_agent_new (NULL);
          g_hash_table_insert (agents, g_strdup (entry->agent_id), agent);
        }
      set_node_status (agent->nodes, entry->node, entry->status, asked_at);
    }
  hub_route_sweep (cluster->hub, site_id);
  g_hash_table_remove (cluster->remote, site_id);
}

/* The agents of @site_id on other relays as Redis has them: this corrects what the presence
 * frames said (a relay that died says nothing; its entries expire). */
static void
on_presence_listed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Listing *listing = user_data;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) told = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) old = NULL;
  HubCluster *cluster = listing->cluster;
  GHashTable *agents;
  GHashTableIter iter;
  gpointer agent_id, value;
  const char *own;

  entries = confab_presence_list_finish (CONFAB_PRESENCE (source), result, &error);
  if (entries == NULL)
    goto out;
  /* a client of the site came meanwhile: its own listing (every 5 s) does the sweep */
  if (listing->unwatched)
    {
      if (!g_hash_table_contains (cluster->sites, listing->site_id))
        sweep_unwatched_site (cluster, listing->site_id, entries, listing->asked_at);
      goto out;
    }
  if (!g_hash_table_contains (cluster->sites, listing->site_id))
    goto out;

  own = confab_bus_get_node_name (cluster->bus);
  {
    gpointer stolen_key = NULL, stolen_value = NULL;

    if (g_hash_table_steal_extended (cluster->remote, listing->site_id, &stolen_key, &stolen_value))
      {
        g_free (stolen_key);
        old = stolen_value;
      }
  }
  agents = remote_site (cluster, listing->site_id, TRUE);
  for (guint i = 0; i < entries->len; i++)
    {
      ConfabPresenceEntry *entry = g_ptr_array_index (entries, i);
      RemoteAgent *agent, *known;

      if (g_strcmp0 (entry->node, own) == 0)
        continue;
      agent = g_hash_table_lookup (agents, entry->agent_id);
      if (agent == NULL)
        {
          known = old != NULL ? g_hash_table_lookup (old, entry->agent_id) : NULL;
          if (known != NULL)
            agent = remote_agent_new (known->name);
          else
            {
              g_autoptr (ConfabUser) user = confab_store_get_user (cluster->hub->relay->store,
                                                                   entry->agent_id, NULL);
              agent = remote_agent_new (user != NULL ? user->name : NULL);
            }
          g_hash_table_insert (agents, g_strdup (entry->agent_id), agent);
        }
      set_node_status (agent->nodes, entry->node, entry->status, listing->asked_at);
    }

  /* what frames said after the list was asked for is newer than the list */
  if (old != NULL)
    {
      g_hash_table_iter_init (&iter, old);
      while (g_hash_table_iter_next (&iter, &agent_id, &value))
        {
          RemoteAgent *before = value;
          GHashTableIter nodes;
          gpointer node, status;

          g_hash_table_iter_init (&nodes, before->nodes);
          while (g_hash_table_iter_next (&nodes, &node, &status))
            {
              NodeStatus *heard = status;
              RemoteAgent *agent;

              if (heard->at <= listing->asked_at)
                continue;
              agent = g_hash_table_lookup (agents, agent_id);
              if (agent == NULL)
                {
                  agent = remote_agent_new (before->name);
                  g_hash_table_insert (agents, g_strdup (agent_id), agent);
                }
              set_node_status (agent->nodes, node, heard->status, heard->at);
            }
        }
    }

  /* who came or went with their relay (one that died, one that the frames missed) */
  g_hash_table_iter_init (&iter, agents);
  while (g_hash_table_iter_next (&iter, &agent_id, &value))
    {
      RemoteAgent *before = old != NULL ? g_hash_table_lookup (old, agent_id) : NULL;

      if (g_strcmp0 (remote_status (before), remote_status (value)) != 0)
        tell_site_agents (cluster->hub, listing->site_id, agent_id, ((RemoteAgent *) value)->name,
                          team_status (cluster, listing->site_id, agent_id), told);
    }
  if (old != NULL)
    {
      g_hash_table_iter_init (&iter, old);
      while (g_hash_table_iter_next (&iter, &agent_id, &value))
        if (!g_hash_table_contains (agents, agent_id) && remote_status (value) != NULL)
          tell_site_agents (cluster->hub, listing->site_id, agent_id, ((RemoteAgent *) value)->name,
                            team_status (cluster, listing->site_id, agent_id), told);
    }
  hub_fanout_agents_online (cluster->hub, listing->site_id);
  /* issue 18: Redis' entries (which expire with a dead relay) are the truth about who is
   * absent: the agents of the site who hold chats are looked at now, with this fresh list */
  hub_route_sweep (cluster->hub, listing->site_id);

out:
  g_free (listing->site_id);
  g_free (listing);
}

static void
list_presence (HubCluster *cluster,
               const char *site_id,
               gboolean    unwatched)
{
  Listing *listing = g_new0 (Listing, 1);

  listing->cluster = cluster;
  listing->site_id = g_strdup (site_id);
  listing->asked_at = g_get_monotonic_time ();
  listing->unwatched = unwatched;
  confab_presence_list_async (cluster->presence, site_id, cluster->cancellable,
                              on_presence_listed, listing);
}

/* Sites per round of the sweep below: a page of the store's list, the next page 5 s later. */
#define UNWATCHED_SITES_PER_ROUND 64

/* issue 18: the sweep after each presence list covers the sites this relay has clients of. A
 * dead agent's chats on a site nobody is connected to, anywhere, would wait for someone to
 * come; so every relay also sweeps, a page per round, the sites with chats assigned that it
 * has no client of. Reassigning is under the site's lock, once: a second relay finds none. */
static void
sweep_unwatched (HubCluster *cluster)
{
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;

  sites = confab_store_list_assigned_sites (cluster->hub->relay->store, cluster->unwatched_after,
                                            UNWATCHED_SITES_PER_ROUND, &error);
  if (sites == NULL)
    {
      g_warning ("Cannot look for sites with assigned conversations: %s", error->message);
      return;
    }
  g_clear_pointer (&cluster->unwatched_after, g_free);
  /* a full page: the next round goes on after it; else from the first again */
  if (sites->len == UNWATCHED_SITES_PER_ROUND)
    cluster->unwatched_after = g_strdup (g_ptr_array_index (sites, sites->len - 1));
  for (guint i = 0; i < sites->len; i++)
    {
      const char *site_id = g_ptr_array_index (sites, i);

      if (!g_hash_table_contains (cluster->sites, site_id))
        list_presence (cluster, site_id, TRUE);
    }
}

static gboolean
refresh_presence (gpointer user_data)
{
  HubCluster *cluster = user_data;
  GHashTableIter iter;
  gpointer site_id;

  if (!confab_bus_is_connected (cluster->bus))
    return G_SOURCE_CONTINUE;
  g_hash_table_iter_init (&iter, cluster->sites);
  while (g_hash_table_iter_next (&iter, &site_id, NULL))
    list_presence (cluster, site_id, FALSE);
  sweep_unwatched (cluster);
  return G_SOURCE_CONTINUE;
}

/* --- frames from other relays --- */

/* A revocation missed while the link was down must still close its sockets. */
static void
recheck_tokens (HubCluster *cluster)
{
  ConfabHub *hub = cluster->hub;
  g_autoptr (GPtrArray) revoked = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;
      g_autoptr (GError) error = NULL;
      g_autofree char *user_id = NULL;

      if (client->kind != CLIENT_AGENT || client->closing || client->token_hash == NULL)
        continue;
      user_id = confab_store_lookup_token (hub->relay->store, client->token_hash, confab_now_ms (),
                                           &error);
      if (user_id == NULL && g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        g_ptr_array_add (revoked, client);
    }
  for (guint i = 0; i < revoked->len; i++)
    client_close (g_ptr_array_index (revoked, i), CONFAB_CLOSE_TOKEN_REVOKED, "token revoked");
}

/* What this relay committed while the link was down was published to nobody: the others hear
 * now that the log grew, once, relay-wide. */
static void
announce_log (HubCluster *cluster)
{
  g_autofree char *json = NULL;

  if (cluster->log_cursor <= 0)
    return;
  json = g_strdup_printf ("{\"type\":\"log\",\"cursor\":%" G_GINT64_FORMAT "}", cluster->log_cursor);
  confab_bus_publish (cluster->bus, NULL, json);
}

static void
on_link_restored (ConfabBus *bus,
                  gpointer   user_data)
{
  HubCluster *cluster = user_data;

  g_message ("The link to the other relays is back: reading what they logged meanwhile");
  cluster->reread = TRUE;
  confab_store_forget_cached_sites (cluster->hub->relay->store);
  recheck_tokens (cluster);
  schedule_catch_up (cluster);
  refresh_presence (cluster);
  announce_log (cluster);
}

/* The first connection: when Redis was away at start, this relay has been running without
 * the others' news, and they without its. (Later ones come as link-restored.) */
static void
on_connected_changed (GObject    *object,
                      GParamSpec *pspec,
                      gpointer    user_data)
{
  HubCluster *cluster = user_data;

  if (cluster->ever_connected || !confab_bus_is_connected (cluster->bus))
    return;
  cluster->ever_connected = TRUE;
  cluster->reread = TRUE;
  schedule_catch_up (cluster);
  refresh_presence (cluster);
  announce_log (cluster);
}

static void
on_gap (ConfabBus  *bus,
        const char *site_id,
        const char *node,
        gpointer    user_data)
{
  HubCluster *cluster = user_data;

  cluster->reread = TRUE;
  if (site_id == NULL)
    {
      /* a relay-wide frame was missed: a revocation or a site change, perhaps */
      confab_store_forget_cached_sites (cluster->hub->relay->store);
      recheck_tokens (cluster);
    }
  schedule_catch_up (cluster);
}

static void
apply_frame (HubCluster *cluster,
             const char *channel_site,
             const char *node,
             JsonObject *frame,
             const char *type)
{
  ConfabHub *hub = cluster->hub;
  ConfabStore *store = hub->relay->store;
  const char *site_id = NULL, *text = NULL, *id = NULL;

  confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL);

  if (strcmp (type, "log") == 0)
    {
      gint64 cursor = 0;

      if (confab_json_get_int (frame, "cursor", TRUE, 0, &cursor, NULL) &&
          cursor > cluster->log_cursor)
        {
          cluster->heard_cursor = MAX (cluster->heard_cursor, cursor);
          schedule_catch_up (cluster);
        }
    }
  else if (strcmp (type, "agents") == 0)
    {
      if (site_id != NULL && confab_json_get_string (frame, "text", TRUE, &text, NULL))
        fanout_agents (hub, site_id, text);
    }
  else if (strcmp (type, "visitor") == 0)
    {
      if (confab_json_get_string (frame, "visitor_id", TRUE, &id, NULL) &&
          confab_json_get_string (frame, "text", TRUE, &text, NULL))
        fanout_visitor_text (hub, id, text);
    }
  else if (strcmp (type, "presence") == 0)
    apply_presence (cluster, node, frame);
  else if (strcmp (type, "revoke") == 0)
    {
      if (confab_json_get_string (frame, "token_hash", TRUE, &id, NULL))
        confab_hub_revoke_token (hub, id);
    }
  else if (strcmp (type, "memberships_changed") == 0)
    {
      if (confab_json_get_string (frame, "user_id", TRUE, &id, NULL))
        confab_hub_memberships_changed (hub, id);
    }
  else if (strcmp (type, "user_renamed") == 0)
    {
      const char *name = NULL;

      if (confab_json_get_string (frame, "user_id", TRUE, &id, NULL) &&
          confab_json_get_string (frame, "name", TRUE, &name, NULL))
        confab_hub_user_renamed (hub, id, name);
    }
  else if (strcmp (type, "site_changed") == 0 && site_id != NULL)
    {
      /* SQLite's update hook sees only this process's writes: the cached row is stale */
      confab_store_forget_cached_sites (store);
      confab_hub_site_changed (hub, site_id);
      confab_hub_push_site (hub, site_id);
    }
  else if (strcmp (type, "site_key_rotated") == 0 && site_id != NULL)
    {
      confab_store_forget_cached_sites (store);
      confab_hub_site_key_rotated (hub, site_id);
    }
  else if (strcmp (type, "site_deleted") == 0 && site_id != NULL)
    {
      g_autoptr (GPtrArray) members = g_ptr_array_new_with_free_func (g_free);
      JsonArray *ids = NULL;

      confab_store_forget_cached_sites (store);
      if ((ids = get_array (frame, "member_ids")) != NULL)
        for (guint i = 0; i < json_array_get_length (ids); i++)
          if (json_array_get_string_element (ids, i) != NULL)
            g_ptr_array_add (members, g_strdup (json_array_get_string_element (ids, i)));
      confab_hub_site_deleted (hub, site_id, members);
    }
  else if (strcmp (type, "push_list") == 0 && site_id != NULL)
    {
      const char *list_type = NULL;
      JsonArray *list = NULL;

      if (confab_json_get_string (frame, "list_type", TRUE, &list_type, NULL) &&
          (list = get_array (frame, "list")) != NULL)
        confab_hub_push_list (hub, site_id, list_type, json_array_ref (list));
    }
  else if (strcmp (type, "visitor_blocked") == 0 && site_id != NULL)
    {
      const char *ip_hash = NULL;

      confab_json_get_string (frame, "ip_hash", FALSE, &ip_hash, NULL);
      if (confab_json_get_string (frame, "visitor_id", TRUE, &id, NULL))
        confab_hub_visitor_blocked (hub, site_id, id, ip_hash);
    }
  else
    g_debug ("Ignoring a “%s” frame from relay %s (a newer relay's?)", type, node);
}

static void
on_bus_frame (ConfabBus  *bus,
              const char *site_id,
              const char *node,
              guint64     seq,
              const char *json,
              gpointer    user_data)
{
  HubCluster *cluster = user_data;
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GError) error = NULL;
  const char *type = NULL;

  frame = confab_json_parse_object (json, strlen (json), G_MAXSIZE, MAX_FRAME_DEPTH, &error);
  if (frame == NULL || !confab_json_get_string (frame, "type", TRUE, &type, NULL))
    {
      g_warning ("A frame from relay %s is not one: %s", node,
                 error != NULL ? error->message : "no type");
      return;
    }

  cluster->applying = TRUE;
  apply_frame (cluster, site_id, node, frame, type);
  cluster->applying = FALSE;
}

/* --- life --- */

void
hub_cluster_init (ConfabHub *hub)
{
  HubCluster *cluster;
  ConfabBus *bus = hub->relay->bus;

  if (bus == NULL)
    return;

  cluster = g_new0 (HubCluster, 1);
  cluster->hub = hub;
  cluster->bus = g_object_ref (bus);
  cluster->presence = confab_presence_new (bus, PRESENCE_TTL_MS);
  cluster->sites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cluster->remote = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_hash_table_unref);
  cluster->cancellable = g_cancellable_new ();
  /* what was logged before this relay started reached nobody here: it is every client's backlog */
  cluster->log_cursor = confab_store_last_cursor (hub->relay->store);
  hub->cluster = cluster;

  confab_bus_set_handler (bus, on_bus_frame, cluster, NULL);
  g_signal_connect (bus, "link-restored", G_CALLBACK (on_link_restored), cluster);
  g_signal_connect (bus, "gap", G_CALLBACK (on_gap), cluster);
  g_signal_connect (bus, "notify::connected", G_CALLBACK (on_connected_changed), cluster);
  cluster->refresh_id = g_timeout_add (PRESENCE_REFRESH_MS, refresh_presence, cluster);
}

void
hub_cluster_free (ConfabHub *hub)
{
  HubCluster *cluster = cluster_of (hub);

  if (cluster == NULL)
    return;

  hub->cluster = NULL;
  g_cancellable_cancel (cluster->cancellable);
  g_clear_object (&cluster->cancellable);
  g_clear_handle_id (&cluster->catch_up_idle, g_source_remove);
  g_clear_handle_id (&cluster->refresh_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (cluster->bus, cluster);
  confab_bus_set_handler (cluster->bus, NULL, NULL, NULL);
  g_clear_object (&cluster->presence);
  g_clear_object (&cluster->bus);
  g_hash_table_unref (cluster->sites);
  g_hash_table_unref (cluster->remote);
  g_free (cluster->unwatched_after);
  g_free (cluster);
}
