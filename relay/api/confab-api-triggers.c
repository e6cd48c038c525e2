/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-triggers.c: proactive triggers (issue 16). Members read them, owners and admins
 * write them; after any change every connected member gets the whole list ("triggers"), and the
 * widget config carries the enabled ones' conditions (confab-engage.c). */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-triggers.h"
#include "confab-engage.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

#define MAX_NAME_CHARS     80
#define MAX_MESSAGE_CHARS  1000
#define MAX_PATTERN_CHARS  500
#define MAX_LANGUAGES      20

static const char * const trigger_fields[] = {
  "name", "enabled", "conditions", "message", "sender", "ask_email", NULL
};
static const char * const condition_fields[] = {
  "url", "seconds_on_page", "referrer", "returning", "page_views", NULL
};

static void
bad_field (ConfabApiCall *call,
           const char    *message)
{
  confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
}

static gboolean
is_type (JsonNode *node,
         GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* A text of 1..@max characters, not only white space. */
static gboolean
valid_text (const char *text,
            glong       max)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  return *trimmed != '\0' && confab_utf8_length (text) <= max;
}

/* {"url":pattern|null,"seconds_on_page":0–3600,"referrer":pattern|null,"returning":bool|null,
 * "page_views":1–100|null}: normalised, every member present. */
static char *
read_conditions (ConfabApiCall *call,
                 JsonNode      *node)
{
  g_autoptr (JsonObject) out = json_object_new ();
  JsonObject *in;
  g_autoptr (GList) keys = NULL;
  static const char * const patterns[] = { "url", "referrer" };
  JsonNode *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_field (call, "“conditions” must be an object");
      return NULL;
    }
  in = json_node_get_object (node);
  keys = json_object_get_members (in);
  for (GList *l = keys; l != NULL; l = l->next)
    if (!g_strv_contains (condition_fields, l->data))
      {
        g_autofree char *message = g_strdup_printf ("Unknown condition “%s”", (char *) l->data);

        bad_field (call, message);
        return NULL;
      }

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      member = json_object_get_member (in, patterns[i]);
      if (member == NULL || JSON_NODE_HOLDS_NULL (member))
        json_object_set_null_member (out, patterns[i]);
      else if (!is_type (member, G_TYPE_STRING))
        {
          g_autofree char *message = g_strdup_printf ("“%s” must be a pattern or null", patterns[i]);

          bad_field (call, message);
          return NULL;
        }
      else if (!valid_text (json_node_get_string (member), MAX_PATTERN_CHARS))
        {
          g_autofree char *message = g_strdup_printf ("“%s” must be 1 to 500 characters", patterns[i]);

          confab_api_bad_value (call, message);
          return NULL;
        }
      else
        json_object_set_string_member (out, patterns[i], json_node_get_string (member));
    }

  member = json_object_get_member (in, "seconds_on_page");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    json_object_set_int_member (out, "seconds_on_page", 0);
  else if (!is_type (member, G_TYPE_INT64))
    {
      bad_field (call, "“seconds_on_page” must be a whole number");
      return NULL;
    }
  else if (json_node_get_int (member) < 0 || json_node_get_int (member) > 3600)
    {
      confab_api_bad_value (call, "“seconds_on_page” must be 0 to 3600");
      return NULL;
    }
  else
    json_object_set_int_member (out, "seconds_on_page", json_node_get_int (member));

  member = json_object_get_member (in, "returning");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    json_object_set_null_member (out, "returning");
  else if (!is_type (member, G_TYPE_BOOLEAN))
    {
      bad_field (call, "“returning” must be true, false or null");
      return NULL;
    }
  else
    json_object_set_boolean_member (out, "returning", json_node_get_boolean (member));

  member = json_object_get_member (in, "page_views");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    json_object_set_null_member (out, "page_views");
  else if (!is_type (member, G_TYPE_INT64))
    {
      bad_field (call, "“page_views” must be a whole number or null");
      return NULL;
    }
  else if (json_node_get_int (member) < 1 || json_node_get_int (member) > 100)
    {
      confab_api_bad_value (call, "“page_views” must be 1 to 100");
      return NULL;
    }
  else
    json_object_set_int_member (out, "page_views", json_node_get_int (member));

  return confab_json_object_to_string (out);
}

