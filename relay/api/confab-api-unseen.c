/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-unseen.c: /sites/{id}/offline-messages, /offline-messages/{id}[/conversation],
 * /conversations/{id}/timeline — what visitors sent that agents must see. Any member of the
 * site may read and handle them; changes go through the hub, which tells live agents. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-api-email.h"
#include "confab-mail-out.h"
#include "confab-hub.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-util.h"

#include <string.h>

#define DEFAULT_OFFLINE_PAGE 50
#define MAX_OFFLINE_PAGE     200

static const char * const offline_fields[] = { "status", NULL };

static gboolean
query_limit (ConfabApiCall *call,
             gint64        *out_limit)
{
  const char *text = call->query ? g_hash_table_lookup (call->query, "limit") : NULL;
  char *end = NULL;

  *out_limit = DEFAULT_OFFLINE_PAGE;
  if (text == NULL || *text == '\0')
    return TRUE;

  *out_limit = g_ascii_strtoll (text, &end, 10);
  if (*end != '\0' || *out_limit < 1 || *out_limit > MAX_OFFLINE_PAGE)
    {
      confab_api_bad_value (call, "“limit” must be a whole number from 1 to 200");
      return FALSE;
    }
  return TRUE;
}

/* GET /sites/{id}/offline-messages?status=open|handled|all&limit=&before={offline id} */
static void
offline_list (ConfabApiCall *call,
              ConfabSite    *site)
{
  ConfabStore *store = call->relay->store;
  const char *status = call->query ? g_hash_table_lookup (call->query, "status") : NULL;
  const char *before = call->query ? g_hash_table_lookup (call->query, "before") : NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *array;
  gint64 limit, open;

  if (status == NULL || *status == '\0' || strcmp (status, "all") == 0)
    status = NULL;
  else if (strcmp (status, "open") != 0 && strcmp (status, "handled") != 0)
    return confab_api_bad_value (call, "“status” must be open, handled or all");
  if (!query_limit (call, &limit))
    return;
  if (before != NULL && *before == '\0')
    before = NULL;
  if (before != NULL)
    {
      g_autoptr (ConfabOfflineMessage) mark = confab_store_get_offline_message (store, before, NULL);

      /* another site's id pages nothing and says nothing about that site */
      if (mark == NULL || strcmp (mark->site_id, site->id) != 0)
        return confab_api_bad_value (call, "“before” is not an offline message of this site");
    }

  list = confab_store_list_offline_messages_page (store, site->id, status, before, (guint) limit,
                                                  &error);
  if (list == NULL || (open = confab_store_count_open_offline_messages (store, site->id, &error)) < 0)
    return confab_http_gerror (call->msg, error);

  array = json_array_new ();
  for (guint i = 0; i < list->len; i++)
    {
      ConfabOfflineMessage *offline = g_ptr_array_index (list, i);
      JsonObject *object = confab_offline_message_to_json (offline);

      json_array_add_object_element (array, object);
      if (!confab_mail_add_offline_replies (call->relay, object, offline->id, &error))
        return confab_http_gerror (call->msg, error);
    }
  json_object_set_array_member (answer, "offline_messages", array);
  json_object_set_int_member (answer, "open_count", open);
  /* a full page may have more after it */
  if (list->len == (guint) limit)
    json_object_set_string_member (answer, "next_before",
                                   ((ConfabOfflineMessage *) g_ptr_array_index (list, list->len - 1))->id);
  else
    json_object_set_null_member (answer, "next_before");
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_site_offline_messages (ConfabApiCall  *call,
                                  ConfabSite     *site,
                                  char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  offline_list (call, site);
}

static void
offline_patch (ConfabApiCall        *call,
               ConfabOfflineMessage *offline)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabOfflineMessage) updated = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = NULL;
  const char *status = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, offline_fields))
    return;
  if (!confab_json_get_string (body, "status", TRUE, &status, &error))
    return confab_http_gerror (call->msg, error);
  if (strcmp (status, "open") != 0 && strcmp (status, "handled") != 0)
    return confab_api_bad_value (call, "“status” must be open or handled");

  updated = confab_hub_set_offline_message_status (call->relay->hub, offline->id,
                                                   strcmp (status, "handled") == 0, call->user->id,
                                                   &error);
  if (updated == NULL)
    return confab_http_gerror (call->msg, error);

  answer = confab_offline_message_to_json (updated);
  if (!confab_mail_add_offline_replies (call->relay, answer, updated->id, &error))
    return confab_http_gerror (call->msg, error);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* POST /offline-messages/{id}/conversation: 201 with the new conversation, 200 with the same
 * one on every later call. */
static void
offline_conversation (ConfabApiCall        *call,
                      ConfabOfflineMessage *offline)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;
  gboolean created = FALSE;

  conversation = confab_hub_offline_message_to_conversation (call->relay->hub, offline->id,
                                                             call->user->id, call->user->name,
                                                             &created, &error);
  if (conversation == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        return confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "conflict", error->message);
      return confab_http_gerror (call->msg, error);
    }

  answer = confab_conversation_to_json (call->relay->store, conversation, CONFAB_AUDIENCE_AGENT);
  confab_http_json_object (call->msg, created ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, answer);
}

void
confab_api_offline_message (ConfabApiCall  *call,
                            const char     *offline_id,
                            char          **rest)
{
  g_autoptr (ConfabOfflineMessage) offline = confab_store_get_offline_message (call->relay->store,
                                                                               offline_id, NULL);

  /* unknown and foreign ids look the same */
  if (offline == NULL || confab_api_role (call, offline->site_id) == CONFAB_ROLE_NONE)
    return confab_api_not_found (call);

  if (rest[0] == NULL)
    {
      if (confab_api_method_is (call, "GET"))
        {
          g_autoptr (JsonObject) answer = confab_offline_message_to_json (offline);
          g_autoptr (GError) error = NULL;

          if (!confab_mail_add_offline_replies (call->relay, answer, offline->id, &error))
            return confab_http_gerror (call->msg, error);
          return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
        }
      if (confab_api_method_is (call, "PATCH"))
        return offline_patch (call, offline);
      return confab_api_method_not_allowed (call, "GET, PATCH");
    }

  if (strcmp (rest[0], "reply") == 0 && rest[1] == NULL)
    return confab_api_offline_reply (call, offline);
  if (strcmp (rest[0], "conversation") == 0 && rest[1] == NULL)
    {
      if (!confab_api_method_is (call, "POST"))
        return confab_api_method_not_allowed (call, "POST");
      return offline_conversation (call, offline);
    }
  confab_api_not_found (call);
}

/* GET /conversations/{id}/timeline, the caller being a member of its site */
void
confab_api_conversation_timeline (ConfabApiCall            *call,
                                  const ConfabConversation *conversation)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  events = confab_store_list_timeline (call->relay->store, conversation->id, &error);
  if (events == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < events->len; i++)
    {
      ConfabEvent *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) node = json_from_string (event->payload_json, NULL);
      JsonObject *frame = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *entry = frame != NULL && json_object_has_member (frame, "event")
                          ? json_object_get_object_member (frame, "event") : NULL;

      if (entry == NULL)
        continue;
      entry = json_object_ref (entry);
      json_object_set_int_member (entry, "cursor", event->cursor);
      json_array_add_object_element (list, entry);
    }
  json_object_set_string_member (answer, "conversation_id", conversation->id);
  json_object_set_array_member (answer, "events", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}
