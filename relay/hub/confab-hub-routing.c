/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-routing.c: automatic assignment, the queue and reassignment (issue 18).
 *
 * A site (or a team) with assignment on gives a new conversation at once to an agent who is
 * online here (presence "online", a socket open) and under their limit of open chats; else the
 * conversation waits in its queue (confab-store-routing.h). Whatever may free a slot — a
 * conversation resolved, closed or unassigned, a limit raised, an agent online again, a team
 * changed — schedules a drain of the site: on the next idle, in one unit of the hub's store
 * transaction, each queue's head goes to whoever is free, in order, until nobody is. The pick
 * and the assignment are one transaction (and on PostgreSQL under the site's advisory lock),
 * so a conversation is never given twice nor an agent over their limit, also across restarts:
 * the queue's order is stored.
 *
 * Visitors in a queue hear their position and the estimated wait ("queue" frames), whenever it
 * changed, and position null when they left it. Agents hear it too: the conversation object
 * carries queue_position, so every queued conversation whose place moved since agents last
 * heard it (the head assigned, one ahead left) gets a "conversation" event, all of a drain in
 * its one unit. An agent who went away, busy or offline has
 * their open conversations put back at the head of their queues once the site's
 * reassign_after_seconds have passed, unless they came back.
 *
 * On several relays ([cluster] redis) the candidates are the agents online on any relay: the
 * hub's view of the others (confab-hub-cluster.c: presence frames, corrected every 5 s by
 * Redis' list, whose entries expire 15 s after a dead relay's last refresh). It is read
 * synchronously, so the pick and the assignment stay one transaction under the site's lock;
 * waiting for Redis there instead (confab_presence_list_async ()) would hold the lock for a
 * round trip and still be a snapshot that may be stale by the commit. A candidate who left a
 * moment ago may get a chat: the same race as an agent closing the app just after being picked,
 * and the reassignment below takes it back. Reassignment is no timer on the relay where the
 * agent was (it may die with it): every relay, after each presence list from Redis, looks at the
 * site's agents holding open chats, notes since when each is not online anywhere, and once that
 * is reassign_after_seconds (on the targets' clock, which tests move) takes their chats back
 * under the site's lock — the second relay to try finds none left. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-store-routing.h"
#include "confab-targets.h"
#include "confab-store-chat.h"
#include "confab-chat.h"

#include <string.h>

struct _HubRouting
{
  GHashTable *due;        /* site id set: drains to run */
  guint       idle;
  GHashTable *told;       /* conversation id → Told*: the position its visitor last heard */
  GHashTable *heard;      /* conversation id → Heard*: the queue_position agents last heard */
  gboolean    telling;    /* tell_queue () announces: nothing of it needs another drain */
  GHashTable *away;       /* "user_id\nsite_id" → GUINT timeout source (one relay) */
  GHashTable *absent;     /* "user_id\nsite_id" → gint64*: not online anywhere since (ms, the
                           * targets' clock; several relays) */
};

typedef struct {
  char   *site_id;
  char   *visitor_id;
  gint64  position;
  gint64  wait_seconds;   /* -1: null */
} Told;

typedef struct {
  char   *site_id;
  gint64  position;
} Heard;

static void
heard_free (Heard *heard)
{
  g_free (heard->site_id);
  g_free (heard);
}

static void
told_free (Told *told)
{
  g_free (told->site_id);
  g_free (told->visitor_id);
  g_free (told);
}

static void
remove_source (gpointer data)
{
  g_source_remove (GPOINTER_TO_UINT (data));
}

static HubRouting *
routing_get (ConfabHub *hub)
{
  if (hub->routing == NULL)
    {
      hub->routing = g_new0 (HubRouting, 1);
      hub->routing->due = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      hub->routing->told = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify) told_free);
      hub->routing->heard = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify) heard_free);
      hub->routing->away = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, remove_source);
      hub->routing->absent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  return hub->routing;
}

void
hub_routing_free (ConfabHub *hub)
{
  HubRouting *routing = hub->routing;

  if (routing == NULL)
    return;
  g_clear_handle_id (&routing->idle, g_source_remove);
  g_hash_table_unref (routing->due);
  g_hash_table_unref (routing->told);
  g_hash_table_unref (routing->heard);
  g_hash_table_unref (routing->away);
  g_hash_table_unref (routing->absent);
  g_free (routing);
  hub->routing = NULL;
}

/* --- settings --- */

static JsonObject *
site_settings (const ConfabSite *site,
               JsonNode        **out_root)
{
  *out_root = site->settings_json ? json_from_string (site->settings_json, NULL) : NULL;
  return *out_root != NULL && JSON_NODE_HOLDS_OBJECT (*out_root) ? json_node_get_object (*out_root) : NULL;
}

/* The site's "assignment": "off", "round_robin" or "least_busy". */
static char *
site_assignment (const ConfabSite *site)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *settings = site_settings (site, &root);
  const char *mode = settings ? json_object_get_string_member_with_default (settings, "assignment", "off")
                              : "off";

  return g_strdup (mode);
}

static gint64
site_reassign_after (const ConfabSite *site)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *settings = site_settings (site, &root);

  return settings ? json_object_get_int_member_with_default (settings, "reassign_after_seconds", 0) : 0;
}

