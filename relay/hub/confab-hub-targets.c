/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-targets.c: targets turning near and missed become `conversation` events
 * (see confab-hub-targets.h) */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-targets.h"
#include "confab-hub-private.h"
#include "confab-store-targets.h"

gint64
confab_hub_advance_targets (ConfabHub  *hub,
                            gint64      now_ms,
                            GError    **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (GPtrArray) ids = NULL;

  if (!hub_begin (hub, error))
    return -1;

  ids = confab_store_advance_targets (store, now_ms, error);
  if (ids == NULL)
    goto failed;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (ConfabConversation) conversation =
        confab_store_get_conversation (store, g_ptr_array_index (ids, i), error);

      if (conversation == NULL || !announce_conversation (hub, conversation, error))
        goto failed;
    }

  if (!hub_commit (hub, error))
    return -1;
  hub_flush (hub);
  return ids->len;

failed:
  hub_rollback (hub);
  return -1;
}
