/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-roles.c: who may do what — every REST endpoint (method and path template) by every
 * role, against a real relay, as one table to check against docs/protocol-extensions.md
 * ("Roles"), and the agent frames on a conversation by an agent of the site and of another.
 *
 * Roles: the site's owner, an admin, an agent, the owner of another site ("other": a member of
 * no role here) and no token at all. Expected: the status class — 2xx (allowed), 401, 403, 404.
 * A refusal must change nothing, so each row runs the refused roles first, and every template
 * marked "fresh" gets a new object for each role (a deleted FAQ is not deleted twice). */

#include "relay-harness.h"

#include <string.h>

#define PASSWORD "a long password 1"

enum { OWNER, ADMIN, AGENT, OTHER, NONE, N_ROLES };

static const char * const role_names[N_ROLES] = { "owner", "admin", "agent", "other", "no token" };

#define OK 200   /* any 2xx */

typedef struct {
  const char *method;
  const char *path;      /* {site} {key} {conversation} {visitor} {upload} {offline}; fresh: {faq} {canned} {label} {team}
                          * {article} {agent} {apikey} {webhook} {trigger}
                          * {owner} (a new member of that role) {new} (a new address) {n}
                          * {newsite} (a new site of the owner, with the admin and the agent)
                          * {fvisitor} (a new visitor, from an address of its own) {bvisitor} (the
                          * same, blocked) */
  const char *body;      /* {password}: the caller's own */
  guint       expected[N_ROLES];
} RoleRow;