/* The mode for a conversation of @team_id (NULL: none) on @site. */
static char *
routing_mode (ConfabHub        *hub,
              const ConfabSite *site,
              const char       *team_id)
{
  if (team_id != NULL)
    {
      g_autoptr (ConfabTeam) team = confab_store_get_team (hub->relay->store, team_id, NULL);

      if (team != NULL && g_strcmp0 (team->assignment, "inherit") != 0)
        return g_strdup (team->assignment);
    }
  return site_assignment (site);
}

/* The agents of @site_id with a socket here (or, with a bus, on another relay) and presence
 * "online", as a JSON array. */
static char *
online_agents_json (ConfabHub  *hub,
                    const char *site_id)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonArray) ids = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; agents && i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);

      if (!agent->closing && g_strcmp0 (agent->presence, "online") == 0 &&
          g_hash_table_add (seen, agent->user_id))
        json_array_add_string_element (ids, agent->user_id);
    }
  /* and those online on other relays (see the top) */
  {
    g_autoptr (GHashTable) remote = g_hash_table_new (g_str_hash, g_str_equal);
    GHashTableIter iter;
    gpointer user_id;

    hub_cluster_add_remote_online (hub, site_id, remote);
    g_hash_table_iter_init (&iter, remote);
    while (g_hash_table_iter_next (&iter, &user_id, NULL))
      if (g_hash_table_add (seen, user_id))
        json_array_add_string_element (ids, user_id);
  }
  json_node_set_array (node, ids);
  return json_to_string (node, FALSE);
}

static gboolean
user_online_on (ConfabHub  *hub,
                const char *site_id,
                const char *user_id)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);

  for (guint i = 0; agents && i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);

      if (!agent->closing && g_strcmp0 (agent->user_id, user_id) == 0 &&
          g_strcmp0 (agent->presence, "online") == 0)
        return TRUE;
    }
  return FALSE;
}

/* --- deciding --- */

static gboolean
record_routing (ConfabHub                *hub,
                const ConfabConversation *conversation,
                const char               *kind,
                const char               *target_id,
                GError                  **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();

  json_object_set_string_member (extra, "by", "routing");
  return record_timeline (hub, conversation, kind, NULL, NULL, target_id, extra, error);
}

/* Gives @conversation_id to a free agent of its queue when there is one: *@out_assigned is
 * the conversation then (announced, with its timeline), else NULL. Inside a unit. */
static gboolean
try_assign (ConfabHub   *hub,
            const char  *site_id,
            const char  *conversation_id,
            const char  *team_id,
            const char  *mode,
            gboolean    *out_assigned,
            GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autofree char *candidates = online_agents_json (hub, site_id);
  g_autofree char *agent_id = NULL;
  g_autoptr (ConfabConversation) assigned = NULL;
  g_autoptr (GError) local_error = NULL;

  *out_assigned = FALSE;
  agent_id = confab_store_route_pick (store, site_id, team_id, mode, candidates, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (agent_id == NULL)
    return TRUE;

  assigned = confab_store_route_assign (store, conversation_id, agent_id, error);
  if (assigned == NULL || !announce_conversation (hub, assigned, error) ||
      !record_routing (hub, assigned, "assigned", agent_id, error))
    return FALSE;
  *out_assigned = TRUE;
  return TRUE;
}

/* The team a new conversation of @visitor_id on @site gets: the one chosen by the visitor or
 * the page (@team_key, ignored when unknown), else the first of the site's team_rules that
 * matches the visitor's page and language. NULL: none. */
static char *
choose_team (ConfabHub        *hub,
             const ConfabSite *site,
             const char       *visitor_id,
             const char       *team_key)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *settings;
  JsonArray *rules;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GPtrArray) pages = NULL;
  const char *url = NULL;

  if (team_key != NULL)
    {
      g_autoptr (ConfabTeam) team = confab_store_get_team_by_key (store, site->id, team_key, NULL);

      if (team != NULL)
        return g_strdup (team->id);
    }

  settings = site_settings (site, &root);
  if (settings == NULL || !json_object_has_member (settings, "team_rules") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (settings, "team_rules")))
    return NULL;
  rules = json_object_get_array_member (settings, "team_rules");

  visitor = confab_store_get_visitor (store, visitor_id, NULL);
  pages = confab_store_list_page_views (store, visitor_id, 1, NULL);
  if (pages != NULL && pages->len > 0)
    url = ((ConfabPageView *) g_ptr_array_index (pages, 0))->url;

  for (guint i = 0; i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = json_array_get_object_element (rules, i);
      const char *pattern = json_object_get_string_member_with_default (rule, "url", NULL);
      const char *language = json_object_get_string_member_with_default (rule, "language", NULL);
      g_autoptr (ConfabTeam) team = NULL;

      if (json_object_has_member (rule, "faq_id"))
        continue;  /* the FAQ that matched is known after the first message is stored:
                    * confab_hub_route_faq_matched () */
      if (pattern != NULL && (url == NULL || !g_pattern_match_simple (pattern, url)))
        continue;
      if (language != NULL &&
          (visitor == NULL || visitor->locale == NULL ||
           !(g_ascii_strcasecmp (visitor->locale, language) == 0 ||
             (g_ascii_strncasecmp (visitor->locale, language, strlen (language)) == 0 &&
              visitor->locale[strlen (language)] == '-'))))
        continue;
      team = confab_store_get_team_by_key (store, site->id,
                                           json_object_get_string_member_with_default (rule, "team", ""),
                                           NULL);
      if (team != NULL)
        return g_strdup (team->id);
    }
  return NULL;
}

