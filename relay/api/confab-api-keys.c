/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-keys.c: /sites/{id}/api-keys, /api-keys/{id}, /sites/{id}/webhooks, /webhooks/{id}
 * (a site's admins), what a request with an API key may reach, and the two routes API keys
 * share with the site's members: POST /conversations/{id}/messages, PATCH /visitors/{id}.
 *
 * A key is "cfk_" and 43 characters (32 random bytes); only its SHA-256 is stored, with its first
 * 12 characters to tell keys apart in a list. It is shown once, in the answer that creates it. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-keys.h"
#include "confab-engage.h"
#include "confab-api-data.h"
#include "confab-hub-api.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-hooks.h"
#include "confab-util.h"
#include "confab-webhooks.h"

#include <string.h>

#define KEY_PREFIX           "cfk_"
#define KEY_SHOWN_CHARS      12
#define MAX_KEY_NAME_CHARS   100
#define MAX_KEYS_PER_SITE    50
#define MAX_WEBHOOKS_PER_SITE 20
#define MAX_BODY_CHARS       4000
#define MAX_CLIENT_ID_CHARS  100
#define MAX_VISITOR_NAME_CHARS 100
#define MAX_EMAIL_CHARS      254
#define DEFAULT_DELIVERIES   50
#define MAX_DELIVERIES       100
/* last_used_at is written at most this often per key: a busy key costs no write per request */
#define TOUCH_EVERY_MS       (60 * 1000)

static const char * const api_key_scopes[] = {
  "conversations:read",
  "messages:write",
  "contacts:write",
  NULL
};

static const char * const key_fields[] = { "name", "scopes", NULL };
static const char * const webhook_fields[] = { "url", "events", "enabled", NULL };
static const char * const message_fields[] = { "body", "client_id", NULL };
static const char * const visitor_fields[] = { "name", "email", "phone", "notes", "tags", NULL };

gboolean
confab_api_keys_is_site_resource (const char *name)
{
  return g_strcmp0 (name, "api-keys") == 0 || g_strcmp0 (name, "webhooks") == 0;
}

gboolean
confab_api_keys_is_resource (const char *name)
{
  return g_strcmp0 (name, "api-keys") == 0 || g_strcmp0 (name, "webhooks") == 0;
}

static void
set_time_or_null (JsonObject *object,
                  const char *member,
                  gint64      ms)
{
  if (ms > 0)
    {
      g_autofree char *text = confab_format_time (ms);
      json_object_set_string_member (object, member, text);
    }
  else
    json_object_set_null_member (object, member);
}

static JsonArray *
strv_to_array (char **strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

/* A non-empty list of names from @known, each once; FALSE after answering 400. */
static gboolean
read_names (ConfabApiCall       *call,
            JsonObject          *body,
            const char          *field,
            gboolean             required,
            const char * const  *known,
            char              ***out_names)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;

  *out_names = NULL;
  if (!confab_json_get_strv (body, field, required, &names, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (names == NULL)
    return TRUE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (!g_strv_contains (known, names[i]))
        {
          g_autofree char *all = g_strjoinv (", ", (char **) known);
          g_autofree char *message = g_strdup_printf ("“%s” may hold only %s", field, all);

          confab_api_bad_value (call, message);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (strcmp (names[i], names[j]) == 0)
          {
            g_autofree char *message = g_strdup_printf ("“%s” lists “%s” twice", field, names[i]);

            confab_api_bad_value (call, message);
            return FALSE;
          }
    }
  if (names[0] == NULL)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must name at least one", field);

      confab_api_bad_value (call, message);
      return FALSE;
    }

  *out_names = g_steal_pointer (&names);
  return TRUE;
}

/* --- API keys: management ---------------------------------------------------------- */

static JsonObject *
api_key_to_json (const ConfabApiKey *key)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = confab_format_time (key->created_at);

  json_object_set_string_member (object, "id", key->id);
  json_object_set_string_member (object, "name", key->name);
  json_object_set_array_member (object, "scopes", strv_to_array (key->scopes));
  json_object_set_string_member (object, "prefix", key->prefix);
  json_object_set_string_member (object, "created_at", created_at);
  if (key->created_by != NULL)
    {
      JsonObject *by = json_object_new ();

      json_object_set_string_member (by, "id", key->created_by);
      json_object_set_string_member (by, "name", key->created_by_name);
      json_object_set_object_member (object, "created_by", by);
    }
  else
    json_object_set_null_member (object, "created_by");
  set_time_or_null (object, "last_used_at", key->last_used_at);
  return object;
}

static void
api_keys_list (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  keys = confab_store_list_api_keys (call->relay->store, site->id, &error);
  if (keys == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < keys->len; i++)
    json_array_add_object_element (list, api_key_to_json (g_ptr_array_index (keys, i)));
  json_object_set_array_member (answer, "api_keys", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
api_keys_create (ConfabApiCall *call,
                 ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabApiKey) key = NULL;
  g_autoptr (GPtrArray) existing = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) scopes = NULL;
  g_autofree char *random = NULL;
  g_autofree char *text = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *prefix = NULL;
  const char *name = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, key_fields) ||
      !confab_api_text_field (call, body, "name", TRUE, 1, MAX_KEY_NAME_CHARS, &name) ||
      !read_names (call, body, "scopes", TRUE, api_key_scopes, &scopes))
    return;

  existing = confab_store_list_api_keys (call->relay->store, site->id, &error);
  if (existing == NULL)
    return confab_http_gerror (call->msg, error);
  if (existing->len >= MAX_KEYS_PER_SITE)
    return confab_api_bad_value (call, "A site can have at most 50 API keys: revoke one first");

  random = confab_random_token (32);
  text = g_strconcat (KEY_PREFIX, random, NULL);
  hash = confab_sha256_hex (text);
  prefix = g_strndup (text, KEY_SHOWN_CHARS);
  key = confab_store_create_api_key (call->relay->store, site->id, name,
                                     (const char * const *) scopes, hash, prefix, call->user->id,
                                     &error);
  if (key == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_string_member (detail, "api_key_id", key->id);
  json_object_set_string_member (detail, "name", key->name);
  json_object_set_array_member (detail, "scopes", strv_to_array (key->scopes));
  confab_api_audit (call, site->id, "api_key.created", "api_key", key->id, key->name, detail);

  answer = api_key_to_json (key);
  json_object_set_string_member (answer, "key", text);
  confab_http_json_object (call->msg, SOUP_STATUS_CREATED, answer);
}

