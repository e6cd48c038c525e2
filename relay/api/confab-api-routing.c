/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-routing.c: issue 18's REST resources — a site's teams (/sites/{id}/teams,
 * /teams/{id}) and a conversation's transfer (/conversations/{id}/transfer). Any member reads
 * the teams; owners and admins change them. After every change the site's agents get the whole
 * list ("teams" frame) and the site's queues are drained: a team's members or mode may have
 * freed someone. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-routing.h"
#include "confab-api-sites.h"
#include "confab-objects.h"
#include "confab-hub.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-store-routing.h"
#include "confab-util.h"

#include <string.h>

#define MAX_TEAM_NAME_CHARS 60
#define MAX_TEAM_KEY_CHARS  40
#define MAX_TARGET_SECONDS  86400
#define MAX_NOTE_CHARS      1000

static const char * const team_fields[] = {
  "name", "key", "member_ids", "assignment", "first_response_seconds", "next_response_seconds", NULL
};

JsonObject *
confab_team_to_json (const ConfabTeam *team)
{
  JsonObject *object = json_object_new ();
  JsonArray *members = json_array_new ();
  g_autofree char *created = confab_format_time (team->created_at);

  json_object_set_string_member (object, "id", team->id);
  json_object_set_string_member (object, "site_id", team->site_id);
  json_object_set_string_member (object, "key", team->key);
  json_object_set_string_member (object, "name", team->name);
  for (guint i = 0; team->member_ids != NULL && team->member_ids[i] != NULL; i++)
    json_array_add_string_element (members, team->member_ids[i]);
  json_object_set_array_member (object, "member_ids", members);
  json_object_set_string_member (object, "assignment", team->assignment);
  if (team->first_response_seconds >= 0)
    json_object_set_int_member (object, "first_response_seconds", team->first_response_seconds);
  else
    json_object_set_null_member (object, "first_response_seconds");
  if (team->next_response_seconds >= 0)
    json_object_set_int_member (object, "next_response_seconds", team->next_response_seconds);
  else
    json_object_set_null_member (object, "next_response_seconds");
  json_object_set_string_member (object, "created_at", created);
  return object;
}

JsonArray *
confab_site_teams_json (ConfabStore  *store,
                        const char   *site_id,
                        GError      **error)
{
  g_autoptr (GPtrArray) teams = confab_store_list_teams (store, site_id, error);
  JsonArray *list;

  if (teams == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < teams->len; i++)
    json_array_add_object_element (list, confab_team_to_json (g_ptr_array_index (teams, i)));
  return list;
}

/* "Billing & Payments" → "billing-payments": ASCII letters and digits, the rest one hyphen. */
static char *
key_from_name (const char *name)
{
  GString *key = g_string_new (NULL);

  for (const char *p = name; *p != '\0' && key->len < MAX_TEAM_KEY_CHARS; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (key, g_ascii_tolower (*p));
      else if (key->len > 0 && key->str[key->len - 1] != '-')
        g_string_append_c (key, '-');
    }
  while (key->len > 0 && key->str[key->len - 1] == '-')
    g_string_truncate (key, key->len - 1);
  if (key->len == 0)
    g_string_assign (key, "team");
  return g_string_free (key, FALSE);
}

gboolean
confab_team_key_is_valid (const char *key)
{
  gsize length = key ? strlen (key) : 0;

  if (length == 0 || length > MAX_TEAM_KEY_CHARS)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!(g_ascii_isdigit (key[i]) || (key[i] >= 'a' && key[i] <= 'z') || key[i] == '-'))
      return FALSE;
  return TRUE;
}

/* An optional int 0..@max or null (-1) */
static gboolean
read_seconds (ConfabApiCall *call,
              JsonObject    *body,
              const char    *field,
              gboolean      *out_set,
              gint64        *out_value)
{
  JsonNode *node = json_object_get_member (body, field);

  *out_set = node != NULL;
  *out_value = -1;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0 || json_node_get_int (node) > MAX_TARGET_SECONDS)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be a whole number of seconds from 0 to "
                                                  "%d, or null", field, MAX_TARGET_SECONDS);
      confab_api_bad_value (call, message);
      return FALSE;
    }
  *out_value = json_node_get_int (node);
  return TRUE;
}

/* Reads the team's fields into @draft (the strings point into @body; @out_members owns the
 * member ids). */
