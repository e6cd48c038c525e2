/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api.c: the REST endpoints under /api/v1 */
#define G_LOG_DOMAIN "confab-api"

#include "confab-engage.h"
#include "confab-api-admin.h"
#include "confab-api-kb.h"
#include "confab-api-assistant.h"
#include "confab-assistant.h"
#include "confab-api-sites.h"
#include "confab-api-data.h"
#include "confab-api-analytics.h"
#include "confab-api-team.h"
#include "confab-api-keys.h"
#include "confab-api-channels.h"
#include "confab-api-email.h"
#include "confab-mailer.h"
#include "confab-auth.h"
#include "confab-http.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-team.h"
#include "confab-uploads.h"
#include "confab-files.h"
#include "confab-api-chat.h"
#include "confab-api-retry.h"
#include "confab-api-routing.h"
#include "confab-store-chat.h"
#include "confab-util.h"

#include <stdio.h>
#include <string.h>

#define MAX_SITE_NAME_CHARS  100
#define MAX_DOMAINS          50
#define MAX_DOMAIN_CHARS     253
#define DEFAULT_PAGE_SIZE    50
#define MAX_PAGE_SIZE        500

typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  GHashTable        *query;
  const char        *method;
} Request;

static gboolean
method_is (Request    *request,
           const char *method)
{
  return strcmp (request->method, method) == 0;
}

static void
method_not_allowed (Request    *request,
                    const char *allowed)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                "Allow", allowed);
  confab_http_error (request->msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     "This method is not allowed here");
}

static void
not_found (Request *request)
{
  confab_http_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not found");
}

static void
bad_value (Request    *request,
           const char *message)
{
  confab_http_error (request->msg, SOUP_STATUS_BAD_REQUEST, "invalid_value", message);
}

static void
audit (Request    *request,
       const char *user_id,
       const char *site_id,
       const char *action,
       JsonObject *detail)
{
  g_autofree char *ip = confab_http_client_ip (request->relay, request->msg);
  g_autofree char *ip_hash = confab_relay_hash_ip (request->relay, ip);
  g_autofree char *detail_json = detail ? confab_json_object_to_string (detail) : NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_store_audit (request->relay->store, user_id, site_id, action, detail_json, ip_hash, &error))
    g_warning ("Audit log entry lost: %s", error->message);
}

/* Reads a whole number from the query string; FALSE after answering 400. */
static gboolean
query_int (Request    *request,
           const char *name,
           gint64      min,
           gint64      max,
           gint64      default_value,
           gint64     *out_value)
{
  const char *text = request->query ? g_hash_table_lookup (request->query, name) : NULL;
  char *end = NULL;
  gint64 value;

  *out_value = default_value;
  if (text == NULL || *text == '\0')
    return TRUE;

  value = g_ascii_strtoll (text, &end, 10);
  if (*end != '\0' || value < min || value > max)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be a whole number from %" G_GINT64_FORMAT
                                                  " to %" G_GINT64_FORMAT, name, min, max);
      bad_value (request, message);
      return FALSE;
    }

  *out_value = value;
  return TRUE;
}

/* --- auth --- */

static void
auth_login (Request *request)
{
  ConfabRelay *relay = request->relay;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *ip_hash = NULL;
  g_autofree char *account_key = NULL;
  const char *email = NULL, *password = NULL;
  gint64 now_mono = confab_rate_limit_now_ms ();
  guint retry = 0;

  if (!method_is (request, "POST"))
    return method_not_allowed (request, "POST");

  ip = confab_http_client_ip (relay, request->msg);
  ip_hash = confab_relay_hash_ip (relay, ip);
  if (!confab_shared_limit_take (relay->login_per_ip, ip_hash, now_mono, &retry))
    return confab_http_rate_limited (request->msg, retry);

  if ((body = confab_http_read_object (relay, request->msg)) == NULL)
    return;
  if (!confab_json_get_string (body, "email", TRUE, &email, &error) ||
      !confab_json_get_string (body, "password", TRUE, &password, &error))
    return confab_http_gerror (request->msg, error);

  /* Guesses at an account are limited per account *and* address: a stranger guessing from
   * one address must not lock the owner, who signs in from another, out of their account.
   * The per-address limit above bounds a guesser that walks through accounts. */
  {
    g_autofree char *folded = g_utf8_casefold (email, -1);
    g_autofree char *pair = g_strconcat (ip_hash, "|", folded, NULL);

    /* hashed: a key of fixed size, however long the e-mail a stranger sends */
    account_key = confab_sha256_hex (pair);
  }
  if (!confab_shared_limit_take (relay->login_per_account, account_key, now_mono, &retry))
    return confab_http_rate_limited (request->msg, retry);

  user = confab_store_get_user_by_email (relay->store, email, NULL);
  if (user == NULL)
    {
      confab_auth_verify_dummy (password);
      audit (request, NULL, NULL, "login_failed", NULL);
      return confab_http_error (request->msg, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials",
                                "The e-mail or password is wrong");
    }
  /* an account waiting for its setup code has no password; it fails as slowly as any other */
  if (confab_user_is_pending (user))
    confab_auth_verify_dummy (password);
  if (confab_user_is_pending (user) || !confab_auth_verify_password (user->password_hash, password))
    {
      audit (request, user->id, NULL, "login_failed", NULL);
      return confab_http_error (request->msg, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials",
                                "The e-mail or password is wrong");
    }

  audit (request, user->id, NULL, "login", NULL);
  confab_api_answer_login (relay, request->msg, user);
}

static void
auth_logout (Request *request)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autofree char *token_hash = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();

  if (!method_is (request, "POST"))
    return method_not_allowed (request, "POST");
  if ((user = confab_http_authenticate (request->relay, request->msg, &token_hash)) == NULL)
    return;

  if (!confab_store_revoke_token (request->relay->store, token_hash, &error))
    return confab_http_gerror (request->msg, error);

  confab_hub_revoke_token (request->relay->hub, token_hash);
  audit (request, user->id, NULL, "logout", NULL);

  json_object_set_boolean_member (answer, "revoked", TRUE);
  confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
}

