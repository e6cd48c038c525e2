/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-batch.h: many visitors' messages stored in one transaction (a main-loop turn's
 * group commit), sent to PostgreSQL in one flight.
 *
 * Only the common case: a visitor writing into their open (or pending) conversation, a text
 * without an attachment, a client_id not used before. Whatever is not (no conversation yet, a
 * resolved one to reopen, a resend, another site's visitor) is left NOT_STORED, with nothing
 * written for it, for the caller to run through confab_store_append_message (), which knows
 * every case. Since those reasons hold for a visitor's later messages of the batch too (nothing
 * in the batch changes them), a visitor's messages keep their order.
 */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_BATCH_NOT_STORED,
  CONFAB_BATCH_STORED,
} ConfabBatchOutcome;

typedef struct {
  /* in */
  const char         *site_id;
  const char         *visitor_id;
  const char         *sender_name;
  const char         *client_id;    /* may be NULL */
  const char         *body;
  /* out */
  ConfabBatchOutcome  outcome;
  ConfabMessage      *message;      /* STORED: the message, and its conversation after it */
  ConfabConversation *conversation;
} ConfabBatchItem;

/* Stores what it can of @items (see above) in one transaction, outside any
 * confab_store_begin () level. FALSE with @error when the transaction failed: then nothing is
 * stored and every item is NOT_STORED. Free each item's message and conversation with
 * confab_batch_items_clear (). */
gboolean confab_store_append_batch (ConfabStore     *store,
                                    ConfabBatchItem *items,
                                    guint            n_items,
                                    GError         **error);
void     confab_batch_items_clear  (ConfabBatchItem *items,
                                    guint            n_items);

G_END_DECLS
