/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-team.c: the team's accounts — first sign-in with a setup code, one's own name and
 * password, password resets by an admin, and the invitations not used yet.
 *
 * A setup code is shown once (in the answer that made it) and stored only as its SHA-256; it
 * is good for one sign-in within [auth] setup-code-lifetime-hours. */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-sites.h"
#include "confab-api-team.h"
#include "confab-api-email.h"
#include "confab-auth.h"
#include "confab-hub.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-team.h"
#include "confab-util.h"

#include <string.h>

#define MAX_NAME_CHARS     100
#define MAX_PASSWORD_CHARS 1024

static void
audit_user (ConfabRelay       *relay,
            SoupServerMessage *msg,
            const char        *user_id,
            const char        *site_id,
            const char        *action,
            JsonObject        *detail)
{
  g_autofree char *ip = confab_http_client_ip (relay, msg);
  g_autofree char *ip_hash = confab_relay_hash_ip (relay, ip);
  g_autofree char *detail_json = detail ? confab_json_object_to_string (detail) : NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_store_audit (relay->store, user_id, site_id, action, detail_json, ip_hash, &error))
    g_warning ("Audit log entry lost: %s", error->message);
}

/* FALSE after answering 400 weak_password / invalid_value. */
static gboolean
check_new_password (SoupServerMessage *msg,
                    const char        *field,
                    const char        *password)
{
  glong length = g_utf8_strlen (password, -1);

  if (length < CONFAB_AUTH_MIN_PASSWORD_LENGTH)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be at least %d characters long",
                                                  field, CONFAB_AUTH_MIN_PASSWORD_LENGTH);
      confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "weak_password", message);
      return FALSE;
    }
  if (length > MAX_PASSWORD_CHARS)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be at most %d characters long",
                                                  field, MAX_PASSWORD_CHARS);
      confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value", message);
      return FALSE;
    }
  return TRUE;
}

/* An optional or required display name of 1..100 characters; FALSE after answering 400. */
static gboolean
read_name (SoupServerMessage  *msg,
           JsonObject         *body,
           gboolean            required,
           const char        **out_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *trimmed = NULL;

  if (!confab_json_get_string (body, "name", required, out_name, &error))
    {
      confab_http_gerror (msg, error);
      return FALSE;
    }
  if (*out_name == NULL)
    return TRUE;

  trimmed = g_strstrip (g_strdup (*out_name));
  if (*trimmed == '\0' || confab_utf8_length (*out_name) > MAX_NAME_CHARS)
    {
      confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value",
                         "“name” must be 1 to 100 characters");
      return FALSE;
    }
  return TRUE;
}

static gboolean
only_fields (SoupServerMessage  *msg,
             JsonObject         *body,
             const char * const *allowed)
{
  g_autoptr (GList) keys = json_object_get_members (body);

  for (GList *l = keys; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *message = g_strdup_printf ("“%s” is not a field of this request",
                                                    (char *) l->data);
        confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
        return FALSE;
      }
  return TRUE;
}

/* Closes the sockets of tokens just revoked (4001). */
static void
close_revoked (ConfabRelay *relay,
               GPtrArray   *revoked)
{
  for (guint i = 0; revoked != NULL && i < revoked->len; i++)
    confab_hub_revoke_token (relay->hub, g_ptr_array_index (revoked, i));
}

char *
confab_api_new_setup_code (ConfabRelay  *relay,
                           char        **out_hash,
                           gint64       *out_expires_at)
{
  /* 15 random bytes, 20 characters: typed at most once, and guesses are rate limited */
  g_autofree char *random = confab_random_token (15);
  char *code = g_strconcat ("csc_", random, NULL);

  *out_hash = confab_sha256_hex (code);
  *out_expires_at = confab_now_ms () + (gint64) relay->config->setup_code_lifetime_hours * 3600 * 1000;
  return code;
}