static void
me (Request    *request,
    ConfabUser *user)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list = json_array_new ();

  if (!method_is (request, "GET"))
    {
      json_array_unref (list);
      return method_not_allowed (request, "GET");
    }

  sites = confab_store_list_sites_for_user (request->relay->store, user->id, &error);
  if (sites == NULL)
    {
      json_array_unref (list);
      return confab_http_gerror (request->msg, error);
    }

  for (guint i = 0; i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "id", site->id);
      json_object_set_string_member (entry, "name", site->name);
      json_object_set_string_member (entry, "role", confab_role_to_string (site->role));
      /* issue 18: the caller's own limit there, as in GET /api/v1/sites */
      confab_site_set_max_chats (request->relay->store, entry, site->id, user->id);
      json_array_add_object_element (list, entry);
    }

  json_object_set_object_member (answer, "user", confab_user_to_json (user));
  confab_api_user_add_email_notifications (request->relay,
                                           json_object_get_object_member (answer, "user"), user->id);
  json_object_set_array_member (answer, "sites", list);
  confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
}

/* --- sites --- */

static gboolean
valid_domain (const char *domain)
{
  const char *p = domain;
  const char *colon;
  gsize len = strlen (domain);

  if (len == 0 || len > MAX_DOMAIN_CHARS)
    return FALSE;
  if (g_str_has_prefix (p, "*."))
    p += 2;

  colon = strrchr (p, ':');
  for (const char *c = p; *c && c != colon; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '.')
      return FALSE;

  if (colon != NULL)
    {
      char *end = NULL;
      guint64 port = g_ascii_strtoull (colon + 1, &end, 10);

      if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
        return FALSE;
    }

  return *p != '\0' && *p != '.' && *p != ':';
}

/* "domains" from a body: FALSE after answering 400. Lower-cased. */
static gboolean
read_domains (Request     *request,
              JsonObject  *body,
              gboolean     required,
              char      ***out_domains)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) domains = NULL;

  *out_domains = NULL;
  if (!confab_json_get_strv (body, "domains", required, &domains, &error))
    {
      confab_http_gerror (request->msg, error);
      return FALSE;
    }
  if (domains == NULL)
    return TRUE;

  if (g_strv_length (domains) > MAX_DOMAINS)
    {
      bad_value (request, "A site can list at most 50 domains");
      return FALSE;
    }

  for (guint i = 0; domains[i]; i++)
    {
      char *lower = g_ascii_strdown (domains[i], -1);

      g_free (domains[i]);
      domains[i] = lower;
      if (!valid_domain (lower))
        {
          g_autofree char *message = g_strdup_printf ("“%s” is not a domain (example.com, *.example.com or example.com:8080)", lower);
          bad_value (request, message);
          return FALSE;
        }
    }

  *out_domains = g_steal_pointer (&domains);
  return TRUE;
}

static gboolean
read_site_name (Request     *request,
                JsonObject  *body,
                gboolean     required,
                const char **out_name)
{
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_string (body, "name", required, out_name, &error))
    {
      confab_http_gerror (request->msg, error);
      return FALSE;
    }
  if (*out_name != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (*out_name));
      glong length = confab_utf8_length (*out_name);

      if (*trimmed == '\0' || length > MAX_SITE_NAME_CHARS)
        {
          bad_value (request, "“name” must be 1 to 100 characters");
          return FALSE;
        }
    }
  return TRUE;
}

static void
sites_list (Request    *request,
            ConfabUser *user)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  sites = confab_store_list_sites_for_user (request->relay->store, user->id, &error);
  if (sites == NULL)
    return confab_http_gerror (request->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);
      JsonObject *object = confab_site_to_json (site);

      confab_site_set_max_chats (request->relay->store, object, site->id, user->id);
      json_array_add_object_element (list, object);
    }
  json_object_set_array_member (answer, "sites", list);
  confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
}

static void
sites_create (Request    *request,
              ConfabUser *user)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) domains = NULL;
  const char *name = NULL;

  if ((body = confab_http_read_object (request->relay, request->msg)) == NULL ||
      !read_site_name (request, body, TRUE, &name) ||
      !read_domains (request, body, FALSE, &domains))
    return;

  site = confab_store_create_site (request->relay->store, user->id, name,
                                   (const char * const *) domains, &error);
  if (site == NULL)
    return confab_http_gerror (request->msg, error);

  site->role = CONFAB_ROLE_OWNER;
  confab_audit (request->relay, request->msg, user, site->id, "site.created", "site", site->id,
                site->name, NULL);
  /* the owner's open sockets start hearing of the new site, and count as online on it */
  confab_hub_memberships_changed (request->relay->hub, user->id);

  answer = confab_site_to_json (site);
  confab_http_json_object (request->msg, SOUP_STATUS_CREATED, answer);
}

/* Widget settings a site admin may set, with their JSON types and limits. */
/* SETTING_TEXT: a visitor-facing text, a string or {"en":"Hi","de":"Hallo"} (BCP 47 tags, at
 * most 20); SETTING_FILE_TYPES: a list of upload kinds (confab-files.h). */
typedef enum { SETTING_STRING, SETTING_BOOL, SETTING_INT, SETTING_STRINGS, SETTING_CHOICE, SETTING_COLOR, SETTING_HOURS,
               SETTING_TEXT, SETTING_FILE_TYPES, SETTING_TEAM_RULES,
               SETTING_ASSISTANT } SettingType;

typedef struct {
  const char  *key;
  SettingType  type;
  gint64       max;        /* characters, or the highest number */
  const char  *choices;    /* "|a|b|" for SETTING_CHOICE */
} SettingSpec;

