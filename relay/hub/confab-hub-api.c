/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-api.c: messages and visitor changes that come over REST (confab-api-keys.c) */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-api.h"
#include "confab-hub-private.h"
#include "confab-metrics.h"

ConfabMessage *
confab_hub_post_api_message (ConfabHub                *hub,
                             const ConfabMessageDraft *draft,
                             const char               *assignee_id,
                             const char               *assignee_name,
                             gboolean                 *out_duplicate,
                             GError                  **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;

  g_return_val_if_fail (draft->conversation_id != NULL, NULL);

  *out_duplicate = FALSE;
  if (!hub_begin (hub, error))
    return NULL;

  if (!confab_store_append_message (store, draft, &message, &conversation, &changed, &result, error))
    goto failed;

  if (result == CONFAB_APPEND_DUPLICATE)
    {
      /* a retry after a lost answer: the same message again, nobody told twice */
      hub_rollback (hub);
      *out_duplicate = TRUE;
      return g_steal_pointer (&message);
    }

  if (changed && !announce_conversation (hub, conversation, error))
    goto failed;
  queue_message (hub, message, conversation->site_id, conversation->visitor_id);

  /* the first reply of a signed-in agent takes an unassigned conversation on, as on a socket */
  if (assignee_id != NULL)
    {
      Client agent = { 0 };

      agent.kind = CLIENT_AGENT;
      agent.hub = hub;
      agent.user_id = (char *) assignee_id;
      agent.user_name = (char *) assignee_name;
      if (!assign_on_reply (&agent, &conversation, error))
        goto failed;
    }

  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  confab_metrics_inc (CONFAB_METRIC_MESSAGES_IN_AGENT);
  return g_steal_pointer (&message);

failed:
  hub_rollback (hub);
  return NULL;
}

void
confab_hub_visitor_changed (ConfabHub  *hub,
                            const char *site_id,
                            const char *visitor_id)
{
  announce_visitor (hub, site_id, visitor_id, tabs_online (hub, visitor_id));
}