/* A conversation just created for a visitor's first message: its team, then an agent or the
 * queue. Inside the unit that creates it, before it is announced; *@out_routed_to is the
 * agent it went to (the caller records the timeline after announcing it). */
ConfabConversation *
hub_route_new_conversation (ConfabHub           *hub,
                            ConfabConversation  *conversation,
                            const char          *team_key,
                            char               **out_routed_to,
                            GError             **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) created = conversation;
  g_autoptr (ConfabSite) site = NULL;
  g_autofree char *team_id = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *candidates = NULL;
  g_autofree char *agent_id = NULL;
  g_autoptr (GError) local_error = NULL;

  *out_routed_to = NULL;
  site = confab_store_get_site (store, created->site_id, error);
  if (site == NULL)
    return NULL;

  team_id = choose_team (hub, site, created->visitor_id, team_key);
  if (team_id != NULL && !confab_store_set_conversation_team (store, created->id, team_id, error))
    return NULL;

  mode = routing_mode (hub, site, team_id);
  if (g_strcmp0 (mode, "round_robin") != 0 && g_strcmp0 (mode, "least_busy") != 0)
    return g_steal_pointer (&created);

  candidates = online_agents_json (hub, site->id);
  agent_id = confab_store_route_pick (store, site->id, team_id, mode, candidates, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (agent_id != NULL)
    {
      *out_routed_to = g_steal_pointer (&agent_id);
      return confab_store_route_assign (store, created->id, *out_routed_to, error);
    }

  if (!confab_store_enqueue (store, created->id, FALSE, error))
    return NULL;
  hub_route_later (hub, site->id);
  return confab_store_get_conversation (store, created->id, error);
}

/* A conversation an agent just created with start_conversation: theirs, in the team the
 * site's team_rules give the visitor's page and language, else in the agent's own team when
 * they are in exactly one (in several, the agent's choice is not known: none). Assigned as the
 * routing assigns, so it counts in their load and moves them back in the round robin; its
 * targets are its team's. Inside the unit that creates it. */
ConfabConversation *
hub_route_agent_started (ConfabHub           *hub,
                         ConfabConversation  *conversation,
                         const char          *agent_id,
                         GError             **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) created = conversation;
  g_autoptr (ConfabSite) site = NULL;
  g_autofree char *team_id = NULL;

  site = confab_store_get_site (store, created->site_id, error);
  if (site == NULL)
    return NULL;
  team_id = choose_team (hub, site, created->visitor_id, NULL);
  if (team_id == NULL)
    {
      g_auto (GStrv) teams = confab_store_list_member_teams (store, site->id, agent_id, NULL);

      if (teams != NULL && g_strv_length (teams) == 1)
        team_id = g_strdup (teams[0]);
    }
  if (team_id != NULL && !confab_store_set_conversation_team (store, created->id, team_id, error))
    return NULL;
  return confab_store_route_assign (store, created->id, agent_id, error);
}

gboolean
hub_route_record_assigned (ConfabHub                *hub,
                           const ConfabConversation *conversation,
                           const char               *agent_id,
                           GError                  **error)
{
  return record_routing (hub, conversation, "assigned", agent_id, error);
}

/* Called by announce_conversation () for every change, inside its unit: a conversation done
 * with keeps its handling time and leaves the queue; one given to someone leaves the queue;
 * anything that may free a slot drains the site's queues soon. */
gboolean
hub_route_conversation_changed (ConfabHub                *hub,
                                const ConfabConversation *conversation,
                                GError                  **error)
{
  ConfabStore *store = hub->relay->store;

  /* only its place in the queue moved (tell_queue ()): nothing to drain again */
  if (hub->routing != NULL && hub->routing->telling)
    return TRUE;
  if (conversation->status == CONFAB_STATUS_RESOLVED || conversation->status == CONFAB_STATUS_CLOSED)
    {
      if (!confab_store_record_handling (store, conversation->id, error))
        return FALSE;
      hub_route_later (hub, conversation->site_id);
    }
  else if (conversation->assignee_id != NULL)
    {
      if (!confab_store_dequeue (store, conversation->id, error))
        return FALSE;
    }
  else
    hub_route_later (hub, conversation->site_id);

  if (hub->routing != NULL && g_hash_table_contains (hub->routing->told, conversation->id))
    hub_route_later (hub, conversation->site_id);
  return TRUE;
}

/* Called by announce_conversation () with the agents' frame it persisted: the queue_position
 * agents heard, so that tell_queue () tells them when it moves. */