static const SettingSpec setting_specs[] = {
  { "color",            SETTING_COLOR,   7,     NULL },
  { "position",         SETTING_CHOICE,  0,     "|bottom-right|bottom-left|" },
  { "offset_x",         SETTING_INT,     500,   NULL },
  { "offset_y",         SETTING_INT,     500,   NULL },
  { "welcome_message",  SETTING_TEXT,    1000,  NULL },
  { "placeholder",      SETTING_TEXT,    200,   NULL },
  { "greeting",         SETTING_TEXT,    1000,  NULL },  /* the widget's first bubble */
  { "auto_open_delay",  SETTING_INT,     3600,  NULL },
  { "show_on",          SETTING_STRINGS, 500,   NULL },
  { "hide_on",          SETTING_STRINGS, 500,   NULL },
  { "locale",           SETTING_STRING,  35,    NULL },
  { "prechat",          SETTING_CHOICE,  0,     "|off|optional|required|" },
  { "consent_required", SETTING_BOOL,    0,     NULL },
  { "consent_text",     SETTING_TEXT,    2000,  NULL },
  { "offline_message",  SETTING_TEXT,    1000,  NULL },
  { "working_hours",    SETTING_HOURS,   0,     NULL },
  { "typing_preview",   SETTING_BOOL,    0,     NULL },
  { "sound",            SETTING_BOOL,    0,     NULL },
  { "fingerprint",      SETTING_BOOL,    0,     NULL },
  { "upload_max_bytes", SETTING_INT,     CONFAB_UPLOAD_CEILING_BYTES, NULL }, /* 0: no uploads (confab-uploads.c) */
  { "upload_file_types", SETTING_FILE_TYPES, 0, NULL }, /* unset: every kind (confab-files.h) */
  { "faq_auto_answer",  SETTING_BOOL,    0,     NULL },
  { "faq_threshold",    SETTING_INT,     100,   NULL }, /* 0..100: see confab-faq.h */
  { "assign_on_reply",  SETTING_BOOL,    0,     NULL }, /* default TRUE: confab-hub-admin.c */
  { "retention_days",   SETTING_INT,     3650,  NULL }, /* 0: keep forever (confab-retention.c) */
  { "first_response_seconds", SETTING_INT, 86400, NULL }, /* 0: no target (confab-store-targets.h) */
  { "next_response_seconds", SETTING_INT, 86400, NULL },
  /* issue 18: routing (confab-hub-routing.c); only prechat_team is in the widget config */
  { "assignment",       SETTING_CHOICE,  0,     "|off|round_robin|least_busy|" },
  { "reassign_after_seconds", SETTING_INT, 3600, NULL }, /* 0: never */
  { "prechat_team",     SETTING_BOOL,    0,     NULL },
  { "team_rules",       SETTING_TEAM_RULES, 50, NULL },
  { "assistant",        SETTING_ASSISTANT, 0,   NULL }, /* {"enabled","name","tone","instructions"} (confab-assistant.c) */
};

static gboolean
valid_hhmm_range (const char *text)
{
  int h1, m1, h2, m2;
  char tail;

  return text != NULL && strlen (text) == 11 &&
         sscanf (text, "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) == 4 &&
         h1 >= 0 && h1 <= 24 && m1 >= 0 && m1 < 60 && h2 >= 0 && h2 <= 24 && m2 >= 0 && m2 < 60 &&
         h1 * 60 + m1 < h2 * 60 + m2 && h2 * 60 + m2 <= 24 * 60;
}

/* {"timezone":"Europe/Berlin","days":{"mon":["09:00-17:00"], ...}} */
static gboolean
valid_working_hours (JsonNode  *node,
                     char     **message)
{
  static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
  JsonObject *hours, *by_day;
  JsonNode *member;
  g_autoptr (GList) names = NULL;
  g_autoptr (GTimeZone) zone = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  hours = json_node_get_object (node);

  member = json_object_get_member (hours, "timezone");
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    goto bad;
  /* a name GLib resolves, but never a path GLib would open */
  if (confab_is_iana_zone_name (json_node_get_string (member)))
    zone = g_time_zone_new_identifier (json_node_get_string (member));
  if (zone == NULL)
    {
      *message = g_strdup ("“working_hours.timezone” must be an IANA time zone name such as "
                           "“Europe/Berlin” or “UTC”");
      return FALSE;
    }

  member = json_object_get_member (hours, "days");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    goto bad;
  by_day = json_node_get_object (member);
  names = json_object_get_members (by_day);
  for (GList *l = names; l; l = l->next)
    {
      JsonNode *ranges = json_object_get_member (by_day, l->data);
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (days); i++)
        known |= strcmp (days[i], l->data) == 0;
      if (!known || !JSON_NODE_HOLDS_ARRAY (ranges))
        goto bad;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (ranges)); i++)
        {
          JsonNode *range = json_array_get_element (json_node_get_array (ranges), i);

          if (json_node_get_value_type (range) != G_TYPE_STRING ||
              !valid_hhmm_range (json_node_get_string (range)))
            goto bad;
        }
    }
  return TRUE;

bad:
  *message = g_strdup ("“working_hours” must look like {\"timezone\":\"Europe/Berlin\",\"days\":{\"mon\":[\"09:00-17:00\"]}}");
  return FALSE;
}

/* A language tag as BCP 47 writes them, as far as the widget needs to match it: letters, digits
 * and hyphens, a primary subtag of 2–3 letters (or 5–8) first, at most 35 characters. */
static gboolean
valid_language_tag (const char *tag)
{
  gsize primary = strcspn (tag, "-");
  gsize length = strlen (tag);

  if (length == 0 || length > 35 || primary < 2 || primary > 8 || tag[length - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!(g_ascii_isalnum (tag[i]) || (tag[i] == '-' && i > 0 && tag[i - 1] != '-')) ||
        (i < primary && !g_ascii_isalpha (tag[i])))
      return FALSE;
  return TRUE;
}

/* A string, or an object of at most 20 language tags to strings, each at most spec->max. */
static gboolean
valid_text_setting (const SettingSpec  *spec,
                    JsonNode           *node,
                    char              **message)
{
  JsonObject *texts;
  g_autoptr (GList) tags = NULL;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      confab_utf8_length (json_node_get_string (node)) <= spec->max)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;

  texts = json_node_get_object (node);
  tags = json_object_get_members (texts);
  if (tags == NULL || g_list_length (tags) > 20)
    goto bad;
  for (GList *l = tags; l; l = l->next)
    {
      JsonNode *text = json_object_get_member (texts, l->data);

      if (!valid_language_tag (l->data) || !JSON_NODE_HOLDS_VALUE (text) ||
          json_node_get_value_type (text) != G_TYPE_STRING ||
          confab_utf8_length (json_node_get_string (text)) > spec->max)
        goto bad;
    }
  return TRUE;

bad:
  *message = g_strdup_printf ("“%s” must be text of at most %" G_GINT64_FORMAT " characters, or an "
                              "object of 1 to 20 language tags (\"en\", \"de-CH\") to such texts",
                              spec->key, spec->max);
  return FALSE;
}