void
confab_api_answer_login (ConfabRelay       *relay,
                         SoupServerMessage *msg,
                         ConfabUser        *user)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = confab_auth_new_token ();
  g_autofree char *token_hash = confab_sha256_hex (token);

  if (!confab_store_add_token (relay->store, token_hash, user->id,
                               confab_now_ms () + (gint64) relay->config->token_lifetime_days * 24 * 3600 * 1000,
                               &error))
    return confab_http_gerror (msg, error);

  json_object_set_string_member (answer, "token", token);
  json_object_set_object_member (answer, "user", confab_user_to_json (user));
  confab_http_json_object (msg, SOUP_STATUS_OK, answer);
}

/* --- POST /auth/setup ------------------------------------------------------------------------ */

static void
invalid_code (SoupServerMessage *msg)
{
  /* one answer for an unknown address, a wrong code and a used one: a stranger learns nothing */
  confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_setup_code",
                     "The e-mail or setup code is wrong, or the code was used already");
}

void
confab_api_auth_setup (ConfabRelay       *relay,
                       SoupServerMessage *msg)
{
  static const char * const fields[] = { "email", "setup_code", "password", "name", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *ip_hash = NULL;
  g_autofree char *account_key = NULL;
  g_autofree char *code_hash = NULL;
  g_autofree char *stored_hash = NULL;
  g_autofree char *password_hash = NULL;
  const char *email = NULL, *code = NULL, *password = NULL, *name = NULL;
  gint64 now_mono = confab_rate_limit_now_ms ();
  gint64 expires_at = 0;
  guint retry = 0;

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "This method is not allowed here");
    }

  /* the same budgets as the password sign-in: a code is a password for one use */
  ip = confab_http_client_ip (relay, msg);
  ip_hash = confab_relay_hash_ip (relay, ip);
  if (!confab_shared_limit_take (relay->login_per_ip, ip_hash, now_mono, &retry))
    return confab_http_rate_limited (msg, retry);

  if ((body = confab_http_read_object (relay, msg)) == NULL ||
      !only_fields (msg, body, fields))
    return;
  if (!confab_json_get_string (body, "email", TRUE, &email, &error) ||
      !confab_json_get_string (body, "setup_code", TRUE, &code, &error) ||
      !confab_json_get_string (body, "password", TRUE, &password, &error))
    return confab_http_gerror (msg, error);
  if (!read_name (msg, body, FALSE, &name) ||
      !check_new_password (msg, "password", password))
    return;

  {
    g_autofree char *folded = g_utf8_casefold (email, -1);
    g_autofree char *pair = g_strconcat ("setup|", ip_hash, "|", folded, NULL);

    account_key = confab_sha256_hex (pair);
  }
  if (!confab_shared_limit_take (relay->login_per_account, account_key, now_mono, &retry))
    return confab_http_rate_limited (msg, retry);

  code_hash = confab_sha256_hex (code);
  user = confab_store_get_user_by_email (relay->store, email, &error);
  if (user != NULL)
    confab_store_get_setup_code (relay->store, user->id, &stored_hash, &expires_at, &error);
  /* a locked database is not a wrong code: the same request works later */
  if (error != NULL && !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    return confab_http_gerror (msg, error);
  if (user == NULL || stored_hash == NULL || strcmp (stored_hash, code_hash) != 0)
    {
      audit_user (relay, msg, user ? user->id : NULL, NULL, "setup_failed", NULL);
      return invalid_code (msg);
    }
  if (expires_at <= confab_now_ms ())
    {
      audit_user (relay, msg, user->id, NULL, "setup_failed", NULL);
      return confab_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "setup_code_expired",
                                "This setup code has expired: ask an admin of your site for a new one");
    }

  if ((password_hash = confab_auth_hash_password (password, &error)) == NULL)
    return confab_http_gerror (msg, error);
  /* visitors see a name on every message: one who chose none is "Support", as from the CLI */
  if (name == NULL && user->name == NULL)
    name = CONFAB_DEFAULT_AGENT_NAME;
  if (!confab_store_complete_setup (relay->store, user->id, code_hash, confab_now_ms (),
                                    password_hash, name, &error))
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return invalid_code (msg);   /* used by a sign-in a moment earlier */
      return confab_http_gerror (msg, error);
    }

  /* read again: the name may have changed */
  {
    g_autofree char *user_id = g_strdup (user->id);

    g_clear_pointer (&user, confab_user_free);
    if ((user = confab_store_get_user (relay->store, user_id, &error)) == NULL)
      return confab_http_gerror (msg, error);
  }
  audit_user (relay, msg, user->id, NULL, "setup_completed", NULL);
  /* no longer pending, maybe with a name: the team lists show it now */
  confab_api_push_members_of_user (relay, user->id);
  confab_api_answer_login (relay, msg, user);
}