void
hub_route_heard (ConfabHub  *hub,
                 const char *site_id,
                 const char *conversation_id,
                 JsonObject *for_agents)
{
  HubRouting *routing = routing_get (hub);
  JsonObject *object = json_object_get_object_member (for_agents, "conversation");
  JsonNode *node = object ? json_object_get_member (object, "queue_position") : NULL;
  gint64 position = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
  Heard *heard;

  if (position <= 0)
    {
      g_hash_table_remove (routing->heard, conversation_id);
      return;
    }
  heard = g_hash_table_lookup (routing->heard, conversation_id);
  if (heard == NULL)
    {
      heard = g_new0 (Heard, 1);
      heard->site_id = g_strdup (site_id);
      g_hash_table_replace (routing->heard, g_strdup (conversation_id), heard);
    }
  heard->position = position;
}

/* The "queue" frame of a visitor's conversation; @position 0: out of the queue. */
static JsonObject *
queue_frame (const char *conversation_id,
             gint64      position,
             gint64      wait_seconds)
{
  JsonObject *frame = confab_frame_new ("queue");

  json_object_set_string_member (frame, "conversation_id", conversation_id);
  if (position > 0)
    json_object_set_int_member (frame, "position", position);
  else
    json_object_set_null_member (frame, "position");
  if (position > 0 && wait_seconds >= 0)
    json_object_set_int_member (frame, "estimated_wait_seconds", wait_seconds);
  else
    json_object_set_null_member (frame, "estimated_wait_seconds");
  return frame;
}

/* position × the median handling time of the queue's team; -1 without data */
static gint64
estimated_wait (ConfabStore *store,
                const char  *site_id,
                const char  *team_id,
                gint64       position)
{
  gint64 median = confab_store_median_handling (store, site_id, team_id, NULL);

  if (median <= 0)
    return -1;
  return (position * median + 999) / 1000;
}

/* The "queue" object of welcome: the visitor's conversation's place, or NULL. */
JsonObject *
hub_route_queue_json (ConfabHub  *hub,
                      const char *conversation_id)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabRouting routing = { 0 };
  JsonObject *object = NULL;

  conversation = confab_store_get_conversation (store, conversation_id, NULL);
  if (conversation != NULL && confab_store_get_routing (store, conversation_id, &routing, NULL) &&
      routing.queue_position > 0)
    {
      object = queue_frame (conversation_id, routing.queue_position,
                            estimated_wait (store, conversation->site_id, routing.team_id,
                                            routing.queue_position));
      json_object_remove_member (object, "type");
    }
  confab_routing_clear (&routing);
  return object;
}

/* Tells the visitors of @site_id's queues whose place changed, and agents (a conversation
 * event) of every queued conversation whose queue_position moved since they heard it. A
 * conversation agents never heard of here (the relay restarted) is only noted: their list is
 * from after the restart. Inside a unit. */
static gboolean
tell_queue (ConfabHub  *hub,
            const char *site_id,
            GPtrArray  *queue,
            GError    **error)
{
  HubRouting *routing = routing_get (hub);
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) medians = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < queue->len; i++)
    {
      ConfabQueued *queued = g_ptr_array_index (queue, i);
      const char *team = queued->team_id ? queued->team_id : "";
      gint64 position = GPOINTER_TO_SIZE (g_hash_table_lookup (counts, team)) + 1;
      gpointer median_value;
      gint64 median, wait;
      Told *told;

      g_hash_table_replace (counts, g_strdup (team), GSIZE_TO_POINTER (position));
      if (!g_hash_table_lookup_extended (medians, team, NULL, &median_value))
        {
          median = confab_store_median_handling (hub->relay->store, site_id, queued->team_id, NULL);
          g_hash_table_replace (medians, g_strdup (team), GSIZE_TO_POINTER ((gsize) MAX (median, 0)));
        }
      else
        median = (gint64) GPOINTER_TO_SIZE (median_value);
      wait = median > 0 ? (position * median + 999) / 1000 : -1;

      g_hash_table_add (present, queued->conversation_id);
      {
        Heard *heard = g_hash_table_lookup (routing->heard, queued->conversation_id);

        if (heard == NULL)
          {
            heard = g_new0 (Heard, 1);
            heard->site_id = g_strdup (site_id);
            heard->position = position;
            g_hash_table_replace (routing->heard, g_strdup (queued->conversation_id), heard);
          }
        else if (heard->position != position)
          {
            g_autoptr (ConfabConversation) moved = NULL;
            gboolean announced;

            moved = confab_store_get_conversation (hub->relay->store, queued->conversation_id, error);
            if (moved == NULL)
              return FALSE;
            routing->telling = TRUE;
            announced = announce_conversation (hub, moved, error);
            routing->telling = FALSE;
            if (!announced)
              return FALSE;
          }
      }
      told = g_hash_table_lookup (routing->told, queued->conversation_id);
      if (told != NULL && told->position == position && told->wait_seconds == wait)
        continue;
      if (told == NULL)
        {
          told = g_new0 (Told, 1);
          told->site_id = g_strdup (site_id);
          told->visitor_id = g_strdup (queued->visitor_id);
          g_hash_table_replace (routing->told, g_strdup (queued->conversation_id), told);
        }
      told->position = position;
      told->wait_seconds = wait;
      {
        g_autoptr (JsonObject) frame = queue_frame (queued->conversation_id, position, wait);
        hub_queue_visitor_frame (hub, queued->visitor_id, frame);
      }
    }

  /* those who left the queue of this site */
  g_hash_table_iter_init (&iter, routing->told);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Told *told = value;

      if (strcmp (told->site_id, site_id) != 0 || g_hash_table_contains (present, key))
        continue;
      {
        g_autoptr (JsonObject) frame = queue_frame (key, 0, -1);
        hub_queue_visitor_frame (hub, told->visitor_id, frame);
      }
      g_hash_table_iter_remove (&iter);
    }

  /* agents heard of a place those out of the queue no longer have */
  g_hash_table_iter_init (&iter, routing->heard);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (strcmp (((Heard *) value)->site_id, site_id) == 0 && !g_hash_table_contains (present, key))
      g_hash_table_iter_remove (&iter);
  return TRUE;
}

