/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-assistant.c: agent assist — POST /conversations/{id}/suggest-reply and
 * /conversations/{id}/summary. The model's answer takes seconds: the request waits paused
 * while the main loop serves everyone else. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-assistant.h"
#include "confab-assistant.h"
#include "confab-ratelimit.h"

#include <string.h>

gboolean
confab_api_assistant_is_conversation_resource (const char *name)
{
  return g_strcmp0 (name, "suggest-reply") == 0 || g_strcmp0 (name, "summary") == 0;
}

typedef struct {
  SoupServerMessage *msg;
  gulong             finished_id;
  gboolean           gone;        /* the client left: nothing to answer */
} AssistRequest;

static void
request_gone (SoupServerMessage *msg,
              AssistRequest     *request)
{
  request->gone = TRUE;
}

static void
assist_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AssistRequest *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = NULL;

  answer = g_task_propagate_pointer (G_TASK (result), &error);
  if (!request->gone)
    {
      g_signal_handler_disconnect (request->msg, request->finished_id);
      if (answer != NULL)
        confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
      else if (g_error_matches (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_UNAVAILABLE))
        confab_http_error (request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "assistant_unavailable",
                           "This relay has no assistant ([assistant] url)");
      else if (g_error_matches (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_TIMEOUT))
        confab_http_error (request->msg, SOUP_STATUS_GATEWAY_TIMEOUT, "assistant_timeout",
                           "The assistant did not answer in time");
      else if (error->domain == CONFAB_ASSISTANT_ERROR)
        confab_http_error (request->msg, SOUP_STATUS_BAD_GATEWAY, "assistant_failed",
                           "The assistant's model failed");
      else
        confab_http_gerror (request->msg, error);
      soup_server_message_unpause (request->msg);
    }
  g_object_unref (request->msg);
  g_free (request);
}

void
confab_api_assistant_conversation_resource (ConfabApiCall            *call,
                                            const ConfabConversation *conversation,
                                            const char               *name)
{
  ConfabRelay *relay = call->relay;
  AssistRequest *request;
  guint retry_after_ms = 0;

  if (strcmp (call->method, "POST") != 0)
    return confab_api_method_not_allowed (call, "POST");
  if (!confab_assistant_available (relay->assistant))
    return confab_http_error (call->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "assistant_unavailable",
                              "This relay has no assistant ([assistant] url)");
  /* each call is a model's work: per user, so that one busy agent cannot take it all */
  if (!confab_rate_limit_take (relay->assist_requests, call->user->id,
                               confab_rate_limit_now_ms (), &retry_after_ms))
    return confab_http_rate_limited (call->msg, retry_after_ms);

  request = g_new0 (AssistRequest, 1);
  request->msg = g_object_ref (call->msg);
  request->finished_id = g_signal_connect (call->msg, "finished", G_CALLBACK (request_gone), request);
  soup_server_message_pause (call->msg);
  if (strcmp (name, "summary") == 0)
    confab_assistant_summary_async (relay->assistant, conversation, assist_done, request);
  else
    confab_assistant_suggest_reply_async (relay->assistant, conversation, assist_done, request);
}
