/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant.h: the assistant (issue 16) — answers a visitor from the site's FAQs and
 * published articles through an OpenAI-compatible chat-completions endpoint ([assistant] url),
 * streaming its answer into the visitor's tabs, with the FAQ bot as its fallback; and agent
 * assist (a suggested reply, a summary) for the REST API (api/confab-api-assistant.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-relay.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_ASSISTANT_ERROR (confab_assistant_error_quark ())

typedef enum {
  CONFAB_ASSISTANT_ERROR_UNAVAILABLE, /* the relay has no [assistant] url */
  CONFAB_ASSISTANT_ERROR_TIMEOUT,     /* no token within [assistant] timeout-seconds */
  CONFAB_ASSISTANT_ERROR_FAILED,      /* unreachable, HTTP error, malformed stream */
} ConfabAssistantError;

GQuark           confab_assistant_error_quark (void);

/* Agent assist's rate: suggested replies and summaries per user and minute. */
#define CONFAB_ASSIST_REQUESTS_PER_MINUTE 20

typedef struct _ConfabAssistant ConfabAssistant;

ConfabAssistant *confab_assistant_new         (ConfabRelay      *relay);
void             confab_assistant_free        (ConfabAssistant  *assistant);
/* TRUE when the relay has an [assistant] url. */
gboolean         confab_assistant_available   (ConfabAssistant  *assistant);

/* The site settings' "assistant" object: {"enabled","name" ≤ 60,"tone" ≤ 200,"instructions" ≤
 * 4000}, every member optional. FALSE with *@message otherwise. */
gboolean         confab_assistant_valid_settings (JsonNode      *node,
                                                 char         **message);
/* The widget config's "assistant": {"enabled","name"} (enabled only when the relay has one). */
JsonObject      *confab_assistant_widget_config (ConfabAssistant  *assistant,
                                                 const ConfabSite *site);

/* A visitor's message was stored and fanned out. TRUE when the assistant takes it (it answers,
 * or on failure lets the FAQ bot answer, later); FALSE when the FAQ bot should answer now. */
gboolean         confab_assistant_after_visitor_message (ConfabAssistant          *assistant,
                                                 const ConfabConversation *conversation,
                                                 const ConfabMessage      *message);

/* The visitor of @conversation_id asked for a person (talk_to_human): when nobody of the team
 * can take over now and their contact has no e-mail, a bot's message says so with an
 * "ask_email" action. */
void             confab_assistant_human_requested (ConfabAssistant *assistant,
                                                   const char      *conversation_id);

/* A site's FAQs or articles were created, changed or deleted: with embeddings and the site's
 * assistant on, their vectors are computed again in the background now (not at the next
 * visitor's question). */
void             confab_assistant_knowledge_changed (ConfabAssistant *assistant,
                                                 const char      *site_id);

/* Agent assist: a reply to the visitor's last words ({"body","sources"}) or a one-paragraph
 * summary ({"summary"}) of @conversation, or a CONFAB_ASSISTANT_ERROR. */
void             confab_assistant_suggest_reply_async (ConfabAssistant          *assistant,
                                                 const ConfabConversation *conversation,
                                                 GAsyncReadyCallback       callback,
                                                 gpointer                  user_data);
void             confab_assistant_summary_async (ConfabAssistant          *assistant,
                                                 const ConfabConversation *conversation,
                                                 GAsyncReadyCallback       callback,
                                                 gpointer                  user_data);
JsonObject      *confab_assistant_assist_finish (ConfabAssistant          *assistant,
                                                 GAsyncResult             *result,
                                                 GError                  **error);

G_END_DECLS