/* A list of distinct upload kinds: "image", "pdf", "text", "csv", "office", "zip". */
static gboolean
valid_file_types (const SettingSpec  *spec,
                  JsonNode           *node,
                  char              **message)
{
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint seen = 0;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      ConfabFileKind kind = 0;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        kind = confab_file_kind_from_string (json_node_get_string (element));
      if (kind == 0 || (seen & kind) != 0)
        {
          array = NULL;
          break;
        }
      seen |= kind;
    }
  if (array != NULL)
    return TRUE;
  *message = g_strdup_printf ("“%s” must be a list of distinct kinds out of image, pdf, text, csv, "
                              "office and zip", spec->key);
  return FALSE;
}

/* Up to spec->max {"team": KEY, "url": pattern?, "language": tag?, "faq_id": id?} (issue 18):
 * the key as teams have them (an unknown one never matches), the rest strings. */
static gboolean
valid_team_rules (const SettingSpec  *spec,
                  JsonNode           *node,
                  char              **message)
{
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  if (array != NULL && json_array_get_length (array) > spec->max)
    array = NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *rule = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      g_autoptr (GList) members = rule ? json_object_get_members (rule) : NULL;
      const char *team = NULL;

      if (rule == NULL)
        {
          array = NULL;
          break;
        }
      for (GList *l = members; l; l = l->next)
        {
          JsonNode *value = json_object_get_member (rule, l->data);
          gboolean known = g_strv_contains ((const char * const[]) { "team", "url", "language", "faq_id", NULL },
                                            l->data);

          if (!known || !JSON_NODE_HOLDS_VALUE (value) ||
              json_node_get_value_type (value) != G_TYPE_STRING ||
              confab_utf8_length (json_node_get_string (value)) > 500)
            {
              array = NULL;
              break;
            }
        }
      if (array == NULL)
        break;
      team = json_object_get_string_member_with_default (rule, "team", NULL);
      if (team == NULL || !confab_team_key_is_valid (team) ||
          (json_object_has_member (rule, "language") &&
           !valid_language_tag (json_object_get_string_member (rule, "language"))))
        array = NULL;
    }
  if (array != NULL)
    return TRUE;
  *message = g_strdup_printf ("“%s” must be a list of at most %" G_GINT64_FORMAT " rules "
                              "{\"team\": key, \"url\": pattern, \"language\": tag, \"faq_id\": id}",
                              spec->key, spec->max);
  return FALSE;
}

/* The JSON type a setting takes, for telling a wrong type (invalid_field) from a wrong value
 * (invalid_value). */
static gboolean
setting_has_type (const SettingSpec *spec,
                  JsonNode          *node)
{
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  switch (spec->type)
    {
    case SETTING_BOOL:
      return type == G_TYPE_BOOLEAN;
    case SETTING_INT:
      return type == G_TYPE_INT64;
    case SETTING_STRINGS:
      return JSON_NODE_HOLDS_ARRAY (node);
    case SETTING_HOURS:
      return JSON_NODE_HOLDS_OBJECT (node);
    case SETTING_TEXT:
      return type == G_TYPE_STRING || JSON_NODE_HOLDS_OBJECT (node);
    case SETTING_FILE_TYPES:
    case SETTING_TEAM_RULES:
      return JSON_NODE_HOLDS_ARRAY (node);
    case SETTING_ASSISTANT:
      return JSON_NODE_HOLDS_OBJECT (node);
    default:
      return type == G_TYPE_STRING;
    }
}

static gboolean
valid_setting (const SettingSpec  *spec,
               JsonNode           *node,
               char              **message)
{
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  switch (spec->type)
    {
    case SETTING_STRING:
      if (type == G_TYPE_STRING && confab_utf8_length (json_node_get_string (node)) <= spec->max)
        return TRUE;
      *message = g_strdup_printf ("“%s” must be text of at most %" G_GINT64_FORMAT " characters", spec->key, spec->max);
      return FALSE;

    case SETTING_BOOL:
      if (type == G_TYPE_BOOLEAN)
        return TRUE;
      *message = g_strdup_printf ("“%s” must be true or false", spec->key);
      return FALSE;

    case SETTING_INT:
      if (type == G_TYPE_INT64 && json_node_get_int (node) >= 0 && json_node_get_int (node) <= spec->max)
        return TRUE;
      *message = g_strdup_printf ("“%s” must be a whole number from 0 to %" G_GINT64_FORMAT, spec->key, spec->max);
      return FALSE;

    case SETTING_CHOICE:
      if (type == G_TYPE_STRING)
        {
          g_autofree char *needle = g_strdup_printf ("|%s|", json_node_get_string (node));
          if (strstr (spec->choices, needle) != NULL && strlen (needle) > 2)
            return TRUE;
        }
      *message = g_strdup_printf ("“%s” must be one of %s", spec->key, spec->choices);
      return FALSE;

    case SETTING_COLOR:
      if (type == G_TYPE_STRING)
        {
          const char *color = json_node_get_string (node);
          gboolean ok = strlen (color) == 7 && color[0] == '#';

          for (int i = 1; ok && i < 7; i++)
            ok = g_ascii_isxdigit (color[i]);
          if (ok)
            return TRUE;
        }
      *message = g_strdup_printf ("“%s” must be a colour like #1a73e8", spec->key);
      return FALSE;

    case SETTING_STRINGS:
      if (JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) <= 50)
        {
          JsonArray *array = json_node_get_array (node);
          gboolean ok = TRUE;

          for (guint i = 0; ok && i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);
              ok = json_node_get_value_type (element) == G_TYPE_STRING &&
                   confab_utf8_length (json_node_get_string (element)) <= spec->max;
            }
          if (ok)
            return TRUE;
        }
      *message = g_strdup_printf ("“%s” must be a list of at most 50 URL patterns", spec->key);
      return FALSE;

    case SETTING_HOURS:
      return valid_working_hours (node, message);

    case SETTING_TEXT:
      return valid_text_setting (spec, node, message);

    case SETTING_FILE_TYPES:
      return valid_file_types (spec, node, message);

    case SETTING_TEAM_RULES:
      return valid_team_rules (spec, node, message);
    case SETTING_ASSISTANT:
      return confab_assistant_valid_settings (node, message);

    default:
      g_assert_not_reached ();
    }
}