static void
api_key_resource (ConfabApiCall  *call,
                  const char     *key_id,
                  char          **rest)
{
  g_autoptr (ConfabApiKey) key = confab_store_get_api_key (call->relay->store, key_id, NULL);
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown, revoked and foreign keys look the same */
  if (key == NULL || key->revoked_at > 0 ||
      (role = confab_api_role (call, key->site_id)) == CONFAB_ROLE_NONE || rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (!confab_store_revoke_api_key (call->relay->store, key->id, &error))
    return confab_http_gerror (call->msg, error);

  json_object_set_string_member (detail, "api_key_id", key->id);
  json_object_set_string_member (detail, "name", key->name);
  confab_api_audit (call, key->site_id, "api_key.revoked", "api_key", key->id, key->name, detail);
  confab_api_no_content (call);
}

/* --- webhooks: management ---------------------------------------------------------- */

static JsonObject *
webhook_to_json (const ConfabWebhook *webhook)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = confab_format_time (webhook->created_at);

  json_object_set_string_member (object, "id", webhook->id);
  json_object_set_string_member (object, "url", webhook->url);
  json_object_set_array_member (object, "events", strv_to_array (webhook->events));
  json_object_set_boolean_member (object, "enabled", webhook->enabled);
  json_object_set_string_member (object, "created_at", created_at);
  return object;
}

static JsonObject *
delivery_to_json (const ConfabDelivery *delivery)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = confab_format_time (delivery->created_at);

  json_object_set_string_member (object, "id", delivery->id);
  json_object_set_string_member (object, "event", delivery->event);
  json_object_set_string_member (object, "status", confab_delivery_status_to_string (delivery->status));
  json_object_set_int_member (object, "attempts", delivery->attempts);
  if (delivery->response_status > 0)
    json_object_set_int_member (object, "response_status", delivery->response_status);
  else
    json_object_set_null_member (object, "response_status");
  if (delivery->error != NULL)
    json_object_set_string_member (object, "error", delivery->error);
  else
    json_object_set_null_member (object, "error");
  json_object_set_string_member (object, "created_at", created_at);
  set_time_or_null (object, "next_attempt_at",
                    delivery->status == CONFAB_DELIVERY_PENDING ? delivery->next_attempt_at : 0);
  set_time_or_null (object, "delivered_at", delivery->delivered_at);
  return object;
}

