/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-agent.c: the hub's the frames agents send, and the backlog after subscribe */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-meta.h"
#include "confab-store-channels.h"

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

/* A logged "visitor" event names the visitor and whether they were online (older relays
 * logged the whole snapshot); the replay is the visitor as they are now. It is the visitor's
 * latest event (the log keeps no other), so that is also the state it announced, with the
 * journey's times up to date. A visitor no longer stored keeps what was logged. */
static JsonObject *
replay_visitor_event (ConfabHub   *hub,
                      ConfabEvent *event,
                      JsonObject  *logged)
{
  JsonObject *who = NULL;
  const char *visitor_id = NULL;

  if (!confab_json_get_object (logged, "visitor", FALSE, &who, NULL) || who == NULL ||
      !confab_json_get_string (who, "id", FALSE, &visitor_id, NULL) || visitor_id == NULL)
    return json_object_ref (logged);

  {
    gboolean online = json_object_get_boolean_member_with_default (who, "online", FALSE);
    JsonObject *frame = visitor_frame (hub, event->site_id, visitor_id, online, NULL);

    return frame != NULL ? frame : json_object_ref (logged);
  }
}

JsonObject *
event_agent_frame (ConfabHub   *hub,
                   ConfabEvent *event)
{
  JsonObject *frame;

  if (event->message != NULL)
    return message_frame (event->message, event->site_id, CONFAB_AUDIENCE_AGENT);

  frame = confab_json_parse_object (event->payload_json, strlen (event->payload_json),
                                    G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
  if (frame == NULL)
    frame = confab_frame_new (event->kind);
  else if (strcmp (event->kind, CONFAB_EVENT_VISITOR) == 0)
    {
      JsonObject *logged = frame;

      frame = replay_visitor_event (hub, event, logged);
      json_object_unref (logged);
    }
  json_object_set_int_member (frame, "cursor", event->cursor);
  return frame;
}

/* Tells @client the presence of everyone else connected on its sites, once per user. */
void
send_team_presence (Client *client)
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
  /* and those connected to other relays */
  hub_cluster_send_team_presence (client->hub, client, seen);
}

gboolean
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

  hub_settle_batch (client->hub);
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
      g_autoptr (JsonObject) frame = event_agent_frame (client->hub, event);

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
  send_team_presence (client);

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
  g_autoptr (GError) error = NULL;
  const char *client_id = NULL, *body = NULL, *attachment_id = NULL;
  const char *template_name = NULL, *template_language = NULL;
  JsonObject *template = NULL;
  ConfabMessageDraft draft = { 0 };

  if (!read_message_fields (client, frame, &client_id, &body, &attachment_id))
    return;
  /* a WhatsApp template for a reply outside the 24-hour window (relay/meta/ checks it) */
  if (!confab_json_get_object (frame, "template", FALSE, &template, &error) ||
      (template != NULL &&
       (!confab_json_get_string (template, "name", TRUE, &template_name, &error) ||
        !confab_json_get_string (template, "language", TRUE, &template_language, &error))))
    {
      client_bad_gerror (client, error, client_id);
      return;
    }
  if ((conversation = agent_conversation (client, frame, client_id)) == NULL ||
      !take_message_tokens (client, client_id))
    return;

  draft.conversation_id = conversation->id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_AGENT;
  draft.sender_id = client->user_id;
  draft.sender_name = client->user_name;
  draft.body = body;
  draft.attachment_id = attachment_id;
  draft.template_name = template_name;
  draft.template_language = template_language;
  deliver_message (client, &draft);
}

/* The visitor list's "start conversation": the agent writes first to a visitor of one of their
 * sites. The message goes the way of a visitor's first message (deliver_message() without a
 * conversation): into the visitor's current conversation when there is one, else into a new one,
 * assigned to the agent, that agents hear of (with its cursor) before the message and the
 * visitor's tabs as a `conversation` frame. */
