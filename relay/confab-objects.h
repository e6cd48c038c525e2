/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-objects.h: the JSON shapes of PROTOCOL.md, built from store records.
 * HTTP answers and WebSocket frames share these so that both always say the same. */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-store.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_AUDIENCE_VISITOR, /* what a visitor may see */
  CONFAB_AUDIENCE_AGENT,   /* what a member of the site may see */
} ConfabAudience;

JsonObject *confab_user_to_json         (const ConfabUser         *user);
/* Includes site_key, domains, settings and role. */
JsonObject *confab_site_to_json         (const ConfabSite         *site);
/* The site objects' "assistant_available": whether this relay has an [assistant] url. One
 * relay per process, as the metrics (confab-assistant.c sets it). */
void        confab_objects_set_assistant_available (gboolean available);
/* The assignee is looked up for its name. */
JsonObject *confab_conversation_to_json (ConfabStore              *store,
                                         const ConfabConversation *conversation,
                                         ConfabAudience            audience);
/* {"id","url","thumb_url","mime","width","height","size"}: a message's "attachment" and the
 * answer to an upload. */
JsonObject *confab_upload_to_json       (const ConfabUpload       *upload);
/* A bot's notice that nobody of the team can take over now (confab-assistant.c): no answer of
 * the assistant, so neither labelled nor voted on, but the visitor may leave an e-mail. The
 * relay marks it with a client id of its own (as "off_" marks the offline messages), and its
 * message JSON carries the ask_email action. */
#define CONFAB_ASK_EMAIL_CLIENT_PREFIX "ask_email:"
#define CONFAB_ASK_EMAIL_LABEL         "Leave your e-mail and we'll get back to you"
gboolean    confab_message_asks_email   (const ConfabMessage      *message);
/* Without "cursor" and "site_id": frames add those for agents. */
JsonObject *confab_message_to_json      (const ConfabMessage      *message,
                                         ConfabAudience            audience);
/* The agent's view of a visitor, with the last @journey_length pages. */
JsonObject *confab_visitor_to_json      (ConfabStore              *store,
                                         const ConfabVisitor      *visitor,
                                         gboolean                  online,
                                         guint                     journey_length);

/* {"id","site_id","visitor_id","name","email","body","page":{"url","title"}|null,"created_at",
 * "status","handled_by":{"id","name"}|null,"handled_at","conversation_id"} */
JsonObject *confab_offline_message_to_json (const ConfabOfflineMessage *offline);
/* {"score","comment","rated_at"}, or NULL when the conversation has none (or on error). */
JsonObject *confab_rating_to_json       (ConfabStore              *store,
                                         const char               *conversation_id);
/* Sets "max_chats", @user_id's limit on @site_id (issue 18; 0 also when unknown). */
void        confab_site_set_max_chats   (ConfabStore              *store,
                                         JsonObject               *object,
                                         const char               *site_id,
                                         const char               *user_id);
/* Sets "team" ({"id","key","name"}|null), "queued_at" and "queue_position" (issue 18). */
void        confab_routing_to_json      (ConfabStore              *store,
                                         const char               *conversation_id,
                                         JsonObject               *object);

/* Frames: {"type":@type, ...} */
JsonObject *confab_frame_new            (const char               *type);
char       *confab_frame_to_string      (JsonObject               *frame);

G_END_DECLS
