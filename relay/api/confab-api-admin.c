/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-admin.c: dispatch and shared helpers of the site-admin resources */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-api-data.h"
#include "confab-api-kb.h"
#include "confab-api-email.h"
#include "confab-api-team.h"
#include "confab-api-triggers.h"
#include "confab-json.h"

#include <string.h>

gboolean
confab_api_admin_is_site_resource (const char *name)
{
  return g_strcmp0 (name, "faqs") == 0 || g_strcmp0 (name, "canned") == 0 ||
         g_strcmp0 (name, "members") == 0 || g_strcmp0 (name, "offline-messages") == 0 ||
         g_strcmp0 (name, "invitations") == 0 || g_strcmp0 (name, "articles") == 0 ||
         g_strcmp0 (name, "channels") == 0 || g_strcmp0 (name, "triggers") == 0 ||
         confab_api_data_is_site_resource (name);
}

void
confab_api_admin_site_resource (ConfabApiCall  *call,
                                ConfabSite     *site,
                                char          **rest)
{
  if (strcmp (rest[0], "faqs") == 0)
    return confab_api_site_faqs (call, site, rest + 1);
  if (strcmp (rest[0], "canned") == 0)
    return confab_api_site_canned (call, site, rest + 1);
  if (strcmp (rest[0], "members") == 0)
    return confab_api_site_members (call, site, rest + 1);
  if (strcmp (rest[0], "offline-messages") == 0)
    return confab_api_site_offline_messages (call, site, rest + 1);
  if (strcmp (rest[0], "invitations") == 0)
    return confab_api_site_invitations (call, site, rest + 1);
  if (strcmp (rest[0], "articles") == 0)
    return confab_api_site_articles (call, site, rest + 1);
  if (strcmp (rest[0], "triggers") == 0)
    return confab_api_site_triggers (call, site, rest + 1);
  if (strcmp (rest[0], "channels") == 0 && g_strcmp0 (rest[1], "email") == 0)
    return confab_api_site_email_channel (call, site, rest + 2);
  if (confab_api_data_is_site_resource (rest[0]))
    return confab_api_data_site_resource (call, site, rest);
  confab_api_not_found (call);
}

gboolean
confab_api_admin_is_resource (const char *name)
{
  return g_strcmp0 (name, "faqs") == 0 || g_strcmp0 (name, "canned") == 0 ||
         g_strcmp0 (name, "offline-messages") == 0 || g_strcmp0 (name, "articles") == 0 ||
         g_strcmp0 (name, "triggers") == 0;
}

void
confab_api_admin_resource (ConfabApiCall  *call,
                           char          **segments)
{
  if (segments[1] == NULL || *segments[1] == '\0')
    return confab_api_not_found (call);

  if (strcmp (segments[0], "faqs") == 0)
    return confab_api_faq (call, segments[1], segments + 2);
  if (strcmp (segments[0], "canned") == 0)
    return confab_api_canned (call, segments[1], segments + 2);
  if (strcmp (segments[0], "offline-messages") == 0)
    return confab_api_offline_message (call, segments[1], segments + 2);
  if (strcmp (segments[0], "articles") == 0)
    return confab_api_article (call, segments[1], segments + 2);
  if (strcmp (segments[0], "triggers") == 0)
    return confab_api_trigger (call, segments[1], segments + 2);
  confab_api_not_found (call);
}

gboolean
confab_api_method_is (ConfabApiCall *call,
                      const char    *method)
{
  return strcmp (call->method, method) == 0;
}

void
confab_api_method_not_allowed (ConfabApiCall *call,
                               const char    *allowed)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (call->msg),
                                "Allow", allowed);
  confab_http_error (call->msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     "This method is not allowed here");
}

void
confab_api_not_found (ConfabApiCall *call)
{
  confab_http_error (call->msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
}

void
confab_api_forbidden (ConfabApiCall *call,
                      const char    *message)
{
  confab_http_error (call->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message);
}

void
confab_api_bad_value (ConfabApiCall *call,
                      const char    *message)
{
  confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_value", message);
}

ConfabRole
confab_api_role (ConfabApiCall *call,
                 const char    *site_id)
{
  return confab_store_get_role (call->relay->store, site_id, call->user->id);
}

gboolean
confab_api_require_admin (ConfabApiCall *call,
                          ConfabRole     role)
{
  if (role >= CONFAB_ROLE_ADMIN)
    return TRUE;

  confab_api_forbidden (call, "Only the site's owners and admins can do this");
  return FALSE;
}

gboolean
confab_api_text_field (ConfabApiCall  *call,
                       JsonObject     *body,
                       const char     *field,
                       gboolean        required,
                       glong           min,
                       glong           max,
                       const char    **out_value)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *trimmed = NULL;
  glong length;

  if (!confab_json_get_string (body, field, required, out_value, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (*out_value == NULL)
    return TRUE;

  length = confab_utf8_length (*out_value);
  trimmed = g_strstrip (g_strdup (*out_value));
  if (length < min || length > max || (min > 0 && *trimmed == '\0'))
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be %ld to %ld characters", field, min, max);
      confab_api_bad_value (call, message);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_api_only_fields (ConfabApiCall       *call,
                        JsonObject          *body,
                        const char * const  *allowed)
{
  g_autoptr (GList) keys = json_object_get_members (body);

  for (GList *l = keys; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *message = g_strdup_printf ("“%s” is not a field of this resource", (char *) l->data);
        confab_http_error (call->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
        return FALSE;
      }
  return TRUE;
}

void
confab_api_audit (ConfabApiCall *call,
                  const char    *site_id,
                  const char    *action,
                  const char    *target_type,
                  const char    *target_id,
                  const char    *target_name,
                  JsonObject    *detail)
{
  confab_audit (call->relay, call->msg, call->user, site_id, action, target_type, target_id,
                target_name, detail);
}

void
confab_api_no_content (ConfabApiCall *call)
{
  soup_server_message_set_status (call->msg, SOUP_STATUS_NO_CONTENT, NULL);
}
