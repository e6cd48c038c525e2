/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-channels.c: senders' messages and platforms' receipts from channels beyond the web
 * widget (relay/meta/), and the turn an agent's message takes when its conversation is in one */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-hub-channels.h"
#include "confab-faq.h"
#include "confab-hub-cluster.h"
#include "confab-mail-out.h"
#include "confab-metrics.h"
#include "confab-meta.h"

/* The sender's conversation for a new message: their current one (reopened when resolved), or
 * a new one in @in->channel, routed as the widget's are (issue 18: team rules by the sender's
 * language when known, then an agent or the queue). It carries the channel and the reply
 * window; agents hear of every change of it before the message. */
static ConfabConversation *
prepare_conversation (ConfabHub                    *hub,
                      const ConfabChannelMessageIn *in,
                      GError                      **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) before = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *routed_to = NULL;
  gboolean changed = FALSE;
  gboolean created = FALSE;

  conversation = confab_store_get_current_conversation (store, in->visitor_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (conversation == NULL)
    {
      conversation = confab_store_create_conversation (store, in->site_id, in->visitor_id, error);
      changed = created = TRUE;
    }
  else if (conversation->status == CONFAB_STATUS_RESOLVED)
    {
      /* a follow-up question */
      before = g_steal_pointer (&conversation);
      conversation = confab_store_set_status (store, before->id, CONFAB_STATUS_OPEN, error);
      changed = TRUE;
    }
  if (conversation == NULL)
    return NULL;

  if (g_strcmp0 (conversation->channel, in->channel) != 0 ||
      conversation->reply_window_ends_at != in->reply_window_ends_at)
    {
      ConfabConversation *updated = confab_store_set_conversation_channel (store, conversation->id,
                                                                           in->channel,
                                                                           in->reply_window_ends_at,
                                                                           error);

      if (updated == NULL)
        return NULL;
      confab_conversation_free (conversation);
      conversation = updated;
      changed = TRUE;
    }

  if (created &&
      (conversation = hub_route_new_conversation (hub, g_steal_pointer (&conversation), NULL,
                                                  &routed_to, error)) == NULL)
    return NULL;
  /* the timeline event after the conversation event, which agents need first */
  if (changed && !announce_conversation (hub, conversation, error))
    return NULL;
  if (routed_to != NULL && !hub_route_record_assigned (hub, conversation, routed_to, error))
    return NULL;
  if (before != NULL && !record_conversation_change (hub, before, conversation, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&conversation);
}

ConfabMessage *
confab_hub_channel_message_in (ConfabHub                    *hub,
                               const ConfabChannelMessageIn *in,
                               gboolean                     *out_duplicate,
                               GError                      **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) after = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabAppendResult result;
  gboolean changed = FALSE;

  *out_duplicate = FALSE;
  if (!hub_begin (hub, error))
    return NULL;

  /* first: a platform's retry of something stored finds its id and changes nothing */
  if (!confab_store_mark_channel_seen (store, in->site_id, in->channel, in->platform_id,
                                       confab_now_ms (), &local_error))
    {
      hub_rollback (hub);
      if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
        {
          *out_duplicate = TRUE;
          return NULL;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  visitor = confab_store_get_visitor (store, in->visitor_id, error);
  if (visitor == NULL || (conversation = prepare_conversation (hub, in, error)) == NULL)
    goto failed;
  if (in->attachment_id != NULL &&
      !confab_store_claim_upload (store, in->attachment_id, conversation->id, in->visitor_id, error))
    goto failed;

  draft.conversation_id = conversation->id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = in->visitor_id;
  draft.sender_name = visitor->name;
  draft.body = in->body;
  draft.attachment_id = in->attachment_id;
  if (!confab_store_append_message (store, &draft, &message, &after, &changed, &result, error) ||
      (changed && !announce_conversation (hub, after, error)))
    goto failed;

  queue_message (hub, message, after->site_id, after->visitor_id);
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  confab_metrics_inc (CONFAB_METRIC_MESSAGES_IN_VISITOR);
  /* the FAQ bot (or the assistant) answers it as a widget visitor's, over the same channel */
  confab_faq_after_visitor_message (hub->relay, after, message);
  return g_steal_pointer (&message);

failed:
  hub_rollback (hub);
  return NULL;
}

G_DEFINE_QUARK (confab-channel-error-quark, confab_channel_error)

const char *
confab_channel_error_code (const GError *error)
{
  if (error == NULL || error->domain != CONFAB_CHANNEL_ERROR)
    return NULL;
  switch ((ConfabChannelError) error->code)
    {
    case CONFAB_CHANNEL_ERROR_NOT_CHANNEL:
      return "not_channel_message";
    case CONFAB_CHANNEL_ERROR_NOT_FAILED:
      return "message_not_failed";
    case CONFAB_CHANNEL_ERROR_UNAVAILABLE:
    default:
      return "channel_unavailable";
    }
}

/* Inside a unit of work: the agents' persisted "delivery" frame of message @seq. */
static gboolean
persist_delivery (ConfabHub                *hub,
                  const ConfabConversation *conversation,
                  gint64                    seq,
                  const char               *status,
                  const char               *error_text,
                  GError                  **error)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("delivery");
  JsonObject *delivery = json_object_new ();

  json_object_set_string_member (frame, "conversation_id", conversation->id);
  json_object_set_int_member (frame, "seq", seq);
  json_object_set_string_member (delivery, "status", status);
  if (error_text != NULL)
    json_object_set_string_member (delivery, "error", error_text);
  else
    json_object_set_null_member (delivery, "error");
  json_object_set_object_member (frame, "delivery", delivery);
  json_object_set_string_member (frame, "site_id", conversation->site_id);
  return persist_event (hub, conversation->site_id, CONFAB_EVENT_DELIVERY, conversation->id, frame,
                        error);
}

gboolean
confab_hub_channel_delivery (ConfabHub   *hub,
                             const char  *conversation_id,
                             gint64       seq,
                             const char  *status,
                             const char  *error_text,
                             const char  *platform_id,
                             gboolean     dequeue,
                             GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;

  if (!hub_begin (hub, error))
    return FALSE;
  conversation = confab_store_get_conversation (store, conversation_id, error);
  if (conversation == NULL ||
      (dequeue && !confab_store_remove_outbox (store, conversation_id, seq, error)) ||
      !confab_store_set_message_delivery (store, conversation_id, seq, status, error_text,
                                          platform_id, error) ||
      !persist_delivery (hub, conversation, seq, status, error_text, error))
    goto failed;

  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);

  if (g_strcmp0 (status, "read") == 0)
    return confab_hub_channel_read (hub, conversation_id, seq, error);
  return TRUE;

failed:
  hub_rollback (hub);
  return FALSE;
}