/* A text, or {"en":"Hi","de":"Hallo"} of 1–20 language tags, as the site's texts. */
static char *
read_message (ConfabApiCall *call,
              JsonNode      *node)
{
  g_autoptr (JsonObject) out = NULL;
  g_autoptr (GList) keys = NULL;
  JsonObject *texts;

  if (is_type (node, G_TYPE_STRING))
    {
      g_autoptr (JsonNode) copy = NULL;

      if (!valid_text (json_node_get_string (node), MAX_MESSAGE_CHARS))
        {
          confab_api_bad_value (call, "“message” must be 1 to 1000 characters");
          return NULL;
        }
      copy = json_node_copy (node);
      return json_to_string (copy, FALSE);
    }
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_field (call, "“message” must be a text or an object of texts per language");
      return NULL;
    }
  texts = json_node_get_object (node);
  keys = json_object_get_members (texts);
  if (keys == NULL || g_list_length (keys) > MAX_LANGUAGES)
    {
      confab_api_bad_value (call, "“message” must have 1 to 20 languages");
      return NULL;
    }
  out = json_object_new ();
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *tag = l->data;
      JsonNode *text = json_object_get_member (texts, tag);
      size_t length = strlen (tag);

      if (length < 2 || length > 35 || !g_ascii_isalpha (tag[0]) ||
          strspn (tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != length)
        {
          confab_api_bad_value (call, "“message” keys must be language tags (“en”, “de-CH”)");
          return NULL;
        }
      if (!is_type (text, G_TYPE_STRING))
        {
          bad_field (call, "Each text of “message” must be a string");
          return NULL;
        }
      if (!valid_text (json_node_get_string (text), MAX_MESSAGE_CHARS))
        {
          confab_api_bad_value (call, "Each text of “message” must be 1 to 1000 characters");
          return NULL;
        }
      json_object_set_string_member (out, tag, json_node_get_string (text));
    }
  return confab_json_object_to_string (out);
}

/* {"type":"agent","agent_id"} (a member of the site) or {"type":"assistant"}. */
static char *
read_sender (ConfabApiCall *call,
             const char    *site_id,
             JsonNode      *node)
{
  g_autoptr (JsonObject) out = json_object_new ();
  JsonObject *in;
  JsonNode *type, *agent;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_field (call, "“sender” must be an object");
      return NULL;
    }
  in = json_node_get_object (node);
  type = json_object_get_member (in, "type");
  agent = json_object_get_member (in, "agent_id");
  if (is_type (type, G_TYPE_STRING) && strcmp (json_node_get_string (type), "assistant") == 0 &&
      json_object_get_size (in) == 1)
    {
      json_object_set_string_member (out, "type", "assistant");
      return confab_json_object_to_string (out);
    }
  if (!is_type (type, G_TYPE_STRING) || strcmp (json_node_get_string (type), "agent") != 0 ||
      !is_type (agent, G_TYPE_STRING) || json_object_get_size (in) != 2)
    {
      bad_field (call, "“sender” must be {\"type\":\"agent\",\"agent_id\":…} or {\"type\":\"assistant\"}");
      return NULL;
    }
  if (confab_store_get_role (call->relay->store, site_id, json_node_get_string (agent)) == CONFAB_ROLE_NONE)
    {
      confab_api_bad_value (call, "“agent_id” must be a member of the site");
      return NULL;
    }
  json_object_set_string_member (out, "type", "agent");
  json_object_set_string_member (out, "agent_id", json_node_get_string (agent));
  return confab_json_object_to_string (out);
}

/* Fills @trigger from @body: every field on create, the given ones on PATCH. */
static gboolean
read_trigger (ConfabApiCall *call,
              JsonObject    *body,
              gboolean       create,
              ConfabTrigger *trigger)
{
  const char *name = NULL;
  static const char * const required[] = { "name", "conditions", "message", "sender" };
  JsonNode *node;

  if (!confab_api_only_fields (call, body, trigger_fields))
    return FALSE;
  for (guint i = 0; create && i < G_N_ELEMENTS (required); i++)
    if (!json_object_has_member (body, required[i]))
      {
        g_autofree char *message = g_strdup_printf ("“%s” is required", required[i]);

        bad_field (call, message);
        return FALSE;
      }

  if (json_object_has_member (body, "name"))
    {
      if (!confab_api_text_field (call, body, "name", TRUE, 1, MAX_NAME_CHARS, &name))
        return FALSE;
      g_free (trigger->name);
      trigger->name = g_strstrip (g_strdup (name));
    }
  if ((node = json_object_get_member (body, "enabled")) != NULL)
    {
      if (!is_type (node, G_TYPE_BOOLEAN))
        return bad_field (call, "“enabled” must be true or false"), FALSE;
      trigger->enabled = json_node_get_boolean (node);
    }
  if ((node = json_object_get_member (body, "ask_email")) != NULL)
    {
      if (!is_type (node, G_TYPE_BOOLEAN))
        return bad_field (call, "“ask_email” must be true or false"), FALSE;
      trigger->ask_email = json_node_get_boolean (node);
    }
  if (json_object_has_member (body, "conditions"))
    {
      char *conditions = read_conditions (call, json_object_get_member (body, "conditions"));

      if (conditions == NULL)
        return FALSE;
      g_free (trigger->conditions_json);
      trigger->conditions_json = conditions;
    }
  if (json_object_has_member (body, "message"))
    {
      char *message = read_message (call, json_object_get_member (body, "message"));

      if (message == NULL)
        return FALSE;
      g_free (trigger->message_json);
      trigger->message_json = message;
    }
  if (json_object_has_member (body, "sender"))
    {
      char *sender = read_sender (call, trigger->site_id, json_object_get_member (body, "sender"));

      if (sender == NULL)
        return FALSE;
      g_free (trigger->sender_json);
      trigger->sender_json = sender;
    }
  return TRUE;
}