static gboolean
site_has_told (ConfabHub  *hub,
               const char *site_id)
{
  GHashTableIter iter;
  gpointer value;

  if (hub->routing == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, hub->routing->told);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (strcmp (((Told *) value)->site_id, site_id) == 0)
      return TRUE;
  return FALSE;
}

/* Each queue's head to whoever is free, in order, then the visitors told. */
static void
drain (ConfabHub  *hub,
       const char *site_id)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) queue = NULL;
  g_autoptr (GHashTable) full = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;

  site = confab_store_get_site (store, site_id, NULL);
  if (site == NULL)
    return;
  /* most drains find nothing waiting and nobody to tell: one index probe, no transaction */
  {
    g_autoptr (GPtrArray) peek = confab_store_list_queue (store, site_id, NULL);

    if (peek != NULL && peek->len == 0 && !site_has_told (hub, site_id))
      return;
  }
  if (!hub_begin (hub, &error))
    goto failed;

  queue = confab_store_list_queue (store, site_id, &error);
  if (queue == NULL)
    {
      hub_rollback (hub);
      goto failed;
    }
  for (guint i = 0; i < queue->len; i++)
    {
      ConfabQueued *queued = g_ptr_array_index (queue, i);
      const char *team = queued->team_id ? queued->team_id : "";
      g_autofree char *mode = NULL;
      gboolean assigned = FALSE;

      /* nobody of this queue was free for its head: the others of it wait behind */
      if (g_hash_table_contains (full, team))
        continue;
      mode = routing_mode (hub, site, queued->team_id);
      if (g_strcmp0 (mode, "round_robin") != 0 && g_strcmp0 (mode, "least_busy") != 0)
        {
          g_hash_table_add (full, g_strdup (team));
          continue;
        }
      if (!try_assign (hub, site_id, queued->conversation_id, queued->team_id, mode, &assigned,
                       &error))
        {
          hub_rollback (hub);
          goto failed;
        }
      if (assigned)
        g_ptr_array_remove_index (queue, i--);
      else
        g_hash_table_add (full, g_strdup (team));
    }
  if (!tell_queue (hub, site_id, queue, &error))
    {
      hub_rollback (hub);
      goto failed;
    }
  if (!hub_commit (hub, &error))
    goto failed;
  hub_flush (hub);
  return;

failed:
  g_warning ("Cannot route the queue of a site: %s", error->message);
}

static gboolean
drain_due (gpointer user_data)
{
  ConfabHub *hub = user_data;
  HubRouting *routing = routing_get (hub);
  g_autoptr (GPtrArray) sites = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  routing->idle = 0;
  g_hash_table_iter_init (&iter, routing->due);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_ptr_array_add (sites, key);
      g_hash_table_iter_steal (&iter);
    }
  for (guint i = 0; i < sites->len; i++)
    drain (hub, g_ptr_array_index (sites, i));
  return G_SOURCE_REMOVE;
}

void
hub_route_later (ConfabHub  *hub,
                 const char *site_id)
{
  HubRouting *routing = routing_get (hub);

  g_hash_table_add (routing->due, g_strdup (site_id));
  if (routing->idle == 0)
    routing->idle = g_idle_add (drain_due, hub);
}

void
confab_hub_route_later (ConfabHub  *hub,
                        const char *site_id)
{
  hub_route_later (hub, site_id);
}

/* --- leaving the queue --- */

/* The visitor's leave_message while their conversation waits: it leaves the queue (and stays
 * open, unassigned). Inside a unit. */
gboolean
hub_route_leave_queue (ConfabHub   *hub,
                       const char  *conversation_id,
                       GError     **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabRouting routing = { 0 };
  gboolean queued;

  if (!confab_store_get_routing (hub->relay->store, conversation_id, &routing, error))
    return FALSE;
  queued = routing.queue_position > 0;
  confab_routing_clear (&routing);
  if (!queued)
    return TRUE;
  if (!confab_store_dequeue (hub->relay->store, conversation_id, error))
    return FALSE;
  conversation = confab_store_get_conversation (hub->relay->store, conversation_id, error);
  if (conversation == NULL || !announce_conversation (hub, conversation, error))
    return FALSE;
  hub_route_later (hub, conversation->site_id);
  return TRUE;
}

/* --- reassignment --- */

typedef struct {
  ConfabHub *hub;
  char      *user_id;
  char      *site_id;
} AwayTimer;

static void
away_timer_free (AwayTimer *timer)
{
  g_free (timer->user_id);
  g_free (timer->site_id);
  g_free (timer);
}