/* A webhook's creation or change waits, paused, while its URL's host is resolved. */
typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  ConfabUser        *user;
  char              *site_id;
  char              *webhook_id;  /* NULL: a new one */
  char              *url;
  char             **events;
  int                enabled;     /* -1: unchanged */
  gulong             finished_id;
  gboolean           gone;
} WebhookJob;

static void
webhook_job_free (WebhookJob *job)
{
  if (!job->gone && job->finished_id != 0)
    g_signal_handler_disconnect (job->msg, job->finished_id);
  g_object_unref (job->msg);
  confab_user_free (job->user);
  g_free (job->site_id);
  g_free (job->webhook_id);
  g_free (job->url);
  g_strfreev (job->events);
  g_free (job);
}

static void
webhook_job_gone (SoupServerMessage *msg,
                  WebhookJob        *job)
{
  job->gone = TRUE;
  g_signal_handler_disconnect (msg, job->finished_id);
}

static void
webhook_detail (JsonObject          *detail,
                const ConfabWebhook *webhook)
{
  json_object_set_string_member (detail, "webhook_id", webhook->id);
  json_object_set_array_member (detail, "events", strv_to_array (webhook->events));
  json_object_set_boolean_member (detail, "enabled", webhook->enabled);
}

static void
webhook_job_save (WebhookJob *job)
{
  ConfabApiCall call = { job->relay, job->msg, NULL, NULL, job->user };
  g_autoptr (ConfabWebhook) webhook = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *secret = NULL;

  confab_hub_sync (job->relay->hub);
  if (job->webhook_id == NULL)
    {
      g_autofree char *random = confab_random_token (32);

      secret = g_strconcat ("whsec_", random, NULL);
      webhook = confab_store_create_webhook (job->relay->store, job->site_id, job->url,
                                             (const char * const *) job->events, secret,
                                             job->enabled != 0, &error);
    }
  else
    webhook = confab_store_update_webhook (job->relay->store, job->webhook_id, job->url,
                                           (const char * const *) job->events, job->enabled, &error);
  if (webhook == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_api_not_found (&call);
      return confab_http_gerror (job->msg, error);
    }

  webhook_detail (detail, webhook);
  /* the URL may carry a receiver's token: the audit log names the webhook, not where it goes */
  confab_api_audit (&call, webhook->site_id, secret != NULL ? "webhook.created" : "webhook.updated",
                    "webhook", webhook->id, NULL, detail);

  answer = webhook_to_json (webhook);
  if (secret != NULL)
    json_object_set_string_member (answer, "secret", secret);
  confab_http_json_object (job->msg, secret != NULL ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, answer);
}

static void
webhook_url_checked (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  WebhookJob *job = user_data;
  g_autoptr (GError) error = NULL;

  if (!confab_webhooks_check_url_finish (result, &error))
    {
      if (!job->gone)
        confab_http_error (job->msg, SOUP_STATUS_BAD_REQUEST, "invalid_value", error->message);
    }
  else if (!job->gone)
    webhook_job_save (job);

  if (!job->gone)
    soup_server_message_unpause (job->msg);
  webhook_job_free (job);
}

