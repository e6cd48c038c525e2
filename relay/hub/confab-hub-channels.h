/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-channels.h: what channels beyond the web widget (relay/meta/: Messenger and
 * WhatsApp) hand to the hub — a sender's message, a platform's receipt — so that agents hear of
 * them like of anything else: stored first, then told, in cursor order
 * (confab-hub-channels.c). */
#pragma once

#include "confab-hub.h"
#include "confab-store-channels.h"

G_BEGIN_DECLS

/* The agents' event of a message's delivery state (a persisted "delivery" frame). */
#define CONFAB_EVENT_DELIVERY "delivery"

typedef struct {
  const char *site_id;
  const char *channel;              /* CONFAB_CHANNEL_MESSENGER, … */
  const char *visitor_id;           /* the sender's visitor (confab_store_add_channel_contact) */
  const char *platform_id;          /* the platform's id of the message: stored once */
  const char *body;                 /* may be NULL when attachment_id is set */
  const char *attachment_id;        /* an upload of the visitor's, or NULL */
  gint64      reply_window_ends_at; /* WhatsApp: when agents may no longer answer freely; 0 */
} ConfabChannelMessageIn;

/* Appends a sender's message to their current conversation (a new one of @in->channel when
 * there is none; reopened when resolved), in one unit of work with the record that
 * @in->platform_id was seen. *@out_duplicate (and NULL, no error) when it was seen before. */
ConfabMessage *confab_hub_channel_message_in (ConfabHub                    *hub,
                                              const ConfabChannelMessageIn *in,
                                              gboolean                     *out_duplicate,
                                              GError                      **error);

/* Message @seq of @conversation_id is now @status (@error_text: the platform's words, or NULL;
 * @platform_id: its id there, NULL keeps the one it has): stored — and, when @dequeue, taken
 * out of the outbox in the same unit of work — and the site's agents get a "delivery" frame
 * with its cursor. "read" also raises the conversation's visitor_read_seq. */
gboolean       confab_hub_channel_delivery   (ConfabHub   *hub,
                                              const char  *conversation_id,
                                              gint64       seq,
                                              const char  *status,
                                              const char  *error_text,
                                              const char  *platform_id,
                                              gboolean     dequeue,
                                              GError     **error);

#define CONFAB_CHANNEL_ERROR (confab_channel_error_quark ())

typedef enum {
  CONFAB_CHANNEL_ERROR_NOT_CHANNEL, /* not an agent's message with a delivery state */
  CONFAB_CHANNEL_ERROR_NOT_FAILED,  /* sent, delivered or read: nothing to send again */
  CONFAB_CHANNEL_ERROR_UNAVAILABLE, /* the channel cannot take it now (e-mail not set up) */
} ConfabChannelError;

GQuark         confab_channel_error_quark    (void);
/* The error code of a CONFAB_CHANNEL_ERROR ("not_channel_message", "message_not_failed",
 * "channel_unavailable"), NULL for any other error. */
const char    *confab_channel_error_code     (const GError *error);

/* Sends agent message @seq of @conversation_id again, whose delivery "failed": the same row
 * is queued again for its channel (Messenger, WhatsApp: the outbox; e-mail: the mailer), its
 * state becomes "pending" and the site's agents get a "delivery" frame. The platform's checks
 * apply again (WhatsApp's window: CONFAB_META_ERROR); a template reply goes as its words, so
 * outside the window it is refused and a template must be sent anew. A message already
 * "pending" (a double click) is returned as it is, nothing queued twice. NOT_FOUND,
 * CONFAB_CHANNEL_ERROR. */
ConfabMessage *confab_hub_channel_retry      (ConfabHub   *hub,
                                              const char  *conversation_id,
                                              gint64       seq,
                                              GError     **error);

/* The sender read everything up to @seq (a platform's read receipt): visitor_read_seq, and a
 * live "read" frame to the site's agents, as when a visitor's widget reads. */
gboolean       confab_hub_channel_read       (ConfabHub   *hub,
                                              const char  *conversation_id,
                                              gint64       seq,
                                              GError     **error);

/* The platform told the sender's name (a Messenger profile): stored on their visitor, and the
 * site's agents get the `visitor` event as for any change of a visitor. */
gboolean       confab_hub_channel_visitor_named (ConfabHub  *hub,
                                              const char  *site_id,
                                              const char  *visitor_id,
                                              const char  *name,
                                              GError     **error);

G_END_DECLS
