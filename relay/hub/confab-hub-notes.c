/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-notes.c: internal notes — an agent's "note" frame, stored and sent to the team only.
 *
 * A note is no message: it takes no seq (the visitor's stay gap-free), goes into the event log
 * as a "note" event (so that agents resuming by cursor get it) and to the site's agents, never
 * to a visitor's socket. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-chat.h"
#include "confab-hub-chat.h"

static void
send_note_ack (Client           *client,
               const ConfabNote *note)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("ack");

  json_object_set_string_member (frame, "client_id", note->client_id);
  json_object_set_string_member (frame, "conversation_id", note->conversation_id);
  json_object_set_string_member (frame, "note_id", note->id);
  queue_for_client (client->hub, client, frame, note->client_id);
}

void
agent_note (Client     *client,
            JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabNote) note = NULL;
  g_autoptr (JsonObject) note_frame = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *mentions = NULL;
  const char *client_id = NULL, *body = NULL, *conversation_id = NULL;
  gboolean duplicate = FALSE;

  if (!confab_json_get_string (frame, "client_id", TRUE, &client_id, &error))
    return client_bad_gerror (client, error, NULL);
  if (!require_length (client, "client_id", client_id, 1, MAX_CLIENT_ID_CHARS, NULL))
    return;
  if (!confab_json_get_string (frame, "body", TRUE, &body, &error) ||
      !confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, &error))
    return client_bad_gerror (client, error, client_id);
  if (!require_length (client, "body", body, 1, CONFAB_NOTE_MAX_CHARS, client_id))
    return;

  /* the same not_found for unknown and foreign conversations */
  conversation = confab_store_get_conversation (store, conversation_id, NULL);
  if (conversation == NULL || !agent_in_site (client, conversation->site_id))
    return client_bad_frame (client, "not_found", "No such conversation", client_id);

  /* notes cost what messages cost */
  if (!take_message_tokens (client, client_id))
    return;

  if (!hub_begin (hub, &error))
    goto not_stored;
  mentions = confab_note_mentions (store, conversation->site_id, body, &error);
  if (mentions == NULL)
    goto failed;
  note = confab_store_add_note (store, conversation->id, client->user_id, client->user_name,
                                client_id, body, mentions, &duplicate, &error);
  if (note == NULL)
    {
      hub_rollback (hub);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        return client_bad_frame (client, "client_id_conflict",
                                 "This client_id was used before for another note", client_id);
      goto not_stored;
    }

  /* sent again after a lost ack: acknowledged again, told to nobody again */
  if (!duplicate)
    {
      note_frame = confab_frame_new ("note");
      json_object_set_object_member (note_frame, "note", confab_note_to_json (note));
      json_object_set_string_member (note_frame, "site_id", conversation->site_id);
      send_note_ack (client, note);
      if (!persist_event (hub, conversation->site_id, CONFAB_EVENT_NOTE, conversation->id,
                          note_frame, &error))
        goto failed;
    }
  else
    send_note_ack (client, note);

  if (!hub_commit (hub, &error))
    goto not_stored;
  hub_flush (hub);
  return;

failed:
  hub_rollback (hub);
not_stored:
  client_store_failed (client, error, client_id);
}

ConfabConversation *
confab_hub_set_conversation_labels (ConfabHub          *hub,
                                    const char         *site_id,
                                    const char         *conversation_id,
                                    const char * const *label_ids,
                                    GError            **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;

  if (!hub_begin (hub, error))
    return NULL;
  if (!confab_store_set_conversation_labels (store, site_id, conversation_id, label_ids, error) ||
      (conversation = confab_store_get_conversation (store, conversation_id, error)) == NULL ||
      !announce_conversation (hub, conversation, error))
    {
      hub_rollback (hub);
      return NULL;
    }
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  /* the answer says it is stored: the batch is committed before it goes */
  hub_commit_batch (hub);
  return g_steal_pointer (&conversation);
}

GPtrArray *
confab_hub_online_agents (ConfabHub  *hub,
                          const char *site_id,
                          guint       limit)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_user_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* as confab_hub_agents_online() counts them: each user once, present as "online" */
  for (guint i = 0; agents != NULL && i < agents->len && users->len < limit; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);
      ConfabUser *user;

      if (agent->closing || g_strcmp0 (agent->presence, "online") != 0 ||
          g_hash_table_contains (seen, agent->user_id))
        continue;
      g_hash_table_add (seen, agent->user_id);
      user = g_new0 (ConfabUser, 1);
      user->id = g_strdup (agent->user_id);
      user->name = g_strdup (agent->user_name);
      g_ptr_array_add (users, user);
    }
  return users;
}