/* Reads the body of a POST (@webhook_id NULL) or PATCH, then checks the URL and saves. */
static void
webhook_write (ConfabApiCall *call,
               const char    *site_id,
               const char    *webhook_id)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) events = NULL;
  const char *url = NULL;
  gboolean enabled = TRUE;
  gboolean creating = webhook_id == NULL;
  WebhookJob *job;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, webhook_fields) ||
      !confab_api_text_field (call, body, "url", creating, 1, 2000, &url) ||
      !read_names (call, body, "events", creating, confab_webhook_events, &events))
    return;
  if (!confab_json_get_bool (body, "enabled", FALSE, TRUE, &enabled, &error))
    return confab_http_gerror (call->msg, error);

  if (creating)
    {
      g_autoptr (GPtrArray) existing = confab_store_list_webhooks (call->relay->store, site_id, &error);

      if (existing == NULL)
        return confab_http_gerror (call->msg, error);
      if (existing->len >= MAX_WEBHOOKS_PER_SITE)
        return confab_api_bad_value (call, "A site can have at most 20 webhooks");
    }

  job = g_new0 (WebhookJob, 1);
  job->relay = call->relay;
  job->msg = g_object_ref (call->msg);
  job->user = g_new0 (ConfabUser, 1);
  job->user->id = g_strdup (call->user->id);
  job->user->name = g_strdup (call->user->name);
  job->site_id = g_strdup (site_id);
  job->webhook_id = g_strdup (webhook_id);
  job->url = g_strdup (url);
  job->events = g_steal_pointer (&events);
  job->enabled = json_object_has_member (body, "enabled") ? enabled : (creating ? 1 : -1);

  if (url == NULL)
    {
      webhook_job_save (job);
      return webhook_job_free (job);
    }

  job->finished_id = g_signal_connect (call->msg, "finished", G_CALLBACK (webhook_job_gone), job);
  soup_server_message_pause (call->msg);
  confab_webhooks_check_url_async (call->relay, url, NULL, webhook_url_checked, job);
}

static void
webhooks_list (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) webhooks = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  webhooks = confab_store_list_webhooks (call->relay->store, site->id, &error);
  if (webhooks == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < webhooks->len; i++)
    json_array_add_object_element (list, webhook_to_json (g_ptr_array_index (webhooks, i)));
  json_object_set_array_member (answer, "webhooks", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
webhook_deliveries (ConfabApiCall *call,
                    ConfabWebhook *webhook)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) deliveries = NULL;
  g_autoptr (GError) error = NULL;
  const char *limit_text = call->query ? g_hash_table_lookup (call->query, "limit") : NULL;
  gint64 limit = DEFAULT_DELIVERIES;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  if (limit_text != NULL && *limit_text != '\0')
    {
      char *end = NULL;

      limit = g_ascii_strtoll (limit_text, &end, 10);
      if (*end != '\0' || limit < 1 || limit > MAX_DELIVERIES)
        return confab_api_bad_value (call, "“limit” must be a whole number from 1 to 100");
    }

  deliveries = confab_store_list_deliveries (call->relay->store, webhook->id, (guint) limit, &error);
  if (deliveries == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < deliveries->len; i++)
    json_array_add_object_element (list, delivery_to_json (g_ptr_array_index (deliveries, i)));
  json_object_set_array_member (answer, "deliveries", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
webhook_resource (ConfabApiCall  *call,
                  const char     *webhook_id,
                  char          **rest)
{
  g_autoptr (ConfabWebhook) webhook = confab_store_get_webhook (call->relay->store, webhook_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign webhooks look the same */
  if (webhook == NULL || (role = confab_api_role (call, webhook->site_id)) == CONFAB_ROLE_NONE)
    return confab_api_not_found (call);

  if (rest[0] != NULL)
    {
      if (strcmp (rest[0], "deliveries") != 0 || rest[1] != NULL)
        return confab_api_not_found (call);
      if (!confab_api_require_admin (call, role))
        return;
      return webhook_deliveries (call, webhook);
    }

  if (!confab_api_method_is (call, "GET") && !confab_api_method_is (call, "PATCH") &&
      !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (JsonObject) answer = webhook_to_json (webhook);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (confab_api_method_is (call, "PATCH"))
    return webhook_write (call, webhook->site_id, webhook->id);

  if (!confab_store_delete_webhook (call->relay->store, webhook->id, &error))
    return confab_http_gerror (call->msg, error);
  {
    g_autoptr (JsonObject) detail = json_object_new ();

    webhook_detail (detail, webhook);
    confab_api_audit (call, webhook->site_id, "webhook.deleted", "webhook", webhook->id, NULL, detail);
  }
  confab_api_no_content (call);
}

void
confab_api_keys_site_resource (ConfabApiCall  *call,
                               ConfabSite     *site,
                               char          **rest)
{
  gboolean keys = strcmp (rest[0], "api-keys") == 0;

  if (rest[1] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "GET") && !confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "GET, POST");
  /* keys and webhooks reach the site's data from outside: its admins' business */
  if (!confab_api_require_admin (call, site->role))
    return;

  if (keys)
    return confab_api_method_is (call, "GET") ? api_keys_list (call, site) : api_keys_create (call, site);
  if (confab_api_method_is (call, "GET"))
    return webhooks_list (call, site);
  webhook_write (call, site->id, NULL);
}

void
confab_api_keys_resource (ConfabApiCall  *call,
                          char          **segments)
{
  if (strcmp (segments[0], "api-keys") == 0)
    return api_key_resource (call, segments[1], segments + 2);
  webhook_resource (call, segments[1], segments + 2);
}

/* --- what members and keys share ------------------------------------------------------- */

/* The message of POST /conversations/{id}/messages, sent by @sender_id / @sender_name. */
static void
post_message (ConfabApiCall            *call,
              const ConfabConversation *conversation,
              const char               *sender_id,
              const char               *sender_name,
              const char               *assignee_id)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *generated_id = NULL;
  const char *text = NULL, *client_id = NULL;
  gboolean duplicate = FALSE;
  ConfabMessageDraft draft = { 0 };

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, message_fields) ||
      !confab_api_text_field (call, body, "body", TRUE, 1, MAX_BODY_CHARS, &text) ||
      !confab_api_text_field (call, body, "client_id", FALSE, 1, MAX_CLIENT_ID_CHARS, &client_id))
    return;
  /* without one, a retry would post twice; with one, it is the caller's to reuse */
  if (client_id == NULL)
    client_id = generated_id = confab_new_id ("api_");

  draft.conversation_id = conversation->id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_AGENT;
  draft.sender_id = sender_id;
  draft.sender_name = sender_name;
  draft.body = text;
  /* a key (no assignee to take the conversation on) is no person: the visitor still waits for
   * one, in the queue and on the clock of their response-time target */
  draft.automated = assignee_id == NULL;

  message = confab_hub_post_api_message (call->relay->hub, &draft, assignee_id, sender_name,
                                         &duplicate, &error);
  if (message == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        return confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "client_id_conflict",
                                  "This client_id was used before for another message");
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_api_not_found (call);
      return confab_http_gerror (call->msg, error);
    }

  /* the answer comes once the message is durable, as an ack does */
  confab_hub_sync (call->relay->hub);
  answer = confab_message_to_json (message, CONFAB_AUDIENCE_AGENT);
  json_object_set_int_member (answer, "cursor", message->cursor);
  confab_http_json_object (call->msg, duplicate ? SOUP_STATUS_OK : SOUP_STATUS_CREATED, answer);
}

