/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-members.c: /sites/{id}/members — who works on a site, and in which role.
 *
 * Admins manage agents and admins; only owners make or unmake owners; a site always keeps
 * an owner (the store checks that in the same transaction as the change). An address no
 * account has yet gets one, without a password, and a one-time setup code (confab-api-team.c). */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-api-sites.h"
#include "confab-api-team.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-store-team.h"
#include "confab-store-routing.h"
#include "confab-hub.h"
#include "confab-objects.h"
#include "confab-util.h"
#include "confab-avatars.h"

#include <string.h>

static JsonObject *
member_to_json (ConfabStore        *store,
                const char         *site_id,
                const ConfabMember *member)
{
  JsonObject *object = json_object_new ();
  g_autofree char *since = confab_format_time (member->since);

  json_object_set_string_member (object, "id", member->user_id);
  json_object_set_string_member (object, "email", member->email);
  if (member->name != NULL)
    json_object_set_string_member (object, "name", member->name);
  else
    json_object_set_null_member (object, "name");
  json_object_set_string_member (object, "role", confab_role_to_string (member->role));
  {
    g_autofree char *avatar_url = confab_avatar_url (member->user_id);

    if (avatar_url != NULL)
      json_object_set_string_member (object, "avatar_url", avatar_url);
    else
      json_object_set_null_member (object, "avatar_url");
  }
  json_object_set_string_member (object, "since", since);
  json_object_set_boolean_member (object, "pending", member->pending);
  /* issue 18: the member's limit of open chats and their teams */
  {
    g_auto (GStrv) team_ids = confab_store_list_member_teams (store, site_id, member->user_id, NULL);
    JsonArray *teams = json_array_new ();

    confab_site_set_max_chats (store, object, site_id, member->user_id);
    for (guint i = 0; team_ids != NULL && team_ids[i] != NULL; i++)
      json_array_add_string_element (teams, team_ids[i]);
    json_object_set_array_member (object, "team_ids", teams);
  }
  return object;
}

/* The member as listed now; NULL (no error) when @user_id is not one. */
static ConfabMember *
find_member (ConfabApiCall *call,
             const char    *site_id,
             const char    *user_id,
             GError       **error)
{
  g_autoptr (GPtrArray) members = confab_store_list_members (call->relay->store, site_id, error);

  for (guint i = 0; members && i < members->len; i++)
    {
      ConfabMember *member = g_ptr_array_index (members, i);

      if (strcmp (member->user_id, user_id) == 0)
        return g_ptr_array_steal_index (members, i);
    }
  return NULL;
}

/* The site's members as GET /sites/{id}/members lists them. */
static JsonArray *
members_list_json (ConfabStore  *store,
                   const char   *site_id,
                   GError      **error)
{
  g_autoptr (GPtrArray) members = confab_store_list_members (store, site_id, error);
  JsonArray *list;

  if (members == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < members->len; i++)
    json_array_add_object_element (list, member_to_json (store, site_id, g_ptr_array_index (members, i)));
  return list;
}