/* Merges @changes into the site's settings: known keys only, null removes a key. */
static char *
merge_settings (Request          *request,
                const ConfabSite *site,
                JsonObject       *changes)
{
  g_autoptr (JsonObject) settings = NULL;
  g_autoptr (GList) keys = json_object_get_members (changes);

  settings = confab_json_parse_object (site->settings_json ? site->settings_json : "{}",
                                       strlen (site->settings_json ? site->settings_json : "{}"),
                                       G_MAXSIZE, 32, NULL);
  if (settings == NULL)
    settings = json_object_new ();

  for (GList *l = keys; l; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (changes, key);
      const SettingSpec *spec = NULL;
      g_autofree char *message = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (setting_specs); i++)
        if (strcmp (setting_specs[i].key, key) == 0)
          spec = &setting_specs[i];

      if (spec == NULL)
        {
          message = g_strdup_printf ("“%s” is not a widget setting", key);
          confab_http_error (request->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
          return NULL;
        }

      if (JSON_NODE_HOLDS_NULL (value))
        {
          json_object_remove_member (settings, key);
          continue;
        }

      if (!setting_has_type (spec, value))
        {
          message = g_strdup_printf ("“%s” has the wrong type", key);
          confab_http_error (request->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
          return NULL;
        }
      if (!valid_setting (spec, value, &message))
        {
          bad_value (request, message);
          return NULL;
        }
      json_object_set_member (settings, key, json_node_copy (value));
    }

  return confab_json_object_to_string (settings);
}

static void
site_patch (Request    *request,
            ConfabUser *user,
            ConfabSite *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) domains = NULL;
  g_autofree char *settings_json = NULL;
  JsonObject *settings = NULL;
  const char *name = NULL;
  gboolean enabled = TRUE;
  int enabled_change = -1;

  if (site->role < CONFAB_ROLE_ADMIN)
    return confab_http_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                              "Only the site's owner and admins can change it");

  if ((body = confab_http_read_object (request->relay, request->msg)) == NULL ||
      !read_site_name (request, body, FALSE, &name) ||
      !read_domains (request, body, FALSE, &domains))
    return;

  if (!confab_json_get_object (body, "settings", FALSE, &settings, &error))
    return confab_http_gerror (request->msg, error);
  if (json_object_has_member (body, "enabled"))
    {
      if (!confab_json_get_bool (body, "enabled", TRUE, TRUE, &enabled, &error))
        return confab_http_gerror (request->msg, error);
      enabled_change = enabled ? 1 : 0;
    }

  {
    g_autoptr (GList) keys = json_object_get_members (body);
    for (GList *l = keys; l; l = l->next)
      if (!g_strv_contains ((const char *[]) { "name", "domains", "settings", "enabled", NULL }, l->data))
        {
          g_autofree char *message = g_strdup_printf ("“%s” cannot be changed", (char *) l->data);
          return confab_http_error (request->msg, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
        }
  }

  if (settings != NULL && (settings_json = merge_settings (request, site, settings)) == NULL)
    return;

  updated = confab_store_update_site (request->relay->store, site->id, name,
                                      (const char * const *) domains, settings_json,
                                      enabled_change, &error);
  if (updated == NULL)
    return confab_http_gerror (request->msg, error);
  updated->role = site->role;
  /* the assistant turned on: its FAQs' and articles' vectors are made now */
  if (settings != NULL && json_object_has_member (settings, "assistant"))
    confab_assistant_knowledge_changed (request->relay->assistant, site->id);

  {
    g_autoptr (GList) keys = json_object_get_members (body);
    JsonArray *changed = json_array_new ();
    for (GList *l = keys; l; l = l->next)
      json_array_add_string_element (changed, l->data);
    json_object_set_array_member (detail, "changed", changed);
  }
  /* which settings, not their values: the log says who changed what, the site says how */
  if (json_object_has_member (body, "settings") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (body, "settings")))
    {
      g_autoptr (GList) keys = json_object_get_members (json_object_get_object_member (body, "settings"));
      JsonArray *names = json_array_new ();

      for (GList *l = keys; l; l = l->next)
        json_array_add_string_element (names, l->data);
      json_object_set_array_member (detail, "settings", names);
    }
  confab_audit (request->relay, request->msg, user, site->id, "site.updated", "site", site->id,
                updated->name, detail);
  confab_hub_site_changed (request->relay->hub, site->id);
  confab_hub_push_site (request->relay->hub, site->id);
  /* issue 18: assignment turned on may take the queue's heads */
  confab_hub_route_later (request->relay->hub, site->id);

  {
    g_autoptr (JsonObject) answer = confab_site_to_json (updated);
    confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
  }
}

/* ?label=: the conversations with that label of the site (a label of another site, or none,
 * has none) */
static GPtrArray *
labelled_conversations (Request                        *request,
                        ConfabSite                     *site,
                        const char                     *label_id,
                        const ConfabConversationStatus *status,
                        gint64                          before,
                        guint                           limit,
                        GError                        **error)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GPtrArray) conversations = NULL;

  ids = confab_store_list_labelled_conversations (request->relay->store, site->id, label_id, status,
                                                  before, limit, error);
  if (ids == NULL)
    return NULL;
  conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_conversation_free);
  for (guint i = 0; i < ids->len; i++)
    {
      ConfabConversation *conversation = confab_store_get_conversation (request->relay->store,
                                                                        g_ptr_array_index (ids, i),
                                                                        error);
      if (conversation == NULL)
        return NULL;
      g_ptr_array_add (conversations, conversation);
    }
  return g_steal_pointer (&conversations);
}

