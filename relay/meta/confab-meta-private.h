/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-meta-private.h: what the webhook's two files share — confab-meta-webhook.c (the
 * endpoints, the signature, a delivery's answer) and confab-meta-inbound.c (what a delivery
 * holds: Messenger's and WhatsApp's messages, pictures and receipts). */
#pragma once

#include "confab-meta.h"

G_BEGIN_DECLS

#define MAX_DEPTH          32
#define MAX_ID_CHARS       200
#define MAX_NAME_CHARS     100
/* Meta's own limits are 2000 (Messenger) and 4096 (WhatsApp) characters */
#define MAX_TEXT_CHARS     20000
#define MAX_CHALLENGE_CHARS 200
/* a media object's description from the Graph API */
#define MEDIA_INFO_MAX_BYTES (64 * 1024)
#define WINDOW_MS          (24 * 3600 * 1000LL)

/* One POST: answered when the last picture in it is stored. */
typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  char              *site_id;
  char              *channel;
  JsonObject        *settings;
  guint              pending;   /* pictures on their way, +1 while the body is being read */
  gboolean           failed;    /* something was not stored: Meta must send it again */
  gboolean           gone;      /* the request is over (its client went away) */
} Delivery;

/* One of the delivery's parts is done (@paused: the request waits for it); the last one
 * answers, 200 once what it brought is durable, else 502 so that Meta sends it again. */
void         meta_delivery_step_done (Delivery   *delivery,
                                      gboolean    paused);

/* Members of a platform's JSON of the type wanted, else NULL. */
const char  *meta_member_string      (JsonObject *object,
                                      const char *member);
JsonObject  *meta_member_object      (JsonObject *object,
                                      const char *member);
JsonArray   *meta_member_array       (JsonObject *object,
                                      const char *member);
JsonObject  *meta_array_object       (JsonArray  *array,
                                      guint       index);
/* An id as platforms send them: short, printable, no spaces. */
gboolean     meta_valid_id           (const char *id);
/* A platform's text, cut at a character boundary far beyond any platform's own limit. */
char        *meta_bounded_text       (const char *text);

/* confab-meta-inbound.c: the entries of a verified, parsed delivery */
void         meta_messenger_delivery (Delivery   *delivery,
                                      JsonObject *payload);
void         meta_whatsapp_delivery  (Delivery   *delivery,
                                      JsonObject *payload);

G_END_DECLS
