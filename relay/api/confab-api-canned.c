/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-canned.c: /sites/{id}/canned and /canned/{id} — the team's saved replies */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

#define MAX_SHORTCUT_CHARS 32
#define MAX_BODY_CHARS     4000

static const char * const canned_fields[] = { "shortcut", "body", NULL };

static JsonObject *
canned_to_json (const ConfabCanned *canned)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = confab_format_time (canned->created_at);
  g_autofree char *updated_at = confab_format_time (canned->updated_at);

  json_object_set_string_member (object, "id", canned->id);
  json_object_set_string_member (object, "site_id", canned->site_id);
  json_object_set_string_member (object, "shortcut", canned->shortcut);
  json_object_set_string_member (object, "body", canned->body);
  json_object_set_string_member (object, "created_at", created_at);
  json_object_set_string_member (object, "updated_at", updated_at);
  return object;
}

static void
answer_canned (ConfabApiCall      *call,
               guint               status,
               const ConfabCanned *canned)
{
  g_autoptr (JsonObject) answer = canned_to_json (canned);

  confab_http_json_object (call->msg, status, answer);
}

/* What agents type after "/" in the composer: 1 to 32 of a-z, 0-9, _ and -. */
static gboolean
read_shortcut (ConfabApiCall  *call,
               JsonObject     *body,
               gboolean        required,
               const char    **out_shortcut)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (!confab_json_get_string (body, "shortcut", required, out_shortcut, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (*out_shortcut == NULL)
    return TRUE;

  ok = **out_shortcut != '\0' && strlen (*out_shortcut) <= MAX_SHORTCUT_CHARS;
  for (const char *c = *out_shortcut; ok && *c; c++)
    ok = (*c >= 'a' && *c <= 'z') || g_ascii_isdigit (*c) || *c == '_' || *c == '-';
  if (!ok)
    {
      confab_api_bad_value (call, "“shortcut” must be 1 to 32 characters of a-z, 0-9, _ and -");
      return FALSE;
    }
  return TRUE;
}

/* Store errors, with a taken shortcut as 409 conflict. */
static void
canned_failed (ConfabApiCall *call,
               const GError  *error)
{
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "conflict",
                       "This site already has a canned response with this shortcut");
  else
    confab_http_gerror (call->msg, error);
}

static void
canned_detail (JsonObject         *detail,
               const ConfabCanned *canned)
{
  json_object_set_string_member (detail, "canned_id", canned->id);
  json_object_set_string_member (detail, "shortcut", canned->shortcut);
}

/* The site's canned responses as GET /sites/{id}/canned lists them. */
static JsonArray *
canned_list_json (ConfabStore  *store,
                  const char   *site_id,
                  GError      **error)
{
  g_autoptr (GPtrArray) responses = confab_store_list_canned (store, site_id, error);
  JsonArray *list;

  if (responses == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < responses->len; i++)
    json_array_add_object_element (list, canned_to_json (g_ptr_array_index (responses, i)));
  return list;
}

/* After any change: every connected member of the site gets the whole list. */
static void
push_canned (ConfabApiCall *call,
             const char    *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = canned_list_json (call->relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the canned responses: %s", error->message);
  else
    confab_hub_push_list (call->relay->hub, site_id, "canned", list);
}

static void
canned_list (ConfabApiCall *call,
             ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  list = canned_list_json (call->relay->store, site->id, &error);
  if (list == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_array_member (answer, "canned", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
canned_create (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabCanned) canned = NULL;
  g_autoptr (GError) error = NULL;
  const char *shortcut = NULL, *text = NULL;

  if (!confab_api_require_admin (call, site->role))
    return;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, canned_fields) ||
      !read_shortcut (call, body, TRUE, &shortcut) ||
      !confab_api_text_field (call, body, "body", TRUE, 1, MAX_BODY_CHARS, &text))
    return;

  canned = confab_store_create_canned (call->relay->store, site->id, shortcut, text, &error);
  if (canned == NULL)
    return canned_failed (call, error);

  canned_detail (detail, canned);
  confab_api_audit (call, site->id, "canned.created", "canned", canned->id, canned->shortcut, detail);
  push_canned (call, site->id);
  answer_canned (call, SOUP_STATUS_CREATED, canned);
}

void
confab_api_site_canned (ConfabApiCall  *call,
                        ConfabSite     *site,
                        char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return canned_list (call, site);
  if (confab_api_method_is (call, "POST"))
    return canned_create (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}

static void
canned_patch (ConfabApiCall *call,
              ConfabCanned  *canned)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabCanned) updated = NULL;
  g_autoptr (GError) error = NULL;
  const char *shortcut = NULL, *text = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, canned_fields) ||
      !read_shortcut (call, body, FALSE, &shortcut) ||
      !confab_api_text_field (call, body, "body", FALSE, 1, MAX_BODY_CHARS, &text))
    return;

  updated = confab_store_update_canned (call->relay->store, canned->id, shortcut, text, &error);
  if (updated == NULL)
    return canned_failed (call, error);

  canned_detail (detail, updated);
  confab_api_audit (call, canned->site_id, "canned.updated", "canned", canned->id, updated->shortcut,
                    detail);
  push_canned (call, canned->site_id);
  answer_canned (call, SOUP_STATUS_OK, updated);
}

void
confab_api_canned (ConfabApiCall  *call,
                   const char     *canned_id,
                   char          **rest)
{
  g_autoptr (ConfabCanned) canned = confab_store_get_canned (call->relay->store, canned_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign ids look the same */
  if (canned == NULL || (role = confab_api_role (call, canned->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_canned (call, SOUP_STATUS_OK, canned);

  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "PATCH"))
    return canned_patch (call, canned);

  if (!confab_store_delete_canned (call->relay->store, canned->id, &error))
    return confab_http_gerror (call->msg, error);
  {
    g_autoptr (JsonObject) detail = json_object_new ();

    canned_detail (detail, canned);
    confab_api_audit (call, canned->site_id, "canned.deleted", "canned", canned->id, canned->shortcut,
                    detail);
  }
  push_canned (call, canned->site_id);
  confab_api_no_content (call);
}