static void
site_conversations (Request    *request,
                    ConfabSite *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GError) error = NULL;
  ConfabConversationStatus status;
  const char *status_text = request->query ? g_hash_table_lookup (request->query, "status") : NULL;
  const char *before_text = request->query ? g_hash_table_lookup (request->query, "before") : NULL;
  const char *label_id = request->query ? g_hash_table_lookup (request->query, "label") : NULL;
  gint64 limit, before = 0;
  JsonArray *list;

  if (!method_is (request, "GET"))
    return method_not_allowed (request, "GET");

  if (status_text != NULL && *status_text != '\0' && !confab_status_from_string (status_text, &status))
    return bad_value (request, "“status” must be open, pending, resolved or closed");
  if (before_text != NULL && *before_text != '\0' && !confab_parse_time (before_text, &before))
    return bad_value (request, "“before” must be an RFC 3339 time, e.g. 2026-11-22T10:00:00Z");
  if (!query_int (request, "limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, &limit))
    return;

  if (label_id != NULL && *label_id != '\0')
    conversations = labelled_conversations (request, site, label_id,
                                            status_text && *status_text ? &status : NULL,
                                            before, (guint) limit, &error);
  else
    conversations = confab_store_list_conversations (request->relay->store, site->id,
                                                     status_text && *status_text ? &status : NULL,
                                                     before, (guint) limit, &error);
  if (conversations == NULL)
    return confab_http_gerror (request->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < conversations->len; i++)
    json_array_add_object_element (list, confab_conversation_to_json (request->relay->store,
                                                                      g_ptr_array_index (conversations, i),
                                                                      CONFAB_AUDIENCE_AGENT));
  json_object_set_array_member (answer, "conversations", list);
  confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
}

static void
handle_site (Request     *request,
             ConfabUser  *user,
             char       **segments)
{
  g_autoptr (ConfabSite) site = confab_store_get_site (request->relay->store, segments[0], NULL);

  /* unknown and foreign sites look the same */
  if (site == NULL ||
      (site->role = confab_store_get_role (request->relay->store, site->id, user->id)) == CONFAB_ROLE_NONE)
    return not_found (request);

  if (segments[1] == NULL)
    {
      if (method_is (request, "PATCH"))
        return site_patch (request, user, site);
      if (method_is (request, "GET"))
        {
          g_autoptr (JsonObject) answer = confab_site_to_json (site);

          confab_site_set_max_chats (request->relay->store, answer, site->id, user->id);
          return confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
        }
      if (method_is (request, "DELETE"))
        {
          ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
          return confab_api_site_delete (&call, site);
        }
      return method_not_allowed (request, "GET, PATCH, DELETE");
    }

  if (strcmp (segments[1], "key") == 0)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_site_key (&call, site, segments + 2);
    }

  if (strcmp (segments[1], "conversations") == 0 && segments[2] == NULL)
    return site_conversations (request, site);

  /* Messenger and WhatsApp (confab-api-channels.c) */
  if (strcmp (segments[1], "channels") == 0 && confab_api_channels_handles (segments[2]))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_site_channel (&call, site, segments[2], segments + 3);
    }

  /* issue 18: teams (confab-api-routing.c) */
  if (strcmp (segments[1], "teams") == 0)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_site_teams (&call, site, segments + 2);
    }

  if (strcmp (segments[1], "labels") == 0)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_site_labels (&call, site, segments + 2);
    }

  if (confab_api_keys_is_site_resource (segments[1]))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_keys_site_resource (&call, site, segments + 1);
    }

  if (confab_api_admin_is_site_resource (segments[1]))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_admin_site_resource (&call, site, segments + 1);
    }

  not_found (request);
}

/* --- conversations --- */

static void conversation_read (Request             *request,
                               ConfabConversation  *conversation,
                               char               **segments);

void
confab_api_answer_site_conversations (ConfabApiCall *call,
                                      ConfabSite    *site)
{
  Request request = { call->relay, call->msg, call->query, call->method };

  site_conversations (&request, site);
}

void
confab_api_answer_conversation (ConfabApiCall       *call,
                                ConfabConversation  *conversation,
                                char               **rest)
{
  Request request = { call->relay, call->msg, call->query, call->method };

  conversation_read (&request, conversation, rest);
}

static void
handle_conversation (Request     *request,
                     ConfabUser  *user,
                     char       **segments)
{
  ConfabStore *store = request->relay->store;
  g_autoptr (ConfabConversation) conversation = confab_store_get_conversation (store, segments[0], NULL);

  if (conversation == NULL ||
      confab_store_get_role (store, conversation->site_id, user->id) == CONFAB_ROLE_NONE)
    return not_found (request);

  /* agent assist (confab-api-assistant.c) */
  if (segments[1] != NULL && confab_api_assistant_is_conversation_resource (segments[1]) &&
      segments[2] == NULL)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_assistant_conversation_resource (&call, conversation, segments[1]);
    }

  /* notes, labels (confab-api-chat.c) */
  if (segments[1] != NULL && confab_api_chat_is_conversation_resource (segments[1]) &&
      segments[2] == NULL)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_chat_conversation_resource (&call, conversation, segments[1]);
    }

  /* issue 18: transfer to a team or an agent (confab-api-routing.c) */
  if (g_strcmp0 (segments[1], "transfer") == 0 && segments[2] == NULL)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_conversation_transfer (&call, conversation);
    }

  /* an agent's message a channel did not take, sent again (confab-api-retry.c) */
  if (segments[1] != NULL && confab_api_is_message_retry (segments + 1))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_message_retry (&call, conversation, segments[2]);
    }

  /* an agent's message over REST (confab-api-keys.c) */
  if (g_strcmp0 (segments[1], "messages") == 0 && segments[2] == NULL && method_is (request, "POST"))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_post_message (&call, conversation);
    }

  if (!method_is (request, "GET"))
    return method_not_allowed (request, g_strcmp0 (segments[1], "messages") == 0 && segments[2] == NULL
                                        ? "GET, POST" : "GET");

  if (segments[1] != NULL && strcmp (segments[1], "timeline") == 0 && segments[2] == NULL)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_conversation_timeline (&call, conversation);
    }

  conversation_read (request, conversation, segments + 1);
}