void
confab_api_post_message (ConfabApiCall            *call,
                         const ConfabConversation *conversation)
{
  g_autofree char *limit_key = g_strconcat ("user:", call->user->id, NULL);
  guint retry = 0;

  /* an agent posting from a script is limited as a key is */
  if (!confab_rate_limit_take (call->relay->api_key_requests, limit_key,
                               confab_rate_limit_now_ms (), &retry))
    return confab_http_rate_limited (call->msg, retry);
  post_message (call, conversation, call->user->id, call->user->name, call->user->id);
}

/* "tags": null or [] clears them; at most CONFAB_MAX_TAGS distinct texts of 1 to
 * CONFAB_MAX_TAG_CHARS characters, trimmed. FALSE after answering 400. */
static gboolean
read_tags (ConfabApiCall  *call,
           JsonObject     *body,
           GStrv          *out_tags)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  JsonNode *node = json_object_get_member (body, "tags");
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *out_tags = g_strv_builder_end (builder);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                         "“tags” must be an array of texts");
      return FALSE;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > CONFAB_MAX_TAGS)
    {
      confab_api_bad_value (call, "At most 20 “tags”");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *tag = NULL;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                             "“tags” must be an array of texts");
          return FALSE;
        }
      tag = g_strstrip (g_strdup (json_node_get_string (element)));
      if (*tag == '\0' || confab_utf8_length (tag) > CONFAB_MAX_TAG_CHARS)
        {
          confab_api_bad_value (call, "Each of “tags” must be 1 to 40 characters");
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (seen, tag, g_str_equal, NULL))
        {
          g_strv_builder_add (builder, tag);
          g_ptr_array_add (seen, g_steal_pointer (&tag));
        }
    }
  *out_tags = g_strv_builder_end (builder);
  return TRUE;
}