static gboolean
read_team (ConfabApiCall    *call,
           ConfabSite       *site,
           JsonObject       *body,
           gboolean          creating,
           ConfabTeamDraft  *draft,
           char           ***out_members)
{
  g_autoptr (GError) error = NULL;

  if (!confab_api_only_fields (call, body, team_fields) ||
      !confab_api_text_field (call, body, "name", creating, 1, MAX_TEAM_NAME_CHARS, &draft->name))
    return FALSE;
  if (!confab_json_get_string (body, "key", FALSE, &draft->key, &error) ||
      !confab_json_get_string (body, "assignment", FALSE, &draft->assignment, &error) ||
      !confab_json_get_strv (body, "member_ids", FALSE, out_members, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (draft->key != NULL && !confab_team_key_is_valid (draft->key))
    {
      confab_api_bad_value (call, "“key” must be 1 to 40 of a–z, 0–9 and “-”");
      return FALSE;
    }
  if (draft->assignment != NULL &&
      !g_strv_contains ((const char * const[]) { "inherit", "off", "round_robin", "least_busy", NULL },
                        draft->assignment))
    {
      confab_api_bad_value (call, "“assignment” must be inherit, off, round_robin or least_busy");
      return FALSE;
    }
  for (guint i = 0; *out_members != NULL && (*out_members)[i] != NULL; i++)
    if (confab_store_get_role (call->relay->store, site->id, (*out_members)[i]) == CONFAB_ROLE_NONE)
      {
        g_autofree char *message = g_strdup_printf ("“%s” is not a member of this site",
                                                    (*out_members)[i]);
        confab_api_bad_value (call, message);
        return FALSE;
      }
  draft->member_ids = (const char * const *) *out_members;
  return read_seconds (call, body, "first_response_seconds", &draft->set_first_response,
                       &draft->first_response_seconds) &&
         read_seconds (call, body, "next_response_seconds", &draft->set_next_response,
                       &draft->next_response_seconds);
}

static void
team_failed (ConfabApiCall *call,
             const GError  *error)
{
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "conflict",
                       "This site already has a team with this name or key");
  else
    confab_http_gerror (call->msg, error);
}

static void
push_teams (ConfabRelay *relay,
            const char  *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = confab_site_teams_json (relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the teams: %s", error->message);
  else
    confab_hub_push_list (relay->hub, site_id, "teams", list);
  /* the members' team_ids changed with them */
  confab_api_push_members (relay, site_id);
  confab_hub_route_later (relay->hub, site_id);
}

static void
audit_team (ConfabApiCall    *call,
            const char       *action,
            const ConfabTeam *team)
{
  g_autoptr (JsonObject) detail = json_object_new ();

  json_object_set_string_member (detail, "team_id", team->id);
  json_object_set_string_member (detail, "key", team->key);
  json_object_set_string_member (detail, "name", team->name);
  confab_api_audit (call, team->site_id, action, "team", team->id, team->name, detail);
}

static void
answer_team (ConfabApiCall    *call,
             guint             status,
             const ConfabTeam *team)
{
  g_autoptr (JsonObject) answer = confab_team_to_json (team);

  confab_http_json_object (call->msg, status, answer);
}

static void
teams_create (ConfabApiCall *call,
              ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabTeam) team = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) members = NULL;
  g_autofree char *key = NULL;
  ConfabTeamDraft draft = { 0 };

  if (!confab_api_require_admin (call, site->role))
    return;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !read_team (call, site, body, TRUE, &draft, &members))
    return;
  if (draft.key == NULL)
    draft.key = key = key_from_name (draft.name);

  team = confab_store_create_team (call->relay->store, site->id, &draft, &error);
  if (team == NULL)
    return team_failed (call, error);
  audit_team (call, "team.created", team);
  push_teams (call->relay, site->id);
  answer_team (call, SOUP_STATUS_CREATED, team);
}

void
confab_api_site_teams (ConfabApiCall  *call,
                       ConfabSite     *site,
                       char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (JsonObject) answer = json_object_new ();
      g_autoptr (GError) error = NULL;
      JsonArray *list = confab_site_teams_json (call->relay->store, site->id, &error);

      if (list == NULL)
        return confab_http_gerror (call->msg, error);
      json_object_set_array_member (answer, "teams", list);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (confab_api_method_is (call, "POST"))
    return teams_create (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}

void
confab_api_team (ConfabApiCall  *call,
                 const char     *team_id,
                 char          **rest)
{
  g_autoptr (ConfabTeam) team = confab_store_get_team (call->relay->store, team_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign ids look the same */
  if (team == NULL || (role = confab_api_role (call, team->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_team (call, SOUP_STATUS_OK, team);
  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "PATCH"))
    {
      g_autoptr (JsonObject) body = NULL;
      g_autoptr (ConfabTeam) updated = NULL;
      g_autoptr (ConfabSite) site = confab_store_get_site (call->relay->store, team->site_id, &error);
      g_auto (GStrv) members = NULL;
      ConfabTeamDraft draft = { 0 };

      if (site == NULL)
        return confab_http_gerror (call->msg, error);
      if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
          !read_team (call, site, body, FALSE, &draft, &members))
        return;
      updated = confab_store_update_team (call->relay->store, team->id, &draft, &error);
      if (updated == NULL)
        return team_failed (call, error);
      audit_team (call, "team.updated", updated);
      push_teams (call->relay, team->site_id);
      return answer_team (call, SOUP_STATUS_OK, updated);
    }

  if (!confab_store_delete_team (call->relay->store, team->id, &error))
    return confab_http_gerror (call->msg, error);
  audit_team (call, "team.deleted", team);
  push_teams (call->relay, team->site_id);
  confab_api_no_content (call);
}

void
confab_api_conversation_transfer (ConfabApiCall            *call,
                                  const ConfabConversation *conversation)
{
  static const char * const fields[] = { "to_agent_id", "to_team_id", "note", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;
  const char *to_agent_id = NULL, *to_team_id = NULL, *note = NULL;

  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, fields))
    return;
  if (!confab_json_get_string (body, "to_agent_id", FALSE, &to_agent_id, &error) ||
      !confab_json_get_string (body, "to_team_id", FALSE, &to_team_id, &error) ||
      !confab_json_get_string (body, "note", FALSE, &note, &error))
    return confab_http_gerror (call->msg, error);
  if ((to_agent_id == NULL) == (to_team_id == NULL))
    return confab_api_bad_value (call, "Give exactly one of “to_agent_id” and “to_team_id”");
  if (note != NULL && confab_utf8_length (note) > MAX_NOTE_CHARS)
    return confab_api_bad_value (call, "“note” must be at most 1000 characters");

  updated = confab_hub_transfer (call->relay->hub, call->user->id, call->user->name, conversation,
                                 to_agent_id, to_team_id, note, &error);
  if (updated == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_http_error (call->msg, SOUP_STATUS_NOT_FOUND, "not_found", error->message);
      return confab_http_gerror (call->msg, error);
    }
  {
    g_autoptr (JsonObject) answer = confab_conversation_to_json (call->relay->store, updated,
                                                                 CONFAB_AUDIENCE_AGENT);
    confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
  }
}