/* GET /conversations/{id} and /conversations/{id}/messages, the caller allowed to read it. */
static void
conversation_read (Request             *request,
                   ConfabConversation  *conversation,
                   char               **segments)
{
  ConfabStore *store = request->relay->store;
  g_autoptr (GError) error = NULL;

  if (segments[0] == NULL)
    {
      g_autoptr (JsonObject) answer = confab_conversation_to_json (store, conversation, CONFAB_AUDIENCE_AGENT);
      g_autoptr (ConfabVisitor) visitor = confab_store_get_visitor (store, conversation->visitor_id, NULL);

      if (visitor != NULL)
        json_object_set_object_member (answer, "visitor",
                                       confab_visitor_to_json (store, visitor,
                                                               confab_hub_visitor_online (request->relay->hub,
                                                                                          visitor->id),
                                                               10));
      return confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
    }

  if (strcmp (segments[0], "messages") == 0 && segments[1] == NULL)
    {
      g_autoptr (JsonObject) answer = json_object_new ();
      g_autoptr (GPtrArray) messages = NULL;
      gint64 after_seq, limit;
      JsonArray *list;

      if (!query_int (request, "after_seq", 0, G_MAXINT64, 0, &after_seq) ||
          !query_int (request, "limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE * 2, &limit))
        return;

      messages = confab_store_list_messages (store, conversation->id, after_seq, (guint) limit, &error);
      if (messages == NULL)
        return confab_http_gerror (request->msg, error);

      list = json_array_new ();
      for (guint i = 0; i < messages->len; i++)
        {
          ConfabMessage *message = g_ptr_array_index (messages, i);
          JsonObject *object = confab_message_to_json (message, CONFAB_AUDIENCE_AGENT);

          json_object_set_int_member (object, "cursor", message->cursor);
          json_array_add_object_element (list, object);
        }
      json_object_set_array_member (answer, "messages", list);
      return confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
    }

  not_found (request);
}

/* --- visitors --- */

/* GET /api/v1/visitors/{id}: the agent's view of a visitor and the conversations of the person
 * (every visitor linked with this one), newest first, for the visitor pane's history. */
static void
handle_visitor (Request     *request,
                ConfabUser  *user,
                char       **segments)
{
  ConfabStore *store = request->relay->store;
  g_autoptr (ConfabVisitor) visitor = confab_store_get_visitor (store, segments[0], NULL);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  /* a deleted visitor's block stays until it is lifted (confab-api-data.c) */
  if (visitor == NULL && g_strcmp0 (segments[1], "block") == 0 && segments[2] == NULL)
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_unblock_deleted (&call, segments[0]);
    }

  /* unknown and foreign visitors look the same */
  if (visitor == NULL ||
      confab_store_get_role (store, visitor->site_id, user->id) == CONFAB_ROLE_NONE)
    return not_found (request);

  /* export, delete, block (confab-api-data.c) */
  if (segments[1] != NULL || method_is (request, "DELETE"))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_visitor_data (&call, visitor, segments + 1);
    }

  if (method_is (request, "PATCH"))
    {
      ConfabApiCall call = { request->relay, request->msg, request->query, request->method, user };
      return confab_api_visitor_patch (&call, visitor);
    }
  if (!method_is (request, "GET"))
    return method_not_allowed (request, "GET, PATCH, DELETE");

  conversations = confab_store_list_visitor_conversations (store, visitor->id, MAX_PAGE_SIZE, &error);
  if (conversations == NULL)
    return confab_http_gerror (request->msg, error);

  answer = confab_visitor_to_json (store, visitor,
                                   confab_hub_visitor_online (request->relay->hub, visitor->id), 10);
  json_object_set_string_member (answer, "site_id", visitor->site_id);
  list = json_array_new ();
  /* The whole conversation object (id, status, created_at, last_message_at, assignee...) */
  for (guint i = 0; i < conversations->len; i++)
    json_array_add_object_element (list, confab_conversation_to_json (store,
                                                                      g_ptr_array_index (conversations, i),
                                                                      CONFAB_AUDIENCE_AGENT));
  json_object_set_array_member (answer, "conversations", list);
  confab_http_json_object (request->msg, SOUP_STATUS_OK, answer);
}

/* --- widget config: public, CORS, cached --- */

