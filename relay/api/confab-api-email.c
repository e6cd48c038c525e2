/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-email.c: issue 15's e-mail routes — POST /offline-messages/{id}/reply,
 * POST /widget/transcript (visitor token), GET|PUT|DELETE /sites/{id}/channels/email, and the
 * "email_notifications" of PATCH /me. What is mailed: relay/email/confab-mail-out.c. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-email.h"
#include "confab-json.h"
#include "confab-mail-out.h"
#include "confab-objects.h"
#include "confab-store-data.h"
#include "confab-store-email.h"
#include "confab-util.h"

#include <string.h>

#define REPLY_MAX_CHARS 10000
#define POLL_DEFAULT_S  60
#define POLL_MIN_S      30
#define POLL_MAX_S      3600

static void
email_unavailable (SoupServerMessage *msg)
{
  confab_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "email_unavailable",
                     "This relay sends no e-mail: its operator has not set [email] smtp-server");
}

/* --- POST /offline-messages/{id}/reply --- */

void
confab_api_offline_reply (ConfabApiCall              *call,
                          const ConfabOfflineMessage *offline)
{
  static const char * const fields[] = { "body", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabOfflineReply) reply = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;
  const char *text = NULL;

  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, fields) ||
      !confab_api_text_field (call, body, "body", TRUE, 1, REPLY_MAX_CHARS, &text))
    return;
  if (!confab_mailer_is_enabled (call->relay->mailer))
    return email_unavailable (call->msg);

  reply = confab_mail_offline_reply (call->relay, offline, call->user, text, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        return confab_api_bad_value (call, error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        return email_unavailable (call->msg);
      return confab_http_gerror (call->msg, error);
    }

  answer = confab_offline_reply_to_json (reply);
  confab_http_json_object (call->msg, SOUP_STATUS_CREATED, answer);
}

/* --- POST /widget/transcript --- */

static void
widget_cors (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* the widget calls from the host page's origin with a bearer visitor token, no cookies */
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (headers, "Vary", "Origin");
}

static ConfabVisitor *
widget_visitor (ConfabRelay       *relay,
                SoupServerMessage *msg)
{
  const char *token = confab_http_bearer (msg);
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autofree char *hash = NULL, *ip = NULL, *ip_hash = NULL;

  if (token != NULL && g_str_has_prefix (token, "cvt_"))
    {
      hash = confab_sha256_hex (token);
      visitor = confab_store_get_visitor_by_token (relay->store, hash, NULL);
    }
  if (visitor == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                         "Send the visitor token as “Authorization: Bearer …”");
      return NULL;
    }
  ip = confab_http_client_ip (relay, msg);
  ip_hash = confab_relay_hash_ip (relay, ip);
  if (confab_store_is_blocked (relay->store, visitor->site_id, visitor->id, ip_hash))
    {
      confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "blocked", "This chat is not available.");
      return NULL;
    }
  return g_steal_pointer (&visitor);
}

void
confab_api_widget_transcript (ConfabRelay       *relay,
                              SoupServerMessage *msg)
{
  static const char * const fields[] = { "conversation_id", "email", NULL };
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  const char *conversation_id = NULL, *email = NULL;
  guint retry = 0;

  widget_cors (msg);
  if (strcmp (method, "OPTIONS") == 0)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      soup_message_headers_replace (headers, "Access-Control-Allow-Methods", "POST");
      soup_message_headers_replace (headers, "Access-Control-Allow-Headers", "Authorization, Content-Type");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", "86400");
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if (strcmp (method, "POST") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "POST, OPTIONS");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "This method is not allowed here");
    }
  if ((visitor = widget_visitor (relay, msg)) == NULL)
    return;
  if ((body = confab_http_read_object (relay, msg)) == NULL)
    return;
  {
    g_autoptr (GList) keys = json_object_get_members (body);

    for (GList *l = keys; l != NULL; l = l->next)
      if (!g_strv_contains (fields, l->data))
        {
          g_autofree char *message = g_strdup_printf ("“%s” is not a field of this resource",
                                                      (char *) l->data);

          return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
        }
  }
  if (!confab_json_get_string (body, "conversation_id", TRUE, &conversation_id, &error) ||
      !confab_json_get_string (body, "email", TRUE, &email, &error))
    return confab_http_gerror (msg, error);
  if (!confab_config_valid_mail_address (email))
    return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value",
                              "“email” must be an e-mail address such as ann@example.com");

  /* another visitor's conversation looks like one that does not exist */
  conversation = confab_store_get_conversation (relay->store, conversation_id, NULL);
  if (conversation == NULL || g_strcmp0 (conversation->visitor_id, visitor->id) != 0)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
  if (!confab_mailer_is_enabled (relay->mailer))
    return email_unavailable (msg);
  if (!confab_mailer_take_transcript (relay->mailer, visitor->id, &retry))
    return confab_http_rate_limited (msg, retry);

  if (!confab_mail_transcript (relay, conversation, email, &error))
    return confab_http_gerror (msg, error);

  json_object_set_boolean_member (answer, "queued", TRUE);
  confab_http_json_object (msg, SOUP_STATUS_ACCEPTED, answer);
}