static JsonArray *
triggers_json (ConfabStore  *store,
               const char   *site_id,
               GError      **error)
{
  g_autoptr (GPtrArray) triggers = confab_store_list_triggers (store, site_id, error);
  JsonArray *list;

  if (triggers == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < triggers->len; i++)
    json_array_add_object_element (list, confab_trigger_to_json (g_ptr_array_index (triggers, i), FALSE));
  return list;
}

/* After any change: every connected member of the site gets the whole list. */
static void
push_triggers (ConfabApiCall *call,
               const char    *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = triggers_json (call->relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the triggers: %s", error->message);
  else
    confab_hub_push_list (call->relay->hub, site_id, "triggers", list);
}

static void
answer_trigger (ConfabApiCall       *call,
                guint                status,
                const ConfabTrigger *trigger)
{
  g_autoptr (JsonObject) answer = confab_trigger_to_json (trigger, FALSE);

  confab_http_json_object (call->msg, status, answer);
}

static JsonObject *
trigger_detail (const ConfabTrigger *trigger)
{
  JsonObject *detail = json_object_new ();

  json_object_set_string_member (detail, "name", trigger->name);
  json_object_set_boolean_member (detail, "enabled", trigger->enabled);
  return detail;
}

void
confab_api_site_triggers (ConfabApiCall  *call,
                          ConfabSite     *site,
                          char          **rest)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = NULL;
  g_autoptr (ConfabTrigger) created = NULL;
  g_autoptr (GError) error = NULL;
  ConfabTrigger trigger = { 0 };

  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (JsonObject) answer = json_object_new ();
      JsonArray *list = triggers_json (call->relay->store, site->id, &error);

      if (list == NULL)
        return confab_http_gerror (call->msg, error);
      json_object_set_array_member (answer, "triggers", list);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "GET, POST");
  if (!confab_api_require_admin (call, site->role))
    return;

  trigger.site_id = site->id;
  trigger.enabled = TRUE;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !read_trigger (call, body, TRUE, &trigger))
    goto out;

  created = confab_store_create_trigger (call->relay->store, &trigger, &error);
  if (created == NULL)
    {
      confab_http_gerror (call->msg, error);
      goto out;
    }
  detail = trigger_detail (created);
  confab_api_audit (call, site->id, "trigger.created", "trigger", created->id, created->name, detail);
  push_triggers (call, site->id);
  answer_trigger (call, SOUP_STATUS_CREATED, created);

out:
  g_free (trigger.name);
  g_free (trigger.conditions_json);
  g_free (trigger.message_json);
  g_free (trigger.sender_json);
}

void
confab_api_trigger (ConfabApiCall  *call,
                    const char     *trigger_id,
                    char          **rest)
{
  g_autoptr (ConfabTrigger) trigger = confab_store_get_trigger (call->relay->store, trigger_id, NULL);
  g_autoptr (ConfabTrigger) updated = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = NULL;
  g_autoptr (GError) error = NULL;
  ConfabRole role = CONFAB_ROLE_NONE;

  /* unknown and foreign triggers look the same */
  if (trigger == NULL || (role = confab_api_role (call, trigger->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_trigger (call, SOUP_STATUS_OK, trigger);
  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "DELETE"))
    {
      if (!confab_store_delete_trigger (call->relay->store, trigger->id, &error))
        return confab_http_gerror (call->msg, error);
      detail = trigger_detail (trigger);
      confab_api_audit (call, trigger->site_id, "trigger.deleted", "trigger", trigger->id,
                        trigger->name, detail);
      push_triggers (call, trigger->site_id);
      return confab_api_no_content (call);
    }

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !read_trigger (call, body, FALSE, trigger))
    return;
  updated = confab_store_update_trigger (call->relay->store, trigger, &error);
  if (updated == NULL)
    return confab_http_gerror (call->msg, error);
  detail = trigger_detail (updated);
  {
    g_autoptr (GList) keys = json_object_get_members (body);
    JsonArray *changed = json_array_new ();

    for (GList *l = keys; l; l = l->next)
      json_array_add_string_element (changed, l->data);
    json_object_set_array_member (detail, "changed", changed);
  }
  confab_api_audit (call, trigger->site_id, "trigger.updated", "trigger", trigger->id,
                    updated->name, detail);
  push_triggers (call, trigger->site_id);
  answer_trigger (call, SOUP_STATUS_OK, updated);
}