/* --- /me ------------------------------------------------------------------------------------- */

void
confab_api_me_patch (ConfabApiCall *call)
{
  static const char * const fields[] = { "name", "email_notifications", NULL };
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;
  const char *name = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !only_fields (call->msg, body, fields) ||
      /* either field alone is a whole PATCH (issue 15 added email_notifications) */
      !read_name (call->msg, body, !json_object_has_member (body, "email_notifications"), &name) ||
      !confab_api_me_email_notifications (call, body))
    return;

  if ((name != NULL && !confab_store_set_user_name (call->relay->store, call->user->id, name, &error)) ||
      (user = confab_store_get_user (call->relay->store, call->user->id, &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  if (name != NULL)
    {
      /* what their open apps send from now on carries the new name, not the one at sign-in */
      confab_hub_user_renamed (call->relay->hub, user->id, user->name);
      audit_user (call->relay, call->msg, user->id, NULL, "name_changed", NULL);
      confab_api_push_members_of_user (call->relay, user->id);
    }
  json_object_set_object_member (answer, "user", confab_user_to_json (user));
  confab_api_user_add_email_notifications (call->relay, json_object_get_object_member (answer, "user"),
                                           user->id);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

void
confab_api_me_password (ConfabApiCall *call,
                        const char    *token_hash)
{
  static const char * const fields[] = { "current_password", "new_password", NULL };
  ConfabRelay *relay = call->relay;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) revoked = NULL;
  g_autofree char *password_hash = NULL;
  g_autofree char *account_key = NULL;
  const char *current = NULL, *new_password = NULL;
  gint64 now_mono = confab_rate_limit_now_ms ();
  guint retry = 0;

  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");

  if ((body = confab_http_read_object (relay, call->msg)) == NULL ||
      !only_fields (call->msg, body, fields))
    return;
  if (!confab_json_get_string (body, "current_password", TRUE, &current, &error) ||
      !confab_json_get_string (body, "new_password", TRUE, &new_password, &error))
    return confab_http_gerror (call->msg, error);
  if (!check_new_password (call->msg, "new_password", new_password))
    return;

  /* a stolen token must not become a way to guess the password at leisure */
  account_key = g_strconcat ("password|", call->user->id, NULL);
  if (!confab_shared_limit_take (relay->login_per_account, account_key, now_mono, &retry))
    return confab_http_rate_limited (call->msg, retry);

  if (!confab_auth_verify_password (call->user->password_hash, current))
    {
      audit_user (relay, call->msg, call->user->id, NULL, "password_change_failed", NULL);
      /* not 401: the token is fine, and the app must not sign out */
      return confab_http_error (call->msg, SOUP_STATUS_FORBIDDEN, "wrong_password",
                                "The current password is wrong");
    }

  if ((password_hash = confab_auth_hash_password (new_password, &error)) == NULL ||
      !confab_store_set_password (relay->store, call->user->id, password_hash, token_hash,
                                  &revoked, &error))
    return confab_http_gerror (call->msg, error);

  close_revoked (relay, revoked);
  audit_user (relay, call->msg, call->user->id, NULL, "password_changed", NULL);
  json_object_set_boolean_member (answer, "changed", TRUE);
  json_object_set_int_member (answer, "revoked_tokens", revoked->len);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* --- members/{user_id}/reset ----------------------------------------------------------------- */

/* A reset hands the account to whoever gets the code, so the caller must have the say over
 * every site the account works on, not only this one: as admin where it is an agent or admin,
 * as owner where it is an owner. FALSE after answering 403. */
static gboolean
may_reset (ConfabApiCall *call,
           const char    *user_id)
{
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;

  sites = confab_store_list_sites_for_user (call->relay->store, user_id, &error);
  if (sites == NULL)
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  for (guint i = 0; i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);
      ConfabRole mine = confab_api_role (call, site->id);

      if (site->role == CONFAB_ROLE_OWNER && mine != CONFAB_ROLE_OWNER)
        {
          confab_api_forbidden (call, "Only an owner can reset an owner's password");
          return FALSE;
        }
      if (mine < CONFAB_ROLE_ADMIN)
        {
          /* which sites those are is not the caller's business */
          confab_api_forbidden (call, "This account also works on sites you do not administer: "
                                      "ask their owner to reset it");
          return FALSE;
        }
    }
  return TRUE;
}

void
confab_api_member_reset (ConfabApiCall *call,
                         ConfabSite    *site,
                         const char    *user_id)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) revoked = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code_hash = NULL;
  g_autofree char *expires = NULL;
  gint64 expires_at = 0;
  gboolean pending;

  if (!confab_api_method_is (call, "POST"))
    return confab_api_method_not_allowed (call, "POST");
  if (strcmp (user_id, call->user->id) == 0)
    return confab_api_forbidden (call, "Change your own password with POST /api/v1/me/password");
  if (!may_reset (call, user_id))
    return;
  if ((user = confab_store_get_user (call->relay->store, user_id, &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  pending = confab_user_is_pending (user);
  code = confab_api_new_setup_code (call->relay, &code_hash, &expires_at);
  if (!confab_store_reset_password (call->relay->store, user_id,
                                    pending ? "invitation" : "reset", site->id, code_hash,
                                    call->user->id, expires_at, &revoked, &error))
    return confab_http_gerror (call->msg, error);

  /* their open apps stop now, not when their token would have been checked next */
  close_revoked (call->relay, revoked);

  json_object_set_string_member (detail, "user_id", user_id);
  confab_api_audit (call, site->id, "member.password_reset", "member", user->id,
                    user->name != NULL ? user->name : user->email, detail);
  /* pending again until they use the new code, on every site they work on */
  confab_api_push_members_of_user (call->relay, user_id);

  expires = confab_format_time (expires_at);
  json_object_set_string_member (answer, "user_id", user->id);
  json_object_set_string_member (answer, "email", user->email);
  json_object_set_string_member (answer, "setup_code", code);
  json_object_set_string_member (answer, "expires_at", expires);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* --- /sites/{id}/invitations ----------------------------------------------------------------- */

void
confab_api_site_invitations (ConfabApiCall  *call,
                             ConfabSite     *site,
                             char          **rest)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) invitations = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = confab_now_ms ();
  JsonArray *list;

  if (rest[0] != NULL)
    return confab_api_not_found (call);
  if (!confab_api_require_admin (call, site->role))
    return;
  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");

  invitations = confab_store_list_invitations (call->relay->store, site->id, &error);
  if (invitations == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < invitations->len; i++)
    {
      ConfabInvitation *invitation = g_ptr_array_index (invitations, i);
      JsonObject *object = json_object_new ();
      g_autofree char *created = confab_format_time (invitation->created_at);

      json_object_set_string_member (object, "user_id", invitation->user_id);
      json_object_set_string_member (object, "email", invitation->email);
      if (invitation->name != NULL)
        json_object_set_string_member (object, "name", invitation->name);
      else
        json_object_set_null_member (object, "name");
      json_object_set_string_member (object, "role", confab_role_to_string (invitation->role));
      json_object_set_string_member (object, "kind", invitation->kind);
      if (invitation->created_by != NULL)
        json_object_set_string_member (object, "invited_by", invitation->created_by);
      else
        json_object_set_null_member (object, "invited_by");
      json_object_set_string_member (object, "created_at", created);
      if (invitation->expires_at > 0)
        {
          g_autofree char *expires = confab_format_time (invitation->expires_at);
          json_object_set_string_member (object, "expires_at", expires);
        }
      else
        json_object_set_null_member (object, "expires_at");
      json_object_set_boolean_member (object, "expired", invitation->expires_at <= now);
      json_array_add_object_element (list, object);
    }
  json_object_set_array_member (answer, "invitations", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}
