/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-unseen.c: what agents must hear of besides messages — a conversation's timeline
 * (assigned, transferred, pending, resolved, reopened, rated) and offline messages, new,
 * handled or turned into a conversation. Each is a persisted event: agents get it live and
 * replay it by cursor on resume, and message seqs are untouched (events are not messages). */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-store-data.h"

static JsonObject *
person_json (ConfabStore *store,
             const char  *user_id,
             const char  *name)
{
  JsonObject *person = json_object_new ();
  g_autoptr (ConfabUser) user = NULL;

  if (name == NULL && (user = confab_store_get_user (store, user_id, NULL)) != NULL)
    name = user->name;
  json_object_set_string_member (person, "id", user_id);
  if (name != NULL)
    json_object_set_string_member (person, "name", name);
  else
    json_object_set_null_member (person, "name");
  return person;
}

static void
set_person (JsonObject  *object,
            const char  *member,
            ConfabStore *store,
            const char  *user_id,
            const char  *name)
{
  if (user_id != NULL)
    json_object_set_object_member (object, member, person_json (store, user_id, name));
  else
    json_object_set_null_member (object, member);
}

/* Stores one timeline event of @conversation and queues it for the site's agents. @actor_id
 * NULL: the visitor or the relay did it. @extra's members (may be NULL) are added to the event. */
gboolean
record_timeline (ConfabHub                *hub,
                 const ConfabConversation *conversation,
                 const char               *kind,
                 const char               *actor_id,
                 const char               *actor_name,
                 const char               *target_id,
                 JsonObject               *extra,
                 GError                  **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (JsonObject) frame = confab_frame_new ("timeline");
  JsonObject *event = json_object_new ();
  g_autofree char *at = confab_format_time (confab_now_ms ());

  json_object_set_string_member (event, "kind", kind);
  set_person (event, "actor", store, actor_id, actor_name);
  set_person (event, "target", store, target_id, NULL);
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &member, &node))
        json_object_set_member (event, member, json_node_copy (node));
    }
  json_object_set_string_member (event, "at", at);

  json_object_set_string_member (frame, "site_id", conversation->site_id);
  json_object_set_string_member (frame, "conversation_id", conversation->id);
  json_object_set_object_member (frame, "event", event);
  return persist_event (hub, conversation->site_id, CONFAB_EVENT_TIMELINE, conversation->id,
                        frame, error);
}

/* The timeline events of a change from @before to @after made by @actor_id (NULL: the visitor
 * or the relay): a new assignee, then a new status. */