static void
agent_start_conversation (Client     *client,
                          JsonObject *frame)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabMessage) earlier = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (GError) error = NULL;
  const char *client_id = NULL, *body = NULL, *attachment_id = NULL, *visitor_id = NULL;
  ConfabMessageDraft draft = { 0 };

  if (!read_message_fields (client, frame, &client_id, &body, &attachment_id))
    return;
  if (!confab_json_get_string (frame, "visitor_id", TRUE, &visitor_id, &error))
    {
      client_bad_gerror (client, error, client_id);
      return;
    }
  if (!require_length (client, "visitor_id", visitor_id, 1, MAX_CLIENT_ID_CHARS, client_id))
    return;

  /* the same answer for an unknown visitor and for one of a site the agent is not on */
  visitor = confab_store_get_visitor (store, visitor_id, NULL);
  if (visitor == NULL || !agent_in_site (client, visitor->site_id))
    {
      client_bad_frame (client, "not_found", "No such visitor", client_id);
      return;
    }

  if (!take_message_tokens (client, client_id))
    return;

  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_AGENT;
  draft.sender_id = client->user_id;
  draft.sender_name = client->user_name;
  draft.body = body;
  draft.attachment_id = attachment_id;

  /* A retry after a lost ack goes where the first try went, whatever happened since (the
   * visitor left, the conversation was closed): acknowledged again, nothing new created. */
  earlier = confab_store_find_message (store, CONFAB_SENDER_AGENT, client->user_id, client_id,
                                       &error);
  if (error != NULL)
    {
      client_store_failed (client, error, client_id);
      return;
    }
  if (earlier != NULL)
    {
      g_autoptr (ConfabConversation) its = NULL;

      its = confab_store_get_conversation (store, earlier->conversation_id, NULL);
      if (its == NULL || g_strcmp0 (its->visitor_id, visitor->id) != 0)
        {
          client_bad_frame (client, "client_id_conflict",
                            "This client_id was used before for another message", client_id);
          return;
        }
      draft.conversation_id = earlier->conversation_id;
      deliver_message (client, &draft);
      return;
    }

  /* A conversation the visitor has is theirs to read when they come back; a new one is only
   * for someone who is on the site to see it now. */
  current = confab_store_get_current_conversation (store, visitor->id, &error);
  if (error != NULL)
    {
      client_store_failed (client, error, client_id);
      return;
    }
  if (current == NULL && !tabs_online (client->hub, visitor->id))
    {
      client_bad_frame (client, "visitor_offline", "The visitor is not on the site any more",
                        client_id);
      return;
    }

  draft.site_id = visitor->site_id;
  draft.visitor_id = visitor->id;
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
  if (!confab_token_bucket_take (&client->typing, confab_rate_limit_now_ms (), &retry))
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
  hub_cluster_fanout_visitor (client->hub, conversation->site_id, conversation->visitor_id, typing);
  /* Messenger shows the sender that someone types (a sender action; best effort, not queued) */
  if (g_strcmp0 (conversation->channel, CONFAB_CHANNEL_MESSENGER) == 0)
    confab_meta_typing (client->hub->relay, conversation, active);
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

  if (updated == NULL || !announce_conversation (client->hub, updated, &error) ||
      !record_conversation_change (client->hub, conversation, updated, client->user_id,
                                   client->user_name, &error))
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

/* {"type":"transfer","conversation_id","to_agent_id"?,"to_team_id"?,"note"?} (issue 18) */
static void
agent_transfer (Client     *client,
                JsonObject *frame)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;
  const char *to_agent_id = NULL, *to_team_id = NULL, *note = NULL;

  if (!confab_json_get_string (frame, "to_agent_id", FALSE, &to_agent_id, &error) ||
      !confab_json_get_string (frame, "to_team_id", FALSE, &to_team_id, &error) ||
      !confab_json_get_string (frame, "note", FALSE, &note, &error))
    return client_bad_gerror (client, error, NULL);
  if ((to_agent_id == NULL) == (to_team_id == NULL))
    return client_bad_frame (client, "invalid_value",
                             "Give exactly one of “to_agent_id” and “to_team_id”", NULL);
  if (note != NULL && !require_length (client, "note", note, 0, 1000, NULL))
    return;
  if ((conversation = agent_conversation (client, frame, NULL)) == NULL)
    return;

  updated = confab_hub_transfer (client->hub, client->user_id, client->user_name, conversation,
                                 to_agent_id, to_team_id, note, &error);
  if (updated == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        client_bad_frame (client, "not_found", error->message, NULL);
      else
        client_store_failed (client, error, NULL);
    }
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
  if (updated == NULL || !announce_conversation (client->hub, updated, &error) ||
      !record_conversation_change (client->hub, conversation, updated, client->user_id,
                                   client->user_name, &error))
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

void
handle_agent_frame (Client     *client,
                    const char *type,
                    JsonObject *frame)
{
  if (strcmp (type, "subscribe") == 0)
    agent_subscribe (client, frame);
  else if (strcmp (type, "message") == 0)
    agent_message (client, frame);
  else if (strcmp (type, "start_conversation") == 0)
    agent_start_conversation (client, frame);
  else if (strcmp (type, "typing") == 0)
    agent_typing (client, frame);
  else if (strcmp (type, "transfer") == 0)
    agent_transfer (client, frame);
  else if (strcmp (type, "assign") == 0)
    agent_change_conversation (client, frame, TRUE);
  else if (strcmp (type, "set_status") == 0)
    agent_change_conversation (client, frame, FALSE);
  else if (strcmp (type, "presence") == 0)
    agent_presence (client, frame);
  else if (strcmp (type, "read") == 0)
    agent_read (client, frame);
  else if (strcmp (type, "note") == 0)
    agent_note (client, frame);
  else if (strcmp (type, "ping") == 0)
    {
      g_autoptr (JsonObject) pong = confab_frame_new ("pong");
      client_send (client, pong);
    }
  else
    client_bad_frame (client, "unknown_type", "Unknown frame type", NULL);
}
