/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub.c: live connections of visitors and agents.
 *
 * Rooms are plain indexes: agents by site, visitor tabs by visitor id. Every persisted event
 * is written to the store first and fanned out after, in the same main-loop turn, so that a
 * client resuming from a cursor or seq can never miss or see twice what was sent live.
 */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub.h"
#include "confab-auth.h"
#include "confab-device.h"
#include "confab-faq.h"
#include "confab-geo.h"
#include "confab-http.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-util.h"
#include "confab-websocket.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FRAME_DEPTH      32
#define MAX_BODY_CHARS       4000
#define MAX_CLIENT_ID_CHARS  100
#define MAX_URL_CHARS        2048
#define MAX_TITLE_CHARS      500
#define MAX_NAME_CHARS       100
#define MAX_EMAIL_CHARS      254
#define MAX_COMMENT_CHARS    2000
#define JOURNEY_LENGTH       10
#define BACKLOG_BATCH        200
#define PREVIEW_INTERVAL_MS  100
/* A User-Agent longer than this is no browser's; the hello's own field has the same limit. */
#define MAX_USER_AGENT_CHARS 1000

typedef enum {
  CLIENT_VISITOR,
  CLIENT_AGENT,
} ClientKind;

typedef struct {
  ConfabHub               *hub;
  ConfabWebsocket         *ws;
  ClientKind               kind;
  char                    *ip_hash;
  guint                    bad_frames;
  gboolean                 closing;
  ConfabTokenBucket        messages;
  ConfabTokenBucket        typing;

  /* visitors */
  ConfabGeoResult         *geo;          /* looked up at the upgrade; NULL = unknown. The raw IP
                                          * itself is never kept. */
  char                    *header_user_agent; /* for a hello without user_agent */
  char                    *site_id;
  char                    *visitor_id;   /* set by hello */
  char                    *visitor_name;
  char                    *conversation_id;
  gboolean                 previews_allowed;
  char                    *pending_preview;
  guint                    preview_source;
  gint64                   last_preview_ms;

  /* agents */
  char                    *user_id;
  char                    *user_name;
  char                    *token_hash;
  GPtrArray               *site_ids;     /* char* */
  char                    *presence;
  gboolean                 subscribed;
  gboolean                 syncing;
  gint64                   sync_cursor;
  guint                    sync_source;
} Client;

struct _ConfabHub
{
  ConfabRelay *relay;
  GHashTable  *clients;          /* Client* set; owns them */
  GHashTable  *visitor_tabs;     /* visitor id → GPtrArray<Client*> */
  GHashTable  *site_visitors;    /* site id → GPtrArray<Client*> (after hello) */
  GHashTable  *site_agents;      /* site id → GPtrArray<Client*> */
  GHashTable  *site_online;      /* site id → GUINT agents online, as visitors were last told */

  /* Group commit: units of work (hub_begin … hub_commit) join one open store transaction,
   * committed when the main loop has nothing else to do, or after BATCH_MAX_MS or BATCH_MAX_UNITS.
   * One fsync then covers every message that arrived meanwhile. Frames about the batch (acks
   * included) wait in @outgoing and go out, in order, once it is durable. */
  GPtrArray   *outgoing;         /* Outgoing* */
  guint        tx_depth;         /* units open */
  guint        unit_mark;        /* outgoing->len when the outermost unit began */
  gboolean     batch_open;
  gint64       batch_started;    /* monotonic µs */
  guint        batch_units;
  guint        batch_idle;
  guint        batch_deadline;
};

#define BATCH_MAX_MS    5
#define BATCH_MAX_UNITS 256

typedef struct {
  Client *client;     /* this client gets client_text (NULL once it has gone) */
  char *client_text;
  char *failure_ref;  /* client_id to name in an error to @client if the batch fails */
  char *site_id;      /* the site's live agents get agent_text */
  char *agent_text;
  char *visitor_id;   /* this visitor's tabs get visitor_text */
  char *visitor_text;
} Outgoing;

static void
outgoing_free (Outgoing *outgoing)
{
  g_free (outgoing->site_id);
  g_free (outgoing->agent_text);
  g_free (outgoing->visitor_id);
  g_free (outgoing->visitor_text);
  g_free (outgoing->client_text);
  g_free (outgoing->failure_ref);
  g_free (outgoing);
}

static void hub_fanout_agents_online (ConfabHub  *hub,
                                      const char *site_id);

/* --- indexes --- */

static void
index_add (GHashTable *index,
           const char *key,
           Client     *client)
{
  GPtrArray *list = g_hash_table_lookup (index, key);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (index, g_strdup (key), list);
    }
  g_ptr_array_add (list, client);
}

static void
index_remove (GHashTable *index,
              const char *key,
              Client     *client)
{
  GPtrArray *list = key ? g_hash_table_lookup (index, key) : NULL;

  if (list == NULL)
    return;

  g_ptr_array_remove_fast (list, client);
  if (list->len == 0)
    g_hash_table_remove (index, key);
}

static GPtrArray *
index_get (GHashTable *index,
           const char *key)
{
  return key ? g_hash_table_lookup (index, key) : NULL;
}

static gboolean
agent_in_site (Client     *client,
               const char *site_id)
{
  for (guint i = 0; client->site_ids && i < client->site_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (client->site_ids, i), site_id) == 0)
      return TRUE;
  return FALSE;
}

/* --- sending --- */

/* Whether what the client has not acknowledged yet (our queue and the kernel's: the transport
 * knows both) is over @limit. */
static gboolean
client_backlogged (Client  *client,
                   guint64  limit)
{
  return confab_websocket_buffered_exceeds (client->ws, limit);
}

static void
client_close (Client     *client,
              gushort     code,
              const char *reason)
{
  if (client->closing)
    return;

  client->closing = TRUE;
  confab_websocket_close (client->ws, code, reason);
}

static gboolean
client_send_text (Client     *client,
                  const char *text)
{
  gsize len = strlen (text);
  guint64 limit = client->hub->relay->config->send_queue_bytes;

  if (client->closing || confab_websocket_get_state (client->ws) != CONFAB_WEBSOCKET_OPEN)
    return FALSE;

  if (len > limit || client_backlogged (client, limit - len))
    {
      /* It stopped reading: holding more for it would let one client grow the relay
       * without bound. It resumes from its cursor / seq when it comes back. */
      g_message ("Dropping a %s connection that stopped reading (%" G_GUINT64_FORMAT " bytes unacknowledged)",
                 client->kind == CLIENT_AGENT ? "agent" : "visitor",
                 confab_websocket_get_buffered (client->ws));
      client_close (client, CONFAB_CLOSE_SLOW_CONSUMER, "send queue full");
      return FALSE;
    }

  return confab_websocket_send_text (client->ws, text, len);
}

static gboolean
client_send (Client     *client,
             JsonObject *frame)
{
  g_autofree char *text = confab_frame_to_string (frame);

  return client_send_text (client, text);
}

static void
client_send_error (Client     *client,
                   const char *code,
                   const char *message,
                   const char *ref)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("error");

  json_object_set_string_member (frame, "code", code);
  json_object_set_string_member (frame, "message", message);
  if (ref != NULL)
    json_object_set_string_member (frame, "ref", ref);
  else
    json_object_set_null_member (frame, "ref");
  client_send (client, frame);
}

/* A frame the client got wrong: tell it, and close after too many. */
static void
client_bad_frame (Client     *client,
                  const char *code,
                  const char *message,
                  const char *ref)
{
  client_send_error (client, code, message, ref);
  if (++client->bad_frames >= client->hub->relay->config->bad_frames_before_close)
    client_close (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many bad frames");
}

static void
client_bad_gerror (Client       *client,
                   const GError *error,
                   const char   *ref)
{
  client_bad_frame (client, confab_json_error_code (error), error->message, ref);
}

static void
client_rate_limited (Client     *client,
                     guint       retry_after_ms,
                     const char *ref)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("error");

  json_object_set_string_member (frame, "code", "rate_limited");
  json_object_set_string_member (frame, "message", "Too many frames; wait before sending more");
  if (ref != NULL)
    json_object_set_string_member (frame, "ref", ref);
  else
    json_object_set_null_member (frame, "ref");
  /* whole seconds, rounded up, like HTTP's Retry-After */
  json_object_set_int_member (frame, "retry_after", MAX (1, (retry_after_ms + 999) / 1000));
  client_send (client, frame);
}

static void
client_store_failed (Client       *client,
                     const GError *error,
                     const char   *ref)
{
  g_warning ("Store failure: %s", error->message);
  client_send_error (client, "internal_error", "The relay could not store this; try again", ref);
}

/* Live events go to agents that finished their backlog; those still syncing will read the
 * event from the store, since it was persisted before this call. */
static void
fanout_agents (ConfabHub  *hub,
               const char *site_id,
               const char *text)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GPtrArray) snapshot = NULL;

  if (agents == NULL)
    return;

  /* sending may close a slow client, which edits the index */
  snapshot = g_ptr_array_copy (agents, NULL, NULL);
  for (guint i = 0; i < snapshot->len; i++)
    {
      Client *agent = g_ptr_array_index (snapshot, i);

      if (agent->subscribed && !agent->syncing)
        client_send_text (agent, text);
    }
}

static void
fanout_visitor_text (ConfabHub  *hub,
                     const char *visitor_id,
                     const char *text)
{
  GPtrArray *tabs = index_get (hub->visitor_tabs, visitor_id);
  g_autoptr (GPtrArray) snapshot = NULL;

  if (tabs == NULL)
    return;

  snapshot = g_ptr_array_copy (tabs, NULL, NULL);
  for (guint i = 0; i < snapshot->len; i++)
    client_send_text (g_ptr_array_index (snapshot, i), text);
}

static void
fanout_visitor (ConfabHub  *hub,
                const char *visitor_id,
                JsonObject *frame)
{
  g_autofree char *text = confab_frame_to_string (frame);

  fanout_visitor_text (hub, visitor_id, text);
}

/* --- transactions and what they send --- */

/* Every change that clients hear about is made between hub_begin() and hub_commit(): frames
 * queued meanwhile go out after the commit, in the order they were queued (which is cursor
 * order), and are dropped if it fails. Nobody ever hears of what was not stored. */