/* --- GET|PUT|DELETE /sites/{id}/channels/email --- */

static JsonObject *
channel_to_json (ConfabRelay              *relay,
                 const ConfabEmailChannel *channel)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "enabled", channel != NULL && channel->enabled);
  if (channel == NULL)
    {
      json_object_set_null_member (object, "address");
      json_object_set_null_member (object, "imap_url");
      json_object_set_null_member (object, "imap_user");
      json_object_set_boolean_member (object, "has_imap_password", FALSE);
      json_object_set_int_member (object, "poll_seconds", POLL_DEFAULT_S);
      json_object_set_null_member (object, "last_polled_at");
      json_object_set_null_member (object, "last_error");
      json_object_set_boolean_member (object, "idle", FALSE);
      return object;
    }
  json_object_set_string_member (object, "address", channel->address);
  json_object_set_string_member (object, "imap_url", channel->imap_url);
  json_object_set_string_member (object, "imap_user", channel->imap_user);
  json_object_set_boolean_member (object, "has_imap_password",
                                  channel->imap_password != NULL && *channel->imap_password != '\0');
  json_object_set_int_member (object, "poll_seconds", channel->poll_seconds);
  if (channel->last_polled_at > 0)
    {
      g_autofree char *at = confab_format_time (channel->last_polled_at);

      json_object_set_string_member (object, "last_polled_at", at);
    }
  else
    json_object_set_null_member (object, "last_polled_at");
  if (channel->last_error != NULL)
    json_object_set_string_member (object, "last_error", channel->last_error);
  else
    json_object_set_null_member (object, "last_error");
  /* this relay's own watch: right after a PUT it is still logging in */
  json_object_set_boolean_member (object, "idle", confab_mailer_mailbox_idling (relay->mailer, channel->site_id));
  return object;
}

/* imap:// or imaps://HOST[:PORT]/MAILBOX, nothing else: no user in it (imap_user says who), no
 * query; NULL and @message when it is not one. */
gboolean
confab_api_email_valid_imap_url (const char  *url,
                                 char       **out_message)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;

  if (uri == NULL || scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "imap") != 0 && g_ascii_strcasecmp (scheme, "imaps") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL || path == NULL || strlen (path) < 2 || path[0] != '/' ||
      strpbrk (url, " \r\n\"") != NULL)
    {
      *out_message = g_strdup ("“imap_url” must be imap://HOST[:PORT]/MAILBOX or "
                               "imaps://HOST[:PORT]/MAILBOX, for example imaps://mail.example.com/INBOX");
      return FALSE;
    }
  return TRUE;
}

