/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-batch.c: confab_store_append_batch () on SQLite, and the PostgreSQL hand-off.
 *
 * SQLite has no round trips to save: one transaction, a savepoint per message, the same calls
 * as the writer thread makes (confab-hub-writer.c), so both backends answer alike. */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-batch.h"
#include "confab-store-private.h"

static void
append_one (ConfabStore     *store,
            ConfabBatchItem *item)
{
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabAppendResult result = CONFAB_APPEND_NEW;
  gboolean changed = FALSE;

  item->outcome = CONFAB_BATCH_NOT_STORED;
  if (!confab_store_begin (store, NULL))
    return;
  current = confab_store_get_current_conversation (store, item->visitor_id, NULL);
  if (current == NULL || g_strcmp0 (current->site_id, item->site_id) != 0 ||
      (current->status != CONFAB_STATUS_OPEN && current->status != CONFAB_STATUS_PENDING))
    {
      confab_store_rollback (store);
      return;
    }

  draft.site_id = item->site_id;
  draft.visitor_id = item->visitor_id;
  draft.conversation_id = current->id;
  draft.client_id = item->client_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = item->visitor_id;
  draft.sender_name = item->sender_name;
  draft.body = item->body;
  if (!confab_store_append_message (store, &draft, &message, &conversation, &changed, &result,
                                    NULL) ||
      result != CONFAB_APPEND_NEW || changed || !confab_store_commit (store, NULL))
    {
      confab_store_rollback (store);
      return;
    }
  item->outcome = CONFAB_BATCH_STORED;
  item->message = g_steal_pointer (&message);
  item->conversation = g_steal_pointer (&conversation);
}

gboolean
confab_store_append_batch (ConfabStore     *store,
                           ConfabBatchItem *items,
                           guint            n_items,
                           GError         **error)
{
  STORE_HANDOFF (store, append_batch, FALSE, error, items, n_items, error);

  for (guint i = 0; i < n_items; i++)
    {
      items[i].outcome = CONFAB_BATCH_NOT_STORED;
      items[i].message = NULL;
      items[i].conversation = NULL;
    }
  if (!confab_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < n_items; i++)
    append_one (store, &items[i]);
  if (!confab_store_commit (store, error))
    {
      confab_store_rollback (store);
      confab_batch_items_clear (items, n_items);
      return FALSE;
    }
  return TRUE;
}

void
confab_batch_items_clear (ConfabBatchItem *items,
                          guint            n_items)
{
  for (guint i = 0; i < n_items; i++)
    {
      items[i].outcome = CONFAB_BATCH_NOT_STORED;
      g_clear_pointer (&items[i].message, confab_message_free);
      g_clear_pointer (&items[i].conversation, confab_conversation_free);
    }
}