gboolean
record_conversation_change (ConfabHub                *hub,
                            const ConfabConversation *before,
                            const ConfabConversation *after,
                            const char               *actor_id,
                            const char               *actor_name,
                            GError                  **error)
{
  if (g_strcmp0 (before->assignee_id, after->assignee_id) != 0)
    {
      g_autoptr (JsonObject) extra = NULL;
      const char *kind = "assigned";

      if (after->assignee_id == NULL)
        kind = "unassigned";
      else if (before->assignee_id != NULL)
        {
          kind = "transferred";
          extra = json_object_new ();
          json_object_set_object_member (extra, "from",
                                         person_json (hub->relay->store, before->assignee_id, NULL));
        }
      if (!record_timeline (hub, after, kind, actor_id, actor_name,
                            after->assignee_id != NULL ? after->assignee_id : before->assignee_id,
                            extra, error))
        return FALSE;
    }

  if (before->status != after->status)
    {
      const char *kind = after->status == CONFAB_STATUS_OPEN ? "reopened"
                                                             : confab_status_to_string (after->status);

      if (!record_timeline (hub, after, kind, actor_id, actor_name, NULL, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* The "offline_message" event: a new one, or one whose status or conversation changed. */
static gboolean
announce_offline_message (ConfabHub                  *hub,
                          const ConfabOfflineMessage *offline,
                          GError                    **error)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("offline_message");
  gint64 open = confab_store_count_open_offline_messages (hub->relay->store, offline->site_id, error);

  if (open < 0)
    return FALSE;
  json_object_set_string_member (frame, "site_id", offline->site_id);
  json_object_set_object_member (frame, "offline_message", confab_offline_message_to_json (offline));
  json_object_set_int_member (frame, "open_count", open);
  if (!persist_event (hub, offline->site_id, CONFAB_EVENT_OFFLINE, NULL, frame, error))
    return FALSE;
  /* it carries the visitor's name, e-mail and words: deleting the visitor finds it by this */
  return offline->visitor_id == NULL ||
         confab_store_set_event_visitor (hub->relay->store, json_object_get_int_member (frame, "cursor"),
                                         offline->visitor_id, error);
}

gboolean
announce_new_offline_message (ConfabHub   *hub,
                              const char  *offline_id,
                              GError     **error)
{
  g_autoptr (ConfabOfflineMessage) offline = confab_store_get_offline_message (hub->relay->store,
                                                                               offline_id, error);

  return offline != NULL && announce_offline_message (hub, offline, error);
}

ConfabOfflineMessage *
confab_hub_set_offline_message_status (ConfabHub   *hub,
                                       const char  *offline_id,
                                       gboolean     handled,
                                       const char  *user_id,
                                       GError     **error)
{
  g_autoptr (ConfabOfflineMessage) offline = NULL;

  if (!hub_begin (hub, error))
    return NULL;
  offline = confab_store_set_offline_message_status (hub->relay->store, offline_id, handled,
                                                     user_id, error);
  if (offline == NULL || !announce_offline_message (hub, offline, error))
    {
      hub_rollback (hub);
      return NULL;
    }
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  return g_steal_pointer (&offline);
}

ConfabConversation *
confab_hub_offline_message_to_conversation (ConfabHub   *hub,
                                            const char  *offline_id,
                                            const char  *user_id,
                                            const char  *user_name,
                                            gboolean    *out_created,
                                            GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabOfflineMessage) offline = NULL;
  g_autoptr (ConfabOfflineMessage) handled = NULL;
  g_autoptr (ConfabConversation) created = NULL;
  g_autoptr (ConfabConversation) assigned = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabAppendResult result;
  gboolean changed = FALSE;

  *out_created = FALSE;
  if ((offline = confab_store_get_offline_message (store, offline_id, error)) == NULL)
    return NULL;

  /* idempotent: the conversation made of it before, while it exists */
  if (offline->conversation_id != NULL)
    return confab_store_get_conversation (store, offline->conversation_id, error);
  if (offline->visitor_id == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                   "The visitor who left this message has been deleted");
      return NULL;
    }

  if (!hub_begin (hub, error))
    return NULL;

  /* A new conversation, the visitor's current one from now on, taken on by the agent who made it
   * (as with start_conversation); its first message is the offline message, the visitor's own,
   * with the offline message's id as client_id: confab_message_to_json() marks it by that. */
  if ((created = confab_store_create_conversation (store, offline->site_id, offline->visitor_id,
                                                   error)) == NULL ||
      (assigned = confab_store_set_assignee (store, created->id, user_id, error)) == NULL)
    goto failed;

  draft.conversation_id = created->id;
  draft.client_id = offline->id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = offline->visitor_id;
  draft.sender_name = offline->name;
  draft.body = offline->body;
  if (!confab_store_append_message (store, &draft, &message, &conversation, &changed, &result, error) ||
      !confab_store_set_offline_message_conversation (store, offline->id, conversation->id, error) ||
      (handled = confab_store_set_offline_message_status (store, offline->id, TRUE, user_id,
                                                          error)) == NULL ||
      !announce_conversation (hub, conversation, error) ||
      !record_conversation_change (hub, created, assigned, user_id, user_name, error))
    goto failed;

  queue_message (hub, message, conversation->site_id, conversation->visitor_id);
  if (!announce_offline_message (hub, handled, error))
    goto failed;
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);

  /* the visitor's open tabs go on in this conversation */
  {
    GPtrArray *tabs = index_get (hub->visitor_tabs, conversation->visitor_id);

    for (guint i = 0; tabs && i < tabs->len; i++)
      {
        Client *tab = g_ptr_array_index (tabs, i);
        g_free (tab->conversation_id);
        tab->conversation_id = g_strdup (conversation->id);
      }
  }

  *out_created = TRUE;
  return g_steal_pointer (&conversation);

failed:
  hub_rollback (hub);
  return NULL;
}