ConfabMessage *
confab_hub_channel_retry (ConfabHub   *hub,
                          const char  *conversation_id,
                          gint64       seq,
                          GError     **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  /* no template: a template reply that failed goes again as its words (confab-hub-channels.h) */
  ConfabMessageDraft draft = { .conversation_id = conversation_id };

  if (!hub_begin (hub, error))
    return NULL;
  conversation = confab_store_get_conversation (store, conversation_id, error);
  if (conversation == NULL ||
      (messages = confab_store_list_messages (store, conversation_id, seq - 1, 1, error)) == NULL)
    goto failed;
  if (messages->len == 0 || ((ConfabMessage *) g_ptr_array_index (messages, 0))->seq != seq)
    {
      g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                           "No such message");
      goto failed;
    }
  message = g_ptr_array_steal_index (messages, 0);
  if (message->sender_type != CONFAB_SENDER_AGENT || message->delivery_status == NULL)
    {
      g_set_error_literal (error, CONFAB_CHANNEL_ERROR, CONFAB_CHANNEL_ERROR_NOT_CHANNEL,
                           "Only an agent's message to e-mail, Messenger or WhatsApp can be sent "
                           "again");
      goto failed;
    }
  /* a second click while the first retry is on its way: nothing more to do */
  if (strcmp (message->delivery_status, "pending") == 0)
    {
      hub_rollback (hub);
      return g_steal_pointer (&message);
    }
  if (strcmp (message->delivery_status, "failed") != 0)
    {
      g_set_error (error, CONFAB_CHANNEL_ERROR, CONFAB_CHANNEL_ERROR_NOT_FAILED,
                   "Only a message that was not delivered can be sent again (this one is %s)",
                   message->delivery_status);
      goto failed;
    }

  /* the same stored message, queued again as when the agent sent it (the platform's checks,
   * such as WhatsApp's window, apply again); no new message row */
  if (!hub_channel_outgoing (hub, conversation, message, &draft, error))
    goto failed;
  if (g_strcmp0 (message->delivery_status, "pending") != 0)
    {
      g_set_error_literal (error, CONFAB_CHANNEL_ERROR, CONFAB_CHANNEL_ERROR_UNAVAILABLE,
                           "This conversation's channel cannot send now (is e-mail set up on the "
                           "relay?)");
      goto failed;
    }
  g_clear_pointer (&message->delivery_error, g_free);
  if (!persist_delivery (hub, conversation, seq, "pending", NULL, error))
    goto failed;
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  confab_meta_kick (hub->relay);
  return g_steal_pointer (&message);

