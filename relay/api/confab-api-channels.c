/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-channels.c: /api/v1/sites/{id}/channels/messenger and …/whatsapp — a site's
 * connection to a Facebook Page or a WhatsApp Business number (owners and admins). Tokens and the
 * app secret are write-only: GET says only whether they are set. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-channels.h"
#include "confab-hub.h"
#include "confab-json.h"
#include "confab-meta.h"
#include "confab-store-channels.h"

#include <string.h>

#define MAX_ID_CHARS        64
#define MAX_SECRET_CHARS    1000
#define MAX_VERIFY_CHARS    200
#define MAX_TEMPLATES       100
#define MAX_TEMPLATE_CHARS  512
#define MAX_LANGUAGE_CHARS  15

typedef struct {
  const char *channel;
  const char *account_field;     /* "page_id", "phone_number_id" */
  const char *token_field;       /* "page_access_token", "access_token" */
} ChannelSpec;

static const ChannelSpec specs[] = {
  { CONFAB_CHANNEL_MESSENGER, "page_id", "page_access_token" },
  { CONFAB_CHANNEL_WHATSAPP, "phone_number_id", "access_token" },
};

static const ChannelSpec *
find_spec (const char *channel)
{
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (g_strcmp0 (specs[i].channel, channel) == 0)
      return &specs[i];
  return NULL;
}

gboolean
confab_api_channels_handles (const char *channel)
{
  return find_spec (channel) != NULL;
}

