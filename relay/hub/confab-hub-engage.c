/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-engage.c: the visitor frames of issue 16's engagement — "track" (a goal reached,
 * from Confab.track) and "trigger" (the widget saw a trigger's conditions hold: the relay
 * answers with its greeting, once per visit) — the price question that raises the lead score,
 * and the greeting stored as a conversation's first message once the visitor writes. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-avatars.h"
#include "confab-engage.h"
#include "confab-json.h"
#include "confab-util.h"

#include <math.h>
#include <string.h>

#define HOUR_MS (3600 * G_GINT64_CONSTANT (1000))

gboolean
hub_engage_is_frame (const char *type)
{
  return strcmp (type, "track") == 0 || strcmp (type, "trigger") == 0;
}

static gboolean
valid_goal_name (const char *name)
{
  size_t length = name != NULL ? strlen (name) : 0;

  return length >= 1 && length <= CONFAB_MAX_GOAL_NAME_CHARS &&
         strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == length;
}

static void
visitor_track (Client     *client,
               JsonObject *frame)
{
  ConfabStore *store = client->hub->relay->store;
  JsonNode *name_node = json_object_get_member (frame, "name");
  JsonNode *value_node = json_object_get_member (frame, "value");
  g_autoptr (GPtrArray) recent = NULL;
  g_autoptr (GError) error = NULL;
  const char *name = NULL;
  gboolean has_value = FALSE;
  double value = 0;
  gint64 now = confab_now_ms ();

  if (name_node != NULL && JSON_NODE_HOLDS_VALUE (name_node) &&
      json_node_get_value_type (name_node) == G_TYPE_STRING)
    name = json_node_get_string (name_node);
  if (!valid_goal_name (name))
    {
      client_bad_frame (client, "invalid_value",
                        "“name” must be 1 to 64 of a-z, 0-9, “_”, “.” and “-”", NULL);
      return;
    }
  if (value_node != NULL && !JSON_NODE_HOLDS_NULL (value_node))
    {
      GType type = JSON_NODE_HOLDS_VALUE (value_node) ? json_node_get_value_type (value_node)
                                                      : G_TYPE_INVALID;

      if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
        {
          client_bad_frame (client, "invalid_value", "“value” must be a number or null", NULL);
          return;
        }
      value = type == G_TYPE_INT64 ? (double) json_node_get_int (value_node)
                                   : json_node_get_double (value_node);
      if (!isfinite (value) || fabs (value) > 1e12)
        {
          client_bad_frame (client, "invalid_value", "“value” is out of range", NULL);
          return;
        }
      has_value = TRUE;
    }

  /* 60 an hour per visitor, on every relay: the 60th latest must be an hour old */
  recent = confab_store_list_goals (store, client->visitor_id, CONFAB_GOALS_PER_HOUR, &error);
  if (recent == NULL)
    {
      client_store_failed (client, error, NULL);
      return;
    }
  if (recent->len >= CONFAB_GOALS_PER_HOUR)
    {
      ConfabGoal *oldest = g_ptr_array_index (recent, recent->len - 1);

      if (oldest->at > now - HOUR_MS)
        {
          client_rate_limited (client, (guint) (oldest->at + HOUR_MS - now), NULL);
          return;
        }
    }

  if (!confab_store_add_goal (store, client->site_id, client->visitor_id, name, has_value, value,
                              now, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  visitor_changed (client->hub, client->site_id, client->visitor_id);
}

/* The name agents and visitors see on the greeting: the agent's, or the assistant's (the
 * site's "assistant" settings, else "Assistant"). */
static JsonObject *
greeting_sender (ConfabHub           *hub,
                 const ConfabTrigger *trigger,
                 ConfabSenderType    *out_type,
                 char               **out_id,
                 char               **out_name)
{
  g_autoptr (JsonObject) sender = NULL;
  JsonObject *answer = json_object_new ();
  const char *agent_id = NULL;

  sender = confab_json_parse_object (trigger->sender_json, strlen (trigger->sender_json),
                                     G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
  if (sender != NULL)
    confab_json_get_string (sender, "agent_id", FALSE, &agent_id, NULL);
  if (agent_id != NULL)
    {
      g_autoptr (ConfabUser) user = confab_store_get_user (hub->relay->store, agent_id, NULL);

      if (user != NULL)
        {
          g_autofree char *avatar_url = confab_avatar_url (user->id);

          json_object_set_string_member (answer, "type", "agent");
          json_object_set_string_member (answer, "name", user->name ? user->name : "Support");
          json_object_set_string_member (answer, "avatar_url", avatar_url);
          *out_type = CONFAB_SENDER_AGENT;
          *out_id = g_strdup (user->id);
          *out_name = g_strdup (user->name ? user->name : "Support");
          return answer;
        }
    }

  {
    g_autoptr (ConfabSite) site = confab_store_get_site (hub->relay->store, trigger->site_id, NULL);
    g_autoptr (JsonObject) settings = NULL;
    JsonObject *assistant = NULL;
    const char *name = NULL;

    if (site != NULL && site->settings_json != NULL)
      settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                           G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
    if (settings != NULL && json_object_has_member (settings, "assistant") &&
        JSON_NODE_HOLDS_OBJECT (json_object_get_member (settings, "assistant")))
      assistant = json_object_get_object_member (settings, "assistant");
    if (assistant != NULL)
      confab_json_get_string (assistant, "name", FALSE, &name, NULL);
    if (name == NULL || *name == '\0')
      name = "Assistant";
    json_object_set_string_member (answer, "type", "bot");
    json_object_set_string_member (answer, "name", name);
    json_object_set_null_member (answer, "avatar_url");
    *out_type = CONFAB_SENDER_BOT;
    *out_id = g_strdup (trigger->id);
    *out_name = g_strdup (name);
  }
  return answer;
}

static void
visitor_trigger (Client     *client,
                 JsonObject *frame)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabTrigger) trigger = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (JsonObject) greeting = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL, *sender_id = NULL, *sender_name = NULL;
  ConfabSenderType sender_type;
  const char *trigger_id = NULL;
  gboolean added = FALSE;

  if (!confab_json_get_string (frame, "trigger_id", TRUE, &trigger_id, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }

  /* a trigger of another site, a disabled or a deleted one: nothing to say (the widget's
   * config may be older than the change) */
  trigger = confab_store_get_trigger (store, trigger_id, NULL);
  if (trigger == NULL || !trigger->enabled || g_strcmp0 (trigger->site_id, client->site_id) != 0)
    return;

  /* never into a conversation going on */
  current = confab_store_get_current_conversation (store, client->visitor_id, &error);
  if (error != NULL)
    {
      client_store_failed (client, error, NULL);
      return;
    }
  if (current != NULL && current->status != CONFAB_STATUS_RESOLVED)
    return;

  visitor = confab_store_get_visitor (store, client->visitor_id, &error);
  if (visitor == NULL ||
      !confab_store_add_trigger_fire (store, client->site_id, trigger->id, visitor->id,
                                      visitor->visits, confab_now_ms (), &added, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  if (!added)
    return;   /* once per visit */

  text = confab_trigger_text (trigger, visitor->locale);
  greeting = confab_frame_new ("greeting");
  json_object_set_string_member (greeting, "trigger_id", trigger->id);
  json_object_set_string_member (greeting, "text", text);
  json_object_set_object_member (greeting, "sender",
                                 greeting_sender (client->hub, trigger, &sender_type, &sender_id,
                                                  &sender_name));
  json_object_set_boolean_member (greeting, "ask_email", trigger->ask_email);
  client_send (client, greeting);
}

/* A visitor's message that asks about prices raises their lead score, once. */
void
hub_engage_visitor_message (Client     *client,
                            const char *body)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (ConfabContact) contact = NULL;
  g_autoptr (GError) error = NULL;
  ConfabContactChange change = { .asked_price = 1, .lead_score = -1 };

  if (!confab_asks_price (body))
    return;
  contact = confab_store_get_contact (store, client->visitor_id, &error);
  if (contact == NULL || contact->asked_price)
    return;
  if (!confab_store_put_contact (store, client->site_id, client->visitor_id, &change, &error))
    {
      g_warning ("Cannot note a price question of visitor %s: %s", client->visitor_id,
                 error->message);
      return;
    }
  visitor_changed (client->hub, client->site_id, client->visitor_id);
}

gboolean
hub_engage_greeting_first (Client                   *client,
                           const ConfabConversation *conversation,
                           GError                  **error)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabTrigger) trigger = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) changed_conversation = NULL;
  g_autoptr (JsonObject) sender = NULL;
  g_autofree char *trigger_id = NULL, *text = NULL, *sender_id = NULL, *sender_name = NULL;
  g_autofree char *client_id = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabAppendResult result;
  ConfabSenderType sender_type = CONFAB_SENDER_BOT;
  gboolean changed = FALSE;
  GError *local_error = NULL;

  if (client->kind != CLIENT_VISITOR || conversation->last_seq != 0)
    return TRUE;
  visitor = confab_store_get_visitor (store, conversation->visitor_id, error);
  if (visitor == NULL)
    return FALSE;
  trigger_id = confab_store_claim_trigger_fire (store, visitor->id, visitor->visits,
                                                conversation->id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (trigger_id == NULL)
    return TRUE;
  /* deleted since it greeted: the greeting was shown all the same */
  trigger = confab_store_get_trigger (store, trigger_id, NULL);
  if (trigger == NULL)
    return TRUE;

  text = confab_trigger_text (trigger, visitor->locale);
  sender = greeting_sender (hub, trigger, &sender_type, &sender_id, &sender_name);
  client_id = g_strconcat ("greeting_", trigger->id, NULL);
  draft.conversation_id = conversation->id;
  draft.client_id = client_id;
  draft.sender_type = sender_type;
  draft.sender_id = sender_id;
  draft.sender_name = sender_name;
  draft.body = text;
  if (!confab_store_append_message (store, &draft, &message, &changed_conversation, &changed,
                                    &result, error))
    return FALSE;
  queue_message (hub, message, conversation->site_id, conversation->visitor_id);
  return TRUE;
}

void
hub_engage_frame (Client     *client,
                  const char *type,
                  JsonObject *frame)
{
  if (strcmp (type, "track") == 0)
    visitor_track (client, frame);
  else
    visitor_trigger (client, frame);
}
