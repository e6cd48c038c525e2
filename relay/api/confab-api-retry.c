/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-retry.c: POST /conversations/{id}/messages/{seq}/retry — an agent's message that
 * e-mail, Messenger or WhatsApp did not take is sent again: the same stored message, no new row
 * (confab_hub_channel_retry). Any member of the site may, as any member may reply. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-retry.h"
#include "confab-hub.h"
#include "confab-hub-channels.h"
#include "confab-meta.h"
#include "confab-objects.h"
#include "confab-ratelimit.h"

#include <string.h>

gboolean
confab_api_is_message_retry (char **rest)
{
  return g_strcmp0 (rest[0], "messages") == 0 && rest[1] != NULL && rest[2] != NULL &&
         strcmp (rest[2], "retry") == 0 && rest[3] == NULL;
}

void
confab_api_message_retry (ConfabApiCall            *call,
                          const ConfabConversation *conversation,
                          const char               *seq_text)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *limit_key = NULL;
  guint64 seq = 0;
  guint retry = 0;

  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");
  if (!g_ascii_string_to_unsigned (seq_text, 10, 1, G_MAXINT64, &seq, NULL))
    return confab_api_not_found (call);
  /* each retry is a request to a platform: limited as an agent's REST posts are */
  limit_key = g_strconcat ("user:", call->user->id, NULL);
  if (!confab_rate_limit_take (call->relay->api_key_requests, limit_key,
                               confab_rate_limit_now_ms (), &retry))
    return confab_http_rate_limited (call->msg, retry);

  message = confab_hub_channel_retry (call->relay->hub, conversation->id, (gint64) seq, &error);
  if (message == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_api_not_found (call);
      if (g_error_matches (error, CONFAB_CHANNEL_ERROR, CONFAB_CHANNEL_ERROR_NOT_CHANNEL))
        return confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST,
                                  confab_channel_error_code (error), error->message);
      if (confab_channel_error_code (error) != NULL)
        return confab_http_error (call->msg, SOUP_STATUS_CONFLICT,
                                  confab_channel_error_code (error), error->message);
      /* WhatsApp's window closed meanwhile (409), or the channel cannot take it as it is */
      if (error->domain == CONFAB_META_ERROR)
        return confab_http_error (call->msg,
                                  error->code == CONFAB_META_ERROR_WINDOW_CLOSED
                                  ? SOUP_STATUS_CONFLICT : SOUP_STATUS_BAD_REQUEST,
                                  confab_meta_error_code (error), error->message);
      return confab_http_gerror (call->msg, error);
    }

  /* answered once the pending state is durable, as a posted message is */
  confab_hub_sync (call->relay->hub);
  answer = confab_message_to_json (message, CONFAB_AUDIENCE_AGENT);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}
