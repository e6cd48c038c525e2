/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-message.h: One message of a conversation, sent or still in the outbox.
 *
 * Immutable: the cache makes a new object for every change, so a row that
 * shows one never sees it change under it. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  CONFAB_MESSAGE_QUEUED,   /* in the outbox, not acknowledged by the relay yet */
  CONFAB_MESSAGE_SENT,     /* stored by the relay (it has a seq) */
  CONFAB_MESSAGE_FAILED,   /* the relay refused it for good; it stays in the outbox until discarded */
} ConfabMessageState;

#define CONFAB_TYPE_MESSAGE_STATE (confab_message_state_get_type ())
GType confab_message_state_get_type (void);

#define CONFAB_TYPE_MESSAGE (confab_message_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessage, confab_message, CONFAB, MESSAGE, GObject)

const char        *confab_message_get_conversation_id (ConfabMessage *self);
gint64             confab_message_get_seq (ConfabMessage *self);
const char        *confab_message_get_client_id (ConfabMessage *self);
const char        *confab_message_get_sender_type (ConfabMessage *self);
const char        *confab_message_get_sender_id (ConfabMessage *self);
const char        *confab_message_get_sender_name (ConfabMessage *self);
const char        *confab_message_get_body (ConfabMessage *self);
const char        *confab_message_get_attachment (ConfabMessage *self);
gint64             confab_message_get_created_at (ConfabMessage *self);
ConfabMessageState confab_message_get_state (ConfabMessage *self);
gint64             confab_message_get_local_id (ConfabMessage *self);
gint64             confab_message_get_sort_key (ConfabMessage *self);
/* Timeline rows (what happened to the conversation: assigned, resolved, rated...) sit among
 * the messages, by time: sender-type "timeline", no seq, the relay's event object as JSON
 * text in "event" ({"kind","actor","target","at",...}). */
gboolean           confab_message_is_timeline (ConfabMessage *self);
/* An internal note of the team (sender type "note"): never shown to the visitor. */
gboolean           confab_message_is_note     (ConfabMessage *self);
const char        *confab_message_get_event (ConfabMessage *self);

G_END_DECLS
