/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-email.c: the hub's part of issue 15's e-mail (see confab-hub-email.h) */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-email.h"
#include "confab-hub-private.h"

gboolean
confab_hub_announce_conversation (ConfabHub   *hub,
                                  const char  *conversation_id,
                                  GError     **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;

  if (!hub_begin (hub, error))
    return FALSE;
  conversation = confab_store_get_conversation (hub->relay->store, conversation_id, error);
  if (conversation == NULL || !announce_conversation (hub, conversation, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (!hub_commit (hub, error))
    return FALSE;
  hub_flush (hub);
  return TRUE;
}