static JsonObject *
parse_or_empty (const char *json)
{
  JsonObject *object = json != NULL ? confab_json_parse_object (json, strlen (json), G_MAXSIZE, 16,
                                                                NULL)
                                    : NULL;

  return object != NULL ? object : json_object_new ();
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
set_string_or_null (JsonObject *object,
                    const char *member,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

/* The object GET answers: never a secret, only whether it is set. */
static JsonObject *
channel_to_json (ConfabApiCall               *call,
                 const ChannelSpec           *spec,
                 const char                  *site_id,
                 const ConfabChannelSettings *settings)
{
  g_autoptr (JsonObject) config = parse_or_empty (settings ? settings->config_json : NULL);
  g_autoptr (JsonObject) secrets = parse_or_empty (settings ? settings->secrets_json : NULL);
  g_autofree char *webhook_url = confab_meta_webhook_url (call->relay, call->msg, spec->channel,
                                                          site_id);
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "enabled", settings != NULL && settings->enabled);
  set_string_or_null (object, spec->account_field, string_member (config, spec->account_field));
  {
    g_autofree char *has_token = g_strconcat ("has_", spec->token_field, NULL);

    json_object_set_boolean_member (object, has_token,
                                    string_member (secrets, spec->token_field) != NULL);
  }
  json_object_set_boolean_member (object, "has_app_secret",
                                  string_member (secrets, "app_secret") != NULL);
  /* the verify token is no secret: it only proves to Meta that the webhook is this site's */
  set_string_or_null (object, "verify_token", string_member (config, "verify_token"));
  if (strcmp (spec->channel, CONFAB_CHANNEL_WHATSAPP) == 0)
    {
      JsonNode *templates = json_object_get_member (config, "templates");

      if (templates != NULL && JSON_NODE_HOLDS_ARRAY (templates))
        json_object_set_member (object, "templates", json_node_copy (templates));
      else
        json_object_set_array_member (object, "templates", json_array_new ());
    }
  json_object_set_string_member (object, "webhook_url", webhook_url);
  return object;
}

/* A printable ASCII string without spaces of 1..@max characters. */
static gboolean
read_token (ConfabApiCall *call,
            JsonObject    *body,
            const char    *field,
            gsize          max,
            gboolean       digits_only,
            const char   **out_value)
{
  g_autoptr (GError) error = NULL;
  const char *value = NULL;
  gsize len;

  *out_value = NULL;
  if (!confab_json_get_string (body, field, FALSE, &value, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (value == NULL)
    return TRUE;
  len = strlen (value);
  for (gsize i = 0; i < len && len <= max; i++)
    if (!g_ascii_isgraph (value[i]) || (digits_only && !g_ascii_isdigit (value[i])))
      len = 0;
  if (len == 0 || len > max)
    {
      g_autofree char *message = g_strdup_printf (digits_only
                                                  ? "“%s” must be the platform's numeric id"
                                                  : "“%s” must be 1 to %" G_GSIZE_FORMAT
                                                    " characters without spaces",
                                                  field, max);
      confab_api_bad_value (call, message);
      return FALSE;
    }
  *out_value = value;
  return TRUE;
}

static gboolean
valid_template (JsonNode *node)
{
  JsonObject *template;
  const char *name, *language;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  template = json_node_get_object (node);
  name = string_member (template, "name");
  language = string_member (template, "language");
  if (json_object_get_size (template) != 2 || name == NULL || language == NULL ||
      *name == '\0' || strlen (name) > MAX_TEMPLATE_CHARS ||
      strlen (language) < 2 || strlen (language) > MAX_LANGUAGE_CHARS)
    return FALSE;
  /* as Meta names them: lower-case letters, digits and underscores; "en_US" */
  for (const char *c = name; *c; c++)
    if (!g_ascii_islower (*c) && !g_ascii_isdigit (*c) && *c != '_')
      return FALSE;
  for (const char *c = language; *c; c++)
    if (!g_ascii_isalpha (*c) && *c != '_' && *c != '-')
      return FALSE;
  return TRUE;
}

static void
channel_put (ConfabApiCall     *call,
             const ChannelSpec *spec,
             ConfabSite        *site)
{
  static const char * const messenger_fields[] = { "enabled", "page_id", "page_access_token",
                                                   "app_secret", "verify_token", NULL };
  static const char * const whatsapp_fields[] = { "enabled", "phone_number_id", "access_token",
                                                  "app_secret", "verify_token", "templates", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabChannelSettings) stored = NULL;
  g_autoptr (ConfabChannelSettings) updated = NULL;
  g_autoptr (JsonObject) config = NULL;
  g_autoptr (JsonObject) secrets = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *config_json = NULL, *secrets_json = NULL;
  g_autofree char *action = NULL;
  const char *account = NULL, *token = NULL, *app_secret = NULL, *verify_token = NULL;
  gboolean enabled = TRUE;
  JsonArray *changed = json_array_new ();

  json_object_set_array_member (detail, "changed", changed);
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, strcmp (spec->channel, CONFAB_CHANNEL_WHATSAPP) == 0
                                             ? whatsapp_fields : messenger_fields) ||
      !read_token (call, body, spec->account_field, MAX_ID_CHARS, TRUE, &account) ||
      !read_token (call, body, spec->token_field, MAX_SECRET_CHARS, FALSE, &token) ||
      !read_token (call, body, "app_secret", MAX_SECRET_CHARS, FALSE, &app_secret) ||
      !read_token (call, body, "verify_token", MAX_VERIFY_CHARS, FALSE, &verify_token))
    return;

  stored = confab_store_get_channel_settings (call->relay->store, site->id, spec->channel, &error);
  if (stored == NULL && !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    return confab_http_gerror (call->msg, error);
  g_clear_error (&error);
  enabled = stored != NULL ? stored->enabled : TRUE;
  if (!confab_json_get_bool (body, "enabled", FALSE, enabled, &enabled, &error))
    return confab_http_gerror (call->msg, error);
  config = parse_or_empty (stored ? stored->config_json : NULL);
  secrets = parse_or_empty (stored ? stored->secrets_json : NULL);

  if (json_object_has_member (body, "templates"))
    {
      JsonNode *node = json_object_get_member (body, "templates");
      JsonArray *templates = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint i = 0; templates != NULL && i < json_array_get_length (templates); i++)
        if (!valid_template (json_array_get_element (templates, i)))
          templates = NULL;
      if (templates == NULL || json_array_get_length (json_node_get_array (node)) > MAX_TEMPLATES)
        return confab_api_bad_value (call, "“templates” must be a list of at most 100 "
                                           "{\"name\":\"order_update\",\"language\":\"en_US\"}");
      json_object_set_member (config, "templates", json_node_copy (node));
    }
  if (account != NULL)
    json_object_set_string_member (config, spec->account_field, account);
  if (verify_token != NULL)
    json_object_set_string_member (config, "verify_token", verify_token);
  if (token != NULL)
    json_object_set_string_member (secrets, spec->token_field, token);
  if (app_secret != NULL)
    json_object_set_string_member (secrets, "app_secret", app_secret);

  /* a connection needs all four; secrets given once stay until replaced */
  {
    const char *needed[] = { spec->account_field, "verify_token", NULL };
    const char *needed_secrets[] = { spec->token_field, "app_secret", NULL };

    for (guint i = 0; needed[i] != NULL; i++)
      if (string_member (config, needed[i]) == NULL)
        {
          g_autofree char *message = g_strdup_printf ("“%s” is required", needed[i]);
          return confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "missing_field", message);
        }
    for (guint i = 0; needed_secrets[i] != NULL; i++)
      if (string_member (secrets, needed_secrets[i]) == NULL)
        {
          g_autofree char *message = g_strdup_printf ("“%s” is required", needed_secrets[i]);
          return confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "missing_field", message);
        }
  }

  config_json = confab_json_object_to_string (config);
  secrets_json = confab_json_object_to_string (secrets);
  confab_hub_sync (call->relay->hub);
  if (!confab_store_put_channel_settings (call->relay->store, site->id, spec->channel, enabled,
                                          config_json, secrets_json, &error) ||
      (updated = confab_store_get_channel_settings (call->relay->store, site->id, spec->channel,
                                                    &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  /* which fields, never their values */
  {
    g_autoptr (GList) keys = json_object_get_members (body);

    for (GList *l = keys; l; l = l->next)
      json_array_add_string_element (changed, l->data);
  }
  action = g_strdup_printf ("channel.%s.updated", spec->channel);
  confab_api_audit (call, site->id, action, "site", site->id, site->name, detail);

  answer = channel_to_json (call, spec, site->id, updated);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_site_channel (ConfabApiCall  *call,
                         ConfabSite     *site,
                         const char     *channel,
                         char          **rest)
{
  const ChannelSpec *spec = find_spec (channel);
  g_autoptr (GError) error = NULL;

  if (spec == NULL || rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_require_admin (call, site->role))
    return;

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (ConfabChannelSettings) settings = NULL;
      g_autoptr (JsonObject) answer = NULL;

      settings = confab_store_get_channel_settings (call->relay->store, site->id, channel, &error);
      if (settings == NULL && !g_error_matches (error, CONFAB_STORE_ERROR,
                                                CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_http_gerror (call->msg, error);
      answer = channel_to_json (call, spec, site->id, settings);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (confab_api_method_is (call, "PUT"))
    return channel_put (call, spec, site);
  if (confab_api_method_is (call, "DELETE"))
    {
      g_autofree char *action = g_strdup_printf ("channel.%s.deleted", channel);

      confab_hub_sync (call->relay->hub);
      /* idempotent: disconnected is disconnected */
      if (!confab_store_delete_channel_settings (call->relay->store, site->id, channel, &error) &&
          !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_http_gerror (call->msg, error);
      /* the conversations stay; replies to them fail until the channel is connected again */
      confab_api_audit (call, site->id, action, "site", site->id, site->name, NULL);
      return confab_api_no_content (call);
    }
  confab_api_method_not_allowed (call, "GET, PUT, DELETE");
}