/* @user_id was away long enough: their open conversations on the site go back to the head of
 * their queues (in their order), then to whoever is free. */
static void
reassign (ConfabHub  *hub,
          const char *site_id,
          const char *user_id)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GError) error = NULL;

  if (!hub_begin (hub, &error))
    goto failed;
  ids = confab_store_list_assigned_open (store, site_id, user_id, &error);
  if (ids == NULL)
    {
      hub_rollback (hub);
      goto failed;
    }
  /* the last first: each goes before the others at the head, so they keep their order */
  for (guint i = ids->len; i > 0; i--)
    {
      const char *id = g_ptr_array_index (ids, i - 1);
      g_autoptr (ConfabConversation) before = NULL;
      g_autoptr (ConfabConversation) after = NULL;

      before = confab_store_get_conversation (store, id, &error);
      if (before == NULL ||
          (after = confab_store_set_assignee (store, id, NULL, &error)) == NULL ||
          !confab_store_enqueue (store, id, TRUE, &error))
        {
          hub_rollback (hub);
          goto failed;
        }
      g_clear_pointer (&after, confab_conversation_free);
      after = confab_store_get_conversation (store, id, &error);
      if (after == NULL || !announce_conversation (hub, after, &error) ||
          !record_routing (hub, after, "unassigned", user_id, &error))
        {
          hub_rollback (hub);
          goto failed;
        }
    }
  if (!hub_commit (hub, &error))
    goto failed;
  hub_flush (hub);
  hub_route_later (hub, site_id);
  return;

failed:
  g_warning ("Cannot reassign an absent agent's conversations: %s", error->message);
}

static gboolean
away_expired (gpointer user_data)
{
  AwayTimer *timer = user_data;
  ConfabHub *hub = timer->hub;
  g_autofree char *key = g_strdup_printf ("%s\n%s", timer->user_id, timer->site_id);

  if (!user_online_on (hub, timer->site_id, timer->user_id))
    reassign (hub, timer->site_id, timer->user_id);
  /* the table's entry goes without removing this source again */
  {
    gpointer stolen = NULL;

    if (g_hash_table_steal_extended (routing_get (hub)->away, key, &stolen, NULL))
      g_free (stolen);
  }
  return G_SOURCE_REMOVE;
}

/* @agent's presence became @status ("offline": its last socket closed): online again drains
 * its sites' queues and forgets a pending reassignment; away, busy or offline starts one. */
void
hub_route_presence (ConfabHub  *hub,
                    Client     *agent,
                    const char *status)
{
  HubRouting *routing = routing_get (hub);
  gboolean online = g_strcmp0 (status, "online") == 0;

  for (guint i = 0; agent->site_ids != NULL && i < agent->site_ids->len; i++)
    {
      const char *site_id = g_ptr_array_index (agent->site_ids, i);
      g_autofree char *key = g_strdup_printf ("%s\n%s", agent->user_id, site_id);

      if (online)
        {
          g_hash_table_remove (routing->away, key);
          hub_route_later (hub, site_id);
          continue;
        }
      /* several relays: no timer here, where the agent was (this relay may die with it); the
       * sweep on every relay decides */
      if (hub->cluster != NULL)
        {
          hub_route_presence_changed (hub, site_id, agent->user_id);
          continue;
        }
      if (g_hash_table_contains (routing->away, key))
        continue;
      {
        g_autoptr (ConfabSite) site = confab_store_get_site (hub->relay->store, site_id, NULL);
        gint64 after = site ? site_reassign_after (site) : 0;
        AwayTimer *timer;
        guint source;

        if (after <= 0)
          continue;
        timer = g_new0 (AwayTimer, 1);
        timer->hub = hub;
        timer->user_id = g_strdup (agent->user_id);
        timer->site_id = g_strdup (site_id);
        source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (after * 1000), away_expired, timer,
                                     (GDestroyNotify) away_timer_free);
        g_hash_table_replace (routing->away, g_steal_pointer (&key), GUINT_TO_POINTER (source));
      }
    }
}

/* --- reassignment on several relays --- */

/* Notes when @user_id stopped being online on @site_id anywhere (or forgets it, online again):
 * the time the sweep counts reassign_after_seconds from. */
static gboolean
note_absent (ConfabHub  *hub,
             const char *site_id,
             const char *user_id,
             gint64      now,
             gint64     *out_since)
{
  HubRouting *routing = routing_get (hub);
  g_autofree char *key = g_strdup_printf ("%s\n%s", user_id, site_id);
  const char *status = hub_cluster_team_status (hub, site_id, user_id);
  gint64 *since;

  if (g_strcmp0 (status, "online") == 0)
    {
      g_hash_table_remove (routing->absent, key);
      return FALSE;
    }
  since = g_hash_table_lookup (routing->absent, key);
  if (since == NULL)
    {
      since = g_new (gint64, 1);
      *since = now;
      g_hash_table_insert (routing->absent, g_steal_pointer (&key), since);
    }
  *out_since = *since;
  return TRUE;
}