static void
visitor_patch (ConfabApiCall       *call,
               const ConfabVisitor *visitor)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabVisitor) updated = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;
  const char *name = NULL, *email = NULL, *phone = NULL, *notes = NULL;
  g_auto (GStrv) tags = NULL;
  ConfabContactChange contact = { .asked_price = -1, .lead_score = -1 };
  gboolean set_name, set_email;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, visitor_fields) ||
      !confab_api_text_field (call, body, "name", FALSE, 0, MAX_VISITOR_NAME_CHARS, &name) ||
      !confab_api_text_field (call, body, "email", FALSE, 0, MAX_EMAIL_CHARS, &email) ||
      !confab_api_text_field (call, body, "phone", FALSE, 0, CONFAB_MAX_PHONE_CHARS, &phone) ||
      !confab_api_text_field (call, body, "notes", FALSE, 0, CONFAB_MAX_NOTES_CHARS, &notes) ||
      !read_tags (call, body, &tags))
    return;
  /* null (or "") clears a field; an absent one stays as it is */
  set_name = json_object_has_member (body, "name");
  set_email = json_object_has_member (body, "email");
  contact.set_phone = json_object_has_member (body, "phone");
  contact.phone = phone != NULL && *phone ? phone : NULL;
  contact.set_notes = json_object_has_member (body, "notes");
  contact.notes = notes != NULL && *notes ? notes : NULL;
  contact.set_tags = json_object_has_member (body, "tags");
  contact.tags = (const char * const *) tags;
  if (!set_name && !set_email && !contact.set_phone && !contact.set_notes && !contact.set_tags)
    return confab_api_bad_value (call, "Give “name”, “email”, “phone”, “notes” or “tags”");
  if (phone != NULL && strspn (phone, "0123456789+-() ./") != strlen (phone))
    return confab_api_bad_value (call, "“phone” may hold digits, spaces and + - ( ) . / only");
  if (email != NULL && *email != '\0' &&
      (strchr (email, '@') == NULL || *email == '@' || g_str_has_suffix (email, "@") ||
       strpbrk (email, " \t\r\n<>\",;") != NULL))
    return confab_api_bad_value (call, "“email” must be an e-mail address");

  confab_hub_sync (call->relay->hub);
  if ((contact.set_phone || contact.set_notes || contact.set_tags) &&
      !confab_store_put_contact (call->relay->store, visitor->site_id, visitor->id, &contact, &error))
    return confab_http_gerror (call->msg, error);
  if (set_name || set_email)
    updated = confab_store_set_visitor_contact (call->relay->store, visitor->id,
                                                set_name, name != NULL && *name ? name : NULL,
                                                set_email, email != NULL && *email ? email : NULL,
                                                &error);
  else
    updated = confab_store_get_visitor (call->relay->store, visitor->id, &error);
  if (updated == NULL)
    return confab_http_gerror (call->msg, error);

  confab_hub_visitor_changed (call->relay->hub, updated->site_id, updated->id);
  answer = confab_visitor_to_json (call->relay->store, updated,
                                   confab_hub_visitor_online (call->relay->hub, updated->id), 10);
  json_object_set_string_member (answer, "site_id", updated->site_id);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_visitor_patch (ConfabApiCall       *call,
                          const ConfabVisitor *visitor)
{
  visitor_patch (call, visitor);
}

/* --- requests with an API key --------------------------------------------------------- */

gboolean
confab_api_keys_is_key_request (SoupServerMessage *msg)
{
  const char *token = confab_http_bearer (msg);

  return token != NULL && g_str_has_prefix (token, KEY_PREFIX);
}

static void
key_forbidden (ConfabApiCall *call,
               const char    *message)
{
  confab_api_forbidden (call, message);
}

static gboolean
has_scope (const ConfabApiKey *key,
           const char         *scope)
{
  return key->scopes != NULL && g_strv_contains ((const char * const *) key->scopes, scope);
}

/* The key's site must be @site_id and the key must have @scope: FALSE after answering 403. */
static gboolean
key_may (ConfabApiCall      *call,
         const ConfabApiKey *key,
         const char         *site_id,
         const char         *scope)
{
  if (g_strcmp0 (key->site_id, site_id) != 0)
    {
      key_forbidden (call, "This API key belongs to another site");
      return FALSE;
    }
  if (!has_scope (key, scope))
    {
      g_autofree char *message = g_strdup_printf ("This API key lacks the scope “%s”", scope);

      key_forbidden (call, message);
      return FALSE;
    }
  return TRUE;
}