static void hub_commit_batch (ConfabHub *hub);

static gboolean
on_batch_due (gpointer user_data)
{
  hub_commit_batch (user_data);
  return G_SOURCE_REMOVE;
}

/* Opens the batch when none is (store writes made now join it). */
static gboolean
hub_join_batch (ConfabHub  *hub,
                GError    **error)
{
  if (hub->tx_depth > 0)
    return TRUE;

  if (hub->batch_open &&
      (g_get_monotonic_time () - hub->batch_started > BATCH_MAX_MS * 1000 ||
       hub->batch_units >= BATCH_MAX_UNITS))
    hub_commit_batch (hub);

  if (!hub->batch_open)
    {
      if (!confab_store_begin (hub->relay->store, error))
        return FALSE;
      hub->batch_open = TRUE;
      hub->batch_started = g_get_monotonic_time ();
      hub->batch_units = 0;
      hub->batch_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_batch_due, hub, NULL);
      hub->batch_deadline = g_timeout_add (BATCH_MAX_MS, on_batch_due, hub);
    }

  return TRUE;
}

static gboolean
hub_begin (ConfabHub  *hub,
           GError    **error)
{
  if (hub->tx_depth == 0)
    {
      if (!hub_join_batch (hub, error))
        return FALSE;
      hub->unit_mark = hub->outgoing->len;
    }

  if (!confab_store_begin (hub->relay->store, error))
    return FALSE;
  hub->tx_depth++;
  return TRUE;
}

/* Undoes the unit (a SAVEPOINT inside the batch) and forgets the frames it queued. */
static void
hub_rollback (ConfabHub *hub)
{
  confab_store_rollback (hub->relay->store);
  if (--hub->tx_depth == 0)
    g_ptr_array_set_size (hub->outgoing, hub->unit_mark);
}

/* Ends a unit: it becomes part of the batch, durable (and its frames sent) when the batch
 * commits. On failure the unit is rolled back. */
static gboolean
hub_commit (ConfabHub  *hub,
            GError    **error)
{
  if (!confab_store_commit (hub->relay->store, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (--hub->tx_depth == 0)
    hub->batch_units++;
  return TRUE;
}

static void
send_outgoing (ConfabHub *hub,
               GPtrArray *sending)
{
  for (guint i = 0; i < sending->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (sending, i);

      if (outgoing->client_text != NULL && outgoing->client != NULL)
        client_send_text (outgoing->client, outgoing->client_text);
      if (outgoing->agent_text != NULL)
        fanout_agents (hub, outgoing->site_id, outgoing->agent_text);
      if (outgoing->visitor_text != NULL)
        fanout_visitor_text (hub, outgoing->visitor_id, outgoing->visitor_text);
    }
}

/* Makes the batch durable, then tells everyone what is in it. */
static void
hub_commit_batch (ConfabHub *hub)
{
  g_autoptr (GPtrArray) sending = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&hub->batch_idle, g_source_remove);
  g_clear_handle_id (&hub->batch_deadline, g_source_remove);
  if (!hub->batch_open || hub->tx_depth > 0)
    return;

  hub->batch_open = FALSE;
  sending = g_steal_pointer (&hub->outgoing);
  hub->outgoing = g_ptr_array_new_with_free_func ((GDestroyNotify) outgoing_free);

  if (confab_store_commit (hub->relay->store, &error))
    {
      send_outgoing (hub, sending);
      return;
    }

  /* Nothing of the batch was stored: nobody hears of it, and whoever sent something in it is
   * told so, to retry with the same client_id. */
  g_warning ("Could not store %u changes: %s", hub->batch_units, error->message);
  confab_store_rollback (hub->relay->store);
  for (guint i = 0; i < sending->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (sending, i);

      if (outgoing->client != NULL && outgoing->failure_ref != NULL)
        client_store_failed (outgoing->client, error, outgoing->failure_ref);
    }
}

/* Frames of committed units go out with their batch; this only exists so that callers say
 * where their unit's frames are complete. */
static void
hub_flush (ConfabHub *hub)
{
  if (!hub->batch_open)
    g_assert (hub->outgoing->len == 0);
}

/* A frame for one client, in order with the batch: an ack must not overtake what it confirms,
 * and must not be sent before that is durable. */
static void
queue_for_client (ConfabHub  *hub,
                  Client     *client,
                  JsonObject *frame,
                  const char *failure_ref)
{
  Outgoing *outgoing;

  if (!hub->batch_open)
    {
      client_send (client, frame);
      return;
    }

  outgoing = g_new0 (Outgoing, 1);
  outgoing->client = client;
  outgoing->client_text = confab_frame_to_string (frame);
  outgoing->failure_ref = g_strdup (failure_ref);
  g_ptr_array_add (hub->outgoing, outgoing);
}

void
confab_hub_sync (ConfabHub *hub)
{
  hub_commit_batch (hub);
}

static void
queue_frames (ConfabHub  *hub,
              const char *site_id,
              JsonObject *for_agents,
              const char *visitor_id,
              JsonObject *for_visitor)
{
  Outgoing *outgoing = g_new0 (Outgoing, 1);

  outgoing->site_id = g_strdup (site_id);
  outgoing->agent_text = for_agents ? confab_frame_to_string (for_agents) : NULL;
  outgoing->visitor_id = g_strdup (visitor_id);
  outgoing->visitor_text = for_visitor ? confab_frame_to_string (for_visitor) : NULL;
  g_ptr_array_add (hub->outgoing, outgoing);
}

/* Stores @frame as an event of @site_id and queues it for the site's agents with its cursor.
 * Inside hub_begin()/hub_commit() only. */
static gboolean
persist_event (ConfabHub   *hub,
               const char  *site_id,
               const char  *kind,
               const char  *conversation_id,
               JsonObject  *frame,
               GError     **error)
{
  g_autofree char *payload = confab_frame_to_string (frame);
  gint64 cursor;

  g_assert (hub->tx_depth > 0);

  cursor = confab_store_add_event (hub->relay->store, site_id, kind, conversation_id, payload, error);
  if (cursor <= 0)
    return FALSE;

  json_object_set_int_member (frame, "cursor", cursor);
  queue_frames (hub, site_id, frame, NULL, NULL);
  return TRUE;
}

static JsonObject *
conversation_frame (ConfabHub                *hub,
                    const ConfabConversation *conversation,
                    ConfabAudience            audience)
{
  JsonObject *frame = confab_frame_new ("conversation");

  if (audience == CONFAB_AUDIENCE_AGENT)
    json_object_set_string_member (frame, "site_id", conversation->site_id);
  json_object_set_object_member (frame, "conversation",
                                 confab_conversation_to_json (hub->relay->store, conversation, audience));
  return frame;
}

/* The conversation changed: a persisted event for agents, a frame for the visitor's tabs. */
static gboolean
announce_conversation (ConfabHub                *hub,
                       const ConfabConversation *conversation,
                       GError                  **error)
{
  g_autoptr (JsonObject) for_agents = conversation_frame (hub, conversation, CONFAB_AUDIENCE_AGENT);
  g_autoptr (JsonObject) for_visitor = conversation_frame (hub, conversation, CONFAB_AUDIENCE_VISITOR);

  if (!persist_event (hub, conversation->site_id, CONFAB_EVENT_CONVERSATION,
                      conversation->id, for_agents, error))
    return FALSE;

  queue_frames (hub, NULL, NULL, conversation->visitor_id, for_visitor);
  return TRUE;
}

static JsonObject *
message_frame (const ConfabMessage *message,
               const char          *site_id,
               ConfabAudience       audience)
{
  JsonObject *frame = confab_frame_new ("message");
  g_autoptr (JsonObject) fields = confab_message_to_json (message, audience);
  g_autoptr (GList) names = json_object_get_members (fields);

  for (GList *l = names; l; l = l->next)
    json_object_set_member (frame, l->data, json_node_copy (json_object_get_member (fields, l->data)));
  if (audience == CONFAB_AUDIENCE_AGENT)
    {
      json_object_set_string_member (frame, "site_id", site_id);
      json_object_set_int_member (frame, "cursor", message->cursor);
    }
  return frame;
}

static void
queue_message (ConfabHub           *hub,
               const ConfabMessage *message,
               const char          *site_id,
               const char          *visitor_id)
{
  g_autoptr (JsonObject) for_agents = message_frame (message, site_id, CONFAB_AUDIENCE_AGENT);
  g_autoptr (JsonObject) for_visitor = message_frame (message, site_id, CONFAB_AUDIENCE_VISITOR);

  queue_frames (hub, site_id, for_agents, visitor_id, for_visitor);
}

static void
send_ack (Client              *client,
          const ConfabMessage *message)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("ack");

  json_object_set_string_member (frame, "client_id", message->client_id);
  json_object_set_string_member (frame, "conversation_id", message->conversation_id);
  json_object_set_int_member (frame, "seq", message->seq);
  queue_for_client (client->hub, client, frame, message->client_id);
}

/* A visitor arrived, changed page or left. */
static void
announce_visitor (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id,
                  gboolean    online)
{
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GError) error = NULL;

  visitor = confab_store_get_visitor (hub->relay->store, visitor_id, &error);
  if (visitor == NULL)
    {
      g_warning ("Visitor event lost: %s", error->message);
      return;
    }

  frame = confab_frame_new ("visitor");
  json_object_set_string_member (frame, "site_id", site_id);
  json_object_set_object_member (frame, "visitor",
                                 confab_visitor_to_json (hub->relay->store, visitor, online, JOURNEY_LENGTH));
  if (!hub_begin (hub, &error))
    goto lost;
  if (!persist_event (hub, site_id, CONFAB_EVENT_VISITOR, NULL, frame, &error))
    {
      hub_rollback (hub);
      goto lost;
    }
  if (!hub_commit (hub, &error))
    goto lost;
  hub_flush (hub);
  return;

lost:
  g_warning ("Visitor event lost: %s", error->message);
}

/* --- agents online, presence --- */