void
hub_route_presence_changed (ConfabHub  *hub,
                            const char *site_id,
                            const char *user_id)
{
  gint64 since;

  if (!note_absent (hub, site_id, user_id, confab_targets_now (hub->relay->targets), &since))
    /* online again (here or elsewhere): a free slot for the queue */
    hub_route_later (hub, site_id);
}

void
hub_route_sweep (ConfabHub  *hub,
                 const char *site_id)
{
  ConfabStore *store = hub->relay->store;
  HubRouting *routing = routing_get (hub);
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) assignees = NULL;
  g_autoptr (GHashTable) holding = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  gint64 after, now = confab_targets_now (hub->relay->targets);
  GHashTableIter iter;
  gpointer key;

  site = confab_store_get_site (store, site_id, NULL);
  after = site != NULL ? site_reassign_after (site) : 0;
  if (after <= 0)
    return;
  assignees = confab_store_list_assignees (store, site_id, &error);
  if (assignees == NULL)
    {
      g_warning ("Cannot look for absent agents' conversations: %s", error->message);
      return;
    }
  for (guint i = 0; i < assignees->len; i++)
    {
      const char *user_id = g_ptr_array_index (assignees, i);
      gint64 since;

      g_hash_table_add (holding, (gpointer) user_id);
      if (note_absent (hub, site_id, user_id, now, &since) && now - since >= after * 1000)
        {
          g_autofree char *done = g_strdup_printf ("%s\n%s", user_id, site_id);

          reassign (hub, site_id, user_id);
          g_hash_table_remove (routing->absent, done);
        }
    }
  /* who holds no chat of the site needs no watching */
  g_hash_table_iter_init (&iter, routing->absent);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *newline = strchr (key, '\n');
      g_autofree char *user_id = g_strndup (key, newline - (const char *) key);

      if (strcmp (newline + 1, site_id) == 0 && !g_hash_table_contains (holding, user_id))
        g_hash_table_iter_remove (&iter);
    }
}

/* --- the FAQ that matched --- */

/* The team of the first of the site's team_rules with @faq_id, or NULL. */
static ConfabTeam *
faq_rule_team (ConfabHub        *hub,
               const ConfabSite *site,
               const char       *faq_id)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *settings = site_settings (site, &root);
  JsonArray *rules;

  if (settings == NULL || !json_object_has_member (settings, "team_rules") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (settings, "team_rules")))
    return NULL;
  rules = json_object_get_array_member (settings, "team_rules");
  for (guint i = 0; i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = json_array_get_object_element (rules, i);

      if (rule == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (rule, "faq_id", NULL), faq_id) != 0)
        continue;
      return confab_store_get_team_by_key (hub->relay->store, site->id,
                                           json_object_get_string_member_with_default (rule, "team", ""),
                                           NULL);
    }
  return NULL;
}

/* Whether @seq is the conversation's first message of its visitor's. */
static gboolean
first_visitor_message (ConfabStore *store,
                       const char  *conversation_id,
                       gint64       seq,
                       gboolean    *out_first,
                       GError     **error)
{
  g_autoptr (GPtrArray) before = NULL;

  *out_first = TRUE;
  if (seq <= 1)
    return TRUE;
  before = confab_store_list_messages (store, conversation_id, 0, (guint) MIN (seq - 1, G_MAXUINT),
                                       error);
  if (before == NULL)
    return FALSE;
  for (guint i = 0; i < before->len; i++)
    {
      ConfabMessage *message = g_ptr_array_index (before, i);

      if (message->seq < seq && message->sender_type == CONFAB_SENDER_VISITOR)
        *out_first = FALSE;
    }
  return TRUE;
}

gboolean
confab_hub_route_faq_matched (ConfabHub   *hub,
                              const char  *conversation_id,
                              gint64       message_seq,
                              const char  *faq_id,
                              GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabTeam) team = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *routed_to = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabRouting routing = { 0 };
  gboolean has_team, first = FALSE, routed;

  conversation = confab_store_get_conversation (store, conversation_id, error);
  if (conversation == NULL)
    return FALSE;
  site = confab_store_get_site (store, conversation->site_id, error);
  if (site == NULL)
    return FALSE;
  /* most sites have no such rule: no transaction */
  team = faq_rule_team (hub, site, faq_id);
  if (team == NULL)
    return TRUE;

  if (!hub_begin (hub, error))
    return FALSE;
  /* read again inside the unit: an agent may have taken it meanwhile */
  g_clear_pointer (&conversation, confab_conversation_free);
  conversation = confab_store_get_conversation (store, conversation_id, error);
  if (conversation == NULL || !confab_store_get_routing (store, conversation_id, &routing, error))
    goto failed;
  has_team = routing.team_id != NULL;
  confab_routing_clear (&routing);
  if (has_team || conversation->assignee_id != NULL || conversation->status != CONFAB_STATUS_OPEN)
    goto unchanged;
  if (!first_visitor_message (store, conversation_id, message_seq, &first, error))
    goto failed;
  if (!first)
    goto unchanged;

  /* out of the site's queue, into the team's (at its end), or to a free agent of it */
  if (!confab_store_set_conversation_team (store, conversation_id, team->id, error) ||
      !confab_store_dequeue (store, conversation_id, error))
    goto failed;
  mode = routing_mode (hub, site, team->id);
  routed = g_strcmp0 (mode, "round_robin") == 0 || g_strcmp0 (mode, "least_busy") == 0;
  if (routed)
    {
      g_autofree char *candidates = online_agents_json (hub, site->id);

      routed_to = confab_store_route_pick (store, site->id, team->id, mode, candidates, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto failed;
        }
    }
  if (routed_to != NULL)
    updated = confab_store_route_assign (store, conversation_id, routed_to, error);
  else if (!routed || confab_store_enqueue (store, conversation_id, FALSE, error))
    updated = confab_store_get_conversation (store, conversation_id, error);
  if (updated == NULL || !announce_conversation (hub, updated, error) ||
      (routed_to != NULL && !record_routing (hub, updated, "assigned", routed_to, error)))
    goto failed;
  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);
  /* the site's queue moved up behind it */
  hub_route_later (hub, site->id);
  return TRUE;