failed:
  hub_rollback (hub);
  return NULL;
}

gboolean
confab_hub_channel_read (ConfabHub   *hub,
                         const char  *conversation_id,
                         gint64       seq,
                         GError     **error)
{
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (JsonObject) receipt = NULL;
  g_autofree char *text = NULL;

  /* stored on its own, like a widget's read (confab-hub-visitor.c): live only for agents */
  confab_hub_sync (hub);
  updated = confab_store_mark_read (hub->relay->store, conversation_id, CONFAB_SENDER_VISITOR, seq,
                                    error);
  if (updated == NULL)
    return FALSE;

  receipt = confab_frame_new ("read");
  json_object_set_string_member (receipt, "site_id", updated->site_id);
  json_object_set_string_member (receipt, "conversation_id", updated->id);
  json_object_set_string_member (receipt, "reader", "visitor");
  json_object_set_int_member (receipt, "seq", updated->visitor_read_seq);
  text = confab_frame_to_string (receipt);
  hub_cluster_fanout_agents (hub, updated->site_id, text);
  return TRUE;
}

gboolean
confab_hub_channel_visitor_named (ConfabHub   *hub,
                                  const char  *site_id,
                                  const char  *visitor_id,
                                  const char  *name,
                                  GError     **error)
{
  g_autoptr (ConfabVisitor) visitor = NULL;
  ConfabVisitorInfo info = { .name = name };

  confab_hub_sync (hub);
  visitor = confab_store_touch_visitor (hub->relay->store, visitor_id, &info, FALSE, error);
  if (visitor == NULL)
    return FALSE;
  visitor_changed (hub, site_id, visitor_id);
  return TRUE;
}

/* Inside the unit of work of an agent's message, before its frame is built: a conversation in
 * another channel than the web gets the message handed to that channel (queued in the same
 * transaction, so that a restart loses nothing), and the message its delivery state. An e-mail
 * conversation is known by its thread of Message-IDs (confab_mail_agent_message), also one made
 * before conversations had a channel. */
gboolean
hub_channel_outgoing (ConfabHub                *hub,
                      const ConfabConversation *conversation,
                      ConfabMessage            *message,
                      const ConfabMessageDraft *draft,
                      GError                  **error)
{
  if (g_strcmp0 (conversation->channel, CONFAB_CHANNEL_MESSENGER) == 0 ||
      g_strcmp0 (conversation->channel, CONFAB_CHANNEL_WHATSAPP) == 0)
    return confab_meta_queue_reply (hub->relay, conversation, message, draft, error);
  return confab_mail_agent_message (hub->relay, conversation, message, error);
}