static void
channel_put (ConfabApiCall *call,
             ConfabSite    *site)
{
  static const char * const fields[] = { "enabled", "address", "imap_url", "imap_user",
                                         "imap_password", "poll_seconds", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabEmailChannel) stored = NULL;
  g_autoptr (ConfabEmailChannel) saved = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autofree char *message = NULL;
  ConfabEmailChannel channel = { 0 };
  const char *address = NULL, *imap_url = NULL, *imap_user = NULL, *imap_password = NULL;
  gboolean enabled = TRUE;
  gint64 poll = POLL_DEFAULT_S;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, fields) ||
      !confab_api_text_field (call, body, "address", TRUE, 3, 254, &address) ||
      !confab_api_text_field (call, body, "imap_url", TRUE, 8, 2000, &imap_url) ||
      !confab_api_text_field (call, body, "imap_user", TRUE, 1, 254, &imap_user) ||
      !confab_api_text_field (call, body, "imap_password", FALSE, 1, 1000, &imap_password))
    return;
  if (!confab_json_get_bool (body, "enabled", FALSE, TRUE, &enabled, &error) ||
      !confab_json_get_int (body, "poll_seconds", FALSE, POLL_DEFAULT_S, &poll, &error))
    return confab_http_gerror (call->msg, error);
  if (!confab_config_valid_mail_address (address))
    return confab_api_bad_value (call, "“address” must be an e-mail address such as support@example.com");
  if (!confab_api_email_valid_imap_url (imap_url, &message))
    return confab_api_bad_value (call, message);
  if (poll < POLL_MIN_S || poll > POLL_MAX_S)
    return confab_api_bad_value (call, "“poll_seconds” must be a whole number from 30 to 3600");
  if (strpbrk (imap_user, "\r\n") != NULL || (imap_password && strpbrk (imap_password, "\r\n")))
    return confab_api_bad_value (call, "“imap_user” and “imap_password” must be one line");

  stored = confab_store_get_email_channel (call->relay->store, site->id, &error);
  if (error != NULL)
    return confab_http_gerror (call->msg, error);
  if (imap_password == NULL && (stored == NULL || *stored->imap_password == '\0'))
    return confab_api_bad_value (call, "“imap_password” is needed to connect the mailbox");

  channel.site_id = site->id;
  channel.enabled = enabled;
  channel.address = (char *) address;
  channel.imap_url = (char *) imap_url;
  channel.imap_user = (char *) imap_user;
  channel.imap_password = (char *) imap_password;
  channel.poll_seconds = (guint) poll;
  if (!confab_store_put_email_channel (call->relay->store, &channel, &error) ||
      (saved = confab_store_get_email_channel (call->relay->store, site->id, &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  /* never the password, only whether it changed */
  json_object_set_boolean_member (detail, "enabled", enabled);
  json_object_set_string_member (detail, "address", address);
  json_object_set_boolean_member (detail, "imap_password_changed", imap_password != NULL);
  confab_api_audit (call, site->id, "channel.email.updated", "site", site->id, site->name, detail);
  confab_mailer_mailbox_changed (call->relay->mailer, site->id);

  answer = channel_to_json (call->relay, saved);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_site_email_channel (ConfabApiCall  *call,
                               ConfabSite     *site,
                               char          **rest)
{
  g_autoptr (GError) error = NULL;

  if (rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_require_admin (call, site->role))
    return;

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (ConfabEmailChannel) channel = confab_store_get_email_channel (call->relay->store,
                                                                               site->id, &error);
      g_autoptr (JsonObject) answer = NULL;

      if (error != NULL)
        return confab_http_gerror (call->msg, error);
      answer = channel_to_json (call->relay, channel);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (confab_api_method_is (call, "PUT"))
    return channel_put (call, site);
  if (confab_api_method_is (call, "DELETE"))
    {
      if (!confab_store_delete_email_channel (call->relay->store, site->id, &error))
        return confab_http_gerror (call->msg, error);
      confab_api_audit (call, site->id, "channel.email.deleted", "site", site->id, site->name, NULL);
      confab_mailer_mailbox_changed (call->relay->mailer, site->id);
          return confab_api_no_content (call);
    }
  confab_api_method_not_allowed (call, "GET, PUT, DELETE");
}

/* --- PATCH /me {"email_notifications"} --- */

gboolean
confab_api_me_email_notifications (ConfabApiCall *call,
                                   JsonObject    *body)
{
  g_autoptr (GError) error = NULL;
  gboolean enabled = TRUE;

  if (!json_object_has_member (body, "email_notifications"))
    return TRUE;
  if (!confab_json_get_bool (body, "email_notifications", TRUE, TRUE, &enabled, &error) ||
      !confab_store_set_email_notifications (call->relay->store, call->user->id, enabled, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  return TRUE;
}

void
confab_api_user_add_email_notifications (ConfabRelay *relay,
                                         JsonObject  *user_object,
                                         const char  *user_id)
{
  int enabled = confab_store_get_email_notifications (relay->store, user_id, NULL);

  json_object_set_boolean_member (user_object, "email_notifications", enabled != 0);
}