unchanged:
  hub_rollback (hub);
  return TRUE;

failed:
  hub_rollback (hub);
  return FALSE;
}

/* --- transfer --- */

ConfabConversation *
confab_hub_transfer (ConfabHub                *hub,
                     const char               *actor_id,
                     const char               *actor_name,
                     const ConfabConversation *conversation,
                     const char               *to_agent_id,
                     const char               *to_team_id,
                     const char               *note,
                     GError                  **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autofree char *routed_to = NULL;

  g_return_val_if_fail ((to_agent_id == NULL) != (to_team_id == NULL), NULL);

  if (to_agent_id != NULL &&
      confab_store_get_role (store, conversation->site_id, to_agent_id) == CONFAB_ROLE_NONE)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                   "No such agent on this site");
      return NULL;
    }
  if (to_team_id != NULL)
    {
      g_autoptr (ConfabTeam) team = confab_store_get_team (store, to_team_id, NULL);

      if (team == NULL || strcmp (team->site_id, conversation->site_id) != 0)
        {
          g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                       "No such team on this site");
          return NULL;
        }
    }

  if (!hub_begin (hub, error))
    return NULL;

  if (to_agent_id != NULL)
    /* the agent chose: a person-to-person transfer may go over the target's limit */
    updated = confab_store_route_assign (store, conversation->id, to_agent_id, error);
  else if (confab_store_set_conversation_team (store, conversation->id, to_team_id, error) &&
           (updated = confab_store_set_assignee (store, conversation->id, NULL, error)) != NULL)
    {
      g_autoptr (ConfabSite) site = confab_store_get_site (store, conversation->site_id, error);
      g_autofree char *mode = site ? routing_mode (hub, site, to_team_id) : NULL;
      g_autoptr (GError) local_error = NULL;

      g_clear_pointer (&updated, confab_conversation_free);
      if (site == NULL)
        goto failed;
      if (g_strcmp0 (mode, "round_robin") == 0 || g_strcmp0 (mode, "least_busy") == 0)
        {
          g_autofree char *candidates = online_agents_json (hub, site->id);

          routed_to = confab_store_route_pick (store, site->id, to_team_id, mode, candidates,
                                               &local_error);
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              goto failed;
            }
        }
      if (routed_to != NULL)
        updated = confab_store_route_assign (store, conversation->id, routed_to, error);
      else if (confab_store_dequeue (store, conversation->id, error) &&
               (g_strcmp0 (mode, "round_robin") != 0 && g_strcmp0 (mode, "least_busy") != 0 ?
                TRUE : confab_store_enqueue (store, conversation->id, FALSE, error)))
        updated = confab_store_get_conversation (store, conversation->id, error);
    }
  if (updated == NULL || !announce_conversation (hub, updated, error))
    goto failed;

  json_object_set_string_member (extra, "by", actor_id);
  if (to_agent_id != NULL)
    json_object_set_string_member (extra, "to_agent_id", to_agent_id);
  else
    json_object_set_string_member (extra, "to_team_id", to_team_id);
  if (note != NULL && *note != '\0')
    json_object_set_string_member (extra, "note", note);
  else
    json_object_set_null_member (extra, "note");
  if (!record_timeline (hub, updated, "transferred", actor_id, actor_name, to_agent_id, extra, error))
    goto failed;
  if (routed_to != NULL && !record_routing (hub, updated, "assigned", routed_to, error))
    goto failed;

  /* the note is an internal note, as agents know them */
  if (note != NULL && *note != '\0')
    {
      g_autofree char *client_id = confab_new_id ("transfer_");
      g_autoptr (ConfabNote) stored = NULL;
      g_autoptr (JsonObject) frame = NULL;
      gboolean duplicate = FALSE;

      stored = confab_store_add_note (store, conversation->id, actor_id, actor_name, client_id, note,
                                      "[]", &duplicate, error);
      if (stored == NULL)
        goto failed;
      frame = confab_frame_new ("note");
      json_object_set_object_member (frame, "note", confab_note_to_json (stored));
      json_object_set_string_member (frame, "site_id", conversation->site_id);
      if (!persist_event (hub, conversation->site_id, CONFAB_EVENT_NOTE, conversation->id, frame,
                          error))
        goto failed;
    }

  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  hub_route_later (hub, conversation->site_id);
  return g_steal_pointer (&updated);

failed:
  hub_rollback (hub);
  return NULL;
}