/* The key of the request in force, or NULL after answering 401 (or 503 when the store cannot
 * say). */
static ConfabApiKey *
authenticate_key (ConfabRelay       *relay,
                  SoupServerMessage *msg)
{
  g_autofree char *hash = confab_sha256_hex (confab_http_bearer (msg));
  g_autoptr (GError) error = NULL;
  ConfabApiKey *key = confab_store_lookup_api_key (relay->store, hash, &error);

  if (key != NULL)
    return key;
  /* a store that cannot answer says so: a 401 would tell the caller to drop its key */
  if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    confab_http_gerror (msg, error);
  else
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                         "The API key is unknown or revoked");
    }
  return NULL;
}

void
confab_api_keys_refuse (ConfabRelay       *relay,
                        SoupServerMessage *msg)
{
  g_autoptr (ConfabApiKey) key = authenticate_key (relay, msg);

  if (key != NULL)
    confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "API keys may not use this route");
}

void
confab_api_keys_request (ConfabRelay        *relay,
                         SoupServerMessage  *msg,
                         GHashTable         *query,
                         char              **segments)
{
  ConfabApiCall call = { relay, msg, query, soup_server_message_get_method (msg), NULL };
  g_autoptr (ConfabApiKey) key = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = confab_now_ms ();
  guint retry = 0;

  if ((key = authenticate_key (relay, msg)) == NULL)
    return;

  if (!confab_rate_limit_take (relay->api_key_requests, key->id, confab_rate_limit_now_ms (),
                               &retry))
    return confab_http_rate_limited (msg, retry);

  if (now - key->last_used_at >= TOUCH_EVERY_MS &&
      !confab_store_touch_api_key (relay->store, key->id, now, &error))
    g_warning ("Cannot note the use of API key %s: %s", key->id, error->message);
  g_clear_error (&error);

  /* GET /sites/{id}/conversations */
  if (g_strcmp0 (segments[0], "sites") == 0 && segments[1] != NULL &&
      g_strcmp0 (segments[2], "conversations") == 0 && segments[3] == NULL)
    {
      g_autoptr (ConfabSite) site = NULL;

      if (!key_may (&call, key, segments[1], "conversations:read"))
        return;
      if (!confab_api_method_is (&call, "GET"))
        return confab_api_method_not_allowed (&call, "GET");
      if ((site = confab_store_get_site (relay->store, key->site_id, &error)) == NULL)
        return confab_http_gerror (msg, error);
      return confab_api_answer_site_conversations (&call, site);
    }

  /* GET /conversations/{id}, GET|POST /conversations/{id}/messages */
  if (g_strcmp0 (segments[0], "conversations") == 0 && segments[1] != NULL && *segments[1] != '\0' &&
      (segments[2] == NULL || (strcmp (segments[2], "messages") == 0 && segments[3] == NULL)))
    {
      g_autoptr (ConfabConversation) conversation = NULL;
      gboolean writing = segments[2] != NULL && confab_api_method_is (&call, "POST");

      conversation = confab_store_get_conversation (relay->store, segments[1], NULL);
      if (conversation == NULL)
        return confab_api_not_found (&call);
      if (!key_may (&call, key, conversation->site_id, writing ? "messages:write" : "conversations:read"))
        return;
      if (writing)
        return post_message (&call, conversation, key->id, key->name, NULL);
      if (!confab_api_method_is (&call, "GET"))
        return confab_api_method_not_allowed (&call, segments[2] != NULL ? "GET, POST" : "GET");
      return confab_api_answer_conversation (&call, conversation, segments + 2);
    }

  /* PATCH /visitors/{id} */
  if (g_strcmp0 (segments[0], "visitors") == 0 && segments[1] != NULL && *segments[1] != '\0' &&
      segments[2] == NULL && confab_api_method_is (&call, "PATCH"))
    {
      g_autoptr (ConfabVisitor) visitor = confab_store_get_visitor (relay->store, segments[1], NULL);

      if (visitor == NULL)
        return confab_api_not_found (&call);
      if (!key_may (&call, key, visitor->site_id, "contacts:write"))
        return;
      return visitor_patch (&call, visitor);
    }

  key_forbidden (&call, "API keys may not use this route");
}