void
confab_api_push_members (ConfabRelay *relay,
                         const char  *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = members_list_json (relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of its members: %s", error->message);
  else
    confab_hub_push_list (relay->hub, site_id, "members", list);
}

void
confab_api_push_members_of_user (ConfabRelay *relay,
                                 const char  *user_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sites = confab_store_list_sites_for_user (relay->store, user_id, &error);

  if (sites == NULL)
    g_warning ("Cannot tell the team of a member's change: %s", error->message);
  for (guint i = 0; sites && i < sites->len; i++)
    confab_api_push_members (relay, ((ConfabSite *) g_ptr_array_index (sites, i))->id);
}

static void
members_list (ConfabApiCall *call,
              ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  list = members_list_json (call->relay->store, site->id, &error);
  if (list == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_array_member (answer, "members", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static gboolean
read_role (ConfabApiCall *call,
           JsonObject    *body,
           ConfabRole    *out_role)
{
  g_autoptr (GError) error = NULL;
  const char *text = NULL;

  if (!confab_json_get_string (body, "role", TRUE, &text, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  *out_role = confab_role_from_string (text);
  if (*out_role == CONFAB_ROLE_NONE)
    {
      confab_api_bad_value (call, "“role” must be owner, admin or agent");
      return FALSE;
    }
  return TRUE;
}

/* Sets @user_id's role (NONE removes) after the rules above; answers the request. */
static void
change_member (ConfabApiCall *call,
               ConfabSite    *site,
               const char    *user_id,
               ConfabRole     previous,
               ConfabRole     role)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabMember) member = NULL;

  if ((role == CONFAB_ROLE_OWNER || previous == CONFAB_ROLE_OWNER) && site->role != CONFAB_ROLE_OWNER)
    return confab_api_forbidden (call, "Only the site's owners can make or change owners");

  if (role != previous &&
      !confab_store_change_member (call->relay->store, site->id, user_id, role, &error))
    return confab_http_gerror (call->msg, error);

  json_object_set_string_member (detail, "user_id", user_id);
  if (previous != CONFAB_ROLE_NONE)
    json_object_set_string_member (detail, "previous_role", confab_role_to_string (previous));
  if (role != CONFAB_ROLE_NONE)
    json_object_set_string_member (detail, "role", confab_role_to_string (role));
  {
    g_autoptr (ConfabUser) target = confab_store_get_user (call->relay->store, user_id, NULL);

    confab_api_audit (call, site->id,
                      role == CONFAB_ROLE_NONE ? "member.removed"
                      : previous == CONFAB_ROLE_NONE ? "member.added" : "member.updated",
                      "member", user_id,
                      target == NULL ? NULL : target->name != NULL ? target->name : target->email,
                      detail);
  }

  /* their open sockets start or stop hearing of this site now, not at the next login; then
   * the team (without them, when they left) hears of the change */
  if (role != previous)
    {
      confab_hub_memberships_changed (call->relay->hub, user_id);
      confab_api_push_members (call->relay, site->id);
    }

  if (role == CONFAB_ROLE_NONE)
    {
      /* an invitation withdrawn from its only site leaves no account behind */
      if (!confab_store_drop_unused_invitee (call->relay->store, user_id, &error))
        g_warning ("%s", error->message);
      return confab_api_no_content (call);
    }

  member = find_member (call, site->id, user_id, &error);
  if (member == NULL)
    return error ? confab_http_gerror (call->msg, error) : confab_api_not_found (call);
  {
    g_autoptr (JsonObject) answer = member_to_json (call->relay->store, site->id, member);
    confab_http_json_object (call->msg, previous == CONFAB_ROLE_NONE ? SOUP_STATUS_CREATED
                                                                      : SOUP_STATUS_OK, answer);
  }
}

/* A new account for @email, pending until its setup code is used; the code is in this answer
 * and nowhere else. */
static void
invite (ConfabApiCall *call,
        ConfabSite    *site,
        const char    *email,
        ConfabRole     role)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabMember) member = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code_hash = NULL;
  g_autofree char *expires = NULL;
  gint64 expires_at = 0;

  if (role == CONFAB_ROLE_OWNER && site->role != CONFAB_ROLE_OWNER)
    return confab_api_forbidden (call, "Only the site's owners can make or change owners");
  /* not a full check of the address: only that a mail client could take it */
  if (strchr (email, '@') == NULL || strchr (email, ' ') != NULL || email[0] == '@' ||
      g_str_has_suffix (email, "@"))
    return confab_api_bad_value (call, "“email” must be an e-mail address");

  code = confab_api_new_setup_code (call->relay, &code_hash, &expires_at);
  user = confab_store_invite_user (call->relay->store, email, site->id, role, code_hash,
                                   call->user->id, expires_at, &error);
  if (user == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_string_member (detail, "user_id", user->id);
  json_object_set_string_member (detail, "role", confab_role_to_string (role));
  json_object_set_boolean_member (detail, "invited", TRUE);
  confab_api_audit (call, site->id, "member.added", "member", user->id,
                    user->name != NULL ? user->name : user->email, detail);
  /* as for any new member: the hub's view of who works where follows the store */
  confab_hub_memberships_changed (call->relay->hub, user->id);
  confab_api_push_members (call->relay, site->id);

  member = find_member (call, site->id, user->id, &error);
  if (member == NULL)
    return error ? confab_http_gerror (call->msg, error) : confab_api_not_found (call);

  expires = confab_format_time (expires_at);
  answer = member_to_json (call->relay->store, site->id, member);
  json_object_set_string_member (answer, "setup_code", code);
  json_object_set_string_member (answer, "setup_code_expires_at", expires);
  confab_http_json_object (call->msg, SOUP_STATUS_CREATED, answer);
}

static void
members_add (ConfabApiCall *call,
             ConfabSite    *site)
{
  static const char * const fields[] = { "email", "role", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;
  const char *email = NULL;
  ConfabRole role;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, fields) ||
      !confab_api_text_field (call, body, "email", TRUE, 3, 254, &email) ||
      !read_role (call, body, &role))
    return;

  user = confab_store_get_user_by_email (call->relay->store, email, &error);
  if (user == NULL && !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    return confab_http_gerror (call->msg, error);
  if (user == NULL)
    return invite (call, site, email, role);

  change_member (call, site, user->id,
                 confab_store_get_role (call->relay->store, site->id, user->id), role);
}

static void
member_by_id (ConfabApiCall *call,
              ConfabSite    *site,
              const char    *user_id)
{
  ConfabRole previous = confab_store_get_role (call->relay->store, site->id, user_id);

  if (previous == CONFAB_ROLE_NONE)
    return confab_http_error (call->msg, SOUP_STATUS_NOT_FOUND, "no_such_member",
                              "No member of this site has this id");

  if (confab_api_method_is (call, "DELETE"))
    return change_member (call, site, user_id, previous, CONFAB_ROLE_NONE);

  if (confab_api_method_is (call, "PATCH"))
    {
      static const char * const fields[] = { "role", "max_chats", NULL };
      g_autoptr (JsonObject) body = NULL;
      g_autoptr (GError) error = NULL;
      ConfabRole role = previous;
      gint64 max_chats = -1;

      if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
          !confab_api_only_fields (call, body, fields) ||
          (json_object_has_member (body, "role") && !read_role (call, body, &role)))
        return;
      /* issue 18: the limit of open + pending chats the relay gives them (0: none) */
      if (json_object_has_member (body, "max_chats"))
        {
          JsonNode *node = json_object_get_member (body, "max_chats");

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
              json_node_get_int (node) < 0 || json_node_get_int (node) > 100)
            return confab_api_bad_value (call, "“max_chats” must be a whole number from 0 to 100");
          max_chats = json_node_get_int (node);
        }
      if ((role == CONFAB_ROLE_OWNER || previous == CONFAB_ROLE_OWNER) && role != previous &&
          site->role != CONFAB_ROLE_OWNER)
        return confab_api_forbidden (call, "Only the site's owners can make or change owners");
      if (max_chats >= 0)
        {
          g_autoptr (JsonObject) detail = json_object_new ();

          if (!confab_store_set_max_chats (call->relay->store, site->id, user_id, max_chats, &error))
            return confab_http_gerror (call->msg, error);
          json_object_set_string_member (detail, "user_id", user_id);
          json_object_set_int_member (detail, "max_chats", max_chats);
          confab_api_audit (call, site->id, "member.updated", "member", user_id, NULL, detail);
          /* the team and the member hear of it; a raised limit takes the queue's head */
          confab_api_push_members (call->relay, site->id);
          confab_hub_push_site (call->relay->hub, site->id);
          confab_hub_route_later (call->relay->hub, site->id);
        }
      return change_member (call, site, user_id, previous, role);
    }

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ConfabMember) member = find_member (call, site->id, user_id, &error);
      g_autoptr (JsonObject) answer = NULL;

      if (member == NULL)
        return error ? confab_http_gerror (call->msg, error) : confab_api_not_found (call);
      answer = member_to_json (call->relay->store, site->id, member);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }

  confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
}

void
confab_api_site_members (ConfabApiCall  *call,
                         ConfabSite     *site,
                         char          **rest)
{
  gboolean reset = rest[0] != NULL && g_strcmp0 (rest[1], "reset") == 0 && rest[2] == NULL;

  if (rest[0] != NULL && (*rest[0] == '\0' || (rest[1] != NULL && !reset)))
    return confab_api_not_found (call);

  /* The team list is the admins' business: agents get 403 for reading it too. */
  if (!confab_api_require_admin (call, site->role))
    return;

  if (reset)
    {
      if (confab_store_get_role (call->relay->store, site->id, rest[0]) == CONFAB_ROLE_NONE)
        return confab_http_error (call->msg, SOUP_STATUS_NOT_FOUND, "no_such_member",
                                  "No member of this site has this id");
      return confab_api_member_reset (call, site, rest[0]);
    }

  if (rest[0] != NULL)
    return member_by_id (call, site, rest[0]);

  if (confab_api_method_is (call, "GET"))
    return members_list (call, site);
  if (confab_api_method_is (call, "POST"))
    return members_add (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}