guint
confab_hub_agents_online (ConfabHub  *hub,
                          const char *site_id)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GHashTable) users = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; agents && i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);

      if (!agent->closing && g_strcmp0 (agent->presence, "online") == 0)
        g_hash_table_add (users, agent->user_id);
    }

  return g_hash_table_size (users);
}

static void
hub_fanout_agents_online (ConfabHub  *hub,
                          const char *site_id)
{
  guint count = confab_hub_agents_online (hub, site_id);
  gpointer told;
  GPtrArray *visitors;
  g_autoptr (JsonObject) frame = NULL;
  g_autofree char *text = NULL;

  if (g_hash_table_lookup_extended (hub->site_online, site_id, NULL, &told) &&
      GPOINTER_TO_UINT (told) == count)
    return;

  g_hash_table_replace (hub->site_online, g_strdup (site_id), GUINT_TO_POINTER (count));

  visitors = index_get (hub->site_visitors, site_id);
  if (visitors == NULL)
    return;

  frame = confab_frame_new ("agents_online");
  json_object_set_int_member (frame, "count", count);
  text = confab_frame_to_string (frame);
  {
    g_autoptr (GPtrArray) snapshot = g_ptr_array_copy (visitors, NULL, NULL);
    for (guint i = 0; i < snapshot->len; i++)
      client_send_text (g_ptr_array_index (snapshot, i), text);
  }
}

/* Tells every agent sharing a site with @agent its presence ("offline" once it has gone). */
static void
announce_presence (ConfabHub  *hub,
                   Client     *agent,
                   const char *status)
{
  g_autoptr (GHashTable) told = g_hash_table_new (NULL, NULL);
  g_autoptr (JsonObject) frame = confab_frame_new ("presence");
  g_autofree char *text = NULL;

  json_object_set_string_member (frame, "agent_id", agent->user_id);
  json_object_set_string_member (frame, "name", agent->user_name ? agent->user_name : "");
  json_object_set_string_member (frame, "status", status);
  text = confab_frame_to_string (frame);

  for (guint i = 0; i < agent->site_ids->len; i++)
    {
      GPtrArray *agents = index_get (hub->site_agents, g_ptr_array_index (agent->site_ids, i));
      g_autoptr (GPtrArray) snapshot = agents ? g_ptr_array_copy (agents, NULL, NULL) : NULL;

      for (guint j = 0; snapshot && j < snapshot->len; j++)
        {
          Client *other = g_ptr_array_index (snapshot, j);

          if (other == agent || g_hash_table_contains (told, other) ||
              !other->subscribed || other->syncing)
            continue;
          g_hash_table_add (told, other);
          client_send_text (other, text);
        }
    }

  for (guint i = 0; i < agent->site_ids->len; i++)
    hub_fanout_agents_online (hub, g_ptr_array_index (agent->site_ids, i));
}

/* --- visitor frames --- */

static gboolean
require_length (Client     *client,
                const char *field,
                const char *value,
                glong       min,
                glong       max,
                const char *ref)
{
  glong length = value ? confab_utf8_length (value) : 0;

  if (length >= min && length <= max)
    return TRUE;

  {
    g_autofree char *message = g_strdup_printf ("“%s” must be %ld to %ld characters", field, min, max);
    client_bad_frame (client, "invalid_value", message, ref);
  }
  return FALSE;
}

static gboolean
tabs_online (ConfabHub  *hub,
             const char *visitor_id)
{
  return index_get (hub->visitor_tabs, visitor_id) != NULL;
}

gboolean
confab_hub_visitor_online (ConfabHub  *hub,
                           const char *visitor_id)
{
  return tabs_online (hub, visitor_id);
}

static gboolean
settings_flag (const ConfabSite *site,
               const char       *flag,
               gboolean          default_value)
{
  g_autoptr (JsonObject) settings = NULL;

  if (site->settings_json == NULL)
    return default_value;

  settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                       G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
  if (settings == NULL || !json_object_has_member (settings, flag) ||
      !JSON_NODE_HOLDS_VALUE (json_object_get_member (settings, flag)))
    return default_value;

  return json_object_get_boolean_member (settings, flag);
}

static gboolean
token_matches (const char *stored_hash,
               const char *token)
{
  g_autofree char *hash = NULL;
  guchar difference = 0;
  gsize len;

  if (stored_hash == NULL || token == NULL)
    return FALSE;

  hash = confab_sha256_hex (token);
  len = strlen (hash);
  if (strlen (stored_hash) != len)
    return FALSE;

  /* constant time: the comparison must not tell how much of a guess was right */
  for (gsize i = 0; i < len; i++)
    difference |= hash[i] ^ stored_hash[i];
  return difference == 0;
}

/* hello's optional "name", "email" (the pre-chat form) and "consent":{"given_at":RFC 3339}.
 * A consent time in the future (a wrong clock) is taken as now. FALSE after an error frame. */
static gboolean
visitor_hello_identity (Client      *client,
                        JsonObject  *frame,
                        const char **name,
                        const char **email,
                        gint64      *consent_at)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) given = NULL;
  JsonObject *consent = NULL;
  const char *given_at = NULL;

  if (!confab_json_get_string (frame, "name", FALSE, name, &error) ||
      !confab_json_get_string (frame, "email", FALSE, email, &error) ||
      !confab_json_get_object (frame, "consent", FALSE, &consent, &error) ||
      (consent != NULL && !confab_json_get_string (consent, "given_at", TRUE, &given_at, &error)))
    {
      client_bad_gerror (client, error, NULL);
      return FALSE;
    }
  if ((*name && !require_length (client, "name", *name, 1, MAX_NAME_CHARS, NULL)) ||
      (*email && !require_length (client, "email", *email, 3, MAX_EMAIL_CHARS, NULL)))
    return FALSE;
  if (*email && (strchr (*email, '@') == NULL || strchr (*email, ' ') != NULL))
    {
      client_bad_frame (client, "invalid_value", "“email” is not an e-mail address", NULL);
      return FALSE;
    }
  if (given_at != NULL)
    {
      given = g_date_time_new_from_iso8601 (given_at, NULL);
      if (given == NULL)
        {
          client_bad_frame (client, "invalid_value", "“consent.given_at” is not an RFC 3339 time", NULL);
          return FALSE;
        }
      *consent_at = MIN (g_date_time_to_unix (given) * 1000 + g_date_time_get_microsecond (given) / 1000,
                         confab_now_ms ());
      if (*consent_at <= 0)
        {
          client_bad_frame (client, "invalid_value", "“consent.given_at” is before 1970", NULL);
          return FALSE;
        }
    }
  return TRUE;
}