/*                                                                    owner admin agent other none */
static const RoleRow table[] = {
  /* oneself */
  { "GET",    "/api/v1/me", NULL,                                     { OK,  OK,  OK,  OK,  401 } },
  { "PATCH",  "/api/v1/me", "{'name':'Renamed'}",                     { OK,  OK,  OK,  OK,  401 } },
  { "POST",   "/api/v1/me/password",
    "{'current_password':'{password}','new_password':'{password}'}",  { OK,  OK,  OK,  OK,  401 } },
  /* sites */
  { "GET",    "/api/v1/sites", NULL,                                  { OK,  OK,  OK,  OK,  401 } },
  { "POST",   "/api/v1/sites", "{'name':'Another'}",                  { OK,  OK,  OK,  OK,  401 } },
  { "GET",    "/api/v1/sites/{site}", NULL,                           { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/sites/{site}", "{'name':'Site a'}",            { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{newsite}/key", NULL,                   { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/sites/{newsite}", NULL,                        { OK,  403, 403, 404, 401 } },
  { "GET",    "/api/v1/widget/config?site_key={key}", NULL,           { OK,  OK,  OK,  OK,  OK  } },
  /* conversations and visitors: every member */
  { "GET",    "/api/v1/sites/{site}/conversations", NULL,             { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/conversations/{conversation}", NULL,           { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/conversations/{conversation}/messages", NULL,  { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/visitors/{visitor}", NULL,                     { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/uploads/{upload}", NULL,                       { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/uploads/{upload}/thumb", NULL,                 { OK,  OK,  OK,  404, 401 } },
  /* analytics: every member reads the site's figures (an agent only their own row of agents) */
  { "GET",    "/api/v1/sites/{site}/analytics", NULL,                 { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/sites/{site}/analytics.csv?kind=daily", NULL,  { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/sites/all/analytics", NULL,                    { OK,  OK,  OK,  OK,  401 } },
  /* FAQs and canned responses: agents read them (they answer with them), admins write */
  { "GET",    "/api/v1/sites/{site}/faqs", NULL,                      { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/faqs", "{'question':'Q?','answer':'A.'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/faqs/{faq}", NULL,                             { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/faqs/{faq}", "{'answer':'B.'}",                { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/faqs/{faq}", NULL,                             { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/canned", NULL,                    { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/canned", "{'shortcut':'x{n}','body':'Hello'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/canned/{canned}", NULL,                        { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/canned/{canned}", "{'body':'Hi'}",             { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/canned/{canned}", NULL,                        { OK,  OK,  403, 404, 401 } },
  /* the knowledge base (issue 16): agents read it, admins write; its search is the widget's */
  { "GET",    "/api/v1/sites/{site}/articles", NULL,                  { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/sites/{site}/articles?q=return", NULL,         { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/articles", "{'title':'Roles {n}'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/articles/{article}", NULL,                     { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/articles/{article}", "{'body':'B.'}",          { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/articles/{article}", NULL,                     { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/widget/articles?site_key={key}&q=return", NULL, { OK,  OK,  OK,  OK,  OK  } },
  /* teams (issue 18): every member reads them, admins manage them; any member transfers */
  { "GET",    "/api/v1/sites/{site}/teams", NULL,                     { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/teams", "{'name':'Team {n}'}",    { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/teams/{team}", NULL,                           { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/teams/{team}", "{'assignment':'off'}",         { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/teams/{team}", NULL,                           { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/conversations/{conversation}/transfer", "{'to_agent_id':'{agent}'}",
                                                                      { OK,  OK,  OK,  404, 401 } },
  /* proactive triggers (issue 16): agents read them, admins write */
  { "GET",    "/api/v1/sites/{site}/triggers", NULL,                  { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/triggers",
    "{'name':'T{n}','conditions':{},'message':'Hi','sender':{'type':'assistant'}}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/triggers/{trigger}", NULL,                     { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/triggers/{trigger}", "{'enabled':false}",      { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/triggers/{trigger}", NULL,                     { OK,  OK,  403, 404, 401 } },
  /* labels: admins manage them, every member puts them on conversations; notes; search */
  { "GET",    "/api/v1/sites/{site}/labels", NULL,                    { OK,  OK,  OK,  404, 401 } },
  { "POST",   "/api/v1/sites/{site}/labels", "{'name':'x{n}','color':'#112233'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/labels/{label}", NULL,                         { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/labels/{label}", "{'color':'#445566'}",        { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/labels/{label}", NULL,                         { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/conversations/{conversation}/labels", NULL,    { OK,  OK,  OK,  404, 401 } },
  { "PUT",    "/api/v1/conversations/{conversation}/labels", "{'label_ids':[]}",
                                                                      { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/conversations/{conversation}/notes", NULL,     { OK,  OK,  OK,  404, 401 } },
  /* agent assist (issue 16): every member; this relay has no [assistant] url, hence 503 */
  { "POST",   "/api/v1/conversations/{conversation}/suggest-reply", NULL, { 503, 503, 503, 404, 401 } },
  { "POST",   "/api/v1/conversations/{conversation}/summary", NULL,   { 503, 503, 503, 404, 401 } },
  { "GET",    "/api/v1/search?q=hello", NULL,                         { OK,  OK,  OK,  OK,  401 } },
  /* Messenger and WhatsApp (issue 15): owners and admins connect them; Meta calls the webhooks
   * (public: a wrong verify token is 403, an unsigned delivery 401, whoever sends it) */
  { "GET",    "/api/v1/sites/{site}/channels/messenger", NULL,        { OK,  OK,  403, 404, 401 } },
  { "PUT",    "/api/v1/sites/{site}/channels/messenger",
    "{'page_id':'123','page_access_token':'t','app_secret':'s','verify_token':'v'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/webhooks/messenger/{site}?hub.mode=subscribe&hub.verify_token=w&hub.challenge=1",
    NULL,                                                             { 403, 403, 403, 403, 403 } },
  { "POST",   "/webhooks/messenger/{site}", "{'object':'page','entry':[]}",
                                                                      { 401, 401, 401, 401, 401 } },
  { "DELETE", "/api/v1/sites/{site}/channels/messenger", NULL,        { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/channels/whatsapp", NULL,         { OK,  OK,  403, 404, 401 } },
  { "PUT",    "/api/v1/sites/{site}/channels/whatsapp",
    "{'phone_number_id':'123','access_token':'t','app_secret':'s','verify_token':'v'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/webhooks/whatsapp/{site}?hub.mode=subscribe&hub.verify_token=w&hub.challenge=1",
    NULL,                                                             { 403, 403, 403, 403, 403 } },
  { "POST",   "/webhooks/whatsapp/{site}", "{'object':'whatsapp_business_account','entry':[]}",
                                                                      { 401, 401, 401, 401, 401 } },
  { "DELETE", "/api/v1/sites/{site}/channels/whatsapp", NULL,         { OK,  OK,  403, 404, 401 } },
  /* avatars: one's own; anyone reads them (none here: 404 for all, never 401) */
  { "DELETE", "/api/v1/me/avatar", NULL,                              { OK,  OK,  OK,  OK,  401 } },
  { "GET",    "/api/v1/avatars/usr_none", NULL,                       { 404, 404, 404, 404, 404 } },
  /* the team: admins, and only owners touch owners */
  { "GET",    "/api/v1/sites/{site}/members", NULL,                   { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/members", "{'email':'{new}','role':'agent'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/members", "{'email':'{new}','role':'owner'}",
                                                                      { OK,  403, 403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/members/{agent}", NULL,           { OK,  OK,  403, 404, 401 } },
  { "PATCH",  "/api/v1/sites/{site}/members/{agent}", "{'role':'admin'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "PATCH",  "/api/v1/sites/{site}/members/{owner}", "{'role':'admin'}",
                                                                      { OK,  403, 403, 404, 401 } },
  { "DELETE", "/api/v1/sites/{site}/members/{agent}", NULL,           { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/sites/{site}/members/{owner}", NULL,           { OK,  403, 403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/members/{agent}/reset", NULL,     { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/members/{owner}/reset", NULL,     { OK,  403, 403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/invitations", NULL,               { OK,  OK,  403, 404, 401 } },
  /* visitor data (issue 10): members search, admins export, delete and block */
  { "GET",    "/api/v1/sites/{site}/visitors?q=a", NULL,              { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/sites/{site}/visitors?sort=lead_score", NULL,  { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/visitors/{visitor}", "{'tags':['vip'],'phone':'+1 555'}",
                                                                      { OK,  OK,  OK,  404, 401 } },
  { "GET",    "/api/v1/sites/{site}/audit", NULL,                     { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/blocks", NULL,                    { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/visitors/{visitor}/export", NULL,              { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/visitors/{fvisitor}/block", "{'reason':'Spam'}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/visitors/{bvisitor}/block", NULL,              { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/visitors/{fvisitor}", NULL,                    { OK,  OK,  403, 404, 401 } },
  /* issue 15: API keys and webhooks are the admins'; members post and name visitors over REST */
  { "GET",    "/api/v1/sites/{site}/api-keys", NULL,                  { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/api-keys", "{'name':'K{n}','scopes':['conversations:read']}",
                                                                      { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/api-keys/{apikey}", NULL,                      { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/sites/{site}/webhooks", NULL,                  { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/sites/{site}/webhooks",
    "{'url':'http://127.0.0.1:9/hook','events':['rating.created']}", { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/webhooks/{webhook}", NULL,                     { OK,  OK,  403, 404, 401 } },
  { "PATCH",  "/api/v1/webhooks/{webhook}", "{'enabled':false}",      { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/webhooks/{webhook}", NULL,                     { OK,  OK,  403, 404, 401 } },
  { "GET",    "/api/v1/webhooks/{webhook}/deliveries", NULL,          { OK,  OK,  403, 404, 401 } },
  { "POST",   "/api/v1/conversations/{conversation}/messages", "{'body':'Hi there'}",
                                                                      { OK,  OK,  OK,  404, 401 } },
  /* any member sends a failed channel message again; the visitor's first message has no
   * delivery state: 400 not_channel_message past the role check */
  { "POST",   "/api/v1/conversations/{conversation}/messages/1/retry", NULL,
                                                                      { 400, 400, 400, 404, 401 } },
  { "PATCH",  "/api/v1/visitors/{visitor}", "{'name':'Visitor'}",     { OK,  OK,  OK,  404, 401 } },
  /* e-mail (issue 15): members answer offline messages by mail, admins connect the mailbox */
  { "POST",   "/api/v1/offline-messages/{offline}/reply", "{'body':'We ship there'}",
                                                                      { OK,  OK,  OK,  404, 401 } },
  { "PATCH",  "/api/v1/me", "{'email_notifications':false}",          { OK,  OK,  OK,  OK,  401 } },
  { "GET",    "/api/v1/sites/{site}/channels/email", NULL,            { OK,  OK,  403, 404, 401 } },
  { "PUT",    "/api/v1/sites/{site}/channels/email",
    "{'address':'help@a.test','imap_url':'imaps://mail.a.test/INBOX','imap_user':'help',"
    "'imap_password':'secret','poll_seconds':60}",                    { OK,  OK,  403, 404, 401 } },
  { "DELETE", "/api/v1/sites/{site}/channels/email", NULL,            { OK,  OK,  403, 404, 401 } },
};

typedef struct {
  TestWorld  *world;
  char       *token[N_ROLES];
  const char *password[N_ROLES];
  char       *conversation_id;
  char       *upload_id;
  char       *offline_id;
  guint       serial;
} Roles;

/* A value the owner makes new for each call: an object the call may change or delete. */
static char *
fresh (Roles      *roles,
       const char *what)
{
  TestWorld *world = roles->world;
  g_autofree char *email = g_strdup_printf ("fresh%u@a.test", ++roles->serial);
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TestResponse) response = NULL;

  if (strcmp (what, "new") == 0)
    return g_steal_pointer (&email);

  if (strcmp (what, "newsite") == 0)
    {
      g_autofree char *site_id = NULL;

      body = test_json ("{'name':'Fresh %u'}", roles->serial);
      response = test_http (world->relay, "POST", "/api/v1/sites", world->token, body, NULL);
      test_assert_http_status (response, 201);
      site_id = g_strdup (test_obj_string (test_response_object (response), "id"));
      path = g_strdup_printf ("/api/v1/sites/%s/members", site_id);
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *member = test_json ("{'email':'%s@a.test','role':'%s'}",
                                               i == 0 ? "admin" : "agent", i == 0 ? "admin" : "agent");
          g_autoptr(TestResponse) added = test_http (world->relay, "POST", path, world->token, member, NULL);

          test_assert_http_status (added, 201);
        }
      return g_steal_pointer (&site_id);
    }

  if (strcmp (what, "fvisitor") == 0 || strcmp (what, "bvisitor") == 0)
    {
      /* each from an address of its own: a block is by address too */
      g_autofree char *address = g_strdup_printf ("203.0.113.%u", roles->serial % 250 + 1);
      const char *headers[] = { "X-Forwarded-For", address, NULL };
      TestWs *ws = test_ws_try_widget_with_headers (world->relay, world->site_key, headers, NULL);
      g_autoptr(JsonObject) welcome = NULL;
      char *id;

      g_assert_nonnull (ws);
      welcome = test_visitor_hello (ws, NULL, NULL, "https://a.test/");
      id = g_strdup (test_obj_string (welcome, "visitor_id"));
      test_ws_free (ws);
      if (strcmp (what, "bvisitor") == 0)
        {
          path = g_strdup_printf ("/api/v1/visitors/%s/block", id);
          response = test_http (world->relay, "POST", path, world->token, "{}", NULL);
          test_assert_http_status (response, 200);
        }
      return id;
    }

  if (strcmp (what, "faq") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
      body = test_json ("{'question':'Question %u?','answer':'Answer.'}", roles->serial);
    }
  else if (strcmp (what, "article") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
      body = test_json ("{'title':'Article %u'}", roles->serial);
    }
  else if (strcmp (what, "canned") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/canned", world->site_id);
      body = test_json ("{'shortcut':'s%u','body':'Text'}", roles->serial);
    }
  else if (strcmp (what, "apikey") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/api-keys", world->site_id);
      body = test_json ("{'name':'Key %u','scopes':['conversations:read']}", roles->serial);
    }
  else if (strcmp (what, "webhook") == 0)
    {
      /* never fires: no rating comes */
      path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
      body = test_json ("{'url':'http://127.0.0.1:9/hook%u','events':['rating.created']}", roles->serial);
    }
  else if (strcmp (what, "team") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/teams", world->site_id);
      body = test_json ("{'name':'Fresh team %u'}", roles->serial);
    }
  else if (strcmp (what, "trigger") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/triggers", world->site_id);
      body = test_json ("{'name':'Trigger %u','conditions':{},'message':'Hi',"
                        "'sender':{'type':'assistant'}}", roles->serial);
    }
  else if (strcmp (what, "label") == 0)
    {
      path = g_strdup_printf ("/api/v1/sites/%s/labels", world->site_id);
      body = test_json ("{'name':'Label %u','color':'#123456'}", roles->serial);
    }
  else
    {
      /* a member: an invited account, the quickest to make */
      path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
      body = test_json ("{'email':'%s','role':'%s'}", email, what);
    }

  response = test_http (world->relay, "POST", path, world->token, body, NULL);
  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (test_response_object (response), "id"));
}

static char *
expand (Roles      *roles,
        const char *template,
        int         role)
{
  static const char * const fresh_names[] = { "faq", "canned", "agent", "owner", "new", "newsite",
                                              "fvisitor", "bvisitor", "label", "apikey", "webhook",
                                              "article", "team", "trigger" };
  GString *out = g_string_new (NULL);
  const char *p = template;

  while (*p != '\0')
    {
      const char *close;
      g_autofree char *name = NULL;

      if (*p != '{' || (close = strchr (p, '}')) == NULL || close - p > 20 || close == p + 1 ||
          strchr ("abcdefghijklmnopqrstuvwxyz", p[1]) == NULL)
        {
          g_string_append_c (out, *p == '\'' ? '"' : *p);
          p++;
          continue;
        }

      name = g_strndup (p + 1, close - p - 1);
      if (strcmp (name, "site") == 0)
        g_string_append (out, roles->world->site_id);
      else if (strcmp (name, "key") == 0)
        g_string_append (out, roles->world->site_key);
      else if (strcmp (name, "conversation") == 0)
        g_string_append (out, roles->conversation_id);
      else if (strcmp (name, "upload") == 0)
        g_string_append (out, roles->upload_id);
      else if (strcmp (name, "offline") == 0)
        g_string_append (out, roles->offline_id);
      else if (strcmp (name, "visitor") == 0)
        g_string_append (out, roles->world->visitor_id);
      else if (strcmp (name, "n") == 0)
        g_string_append_printf (out, "%u", ++roles->serial);
      else if (strcmp (name, "password") == 0)
        g_string_append (out, roles->password[role] ? roles->password[role] : PASSWORD);
      else if (g_strv_contains (fresh_names, name))
        {
          g_autofree char *value = fresh (roles, name);
          g_string_append (out, value);
        }
      else
        g_error ("unknown placeholder {%s} in %s", name, template);
      p = close + 1;
    }
  return g_string_free (out, FALSE);
}

static guint
status_class (guint status)
{
  return status >= 200 && status < 300 ? OK : status;
}

static void
test_roles_table (void)
{
  /* trusted: the fresh visitors each come from an address of their own */
  /* mail to a port where nobody listens: replies are queued, never sent */
  g_autoptr(TestWorld) world = test_world_new ("[relay]\ntrusted-proxies=127.0.0.1\n"
                                               "[webhooks]\nallow-private=true\n"
                                               "[email]\nsmtp-server=127.0.0.1\nsmtp-port=9\n"
                                               "smtp-security=none\nfrom-address=support@a.test\n",
                                               TEST_WORLD_NO_AGENT);
  Roles roles = { world, };
  guint failures = 0, checked = 0;
  /* refused roles first: a refusal must leave the object for the roles that may */
  static const int order[N_ROLES] = { NONE, OTHER, AGENT, ADMIN, OWNER };

  roles.token[OWNER] = g_strdup (world->token);
  roles.password[OWNER] = world->password;
  for (int role = ADMIN; role <= AGENT; role++)
    {
      g_autofree char *email = g_strdup_printf ("%s@a.test", role_names[role]);
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
      g_autofree char *body = test_json ("{'email':'%s','role':'%s'}", email, role_names[role]);
      g_autoptr(JsonObject) user = test_relay_create_user (world->relay, email, PASSWORD, NULL);
      g_autoptr(TestResponse) added = test_http (world->relay, "POST", path, world->token, body, NULL);

      test_assert_http_status (added, 201);
      roles.token[role] = test_relay_login (world->relay, email, PASSWORD);
      roles.password[role] = PASSWORD;
    }
  {
    g_autofree char *b_site = NULL, *b_key = NULL;
    test_world_add_tenant (world, "b", &roles.token[OTHER], &b_site, &b_key);
    roles.password[OTHER] = "correct horse battery b";
  }
  test_visitor_say (world->visitor, "Hello, is anyone there?", &roles.conversation_id);
  {
    g_autoptr(JsonObject) left = NULL;

    test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Ann','email':'ann@b.test',"
                   "'body':'Do you ship to Norway?'}");
    left = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
    roles.offline_id = g_strdup (test_obj_string (left, "id"));
  }
  {
    /* a 1×1 PNG the owner sends in the conversation */
    g_autofree char *path = g_strdup_printf ("/api/v1/uploads?conversation_id=%s", roles.conversation_id);
    gsize size = 0;
    g_autofree guchar *png = g_base64_decode ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                                              "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", &size);
    g_autoptr(GBytes) body = g_bytes_new (png, size);
    g_autoptr(TestResponse) uploaded = test_http_bytes (world->relay, "POST", path, world->token, body,
                                                        "image/png", NULL);

    test_assert_http_status (uploaded, 201);
    roles.upload_id = g_strdup (test_obj_string (test_response_object (uploaded), "id"));
  }

  for (guint row = 0; row < G_N_ELEMENTS (table); row++)
    for (guint i = 0; i < N_ROLES; i++)
      {
        int role = order[i];
        g_autofree char *path = expand (&roles, table[row].path, role);
        g_autofree char *body = table[row].body ? expand (&roles, table[row].body, role) : NULL;
        g_autoptr(TestResponse) response = test_http (world->relay, table[row].method, path,
                                                      roles.token[role], body, NULL);
        guint got = status_class (response->status);

        checked++;
        if (got != table[row].expected[role])
          {
            g_autofree char *text = test_response_text (response);

            g_printerr ("%s %s as %s: expected %u, got %u: %s\n", table[row].method, table[row].path,
                        role_names[role], table[row].expected[role], response->status, text);
            failures++;
          }
        /* refusals name their reason */
        if (got == 403)
          g_assert_cmpstr (test_response_error_code (response), ==, "forbidden");
        if (got == 404)
          g_assert_cmpstr (test_response_error_code (response), ==, "not_found");
        if (got == 401)
          g_assert_nonnull (test_response_error_code (response));
      }

  g_test_message ("%u role × endpoint pairs checked", checked);
  g_assert_cmpuint (checked, ==, G_N_ELEMENTS (table) * N_ROLES);
  g_assert_cmpuint (failures, ==, 0);

  for (int role = 0; role < N_ROLES; role++)
    g_free (roles.token[role]);
  g_free (roles.conversation_id);
  g_free (roles.upload_id);
  g_free (roles.offline_id);
}

/* Agent frames on a conversation: every member of the site may, a member of another site gets
 * not_found as if it did not exist, and nothing changes for the site. */
static void
test_roles_frames (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *b_token = NULL, *b_site = NULL, *b_key = NULL;
  g_autofree char *agent_token = NULL;
  g_autoptr(TestWs) other = NULL;
  g_autoptr(TestWs) agent = NULL;
  static const char * const frames[] = {
    "{'type':'message','conversation_id':'CONV','client_id':'c1','body':'Hi'}",
    "{'type':'typing','conversation_id':'CONV','active':true}",
    "{'type':'assign','conversation_id':'CONV','agent_id':null}",
    "{'type':'set_status','conversation_id':'CONV','status':'resolved'}",
    "{'type':'read','conversation_id':'CONV','seq':1}",
    "{'type':'note','conversation_id':'CONV','client_id':'n1','body':'Team only'}",
  };

  test_visitor_say (world->visitor, "Hello?", &conversation_id);
  test_world_add_tenant (world, "b", &b_token, &b_site, &b_key);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/members", world->site_id);
    g_autoptr(JsonObject) user = test_relay_create_user (world->relay, "agent@a.test", PASSWORD, NULL);
    g_autoptr(TestResponse) added = test_http (world->relay, "POST", path, world->token,
                                               "{\"email\":\"agent@a.test\",\"role\":\"agent\"}", NULL);
    test_assert_http_status (added, 201);
    agent_token = test_relay_login (world->relay, "agent@a.test", PASSWORD);
  }

  /* no token, no agent socket */
  {
    guint status = 0;
    TestWs *refused = test_ws_try_agent (world->relay, NULL, &status);

    g_assert_null (refused);
    g_assert_cmpuint (status, ==, 401);
  }

  other = test_ws_agent (world->relay, b_token);
  test_ws_ignore (other, "presence", "pong", NULL);
  test_agent_subscribe (other, 0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(JsonObject) error = NULL;

      {
        g_auto(GStrv) parts = g_strsplit (frames[i], "CONV", -1);
        text = g_strjoinv (conversation_id, parts);
      }
      for (char *c = text; *c; c++)
        if (*c == '\'')
          *c = '"';
      test_ws_send (other, text);
      error = test_ws_expect_error (other, "not_found", TEST_TIMEOUT_MS);
    }
  /* nor can it start a conversation with the site's visitor */
  test_ws_sendf (other, "{'type':'start_conversation','visitor_id':'%s','client_id':'c2','body':'Hi'}",
                 world->visitor_id);
  {
    g_autoptr(JsonObject) error = test_ws_expect_error (other, "not_found", TEST_TIMEOUT_MS);
  }
  /* the visitor heard nothing of it */
  test_ws_expect_none (world->visitor, "message", TEST_QUIET_MS);

  /* an agent of the site may do each */
  agent = test_ws_agent (world->relay, agent_token);
  test_ws_ignore (agent, "presence", "pong", "typing", "visitor", "conversation", "read", NULL);
  test_agent_subscribe (agent, 0, NULL);
  test_agent_say (agent, conversation_id, "Hello from the agent");
  test_ws_sendf (agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}", conversation_id);
  test_ws_sendf (agent, "{'type':'assign','conversation_id':'%s','agent_id':null}", conversation_id);
  test_ws_sendf (agent, "{'type':'note','conversation_id':'%s','client_id':'n2','body':'Team only'}",
                 conversation_id);
  json_object_unref (test_ws_wait_for (agent, "note", TEST_TIMEOUT_MS));
  test_ws_expect_none (agent, "error", TEST_QUIET_MS);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/roles/table", test_roles_table);
  test_harness_add ("/relay/roles/frames", test_roles_frames);

  return g_test_run ();
}