static void
widget_config (Request *request)
{
  ConfabRelay *relay = request->relay;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (request->msg);
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (request->msg);
  const char *site_key = request->query ? g_hash_table_lookup (request->query, "site_key") : NULL;
  const char *if_none_match = soup_message_headers_get_one (request_headers, "If-None-Match");
  const char *origin = soup_message_headers_get_one (request_headers, "Origin");
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) full = NULL;
  g_autofree char *text = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *digest = NULL;

  /* Any page may ask: the answer holds only public settings. */
  soup_message_headers_replace (response_headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (response_headers, "Vary", "Origin");

  if (method_is (request, "OPTIONS"))
    {
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Methods", "GET");
      soup_message_headers_replace (response_headers, "Access-Control-Allow-Headers", "If-None-Match");
      soup_message_headers_replace (response_headers, "Access-Control-Max-Age", "86400");
      soup_server_message_set_status (request->msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if (!method_is (request, "GET"))
    return method_not_allowed (request, "GET, OPTIONS");

  if (site_key != NULL)
    site = confab_store_get_site_by_key (relay->store, site_key, NULL);
  if (site == NULL || !site->enabled)
    return confab_http_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown_site",
                              "No chat is enabled for this site key");
  /* A page the site does not list would get its bubble, then a refused socket: it gets no
   * bubble. Without an Origin (the relay's own pages, tools) the public settings are no secret. */
  if (origin != NULL && !confab_hub_origin_allowed (site, origin))
    return confab_http_error (request->msg, SOUP_STATUS_FORBIDDEN, "origin_not_allowed",
                              "This page's origin is not among the site's allowed domains");

  full = confab_site_to_json (site);
  answer = json_object_new ();
  json_object_set_string_member (answer, "site_key", site->site_key);
  json_object_set_string_member (answer, "name", site->name);
  {
    /* the bot's tuning and how the team works are the relay's business, not any page's */
    JsonObject *settings = json_node_get_object (json_object_get_member (full, "settings"));
    JsonObject *public = json_object_new ();
    g_autoptr (GList) keys = json_object_get_members (settings);

    for (GList *l = keys; l; l = l->next)
      if (!g_str_has_prefix (l->data, "faq_") && strcmp (l->data, "assign_on_reply") != 0 &&
          !g_str_has_suffix (l->data, "_response_seconds") &&
          strcmp (l->data, "assignment") != 0 && strcmp (l->data, "reassign_after_seconds") != 0 &&
          strcmp (l->data, "team_rules") != 0 &&
          strcmp (l->data, "assistant") != 0)
        json_object_set_member (public, l->data, json_node_copy (json_object_get_member (settings, l->data)));
    json_object_set_object_member (answer, "settings", public);
    /* issue 18: the pre-chat form's team choice */
    if (json_object_get_boolean_member_with_default (settings, "prechat_team", FALSE))
      {
        g_autoptr (GPtrArray) teams = confab_store_list_teams (relay->store, site->id, NULL);
        JsonArray *list = json_array_new ();

        for (guint i = 0; teams != NULL && i < teams->len; i++)
          {
            ConfabTeam *team = g_ptr_array_index (teams, i);
            JsonObject *entry = json_object_new ();

            json_object_set_string_member (entry, "key", team->key);
            json_object_set_string_member (entry, "name", team->name);
            json_array_add_object_element (list, entry);
          }
        json_object_set_array_member (answer, "teams", list);
      }
  }
  /* the assistant's tone and instructions are the team's: the widget gets its name */
  json_object_set_object_member (answer, "assistant", confab_assistant_widget_config (relay->assistant, site));
  /* who answers, how soon, when they are back: the widget's header */
  json_object_set_object_member (answer, "team", confab_widget_team (relay, site));
  {
    /* the widget's Help tab: only when there is something to find */
    g_autoptr (GError) help_error = NULL;
    gboolean help = FALSE;

    /* a store without the knowledge base yet (PostgreSQL) has no Help tab */
    if (!confab_store_has_published_articles (relay->store, site->id, &help, &help_error))
      g_debug ("No Help tab: %s", help_error->message);
    json_object_set_boolean_member (answer, "help", help);
  }
  /* issue 15: whether the widget may offer to mail the conversation */
  json_object_set_boolean_member (answer, "email_transcript", confab_mailer_is_enabled (relay->mailer));
  /* proactive triggers: the enabled ones' id and conditions, which the widget evaluates */
  json_object_set_array_member (answer, "triggers", confab_engage_widget_triggers (relay->store, site->id));
  text = confab_json_object_to_string (answer);

  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  etag = g_strdup_printf ("\"%.32s\"", digest);
  soup_message_headers_replace (response_headers, "ETag", etag);
  soup_message_headers_replace (response_headers, "Cache-Control", "public, max-age=60, stale-while-revalidate=600");

  if (if_none_match != NULL && strstr (if_none_match, etag) != NULL)
    {
      soup_server_message_set_status (request->msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (request->msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_COPY, text, strlen (text));
}

/* --- dispatch --- */

static void
handle_api (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Request request = { user_data, msg, query, soup_server_message_get_method (msg) };
  g_auto (GStrv) segments = confab_http_path_segments (path, "/api/v1");
  g_autoptr (ConfabUser) user = NULL;
  g_autofree char *token_hash = NULL;

  if (segments == NULL || segments[0] == NULL)
    return not_found (&request);

  confab_hub_sync (request.relay->hub);

  if (strcmp (segments[0], "widget") == 0 && g_strcmp0 (segments[1], "config") == 0 && segments[2] == NULL)
    return widget_config (&request);
  if (strcmp (segments[0], "widget") == 0 && g_strcmp0 (segments[1], "articles") == 0 && segments[2] == NULL)
    return confab_api_widget_articles (request.relay, msg, query);

  if (strcmp (segments[0], "widget") == 0 && g_strcmp0 (segments[1], "transcript") == 0 && segments[2] == NULL)
    return confab_api_widget_transcript (request.relay, msg);

  if (strcmp (segments[0], "auth") == 0 && g_strcmp0 (segments[1], "login") == 0 && segments[2] == NULL)
    return auth_login (&request);

  /* agents' pictures: public, the widget shows them */
  if (strcmp (segments[0], "avatars") == 0 && segments[1] != NULL && *segments[1] != '\0' &&
      segments[2] == NULL)
    return confab_api_avatar (request.relay, msg, segments[1]);

  if (strcmp (segments[0], "auth") == 0 && g_strcmp0 (segments[1], "setup") == 0 && segments[2] == NULL)
    return confab_api_auth_setup (request.relay, msg);

  if (strcmp (segments[0], "auth") == 0 && g_strcmp0 (segments[1], "logout") == 0 && segments[2] == NULL)
    return auth_logout (&request);

  /* a site's API key: only what its scopes allow (confab-api-keys.c) */
  if (confab_api_keys_is_key_request (msg))
    return confab_api_keys_request (request.relay, msg, query, segments);

  /* everything below needs a signed-in agent */
  if ((user = confab_http_authenticate (request.relay, msg, &token_hash)) == NULL)
    return;

  if (strcmp (segments[0], "me") == 0 && segments[1] == NULL)
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };

      if (method_is (&request, "PATCH"))
        return confab_api_me_patch (&call);
      if (!method_is (&request, "GET"))
        return method_not_allowed (&request, "GET, PATCH");
      return me (&request, user);
    }

  if (strcmp (segments[0], "me") == 0 && g_strcmp0 (segments[1], "avatar") == 0 && segments[2] == NULL)
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_me_avatar (&call);
    }

  if (strcmp (segments[0], "me") == 0 && g_strcmp0 (segments[1], "password") == 0 && segments[2] == NULL)
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_me_password (&call, token_hash);
    }

  if (strcmp (segments[0], "sites") == 0 && segments[1] == NULL)
    {
      if (method_is (&request, "GET"))
        return sites_list (&request, user);
      if (method_is (&request, "POST"))
        return sites_create (&request, user);
      return method_not_allowed (&request, "GET, POST");
    }

  /* before handle_site: "all" is no site id */
  if (strcmp (segments[0], "sites") == 0 && *segments[1] != '\0' &&
      confab_api_analytics_is_resource (segments[2]))
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_analytics (&call, segments[1], segments[2], segments + 3);
    }

  if (strcmp (segments[0], "sites") == 0 && *segments[1] != '\0')
    return handle_site (&request, user, segments + 1);

  if (strcmp (segments[0], "conversations") == 0 && segments[1] != NULL && *segments[1] != '\0')
    return handle_conversation (&request, user, segments + 1);

  if (confab_api_admin_is_resource (segments[0]))
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_admin_resource (&call, segments);
    }

  if (strcmp (segments[0], "visitors") == 0 && segments[1] != NULL && *segments[1] != '\0')
    return handle_visitor (&request, user, segments + 1);

  if (confab_api_keys_is_resource (segments[0]) && segments[1] != NULL && *segments[1] != '\0')
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_keys_resource (&call, segments);
    }

  if (strcmp (segments[0], "teams") == 0 && segments[1] != NULL && *segments[1] != '\0')
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_team (&call, segments[1], segments + 2);
    }

  if (strcmp (segments[0], "labels") == 0 && segments[1] != NULL && *segments[1] != '\0')
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_label (&call, segments[1], segments + 2);
    }

  if (strcmp (segments[0], "search") == 0 && segments[1] == NULL)
    {
      ConfabApiCall call = { request.relay, msg, query, request.method, user };
      return confab_api_search (&call);
    }

  not_found (&request);
}

void
confab_api_register (ConfabRelay *relay)
{
  soup_server_add_handler (relay->server, "/api/v1", handle_api, relay, NULL);
  confab_api_sites_resume_removals (relay);
}