static void
visitor_hello (Client     *client,
               JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  const char *visitor_id = NULL, *visitor_token = NULL, *locale = NULL, *timezone = NULL;
  const char *user_agent = NULL, *fingerprint = NULL, *url = NULL, *title = NULL;
  const char *name = NULL, *email = NULL;
  JsonObject *page = NULL;
  gint64 consent_at = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autofree char *new_token = NULL;
  ConfabVisitorInfo info = { 0 };
  ConfabVisitorContext context = { 0 };
  ConfabDevice device;
  gboolean first_tab, fingerprints;

  if (client->visitor_id != NULL)
    {
      client_bad_frame (client, "already_hello", "This connection has said hello already", NULL);
      return;
    }

  if (!confab_json_get_string (frame, "visitor_id", FALSE, &visitor_id, &error) ||
      !confab_json_get_string (frame, "visitor_token", FALSE, &visitor_token, &error) ||
      !confab_json_get_string (frame, "locale", FALSE, &locale, &error) ||
      !confab_json_get_string (frame, "timezone", FALSE, &timezone, &error) ||
      !confab_json_get_string (frame, "user_agent", FALSE, &user_agent, &error) ||
      !confab_json_get_string (frame, "fingerprint", FALSE, &fingerprint, &error) ||
      !confab_json_get_object (frame, "page", FALSE, &page, &error) ||
      (page != NULL && !confab_json_get_string (page, "url", FALSE, &url, &error)) ||
      (page != NULL && !confab_json_get_string (page, "title", FALSE, &title, &error)))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }

  if ((locale && !require_length (client, "locale", locale, 1, 35, NULL)) ||
      (timezone && !require_length (client, "timezone", timezone, 1, 64, NULL)) ||
      (user_agent && !require_length (client, "user_agent", user_agent, 0, MAX_USER_AGENT_CHARS, NULL)) ||
      (fingerprint && !require_length (client, "fingerprint", fingerprint, 1, 128, NULL)) ||
      (url && !require_length (client, "url", url, 1, MAX_URL_CHARS, NULL)) ||
      (title && !require_length (client, "title", title, 0, MAX_TITLE_CHARS, NULL)))
    return;

  /* The widget's pre-chat form and GDPR consent (issue 4). */
  if (!visitor_hello_identity (client, frame, &name, &email, &consent_at))
    return;

  /* what hello writes (visitor, page view, arrival event) goes into the batch, in one fsync */
  site = confab_store_get_site (store, client->site_id, &error);
  if (site == NULL || !hub_join_batch (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  /* The widget's own report wins over the upgrade's header: a proxy may rewrite the latter. */
  confab_device_parse_full (user_agent != NULL ? user_agent : client->header_user_agent, &device);
  fingerprints = settings_flag (site, "fingerprint", FALSE);
  info.locale = locale;
  info.timezone = timezone;
  info.browser = device.browser;
  info.os = device.os;
  info.fingerprint = fingerprints ? fingerprint : NULL;
  info.name = name;
  info.email = email;

  if (visitor_id != NULL && visitor_token != NULL)
    {
      visitor = confab_store_get_visitor (store, visitor_id, NULL);
      /* A wrong token, or a visitor of another site, is treated exactly like an unknown id:
       * the client starts afresh and learns nothing about whoever owns that id. */
      if (visitor != NULL &&
          (g_strcmp0 (visitor->site_id, client->site_id) != 0 ||
           !token_matches (visitor->token_hash, visitor_token)))
        g_clear_pointer (&visitor, confab_visitor_free);
    }

  first_tab = visitor == NULL || !tabs_online (hub, visitor->id);

  if (visitor != NULL)
    {
      gint64 new_visit_after = (gint64) hub->relay->config->new_visit_after_minutes * 60 * 1000;
      gboolean new_visit = first_tab && confab_now_ms () - visitor->last_seen > new_visit_after;
      ConfabVisitor *touched = confab_store_touch_visitor (store, visitor->id, &info, new_visit, &error);

      if (touched == NULL)
        {
          client_store_failed (client, error, NULL);
          return;
        }
      confab_visitor_free (visitor);
      visitor = touched;
    }
  else
    {
      g_autofree char *token_hash = NULL;
      g_autoptr (ConfabVisitor) previous = NULL;

      /* Storage cleared, same browser: where the site allows it, the fingerprint finds who this
       * was. A fingerprint is no secret (it can be guessed or copied), so it earns recognition
       * for the agents only, never access: the newcomer gets a visitor of their own (new id,
       * new token; the old token stays valid for whoever holds it) linked to the earlier one.
       * Agents see one person (linked_to, visits + 1, the journey and conversations of the
       * chain); everything the visitor side reaches is keyed by visitor id (the current
       * conversation, resume, live fan-out to tabs, uploads), so none of the earlier
       * conversations, messages, name or e-mail reach this connection. */
      if (fingerprints && fingerprint != NULL && visitor_id == NULL)
        previous = confab_store_find_visitor_by_fingerprint (store, client->site_id, fingerprint,
                                                             NULL);

      new_token = confab_auth_new_visitor_token ();
      token_hash = confab_sha256_hex (new_token);
      visitor = confab_store_create_visitor (store, client->site_id, token_hash, &info, &error);
      if (visitor == NULL)
        {
          client_store_failed (client, error, NULL);
          return;
        }

      if (previous != NULL)
        {
          ConfabVisitor *linked = confab_store_link_visitor (store, visitor->id, previous->id,
                                                             &error);

          if (linked == NULL)
            {
              /* They are still served, only not recognised. */
              g_warning ("Visitor re-link lost: %s", error->message);
              g_clear_error (&error);
            }
          else
            {
              confab_visitor_free (visitor);
              visitor = linked;
            }
        }
    }

  /* An unknown location (a private address, no database) keeps what was known: better an
   * earlier city than none. A User-Agent always tells the whole device anew. */
  context.geo_known = client->geo != NULL;
  if (client->geo != NULL)
    {
      context.country = client->geo->country;
      context.country_name = client->geo->country_name;
      context.city = client->geo->city;
      context.geo_timezone = client->geo->timezone;
    }
  context.device_known = (user_agent != NULL ? user_agent : client->header_user_agent) != NULL;
  context.ip_hash = client->ip_hash;
  context.browser = device.browser;
  context.browser_version = device.browser_version[0] ? device.browser_version : NULL;
  context.os = device.os;
  context.os_version = device.os_version[0] ? device.os_version : NULL;
  context.device_type = device.type;
  if (!confab_store_set_visitor_context (store, visitor->id, &context, &error))
    {
      g_warning ("Visitor context lost: %s", error->message);
      g_clear_error (&error);
    }

  if (url != NULL &&
      !confab_store_add_page_view (store, visitor->id, url, title, confab_now_ms (), &error))
    g_warning ("Page view lost: %s", error->message);
  g_clear_error (&error);

  if (consent_at > 0 && !confab_store_set_visitor_consent (store, visitor->id, consent_at, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  client->visitor_id = g_strdup (visitor->id);
  client->visitor_name = g_strdup (visitor->name);
  client->previews_allowed = settings_flag (site, "typing_preview", TRUE);
  index_add (hub->visitor_tabs, visitor->id, client);
  index_add (hub->site_visitors, client->site_id, client);

  conversation = confab_store_get_current_conversation (store, visitor->id, NULL);
  g_clear_pointer (&client->conversation_id, g_free);
  if (conversation != NULL)
    client->conversation_id = g_strdup (conversation->id);

  welcome = confab_frame_new ("welcome");
  json_object_set_string_member (welcome, "visitor_id", visitor->id);
  json_object_set_string_member (welcome, "visitor_token", new_token ? new_token : visitor_token);
  if (conversation != NULL)
    json_object_set_object_member (welcome, "conversation",
                                   confab_conversation_to_json (store, conversation, CONFAB_AUDIENCE_VISITOR));
  else
    json_object_set_null_member (welcome, "conversation");
  json_object_set_int_member (welcome, "agents_online", confab_hub_agents_online (hub, client->site_id));
  /* the visitor token in it is good once the batch holding the visitor is stored */
  queue_for_client (hub, client, welcome, NULL);

  /* A second tab of a visitor already online is no arrival, but its page is news, and so are
   * the details of the pre-chat form and a consent. */
  if (first_tab || url != NULL || name != NULL || email != NULL || consent_at > 0)
    announce_visitor (hub, client->site_id, visitor->id, TRUE);
}

/* For a visitor's message without a conversation: their current one, reopened when it was
 * resolved, or a new one. Agents hear of it before the message (a lower cursor). */
static ConfabConversation *
prepare_visitor_conversation (ConfabHub  *hub,
                              const char *site_id,
                              const char *visitor_id,
                              GError    **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;

  conversation = confab_store_get_current_conversation (store, visitor_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (conversation == NULL)
    conversation = confab_store_create_conversation (store, site_id, visitor_id, error);
  else if (conversation->status == CONFAB_STATUS_RESOLVED)
    {
      /* a follow-up question */
      ConfabConversation *reopened = confab_store_set_status (store, conversation->id,
                                                              CONFAB_STATUS_OPEN, error);
      confab_conversation_free (conversation);
      conversation = reopened;
    }
  else
    return g_steal_pointer (&conversation);

  if (conversation == NULL || !announce_conversation (hub, conversation, error))
    return NULL;

  return g_steal_pointer (&conversation);
}

/* Appends @draft and tells everyone; the shared path of visitor and agent messages. */
static void
deliver_message (Client             *client,
                 ConfabMessageDraft *draft)
{
  ConfabHub *hub = client->hub;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) prepared = NULL;
  g_autoptr (GError) error = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;

  if (!hub_begin (hub, &error))
    {
      client_store_failed (client, error, draft->client_id);
      return;
    }

  if (draft->conversation_id == NULL)
    {
      prepared = prepare_visitor_conversation (hub, draft->site_id, draft->visitor_id, &error);
      if (prepared == NULL)
        {
          hub_rollback (hub);
          client_store_failed (client, error, draft->client_id);
          return;
        }
      draft->conversation_id = prepared->id;
    }

  /* Inside the transaction: a visitor's upload made before their first message is tied to
   * the conversation only if the message is stored too. */
  if (draft->attachment_id != NULL &&
      !confab_store_claim_upload (hub->relay->store, draft->attachment_id, draft->conversation_id,
                                  draft->sender_type == CONFAB_SENDER_VISITOR ? draft->sender_id : NULL,
                                  &error))
    {
      hub_rollback (hub);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        client_bad_frame (client, "not_found", "No such attachment", draft->client_id);
      else
        client_store_failed (client, error, draft->client_id);
      return;
    }

  if (!confab_store_append_message (hub->relay->store, draft, &message, &conversation,
                                    &changed, &result, &error))
    {
      hub_rollback (hub);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        client_bad_frame (client, "client_id_conflict",
                          "This client_id was used before for another message", draft->client_id);
      else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        client_bad_frame (client, "not_found", "No such conversation", draft->client_id);
      else
        client_store_failed (client, error, draft->client_id);
      return;
    }

  if (result == CONFAB_APPEND_DUPLICATE)
    {
      /* A blind retry after a lost ack: undo what preparing it did (a new or reopened
       * conversation), acknowledge again, tell nobody else. */
      hub_rollback (hub);
      send_ack (client, message);
      return;
    }

  if (changed && !announce_conversation (hub, conversation, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, draft->client_id);
      return;
    }

  /* both go out once the batch is durable: the ack first, then the message to everyone */
  send_ack (client, message);
  queue_message (hub, message, conversation->site_id, conversation->visitor_id);

  if (!hub_commit (hub, &error))
    {
      client_store_failed (client, error, draft->client_id);
      return;
    }
  hub_flush (hub);

  if (client->kind == CLIENT_VISITOR)
    {
      GPtrArray *tabs = index_get (hub->visitor_tabs, conversation->visitor_id);

      for (guint i = 0; tabs && i < tabs->len; i++)
        {
          Client *tab = g_ptr_array_index (tabs, i);
          g_free (tab->conversation_id);
          tab->conversation_id = g_strdup (conversation->id);
        }

      /* after the visitor's message is out: the bot's answer follows it */
      confab_faq_after_visitor_message (hub->relay, conversation, message);
    }
}

static gboolean
take_message_tokens (Client     *client,
                     const char *ref)
{
  gint64 now = g_get_monotonic_time () / 1000;
  guint retry = 0;

  if (!confab_token_bucket_take (&client->messages, now, &retry) ||
      !confab_rate_limit_take (client->hub->relay->messages_per_ip, client->ip_hash, now, &retry))
    {
      client_rate_limited (client, retry, ref);
      return FALSE;
    }
  return TRUE;
}

/* client_id, body, attachment_id: the checks agents and visitors share. */
static gboolean
read_message_fields (Client      *client,
                     JsonObject  *frame,
                     const char **client_id,
                     const char **body,
                     const char **attachment_id)
{
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_string (frame, "client_id", TRUE, client_id, &error))
    {
      client_bad_gerror (client, error, NULL);
      return FALSE;
    }
  if (!require_length (client, "client_id", *client_id, 1, MAX_CLIENT_ID_CHARS, NULL))
    return FALSE;

  if (!confab_json_get_string (frame, "body", FALSE, body, &error) ||
      !confab_json_get_string (frame, "attachment_id", FALSE, attachment_id, &error))
    {
      client_bad_gerror (client, error, *client_id);
      return FALSE;
    }

  /* Whether the attachment may go into the conversation is decided in deliver_message(),
   * where the conversation is known (confab_store_claim_upload()). */
  if (*attachment_id != NULL &&
      !require_length (client, "attachment_id", *attachment_id, 1, MAX_CLIENT_ID_CHARS, *client_id))
    return FALSE;

  if (*body == NULL)
    {
      /* a picture needs no words */
      if (*attachment_id != NULL)
        return TRUE;
      client_bad_frame (client, "missing_field", "“body” is required", *client_id);
      return FALSE;
    }

  if (!require_length (client, "body", *body, 1, MAX_BODY_CHARS, *client_id))
    return FALSE;

  {
    g_autofree char *trimmed = g_strstrip (g_strdup (*body));
    if (*trimmed == '\0')
      {
        client_bad_frame (client, "invalid_value", "“body” must not be only white space", *client_id);
        return FALSE;
      }
  }

  return TRUE;
}

static void
visitor_message (Client     *client,
                 JsonObject *frame)
{
  const char *client_id = NULL, *body = NULL, *attachment_id = NULL;
  ConfabMessageDraft draft = { 0 };

  if (!read_message_fields (client, frame, &client_id, &body, &attachment_id) ||
      !take_message_tokens (client, client_id))
    return;

  draft.site_id = client->site_id;
  draft.visitor_id = client->visitor_id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = client->visitor_id;
  draft.sender_name = client->visitor_name;
  draft.body = body;
  draft.attachment_id = attachment_id;
  deliver_message (client, &draft);
}

static void
send_preview (Client     *client,
              const char *text,
              gboolean    active)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("typing_preview");
  g_autofree char *serialised = NULL;

  json_object_set_string_member (frame, "site_id", client->site_id);
  json_object_set_string_member (frame, "conversation_id", client->conversation_id);
  json_object_set_string_member (frame, "visitor_id", client->visitor_id);
  if (client->previews_allowed || !active)
    json_object_set_string_member (frame, "text", active ? text : "");
  else
    json_object_set_null_member (frame, "text");
  json_object_set_boolean_member (frame, "active", active);

  serialised = confab_frame_to_string (frame);
  fanout_agents (client->hub, client->site_id, serialised);
  client->last_preview_ms = g_get_monotonic_time () / 1000;
}

static gboolean
flush_preview (gpointer user_data)
{
  Client *client = user_data;
  g_autofree char *text = g_steal_pointer (&client->pending_preview);

  client->preview_source = 0;
  if (text != NULL && client->conversation_id != NULL)
    send_preview (client, text, TRUE);

  return G_SOURCE_REMOVE;
}

static void
visitor_typing (Client     *client,
                JsonObject *frame,
                gboolean    stop)
{
  const char *preview = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time () / 1000;
  guint retry = 0;

  if (!stop)
    {
      if (!confab_json_get_string (frame, "preview", FALSE, &preview, &error))
        {
          client_bad_gerror (client, error, NULL);
          return;
        }
      if (preview != NULL && !require_length (client, "preview", preview, 0, MAX_BODY_CHARS, NULL))
        return;
    }

  if (!confab_token_bucket_take (&client->typing, now, &retry) ||
      !confab_rate_limit_take (client->hub->relay->typing_per_ip, client->ip_hash, now, &retry))
    {
      client_rate_limited (client, retry, NULL);
      return;
    }

  /* Agents only see typing in a conversation; before the first message there is none. */
  if (client->conversation_id == NULL)
    return;

  if (stop || preview == NULL || *preview == '\0')
    {
      g_clear_handle_id (&client->preview_source, g_source_remove);
      g_clear_pointer (&client->pending_preview, g_free);
      send_preview (client, "", !stop && preview != NULL);
      return;
    }

  /* Throttle to one preview per interval; the latest text always goes out. */
  g_free (client->pending_preview);
  client->pending_preview = g_strdup (preview);
  if (client->preview_source == 0)
    {
      gint64 wait = client->last_preview_ms + PREVIEW_INTERVAL_MS - now;

      if (wait <= 0)
        flush_preview (client);
      else
        client->preview_source = g_timeout_add ((guint) wait, flush_preview, client);
    }
}

static void
visitor_page_view (Client     *client,
                   JsonObject *frame)
{
  const char *url = NULL, *title = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_string (frame, "url", TRUE, &url, &error) ||
      !confab_json_get_string (frame, "title", FALSE, &title, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (!require_length (client, "url", url, 1, MAX_URL_CHARS, NULL) ||
      (title && !require_length (client, "title", title, 0, MAX_TITLE_CHARS, NULL)))
    return;

  if (!confab_store_add_page_view (client->hub->relay->store, client->visitor_id, url, title,
                                   confab_now_ms (), &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  announce_visitor (client->hub, client->site_id, client->visitor_id, TRUE);
}

static void
send_messages_after (Client     *client,
                     const char *conversation_id,
                     gint64      after_seq)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (JsonObject) synced = confab_frame_new ("synced");
  g_autoptr (GError) error = NULL;
  gint64 seq = after_seq;

  while (conversation_id != NULL)
    {
      g_autoptr (GPtrArray) batch = confab_store_list_messages (store, conversation_id, seq,
                                                                BACKLOG_BATCH, &error);
      if (batch == NULL)
        {
          client_store_failed (client, error, NULL);
          return;
        }

      for (guint i = 0; i < batch->len; i++)
        {
          ConfabMessage *message = g_ptr_array_index (batch, i);
          g_autoptr (JsonObject) frame = message_frame (message, NULL, CONFAB_AUDIENCE_VISITOR);

          if (!client_send (client, frame))
            return;
          seq = message->seq;
        }

      if (batch->len < BACKLOG_BATCH)
        break;
    }

  if (conversation_id != NULL)
    json_object_set_string_member (synced, "conversation_id", conversation_id);
  json_object_set_int_member (synced, "seq", seq);
  client_send (client, synced);
}

static void
visitor_resume (Client     *client,
                JsonObject *frame)
{
  gint64 after_seq = 0;
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_int (frame, "after_seq", TRUE, 0, &after_seq, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (after_seq < 0)
    {
      client_bad_frame (client, "invalid_value", "“after_seq” must be 0 or more", NULL);
      return;
    }

  send_messages_after (client, client->conversation_id, after_seq);
}

/* The visitor's current conversation, or NULL after telling them there is none. */
static ConfabConversation *
visitor_conversation (Client *client)
{
  ConfabConversation *conversation = NULL;

  if (client->conversation_id != NULL)
    conversation = confab_store_get_conversation (client->hub->relay->store, client->conversation_id, NULL);

  if (conversation == NULL)
    client_bad_frame (client, "no_conversation", "There is no conversation yet", NULL);

  return conversation;
}

static void
visitor_read (Client     *client,
              JsonObject *frame)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) receipt = NULL;
  g_autofree char *text = NULL;
  gint64 seq = 0;

  if (!confab_json_get_int (frame, "seq", TRUE, 0, &seq, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((conversation = visitor_conversation (client)) == NULL)
    return;
  if (seq < 0 || seq > conversation->last_seq)
    {
      client_bad_frame (client, "invalid_value", "“seq” is not a message of this conversation", NULL);
      return;
    }

  updated = confab_store_mark_read (client->hub->relay->store, conversation->id,
                                    CONFAB_SENDER_VISITOR, seq, &error);
  if (updated == NULL)
    {
      client_store_failed (client, error, NULL);
      return;
    }

  /* Read receipts are live only: the next conversation event carries visitor_read_seq. */
  receipt = confab_frame_new ("read");
  json_object_set_string_member (receipt, "site_id", conversation->site_id);
  json_object_set_string_member (receipt, "conversation_id", conversation->id);
  json_object_set_string_member (receipt, "reader", "visitor");
  json_object_set_int_member (receipt, "seq", updated->visitor_read_seq);
  text = confab_frame_to_string (receipt);
  fanout_agents (client->hub, conversation->site_id, text);
}

static void
visitor_rate (Client     *client,
              JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) event = NULL;
  const char *comment = NULL;
  gint64 score = 0;

  if (!confab_json_get_int (frame, "score", TRUE, 0, &score, &error) ||
      !confab_json_get_string (frame, "comment", FALSE, &comment, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (score < 1 || score > 5)
    {
      client_bad_frame (client, "invalid_value", "“score” must be from 1 to 5", NULL);
      return;
    }
  if (comment != NULL && !require_length (client, "comment", comment, 0, MAX_COMMENT_CHARS, NULL))
    return;
  if ((conversation = visitor_conversation (client)) == NULL)
    return;

  event = confab_frame_new ("rating");
  json_object_set_string_member (event, "site_id", conversation->site_id);
  json_object_set_string_member (event, "conversation_id", conversation->id);
  json_object_set_int_member (event, "score", score);
  if (comment != NULL)
    json_object_set_string_member (event, "comment", comment);
  else
    json_object_set_null_member (event, "comment");

  if (!hub_begin (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  if (!confab_store_set_rating (hub->relay->store, conversation->id, (int) score, comment, &error) ||
      !persist_event (hub, conversation->site_id, "rating", conversation->id, event, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, NULL);
      return;
    }
  if (!hub_commit (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  hub_flush (hub);

  {
    g_autoptr (JsonObject) thanks = confab_frame_new ("rated");
    json_object_set_string_member (thanks, "conversation_id", conversation->id);
    json_object_set_int_member (thanks, "score", score);
    client_send (client, thanks);
  }
}

static void
visitor_leave_message (Client     *client,
                       JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  const char *name = NULL, *email = NULL, *body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) event = NULL;
  g_autofree char *id = NULL;
  JsonObject *offline;
  ConfabVisitorInfo info = { 0 };

  if (!confab_json_get_string (frame, "name", FALSE, &name, &error) ||
      !confab_json_get_string (frame, "email", TRUE, &email, &error) ||
      !confab_json_get_string (frame, "body", TRUE, &body, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((name && !require_length (client, "name", name, 0, MAX_NAME_CHARS, NULL)) ||
      !require_length (client, "email", email, 3, MAX_EMAIL_CHARS, NULL) ||
      !require_length (client, "body", body, 1, MAX_BODY_CHARS, NULL))
    return;
  if (strchr (email, '@') == NULL || strchr (email, ' ') != NULL)
    {
      client_bad_frame (client, "invalid_value", "“email” is not an e-mail address", NULL);
      return;
    }
  if (!take_message_tokens (client, NULL))
    return;

  if (!hub_begin (hub, &error))
    goto not_stored;

  id = confab_store_add_offline_message (store, client->site_id, client->visitor_id,
                                         name, email, body, &error);
  info.name = name && *name ? name : NULL;
  info.email = email;
  if (id == NULL || !confab_store_touch_visitor (store, client->visitor_id, &info, FALSE, &error))
    goto failed;

  event = confab_frame_new ("offline_message");
  json_object_set_string_member (event, "site_id", client->site_id);
  offline = json_object_new ();
  json_object_set_string_member (offline, "id", id);
  json_object_set_string_member (offline, "visitor_id", client->visitor_id);
  if (name != NULL)
    json_object_set_string_member (offline, "name", name);
  else
    json_object_set_null_member (offline, "name");
  json_object_set_string_member (offline, "email", email);
  json_object_set_string_member (offline, "body", body);
  {
    g_autofree char *now = confab_format_time (confab_now_ms ());
    json_object_set_string_member (offline, "created_at", now);
  }
  json_object_set_object_member (event, "offline_message", offline);

  if (!persist_event (hub, client->site_id, "offline_message", NULL, event, &error))
    goto failed;
  if (!hub_commit (hub, &error))
    goto not_stored;

  if (info.name != NULL)
    {
      g_free (client->visitor_name);
      client->visitor_name = g_strdup (info.name);
    }

  {
    g_autoptr (JsonObject) answer = confab_frame_new ("left_message");
    json_object_set_string_member (answer, "id", id);
    client_send (client, answer);
  }
  hub_flush (hub);
  return;

failed:
  hub_rollback (hub);
not_stored:
  client_store_failed (client, error, NULL);
}

/* talk_to_human, faq_feedback: the FAQ bot's frames (confab-faq.c) */
static void
visitor_faq_frame (Client     *client,
                   const char *type,
                   JsonObject *frame)
{
  ConfabFaqVisitor visitor = { client->site_id, client->visitor_id, client->conversation_id };
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_faq_visitor_frame (client->hub->relay, &visitor, type, frame, &reply, &error))
    {
      const char *code = confab_faq_error_code (error);

      if (code != NULL)
        client_bad_frame (client, code, error->message, NULL);
      else
        client_store_failed (client, error, NULL);
      return;
    }
  if (reply != NULL)
    client_send (client, reply);
}

static void
handle_visitor_frame (Client     *client,
                      const char *type,
                      JsonObject *frame)
{
  if (strcmp (type, "hello") == 0)
    return visitor_hello (client, frame);

  if (strcmp (type, "ping") == 0)
    {
      g_autoptr (JsonObject) pong = confab_frame_new ("pong");
      client_send (client, pong);
      return;
    }

  if (client->visitor_id == NULL)
    {
      const char *client_id = NULL;

      confab_json_get_string (frame, "client_id", FALSE, &client_id, NULL);
      client_bad_frame (client, "hello_required", "Send “hello” first", client_id);
      return;
    }

  if (strcmp (type, "message") == 0)
    visitor_message (client, frame);
  else if (strcmp (type, "typing") == 0)
    visitor_typing (client, frame, FALSE);
  else if (strcmp (type, "typing_stop") == 0)
    visitor_typing (client, frame, TRUE);
  else if (strcmp (type, "page_view") == 0)
    visitor_page_view (client, frame);
  else if (strcmp (type, "resume") == 0)
    visitor_resume (client, frame);
  else if (strcmp (type, "read") == 0)
    visitor_read (client, frame);
  else if (strcmp (type, "rate") == 0)
    visitor_rate (client, frame);
  else if (strcmp (type, "leave_message") == 0)
    visitor_leave_message (client, frame);
  else if (confab_faq_is_visitor_frame (type))
    visitor_faq_frame (client, type, frame);
  else
    client_bad_frame (client, "unknown_type", "Unknown frame type", NULL);
}

/* --- agent frames --- */

/* The conversation if the agent belongs to its site; else the same not_found for unknown and
 * foreign ids, so that nothing tells one from the other. */
static ConfabConversation *
agent_conversation (Client     *client,
                    JsonObject *frame,
                    const char *ref)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  const char *conversation_id = NULL;

  if (!confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, &error))
    {
      client_bad_gerror (client, error, ref);
      return NULL;
    }

  conversation = confab_store_get_conversation (client->hub->relay->store, conversation_id, NULL);
  if (conversation == NULL || !agent_in_site (client, conversation->site_id))
    {
      client_bad_frame (client, "not_found", "No such conversation", ref);
      return NULL;
    }

  return g_steal_pointer (&conversation);
}

static gboolean
pump_backlog (gpointer user_data)
{
  Client *client = user_data;
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  guint budget = client->hub->relay->config->send_queue_bytes / 2;

  /* A reader slower than the store waits for the next turn instead of being dropped for a
   * backlog it asked for: the queue limit is for clients that stopped reading, and the
   * idle timeout ends those. */
  if (client_backlogged (client, budget))
    return G_SOURCE_CONTINUE;

  events = confab_store_list_events (store, (const char * const *) client->site_ids->pdata,
                                     client->sync_cursor, BACKLOG_BATCH, &error);
  if (events == NULL)
    {
      client->sync_source = 0;
      client_store_failed (client, error, NULL);
      return G_SOURCE_REMOVE;
    }

  for (guint i = 0; i < events->len; i++)
    {
      ConfabEvent *event = g_ptr_array_index (events, i);
      g_autoptr (JsonObject) frame = NULL;

      if (event->message != NULL)
        frame = message_frame (event->message, event->site_id, CONFAB_AUDIENCE_AGENT);
      else
        {
          frame = confab_json_parse_object (event->payload_json, strlen (event->payload_json),
                                            G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
          if (frame == NULL)
            frame = confab_frame_new (event->kind);
          json_object_set_int_member (frame, "cursor", event->cursor);
        }

      if (!client_send (client, frame))
        {
          client->sync_source = 0;
          return G_SOURCE_REMOVE;
        }
      client->sync_cursor = event->cursor;

      if (client_backlogged (client, budget))
        return G_SOURCE_CONTINUE;
    }

  if (events->len == BACKLOG_BATCH)
    return G_SOURCE_CONTINUE;

  /* Caught up within this main-loop turn: whatever is persisted next is fanned out live. */
  {
    g_autoptr (JsonObject) synced = confab_frame_new ("synced");
    json_object_set_int_member (synced, "cursor", MAX (client->sync_cursor, 0));
    client->syncing = FALSE;
    client->subscribed = TRUE;
    client->sync_source = 0;
    client_send (client, synced);
  }

  /* Who of the team is here now: presence is live state, not part of the log. */
  {
    g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < client->site_ids->len; i++)
      {
        GPtrArray *agents = index_get (client->hub->site_agents, g_ptr_array_index (client->site_ids, i));

        for (guint j = 0; agents && j < agents->len; j++)
          {
            Client *other = g_ptr_array_index (agents, j);
            g_autoptr (JsonObject) presence = NULL;

            if (other == client || g_hash_table_contains (seen, other->user_id))
              continue;
            g_hash_table_add (seen, other->user_id);
            presence = confab_frame_new ("presence");
            json_object_set_string_member (presence, "agent_id", other->user_id);
            json_object_set_string_member (presence, "name", other->user_name ? other->user_name : "");
            json_object_set_string_member (presence, "status", other->presence);
            client_send (client, presence);
          }
      }
  }

  return G_SOURCE_REMOVE;
}

static void
agent_subscribe (Client     *client,
                 JsonObject *frame)
{
  g_autoptr (GError) error = NULL;
  gint64 after = 0;

  if (!confab_json_get_int (frame, "after_cursor", FALSE, 0, &after, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (after < 0)
    {
      client_bad_frame (client, "invalid_value", "“after_cursor” must be 0 or more", NULL);
      return;
    }

  g_clear_handle_id (&client->sync_source, g_source_remove);
  client->syncing = TRUE;
  client->sync_cursor = after;
  /* the first batch goes out right away, the rest as the client reads */
  if (pump_backlog (client) == G_SOURCE_CONTINUE)
    client->sync_source = g_timeout_add (20, pump_backlog, client);
}

static void
agent_message (Client     *client,
               JsonObject *frame)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  const char *client_id = NULL, *body = NULL, *attachment_id = NULL;
  ConfabMessageDraft draft = { 0 };

  if (!read_message_fields (client, frame, &client_id, &body, &attachment_id) ||
      (conversation = agent_conversation (client, frame, client_id)) == NULL ||
      !take_message_tokens (client, client_id))
    return;

  draft.conversation_id = conversation->id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_AGENT;
  draft.sender_id = client->user_id;
  draft.sender_name = client->user_name;
  draft.body = body;
  draft.attachment_id = attachment_id;
  deliver_message (client, &draft);
}

static void
agent_typing (Client     *client,
              JsonObject *frame)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) typing = NULL;
  JsonObject *sender;
  gboolean active = FALSE;
  guint retry = 0;

  if (!confab_json_get_bool (frame, "active", TRUE, FALSE, &active, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((conversation = agent_conversation (client, frame, NULL)) == NULL)
    return;
  if (!confab_token_bucket_take (&client->typing, g_get_monotonic_time () / 1000, &retry))
    {
      client_rate_limited (client, retry, NULL);
      return;
    }

  typing = confab_frame_new ("typing");
  sender = json_object_new ();
  json_object_set_string_member (sender, "type", "agent");
  json_object_set_string_member (sender, "name", client->user_name ? client->user_name : "");
  json_object_set_object_member (typing, "sender", sender);
  json_object_set_boolean_member (typing, "active", active);
  fanout_visitor (client->hub, conversation->visitor_id, typing);
}

static void
agent_change_conversation (Client     *client,
                           JsonObject *frame,
                           gboolean    assign)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;

  if ((conversation = agent_conversation (client, frame, NULL)) == NULL)
    return;

  if (assign)
    {
      const char *agent_id = NULL;

      if (!confab_json_get_string (frame, "agent_id", FALSE, &agent_id, &error))
        {
          client_bad_gerror (client, error, NULL);
          return;
        }
      if (agent_id != NULL &&
          confab_store_get_role (store, conversation->site_id, agent_id) == CONFAB_ROLE_NONE)
        {
          client_bad_frame (client, "not_found", "No such agent on this site", NULL);
          return;
        }
      if (!hub_begin (client->hub, &error))
        goto not_stored;
      updated = confab_store_set_assignee (store, conversation->id, agent_id, &error);
    }
  else
    {
      const char *status_text = NULL;
      ConfabConversationStatus status;

      if (!confab_json_get_string (frame, "status", TRUE, &status_text, &error))
        {
          client_bad_gerror (client, error, NULL);
          return;
        }
      if (!confab_status_from_string (status_text, &status))
        {
          client_bad_frame (client, "invalid_value",
                            "“status” must be open, pending, resolved or closed", NULL);
          return;
        }
      if (!hub_begin (client->hub, &error))
        goto not_stored;
      updated = confab_store_set_status (store, conversation->id, status, &error);
    }

  if (updated == NULL || !announce_conversation (client->hub, updated, &error))
    goto failed;
  if (!hub_commit (client->hub, &error))
    goto not_stored;
  hub_flush (client->hub);
  return;

failed:
  hub_rollback (client->hub);
not_stored:
  client_store_failed (client, error, NULL);
}

static void
agent_read (Client     *client,
            JsonObject *frame)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;
  gint64 seq = 0;

  if (!confab_json_get_int (frame, "seq", TRUE, 0, &seq, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((conversation = agent_conversation (client, frame, NULL)) == NULL)
    return;
  if (seq < 0 || seq > conversation->last_seq)
    {
      client_bad_frame (client, "invalid_value", "“seq” is not a message of this conversation", NULL);
      return;
    }
  if (seq <= conversation->agent_read_seq)
    return;

  if (!hub_begin (client->hub, &error))
    goto not_stored;
  updated = confab_store_mark_read (store, conversation->id, CONFAB_SENDER_AGENT, seq, &error);
  if (updated == NULL || !announce_conversation (client->hub, updated, &error))
    goto failed;
  if (!hub_commit (client->hub, &error))
    goto not_stored;
  hub_flush (client->hub);
  return;

failed:
  hub_rollback (client->hub);
not_stored:
  client_store_failed (client, error, NULL);
}

static void
agent_presence (Client     *client,
                JsonObject *frame)
{
  g_autoptr (GError) error = NULL;
  const char *status = NULL;

  if (!confab_json_get_string (frame, "status", TRUE, &status, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (g_strcmp0 (status, "online") != 0 && g_strcmp0 (status, "away") != 0 &&
      g_strcmp0 (status, "busy") != 0)
    {
      client_bad_frame (client, "invalid_value", "“status” must be online, away or busy", NULL);
      return;
    }
  if (g_strcmp0 (client->presence, status) == 0)
    return;

  g_free (client->presence);
  client->presence = g_strdup (status);
  announce_presence (client->hub, client, status);
}

static void
handle_agent_frame (Client     *client,
                    const char *type,
                    JsonObject *frame)
{
  if (strcmp (type, "subscribe") == 0)
    agent_subscribe (client, frame);
  else if (strcmp (type, "message") == 0)
    agent_message (client, frame);
  else if (strcmp (type, "typing") == 0)
    agent_typing (client, frame);
  else if (strcmp (type, "assign") == 0)
    agent_change_conversation (client, frame, TRUE);
  else if (strcmp (type, "set_status") == 0)
    agent_change_conversation (client, frame, FALSE);
  else if (strcmp (type, "presence") == 0)
    agent_presence (client, frame);
  else if (strcmp (type, "read") == 0)
    agent_read (client, frame);
  else if (strcmp (type, "ping") == 0)
    {
      g_autoptr (JsonObject) pong = confab_frame_new ("pong");
      client_send (client, pong);
    }
  else
    client_bad_frame (client, "unknown_type", "Unknown frame type", NULL);
}

/* --- connections --- */

static void
on_message (ConfabWebsocket *ws,
            gint             data_type,
            GBytes          *message,
            gpointer         user_data)
{
  Client *client = user_data;
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GError) error = NULL;
  const char *type = NULL;
  const char *data;
  gsize len;

  if (client->closing)
    return;

  if (data_type != CONFAB_WEBSOCKET_DATA_TEXT)
    {
      client_bad_frame (client, "unsupported_frame", "Frames are JSON text, not binary", NULL);
      return;
    }

  data = g_bytes_get_data (message, &len);
  if (len > client->hub->relay->config->max_frame_bytes)
    {
      client_close (client, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too large");
      return;
    }

  frame = confab_json_parse_object (data, len, client->hub->relay->config->max_frame_bytes,
                                    MAX_FRAME_DEPTH, &error);
  if (frame == NULL)
    {
      client_bad_gerror (client, error, NULL);
      return;
    }

  if (!confab_json_get_string (frame, "type", TRUE, &type, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }

  if (client->kind == CLIENT_VISITOR)
    handle_visitor_frame (client, type, frame);
  else
    handle_agent_frame (client, type, frame);
}

static void
client_free (Client *client)
{
  for (guint i = 0; i < client->hub->outgoing->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (client->hub->outgoing, i);

      if (outgoing->client == client)
        outgoing->client = NULL;
    }

  g_clear_handle_id (&client->preview_source, g_source_remove);
  g_clear_handle_id (&client->sync_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_clear_object (&client->ws);
  g_free (client->ip_hash);
  g_clear_pointer (&client->geo, confab_geo_result_free);
  g_free (client->header_user_agent);
  g_free (client->site_id);
  g_free (client->visitor_id);
  g_free (client->visitor_name);
  g_free (client->conversation_id);
  g_free (client->pending_preview);
  g_free (client->user_id);
  g_free (client->user_name);
  g_free (client->token_hash);
  g_clear_pointer (&client->site_ids, g_ptr_array_unref);
  g_free (client->presence);
  g_free (client);
}

static gboolean
user_still_connected (ConfabHub  *hub,
                      Client     *gone)
{
  for (guint i = 0; i < gone->site_ids->len; i++)
    {
      GPtrArray *agents = index_get (hub->site_agents, g_ptr_array_index (gone->site_ids, i));

      for (guint j = 0; agents && j < agents->len; j++)
        if (g_strcmp0 (((Client *) g_ptr_array_index (agents, j))->user_id, gone->user_id) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
on_closed (ConfabWebsocket *ws,
           gpointer         user_data)
{
  Client *client = user_data;
  ConfabHub *hub = client->hub;

  client->closing = TRUE;

  if (client->kind == CLIENT_VISITOR)
    {
      if (client->visitor_id != NULL)
        {
          index_remove (hub->visitor_tabs, client->visitor_id, client);
          index_remove (hub->site_visitors, client->site_id, client);

          if (client->conversation_id != NULL && client->pending_preview != NULL)
            g_clear_pointer (&client->pending_preview, g_free);

          /* The last tab closed: the visitor left. */
          if (!tabs_online (hub, client->visitor_id))
            {
              g_autoptr (GError) error = NULL;

              if (!confab_store_close_page_views (hub->relay->store, client->visitor_id,
                                                  confab_now_ms (), &error))
                g_warning ("Departure lost: %s", error->message);
              announce_visitor (hub, client->site_id, client->visitor_id, FALSE);
            }
        }
    }
  else
    {
      for (guint i = 0; i < client->site_ids->len; i++)
        index_remove (hub->site_agents, g_ptr_array_index (client->site_ids, i), client);
      if (!user_still_connected (hub, client))
        announce_presence (hub, client, "offline");
      else
        for (guint i = 0; i < client->site_ids->len; i++)
          hub_fanout_agents_online (hub, g_ptr_array_index (client->site_ids, i));
    }

  g_hash_table_remove (hub->clients, client);
}

static Client *
client_new (ConfabHub         *hub,
            SoupServerMessage *msg,
            ConfabWebsocket   *ws,
            ClientKind         kind)
{
  ConfabConfig *config = hub->relay->config;
  Client *client = g_new0 (Client, 1);
  g_autofree char *ip = confab_http_client_ip (hub->relay, msg);

  client->hub = hub;
  client->kind = kind;
  client->ws = g_object_ref (ws);
  client->ip_hash = confab_relay_hash_ip (hub->relay, ip);
  confab_token_bucket_init (&client->messages, config->messages_per_minute, 60 * 1000);
  confab_token_bucket_init (&client->typing, config->typing_per_second, 1000);

  /* A message over the limit is closed with 1009 as soon as its header says so. Keepalive
   * pings keep a healthy peer talking (its pongs are frames); a half-open one goes quiet and
   * is dropped after the idle timeout. */
  confab_websocket_set_max_message (ws, config->max_frame_bytes);
  confab_websocket_set_keepalive (ws, config->keepalive_interval);
  confab_websocket_set_idle_timeout (ws, config->idle_timeout);

  g_signal_connect (ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), client);
  g_hash_table_add (hub->clients, client);

  return client;
}

/* --- upgrades --- */

/* "example.com" allows exactly that host (any port); "*.example.com" its subdomains;
 * "example.com:8443" that host on that port only. */
static gboolean
origin_allowed (const ConfabSite *site,
                const char       *origin)
{
  g_autoptr (GUri) uri = NULL;
  const char *host;
  int port;

  if (site->domains == NULL || site->domains[0] == NULL)
    return TRUE;
  if (origin == NULL)
    return FALSE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return FALSE;
  port = g_uri_get_port (uri);

  for (guint i = 0; site->domains[i]; i++)
    {
      const char *pattern = site->domains[i];
      const char *colon = strrchr (pattern, ':');
      g_autofree char *pattern_host = colon ? g_strndup (pattern, colon - pattern) : g_strdup (pattern);

      if (colon != NULL && atoi (colon + 1) != port)
        continue;

      if (g_str_has_prefix (pattern_host, "*."))
        {
          const char *suffix = pattern_host + 1; /* ".example.com" */
          if (g_str_has_suffix (host, suffix) && strlen (host) > strlen (suffix))
            return TRUE;
        }
      else if (g_ascii_strcasecmp (host, pattern_host) == 0)
        return TRUE;
    }

  return FALSE;
}

static void on_widget_socket (SoupServerMessage *msg,
                              ConfabWebsocket   *ws,
                              gpointer           user_data);
static void on_agent_socket  (SoupServerMessage *msg,
                              ConfabWebsocket   *ws,
                              gpointer           user_data);

/* Runs before the upgrade: setting a status here refuses it. */
static void
handle_widget_upgrade (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  ConfabHub *hub = user_data;
  const char *site_key = query ? g_hash_table_lookup (query, "site_key") : NULL;
  const char *origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  g_autoptr (ConfabSite) site = NULL;

  if (site_key != NULL)
    site = confab_store_get_site_by_key (hub->relay->store, site_key, NULL);

  if (site == NULL || !site->enabled)
    confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "unknown_site", "No chat is enabled for this site key");
  else if (!origin_allowed (site, origin))
    confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "origin_not_allowed",
                       "This page's origin is not among the site's allowed domains");
  else
    confab_websocket_server_upgrade (msg, on_widget_socket, hub);
}

static void
on_widget_socket (SoupServerMessage *msg,
                  ConfabWebsocket   *ws,
                  gpointer           user_data)
{
  ConfabHub *hub = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr (GHashTable) query = NULL;
  g_autoptr (ConfabSite) site = NULL;
  Client *client;

  if (g_uri_get_query (uri) != NULL)
    query = soup_form_decode (g_uri_get_query (uri));
  site = confab_store_get_site_by_key (hub->relay->store,
                                       query ? g_hash_table_lookup (query, "site_key") : "", NULL);
  if (site == NULL)
    {
      confab_websocket_close (ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unknown site");
      return;
    }

  client = client_new (hub, msg, ws, CLIENT_VISITOR);
  client->site_id = g_strdup (site->id);

  /* Here, while the request is at hand: the address (behind a trusted proxy, its
   * X-Forwarded-For) goes into the lookup and is forgotten; only the answer waits for hello. */
  {
    g_autofree char *ip = confab_http_client_ip (hub->relay, msg);
    const char *user_agent = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                           "User-Agent");

    client->geo = confab_geo_lookup (hub->relay->geo, ip);
    if (user_agent != NULL && strlen (user_agent) <= MAX_USER_AGENT_CHARS &&
        g_utf8_validate (user_agent, -1, NULL))
      client->header_user_agent = g_strdup (user_agent);
  }
}

static void
handle_agent_upgrade (SoupServer        *server,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query,
                      gpointer           user_data)
{
  ConfabHub *hub = user_data;
  g_autoptr (ConfabUser) user = confab_http_authenticate (hub->relay, msg, NULL);

  /* on failure the 401 is set, which refuses the upgrade */
  if (user != NULL)
    confab_websocket_server_upgrade (msg, on_agent_socket, hub);
}

static void
on_agent_socket (SoupServerMessage *msg,
                 ConfabWebsocket   *ws,
                 gpointer           user_data)
{
  ConfabHub *hub = user_data;
  g_autofree char *token_hash = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  Client *client;

  /* authenticated again: the token may have been revoked between the two handlers */
  user = confab_http_authenticate (hub->relay, msg, &token_hash);
  if (user == NULL)
    {
      confab_websocket_close (ws, CONFAB_CLOSE_TOKEN_REVOKED, "token revoked");
      return;
    }

  client = client_new (hub, msg, ws, CLIENT_AGENT);
  client->user_id = g_strdup (user->id);
  client->user_name = g_strdup (user->name);
  client->token_hash = g_steal_pointer (&token_hash);
  client->presence = g_strdup ("online");
  client->site_ids = g_ptr_array_new_with_free_func (g_free);

  sites = confab_store_list_sites_for_user (hub->relay->store, user->id, NULL);
  for (guint i = 0; sites && i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);

      g_ptr_array_add (client->site_ids, g_strdup (site->id));
      index_add (hub->site_agents, site->id, client);
    }
  g_ptr_array_add (client->site_ids, NULL);
  g_ptr_array_set_size (client->site_ids, client->site_ids->len - 1);

  announce_presence (hub, client, "online");
}

ConfabHub *
confab_hub_new (ConfabRelay *relay)
{
  ConfabHub *hub = g_new0 (ConfabHub, 1);

  hub->relay = relay;
  hub->clients = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) client_free, NULL);
  hub->visitor_tabs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_visitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hub->outgoing = g_ptr_array_new_with_free_func ((GDestroyNotify) outgoing_free);

  /* The handlers answer the handshake themselves (confab_websocket_server_upgrade): the
   * connections then live on ConfabWebsocket's single epoll set, not on libsoup's sources. */
  soup_server_add_handler (relay->server, "/ws/widget", handle_widget_upgrade, hub, NULL);
  soup_server_add_handler (relay->server, "/ws/agent", handle_agent_upgrade, hub, NULL);

  return hub;
}

void
confab_hub_free (ConfabHub *hub)
{
  if (hub == NULL)
    return;

  hub_commit_batch (hub);
  g_hash_table_remove_all (hub->clients);
  g_hash_table_unref (hub->clients);
  g_hash_table_unref (hub->visitor_tabs);
  g_hash_table_unref (hub->site_visitors);
  g_hash_table_unref (hub->site_agents);
  g_hash_table_unref (hub->site_online);
  g_ptr_array_unref (hub->outgoing);
  g_free (hub);
}

void
confab_hub_revoke_token (ConfabHub  *hub,
                         const char *token_hash)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && g_strcmp0 (client->token_hash, token_hash) == 0)
        client_close (client, CONFAB_CLOSE_TOKEN_REVOKED, "token revoked");
    }
}

void
confab_hub_close_all (ConfabHub *hub)
{
  GHashTableIter iter;
  gpointer key;

  hub_commit_batch (hub);

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    client_close (key, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "relay shutting down");
}

void
confab_hub_site_changed (ConfabHub  *hub,
                         const char *site_id)
{
  g_autoptr (ConfabSite) site = confab_store_get_site (hub->relay->store, site_id, NULL);
  GPtrArray *visitors = index_get (hub->site_visitors, site_id);
  g_autoptr (GPtrArray) snapshot = visitors ? g_ptr_array_copy (visitors, NULL, NULL) : NULL;

  if (site == NULL)
    return;

  for (guint i = 0; snapshot && i < snapshot->len; i++)
    {
      Client *visitor = g_ptr_array_index (snapshot, i);

      visitor->previews_allowed = settings_flag (site, "typing_preview", TRUE);
      if (!site->enabled)
        client_close (visitor, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "site disabled");
    }
}

ConfabMessage *
confab_hub_post_message (ConfabHub                      *hub,
                         const ConfabMessageDraft       *draft,
                         const ConfabConversationStatus *status,
                         ConfabHubPrepareFunc            prepare,
                         gpointer                        user_data,
                         GError                        **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;

  g_return_val_if_fail (draft->conversation_id != NULL, NULL);
  g_return_val_if_fail (draft->client_id == NULL, NULL);

  if (!hub_begin (hub, error))
    return NULL;

  if (prepare != NULL && !prepare (store, user_data, error))
    goto failed;

  if (status != NULL)
    {
      g_autoptr (ConfabConversation) current = confab_store_get_conversation (store, draft->conversation_id, error);

      if (current == NULL)
        goto failed;
      if (current->status != *status)
        {
          g_autoptr (ConfabConversation) updated = confab_store_set_status (store, current->id, *status, error);

          if (updated == NULL || !announce_conversation (hub, updated, error))
            goto failed;
        }
    }

  if (!confab_store_append_message (store, draft, &message, &conversation, &changed, &result, error) ||
      (changed && !announce_conversation (hub, conversation, error)))
    goto failed;

  queue_message (hub, message, conversation->site_id, conversation->visitor_id);
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  return g_steal_pointer (&message);

failed:
  hub_rollback (hub);
  return NULL;
}

/* Moves @agent's room memberships from its old site list to @sites. */
static void
agent_set_sites (ConfabHub *hub,
                 Client    *agent,
                 GPtrArray *sites)
{
  g_autoptr (GPtrArray) old_ids = g_steal_pointer (&agent->site_ids);
  g_autoptr (GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonObject) frame = confab_frame_new ("sites");
  JsonArray *list = json_array_new ();
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < old_ids->len; i++)
    {
      index_remove (hub->site_agents, g_ptr_array_index (old_ids, i), agent);
      g_hash_table_add (touched, g_strdup (g_ptr_array_index (old_ids, i)));
    }

  agent->site_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);
      JsonObject *entry = json_object_new ();

      g_ptr_array_add (agent->site_ids, g_strdup (site->id));
      index_add (hub->site_agents, site->id, agent);
      g_hash_table_add (touched, g_strdup (site->id));

      json_object_set_string_member (entry, "id", site->id);
      json_object_set_string_member (entry, "name", site->name);
      json_object_set_string_member (entry, "role", confab_role_to_string (site->role));
      json_array_add_object_element (list, entry);
    }
  /* pump_backlog() passes pdata as a NULL-terminated vector */
  g_ptr_array_add (agent->site_ids, NULL);
  g_ptr_array_set_size (agent->site_ids, agent->site_ids->len - 1);

  json_object_set_array_member (frame, "sites", list);
  client_send (agent, frame);

  /* visitors of a site the agent joined or left may see another count of agents online */
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    hub_fanout_agents_online (hub, key);
}

void
confab_hub_memberships_changed (ConfabHub  *hub,
                                const char *user_id)
{
  g_autoptr (GPtrArray) agents = g_ptr_array_new ();
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && !client->closing && g_strcmp0 (client->user_id, user_id) == 0)
        g_ptr_array_add (agents, client);
    }
  if (agents->len == 0)
    return;

  sites = confab_store_list_sites_for_user (hub->relay->store, user_id, &error);
  if (sites == NULL)
    {
      /* An agent removed from a site must stop hearing of it; when we cannot tell, it
       * reconnects and learns its sites afresh. */
      g_warning ("Cannot reload an agent's sites: %s", error->message);
      for (guint i = 0; i < agents->len; i++)
        client_close (g_ptr_array_index (agents, i), SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "try again");
      return;
    }

  for (guint i = 0; i < agents->len; i++)
    agent_set_sites (hub, g_ptr_array_index (agents, i), sites);
}
