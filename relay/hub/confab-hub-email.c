/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-email.c: the hub's part of issue 15's e-mail (see confab-hub-email.h) */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-email.h"
#include "confab-hub-channels.h"
#include "confab-hub-private.h"

gboolean
confab_hub_announce_conversation (ConfabHub   *hub,
                                  const char  *conversation_id,
                                  GError     **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *routed_to = NULL;

  if (!hub_begin (hub, error))
    return FALSE;
  conversation = confab_store_get_conversation (hub->relay->store, conversation_id, error);
  if (conversation != NULL)
    conversation = hub_route_new_conversation (hub, g_steal_pointer (&conversation), NULL,
                                               &routed_to, error);
  /* the timeline event after the conversation event, which agents need first */
  if (conversation == NULL || !announce_conversation (hub, conversation, error) ||
      (routed_to != NULL && !hub_route_record_assigned (hub, conversation, routed_to, error)))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);
  return TRUE;
}

void
confab_hub_mail_done (ConfabMailer     *mailer,
                      const ConfabMail *mail,
                      gpointer          user_data)
{
  ConfabHub *hub = user_data;
  g_autoptr (GError) error = NULL;

  /* only an agent's message carries a delivery state; offline replies, transcripts and
   * notifications keep theirs in the queue's row */
  if (g_strcmp0 (mail->kind, "conversation") != 0 || mail->conversation_id == NULL ||
      mail->seq <= 0)
    return;
  if (!confab_hub_channel_delivery (hub, mail->conversation_id, mail->seq, mail->status,
                                    g_strcmp0 (mail->status, "failed") == 0 ? mail->error : NULL,
                                    NULL, FALSE, &error))
    {
      /* the message may be gone meanwhile (its conversation deleted): nothing to tell */
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        g_debug ("Mail %s: its message %s/%" G_GINT64_FORMAT " is gone", mail->id,
                 mail->conversation_id, mail->seq);
      else
        g_warning ("Cannot record the delivery of mail %s: %s", mail->id, error->message);
    }
}
